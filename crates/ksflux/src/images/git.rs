//! Just enough of git's smart HTTP protocol (v0) for ksflux to commit to a source: read a
//! branch's head commit and the files along some paths (a shallow fetch, depth 1), then push
//! one commit that changes files, with a fast-forward guard (the push names the old head).
//! Only hosts an administrator listed are contacted; every response is size-bounded.

use std::collections::HashMap;

use anyhow::{Context, anyhow, bail};

/// The most a fetch may download.
const MAX_PACK: usize = 64 << 20;
/// The most objects a pack may hold.
const MAX_OBJECTS: u32 = 200_000;

/// How ksflux authenticates to the git server.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No credentials.
    None,
    /// HTTP basic auth.
    Basic(String, String),
    /// A bearer token.
    Bearer(String),
}

/// A git remote over smart HTTP.
pub struct Remote {
    url: String,
    auth: Auth,
    http: reqwest::Client,
}

/// An object id (SHA-1, hex).
pub type Oid = String;

/// A git object: its type (`commit`, `tree`, `blob`, `tag`) and content.
#[derive(Clone, Debug)]
pub struct Object {
    /// `commit`, `tree`, `blob` or `tag`.
    pub kind: &'static str,
    /// The content.
    pub data: Vec<u8>,
}

/// The objects of a branch's head commit.
pub struct Snapshot {
    /// The head commit.
    pub head: Oid,
    /// Every object fetched, by id.
    pub objects: HashMap<Oid, Object>,
}

/// One tree entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// `100644`, `40000`, ...
    pub mode: String,
    /// The name.
    pub name: String,
    /// The object.
    pub oid: Oid,
}

/// The hex SHA-1 of an object as git names it.
pub fn oid(kind: &str, data: &[u8]) -> Oid {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(format!("{kind} {}\0", data.len()).as_bytes());
    ctx.update(data);
    hex(ctx.finish().as_ref())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> anyhow::Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        bail!("odd hex");
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| anyhow!("{e}")))
        .collect()
}

/// A pkt-line.
fn pkt(line: &str) -> Vec<u8> {
    let mut out = format!("{:04x}", line.len() + 4).into_bytes();
    out.extend_from_slice(line.as_bytes());
    out
}

/// pkt-lines: each line's payload, `None` for a flush.
type Lines = Vec<Option<Vec<u8>>>;

/// Reads the pkt-lines at the front of `data` (up to what is not one).
fn pkt_lines(mut data: &[u8]) -> anyhow::Result<Lines> {
    let mut out = Vec::new();
    loop {
        if data.len() < 4 {
            return Ok(out);
        }
        let Ok(len) = usize::from_str_radix(std::str::from_utf8(&data[..4]).unwrap_or("x"), 16) else {
            return Ok(out);
        };
        if len == 0 {
            out.push(None);
            data = &data[4..];
            continue;
        }
        if len < 4 || data.len() < len {
            bail!("a truncated pkt-line");
        }
        out.push(Some(data[4..len].to_vec()));
        data = &data[len..];
        if out.len() > 100_000 {
            bail!("too many refs");
        }
    }
}

/// Parses a tree object.
pub fn parse_tree(data: &[u8]) -> anyhow::Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .context("a tree entry without a mode")?;
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .context("a tree entry without a name")?;
        if nul < sp || rest.len() < nul + 21 {
            bail!("a malformed tree entry");
        }
        out.push(Entry {
            mode: String::from_utf8_lossy(&rest[..sp]).into_owned(),
            name: String::from_utf8_lossy(&rest[sp + 1..nul]).into_owned(),
            oid: hex(&rest[nul + 1..nul + 21]),
        });
        rest = &rest[nul + 21..];
    }
    Ok(out)
}

/// Serialises a tree object (entries in the order given, which must be git's).
pub fn write_tree(entries: &[Entry]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(format!("{} {}\0", e.mode, e.name).as_bytes());
        out.extend_from_slice(&unhex(&e.oid)?);
    }
    Ok(out)
}

