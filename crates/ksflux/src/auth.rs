//! Authentication: who is calling.
//!
//! Standalone, a caller sends `Authorization: Bearer <token>`; the token is checked with a
//! TokenReview against the host cluster (results cached briefly). Behind ks-apiserver, the
//! proxy has already authenticated the user and passes `X-Remote-User` / `X-Remote-Group`;
//! those headers are believed only from the configured trusted proxy addresses. Every
//! Kubernetes call made for a user impersonates that user, so Kubernetes RBAC decides what the
//! user may do (see `clusters::Clusters::client_for`).

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use kube::{Api, Client, api::PostParams};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub struct User {
    /// The Kubernetes user name.
    pub name: String,
    /// The user's groups.
    pub groups: Vec<String>,
}

/// How callers are authenticated.
#[derive(Clone)]
pub struct Authenticator {
    host: Client,
    trusted_proxies: Arc<Vec<IpAddr>>,
    cache: Arc<Mutex<HashMap<String, (User, Instant)>>>,
}

const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 4096;

impl Authenticator {
    /// Checks bearer tokens against `host`, and believes proxy headers from `trusted_proxies`.
    pub fn new(host: Client, trusted_proxies: Vec<IpAddr>) -> Self {
        Authenticator {
            host,
            trusted_proxies: Arc::new(trusted_proxies),
            cache: Default::default(),
        }
    }

    /// Authenticates a request from `peer` with these headers.
    pub async fn authenticate(&self, peer: Option<IpAddr>, headers: &http::HeaderMap) -> Result<User> {
        if let Some(user) = headers.get("x-remote-user") {
            let trusted = peer.is_some_and(|p| self.trusted_proxies.contains(&p));
            if !trusted {
                return Err(Error::Unauthorized(
                    "X-Remote-User is accepted only from the trusted proxy".into(),
                ));
            }
            let name = user
                .to_str()
                .map_err(|_| Error::Unauthorized("bad X-Remote-User header".into()))?;
            let groups = headers
                .get_all("x-remote-group")
                .iter()
                .filter_map(|g| g.to_str().ok())
                .flat_map(|g| g.split(','))
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty())
                .collect();
            return Ok(User {
                name: name.to_string(),
                groups,
            });
        }
        let token = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Unauthorized("a bearer token is required".into()))?;
        self.review(token).await
    }

    async fn review(&self, token: &str) -> Result<User> {
        if let Ok(cache) = self.cache.lock()
            && let Some((user, at)) = cache.get(token)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(user.clone());
        }
        let review = TokenReview {
            spec: TokenReviewSpec {
                token: token.to_string(),
                ..Default::default()
            },
            ..Default::default()
        };
        let api: Api<TokenReview> = Api::all(self.host.clone());
        let out = api.create(&PostParams::default(), &review).await.map_err(|e| {
            tracing::warn!(error = %e, "token review failed");
            Error::Unavailable("cannot verify the token: the host cluster did not answer".into())
        })?;
        let status = out.status.unwrap_or_default();
        let info = status.user.filter(|_| status.authenticated == Some(true));
        let Some(info) = info else {
            return Err(Error::Unauthorized("the token is not valid".into()));
        };
        let user = User {
            name: info.username.unwrap_or_default(),
            groups: info.groups.unwrap_or_default(),
        };
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX {
                cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
                if cache.len() >= CACHE_MAX {
                    cache.clear();
                }
            }
            cache.insert(token.to_string(), (user.clone(), Instant::now()));
        }
        Ok(user)
    }
}

/// Middleware: authenticates the request and puts its [`User`] into the request extensions.
pub async fn require_user(State(auth): State<Authenticator>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    match auth.authenticate(peer, req.headers()).await {
        Ok(user) => {
            req.extensions_mut().insert(user);
            next.run(req).await
        }
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// What a caller wants to do, for [`authorize`].
#[derive(Clone, Copy, Debug)]
pub struct Attributes<'a> {
    /// The verb: `create`, `update`, `get`, ...
    pub verb: &'a str,
    /// The API group (`""` for the core group).
    pub group: &'a str,
    /// The resource (plural).
    pub resource: &'a str,
    /// The namespace (`""`: every namespace).
    pub namespace: &'a str,
    /// The object's name, when the request is about one object.
    pub name: Option<&'a str>,
}

/// Asks a cluster, with ksflux's own `client`, whether `user` may make `req` (a
/// SubjectAccessReview). An empty namespace asks about every namespace.
pub async fn review(client: &Client, user: &User, req: Attributes<'_>) -> Result<bool, kube::Error> {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
    };
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(user.name.clone()),
            groups: Some(user.groups.clone()),
            resource_attributes: Some(ResourceAttributes {
                verb: Some(req.verb.into()),
                group: Some(req.group.into()),
                resource: Some(req.resource.into()),
                namespace: (!req.namespace.is_empty()).then(|| req.namespace.to_string()),
                name: req.name.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: Api<SubjectAccessReview> = Api::all(client.clone());
    let answer = api.create(&PostParams::default(), &review).await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// [`review`] before ksflux validates, renders or connects anywhere on the user's behalf: a
/// 403 in Kubernetes' words when the answer is no.
pub async fn authorize(client: &Client, user: &User, req: Attributes<'_>) -> Result<()> {
    let allowed = tokio::time::timeout(Duration::from_secs(5), review(client, user, req))
        .await
        .map_err(|_| {
            Error::Unavailable("cannot check permissions: the cluster did not answer in time".into())
        })?
        .map_err(|e| {
            tracing::warn!(error = %e, "subject access review failed");
            Error::Unavailable("cannot check permissions: the cluster did not answer".into())
        })?;
    if allowed {
        return Ok(());
    }
    let what = if req.group.is_empty() {
        req.resource.to_string()
    } else {
        format!("{}.{}", req.resource, req.group)
    };
    let subject = match req.name {
        Some(n) => format!("{what} {n:?}"),
        None => what,
    };
    Err(Error::Forbidden(format!(
        "{subject} is forbidden: User {:?} cannot {} resource {:?} in API group {:?} in the namespace {:?}",
        user.name, req.verb, req.resource, req.group, req.namespace
    )))
}
