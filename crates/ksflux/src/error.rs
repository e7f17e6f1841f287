//! The service's error type and its rendering as a Kubernetes `Status` object.
//!
//! Every error a client sees is a `Status` (`code`, `reason`, `message`, and for bad input
//! `details.causes[]` naming each failing field), the shape Kubernetes clients and the
//! KubeSphere console already understand. Internal errors are logged and answered with a
//! generic message, so nothing secret leaks through an error.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One failing field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Cause {
    /// A machine-readable reason, such as `FieldValueInvalid` or `FieldValueRequired`.
    pub reason: String,
    /// What is wrong, for a person.
    pub message: String,
    /// The field's JSON path, such as `spec.url`.
    pub field: String,
}

impl Cause {
    /// The field has a value that is not allowed.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Cause {
            reason: "FieldValueInvalid".into(),
            message: message.into(),
            field: field.into(),
        }
    }

    /// The field is required but missing.
    pub fn required(field: impl Into<String>) -> Self {
        let field = field.into();
        Cause {
            reason: "FieldValueRequired".into(),
            message: format!("{field} is required"),
            field,
        }
    }

    /// The field is not supported in this context.
    pub fn forbidden(field: impl Into<String>, message: impl Into<String>) -> Self {
        Cause {
            reason: "FieldValueForbidden".into(),
            message: message.into(),
            field: field.into(),
        }
    }
}

/// Details of a [`Status`].
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct StatusDetails {
    /// The object's name, when the error is about one object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The resource (plural) of that object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The failing fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

/// A Kubernetes `Status` object: the body of every error response.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Always `v1`.
    pub api_version: String,
    /// Always `Status`.
    pub kind: String,
    /// Always `Failure`.
    pub status: String,
    /// What went wrong, for a person.
    pub message: String,
    /// A CamelCase reason: `Invalid`, `BadRequest`, `Forbidden`, `NotFound`, `Conflict`,
    /// `AlreadyExists`, `Unauthorized`, `ServiceUnavailable`, `InternalError`, ...
    pub reason: String,
    /// The HTTP status code.
    pub code: u16,
    /// Which object and fields the error is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
}

/// Everything that can go wrong serving a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or a field is invalid (400 `BadRequest` or 422 `Invalid`).
    #[error("{message}")]
    Invalid {
        /// Summary.
        message: String,
        /// Failing fields.
        causes: Vec<Cause>,
    },
    /// The request body or parameters cannot be used at all (400).
    #[error("{0}")]
    BadRequest(String),
    /// Path or query parameters are malformed (400 `BadRequest`, naming each parameter).
    #[error("{}", causes_message(.0))]
    BadParams(Vec<Cause>),
    /// The request body is larger than the API accepts (413).
    #[error("{0}")]
    TooLarge(String),
    /// The body's media type is not one the operation takes (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No or bad credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The object or cluster does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// A write lost a race or the object exists (409).
    #[error("{message}")]
    Conflict {
        /// `Conflict` or `AlreadyExists`.
        reason: &'static str,
        /// What conflicted.
        message: String,
    },
    /// A cluster cannot be reached (503).
    #[error("{0}")]
    Unavailable(String),
    /// Something ksflux reads on the user's behalf (a repository index) answered with content
    /// it cannot use (502). The message names the failure class, never the content.
    #[error("{0}")]
    BadGateway(String),
    /// An error from a cluster's apiserver, passed on with its code.
    #[error("{}", .0.message)]
    Kube(Box<kube::core::Status>),
    /// Anything else (500); logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A 422 naming the failing fields.
    pub fn invalid(causes: Vec<Cause>) -> Self {
        Error::Invalid {
            message: causes_message(&causes),
            causes,
        }
    }

    /// A 400 naming one malformed path or query parameter.
    pub fn bad_param(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadParams(vec![Cause::invalid(name, message)])
    }

    /// The HTTP status of this error.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest(_) | Error::BadParams(_) => StatusCode::BAD_REQUEST,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Kube(s) => StatusCode::from_u16(s.code).unwrap_or(StatusCode::BAD_GATEWAY),
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `Status` body of this error.
    pub fn to_status(&self) -> Status {
        let code = self.status_code();
        let (reason, message, details) = match self {
            Error::Invalid { message, causes } => (
                "Invalid".to_string(),
                message.clone(),
                Some(StatusDetails {
                    causes: causes.clone(),
                    ..Default::default()
                }),
            ),
            Error::BadRequest(m) => ("BadRequest".into(), m.clone(), None),
            Error::BadParams(causes) => (
                "BadRequest".into(),
                causes_message(causes),
                Some(StatusDetails {
                    causes: causes.clone(),
                    ..Default::default()
                }),
            ),
            Error::TooLarge(m) => ("RequestEntityTooLarge".into(), m.clone(), None),
            Error::UnsupportedMediaType(m) => ("UnsupportedMediaType".into(), m.clone(), None),
            Error::BadGateway(m) => ("BadGateway".into(), m.clone(), None),
            Error::Unauthorized(m) => ("Unauthorized".into(), m.clone(), None),
            Error::Forbidden(m) => ("Forbidden".into(), m.clone(), None),
            Error::NotFound(m) => ("NotFound".into(), m.clone(), None),
            Error::Conflict { reason, message } => (reason.to_string(), message.clone(), None),
            Error::Unavailable(m) => ("ServiceUnavailable".into(), m.clone(), None),
            Error::Kube(s) => (
                if s.reason.is_empty() {
                    "InternalError".into()
                } else {
                    s.reason.clone()
                },
                s.message.clone(),
                s.details.as_ref().map(|d| StatusDetails {
                    name: (!d.name.is_empty()).then(|| d.name.clone()),
                    kind: (!d.kind.is_empty()).then(|| d.kind.clone()),
                    causes: d
                        .causes
                        .iter()
                        .map(|c| Cause {
                            reason: c.reason.clone(),
                            message: c.message.clone(),
                            field: c.field.clone(),
                        })
                        .collect(),
                }),
            ),
            Error::Internal(_) => (
                "InternalError".into(),
                "internal error; see the ksflux log".into(),
                None,
            ),
        };
        Status {
            api_version: "v1".into(),
            kind: "Status".into(),
            status: "Failure".into(),
            message,
            reason,
            code: code.as_u16(),
            details,
        }
    }
}

