//! What a delivery applied in its cluster, object by object: each object's health, whether it
//! drifted from what Flux applied, its live manifest and, where Flux keeps it, the manifest
//! Flux applied.
//!
//! A HelmRelease's objects and their applied manifests come from its Helm release record (the
//! `sh.helm.release.v1.<release>.v<version>` Secret), so its drift is every field whose live
//! value differs from that manifest. A Kustomization lists its objects in `status.inventory`
//! but Flux keeps no copy of what it applied, so its drift is read from each object's managed
//! fields: the fields someone other than Flux (and the cluster's own controllers) wrote after
//! Flux last applied. Flux puts those back at its next reconciliation.
//!
//! Everything is read in the target's cluster as the caller, so RBAC there decides; Secret
//! values are never returned.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use base64::Engine;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::GroupVersion;
use kube::discovery::{ApiCapabilities, Scope};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The most objects of one target listed (the rest are counted as truncated).
pub const MAX_OBJECTS: usize = 300;
/// The most drifted fields reported per object.
pub const MAX_DRIFT_FIELDS: usize = 50;
/// The largest Helm release record read, decompressed.
const MAX_RELEASE_BYTES: u64 = 16 << 20;
/// How many objects are read at once.
const CONCURRENT_READS: usize = 8;

/// The field managers of Flux's appliers.
const FLUX_MANAGERS: &[&str] = &["kustomize-controller", "helm-controller"];
/// The cluster's own controllers: their writes (a Deployment's revision annotation, an
/// autoscaler's replicas) are not drift.
const SYSTEM_MANAGERS: &[&str] = &[
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-apiserver",
];

/// An object's health, as a user would judge it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ObjectHealth {
    /// Exists and is ready (or has no readiness to report).
    Healthy,
    /// Being rolled out, pending, or not observed by its controller yet.
    Progressing,
    /// Failing: not ready, stalled, failed.
    Degraded,
    /// In the inventory but not in the cluster.
    Missing,
    /// Could not be read.
    Unknown,
}

/// One field that differs from what Flux applied.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftField {
    /// The field, e.g. `spec.replicas` or `spec.template.spec.containers[name=web].image`.
    pub path: String,
    /// Its live value (absent: removed; Secret values are never shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Value>,
    /// The value Flux applied, where Flux keeps it (Helm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<Value>,
    /// The field manager that wrote it (`kubectl-edit`, `kubectl`, ...), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When that manager wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// One object a delivery applied.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InventoryObject {
    /// Flux's object id, `<namespace>_<name>_<group>_<Kind>`.
    pub id: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    /// The object's name.
    pub name: String,
    /// Empty for the core group.
    pub group: String,
    /// The API version Flux applied.
    pub version: String,
    /// The kind.
    pub kind: String,
    /// Its health.
    pub health: ObjectHealth,
    /// Why it is not healthy, or why it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Whether it differs from what Flux applied (null when unknown: missing or unreadable).
    pub drifted: Option<bool>,
    /// The fields that differ (at most 50).
    pub drift: Vec<DriftField>,
}

/// The objects one target's delivery applied in its cluster.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// The cluster the objects are in.
    pub cluster: String,
    /// The target's namespace there.
    pub namespace: String,
    /// Where the list comes from: `inventory` (a Kustomization's status) or `helmRelease`
    /// (the Helm release's manifest).
    pub from: String,
    /// How drift is known: `manifest` (compared with what Flux applied) or `managedFields`
    /// (fields written by others since Flux applied).
    pub drift_from: String,
    /// The objects, sorted by namespace, kind and name.
    pub objects: Vec<InventoryObject>,
    /// How many objects were left out (beyond 300).
    pub truncated: usize,
    /// Why the list could not be read (not applied yet, no access, cluster down).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why what Flux applied could not be compared (drift then comes from managed fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

impl Inventory {
    /// An empty answer for a target in `cluster` (`namespace` there), with `error` saying why.
    pub fn empty(cluster: &str, namespace: &str, error: Option<String>) -> Self {
        Inventory {
            cluster: cluster.to_string(),
            namespace: namespace.to_string(),
            from: String::new(),
            drift_from: String::new(),
            objects: Vec::new(),
            truncated: 0,
            error,
            notice: None,
        }
    }
}

/// One object in full: live and, where Flux keeps it, as Flux applied it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectManifests {
    /// The object's health and drift.
    pub object: InventoryObject,
    /// The live object without its managed fields (Secret values hidden).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Value>,
    /// The manifest Flux applied (Helm; Secret values hidden).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<Value>,
}

