//! Values of the wrong type in AuthorizationConfiguration files, read from real files with
//! `config::load_file` (and one through `authz-chain check`), for every kind of typed field and
//! every API version: kube-apiserver converts YAML to JSON (YAML 1.1 scalars: `yes` is a bool,
//! `'false'` a string) and decodes it with Go's `encoding/json` rules, so a string is never a
//! bool and a number never a string. Expected texts are the Go error messages; `{pkg}` is the
//! version's Go package, which Go type names include (`[]v1beta1.AuthorizerConfiguration`).

mod common;

use std::path::Path;

use authz_chain::config::{self, ConfigError};
use common::*;

const VERSIONS: [(&str, &str); 3] = [
    ("apiserver.config.k8s.io/v1alpha1", "v1alpha1"),
    ("apiserver.config.k8s.io/v1beta1", "v1beta1"),
    ("apiserver.config.k8s.io/v1", "v1"),
];

const PREFIX: &str = "failed to load AuthorizationConfiguration from file: ";

/// Where an override goes.
#[derive(Clone, Copy)]
enum At {
    /// A top-level key (`authorizers` replaces the whole list).
    Top,
    /// A key of the webhook entry (`webhook` replaces its whole block).
    Authorizer,
    /// A key of its `webhook:` block.
    Webhook,
}

enum Want {
    /// Loads.
    Valid,
    /// Refused while decoding with this message (after the common prefix).
    Decode(&'static str),
    /// Decodes, then validation reports this line.
    Invalid(&'static str),
}

struct Case {
    name: &'static str,
    set: &'static [(At, &'static str, &'static str)],
    want: Want,
}

/// A kubeconfig that loads.
fn kubeconfig(dir: &Path) -> String {
    let path = write_file(
        dir,
        "webhook.kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9444/authorize'}\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n",
    );
    path.to_str().expect("utf-8").to_owned()
}

fn apply(fields: &mut Vec<(String, String)>, key: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == key) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((key.to_owned(), value.to_owned())),
    }
}

/// A valid one-webhook configuration with `set` applied, in block YAML.
fn document(api_version: &str, kubeconfig: &str, set: &[(At, &str, &str)]) -> String {
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let connection = format!("{{type: KubeConfigFile, kubeConfigFile: '{kubeconfig}'}}");
    let mut top = pairs(&[
        ("apiVersion", api_version),
        ("kind", "AuthorizationConfiguration"),
    ]);
    let mut authorizer = pairs(&[("type", "Webhook"), ("name", "wh")]);
    let mut webhook = pairs(&[
        ("timeout", "3s"),
        ("subjectAccessReviewVersion", "v1"),
        ("failurePolicy", "Deny"),
        ("connectionInfo", &connection),
    ]);
    for (at, key, value) in set {
        let fields = match at {
            At::Top => &mut top,
            At::Authorizer => &mut authorizer,
            At::Webhook => &mut webhook,
        };
        apply(fields, key, value);
    }
    let mut text = String::new();
    for (k, v) in &top {
        text.push_str(&format!("{k}: {v}\n"));
    }
    if top.iter().any(|(k, _)| k == "authorizers") {
        return text;
    }
    text.push_str("authorizers:\n");
    for (i, (k, v)) in authorizer.iter().enumerate() {
        let lead = if i == 0 { "- " } else { "  " };
        text.push_str(&format!("{lead}{k}: {v}\n"));
    }
    if authorizer.iter().any(|(k, _)| k == "webhook") {
        return text;
    }
    text.push_str("  webhook:\n");
    for (k, v) in &webhook {
        text.push_str(&format!("    {k}: {v}\n"));
    }
    text
}

fn outcome(path: &Path) -> Result<(), Vec<String>> {
    match config::load_file(path, &[]) {
        Ok(_) => Ok(()),
        Err(ConfigError::Load(e)) => Err(vec![e.to_string()]),
        Err(ConfigError::Invalid(lines)) => Err(lines),
    }
}

