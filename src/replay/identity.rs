//! Kubernetes identities as impersonation reads them: node and service-account user names,
//! the groups kube-apiserver adds, and the identity a client asked for, recovered from the
//! `impersonatedUser` the audit log kept.

use crate::authz::UserInfo;
use crate::authz::selector::is_dns1123_subdomain;
use crate::field::FieldError;
use crate::go::quote;

/// `isNodeUsername`: the node name of `system:node:<name>` when it is a DNS subdomain.
pub fn node_name(user: &str) -> Option<&str> {
    let name = user.strip_prefix("system:node:")?;
    is_dns1123_subdomain(name).is_empty().then_some(name)
}

/// `serviceaccount.SplitUsername`: namespace and name of `system:serviceaccount:<ns>:<name>`.
pub fn service_account(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix("system:serviceaccount:")?;
    let (namespace, name) = rest.split_once(':')?;
    let label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    (label(namespace) && !name.contains(':') && is_dns1123_subdomain(name).is_empty())
        .then_some((namespace, name))
}

/// The service-account groups kube-apiserver fills in (`serviceaccount.MakeGroupNames`).
fn service_account_groups(namespace: &str) -> [String; 2] {
    [
        "system:serviceaccounts".to_owned(),
        format!("system:serviceaccounts:{namespace}"),
    ]
}

/// The identity a client asked for, recovered from the `impersonatedUser` kube-apiserver logged:
/// the group it appends (`system:authenticated`, or `system:unauthenticated` for
/// `system:anonymous`) is removed when last; groups it fills in for a node (constrained node
/// modes) or a service account are removed. Returns the usual reading and, when the log cannot
/// tell whether service-account groups were filled in or sent, the other one.
pub fn wanted_user(recorded: &UserInfo, constraint: Option<&str>) -> (UserInfo, Option<UserInfo>) {
    let mut wanted = recorded.clone();
    let appended = if wanted.name == "system:anonymous" {
        "system:unauthenticated"
    } else {
        "system:authenticated"
    };
    let unauthenticated = wanted.groups.iter().any(|g| g == "system:unauthenticated");
    if wanted.groups.last().is_some_and(|g| g == appended)
        && (appended == "system:unauthenticated" || !unauthenticated)
    {
        wanted.groups.pop();
    }
    let node_mode = matches!(
        constraint,
        Some("impersonate:arbitrary-node" | "impersonate:associated-node")
    );
    if node_mode && node_name(&wanted.name).is_some() {
        wanted.groups.clear();
        return (wanted, None);
    }
    if let Some((namespace, _)) = service_account(&wanted.name)
        && wanted.groups[..] == service_account_groups(namespace)[..]
    {
        let sent = wanted.clone();
        wanted.groups.clear();
        let other = (constraint != Some("impersonate:serviceaccount")).then_some(sent);
        return (wanted, other);
    }
    (wanted, None)
}

/// `validateExtra` of constrained modes: domain-prefixed lower-case keys, non-empty values.
pub(super) fn invalid_extra(wanted: &UserInfo) -> Option<String> {
    for (key, values) in &wanted.extra {
        if key.is_empty() {
            return Some("impersonating the empty string key in extra is not allowed".into());
        }
        let domain_prefixed = key.split_once('/').is_some_and(|(host, path)| {
            !path.is_empty()
                && is_dns1123_subdomain(host).is_empty()
                && path
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-._~%!$&'()*+,;=:".contains(&b))
        });
        if !domain_prefixed {
            let error = FieldError::invalid(
                "extra.key",
                key,
                "must be a domain-prefixed path (such as \"acme.io/foo\")",
            );
            return Some(format!(
                "impersonating an invalid key in extra is not allowed: {error}"
            ));
        }
        if *key != key.to_lowercase() {
            return Some(format!(
                "impersonating a non-lowercase key in extra is not allowed: {}",
                quote(key)
            ));
        }
        if values.is_empty() {
            return Some("impersonating empty values in extra is not allowed".into());
        }
        if values.iter().any(String::is_empty) {
            return Some("impersonating the empty string value in extra is not allowed".into());
        }
    }
    None
}
