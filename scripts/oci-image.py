#!/usr/bin/env python3
"""Assembles ksflux's OCI image from a static binary and the console's built files, and
pushes it to a registry over the OCI distribution API. Standard library only.

  oci-image.py build --binary B --console DIR --out LAYOUT --version V --revision R
                     --created EPOCH --source URL [--tag T] [--ca-bundle FILE]
  oci-image.py push --layout LAYOUT --ref HOST/REPO:TAG [--user U] [--password P] [--plain-http]

`build` writes an OCI image layout (oci-layout, index.json, blobs/sha256/...). Everything in it
is a function of its inputs: tar entries sorted, every mtime the commit time, owners 0:0
(except the nonroot user's home), modes normalized, gzip without name or timestamp, JSON with
sorted keys. `push` uploads the blobs the registry lacks and puts the manifest by tag; basic
auth is sent up front, and a Bearer challenge is answered from the realm it names.
"""

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
INDEX = "application/vnd.oci.image.index.v1+json"

UID = 65532
ENTRYPOINT = ["/ksflux"]
# The chart's Deployment gives its own arguments; these are for `docker run`.
CMD = ["serve", "--listen=0.0.0.0:9480", "--console-dir=/console"]
WORKDIR = "/home/nonroot"
ENV = ["PATH=/usr/local/bin:/usr/bin:/bin"]

PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
GROUP = "root:x:0:\nnonroot:x:65532:\n"


def die(msg):
    print(f"oci-image: {msg}", file=sys.stderr)
    sys.exit(1)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check_static(path):
    """Refuses a binary that is not a static x86-64 ELF (one with a PT_INTERP needs a loader)."""
    with open(path, "rb") as f:
        data = f.read(1 << 16)
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        die(f"{path} is not a 64-bit little-endian ELF file")
    (machine,) = struct.unpack_from("<H", data, 18)
    if machine != 62:
        die(f"{path} is not an x86-64 binary (e_machine {machine})")
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + 4 > len(data):
            die(f"{path}: program headers beyond the first 64 KiB")
        (ptype,) = struct.unpack_from("<I", data, off)
        if ptype == 3:  # PT_INTERP
            die(f"{path} is dynamically linked (it names an interpreter); build it static (musl, or glibc with crt-static)")


class Layer:
    """A reproducible tar layer: entries added in any order, written sorted."""

    def __init__(self, epoch):
        self.epoch = epoch
        self.entries = {}  # name -> (TarInfo, bytes or None)

    def _info(self, name, kind, mode, size=0, owner=0):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.mode = mode
        ti.size = size
        ti.mtime = self.epoch
        ti.uid = ti.gid = owner
        ti.uname = ti.gname = "nonroot" if owner else "root"
        return ti

    def dir(self, name, mode=0o755, owner=0):
        name = name.strip("/")
        parent = os.path.dirname(name)
        if parent and parent not in self.entries:
            self.dir(parent)
        if name not in self.entries:
            self.entries[name] = (self._info(name, tarfile.DIRTYPE, mode, owner=owner), None)

    def file(self, name, data, mode=0o644):
        name = name.strip("/")
        parent = os.path.dirname(name)
        if parent:
            self.dir(parent)
        self.entries[name] = (self._info(name, tarfile.REGTYPE, mode, len(data)), data)

    def tree(self, prefix, src):
        """Adds the regular files and directories below src under prefix; modes normalized
        (0755 for directories and executables, 0644 otherwise); symlinks refused."""
        self.dir(prefix)
        for dirpath, dirnames, filenames in os.walk(src):
            rel = os.path.relpath(dirpath, src)
            base = prefix if rel == "." else f"{prefix}/{rel}"
            for d in dirnames:
                if os.path.islink(os.path.join(dirpath, d)):
                    die(f"symlink in {src}: {d}")
                self.dir(f"{base}/{d}")
            for fname in filenames:
                path = os.path.join(dirpath, fname)
                if os.path.islink(path) or not os.path.isfile(path):
                    die(f"not a regular file in {src}: {path}")
                with open(path, "rb") as f:
                    data = f.read()
                mode = 0o755 if os.stat(path).st_mode & 0o111 else 0o644
                self.file(f"{base}/{fname}", data, mode)

    def blobs(self):
        """(uncompressed tar, gzip) bytes."""
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(self.entries):
                ti, data = self.entries[name]
                tar.addfile(ti, io.BytesIO(data) if data is not None else None)
        tar_bytes = raw.getvalue()
        gz = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0, compresslevel=9) as g:
            g.write(tar_bytes)
        return tar_bytes, gz.getvalue()


