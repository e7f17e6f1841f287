//! A chart's default values and values schema, for the application wizard's values editor.
//! Where they are read from, and why only there, is in [`crate::sources::chart_values`].

use axum::{Extension, Json, extract::State};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiContext, ApiPath, ApiQuery};
use crate::{
    auth::User,
    error::{ApiErrors, Error, Result},
    resources::{ListQuery, ObjectView},
    sources::{
        self, ArtifactPolicy, HELM_CHART, HELM_REPOSITORY,
        chart_values::{self, ChartValues},
    },
    validation,
};

/// Parameters of the chart values request.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChartValuesQuery {
    /// The cluster (default `host`).
    pub cluster: Option<String>,
    /// A chart version, or a semver range resolved as Flux resolves it (default `*`: the
    /// newest).
    pub version: Option<String>,
}

/// The requested version range (`*` when none is given), or a 400 naming `version`.
fn version_range(q: &ChartValuesQuery) -> Result<&str> {
    let range = q
        .version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("*");
    if range.len() > 256 {
        return Err(Error::bad_param("version", "at most 256 characters"));
    }
    let causes = validation::semver_range("version", range);
    if causes.is_empty() {
        Ok(range)
    } else {
        Err(Error::BadParams(causes))
    }
}

fn name_of(o: &ObjectView) -> &str {
    o.metadata.get("name").and_then(Value::as_str).unwrap_or("")
}

/// Finds the HelmChart holding `chart` at the version `range` resolves to, among the
/// caller's readable `helm_charts`, and reads its values. `repo` is the HelmRepository,
/// already read as the caller; its index is fetched only from the storage `policy` allows.
async fn lookup(
    policy: &ArtifactPolicy,
    namespace: &str,
    repo: &ObjectView,
    helm_charts: &[ObjectView],
    chart: &str,
    range: &str,
) -> Result<ChartValues> {
    let name = name_of(repo);
    let found = chart_values::candidates(
        helm_charts.iter().map(|o| (name_of(o), &o.spec, &o.status)),
        namespace,
        name,
        chart,
    );
    let version = if repo.spec.get("type").and_then(Value::as_str) == Some("oci") {
        // No index: the versions are those some HelmChart has pulled.
        chart_values::resolve(found.iter().map(|c| c.version.as_str()), range)
            .map(str::to_string)
            .ok_or_else(|| {
            Error::NotFound(format!(
                "no HelmChart in namespace {namespace:?} has pulled chart {chart:?} from HelmRepository {name:?} at a version matching {range:?}; its values appear once an application or HelmChart uses it"
            ))
        })?
    } else {
        let charts = sources::index(&repo.status, name, policy).await?;
        let entry = charts
            .iter()
            .find(|c| c.name == chart)
            .ok_or_else(|| Error::NotFound(format!("HelmRepository {name:?} offers no chart {chart:?}")))?;
        let versions = entry.versions.iter().map(|v| v.version.as_str());
        chart_values::resolve(versions, range)
            .map(str::to_string)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "HelmRepository {name:?} offers no version of chart {chart:?} matching {range:?}"
                ))
            })?
    };
    let candidate = found.iter().find(|c| c.version == version).ok_or_else(|| {
        Error::NotFound(format!(
            "no HelmChart in namespace {namespace:?} has pulled chart {chart:?} {version} from HelmRepository {name:?}: ksflux reads a chart only from the source-controller's artifacts, never from the repository's own URLs; its values appear once an application or HelmChart uses this version"
        ))
    })?;
    chart_values::read(policy, candidate, chart).await
}

/// The default `values.yaml` and the `values.schema.json` (when it has one) of a chart of a
/// HelmRepository at a version (or the newest matching a range), read as the caller from
/// the artifact of a HelmChart that pulled it; nothing is created, and no URL of the
/// repository's index is fetched (404 when no HelmChart has pulled that version).
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/helmrepositories/{name}/charts/{chart}/values", tag = "flux",
    params(("namespace" = String, Path), ("name" = String, Path), ("chart" = String, Path, description = "the chart's name in the repository"), ChartValuesQuery),
    responses((status = 200, body = ChartValues), ApiErrors))]
async fn chart_values(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name, chart)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<ChartValuesQuery>,
) -> Result<Json<ChartValues>> {
    let range = version_range(&q)?;
    let repos = ctx.scope(HELM_REPOSITORY.plural, q.cluster.as_deref(), &user)?;
    let helm_charts = ctx.scope(HELM_CHART.plural, q.cluster.as_deref(), &user)?;
    // Both reads are the caller's: nothing is fetched for someone who may not read them.
    let reads = ctx.reads();
    let repo = reads.get(&repos, &user, &namespace, &name).await?;
    let all = ListQuery {
        limit: Some(10_000),
        ..Default::default()
    };
    let list = reads.list(&helm_charts, &user, Some(&namespace), &all).await?;
    Ok(Json(
        lookup(&ctx.artifacts, &namespace, &repo, &list.items, &chart, range).await?,
    ))
}

