//! Field validation shared by every resource: names, durations, URLs and semver ranges.
//! Each check returns the [`Cause`]s it found, so a request reports all of its bad fields
//! at once.

use crate::error::Cause;

/// A DNS-1123 label: at most 63 lowercase alphanumerics or '-', starting and ending with an
/// alphanumeric (namespaces, cluster names).
pub fn dns1123_label(field: &str, v: &str) -> Vec<Cause> {
    if v.is_empty() {
        return vec![Cause::required(field)];
    }
    if v.len() > 63 || !label_ok(v) {
        return vec![Cause::invalid(
            field,
            format!(
                "{v:?} must be at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit"
            ),
        )];
    }
    Vec::new()
}

/// A DNS-1123 subdomain: at most 253 characters, dot-separated labels (object names).
pub fn dns1123_subdomain(field: &str, v: &str) -> Vec<Cause> {
    if v.is_empty() {
        return vec![Cause::required(field)];
    }
    if v.len() > 253 || !v.split('.').all(label_ok) {
        return vec![Cause::invalid(
            field,
            format!(
                "{v:?} must be at most 253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit"
            ),
        )];
    }
    Vec::new()
}

fn label_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// A Go duration as Flux takes it: `30s`, `5m`, `1h30m`, `1.5h`, `500ms`.
pub fn duration(field: &str, v: &str) -> Vec<Cause> {
    if parse_duration(v).is_none() {
        return vec![Cause::invalid(
            field,
            format!("{v:?} is not a duration such as 30s, 5m or 1h30m"),
        )];
    }
    Vec::new()
}

