//! Real proxies on loopback for tests: an HTTP `CONNECT` proxy (over plain TCP or TLS) and a
//! SOCKS5 proxy, each
//! recording what it was asked and optionally requiring credentials, then relaying bytes both
//! ways to the target.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy.
pub struct Proxy {
    pub address: SocketAddr,
    /// One line per request: `CONNECT host:port` plus ` auth=<Proxy-Authorization>` for HTTP;
    /// `socks host:port` plus ` user=<name>:<password>` for SOCKS5.
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// What the proxy was asked, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("seen").clone()
    }

    /// An HTTP `CONNECT` proxy; with `auth`, a request without that exact
    /// `Proxy-Authorization` gets 407.
    pub async fn http_connect(auth: Option<&str>) -> Proxy {
        let auth = auth.map(str::to_owned);
        Self::start(move |client, seen| {
            let auth = auth.clone();
            async move { connect_session(client, seen, auth).await }
        })
        .await
    }

    /// An HTTP `CONNECT` proxy spoken to over TLS, with a serving certificate from `ca`.
    pub async fn https_connect(ca: &super::pki::Ca) -> Proxy {
        let leaf = ca.server();
        let certs = rustls::pki_types::pem::PemObject::pem_slice_iter(leaf.cert_pem.as_bytes())
            .collect::<Result<Vec<rustls::pki_types::CertificateDer<'static>>, _>>()
            .expect("cert");
        let key: rustls::pki_types::PrivateKeyDer<'static> =
            rustls::pki_types::pem::PemObject::from_pem_slice(leaf.key_pem.as_bytes())
                .expect("key");
        let config =
            rustls::ServerConfig::builder_with_provider(authz_chain::server::crypto_provider())
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        Self::start(move |client, seen| {
            let acceptor = acceptor.clone();
            async move {
                let tls = acceptor.accept(client).await?;
                connect_session(tls, seen, None).await
            }
        })
        .await
    }

    /// A SOCKS5 proxy; with `credentials` (`user`, `password`), only the username/password
    /// method is accepted.
    pub async fn socks5(credentials: Option<(&str, &str)>) -> Proxy {
        let credentials = credentials.map(|(u, p)| (u.to_owned(), p.to_owned()));
        Self::start(move |client, seen| {
            let credentials = credentials.clone();
            async move { socks_session(client, seen, credentials).await }
        })
        .await
    }

    async fn start<F, Fut>(session: F) -> Proxy
    where
        F: Fn(TcpStream, Arc<Mutex<Vec<String>>>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(session(client, record.clone()));
            }
        });
        Proxy {
            address,
            seen,
            task,
        }
    }
}

async fn connect_session<S>(
    mut client: S,
    seen: Arc<Mutex<Vec<String>>>,
    auth: Option<String>,
) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let given = lines
        .filter_map(|l| l.split_once(": "))
        .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.to_owned());
    let target = request_line
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default()
        .to_owned();
    let mut line = format!("CONNECT {target}");
    if let Some(given) = &given {
        line.push_str(&format!(" auth={given}"));
    }
    seen.lock().expect("seen").push(line);
    if auth.is_some() && given != auth {
        client
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    }
    let mut upstream = TcpStream::connect(target.as_str()).await?;
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn socks_session(
    mut client: TcpStream,
    seen: Arc<Mutex<Vec<String>>>,
    credentials: Option<(String, String)>,
) -> std::io::Result<()> {
    let version = client.read_u8().await?;
    let count = client.read_u8().await?;
    let mut methods = vec![0u8; usize::from(count)];
    client.read_exact(&mut methods).await?;
    assert_eq!(version, 5);
    let mut user = None;
    match &credentials {
        None => client.write_all(&[5, 0]).await?,
        Some((want_user, want_password)) => {
            if !methods.contains(&2) {
                client.write_all(&[5, 0xff]).await?;
                return Ok(());
            }
            client.write_all(&[5, 2]).await?;
            let _ = client.read_u8().await?;
            let len = client.read_u8().await?;
            let mut name = vec![0u8; usize::from(len)];
            client.read_exact(&mut name).await?;
            let len = client.read_u8().await?;
            let mut password = vec![0u8; usize::from(len)];
            client.read_exact(&mut password).await?;
            let (name, password) = (
                String::from_utf8_lossy(&name).into_owned(),
                String::from_utf8_lossy(&password).into_owned(),
            );
            let ok = &name == want_user && &password == want_password;
            client.write_all(&[1, if ok { 0 } else { 1 }]).await?;
            if !ok {
                return Ok(());
            }
            user = Some(format!("{name}:{password}"));
        }
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let len = client.read_u8().await?;
            let mut name = vec![0u8; usize::from(len)];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return Ok(()),
    };
    let port = client.read_u16().await?;
    let mut line = format!("socks {host}:{port}");
    if let Some(user) = user {
        line.push_str(&format!(" user={user}"));
    }
    seen.lock().expect("seen").push(line);
    let mut upstream = TcpStream::connect((host.as_str(), port)).await?;
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
