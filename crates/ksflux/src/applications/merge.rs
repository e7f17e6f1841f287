//! How a target's `overrides` combine with the application's base configuration. These rules
//! are the whole of "per-cluster differences"; `docs/applications.md` states them for users.
//! The console computes them too (for the wizard): both run the test vectors of
//! `merge-vectors.json`, so the two cannot drift apart.
//!
//! | field | rule |
//! |---|---|
//! | `values` (Helm) | deep merge: maps merge key by key, lists and scalars are replaced, `null` deletes the key |
//! | `valuesFrom` (Helm) | the target's entries are appended after the base ones |
//! | `version` (Helm) | the target's range replaces the base one |
//! | `test`, `driftDetection`, `maxHistory` (Helm) | the target's value replaces the base one as a whole |
//! | `postRenderers` (Helm) | the target's post-renderers run after the base ones |
//! | `timeout` (both) | the target's duration replaces the base one |
//! | `patches` (Kustomize) | the target's patches are appended after the base ones |
//! | `images` (Kustomize) | by `name`: a target entry replaces the base entry of the same name; new names are appended |
//! | `substitute` (Kustomize) | merged; the target's value wins for a key in both |
//! | `path` (Kustomize) | the target's path replaces the base one |
//! | `substituteFrom` (Kustomize) | the target's entries are appended after the base ones |
//! | `components` (Kustomize) | the target's list replaces the base list (an empty list removes them all) |
//! | `force`, `namePrefix`, `nameSuffix` (Kustomize) | the target's value replaces the base one |
//! | `suspend` | a target is suspended if it or the application is |
//! | `images[].tags` (both) | last: the cluster's tag is set at `valuesPath` (Helm) or as the `newTag` of `image` (Kustomize), over everything else |

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use ksflux_types::flux::helmreleases::HelmReleaseValuesFrom;

use super::{Image, ImageAutomation, Overrides, Patch};

/// Deep-merges `over` into `base`: objects merge key by key (recursively); any other value
/// (list, scalar) in `over` replaces the base value; a `null` in `over` deletes the key.
pub fn merge_values(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            // Nulls in the base are "no such key" too, with or without overrides.
            let mut out: Map<String, Value> = b
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect();
            for (k, v) in o {
                if v.is_null() {
                    out.remove(k);
                } else if let Some(existing) = out.get(k) {
                    let merged = merge_values(existing, v);
                    out.insert(k.clone(), merged);
                } else {
                    out.insert(k.clone(), strip_nulls(v));
                }
            }
            Value::Object(out)
        }
        (_, o) => strip_nulls(o),
    }
}

/// Removes `null` members of objects, also inside lists (a null in values means "no such
/// key", as in Helm).
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// The Helm values of a target.
pub fn values(base: Option<&Value>, over: Option<&Overrides>) -> Option<Value> {
    let over = over.and_then(|o| o.values.as_ref());
    match (base, over) {
        (None, None) => None,
        (Some(b), None) => Some(strip_nulls(b)),
        (None, Some(o)) => Some(merge_values(&Value::Object(Map::new()), o)),
        (Some(b), Some(o)) => Some(merge_values(b, o)),
    }
}

/// The Helm `valuesFrom` of a target: base, then the target's.
pub fn values_from(base: &[HelmReleaseValuesFrom], over: Option<&Overrides>) -> Vec<HelmReleaseValuesFrom> {
    append(base, over.map(|o| o.values_from.as_slice()))
}

/// A field whose target value replaces the base value as a whole (`timeout`, `test`,
/// `driftDetection`, `maxHistory`, `components`, `force`, `namePrefix`, `nameSuffix`): the
/// target's when it sets one, else the base's.
pub fn replace<T: Clone>(base: Option<&T>, over: Option<&T>) -> Option<T> {
    over.or(base).cloned()
}