fn causes_message(causes: &[Cause]) -> String {
    causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The reason kube-client gives an error reply whose body is not a Kubernetes `Status` (a
/// proxy's page, a path the apiserver does not serve); its message is that body.
const NOT_A_STATUS: &str = "Failed to parse error data";

impl From<kube::Error> for Error {
    fn from(e: kube::Error) -> Self {
        match e {
            // Never pass on a body that is not a Kubernetes Status: it is whatever the
            // server at the other end chose to say.
            kube::Error::Api(s) if s.reason == NOT_A_STATUS => match s.code {
                404 => Error::NotFound(
                    "the cluster does not serve this resource (is the CRD installed there?)".into(),
                ),
                401 | 403 => Error::Unavailable(format!(
                    "the cluster refused ksflux's request (HTTP {})",
                    s.code
                )),
                code => Error::BadGateway(format!(
                    "the cluster answered HTTP {code} without a Kubernetes Status"
                )),
            },
            kube::Error::Api(s) if s.code == 413 || s.message.contains("request is too large") => {
                Error::TooLarge(
                    "the object is too large for the cluster to store; make values, patches or other large fields smaller"
                        .into(),
                )
            }
            kube::Error::Api(s) => Error::Kube(s),
            kube::Error::HyperError(_) | kube::Error::Service(_) => {
                Error::Unavailable(format!("cluster unreachable: {e}"))
            }
            other => Error::Internal(other.into()),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        (self.status_code(), Json(self.to_status())).into_response()
    }
}

/// The errors any API call may answer, documented on every operation.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum ApiErrors {
    /// A path or query parameter is malformed (`details.causes[].field` names it).
    #[response(status = 400)]
    BadRequest(Status),
    /// No or bad credentials.
    #[response(status = 401)]
    Unauthorized(Status),
    /// The caller may not do this; nothing about the object is revealed.
    #[response(status = 403)]
    Forbidden(Status),
    /// No such object, resource, cluster or path.
    #[response(status = 404)]
    NotFound(Status),
    /// The cluster answered something that is not a Kubernetes reply.
    #[response(status = 502)]
    BadGateway(Status),
    /// The cluster cannot be reached.
    #[response(status = 503)]
    Unavailable(Status),
}

/// The further errors of calls that take a body or write.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum WriteErrors {
    /// The object exists, or the edit is based on a stale `resourceVersion`.
    #[response(status = 409)]
    Conflict(Status),
    /// The body is larger than the API accepts.
    #[response(status = 413)]
    TooLarge(Status),
    /// The body's media type is not one the operation takes.
    #[response(status = 415)]
    UnsupportedMediaType(Status),
    /// A field is invalid (`details.causes[]` names each one); nothing was written.
    #[response(status = 422)]
    Invalid(Status),
}
