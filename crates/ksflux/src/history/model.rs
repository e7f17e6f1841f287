//! The history model: releases (one per revision a Flux object applied or tried to apply),
//! audit entries, and the rules that turn Flux's events into releases.
//!
//! | event (for one object)                               | effect                                   |
//! |------------------------------------------------------|------------------------------------------|
//! | names a revision other than the newest release's     | a new release, started at the event      |
//! | (HelmRelease) names another Helm release number `.vN` | a new release                            |
//! | same revision, `error` severity                      | the release failed, with Flux's message  |
//! | same revision, a success reason                      | the release succeeded (first time: finished) |
//! | same revision, anything else                          | counted only                             |
//! | no revision at all                                    | kept as an event, no release             |
//!
//! Success reasons: [`SUCCESS_REASONS`]. A kustomize-controller success message carries the
//! apply duration (`Reconciliation finished in 1.2s`), which becomes the release's duration
//! when no earlier event of the release was seen; otherwise the duration is finished − started.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What became of a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Still being applied.
    Progressing,
    /// Applied (and healthy, where Flux checks health).
    Succeeded,
    /// Failed; the message says why.
    Failed,
}

impl Outcome {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Progressing => "progressing",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "progressing" => Ok(Outcome::Progressing),
            "succeeded" => Ok(Outcome::Succeeded),
            "failed" => Ok(Outcome::Failed),
            _ => Err(format!(
                "unknown outcome {s:?}; use progressing, succeeded or failed"
            )),
        }
    }
}

/// Where a release entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Origin {
    /// Flux's events, stored by ksflux.
    Events,
    /// Only the object's `status.history` (no event of it was stored).
    Status,
}

/// One release of a Flux object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// Store id (0 for entries from `status.history` only).
    pub id: i64,
    /// Cluster of the Flux object (in hub mode the host).
    pub cluster: String,
    /// Its kind.
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The Application that rendered the object, if any.
    pub application: Option<String>,
    /// The Application target (cluster) the object deploys to.
    pub target: Option<String>,
    /// The source revision (`main@sha1:…`), or for a HelmRelease the chart version.
    pub revision: String,
    /// Chart version (HelmRelease).
    pub chart_version: Option<String>,
    /// Digest of the values (HelmRelease, from `status.history`).
    pub values_digest: Option<String>,
    /// Helm's release number (HelmRelease).
    pub helm_version: Option<i64>,
    /// What became of it.
    pub outcome: Outcome,
    /// Flux's reason of the last event that changed it.
    pub reason: String,
    /// Flux's message of that event.
    pub message: String,
    /// When it started (ms since the epoch).
    pub started_at: i64,
    /// When it finished (ms since the epoch).
    pub finished_at: Option<i64>,
    /// How long it took (ms).
    pub duration_ms: Option<i64>,
    /// How many of Flux's events it gathered.
    pub events: i64,
    /// Where the entry comes from.
    pub origin: Origin,
    /// HelmRelease: what it applied (`{"version": chart version range, "values": ...}`), kept
    /// for rollbacks and not shown.
    #[serde(skip)]
    pub spec: Option<serde_json::Value>,
}

/// One write through ksflux's API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Store id.
    pub id: i64,
    /// When (ms since the epoch).
    pub at: i64,
    /// Who (the Kubernetes user name).
    pub user: String,
    /// Cluster of the object.
    pub cluster: String,
    /// Its kind.
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `create`, `update`, `patch`, `delete`, or an action (`reconcile`, `suspend`, ...).
    pub action: String,
    /// For updates, the spec fields that changed (`spec.interval: 1m → 5m`); never values of
    /// credentials (they are not in the spec).
    pub summary: String,
}

/// Reasons of events that mean "applied".
pub const SUCCESS_REASONS: &[&str] = &[
    "ReconciliationSucceeded",
    "InstallSucceeded",
    "UpgradeSucceeded",
    "RollbackSucceeded",
    "UninstallSucceeded",
    "TestSucceeded",
    "DriftCorrected",
    "NewArtifact",
    "ChartPullSucceeded",
    "Succeeded",
];

/// Flux's event (`event.toolkit.fluxcd.io/v1beta1` `Event`) as notification-controller posts
/// it to a generic(-hmac) provider; metadata keys arrive without their group prefix.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FluxEvent {
    /// The object the event is about.
    pub involved_object: InvolvedObject,
    /// `info`, `error` (or `trace`).
    pub severity: String,
    /// RFC 3339.
    pub timestamp: String,
    /// What happened.
    #[serde(default)]
    pub message: String,
    /// Flux's reason.
    #[serde(default)]
    pub reason: String,
    /// Revisions and more.
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
    /// The controller that sent it.
    #[serde(default)]
    pub reporting_controller: String,
}