/// An inventory id split into its parts (namespace, name, group, kind); None unless it has
/// four. Names may contain `_`; namespaces, groups and kinds never do.
pub fn parse_id(id: &str) -> Option<(String, String, String, String)> {
    let parts: Vec<&str> = id.split('_').collect();
    if parts.len() < 4 {
        return None;
    }
    let kind = parts[parts.len() - 1];
    let group = parts[parts.len() - 2];
    let name = parts[1..parts.len() - 2].join("_");
    if name.is_empty() || kind.is_empty() {
        return None;
    }
    Some((parts[0].to_string(), name, group.to_string(), kind.to_string()))
}

/// What the delivery says it applied: ids with versions, and the applied manifests by id.
struct Applied {
    from: &'static str,
    /// (id, version) in the order listed.
    entries: Vec<(String, String)>,
    desired: HashMap<String, Value>,
    /// Why the applied manifests are not compared, when they could not be read.
    notice: Option<String>,
}

/// The objects of Flux object `flux` (a Kustomization or HelmRelease, as JSON) in the cluster
/// `client` reaches (as the caller), `namespace` being the target's namespace there.
pub async fn read(client: &Client, cluster: &str, namespace: &str, flux: Option<&Value>) -> Inventory {
    let mut out = Inventory::empty(cluster, namespace, None);
    let resources = Discovered::new(client.clone());
    let applied = match applied(&resources, flux).await {
        Ok(a) => a,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    out.from = applied.from.to_string();
    out.drift_from = if applied.from == "helmRelease" {
        "manifest"
    } else {
        "managedFields"
    }
    .to_string();
    out.notice.clone_from(&applied.notice);
    out.truncated = applied.entries.len().saturating_sub(MAX_OBJECTS);
    let mut reads = Vec::new();
    for (id, version) in applied.entries.iter().take(MAX_OBJECTS) {
        reads.push(inspect(&resources, id, version, applied.desired.get(id)));
    }
    let mut objects: Vec<InventoryObject> = futures::stream::iter(reads)
        .buffer_unordered(CONCURRENT_READS)
        .map(|(object, _)| object)
        .collect()
        .await;
    objects.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    out.objects = objects;
    out
}

/// One object of Flux object `flux` by its inventory id, live and as applied.
pub async fn object(
    client: &Client,
    flux: Option<&Value>,
    id: &str,
) -> crate::error::Result<ObjectManifests> {
    let resources = Discovered::new(client.clone());
    let applied = applied(&resources, flux)
        .await
        .map_err(crate::error::Error::NotFound)?;
    let Some((_, version)) = applied.entries.iter().find(|(i, _)| i == id) else {
        return Err(crate::error::Error::NotFound(format!(
            "id: {id:?} is not one of the objects this target applied"
        )));
    };
    let desired = applied.desired.get(id);
    let (object, live) = inspect(&resources, id, version, desired).await;
    let hide = |mut v: Value| {
        strip(&mut v);
        v
    };
    Ok(ObjectManifests {
        live: live.map(hide),
        desired: desired.cloned().map(hide),
        object,
    })
}

/// The object ids (and manifests, for Helm) a Flux object applied, read through `resources`
/// (whose discovery the objects' reads then reuse). A HelmRelease's come from
/// its Helm release record; when that cannot be read, from its inventory (when its
/// helm-controller writes one), with the reason in `notice`.
async fn applied(resources: &Discovered, flux: Option<&Value>) -> Result<Applied, String> {
    let Some(flux) = flux else {
        return Err("the Flux object of this target is not created yet".into());
    };
    let inventory = flux
        .pointer("/status/inventory/entries")
        .and_then(Value::as_array)
        .map(|entries| Applied {
            from: "inventory",
            entries: entries
                .iter()
                .filter_map(|e| {
                    Some((
                        e["id"].as_str()?.to_string(),
                        e["v"].as_str().unwrap_or("v1").to_string(),
                    ))
                })
                .collect(),
            desired: HashMap::new(),
            notice: None,
        });
    if flux.get("kind").and_then(Value::as_str) == Some("HelmRelease") {
        return match helm_applied(resources, flux).await {
            Ok(a) => Ok(a),
            Err(e) => match inventory {
                Some(mut inv) => {
                    inv.notice = Some(format!("{e}; drift is read from managed fields instead"));
                    Ok(inv)
                }
                None => Err(e),
            },
        };
    }
    inventory.ok_or_else(|| "Flux has not reported what it applied yet".into())
}

/// The objects and manifests of a HelmRelease's current Helm release, from its record.
async fn helm_applied(resources: &Discovered, flux: &Value) -> Result<Applied, String> {
    let release = flux
        .pointer("/status/history/0")
        .ok_or("the Helm release is not installed yet")?;
    let (Some(name), Some(release_ns), Some(version)) = (
        release["name"].as_str(),
        release["namespace"].as_str(),
        release["version"].as_u64(),
    ) else {
        return Err("the HelmRelease's history names no release yet".into());
    };
    let storage = flux
        .pointer("/status/storageNamespace")
        .or_else(|| flux.pointer("/spec/storageNamespace"))
        .and_then(Value::as_str)
        .unwrap_or(release_ns);
    let secrets: Api<Secret> = Api::namespaced(resources.client.clone(), storage);
    let record = format!("sh.helm.release.v1.{name}.v{version}");
    let secret = secrets.get(&record).await.map_err(|e| match e {
        kube::Error::Api(s) if s.code == 403 => format!(
            "you may not read the Helm release record {record:?} in namespace {storage:?}, which holds what Flux applied"
        ),
        kube::Error::Api(s) if s.code == 404 => format!("the Helm release record {record:?} is gone"),
        other => format!("cannot read the Helm release record {record:?}: {other}"),
    })?;
    let data = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .ok_or_else(|| format!("the Helm release record {record:?} has no release"))?;
    let manifest =
        release_manifest(&data.0).map_err(|e| format!("the Helm release record {record:?}: {e}"))?;
    let mut entries = Vec::new();
    let mut desired = HashMap::new();
    for doc in manifest_objects(&manifest)? {
        let (Some(api_version), Some(kind), Some(name)) = (
            doc["apiVersion"].as_str(),
            doc["kind"].as_str(),
            doc.pointer("/metadata/name").and_then(Value::as_str),
        ) else {
            continue;
        };
        let (group, version) = split_api_version(api_version);
        let namespaced = match resources.find(&group, &version, kind).await {
            Ok((_, caps)) => caps.scope == Scope::Namespaced,
            Err(_) => true,
        };
        let ns = if namespaced {
            doc.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or(release_ns)
        } else {
            ""
        };
        let id = format!("{ns}_{name}_{group}_{kind}");
        if let std::collections::hash_map::Entry::Vacant(slot) = desired.entry(id.clone()) {
            entries.push((id, version));
            slot.insert(doc);
        }
    }
    Ok(Applied {
        from: "helmRelease",
        entries,
        desired,
        notice: None,
    })
}

/// The manifest of a Helm release record (the Secret's `release` value: base64 of gzip of
/// the release as JSON).
pub fn release_manifest(encoded: &[u8]) -> Result<String, String> {
    let text: Vec<u8> = encoded
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .map_err(|e| format!("not base64: {e}"))?;
    let json = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(MAX_RELEASE_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("not gzip: {e}"))?;
        if out.len() as u64 > MAX_RELEASE_BYTES {
            return Err(format!("larger than {MAX_RELEASE_BYTES} bytes"));
        }
        out
    } else {
        raw
    };
    let release: Value = serde_json::from_slice(&json).map_err(|e| format!("not a Helm release: {e}"))?;
    release["manifest"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "it has no manifest".into())
}

