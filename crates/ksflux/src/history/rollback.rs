//! "Roll this Helm target back to release N": the Application spec whose target override
//! reproduces release N — its exact chart version and, merged over the current base values,
//! exactly its values. Applying it is an ordinary Application edit (and so in the audit log).

use serde_json::{Map, Value};

/// The override that, deep-merged over `base` (maps merge, lists and scalars replace, `null`
/// deletes), gives exactly `wanted`.
pub fn values_override(base: &Value, wanted: &Value) -> Value {
    match (base, wanted) {
        (Value::Object(b), Value::Object(w)) => {
            let mut out = Map::new();
            for (k, v) in w {
                match b.get(k) {
                    Some(bv) if bv == v => {}
                    Some(bv) => {
                        out.insert(k.clone(), values_override(bv, v));
                    }
                    None => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            for k in b.keys().filter(|k| !w.contains_key(*k)) {
                out.insert(k.clone(), Value::Null);
            }
            Value::Object(out)
        }
        _ => wanted.clone(),
    }
}

/// The application spec `app` with `target`'s override set to release `spec` (`{"values":
/// ..}` as applied) at chart version `chart_version`; other targets and the target's other
/// overrides unchanged. An error names what is missing.
pub fn propose(app: &Value, target: &str, chart_version: &str, spec: &Value) -> Result<Value, String> {
    if app.pointer("/helm").is_none() {
        return Err("only Helm applications can be rolled back to a release".into());
    }
    let mut out = app.clone();
    let base = app
        .pointer("/helm/values")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let wanted = spec.get("values").cloned().filter(|v| !v.is_null());
    let wanted = wanted.unwrap_or(Value::Object(Map::new()));
    let targets = out
        .get_mut("targets")
        .and_then(Value::as_array_mut)
        .ok_or("the application has no targets")?;
    let t = targets
        .iter_mut()
        .find(|t| t["cluster"] == target)
        .ok_or_else(|| format!("the application has no target {target:?}"))?;
    let overrides = t
        .as_object_mut()
        .ok_or("a target is not an object")?
        .entry("overrides")
        .or_insert_with(|| Value::Object(Map::new()));
    let o = overrides
        .as_object_mut()
        .ok_or("a target's overrides are not an object")?;
    o.insert("version".into(), Value::String(chart_version.to_string()));
    o.insert("values".into(), values_override(&base, &wanted));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applications::merge::merge_values;
    use serde_json::json;

    #[test]
    fn the_override_merged_over_the_base_gives_the_release_values() {
        let base =
            json!({"message": "r3", "replicas": 2, "nested": {"a": 1, "b": 2}, "list": [1, 2], "new": true});
        let wanted = json!({"message": "r1", "replicas": 2, "nested": {"a": 1}, "list": [3], "old": "x"});
        let over = values_override(&base, &wanted);
        assert_eq!(merge_values(&base, &over), wanted);
        assert!(over.get("replicas").is_none(), "unchanged keys stay out: {over}");
    }

    #[test]
    fn proposes_the_version_and_values_of_one_target_only() {
        let app = json!({"helm": {"chart": "demo", "version": "1.x", "values": {"message": "r3"}},
            "targets": [{"cluster": "member-1", "namespace": "a", "overrides": {"timeout": "2m"}},
                        {"cluster": "member-2", "namespace": "a"}]});
        let p = propose(&app, "member-1", "0.1.0", &json!({"values": {"message": "r1"}})).expect("proposal");
        assert_eq!(
            p["targets"][0]["overrides"],
            json!({"timeout": "2m", "version": "0.1.0", "values": {"message": "r1"}})
        );
        assert_eq!(p["targets"][1], app["targets"][1]);
        assert!(propose(&app, "member-3", "0.1.0", &json!({})).is_err());
        assert!(propose(&json!({"kustomize": {}}), "member-1", "0.1.0", &json!({})).is_err());
    }
}
