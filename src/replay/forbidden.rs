//! Reading the check kube-apiserver refused back out of its 403 message. A refused impersonation
//! leaves no `impersonatedUser` and no decision in the audit event; only the response's message
//! (`responsewriters.ForbiddenStatusError` wrapped by `apierrors.NewForbidden`) names the check:
//!
//! ```text
//! serviceaccounts.authentication.k8s.io "builder" is forbidden: User "support" cannot
//! impersonate:serviceaccount resource "serviceaccounts" in API group "authentication.k8s.io" in
//! the namespace "team-b"
//! forbidden: User "support" cannot impersonate-on:user-info:get path "/healthz"
//! ```
//!
//! Quoted parts are Go `%q` strings.

use crate::authz::{Attributes, Request};
use crate::go::quote;

/// The attributes of a refused check, as the message states them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForbiddenCheck {
    /// The user the check was about.
    pub user: String,
    /// The verb (`impersonate:serviceaccount`).
    pub verb: String,
    /// For a non-resource check, the path.
    pub path: Option<String>,
    /// The resource.
    pub resource: String,
    /// The subresource (after `/` in the message's resource).
    pub subresource: String,
    /// The API group.
    pub group: String,
    /// The namespace; empty at the cluster scope.
    pub namespace: String,
    /// The object name, from the `<resource> "<name>" is forbidden` prefix.
    pub name: String,
    /// Whatever followed the attributes (`: <reason>`), without the separator.
    pub detail: String,
}

/// Parses a forbidden message; `None` when it is not one.
pub fn parse(message: &str) -> Option<ForbiddenCheck> {
    let (prefix, rest) = message.split_once("forbidden: User ")?;
    let mut check = ForbiddenCheck {
        name: prefix
            .split_once(' ')
            .and_then(|(_, quoted)| unquote(quoted.trim_end_matches(" is ").trim_end()))
            .map(|(name, _)| name)
            .unwrap_or_default(),
        ..ForbiddenCheck::default()
    };
    let (user, rest) = unquote(rest)?;
    check.user = user;
    let rest = rest.strip_prefix(" cannot ")?;
    let (verb, rest) = rest.split_once(' ')?;
    check.verb = verb.to_owned();
    let rest = if let Some(rest) = rest.strip_prefix("path ") {
        let (path, rest) = unquote(rest)?;
        check.path = Some(path);
        rest
    } else {
        let rest = rest.strip_prefix("resource ")?;
        let (resource, rest) = unquote(rest)?;
        match resource.split_once('/') {
            Some((r, s)) => {
                check.resource = r.to_owned();
                check.subresource = s.to_owned();
            }
            None => check.resource = resource,
        }
        let rest = rest.strip_prefix(" in API group ")?;
        let (group, rest) = unquote(rest)?;
        check.group = group;
        if let Some(rest) = rest.strip_prefix(" in the namespace ") {
            let (namespace, rest) = unquote(rest)?;
            check.namespace = namespace;
            rest
        } else {
            rest.strip_prefix(" at the cluster scope")?
        }
    };
    check.detail = rest.strip_prefix(": ").unwrap_or(rest).to_owned();
    Some(check)
}

/// The message kube-apiserver's `ForbiddenMessage` writes for `request` (the inverse of
/// [`parse`], without the resource prefix).
pub fn message(request: &Request) -> String {
    let user = quote(&request.user.name);
    match &request.attributes {
        Attributes::NonResource(n) => {
            format!("User {user} cannot {} path {}", n.verb, quote(&n.path))
        }
        Attributes::Resource(r) => {
            let resource = if r.subresource.is_empty() {
                r.resource.clone()
            } else {
                format!("{}/{}", r.resource, r.subresource)
            };
            let scope = if r.namespace.is_empty() {
                "at the cluster scope".to_owned()
            } else {
                format!("in the namespace {}", quote(&r.namespace))
            };
            format!(
                "User {user} cannot {} resource {} in API group {} {scope}",
                r.verb,
                quote(&resource),
                quote(&r.group)
            )
        }
    }
}

/// Reads one Go `%q` string at the start of `text`; returns it and what follows.
fn unquote(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    '\\' | '"' | '\'' => out.push(e),
                    'x' | 'u' | 'U' => {
                        let digits = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut value = 0u32;
                        for _ in 0..digits {
                            let (_, d) = chars.next()?;
                            value = value * 16 + d.to_digit(16)?;
                        }
                        // INVARIANT: a `\x` escape outside ASCII stands for a byte of invalid
                        // UTF-8; it is kept as the replacement character.
                        out.push(char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER));
                    }
                    _ => return None,
                }
            }
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_refused_checks_of_the_recorded_log() {
        let sa = parse(
            "serviceaccounts.authentication.k8s.io \"builder\" is forbidden: User \"support\" cannot impersonate:serviceaccount resource \"serviceaccounts\" in API group \"authentication.k8s.io\" in the namespace \"team-b\"",
        )
        .expect("parses");
        assert_eq!(
            sa,
            ForbiddenCheck {
                user: "support".into(),
                verb: "impersonate:serviceaccount".into(),
                resource: "serviceaccounts".into(),
                group: "authentication.k8s.io".into(),
                namespace: "team-b".into(),
                name: "builder".into(),
                ..ForbiddenCheck::default()
            }
        );
        let path = parse(
            "forbidden: User \"support\" cannot impersonate-on:user-info:get path \"/healthz\"",
        )
        .expect("parses");
        assert_eq!(path.path.as_deref(), Some("/healthz"));
        assert_eq!(path.verb, "impersonate-on:user-info:get");
        let extra = parse(
            "userextras.authentication.k8s.io is forbidden: User \"support\" cannot impersonate:user-info resource \"userextras\" in API group \"authentication.k8s.io\" at the cluster scope: impersonating an invalid key in extra is not allowed: extra.key: Invalid value: \"scopes\": must be a domain-prefixed path (such as \"acme.io/foo\")",
        )
        .expect("parses");
        assert_eq!(extra.name, "");
        assert!(
            extra.detail.starts_with("impersonating an invalid key"),
            "{}",
            extra.detail
        );
        let sub = parse("userextras.authentication.k8s.io \"T-1\" is forbidden: User \"x\\\"y\" cannot impersonate resource \"userextras/example.com/ticket\" in API group \"authentication.k8s.io\" at the cluster scope")
            .expect("parses");
        assert_eq!(
            (
                sub.user.as_str(),
                sub.subresource.as_str(),
                sub.name.as_str()
            ),
            ("x\"y", "example.com/ticket", "T-1")
        );
        assert_eq!(parse("pods \"x\" not found"), None);
    }

    #[test]
    fn message_round_trips() {
        let text = "User \"support\" cannot impersonate:serviceaccount resource \"serviceaccounts\" in API group \"authentication.k8s.io\" in the namespace \"team-b\"";
        let check = parse(&format!("forbidden: {text}")).expect("parses");
        let request = Request {
            user: crate::authz::UserInfo {
                name: check.user,
                ..Default::default()
            },
            attributes: Attributes::Resource(crate::authz::ResourceAttributes {
                verb: check.verb,
                resource: check.resource,
                group: check.group,
                namespace: check.namespace,
                ..Default::default()
            }),
        };
        assert_eq!(message(&request), text);
    }
}
