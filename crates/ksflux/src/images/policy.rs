//! How image-reflector-controller picks a tag: `filterTags` (a regular expression, with an
//! optional `extract` template of its named groups), then one of `semver` (a Masterminds
//! range), `alphabetical` or `numerical` ordering. Pure, so the console can preview a policy
//! over the tags an ImageRepository scanned before the policy exists.

use std::cmp::Ordering;

use regex::Regex;
use semver::Version;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::Cause;

/// The longest `filterTags.pattern` accepted.
const MAX_PATTERN: usize = 1024;

/// One scanned tag, as a policy sees it.
#[derive(Serialize, Clone, Debug, PartialEq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagVerdict {
    /// The tag as scanned.
    pub tag: String,
    /// What the policy orders by: the tag, or what `filterTags.extract` made of it.
    pub value: String,
    /// Whether the policy may pick it.
    pub matches: bool,
    /// Why it may not (empty when it matches).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// A policy's verdict over a list of tags.
#[derive(Serialize, Clone, Debug, PartialEq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// Every tag, in the order given, with whether it matches.
    pub tags: Vec<TagVerdict>,
    /// The tag the policy picks, if any matches.
    pub pick: Option<String>,
}

/// The ordering a policy uses.
#[derive(Clone, Debug)]
enum Order {
    Semver(Range),
    /// `true`: ascending (the greatest is picked).
    Alphabetical(bool),
    Numerical(bool),
}

/// An ImagePolicy's `filterTags` and `policy`, compiled.
#[derive(Clone, Debug)]
pub struct Policy {
    filter: Option<(Regex, String)>,
    order: Order,
}

fn ascending(spec: &Value, kind: &str) -> Result<bool, Cause> {
    match spec
        .pointer(&format!("/policy/{kind}/order"))
        .and_then(Value::as_str)
    {
        None | Some("asc") => Ok(true),
        Some("desc") => Ok(false),
        Some(_) => Err(Cause::invalid(
            format!("spec.policy.{kind}.order"),
            "give asc or desc",
        )),
    }
}

impl Policy {
    /// Compiles an ImagePolicy spec; `Err` names the field that is wrong.
    pub fn from_spec(spec: &Value) -> Result<Policy, Cause> {
        let filter = match spec.pointer("/filterTags/pattern").and_then(Value::as_str) {
            None | Some("") => None,
            Some(p) if p.len() > MAX_PATTERN => {
                return Err(Cause::invalid(
                    "spec.filterTags.pattern",
                    format!("at most {MAX_PATTERN} characters"),
                ));
            }
            Some(p) => {
                let re = regex::RegexBuilder::new(p)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| {
                        Cause::invalid(
                            "spec.filterTags.pattern",
                            format!("not a regular expression: {e}"),
                        )
                    })?;
                let extract = spec
                    .pointer("/filterTags/extract")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                Some((re, extract))
            }
        };
        let policy = spec.get("policy").and_then(Value::as_object);
        let order = match policy.map(|p| p.keys().map(String::as_str).collect::<Vec<_>>()) {
            Some(k) if k == ["semver"] => {
                let range = spec
                    .pointer("/policy/semver/range")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Order::Semver(Range::parse(range).ok_or_else(|| {
                    Cause::invalid(
                        "spec.policy.semver.range",
                        "not a semver range; e.g. >=1.0.0 <2.0.0, ~1.2, ^1, 1.x",
                    )
                })?)
            }
            Some(k) if k == ["alphabetical"] => Order::Alphabetical(ascending(spec, "alphabetical")?),
            Some(k) if k == ["numerical"] => Order::Numerical(ascending(spec, "numerical")?),
            _ => {
                return Err(Cause::invalid(
                    "spec.policy",
                    "set exactly one of semver, alphabetical, numerical",
                ));
            }
        };
        Ok(Policy { filter, order })
    }

    /// Which of `tags` the policy may pick, and the one it picks.
    pub fn evaluate<'a>(&self, tags: impl IntoIterator<Item = &'a str>) -> Verdict {
        let mut out = Vec::new();
        let mut best: Option<(usize, Key)> = None;
        for tag in tags {
            let (value, filtered) = match &self.filter {
                None => (tag.to_string(), true),
                Some((re, extract)) => match re.captures(tag) {
                    None => (tag.to_string(), false),
                    Some(c) if extract.is_empty() => (tag.to_string(), c.get(0).is_some()),
                    Some(c) => {
                        let mut v = String::new();
                        c.expand(extract, &mut v);
                        (v, true)
                    }
                },
            };
            let verdict = if !filtered {
                Err("does not match filterTags.pattern".to_string())
            } else {
                self.key(&value)
            };
            let (matches, reason) = match verdict {
                Ok(key) => {
                    if best.as_ref().is_none_or(|(_, b)| key.cmp(b) == Ordering::Greater) {
                        best = Some((out.len(), key));
                    }
                    (true, String::new())
                }
                Err(r) => (false, r),
            };
            out.push(TagVerdict {
                tag: tag.to_string(),
                value,
                matches,
                reason,
            });
        }
        let pick = best.and_then(|(i, _)| out.get(i)).map(|t| t.tag.clone());
        Verdict { tags: out, pick }
    }

    /// The sort key of an (extracted) tag: greater is picked first.
    fn key(&self, value: &str) -> Result<Key, String> {
        match &self.order {
            Order::Semver(range) => {
                let v = lenient(value).ok_or_else(|| "not a semantic version".to_string())?;
                if range.matches(&v) {
                    Ok(Key::Version(v))
                } else if !v.pre.is_empty() && !range.names_prerelease() {
                    Err("a pre-release, and the range names none".into())
                } else {
                    Err("outside the range".into())
                }
            }
            Order::Alphabetical(asc) => Ok(Key::Text(value.to_string(), *asc)),
            Order::Numerical(asc) => value
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| Key::Number(f, *asc))
                .ok_or_else(|| "not a number".into()),
        }
    }
}

