//! Webhook kubeconfigs as client-go reads them, against the real downstream on loopback: exec
//! credential plugins (real `/bin/sh` scripts: token cached, run again after a 401, client
//! certificate, failure naming the plugin), basic auth, impersonation headers, compression, and
//! `check` refusing what a webhook client cannot use with a field error.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use authz_chain::authorizers::webhook::WebhookCall;
use authz_chain::authz::guard::{Answer, Call, CallError};
use authz_chain::authz::{Attributes, Request, ResourceAttributes, UserInfo};
use authz_chain::config::load_webhook_connection;
use authz_chain::review::ReviewVersion;
use common::downstream::{Behavior, Downstream};
use common::pki::Ca;
use serde_json::json;

fn allowed() -> Behavior {
    Behavior::status("v1", json!({"allowed": true, "reason": "ok"}))
}

/// Writes a kubeconfig for `downstream` whose user is `user` (YAML lines under `user:`, indented
/// four spaces) and whose cluster has the extra `cluster` lines.
fn kubeconfig(dir: &Path, downstream: &Downstream, user: &str, cluster: &str) -> PathBuf {
    let ca = dir.join("ca.crt");
    std::fs::write(&ca, &downstream.ca.pem).expect("ca");
    let path = dir.join("webhook.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: ca.crt\n{cluster}users:\n- name: u\n  user:\n{user}contexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n",
            downstream.url()
        ),
    )
    .expect("kubeconfig");
    path
}

/// Writes an executable `#!/bin/sh` script.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
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
        attributes: Attributes::Resource(ResourceAttributes {
            verb: "get".into(),
            resource: "pods".into(),
            ..ResourceAttributes::default()
        }),
    }
}

async fn call(client: &WebhookCall) -> Result<Answer, CallError> {
    client.call(&request()).await
}

fn header(seen: &common::downstream::Seen, name: &str) -> Vec<String> {
    seen.headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

fn runs(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join("runs"))
        .map(|t| t.trim().parse().unwrap_or(0))
        .unwrap_or(0)
}

#[tokio::test]
async fn exec_token_is_cached_and_the_plugin_runs_again_after_a_401() {
    let downstream = Downstream::start(allowed(), None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    script(
        dir.path(),
        "plugin.sh",
        r#"cd "$(dirname "$0")"
n=$(( $(cat runs 2>/dev/null || echo 0) + 1 )); echo $n > runs
echo "$KUBERNETES_EXEC_INFO" > exec-info
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s"}}' "$TOKEN_PREFIX" $n"#,
    );
    let kubeconfig = kubeconfig(
        dir.path(),
        &downstream,
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./plugin.sh\n      interactiveMode: Never\n      env: [{name: TOKEN_PREFIX, value: exec}]\n",
        "",
    );
    let client = client(&kubeconfig);
    assert!(call(&client).await.expect("allowed").allowed);
    assert!(call(&client).await.expect("allowed").allowed);
    assert_eq!(runs(dir.path()), 1, "the credential is cached");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("exec-info")).expect("exec info"),
        "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"spec\":{\"interactive\":false}}\n\n"
    );
    downstream.set(Behavior::http(401));
    let error = call(&client).await.expect_err("401");
    assert!(error.to_string().contains("401"), "{error}");
    downstream.set(allowed());
    assert!(call(&client).await.expect("allowed").allowed);
    assert_eq!(runs(dir.path()), 2, "the 401 ran the plugin again");
    let tokens: Vec<_> = downstream
        .seen()
        .iter()
        .map(|s| s.authorization.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        tokens,
        [
            "Bearer exec-1",
            "Bearer exec-1",
            "Bearer exec-1",
            "Bearer exec-2"
        ]
    );
}

