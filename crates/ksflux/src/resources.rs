//! Flux objects, any kind, in any cluster: list, get, create, update, delete and the actions
//! `reconcile`, `suspend` and `resume`. Each kind is a [`FluxKind`] descriptor (its API, its
//! validation and where its credentials go); the handlers here are the same for every kind.
//!
//! Every call to a cluster is made as the requesting user (impersonation), so the cluster's
//! RBAC decides. A write is first sent as a server-side dry run, so a request the apiserver
//! would refuse writes nothing — not even its credential Secrets.

use std::{collections::BTreeMap, time::Duration};

use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Client,
    api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::User,
    credentials::{self, CredentialInfo, Credentials, Tls},
    error::{Cause, Error, Result},
    kinds::{Action, FluxKind, TlsRef},
    validation,
};

/// Annotation Flux watches to reconcile now.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// Annotation asking helm-controller for a one-off forced install or upgrade.
pub const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";
/// Annotation asking helm-controller to reset its failure counters.
pub const RESET_AT: &str = "reconcile.fluxcd.io/resetAt";
/// Annotation recording who last suspended, resumed or changed an object through ksflux.
pub const LAST_ACTION: &str = "fluxcd.kubesphere.io/last-action";

// ---------------------------------------------------------------------------------------------
// API shapes

/// The revision a delivery last applied: a Kustomization's `status.lastAppliedRevision`, or
/// for a HelmRelease (v2 has no such field) the chart version of its newest release,
/// `status.history[0].chartVersion`.
pub fn applied_revision(obj: &Value) -> Option<String> {
    obj.pointer("/status/lastAppliedRevision")
        .or_else(|| obj.pointer("/status/history/0/chartVersion"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The state a console shows for an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// Ready=True.
    Ready,
    /// Reconciling, or Ready=Unknown.
    Progressing,
    /// Ready=False or Stalled.
    Failed,
    /// `spec.suspend` is true.
    Suspended,
    /// No status yet.
    Unknown,
}

/// What the API derives from an object's status.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Ready, progressing, failed, suspended or unknown.
    pub state: State,
    /// The Ready condition's status: `True`, `False` or `Unknown`.
    pub ready: String,
    /// The Ready condition's reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The Ready condition's message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// `spec.suspend`.
    pub suspended: bool,
    /// The artifact revision (sources) or last applied revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// When the artifact last changed, or the Ready condition last moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<String>,
    /// The pending `reconcile.fluxcd.io/requestedAt` token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile_requested_at: Option<String>,
    /// `status.lastHandledReconcileAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// The controller has handled the last requested reconcile.
    pub reconcile_handled: bool,
}

/// Credentials referenced by an object.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsView {
    /// The `spec.secretRef` Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<CredentialInfo>,
    /// The `spec.certSecretRef` Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<CredentialInfo>,
}

/// A Flux object as the API returns it: the object (without `managedFields`), plus the
/// cluster it lives in, a summary of its status and what credentials it uses.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectView {
    /// The cluster.
    pub cluster: String,
    /// `group/version`.
    pub api_version: String,
    /// The kind.
    pub kind: String,
    /// Kubernetes object metadata.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// The Flux spec.
    #[schema(value_type = Object)]
    pub spec: Value,
    /// The Flux status (`{}` until a controller has handled the object).
    #[schema(value_type = Object)]
    pub status: Value,
    /// What the status means.
    pub summary: Summary,
    /// Which credential Secrets it references (never their values).
    pub credential_status: CredentialsView,
}

/// A page of objects, in KubeSphere's list shape.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectList {
    /// This page.
    pub items: Vec<ObjectView>,
    /// How many objects match, over all pages.
    pub total_items: usize,
}

/// A create or update request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectRequest {
    /// `group/version`; optional, must match the path's kind if given.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Optional; must match the path's kind if given.
    #[serde(default)]
    pub kind: Option<String>,
    /// `name` (required), `labels`, `annotations`; for updates also `resourceVersion`
    /// (required: a stale one is refused with 409).
    #[schema(value_type = Object)]
    pub metadata: RequestMeta,
    /// The Flux spec.
    #[schema(value_type = Object)]
    pub spec: Value,
    /// How the source authenticates; written to a Secret, never returned.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// TLS material; written to a Secret, never returned.
    #[serde(default)]
    pub tls: Option<Tls>,
    /// Ignored, so an object read from the API can be sent back as an update.
    #[serde(default)]
    #[schema(ignore)]
    pub status: Option<Value>,
    /// Ignored (read-only).
    #[serde(default)]
    #[schema(ignore)]
    pub summary: Option<Value>,
    /// Ignored (read-only; the cluster is a query parameter).
    #[serde(default)]
    #[schema(ignore)]
    pub cluster: Option<Value>,
    /// Ignored (read-only).
    #[serde(default)]
    #[schema(ignore)]
    pub credential_status: Option<Value>,
}

