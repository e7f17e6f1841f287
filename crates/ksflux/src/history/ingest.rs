//! Ingest of Flux's events, as notification-controller's `generic-hmac` provider sends them.
//!
//! - **Keys**: each (cluster, namespace) has its own HMAC key, derived from ksflux's master key
//!   ([`namespace_token`]); the Provider's Secret in that namespace holds it. Someone who can
//!   read one namespace's Secret can sign events for that namespace only: an event whose
//!   `involvedObject.namespace` is another is refused.
//! - **Signature**: `X-Signature: <sha256|sha384|sha512>=<hex HMAC of the exact body>`;
//!   missing, malformed or wrong → 401, nothing stored.
//! - **Repeats**: an event is stored once per (cluster, namespace, exact body); Flux's
//!   retries of one delivery send the same body, so they are answered 200 and not stored
//!   again ([`dedup_key`]).
//! - **Floods**: per object, events that neither start nor finish a release are limited to
//!   [`COUNTED_PER_MINUTE`] a minute (429 beyond, which Flux does not retry); an event that starts
//!   or finishes a release is always stored.
//! - One worker applies events in arrival order, so the releases of an object never race.

use std::{collections::HashMap, time::Instant};

use ring::{digest, hmac};
use tokio::sync::{mpsc, oneshot};

use super::{
    model::{self, Change, Facts, FluxEvent},
    store::{Store, StoredEvent},
};
use crate::status::Fleet;

/// Events per object and minute that only count (do not start or finish a release).
pub const COUNTED_PER_MINUTE: u32 = 30;
/// Events waiting for the worker; beyond, 503 (which Flux retries).
pub const QUEUE: usize = 1024;
/// The largest body accepted (notification-controller's own limit is 3 MiB).
pub const MAX_EVENT_BODY: usize = 3 * 1024 * 1024;

/// The HMAC key of the Provider in `namespace` of `cluster` (lowercase hex).
pub fn namespace_token(master: &[u8], cluster: &str, namespace: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, master);
    let tag = hmac::sign(
        &key,
        format!("ksflux-flux-events\n{cluster}\n{namespace}").as_bytes(),
    );
    hex(tag.as_ref())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `header` (`X-Signature`) is a valid HMAC of `body` under `token`.
pub fn verify(token: &str, header: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
    let header = header.ok_or("the X-Signature header is missing")?;
    let (algo, sig) = header
        .trim()
        .split_once('=')
        .ok_or("the X-Signature header is not <algorithm>=<hex>")?;
    let algo = match algo.to_ascii_lowercase().as_str() {
        "sha256" => hmac::HMAC_SHA256,
        "sha384" => hmac::HMAC_SHA384,
        "sha512" => hmac::HMAC_SHA512,
        _ => return Err("the X-Signature algorithm must be sha256, sha384 or sha512"),
    };
    let sig = unhex(sig).ok_or("the X-Signature value is not hex")?;
    hmac::verify(&hmac::Key::new(algo, token.as_bytes()), body, &sig)
        .map_err(|_| "the X-Signature does not match the body")
}

/// The key an event is stored under: a digest of where it came from and its exact body.
pub fn dedup_key(cluster: &str, namespace: &str, body: &[u8]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(cluster.as_bytes());
    ctx.update(b"\n");
    ctx.update(namespace.as_bytes());
    ctx.update(b"\n");
    ctx.update(body);
    hex(ctx.finish().as_ref())
}

/// What became of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ingested {
    /// Stored (it may have started or finished a release).
    Stored,
    /// The same event was stored before (a retry).
    Duplicate,
    /// Dropped: too many events for the object that change no release.
    Limited,
    /// Not about a release and not kept (a `trace` event).
    Ignored,
}

/// One event for the worker.
pub(super) struct Job {
    pub(super) cluster: String,
    pub(super) dedup: String,
    pub(super) event: FluxEvent,
    pub(super) reply: oneshot::Sender<anyhow::Result<Ingested>>,
}

/// A new release or a release that changed, for live subscribers.
pub type ReleaseChanges = tokio::sync::broadcast::Sender<std::sync::Arc<model::Release>>;

/// Applies events one at a time.
pub(super) struct Worker {
    pub(super) store: Store,
    pub(super) fleet: Option<Fleet>,
    pub(super) changes: ReleaseChanges,
    counted: HashMap<String, (Instant, u32)>,
}

