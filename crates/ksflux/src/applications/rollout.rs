//! Progressive rollouts: a new revision of an application goes to its targets wave by wave.
//!
//! A revision is a digest of the spec (all of it but `suspend` and `rollout`). With
//! `spec.rollout`, each reconcile calls [`step`], which decides from the previous
//! [`RolloutStatus`], the targets' health at the new revision and any rollout request which
//! revision each target runs ([`Choice`]) and what the status says. A wave starts when the one
//! before it passed (every target Ready at the new revision with healthy workloads, then
//! soaked), unless a blackout window forbids starting; within a wave, `maxUnavailable`
//! targets take the revision at a time. A failure (a target not Ready, degraded workloads,
//! or a wave slower than the progress deadline) pauses the rollout: later waves keep running
//! the stable revision (the last one whose rollout completed) until someone resumes, promotes
//! the wave by hand, or rolls it back. Pure: time, health and labels are arguments.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use jiff::{Timestamp, ToSpan, civil::Weekday, tz::TimeZone};
use serde_json::Value;

use super::{
    ApplicationSpec, DeploymentWindow, Rollout, RolloutStatus, TargetStatus, WaveStatus, WaveTarget,
    placement::ClusterLabels,
};
use crate::{error::Cause, validation};

/// Annotation on every rendered Flux object of an application with a rollout: the revision
/// it carries.
pub const REVISION_ANNOTATION: &str = "fluxcd.kubesphere.io/revision";
/// Annotation on an Application asking its rollout to act: `<action>@<token>`, where the
/// action is `pause`, `resume`, `promote` or `rollback`, and a new token asks again.
pub const REQUEST_ANNOTATION: &str = "fluxcd.kubesphere.io/rollout-request";
/// The name of the wave of targets no wave chooses.
pub const REMAINING: &str = "remaining";
/// How long a wave may take to become healthy, by default.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);

/// What a rollout can be asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Request {
    /// Start no further target or wave until resumed.
    Pause,
    /// Go on after a pause, a failure or a rollback: the wave under way tries the new
    /// revision again.
    Resume,
    /// Pass the wave under way by hand (its health gate and soak skipped).
    Promote,
    /// Put the wave under way back on the stable revision, and pause.
    Rollback,
}

impl Request {
    /// As the annotation spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Request::Pause => "pause",
            Request::Resume => "resume",
            Request::Promote => "promote",
            Request::Rollback => "rollback",
        }
    }

    fn parse(annotation: &str) -> Option<Request> {
        let (action, _token) = annotation.split_once('@')?;
        [
            Request::Pause,
            Request::Resume,
            Request::Promote,
            Request::Rollback,
        ]
        .into_iter()
        .find(|r| r.as_str() == action)
    }
}

/// The revision of a spec: a digest of everything but `suspend` (the application's and its
/// targets') and `rollout`, so suspending or reshaping the waves rolls nothing out.
pub fn revision(spec: &ApplicationSpec) -> String {
    let mut v = serde_json::to_value(spec).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("rollout");
        o.remove("suspend");
        if let Some(Value::Array(ts)) = o.get_mut("targets") {
            for t in ts {
                if let Some(t) = t.as_object_mut() {
                    t.remove("suspend");
                }
            }
        }
    }
    let bytes = serde_json::to_vec(&v).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    digest.as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Which revision a target runs after this reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// The new revision.
    New,
    /// The stable revision (when it has this target), else whatever the target runs now.
    Stable,
}

/// How a target is doing at the new revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// Its Flux object carries the new revision, is Ready, and its workloads are healthy.
    Healthy,
    /// It failed at the new revision (or cannot be served); why.
    Failed(String),
    /// Anything else: not applied yet, reconciling, workloads rolling out.
    Progressing,
}

/// A target's health from its status and its Flux object's revision annotation.
pub fn health(ts: &TargetStatus, child_revision: Option<&str>, revision: &str, problem: bool) -> Health {
    let at_revision = child_revision == Some(revision);
    if ts.ready == "False" && (at_revision || problem) {
        return Health::Failed(format!("{}: {}", ts.reason, ts.message));
    }
    let workloads_ok = ts.workloads.as_ref().is_none_or(|w| w.state == "healthy");
    if at_revision && ts.ready == "True" && workloads_ok {
        Health::Healthy
    } else {
        Health::Progressing
    }
}