/// The metadata a request may set.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestMeta {
    /// Object name.
    #[serde(default)]
    pub name: String,
    /// Must match the path's namespace if given.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations.
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    /// The version the update is based on.
    #[serde(default)]
    pub resource_version: Option<String>,
}

/// List parameters (KubeSphere's).
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The cluster (default `host`).
    pub cluster: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<usize>,
    /// Page size (default 10, at most 10000).
    pub limit: Option<usize>,
    /// `name`, `namespace`, `createTime` (default) or `state`.
    pub sort_by: Option<String>,
    /// Sort ascending (default false, i.e. newest first for createTime).
    pub ascending: Option<bool>,
    /// Substring the name must contain.
    pub name: Option<String>,
    /// A Kubernetes label selector.
    pub label_selector: Option<String>,
    /// Only objects in this state.
    pub state: Option<State>,
    /// Applications only: those with a target in this cluster.
    pub target: Option<String>,
}

/// The cluster parameter of single-object requests.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterQuery {
    /// The cluster (default `host`).
    pub cluster: Option<String>,
}

/// Parameters of an action.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// The cluster (default `host`).
    pub cluster: Option<String>,
    /// For `reconcile`, `resume`, `force`, `reset`: wait up to this many seconds (at most
    /// 120) for the controller to handle the request before answering.
    pub wait: Option<u64>,
    /// For `reconcile` of a Kustomization or HelmRelease: reconcile its source first.
    #[serde(rename = "withSource")]
    pub with_source: Option<bool>,
    /// For applications: act on this target cluster only.
    pub target: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// views

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

fn str_at(obj: &Value, ptr: &str) -> Option<String> {
    obj.pointer(ptr).and_then(Value::as_str).map(str::to_string)
}

/// Derives the [`Summary`] of a Flux object, reading Flux's conditions the way Flux does.
pub fn summarize(obj: &Value) -> Summary {
    let ready = condition(obj, "Ready");
    let ready_status = ready
        .and_then(|c| c["status"].as_str())
        .unwrap_or("Unknown")
        .to_string();
    let stalled = condition(obj, "Stalled").is_some_and(|c| c["status"] == "True");
    let reconciling = condition(obj, "Reconciling").is_some_and(|c| c["status"] == "True");
    let suspended = obj
        .pointer("/spec/suspend")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = obj.pointer("/status/observedGeneration").and_then(Value::as_i64);
    let state = if suspended {
        State::Suspended
    } else if ready.is_none() {
        State::Unknown
    } else if stalled || ready_status == "False" {
        State::Failed
    } else if reconciling || ready_status == "Unknown" || (generation.is_some() && observed != generation) {
        State::Progressing
    } else {
        State::Ready
    };
    let requested = str_at(
        obj,
        &format!("/metadata/annotations/{}", REQUESTED_AT.replace('/', "~1")),
    );
    let handled = str_at(obj, "/status/lastHandledReconcileAt");
    Summary {
        state,
        ready: ready_status,
        reason: ready
            .and_then(|c| c["reason"].as_str())
            .unwrap_or_default()
            .to_string(),
        message: ready
            .and_then(|c| c["message"].as_str())
            .unwrap_or_default()
            .to_string(),
        suspended,
        revision: str_at(obj, "/status/artifact/revision").or_else(|| applied_revision(obj)),
        last_update_time: str_at(obj, "/status/artifact/lastUpdateTime").or_else(|| {
            ready
                .and_then(|c| c["lastTransitionTime"].as_str())
                .map(str::to_string)
        }),
        reconcile_handled: requested.is_none() || requested == handled,
        reconcile_requested_at: requested,
        last_handled_reconcile_at: handled,
    }
}

fn secret_ref_name(obj: &Value, field: &str) -> Option<String> {
    str_at(obj, &format!("/spec/{field}/name"))
}

/// Builds the API view of an object; `secrets` are the Secrets of its namespace the caller
/// may read (used only to tell managed from external credentials, never for values).
pub fn view(kind: &FluxKind, cluster: &str, obj: DynamicObject, secrets: &[Secret]) -> ObjectView {
    let mut value = serde_json::to_value(&obj).unwrap_or(Value::Null);
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    let name = obj.metadata.name.clone().unwrap_or_default();
    let owner = kind.owner(&name);
    let find = |n: &str| secrets.iter().find(|s| s.metadata.name.as_deref() == Some(n));
    let auth = secret_ref_name(&value, "secretRef").map(|n| credentials::info(&n, find(&n), &owner));
    let tls = secret_ref_name(&value, "certSecretRef").map(|n| credentials::info(&n, find(&n), &owner));
    let summary = summarize(&value);
    ObjectView {
        cluster: cluster.to_string(),
        api_version: format!("{}/{}", kind.group, kind.version),
        kind: kind.kind.to_string(),
        metadata: value.get("metadata").cloned().unwrap_or(Value::Null),
        spec: value.get("spec").cloned().unwrap_or_else(|| json!({})),
        // An object no controller has handled yet has no status: an empty one, as documented.
        status: value
            .get("status")
            .filter(|s| s.is_object())
            .cloned()
            .unwrap_or_else(|| json!({})),
        summary,
        credential_status: CredentialsView { auth, tls },
    }
}

