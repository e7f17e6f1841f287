//! A Helm chart's default values (`values.yaml`) and its values schema
//! (`values.schema.json`), for the application wizard.
//!
//! **Where the chart comes from.** A HelmRepository's index names each chart version's
//! tarball URL, and whoever writes the index (or the HelmRepository's `spec.url`) chooses it,
//! so ksflux never fetches it: a URL a user can set could point anywhere ksflux can reach.
//! ksflux reads only artifacts on the source-controller's storage ([`ArtifactPolicy`]), and
//! a chart is there once a `HelmChart` of it has been reconciled — every HelmRelease has one
//! (an application's targets make them), and users can create one. So the values come from
//! a HelmChart in the repository's namespace that:
//!
//! - takes the chart from this HelmRepository (`spec.sourceRef`) under this name
//!   (`spec.chart`), without `valuesFiles` (source-controller merges those into the
//!   packaged `values.yaml`, which would no longer be the chart's defaults);
//! - has an artifact at the requested version (`status.artifact.revision`), which is
//!   resolved first against the repository's index (its own artifact) the way Flux resolves
//!   a semver range, so the values are those of the version Flux would install;
//! - keeps that artifact under the HelmChart's own storage path
//!   (`/helmchart/<namespace>/<name>/`), so a status edited to point at another tenant's
//!   artifact is refused.
//!
//! ksflux creates nothing: without such a HelmChart the answer is a 404 that says so.
//! The tarball is read within a size bound, unpacked in memory within a bound on the bytes
//! scanned and on each file kept, and its `Chart.yaml` must name the chart and version.

use crate::images::policy::Range;
use std::io::{self, Read};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ArtifactPolicy;
use crate::error::{Error, Result};

/// A chart's default values and schema.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChartValues {
    /// The chart's name.
    pub chart: String,
    /// The chart version read (the requested range resolved).
    pub version: String,
    /// The HelmChart whose artifact was read.
    pub helm_chart: String,
    /// The chart's `values.yaml`, as written (comments kept); empty when it has none.
    pub values: String,
    /// The chart's `values.schema.json`, when it has one that is JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub schema: Option<Value>,
    /// Why the chart's `values.schema.json` is not used (it is not JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_error: Option<String>,
}

/// The largest chart tarball read, in bytes.
pub const MAX_TARBALL: usize = 10 * 1024 * 1024;
/// The most bytes unpacked from a tarball while looking for the files.
pub const MAX_UNPACKED: u64 = 64 * 1024 * 1024;
/// The largest file kept from a tarball (Helm's own limit for one file of a chart).
pub const MAX_FILE: u64 = 5 * 1024 * 1024;
/// The largest PAX or GNU long-name header read.
const MAX_META: u64 = 64 * 1024;

/// The files of a chart tarball the values need.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ChartFiles {
    /// `<chart>/Chart.yaml`.
    pub chart_yaml: Option<Vec<u8>>,
    /// `<chart>/values.yaml`.
    pub values: Option<Vec<u8>>,
    /// `<chart>/values.schema.json`.
    pub schema: Option<Vec<u8>>,
}

/// Bounds of [`extract`].
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The most bytes unpacked.
    pub unpacked: u64,
    /// The largest file kept.
    pub file: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            unpacked: MAX_UNPACKED,
            file: MAX_FILE,
        }
    }
}

/// Why a tarball cannot be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Not a gzip-compressed tar archive, or a damaged one.
    #[error("the chart artifact is not a gzip-compressed tar archive")]
    Corrupt,
    /// It unpacks to more than the bound.
    #[error("the chart artifact unpacks to more than {} MiB, the most ksflux reads", .0 / (1024 * 1024))]
    Unpacked(u64),
    /// A file it needs is larger than the bound.
    #[error("{file} in the chart is larger than {} MiB, the most ksflux reads", .limit / (1024 * 1024))]
    File {
        /// The file's name.
        file: &'static str,
        /// The bound.
        limit: u64,
    },
    /// It has no `<chart>/Chart.yaml`.
    #[error("the chart artifact has no {0}/Chart.yaml")]
    NotAChart(String),
}