/// The object an event is about.
#[derive(Clone, Debug, Deserialize)]
pub struct InvolvedObject {
    /// Kind.
    pub kind: String,
    /// Namespace.
    #[serde(default)]
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl FluxEvent {
    /// The revision the event names: `revision` (metadata keys arrive unprefixed; prefixed
    /// ones, as on Kubernetes Events, are read too).
    pub fn revision(&self) -> Option<String> {
        ["revision", "event.toolkit.fluxcd.io/revision"]
            .iter()
            .find_map(|k| self.metadata.get(*k))
            .or_else(|| {
                self.metadata
                    .iter()
                    .find(|(k, _)| k.ends_with("/revision"))
                    .map(|(_, v)| v)
            })
            .filter(|v| !v.is_empty())
            .cloned()
    }

    /// The event's time in ms (0 when unparseable).
    pub fn at_ms(&self) -> i64 {
        self.timestamp
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(0)
    }
}

/// What an event means for an object's releases.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A new release.
    Insert(Release),
    /// The newest release changed.
    Update(Release),
    /// Counted on the newest release only (no visible change).
    Count(Release),
    /// No release concerned.
    Nothing,
}

impl Change {
    /// Whether it starts or finishes a release (what rate limiting never drops).
    pub fn is_transition(&self) -> bool {
        matches!(self, Change::Insert(_) | Change::Update(_))
    }
}

/// The facts of one event about one object.
#[derive(Clone, Debug)]
pub struct Facts {
    /// Cluster of the object.
    pub cluster: String,
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The revision (from the event, else the object's `lastAttemptedRevision`).
    pub revision: Option<String>,
    /// Whether the event is an error.
    pub error: bool,
    /// Reason.
    pub reason: String,
    /// Message.
    pub message: String,
    /// When (ms).
    pub at: i64,
    /// The application and target of the object, from its labels.
    pub application: Option<(String, String)>,
    /// HelmRelease: its chart version range and values as cached when the event arrived.
    pub spec: Option<serde_json::Value>,
}

/// The duration in kustomize-controller's `Reconciliation finished in 1.2s, ...` (ms).
pub fn reported_duration(message: &str) -> Option<i64> {
    let rest = message.strip_prefix("Reconciliation finished in ")?;
    let d = rest.split([',', ' ']).next()?;
    go_duration_ms(d)
}

/// A Go duration string (`1m2.5s`, `350ms`) in ms.
pub fn go_duration_ms(s: &str) -> Option<i64> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_digit() || n == '.' {
                break;
            }
            unit.push(n);
            chars.next();
        }
        let v: f64 = num.parse().ok()?;
        num.clear();
        total += v * match unit.as_str() {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1000.0,
            "ms" => 1.0,
            "us" | "µs" => 0.001,
            "ns" => 0.000_001,
            _ => return None,
        };
        any = true;
    }
    (any && num.is_empty()).then_some(total.round() as i64)
}

/// Helm's release number in a helm-controller message (`... release ns/name.v3 ...`).
pub fn helm_version(message: &str) -> Option<i64> {
    message.split_whitespace().find_map(|w| {
        let (_, v) = w.rsplit_once(".v")?;
        let v = v.trim_end_matches(|c: char| !c.is_ascii_digit());
        w.contains('/').then(|| v.parse().ok()).flatten()
    })
}