// ---------------------------------------------------------------------------------------------
// operations

/// Operations on one kind in one cluster namespace, as one user.
pub struct Scope<'a> {
    /// The kind.
    pub kind: &'a FluxKind,
    /// The cluster's name.
    pub cluster: String,
    /// The user's client for that cluster.
    pub client: Client,
    /// ksflux's own client for that cluster, used only to read the metadata of the credential
    /// Secrets it manages (names and types, never values).
    pub own: Client,
}

impl Scope<'_> {
    fn api(&self, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = self.kind.api_resource();
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        }
    }

    /// The metadata (never the values) of the credential Secrets ksflux manages in
    /// `namespace`, read with ksflux's own client.
    pub async fn secrets(&self, namespace: &str) -> Vec<Secret> {
        // Metadata only: values never leave the apiserver for a view.
        let api: Api<Secret> = Api::namespaced(self.own.clone(), namespace);
        match api
            .list_metadata(&ListParams::default().labels(&format!(
                "{}={}",
                credentials::MANAGED_LABEL.0,
                credentials::MANAGED_LABEL.1
            )))
            .await
        {
            Ok(list) => list
                .items
                .into_iter()
                .map(|m| Secret {
                    metadata: m.metadata,
                    ..Default::default()
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Checks with the cluster that `user` may `verb` this kind in `namespace` (a
    /// SubjectAccessReview), before a request is validated or anything is written.
    pub async fn authorize(
        &self,
        user: &User,
        verb: &str,
        namespace: &str,
        name: Option<&str>,
    ) -> Result<()> {
        let attrs = crate::auth::Attributes {
            verb,
            group: self.kind.group,
            resource: self.kind.plural,
            namespace,
            name,
        };
        crate::auth::authorize(&self.own, user, attrs).await
    }

    /// Lists objects (all namespaces when `namespace` is `None`), filtered, sorted and paged.
    pub async fn list(&self, namespace: Option<&str>, q: &ListQuery) -> Result<ObjectList> {
        let mut lp = ListParams::default();
        if let Some(sel) = q.label_selector.as_deref().filter(|s| !s.is_empty()) {
            lp = lp.labels(sel);
        }
        let objects = self.api(namespace).list(&lp).await?;
        let mut secrets_by_ns: BTreeMap<String, Vec<Secret>> = BTreeMap::new();
        let mut items = Vec::new();
        for obj in objects {
            let ns = obj.metadata.namespace.clone().unwrap_or_default();
            if !secrets_by_ns.contains_key(&ns) {
                let s = self.secrets(&ns).await;
                secrets_by_ns.insert(ns.clone(), s);
            }
            items.push(view(
                self.kind,
                &self.cluster,
                obj,
                secrets_by_ns.get(&ns).map(Vec::as_slice).unwrap_or(&[]),
            ));
        }
        Ok(page(items, q))
    }

    /// Gets one object.
    pub async fn get(&self, namespace: &str, name: &str) -> Result<ObjectView> {
        let obj = self.api(Some(namespace)).get(name).await?;
        let secrets = self.secrets(namespace).await;
        Ok(view(self.kind, &self.cluster, obj, &secrets))
    }

    /// Validates a request without calling any cluster.
    fn validate(&self, namespace: &str, req: &ObjectRequest, update: bool) -> Result<()> {
        let k = self.kind;
        let mut causes = validation::dns1123_subdomain("metadata.name", &req.metadata.name);
        if let Some(ns) = &req.metadata.namespace
            && ns != namespace
        {
            causes.push(Cause::invalid(
                "metadata.namespace",
                format!("must be {namespace:?}, the namespace in the path"),
            ));
        }
        if let Some(v) = &req.api_version
            && v != &format!("{}/{}", k.group, k.version)
        {
            causes.push(Cause::invalid(
                "apiVersion",
                format!("must be {}/{}", k.group, k.version),
            ));
        }
        if let Some(kind) = &req.kind
            && kind != k.kind
        {
            causes.push(Cause::invalid("kind", format!("must be {}", k.kind)));
        }
        if update
            && req
                .metadata
                .resource_version
                .as_deref()
                .unwrap_or_default()
                .is_empty()
        {
            causes.push(Cause::required("metadata.resourceVersion"));
        }
        causes.extend(crate::limits::check_metadata(
            req.metadata
                .labels
                .iter()
                .chain(req.metadata.annotations.iter())
                .flatten(),
        ));
        if !req.spec.is_object() {
            causes.push(Cause::required("spec"));
        } else if let Some(c) = Some(crate::limits::check_spec(&req.spec)).filter(|c| !c.is_empty()) {
            // Too large to check further, and not worth it.
            causes.extend(c);
        } else {
            let full = json!({"apiVersion": format!("{}/{}", k.group, k.version), "kind": k.kind,
                "metadata": {"name": req.metadata.name, "namespace": namespace}, "spec": req.spec});
            if let Err(c) = (k.schema)(&full) {
                causes.push(c);
            }
            causes.extend((k.rules)(&req.spec));
        }
        if let Some(c) = &req.credentials {
            if !matches!(c, Credentials::None) && !k.auth_types.contains(&c.type_name()) {
                causes.push(Cause::forbidden(
                    "credentials.type",
                    if k.auth_types.is_empty() {
                        format!("{} takes no credentials", k.kind)
                    } else {
                        format!("{} accepts {}", k.kind, k.auth_types.join(", "))
                    },
                ));
            }
            causes.extend(c.validate("credentials"));
            let managed = format!("{}-{}-auth", req.metadata.name, k.short);
            let referenced = req.spec.pointer("/secretRef/name").and_then(Value::as_str);
            if !matches!(c, Credentials::None) && referenced.is_some_and(|n| n != managed) {
                causes.push(Cause::forbidden(
                    "spec.secretRef",
                    "give either credentials or spec.secretRef, not both",
                ));
            }
        }
        if let Some(t) = &req.tls {
            if k.tls == TlsRef::None {
                causes.push(Cause::forbidden(
                    "tls",
                    format!("{} takes no TLS material", k.kind),
                ));
            }
            causes.extend(t.validate("tls"));
            let managed = format!("{}-{}-tls", req.metadata.name, k.short);
            let referenced = req.spec.pointer("/certSecretRef/name").and_then(Value::as_str);
            if k.tls == TlsRef::CertSecretRef && referenced.is_some_and(|n| n != managed) {
                causes.push(Cause::forbidden(
                    "spec.certSecretRef",
                    "give either tls or spec.certSecretRef, not both",
                ));
            }
        }
        if causes.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid(causes))
        }
    }

    /// The Secrets a request asks for: (field of the spec, Secret), plus whether to remove
    /// the managed auth / TLS Secrets.
    fn secrets_for(&self, namespace: &str, req: &ObjectRequest) -> (Vec<(&'static str, Secret)>, bool, bool) {
        let k = self.kind;
        let name = &req.metadata.name;
        let owner = k.owner(name);
        let mut out = Vec::new();
        let mut auth_data = BTreeMap::new();
        let mut auth_type = String::new();
        let remove_auth = matches!(req.credentials, Some(Credentials::None));
        let remove_tls = req.tls.as_ref().is_some_and(|t| t.remove);
        if let Some(c) = req
            .credentials
            .as_ref()
            .filter(|c| !matches!(c, Credentials::None))
        {
            // Registries (OCI sources, image scans) want a docker config for their host.
            let registry = k.registry.and_then(|host_of| host_of(&req.spec));
            auth_data = c.data(registry.as_deref());
            auth_type = c.type_name().to_string();
        }
        if let Some(t) = req.tls.as_ref().filter(|t| !t.remove) {
            match k.tls {
                TlsRef::SecretRef => {
                    auth_data.extend(t.data());
                    if auth_type.is_empty() {
                        auth_type = "tls".into();
                    }
                }
                TlsRef::CertSecretRef => out.push((
                    "certSecretRef",
                    credentials::secret(
                        &format!("{name}-{}-tls", k.short),
                        namespace,
                        &owner,
                        "tls",
                        t.data(),
                    ),
                )),
                TlsRef::None => {}
            }
        }
        if !auth_data.is_empty() {
            out.push((
                "secretRef",
                credentials::secret(
                    &format!("{name}-{}-auth", k.short),
                    namespace,
                    &owner,
                    &auth_type,
                    auth_data,
                ),
            ));
        }
        (out, remove_auth, remove_tls && k.tls == TlsRef::CertSecretRef)
    }

    fn build(
        &self,
        namespace: &str,
        req: &ObjectRequest,
        secrets: &[(&'static str, Secret)],
    ) -> Result<DynamicObject> {
        let mut spec = req.spec.clone();
        for (field, s) in secrets {
            spec[*field] = json!({"name": s.metadata.name});
        }
        let obj = json!({
            "apiVersion": format!("{}/{}", self.kind.group, self.kind.version),
            "kind": self.kind.kind,
            "metadata": {
                "name": req.metadata.name,
                "namespace": namespace,
                "labels": req.metadata.labels,
                "annotations": req.metadata.annotations,
                "resourceVersion": req.metadata.resource_version,
            },
            "spec": spec,
        });
        serde_json::from_value(obj).map_err(|e| Error::BadRequest(format!("object: {e}")))
    }

    /// Writes `secrets` (creating or rotating), refusing to overwrite Secrets ksflux does
    /// not manage. Returns the names it created, so a failed request can remove them.
    async fn write_secrets(
        &self,
        namespace: &str,
        owner: &str,
        secrets: &[(&'static str, Secret)],
    ) -> Result<Vec<String>> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let mut created = Vec::new();
        for (_, s) in secrets {
            let name = s.metadata.name.clone().unwrap_or_default();
            match api.get_metadata_opt(&name).await? {
                Some(existing) => {
                    let existing = Secret {
                        metadata: existing.metadata,
                        ..Default::default()
                    };
                    if !credentials::is_managed_for(&existing, owner) {
                        return Err(Error::Conflict {
                            reason: "AlreadyExists",
                            message: format!(
                                "secret {name:?} exists and is not managed by ksflux for {owner}; reference it with spec.secretRef instead"
                            ),
                        });
                    }
                    let mut s = s.clone();
                    s.metadata.resource_version = existing.metadata.resource_version.clone();
                    s.metadata.owner_references = existing.metadata.owner_references.clone();
                    api.replace(&name, &PostParams::default(), &s).await?;
                }
                None => {
                    api.create(&PostParams::default(), s).await?;
                    created.push(name);
                }
            }
        }
        Ok(created)
    }

    async fn own_secrets(&self, namespace: &str, obj: &DynamicObject, secrets: &[(&'static str, Secret)]) {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let owner = json!({"metadata": {"ownerReferences": [{
            "apiVersion": format!("{}/{}", self.kind.group, self.kind.version),
            "kind": self.kind.kind,
            "name": obj.metadata.name,
            "uid": obj.metadata.uid,
        }]}});
        for (_, s) in secrets {
            let name = s.metadata.name.clone().unwrap_or_default();
            if let Err(e) = api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&owner))
                .await
            {
                tracing::warn!(secret = name, error = %e, "could not set the owner of a credential secret");
            }
        }
    }

    async fn remove_secrets(&self, namespace: &str, names: &[String]) {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        for n in names {
            let _ = api.delete(n, &DeleteParams::default()).await;
        }
    }

    /// Creates an object and its credential Secrets.
    pub async fn create(&self, namespace: &str, req: ObjectRequest, user: &User) -> Result<ObjectView> {
        self.validate(namespace, &req, false)?;
        if req.metadata.resource_version.is_some() {
            return Err(Error::invalid(vec![Cause::forbidden(
                "metadata.resourceVersion",
                "must not be set when creating",
            )]));
        }
        let (secrets, _, _) = self.secrets_for(namespace, &req);
        let mut obj = self.build(namespace, &req, &secrets)?;
        annotate_action(&mut obj, "create", user);
        let api = self.api(Some(namespace));
        // The dry run proves the user may create it and it does not exist, before any write.
        api.create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &obj,
        )
        .await?;
        let owner = self.kind.owner(&req.metadata.name);
        let created = self.write_secrets(namespace, &owner, &secrets).await?;
        let obj = match api.create(&PostParams::default(), &obj).await {
            Ok(o) => o,
            Err(e) => {
                self.remove_secrets(namespace, &created).await;
                return Err(e.into());
            }
        };
        self.own_secrets(namespace, &obj, &secrets).await;
        let all = self.secrets(namespace).await;
        Ok(view(self.kind, &self.cluster, obj, &all))
    }

    /// Replaces an object's labels, annotations and spec; `metadata.resourceVersion` must be
    /// the version the edit is based on (409 otherwise). Credentials given are rotated;
    /// `credentials: {"type": "none"}` removes the managed ones.
    pub async fn update(
        &self,
        namespace: &str,
        name: &str,
        req: ObjectRequest,
        user: &User,
    ) -> Result<ObjectView> {
        self.validate(namespace, &req, true)?;
        if req.metadata.name != name {
            return Err(Error::invalid(vec![Cause::invalid(
                "metadata.name",
                format!("must be {name:?}, the name in the path"),
            )]));
        }
        let api = self.api(Some(namespace));
        let current = api.get(name).await?;
        let owner = self.kind.owner(name);
        let (secrets, remove_auth, remove_tls) = self.secrets_for(namespace, &req);
        let mut obj = self.build(namespace, &req, &secrets)?;
        // Keep references to managed Secrets the request did not mention.
        for (field, remove) in [("secretRef", remove_auth), ("certSecretRef", remove_tls)] {
            let had = current.data.pointer(&format!("/spec/{field}")).cloned();
            let given = obj.data.pointer(&format!("/spec/{field}")).is_some();
            if let Some(had) = had
                && !given
                && !remove
                && had["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(&format!("{name}-{}-", self.kind.short)))
                && let Some(spec) = obj.data.get_mut("spec").and_then(Value::as_object_mut)
            {
                spec.insert(field.to_string(), had);
            }
        }
        // Keep what the controller and others own in metadata.
        obj.metadata.uid = current.metadata.uid.clone();
        obj.metadata.finalizers = current.metadata.finalizers.clone();
        obj.metadata.owner_references = current.metadata.owner_references.clone();
        if let Some(status) = current.data.get("status") {
            obj.data["status"] = status.clone();
        }
        annotate_action(&mut obj, "update", user);
        api.replace(
            name,
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &obj,
        )
        .await?;
        let created = self.write_secrets(namespace, &owner, &secrets).await?;
        let updated = match api.replace(name, &PostParams::default(), &obj).await {
            Ok(o) => o,
            Err(e) => {
                self.remove_secrets(namespace, &created).await;
                return Err(e.into());
            }
        };
        self.own_secrets(namespace, &updated, &secrets).await;
        let mut stale = Vec::new();
        if remove_auth {
            stale.push(format!("{name}-{}-auth", self.kind.short));
        }
        if remove_tls {
            stale.push(format!("{name}-{}-tls", self.kind.short));
        }
        self.remove_secrets(namespace, &stale).await;
        let all = self.secrets(namespace).await;
        Ok(view(self.kind, &self.cluster, updated, &all))
    }

    /// Deletes an object; its managed credential Secrets go with it (owner references).
    pub async fn delete(&self, namespace: &str, name: &str) -> Result<()> {
        self.api(Some(namespace))
            .delete(name, &DeleteParams::background())
            .await?;
        Ok(())
    }

    /// Runs an action. `reconcile` sets `reconcile.fluxcd.io/requestedAt` (first on the
    /// object's source when `with_source`) and, if `wait` is given, waits until the controller
    /// reports it handled that request. `force` and `reset` (HelmRelease) set
    /// `reconcile.fluxcd.io/forceAt` / `resetAt` to the same token, as the flux CLI does.
    pub async fn act(
        &self,
        namespace: &str,
        name: &str,
        action: Action,
        opts: ActOptions<'_>,
        user: &User,
    ) -> Result<ObjectView> {
        if !self.kind.actions.contains(&action) {
            return Err(Error::BadRequest(format!(
                "{} does not support {}",
                self.kind.kind,
                action_name(action)
            )));
        }
        let api = self.api(Some(namespace));
        if action == Action::Reconcile && opts.with_source {
            let obj = api.get(name).await?;
            let value = serde_json::to_value(&obj).map_err(|e| Error::Internal(e.into()))?;
            let source =
                self.kind.source.and_then(|f| f(&value)).ok_or_else(|| {
                    Error::BadRequest(format!("{} has no source to reconcile", self.kind.kind))
                })?;
            let kind = crate::catalog::KINDS
                .iter()
                .copied()
                .find(|k| k.family == crate::kinds::Family::Source && k.kind == source.kind)
                .ok_or_else(|| Error::BadRequest(format!("cannot reconcile a {} source", source.kind)))?;
            let scope = Scope {
                kind,
                cluster: self.cluster.clone(),
                client: self.client.clone(),
                own: self.own.clone(),
            };
            let ns = source.namespace.as_deref().unwrap_or(namespace);
            scope
                .request(ns, &source.name, Action::Reconcile, opts, user)
                .await?;
        }
        let obj = self.request(namespace, name, action, opts, user).await?;
        let secrets = self.secrets(namespace).await;
        Ok(view(self.kind, &self.cluster, obj, &secrets))
    }

    async fn request(
        &self,
        namespace: &str,
        name: &str,
        action: Action,
        opts: ActOptions<'_>,
        user: &User,
    ) -> Result<DynamicObject> {
        let api = self.api(Some(namespace));
        let now = jiff::Timestamp::now().to_string();
        let note = format!("{} by {} at {now}", action_name(action), user.name);
        let patch = match action {
            Action::Reconcile => json!({"metadata": {"annotations": {REQUESTED_AT: now, LAST_ACTION: note}}}),
            Action::Suspend => {
                json!({"metadata": {"annotations": {LAST_ACTION: note}}, "spec": {"suspend": true}})
            }
            Action::Resume => {
                json!({"metadata": {"annotations": {LAST_ACTION: note, REQUESTED_AT: now}}, "spec": {"suspend": false}})
            }
            Action::Force => {
                json!({"metadata": {"annotations": {LAST_ACTION: note, REQUESTED_AT: now, FORCE_AT: now}}})
            }
            Action::Reset => {
                json!({"metadata": {"annotations": {LAST_ACTION: note, REQUESTED_AT: now, RESET_AT: now}}})
            }
        };
        let mut obj = api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
        let Some(secs) = opts.wait.filter(|_| action != Action::Suspend) else {
            return Ok(obj);
        };
        let timeout = Duration::from_secs(secs.min(120));
        if let Some(watch) = opts.watch.filter(|w| w.watches(&self.cluster, self.kind)) {
            let latest = watch
                .handled(&self.cluster, self.kind, namespace, name, &now, timeout)
                .await;
            return match latest {
                Some(o) => Ok(o),
                None => Ok(api.get(name).await?),
            };
        }
        {
            let deadline = tokio::time::Instant::now() + timeout;
            while tokio::time::Instant::now() < deadline {
                let handled = obj
                    .data
                    .pointer("/status/lastHandledReconcileAt")
                    .and_then(Value::as_str);
                if handled == Some(now.as_str()) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
                obj = api.get(name).await?;
            }
        }
        Ok(obj)
    }
}

/// The latest version of an object a [`Watch`] has seen.
pub type Watched<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<DynamicObject>> + Send + 'a>>;

/// Something that watches objects (the watch caches), so an action can wait for a
/// controller's answer without polling the cluster.
pub trait Watch: Send + Sync {
    /// Whether a current watch holds `kind` in `cluster`.
    fn watches(&self, cluster: &str, kind: &FluxKind) -> bool;
    /// Waits up to `timeout` until the object's `status.lastHandledReconcileAt` is `token`,
    /// and answers its latest version (`None` if the watch does not hold it).
    fn handled<'a>(
        &'a self,
        cluster: &'a str,
        kind: &'a FluxKind,
        namespace: &'a str,
        name: &'a str,
        token: &'a str,
        timeout: Duration,
    ) -> Watched<'a>;
}

