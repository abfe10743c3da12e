//! The static rules a node gets for everything the graph does not decide: upstream's
//! `bootstrappolicy.NodeRules()` for 1.36 (the rules of the `system:node` ClusterRole, as in
//! `testdata/bootstrap/cluster-roles.yaml`), evaluated with RBAC's rule matching and indexed by
//! resource, so that a fall-through decision checks only the rules naming the resource.

use hashbrown::{DefaultHashBuilder, HashMap};

use super::FeatureGates;
use crate::api::rbac::PolicyRule;
use crate::authz::rule_allows;
use crate::authz::text::Key;
use crate::authz::{Attributes, Request};

/// The static rules, by resource.
#[derive(Debug)]
pub(super) struct StaticRules {
    rules: Vec<PolicyRule>,
    /// Rule positions by each resource entry (`pods/status`) and each prefix of it that a
    /// request's resource could be (`pods`).
    by_resource: HashMap<Box<str>, Vec<usize>, DefaultHashBuilder>,
}

impl StaticRules {
    /// Indexes `rules`, which must name their resources (no `*`).
    pub fn new(rules: Vec<PolicyRule>) -> Self {
        let mut by_resource: HashMap<Box<str>, Vec<usize>, DefaultHashBuilder> = HashMap::default();
        for (i, rule) in rules.iter().enumerate() {
            for entry in &rule.resources {
                // `a/b/c` matches resource `a/b/c`, `a/b` (subresource `c`) and `a` (`b/c`).
                let prefixes = entry.match_indices('/').map(|(at, _)| &entry[..at]);
                for key in std::iter::once(entry.as_str()).chain(prefixes) {
                    let positions = by_resource.entry(key.into()).or_default();
                    if positions.last() != Some(&i) {
                        positions.push(i);
                    }
                }
            }
        }
        StaticRules { rules, by_resource }
    }

    /// Whether some rule allows `request`: exactly whether any of the rules does.
    pub fn allow(&self, request: &Request) -> bool {
        match &request.attributes {
            Attributes::Resource(r) => {
                self.by_resource
                    .get(&Key(&r.resource))
                    .is_some_and(|positions| {
                        positions
                            .iter()
                            .any(|&i| rule_allows(&self.rules[i], request))
                    })
            }
            Attributes::NonResource(_) => self.rules.iter().any(|r| rule_allows(r, request)),
        }
    }
}

const READ: &[&str] = &["get", "list", "watch"];

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    let owned = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    PolicyRule {
        verbs: owned(verbs),
        api_groups: owned(groups),
        resources: owned(resources),
        ..PolicyRule::default()
    }
}

