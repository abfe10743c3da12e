//! The Kubernetes URL library over a port of Go's `net/url` parsing
//! (`url.ParseRequestURI` to validate, `url.Parse` to build) and the
//! accessors `Hostname`, `Port`, `EscapedPath` and `Query`.

use super::error::Error;
use super::ext_types::Ext;
use super::value::{MapVal, Value};
use crate::go::quote;
use std::sync::Arc;

/// A parsed URL (the fields of Go's `url.URL` the library reads).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Url {
    pub scheme: String,
    pub opaque: String,
    pub user: Option<String>,
    pub host: String,
    pub path: String,
    pub raw_path: String,
    pub raw_query: String,
    pub fragment: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Path,
    Host,
    QueryComponent,
    Fragment,
}

fn ishex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// Go's `validEncoded`: whether `s` needs no escaping beyond its own
/// percent-escapes (sub-delims, `:`, `@`, brackets and `%` are kept).
fn valid_encoded(s: &str, mode: Mode) -> bool {
    s.bytes().all(|c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c, mode)
    })
}

/// Go's `shouldEscape`.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Mode::Host {
        return !matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
        );
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => c == b'?',
            Mode::QueryComponent => true,
            Mode::Fragment => false,
            Mode::Host => false,
        },
        _ => !(mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*')),
    }
}

/// Go's `unescape`.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() || !ishex(b[i + 1]) || !ishex(b[i + 2]) {
                    let end = (i + 3).min(b.len());
                    let bad = String::from_utf8_lossy(&b[i..end]).into_owned();
                    return Err(format!("invalid URL escape {}", quote(&bad)));
                }
                let v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && &b[i..i + 3] != b"%25" {
                    let bad = String::from_utf8_lossy(&b[i..i + 3]).into_owned();
                    return Err(format!("invalid URL escape {}", quote(&bad)));
                }
                out.push(v);
                i += 3;
            }
            b'+' => {
                out.push(if mode == Mode::QueryComponent {
                    b' '
                } else {
                    b'+'
                });
                i += 1;
            }
            c => {
                if mode == Mode::Host && c < 0x80 && should_escape(c, Mode::Host) {
                    return Err(format!(
                        "invalid character {} in host name",
                        quote(&(c as char).to_string())
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, mode) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|c| c.is_ascii_digit()))
}

fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".to_string());
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", quote(colon_port)));
        }
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", quote(colon_port)));
        }
    }
    unescape(host, Mode::Host)
}

fn valid_userinfo(s: &str) -> bool {
    s.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b':'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
                    | b'@'
            )
    })
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i == 0 => return Ok(("", raw)),
            b'0'..=b'9' | b'+' | b'-' | b'.' => {}
            b':' if i == 0 => return Err("missing protocol scheme".to_string()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's internal `parse(rawURL, viaRequest)`.
fn parse_inner(raw: &str, via_request: bool) -> Result<Url, String> {
    if raw.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err("net/url: invalid control character in URL".to_string());
    }
    if raw.is_empty() && via_request {
        return Err("empty url".to_string());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".to_string();
        return Ok(url);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        url.raw_query = q.to_string();
        rest = r;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_string();
            return Ok(url);
        }
        if via_request {
            return Err("invalid URI for request".to_string());
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".to_string());
        }
    }
    if (!url.scheme.is_empty() || !via_request && !rest.starts_with("///"))
        && rest.starts_with("//")
    {
        let mut authority = &rest[2..];
        rest = "";
        if let Some(i) = authority.find('/') {
            rest = &authority[i..];
            authority = &authority[..i];
        }
        let (userinfo, host) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        url.host = parse_host(host)?;
        if let Some(u) = userinfo {
            if !valid_userinfo(u) {
                return Err("net/url: invalid userinfo".to_string());
            }
            url.user = Some(u.to_string());
        }
    }
    url.path = unescape(rest, Mode::Path)?;
    if escape(&url.path, Mode::Path) != rest {
        url.raw_path = rest.to_string();
    }
    Ok(url)
}

fn wrap(raw: &str, e: String) -> String {
    format!("parse {}: {e}", quote(raw))
}

/// `url.ParseRequestURI`.
fn parse_request_uri(raw: &str) -> Result<Url, String> {
    parse_inner(raw, true).map_err(|e| wrap(raw, e))
}

/// `url.ParseRequestURI` for the `uri` format: Go's error text.
pub(crate) fn validate_request_uri(raw: &str) -> Result<(), String> {
    parse_request_uri(raw).map(|_| ())
}

/// `url.Parse`.
fn parse(raw: &str) -> Result<Url, String> {
    let (u, frag) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    let mut url = parse_inner(u, false).map_err(|e| wrap(raw, e))?;
    if let Some(f) = frag {
        url.fragment = unescape(f, Mode::Fragment).map_err(|e| wrap(raw, e))?;
    }
    Ok(url)
}