/// A reader that fails once more than `left` bytes would be read, so a small tarball that
/// unpacks to gigabytes stops at the bound instead of being read to its end.
struct Bounded<R> {
    inner: R,
    left: u64,
}

/// The marker of a [`Bounded`] reader's failure.
#[derive(Debug)]
struct OverLimit;

impl std::fmt::Display for OverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("over the unpacked size limit")
    }
}

impl std::error::Error for OverLimit {}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // At the bound: the end of the stream is fine, more data is not.
            let mut one = [0u8; 1];
            return match self.inner.read(&mut one)? {
                0 => Ok(0),
                _ => Err(io::Error::other(OverLimit)),
            };
        }
        let max = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Maps a read error: over the bound, or a damaged archive.
fn read_error(e: &io::Error, limit: u64) -> ExtractError {
    if e.get_ref().is_some_and(|inner| inner.is::<OverLimit>()) {
        ExtractError::Unpacked(limit)
    } else {
        ExtractError::Corrupt
    }
}

/// A NUL-terminated field of a tar header.
fn c_str(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// A numeric field of a tar header: octal text, or base-256 when its first bit is set.
fn number(b: &[u8]) -> Option<u64> {
    if b.first().is_some_and(|&c| c & 0x80 != 0) {
        let mut n: u64 = u64::from(b[0] & 0x7f);
        for &c in &b[1..] {
            n = n.checked_mul(256)?.checked_add(u64::from(c))?;
        }
        return Some(n);
    }
    let s = std::str::from_utf8(c_str(b))
        .ok()?
        .trim_matches(|c: char| c == ' ' || c == '\0');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

/// Whether a header's checksum is right (the sum of its bytes, the checksum field as spaces).
fn checksum_ok(h: &[u8; 512]) -> bool {
    let Some(want) = number(&h[148..156]) else {
        return false;
    };
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) })
        .sum();
    sum == want
}

/// The `path` and `size` records of a PAX extended header.
fn pax(data: &[u8]) -> (Option<String>, Option<u64>) {
    let (mut path, mut size) = (None, None);
    let mut rest = data;
    while !rest.is_empty() {
        // "<length> <key>=<value>\n", the length counting the whole record.
        let Some(space) = rest.iter().position(|&c| c == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        if len <= space || len > rest.len() {
            break;
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&c| c == b'=') {
            let (key, value) = (&record[..eq], &record[eq + 1..]);
            match key {
                b"path" => path = String::from_utf8(value.to_vec()).ok(),
                b"size" => size = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()),
                _ => {}
            }
        }
        rest = &rest[len..];
    }
    (path, size)
}

/// Which of the wanted files `path` is (`<chart>/<file>`, nothing deeper: not a subchart's).
fn wanted(path: &str, chart: &str) -> Option<&'static str> {
    let path = path.strip_prefix("./").unwrap_or(path);
    let (top, file) = path.split_once('/')?;
    if top != chart {
        return None;
    }
    ["Chart.yaml", "values.yaml", "values.schema.json"]
        .into_iter()
        .find(|f| *f == file)
}

/// Reads `n` bytes, or fails.
fn read_n(r: &mut impl Read, n: u64, limit: u64) -> Result<Vec<u8>, ExtractError> {
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(1 << 20));
    r.take(n)
        .read_to_end(&mut out)
        .map_err(|e| read_error(&e, limit))?;
    if out.len() as u64 != n {
        return Err(ExtractError::Corrupt);
    }
    Ok(out)
}

/// Skips `n` bytes, or fails.
fn skip(r: &mut impl Read, n: u64, limit: u64) -> Result<(), ExtractError> {
    let copied = io::copy(&mut r.take(n), &mut io::sink()).map_err(|e| read_error(&e, limit))?;
    if copied != n {
        return Err(ExtractError::Corrupt);
    }
    Ok(())
}