/// A comparable sort key.
#[derive(Clone, Debug, PartialEq)]
enum Key {
    Version(Version),
    Text(String, bool),
    Number(f64, bool),
}

impl Key {
    fn cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Version(a), Key::Version(b)) => a.cmp_precedence(b),
            (Key::Text(a, asc), Key::Text(b, _)) => flip(a.cmp(b), *asc),
            (Key::Number(a, asc), Key::Number(b, _)) => flip(a.total_cmp(b), *asc),
            _ => Ordering::Equal,
        }
    }
}

fn flip(o: Ordering, ascending: bool) -> Ordering {
    if ascending { o } else { o.reverse() }
}

/// A version as Masterminds reads one: an optional `v`, missing minor and patch as 0.
pub fn lenient(s: &str) -> Option<Version> {
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    if let Ok(v) = Version::parse(s) {
        return Some(v);
    }
    let split = s.find(['-', '+']).unwrap_or(s.len());
    let (core, rest) = s.split_at(split);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut full: Vec<String> = parts
        .iter()
        .map(|p| p.trim_start_matches('0').to_string())
        .collect();
    for p in &mut full {
        if p.is_empty() {
            *p = "0".into();
        }
    }
    while full.len() < 3 {
        full.push("0".into());
    }
    Version::parse(&format!("{}{rest}", full.join("."))).ok()
}

/// A comparison against one version.
#[derive(Clone, Debug)]
struct Comparator {
    op: Op,
    v: Version,
    /// The range wrote a pre-release here (not one ksflux derived for a bound).
    pre: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Comparator {
    fn matches(&self, v: &Version) -> bool {
        let o = v.cmp_precedence(&self.v);
        match self.op {
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
        }
    }
}

/// A Masterminds semver range: alternatives (`||`) of comparators that must all hold.
#[derive(Clone, Debug)]
pub struct Range {
    alternatives: Vec<Vec<Comparator>>,
}

/// A version whose trailing parts may be missing or wildcards: `1`, `1.2`, `1.x`, `*`.
struct Partial {
    parts: Vec<u64>,
    pre: String,
}

impl Partial {
    fn parse(s: &str) -> Option<Partial> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let (core, pre) = match s.find(['-', '+']) {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let mut parts = Vec::new();
        for (i, p) in core.split('.').enumerate() {
            if i > 2 {
                return None;
            }
            if matches!(p, "x" | "X" | "*") {
                break;
            }
            parts.push(p.parse::<u64>().ok()?);
        }
        if !pre.is_empty() && parts.len() < 3 {
            return None;
        }
        Some(Partial {
            parts,
            pre: pre.to_string(),
        })
    }

    fn low(&self) -> Option<Version> {
        let p = |i: usize| self.parts.get(i).copied().unwrap_or(0);
        Version::parse(&format!("{}.{}.{}{}", p(0), p(1), p(2), self.pre)).ok()
    }