fn check_cases(cases: &[Case]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfig(dir.path());
    let mut failures = Vec::new();
    for (api_version, pkg) in VERSIONS {
        for case in cases {
            let text = document(api_version, &kc, case.set);
            let path = write_file(dir.path(), "config.yaml", &text);
            let want = match &case.want {
                Want::Valid => Ok(()),
                Want::Decode(message) => {
                    Err(vec![format!("{PREFIX}{}", message.replace("{pkg}", pkg))])
                }
                Want::Invalid(line) => Err(vec![(*line).to_owned()]),
            };
            let got = outcome(&path);
            if got != want {
                failures.push(format!(
                    "{} ({pkg}):\n  want {want:?}\n  got  {got:?}\n{text}",
                    case.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const IN_WEBHOOK: &str = "Go struct field WebhookConfiguration.authorizers.webhook";

#[test]
fn bool_fields_take_only_booleans() {
    use At::Webhook as W;
    check_cases(&[
        Case {
            name: "quoted 'false'",
            set: &[(W, "cacheAuthorizedRequests", "'false'")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field WebhookConfiguration.authorizers.webhook.cacheAuthorizedRequests of type bool",
            ),
        },
        Case {
            name: "double-quoted \"true\"",
            set: &[(W, "cacheUnauthorizedRequests", "\"true\"")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field WebhookConfiguration.authorizers.webhook.cacheUnauthorizedRequests of type bool",
            ),
        },
        Case {
            name: "a number",
            set: &[(W, "cacheAuthorizedRequests", "0")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field WebhookConfiguration.authorizers.webhook.cacheAuthorizedRequests of type bool",
            ),
        },
        Case {
            name: "a list",
            set: &[(W, "cacheAuthorizedRequests", "[true]")],
            want: Want::Decode(
                "json: cannot unmarshal array into Go struct field WebhookConfiguration.authorizers.webhook.cacheAuthorizedRequests of type bool",
            ),
        },
        Case {
            name: "a map",
            set: &[(W, "cacheAuthorizedRequests", "{on: true}")],
            want: Want::Decode(
                "json: cannot unmarshal object into Go struct field WebhookConfiguration.authorizers.webhook.cacheAuthorizedRequests of type bool",
            ),
        },
        Case {
            name: "YAML 1.1 booleans are booleans",
            set: &[
                (W, "cacheAuthorizedRequests", "no"),
                (W, "cacheUnauthorizedRequests", "On"),
            ],
            want: Want::Valid,
        },
        Case {
            name: "null leaves the default",
            set: &[(W, "cacheAuthorizedRequests", "~")],
            want: Want::Valid,
        },
    ]);
}

#[test]
fn string_fields_take_only_strings() {
    use At::{Authorizer as A, Webhook as W};
    check_cases(&[
        Case {
            name: "name as an integer",
            set: &[(A, "name", "5")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field AuthorizerConfiguration.authorizers.name of type string",
            ),
        },
        Case {
            name: "name as a hex integer",
            set: &[(A, "name", "0x10")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field AuthorizerConfiguration.authorizers.name of type string",
            ),
        },
        Case {
            name: "name as a float",
            set: &[(A, "name", "1e3")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field AuthorizerConfiguration.authorizers.name of type string",
            ),
        },
        Case {
            name: "name as a YAML 1.1 bool",
            set: &[(A, "name", "yes")],
            want: Want::Decode(
                "json: cannot unmarshal bool into Go struct field AuthorizerConfiguration.authorizers.name of type string",
            ),
        },
        Case {
            name: "type as a bool",
            set: &[(A, "type", "true")],
            want: Want::Decode(
                "json: cannot unmarshal bool into Go struct field AuthorizerConfiguration.authorizers.type of type string",
            ),
        },
        Case {
            name: "name as a list",
            set: &[(A, "name", "[wh]")],
            want: Want::Decode(
                "json: cannot unmarshal array into Go struct field AuthorizerConfiguration.authorizers.name of type string",
            ),
        },
        Case {
            name: "subjectAccessReviewVersion as a number",
            set: &[(W, "subjectAccessReviewVersion", "1")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field WebhookConfiguration.authorizers.webhook.subjectAccessReviewVersion of type string",
            ),
        },
        Case {
            name: "matchConditionSubjectAccessReviewVersion as a number",
            set: &[(W, "matchConditionSubjectAccessReviewVersion", "1")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field WebhookConfiguration.authorizers.webhook.matchConditionSubjectAccessReviewVersion of type string",
            ),
        },
        Case {
            name: "failurePolicy as a bool",
            set: &[(W, "failurePolicy", "off")],
            want: Want::Decode(
                "json: cannot unmarshal bool into Go struct field WebhookConfiguration.authorizers.webhook.failurePolicy of type string",
            ),
        },
        Case {
            name: "connectionInfo.type as a number",
            set: &[(W, "connectionInfo", "{type: 7}")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field WebhookConnectionInfo.authorizers.webhook.connectionInfo.type of type string",
            ),
        },
        Case {
            name: "kubeConfigFile as a bool",
            set: &[(
                W,
                "connectionInfo",
                "{type: KubeConfigFile, kubeConfigFile: y}",
            )],
            want: Want::Decode(
                "json: cannot unmarshal bool into Go struct field WebhookConnectionInfo.authorizers.webhook.connectionInfo.kubeConfigFile of type string",
            ),
        },
        Case {
            name: "expression as a number",
            set: &[
                (W, "matchConditionSubjectAccessReviewVersion", "v1"),
                (W, "matchConditions", "[{expression: 1}]"),
            ],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field WebhookMatchCondition.authorizers.webhook.matchConditions.expression of type string",
            ),
        },
        Case {
            name: "an unquoted timestamp stays a string",
            set: &[(A, "name", "2001-12-14")],
            want: Want::Valid,
        },
        Case {
            name: "a quoted number is a string",
            set: &[(A, "name", "'5'")],
            want: Want::Valid,
        },
        Case {
            name: "a null string is empty",
            set: &[(A, "name", "~")],
            want: Want::Invalid("authorizers[0].name: Required value"),
        },
    ]);
}

#[test]
fn lists_and_structs_take_only_lists_and_maps() {
    use At::{Authorizer as A, Top as T, Webhook as W};
    check_cases(&[
        Case {
            name: "authorizers as a string",
            set: &[(T, "authorizers", "rbac")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field AuthorizationConfiguration.authorizers of type []{pkg}.AuthorizerConfiguration",
            ),
        },
        Case {
            name: "authorizers as a map",
            set: &[(T, "authorizers", "{type: RBAC, name: rbac}")],
            want: Want::Decode(
                "json: cannot unmarshal object into Go struct field AuthorizationConfiguration.authorizers of type []{pkg}.AuthorizerConfiguration",
            ),
        },
        Case {
            name: "an authorizer as a string",
            set: &[(T, "authorizers", "[rbac]")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field AuthorizationConfiguration.authorizers of type {pkg}.AuthorizerConfiguration",
            ),
        },
        Case {
            name: "a null authorizer is an empty one",
            set: &[(T, "authorizers", "[~]")],
            want: Want::Invalid("authorizers[0].type: Required value"),
        },
        Case {
            name: "webhook as a string",
            set: &[(A, "webhook", "yes please")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field AuthorizerConfiguration.authorizers.webhook of type {pkg}.WebhookConfiguration",
            ),
        },
        Case {
            name: "webhook as a list",
            set: &[(A, "webhook", "[]")],
            want: Want::Decode(
                "json: cannot unmarshal array into Go struct field AuthorizerConfiguration.authorizers.webhook of type {pkg}.WebhookConfiguration",
            ),
        },
        Case {
            name: "webhook null",
            set: &[(A, "webhook", "~")],
            want: Want::Invalid(
                "authorizers[0].webhook: Required value: required when type=Webhook",
            ),
        },
        Case {
            name: "connectionInfo as a string",
            set: &[(W, "connectionInfo", "KubeConfigFile")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field WebhookConfiguration.authorizers.webhook.connectionInfo of type {pkg}.WebhookConnectionInfo",
            ),
        },
        Case {
            name: "connectionInfo null is left empty",
            set: &[(W, "connectionInfo", "null")],
            want: Want::Invalid("authorizers[0].connectionInfo.type: Required value"),
        },
        Case {
            name: "matchConditions as a string",
            set: &[(W, "matchConditions", "request.user == 'a'")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field WebhookConfiguration.authorizers.webhook.matchConditions of type []{pkg}.WebhookMatchCondition",
            ),
        },
        Case {
            name: "a match condition as a bare expression",
            set: &[(W, "matchConditions", "[\"request.user == 'a'\"]")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field WebhookConfiguration.authorizers.webhook.matchConditions of type {pkg}.WebhookMatchCondition",
            ),
        },
    ]);
}

#[test]
fn durations_decode_a_string_then_parse_it() {
    use At::Webhook as W;
    check_cases(&[
        Case {
            name: "timeout as a number",
            set: &[(W, "timeout", "5")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field WebhookConfiguration.authorizers.webhook.timeout of type string",
            ),
        },
        Case {
            name: "authorizedTTL as a float",
            set: &[(W, "authorizedTTL", "1.5")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field WebhookConfiguration.authorizers.webhook.authorizedTTL of type string",
            ),
        },
        Case {
            name: "unauthorizedTTL as a bool",
            set: &[(W, "unauthorizedTTL", "true")],
            want: Want::Decode(
                "json: cannot unmarshal bool into Go struct field WebhookConfiguration.authorizers.webhook.unauthorizedTTL of type string",
            ),
        },
        Case {
            name: "timeout as a list",
            set: &[(W, "timeout", "[3s]")],
            want: Want::Decode(
                "json: cannot unmarshal array into Go struct field WebhookConfiguration.authorizers.webhook.timeout of type string",
            ),
        },
        Case {
            name: "timeout as a map",
            set: &[(W, "timeout", "{seconds: 3}")],
            want: Want::Decode(
                "json: cannot unmarshal object into Go struct field WebhookConfiguration.authorizers.webhook.timeout of type string",
            ),
        },
        Case {
            name: "null is the empty duration string",
            set: &[(W, "authorizedTTL", "~")],
            want: Want::Decode("time: invalid duration \"\""),
        },
        Case {
            name: "a quoted duration",
            set: &[(W, "timeout", "'3s'")],
            want: Want::Valid,
        },
    ]);
}

#[test]
fn the_first_error_in_go_order_wins() {
    use At::{Authorizer as A, Top as T, Webhook as W};
    check_cases(&[
        Case {
            // YAMLToJSON sorts keys: cacheAuthorizedRequests comes before failurePolicy.
            name: "type errors: the first in sorted key order",
            set: &[
                (W, "failurePolicy", "1"),
                (W, "cacheAuthorizedRequests", "'no'"),
            ],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field WebhookConfiguration.authorizers.webhook.cacheAuthorizedRequests of type bool",
            ),
        },
        Case {
            name: "a duration error stops decoding and replaces an earlier type error",
            set: &[(W, "cacheAuthorizedRequests", "'no'"), (W, "timeout", "5")],
            want: Want::Decode(
                "json: cannot unmarshal number into Go struct field WebhookConfiguration.authorizers.webhook.timeout of type string",
            ),
        },
        Case {
            name: "a type error beats unknown and duplicate fields",
            set: &[(A, "mode", "x"), (W, "cacheAuthorizedRequests", "'no'")],
            want: Want::Decode(
                "json: cannot unmarshal string into Go struct field WebhookConfiguration.authorizers.webhook.cacheAuthorizedRequests of type bool",
            ),
        },
        Case {
            name: "unknown fields without a type error",
            set: &[(A, "mode", "x"), (T, "extra", "1")],
            want: Want::Decode(
                r#"strict decoding error: unknown field "authorizers[0].mode", unknown field "extra""#,
            ),
        },
        Case {
            name: "apiVersion is read first, by encoding/json",
            set: &[(T, "kind", "1"), (W, "timeout", "5")],
            want: Want::Decode(
                "couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string",
            ),
        },
    ]);
}

/// A JSON file is decoded as written: no YAML resolution, keys in document order.
#[test]
fn json_files_decode_in_document_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfig(dir.path());
    let webhook = |fields: &str| {
        format!(
            r#"{{"apiVersion": "apiserver.config.k8s.io/v1beta1", "kind": "AuthorizationConfiguration", "authorizers": [{{"type": "Webhook", "name": "wh", "webhook": {{"timeout": "3s", "subjectAccessReviewVersion": "v1", "connectionInfo": {{"type": "KubeConfigFile", "kubeConfigFile": "{kc}"}}{fields}}}}}]}}"#
        )
    };
    let cases = [
        (
            webhook(r#", "failurePolicy": "Deny", "cacheAuthorizedRequests": "false""#),
            Err(format!(
                "{PREFIX}json: cannot unmarshal string into {IN_WEBHOOK}.cacheAuthorizedRequests of type bool"
            )),
        ),
        (
            webhook(r#", "failurePolicy": 1, "cacheAuthorizedRequests": "false""#),
            Err(format!(
                "{PREFIX}json: cannot unmarshal number into {IN_WEBHOOK}.failurePolicy of type string"
            )),
        ),
        (
            webhook(r#", "failurePolicy": "Deny", "failurePolicy": "Deny""#),
            Err(format!(
                r#"{PREFIX}strict decoding error: duplicate field "authorizers[0].webhook.failurePolicy""#
            )),
        ),
        (
            webhook(r#", "failurePolicy": "Deny", "cacheAuthorizedRequests": false"#),
            Ok(()),
        ),
    ];
    for (text, want) in cases {
        let path = write_file(dir.path(), "config.json", &text);
        let got = outcome(&path).map_err(|lines| lines.join("\n"));
        assert_eq!(got, want, "{text}");
    }
}

/// `authz-chain check` prints the same line kube-apiserver does.
#[test]
fn check_prints_the_type_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfig(dir.path());
    let text = document(
        "apiserver.config.k8s.io/v1",
        &kc,
        &[(At::Webhook, "cacheAuthorizedRequests", "'false'")],
    );
    let config = write_file(dir.path(), "config.yaml", &text);
    let output = binary()
        .args(["check", "--authorization-config"])
        .arg(&config)
        .output()
        .expect("run check");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        format!(
            "{PREFIX}json: cannot unmarshal string into {IN_WEBHOOK}.cacheAuthorizedRequests of type bool"
        )
    );
}