/// Reads one zlib stream from the front of `data`: the inflated bytes and how many input
/// bytes it took.
fn inflate(data: &[u8], expected: usize) -> anyhow::Result<(Vec<u8>, usize)> {
    let mut z = flate2::Decompress::new(true);
    let mut out = Vec::with_capacity(expected);
    loop {
        let before = z.total_in() as usize;
        let status = z
            .decompress_vec(&data[before..], &mut out, flate2::FlushDecompress::None)
            .context("a corrupt object in the pack")?;
        if status == flate2::Status::StreamEnd {
            return Ok((out, z.total_in() as usize));
        }
        if out.len() == out.capacity() {
            if out.len() > MAX_PACK {
                bail!("an object too large");
            }
            out.reserve(expected.max(1024));
        } else if z.total_in() as usize == before {
            bail!("a truncated object in the pack");
        }
    }
}

/// Applies a git delta to `base`.
fn apply_delta(base: &[u8], delta: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut i = 0;
    let varint = |i: &mut usize| -> anyhow::Result<usize> {
        let (mut v, mut shift) = (0usize, 0);
        loop {
            let b = *delta.get(*i).context("a truncated delta")?;
            *i += 1;
            v |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 || shift > 56 {
                return Ok(v);
            }
        }
    };
    let base_len = varint(&mut i)?;
    let out_len = varint(&mut i)?;
    if base_len != base.len() || out_len > MAX_PACK {
        bail!("a delta against the wrong base");
    }
    let mut out = Vec::with_capacity(out_len);
    while i < delta.len() {
        let op = delta[i];
        i += 1;
        if op & 0x80 != 0 {
            let mut read = |bits: std::ops::Range<u8>| -> anyhow::Result<usize> {
                let mut v = 0usize;
                for (n, bit) in bits.enumerate() {
                    if op & (1 << bit) != 0 {
                        v |= (*delta.get(i).context("a truncated delta")? as usize) << (8 * n);
                        i += 1;
                    }
                }
                Ok(v)
            };
            let offset = read(0..4)?;
            let mut size = read(4..7)?;
            if size == 0 {
                size = 0x10000;
            }
            out.extend_from_slice(
                base.get(offset..offset + size)
                    .context("a delta copies past its base")?,
            );
        } else if op != 0 {
            let n = op as usize;
            out.extend_from_slice(delta.get(i..i + n).context("a truncated delta")?);
            i += n;
        } else {
            bail!("a delta with a reserved instruction");
        }
    }
    if out.len() != out_len {
        bail!("a delta of the wrong length");
    }
    Ok(out)
}

const KINDS: [&str; 5] = ["", "commit", "tree", "blob", "tag"];

/// Reads a pack: every object, deltas resolved.
pub fn read_pack(pack: &[u8]) -> anyhow::Result<HashMap<Oid, Object>> {
    if pack.len() < 12 || &pack[..4] != b"PACK" {
        bail!("the server sent no pack");
    }
    let count = u32::from_be_bytes([pack[8], pack[9], pack[10], pack[11]]);
    if count > MAX_OBJECTS {
        bail!("a pack of {count} objects is too large");
    }
    let mut by_offset: HashMap<usize, Object> = HashMap::new();
    let mut objects: HashMap<Oid, Object> = HashMap::new();
    let mut pos = 12;
    for _ in 0..count {
        let start = pos;
        let mut b = *pack.get(pos).context("a truncated pack")?;
        pos += 1;
        let kind = (b >> 4) & 7;
        let mut size = (b & 0x0f) as usize;
        let mut shift = 4;
        while b & 0x80 != 0 {
            b = *pack.get(pos).context("a truncated pack")?;
            pos += 1;
            size |= ((b & 0x7f) as usize) << shift;
            shift += 7;
        }
        let base = match kind {
            6 => {
                let mut b = *pack.get(pos).context("a truncated pack")?;
                pos += 1;
                let mut off = (b & 0x7f) as usize;
                while b & 0x80 != 0 {
                    b = *pack.get(pos).context("a truncated pack")?;
                    pos += 1;
                    off = ((off + 1) << 7) | (b & 0x7f) as usize;
                }
                let at = start.checked_sub(off).context("a delta before the pack")?;
                Some(
                    by_offset
                        .get(&at)
                        .cloned()
                        .context("a delta whose base is missing")?,
                )
            }
            7 => {
                let id = hex(pack.get(pos..pos + 20).context("a truncated pack")?);
                pos += 20;
                Some(
                    objects
                        .get(&id)
                        .cloned()
                        .context("a delta whose base is missing")?,
                )
            }
            1..=4 => None,
            _ => bail!("an unknown object type {kind} in the pack"),
        };
        let (data, used) = inflate(&pack[pos..], size)?;
        pos += used;
        let object = match base {
            Some(base) => Object {
                kind: base.kind,
                data: apply_delta(&base.data, &data)?,
            },
            None => Object {
                kind: KINDS[kind as usize],
                data,
            },
        };
        objects.insert(oid(object.kind, &object.data), object.clone());
        by_offset.insert(start, object);
    }
    Ok(objects)
}

