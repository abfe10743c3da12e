//! A kubeconfig's `proxy-url` with real proxies on loopback in front of the real downstream: an
//! HTTP `CONNECT` proxy (with and without the credentials it requires, and over TLS) and a SOCKS5
//! proxy; each test checks that the proxy carried the request and the downstream answered it.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use authz_chain::authorizers::webhook::WebhookCall;
use authz_chain::authz::guard::Call;
use authz_chain::authz::{Attributes, NonResourceAttributes, Request, UserInfo};
use authz_chain::config::load_webhook_connection;
use authz_chain::review::ReviewVersion;
use common::downstream::{Behavior, Downstream};
use common::proxy::Proxy;
use serde_json::json;

fn kubeconfig(dir: &Path, downstream: &Downstream, proxy_url: &str) -> PathBuf {
    let ca = dir.join("ca.crt");
    std::fs::write(&ca, &downstream.ca.pem).expect("ca");
    let path = dir.join("webhook.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\n    proxy-url: {proxy_url}\nusers:\n- name: u\n  user: {{token: behind-proxy}}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n",
            downstream.url(),
            ca.display()
        ),
    )
    .expect("kubeconfig");
    path
}

fn client(kubeconfig: &Path) -> WebhookCall {
    let connection = load_webhook_connection(kubeconfig).expect("kubeconfig loads");
    WebhookCall::new(&connection, ReviewVersion::V1, Duration::from_secs(5)).expect("client")
}

fn request() -> Request {
    Request {
        user: UserInfo {
            name: "alice".into(),
            ..UserInfo::default()
        },
        attributes: Attributes::NonResource(NonResourceAttributes {
            path: "/healthz".into(),
            verb: "get".into(),
        }),
    }
}

fn allowed() -> Behavior {
    Behavior::status("v1", json!({"allowed": true}))
}

#[tokio::test]
async fn http_connect_proxy_with_credentials() {
    let downstream = Downstream::start(allowed(), None).await;
    // "Basic " + base64("proxy-user:pa ss")
    let proxy = Proxy::http_connect(Some("Basic cHJveHktdXNlcjpwYSBzcw==")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("http://proxy-user:pa%20ss@{}", proxy.address);
    let client = client(&kubeconfig(dir.path(), &downstream, &url));
    let answer = client.call(&request()).await.expect("through the proxy");
    assert!(answer.allowed);
    assert_eq!(
        proxy.seen(),
        [format!(
            "CONNECT 127.0.0.1:{} auth=Basic cHJveHktdXNlcjpwYSBzcw==",
            downstream.address.port()
        )]
    );
    let seen = downstream.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer behind-proxy")
    );
    assert!(
        !seen[0].headers.contains_key("proxy-authorization"),
        "the proxy's credentials stay with the proxy"
    );
    // The tunnel is kept alive for the next request.
    client.call(&request()).await.expect("again");
    assert_eq!(proxy.seen().len(), 1);
    assert_eq!(downstream.calls(), 2);
}

#[tokio::test]
async fn http_connect_refused_by_the_proxy() {
    let downstream = Downstream::start(allowed(), None).await;
    let proxy = Proxy::http_connect(Some("Basic secret")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("http://{}", proxy.address);
    let error = client(&kubeconfig(dir.path(), &downstream, &url))
        .call(&request())
        .await
        .expect_err("the proxy wants credentials");
    assert!(
        error.to_string().contains(&format!(
            "proxy {} refused CONNECT 127.0.0.1:{}: 407 Proxy Authentication Required",
            proxy.address,
            downstream.address.port()
        )),
        "{error}"
    );
    assert_eq!(downstream.calls(), 0);
}

#[tokio::test]
async fn https_proxy_is_trusted_with_the_kubeconfig_ca() {
    let downstream = Downstream::start(allowed(), None).await;
    // Go's transport verifies an https proxy with the webhook's own TLS settings, so a proxy
    // certificate from the kubeconfig's CA is trusted.
    let proxy = Proxy::https_connect(&downstream.ca).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("https://{}", proxy.address);
    let answer = client(&kubeconfig(dir.path(), &downstream, &url))
        .call(&request())
        .await
        .expect("through the TLS proxy");
    assert!(answer.allowed);
    assert_eq!(
        proxy.seen(),
        [format!("CONNECT 127.0.0.1:{}", downstream.address.port())]
    );
    assert_eq!(downstream.calls(), 1);
}

#[tokio::test]
async fn socks5_proxy() {
    let downstream = Downstream::start(allowed(), None).await;
    let proxy = Proxy::socks5(Some(("sock", "pw"))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("socks5://sock:pw@{}", proxy.address);
    let answer = client(&kubeconfig(dir.path(), &downstream, &url))
        .call(&request())
        .await
        .expect("through the proxy");
    assert!(answer.allowed);
    assert_eq!(
        proxy.seen(),
        [format!(
            "socks 127.0.0.1:{} user=sock:pw",
            downstream.address.port()
        )]
    );
    assert_eq!(downstream.calls(), 1);
}

#[tokio::test]
async fn an_unreachable_proxy_is_named() {
    let downstream = Downstream::start(allowed(), None).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = closed.local_addr().expect("address");
    drop(closed);
    let dir = tempfile::tempdir().expect("tempdir");
    let error = client(&kubeconfig(
        dir.path(),
        &downstream,
        &format!("http://{address}"),
    ))
    .call(&request())
    .await
    .expect_err("nothing listens there");
    assert!(error.to_string().contains("proxyconnect tcp: "), "{error}");
    assert_eq!(downstream.calls(), 0);
}