def build(a):
    check_static(a.binary)
    index_html = os.path.join(a.console, "index.html")
    if not os.path.isfile(index_html):
        die(f"{a.console} has no index.html: build the console first")
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(a.created))

    base = Layer(a.created)
    base.file("etc/passwd", PASSWD.encode())
    base.file("etc/group", GROUP.encode())
    if a.ca_bundle:
        with open(a.ca_bundle, "rb") as f:
            base.file("etc/ssl/certs/ca-certificates.crt", f.read())
    base.dir("home/nonroot", 0o700, owner=UID)
    base.dir("tmp", 0o1777)

    console = Layer(a.created)
    console.tree("console", a.console)

    binary = Layer(a.created)
    with open(a.binary, "rb") as f:
        binary.file("ksflux", f.read(), 0o755)

    layers = [
        (base, "rootfs: /etc/passwd and /etc/group (nonroot 65532), /home/nonroot, /tmp"
         + (", CA certificates" if a.ca_bundle else "")),
        (console, "the console's built files in /console"),
        (binary, f"the static ksflux binary ({a.target}) as /ksflux"),
    ]
    blobs = {}
    descriptors, diff_ids, history = [], [], []
    for layer, what in layers:
        tar_bytes, gz = layer.blobs()
        digest = sha256(gz)
        blobs[digest] = gz
        descriptors.append({"mediaType": LAYER, "digest": digest, "size": len(gz)})
        diff_ids.append(sha256(tar_bytes))
        history.append({"created": created, "created_by": "scripts/image", "comment": what})

    labels = {
        "org.opencontainers.image.title": "ksflux",
        "org.opencontainers.image.description": "FluxCD for KubeSphere: a multi-cluster Flux API and console",
        "org.opencontainers.image.source": a.source,
        "org.opencontainers.image.version": a.version,
        "org.opencontainers.image.revision": a.revision,
        "org.opencontainers.image.licenses": a.licenses,
        "org.opencontainers.image.created": created,
    }
    config = {
        "created": created,
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": f"{UID}:{UID}",
            "Entrypoint": ENTRYPOINT,
            "Cmd": CMD,
            "WorkingDir": WORKDIR,
            "Env": ENV,
            "ExposedPorts": {"9480/tcp": {}},
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    config_bytes = canonical(config)
    config_digest = sha256(config_bytes)
    blobs[config_digest] = config_bytes
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config_bytes)},
        "layers": descriptors,
        "annotations": labels,
    }
    manifest_bytes = canonical(manifest)
    manifest_digest = sha256(manifest_bytes)
    blobs[manifest_digest] = manifest_bytes

    blob_dir = os.path.join(a.out, "blobs", "sha256")
    os.makedirs(blob_dir, exist_ok=True)
    for digest, data in blobs.items():
        path = os.path.join(blob_dir, digest.split(":", 1)[1])
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(path + ".tmp", path)
    with open(os.path.join(a.out, "oci-layout"), "wb") as f:
        f.write(canonical({"imageLayoutVersion": "1.0.0"}))
    index = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [{
            "mediaType": MANIFEST,
            "digest": manifest_digest,
            "size": len(manifest_bytes),
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"org.opencontainers.image.ref.name": a.tag},
        }],
    }
    with open(os.path.join(a.out, "index.json"), "wb") as f:
        f.write(canonical(index))
    size = sum(d["size"] for d in descriptors) + len(config_bytes) + len(manifest_bytes)
    print(f"image: {manifest_digest} ({size} bytes compressed, {len(descriptors)} layers) in {a.out}")