/// The objects of a multi-document YAML manifest (empty documents skipped).
pub fn manifest_objects(manifest: &str) -> Result<Vec<Value>, String> {
    use serde::Deserialize;
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(manifest) {
        let v = Value::deserialize(doc).map_err(|e| format!("the release manifest is not YAML: {e}"))?;
        if v.is_object() {
            out.push(v);
        }
    }
    Ok(out)
}

fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// The resources of one group version.
type Resources = Vec<(ApiResource, ApiCapabilities)>;

/// The cluster's resources by group version, discovered once per request.
struct Discovered {
    client: Client,
    groups: tokio::sync::Mutex<BTreeMap<String, Result<Resources, String>>>,
}

impl Discovered {
    fn new(client: Client) -> Self {
        Discovered {
            client,
            groups: tokio::sync::Mutex::new(BTreeMap::new()),
        }
    }

    async fn find(
        &self,
        group: &str,
        version: &str,
        kind: &str,
    ) -> Result<(ApiResource, ApiCapabilities), String> {
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        let mut groups = self.groups.lock().await;
        if !groups.contains_key(&gv) {
            let found = match gv.parse::<GroupVersion>() {
                Ok(parsed) => kube::discovery::pinned_group(&self.client, &parsed)
                    .await
                    .map(|g| g.versioned_resources(version))
                    .map_err(|e| format!("the cluster does not serve {gv}: {e}")),
                Err(e) => Err(format!("{gv}: {e}")),
            };
            groups.insert(gv.clone(), found);
        }
        match groups.get(&gv) {
            Some(Ok(resources)) => resources
                .iter()
                .find(|(r, _)| r.kind == kind)
                .cloned()
                .ok_or_else(|| format!("the cluster does not serve {kind} in {gv}")),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("{gv} was not discovered")),
        }
    }
}

