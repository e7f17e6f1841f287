//! The short summary of an update kept in the audit log: which fields of the spec changed,
//! with old and new values when both are short scalars.

use serde_json::Value;

/// Fields listed at most; the rest are counted.
const MAX_FIELDS: usize = 8;
/// Scalars longer than this are not shown.
const MAX_VALUE: usize = 40;

fn short(v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    (s.chars().count() <= MAX_VALUE).then_some(s)
}

fn walk(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<String>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(&format!("{path}.{k}"), a.get(k), b.get(k), out);
            }
        }
        (None, Some(_)) => out.push(format!("{path} added")),
        (Some(_), None) => out.push(format!("{path} removed")),
        (Some(a), Some(b)) => match (short(a), short(b)) {
            (Some(a), Some(b)) => out.push(format!("{path}: {a} → {b}")),
            _ => out.push(format!("{path} changed")),
        },
        (None, None) => {}
    }
}

/// What changed from `old` to `new` (two specs), e.g. `spec.interval: 1m → 5m; spec.path
/// changed`; `no spec change` when nothing did.
pub fn spec_diff(old: &Value, new: &Value) -> String {
    let mut out = Vec::new();
    walk("spec", Some(old), Some(new), &mut out);
    if out.is_empty() {
        return "no spec change".into();
    }
    let more = out.len().saturating_sub(MAX_FIELDS);
    out.truncate(MAX_FIELDS);
    let mut s = out.join("; ");
    if more > 0 {
        s.push_str(&format!("; and {more} more"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_changed_fields_with_short_values() {
        let old = json!({"interval": "1m", "path": "./a", "values": {"x": 1, "big": "y".repeat(80)}});
        let new = json!({"interval": "5m", "path": "./a", "values": {"x": 2, "big": "z".repeat(80)}, "suspend": true});
        assert_eq!(
            spec_diff(&old, &new),
            "spec.interval: 1m → 5m; spec.suspend added; spec.values.big changed; spec.values.x: 1 → 2"
        );
        assert_eq!(spec_diff(&old, &old), "no spec change");
    }
}
