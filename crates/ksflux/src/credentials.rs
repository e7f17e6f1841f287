//! Credentials in friendly form, stored as Secrets beside the Flux object that uses them.
//!
//! A request carries `credentials` (how to authenticate: basic, bearer token, SSH key, S3
//! keys) and/or `tls` (client certificate and CA). ksflux writes them to Secrets named after
//! the object (`<name>-<kind>-auth`, `<name>-<kind>-tls`), owned by it (so they are deleted
//! with it), and sets the object's `secretRef` / `certSecretRef`. Responses say only that a
//! credential is set, its type and the Secret's name: **values are never returned**.

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::api::ObjectMeta;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Cause;

/// Annotation on Secrets ksflux manages, naming the credential type.
pub const TYPE_ANNOTATION: &str = "fluxcd.kubesphere.io/credential-type";
/// Annotation naming the object a managed Secret belongs to (`Kind/name`).
pub const OWNER_ANNOTATION: &str = "fluxcd.kubesphere.io/credentials-for";
/// Label on Secrets ksflux manages.
pub const MANAGED_LABEL: (&str, &str) = ("app.kubernetes.io/managed-by", "ksflux");

/// How to authenticate to a source.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Credentials {
    /// HTTP basic auth (git over HTTPS, Helm repositories, OCI registries).
    Basic {
        /// User name.
        username: String,
        /// Password or access token.
        password: String,
    },
    /// A token stored under the key `token` (notification Providers and Receivers), and/or a
    /// Provider's address kept secret (a Slack or Teams webhook URL carries its credential).
    Token {
        /// The token; may be empty when `address` is given (a Provider whose webhook address
        /// is its only secret).
        #[serde(default)]
        token: String,
        /// A Provider's webhook address, when it is a secret too.
        #[serde(default)]
        address: Option<String>,
    },
    /// A bearer token (git over HTTPS).
    Bearer {
        /// The token.
        token: String,
    },
    /// An SSH private key and the server's known_hosts (git over SSH).
    #[serde(rename_all = "camelCase")]
    Ssh {
        /// PEM private key.
        identity: String,
        /// known_hosts lines for the server.
        known_hosts: String,
        /// The key's passphrase, if it has one.
        #[serde(default)]
        password: Option<String>,
    },
    /// S3 access keys (Bucket).
    #[serde(rename_all = "camelCase")]
    S3 {
        /// Access key id.
        access_key: String,
        /// Secret access key.
        secret_key: String,
    },
    /// Remove the credentials ksflux manages for the object.
    None,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print values.
        write!(f, "Credentials({})", self.type_name())
    }
}

/// Whether a secret webhook address is an http(s) URL with a host (checked without ever
/// putting the value into a message).
fn secret_address_ok(a: &str) -> bool {
    crate::validation::url("address", a, &["http", "https"]).is_empty()
}