/// Options of an action.
#[derive(Clone, Copy, Default)]
pub struct ActOptions<'a> {
    /// Seconds to wait for the controller to handle a reconcile request.
    pub wait: Option<u64>,
    /// Reconcile the object's source first.
    pub with_source: bool,
    /// Where to watch for the controller's answer; without one, the object is polled.
    pub watch: Option<&'a dyn Watch>,
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Reconcile => "reconcile",
        Action::Suspend => "suspend",
        Action::Resume => "resume",
        Action::Force => "force",
        Action::Reset => "reset",
    }
}

fn annotate_action(obj: &mut DynamicObject, action: &str, user: &User) {
    let note = format!("{action} by {} at {}", user.name, jiff::Timestamp::now());
    obj.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(LAST_ACTION.into(), note);
}

/// What [`page_by`] needs to know of a listed item.
pub trait Listed {
    /// The object's name.
    fn name(&self) -> &str;
    /// The object's namespace.
    fn namespace(&self) -> &str;
    /// `metadata.creationTimestamp` (RFC 3339, so it sorts as text).
    fn created(&self) -> &str;
    /// Its state.
    fn state(&self) -> State;
    /// A sort key for a `sortBy` field other than `name`, `namespace`, `state` and
    /// `createTime`; `None` sorts such a field by `createTime`.
    fn sort_key(&self, _field: &str) -> Option<&str> {
        None
    }
}

