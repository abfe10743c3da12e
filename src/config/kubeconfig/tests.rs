//! Kubeconfig resolution: file references, what client-go drops or prefers, and the exec plugin's
//! cluster information.

use std::path::Path;

use super::*;

const KUBECONFIG: &str = "apiVersion: v1
kind: Config
current-context: c
contexts:
- name: c
  context: {cluster: k, user: u}
clusters:
- name: k
  cluster: {server: https://example.invalid/authorize}
users:
- name: u
  user: {tokenFile: token}
";

/// A kubeconfig whose cluster is `cluster` and user `user` (flow mappings).
fn kubeconfig(cluster: &str, user: &str) -> String {
    format!(
        "current-context: c\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nclusters:\n- name: k\n  cluster: {cluster}\nusers:\n- name: u\n  user: {user}\n"
    )
}

fn parse(text: &str) -> Result<WebhookConnection, String> {
    parse_webhook_connection(text, Path::new("/etc/authz/kubeconfig")).map_err(|e| e.to_string())
}

#[test]
fn parse_resolves_files_against_the_directory_of_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("token"), "t").expect("write");
    let connection =
        parse_webhook_connection(KUBECONFIG, &dir.path().join("kubeconfig")).expect("valid");
    assert_eq!(connection.server, "https://example.invalid/authorize");
    assert_eq!(connection.token_file, Some(dir.path().join("token")));
    let error = parse_webhook_connection(KUBECONFIG, Path::new("/nonexistent/kubeconfig"))
        .expect_err("no token file there");
    assert!(
        error
            .to_string()
            .contains("unable to read tokenFile /nonexistent/token"),
        "{error}"
    );
}

#[test]
fn exec_plugins_as_client_go_configures_them() {
    let text = kubeconfig(
        "{server: 'https://h:1/authorize?x=1', tls-server-name: n, certificate-authority-data: UEVN, proxy-url: 'http://p:3128', extensions: [{name: client.authentication.k8s.io/exec, extension: {b: 1, a: [x]}}, {name: other, extension: 1}]}",
        "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: bin/plugin, args: [a], env: [{name: N, value: V}], provideClusterInfo: true, installHint: \"brew\\ninstall\"}}",
    );
    let connection = parse(&text).expect("valid");
    let exec = connection.exec.expect("exec");
    assert_eq!(exec.command, "/etc/authz/bin/plugin");
    assert_eq!(exec.api_version, ExecApiVersion::V1beta1);
    assert_eq!(exec.args, ["a"]);
    assert_eq!(exec.env, [("N".to_owned(), "V".to_owned())]);
    assert_eq!(exec.install_hint, "brew install");
    let cluster = exec.cluster.expect("provideClusterInfo");
    assert_eq!(cluster.server, "https://h:1/authorize");
    assert_eq!(cluster.tls_server_name, "n");
    assert_eq!(
        cluster.certificate_authority_data.as_deref(),
        Some(&b"PEM"[..])
    );
    assert_eq!(cluster.proxy_url, "http://p:3128");
    assert_eq!(
        cluster.config,
        Some(serde_json::json!({"a": ["x"], "b": 1}))
    );
    let bare = kubeconfig(
        "{server: 'https://h'}",
        "{exec: {apiVersion: client.authentication.k8s.io/v1, command: plugin, interactiveMode: Never}}",
    );
    let exec = parse(&bare).expect("valid").exec.expect("exec");
    assert_eq!(exec.command, "plugin", "a bare name is looked up in PATH");
    assert_eq!(exec.cluster, None);
}

#[test]
fn what_client_go_prefers_or_drops() {
    let exec =
        "exec: {apiVersion: client.authentication.k8s.io/v1, command: p, interactiveMode: Never}";
    let shadowed = parse(&kubeconfig(
        "{server: 'https://h'}",
        &format!("{{token: t, {exec}}}"),
    ))
    .expect("valid");
    assert_eq!(shadowed.exec, None, "a token wins over exec");
    assert_eq!(shadowed.token.as_deref(), Some("t"));
    let plain = parse(&kubeconfig(
        "{server: 'http://h', proxy-url: 'socks5://p'}",
        "{username: a, password: b, as: x}",
    ))
    .expect("valid");
    assert_eq!(
        plain.basic_auth, None,
        "no user credentials over plain http"
    );
    assert_eq!(plain.impersonate.map(|i| i.user).as_deref(), Some("x"));
    assert_eq!(
        plain.proxy_url.map(|p| p.authority()).as_deref(),
        Some("p:1080")
    );
    let basic = parse(&kubeconfig(
        "{server: 'https://h'}",
        "{username: a, password: b}",
    ))
    .expect("valid");
    assert_eq!(
        basic.basic_auth,
        Some(BasicAuth {
            username: "a".into(),
            password: "b".into()
        })
    );
    let password_only =
        parse(&kubeconfig("{server: 'https://h'}", "{password: b}")).expect("valid");
    assert_eq!(
        password_only.basic_auth, None,
        "basic auth needs a user name"
    );
    assert_eq!(
        parse(&kubeconfig(
            "{server: 'https://h'}",
            "{tokenFile: /dev/null, username: a}"
        ))
        .expect_err("token file and basic auth"),
        r#"error loading config file "/etc/authz/kubeconfig": username/password or bearer token may be set, but not both"#
    );
    assert_eq!(
        parse(&kubeconfig("{}", "{as-uid: u}")).expect_err("two problems"),
        r#"error loading config file "/etc/authz/kubeconfig": invalid configuration: [requesting uid, groups or user-extra for u without impersonating a user, no server found for cluster "k"]"#
    );
}
