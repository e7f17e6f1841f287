"""Creates N Applications (3 targets each) in a namespace of the testbed's host, with a
status as the controller would write it (ready on two targets, one progressing), straight
through the apiserver. Usage: seed.py <testbed.json> <namespace> <count>"""
import json
import ssl
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

tb = json.load(open(sys.argv[1]))
ns, count = sys.argv[2], int(sys.argv[3])
host = next(c for c in tb["clusters"] if c["name"] == "host")["server"]
ctx = ssl.create_default_context(cafile=tb["ca_file"])
token = tb["users"]["admin"]
base = f"{host}/apis/fluxcd.kubesphere.io/v1alpha1/namespaces/{ns}/applications"


def call(method, url, body, content_type="application/json"):
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, context=ctx) as r:
            return r.status
    except urllib.error.HTTPError as e:
        if e.code == 409:
            return 409
        raise


def seed(i):
    name = f"bench-{i:04d}"
    clusters = ["host", "member-1", "member-2"]
    call("POST", base, {
        "apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"source": {"kind": "HelmRepository", "name": "samples"},
                 "helm": {"chart": "demo-app", "version": "1.x", "values": {"replicaCount": 1}},
                 "targets": [{"cluster": c, "namespace": ns} for c in clusters]}})
    targets = [{"cluster": c, "namespace": ns, "objectRef": f"HelmRelease/{ns}/{name}-{c}",
                "ready": "Unknown" if (i % 7 == 0 and c == "member-2") else "True",
                "reason": "Progressing" if (i % 7 == 0 and c == "member-2") else "InstallSucceeded",
                "lastAppliedRevision": "1.0.0"} for c in clusters]
    ready = sum(t["ready"] == "True" for t in targets)
    status = {"status": {"observedGeneration": 1, "targets": targets,
                         "summary": {"ready": ready, "total": 3, "text": f"{ready}/3"},
                         "conditions": [{"type": "Ready", "status": "True" if ready == 3 else "False",
                                         "reason": "Ready" if ready == 3 else "Progressing",
                                         "message": f"{ready}/3 targets ready",
                                         "lastTransitionTime": "2026-11-23T00:00:00Z",
                                         "observedGeneration": 1}]}}
    call("PATCH", f"{base}/{name}/status", status, "application/merge-patch+json")


with ThreadPoolExecutor(8) as pool:
    list(pool.map(seed, range(count)))
print(f"seeded {count} applications in {ns}")