impl Listed for ObjectView {
    fn name(&self) -> &str {
        self.metadata["name"].as_str().unwrap_or_default()
    }
    fn namespace(&self) -> &str {
        self.metadata["namespace"].as_str().unwrap_or_default()
    }
    fn created(&self) -> &str {
        self.metadata["creationTimestamp"].as_str().unwrap_or_default()
    }
    fn state(&self) -> State {
        self.summary.state
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Failed => "Failed",
        State::Progressing => "Progressing",
        State::Ready => "Ready",
        State::Suspended => "Suspended",
        State::Unknown => "Unknown",
    }
}

/// Filters (`name`, `state`), sorts (`sortBy`, `ascending`; ties by namespace and name) and
/// pages (`page`, `limit`) items the KubeSphere way; returns the page and how many matched.
pub fn page_by<T: Listed>(mut items: Vec<T>, q: &ListQuery) -> (Vec<T>, usize) {
    if let Some(n) = q.name.as_deref().filter(|n| !n.is_empty()) {
        items.retain(|i| i.name().contains(n));
    }
    if let Some(s) = q.state {
        items.retain(|i| i.state() == s);
    }
    let field = q.sort_by.as_deref().unwrap_or("createTime");
    fn key<'a, T: Listed>(i: &'a T, field: &str) -> (&'a str, &'a str, &'a str) {
        let primary = match field {
            "name" => i.name(),
            "namespace" => i.namespace(),
            "state" => state_name(i.state()),
            "createTime" => i.created(),
            other => i.sort_key(other).unwrap_or_else(|| i.created()),
        };
        (primary, i.namespace(), i.name())
    }
    items.sort_by(|a, b| key(a, field).cmp(&key(b, field)));
    if !q.ascending.unwrap_or(false) {
        items.reverse();
    }
    let total = items.len();
    let limit = q.limit.unwrap_or(10).clamp(1, 10_000);
    let skip = q.page.unwrap_or(1).max(1).saturating_sub(1).saturating_mul(limit);
    let items = items.into_iter().skip(skip).take(limit).collect();
    (items, total)
}

