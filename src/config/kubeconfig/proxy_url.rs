//! Proxy URLs: a cluster's `proxy-url`, or an `HTTPS_PROXY`-style environment variable, read as
//! Go's `url.Parse` reads them for `net/http` (scheme case-insensitive, user information
//! percent-decoded, the scheme's default port when none is given).

use std::fmt;

/// How the proxy is spoken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyScheme {
    /// Plain HTTP: `CONNECT` for https servers, absolute-form requests for http ones.
    Http,
    /// The same over TLS to the proxy.
    Https,
    /// SOCKS5 (RFC 1928), the server's host name resolved by the proxy (Go's `socks5` is
    /// `socks5h` too).
    Socks5,
}

impl ProxyScheme {
    fn default_port(self) -> u16 {
        match self {
            ProxyScheme::Http => 80,
            ProxyScheme::Https => 443,
            ProxyScheme::Socks5 => 1080,
        }
    }
}

/// A parsed proxy URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    /// The scheme.
    pub scheme: ProxyScheme,
    /// Host name or IP address (an IPv6 address without brackets).
    pub host: String,
    /// Port, the scheme's default when the URL has none.
    pub port: u16,
    /// User name from the URL's user information; `Some` whenever the URL has user information
    /// (Go then sends credentials, even empty ones).
    pub username: Option<String>,
    /// Password from the URL's user information.
    pub password: Option<String>,
    /// The URL as written.
    pub text: String,
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyUrl")
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ProxyUrl {
    /// Parses a kubeconfig `proxy-url`; errors are client-go's (`unsupported scheme "ftp", must
    /// be http, https, or socks5`).
    pub fn parse(text: &str) -> Result<ProxyUrl, String> {
        let (scheme, rest) = split_scheme(text);
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => ProxyScheme::Http,
            "https" => ProxyScheme::Https,
            "socks5" => ProxyScheme::Socks5,
            other => {
                return Err(format!(
                    "unsupported scheme {other:?}, must be http, https, or socks5"
                ));
            }
        };
        parse_rest(text, scheme, rest)
    }

    /// Parses a proxy from the environment as Go's `httpproxy` does: a value without a scheme
    /// or host is read as `http://<value>`; `socks5h` is accepted as `socks5`.
    pub fn parse_env(value: &str) -> Result<ProxyUrl, String> {
        let (scheme, rest) = split_scheme(value);
        let scheme = scheme.to_ascii_lowercase();
        let with_host = rest.strip_prefix("//").is_some_and(|r| {
            !r.split(['/', '?', '#'])
                .next()
                .unwrap_or_default()
                .is_empty()
        });
        if scheme.is_empty() || !with_host {
            return parse_rest(value, ProxyScheme::Http, &format!("//{value}"));
        }
        let scheme = match scheme.as_str() {
            "http" => ProxyScheme::Http,
            "https" => ProxyScheme::Https,
            "socks5" | "socks5h" => ProxyScheme::Socks5,
            other => return Err(format!("unknown scheme {other:?}")),
        };
        parse_rest(value, scheme, rest)
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The scheme (empty when there is none) and what follows its colon.
fn split_scheme(text: &str) -> (&str, &str) {
    match text.split_once(':') {
        Some((scheme, rest))
            if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (scheme, rest)
        }
        _ => ("", text),
    }
}

fn parse_rest(text: &str, scheme: ProxyScheme, rest: &str) -> Result<ProxyUrl, String> {
    let unparsable = || format!("could not parse: {text}");
    if text.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Err(unparsable());
    }
    let rest = rest.strip_prefix("//").ok_or_else(unparsable)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, authority),
    };
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(unparsable)?;
        match after {
            "" => (host, ""),
            _ => (host, after.strip_prefix(':').ok_or_else(unparsable)?),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, port),
            None => (host_port, ""),
        }
    };
    if host.is_empty() || (host.contains(':') && !host_port.starts_with('[')) {
        return Err(unparsable());
    }
    let port = match port {
        "" => scheme.default_port(),
        digits => digits.parse::<u16>().map_err(|_| unparsable())?,
    };
    let (username, password) = match userinfo {
        None => (None, None),
        Some(info) => {
            let (user, password) = match info.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (info, None),
            };
            let password = match password {
                Some(p) => Some(percent_decode(p).ok_or_else(unparsable)?),
                None => None,
            };
            (Some(percent_decode(user).ok_or_else(unparsable)?), password)
        }
    };
    Ok(ProxyUrl {
        scheme,
        host: percent_decode(host).ok_or_else(unparsable)?,
        port,
        username,
        password,
        text: text.to_owned(),
    })
}

/// `%XX` decoding; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_proxy_urls() {
        let p = ProxyUrl::parse("HTTP://us%40er:p%3Ass@proxy.example:3128/ignored").unwrap();
        assert_eq!(p.scheme, ProxyScheme::Http);
        assert_eq!(p.authority(), "proxy.example:3128");
        assert_eq!(p.username.as_deref(), Some("us@er"));
        assert_eq!(p.password.as_deref(), Some("p:ss"));
        let p = ProxyUrl::parse("socks5://[::1]").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("::1", 1080));
        assert_eq!(p.authority(), "[::1]:1080");
        assert_eq!(ProxyUrl::parse("https://p").unwrap().port, 443);
        assert_eq!(
            ProxyUrl::parse("ftp://p").unwrap_err(),
            r#"unsupported scheme "ftp", must be http, https, or socks5"#
        );
        assert_eq!(
            ProxyUrl::parse("proxy.example:3128").unwrap_err(),
            r#"unsupported scheme "proxy.example", must be http, https, or socks5"#
        );
        assert_eq!(
            ProxyUrl::parse("p:3128").unwrap_err(),
            r#"unsupported scheme "p", must be http, https, or socks5"#
        );
        for bad in [
            "http://",
            "http://h:99999",
            "http://a b",
            "http://h%zz",
            "http:h",
        ] {
            assert_eq!(
                ProxyUrl::parse(bad).unwrap_err(),
                format!("could not parse: {bad}"),
                "{bad}"
            );
        }
    }

    #[test]
    fn environment_proxies_default_to_http() {
        let p = ProxyUrl::parse_env("proxy.example:3128").unwrap();
        assert_eq!(
            (p.scheme, p.authority()),
            (ProxyScheme::Http, "proxy.example:3128".into())
        );
        let p = ProxyUrl::parse_env("socks5h://127.0.0.1:1081").unwrap();
        assert_eq!(p.scheme, ProxyScheme::Socks5);
        assert!(ProxyUrl::parse_env("ftp://p").is_err());
    }
}