/// The `Chart.yaml`, `values.yaml` and `values.schema.json` at the top of the packaged
/// chart `chart` (a `.tgz` as `helm package` writes it: every file under `<chart>/`).
/// Reads ustar, GNU long names and PAX headers; skips everything else; stops once the three
/// files are found, at the end of the archive, or at the bounds.
pub fn extract(tgz: &[u8], chart: &str, limits: Limits) -> Result<ChartFiles, ExtractError> {
    let mut r = Bounded {
        inner: flate2::read::GzDecoder::new(tgz),
        left: limits.unpacked,
    };
    let limit = limits.unpacked;
    let mut files = ChartFiles::default();
    let (mut long_path, mut pax_path, mut pax_size): (Option<String>, Option<String>, Option<u64>) =
        (None, None, None);
    let mut header = [0u8; 512];
    loop {
        if files.chart_yaml.is_some() && files.values.is_some() && files.schema.is_some() {
            break;
        }
        match r.read_exact(&mut header) {
            Ok(()) => {}
            // An archive may end without its two zero blocks.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && files.chart_yaml.is_some() => break,
            Err(e) => return Err(read_error(&e, limit)),
        }
        if header.iter().all(|&b| b == 0) {
            break;
        }
        if !checksum_ok(&header) {
            return Err(ExtractError::Corrupt);
        }
        let size = number(&header[124..136]).ok_or(ExtractError::Corrupt)?;
        let kind = header[156];
        let size = if matches!(kind, b'0' | 0 | b'7') {
            pax_size.take().unwrap_or(size)
        } else {
            size
        };
        let padding = (512 - size % 512) % 512;
        match kind {
            b'x' | b'L' => {
                if size > MAX_META {
                    return Err(ExtractError::Corrupt);
                }
                let data = read_n(&mut r, size, limit)?;
                if kind == b'x' {
                    (pax_path, pax_size) = pax(&data);
                } else {
                    long_path = String::from_utf8(c_str(&data).to_vec()).ok();
                }
            }
            b'0' | 0 | b'7' => {
                let name = String::from_utf8_lossy(c_str(&header[0..100])).into_owned();
                let prefix = String::from_utf8_lossy(c_str(&header[345..500])).into_owned();
                let ustar_path = if &header[257..262] == b"ustar" && !prefix.is_empty() {
                    format!("{prefix}/{name}")
                } else {
                    name
                };
                let path = pax_path.take().or(long_path.take()).unwrap_or(ustar_path);
                match wanted(&path, chart) {
                    Some(file) => {
                        if size > limits.file {
                            return Err(ExtractError::File {
                                file,
                                limit: limits.file,
                            });
                        }
                        let data = read_n(&mut r, size, limit)?;
                        match file {
                            "Chart.yaml" => files.chart_yaml = Some(data),
                            "values.yaml" => files.values = Some(data),
                            _ => files.schema = Some(data),
                        }
                    }
                    None => skip(&mut r, size, limit)?,
                }
            }
            _ => {
                // Directories, links, global headers: nothing to keep, and a long name or
                // PAX header applies to this entry only.
                (long_path, pax_path, pax_size) = (None, None, None);
                skip(&mut r, size, limit)?;
            }
        }
        skip(&mut r, padding, limit)?;
    }
    if files.chart_yaml.is_none() {
        return Err(ExtractError::NotAChart(chart.to_string()));
    }
    Ok(files)
}

/// The requested version, resolved among `versions` (newest first) as Flux resolves a
/// HelmChart's `spec.version`: an exact version, or the newest matching the semver range
/// (Masterminds syntax: `*`, `1.x`, `>=1.0.0 <2.0.0`, `~1.2`, `^1`, `1.2 - 1.4`, `a || b`).
pub fn resolve<'a>(versions: impl IntoIterator<Item = &'a str>, range: &str) -> Option<&'a str> {
    let range = range.trim();
    let range = if range.is_empty() { "*" } else { range };
    let parsed_range = Range::parse(range);
    let mut best: Option<(semver::Version, &str)> = None;
    for v in versions {
        if v == range {
            return Some(v);
        }
        let Ok(parsed) = semver::Version::parse(v.strip_prefix('v').unwrap_or(v)) else {
            continue;
        };
        let inside = parsed_range.as_ref().is_some_and(|r| r.matches(&parsed));
        if inside && best.as_ref().is_none_or(|(b, _)| parsed > *b) {
            best = Some((parsed, v));
        }
    }
    best.map(|(_, v)| v)
}

