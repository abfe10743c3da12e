//! Loading a configuration file: YAML or JSON decoded strictly and with Go's types (module
//! `decode`), with the envelope checks and defaults of `pkg/apis/apiserver/load`.

use thiserror::Error;

use super::decode as document;
use super::types::{API_VERSIONS, AuthorizationConfiguration};
use crate::go::{Duration, quote};

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
    /// `apiVersion` is absent (or names no version); Go quotes the whole file.
    #[error(
        "failed to load AuthorizationConfiguration from file: Object 'apiVersion' is missing in '{data}'"
    )]
    MissingApiVersion {
        /// The file's text.
        data: String,
    },
    /// `kind` is absent; Go quotes the whole file.
    #[error(
        "failed to load AuthorizationConfiguration from file: Object 'Kind' is missing in '{data}'"
    )]
    MissingKind {
        /// The file's text.
        data: String,
    },
    /// The group/version and kind are not those of an AuthorizationConfiguration (the scheme
    /// name is where kube-apiserver's loader creates its scheme).
    #[error(
        "failed to load AuthorizationConfiguration from file: no kind {} is registered for version {} in scheme \"pkg/apis/apiserver/load/load.go:32\"",
        quote(.kind),
        quote(.group_version)
    )]
    UnknownKind {
        /// The kind found.
        kind: String,
        /// The group/version found, as Go prints a `GroupVersion`.
        group_version: String,
    },
    /// Syntax errors, values of the wrong type, unknown or duplicated fields, unparsable
    /// durations; the text is kube-apiserver's
    /// (`json: cannot unmarshal string into Go struct field ... of type bool`).
    #[error("failed to load AuthorizationConfiguration from file: {0}")]
    Decode(String),
}

/// Decodes `data` (YAML or JSON) as kube-apiserver's strict codec does (module `decode`)
/// and applies defaults. Empty data gives an empty configuration, which validation then rejects.
pub fn decode(data: &[u8]) -> Result<AuthorizationConfiguration, LoadError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| LoadError::Decode(format!("file is not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Ok(AuthorizationConfiguration::default());
    }
    let document = document::parse(text).map_err(LoadError::Decode)?;
    let meta = document::interpret(&document.value).map_err(LoadError::Decode)?;
    // The serializer parses the group/version, then checks the kind, then the version.
    let (group, version) = parse_group_version(&meta.api_version)?;
    if meta.kind.is_empty() {
        return Err(LoadError::MissingKind {
            data: text.to_owned(),
        });
    }
    if version.is_empty() {
        return Err(LoadError::MissingApiVersion {
            data: text.to_owned(),
        });
    }
    let package = match API_VERSIONS.iter().position(|v| *v == meta.api_version) {
        Some(i) if meta.kind == "AuthorizationConfiguration" => PACKAGES[i],
        _ => {
            return Err(LoadError::UnknownKind {
                kind: meta.kind,
                group_version: if group.is_empty() {
                    version.to_owned()
                } else {
                    format!("{group}/{version}")
                },
            });
        }
    };
    let mut config = document::decode_strict(&document, package).map_err(LoadError::Decode)?;
    apply_defaults(&mut config);
    Ok(config)
}

/// `schema.ParseGroupVersion`: `group/version`, a bare version, or nothing (`""` and `"/"`).
fn parse_group_version(api_version: &str) -> Result<(&str, &str), LoadError> {
    if api_version.is_empty() || api_version == "/" {
        return Ok(("", ""));
    }
    match api_version.split_once('/') {
        None => Ok(("", api_version)),
        Some((group, version)) if !version.contains('/') => Ok((group, version)),
        Some(_) => Err(LoadError::Decode(format!(
            "unexpected GroupVersion string: {api_version}"
        ))),
    }
}

/// The Go package of each of [`API_VERSIONS`], as Go type names in errors show it.
const PACKAGES: [&str; 3] = ["v1alpha1", "v1beta1", "v1"];

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
        let cases: [(&str, &str); 11] = [
            (
                "kind: AuthorizationConfiguration\n",
                "Object 'apiVersion' is missing in 'kind: AuthorizationConfiguration\n'",
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\n",
                "Object 'Kind' is missing in 'apiVersion: apiserver.config.k8s.io/v1\n'",
            ),
            // Kind is checked before the version.
            ("foo: 1\n", "Object 'Kind' is missing"),
            (
                "apiVersion: apiserver.config.k8s.io/\nkind: AuthorizationConfiguration\n",
                "Object 'apiVersion' is missing",
            ),
            (
                "apiVersion: a/b/c\nkind: AuthorizationConfiguration\n",
                "from file: unexpected GroupVersion string: a/b/c",
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v2\nkind: AuthorizationConfiguration\n",
                r#"no kind "AuthorizationConfiguration" is registered for version "apiserver.config.k8s.io/v2" in scheme "pkg/apis/apiserver/load/load.go:32""#,
            ),
            (
                "apiVersion: other.io/v1\nkind: AuthorizationConfiguration\n",
                r#"registered for version "other.io/v1""#,
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\nkind: Foo\n",
                r#"no kind "Foo""#,
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorzers: []\n",
                r#"strict decoding error: unknown field "authorzers""#,
            ),
            (
                "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: []\nauthorizers: []\n",
                "strict decoding error: yaml: unmarshal errors:\n  line 4: key \"authorizers\" already set in map",
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
                .contains(r#"strict decoding error: unknown field "authorizers[0].mode""#)
        );
    }
}