/// Whether an application's spec has a target in `cluster`.
pub fn targets_cluster(spec: &Value, cluster: &str) -> bool {
    spec.get("targets").and_then(Value::as_array).is_some_and(|ts| {
        ts.iter()
            .any(|t| t.get("cluster").and_then(Value::as_str) == Some(cluster))
    })
}

/// Filters, sorts and pages a list the KubeSphere way (see [`page_by`]); `target` keeps the
/// applications deploying to a cluster.
pub fn page(mut items: Vec<ObjectView>, q: &ListQuery) -> ObjectList {
    if let Some(cluster) = q.target.as_deref().filter(|c| !c.is_empty()) {
        items.retain(|o| targets_cluster(&o.spec, cluster));
    }
    let (items, total_items) = page_by(items, q);
    ObjectList { items, total_items }
}

#[cfg(test)]
mod tests {
    #[test]
    fn applied_revision_of_kustomizations_and_helm_releases() {
        let ks = json!({"status": {"lastAppliedRevision": "main@sha1:abc"}});
        assert_eq!(super::applied_revision(&ks).as_deref(), Some("main@sha1:abc"));
        let hr = json!({"status": {"history": [{"chartVersion": "1.0.0", "status": "deployed"}, {"chartVersion": "0.2.0"}]}});
        assert_eq!(super::applied_revision(&hr).as_deref(), Some("1.0.0"));
        assert_eq!(super::applied_revision(&json!({"status": {}})), None);
    }

