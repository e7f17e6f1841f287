//! Request extractors whose every rejection is a Kubernetes `Status` naming what is wrong:
//! the JSON body ([`ApiJson`]), query parameters ([`ApiQuery`]) and path segments
//! ([`ApiPath`]). Path segments are checked before any handler runs, so a name no Kubernetes
//! object can have never reaches a cluster.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request},
};
use http::{StatusCode, request::Parts};
use serde::de::DeserializeOwned;

use crate::{
    error::{Cause, Error, Result},
    validation,
};

/// The largest request body the API reads (1 MiB); larger ones are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

/// The media type of a request's body (`Content-Type` without parameters, lowercase).
fn media_type(req: &Request) -> String {
    req.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A JSON body whose errors are a `Status` naming the failing field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        if media_type(&req) != "application/json" {
            return Err(Error::BadRequest(
                "the body must be JSON (Content-Type: application/json)".into(),
            ));
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The body's bytes, up to [`MAX_BODY`] (413 beyond).
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge(format!(
                "the body is larger than {} KiB, the most the API accepts",
                MAX_BODY / 1024
            ))
        } else {
            Error::BadRequest("cannot read the body".into())
        }
    })
}

/// A patch body: JSON merge patch or JSON patch, by `Content-Type`.
pub enum PatchBody {
    /// `application/merge-patch+json` (RFC 7386).
    Merge(serde_json::Value),
    /// `application/json-patch+json` (RFC 6902).
    Json(json_patch::Patch),
}

impl<S: Send + Sync> FromRequest<S> for PatchBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let merge = match media_type(&req).as_str() {
            "application/merge-patch+json" => true,
            "application/json-patch+json" => false,
            other => {
                return Err(Error::UnsupportedMediaType(format!(
                    "{other:?} is not a patch type ksflux takes; use application/merge-patch+json or application/json-patch+json"
                )));
            }
        };
        let value: serde_json::Value = parse_json(&read_body(req, state).await?)?;
        if merge {
            if !value.is_object() {
                return Err(Error::BadRequest("a merge patch must be a JSON object".into()));
            }
            Ok(PatchBody::Merge(value))
        } else {
            let patch: json_patch::Patch = serde_path_to_error::deserialize(value).map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." {
                    "patch".to_string()
                } else {
                    format!("patch{path}")
                };
                Error::invalid(vec![Cause::invalid(field, e.inner().to_string())])
            })?;
            Ok(PatchBody::Json(patch))
        }
    }
}

impl PatchBody {
    /// Whether the patch names `metadata.resourceVersion` (sets or tests it): then it applies
    /// to that version only.
    pub fn names_resource_version(&self) -> bool {
        match self {
            PatchBody::Merge(p) => p.pointer("/metadata/resourceVersion").is_some(),
            PatchBody::Json(p) => p.0.iter().any(|op| {
                let path = match op {
                    json_patch::PatchOperation::Add(o) => o.path.as_str(),
                    json_patch::PatchOperation::Remove(o) => o.path.as_str(),
                    json_patch::PatchOperation::Replace(o) => o.path.as_str(),
                    json_patch::PatchOperation::Move(o) => o.path.as_str(),
                    json_patch::PatchOperation::Copy(o) => o.path.as_str(),
                    json_patch::PatchOperation::Test(o) => o.path.as_str(),
                };
                path.starts_with("/metadata/resourceVersion") || path == "/metadata" || path.is_empty()
            }),
        }
    }

    /// Applies the patch to `doc`; a JSON patch operation that cannot apply (a missing path, a
    /// failed `test`) is a 422 naming it.
    pub fn apply(&self, doc: &mut serde_json::Value) -> Result<()> {
        match self {
            PatchBody::Merge(p) => {
                json_patch::merge(doc, p);
                Ok(())
            }
            PatchBody::Json(p) => json_patch::patch(doc, p).map_err(|e| {
                Error::invalid(vec![Cause::invalid(
                    format!("patch[{}]", e.operation),
                    e.to_string(),
                )])
            }),
        }
    }
}