/// What [`step`] decided.
#[derive(Debug)]
pub struct Decision {
    /// The revision each target runs, by cluster.
    pub choices: BTreeMap<String, Choice>,
    /// The new rollout status.
    pub status: RolloutStatus,
    /// Look again within this time (soaking, a window, a deadline, progress).
    pub requeue: Duration,
    /// Events: what changed, `(warning, reason, message)`.
    pub notes: Vec<(bool, &'static str, String)>,
}

/// Everything [`step`] looks at.
pub struct Input<'a> {
    /// The spec as written (its revision, and what becomes stable).
    pub spec: &'a ApplicationSpec,
    /// The targets' clusters, placed ones included, in order.
    pub clusters: &'a [String],
    /// The rollout settings.
    pub rollout: &'a Rollout,
    /// The status so far.
    pub previous: Option<&'a RolloutStatus>,
    /// Every cluster's labels.
    pub labels: &'a ClusterLabels,
    /// Each target's health at the new revision, by cluster.
    pub health: &'a BTreeMap<String, Health>,
    /// The application's rollout request annotation.
    pub request: Option<&'a str>,
    /// Now.
    pub now: Timestamp,
}

/// The waves' members: each target in the first wave that names or selects its cluster, the
/// rest in [`REMAINING`].
pub fn assign(clusters: &[String], rollout: &Rollout, labels: &ClusterLabels) -> Vec<(String, Vec<String>)> {
    let mut waves: Vec<(String, Vec<String>)> = rollout
        .waves
        .iter()
        .map(|w| (w.name.clone(), Vec::new()))
        .collect();
    let mut rest = Vec::new();
    let empty = BTreeMap::new();
    for c in clusters {
        let l = labels.get(c).unwrap_or(&empty);
        let wave = rollout.waves.iter().position(|w| {
            w.clusters.contains(c) || w.cluster_selector.as_ref().is_some_and(|s| s.matches(l))
        });
        match wave {
            Some(i) => waves[i].1.push(c.clone()),
            None => rest.push(c.clone()),
        }
    }
    if !rest.is_empty() {
        waves.push((REMAINING.to_string(), rest));
    }
    waves
}

fn secs(d: Option<&str>) -> Duration {
    d.and_then(validation::parse_duration)
        .map(Duration::from_secs_f64)
        .unwrap_or_default()
}

fn elapsed(since: Option<&str>, now: Timestamp) -> Duration {
    since
        .and_then(|s| s.parse::<Timestamp>().ok())
        .map(|t| Duration::from_secs_f64(now.duration_since(t).as_secs_f64().max(0.0)))
        .unwrap_or_default()
}