impl Credentials {
    /// The `type` of this credential.
    pub fn type_name(&self) -> &'static str {
        match self {
            Credentials::Basic { .. } => "basic",
            Credentials::Token { .. } => "token",
            Credentials::Bearer { .. } => "bearer",
            Credentials::Ssh { .. } => "ssh",
            Credentials::S3 { .. } => "s3",
            Credentials::None => "none",
        }
    }

    /// The values given, by field name (for size checks; never printed).
    fn values(&self) -> Vec<(&'static str, &str)> {
        match self {
            Credentials::Basic { username, password } => vec![("username", username), ("password", password)],
            Credentials::Token { token, address } => {
                let mut v = vec![("token", token.as_str())];
                v.extend(address.as_deref().map(|a| ("address", a)));
                v
            }
            Credentials::Bearer { token } => vec![("token", token)],
            Credentials::Ssh {
                identity,
                known_hosts,
                password,
            } => {
                let mut v = vec![
                    ("identity", identity.as_str()),
                    ("knownHosts", known_hosts.as_str()),
                ];
                v.extend(password.as_deref().map(|p| ("password", p)));
                v
            }
            Credentials::S3 {
                access_key,
                secret_key,
            } => vec![("accessKey", access_key), ("secretKey", secret_key)],
            Credentials::None => Vec::new(),
        }
    }

    /// Checks the values are present; `field` is where the credential sits in the request.
    pub fn validate(&self, field: &str) -> Vec<Cause> {
        let mut causes = Vec::new();
        let mut need = |name: &str, v: &str| {
            if v.trim().is_empty() {
                causes.push(Cause::required(format!("{field}.{name}")));
            }
        };
        match self {
            Credentials::Basic { username, password } => {
                need("username", username);
                need("password", password);
            }
            Credentials::Bearer { token } => need("token", token),
            Credentials::Token { token, address } => {
                if address.as_deref().is_none_or(|a| a.trim().is_empty()) {
                    need("token", token);
                }
                if let Some(a) = address.as_deref().filter(|a| !a.trim().is_empty())
                    && !secret_address_ok(a)
                {
                    // The address is a secret: the message names the rule, never the value.
                    causes.push(Cause::invalid(
                        format!("{field}.address"),
                        "address must be an http:// or https:// URL with a host and no spaces",
                    ));
                }
            }
            Credentials::Ssh {
                identity,
                known_hosts,
                ..
            } => {
                need("identity", identity);
                need("knownHosts", known_hosts);
                if !identity.trim().is_empty() && !identity.contains("PRIVATE KEY-----") {
                    causes.push(Cause::invalid(
                        format!("{field}.identity"),
                        "identity must be a PEM private key",
                    ));
                }
            }
            Credentials::S3 {
                access_key,
                secret_key,
            } => {
                need("accessKey", access_key);
                need("secretKey", secret_key);
            }
            Credentials::None => {}
        }
        causes.extend(
            self.values()
                .into_iter()
                .filter_map(|(name, v)| crate::limits::check_secret_value(format!("{field}.{name}"), v)),
        );
        causes
    }

    /// The Secret data for this credential. OCI registries want a docker config, for which
    /// `registry` names the host.
    pub fn data(&self, registry: Option<&str>) -> BTreeMap<String, Vec<u8>> {
        let mut d = BTreeMap::new();
        match self {
            Credentials::Basic { username, password } => {
                if let Some(host) = registry {
                    let auth =
                        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
                    let cfg = serde_json::json!({"auths": {host: {"username": username, "password": password, "auth": auth}}});
                    d.insert(".dockerconfigjson".into(), cfg.to_string().into_bytes());
                } else {
                    d.insert("username".into(), username.clone().into_bytes());
                    d.insert("password".into(), password.clone().into_bytes());
                }
            }
            Credentials::Bearer { token } => {
                d.insert("bearerToken".into(), token.clone().into_bytes());
            }
            Credentials::Token { token, address } => {
                if !token.is_empty() {
                    d.insert("token".into(), token.clone().into_bytes());
                }
                if let Some(a) = address.as_ref().filter(|a| !a.trim().is_empty()) {
                    d.insert("address".into(), a.clone().into_bytes());
                }
            }
            Credentials::Ssh {
                identity,
                known_hosts,
                password,
            } => {
                d.insert("identity".into(), identity.clone().into_bytes());
                d.insert("known_hosts".into(), known_hosts.clone().into_bytes());
                if let Some(p) = password {
                    d.insert("password".into(), p.clone().into_bytes());
                }
            }
            Credentials::S3 {
                access_key,
                secret_key,
            } => {
                d.insert("accesskey".into(), access_key.clone().into_bytes());
                d.insert("secretkey".into(), secret_key.clone().into_bytes());
            }
            Credentials::None => {}
        }
        d
    }
}

/// TLS material for a source: a client certificate and key, and/or a CA bundle (PEM).
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tls {
    /// Client certificate (`tls.crt`).
    #[serde(default)]
    pub cert: Option<String>,
    /// Client key (`tls.key`).
    #[serde(default)]
    pub key: Option<String>,
    /// CA bundle (`ca.crt`).
    #[serde(default)]
    pub ca: Option<String>,
    /// Remove the TLS Secret ksflux manages for the object.
    #[serde(default)]
    pub remove: bool,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tls(cert: {}, key: {}, ca: {})",
            self.cert.is_some(),
            self.key.is_some(),
            self.ca.is_some()
        )
    }
}

