//! One case per validation rule of spec section 2 (tables 2.1-2.4), after upstream's
//! `TestValidateAuthorizationConfiguration`, `TestValidateAndCompileMatchConditions` and
//! `TestLoadFromData`, asserting the exact Kubernetes field-error text.

use std::path::Path;

use authz_chain::config::{self, ConfigError};

struct Case {
    name: &'static str,
    yaml: String,
    /// Every expected error line, in order; empty means valid.
    errors: Vec<String>,
}

const HEADER: &str =
    "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n";

/// A kubeconfig that loads: a server and nothing else.
fn kubeconfig(dir: &Path) -> String {
    let path = dir.join("webhook.kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9444/authorize'}\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n",
    )
    .expect("write kubeconfig");
    path.to_str().expect("utf-8").to_owned()
}

/// One webhook entry whose `webhook:` block is the valid default with `overrides` applied: each
/// override is `key: value` replacing that line, or `-key` removing it, or a new line appended.
fn webhook(kubeconfig: &str, overrides: &[&str]) -> String {
    let mut fields: Vec<(String, String)> = vec![
        ("timeout".into(), "3s".into()),
        ("subjectAccessReviewVersion".into(), "v1".into()),
        ("failurePolicy".into(), "Deny".into()),
        (
            "connectionInfo".into(),
            format!("{{type: KubeConfigFile, kubeConfigFile: '{kubeconfig}'}}"),
        ),
    ];
    for o in overrides {
        if let Some(key) = o.strip_prefix('-') {
            fields.retain(|(k, _)| k != key);
        } else {
            let (key, value) = o.split_once(": ").expect("key: value");
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some(field) => field.1 = value.to_owned(),
                None => fields.push((key.to_owned(), value.to_owned())),
            }
        }
    }
    let mut text = String::from("- type: Webhook\n  name: wh\n  webhook:\n");
    for (k, v) in fields {
        text.push_str(&format!("    {k}: {v}\n"));
    }
    text
}

fn errors_of(yaml: &str, required: &[&str]) -> Vec<String> {
    match config::load_data(yaml.as_bytes(), required) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid(lines)) => lines,
        Err(ConfigError::Load(e)) => vec![format!("load error: {e}")],
    }
}

fn s(text: &str) -> String {
    text.to_owned()
}