/// Parses a Go duration into seconds; `None` if it is not one.
pub fn parse_duration(v: &str) -> Option<f64> {
    let mut rest = v;
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// A URL whose scheme is one of `schemes` and which has a host.
pub fn url(field: &str, v: &str, schemes: &[&str]) -> Vec<Cause> {
    if v.is_empty() {
        return vec![Cause::required(field)];
    }
    let Some((scheme, rest)) = v.split_once("://") else {
        return vec![Cause::invalid(
            field,
            format!("{v:?} is not a URL; expected {}://...", schemes.join(":// or ")),
        )];
    };
    if !schemes.contains(&scheme) {
        return vec![Cause::invalid(
            field,
            format!(
                "scheme {scheme:?} is not supported here; use {}",
                schemes.join(", ")
            ),
        )];
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return vec![Cause::invalid(field, format!("{v:?} has no host"))];
    }
    if v.contains(char::is_whitespace) {
        return vec![Cause::invalid(field, "a URL cannot contain spaces")];
    }
    Vec::new()
}

/// A `host[:port]` endpoint without a scheme (S3 endpoints).
pub fn endpoint(field: &str, v: &str) -> Vec<Cause> {
    if v.is_empty() {
        return vec![Cause::required(field)];
    }
    if v.contains("://") {
        return vec![Cause::invalid(
            field,
            "give the endpoint as host[:port], without a scheme",
        )];
    }
    let (host, port) = match v.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (v, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !host.starts_with(['.', '-']);
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if !host_ok || !port_ok {
        return vec![Cause::invalid(field, format!("{v:?} is not host[:port]"))];
    }
    Vec::new()
}

/// A semver range as Flux (Masterminds/semver) accepts it: comparators such as `>=1.2.0 <2`,
/// `~1.2`, `^1`, `1.2.x`, `*`, hyphen ranges `1.2 - 1.4`, joined with `,` or spaces and
/// alternatives with `||`.
pub fn semver_range(field: &str, v: &str) -> Vec<Cause> {
    if v.trim().is_empty() {
        return vec![Cause::required(field)];
    }
    for alt in v.split("||") {
        let alt = alt.trim();
        if alt.is_empty() {
            return bad_range(field, v);
        }
        // Hyphen range: "a - b".
        if let Some((a, b)) = alt.split_once(" - ") {
            if !version_pattern(a.trim()) || !version_pattern(b.trim()) {
                return bad_range(field, v);
            }
            continue;
        }
        let normalized = alt.replace(',', " ");
        let mut tokens = normalized.split_whitespace().peekable();
        while let Some(tok) = tokens.next() {
            let op_len = tok
                .find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~' | '^'))
                .unwrap_or(tok.len());
            let (op, mut ver) = tok.split_at(op_len);
            if !matches!(
                op,
                "" | "=" | "!=" | ">" | "<" | ">=" | "<=" | "=<" | "~" | "~>" | "^"
            ) {
                return bad_range(field, v);
            }
            if ver.is_empty() {
                // An operator separated from its version by a space: ">= 1.2".
                match tokens.next() {
                    Some(next) => ver = next,
                    None => return bad_range(field, v),
                }
            }
            if !version_pattern(ver) {
                return bad_range(field, v);
            }
        }
    }
    Vec::new()
}

fn bad_range(field: &str, v: &str) -> Vec<Cause> {
    vec![Cause::invalid(
        field,
        format!("{v:?} is not a semver range such as \">=1.0.0 <2.0.0\", \"~1.2\" or \"6.x\""),
    )]
}

/// `1`, `1.2`, `1.2.3`, `v1.2.3`, `1.2.x`, `*`, with optional `-prerelease` and `+build`.
fn version_pattern(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    if v.is_empty() {
        return false;
    }
    let (core, _build) = v.split_once('+').unwrap_or((v, ""));
    let (core, pre) = match core.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core, None),
    };
    if pre.is_some_and(|p| {
        p.is_empty()
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    }) {
        return false;
    }
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return false;
    }
    parts
        .iter()
        .all(|p| matches!(*p, "x" | "X" | "*") || (!p.is_empty() && p.chars().all(|c| c.is_ascii_digit())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dns1123() {
        assert!(dns1123_label("n", "member-1").is_empty());
        assert!(!dns1123_label("n", "Member").is_empty());
        assert!(!dns1123_label("n", "-a").is_empty());
        assert!(!dns1123_label("n", &"a".repeat(64)).is_empty());
        assert_eq!(dns1123_label("n", "")[0].reason, "FieldValueRequired");
        assert!(dns1123_subdomain("n", "podinfo.v2").is_empty());
        assert!(!dns1123_subdomain("n", "podinfo_v2").is_empty());
        assert!(!dns1123_subdomain("n", "a..b").is_empty());
    }

    #[test]
    fn durations_are_go_durations() {
        for ok in ["30s", "5m", "1h30m", "1.5h", "500ms", "0s"] {
            assert!(duration("d", ok).is_empty(), "{ok}");
        }
        for bad in ["", "5", "5 m", "m", "1d", "-1s", "1h-"] {
            assert!(!duration("d", bad).is_empty(), "{bad}");
        }
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
    }

    #[test]
    fn urls_need_an_allowed_scheme_and_a_host() {
        assert!(url("u", "https://github.com/org/repo", &["http", "https", "ssh"]).is_empty());
        assert!(url("u", "ssh://git@github.com/org/repo", &["http", "https", "ssh"]).is_empty());
        assert!(!url("u", "ftp://x/y", &["http", "https"]).is_empty());
        assert!(!url("u", "github.com/org/repo", &["https"]).is_empty());
        assert!(!url("u", "https:///path", &["https"]).is_empty());
        assert!(!url("u", "https://a b/", &["https"]).is_empty());
    }

    #[test]
    fn endpoints_are_host_and_port() {
        assert!(endpoint("e", "127.0.0.1:9000").is_empty());
        assert!(endpoint("e", "s3.amazonaws.com").is_empty());
        assert!(!endpoint("e", "http://minio:9000").is_empty());
        assert!(!endpoint("e", "minio:99999").is_empty());
    }

    #[test]
    fn semver_ranges_follow_flux() {
        for ok in [
            ">=1.0.0 <2.0.0",
            "~1.2",
            "^1",
            "6.x",
            "*",
            "1.2.3",
            ">= 1.2, < 3",
            "1.2 - 1.4.5",
            "<1 || >=2.0.0-rc.1",
        ] {
            assert!(semver_range("r", ok).is_empty(), "{ok}");
        }
        for bad in ["", "latest", ">>1", "1.2.3.4", "1.a", "|| 1", ">="] {
            assert!(!semver_range("r", bad).is_empty(), "{bad}");
        }
    }
}