/// Reads one object and judges its health and drift; the live object comes back too.
async fn inspect(
    resources: &Discovered,
    id: &str,
    version: &str,
    desired: Option<&Value>,
) -> (InventoryObject, Option<Value>) {
    let (namespace, name, group, kind) = parse_id(id).unwrap_or_default();
    let mut object = InventoryObject {
        id: id.to_string(),
        namespace: namespace.clone(),
        name: name.clone(),
        group: group.clone(),
        version: version.to_string(),
        kind: kind.clone(),
        health: ObjectHealth::Unknown,
        message: None,
        drifted: None,
        drift: Vec::new(),
    };
    if name.is_empty() {
        object.message = Some("Flux's id of this object is not readable".into());
        return (object, None);
    }
    let (resource, caps) = match resources.find(&group, version, &kind).await {
        Ok(found) => found,
        Err(e) => {
            object.message = Some(e);
            return (object, None);
        }
    };
    let api: Api<DynamicObject> = if caps.scope == Scope::Namespaced {
        Api::namespaced_with(resources.client.clone(), &namespace, &resource)
    } else {
        Api::all_with(resources.client.clone(), &resource)
    };
    let live = match api.get_opt(&name).await {
        Ok(Some(o)) => serde_json::to_value(o).unwrap_or(Value::Null),
        Ok(None) => {
            object.health = ObjectHealth::Missing;
            object.message =
                Some("not found in the cluster: Flux applies it again at its next reconciliation".into());
            return (object, None);
        }
        Err(kube::Error::Api(s)) if s.code == 403 => {
            object.message = Some(format!("you may not read this {kind} there"));
            return (object, None);
        }
        Err(e) => {
            object.message = Some(format!("cannot read it: {e}"));
            return (object, None);
        }
    };
    let (health, message) = health(&group, &kind, &live);
    object.health = health;
    object.message = message;
    let changed = changed_outside_flux(&live);
    let mut drift = match desired {
        Some(d) => {
            let mut fields = differences(d, &live);
            // Name who changed a field where the managed fields tell.
            for f in &mut fields {
                if let Some(c) = changed
                    .iter()
                    .find(|c| within(&f.path, &c.path) || within(&c.path, &f.path))
                {
                    f.by.clone_from(&c.by);
                    f.at.clone_from(&c.at);
                }
            }
            // Fields added outside Flux are not in the manifest; the managed fields tell them.
            let added: Vec<DriftField> = changed
                .into_iter()
                .filter(|c| {
                    !fields
                        .iter()
                        .any(|f| within(&c.path, &f.path) || within(&f.path, &c.path))
                })
                .collect();
            fields.extend(added);
            fields
        }
        None => changed,
    };
    if group.is_empty() && kind == "Secret" {
        for f in &mut drift {
            f.live = None;
            f.desired = None;
        }
    }
    drift.truncate(MAX_DRIFT_FIELDS);
    object.drifted = Some(!drift.is_empty());
    object.drift = drift;
    (object, Some(live))
}

