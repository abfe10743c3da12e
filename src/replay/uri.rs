//! The request URI, read as kube-apiserver read it: the path percent-decoded as Go's `url.URL.Path`
//! (`+` stays `+`), query values decoded as `url.Values` (`+` is a space, the first value of a key
//! wins, malformed pairs are dropped), and the path split into API prefix, group, version,
//! namespace, resource, name and subresource as `RequestInfoFactory.NewRequestInfo` does.

use std::borrow::Cow;

/// The path (before `?`) and the raw query of a request URI.
pub fn split(uri: &str) -> (&str, &str) {
    let uri = uri.split_once('#').map_or(uri, |(before, _)| before);
    uri.split_once('?').unwrap_or((uri, ""))
}

/// Percent-decodes a URL path as Go's `url.PathUnescape`; `None` for a malformed escape or a
/// result that is not UTF-8 (kube-apiserver never logs such a request).
pub fn decode_path(raw: &str) -> Option<Cow<'_, str>> {
    unescape(raw, false)
}

/// The first value of `key` in a raw query, decoded as Go's `url.Values` does.
pub fn query_value<'q>(query: &'q str, key: &str) -> Option<Cow<'q, str>> {
    for pair in query.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(k) = unescape(k, true) else { continue };
        if k != key {
            continue;
        }
        if let Some(v) = unescape(v, true) {
            return Some(v);
        }
    }
    None
}

fn unescape(text: &str, query: bool) -> Option<Cow<'_, str>> {
    if !text.bytes().any(|b| b == b'%' || (query && b == b'+')) {
        return Some(Cow::Borrowed(text));
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |b: u8| (b as char).to_digit(16);
                let high = bytes.get(i + 1).copied().and_then(hex)?;
                let low = bytes.get(i + 2).copied().and_then(hex)?;
                out.push(u8::try_from(high * 16 + low).ok()?);
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// What `NewRequestInfo` reads from a resource path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathInfo<'a> {
    /// The API group; empty for `/api`.
    pub group: &'a str,
    /// The API version.
    pub version: &'a str,
    /// `watch` or `proxy` from the legacy `/api/v1/watch/...` and `/api/v1/proxy/...` forms.
    pub special_verb: Option<&'a str>,
    /// The namespace (for `namespaces/{name}` the namespace is the name itself).
    pub namespace: &'a str,
    /// The resource.
    pub resource: &'a str,
    /// The name.
    pub name: &'a str,
    /// The subresource.
    pub subresource: &'a str,
}

/// Splits a decoded path as `NewRequestInfo` does; `None` for a non-resource path (fewer than
/// three segments, a prefix other than `api`/`apis`, `/apis/{group}` alone) or a special verb
/// without a resource.
pub fn resource_path(path: &str) -> Option<PathInfo<'_>> {
    let trimmed = path.trim_matches('/');
    let parts: Vec<&str> = if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    };
    if parts.len() < 3 {
        return None;
    }
    let mut info = PathInfo::default();
    let mut rest: &[&str] = match parts[0] {
        "api" => &parts[1..],
        "apis" => {
            if parts.len() < 4 {
                return None;
            }
            info.group = parts[1];
            &parts[2..]
        }
        _ => return None,
    };
    info.version = rest[0];
    rest = &rest[1..];
    if matches!(rest[0], "watch" | "proxy") {
        if rest.len() < 2 {
            return None;
        }
        info.special_verb = Some(rest[0]);
        rest = &rest[1..];
    }
    if rest[0] == "namespaces" && rest.len() > 1 {
        info.namespace = rest[1];
        if rest.len() > 2 && !matches!(rest[2], "status" | "finalize") {
            rest = &rest[2..];
        }
    }
    if rest.len() >= 3 && info.special_verb != Some("proxy") {
        info.subresource = rest[2];
    }
    if rest.len() >= 2 {
        info.name = rest[1];
    }
    info.resource = rest[0];
    Some(info)
}

/// `path.IsValidPathSegmentName`: a name that can stand in a URL path segment.
pub fn is_valid_path_segment_name(name: &str) -> bool {
    name != "." && name != ".." && !name.contains('/') && !name.contains('%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_resource_paths_as_request_info() {
        struct Case {
            path: &'static str,
            want: Option<(
                &'static str,
                &'static str,
                &'static str,
                &'static str,
                &'static str,
            )>,
        }
        // (group, namespace, resource, name, subresource)
        let cases = [
            Case {
                path: "/healthz",
                want: None,
            },
            Case {
                path: "/api/v1",
                want: None,
            },
            Case {
                path: "/apis/apps/v1",
                want: None,
            },
            Case {
                path: "/api/v1/pods",
                want: Some(("", "", "pods", "", "")),
            },
            Case {
                path: "/api/v1/namespaces/team-a/pods/web-1/log",
                want: Some(("", "team-a", "pods", "web-1", "log")),
            },
            Case {
                path: "/api/v1/namespaces/team-a",
                want: Some(("", "team-a", "namespaces", "team-a", "")),
            },
            Case {
                path: "/api/v1/namespaces/team-a/status",
                want: Some(("", "team-a", "namespaces", "team-a", "status")),
            },
            Case {
                path: "/apis/apps/v1/namespaces/team-b/deployments/api/scale",
                want: Some(("apps", "team-b", "deployments", "api", "scale")),
            },
            Case {
                path: "/api/v1/watch/namespaces/team-a/pods",
                want: Some(("", "team-a", "pods", "", "")),
            },
            Case {
                path: "/api/v1/proxy/namespaces/team-a/pods/p1:8080/x/y",
                want: Some(("", "team-a", "pods", "p1:8080", "")),
            },
            Case {
                path: "/api/v1/watch",
                want: None,
            },
            Case {
                path: "/metrics/slis",
                want: None,
            },
        ];
        for case in cases {
            let got = resource_path(case.path)
                .map(|i| (i.group, i.namespace, i.resource, i.name, i.subresource));
            assert_eq!(got, case.want, "{}", case.path);
        }
    }

    #[test]
    fn decodes_like_go() {
        assert_eq!(
            decode_path("/foo%3Cbar%3E%26baz%22q").as_deref(),
            Some("/foo<bar>&baz\"q")
        );
        assert_eq!(decode_path("/a+b").as_deref(), Some("/a+b"));
        assert_eq!(decode_path("/bad%zz"), None);
        let query = "watch=true&fieldSelector=metadata.name%3Da%5C%2Cb&labelSelector=app+in+(x)&x;y=1&fieldSelector=second";
        assert_eq!(
            query_value(query, "fieldSelector").as_deref(),
            Some("metadata.name=a\\,b")
        );
        assert_eq!(
            query_value(query, "labelSelector").as_deref(),
            Some("app in (x)")
        );
        assert_eq!(query_value(query, "x"), None);
        assert_eq!(
            split("/api/v1/pods?watch=1#frag"),
            ("/api/v1/pods", "watch=1")
        );
        assert_eq!(split("/healthz"), ("/healthz", ""));
    }
}
