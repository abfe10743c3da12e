//! The proxy a kubeconfig without `proxy-url` gets from the environment: client-go falls back to
//! Go's `http.ProxyFromEnvironment` (`golang.org/x/net/http/httpproxy`): `HTTPS_PROXY` (or
//! `https_proxy`) for https servers, `HTTP_PROXY` (or `http_proxy`, ignored under CGI) for http
//! ones, never for `localhost` or a loopback address, and not for hosts `NO_PROXY` (or
//! `no_proxy`) lists: `*`, IP addresses, CIDR ranges, and domains (`example.com` and
//! `.example.com` match the domain's subdomains, the first also the domain itself), each with an
//! optional port.
//!
//! The server of a webhook never changes, so the proxy is chosen once, when the client is built.

use std::net::IpAddr;

use http::Uri;

use crate::config::ProxyUrl;

/// The proxy for `server`, from the variables `lookup` returns (`std::env::var` outside tests).
pub(crate) fn proxy_for(
    server: &Uri,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<ProxyUrl>, String> {
    let any = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|name| lookup(name).filter(|value| !value.is_empty()))
    };
    let https = server.scheme() == Some(&http::uri::Scheme::HTTPS);
    let (name, value) = if https {
        ("HTTPS_PROXY", any(["HTTPS_PROXY", "https_proxy"]))
    } else if lookup("REQUEST_METHOD").is_some_and(|v| !v.is_empty()) {
        ("HTTP_PROXY", None)
    } else {
        ("HTTP_PROXY", any(["HTTP_PROXY", "http_proxy"]))
    };
    let Some(value) = value else { return Ok(None) };
    let Some(host) = server.host() else {
        return Ok(None);
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let port = server.port_u16().unwrap_or(if https { 443 } else { 80 });
    let no_proxy = any(["NO_PROXY", "no_proxy"]).unwrap_or_default();
    if !use_proxy(&host, port, &no_proxy) {
        return Ok(None);
    }
    ProxyUrl::parse_env(&value)
        .map(Some)
        .map_err(|e| format!("{name} {value:?}: {e}"))
}

/// Go's `config.useProxy`.
fn use_proxy(host: &str, port: u16, no_proxy: &str) -> bool {
    let ip = host.parse::<IpAddr>().ok();
    if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
        return false;
    }
    let port = port.to_string();
    for entry in no_proxy.split(',') {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return false;
        }
        if let Some((network, bits)) = entry.split_once('/') {
            if let (Ok(network), Ok(bits), Some(ip)) =
                (network.parse::<IpAddr>(), bits.parse::<u8>(), ip)
                && in_cidr(ip, network, bits)
            {
                return false;
            }
            continue;
        }
        let (entry_host, entry_port) = split_host_port(&entry);
        if entry_host.is_empty() {
            continue;
        }
        if let Ok(entry_ip) = entry_host.parse::<IpAddr>() {
            if ip == Some(entry_ip) && (entry_port.is_empty() || entry_port == port) {
                return false;
            }
            continue;
        }
        let suffix = entry_host.strip_prefix('*').unwrap_or(entry_host);
        let (suffix, match_host) = match suffix.strip_prefix('.') {
            Some(_) => (suffix.to_owned(), false),
            None => (format!(".{suffix}"), true),
        };
        let matches = host.ends_with(&suffix) || (match_host && host == &suffix[1..]);
        if matches && (entry_port.is_empty() || entry_port == port) {
            return false;
        }
    }
    true
}

/// `host:port`, `[v6]:port` or a bare host (Go's `net.SplitHostPort`, falling back to the whole
/// entry).
fn split_host_port(entry: &str) -> (&str, &str) {
    if let Some(rest) = entry.strip_prefix('[')
        && let Some((host, port)) = rest.split_once("]:")
    {
        return (host, port);
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port),
        _ => (entry, ""),
    }
}

fn in_cidr(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(server: &str, vars: &[(&str, &str)]) -> Option<String> {
        let server: Uri = server.parse().unwrap();
        proxy_for(&server, |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap()
        .map(|p| p.authority())
    }

    #[test]
    fn go_proxy_from_environment() {
        let https = [
            ("HTTPS_PROXY", "proxy:3128"),
            ("http_proxy", "http://plain:80"),
        ];
        assert_eq!(
            proxy("https://authz.example/", &https).as_deref(),
            Some("proxy:3128")
        );
        assert_eq!(
            proxy("http://authz.example/", &https).as_deref(),
            Some("plain:80")
        );
        assert_eq!(proxy("https://127.0.0.1:8443/", &https), None, "loopback");
        assert_eq!(proxy("https://localhost/", &https), None);
        assert_eq!(proxy("https://[::1]/", &https), None);
        let cgi = [("HTTP_PROXY", "p:1"), ("REQUEST_METHOD", "GET")];
        assert_eq!(proxy("http://authz.example/", &cgi), None, "CGI");
        for (no_proxy, server, proxied) in [
            ("*", "https://a.example", false),
            ("example.com", "https://example.com", false),
            ("example.com", "https://sub.example.com", false),
            ("example.com", "https://notexample.com", true),
            (".example.com", "https://example.com", true),
            (".example.com", "https://sub.example.com", false),
            ("*.example.com", "https://sub.example.com", false),
            ("example.com:8443", "https://example.com", true),
            ("example.com:8443", "https://example.com:8443", false),
            ("10.0.0.0/8", "https://10.1.2.3", false),
            ("10.0.0.0/8", "https://11.1.2.3", true),
            ("10.1.2.3", "https://10.1.2.3:443", false),
            ("10.1.2.3:80", "https://10.1.2.3", true),
            ("fd00::/8", "https://[fd00::1]", false),
            (
                " , other.example , EXAMPLE.com ",
                "https://example.com",
                false,
            ),
        ] {
            let vars = [("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", no_proxy)];
            assert_eq!(
                proxy(server, &vars).is_some(),
                proxied,
                "NO_PROXY={no_proxy:?} {server}"
            );
        }
    }
}