/// What the event `f` means given the object's newest release.
pub fn apply(latest: Option<&Release>, f: &Facts) -> Change {
    let Some(revision) = f.revision.clone() else {
        return Change::Nothing;
    };
    let helm = f.kind == "HelmRelease";
    let hv = if helm { helm_version(&f.message) } else { None };
    let success = !f.error && SUCCESS_REASONS.contains(&f.reason.as_str());
    let same = latest.is_some_and(|l| {
        l.revision == revision
            && match (hv, l.helm_version) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    });
    let (application, target) = f.application.clone().unzip();
    if let (true, Some(l)) = (same, latest) {
        let mut r = l.clone();
        r.events += 1;
        if r.application.is_none() {
            r.application = application;
            r.target = target;
        }
        if r.helm_version.is_none() {
            r.helm_version = hv;
        }
        if f.error {
            if r.outcome == Outcome::Failed && r.message == f.message {
                return Change::Count(r);
            }
            r.outcome = Outcome::Failed;
            r.reason = f.reason.clone();
            r.message = f.message.clone();
            r.finished_at = Some(f.at);
            r.duration_ms = Some((f.at - r.started_at).max(0));
            return Change::Update(r);
        }
        if success && r.outcome != Outcome::Succeeded {
            r.spec = f.spec.clone().or(r.spec);
            r.outcome = Outcome::Succeeded;
            r.reason = f.reason.clone();
            r.message = f.message.clone();
            r.finished_at = Some(f.at);
            // Flux's times have whole seconds: a sub-second apply is told by its message.
            let reported = reported_duration(&f.message).unwrap_or(0);
            r.duration_ms = Some((f.at - r.started_at).max(reported).max(0));
            return Change::Update(r);
        }
        return Change::Count(r);
    }
    let outcome = if f.error {
        Outcome::Failed
    } else if success {
        Outcome::Succeeded
    } else {
        Outcome::Progressing
    };
    let reported = if success {
        reported_duration(&f.message)
    } else {
        None
    };
    let started_at = f.at - reported.unwrap_or(0);
    let finished = outcome != Outcome::Progressing;
    Change::Insert(Release {
        id: 0,
        cluster: f.cluster.clone(),
        kind: f.kind.clone(),
        namespace: f.namespace.clone(),
        name: f.name.clone(),
        application,
        target,
        chart_version: helm.then(|| revision.clone()),
        revision,
        values_digest: None,
        helm_version: hv,
        outcome,
        reason: f.reason.clone(),
        message: f.message.clone(),
        started_at,
        finished_at: finished.then_some(f.at),
        duration_ms: finished.then(|| reported.unwrap_or(0)),
        events: 1,
        origin: Origin::Events,
        spec: f.spec.clone(),
    })
}