/// Parses a JSON body, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            Error::BadRequest(format!("the body is not valid JSON: {inner}"))
        } else if path == "." {
            Error::BadRequest(format!("the body must be a JSON object: {inner}"))
        } else {
            Error::invalid(vec![Cause::invalid(path, inner.to_string())])
        }
    })
}

/// Query parameters whose errors are a 400 `Status` naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Parses a query string, naming the failing parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let name = if path == "." { "query".to_string() } else { path };
        Error::bad_param(name, e.into_inner().to_string())
    })
}

/// Path parameters, each checked against what Kubernetes allows in its place before the
/// handler runs: `namespace` and `cluster` are DNS-1123 labels, `name` a DNS-1123
/// subdomain, `resource` a lowercase plural. Anything else is a 400 naming the parameter.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::bad_param("path", "a path segment is not valid UTF-8"))?;
        let mut causes = Vec::new();
        for (key, value) in raw.iter() {
            causes.extend(check_segment(key, value));
        }
        if !causes.is_empty() {
            return Err(Error::BadParams(causes));
        }
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| ApiPath(p))
            .map_err(|e| Error::bad_param("path", e.body_text()))
    }
}

/// What is wrong with a path segment, if anything.
pub fn check_segment(key: &str, value: &str) -> Vec<Cause> {
    match key {
        "namespace" | "cluster" => validation::dns1123_label(key, value),
        "resource" => {
            if !value.is_empty() && value.len() <= 63 && value.bytes().all(|b| b.is_ascii_lowercase()) {
                Vec::new()
            } else {
                vec![Cause::invalid(
                    key,
                    "must be a resource's plural name (lowercase letters)",
                )]
            }
        }
        _ => validation::dns1123_subdomain(key, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Q {
        limit: Option<usize>,
        ascending: Option<bool>,
    }

    fn field(e: Error) -> (u16, String) {
        let s = e.to_status();
        let f = s
            .details
            .and_then(|d| d.causes.first().map(|c| c.field.clone()))
            .unwrap_or_default();
        (s.code, f)
    }

    #[test]
    fn bad_query_parameters_are_a_400_naming_the_parameter() {
        let q: Q = parse_query("limit=5&ascending=true&other=x").expect("valid");
        assert_eq!((q.limit, q.ascending), (Some(5), Some(true)));
        let e = parse_query::<Q>("limit=abc").expect_err("not a number");
        assert_eq!(field(e), (400, "limit".to_string()));
        let e = parse_query::<Q>("limit=-1").expect_err("negative");
        assert_eq!(field(e), (400, "limit".to_string()));
        let e = parse_query::<Q>("ascending=maybe").expect_err("not a bool");
        assert_eq!(field(e), (400, "ascending".to_string()));
    }

    #[test]
    fn path_segments_are_checked_against_kubernetes_names() {
        assert!(check_segment("namespace", "team-a").is_empty());
        assert!(check_segment("name", "web.v2").is_empty());
        assert!(check_segment("resource", "gitrepositories").is_empty());
        for (key, bad) in [
            ("namespace", "a b"),
            ("namespace", "\u{3}"),
            ("name", "a\\b"),
            ("name", "UPPER"),
            ("resource", "git-repos"),
            ("cluster", ""),
        ] {
            let causes = check_segment(key, bad);
            assert_eq!(causes.len(), 1, "{key}={bad:?}");
            assert_eq!(causes[0].field, key);
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_a_400_without_an_empty_field() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct B {
            name: String,
        }
        let s = parse_json::<B>(b"null").expect_err("null").to_status();
        assert_eq!(s.code, 400);
        assert!(s.details.is_none());
        let s = parse_json::<B>(b"{\"name\": 1}").expect_err("type").to_status();
        assert_eq!(s.code, 422);
        assert_eq!(
            s.details.map(|d| d.causes[0].field.clone()).as_deref(),
            Some("name")
        );
        assert_eq!(parse_json::<B>(b"{").expect_err("syntax").to_status().code, 400);
    }
}