fn kind_code(kind: &str) -> u8 {
    KINDS.iter().position(|k| *k == kind).unwrap_or(3) as u8
}

/// Writes a pack of whole objects (no deltas).
pub fn write_pack(objects: &[Object]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let mut out = b"PACK".to_vec();
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&(objects.len() as u32).to_be_bytes());
    for o in objects {
        let mut size = o.data.len();
        let mut b = (kind_code(o.kind) << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            out.push(b | 0x80);
            b = (size & 0x7f) as u8;
            size >>= 7;
        }
        out.push(b);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&o.data)?;
        out.extend_from_slice(&z.finish()?);
    }
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &out);
    out.extend_from_slice(digest.as_ref());
    Ok(out)
}

impl Remote {
    /// A remote at `url` (`http://` or `https://`, the repository's URL).
    pub fn new(url: &str, auth: Auth) -> anyhow::Result<Remote> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Remote {
            url: url.trim_end_matches('/').to_string(),
            auth,
            http,
        })
    }

    fn authed(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::None => r,
            Auth::Basic(u, p) => r.basic_auth(u, Some(p)),
            Auth::Bearer(t) => r.bearer_auth(t),
        }
    }

    async fn body(res: reqwest::Response, what: &str) -> anyhow::Result<Vec<u8>> {
        let status = res.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            bail!("the git server refused the source's credentials for {what} (HTTP {status})");
        }
        if !status.is_success() {
            bail!("the git server answered {what} with HTTP {status}");
        }
        let mut res = res;
        let mut out = Vec::new();
        while let Some(chunk) = res.chunk().await? {
            out.extend_from_slice(&chunk);
            if out.len() > MAX_PACK {
                bail!("the git server sent more than {} MiB", MAX_PACK >> 20);
            }
        }
        Ok(out)
    }

    /// The refs a service (`git-upload-pack` to read, `git-receive-pack` to push) offers; for
    /// `git-receive-pack` this is also the check that the credentials may push.
    pub async fn refs(&self, service: &str) -> anyhow::Result<HashMap<String, Oid>> {
        let url = format!("{}/info/refs?service={service}", self.url);
        let what = if service == "git-receive-pack" {
            "a push"
        } else {
            "a read"
        };
        let data = Self::body(self.authed(self.http.get(url)).send().await?, what).await?;
        let lines = pkt_lines(&data)?;
        let mut refs = HashMap::new();
        for line in lines.into_iter().flatten() {
            let line = String::from_utf8_lossy(&line);
            if line.starts_with('#') {
                continue;
            }
            let line = line.split('\0').next().unwrap_or_default().trim_end();
            if let Some((oid, name)) = line.split_once(' ') {
                refs.insert(name.to_string(), oid.to_string());
            }
        }
        Ok(refs)
    }

    /// Fetches `branch`'s head commit with its trees and files (depth 1).
    pub async fn fetch(&self, branch: &str) -> anyhow::Result<Snapshot> {
        let refs = self.refs("git-upload-pack").await?;
        let name = format!("refs/heads/{branch}");
        let head = refs
            .get(&name)
            .cloned()
            .ok_or_else(|| anyhow!("the repository has no branch {branch:?}"))?;
        let mut body = pkt(&format!("want {head} ofs-delta no-progress\n"));
        body.extend(pkt("deepen 1\n"));
        body.extend(b"0000");
        body.extend(pkt("done\n"));
        let res = self
            .authed(self.http.post(format!("{}/git-upload-pack", self.url)))
            .header("content-type", "application/x-git-upload-pack-request")
            .body(body)
            .send()
            .await?;
        let data = Self::body(res, "a read").await?;
        // shallow lines, a flush, then NAK, then the pack.
        let start = data
            .windows(4)
            .position(|w| w == b"PACK")
            .ok_or_else(|| anyhow!("the git server sent no pack"))?;
        let objects = read_pack(&data[start..])?;
        if !objects.contains_key(&head) {
            bail!("the git server's pack lacks the head commit");
        }
        Ok(Snapshot { head, objects })
    }

    /// Pushes `objects` and moves `branch` from `old` to `new`; refused (nothing changes)
    /// when the branch has moved since `old`.
    pub async fn push(&self, branch: &str, old: &str, new: &str, objects: &[Object]) -> anyhow::Result<()> {
        let mut body = pkt(&format!("{old} {new} refs/heads/{branch}\0report-status\n"));
        body.extend(b"0000");
        body.extend(write_pack(objects)?);
        let res = self
            .authed(self.http.post(format!("{}/git-receive-pack", self.url)))
            .header("content-type", "application/x-git-receive-pack-request")
            .body(body)
            .send()
            .await?;
        let data = Self::body(res, "a push").await?;
        let lines = pkt_lines(&data)?;
        let lines: Vec<String> = lines
            .into_iter()
            .flatten()
            .map(|l| String::from_utf8_lossy(&l).trim_end().to_string())
            .collect();
        if !lines.iter().any(|l| l == "unpack ok") {
            bail!(
                "the git server did not take the pushed objects: {}",
                lines.join("; ")
            );
        }
        if let Some(ng) = lines.iter().find(|l| l.starts_with("ng ")) {
            bail!("the git server refused the push: {ng}");
        }
        Ok(())
    }
}