impl Tls {
    /// Checks a certificate comes with its key and every value is PEM.
    pub fn validate(&self, field: &str) -> Vec<Cause> {
        let mut causes = Vec::new();
        if self.remove {
            return causes;
        }
        if self.cert.is_some() != self.key.is_some() {
            causes.push(Cause::invalid(field, "cert and key must be given together"));
        }
        if self.cert.is_none() && self.ca.is_none() {
            causes.push(Cause::required(format!("{field}.ca")));
        }
        for (name, v) in [("cert", &self.cert), ("key", &self.key), ("ca", &self.ca)] {
            if let Some(v) = v {
                if let Some(c) = crate::limits::check_secret_value(format!("{field}.{name}"), v) {
                    causes.push(c);
                } else if !v.contains("-----BEGIN") {
                    causes.push(Cause::invalid(format!("{field}.{name}"), "must be PEM"));
                }
            }
        }
        causes
    }

    /// The Secret data (`tls.crt`, `tls.key`, `ca.crt`).
    pub fn data(&self) -> BTreeMap<String, Vec<u8>> {
        let mut d = BTreeMap::new();
        for (k, v) in [
            ("tls.crt", &self.cert),
            ("tls.key", &self.key),
            ("ca.crt", &self.ca),
        ] {
            if let Some(v) = v {
                d.insert(k.to_string(), v.clone().into_bytes());
            }
        }
        d
    }
}

/// What the API says about a credential Secret: never its values.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    /// The Secret's name.
    pub secret_name: String,
    /// The credential type (`basic`, `bearer`, `ssh`, `s3`, `tls`), or `external` for a
    /// Secret ksflux does not manage.
    #[serde(rename = "type")]
    pub type_: String,
    /// ksflux wrote the Secret (and rotates and deletes it with the object).
    pub managed: bool,
}

/// Builds a managed Secret.
pub fn secret(
    name: &str,
    namespace: &str,
    owner: &str,
    type_: &str,
    data: BTreeMap<String, Vec<u8>>,
) -> Secret {
    let docker = data.contains_key(".dockerconfigjson");
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            labels: Some([(MANAGED_LABEL.0.to_string(), MANAGED_LABEL.1.to_string())].into()),
            annotations: Some(
                [
                    (TYPE_ANNOTATION.to_string(), type_.to_string()),
                    (OWNER_ANNOTATION.to_string(), owner.to_string()),
                ]
                .into(),
            ),
            ..Default::default()
        },
        type_: Some(
            if docker {
                "kubernetes.io/dockerconfigjson"
            } else {
                "Opaque"
            }
            .to_string(),
        ),
        data: Some(data.into_iter().map(|(k, v)| (k, ByteString(v))).collect()),
        ..Default::default()
    }
}

/// Whether ksflux manages this Secret for `owner` (`Kind/name`).
pub fn is_managed_for(s: &Secret, owner: &str) -> bool {
    s.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(MANAGED_LABEL.0))
        .is_some_and(|v| v == MANAGED_LABEL.1)
        && s.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(OWNER_ANNOTATION))
            .is_some_and(|v| v == owner)
}

/// The API's description of a referenced Secret.
pub fn info(secret_name: &str, s: Option<&Secret>, owner: &str) -> CredentialInfo {
    match s {
        Some(s) if is_managed_for(s, owner) => CredentialInfo {
            secret_name: secret_name.to_string(),
            type_: s
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(TYPE_ANNOTATION))
                .cloned()
                .unwrap_or_else(|| "unknown".into()),
            managed: true,
        },
        _ => CredentialInfo {
            secret_name: secret_name.to_string(),
            type_: "external".into(),
            managed: false,
        },
    }
}

#[cfg(test)]
mod token_tests {
    use super::Credentials;

    fn token(token: &str, address: Option<&str>) -> Credentials {
        Credentials::Token {
            token: token.into(),
            address: address.map(Into::into),
        }
    }

    #[test]
    fn a_provider_secret_may_be_its_address_alone() {
        let c = token("", Some("https://hooks.slack.com/services/T/B/x"));
        assert!(c.validate("credentials").is_empty());
        let data = c.data(None);
        assert!(data.contains_key("address"));
        assert!(!data.contains_key("token"), "no empty token key");
    }

    #[test]
    fn a_token_credential_needs_a_token_or_an_address() {
        let causes = token("", None).validate("credentials");
        assert_eq!(causes[0].field, "credentials.token");
        assert!(token("s3cret", None).validate("credentials").is_empty());
    }

    #[test]
    fn a_bad_secret_address_is_refused_without_echoing_it() {
        let causes = token("", Some("hooks.example.com/very-secret")).validate("credentials");
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "credentials.address");
        assert!(!causes[0].message.contains("very-secret"));
    }
}
