//! The credential Secrets a create or update writes for an object: built from the request,
//! dry-run with the object, owned by it once it exists, removed when no longer referenced.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api,
    api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams},
};
use serde_json::json;

use super::*;
use crate::{
    credentials::{self, Credentials},
    error::{Error, Result},
    kinds::TlsRef,
};

impl Scope<'_> {
    /// The Secrets a request asks for: (field of the spec, Secret), plus whether to remove
    /// the managed auth / TLS Secrets.
    pub(super) fn secrets_for(
        &self,
        namespace: &str,
        req: &ObjectRequest,
    ) -> (Vec<(&'static str, Secret)>, bool, bool) {
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

    pub(super) fn build(
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
    pub(super) async fn write_secrets(
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

    pub(super) async fn own_secrets(
        &self,
        namespace: &str,
        obj: &DynamicObject,
        secrets: &[(&'static str, Secret)],
    ) {
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

    pub(super) async fn remove_secrets(&self, namespace: &str, names: &[String]) {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        for n in names {
            let _ = api.delete(n, &DeleteParams::default()).await;
        }
    }
}