/// `NodeRules()` for `gates`, in upstream's order.
pub fn node_rules(gates: &FeatureGates) -> Vec<PolicyRule> {
    let mut rules = vec![
        rule(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
        rule(
            &["authorization.k8s.io"],
            &["subjectaccessreviews", "localsubjectaccessreviews"],
            &["create"],
        ),
        rule(&[""], &["services"], READ),
        rule(&[""], &["nodes"], &["create", "get", "list", "watch"]),
        rule(&[""], &["nodes/status"], &["update", "patch"]),
        rule(&[""], &["nodes"], &["update", "patch"]),
        rule(
            &["", "events.k8s.io"],
            &["events"],
            &["create", "update", "patch"],
        ),
        rule(&[""], &["pods"], READ),
        rule(&[""], &["pods"], &["create", "delete"]),
        rule(&[""], &["pods/status"], &["update", "patch"]),
        rule(&[""], &["pods/eviction"], &["create"]),
        rule(&[""], &["secrets", "configmaps"], READ),
        rule(
            &[""],
            &["persistentvolumeclaims", "persistentvolumes"],
            &["get"],
        ),
        rule(&[""], &["endpoints"], &["get"]),
        rule(
            &["certificates.k8s.io"],
            &["certificatesigningrequests"],
            &["create", "get", "list", "watch"],
        ),
        rule(
            &["coordination.k8s.io"],
            &["leases"],
            &["get", "create", "update", "patch", "delete"],
        ),
        rule(&["storage.k8s.io"], &["volumeattachments"], &["get"]),
        rule(&[""], &["serviceaccounts/token"], &["create"]),
        rule(
            &[""],
            &["persistentvolumeclaims/status"],
            &["get", "update", "patch"],
        ),
        rule(&["storage.k8s.io"], &["csidrivers"], READ),
        rule(
            &["storage.k8s.io"],
            &["csinodes"],
            &["get", "create", "update", "patch", "delete"],
        ),
        rule(&["node.k8s.io"], &["runtimeclasses"], READ),
        // DynamicResourceAllocation: GA and locked on.
        rule(&["resource.k8s.io"], &["resourceclaims"], &["get"]),
        rule(
            &["resource.k8s.io"],
            &["resourceslices"],
            &["deletecollection"],
        ),
    ];
    if gates.cluster_trust_bundle {
        rules.push(rule(
            &["certificates.k8s.io"],
            &["clustertrustbundles"],
            READ,
        ));
    }
    if gates.kubelet_service_account_token_for_credential_providers {
        rules.push(rule(&[""], &["serviceaccounts"], &["get"]));
    }
    if gates.pod_certificate_request {
        rules.push(rule(
            &["certificates.k8s.io"],
            &["podcertificaterequests"],
            &["get", "list", "watch", "create"],
        ));
    }
    rules
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The rules, as sorted `group resource verb` lines, equal the `system:node` ClusterRole of
    /// kube-apiserver's golden files (default gates, and every gate on).
    #[test]
    fn the_index_agrees_with_every_rule() {
        use crate::authz::{ResourceAttributes, UserInfo};
        let rules = node_rules(&FeatureGates {
            cluster_trust_bundle: true,
            pod_certificate_request: true,
            ..FeatureGates::default()
        });
        let index = StaticRules::new(rules.clone());
        let groups = [
            "",
            "events.k8s.io",
            "storage.k8s.io",
            "certificates.k8s.io",
            "x",
        ];
        let resources = [
            ("pods", ""),
            ("pods", "status"),
            ("pods/status", ""),
            ("nodes", "status"),
            ("nodes/status", ""),
            ("events", ""),
            ("csinodes", ""),
            ("serviceaccounts", "token"),
            ("serviceaccounts", ""),
            ("clustertrustbundles", ""),
            ("widgets", ""),
        ];
        let verbs = [
            "get",
            "list",
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection",
        ];
        for group in groups {
            for (resource, subresource) in resources {
                for verb in verbs {
                    let request = Request {
                        user: UserInfo::default(),
                        attributes: Attributes::Resource(ResourceAttributes {
                            verb: verb.into(),
                            group: group.into(),
                            resource: resource.into(),
                            subresource: subresource.into(),
                            ..ResourceAttributes::default()
                        }),
                    };
                    let want = rules.iter().any(|r| rule_allows(r, &request));
                    assert_eq!(
                        index.allow(&request),
                        want,
                        "{verb} {group} {resource}/{subresource}"
                    );
                }
            }
        }
    }

    #[test]
    fn match_the_bootstrap_golden_files() {
        let flatten = |rules: &[PolicyRule]| -> BTreeSet<String> {
            let mut lines = BTreeSet::new();
            for r in rules {
                for g in &r.api_groups {
                    for res in &r.resources {
                        for v in &r.verbs {
                            lines.insert(format!("{g} {res} {v}"));
                        }
                    }
                }
            }
            lines
        };
        let golden = |file: &str| -> BTreeSet<String> {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("testdata/bootstrap")
                .join(file);
            let text = std::fs::read_to_string(&path).expect("golden file");
            let list: serde_json::Value = serde_saphyr::from_str(&text).expect("yaml");
            let role = list["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|r| r["metadata"]["name"] == "system:node")
                .expect("system:node")
                .clone();
            let role: crate::api::rbac::Role = serde_json::from_value(role).expect("role");
            flatten(&role.rules)
        };
        let defaults = FeatureGates::default();
        assert_eq!(
            flatten(&node_rules(&defaults)),
            golden("cluster-roles.yaml")
        );
        let all = FeatureGates {
            pod_certificate_request: true,
            cluster_trust_bundle: true,
            ..defaults
        };
        assert_eq!(
            flatten(&node_rules(&all)),
            golden("cluster-roles-featuregates.yaml")
        );
    }
}