/// Whether field path `path` is `parent` or inside it.
fn within(path: &str, parent: &str) -> bool {
    path == parent
        || path
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// Drops what a reader does not need (managed fields) and hides Secret values.
fn strip(v: &mut Value) {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    let secret = v["kind"] == "Secret" && v["apiVersion"] == "v1";
    if secret {
        for key in ["data", "stringData"] {
            if let Some(data) = v.get_mut(key).and_then(Value::as_object_mut) {
                for value in data.values_mut() {
                    *value = Value::String("(hidden)".into());
                }
            }
        }
    }
}

/// An object's health from its kind's rules: workloads by their rollout, Pods, Jobs and
/// claims by their phase or conditions, anything else by a `Ready` condition when it has one.
pub fn health(group: &str, kind: &str, live: &Value) -> (ObjectHealth, Option<String>) {
    use crate::workloads::WorkloadState;
    let workload = match (group, kind) {
        ("apps", "Deployment") => serde_json::from_value(live.clone())
            .ok()
            .map(|d| crate::workloads::deployment(&d)),
        ("apps", "StatefulSet") => serde_json::from_value(live.clone())
            .ok()
            .map(|s| crate::workloads::stateful_set(&s)),
        ("apps", "DaemonSet") => serde_json::from_value(live.clone())
            .ok()
            .map(|d| crate::workloads::daemon_set(&d)),
        _ => None,
    };
    if let Some(w) = workload {
        let h = match w.state {
            WorkloadState::Healthy => ObjectHealth::Healthy,
            WorkloadState::Progressing => ObjectHealth::Progressing,
            WorkloadState::Degraded => ObjectHealth::Degraded,
        };
        let message = (h != ObjectHealth::Healthy).then(|| {
            w.message
                .clone()
                .unwrap_or_else(|| format!("{}/{} ready", w.ready, w.desired))
        });
        return (h, message);
    }
    let phase = live.pointer("/status/phase").and_then(Value::as_str);
    match (group, kind) {
        ("", "Pod") => {
            return match phase {
                Some("Succeeded") => (ObjectHealth::Healthy, None),
                Some("Failed") => (ObjectHealth::Degraded, Some("the pod failed".into())),
                Some("Running") if condition(live, "Ready").map(|c| c.0) == Some("True") => {
                    (ObjectHealth::Healthy, None)
                }
                other => (
                    ObjectHealth::Progressing,
                    Some(format!("phase {}", other.unwrap_or("unknown"))),
                ),
            };
        }
        ("", "PersistentVolumeClaim") => {
            return match phase {
                Some("Bound") => (ObjectHealth::Healthy, None),
                Some("Lost") => (ObjectHealth::Degraded, Some("the claim lost its volume".into())),
                _ => (ObjectHealth::Progressing, Some("waiting for a volume".into())),
            };
        }
        ("batch", "Job") => {
            if condition(live, "Complete").map(|c| c.0) == Some("True") {
                return (ObjectHealth::Healthy, None);
            }
            if let Some(("True", message)) = condition(live, "Failed") {
                return (
                    ObjectHealth::Degraded,
                    Some(message.unwrap_or("the job failed").to_string()),
                );
            }
            return (ObjectHealth::Progressing, Some("running".into()));
        }
        ("", "Service") if live.pointer("/spec/type").and_then(Value::as_str) == Some("LoadBalancer") => {
            let has_ingress = live
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            if !has_ingress {
                return (
                    ObjectHealth::Progressing,
                    Some("waiting for a load balancer address".into()),
                );
            }
        }
        _ => {}
    }
    let generation = live.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = live.pointer("/status/observedGeneration").and_then(Value::as_i64);
    if let (Some(g), Some(o)) = (generation, observed)
        && o < g
    {
        return (
            ObjectHealth::Progressing,
            Some("its controller has not seen the latest change yet".into()),
        );
    }
    match condition(live, "Ready") {
        Some(("True", _)) => (ObjectHealth::Healthy, None),
        Some(("False", message)) => (
            ObjectHealth::Degraded,
            Some(message.unwrap_or("not ready").to_string()),
        ),
        Some((_, message)) => (
            ObjectHealth::Progressing,
            Some(message.unwrap_or("not ready yet").to_string()),
        ),
        None => (ObjectHealth::Healthy, None),
    }
}

/// A status condition's status and message.
fn condition<'a>(live: &'a Value, type_: &str) -> Option<(&'a str, Option<&'a str>)> {
    live.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| (c["status"].as_str().unwrap_or("Unknown"), c["message"].as_str()))
}

