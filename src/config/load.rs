//! Decoding a configuration file: YAML or JSON, strictly (an unknown or duplicated field is an
//! error), with the envelope checks and defaults of `pkg/apis/apiserver/load`.

use serde::Deserialize;
use thiserror::Error;

use super::types::{API_VERSIONS, AuthorizationConfiguration};
use crate::go::Duration;

/// Why a configuration file could not be decoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("failed to read AuthorizationConfiguration file `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `apiVersion` is absent.
    #[error("failed to load AuthorizationConfiguration from file: Object 'apiVersion' is missing")]
    MissingApiVersion,
    /// `kind` is absent.
    #[error("failed to load AuthorizationConfiguration from file: Object 'Kind' is missing")]
    MissingKind,
    /// The apiVersion/kind pair is not an AuthorizationConfiguration.
    #[error(
        "failed to load AuthorizationConfiguration from file: no kind `{kind}` is registered for version `{api_version}` (expected kind AuthorizationConfiguration in {})",
        API_VERSIONS.join(", ")
    )]
    UnknownKind {
        /// The kind found.
        kind: String,
        /// The apiVersion found.
        api_version: String,
    },
    /// Syntax errors, unknown or duplicated fields, unparsable durations.
    #[error("failed to load AuthorizationConfiguration from file: {0}")]
    Decode(String),
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

/// Decodes `data` (YAML or JSON) and applies defaults. Empty data gives an empty configuration,
/// which validation then rejects.
pub fn decode(data: &[u8]) -> Result<AuthorizationConfiguration, LoadError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| LoadError::Decode(format!("file is not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Ok(AuthorizationConfiguration::default());
    }
    let envelope: Envelope = parse(text)?;
    let api_version = envelope
        .api_version
        .filter(|v| !v.is_empty())
        .ok_or(LoadError::MissingApiVersion)?;
    let kind = envelope
        .kind
        .filter(|k| !k.is_empty())
        .ok_or(LoadError::MissingKind)?;
    if kind != "AuthorizationConfiguration" || !API_VERSIONS.contains(&api_version.as_str()) {
        return Err(LoadError::UnknownKind { kind, api_version });
    }
    let mut config: AuthorizationConfiguration = parse(text)?;
    apply_defaults(&mut config);
    Ok(config)
}

/// JSON when it looks like JSON, YAML otherwise; both strict about duplicates.
fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, LoadError> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| LoadError::Decode(format!("strict decoding error: {e}")))
    } else {
        serde_saphyr::from_str(text)
            .map_err(|e| LoadError::Decode(format!("strict decoding error: {e}")))
    }
}

/// `SetDefaults_WebhookConfiguration`: a zero or absent TTL becomes 5m / 30s, absent cache flags
/// become true. Nothing else is defaulted.
fn apply_defaults(config: &mut AuthorizationConfiguration) {
    for authorizer in config.authorizers.iter_mut().flatten() {
        if let Some(webhook) = authorizer.webhook.as_mut() {
            if webhook.authorized_ttl.unwrap_or(Duration::ZERO) == Duration::ZERO {
                webhook.authorized_ttl = Some(Duration::from_secs(300));
            }
            if webhook.unauthorized_ttl.unwrap_or(Duration::ZERO) == Duration::ZERO {
                webhook.unauthorized_ttl = Some(Duration::from_secs(30));
            }
            webhook.cache_authorized_requests.get_or_insert(true);
            webhook.cache_unauthorized_requests.get_or_insert(true);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Cases from upstream's `load_test.go`.
    use super::*;

    #[test]
    fn decodes_all_versions_and_defaults() {
        for version in API_VERSIONS {
            let yaml = format!(
                "apiVersion: {version}\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Webhook\n  name: wh\n  webhook:\n    timeout: 3s\n"
            );
            let config = decode(yaml.as_bytes()).expect(version);
            let webhook = config.authorizers.unwrap()[0].webhook.clone().unwrap();
            assert_eq!(webhook.authorized_ttl, Some(Duration::from_secs(300)));
            assert_eq!(webhook.unauthorized_ttl, Some(Duration::from_secs(30)));
            assert_eq!(webhook.cache_authorized_requests, Some(true));
            assert_eq!(webhook.cache_unauthorized_requests, Some(true));
            assert_eq!(webhook.timeout, Some(Duration::from_secs(3)));
        }
        let json = br#"{"apiVersion":"apiserver.config.k8s.io/v1","kind":"AuthorizationConfiguration","authorizers":[{"type":"RBAC","name":"rbac"}]}"#;
        assert_eq!(decode(json).unwrap().authorizers.unwrap().len(), 1);
    }

    #[test]
    fn empty_data_is_an_empty_config() {
        assert_eq!(decode(b"").unwrap(), AuthorizationConfiguration::default());
        assert_eq!(
            decode(b"  \n").unwrap(),
            AuthorizationConfiguration::default()
        );
    }

    #[test]
    fn rejects_bad_envelopes_and_fields() {
        let cases: [(&str, &str); 8] = [
            (
                "kind: AuthorizationConfiguration\n",
                "'apiVersion' is missing",
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\n",
                "'Kind' is missing",
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v2\nkind: AuthorizationConfiguration\n",
                "no kind `AuthorizationConfiguration` is registered for version `apiserver.config.k8s.io/v2`",
            ),
            (
                "apiVersion: other.io/v1\nkind: AuthorizationConfiguration\n",
                "registered for version `other.io/v1`",
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\nkind: Foo\n",
                "no kind `Foo`",
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorzers: []\n",
                "unknown field `authorzers`",
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: []\nauthorizers: []\n",
                "duplicate",
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Webhook\n  webhook: {timeout: 3 seconds}\n",
                "time: unknown unit \" seconds\" in duration \"3 seconds\"",
            ),
        ];
        for (input, want) in cases {
            let error = decode(input.as_bytes()).expect_err(input).to_string();
            assert!(error.contains(want), "{input:?}: {error}");
        }
        let json = br#"{"apiVersion":"apiserver.config.k8s.io/v1","kind":"AuthorizationConfiguration","authorizers":[{"type":"RBAC","name":"rbac","mode":"x"}]}"#;
        assert!(
            decode(json)
                .unwrap_err()
                .to_string()
                .contains("unknown field `mode`")
        );
    }
}