    use super::*;

    fn obj(ready: &str, suspend: bool) -> Value {
        json!({"metadata": {"name": "a", "generation": 2},
               "spec": {"suspend": suspend},
               "status": {"observedGeneration": 2, "conditions": [{"type": "Ready", "status": ready, "reason": "R", "message": "m"}],
                          "artifact": {"revision": "main@sha1:abc"}}})
    }

    #[test]
    fn summary_reads_flux_conditions() {
        assert_eq!(summarize(&obj("True", false)).state, State::Ready);
        assert_eq!(summarize(&obj("False", false)).state, State::Failed);
        assert_eq!(summarize(&obj("Unknown", false)).state, State::Progressing);
        assert_eq!(summarize(&obj("True", true)).state, State::Suspended);
        assert_eq!(summarize(&json!({"metadata": {}})).state, State::Unknown);
        let s = summarize(&obj("True", false));
        assert_eq!(s.revision.as_deref(), Some("main@sha1:abc"));
        assert_eq!(s.reason, "R");
    }

    #[test]
    fn a_newer_generation_is_progressing() {
        let mut o = obj("True", false);
        o["metadata"]["generation"] = json!(3);
        assert_eq!(summarize(&o).state, State::Progressing);
    }

    #[test]
    fn reconcile_is_handled_when_tokens_match() {
        let mut o = obj("True", false);
        o["metadata"]["annotations"] = json!({REQUESTED_AT: "t1"});
        assert!(!summarize(&o).reconcile_handled);
        o["status"]["lastHandledReconcileAt"] = json!("t1");
        assert!(summarize(&o).reconcile_handled);
    }