/// The fields managers other than Flux and the cluster's own controllers wrote after Flux
/// last applied the object, from its managed fields (none when Flux never wrote it).
pub fn changed_outside_flux(live: &Value) -> Vec<DriftField> {
    let Some(entries) = live.pointer("/metadata/managedFields").and_then(Value::as_array) else {
        return Vec::new();
    };
    // The object itself and its scale (`kubectl scale`); not its status.
    let main = |e: &&Value| {
        e.get("subresource")
            .and_then(Value::as_str)
            .is_none_or(|s| s != "status")
    };
    let manager = |e: &Value| e["manager"].as_str().unwrap_or_default().to_string();
    let Some(flux_at) = entries
        .iter()
        .filter(main)
        .filter(|e| FLUX_MANAGERS.contains(&manager(e).as_str()))
        .filter_map(|e| e["time"].as_str())
        .max()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.iter().filter(main) {
        let who = manager(e);
        // The API server leaves the time out of some entries (a scale); Flux applying with
        // force takes back every field it sets, so a field still held by another manager
        // changed after Flux applied.
        let at = e["time"].as_str();
        if FLUX_MANAGERS.contains(&who.as_str())
            || SYSTEM_MANAGERS.contains(&who.as_str())
            || at.is_some_and(|at| at <= flux_at)
        {
            continue;
        }
        let mut paths = Vec::new();
        leaf_fields(&e["fieldsV1"], &mut Vec::new(), &mut paths);
        for p in paths {
            out.push(DriftField {
                path: render_path(&p),
                live: value_at(live, &p).cloned(),
                desired: None,
                by: Some(who.clone()),
                at: at.map(str::to_string),
            });
        }
    }
    out
}

/// One step of a managed-fields path.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// `f:name`, a field.
    Field(String),
    /// `k:{...}`, a list item by its keys.
    Key(Map<String, Value>),
    /// `v:...`, a set member.
    Member(Value),
}

/// The leaf paths of a `fieldsV1` tree (a node whose only child is `.` is a leaf, and so is a
/// list item the manager owns whole).
fn leaf_fields(node: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    let Some(map) = node.as_object() else {
        return;
    };
    let children: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| k.as_str() != ".").collect();
    // A list item the manager owns itself (`.`) it added whole: one field, not its leaves.
    let whole_item = matches!(prefix.last(), Some(Step::Key(_) | Step::Member(_))) && map.contains_key(".");
    if children.is_empty() || whole_item {
        if !prefix.is_empty() {
            out.push(prefix.clone());
        }
        return;
    }
    for (key, child) in children {
        let step = if let Some(f) = key.strip_prefix("f:") {
            Step::Field(f.to_string())
        } else if let Some(k) = key.strip_prefix("k:") {
            match serde_json::from_str::<Map<String, Value>>(k) {
                Ok(keys) => Step::Key(keys),
                Err(_) => continue,
            }
        } else if let Some(v) = key.strip_prefix("v:") {
            Step::Member(serde_json::from_str(v).unwrap_or(Value::String(v.to_string())))
        } else {
            continue;
        };
        prefix.push(step);
        leaf_fields(child, prefix, out);
        prefix.pop();
    }
}

fn render_path(steps: &[Step]) -> String {
    let mut s = String::new();
    for step in steps {
        match step {
            Step::Field(f) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(f);
            }
            Step::Key(keys) => {
                let parts: Vec<String> = keys
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{k}={}",
                            v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
                        )
                    })
                    .collect();
                s.push_str(&format!("[{}]", parts.join(",")));
            }
            Step::Member(v) => {
                s.push_str(&format!(
                    "[{}]",
                    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
                ));
            }
        }
    }
    s
}

fn value_at<'a>(v: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let mut cur = v;
    for step in steps {
        cur = match step {
            Step::Field(f) => cur.get(f)?,
            Step::Key(keys) => cur
                .as_array()?
                .iter()
                .find(|item| keys.iter().all(|(k, want)| &item[k] == want))?,
            Step::Member(m) => cur.as_array()?.iter().find(|item| *item == m)?,
        };
    }
    Some(cur)
}

/// The fields of `desired` whose live value differs. Only what `desired` sets is compared
/// (defaults and fields other controllers add are not drift); `status` is not compared; list
/// items with a `name` are matched by name.
pub fn differences(desired: &Value, live: &Value) -> Vec<DriftField> {
    let mut out = Vec::new();
    if let Some(map) = desired.as_object() {
        for (k, d) in map {
            if matches!(k.as_str(), "status" | "apiVersion" | "kind") {
                continue;
            }
            let mut path = vec![k.clone()];
            compare(d, live.get(k), &mut path, &mut out);
        }
    }
    out
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn same_scalar(d: &Value, l: &Value) -> bool {
    if d == l {
        return true;
    }
    match (d, l) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => a.to_string() == *b,
        _ => false,
    }
}

