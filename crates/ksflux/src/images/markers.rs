//! Flux's image setter markers in YAML manifests: finding the images a manifest deploys, and
//! marking their lines so image-automation-controller rewrites them
//! (`image: registry/app:1.0.0 # {"$imagepolicy": "namespace:policy"}`). Line-based, so a
//! file keeps its formatting and comments.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use utoipa::ToSchema;

/// `image:` lines: indentation and key, quote, the reference, quote, the comment.
static IMAGE_LINE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"^(\s*(?:-\s+)?image:\s*)(["']?)([^"'\s#]+)(["']?)\s*(#.*)?$"#).ok());

/// A reference split into name and tag (`None` when it has none, or is a digest).
pub fn split(reference: &str) -> (&str, Option<&str>) {
    let reference = reference.split('@').next().unwrap_or(reference);
    let last = reference.rfind('/').map(|i| i + 1).unwrap_or(0);
    match reference[last..].rfind(':') {
        Some(i) => (&reference[..last + i], Some(&reference[last + i + 1..])),
        None => (reference, None),
    }
}

/// An image a manifest deploys.
#[derive(Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FoundImage {
    /// The image name, without tag.
    pub name: String,
    /// The tag deployed now.
    pub tag: Option<String>,
    /// The file.
    pub path: String,
    /// The line (from 1).
    pub line: usize,
    /// The policy already marked on it, if any.
    pub marker: Option<String>,
}

/// The images `text` (the file at `path`) deploys.
pub fn images_in(path: &str, text: &str) -> Vec<FoundImage> {
    let Some(re) = IMAGE_LINE.as_ref() else {
        return Vec::new();
    };
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let c = re.captures(line)?;
            let (name, tag) = split(c.get(3)?.as_str());
            let marker = c
                .get(5)
                .and_then(|m| m.as_str().split_once("\"$imagepolicy\""))
                .and_then(|(_, rest)| rest.split('"').nth(1))
                .map(str::to_string);
            Some(FoundImage {
                name: name.to_string(),
                tag: tag.map(str::to_string),
                path: path.to_string(),
                line: i + 1,
                marker,
            })
        })
        .collect()
}

/// One changed line.
#[derive(Serialize, Clone, Debug, PartialEq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineChange {
    /// The line (from 1).
    pub line: usize,
    /// Before.
    pub before: String,
    /// After.
    pub after: String,
}

/// `text` with every line deploying `image` marked for `policy` (`namespace:name`), and the
/// lines that changed. A line already marked for that policy is left alone; another marker
/// is replaced.
pub fn mark(text: &str, image: &str, policy: &str) -> (String, Vec<LineChange>) {
    let Some(re) = IMAGE_LINE.as_ref() else {
        return (text.to_string(), Vec::new());
    };
    let marker = format!("# {{\"$imagepolicy\": \"{policy}\"}}");
    let mut changes = Vec::new();
    let mut out = String::with_capacity(text.len() + 64);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b.strip_suffix('\r').unwrap_or(b), &line[b.len()..]),
            None => (line, ""),
        };
        let replaced = re.captures(body).and_then(|c| {
            let reference = c.get(3)?.as_str();
            if split(reference).0 != image {
                return None;
            }
            if c.get(5).is_some_and(|m| m.as_str() == marker) {
                return None;
            }
            let (key, q1, q2) = (c.get(1)?.as_str(), c.get(2)?.as_str(), c.get(4)?.as_str());
            Some(format!("{key}{q1}{reference}{q2} {marker}"))
        });
        match replaced {
            Some(new) => {
                changes.push(LineChange {
                    line: i + 1,
                    before: body.to_string(),
                    after: new.clone(),
                });
                out.push_str(&new);
                out.push_str(end);
            }
            None => out.push_str(line),
        }
    }
    (out, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: \"127.0.0.1:5000/demo/app:1.0.0\"\n        - name: side\n          image: busybox # a sidecar\n";

    #[test]
    fn images_are_found_with_their_tags() {
        let found = images_in("deploy.yaml", MANIFEST);
        let names: Vec<(&str, Option<&str>, usize)> = found
            .iter()
            .map(|f| (f.name.as_str(), f.tag.as_deref(), f.line))
            .collect();
        assert_eq!(
            names,
            [
                ("127.0.0.1:5000/demo/app", Some("1.0.0"), 8),
                ("busybox", None, 10)
            ]
        );
        assert_eq!(split("reg:5000/a/b@sha256:00"), ("reg:5000/a/b", None));
    }

    #[test]
    fn marking_touches_only_the_lines_of_the_image() {
        let (text, changes) = mark(MANIFEST, "127.0.0.1:5000/demo/app", "team-a:app");
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].line, 8);
        assert_eq!(
            changes[0].after,
            "          image: \"127.0.0.1:5000/demo/app:1.0.0\" # {\"$imagepolicy\": \"team-a:app\"}"
        );
        assert!(text.ends_with("image: busybox # a sidecar\n"));
        assert_eq!(images_in("d", &text)[0].marker.as_deref(), Some("team-a:app"));
        // Marking again changes nothing.
        let (again, none) = mark(&text, "127.0.0.1:5000/demo/app", "team-a:app");
        assert!(none.is_empty());
        assert_eq!(again, text);
    }
}