class Registry:
    """A client of the OCI distribution API: basic auth up front, Bearer tokens on demand."""

    def __init__(self, host, repo, user, password, plain_http):
        self.base = f"{'http' if plain_http else 'https'}://{host}"
        self.repo = repo
        self.basic = None
        if user or password:
            self.basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.auth = self.basic

    def _token(self, challenge):
        params = {}
        for part in challenge[len("Bearer "):].split(","):
            k, _, v = part.strip().partition("=")
            params[k] = v.strip('"')
        realm = params.pop("realm", None)
        if not realm:
            die(f"bad challenge from the registry: {challenge}")
        params.setdefault("scope", f"repository:{self.repo}:pull,push")
        req = urllib.request.Request(realm + "?" + urllib.parse.urlencode(params))
        if self.basic:
            req.add_header("Authorization", self.basic)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            die(f"the registry's token service {realm} refused: HTTP {e.code} (check --user/--password)")
        except urllib.error.URLError as e:
            die(f"cannot reach the registry's token service {realm}: {e.reason}")
        token = body.get("token") or body.get("access_token")
        if not token:
            die("the registry's token service gave no token")
        return "Bearer " + token

    def request(self, method, url, data=None, headers=None, retry=True):
        if not url.startswith("http"):
            url = self.base + url
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        if self.auth:
            req.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            challenge = e.headers.get("WWW-Authenticate", "")
            if e.code == 401 and retry and challenge.lower().startswith("bearer "):
                self.auth = self._token(challenge)
                return self.request(method, url, data, headers, retry=False)
            return e.code, dict(e.headers), e.read()
        except urllib.error.URLError as e:
            die(f"cannot reach {url}: {e.reason}")

    def push_blob(self, digest, data):
        status, _, _ = self.request("HEAD", f"/v2/{self.repo}/blobs/{digest}")
        if status == 200:
            return False
        status, headers, body = self.request("POST", f"/v2/{self.repo}/blobs/uploads/", b"")
        if status != 202 or "Location" not in headers:
            die(f"starting an upload of {digest}: HTTP {status} {body[:300]!r}")
        location = urllib.parse.urljoin(self.base + "/", headers["Location"])
        sep = "&" if "?" in location else "?"
        status, _, body = self.request(
            "PUT", f"{location}{sep}digest={urllib.parse.quote(digest)}", data,
            {"Content-Type": "application/octet-stream"})
        if status != 201:
            die(f"uploading {digest}: HTTP {status} {body[:300]!r}")
        return True


def parse_ref(ref):
    if "/" not in ref:
        die(f"{ref}: give HOST/REPOSITORY:TAG")
    host, rest = ref.split("/", 1)
    name, sep, tag = rest.rpartition(":")
    if not sep or "/" in tag:
        die(f"{ref}: no tag")
    return host, name, tag


def push(a):
    host, repo, tag = parse_ref(a.ref)
    with open(os.path.join(a.layout, "index.json"), "rb") as f:
        desc = json.load(f)["manifests"][0]

    def blob(digest):
        with open(os.path.join(a.layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
            return f.read()

    manifest_bytes = blob(desc["digest"])
    manifest = json.loads(manifest_bytes)
    reg = Registry(host, repo, a.user, a.password, a.plain_http)
    status, _, body = reg.request("GET", "/v2/")
    if status == 401:
        die(f"{reg.base} refused the credentials (check --user/--password)")
    if status != 200:
        die(f"{reg.base}/v2/ is not an OCI registry (HTTP {status} {body[:200]!r})")
    uploaded = 0
    for d in manifest["layers"] + [manifest["config"]]:
        if reg.push_blob(d["digest"], blob(d["digest"])):
            uploaded += 1
    status, headers, body = reg.request(
        "PUT", f"/v2/{repo}/manifests/{tag}", manifest_bytes, {"Content-Type": MANIFEST})
    if status != 201:
        die(f"putting the manifest: HTTP {status} {body[:300]!r}")
    served = headers.get("Docker-Content-Digest")
    if served and served != desc["digest"]:
        die(f"the registry says the manifest is {served}, not {desc['digest']}")
    print(f"pushed: {host}/{repo}:{tag}@{desc['digest']} ({uploaded} blobs uploaded)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--binary", required=True)
    b.add_argument("--console", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--version", required=True)
    b.add_argument("--revision", required=True)
    b.add_argument("--created", required=True, type=int, help="seconds since the epoch")
    b.add_argument("--source", required=True)
    b.add_argument("--licenses", default="Apache-2.0")
    b.add_argument("--tag", default="latest")
    b.add_argument("--target", default="x86_64-unknown-linux-musl", help="the binary's Rust target")
    b.add_argument("--ca-bundle", help="a PEM bundle to ship as /etc/ssl/certs/ca-certificates.crt")
    s = sub.add_parser("push")
    s.add_argument("--layout", required=True)
    s.add_argument("--ref", required=True)
    s.add_argument("--user", default=os.environ.get("KSFLUX_IMAGE_USER", ""))
    s.add_argument("--password", default=os.environ.get("KSFLUX_IMAGE_PASSWORD", ""))
    s.add_argument("--plain-http", action="store_true")
    a = p.parse_args()
    build(a) if a.command == "build" else push(a)


if __name__ == "__main__":
    main()