fn compare(d: &Value, l: Option<&Value>, path: &mut Vec<String>, out: &mut Vec<DriftField>) {
    if out.len() >= MAX_DRIFT_FIELDS {
        return;
    }
    let Some(l) = l.filter(|l| !l.is_null()) else {
        if !empty(d) {
            out.push(field(path, d, None));
        }
        return;
    };
    match (d, l) {
        (Value::Object(dm), Value::Object(lm)) => {
            for (k, dv) in dm {
                if path.len() == 1
                    && path[0] == "metadata"
                    && matches!(k.as_str(), "creationTimestamp" | "namespace")
                {
                    continue;
                }
                path.push(format!(".{k}"));
                compare(dv, lm.get(k), path, out);
                path.pop();
            }
        }
        (Value::Array(da), Value::Array(la)) => {
            let named = da.iter().all(|i| i.get("name").and_then(Value::as_str).is_some());
            if named {
                for item in da {
                    let n = item["name"].as_str().unwrap_or_default();
                    let found = la.iter().find(|i| i["name"] == n);
                    path.push(format!("[name={n}]"));
                    compare(item, found, path, out);
                    path.pop();
                }
            } else if da.len() != la.len() {
                out.push(field(path, d, Some(l)));
            } else {
                for (i, (dv, lv)) in da.iter().zip(la).enumerate() {
                    path.push(format!("[{i}]"));
                    compare(dv, Some(lv), path, out);
                    path.pop();
                }
            }
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
            if !(empty(d) && empty(l)) {
                out.push(field(path, d, Some(l)));
            }
        }
        _ => {
            if !same_scalar(d, l) {
                out.push(field(path, d, Some(l)));
            }
        }
    }
}