/// One rollout step.
pub fn step(i: &Input<'_>) -> Decision {
    let revision = revision(i.spec);
    let now_s = crate::resources::status_time(i.now);
    let members = assign(i.clusters, i.rollout, i.labels);
    let mut notes = Vec::new();
    let mut st = match i.previous {
        Some(p) if p.revision == revision => p.clone(),
        p => {
            if p.is_some() {
                notes.push((
                    false,
                    "RolloutStarted",
                    format!("rolling out revision {revision}"),
                ));
            }
            RolloutStatus {
                revision: revision.clone(),
                phase: "Progressing".into(),
                started_at: Some(now_s.clone()),
                stable_revision: p.and_then(|p| p.stable_revision.clone()),
                stable_spec: p.and_then(|p| p.stable_spec.clone()),
                last_handled_request: p.and_then(|p| p.last_handled_request.clone()),
                ..Default::default()
            }
        }
    };
    // The waves' membership follows the targets and labels; states carry over by name.
    let old_waves = std::mem::take(&mut st.waves);
    st.waves = members
        .iter()
        .map(|(name, clusters)| {
            let old = old_waves.iter().find(|w| &w.name == name);
            WaveStatus {
                name: name.clone(),
                state: old.map_or("pending".into(), |w| w.state.clone()),
                targets: clusters
                    .iter()
                    .map(|c| WaveTarget {
                        cluster: c.clone(),
                        state: old
                            .and_then(|w| w.targets.iter().find(|t| &t.cluster == c))
                            .map_or("pending".into(), |t| t.state.clone()),
                        message: String::new(),
                    })
                    .collect(),
                ..old.cloned().unwrap_or_default()
            }
        })
        .collect();
    let waves = st.waves.len();
    let mut current = (st.current_wave as usize).min(waves);

    // A new request.
    if let Some(req) = i
        .request
        .filter(|r| st.last_handled_request.as_deref() != Some(*r))
    {
        st.last_handled_request = Some(req.to_string());
        if let (Some(action), Some(w)) = (Request::parse(req), st.waves.get_mut(current)) {
            match action {
                Request::Pause => {
                    w.state = "paused".into();
                    w.message = "paused on request".into();
                }
                Request::Resume => {
                    if matches!(w.state.as_str(), "paused" | "failed" | "rolledBack") {
                        w.state = "progressing".into();
                        w.message.clear();
                        w.started_at = Some(now_s.clone());
                        for t in &mut w.targets {
                            t.state = "pending".into();
                        }
                    }
                }
                Request::Promote => {
                    w.state = "healthy".into();
                    w.promoted = true;
                    w.message = "promoted by hand".into();
                    w.finished_at = Some(now_s.clone());
                    notes.push((
                        false,
                        "RolloutWavePromoted",
                        format!("wave {} promoted by hand", w.name),
                    ));
                    current += 1;
                }
                Request::Rollback => {
                    w.state = "rolledBack".into();
                    w.message = format!(
                        "rolled back to revision {}",
                        st.stable_revision.as_deref().unwrap_or("(none)")
                    );
                    notes.push((true, "RolloutRolledBack", format!("wave {} rolled back", w.name)));
                }
            }
        }
    }

    let mut requeue = Duration::from_secs(300);
    let deadline = match i.rollout.progress_deadline.as_deref() {
        Some(d) => secs(Some(d)),
        None => DEFAULT_DEADLINE,
    };
    loop {
        let Some(w) = st.waves.get_mut(current) else {
            if st.phase != "Completed" {
                notes.push((
                    false,
                    "RolloutCompleted",
                    format!("revision {revision} is on every target"),
                ));
            }
            st.phase = "Completed".into();
            st.message = format!("revision {revision} is on every target");
            st.stable_revision = Some(revision.clone());
            st.stable_spec = serde_json::to_value(i.spec).ok();
            break;
        };
        if matches!(w.state.as_str(), "failed" | "paused" | "rolledBack") {
            st.phase = "Paused".into();
            st.message = match w.state.as_str() {
                "failed" => format!("wave {} failed: {}", w.name, w.message),
                "paused" => format!("wave {} is paused on request", w.name),
                _ => format!("wave {} was {}", w.name, w.message),
            };
            for t in &mut w.targets {
                if t.state == "pending" {
                    t.state = "paused".into();
                }
            }
            break;
        }
        st.phase = "Progressing".into();
        if w.state == "pending" {
            if let Some(until) = blocked_until(&i.rollout.blackouts, i.now) {
                w.message = format!("waits for the blackout window to end at {until}");
                st.message = format!("wave {}: {}", w.name, w.message);
                requeue =
                    Duration::from_secs_f64(until.duration_since(i.now).as_secs_f64().clamp(1.0, 300.0));
                break;
            }
            w.state = "progressing".into();
            w.message.clear();
            w.started_at = Some(now_s.clone());
            notes.push((
                false,
                "RolloutWaveStarted",
                format!("wave {} takes revision {revision}", w.name),
            ));
        }
        // Targets take the revision `maxUnavailable` at a time, in order.
        let settings = i.rollout.waves.iter().find(|x| x.name == w.name);
        let batch = settings
            .and_then(|x| x.max_unavailable)
            .map_or(usize::MAX, |n| n.max(1) as usize);
        let mut released = 0;
        let mut failure = None;
        for t in &mut w.targets {
            let h = i.health.get(&t.cluster).cloned().unwrap_or(Health::Progressing);
            if h == Health::Healthy {
                t.state = "healthy".into();
                t.message.clear();
                continue;
            }
            if released >= batch {
                t.state = "pending".into();
                continue;
            }
            released += 1;
            match h {
                Health::Failed(m) => {
                    t.state = "failed".into();
                    t.message = m.clone();
                    failure.get_or_insert(format!("{}: {m}", t.cluster));
                }
                _ => {
                    t.state = "progressing".into();
                    t.message.clear();
                }
            }
        }
        let all_healthy = w.targets.iter().all(|t| t.state == "healthy");
        if failure.is_none() && !all_healthy && elapsed(w.started_at.as_deref(), i.now) > deadline {
            failure = Some(format!(
                "not healthy within the progress deadline ({}s)",
                deadline.as_secs()
            ));
        }
        if let Some(m) = failure {
            w.state = "failed".into();
            w.message = m;
            notes.push((
                true,
                "RolloutPaused",
                format!("wave {} failed, the rollout is paused: {}", w.name, w.message),
            ));
            continue; // reported as paused above
        }
        if !all_healthy {
            w.healthy_since = None;
            if w.state == "soaking" {
                w.state = "progressing".into();
            }
            st.message = format!("wave {} is progressing", w.name);
            requeue = Duration::from_secs(5);
            break;
        }
        let soak = secs(
            settings
                .and_then(|x| x.soak.as_deref())
                .or(i.rollout.soak.as_deref()),
        );
        if !soak.is_zero() {
            if w.healthy_since.is_none() {
                w.healthy_since = Some(now_s.clone());
                w.state = "soaking".into();
            }
            let soaked = elapsed(w.healthy_since.as_deref(), i.now);
            if soaked < soak {
                st.message = format!("wave {} is soaking", w.name);
                requeue = (soak - soaked).max(Duration::from_secs(1));
                break;
            }
        }
        w.state = "healthy".into();
        w.finished_at = Some(now_s.clone());
        notes.push((
            false,
            "RolloutWaveHealthy",
            format!("wave {} is healthy at revision {revision}", w.name),
        ));
        current += 1;
    }
    st.current_wave = current as u32;

    let mut choices = BTreeMap::new();
    for (wi, w) in st.waves.iter().enumerate() {
        for t in &w.targets {
            let new = wi < current
                || (wi == current
                    && w.state != "rolledBack"
                    && matches!(t.state.as_str(), "healthy" | "progressing" | "failed"));
            choices.insert(t.cluster.clone(), if new { Choice::New } else { Choice::Stable });
        }
    }
    Decision {
        choices,
        status: st,
        requeue,
        notes,
    }
}