    fn item(name: &str, created: &str) -> ObjectView {
        ObjectView {
            cluster: "host".into(),
            api_version: "v".into(),
            kind: "K".into(),
            metadata: json!({"name": name, "namespace": "ns", "creationTimestamp": created}),
            spec: json!({}),
            status: json!({}),
            summary: summarize(&json!({})),
            credential_status: CredentialsView::default(),
        }
    }

    #[test]
    fn pages_sort_and_filter() {
        let items = vec![
            item("b", "2026-01-02"),
            item("a", "2026-01-01"),
            item("c", "2026-01-03"),
        ];
        let q = ListQuery {
            sort_by: Some("name".into()),
            ascending: Some(true),
            limit: Some(2),
            ..Default::default()
        };
        let p = page(items.clone(), &q);
        assert_eq!(p.total_items, 3);
        let names: Vec<_> = p
            .items
            .iter()
            .map(|i| i.metadata["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let p2 = page(
            items.clone(),
            &ListQuery {
                page: Some(2),
                ..q.clone()
            },
        );
        assert_eq!(p2.items.len(), 1);
        let newest = page(items.clone(), &ListQuery::default());
        assert_eq!(newest.items[0].metadata["name"], "c");
        let filtered = page(
            items,
            &ListQuery {
                name: Some("b".into()),
                ..Default::default()
            },
        );
        assert_eq!(filtered.total_items, 1);
    }

    #[test]
    fn applications_filter_by_target_cluster() {
        let mut a = item("a", "2026-01-01");
        a.spec = json!({"targets": [{"cluster": "host", "namespace": "ns"}, {"cluster": "member-1", "namespace": "ns"}]});
        let mut b = item("b", "2026-01-02");
        b.spec = json!({"targets": [{"cluster": "member-2", "namespace": "ns"}]});
        let q = |t: &str| ListQuery {
            target: Some(t.into()),
            ..Default::default()
        };
        let names = |p: ObjectList| -> Vec<String> {
            p.items
                .iter()
                .map(|i| i.metadata["name"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(names(page(vec![a.clone(), b.clone()], &q("member-1"))), ["a"]);
        assert_eq!(names(page(vec![a.clone(), b.clone()], &q("member-2"))), ["b"]);
        assert!(names(page(vec![a.clone(), b.clone()], &q("member-3"))).is_empty());
        assert_eq!(page(vec![a, b], &q("")).total_items, 2);
    }

    #[test]
    fn a_page_past_the_end_is_empty() {
        let q = ListQuery {
            page: Some(usize::MAX),
            limit: Some(10_000),
            ..Default::default()
        };
        let p = page(vec![item("a", "2026-01-01")], &q);
        assert!(p.items.is_empty());
        assert_eq!(p.total_items, 1);
    }
}