impl Worker {
    pub(super) fn new(store: Store, fleet: Option<Fleet>, changes: ReleaseChanges) -> Worker {
        Worker {
            store,
            fleet,
            changes,
            counted: HashMap::new(),
        }
    }

    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            let result = self.apply(&job).await;
            if let Err(e) = &result {
                tracing::error!(
                    error = format!("{e:#}"),
                    cluster = job.cluster,
                    "storing a Flux event failed"
                );
            }
            let _ = job.reply.send(result);
        }
    }

    /// Whether one more counted-only event of `object` is allowed now.
    fn allow_counted(&mut self, object: &str) -> bool {
        let now = Instant::now();
        if self.counted.len() > 100_000 {
            self.counted
                .retain(|_, (start, _)| now.duration_since(*start).as_secs() < 60);
        }
        let entry = self.counted.entry(object.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0).as_secs() >= 60 {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= COUNTED_PER_MINUTE
    }

    /// The facts of an event: its revision, else the object's last attempted one (a failure
    /// before Flux names the revision), and the application the object belongs to.
    fn facts(&self, cluster: &str, e: &FluxEvent) -> Facts {
        let o = &e.involved_object;
        let cached = self
            .fleet
            .as_ref()
            .and_then(|f| f.get(cluster, &o.kind, &o.namespace, &o.name));
        let revision = e.revision().or_else(|| {
            let obj = cached.as_ref()?;
            (e.severity == "error")
                .then(|| obj.data.pointer("/status/lastAttemptedRevision")?.as_str())
                .flatten()
                .map(str::to_string)
        });
        let application = cached.as_ref().and_then(|obj| {
            let labels = obj.metadata.labels.as_ref()?;
            Some((
                labels.get(ksflux_types::application::APPLICATION_LABEL)?.clone(),
                labels.get(ksflux_types::application::CLUSTER_LABEL)?.clone(),
            ))
        });
        let spec = cached.as_ref().filter(|_| o.kind == "HelmRelease").map(|obj| {
            serde_json::json!({
                "version": obj.data.pointer("/spec/chart/spec/version"),
                "values": obj.data.pointer("/spec/values"),
            })
        });
        Facts {
            spec,
            cluster: cluster.to_string(),
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
            revision,
            error: e.severity == "error",
            reason: e.reason.clone(),
            message: e.message.clone(),
            at: e.at_ms(),
            application,
        }
    }

    async fn apply(&mut self, job: &Job) -> anyhow::Result<Ingested> {
        let e = &job.event;
        if e.severity == "trace" {
            return Ok(Ingested::Ignored);
        }
        let f = self.facts(&job.cluster, e);
        let latest = self
            .store
            .latest_release(&f.cluster, &f.kind, &f.namespace, &f.name)
            .await?;
        let change = model::apply(latest.as_ref(), &f);
        let object = format!("{}\n{}\n{}\n{}", f.cluster, f.kind, f.namespace, f.name);
        if !change.is_transition() && !self.allow_counted(&object) {
            return Ok(Ingested::Limited);
        }
        let stored = StoredEvent {
            dedup: job.dedup.clone(),
            cluster: f.cluster.clone(),
            kind: f.kind.clone(),
            namespace: f.namespace.clone(),
            name: f.name.clone(),
            severity: e.severity.clone(),
            reason: f.reason.clone(),
            message: f.message.clone(),
            revision: f.revision.clone(),
            controller: e.reporting_controller.clone(),
            at: f.at,
        };
        // The release first, the event (the repeat marker) last: a crash between the two
        // leaves the event unstored, so Flux's retry applies it again (a repeat of a change
        // already made only counts), instead of being taken for a repeat with the change lost.
        if self.store.has_event(&job.dedup).await? {
            return Ok(Ingested::Duplicate);
        }
        match change {
            Change::Insert(mut r) => {
                r.id = self.store.insert_release(&r).await?;
                let _ = self.changes.send(r.into());
            }
            Change::Update(r) => {
                self.store.update_release(&r).await?;
                let _ = self.changes.send(r.into());
            }
            Change::Count(r) => self.store.update_release(&r).await?,
            Change::Nothing => {}
        }
        if !self.store.insert_event(&stored, now_ms()).await? {
            return Ok(Ingested::Duplicate);
        }
        Ok(Ingested::Stored)
    }
}

/// Now, in ms since the epoch.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(token: &str, body: &[u8]) -> String {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, token.as_bytes()), body);
        format!("sha256={}", hex(tag.as_ref()))
    }

    #[test]
    fn signatures_are_checked() {
        let token = namespace_token(b"master", "host", "team-a");
        let body = br#"{"a":1}"#;
        assert_eq!(verify(&token, Some(&sign(&token, body)), body), Ok(()));
        assert!(verify(&token, None, body).is_err());
        assert!(verify(&token, Some(&sign(&token, b"other")), body).is_err());
        assert!(verify(&token, Some("sha1=00"), body).is_err());
        assert!(verify(&token, Some("sha256=zz"), body).is_err());
        // Another namespace's key does not sign for this one.
        let other = namespace_token(b"master", "host", "team-b");
        assert!(verify(&token, Some(&sign(&other, body)), body).is_err());
    }

    #[test]
    fn dedup_keys_follow_the_exact_body() {
        assert_eq!(dedup_key("host", "a", b"x"), dedup_key("host", "a", b"x"));
        assert_ne!(dedup_key("host", "a", b"x"), dedup_key("host", "a", b"y"));
        assert_ne!(dedup_key("host", "a", b"x"), dedup_key("member-1", "a", b"x"));
    }
}
