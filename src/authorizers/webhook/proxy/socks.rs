//! A SOCKS5 `CONNECT` (RFC 1928), with the username/password method (RFC 1929) when the proxy URL
//! carries user information, as Go's `net/http` speaks it: a host name is sent to the proxy to
//! resolve, an IP address as an address.

use std::io;
use std::net::IpAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::config::ProxyUrl;

const VERSION: u8 = 5;
const NO_AUTHENTICATION: u8 = 0;
const USERNAME_PASSWORD: u8 = 2;
const NO_ACCEPTABLE_METHOD: u8 = 0xff;

/// Asks the proxy on `stream` for a connection to `host:port`.
pub(super) async fn connect<S>(
    stream: &mut S,
    host: &str,
    port: u16,
    proxy: &ProxyUrl,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let fail = |what: String| {
        io::Error::other(format!(
            "socks connect tcp {}->{host}:{port}: {what}",
            proxy.authority()
        ))
    };
    let methods: &[u8] = match proxy.username {
        Some(_) => &[NO_AUTHENTICATION, USERNAME_PASSWORD],
        None => &[NO_AUTHENTICATION],
    };
    let mut greeting = vec![VERSION, methods.len() as u8];
    greeting.extend_from_slice(methods);
    stream.write_all(&greeting).await?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await?;
    if choice[0] != VERSION {
        return Err(fail(format!("unexpected protocol version {}", choice[0])));
    }
    match choice[1] {
        NO_AUTHENTICATION => {}
        USERNAME_PASSWORD if proxy.username.is_some() => {
            let username = proxy.username.as_deref().unwrap_or_default().as_bytes();
            let password = proxy.password.as_deref().unwrap_or_default().as_bytes();
            let (Ok(ulen), Ok(plen)) = (u8::try_from(username.len()), u8::try_from(password.len()))
            else {
                return Err(fail("username or password too long".into()));
            };
            let mut request = vec![1, ulen];
            request.extend_from_slice(username);
            request.push(plen);
            request.extend_from_slice(password);
            stream.write_all(&request).await?;
            let mut status = [0u8; 2];
            stream.read_exact(&mut status).await?;
            if status[1] != 0 {
                return Err(fail("username/password authentication failed".into()));
            }
        }
        NO_ACCEPTABLE_METHOD => return Err(fail("no acceptable authentication methods".into())),
        other => return Err(fail(format!("unsupported authentication method {other}"))),
    }
    let mut request = vec![VERSION, 1, 0];
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            request.push(1);
            request.extend_from_slice(&ip.octets());
        }
        Ok(IpAddr::V6(ip)) => {
            request.push(4);
            request.extend_from_slice(&ip.octets());
        }
        Err(_) => {
            let Ok(len) = u8::try_from(host.len()) else {
                return Err(fail("host name too long".into()));
            };
            request.push(3);
            request.push(len);
            request.extend_from_slice(host.as_bytes());
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await?;
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await?;
    if reply[0] != VERSION {
        return Err(fail(format!("unexpected protocol version {}", reply[0])));
    }
    if reply[1] != 0 {
        return Err(fail(reply_text(reply[1])));
    }
    // The bound address, which nobody needs, must still be read off the stream.
    let skip = match reply[3] {
        1 => 4,
        4 => 16,
        3 => usize::from(stream.read_u8().await?),
        other => return Err(fail(format!("unknown address type {other}"))),
    };
    let mut bound = vec![0u8; skip + 2];
    stream.read_exact(&mut bound).await?;
    Ok(())
}

/// RFC 1928 reply codes, worded as Go's SOCKS client words them.
fn reply_text(code: u8) -> String {
    match code {
        1 => "general SOCKS server failure".into(),
        2 => "connection not allowed by ruleset".into(),
        3 => "network unreachable".into(),
        4 => "host unreachable".into(),
        5 => "connection refused".into(),
        6 => "TTL expired".into(),
        7 => "command not supported".into(),
        8 => "address type not supported".into(),
        other => format!("unknown code: {other}"),
    }
}