/// The end of the blackout window `now` is in, if any.
pub fn blocked_until(windows: &[DeploymentWindow], now: Timestamp) -> Option<Timestamp> {
    windows.iter().filter_map(|w| window_end(w, now)).max()
}

fn hm(s: &str) -> Option<(i8, i8)> {
    let (h, m) = s.split_once(':')?;
    let (h, m) = (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && (h < 24 || m == 0)).then_some((h, m))
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "Mon" => Weekday::Monday,
        "Tue" => Weekday::Tuesday,
        "Wed" => Weekday::Wednesday,
        "Thu" => Weekday::Thursday,
        "Fri" => Weekday::Friday,
        "Sat" => Weekday::Saturday,
        "Sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// When the occurrence of `w` that contains `now` ends, if one does.
fn window_end(w: &DeploymentWindow, now: Timestamp) -> Option<Timestamp> {
    let tz = TimeZone::get(w.time_zone.as_deref().unwrap_or("UTC")).ok()?;
    let (sh, sm) = hm(&w.start)?;
    let (eh, em) = hm(&w.end)?;
    let local = now.to_zoned(tz.clone());
    // The occurrence started today or yesterday (one running past midnight).
    for back in [0i64, 1] {
        let day = local.date().checked_sub(back.days()).ok()?;
        if !w.days.is_empty() && !w.days.iter().any(|d| weekday(d) == Some(day.weekday())) {
            continue;
        }
        let start = day.at(sh, sm, 0, 0).to_zoned(tz.clone()).ok()?;
        let end_day = if (eh, em) <= (sh, sm) {
            day.checked_add(1.days()).ok()?
        } else {
            day
        };
        let end = if eh == 24 {
            end_day.checked_add(1.days()).ok()?.at(0, 0, 0, 0)
        } else {
            end_day.at(eh, em, 0, 0)
        }
        .to_zoned(tz.clone())
        .ok()?;
        if start.timestamp() <= now && now < end.timestamp() {
            return Some(end.timestamp());
        }
    }
    None
}

/// The rules of `spec.rollout`.
pub fn causes(spec: &ApplicationSpec, c: &mut Vec<Cause>) {
    let Some(r) = &spec.rollout else {
        return;
    };
    if r.waves.is_empty() {
        c.push(Cause::required("spec.rollout.waves"));
    }
    if r.waves.len() > 20 {
        c.push(Cause::invalid("spec.rollout.waves", "at most 20 waves"));
    }
    let mut names = BTreeSet::new();
    for (i, w) in r.waves.iter().enumerate() {
        let f = |field: &str| format!("spec.rollout.waves[{i}].{field}");
        c.extend(validation::dns1123_label(&f("name"), &w.name));
        if !names.insert(w.name.as_str()) || w.name == REMAINING {
            c.push(Cause::invalid(
                f("name"),
                format!(
                    "wave name {:?} is used twice (or is the reserved {REMAINING:?})",
                    w.name
                ),
            ));
        }
        let empty_selector = w
            .cluster_selector
            .as_ref()
            .is_none_or(|s| s.match_labels.is_empty() && s.match_expressions.is_empty());
        if w.clusters.is_empty() && empty_selector {
            c.push(Cause::required(f("clusterSelector")));
        }
        if w.max_unavailable == Some(0) {
            c.push(Cause::invalid(f("maxUnavailable"), "must be at least 1"));
        }
        if let Some(s) = &w.soak {
            c.extend(validation::duration(&f("soak"), s));
        }
    }
    for (field, v) in [("soak", &r.soak), ("progressDeadline", &r.progress_deadline)] {
        if let Some(v) = v {
            c.extend(validation::duration(&format!("spec.rollout.{field}"), v));
        }
    }
    if r.blackouts.len() > 20 {
        c.push(Cause::invalid("spec.rollout.blackouts", "at most 20 windows"));
    }
    for (i, w) in r.blackouts.iter().enumerate() {
        let f = |field: &str| format!("spec.rollout.blackouts[{i}].{field}");
        for (field, v) in [("start", &w.start), ("end", &w.end)] {
            if hm(v).is_none() || (field == "start" && v == "24:00") {
                c.push(Cause::invalid(
                    f(field),
                    format!("{v:?} is not a time of day HH:MM"),
                ));
            }
        }
        for (j, d) in w.days.iter().enumerate() {
            if weekday(d).is_none() {
                c.push(Cause::invalid(
                    format!("spec.rollout.blackouts[{i}].days[{j}]"),
                    format!("{d:?} is not one of Mon, Tue, Wed, Thu, Fri, Sat, Sun"),
                ));
            }
        }
        if let Some(tz) = &w.time_zone
            && TimeZone::get(tz).is_err()
        {
            c.push(Cause::invalid(
                f("timeZone"),
                format!("{tz:?} is not a known time zone"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(v: Value) -> ApplicationSpec {
        serde_json::from_value(v).expect("spec")
    }

    /// Staging (s1, s2) then production (p1, p2), with `soak`.
    fn fleet(soak: Option<&str>) -> (ApplicationSpec, ClusterLabels) {
        let mut rollout = json!({"waves": [
            {"name": "staging", "clusterSelector": {"matchLabels": {"env": "staging"}}},
            {"name": "production", "clusters": ["p1", "p2"]},
        ]});
        if let Some(s) = soak {
            rollout["soak"] = json!(s);
        }
        let targets: Vec<Value> = ["s1", "s2", "p1", "p2", "other"]
            .iter()
            .map(|c| json!({"cluster": c, "namespace": "web"}))
            .collect();
        let s = spec(json!({
            "source": {"kind": "HelmRepository", "name": "charts"},
            "helm": {"chart": "demo", "values": {"replicaCount": 1}},
            "targets": targets,
            "rollout": rollout,
        }));
        let labels: ClusterLabels = [
            ("s1", "staging"),
            ("s2", "staging"),
            ("p1", "production"),
            ("p2", "production"),
        ]
        .iter()
        .map(|(c, env)| {
            (
                c.to_string(),
                BTreeMap::from([("env".to_string(), env.to_string())]),
            )
        })
        .collect();
        (s, labels)
    }

    fn clusters(s: &ApplicationSpec) -> Vec<String> {
        s.targets.iter().map(|t| t.cluster.clone()).collect()
    }

    fn run(
        s: &ApplicationSpec,
        labels: &ClusterLabels,
        previous: Option<&RolloutStatus>,
        health: &[(&str, Health)],
        request: Option<&str>,
        now: Timestamp,
    ) -> Decision {
        let health: BTreeMap<String, Health> =
            health.iter().map(|(c, h)| (c.to_string(), h.clone())).collect();
        let cs = clusters(s);
        step(&Input {
            spec: s,
            clusters: &cs,
            rollout: s.rollout.as_ref().expect("rollout"),
            previous,
            labels,
            health: &health,
            request,
            now,
        })
    }

    fn states(d: &Decision) -> Vec<(String, String)> {
        d.status
            .waves
            .iter()
            .map(|w| (w.name.clone(), w.state.clone()))
            .collect()
    }

    fn new_ones(d: &Decision) -> Vec<&str> {
        d.choices
            .iter()
            .filter(|(_, c)| **c == Choice::New)
            .map(|(k, _)| k.as_str())
            .collect()
    }

    const HEALTHY: Health = Health::Healthy;

    #[test]
    fn waves_come_from_selectors_and_names_and_the_rest_go_last() {
        let (s, labels) = fleet(None);
        let w = assign(&clusters(&s), s.rollout.as_ref().expect("rollout"), &labels);
        assert_eq!(
            w,
            vec![
                ("staging".to_string(), vec!["s1".to_string(), "s2".to_string()]),
                ("production".to_string(), vec!["p1".to_string(), "p2".to_string()]),
                (REMAINING.to_string(), vec!["other".to_string()]),
            ]
        );
    }

    #[test]
    fn a_revision_goes_wave_by_wave_and_becomes_stable_when_done() {
        let (s, labels) = fleet(None);
        let t0 = Timestamp::now();
        let d = run(&s, &labels, None, &[], None, t0);
        assert_eq!(d.status.phase, "Progressing");
        assert_eq!(new_ones(&d), vec!["s1", "s2"], "only the first wave takes it");
        assert_eq!(d.status.waves[0].state, "progressing");
        assert_eq!(d.status.waves[1].targets[0].state, "pending");
        // Staging healthy: production starts in the same step.
        let d = run(
            &s,
            &labels,
            Some(&d.status),
            &[("s1", HEALTHY), ("s2", HEALTHY)],
            None,
            t0,
        );
        assert_eq!(states(&d)[0].1, "healthy");
        assert_eq!(states(&d)[1].1, "progressing");
        assert_eq!(new_ones(&d), vec!["p1", "p2", "s1", "s2"]);
        let all: Vec<(&str, Health)> = ["s1", "s2", "p1", "p2", "other"]
            .iter()
            .map(|c| (*c, HEALTHY))
            .collect();
        let d = run(&s, &labels, Some(&d.status), &all, None, t0);
        assert_eq!(d.status.phase, "Completed");
        assert_eq!(d.status.current_wave, 3);
        assert_eq!(d.status.stable_revision.as_deref(), Some(revision(&s).as_str()));
        assert!(d.notes.iter().any(|n| n.1 == "RolloutCompleted"));
        // A new revision starts over from the first wave; the rest keep the stable one.
        let mut s2 = s.clone();
        s2.helm.as_mut().expect("helm").values = Some(json!({"replicaCount": 3}));
        let d = run(&s2, &labels, Some(&d.status), &[], None, t0);
        assert_eq!(d.status.phase, "Progressing");
        assert_ne!(d.status.revision, revision(&s));
        assert_eq!(d.status.stable_revision.as_deref(), Some(revision(&s).as_str()));
        assert_eq!(new_ones(&d), vec!["s1", "s2"]);
        assert_eq!(d.choices["p1"], Choice::Stable);
    }

    #[test]
    fn a_failure_pauses_and_leaves_later_waves_on_the_stable_revision_until_resumed() {
        let (s, labels) = fleet(None);
        let t0 = Timestamp::now();
        let d = run(&s, &labels, None, &[], None, t0);
        let failed = Health::Failed("WorkloadsDegraded: pods crash".into());
        let d = run(
            &s,
            &labels,
            Some(&d.status),
            &[("s1", HEALTHY), ("s2", failed.clone())],
            None,
            t0,
        );
        assert_eq!(d.status.phase, "Paused");
        assert_eq!(states(&d)[0].1, "failed");
        assert_eq!(d.status.waves[0].targets[1].state, "failed");
        assert!(
            d.status.message.contains("s2: WorkloadsDegraded"),
            "{}",
            d.status.message
        );
        assert_eq!(d.status.waves[1].targets[0].state, "pending");
        assert_eq!(d.choices["p1"], Choice::Stable);
        assert!(d.notes.iter().any(|n| n.0 && n.1 == "RolloutPaused"));
        // Healthy again, but still paused until someone resumes.
        let fixed = [("s1", HEALTHY), ("s2", HEALTHY)];
        let d = run(&s, &labels, Some(&d.status), &fixed, None, t0);
        assert_eq!(d.status.phase, "Paused");
        let d = run(&s, &labels, Some(&d.status), &fixed, Some("resume@1"), t0);
        assert_eq!(states(&d)[0].1, "healthy");
        assert_eq!(states(&d)[1].1, "progressing");
        assert_eq!(d.status.last_handled_request.as_deref(), Some("resume@1"));
        // The same request again is not acted on twice.
        let again = run(&s, &labels, Some(&d.status), &fixed, Some("resume@1"), t0);
        assert_eq!(states(&again), states(&d));
    }

    #[test]
    fn promote_passes_a_wave_by_hand_and_rollback_returns_it_to_stable() {
        let (s, labels) = fleet(None);
        let t0 = Timestamp::now();
        let d = run(&s, &labels, None, &[], None, t0);
        let d = run(&s, &labels, Some(&d.status), &[], Some("promote@1"), t0);
        assert!(d.status.waves[0].promoted);
        assert_eq!(states(&d)[1].1, "progressing");
        let d = run(&s, &labels, Some(&d.status), &[], Some("rollback@2"), t0);
        assert_eq!(states(&d)[1].1, "rolledBack");
        assert_eq!(d.status.phase, "Paused");
        assert_eq!(d.choices["p1"], Choice::Stable);
        assert_eq!(
            d.choices["s1"],
            Choice::New,
            "a passed wave keeps the new revision"
        );
        let d = run(&s, &labels, Some(&d.status), &[], Some("pause@3"), t0);
        assert_eq!(
            d.status.phase, "Paused",
            "a pause of a rolled-back wave keeps it paused"
        );
        let d = run(&s, &labels, Some(&d.status), &[], Some("resume@4"), t0);
        assert_eq!(states(&d)[1].1, "progressing");
        assert_eq!(d.choices["p1"], Choice::New);
    }

    #[test]
    fn max_unavailable_releases_targets_a_few_at_a_time() {
        let (mut s, labels) = fleet(None);
        s.rollout.as_mut().expect("rollout").waves[1].max_unavailable = Some(1);
        let t0 = Timestamp::now();
        let d = run(&s, &labels, None, &[("s1", HEALTHY), ("s2", HEALTHY)], None, t0);
        assert_eq!(d.choices["p1"], Choice::New);
        assert_eq!(d.choices["p2"], Choice::Stable);
        let d = run(
            &s,
            &labels,
            Some(&d.status),
            &[("s1", HEALTHY), ("s2", HEALTHY), ("p1", HEALTHY)],
            None,
            t0,
        );
        assert_eq!(d.choices["p2"], Choice::New);
    }

    #[test]
    fn a_wave_soaks_before_the_next_starts_and_a_slow_wave_fails_at_the_deadline() {
        let (mut s, labels) = fleet(Some("2m"));
        let t0 = Timestamp::now();
        let ok = [("s1", HEALTHY), ("s2", HEALTHY)];
        let d = run(&s, &labels, None, &ok, None, t0);
        assert_eq!(states(&d)[0].1, "soaking");
        assert!(d.requeue <= Duration::from_secs(120));
        let d = run(&s, &labels, Some(&d.status), &ok, None, t0 + 60.seconds());
        assert_eq!(states(&d)[0].1, "soaking");
        let d = run(&s, &labels, Some(&d.status), &ok, None, t0 + 121.seconds());
        assert_eq!(states(&d)[0].1, "healthy");
        s.rollout.as_mut().expect("rollout").progress_deadline = Some("5m".into());
        let d = run(&s, &labels, Some(&d.status), &ok, None, t0 + 422.seconds());
        assert_eq!(states(&d)[1].1, "failed");
        assert!(d.status.waves[1].message.contains("progress deadline"));
    }

    #[test]
    fn suspending_does_not_make_a_new_revision() {
        let (s, _) = fleet(None);
        let mut suspended = s.clone();
        suspended.suspend = Some(true);
        suspended.targets[0].suspend = Some(true);
        suspended.rollout.as_mut().expect("rollout").soak = Some("1m".into());
        assert_eq!(revision(&s), revision(&suspended));
        let mut changed = s.clone();
        changed.targets[0].namespace = "other".into();
        assert_ne!(revision(&s), revision(&changed));
    }

    #[test]
    fn blackout_windows_hold_a_wave_that_has_not_started() {
        let (mut s, labels) = fleet(None);
        let now: Timestamp = "2026-11-28T10:30:00Z".parse().expect("time"); // a Saturday
        s.rollout.as_mut().expect("rollout").blackouts = vec![DeploymentWindow {
            days: vec!["Sat".into(), "Sun".into()],
            start: "00:00".into(),
            end: "24:00".into(),
            time_zone: None,
        }];
        let d = run(&s, &labels, None, &[], None, now);
        assert_eq!(states(&d)[0].1, "pending");
        assert!(new_ones(&d).is_empty());
        assert!(
            d.status.waves[0].message.contains("2026-11-29T00:00:00Z"),
            "{}",
            d.status.waves[0].message
        );
        // A window past midnight, in a time zone: 22:00-06:00 in Shanghai is 14:00-22:00 UTC.
        let night = DeploymentWindow {
            days: vec![],
            start: "22:00".into(),
            end: "06:00".into(),
            time_zone: Some("Asia/Shanghai".into()),
        };
        let at = |t: &str| blocked_until(std::slice::from_ref(&night), t.parse().expect("time"));
        assert_eq!(
            at("2026-11-27T15:00:00Z"),
            Some("2026-11-27T22:00:00Z".parse().expect("time"))
        );
        assert_eq!(at("2026-11-27T23:00:00Z"), None);
    }

    #[test]
    fn rollout_settings_are_checked_with_the_field_named() {
        let (mut s, _) = fleet(None);
        let r = s.rollout.as_mut().expect("rollout");
        r.waves[1].name = "staging".into();
        r.waves.push(super::super::Wave {
            name: "empty".into(),
            ..Default::default()
        });
        r.soak = Some("soon".into());
        r.blackouts = vec![DeploymentWindow {
            days: vec!["Someday".into()],
            start: "25:00".into(),
            end: "06:00".into(),
            time_zone: Some("Mars/Olympus".into()),
        }];
        let mut c = Vec::new();
        causes(&s, &mut c);
        let fields: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "spec.rollout.waves[1].name",
                "spec.rollout.waves[2].clusterSelector",
                "spec.rollout.soak",
                "spec.rollout.blackouts[0].start",
                "spec.rollout.blackouts[0].days[0]",
                "spec.rollout.blackouts[0].timeZone",
            ]
        );
    }
}
