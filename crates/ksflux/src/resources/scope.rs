//! Operations on one kind in one cluster, as one user: list, get, create, update, delete and
//! actions; every call to the cluster is made as the user.

use std::{collections::BTreeMap, time::Duration};

use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Client,
    api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};

use super::*;
use crate::{
    auth::User,
    credentials::{self, Credentials},
    error::{Cause, Error, Result},
    kinds::{Action, FluxKind, TlsRef},
    validation,
};

// ---------------------------------------------------------------------------------------------
// operations

/// How long an allowed SubjectAccessReview of a write (create, update, patch) is trusted. It is
/// the check made before anything is validated; the write that follows is made as the user, so
/// the apiserver decides it again. (The apiserver's webhook authorizer keeps allowed decisions
/// 5 minutes by default.)
const ALLOWED_FOR: Duration = Duration::from_secs(10);

type Decisions = std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>;

fn decisions() -> &'static Decisions {
    static DECISIONS: std::sync::OnceLock<Decisions> = std::sync::OnceLock::new();
    DECISIONS.get_or_init(Default::default)
}

fn recently_allowed(key: &str) -> bool {
    decisions()
        .lock()
        .ok()
        .and_then(|d| d.get(key).map(|at| at.elapsed() < ALLOWED_FOR))
        .unwrap_or(false)
}

fn remember_allowed(key: String) {
    if let Ok(mut d) = decisions().lock() {
        if d.len() > 4096 {
            d.retain(|_, at| at.elapsed() < ALLOWED_FOR);
        }
        d.insert(key, std::time::Instant::now());
    }
}

/// Operations on one kind in one cluster namespace, as one user.
pub struct Scope<'a> {
    /// The kind.
    pub kind: &'a FluxKind,
    /// The cluster's name.
    pub cluster: String,
    /// The user's client for that cluster.
    pub client: Client,
    /// ksflux's own client for that cluster, used only for access reviews.
    pub own: Client,
}

impl Scope<'_> {
    /// The user's API for the kind, in `namespace` (all namespaces: `None`).
    pub fn api(&self, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = self.kind.api_resource();
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        }
    }

    /// The metadata (never the values) of the credential Secrets ksflux manages in
    /// `namespace`, read as the user: someone who may not list Secrets there (a viewer) sees
    /// no credential status, and ksflux needs no Secrets access of its own for views.
    pub async fn secrets(&self, namespace: &str) -> Vec<Secret> {
        // Metadata only: values never leave the apiserver for a view.
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
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
        let key = format!(
            "{}\n{}\n{}\n{verb}\n{}\n{}\n{namespace}\n{}",
            self.cluster,
            user.name,
            user.groups.join(","),
            self.kind.group,
            self.kind.plural,
            name.unwrap_or_default()
        );
        let write = matches!(verb, "create" | "update" | "patch");
        if write && recently_allowed(&key) {
            return Ok(());
        }
        crate::auth::authorize(&self.own, user, attrs).await?;
        if write {
            remember_allowed(key);
        }
        Ok(())
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
    pub(super) fn validate(&self, namespace: &str, req: &ObjectRequest, update: bool) -> Result<()> {
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

    /// What [`Self::create`] checks first (the request, the caller's right, that the name is
    /// free, through a dry run), writing nothing: for flows that create several objects.
    pub async fn check_create(&self, namespace: &str, req: &ObjectRequest) -> Result<()> {
        self.validate(namespace, req, false)?;
        let (secrets, _, _) = self.secrets_for(namespace, req);
        let obj = self.build(namespace, req, &secrets)?;
        let dry = PostParams {
            dry_run: true,
            ..Default::default()
        };
        self.api(Some(namespace)).create(&dry, &obj).await?;
        Ok(())
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
        // With credentials to write first, a dry run proves the user may create the object
        // and that it does not exist before any Secret is written; without, the create
        // itself proves it.
        if !secrets.is_empty() {
            api.create(
                &PostParams {
                    dry_run: true,
                    ..Default::default()
                },
                &obj,
            )
            .await?;
        }
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
        // The Secrets are read only to describe the credentials the object references.
        let refs = obj.data.pointer("/spec/secretRef").is_some()
            || obj.data.pointer("/spec/certSecretRef").is_some();
        let all = if refs {
            self.secrets(namespace).await
        } else {
            Vec::new()
        };
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
