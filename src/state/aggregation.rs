//! ClusterRole aggregation, as kube-controller-manager's `clusterrole-aggregation-controller`
//! computes it. Only the file source needs this: hand-written manifests never passed through a
//! controller, while a live cluster already stores the aggregated rules.
//!
//! For each ClusterRole with an `aggregationRule`: for each selector in order, the selected
//! ClusterRoles in name order (itself excluded), each of their rules in order, skipping rules
//! already present. The result replaces the role's own rules. Every role is recomputed until
//! nothing changes, because aggregated roles can select other aggregated roles (admin ⊇ edit ⊇ view).

use std::collections::BTreeMap;

use crate::api::meta::LabelSelector;
use crate::api::rbac::{PolicyRule, Role};

/// A bound on recomputation rounds; chains converge in as many rounds as they are deep, and cycles
/// converge too because rules are only ever added from the others' current rules.
const MAX_ROUNDS: usize = 100;

/// Computes the rules of every aggregating ClusterRole in `roles` in place. Returns a message for
/// each role whose selectors are invalid (its rules are left as they were, as the controller does).
pub fn aggregate_cluster_roles(roles: &mut [Role]) -> Vec<String> {
    let mut order: Vec<usize> = (0..roles.len()).collect();
    order.sort_by(|&a, &b| roles[a].metadata.name.cmp(&roles[b].metadata.name));
    let mut problems = BTreeMap::new();
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        for &target in &order {
            let Some(rule) = roles[target].aggregation_rule.clone() else {
                continue;
            };
            let mut rules: Vec<PolicyRule> = Vec::new();
            let mut invalid = None;
            for selector in &rule.cluster_role_selectors {
                for &source in &order {
                    if source == target {
                        continue;
                    }
                    match selector_matches(selector, &roles[source].metadata.labels) {
                        Err(problem) => {
                            invalid = Some(problem);
                            break;
                        }
                        Ok(false) => {}
                        Ok(true) => {
                            for candidate in &roles[source].rules {
                                if !rules.contains(candidate) {
                                    rules.push(candidate.clone());
                                }
                            }
                        }
                    }
                }
            }
            if let Some(problem) = invalid {
                problems.insert(
                    roles[target].metadata.name.clone(),
                    format!(
                        "clusterrole `{}`: invalid aggregation selector: {problem}",
                        roles[target].metadata.name
                    ),
                );
                continue;
            }
            if roles[target].rules != rules {
                roles[target].rules = rules;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    problems.into_values().collect()
}

/// `metav1.LabelSelectorAsSelector` then `Matches`: matchLabels and matchExpressions, ANDed; an
/// empty selector selects everything.
fn selector_matches(
    selector: &LabelSelector,
    labels: &BTreeMap<String, String>,
) -> Result<bool, String> {
    let mut matches = selector
        .match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v));
    for expression in &selector.match_expressions {
        let value = labels.get(&expression.key);
        let values = &expression.values;
        let ok = match expression.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => {
                return Err("for 'in', 'notin' operators, values set can't be empty".into());
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                return Err("values set must be empty for exists and does not exist".into());
            }
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            other => return Err(format!("{other:?} is not a valid label selector operator")),
        };
        matches &= ok;
    }
    Ok(matches)
}

#[cfg(test)]
mod tests {
    //! Cases after upstream's `TestSyncClusterRole`.
    use super::*;
    use crate::api::meta::{LabelSelectorRequirement, ObjectMeta};
    use crate::api::rbac::AggregationRule;

    fn rule(verb: &str) -> PolicyRule {
        PolicyRule {
            verbs: vec![verb.into()],
            api_groups: vec![String::new()],
            resources: vec!["pods".into()],
            ..PolicyRule::default()
        }
    }

    fn role(name: &str, labels: &[(&str, &str)], rules: Vec<PolicyRule>) -> Role {
        Role {
            metadata: ObjectMeta {
                name: name.into(),
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..ObjectMeta::default()
            },
            rules,
            aggregation_rule: None,
        }
    }

    fn aggregating(
        name: &str,
        labels: &[(&str, &str)],
        selectors: Vec<LabelSelector>,
        rules: Vec<PolicyRule>,
    ) -> Role {
        let mut r = role(name, labels, rules);
        r.aggregation_rule = Some(AggregationRule {
            cluster_role_selectors: selectors,
        });
        r
    }

