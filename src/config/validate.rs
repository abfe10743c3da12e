//! Validation with Kubernetes field paths (`pkg/apis/apiserver/validation`), then the checks
//! kube-apiserver adds on top (`pkg/kubeapiserver/authorizer/config.go`). The result is a typed
//! [`ChainConfig`] with every matchCondition already compiled.

use crate::api::sar::ReviewVersion;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::types::{AuthorizationConfiguration, WebhookConfiguration};
use crate::cel::{CompileError, CompiledCondition, compile_match_condition};
use crate::field::{BadValue, FieldError};
use crate::go::{Duration, GoJson};

/// Types kube-apiserver knows (`modes.AuthorizationModeChoices`), sorted as its messages list them.
pub const KNOWN_TYPES: [&str; 6] = [
    "ABAC",
    "AlwaysAllow",
    "AlwaysDeny",
    "Node",
    "RBAC",
    "Webhook",
];

/// At most this many matchConditions per webhook.
pub const MAX_MATCH_CONDITIONS: usize = 64;

/// A validated chain configuration.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// The authorizers, in order.
    pub authorizers: Vec<AuthorizerSpec>,
}

/// One validated chain entry.
#[derive(Clone, Debug)]
pub enum AuthorizerSpec {
    /// `type: Node` (named `node`).
    Node,
    /// `type: RBAC` (named `rbac`).
    Rbac,
    /// `type: AlwaysAllow` (named `alwaysallow`).
    AlwaysAllow,
    /// `type: AlwaysDeny` (named `alwaysdeny`).
    AlwaysDeny,
    /// `type: Webhook`.
    Webhook(Arc<WebhookSpec>),
}

impl AuthorizerSpec {
    /// The configured type.
    pub fn kind(&self) -> &'static str {
        match self {
            AuthorizerSpec::Node => "Node",
            AuthorizerSpec::Rbac => "RBAC",
            AuthorizerSpec::AlwaysAllow => "AlwaysAllow",
            AuthorizerSpec::AlwaysDeny => "AlwaysDeny",
            AuthorizerSpec::Webhook(_) => "Webhook",
        }
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        match self {
            AuthorizerSpec::Node => "node",
            AuthorizerSpec::Rbac => "rbac",
            AuthorizerSpec::AlwaysAllow => "alwaysallow",
            AuthorizerSpec::AlwaysDeny => "alwaysdeny",
            AuthorizerSpec::Webhook(w) => &w.name,
        }
    }
}

/// What to do when a webhook cannot answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Return NoOpinion (with the error): the chain goes on.
    NoOpinion,
    /// Return Deny (with the error): the chain stops.
    Deny,
}

/// Where a webhook is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// A kubeconfig file naming the server and credentials.
    KubeConfigFile(PathBuf),
    /// The cluster's own SubjectAccessReview API, with the pod's service-account credentials.
    InCluster,
}

/// A validated `Webhook` entry.
#[derive(Clone, Debug)]
pub struct WebhookSpec {
    /// Unique name.
    pub name: String,
    /// TTL of allowed answers; `None` when `cacheAuthorizedRequests: false`.
    pub authorized_ttl: Option<Duration>,
    /// TTL of other answers; `None` when `cacheUnauthorizedRequests: false`.
    pub unauthorized_ttl: Option<Duration>,
    /// Limit of one attempt.
    pub timeout: Duration,
    /// Version spoken with the webhook.
    pub sar_version: ReviewVersion,
    /// Decision on failure.
    pub failure_policy: FailurePolicy,
    /// Where to send requests.
    pub connection: Connection,
    /// Compiled matchConditions (empty matches everything).
    pub match_conditions: Vec<Arc<CompiledCondition>>,
}

