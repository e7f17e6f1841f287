"""Schemathesis hooks for scripts/fuzz-api (loaded through SCHEMATHESIS_HOOKS).

- Valid objects now and then (map_case): the API's schema says only `metadata: object` and
  `spec: object`, so generated bodies essentially never pass validation and nothing gets
  created, leaving the update, action and delete paths on real objects (and the tenant check)
  untested. Two thirds of the positive create/update bodies of the fuzzing and stateful
  phases are turned into a minimal valid object of the path's kind on the host, named
  fuzz-a/b/c (the names the other operations draw too, see fuzz.py config). The choice is a
  hash of the generated case, so a seed still gives the same run. Negative and coverage cases
  are left alone.
- `?wait=N` (actions) legitimately blocks up to 120 s when no controller handles the object
  (the members run no Flux controllers), so values above 2 are sent as 2.
- KSFLUX_FUZZ_CONTAIN_NAMESPACE (set for the admin run only): every writing request (POST,
  PUT, PATCH, DELETE) that names a namespace is sent to that scratch namespace instead, so
  an admin cannot change or delete the testbed's own objects whatever names the fuzzer draws
  or learns from responses. Reads go wherever the fuzzer points them.
"""

import copy
import hashlib
import json
import os
import re

import schemathesis

MAX_WAIT = 2
CONTAIN_NAMESPACE = os.environ.get("KSFLUX_FUZZ_CONTAIN_NAMESPACE") or None
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
NAMES = ["fuzz-a", "fuzz-b", "fuzz-c"]
# Nothing listens on port 9: sources fail to fetch, which is all the fuzzing needs.
NOWHERE = "127.0.0.1:9"
GIT = {"kind": "GitRepository", "name": "fuzz-a"}
HELM = {"kind": "HelmRepository", "name": "fuzz-b"}
# A minimal valid spec per kind (Flux v2.9 APIs and ksflux's Application).
SPECS = {
    "gitrepositories": {
        "url": f"http://{NOWHERE}/fuzz.git",
        "interval": "10m",
        "ref": {"branch": "main"},
    },
    "helmrepositories": {"url": f"http://{NOWHERE}/charts", "interval": "10m"},
    "helmcharts": {"chart": "demo-app", "sourceRef": HELM, "interval": "10m"},
    "buckets": {"bucketName": "demo", "endpoint": NOWHERE, "interval": "10m", "insecure": True},
    "ocirepositories": {
        "url": f"oci://{NOWHERE}/fuzz",
        "interval": "10m",
        "ref": {"tag": "1.0.0"},
        "insecure": True,
    },
    "kustomizations": {"sourceRef": GIT, "path": "./", "interval": "10m", "prune": False},
    "helmreleases": {
        "chart": {"spec": {"chart": "demo-app", "sourceRef": HELM}},
        "interval": "10m",
    },
    "providers": {"type": "generic", "address": f"http://{NOWHERE}/hook"},
    "alerts": {
        "providerRef": {"name": "fuzz-a"},
        "eventSources": [{"kind": "GitRepository", "name": "*"}],
    },
    "receivers": {"type": "generic", "resources": [GIT], "secretRef": {"name": "fuzz-token"}},
    "imagerepositories": {"image": f"{NOWHERE}/demo/app", "interval": "10m", "insecure": True},
    "imagepolicies": {
        "imageRepositoryRef": {"name": "fuzz-a"},
        "policy": {"semver": {"range": ">=1.0.0"}},
    },
    "imageupdateautomations": {
        "sourceRef": GIT,
        "interval": "10m",
        "git": {"commit": {"author": {"name": "fuzz", "email": "fuzz@example.com"}}},
        "update": {"strategy": "Setters", "path": "./"},
    },
    # targets are filled in with the request's namespace on every cluster (see below)
    "applications": {"source": GIT, "kustomize": {"path": "./"}, "interval": "10m"},
}
SOURCES = {"gitrepositories", "helmrepositories", "ocirepositories", "buckets"}
CLUSTERS = ["host", "member-1", "member-2"]


def _digest(case):
    """A stable number from what was generated (the same seed gives the same number)."""
    text = json.dumps([case.path_parameters, case.query, case.body], sort_keys=True, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or str(meta.phase.name) not in ("fuzzing", "stateful"):
        return case
    if str(meta.generation.mode) != "positive":
        return case
    params = case.path_parameters or {}
    kind = params.get("resource")
    create = case.method.upper() == "POST" and case.path.endswith("/{namespace}/{resource}")
    update = case.method.upper() == "PUT" and case.path.endswith("/{namespace}/{resource}/{name}")
    if kind not in SPECS or not (create or update):
        return case
    h = _digest(case)
    if h % 3 == 0 or not isinstance(case.body, dict):
        return case
    body = case.body
    old = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    name = params.get("name") if update else NAMES[(h // 3) % len(NAMES)]
    body["metadata"] = {"name": name}
    if "resourceVersion" in old:
        body["metadata"]["resourceVersion"] = old["resourceVersion"]
    spec = copy.deepcopy(SPECS[kind])
    if kind == "applications":
        # the admin run's writes all land in its scratch namespace (before_call)
        ns = CONTAIN_NAMESPACE or params.get("namespace", "")
        spec["targets"] = [{"cluster": c, "namespace": ns} for c in CLUSTERS[: 1 + (h // 9) % 3]]
    body["spec"] = spec
    # Flux runs on the host only (hub mode): the members serve no Flux kinds.
    if isinstance(case.query, dict):
        case.query["cluster"] = "host"
    for key in ("apiVersion", "kind", "tls"):
        body.pop(key, None)
    # sources: half without credentials, half with basic auth (stored in a Secret of their own)
    if kind in SOURCES and (h // 27) % 2:
        body["credentials"] = {"type": "basic", "username": "fuzz", "password": "fuzz-password"}
    else:
        body.pop("credentials", None)
    return case


def _as_int(value):
    """The integer a query value stands for, or None (lists, text, booleans, ...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch("[0-9]{1,30}", value):
        return int(value)
    return None


@schemathesis.hook
def before_call(context, case, kwargs):
    query = case.query
    if isinstance(query, dict) and "wait" in query:
        wait = _as_int(query["wait"])
        # Only numbers the server would parse (u64) and then wait for; the rest stay as they
        # are to exercise the server's input checks.
        if wait is not None and MAX_WAIT < wait < 2**64:
            query["wait"] = MAX_WAIT
    params = case.path_parameters
    if (
        CONTAIN_NAMESPACE
        and case.method.upper() in WRITES
        and isinstance(params, dict)
        and "namespace" in params
    ):
        params["namespace"] = CONTAIN_NAMESPACE