/// A list the target extends (`valuesFrom`, `postRenderers`, `substituteFrom`, `patches`):
/// the base entries, then the target's.
pub fn append<T: Clone>(base: &[T], over: Option<&[T]>) -> Vec<T> {
    let mut out = base.to_vec();
    out.extend(over.unwrap_or_default().iter().cloned());
    out
}

/// The chart version range of a target.
pub fn version(base: Option<&str>, over: Option<&Overrides>) -> Option<String> {
    over.and_then(|o| o.version.clone())
        .or_else(|| base.map(str::to_string))
}

/// The Kustomize patches of a target: base, then the target's.
pub fn patches(base: &[Patch], over: Option<&Overrides>) -> Vec<Patch> {
    append(base, over.map(|o| o.patches.as_slice()))
}

/// The Kustomize images of a target: the base list with same-named entries replaced by the
/// target's, then the target's new names in their order.
pub fn images(base: &[Image], over: Option<&Overrides>) -> Vec<Image> {
    let overs = over.map(|o| o.images.as_slice()).unwrap_or_default();
    let mut out: Vec<Image> = base
        .iter()
        .map(|b| overs.iter().rev().find(|o| o.name == b.name).unwrap_or(b).clone())
        .collect();
    for o in overs {
        if !out.iter().any(|i| i.name == o.name) {
            let last = overs.iter().rev().find(|x| x.name == o.name).unwrap_or(o);
            out.push(last.clone());
        }
    }
    out
}

