//! Rule matching (`rbac/v1` `evaluation_helpers.go`, `RuleAllows`).

use crate::api::rbac::PolicyRule;
use crate::authz::rule_allows;
use crate::authz::{Attributes, Request};

/// A rule with a one-word summary of its verbs and resources, so that most rules that cannot
/// match are skipped with two bit tests before any string is compared. The summary has no false
/// negatives, and [`rule_allows`] makes the final call, so decisions are exactly upstream's.
#[derive(Clone, Debug)]
pub struct PreparedRule {
    rule: PolicyRule,
    /// One bit per verb (by hash), or all bits for `*`.
    verbs: u64,
    /// One bit per resource entry (by hash of the whole entry), or all bits when the rule has
    /// `*` or a `*/subresource` entry, or no bits at all for a rule without resources.
    resources: u64,
}

/// The bits of one request for [`PreparedRule::allows`], computed once per decision.
#[derive(Clone, Copy, Debug)]
pub struct RequestBits {
    verb: u64,
    /// For resource requests, the bit of `resource` or `resource/subresource`; 0 otherwise.
    resource: u64,
}

impl PreparedRule {
    /// Summarises `rule`.
    pub fn new(rule: &PolicyRule) -> Self {
        let verbs = if rule.verbs.iter().any(|v| v == "*") {
            u64::MAX
        } else {
            rule.verbs
                .iter()
                .fold(0, |bits, v| bits | bit(&[v.as_bytes()]))
        };
        let resources = if rule
            .resources
            .iter()
            .any(|r| r == "*" || r.starts_with("*/"))
        {
            u64::MAX
        } else {
            rule.resources
                .iter()
                .fold(0, |bits, r| bits | bit(&[r.as_bytes()]))
        };
        PreparedRule {
            rule: rule.clone(),
            verbs,
            resources,
        }
    }

    /// The rule as stored.
    pub fn rule(&self) -> &PolicyRule {
        &self.rule
    }

    /// Whether the rule allows `request`, whose bits are `bits`.
    #[inline]
    pub fn allows(&self, request: &Request, bits: RequestBits) -> bool {
        self.verbs & bits.verb != 0
            && (bits.resource == 0 || self.resources & bits.resource != 0)
            && rule_allows(&self.rule, request)
    }
}

impl RequestBits {
    /// The bits of `request`.
    pub fn of(request: &Request) -> Self {
        match &request.attributes {
            Attributes::Resource(r) => RequestBits {
                verb: bit(&[r.verb.as_bytes()]),
                resource: if r.subresource.is_empty() {
                    bit(&[r.resource.as_bytes()])
                } else {
                    bit(&[r.resource.as_bytes(), b"/", r.subresource.as_bytes()])
                },
            },
            Attributes::NonResource(n) => RequestBits {
                verb: bit(&[n.verb.as_bytes()]),
                resource: 0,
            },
        }
    }
}