fn field(path: &[String], desired: &Value, live: Option<&Value>) -> DriftField {
    DriftField {
        path: path.concat(),
        live: live.cloned(),
        desired: Some(desired.clone()),
        by: None,
        at: None,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use serde_json::json;

    use super::*;

    fn deployment_edited_by_kubectl() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "generation": 3, "managedFields": [
                {"manager": "kustomize-controller", "operation": "Apply", "time": "2026-11-28T06:00:00Z",
                 "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                     "k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "time": "2026-11-28T06:05:00Z",
                 "fieldsV1": {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                 "time": "2026-11-28T06:05:00Z", "fieldsV1": {"f:status": {"f:replicas": {}}}},
                {"manager": "kubectl-edit", "operation": "Update", "time": "2026-11-28T06:04:00Z",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                     "k:{\"name\":\"web\"}": {"f:image": {}}}}}}}}
            ]},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "web:edited"}]}}},
            "status": {"observedGeneration": 3, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
        })
    }

    #[test]
    fn an_edit_after_flux_applied_is_drift_naming_who_and_the_live_value() {
        let drift = changed_outside_flux(&deployment_edited_by_kubectl());
        assert_eq!(
            drift,
            vec![DriftField {
                path: "spec.template.spec.containers[name=web].image".into(),
                live: Some(json!("web:edited")),
                desired: None,
                by: Some("kubectl-edit".into()),
                at: Some("2026-11-28T06:04:00Z".into()),
            }]
        );
    }

    #[test]
    fn a_list_item_added_outside_flux_is_one_field() {
        let mut d = deployment_edited_by_kubectl();
        d["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"name": "E", "value": "1"}]);
        d["metadata"]["managedFields"][3]["fieldsV1"] = json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {
            "k:{\"name\":\"web\"}": {"f:env": {".": {}, "k:{\"name\":\"E\"}": {".": {}, "f:name": {}, "f:value": {}}}}}}}}});
        let drift = changed_outside_flux(&d);
        assert_eq!(drift.len(), 1, "{drift:?}");
        assert_eq!(
            drift[0].path,
            "spec.template.spec.containers[name=web].env[name=E]"
        );
        assert_eq!(drift[0].live, Some(json!({"name": "E", "value": "1"})));
    }

    #[test]
    fn a_scale_without_a_time_is_drift() {
        let mut d = deployment_edited_by_kubectl();
        d["metadata"]["managedFields"][3] = json!({"manager": "kubectl", "operation": "Update",
            "subresource": "scale", "fieldsV1": {"f:spec": {"f:replicas": {}}}});
        let drift = changed_outside_flux(&d);
        assert_eq!(drift.len(), 1);
        assert_eq!(
            (drift[0].path.as_str(), &drift[0].live, drift[0].at.as_ref()),
            ("spec.replicas", &Some(json!(2)), None)
        );
        assert!(within(
            "spec.template.spec.containers[name=web].env",
            "spec.template.spec.containers[name=web]"
        ));
        assert!(!within("spec.replicasX", "spec.replicas"));
    }

    #[test]
    fn flux_applying_again_after_the_edit_clears_the_drift() {
        let mut d = deployment_edited_by_kubectl();
        d["metadata"]["managedFields"][0]["time"] = json!("2026-11-28T06:10:00Z");
        assert!(changed_outside_flux(&d).is_empty());
        // An object Flux never wrote reports nothing (there is nothing to compare with).
        d["metadata"]["managedFields"][0]["manager"] = json!("someone");
        assert!(changed_outside_flux(&d).is_empty());
    }

    #[test]
    fn differences_compare_only_what_was_applied_matching_named_items() {
        let desired = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "creationTimestamp": null, "labels": {"app": "web"}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [
                {"name": "web", "image": "web:1", "ports": [{"containerPort": 80}], "resources": {}}]}}},
            "status": {}
        });
        let mut live = desired.clone();
        live["metadata"]["namespace"] = json!("shop");
        live["metadata"]["uid"] = json!("u");
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("IfNotPresent");
        live["status"] = json!({"replicas": 1});
        live["metadata"]
            .as_object_mut()
            .map(|m| m.remove("creationTimestamp"));
        assert_eq!(
            differences(&desired, &live),
            vec![],
            "defaults and status are not drift"
        );
        live["spec"]["replicas"] = json!(4);
        live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("web:2");
        live["metadata"]["labels"]
            .as_object_mut()
            .map(|m| m.remove("app"));
        let paths: Vec<(String, Option<Value>, Option<Value>)> = differences(&desired, &live)
            .into_iter()
            .map(|f| (f.path, f.desired, f.live))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("metadata.labels.app".into(), Some(json!("web")), None),
                ("spec.replicas".into(), Some(json!(1)), Some(json!(4))),
                (
                    "spec.template.spec.containers[name=web].image".into(),
                    Some(json!("web:1")),
                    Some(json!("web:2"))
                ),
            ]
        );
    }

    #[test]
    fn a_helm_release_record_decodes_to_its_objects() {
        let release = json!({"name": "web", "version": 2, "manifest":
            "---\n# Source: demo-app/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  a: \"1\"\n---\n# Source: demo-app/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"});
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(release.to_string().as_bytes()).expect("gzip");
        let bytes = gz.finish().expect("gzip");
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        let manifest = release_manifest(encoded.as_bytes()).expect("decodes");
        let objects = manifest_objects(&manifest).expect("YAML");
        let names: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(names, vec!["ConfigMap", "Deployment"]);
        assert!(release_manifest(b"not base64!").is_err());
        let not_release = base64::engine::general_purpose::STANDARD.encode(b"{\"name\": 1}");
        assert_eq!(
            release_manifest(not_release.as_bytes()),
            Err("it has no manifest".into())
        );
    }

    #[test]
    fn health_follows_each_kinds_rules() {
        let d = deployment_edited_by_kubectl();
        assert_eq!(health("apps", "Deployment", &d).0, ObjectHealth::Healthy);
        let pod = json!({"status": {"phase": "Pending"}});
        assert_eq!(health("", "Pod", &pod).0, ObjectHealth::Progressing);
        let job = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert_eq!(
            health("batch", "Job", &job),
            (ObjectHealth::Degraded, Some("BackoffLimitExceeded".into()))
        );
        let cm = json!({"data": {"a": "1"}});
        assert_eq!(health("", "ConfigMap", &cm), (ObjectHealth::Healthy, None));
        let crd = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
            "conditions": [{"type": "Ready", "status": "False", "message": "no"}]}});
        assert_eq!(
            health("example.com", "Widget", &crd),
            (ObjectHealth::Degraded, Some("no".into()))
        );
    }

    #[test]
    fn secrets_are_shown_without_their_values() {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "managedFields": []},
            "data": {"password": "c2VjcmV0"}});
        strip(&mut s);
        assert_eq!(s["data"]["password"], "(hidden)");
        assert!(s["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn ids_split_with_underscores_in_names() {
        assert_eq!(
            parse_id("shop_my_role_rbac.authorization.k8s.io_Role"),
            Some((
                "shop".into(),
                "my_role".into(),
                "rbac.authorization.k8s.io".into(),
                "Role".into()
            ))
        );
        assert_eq!(
            parse_id("_ns-a__Namespace"),
            Some((String::new(), "ns-a".into(), String::new(), "Namespace".into()))
        );
        assert_eq!(parse_id("a_b"), None);
    }
}