#[tokio::test]
async fn exec_client_certificate_is_presented() {
    let client_ca = Ca::new("client-ca");
    let downstream = Downstream::start(allowed(), Some(&client_ca)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let leaf = client_ca.client("kube-apiserver");
    std::fs::write(
        dir.path().join("credential.json"),
        json!({
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "kind": "ExecCredential",
            "status": {
                "clientCertificateData": leaf.cert_pem,
                "clientKeyData": leaf.key_pem,
                "expirationTimestamp": "2999-01-01T00:00:00Z"
            }
        })
        .to_string(),
    )
    .expect("credential");
    let plugin = script(
        dir.path(),
        "plugin.sh",
        r#"cat "$(dirname "$0")/credential.json""#,
    );
    let kubeconfig = kubeconfig(
        dir.path(),
        &downstream,
        &format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n",
            plugin.display()
        ),
        "",
    );
    let answer = call(&client(&kubeconfig))
        .await
        .expect("the downstream accepts the plugin's certificate");
    assert!(answer.allowed);
    assert_eq!(downstream.seen()[0].authorization, None);
}

#[tokio::test]
async fn a_failing_plugin_is_named_with_its_stderr() {
    let downstream = Downstream::start(allowed(), None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = script(
        dir.path(),
        "plugin.sh",
        "echo 'cannot reach the token service' >&2\nexit 2",
    );
    let kubeconfig = kubeconfig(
        dir.path(),
        &downstream,
        &format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: IfAvailable\n",
            plugin.display()
        ),
        "",
    );
    let error = call(&client(&kubeconfig)).await.expect_err("no credential");
    assert_eq!(
        error.to_string(),
        format!(
            "Post \"{}\": getting credentials: exec: executable {} failed with exit code 2: stderr: cannot reach the token service",
            downstream.url(),
            plugin.display()
        )
    );
    assert_eq!(downstream.calls(), 0);
}

#[tokio::test]
async fn basic_auth_and_impersonation_headers() {
    let downstream = Downstream::start(allowed(), None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = kubeconfig(
        dir.path(),
        &downstream,
        "    username: webhook\n    password: 's3cr:t'\n    as: system:serviceaccount:authz:checker\n    as-uid: uid-1\n    as-groups: [team-a, 'team b']\n    as-user-extra:\n      scopes.example.com/a: [x, y]\n",
        "",
    );
    assert!(call(&client(&kubeconfig)).await.expect("allowed").allowed);
    let seen = &downstream.seen()[0];
    assert_eq!(
        seen.authorization.as_deref(),
        Some("Basic d2ViaG9vazpzM2NyOnQ=")
    );
    assert_eq!(
        header(seen, "impersonate-user"),
        ["system:serviceaccount:authz:checker"]
    );
    assert_eq!(header(seen, "impersonate-uid"), ["uid-1"]);
    assert_eq!(header(seen, "impersonate-group"), ["team-a", "team b"]);
    assert_eq!(
        header(seen, "impersonate-extra-scopes.example.com%2fa"),
        ["x", "y"]
    );
    assert_eq!(header(seen, "accept-encoding"), ["gzip"]);
}

#[tokio::test]
async fn gzip_answers_and_disable_compression() {
    let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "status": {"allowed": true, "reason": "compressed"}})
    .to_string();
    let downstream = Downstream::start(Behavior::Gzip(body), None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = kubeconfig(dir.path(), &downstream, "    token: t\n", "");
    let answer = call(&client(&kubeconfig)).await.expect("inflated");
    assert_eq!(&*answer.reason, "compressed");
    let kubeconfig = kubeconfig_with_compression_off(dir.path(), &downstream);
    downstream.set(allowed());
    call(&client(&kubeconfig)).await.expect("allowed");
    let seen = downstream.seen();
    assert_eq!(header(&seen[0], "accept-encoding"), ["gzip"]);
    assert_eq!(header(&seen[1], "accept-encoding"), Vec::<String>::new());
}

fn kubeconfig_with_compression_off(dir: &Path, downstream: &Downstream) -> PathBuf {
    kubeconfig(
        dir,
        downstream,
        "    token: t\n",
        "    disable-compression: true\n",
    )
}

// === check ===

