//! Platform-level applications: the one host namespace a platform admin designates when
//! installing ksflux (`--platform-namespace`, the chart's `platform.namespace`) holds
//! applications that deploy infrastructure — CRDs, controllers, cluster-wide policy — which a
//! project's namespaced rights cannot. They may target any namespace of any cluster, and
//! deploy as that namespace's deployer bound cluster-wide to `--platform-role` (default
//! `cluster-admin`) on every cluster they target, in hub and agent mode alike.
//!
//! Trade-off: whoever may write Applications, sources or Secrets in that namespace (or push to
//! the sources it uses) controls every cluster its applications target. Give only platform
//! admins rights there, and in KubeSphere keep it outside every workspace.

/// The designated namespace and the role its applications deploy with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Platform {
    /// The platform namespace on the host; none: no platform-level applications.
    pub namespace: Option<String>,
    /// The ClusterRole its deployer is bound to cluster-wide.
    pub role: String,
}

/// The default role of platform-level applications.
pub const DEFAULT_ROLE: &str = "cluster-admin";

impl Platform {
    /// Platform-level applications live in `namespace`, deploying as `role`.
    pub fn new(namespace: Option<String>, role: Option<String>) -> Platform {
        Platform {
            namespace: namespace.filter(|n| !n.trim().is_empty()),
            role: role
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_ROLE.to_string()),
        }
    }

    /// Whether `namespace` is the platform namespace.
    pub fn holds(&self, namespace: &str) -> bool {
        self.namespace.as_deref() == Some(namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_designated_namespace_is_platform_level() {
        let none = Platform::new(None, None);
        assert!(!none.holds("ksflux-platform"));
        assert!(!Platform::new(Some(" ".into()), None).holds(" "));
        let p = Platform::new(Some("ksflux-platform".into()), Some(String::new()));
        assert!(p.holds("ksflux-platform"));
        assert!(!p.holds("team-a"));
        assert_eq!(p.role, "cluster-admin");
        assert_eq!(
            Platform::new(Some("infra".into()), Some("infra-deployer".into())).role,
            "infra-deployer"
        );
    }
}
