//! Authentication: who is calling.
//!
//! Standalone, a caller sends `Authorization: Bearer <token>`; the token is checked with a
//! TokenReview against the host cluster (results cached briefly). Behind ks-apiserver, the
//! proxy has already authenticated the user and passes `X-Remote-User` / `X-Remote-Group`;
//! those headers are believed only from the configured trusted proxy addresses or networks
//! (ks-apiserver's pods change address, so a pod network such as `10.233.0.0/18`). Every
//! Kubernetes call made for a user impersonates that user, so Kubernetes RBAC decides what the
//! user may do (see `clusters::Clusters::client_for`).

use std::{
    collections::HashMap,
    fmt,
    net::{IpAddr, SocketAddr},
    str::FromStr,
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

/// An address (`10.0.0.5`, `::1`) or network (`10.233.0.0/18`, `fd00::/8`) whose
/// `X-Remote-User` / `X-Remote-Group` headers are believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedProxy {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Whether `ip` is this address or inside this network (IPv4-mapped IPv6 peers count as
    /// their IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network = IpAddr::from_str(addr.trim())
            .map_err(|_| format!("{s:?} is not an IP address or network (10.0.0.5, 10.233.0.0/18)"))?
            .to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(TrustedProxy { network, prefix })
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// How callers are authenticated.
#[derive(Clone)]
pub struct Authenticator {
    host: Client,
    trusted_proxies: Arc<Vec<TrustedProxy>>,
    cache: Arc<Mutex<HashMap<String, (User, Instant)>>>,
}

const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 4096;

impl Authenticator {
    /// Checks bearer tokens against `host`, and believes proxy headers from `trusted_proxies`.
    pub fn new(host: Client, trusted_proxies: Vec<TrustedProxy>) -> Self {
        Authenticator {
            host,
            trusted_proxies: Arc::new(trusted_proxies),
            cache: Default::default(),
        }
    }

    /// Authenticates a request from `peer` with these headers.
    pub async fn authenticate(&self, peer: Option<IpAddr>, headers: &http::HeaderMap) -> Result<User> {
        if let Some(user) = headers.get("x-remote-user") {
            let trusted = peer.is_some_and(|p| self.trusted_proxies.iter().any(|t| t.contains(p)));
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
    match crate::timing::phase("authenticate", auth.authenticate(peer, req.headers())).await {
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

#[cfg(test)]
mod tests {
    use super::TrustedProxy;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn a_trusted_address_is_exactly_that_address() {
        let t: TrustedProxy = "10.0.0.5".parse().expect("address");
        assert!(t.contains(ip("10.0.0.5")));
        assert!(!t.contains(ip("10.0.0.6")));
        assert!(
            t.contains(ip("::ffff:10.0.0.5")),
            "an IPv4-mapped peer is its IPv4 address"
        );
        assert!(!t.contains(ip("::1")));
    }

    #[test]
    fn a_trusted_network_holds_its_addresses_only() {
        let t: TrustedProxy = "10.233.0.0/18".parse().expect("network");
        assert!(t.contains(ip("10.233.0.1")));
        assert!(t.contains(ip("10.233.63.255")));
        assert!(!t.contains(ip("10.233.64.0")));
        let v6: TrustedProxy = "fd00::/8".parse().expect("network");
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        let all: TrustedProxy = "0.0.0.0/0".parse().expect("network");
        assert!(all.contains(ip("192.0.2.1")));
        assert_eq!(t.to_string(), "10.233.0.0/18");
    }

    #[test]
    fn a_bad_address_or_prefix_is_refused() {
        for bad in ["", "ks-apiserver", "10.0.0.0/33", "fd00::/129", "10.0.0.0/x"] {
            assert!(bad.parse::<TrustedProxy>().is_err(), "{bad}");
        }
    }
}