/// Every validation rule of `ValidateAuthorizationConfiguration`, in upstream order. On success,
/// the typed chain with its matchConditions compiled.
pub fn validate(config: &AuthorizationConfiguration) -> Result<ChainConfig, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut specs = Vec::new();
    let authorizers = config.authorizers.as_deref().unwrap_or_default();
    if authorizers.is_empty() {
        errors.push(FieldError::required(
            "authorizers",
            "at least one authorization mode must be defined",
        ));
    }
    let mut seen_types: Vec<&str> = Vec::new();
    let mut seen_names: Vec<&str> = Vec::new();
    for (i, authorizer) in authorizers.iter().enumerate() {
        let path = format!("authorizers[{i}]");
        let kind = authorizer.kind.as_deref().unwrap_or_default();
        if kind.is_empty() {
            errors.push(FieldError::required(format!("{path}.type"), ""));
            continue;
        }
        if !KNOWN_TYPES.contains(&kind) {
            errors.push(FieldError::not_supported(
                format!("{path}.type"),
                BadValue::Str(kind.to_owned()),
                &KNOWN_TYPES,
            ));
            continue;
        }
        if seen_types.contains(&kind) && kind != "Webhook" {
            errors.push(FieldError::duplicate(format!("{path}.type"), kind));
            continue;
        }
        seen_types.push(kind);

        let name = authorizer.name.as_deref().unwrap_or_default();
        if name.is_empty() {
            errors.push(FieldError::required(format!("{path}.name"), ""));
        } else if seen_names.contains(&name) {
            errors.push(FieldError::duplicate(format!("{path}.name"), name));
        } else if let Some(problem) = dns1123_subdomain_error(name) {
            errors.push(FieldError::invalid(
                format!("{path}.name"),
                name,
                format!("authorizer name is invalid: {problem}"),
            ));
        }
        seen_names.push(name);

        match (kind, &authorizer.webhook) {
            ("Webhook", None) => {
                errors.push(FieldError::required(
                    format!("{path}.webhook"),
                    "required when type=Webhook",
                ));
            }
            ("Webhook", Some(webhook)) => match validate_webhook(&path, webhook) {
                Ok(mut spec) => {
                    spec.name = name.to_owned();
                    specs.push(AuthorizerSpec::Webhook(Arc::new(spec)));
                }
                Err(webhook_errors) => errors.extend(webhook_errors),
            },
            (_, Some(_)) => errors.push(FieldError::invalid(
                format!("{path}.webhook"),
                "non-null",
                "may only be specified when type=Webhook",
            )),
            ("Node", None) => specs.push(AuthorizerSpec::Node),
            ("RBAC", None) => specs.push(AuthorizerSpec::Rbac),
            ("AlwaysAllow", None) => specs.push(AuthorizerSpec::AlwaysAllow),
            ("AlwaysDeny", None) => specs.push(AuthorizerSpec::AlwaysDeny),
            // ABAC: refused by `check_kube_apiserver_rules`.
            (_, None) => {}
        }
    }
    if errors.is_empty() {
        Ok(ChainConfig { authorizers: specs })
    } else {
        Err(errors)
    }
}

/// The kube-apiserver checks that follow field validation: non-webhook names must be the
/// lower-cased type, types present at start-up must stay (on reload), and ABAC, which authz-chain
/// does not implement, is refused.
pub fn check_kube_apiserver_rules(
    config: &AuthorizationConfiguration,
    required_types: &[&str],
) -> Vec<String> {
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    for (i, authorizer) in config.authorizers.iter().flatten().enumerate() {
        let kind = authorizer.kind.as_deref().unwrap_or_default();
        if kind == "Webhook" {
            continue;
        }
        seen.push(kind);
        let expected = kind.to_lowercase();
        let name = authorizer.name.as_deref().unwrap_or_default();
        if expected != name {
            errors.push(format!(
                "expected name {expected} for authorizer {kind} instead of {name}"
            ));
        }
        if kind == "ABAC" {
            errors.push(format!(
                "authorizers[{i}].type: Unsupported value: \"ABAC\": authz-chain does not support ABAC (its policy file is a kube-apiserver flag outside AuthorizationConfiguration); use RBAC or a Webhook"
            ));
        }
    }
    let mut missing: Vec<&str> = required_types
        .iter()
        .copied()
        .filter(|t| !seen.contains(t))
        .collect();
    missing.sort_unstable();
    if !missing.is_empty() {
        errors.push(format!("missing required types: [{}]", missing.join(" ")));
    }
    errors
}