/// A HelmChart whose artifact holds a chart version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The HelmChart's name.
    pub name: String,
    /// Its artifact's revision: the chart version.
    pub version: String,
    /// Its artifact's URL.
    pub url: String,
}

/// The HelmCharts (`(name, spec, status)`) in `namespace` whose artifacts hold the
/// unaltered chart `chart` of HelmRepository `repository` (see the module's doc).
pub fn candidates<'a>(
    helm_charts: impl IntoIterator<Item = (&'a str, &'a Value, &'a Value)>,
    namespace: &str,
    repository: &str,
    chart: &str,
) -> Vec<Candidate> {
    let s = |v: &'a Value, p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    helm_charts
        .into_iter()
        .filter(|(_, spec, _)| {
            s(spec, "/sourceRef/kind") == "HelmRepository"
                && s(spec, "/sourceRef/name") == repository
                && s(spec, "/chart") == chart
                && s(spec, "/valuesFile").is_empty()
                && spec
                    .get("valuesFiles")
                    .and_then(Value::as_array)
                    .is_none_or(|a| a.is_empty())
        })
        .filter_map(|(name, _, status)| {
            let url = s(status, "/artifact/url");
            let version = s(status, "/artifact/revision");
            (!version.is_empty() && in_own_storage(url, namespace, name)).then(|| Candidate {
                name: name.to_string(),
                version: version.to_string(),
                url: url.to_string(),
            })
        })
        .collect()
}

/// Whether an artifact URL lies under the HelmChart's own storage path
/// (`/helmchart/<namespace>/<name>/<file>`), as source-controller writes it.
fn in_own_storage(url: &str, namespace: &str, name: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(mut segments) = u.path_segments() else {
        return false;
    };
    segments.next() == Some("helmchart")
        && segments.next() == Some(namespace)
        && segments.next() == Some(name)
        && segments.next().is_some_and(|f| !f.is_empty())
        && segments.next().is_none()
}

#[derive(Deserialize)]
struct ChartMeta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
}

/// Reads the values of `candidate`'s artifact, which must hold `chart` at its version.
pub async fn read(policy: &ArtifactPolicy, candidate: &Candidate, chart: &str) -> Result<ChartValues> {
    let policy = ArtifactPolicy {
        max_bytes: policy.max_bytes.min(MAX_TARBALL),
        ..policy.clone()
    };
    let tgz = policy.fetch(&candidate.url).await?;
    let name = chart.to_string();
    let files = tokio::task::spawn_blocking(move || extract(&tgz, &name, Limits::default()))
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(|e| Error::BadGateway(format!("HelmChart {:?}: {e}", candidate.name)))?;
    values_of(files, candidate, chart)
}