impl Snapshot {
    /// An object of the snapshot.
    pub fn object(&self, id: &str) -> anyhow::Result<&Object> {
        self.objects
            .get(id)
            .ok_or_else(|| anyhow!("object {id} was not fetched"))
    }

    /// The head commit's tree.
    pub fn root(&self) -> anyhow::Result<Oid> {
        let commit = self.object(&self.head)?;
        let text = String::from_utf8_lossy(&commit.data);
        text.lines()
            .next()
            .and_then(|l| l.strip_prefix("tree "))
            .map(str::to_string)
            .ok_or_else(|| anyhow!("the head commit names no tree"))
    }

    /// Every file under `dir` (`""`: all), as (path, blob id), depth-first in tree order.
    pub fn files(&self, dir: &str) -> anyhow::Result<Vec<(String, Oid)>> {
        let mut tree = self.root()?;
        let mut prefix = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty() && *p != ".") {
            let entries = parse_tree(&self.object(&tree)?.data)?;
            let e = entries
                .iter()
                .find(|e| e.name == part && e.mode == "40000")
                .ok_or_else(|| anyhow!("the source has no directory {dir:?}"))?;
            tree = e.oid.clone();
            prefix = format!("{prefix}{part}/");
        }
        let mut out = Vec::new();
        let mut stack = vec![(prefix, tree)];
        while let Some((p, t)) = stack.pop() {
            for e in parse_tree(&self.object(&t)?.data)?.into_iter().rev() {
                if e.mode == "40000" {
                    stack.push((format!("{p}{}/", e.name), e.oid));
                } else if e.mode.starts_with("100") {
                    out.push((format!("{p}{}", e.name), e.oid));
                }
            }
            if out.len() > 10_000 {
                bail!("too many files under {dir:?}");
            }
        }
        out.sort();
        Ok(out)
    }

    /// A file's content.
    pub fn read(&self, blob: &str) -> anyhow::Result<Vec<u8>> {
        Ok(self.object(blob)?.data.clone())
    }

    /// A commit on the head that replaces `changes` (path → new content): the new objects
    /// (blobs, trees, the commit) and the commit's id.
    pub fn commit(
        &self,
        changes: &[(String, Vec<u8>)],
        author: (&str, &str),
        message: &str,
        when: i64,
    ) -> anyhow::Result<(Oid, Vec<Object>)> {
        let mut new = Vec::new();
        let root = self.root()?;
        let tree = self.rewrite(&root, "", changes, &mut new)?;
        let sig = format!("{} <{}> {when} +0000", author.0, author.1);
        let commit = format!(
            "tree {tree}\nparent {}\nauthor {sig}\ncommitter {sig}\n\n{message}\n",
            self.head
        )
        .into_bytes();
        let id = oid("commit", &commit);
        new.push(Object {
            kind: "commit",
            data: commit,
        });
        Ok((id, new))
    }

    fn rewrite(
        &self,
        tree: &str,
        prefix: &str,
        changes: &[(String, Vec<u8>)],
        new: &mut Vec<Object>,
    ) -> anyhow::Result<Oid> {
        let mut entries = parse_tree(&self.object(tree)?.data)?;
        for e in &mut entries {
            let path = format!("{prefix}{}", e.name);
            if e.mode == "40000" {
                let sub = format!("{path}/");
                if changes.iter().any(|(p, _)| p.starts_with(&sub)) {
                    e.oid = self.rewrite(&e.oid.clone(), &sub, changes, new)?;
                }
            } else if let Some((_, content)) = changes.iter().find(|(p, _)| *p == path) {
                e.oid = oid("blob", content);
                new.push(Object {
                    kind: "blob",
                    data: content.clone(),
                });
            }
        }
        let data = write_tree(&entries)?;
        let id = oid("tree", &data);
        new.push(Object { kind: "tree", data });
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_named_as_git_names_them() {
        // `git hash-object` of "hello\n" and of the empty tree.
        assert_eq!(
            oid("blob", b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(oid("tree", b""), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    }

    #[test]
    fn a_written_pack_reads_back() {
        let objects = vec![
            Object {
                kind: "blob",
                data: b"a: 1\n".to_vec(),
            },
            Object {
                kind: "blob",
                data: vec![b'x'; 5000],
            },
        ];
        let pack = write_pack(&objects).expect("pack");
        let read = read_pack(&pack).expect("read");
        for o in &objects {
            assert_eq!(read[&oid(o.kind, &o.data)].data, o.data);
        }
    }

    #[test]
    fn deltas_copy_and_insert() {
        let base = b"0123456789".to_vec();
        // base 10, result 7: copy offset 2 size 3, insert "abcd".
        let delta = [10u8, 7, 0x80 | 0x01 | 0x10, 2, 3, 4, b'a', b'b', b'c', b'd'];
        assert_eq!(apply_delta(&base, &delta).expect("delta"), b"234abcd");
        assert!(apply_delta(b"short", &delta).is_err());
    }

    #[test]
    fn trees_round_trip() {
        let entries = vec![
            Entry {
                mode: "100644".into(),
                name: "a.yaml".into(),
                oid: oid("blob", b"a"),
            },
            Entry {
                mode: "40000".into(),
                name: "dir".into(),
                oid: oid("tree", b""),
            },
        ];
        assert_eq!(
            parse_tree(&write_tree(&entries).expect("tree")).expect("parse"),
            entries
        );
    }
}