/// `ValidateWebhookConfiguration`: every check runs, errors accumulate. Paths omit the `webhook`
/// segment, as upstream's do (`authorizers[0].timeout`).
fn validate_webhook(
    path: &str,
    webhook: &WebhookConfiguration,
) -> Result<WebhookSpec, Vec<FieldError>> {
    let mut errors = Vec::new();
    let timeout = webhook.timeout.unwrap_or(Duration::ZERO);
    let thirty_seconds = Duration::from_secs(30);
    if timeout == Duration::ZERO {
        errors.push(FieldError::required(format!("{path}.timeout"), ""));
    } else if timeout > thirty_seconds || timeout.is_negative() {
        errors.push(FieldError::invalid(
            format!("{path}.timeout"),
            timeout.to_string(),
            "must be > 0s and <= 30s",
        ));
    }
    for (field, ttl) in [
        ("authorizedTTL", webhook.authorized_ttl),
        ("unauthorizedTTL", webhook.unauthorized_ttl),
    ] {
        let ttl = ttl.unwrap_or(Duration::ZERO);
        if ttl == Duration::ZERO {
            errors.push(FieldError::required(format!("{path}.{field}"), ""));
        } else if ttl.is_negative() {
            errors.push(FieldError::invalid(
                format!("{path}.{field}"),
                ttl.to_string(),
                "must be > 0s",
            ));
        }
    }
    let sar_version = match webhook
        .subject_access_review_version
        .as_deref()
        .unwrap_or_default()
    {
        "" => {
            errors.push(FieldError::required(
                format!("{path}.subjectAccessReviewVersion"),
                "",
            ));
            ReviewVersion::V1
        }
        "v1" => ReviewVersion::V1,
        "v1beta1" => ReviewVersion::V1beta1,
        other => {
            errors.push(FieldError::not_supported(
                format!("{path}.subjectAccessReviewVersion"),
                BadValue::Str(other.to_owned()),
                &["v1", "v1beta1"],
            ));
            ReviewVersion::V1
        }
    };
    let conditions = webhook.match_conditions.as_deref().unwrap_or_default();
    match webhook
        .match_condition_subject_access_review_version
        .as_deref()
        .unwrap_or_default()
    {
        "" if !conditions.is_empty() => errors.push(FieldError::required(
            format!("{path}.matchConditionSubjectAccessReviewVersion"),
            "required if match conditions are specified",
        )),
        "" | "v1" => {}
        other => errors.push(FieldError::not_supported(
            format!("{path}.matchConditionSubjectAccessReviewVersion"),
            BadValue::Str(other.to_owned()),
            &["v1"],
        )),
    }
    let failure_policy = match webhook.failure_policy.as_deref().unwrap_or_default() {
        "" => {
            errors.push(FieldError::required(format!("{path}.failurePolicy"), ""));
            FailurePolicy::NoOpinion
        }
        "NoOpinion" => FailurePolicy::NoOpinion,
        "Deny" => FailurePolicy::Deny,
        other => {
            errors.push(FieldError::not_supported(
                format!("{path}.failurePolicy"),
                BadValue::Str(other.to_owned()),
                &["NoOpinion", "Deny"],
            ));
            FailurePolicy::NoOpinion
        }
    };
    let connection = validate_connection(path, webhook, &mut errors);
    let match_conditions = compile_match_conditions(
        path,
        conditions.iter().map(|c| c.expression.as_str()),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(WebhookSpec {
        name: String::new(),
        authorized_ttl: webhook
            .cache_authorized_requests
            .unwrap_or(true)
            .then_some(webhook.authorized_ttl.unwrap_or(Duration::from_secs(300))),
        unauthorized_ttl: webhook
            .cache_unauthorized_requests
            .unwrap_or(true)
            .then_some(webhook.unauthorized_ttl.unwrap_or(Duration::from_secs(30))),
        timeout,
        sar_version,
        failure_policy,
        connection: connection.unwrap_or(Connection::InCluster),
        match_conditions,
    })
}

fn validate_connection(
    path: &str,
    webhook: &WebhookConfiguration,
    errors: &mut Vec<FieldError>,
) -> Option<Connection> {
    let info = &webhook.connection_info;
    let file_path = format!("{path}.connectionInfo.kubeConfigFile");
    match info.kind.as_deref().unwrap_or_default() {
        "" => errors.push(FieldError::required(
            format!("{path}.connectionInfo.type"),
            "",
        )),
        "InClusterConfig" => match &info.kube_config_file {
            Some(file) => errors.push(FieldError::invalid(
                file_path,
                file,
                "can only be set when type=KubeConfigFile",
            )),
            None => return Some(Connection::InCluster),
        },
        "KubeConfigFile" => match info.kube_config_file.as_deref().unwrap_or_default() {
            "" => errors.push(FieldError::required(file_path, "")),
            file if !Path::new(file).is_absolute() => {
                errors.push(FieldError::invalid(
                    file_path,
                    file,
                    "must be an absolute path",
                ));
            }
            file => match std::fs::metadata(file) {
                Err(e) => errors.push(FieldError::invalid(
                    file_path,
                    file,
                    format!("error loading file: stat {file}: {}", go_errno_text(&e)),
                )),
                Ok(meta) if !meta.is_file() => {
                    errors.push(FieldError::invalid(
                        file_path,
                        file,
                        "must be a regular file",
                    ));
                }
                Ok(_) => return Some(Connection::KubeConfigFile(PathBuf::from(file))),
            },
        },
        // Upstream reports the whole internal `api.WebhookConnectionInfo`, a struct without
        // `json` tags, which a field error prints as `json.Marshal` gives it.
        other => errors.push(FieldError::not_supported(
            format!("{path}.connectionInfo.type"),
            BadValue::Json(GoJson::Object(vec![
                ("Type".to_owned(), GoJson::Str(other.to_owned())),
                (
                    "KubeConfigFile".to_owned(),
                    GoJson::opt_str(info.kube_config_file.as_deref()),
                ),
            ])),
            &["InClusterConfig", "KubeConfigFile"],
        )),
    }
    None
}

/// `compileMatchConditions`: at most 64; blank → Required; repeated → Duplicate; then compile.
fn compile_match_conditions<'e>(
    path: &str,
    expressions: impl ExactSizeIterator<Item = &'e str>,
    errors: &mut Vec<FieldError>,
) -> Vec<Arc<CompiledCondition>> {
    if expressions.len() > MAX_MATCH_CONDITIONS {
        errors.push(FieldError::too_many(
            format!("{path}.matchConditions"),
            expressions.len(),
            MAX_MATCH_CONDITIONS,
        ));
        return Vec::new();
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut compiled = Vec::new();
    for (j, expression) in expressions.enumerate() {
        let field = format!("{path}.matchConditions[{j}].expression");
        if expression.trim().is_empty() {
            errors.push(FieldError::required(field, ""));
            continue;
        }
        if seen.contains(&expression) {
            errors.push(FieldError::duplicate(field, expression));
            continue;
        }
        seen.push(expression);
        match compile_match_condition(expression) {
            Ok(condition) => compiled.push(Arc::new(condition)),
            Err(CompileError::Invalid { detail }) => {
                errors.push(FieldError::invalid(field, expression, detail))
            }
            Err(CompileError::Internal { detail }) => {
                errors.push(FieldError::internal(field, detail))
            }
        }
    }
    compiled
}

/// `IsDNS1123Subdomain`: the problems, joined as upstream joins them, or `None`.
fn dns1123_subdomain_error(name: &str) -> Option<String> {
    static SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
            .expect("static regex")
    });
    let mut problems = Vec::new();
    if name.len() > 253 {
        problems.push("must be no more than 253 characters".to_owned());
    }
    if !SUBDOMAIN.is_match(name) {
        problems.push(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
                .to_owned(),
        );
    }
    (!problems.is_empty()).then(|| problems.join(", "))
}

/// The text Go's `syscall.Errno` prints for an I/O error (`no such file or directory`).
pub(crate) fn go_errno_text(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "no such file or directory".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::NotADirectory => "not a directory".to_owned(),
        _ => {
            let text = error.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}