/// Fills stored HelmRelease releases from `status.history` (values digest, chart version)
/// and adds the snapshots no stored release covers; the object is Flux's JSON.
pub fn merge_helm_history(releases: &mut Vec<Release>, object: &serde_json::Value, cluster: &str) {
    let Some(snapshots) = object.pointer("/status/history").and_then(|h| h.as_array()) else {
        return;
    };
    let meta = &object["metadata"];
    let (namespace, name) = (
        meta["namespace"].as_str().unwrap_or_default(),
        meta["name"].as_str().unwrap_or_default(),
    );
    let labels = &meta["labels"];
    for s in snapshots {
        let Some(version) = s["version"].as_i64() else {
            continue;
        };
        let chart = s["chartVersion"].as_str().map(str::to_string);
        let digest = s["configDigest"].as_str().map(str::to_string);
        if let Some(r) = releases
            .iter_mut()
            .find(|r| r.helm_version == Some(version) && r.name == name && r.namespace == namespace)
        {
            r.values_digest = r.values_digest.take().or(digest);
            r.chart_version = r.chart_version.take().or(chart);
            continue;
        }
        let ms = |k: &str| {
            s[k].as_str()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_millisecond())
        };
        let status = s["status"].as_str().unwrap_or_default();
        let outcome = match status {
            "deployed" | "superseded" => Outcome::Succeeded,
            "failed" => Outcome::Failed,
            _ => Outcome::Progressing,
        };
        let started = ms("firstDeployed").or(ms("lastDeployed")).unwrap_or(0);
        let finished = ms("lastDeployed");
        releases.push(Release {
            id: 0,
            cluster: cluster.to_string(),
            kind: "HelmRelease".into(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            application: labels[ksflux_types::application::APPLICATION_LABEL]
                .as_str()
                .map(str::to_string),
            target: labels[ksflux_types::application::CLUSTER_LABEL]
                .as_str()
                .map(str::to_string),
            revision: chart.clone().unwrap_or_default(),
            chart_version: chart,
            values_digest: digest,
            helm_version: Some(version),
            outcome,
            reason: s["action"].as_str().unwrap_or_default().to_string(),
            message: format!("Helm release v{version}: {status}"),
            started_at: started,
            finished_at: finished,
            duration_ms: finished.map(|f| (f - started).max(0)),
            events: 0,
            origin: Origin::Status,
            spec: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(revision: Option<&str>, error: bool, reason: &str, message: &str, at: i64) -> Facts {
        Facts {
            cluster: "host".into(),
            kind: "Kustomization".into(),
            namespace: "team-a".into(),
            name: "web-member-1".into(),
            revision: revision.map(str::to_string),
            error,
            reason: reason.into(),
            message: message.into(),
            at,
            application: Some(("web".into(), "member-1".into())),
            spec: None,
        }
    }

    fn inserted(c: Change) -> Release {
        match c {
            Change::Insert(r) => r,
            other => panic!("expected an insert, got {other:?}"),
        }
    }

    #[test]
    fn a_new_revision_starts_a_release_and_its_success_finishes_it() {
        let r = inserted(apply(
            None,
            &facts(Some("main@sha1:a"), false, "Progressing", "x configured", 1000),
        ));
        assert_eq!(r.outcome, Outcome::Progressing);
        assert_eq!(r.target.as_deref(), Some("member-1"));
        let done = apply(
            Some(&r),
            &facts(
                Some("main@sha1:a"),
                false,
                "ReconciliationSucceeded",
                "Reconciliation finished in 2.5s, next run in 5m0s",
                4000,
            ),
        );
        let Change::Update(done) = done else {
            panic!("{done:?}")
        };
        assert_eq!(done.outcome, Outcome::Succeeded);
        assert_eq!(done.duration_ms, Some(3000));
        // Both in one second: the duration Flux reports.
        let quick = apply(
            Some(&r),
            &facts(
                Some("main@sha1:a"),
                false,
                "ReconciliationSucceeded",
                "Reconciliation finished in 483ms, next run in 5m0s",
                1000,
            ),
        );
        let Change::Update(quick) = quick else {
            panic!("{quick:?}")
        };
        assert_eq!(quick.duration_ms, Some(483));
        // The periodic success of the same revision is only counted.
        assert!(matches!(
            apply(
                Some(&done),
                &facts(
                    Some("main@sha1:a"),
                    false,
                    "ReconciliationSucceeded",
                    "Reconciliation finished in 1s, next run in 5m0s",
                    9000
                )
            ),
            Change::Count(_)
        ));
        // Another revision is another release.
        assert!(matches!(
            apply(
                Some(&done),
                &facts(Some("main@sha1:b"), false, "Progressing", "y", 9000)
            ),
            Change::Insert(_)
        ));
    }

    #[test]
    fn a_lone_success_takes_the_reported_duration() {
        let r = inserted(apply(
            None,
            &facts(
                Some("main@sha1:a"),
                false,
                "ReconciliationSucceeded",
                "Reconciliation finished in 1.5s, next run in 5m0s",
                10_000,
            ),
        ));
        assert_eq!(
            (r.outcome, r.duration_ms, r.started_at),
            (Outcome::Succeeded, Some(1500), 8500)
        );
    }

    #[test]
    fn an_error_fails_the_release_with_fluxs_message() {
        let r = inserted(apply(
            None,
            &facts(
                Some("main@sha1:c"),
                true,
                "BuildFailed",
                "kustomize build failed: bad",
                5,
            ),
        ));
        assert_eq!(
            (r.outcome, r.message.as_str()),
            (Outcome::Failed, "kustomize build failed: bad")
        );
        assert!(matches!(
            apply(
                Some(&r),
                &facts(
                    Some("main@sha1:c"),
                    true,
                    "BuildFailed",
                    "kustomize build failed: bad",
                    6
                )
            ),
            Change::Count(_)
        ));
        assert_eq!(
            apply(None, &facts(None, true, "BuildFailed", "m", 5)),
            Change::Nothing
        );
    }

    #[test]
    fn helm_release_numbers_separate_releases_of_one_chart_version() {
        let mut f = facts(
            Some("1.2.0"),
            false,
            "UpgradeSucceeded",
            "Helm upgrade succeeded for release team-a/web.v2 with chart demo@1.2.0",
            1,
        );
        f.kind = "HelmRelease".into();
        let r = inserted(apply(None, &f));
        assert_eq!(
            (r.helm_version, r.chart_version.as_deref()),
            (Some(2), Some("1.2.0"))
        );
        f.message = "Helm upgrade succeeded for release team-a/web.v3 with chart demo@1.2.0".into();
        assert!(matches!(apply(Some(&r), &f), Change::Insert(_)));
    }

    #[test]
    fn go_durations_parse() {
        assert_eq!(go_duration_ms("1m2.5s"), Some(62_500));
        assert_eq!(go_duration_ms("350ms"), Some(350));
        assert_eq!(go_duration_ms("abc"), None);
        assert_eq!(
            reported_duration("Reconciliation finished in 84.8ms, next run in 1m0s"),
            Some(85)
        );
    }
}