/// One of 64 bits, chosen by the FNV-1a hash of the concatenated parts.
#[inline]
fn bit(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in *part {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    1 << (hash >> 58)
}

#[cfg(test)]
mod tests {
    //! Cases from upstream's `TestRuleMatches` and `helpers_test.go` `TestResourceMatches`.
    use super::*;
    use crate::authz::{NonResourceAttributes, ResourceAttributes, UserInfo};

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn resource_rule(
        verbs: &[&str],
        groups: &[&str],
        resources: &[&str],
        names: &[&str],
    ) -> PolicyRule {
        PolicyRule {
            verbs: strings(verbs),
            api_groups: strings(groups),
            resources: strings(resources),
            resource_names: strings(names),
            non_resource_urls: vec![],
        }
    }

    fn url_rule(verbs: &[&str], urls: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: strings(verbs),
            non_resource_urls: strings(urls),
            ..PolicyRule::default()
        }
    }

    fn res(verb: &str, group: &str, resource: &str, sub: &str, name: &str) -> Request {
        Request {
            user: UserInfo::default(),
            attributes: Attributes::Resource(ResourceAttributes {
                verb: verb.into(),
                group: group.into(),
                resource: resource.into(),
                subresource: sub.into(),
                name: name.into(),
                namespace: "ns".into(),
                ..ResourceAttributes::default()
            }),
        }
    }

    fn nonres(verb: &str, path: &str) -> Request {
        Request {
            user: UserInfo::default(),
            attributes: Attributes::NonResource(NonResourceAttributes {
                verb: verb.into(),
                path: path.into(),
            }),
        }
    }

    #[test]
    fn resource_rules() {
        let cases: Vec<(&str, PolicyRule, Request, bool)> = vec![
            (
                "star verb",
                resource_rule(&["*"], &[""], &["pods"], &[]),
                res("delete", "", "pods", "", ""),
                true,
            ),
            (
                "verb is case-sensitive",
                resource_rule(&["get"], &[""], &["pods"], &[]),
                res("GET", "", "pods", "", ""),
                false,
            ),
            (
                "star group",
                resource_rule(&["get"], &["*"], &["pods"], &[]),
                res("get", "apps", "pods", "", ""),
                true,
            ),
            (
                "core group only",
                resource_rule(&["get"], &[""], &["pods"], &[]),
                res("get", "apps", "pods", "", ""),
                false,
            ),
            (
                "empty group list never matches",
                resource_rule(&["get"], &[], &["pods"], &[]),
                res("get", "", "pods", "", ""),
                false,
            ),
            (
                "star resource covers subresources",
                resource_rule(&["get"], &[""], &["*"], &[]),
                res("get", "", "pods", "log", ""),
                true,
            ),
            (
                "plain resource does not cover subresource",
                resource_rule(&["get"], &[""], &["pods"], &[]),
                res("get", "", "pods", "log", ""),
                false,
            ),
            (
                "exact subresource",
                resource_rule(&["get"], &[""], &["pods/log"], &[]),
                res("get", "", "pods", "log", ""),
                true,
            ),
            (
                "subresource rule does not cover the parent",
                resource_rule(&["get"], &[""], &["pods/log"], &[]),
                res("get", "", "pods", "", ""),
                false,
            ),
            (
                "star slash subresource",
                resource_rule(&["get"], &["*"], &["*/scale"], &[]),
                res("get", "apps", "deployments", "scale", ""),
                true,
            ),
            (
                "star slash other subresource",
                resource_rule(&["get"], &["*"], &["*/scale"], &[]),
                res("get", "apps", "deployments", "status", ""),
                false,
            ),
            (
                "star slash needs a subresource",
                resource_rule(&["get"], &["*"], &["*/scale"], &[]),
                res("get", "apps", "scale", "", ""),
                false,
            ),
            (
                "pods/* is literal",
                resource_rule(&["get"], &[""], &["pods/*"], &[]),
                res("get", "", "pods", "log", ""),
                false,
            ),
            (
                "pods/* matches subresource named *",
                resource_rule(&["get"], &[""], &["pods/*"], &[]),
                res("get", "", "pods", "*", ""),
                true,
            ),
            (
                "*/other does not match other/segment",
                resource_rule(&["get"], &[""], &["*/other"], &[]),
                res("get", "", "pods", "other/segment", ""),
                false,
            ),
            (
                "*/other/segment matches",
                resource_rule(&["get"], &[""], &["*/other/segment"], &[]),
                res("get", "", "pods", "other/segment", ""),
                true,
            ),
            (
                "multi-segment subresource exact",
                resource_rule(&["get"], &[""], &["pods/other/segment"], &[]),
                res("get", "", "pods", "other/segment", ""),
                true,
            ),
            (
                "*/ alone does not match empty subresource",
                resource_rule(&["get"], &[""], &["*/"], &[]),
                res("get", "", "pods", "", ""),
                false,
            ),
            (
                "resource names match",
                resource_rule(&["get"], &[""], &["pods"], &["a", "b"]),
                res("get", "", "pods", "", "b"),
                true,
            ),
            (
                "resource names miss",
                resource_rule(&["get"], &[""], &["pods"], &["a"]),
                res("get", "", "pods", "", "c"),
                false,
            ),
            (
                "resource names need a name",
                resource_rule(&["list"], &[""], &["pods"], &["a"]),
                res("list", "", "pods", "", ""),
                false,
            ),
            (
                "resource name star is literal",
                resource_rule(&["get"], &[""], &["pods"], &["*"]),
                res("get", "", "pods", "", "x"),
                false,
            ),
            (
                "non-resource rule never matches a resource",
                url_rule(&["*"], &["*"]),
                res("get", "", "pods", "", ""),
                false,
            ),
            (
                "tuple expansion",
                resource_rule(
                    &["get", "list"],
                    &["", "apps"],
                    &["pods", "deployments"],
                    &[],
                ),
                res("list", "apps", "pods", "", ""),
                true,
            ),
        ];
        for (name, rule, request, want) in cases {
            assert_eq!(rule_allows(&rule, &request), want, "{name}");
            assert_eq!(
                crate::authz::first_mismatch(&rule, &request).is_none(),
                want,
                "first_mismatch: {name}"
            );
            let prepared = PreparedRule::new(&rule);
            assert_eq!(
                prepared.allows(&request, RequestBits::of(&request)),
                want,
                "prepared: {name}"
            );
        }
    }

    #[test]
    fn non_resource_rules() {
        let cases: Vec<(&str, PolicyRule, Request, bool)> = vec![
            (
                "star url",
                url_rule(&["get"], &["*"]),
                nonres("get", "/anything"),
                true,
            ),
            (
                "exact url",
                url_rule(&["get"], &["/healthz"]),
                nonres("get", "/healthz"),
                true,
            ),
            (
                "exact url miss",
                url_rule(&["get"], &["/healthz"]),
                nonres("get", "/healthz/x"),
                false,
            ),
            (
                "prefix",
                url_rule(&["get"], &["/apis/*"]),
                nonres("get", "/apis/v1/x"),
                true,
            ),
            (
                "prefix includes the slash",
                url_rule(&["get"], &["/apis/*"]),
                nonres("get", "/apis"),
                false,
            ),
            (
                "prefix matches the bare prefix",
                url_rule(&["get"], &["/apis/*"]),
                nonres("get", "/apis/"),
                true,
            ),
            (
                "prefix without slash",
                url_rule(&["get"], &["/foo*"]),
                nonres("get", "/foobar"),
                true,
            ),
            (
                "all trailing stars stripped",
                url_rule(&["get"], &["/foo**"]),
                nonres("get", "/foo"),
                true,
            ),
            (
                "inner star is literal",
                url_rule(&["get"], &["/a/*/b"]),
                nonres("get", "/a/x/b"),
                false,
            ),
            (
                "verb mismatch",
                url_rule(&["get"], &["*"]),
                nonres("post", "/x"),
                false,
            ),
            (
                "resource rule never matches a url",
                resource_rule(&["*"], &["*"], &["*"], &[]),
                nonres("get", "/x"),
                false,
            ),
        ];
        for (name, rule, request, want) in cases {
            assert_eq!(rule_allows(&rule, &request), want, "{name}");
            assert_eq!(
                crate::authz::first_mismatch(&rule, &request).is_none(),
                want,
                "first_mismatch: {name}"
            );
            let prepared = PreparedRule::new(&rule);
            assert_eq!(
                prepared.allows(&request, RequestBits::of(&request)),
                want,
                "prepared: {name}"
            );
        }
    }
}