impl Url {
    fn hostname(&self) -> &str {
        let (host, _) = split_host_port(&self.host);
        host
    }

    fn port(&self) -> &str {
        split_host_port(&self.host).1
    }

    fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path, Mode::Path)
            && unescape(&self.raw_path, Mode::Path).as_deref() == Ok(&self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == "*" {
            return "*".to_string();
        }
        escape(&self.path, Mode::Path)
    }

    /// `url.Values` from `RawQuery`, keys in first-seen order.
    fn query(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for part in self.raw_query.split('&') {
            if part.is_empty() || part.contains(';') {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let (Ok(k), Ok(v)) = (
                unescape(k, Mode::QueryComponent),
                unescape(v, Mode::QueryComponent),
            ) else {
                continue;
            };
            match out.iter_mut().find(|(ek, _)| *ek == k) {
                Some((_, vs)) => vs.push(v),
                None => out.push((k, vec![v])),
            }
        }
        out
    }
}

fn split_host_port(host: &str) -> (&str, &str) {
    let (h, p) = match host.rfind(':') {
        Some(i) if valid_optional_port(&host[i..]) => (&host[..i], &host[i + 1..]),
        _ => (host, ""),
    };
    if h.starts_with('[') && h.ends_with(']') {
        (&h[1..h.len() - 1], p)
    } else {
        (h, p)
    }
}

super::overload::overloads! {
    /// The URL library.
    Urls {
        UrlGetEscapedPath = "url_get_escaped_path" member "getEscapedPath"("kubernetes.URL") -> "string", One;
        UrlGetHost = "url_get_host" member "getHost"("kubernetes.URL") -> "string", One;
        UrlGetHostname = "url_get_hostname" member "getHostname"("kubernetes.URL") -> "string", One;
        UrlGetPort = "url_get_port" member "getPort"("kubernetes.URL") -> "string", One;
        UrlGetQuery = "url_get_query" member "getQuery"("kubernetes.URL") -> "map(string, list(string))", One;
        UrlGetScheme = "url_get_scheme" member "getScheme"("kubernetes.URL") -> "string", One;
        IsUrlString = "is_url_string" global "isURL"("string") -> "bool", One;
        StringToUrl = "string_to_url" global "url"("string") -> "kubernetes.URL", Scan(STRING_TRAVERSAL);
    }
}

/// Calls of the URL library.
pub(crate) fn call<'a>(overload: Urls, args: &[Value<'a>]) -> Result<Value<'a>, Error> {
    let Some(arg0) = args.first() else {
        return Err(Error::no_such_overload());
    };
    let url = match arg0 {
        Value::Ext(Ext::Url(u)) => Some(u.clone()),
        _ => None,
    };
    let bad = || Err(Error::no_such_overload());
    match overload {
        Urls::StringToUrl | Urls::IsUrlString => {
            let Some(s) = arg0.as_str() else {
                return bad();
            };
            let checked = parse_request_uri(s);
            if overload == Urls::IsUrlString {
                return Ok(Value::Bool(checked.is_ok()));
            }
            match checked.and_then(|_| parse(s)) {
                Ok(u) => Ok(Value::Ext(Ext::Url(Arc::new(u)))),
                Err(e) => Err(Error::msg(format!(
                    "URL parse error during conversion from string: {e}"
                ))),
            }
        }
        Urls::UrlGetScheme => url.map_or_else(bad, |u| Ok(Value::str(u.scheme.as_str()))),
        Urls::UrlGetHost => url.map_or_else(bad, |u| Ok(Value::str(u.host.as_str()))),
        Urls::UrlGetHostname => url.map_or_else(bad, |u| Ok(Value::str(u.hostname()))),
        Urls::UrlGetPort => url.map_or_else(bad, |u| Ok(Value::str(u.port()))),
        Urls::UrlGetEscapedPath => url.map_or_else(bad, |u| Ok(Value::str(u.escaped_path()))),
        Urls::UrlGetQuery => url.map_or_else(bad, |u| {
            let mut m = MapVal::default();
            for (k, vs) in u.query() {
                let list = vs.into_iter().map(Value::str).collect();
                m.insert(Value::str(k), Value::list(list));
            }
            Ok(Value::Map(super::value::Map::Vals(Arc::new(m))))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        assert_eq!(
            parse_request_uri("not a url").err().as_deref(),
            Some("parse \"not a url\": invalid URI for request")
        );
        let u = parse("https://example.com:8443/a/b?x=1").unwrap_or_default();
        assert_eq!(
            (u.host.as_str(), u.hostname(), u.port()),
            ("example.com:8443", "example.com", "8443")
        );
        let u = parse("https://[::1]:80/").unwrap_or_default();
        assert_eq!(u.hostname(), "::1");
        assert_eq!(u.escaped_path(), "/");
    }
}
