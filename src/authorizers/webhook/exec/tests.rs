//! Exec plugins as real `/bin/sh` scripts: caching until expiry, one run for concurrent callers,
//! the refresh after a 401, the timeout, failures naming the plugin with its standard error, and
//! the `KUBERNETES_EXEC_INFO` request.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::ExecAuthenticator;
use super::plugin::{decode, exec_info};
use crate::config::{ExecApiVersion, ExecCluster, ExecConfig};

/// Writes an executable `#!/bin/sh` script.
fn script(dir: &Path, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.display().to_string()
}

fn config(command: String) -> ExecConfig {
    ExecConfig {
        command,
        args: Vec::new(),
        env: Vec::new(),
        api_version: ExecApiVersion::V1,
        install_hint: String::new(),
        cluster: None,
    }
}

/// A plugin that counts its runs in `runs` and returns token `t<n>` expiring at `expires`.
fn counting_plugin(dir: &Path, expires: &str) -> String {
    let runs = dir.join("runs");
    script(
        dir,
        "plugin.sh",
        &format!(
            r#"sleep 0.2; n=$(( $(cat {runs} 2>/dev/null || echo 0) + 1 )); echo $n > {runs}
printf '{{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{{"token":"t%s"{expires}}}}}' $n"#,
            runs = runs.display(),
        ),
    )
}

fn runs(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join("runs"))
        .map(|t| t.trim().parse().unwrap_or(0))
        .unwrap_or(0)
}

fn token(credential: &super::ExecCredential) -> String {
    credential
        .token
        .as_ref()
        .and_then(|t| t.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_without_expiry_and_refreshed_after_a_401() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = Arc::new(ExecAuthenticator::with_timeout(
        config(counting_plugin(dir.path(), "")),
        Duration::from_secs(10),
    ));
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let plugin = plugin.clone();
            tokio::spawn(async move { plugin.credential().await.map(|c| token(&c)) })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), "Bearer t1");
    }
    assert_eq!(runs(dir.path()), 1, "concurrent callers share one run");
    let used = plugin.credential().await.unwrap();
    assert_eq!(runs(dir.path()), 1, "cached");
    plugin.unauthorized(&used);
    plugin.unauthorized(&used);
    assert_eq!(token(&plugin.credential().await.unwrap()), "Bearer t2");
    assert_eq!(runs(dir.path()), 2, "one refresh for the 401s");
    plugin.unauthorized(&used);
    assert_eq!(token(&plugin.credential().await.unwrap()), "Bearer t2");
    assert_eq!(
        runs(dir.path()),
        2,
        "a 401 for an old credential runs nothing"
    );
}

#[tokio::test]
async fn an_expired_credential_runs_the_plugin_again() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = Arc::new(ExecAuthenticator::with_timeout(
        config(counting_plugin(
            dir.path(),
            r#","expirationTimestamp":"2020-01-01T00:00:00Z""#,
        )),
        Duration::from_secs(10),
    ));
    assert_eq!(token(&plugin.credential().await.unwrap()), "Bearer t1");
    assert_eq!(token(&plugin.credential().await.unwrap()), "Bearer t2");
    let dir = tempfile::tempdir().unwrap();
    let plugin = Arc::new(ExecAuthenticator::with_timeout(
        config(counting_plugin(
            dir.path(),
            r#","expirationTimestamp":"2999-01-01T00:00:00.5Z""#,
        )),
        Duration::from_secs(10),
    ));
    plugin.credential().await.unwrap();
    assert_eq!(token(&plugin.credential().await.unwrap()), "Bearer t1");
}