/// Runs `check` on a configuration whose one webhook uses a kubeconfig with `user` (and extra
/// `cluster` lines); returns (exit success, stdout, stderr) and the kubeconfig's path.
fn check(dir: &Path, user: &str, cluster: &str, extra: &str) -> (bool, String, String, PathBuf) {
    let ca = Ca::new("ca");
    std::fs::write(dir.join("ca.crt"), &ca.pem).expect("ca");
    let kubeconfig = dir.join("webhook.kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\n{extra}clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9444/authorize\n    certificate-authority: ca.crt\n{cluster}users:\n- name: other\n  user: {{token: x}}\n- name: u\n  user:\n{user}contexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n"
        ),
    )
    .expect("kubeconfig");
    let config = dir.join("authz.yaml");
    std::fs::write(
        &config,
        format!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Webhook\n  name: wh\n  webhook:\n    timeout: 3s\n    subjectAccessReviewVersion: v1\n    matchConditionSubjectAccessReviewVersion: v1\n    failurePolicy: Deny\n    connectionInfo: {{type: KubeConfigFile, kubeConfigFile: '{}'}}\n",
            kubeconfig.display()
        ),
    )
    .expect("config");
    let output = common::binary()
        .arg("check")
        .arg("--authorization-config")
        .arg(&config)
        .output()
        .expect("run check");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        kubeconfig,
    )
}

#[test]
fn check_refuses_what_a_webhook_client_cannot_use() {
    struct Case {
        name: &'static str,
        user: &'static str,
        cluster: &'static str,
        /// The error after `error loading config file "<kubeconfig>": `.
        error: &'static str,
    }
    let cases = [
        Case {
            name: "auth-provider",
            user: "    auth-provider: {name: oidc, config: {idp-issuer-url: 'https://issuer'}}\n",
            cluster: "",
            error: r#"users[1].user.auth-provider: Forbidden: no Auth Provider found for name "oidc" (client-go's auth providers are not available to webhook clients; use exec)"#,
        },
        Case {
            name: "interactive plugin",
            user: "    exec: {apiVersion: client.authentication.k8s.io/v1, command: p, interactiveMode: Always}\n",
            cluster: "",
            error: r#"users[1].user.exec.interactiveMode: Unsupported value: "Always": supported values: "IfAvailable", "Never""#,
        },
        Case {
            name: "exec without apiVersion or interactiveMode",
            user: "    exec: {command: p}\n",
            cluster: "",
            error: "invalid configuration: [apiVersion must be specified for u to use exec authentication plugin, interactiveMode must be specified for u to use exec authentication plugin]",
        },
        Case {
            name: "exec version client-go does not know",
            user: "    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: p}\n",
            cluster: "",
            error: r#"exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1""#,
        },
        Case {
            name: "token and basic auth",
            user: "    token: t\n    username: a\n    password: b\n",
            cluster: "",
            error: "invalid configuration: more than one authentication method found for u; found [token basicAuth], only one is allowed",
        },
        Case {
            name: "groups without a user to impersonate",
            user: "    token: t\n    as-groups: [g]\n",
            cluster: "",
            error: "invalid configuration: requesting uid, groups or user-extra for u without impersonating a user",
        },
        Case {
            name: "proxy scheme",
            user: "    token: t\n",
            cluster: "    proxy-url: ftp://proxy:21\n",
            error: r#"invalid configuration: invalid 'proxy-url' "ftp://proxy:21" for cluster "c": unsupported scheme "ftp", must be http, https, or socks5"#,
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ok, _, stderr, kubeconfig) = check(dir.path(), case.user, case.cluster, "");
        let want = format!(
            "invalid authorization config: error loading config file {:?}: {}\n",
            kubeconfig, case.error
        );
        if ok || stderr != want {
            failures.push(format!(
                "{}:\n  want {want:?}\n  got  {stderr:?}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_accepts_what_client_go_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, stdout, stderr, _) = check(
        dir.path(),
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: gke-gcloud-auth-plugin\n      provideClusterInfo: true\n      timeout: 5s\n    as: someone\n    as-user-extra: {k: [v]}\n",
        "    proxy-url: socks5://127.0.0.1:1080\n    disable-compression: true\n    extensions:\n    - name: client.authentication.k8s.io/exec\n      extension: {audience: authz}\n",
        "preferences: {}\ncolour: blue\n",
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "ok\n");
    for field in ["colour", "users[1].user.exec.timeout"] {
        assert!(
            stderr.contains(field) && stderr.contains("not part of the kubeconfig schema"),
            "a warning names {field}: {stderr}"
        );
    }
}