/// Sets each automated image's tag for `cluster` at its values path (a dot path; maps are
/// created on the way, a non-map on the way is replaced).
pub fn image_values(values: Option<Value>, automated: &[ImageAutomation], cluster: &str) -> Option<Value> {
    let mut values = values;
    for a in automated {
        let (Some(path), Some(tag)) = (a.values_path.as_deref(), a.tags.get(cluster)) else {
            continue;
        };
        let mut at = values.get_or_insert_with(|| Value::Object(Map::new()));
        let keys: Vec<&str> = path.split('.').filter(|k| !k.is_empty()).collect();
        for (i, key) in keys.iter().enumerate() {
            if !at.is_object() {
                *at = Value::Object(Map::new());
            }
            let Value::Object(map) = at else { break };
            if i + 1 == keys.len() {
                map.insert((*key).to_string(), Value::String(tag.clone()));
                break;
            }
            at = map
                .entry((*key).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    values
}

/// Sets each automated image's tag for `cluster` as the `newTag` of its image name (replacing
/// an entry of that name, else appended).
pub fn image_tags(images: Vec<Image>, automated: &[ImageAutomation], cluster: &str) -> Vec<Image> {
    let mut out = images;
    for a in automated {
        let (Some(name), Some(tag)) = (a.image.as_deref(), a.tags.get(cluster)) else {
            continue;
        };
        match out.iter_mut().find(|i| i.name == name) {
            Some(i) => i.new_tag = Some(tag.clone()),
            None => out.push(Image {
                name: name.to_string(),
                new_tag: Some(tag.clone()),
                ..Default::default()
            }),
        }
    }
    out
}

/// The substitutions of a target: base merged with the target's (target wins).
pub fn substitute(base: &BTreeMap<String, String>, over: Option<&Overrides>) -> BTreeMap<String, String> {
    let mut out = base.clone();
    if let Some(o) = over {
        out.extend(o.substitute.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

/// The Kustomize path of a target.
pub fn path(base: Option<&str>, over: Option<&Overrides>) -> Option<String> {
    over.and_then(|o| o.path.clone())
        .or_else(|| base.map(str::to_string))
}

/// Stacks values of two override layers, `upper` over `lower`, for one merge into the base
/// afterwards: objects combine key by key, anything else in `upper` (a `null` too) replaces.
fn stack_values(lower: &Value, upper: &Value) -> Value {
    match (lower, upper) {
        (Value::Object(l), Value::Object(u)) => {
            let mut out = l.clone();
            for (k, v) in u {
                let merged = match out.get(k) {
                    Some(existing) => stack_values(existing, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, u) => u.clone(),
    }
}

/// One set of overrides equivalent to `lower` then `upper` (a label layer, then the next
/// layer or the target's own overrides), by the rules of the table above: merged values and
/// substitutions, appended lists, images replaced by name, and `upper`'s value for the rest.
/// One difference with applying them one after the other: where `lower` deletes a values key
/// (`null`) and `upper` sets it to an object, the object merges with the base's.
pub fn stack(lower: &Overrides, upper: &Overrides) -> Overrides {
    let values = match (&lower.values, &upper.values) {
        (Some(l), Some(u)) => Some(stack_values(l, u)),
        (l, u) => u.clone().or_else(|| l.clone()),
    };
    let mut substitute = lower.substitute.clone();
    substitute.extend(upper.substitute.iter().map(|(k, v)| (k.clone(), v.clone())));
    Overrides {
        values,
        values_from: append(&lower.values_from, Some(&upper.values_from)),
        version: upper.version.clone().or_else(|| lower.version.clone()),
        test: replace(lower.test.as_ref(), upper.test.as_ref()),
        drift_detection: replace(lower.drift_detection.as_ref(), upper.drift_detection.as_ref()),
        post_renderers: append(&lower.post_renderers, Some(&upper.post_renderers)),
        max_history: replace(lower.max_history.as_ref(), upper.max_history.as_ref()),
        timeout: replace(lower.timeout.as_ref(), upper.timeout.as_ref()),
        patches: append(&lower.patches, Some(&upper.patches)),
        images: images(&lower.images, Some(upper)),
        substitute,
        substitute_from: append(&lower.substitute_from, Some(&upper.substitute_from)),
        path: upper.path.clone().or_else(|| lower.path.clone()),
        components: replace(lower.components.as_ref(), upper.components.as_ref()),
        force: replace(lower.force.as_ref(), upper.force.as_ref()),
        name_prefix: replace(lower.name_prefix.as_ref(), upper.name_prefix.as_ref()),
        name_suffix: replace(lower.name_suffix.as_ref(), upper.name_suffix.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The shared vectors (also run by the console's Vitest): `merge-vectors.json`.
    #[test]
    fn shared_vectors_hold() {
        let vectors: Value =
            serde_json::from_str(include_str!("merge-vectors.json")).expect("merge-vectors.json");
        // Compare without nulls: absent optional fields serialize as null on one side only.
        let clean = |v: Value| strip_nulls(&v);
        let overrides = |field: &str, case: &Value| -> Option<Overrides> {
            case.get("override")
                .map(|o| serde_json::from_value(json!({ field: o })).expect("overrides"))
        };
        let mut n = 0;
        for case in vectors["values"].as_array().into_iter().flatten() {
            let got = values(case.get("base"), overrides("values", case).as_ref());
            assert_eq!(
                got.unwrap_or(Value::Null),
                case["expected"],
                "values: {}",
                case["name"]
            );
            n += 1;
        }
        for (rule, field) in [
            ("images", "images"),
            ("patches", "patches"),
            ("substitute", "substitute"),
        ] {
            for case in vectors[rule].as_array().into_iter().flatten() {
                let over = overrides(field, case);
                let got = match rule {
                    "images" => {
                        let base: Vec<Image> = serde_json::from_value(case["base"].clone()).expect("base");
                        serde_json::to_value(images(&base, over.as_ref())).expect("json")
                    }
                    "patches" => {
                        let base: Vec<Patch> = serde_json::from_value(case["base"].clone()).expect("base");
                        serde_json::to_value(patches(&base, over.as_ref())).expect("json")
                    }
                    _ => {
                        let base: BTreeMap<String, String> =
                            serde_json::from_value(case["base"].clone()).expect("base");
                        serde_json::to_value(substitute(&base, over.as_ref())).expect("json")
                    }
                };
                assert_eq!(
                    clean(got),
                    clean(case["expected"].clone()),
                    "{rule}: {}",
                    case["name"]
                );
                n += 1;
            }
        }
        // Whole-value and appended fields: the override is read as a target's `overrides`
        // (so the field exists there, with that type) and combined by the generic rule.
        for (rule, case) in ["replace", "append"]
            .into_iter()
            .flat_map(|r| vectors[r].as_array().into_iter().flatten().map(move |c| (r, c)))
        {
            let field = case["field"].as_str().expect("field");
            let over = overrides(field, case).map(|o| serde_json::to_value(o).expect("json"));
            let over = over.as_ref().and_then(|o| o.get(field));
            if let (Some(o), Some(given)) = (over, case.get("override")) {
                assert_eq!(o, given, "{rule}: {} (the override reads back)", case["name"]);
            }
            let got = if rule == "replace" {
                replace(case.get("base"), over).unwrap_or(Value::Null)
            } else {
                let list = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
                let o = list(over);
                Value::Array(append(&list(case.get("base")), Some(o.as_slice())))
            };
            assert_eq!(got, case["expected"], "{rule}: {}", case["name"]);
            n += 1;
        }
        assert!(n >= 25, "{n} vectors");
    }

    #[test]
    fn maps_merge_lists_replace_null_deletes() {
        let base = json!({"replicas": 1, "image": {"tag": "1.0", "pullPolicy": "IfNotPresent"},
                          "ports": [80, 443], "debug": true});
        let over = json!({"replicas": 3, "image": {"tag": "1.1"}, "ports": [8080], "debug": null, "extra": {"a": 1}});
        assert_eq!(
            merge_values(&base, &over),
            json!({"replicas": 3, "image": {"tag": "1.1", "pullPolicy": "IfNotPresent"}, "ports": [8080], "extra": {"a": 1}})
        );
    }

    #[test]
    fn base_nulls_are_dropped_under_overrides_too() {
        assert_eq!(
            merge_values(&json!({"a": null, "c": {"d": null, "e": 1}}), &json!({"b": 1})),
            json!({"b": 1, "c": {"e": 1}})
        );
    }

    #[test]
    fn nulls_never_reach_the_result() {
        assert_eq!(
            merge_values(&json!({}), &json!({"a": {"b": null, "c": 1}})),
            json!({"a": {"c": 1}})
        );
        assert_eq!(
            merge_values(&json!({"a": 1}), &json!({"b": null})),
            json!({"a": 1})
        );
        assert_eq!(values(None, None), None);
        let o = Overrides {
            values: Some(json!({"x": null, "y": 2})),
            ..Default::default()
        };
        assert_eq!(values(Some(&json!({"x": 1})), Some(&o)), Some(json!({"y": 2})));
    }

    #[test]
    fn a_map_replaces_a_scalar_and_back() {
        assert_eq!(
            merge_values(&json!({"a": 1}), &json!({"a": {"b": 2}})),
            json!({"a": {"b": 2}})
        );
        assert_eq!(
            merge_values(&json!({"a": {"b": 2}}), &json!({"a": "x"})),
            json!({"a": "x"})
        );
    }

    fn img(name: &str, tag: &str) -> Image {
        Image {
            name: name.into(),
            new_tag: Some(tag.into()),
            ..Default::default()
        }
    }

    #[test]
    fn lists_append_and_images_replace_by_name() {
        let from = |kind: &str, name: &str| -> HelmReleaseValuesFrom {
            serde_json::from_value(json!({"kind": kind, "name": name})).expect("valuesFrom")
        };
        let o = Overrides {
            values_from: vec![from("ConfigMap", "m1")],
            patches: vec![Patch {
                patch: "p2".into(),
                target: None,
            }],
            images: vec![img("api", "2.0"), img("worker", "1.5")],
            ..Default::default()
        };
        assert_eq!(values_from(&[from("Secret", "s")], Some(&o)).len(), 2);
        let p = patches(
            &[Patch {
                patch: "p1".into(),
                target: None,
            }],
            Some(&o),
        );
        assert_eq!(
            p.iter().map(|p| p.patch.as_str()).collect::<Vec<_>>(),
            ["p1", "p2"]
        );
        let i = images(&[img("web", "1.0"), img("api", "1.0")], Some(&o));
        let tags: Vec<_> = i
            .iter()
            .map(|i| (i.name.as_str(), i.new_tag.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(tags, [("web", "1.0"), ("api", "2.0"), ("worker", "1.5")]);
        assert_eq!(images(&[img("web", "1.0")], None), vec![img("web", "1.0")]);
    }

    #[test]
    fn scalars_override_and_substitutions_merge() {
        let o = Overrides {
            version: Some("6.5.x".into()),
            path: Some("./overlays/edge".into()),
            substitute: [("color".to_string(), "blue".to_string())].into(),
            ..Default::default()
        };
        assert_eq!(version(Some("6.x"), Some(&o)).as_deref(), Some("6.5.x"));
        assert_eq!(version(Some("6.x"), None).as_deref(), Some("6.x"));
        assert_eq!(
            path(Some("./deploy"), Some(&o)).as_deref(),
            Some("./overlays/edge")
        );
        assert_eq!(path(None, None), None);
        let base = [
            ("color".to_string(), "red".to_string()),
            ("size".to_string(), "s".to_string()),
        ]
        .into();
        let s = substitute(&base, Some(&o));
        assert_eq!(s.get("color").map(String::as_str), Some("blue"));
        assert_eq!(s.get("size").map(String::as_str), Some("s"));
    }

    /// Arbitrary JSON values of bounded depth; `nulls` allows nulls inside objects.
    fn json_value(nulls: bool) -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,4}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            let member = if nulls {
                prop_oneof![4 => inner.clone(), 1 => Just(Value::Null)].boxed()
            } else {
                inner.clone().boxed()
            };
            prop_oneof![
                prop::collection::vec(inner, 0..3).prop_map(Value::from),
                prop::collection::btree_map("[a-d]", member, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn object(nulls: bool) -> impl Strategy<Value = Value> {
        prop::collection::btree_map("[a-d]", json_value(nulls), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    fn has_null_member(v: &Value) -> bool {
        match v {
            Value::Object(m) => m.values().any(|v| v.is_null() || has_null_member(v)),
            Value::Array(a) => a.iter().any(has_null_member),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn merging_nothing_changes_nothing(base in object(false)) {
            prop_assert_eq!(merge_values(&base, &json!({})), base.clone());
            prop_assert_eq!(merge_values(&json!({}), &base), base);
        }

        #[test]
        fn merging_a_value_into_itself_changes_nothing(base in object(false)) {
            prop_assert_eq!(merge_values(&base, &base), base);
        }

        #[test]
        fn every_override_leaf_wins(base in object(false), over in object(true)) {
            let merged = merge_values(&base, &over);
            prop_assert!(!has_null_member(&merged));
            // Each non-null, non-object value of the override is in the result at its path.
            fn check(merged: &Value, over: &Value, path: &mut Vec<String>) -> Result<(), TestCaseError> {
                if let Value::Object(o) = over {
                    for (k, v) in o {
                        path.push(k.clone());
                        let got = merged.get(k);
                        match v {
                            Value::Null => prop_assert!(got.is_none(), "null must delete {:?}", path),
                            Value::Object(_) => {
                                let got = got.ok_or_else(|| TestCaseError::fail(format!("{path:?} missing")))?;
                                prop_assert!(got.is_object(), "{:?} must stay an object", path);
                                check(got, v, path)?;
                            }
                            other => prop_assert_eq!(got, Some(&strip_nulls(other)), "{:?}", path),
                        }
                        path.pop();
                    }
                }
                Ok(())
            }
            check(&merged, &over, &mut Vec::new())?;
        }

        #[test]
        fn base_keys_the_override_does_not_touch_survive(base in object(false), over in object(true)) {
            let merged = merge_values(&base, &over);
            if let (Value::Object(b), Value::Object(o)) = (&base, &over) {
                for (k, v) in b {
                    if !o.contains_key(k) {
                        prop_assert_eq!(merged.get(k), Some(v));
                    }
                }
            }
        }

        #[test]
        fn merging_twice_is_merging_once(base in object(false), over in object(true)) {
            let once = merge_values(&base, &over);
            prop_assert_eq!(merge_values(&once, &over), once);
        }

        #[test]
        fn images_keep_one_entry_per_name(
            base in prop::collection::vec(("[a-c]", "[0-9]"), 0..5),
            over in prop::collection::vec(("[a-d]", "[0-9]"), 0..5),
        ) {
            let mut seen = std::collections::BTreeSet::new();
            let base: Vec<Image> = base.into_iter().filter(|(n, _)| seen.insert(n.clone())).map(|(n, t)| img(&n, &t)).collect();
            let o = Overrides { images: over.iter().map(|(n, t)| img(n, t)).collect(), ..Default::default() };
            let out = images(&base, Some(&o));
            let names: std::collections::BTreeSet<_> = out.iter().map(|i| i.name.clone()).collect();
            prop_assert_eq!(names.len(), out.len());
            for i in &out {
                // The last override entry of a name wins; otherwise the base entry stays.
                let expected = o.images.iter().rev().find(|x| x.name == i.name)
                    .or_else(|| base.iter().find(|x| x.name == i.name));
                prop_assert_eq!(Some(i), expected);
            }
        }
    }

    #[test]
    fn stacked_layers_render_like_layers_applied_one_after_the_other() {
        let o = |v: Value| -> Overrides { serde_json::from_value(v).expect("overrides") };
        let base = json!({"replicas": 1, "hosts": ["a"], "db": {"size": "s", "class": "x"}, "gone": 1});
        let production = o(
            json!({"values": {"replicas": 3, "db": {"size": "l"}}, "timeout": "5m",
            "images": [{"name": "app", "newTag": "2"}], "substitute": {"env": "prod", "tier": "1"}}),
        );
        let eu = o(
            json!({"values": {"hosts": ["eu-1", "eu-2"], "db": {"class": null}, "gone": null},
            "images": [{"name": "app", "newTag": "3"}, {"name": "side", "newTag": "1"}],
            "substitute": {"tier": "2"}, "patches": [{"patch": "p2"}]}),
        );
        let own = o(json!({"values": {"replicas": 4}, "patches": [{"patch": "p3"}]}));
        let stacked = stack(&stack(&production, &eu), &own);
        let sequential = [&production, &eu, &own].iter().fold(base.clone(), |b, layer| {
            merge_values(&b, layer.values.as_ref().unwrap_or(&Value::Null))
        });
        assert_eq!(values(Some(&base), Some(&stacked)), Some(sequential.clone()));
        assert_eq!(
            sequential,
            json!({"replicas": 4, "hosts": ["eu-1", "eu-2"], "db": {"size": "l"}})
        );
        assert_eq!(stacked.timeout.as_deref(), Some("5m"));
        let tags: Vec<(String, Option<String>)> = stacked
            .images
            .iter()
            .map(|i| (i.name.clone(), i.new_tag.clone()))
            .collect();
        assert_eq!(
            tags,
            [
                ("app".to_string(), Some("3".to_string())),
                ("side".to_string(), Some("1".to_string()))
            ]
        );
        assert_eq!(stacked.substitute.get("tier").map(String::as_str), Some("2"));
        assert_eq!(stacked.substitute.get("env").map(String::as_str), Some("prod"));
        let patches: Vec<&str> = stacked.patches.iter().map(|p| p.patch.as_str()).collect();
        assert_eq!(patches, ["p2", "p3"]);
    }
}