#[tokio::test]
async fn failures_name_the_plugin_and_keep_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let failing = script(
        dir.path(),
        "fail.sh",
        "echo 'no credentials here' >&2\necho second line >&2\nexit 3",
    );
    let plugin = Arc::new(ExecAuthenticator::with_timeout(
        config(failing.clone()),
        Duration::from_secs(10),
    ));
    let error = plugin.credential().await.err().unwrap().to_string();
    assert_eq!(
        error,
        format!(
            "exec: executable {failing} failed with exit code 3: stderr: no credentials here; second line"
        )
    );
    let slow = script(dir.path(), "slow.sh", "exec sleep 30");
    let plugin = Arc::new(ExecAuthenticator::with_timeout(
        config(slow.clone()),
        Duration::from_millis(300),
    ));
    let started = std::time::Instant::now();
    let error = plugin.credential().await.err().unwrap().to_string();
    assert_eq!(
        error,
        format!("exec: executable {slow} did not finish within 300ms")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Remembered for a moment, then tried again.
    assert_eq!(plugin.credential().await.err().unwrap().to_string(), error);
    let missing = dir.path().join("missing").display().to_string();
    let mut missing_config = config(missing.clone());
    missing_config.install_hint = "install it".into();
    let plugin = Arc::new(ExecAuthenticator::with_timeout(
        missing_config,
        Duration::from_secs(1),
    ));
    assert_eq!(
        plugin.credential().await.err().unwrap().to_string(),
        format!("exec: executable {missing} not found (install it)")
    );
}

#[tokio::test]
async fn the_plugin_gets_its_env_and_the_exec_info() {
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("seen");
    let command = script(
        dir.path(),
        "info.sh",
        &format!(
            r#"printf '%s|%s|%s' "$KUBERNETES_EXEC_INFO" "$PLUGIN_MODE" "$1" > {seen}
printf '{{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{{"token":"x"}}}}'"#,
            seen = seen.display()
        ),
    );
    let mut config = config(command);
    config.api_version = ExecApiVersion::V1beta1;
    config.args = vec!["first-arg".into()];
    config.env = vec![("PLUGIN_MODE".into(), "webhook".into())];
    config.cluster = Some(ExecCluster {
        server: "https://authz.example/authorize".into(),
        tls_server_name: "authz".into(),
        insecure_skip_tls_verify: false,
        certificate_authority_data: Some(b"PEM".to_vec()),
        proxy_url: String::new(),
        disable_compression: false,
        config: Some(serde_json::json!({"audience": "authz"})),
    });
    let plugin = Arc::new(ExecAuthenticator::with_timeout(
        config,
        Duration::from_secs(10),
    ));
    plugin.credential().await.unwrap();
    assert_eq!(
        std::fs::read_to_string(seen).unwrap(),
        concat!(
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","#,
            r#""spec":{"cluster":{"server":"https://authz.example/authorize","tls-server-name":"authz","#,
            r#""certificate-authority-data":"UEVN","config":{"audience":"authz"}},"interactive":false}}"#,
            "\n|webhook|first-arg"
        )
    );
}

#[test]
fn exec_info_without_cluster() {
    assert_eq!(
        exec_info(&config("p".into())),
        "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"spec\":{\"interactive\":false}}\n"
    );
}

#[test]
fn responses_are_checked_as_client_go_checks_them() {
    let c = config("p".into());
    let error = |body: &str| decode(&c, body.as_bytes()).err().unwrap().to_string();
    assert_eq!(
        error(
            r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}"#
        ),
        "exec plugin is configured to use API version client.authentication.k8s.io/v1, plugin returned version client.authentication.k8s.io/v1beta1"
    );
    assert_eq!(
        error(r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}"#),
        "exec plugin didn't return a status field"
    );
    assert_eq!(
        error(
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}"#
        ),
        "exec plugin didn't return a token or cert/key pair"
    );
    assert_eq!(
        error(
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientKeyData":"k"}}"#
        ),
        "exec plugin returned only certificate or key, not both"
    );
    assert!(
        error(r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"c","clientKeyData":"k"}}"#)
            .starts_with("failed parsing client key/certificate: ")
    );
    assert!(error("not json {").starts_with("decoding stdout: "));
    let yaml =
        "apiVersion: client.authentication.k8s.io/v1\nkind: ExecCredential\nstatus: {token: y}\n";
    let output = decode(&c, yaml.as_bytes()).unwrap();
    assert_eq!(output.token.as_deref(), Some("y"));
}