/// Routes of the chart values (authenticated).
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new().routes(routes!(chart_values))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::check_segment;

    fn object(kind: &str, name: &str, spec: Value, status: Value) -> ObjectView {
        serde_json::from_value(json!({
            "cluster": "host", "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": kind,
            "metadata": {"name": name, "namespace": "team"}, "spec": spec, "status": status,
            "summary": {"state": "unknown", "ready": "Unknown", "suspended": false, "reconcileHandled": true},
            "credentialStatus": {},
        }))
        .expect("an object view")
    }

    fn policy() -> ArtifactPolicy {
        ArtifactPolicy::with_storage(&["http://storage.flux-system.svc".into()]).expect("policy")
    }

    fn field(e: &Error) -> (u16, String) {
        let s = e.to_status();
        let f = s
            .details
            .and_then(|d| d.causes.first().map(|c| c.field.clone()))
            .unwrap_or_default();
        (s.code, f)
    }

    #[test]
    fn bad_versions_and_chart_names_are_a_400_naming_the_parameter() {
        let q = |v: &str| ChartValuesQuery {
            cluster: None,
            version: Some(v.into()),
        };
        assert_eq!(version_range(&ChartValuesQuery::default()).ok(), Some("*"));
        assert_eq!(version_range(&q(" 1.x ")).ok(), Some("1.x"));
        for bad in ["latest", ">>1", &"1".repeat(300)] {
            let e = version_range(&q(bad)).expect_err(bad);
            assert_eq!(field(&e), (400, "version".to_string()), "{bad}");
        }
        assert!(check_segment("chart", "demo-app").is_empty());
        for bad in ["Demo_App", "../x", ""] {
            assert_eq!(
                check_segment("chart", bad).first().map(|c| c.field.as_str()),
                Some("chart"),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn a_repository_without_an_artifact_is_a_404_before_any_fetch() {
        let repo = object(
            "HelmRepository",
            "repo",
            json!({"url": "https://charts.example.com"}),
            json!({}),
        );
        let e = lookup(&policy(), "team", &repo, &[], "demo", "*")
            .await
            .expect_err("no artifact");
        assert_eq!(e.status_code(), 404);
    }

    #[tokio::test]
    async fn an_index_url_off_the_storage_is_never_fetched() {
        // A status edited to point the index anywhere else is refused without a request.
        let repo = object(
            "HelmRepository",
            "repo",
            json!({"url": "https://charts.example.com"}),
            json!({"artifact": {"url": "http://169.254.169.254/index.yaml"}}),
        );
        let e = lookup(&policy(), "team", &repo, &[], "demo", "*")
            .await
            .expect_err("refused");
        assert_eq!(e.status_code(), 502);
        assert!(e.to_string().contains("source-controller's storage"), "{e}");
    }

    #[tokio::test]
    async fn without_a_helm_chart_of_the_version_nothing_is_fetched() {
        // OCI repository: no index; the only HelmChart pulled 0.1.0, or keeps values files.
        let repo = object(
            "HelmRepository",
            "repo",
            json!({"type": "oci", "url": "oci://r/charts"}),
            json!({}),
        );
        let chart = |name: &str, version: &str, extra: Value| {
            let mut spec = json!({"chart": "demo", "sourceRef": {"kind": "HelmRepository", "name": "repo"}});
            if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
                s.extend(e.clone());
            }
            object(
                "HelmChart",
                name,
                spec,
                json!({"artifact": {"revision": version,
                    "url": format!("http://storage.flux-system.svc/helmchart/team/{name}/demo-{version}.tgz")}}),
            )
        };
        let charts = [
            chart("old", "0.1.0", json!({})),
            chart("merged", "1.0.0", json!({"valuesFiles": ["prod.yaml"]})),
        ];
        let e = lookup(&policy(), "team", &repo, &charts, "demo", "1.x")
            .await
            .expect_err("none");
        assert_eq!(e.status_code(), 404);
        assert!(e.to_string().contains("matching \"1.x\""), "{e}");
        // A HelmChart whose artifact is on another host than the storage is refused.
        let elsewhere = object(
            "HelmChart",
            "moved",
            json!({"chart": "demo", "sourceRef": {"kind": "HelmRepository", "name": "repo"}}),
            json!({"artifact": {"revision": "1.0.0", "url": "http://attacker.example/helmchart/team/moved/demo-1.0.0.tgz"}}),
        );
        let e = lookup(&policy(), "team", &repo, &[elsewhere], "demo", "1.x")
            .await
            .expect_err("refused");
        assert_eq!(e.status_code(), 502);
    }
}