    fn match_labels(k: &str, v: &str) -> LabelSelector {
        LabelSelector {
            match_labels: [(k.to_owned(), v.to_owned())].into(),
            ..LabelSelector::default()
        }
    }

    fn rules_of<'a>(roles: &'a [Role], name: &str) -> &'a [PolicyRule] {
        &roles
            .iter()
            .find(|r| r.metadata.name == name)
            .unwrap()
            .rules
    }

    #[test]
    fn strips_own_rules_and_orders_by_name() {
        let mut roles = vec![
            aggregating("agg", &[], vec![match_labels("a", "1")], vec![rule("own")]),
            role("zz", &[("a", "1")], vec![rule("z")]),
            role("aa", &[("a", "1")], vec![rule("a")]),
            role("other", &[("a", "2")], vec![rule("other")]),
        ];
        assert!(aggregate_cluster_roles(&mut roles).is_empty());
        assert_eq!(rules_of(&roles, "agg"), [rule("a"), rule("z")]);
    }

    #[test]
    fn multiple_selectors_dedupe_in_order() {
        let mut roles = vec![
            aggregating(
                "agg",
                &[],
                vec![match_labels("b", "1"), match_labels("a", "1")],
                vec![],
            ),
            role("x", &[("a", "1")], vec![rule("get"), rule("list")]),
            role("y", &[("b", "1")], vec![rule("list"), rule("watch")]),
        ];
        aggregate_cluster_roles(&mut roles);
        assert_eq!(
            rules_of(&roles, "agg"),
            [rule("list"), rule("watch"), rule("get")]
        );
    }

    #[test]
    fn match_expressions_and_empty_selector() {
        let expr = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        };
        let selector = LabelSelector {
            match_expressions: vec![
                expr("tier", "In", &["a", "b"]),
                expr("skip", "DoesNotExist", &[]),
            ],
            ..LabelSelector::default()
        };
        let mut roles = vec![
            aggregating("agg", &[], vec![selector], vec![]),
            role("in", &[("tier", "a")], vec![rule("in")]),
            role(
                "skipped",
                &[("tier", "b"), ("skip", "")],
                vec![rule("skipped")],
            ),
            role("out", &[("tier", "c")], vec![rule("out")]),
            aggregating("all", &[], vec![LabelSelector::default()], vec![]),
        ];
        aggregate_cluster_roles(&mut roles);
        assert_eq!(rules_of(&roles, "agg"), [rule("in")]);
        // `{}` selects every other ClusterRole, the aggregated ones with their computed rules.
        assert_eq!(
            rules_of(&roles, "all"),
            [rule("in"), rule("out"), rule("skipped")]
        );
    }

    #[test]
    fn chains_converge() {
        let mut roles = vec![
            aggregating("admin", &[], vec![match_labels("to-admin", "true")], vec![]),
            aggregating(
                "edit",
                &[("to-admin", "true")],
                vec![match_labels("to-edit", "true")],
                vec![],
            ),
            aggregating(
                "view",
                &[("to-edit", "true")],
                vec![match_labels("to-view", "true")],
                vec![],
            ),
            role("source", &[("to-view", "true")], vec![rule("get")]),
        ];
        aggregate_cluster_roles(&mut roles);
        for name in ["admin", "edit", "view"] {
            assert_eq!(rules_of(&roles, name), [rule("get")], "{name}");
        }
    }

    #[test]
    fn no_selectors_wipes_rules_and_invalid_selector_keeps_them() {
        let bad = LabelSelector {
            match_expressions: vec![LabelSelectorRequirement {
                key: "k".into(),
                operator: "Near".into(),
                values: vec![],
            }],
            ..LabelSelector::default()
        };
        let mut roles = vec![
            aggregating("empty", &[], vec![], vec![rule("own")]),
            aggregating("broken", &[], vec![bad], vec![rule("own")]),
            role("x", &[], vec![rule("x")]),
        ];
        let problems = aggregate_cluster_roles(&mut roles);
        assert_eq!(rules_of(&roles, "empty"), [] as [PolicyRule; 0]);
        assert_eq!(rules_of(&roles, "broken"), [rule("own")]);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("\"Near\" is not a valid label selector operator"),
            "{problems:?}"
        );
    }
}
