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
        let message = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect::<Vec<_>>()
            .join("; ");
        Error::Invalid { message, causes }
    }

    /// The HTTP status of this error.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
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

impl From<kube::Error> for Error {
    fn from(e: kube::Error) -> Self {
        match e {
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
