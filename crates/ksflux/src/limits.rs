//! Size limits of what the API stores. etcd refuses objects over ~1.5 MiB, and a controller
//! must still be able to write an object's status after its spec, so every write is held well
//! below that, and the failing field is named (`FieldValueTooLong`) instead of the apiserver's
//! "request is too large" arriving as an error after credential Secrets were written.
//!
//! | what | at most |
//! |---|---|
//! | request body | 1 MiB (413) |
//! | `spec` as JSON | 512 KiB |
//! | any one field of a spec (values, patches, a target's overrides, ...) | 256 KiB |
//! | `spec.ignore` | 64 KiB |
//! | labels and annotations together | 64 KiB |
//! | each credential or TLS value (password, token, key, certificate, CA, known hosts) | 64 KiB |

use serde_json::Value;

use crate::error::Cause;

/// The largest `spec`, serialized as JSON.
pub const MAX_SPEC: usize = 512 * 1024;
/// The largest single field of a spec, serialized as JSON.
pub const MAX_FIELD: usize = 256 * 1024;
/// The largest `spec.ignore`.
pub const MAX_IGNORE: usize = 64 * 1024;
/// The largest labels plus annotations.
pub const MAX_METADATA: usize = 64 * 1024;
/// The largest credential or TLS value.
pub const MAX_SECRET_VALUE: usize = 64 * 1024;

fn size(v: &Value) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX)
}

fn human(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KiB", n.div_ceil(1024))
    }
}

/// A `FieldValueTooLong` cause.
pub fn too_long(field: impl Into<String>, limit: usize, actual: usize) -> Cause {
    Cause {
        reason: "FieldValueTooLong".into(),
        message: format!("must be at most {} (is {})", human(limit), human(actual)),
        field: field.into(),
    }
}

/// The deepest field under `path` whose JSON is larger than `limit`.
fn largest_offender(path: &str, v: &Value, limit: usize) -> Option<(String, usize)> {
    let n = size(v);
    if n <= limit {
        return None;
    }
    let child = match v {
        Value::Object(m) => m
            .iter()
            .find_map(|(k, c)| largest_offender(&format!("{path}.{k}"), c, limit)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, c)| largest_offender(&format!("{path}[{i}]"), c, limit)),
        _ => None,
    };
    Some(child.unwrap_or_else(|| (path.to_string(), n)))
}

/// Checks a spec against the limits, naming the offending fields.
pub fn check_spec(spec: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if let Some(ignore) = spec.get("ignore") {
        let n = size(ignore);
        if n > MAX_IGNORE {
            causes.push(too_long("spec.ignore", MAX_IGNORE, n));
        }
    }
    if causes.is_empty() {
        if let Some((field, n)) = largest_offender("spec", spec, MAX_FIELD).filter(|(f, _)| f != "spec") {
            causes.push(too_long(field, MAX_FIELD, n));
        } else {
            let n = size(spec);
            if n > MAX_SPEC {
                causes.push(too_long("spec", MAX_SPEC, n));
            }
        }
    }
    causes
}

/// Checks labels and annotations together.
pub fn check_metadata<'a>(maps: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<Cause> {
    let n: usize = maps.into_iter().map(|(k, v)| k.len() + v.len()).sum();
    if n > MAX_METADATA {
        vec![too_long("metadata.annotations", MAX_METADATA, n)]
    } else {
        Vec::new()
    }
}

/// Checks one credential or TLS value.
pub fn check_secret_value(field: String, value: &str) -> Option<Cause> {
    (value.len() > MAX_SECRET_VALUE).then(|| too_long(field, MAX_SECRET_VALUE, value.len()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn big(n: usize) -> String {
        "x".repeat(n)
    }

    #[test]
    fn small_specs_pass() {
        assert!(check_spec(&json!({"url": "https://example.com", "values": {"a": 1}})).is_empty());
    }

    #[test]
    fn large_values_are_named_by_their_path() {
        let spec = json!({"helm": {"chart": "x", "values": {"blob": big(300 * 1024)}}});
        let c = check_spec(&spec);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "spec.helm.values.blob");
        assert_eq!(c[0].reason, "FieldValueTooLong");
        let spec = json!({"targets": [{"cluster": "a"}, {"cluster": "b", "overrides": {"values": {"x": big(260 * 1024)}}}]});
        assert_eq!(check_spec(&spec)[0].field, "spec.targets[1].overrides.values.x");
    }

    #[test]
    fn many_medium_fields_make_the_spec_too_large() {
        let spec = json!({"a": big(200 * 1024), "b": big(200 * 1024), "c": big(200 * 1024)});
        let c = check_spec(&spec);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "spec");
    }

    #[test]
    fn ignore_has_its_own_limit() {
        let c = check_spec(&json!({"ignore": big(100 * 1024)}));
        assert_eq!(c[0].field, "spec.ignore");
        assert!(c[0].message.contains("64 KiB"), "{}", c[0].message);
    }

    #[test]
    fn secret_values_and_metadata_are_bounded() {
        assert!(check_secret_value("tls.ca".into(), &big(10)).is_none());
        assert_eq!(
            check_secret_value("tls.ca".into(), &big(70 * 1024)).map(|c| c.field),
            Some("tls.ca".to_string())
        );
        let (k, v) = ("k".to_string(), big(70 * 1024));
        assert_eq!(check_metadata([(&k, &v)]).len(), 1);
    }
}