    /// The first version past the partial's wildcard (`None`: unbounded, for `*`).
    fn high(&self) -> Option<Version> {
        match self.parts.as_slice() {
            [] => None,
            [m] => Some(Version::new(m + 1, 0, 0)),
            [m, n] => Some(Version::new(*m, n + 1, 0)),
            _ => None,
        }
    }

    fn exact(&self) -> bool {
        self.parts.len() == 3
    }
}

fn lower_than_pre(v: Version) -> Version {
    // The smallest version at `v`: `1.3.0-0`, so pre-releases of the bound stay outside.
    Version {
        pre: semver::Prerelease::new("0").unwrap_or(semver::Prerelease::EMPTY),
        ..v
    }
}

impl Range {
    /// Parses a range as Flux accepts it; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Range> {
        if s.trim().is_empty() || s.len() > 256 {
            return None;
        }
        let mut alternatives = Vec::new();
        for alt in s.split("||") {
            let alt = alt.trim();
            if alt.is_empty() {
                return None;
            }
            let mut group = Vec::new();
            if let Some((a, b)) = alt.split_once(" - ") {
                let a = Partial::parse(a.trim())?;
                let b = Partial::parse(b.trim())?;
                group.push(Comparator {
                    op: Op::Ge,
                    v: a.low()?,
                    pre: !a.pre.is_empty(),
                });
                if b.exact() {
                    group.push(Comparator {
                        op: Op::Le,
                        v: b.low()?,
                        pre: !b.pre.is_empty(),
                    });
                } else if let Some(h) = b.high() {
                    group.push(Comparator {
                        op: Op::Lt,
                        v: lower_than_pre(h),
                        pre: false,
                    });
                }
                alternatives.push(group);
                continue;
            }
            let normalized = alt.replace(',', " ");
            let mut tokens = normalized.split_whitespace().peekable();
            while let Some(tok) = tokens.next() {
                let op_len = tok
                    .find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~' | '^'))
                    .unwrap_or(tok.len());
                let (op, ver) = tok.split_at(op_len);
                let ver = if ver.is_empty() { tokens.next()? } else { ver };
                let p = Partial::parse(ver)?;
                group.extend(Self::comparators(op, &p)?);
            }
            alternatives.push(group);
        }
        Some(Range { alternatives })
    }