/// The answer for the files of `candidate`'s artifact.
pub fn values_of(files: ChartFiles, candidate: &Candidate, chart: &str) -> Result<ChartValues> {
    let meta: ChartMeta = files
        .chart_yaml
        .as_deref()
        .and_then(|b| serde_yaml_ng::from_slice(b).ok())
        .ok_or_else(|| {
            Error::BadGateway(format!(
                "the Chart.yaml in the artifact of HelmChart {:?} cannot be read",
                candidate.name
            ))
        })?;
    if meta.name != chart || meta.version != candidate.version {
        return Err(Error::BadGateway(format!(
            "the artifact of HelmChart {:?} holds chart {:?} {:?}, not {chart:?} {:?}",
            candidate.name, meta.name, meta.version, candidate.version
        )));
    }
    let values = String::from_utf8(files.values.unwrap_or_default())
        .map_err(|_| Error::BadGateway(format!("the values.yaml of chart {chart:?} is not UTF-8 text")))?;
    let (schema, schema_error) = match files.schema.map(|b| serde_json::from_slice::<Value>(&b)) {
        None => (None, None),
        Some(Ok(v)) if v.is_object() => (Some(v), None),
        Some(Ok(_)) => (None, Some("values.schema.json is not a JSON object".to_string())),
        Some(Err(e)) => (None, Some(format!("values.schema.json is not JSON: {e}"))),
    };
    Ok(ChartValues {
        chart: chart.to_string(),
        version: candidate.version.clone(),
        helm_chart: candidate.name.clone(),
        values,
        schema,
        schema_error,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use serde_json::json;

    use super::*;

    /// One tar entry: a header (ustar, or with `kind`), the data and its padding.
    fn entry(out: &mut Vec<u8>, path: &str, kind: u8, data: &[u8]) {
        let mut h = [0u8; 512];
        let (prefix, name) = if path.len() > 100 {
            path.rsplit_once('/').unwrap_or(("", path))
        } else {
            ("", path)
        };
        h[..name.len().min(100)].copy_from_slice(&name.as_bytes()[..name.len().min(100)]);
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }

    fn gzip(tar: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(tar).expect("gzip");
        gz.finish().expect("gzip")
    }

    fn archive(entries: &[(&str, u8, &[u8])]) -> Vec<u8> {
        let mut tar = Vec::new();
        for (path, kind, data) in entries {
            entry(&mut tar, path, *kind, data);
        }
        tar.extend_from_slice(&[0u8; 1024]);
        gzip(&tar)
    }

    const CHART: &[u8] = b"apiVersion: v2\nname: demo\nversion: 1.0.0\n";
    const VALUES: &[u8] = b"# replicas\nreplicaCount: 1\n";
    const SCHEMA: &[u8] = br#"{"type":"object","properties":{"replicaCount":{"type":"integer"}}}"#;

    #[test]
    fn the_top_level_files_are_extracted_and_subcharts_ignored() {
        let tgz = archive(&[
            ("demo/Chart.yaml", b'0', CHART),
            ("demo/templates/deployment.yaml", b'0', b"kind: Deployment\n"),
            ("demo/charts/sub/values.yaml", b'0', b"sub: true\n"),
            ("demo/charts/sub/Chart.yaml", b'0', b"name: sub\n"),
            ("demo/values.yaml", b'0', VALUES),
            ("demo/values.schema.json", b'0', SCHEMA),
        ]);
        let files = extract(&tgz, "demo", Limits::default()).expect("a chart");
        assert_eq!(files.chart_yaml.as_deref(), Some(CHART));
        assert_eq!(files.values.as_deref(), Some(VALUES));
        assert_eq!(files.schema.as_deref(), Some(SCHEMA));
    }

    #[test]
    fn files_of_another_top_directory_are_not_the_charts() {
        let tgz = archive(&[
            ("other/Chart.yaml", b'0', CHART),
            ("other/values.yaml", b'0', VALUES),
        ]);
        assert_eq!(
            extract(&tgz, "demo", Limits::default()),
            Err(ExtractError::NotAChart("demo".into()))
        );
    }

    #[test]
    fn long_names_from_pax_gnu_and_ustar_prefix_are_followed() {
        let deep = format!("demo/{}/x.yaml", "d".repeat(120));
        // The record's length counts its own digits.
        let record = {
            let body = " path=demo/values.yaml\n";
            let n = body.len() + 2; // two digits
            format!("{n}{body}")
        };
        let tgz = archive(&[
            (deep.as_str(), b'0', b"ignored: true\n"),
            ("demo/Chart.yaml", b'0', CHART),
            ("././@PaxHeader", b'x', record.as_bytes()),
            ("demo/short-name-replaced", b'0', VALUES),
            ("././@LongLink", b'L', b"demo/values.schema.json\0"),
            ("demo/values.sch", b'0', SCHEMA),
        ]);
        let files = extract(&tgz, "demo", Limits::default()).expect("a chart");
        assert_eq!(files.values.as_deref(), Some(VALUES));
        assert_eq!(files.schema.as_deref(), Some(SCHEMA));
        // A path over 100 bytes is split into the ustar prefix and name.
        let long = "c".repeat(110);
        let tgz = archive(&[
            (format!("{long}/Chart.yaml").as_str(), b'0', CHART),
            (format!("{long}/values.yaml").as_str(), b'0', VALUES),
        ]);
        let files = extract(&tgz, &long, Limits::default()).expect("a chart");
        assert_eq!(files.values.as_deref(), Some(VALUES));
    }

    #[test]
    fn a_file_over_the_bound_is_refused_naming_it() {
        let big = vec![b'#'; 2048];
        let tgz = archive(&[("demo/Chart.yaml", b'0', CHART), ("demo/values.yaml", b'0', &big)]);
        let limits = Limits {
            unpacked: 1 << 20,
            file: 1024,
        };
        let e = extract(&tgz, "demo", limits).expect_err("too large");
        assert_eq!(
            e,
            ExtractError::File {
                file: "values.yaml",
                limit: 1024
            }
        );
        assert!(e.to_string().starts_with("values.yaml in the chart"), "{e}");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_unpacked_bound() {
        // 4 MiB of zeros in a skipped file compress to a few KiB.
        let zeros = vec![0u8; 4 << 20];
        let tgz = archive(&[
            ("demo/templates/big.yaml", b'0', &zeros),
            ("demo/Chart.yaml", b'0', CHART),
        ]);
        assert!(tgz.len() < 64 * 1024);
        let limits = Limits {
            unpacked: 1 << 20,
            file: 1 << 20,
        };
        assert_eq!(
            extract(&tgz, "demo", limits),
            Err(ExtractError::Unpacked(1 << 20))
        );
        assert!(extract(&tgz, "demo", Limits::default()).is_ok());
    }

    #[test]
    fn damaged_archives_are_refused() {
        assert_eq!(
            extract(b"not gzip", "demo", Limits::default()),
            Err(ExtractError::Corrupt)
        );
        // Gzip of something that is not tar: the header checksum fails.
        let junk = gzip(&[7u8; 1024]);
        assert_eq!(
            extract(&junk, "demo", Limits::default()),
            Err(ExtractError::Corrupt)
        );
        // Cut in the middle of a file.
        let mut tar = Vec::new();
        entry(&mut tar, "demo/Chart.yaml", b'0', CHART);
        entry(&mut tar, "demo/values.yaml", b'0', &[b'a'; 2000]);
        tar.truncate(512 + 512 + 512 + 100);
        assert_eq!(
            extract(&gzip(&tar), "demo", Limits::default()),
            Err(ExtractError::Corrupt)
        );
        // No Chart.yaml at all.
        let none = archive(&[("demo/values.yaml", b'0', VALUES)]);
        assert_eq!(
            extract(&none, "demo", Limits::default()),
            Err(ExtractError::NotAChart("demo".into()))
        );
    }

    #[test]
    fn ranges_resolve_the_way_flux_picks_a_version() {
        let versions = ["1.0.0", "1.0.0-rc.1", "0.2.0", "0.1.0"];
        let pick = |r: &str| resolve(versions, r);
        assert_eq!(pick(""), Some("1.0.0"));
        assert_eq!(pick("*"), Some("1.0.0"));
        assert_eq!(pick("0.2.0"), Some("0.2.0"));
        assert_eq!(pick("0.x"), Some("0.2.0"));
        assert_eq!(pick("1.x"), Some("1.0.0"));
        assert_eq!(pick(">=0.1.0 <1.0.0"), Some("0.2.0"));
        assert_eq!(pick(">= 0.1.0, < 0.2"), Some("0.1.0"));
        assert_eq!(pick("~0.1"), Some("0.1.0"));
        assert_eq!(pick("^0.2"), Some("0.2.0"));
        assert_eq!(pick("0.1 - 0.2.0"), Some("0.2.0"));
        assert_eq!(pick("<0.2.0 || >=1.0.0-rc.1"), Some("1.0.0"));
        assert_eq!(pick("!=1.0.0"), Some("0.2.0"));
        assert_eq!(pick("1.0.0-rc.1"), Some("1.0.0-rc.1"));
        assert_eq!(pick("2.x"), None);
        // A bare version is exact, not a caret range.
        assert_eq!(resolve(["1.2.0", "1.1.0"], "1.1.0"), Some("1.1.0"));
        assert_eq!(resolve(["1.2.0"], "1.1.0"), None);
    }

    fn helm_chart(name: &str, spec: Value, revision: &str, url: &str) -> (String, Value, Value) {
        let status = json!({"artifact": {"revision": revision, "url": url}});
        (name.to_string(), spec, status)
    }

    #[test]
    fn only_unaltered_charts_of_this_repository_in_their_own_storage_are_candidates() {
        let spec = json!({"chart": "demo", "sourceRef": {"kind": "HelmRepository", "name": "repo"}});
        let url = |ns: &str, n: &str| format!("http://storage/helmchart/{ns}/{n}/demo-1.0.0.tgz");
        let list = [
            helm_chart("ok", spec.clone(), "1.0.0", &url("team", "ok")),
            // Another repository, another chart, another source kind.
            helm_chart(
                "other-repo",
                json!({"chart": "demo", "sourceRef": {"kind": "HelmRepository", "name": "x"}}),
                "1.0.0",
                &url("team", "other-repo"),
            ),
            helm_chart(
                "other-chart",
                json!({"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "repo"}}),
                "1.0.0",
                &url("team", "other-chart"),
            ),
            helm_chart(
                "git",
                json!({"chart": "demo", "sourceRef": {"kind": "GitRepository", "name": "repo"}}),
                "1.0.0",
                &url("team", "git"),
            ),
            // valuesFiles are merged into the packaged values.yaml: not the defaults.
            helm_chart(
                "merged",
                json!({"chart": "demo", "valuesFiles": ["values-prod.yaml"], "sourceRef": {"kind": "HelmRepository", "name": "repo"}}),
                "1.0.0",
                &url("team", "merged"),
            ),
            // A status pointing at another namespace's or object's artifact.
            helm_chart("stolen", spec.clone(), "1.0.0", &url("other", "secret-chart")),
            helm_chart("borrowed", spec.clone(), "1.0.0", &url("team", "ok")),
            helm_chart(
                "deeper",
                spec.clone(),
                "1.0.0",
                "http://storage/helmchart/team/deeper/x/y.tgz",
            ),
            // No artifact yet.
            ("pending".to_string(), spec.clone(), json!({})),
        ];
        let got = candidates(
            list.iter().map(|(n, s, st)| (n.as_str(), s, st)),
            "team",
            "repo",
            "demo",
        );
        assert_eq!(
            got,
            [Candidate {
                name: "ok".into(),
                version: "1.0.0".into(),
                url: url("team", "ok"),
            }]
        );
    }

    #[test]
    fn the_artifact_must_hold_the_chart_and_version_asked_for() {
        let candidate = Candidate {
            name: "team-web".into(),
            version: "1.0.0".into(),
            url: String::new(),
        };
        let files = |chart: &[u8], schema: Option<&[u8]>| ChartFiles {
            chart_yaml: Some(chart.to_vec()),
            values: Some(VALUES.to_vec()),
            schema: schema.map(<[u8]>::to_vec),
        };
        let ok = values_of(files(CHART, Some(SCHEMA)), &candidate, "demo").expect("values");
        assert_eq!(ok.values, String::from_utf8_lossy(VALUES));
        assert_eq!(
            ok.schema
                .as_ref()
                .and_then(|s| s.pointer("/properties/replicaCount/type")),
            Some(&json!("integer"))
        );
        assert_eq!(
            (ok.version.as_str(), ok.helm_chart.as_str()),
            ("1.0.0", "team-web")
        );

        let wrong = values_of(files(b"name: demo\nversion: 0.1.0\n", None), &candidate, "demo");
        assert!(matches!(wrong, Err(Error::BadGateway(m)) if m.contains("0.1.0")));
        let other = values_of(files(b"name: web\nversion: 1.0.0\n", None), &candidate, "demo");
        assert!(matches!(other, Err(Error::BadGateway(_))));

        let broken = values_of(files(CHART, Some(b"{not json")), &candidate, "demo").expect("values");
        assert!(broken.schema.is_none());
        assert!(broken.schema_error.is_some_and(|e| e.contains("not JSON")));
    }
}
