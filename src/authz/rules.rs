//! RBAC's rule matching (`rbac.RuleAllows` of kube-apiserver), shared by the RBAC authorizer and
//! the Node authorizer's fixed node rules: the decision core owns it so that neither authorizer
//! depends on the other.

use super::explain::Mismatch;
use super::text::{bytes_eq, str_eq};
use super::{Attributes, Request};
use crate::api::rbac::PolicyRule;

/// Whether `rule` allows `request`. Inlined into the RBAC and Node loops, which live in other
/// modules (and codegen units): the call sits on the hot path of every refusal.
#[inline]
pub fn rule_allows(rule: &PolicyRule, request: &Request) -> bool {
    match &request.attributes {
        Attributes::Resource(r) => {
            verb_matches(rule, &r.verb)
                && any_or_equal(&rule.api_groups, &r.group)
                && resource_matches(rule, &r.resource, &r.subresource)
                && (rule.resource_names.is_empty()
                    || rule.resource_names.iter().any(|n| str_eq(n, &r.name)))
        }
        Attributes::NonResource(n) => {
            verb_matches(rule, &n.verb) && non_resource_url_matches(rule, &n.path)
        }
    }
}

/// The first attribute of `request` that `rule` does not match, in [`rule_allows`]'s order;
/// `None` exactly when `rule_allows` is true. For `explain`, never on the decision path.
pub fn first_mismatch(rule: &PolicyRule, request: &Request) -> Option<Mismatch> {
    match &request.attributes {
        Attributes::Resource(r) => {
            if !verb_matches(rule, &r.verb) {
                Some(Mismatch::Verb)
            } else if !any_or_equal(&rule.api_groups, &r.group) {
                Some(Mismatch::ApiGroup)
            } else if !resource_matches(rule, &r.resource, &r.subresource) {
                // The subresource is to blame when some entry names the resource itself.
                let names_resource = rule.resources.iter().any(|entry| {
                    str_eq(entry, &r.resource)
                        || entry
                            .strip_prefix(r.resource.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                        || entry.starts_with("*/")
                });
                Some(if names_resource && !r.subresource.is_empty() {
                    Mismatch::Subresource
                } else {
                    Mismatch::Resource
                })
            } else if !(rule.resource_names.is_empty()
                || rule.resource_names.iter().any(|n| str_eq(n, &r.name)))
            {
                Some(Mismatch::Name)
            } else {
                None
            }
        }
        Attributes::NonResource(n) => {
            if !verb_matches(rule, &n.verb) {
                Some(Mismatch::Verb)
            } else if !non_resource_url_matches(rule, &n.path) {
                Some(Mismatch::NonResourceUrl)
            } else {
                None
            }
        }
    }
}

fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    any_or_equal(&rule.verbs, verb)
}

/// Some entry is `*` or equals `value` exactly (case-sensitive).
fn any_or_equal(entries: &[String], value: &str) -> bool {
    entries.iter().any(|e| e == "*" || str_eq(e, value))
}

/// `*` matches all; `resource` or `resource/subresource` exactly; `*/subresource` only when the
/// request has that exact subresource. There is no `resource/*` wildcard.
fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|entry| {
        if entry == "*" {
            return true;
        }
        if subresource.is_empty() {
            return str_eq(entry, resource);
        }
        // The combined `resource/subresource`, compared without building it.
        // Byte slices: `resource.len()` need not be a character boundary of `entry`.
        let bytes = entry.as_bytes();
        let combined = bytes.len() == resource.len() + 1 + subresource.len()
            && bytes[resource.len()] == b'/'
            && bytes_eq(&bytes[..resource.len()], resource.as_bytes())
            && bytes_eq(&bytes[resource.len() + 1..], subresource.as_bytes());
        combined
            || (entry.len() == subresource.len() + 2
                && entry.starts_with("*/")
                && str_eq(&entry[2..], subresource))
    })
}

/// `*` matches all; exact equality; a trailing `*` (all of them stripped) is a prefix match.
fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|url| {
        url == "*"
            || str_eq(url, path)
            || (url.ends_with('*') && path.starts_with(url.trim_end_matches('*')))
    })
}