#[test]
fn validation_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfig(dir.path());
    let relative = "relative/webhook.kubeconfig";
    let missing = dir.path().join("missing.kubeconfig");
    let missing = missing.to_str().expect("utf-8");
    let directory = dir.path().to_str().expect("utf-8");
    let wh = |o: &[&str]| format!("{HEADER}{}", webhook(&kc, o));
    let cases = vec![
        // 2.1
        Case {
            name: "valid rbac",
            yaml: format!("{HEADER}- type: RBAC\n  name: rbac\n"),
            errors: vec![],
        },
        Case {
            name: "valid webhook",
            yaml: wh(&[]),
            errors: vec![],
        },
        Case {
            name: "empty list",
            yaml: s(
                "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: []\n",
            ),
            errors: vec![s(
                "authorizers: Required value: at least one authorization mode must be defined",
            )],
        },
        Case {
            name: "no authorizers key",
            yaml: s("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\n"),
            errors: vec![s(
                "authorizers: Required value: at least one authorization mode must be defined",
            )],
        },
        Case {
            name: "missing type",
            yaml: format!("{HEADER}- name: rbac\n"),
            errors: vec![s("authorizers[0].type: Required value")],
        },
        Case {
            name: "unknown type",
            yaml: format!("{HEADER}- type: Foo\n  name: foo\n"),
            errors: vec![s(
                r#"authorizers[0].type: Unsupported value: "Foo": supported values: "ABAC", "AlwaysAllow", "AlwaysDeny", "Node", "RBAC", "Webhook""#,
            )],
        },
        Case {
            name: "duplicate non-repeatable type",
            yaml: format!("{HEADER}- type: RBAC\n  name: rbac\n- type: RBAC\n  name: rbac2\n"),
            errors: vec![s(r#"authorizers[1].type: Duplicate value: "RBAC""#)],
        },
        Case {
            name: "missing name",
            yaml: format!("{HEADER}- type: RBAC\n"),
            errors: vec![s("authorizers[0].name: Required value")],
        },
        Case {
            name: "duplicate name across types",
            yaml: format!(
                "{HEADER}{}- type: AlwaysAllow\n  name: wh\n",
                webhook(&kc, &[])
            ),
            errors: vec![s(r#"authorizers[1].name: Duplicate value: "wh""#)],
        },
        Case {
            name: "uppercase name",
            yaml: format!(
                "{HEADER}- type: Webhook\n  name: Wh\n  webhook:\n    timeout: 3s\n    subjectAccessReviewVersion: v1\n    failurePolicy: Deny\n    connectionInfo: {{type: InClusterConfig}}\n"
            ),
            errors: vec![s(
                r#"authorizers[0].name: Invalid value: "Wh": authorizer name is invalid: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
            )],
        },
        Case {
            name: "subdomain name is valid",
            yaml: wh(&[]).replace("name: wh", "name: guard.example.com"),
            errors: vec![],
        },
        Case {
            name: "name over 253 characters",
            yaml: wh(&[]).replace("name: wh", &format!("name: {}", "a".repeat(254))),
            errors: vec![format!(
                r#"authorizers[0].name: Invalid value: "{}": authorizer name is invalid: must be no more than 253 characters"#,
                "a".repeat(254)
            )],
        },
        Case {
            name: "webhook type without webhook",
            yaml: format!("{HEADER}- type: Webhook\n  name: wh\n"),
            errors: vec![s(
                "authorizers[0].webhook: Required value: required when type=Webhook",
            )],
        },
        Case {
            name: "webhook block on a non-webhook",
            yaml: format!("{HEADER}- type: RBAC\n  name: rbac\n  webhook: {{timeout: 3s}}\n"),
            errors: vec![s(
                r#"authorizers[0].webhook: Invalid value: "non-null": may only be specified when type=Webhook"#,
            )],
        },
        // 2.2
        Case {
            name: "timeout zero",
            yaml: wh(&["timeout: 0s"]),
            errors: vec![s("authorizers[0].timeout: Required value")],
        },
        Case {
            name: "timeout missing",
            yaml: wh(&["-timeout"]),
            errors: vec![s("authorizers[0].timeout: Required value")],
        },
        Case {
            name: "timeout negative",
            yaml: wh(&["timeout: -30s"]),
            errors: vec![s(
                r#"authorizers[0].timeout: Invalid value: "-30s": must be > 0s and <= 30s"#,
            )],
        },
        Case {
            name: "timeout too long",
            yaml: wh(&["timeout: 60s"]),
            errors: vec![s(
                r#"authorizers[0].timeout: Invalid value: "1m0s": must be > 0s and <= 30s"#,
            )],
        },
        Case {
            name: "timeout 30s is valid",
            yaml: wh(&["timeout: 30s"]),
            errors: vec![],
        },
        Case {
            name: "timeout 300ms is valid",
            yaml: wh(&["timeout: 300ms"]),
            errors: vec![],
        },
        Case {
            name: "authorizedTTL zero is defaulted",
            yaml: wh(&["authorizedTTL: 0s"]),
            errors: vec![],
        },
        Case {
            name: "authorizedTTL negative",
            yaml: wh(&["authorizedTTL: -5m"]),
            errors: vec![s(
                r#"authorizers[0].authorizedTTL: Invalid value: "-5m0s": must be > 0s"#,
            )],
        },
        Case {
            name: "unauthorizedTTL negative",
            yaml: wh(&["unauthorizedTTL: -1h30m"]),
            errors: vec![s(
                r#"authorizers[0].unauthorizedTTL: Invalid value: "-1h30m0s": must be > 0s"#,
            )],
        },
        Case {
            name: "SAR version missing",
            yaml: wh(&["-subjectAccessReviewVersion"]),
            errors: vec![s(
                "authorizers[0].subjectAccessReviewVersion: Required value",
            )],
        },
        Case {
            name: "SAR version unknown",
            yaml: wh(&["subjectAccessReviewVersion: v2beta1"]),
            errors: vec![s(
                r#"authorizers[0].subjectAccessReviewVersion: Unsupported value: "v2beta1": supported values: "v1", "v1beta1""#,
            )],
        },
        Case {
            name: "SAR version v1beta1",
            yaml: wh(&["subjectAccessReviewVersion: v1beta1"]),
            errors: vec![],
        },
        Case {
            name: "match condition version missing",
            yaml: wh(&["matchConditions: [{expression: 'true'}]"]),
            errors: vec![s(
                "authorizers[0].matchConditionSubjectAccessReviewVersion: Required value: required if match conditions are specified",
            )],
        },
        Case {
            name: "match condition version v1beta1 even without conditions",
            yaml: wh(&["matchConditionSubjectAccessReviewVersion: v1beta1"]),
            errors: vec![s(
                r#"authorizers[0].matchConditionSubjectAccessReviewVersion: Unsupported value: "v1beta1": supported values: "v1""#,
            )],
        },
        Case {
            name: "failurePolicy missing",
            yaml: wh(&["-failurePolicy"]),
            errors: vec![s("authorizers[0].failurePolicy: Required value")],
        },
        Case {
            name: "failurePolicy unknown",
            yaml: wh(&["failurePolicy: AlwaysAllow"]),
            errors: vec![s(
                r#"authorizers[0].failurePolicy: Unsupported value: "AlwaysAllow": supported values: "NoOpinion", "Deny""#,
            )],
        },
        Case {
            name: "failurePolicy NoOpinion",
            yaml: wh(&["failurePolicy: NoOpinion"]),
            errors: vec![],
        },
        Case {
            name: "connectionInfo missing",
            yaml: wh(&["-connectionInfo"]),
            errors: vec![s("authorizers[0].connectionInfo.type: Required value")],
        },
        Case {
            name: "connectionInfo type unknown",
            yaml: wh(&["connectionInfo: {type: Foo}"]),
            errors: vec![s(
                r#"authorizers[0].connectionInfo.type: Unsupported value: {"Type":"Foo","KubeConfigFile":null}: supported values: "InClusterConfig", "KubeConfigFile""#,
            )],
        },
        Case {
            // The bad value is the whole internal struct, printed as json.Marshal prints it.
            name: "connectionInfo type unknown with a file",
            yaml: wh(&["connectionInfo: {type: Service, kubeConfigFile: '/etc/<a>&b'}"]),
            errors: vec![s(
                r#"authorizers[0].connectionInfo.type: Unsupported value: {"Type":"Service","KubeConfigFile":"/etc/\u003ca\u003e\u0026b"}: supported values: "InClusterConfig", "KubeConfigFile""#,
            )],
        },
        Case {
            name: "InClusterConfig",
            yaml: wh(&["connectionInfo: {type: InClusterConfig}"]),
            errors: vec![],
        },
        Case {
            name: "InClusterConfig with a file",
            yaml: wh(&[&format!(
                "connectionInfo: {{type: InClusterConfig, kubeConfigFile: '{kc}'}}"
            )]),
            errors: vec![format!(
                r#"authorizers[0].connectionInfo.kubeConfigFile: Invalid value: "{kc}": can only be set when type=KubeConfigFile"#
            )],
        },
        Case {
            name: "KubeConfigFile without file",
            yaml: wh(&["connectionInfo: {type: KubeConfigFile}"]),
            errors: vec![s(
                "authorizers[0].connectionInfo.kubeConfigFile: Required value",
            )],
        },
        Case {
            name: "KubeConfigFile relative",
            yaml: wh(&[&format!(
                "connectionInfo: {{type: KubeConfigFile, kubeConfigFile: {relative}}}"
            )]),
            errors: vec![format!(
                r#"authorizers[0].connectionInfo.kubeConfigFile: Invalid value: "{relative}": must be an absolute path"#
            )],
        },
        Case {
            name: "KubeConfigFile missing",
            yaml: wh(&[&format!(
                "connectionInfo: {{type: KubeConfigFile, kubeConfigFile: '{missing}'}}"
            )]),
            errors: vec![format!(
                r#"authorizers[0].connectionInfo.kubeConfigFile: Invalid value: "{missing}": error loading file: stat {missing}: no such file or directory"#
            )],
        },
        Case {
            name: "KubeConfigFile is a directory",
            yaml: wh(&[&format!(
                "connectionInfo: {{type: KubeConfigFile, kubeConfigFile: '{directory}'}}"
            )]),
            errors: vec![format!(
                r#"authorizers[0].connectionInfo.kubeConfigFile: Invalid value: "{directory}": must be a regular file"#
            )],
        },
        Case {
            name: "all webhook errors at once, paths without `webhook`",
            yaml: wh(&[
                "timeout: 31s",
                "-failurePolicy",
                "subjectAccessReviewVersion: v3",
            ]),
            errors: vec![
                s(r#"authorizers[0].timeout: Invalid value: "31s": must be > 0s and <= 30s"#),
                s(
                    r#"authorizers[0].subjectAccessReviewVersion: Unsupported value: "v3": supported values: "v1", "v1beta1""#,
                ),
                s("authorizers[0].failurePolicy: Required value"),
            ],
        },
        // 2.3
        Case {
            name: "65 conditions",
            yaml: wh(&[
                "matchConditionSubjectAccessReviewVersion: v1",
                &format!(
                    "matchConditions: [{}]",
                    (0..65)
                        .map(|i| format!("{{expression: 'request.user != \"u{i}\"'}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ]),
            errors: vec![s(
                "authorizers[0].matchConditions: Too many: 65: must have at most 64 items",
            )],
        },
        Case {
            name: "blank expression",
            yaml: wh(&[
                "matchConditionSubjectAccessReviewVersion: v1",
                "matchConditions: [{expression: '  '}]",
            ]),
            errors: vec![s(
                "authorizers[0].matchConditions[0].expression: Required value",
            )],
        },
        Case {
            name: "duplicate expression",
            yaml: wh(&[
                "matchConditionSubjectAccessReviewVersion: v1",
                "matchConditions: [{expression: 'true'}, {expression: 'true'}]",
            ]),
            errors: vec![s(
                r#"authorizers[0].matchConditions[1].expression: Duplicate value: "true""#,
            )],
        },
        // 2.4
        Case {
            name: "non-webhook name must be the lower-cased type",
            yaml: format!(
                "{HEADER}- type: RBAC\n  name: rbac.k8s.io\n- type: AlwaysDeny\n  name: deny\n"
            ),
            errors: vec![
                s("expected name rbac for authorizer RBAC instead of rbac.k8s.io"),
                s("expected name alwaysdeny for authorizer AlwaysDeny instead of deny"),
            ],
        },
        Case {
            name: "ABAC is not supported",
            yaml: format!("{HEADER}- type: ABAC\n  name: abac\n"),
            errors: vec![s(
                r#"authorizers[0].type: Unsupported value: "ABAC": authz-chain does not support ABAC (its policy file is a kube-apiserver flag outside AuthorizationConfiguration); use RBAC or a Webhook"#,
            )],
        },
        Case {
            name: "webhook kubeconfig that does not load",
            yaml: format!("{HEADER}{}", webhook(&write_garbage(dir.path()), &[])),
            errors: vec![format!(
                "invalid authorization config: error loading config file {:?}: invalid configuration: no current-context is set",
                dir.path().join("garbage.kubeconfig")
            )],
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let got = errors_of(&case.yaml, &[]);
        if got != case.errors {
            failures.push(format!(
                "{}:\n  want {:?}\n  got  {:?}",
                case.name, case.errors, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn write_garbage(dir: &Path) -> String {
    let path = dir.join("garbage.kubeconfig");
    std::fs::write(&path, "apiVersion: v1\nkind: Config\n").expect("write");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn reload_requires_the_start_up_types() {
    let yaml = format!("{HEADER}- type: RBAC\n  name: rbac\n");
    assert_eq!(
        errors_of(&yaml, &["Node", "RBAC"]),
        vec![s("missing required types: [Node]")]
    );
    assert_eq!(errors_of(&yaml, &["RBAC"]), Vec::<String>::new());
}

#[test]
fn go_durations_in_every_duration_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfig(dir.path());
    let yaml = format!(
        "{HEADER}{}",
        webhook(
            &kc,
            &[
                "timeout: 1.5s",
                "authorizedTTL: 1h30m",
                "unauthorizedTTL: 300ms",
                "cacheUnauthorizedRequests: false"
            ]
        )
    );
    let loaded = config::load_data(yaml.as_bytes(), &[]).expect("valid");
    let config::AuthorizerSpec::Webhook(spec) = &loaded.chain.authorizers[0] else {
        panic!("expected a webhook");
    };
    assert_eq!(spec.timeout.to_string(), "1.5s");
    assert_eq!(
        spec.authorized_ttl.map(|d| d.to_string()).as_deref(),
        Some("1h30m0s")
    );
    assert_eq!(
        spec.unauthorized_ttl, None,
        "cacheUnauthorizedRequests: false disables that cache"
    );
    for bad in ["1d", "3 seconds", "5"] {
        let yaml = format!("{HEADER}{}", webhook(&kc, &[&format!("timeout: '{bad}'")]));
        let error = config::load_data(yaml.as_bytes(), &[])
            .expect_err(bad)
            .to_string();
        assert!(error.contains("time: "), "{bad}: {error}");
    }
}
