//! The OCI image `scripts/image` builds without Docker: pushed to the testbed's registry, it is
//! served by tag and by digest, its config runs `/ksflux` as the nonroot user with the OCI
//! labels, and its layers (checked against their digests and diff ids) unpack into a root
//! filesystem whose static binary runs and whose console is complete. A second build of the
//! same sources gives the same digest.
//!
//! A cold run builds the release musl binary (minutes); `scripts/image` caches it and the
//! console's files by the git hashes of their sources, so a later run packs in seconds.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use ksflux_testbed::{Testbed, unique_name};
use serde_json::Value;

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository's root")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `sh -c script` with `input` on its standard input; its standard output.
fn pipe(script: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("wait for sh");
    writer.join().expect("writer").expect("write to sh");
    assert!(out.status.success(), "{script}: {}", text(&out));
    out.stdout
}

fn sha256(data: &[u8]) -> String {
    let out = String::from_utf8(pipe("sha256sum", data)).expect("utf-8");
    format!("sha256:{}", out.split_whitespace().next().unwrap_or_default())
}

fn git(args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(root())
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Whether an ELF file names an interpreter (a PT_INTERP program header): a static binary
/// does not.
fn has_interpreter(elf: &[u8]) -> bool {
    assert_eq!(&elf[..4], b"\x7fELF", "an ELF file");
    assert_eq!(elf[4], 2, "64-bit");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let mut phoff = [0u8; 8];
    phoff.copy_from_slice(&elf[32..40]);
    let phoff = u64::from_le_bytes(phoff) as usize;
    let (size, count) = (u16_at(54), u16_at(56));
    (0..count).any(|i| {
        let o = phoff + i * size;
        u32::from_le_bytes([elf[o], elf[o + 1], elf[o + 2], elf[o + 3]]) == 3
    })
}

fn scripts_image(args: &[&str], tb: &Testbed) -> String {
    let f = &tb.info.fixtures;
    let out = Command::new(root().join("scripts/image"))
        .args(args)
        .env("KSFLUX_IMAGE_USER", &f.user)
        .env("KSFLUX_IMAGE_PASSWORD", &f.password)
        .current_dir(root())
        .output()
        .expect("run scripts/image");
    assert!(out.status.success(), "scripts/image {args:?}: {}", text(&out));
    text(&out)
}

#[tokio::test]
async fn the_image_is_pushed_without_docker_and_runs_its_static_binary_and_console() {
    let tb = Testbed::shared();
    let f = &tb.info.fixtures;
    let tag = unique_name("test");
    let reference = format!("{}/ksflux/ksflux:{tag}", f.registry);
    let said = scripts_image(&["--push", &reference, "--plain-http"], tb);
    let pushed = said
        .lines()
        .find_map(|l| l.strip_prefix("pushed: "))
        .unwrap_or_else(|| panic!("no `pushed:` line in {said}"));
    let digest = pushed
        .split_whitespace()
        .next()
        .and_then(|r| r.strip_prefix(&format!("{reference}@")))
        .unwrap_or_else(|| panic!("no digest in {pushed}"))
        .to_string();
    assert!(said.contains("bytes compressed"), "{said}");
    assert!(said.contains("binary: "), "{said}");

    // The registry serves the manifest by tag and by digest.
    let http = reqwest::Client::new();
    let base = format!("http://{}/v2/ksflux/ksflux", f.registry);
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{base}/{path}");
        async move {
            let r = http
                .get(&url)
                .basic_auth(&f.user, Some(&f.password))
                .header("Accept", MANIFEST)
                .send()
                .await
                .expect("GET from the registry");
            assert_eq!(r.status(), 200, "GET {url}");
            let served = r
                .headers()
                .get("Docker-Content-Digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            (served, r.bytes().await.expect("body").to_vec())
        }
    };
    let (served, manifest_bytes) = get(format!("manifests/{tag}")).await;
    assert_eq!(served.as_deref(), Some(digest.as_str()));
    assert_eq!(sha256(&manifest_bytes), digest);
    let (_, by_digest) = get(format!("manifests/{digest}")).await;
    assert_eq!(by_digest, manifest_bytes);
    let manifest: Value = serde_json::from_slice(&manifest_bytes).expect("manifest JSON");
    assert_eq!(manifest["mediaType"], MANIFEST);
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );

    // The config: entrypoint, user, labels.
    let config_digest = manifest["config"]["digest"].as_str().expect("config digest");
    let (_, config_bytes) = get(format!("blobs/{config_digest}")).await;
    assert_eq!(sha256(&config_bytes), config_digest);
    let config: Value = serde_json::from_slice(&config_bytes).expect("config JSON");
    let c = &config["config"];
    assert_eq!(c["Entrypoint"], serde_json::json!(["/ksflux"]));
    assert_eq!(c["User"], "65532:65532");
    let cmd = c["Cmd"].to_string();
    assert!(
        cmd.contains("serve") && cmd.contains("--console-dir=/console"),
        "{cmd}"
    );
    assert_eq!(config["os"], "linux");
    assert_eq!(config["architecture"], "amd64");
    let label = |k: &str| {
        c["Labels"][format!("org.opencontainers.image.{k}")]
            .as_str()
            .unwrap_or_else(|| panic!("label {k} in {c}"))
            .to_string()
    };
    assert_eq!(label("title"), "ksflux");
    assert_eq!(label("version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(label("licenses"), "Apache-2.0");
    assert!(label("source").starts_with("https://"), "{}", label("source"));
    assert!(label("description").contains("Flux"));
    let head = git(&["rev-parse", "HEAD"]);
    assert!(
        label("revision").starts_with(&head),
        "{} vs {head}",
        label("revision")
    );
    let commit_time: i64 = git(&["log", "-1", "--format=%ct", "HEAD"])
        .parse()
        .expect("commit time");
    let created = jiff::Timestamp::from_second(commit_time)
        .expect("timestamp")
        .to_string();
    assert_eq!(label("created"), created);
    assert_eq!(config["created"], created.as_str());

    // The layers: digests and diff ids match, entries are owned by root (the nonroot user's
    // home aside) and dated at the commit; they unpack into a root filesystem.
    let layers = manifest["layers"].as_array().expect("layers");
    let diff_ids = config["rootfs"]["diff_ids"].as_array().expect("diff_ids");
    assert_eq!(layers.len(), diff_ids.len());
    assert_eq!(config["history"].as_array().map(Vec::len), Some(layers.len()));
    let rootfs = std::env::temp_dir().join(unique_name("ksflux-image"));
    std::fs::create_dir_all(&rootfs).expect("temp dir");
    let date = jiff::Timestamp::from_second(commit_time)
        .expect("timestamp")
        .strftime("%Y-%m-%d %H:%M")
        .to_string();
    let mut listing = String::new();
    for (layer, diff_id) in layers.iter().zip(diff_ids) {
        assert_eq!(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
        let d = layer["digest"].as_str().expect("layer digest");
        let (_, blob) = get(format!("blobs/{d}")).await;
        assert_eq!(sha256(&blob), d);
        assert_eq!(Some(blob.len() as u64), layer["size"].as_u64());
        let uncompressed = pipe("gzip -dc", &blob);
        assert_eq!(Some(sha256(&uncompressed).as_str()), diff_id.as_str());
        let list = String::from_utf8(pipe(
            "TZ=UTC tar -tv --numeric-owner --full-time -f -",
            &uncompressed,
        ))
        .expect("utf-8");
        for line in list.lines() {
            let owner_ok = line.contains(" 0/0 ")
                || (line.contains(" 65532/65532 ") && line.ends_with(" home/nonroot/"));
            assert!(owner_ok, "owner of {line}");
            assert!(line.contains(&date), "date of {line} (commit: {date})");
        }
        listing.push_str(&list);
        let dir = rootfs.display().to_string();
        pipe(&format!("tar -xf - --no-same-owner -C '{dir}'"), &uncompressed);
    }
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("drwxrwxrwt") && l.ends_with(" tmp/")),
        "{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x") && l.ends_with(" ksflux")),
        "{listing}"
    );
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).expect("/etc/passwd");
    assert!(passwd.contains("nonroot:x:65532:65532:"), "{passwd}");
    let group = std::fs::read_to_string(rootfs.join("etc/group")).expect("/etc/group");
    assert!(group.contains("nonroot:x:65532:"), "{group}");

    // The binary is static and runs from the unpacked root filesystem.
    let binary = rootfs.join("ksflux");
    let elf = std::fs::read(&binary).expect("/ksflux");
    assert!(!has_interpreter(&elf), "/ksflux is dynamically linked");
    let out = Command::new(&binary)
        .arg("version")
        .current_dir(&rootfs)
        .env_clear()
        .output()
        .expect("run /ksflux version");
    assert!(out.status.success(), "ksflux version: {}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("ksflux {}", env!("CARGO_PKG_VERSION"))
    );

    // The console: index.html and every asset it loads.
    let index = std::fs::read_to_string(rootfs.join("console/index.html")).expect("index.html");
    let assets: Vec<&str> = index.split('"').filter(|s| s.starts_with("/assets/")).collect();
    assert!(
        assets.iter().any(|a| a.ends_with(".js")),
        "index.html loads no script: {index}"
    );
    for a in &assets {
        assert!(rootfs.join("console").join(&a[1..]).is_file(), "{a} is missing");
    }

    // The same sources give the same image.
    let layout = rootfs.with_extension("layout");
    scripts_image(&["--out", layout.to_str().unwrap_or_default()], tb);
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("index.json"))
        .expect("index.json JSON");
    assert_eq!(index["manifests"][0]["digest"], digest.as_str());

    let _ = std::fs::remove_dir_all(&rootfs);
    let _ = std::fs::remove_dir_all(&layout);
}