    fn comparators(op: &str, p: &Partial) -> Option<Vec<Comparator>> {
        let pre = !p.pre.is_empty();
        let c = |op, v| Comparator { op, v, pre };
        let lo = p.low()?;
        let hi = p.high().map(lower_than_pre);
        Some(match op {
            "" | "=" if p.exact() => vec![c(Op::Eq, lo)],
            "" | "=" => [Some(c(Op::Ge, lo)), hi.map(|h| c(Op::Lt, h))]
                .into_iter()
                .flatten()
                .collect(),
            "!=" if p.exact() => vec![c(Op::Ne, lo)],
            ">" if p.exact() => vec![c(Op::Gt, lo)],
            ">" => vec![c(Op::Ge, hi?)],
            ">=" | "=>" => vec![c(Op::Ge, lo)],
            "<" => vec![c(Op::Lt, lo)],
            "<=" | "=<" if p.exact() => vec![c(Op::Le, lo)],
            "<=" | "=<" => hi.map(|h| vec![c(Op::Lt, h)]).unwrap_or_default(),
            "~" | "~>" => {
                let upper = match p.parts.as_slice() {
                    [] => None,
                    [m] => Some(Version::new(m + 1, 0, 0)),
                    [m, n, ..] => Some(Version::new(*m, n + 1, 0)),
                };
                [Some(c(Op::Ge, lo)), upper.map(|u| c(Op::Lt, lower_than_pre(u)))]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            "^" => {
                let upper = match p.parts.as_slice() {
                    [] => None,
                    [0] => Some(Version::new(1, 0, 0)),
                    [0, 0] => Some(Version::new(0, 1, 0)),
                    [0, 0, z] => Some(Version::new(0, 0, z + 1)),
                    [0, n, ..] => Some(Version::new(0, n + 1, 0)),
                    [m, ..] => Some(Version::new(m + 1, 0, 0)),
                };
                [Some(c(Op::Ge, lo)), upper.map(|u| c(Op::Lt, lower_than_pre(u)))]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            _ => return None,
        })
    }

    /// Whether any comparator names a pre-release (only then may pre-releases match).
    fn names_prerelease(&self) -> bool {
        self.alternatives.iter().flatten().any(|c| c.pre)
    }

    /// Whether `v` is in the range.
    pub fn matches(&self, v: &Version) -> bool {
        self.alternatives.iter().any(|group| {
            let pre_ok = v.pre.is_empty() || group.iter().any(|c| c.pre);
            pre_ok && group.iter().all(|c| c.matches(v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pick(spec: Value, tags: &[&str]) -> Option<String> {
        Policy::from_spec(&spec)
            .expect("policy")
            .evaluate(tags.iter().copied())
            .pick
    }

    const TESTBED: [&str; 4] = ["2.0.0-rc.1", "1.2.0", "1.1.0", "1.0.0"];

    #[test]
    fn a_semver_range_picks_the_highest_release_inside_it() {
        let spec = json!({"policy": {"semver": {"range": ">=1.0.0 <2.0.0"}}});
        let p = Policy::from_spec(&spec).expect("policy");
        let v = p.evaluate(TESTBED);
        assert_eq!(v.pick.as_deref(), Some("1.2.0"));
        assert!(!v.tags[0].matches);
        assert_eq!(v.tags[0].reason, "a pre-release, and the range names none");
        assert!(v.tags[1..].iter().all(|t| t.matches));
        assert_eq!(
            pick(json!({"policy": {"semver": {"range": "~1.1"}}}), &TESTBED).as_deref(),
            Some("1.1.0")
        );
        assert_eq!(
            pick(json!({"policy": {"semver": {"range": "^1"}}}), &TESTBED).as_deref(),
            Some("1.2.0")
        );
        assert_eq!(
            pick(json!({"policy": {"semver": {"range": "1.0.x"}}}), &TESTBED).as_deref(),
            Some("1.0.0")
        );
        assert_eq!(
            pick(json!({"policy": {"semver": {"range": "*"}}}), &TESTBED).as_deref(),
            Some("1.2.0")
        );
        assert_eq!(
            pick(json!({"policy": {"semver": {"range": ">=2.0.0-0"}}}), &TESTBED).as_deref(),
            Some("2.0.0-rc.1")
        );
        assert_eq!(
            pick(json!({"policy": {"semver": {"range": ">=3"}}}), &TESTBED),
            None
        );
        assert_eq!(
            pick(
                json!({"policy": {"semver": {"range": "1.0 - 1.1"}}}),
                &["v1.1.5", "1.2.0", "latest"]
            )
            .as_deref(),
            Some("v1.1.5")
        );
    }

    #[test]
    fn filters_and_orderings_follow_the_reflector() {
        let spec = json!({
            "filterTags": {"pattern": "^main-[a-f0-9]+-(?P<ts>[0-9]+)$", "extract": "$ts"},
            "policy": {"numerical": {"order": "asc"}}
        });
        let tags = ["main-abc-100", "main-def-99", "main-123-1000", "pr-5-2000"];
        let v = Policy::from_spec(&spec).expect("policy").evaluate(tags);
        assert_eq!(v.pick.as_deref(), Some("main-123-1000"));
        assert_eq!(v.tags[1].value, "99");
        assert_eq!(v.tags[3].reason, "does not match filterTags.pattern");
        let desc = json!({"policy": {"alphabetical": {"order": "desc"}}});
        assert_eq!(pick(desc, &["b", "a", "c"]).as_deref(), Some("a"));
        assert_eq!(
            pick(json!({"policy": {"alphabetical": {}}}), &["b", "a", "c"]).as_deref(),
            Some("c")
        );
    }

    #[test]
    fn a_bad_policy_names_its_field() {
        for (spec, field) in [
            (
                json!({"policy": {"semver": {"range": "newest"}}}),
                "spec.policy.semver.range",
            ),
            (json!({"policy": {}}), "spec.policy"),
            (
                json!({"policy": {"numerical": {"order": "up"}}}),
                "spec.policy.numerical.order",
            ),
            (
                json!({"filterTags": {"pattern": "("}, "policy": {"alphabetical": {}}}),
                "spec.filterTags.pattern",
            ),
        ] {
            assert_eq!(
                Policy::from_spec(&spec).err().map(|c| c.field),
                Some(field.to_string())
            );
        }
    }

    #[test]
    fn versions_are_read_leniently() {
        assert_eq!(lenient("v1.2"), Some(Version::new(1, 2, 0)));
        assert_eq!(lenient("1"), Some(Version::new(1, 0, 0)));
        assert!(lenient("1.2.3.4").is_none());
        assert!(lenient("latest").is_none());
        assert_eq!(
            lenient("1.2-rc.1").map(|v| v.pre.to_string()),
            Some("rc.1".into())
        );
    }
}
