//! Feature gates that change the Node authorizer, with Kubernetes 1.36 defaults, parsed from
//! kube-apiserver's `--feature-gates` syntax (`A=true,B=false`; values as Go's
//! `strconv.ParseBool` reads them).
//!
//! Only the gates the Node authorizer reads are known; naming any other gate is an error, so a
//! typo does not silently leave a branch at its default. Gates that are GA and locked in 1.36
//! can be named only with their locked value, as in Kubernetes.

use crate::go::parse_bool;
use thiserror::Error;

/// The gates the Node authorizer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureGates {
    /// `AuthorizeNodeWithSelectors` (GA and locked on since 1.34): nodes may read only their own
    /// Node and the pods bound to them, and list/watch pods and ResourceSlices only with a
    /// `spec.nodeName` field selector. Off only in tests of the older behaviour.
    pub authorize_node_with_selectors: bool,
    /// `KubeletServiceAccountTokenForCredentialProviders` (beta, on): nodes may get the service
    /// accounts of their pods.
    pub kubelet_service_account_token_for_credential_providers: bool,
    /// `PodCertificateRequest` (beta, off): PodCertificateRequests are authorized, and nodes may
    /// get the service accounts of their pods.
    pub pod_certificate_request: bool,
    /// `ClusterTrustBundle` (beta, off): nodes may read ClusterTrustBundles.
    pub cluster_trust_bundle: bool,
}

impl Default for FeatureGates {
    fn default() -> Self {
        FeatureGates {
            authorize_node_with_selectors: true,
            kubelet_service_account_token_for_credential_providers: true,
            pod_certificate_request: false,
            cluster_trust_bundle: false,
        }
    }
}

/// Why `--feature-gates` could not be parsed.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeatureGateError {
    /// An entry without `=`.
    #[error("missing bool value for `{0}`")]
    MissingValue(String),
    /// A value `strconv.ParseBool` rejects.
    #[error("invalid value of `{gate}={value}`: not a boolean")]
    InvalidValue {
        /// The gate.
        gate: String,
        /// The value given.
        value: String,
    },
    /// A gate this build does not know.
    #[error("unrecognized feature gate `{gate}` (known: {known})")]
    Unknown {
        /// The gate named.
        gate: String,
        /// The known gates, comma-separated.
        known: String,
    },
    /// A GA gate set against its locked value.
    #[error("cannot set feature gate `{gate}` to {value}, feature is locked to {locked}")]
    Locked {
        /// The gate.
        gate: String,
        /// The value asked for.
        value: bool,
        /// The value it is locked to.
        locked: bool,
    },
}

/// Gates that are locked in 1.36, with their value; accepted only with that value.
const LOCKED: [(&str, bool); 3] = [
    ("AuthorizeNodeWithSelectors", true),
    ("AuthorizeWithSelectors", true),
    ("DynamicResourceAllocation", true),
];

/// Gates that can be switched.
const SETTABLE: [&str; 3] = [
    "KubeletServiceAccountTokenForCredentialProviders",
    "PodCertificateRequest",
    "ClusterTrustBundle",
];

impl FeatureGates {
    /// Parses `--feature-gates` (empty means all defaults). Later entries win.
    ///
    /// ```
    /// use authz_chain::authorizers::node::FeatureGates;
    /// let gates = FeatureGates::parse("PodCertificateRequest=true, ClusterTrustBundle=t").unwrap();
    /// assert!(gates.pod_certificate_request && gates.cluster_trust_bundle);
    /// assert!(FeatureGates::parse("PodCertificateRequests=true").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, FeatureGateError> {
        let mut gates = FeatureGates::default();
        for entry in text.split(',') {
            if entry.is_empty() {
                continue;
            }
            let Some((gate, value)) = entry.split_once('=') else {
                return Err(FeatureGateError::MissingValue(entry.trim().to_owned()));
            };
            let (gate, value) = (gate.trim(), value.trim());
            let value = parse_bool(value).ok_or_else(|| FeatureGateError::InvalidValue {
                gate: gate.to_owned(),
                value: value.to_owned(),
            })?;
            gates.set(gate, value)?;
        }
        Ok(gates)
    }

    fn set(&mut self, gate: &str, value: bool) -> Result<(), FeatureGateError> {
        if let Some(&(_, locked)) = LOCKED.iter().find(|(name, _)| *name == gate) {
            if value != locked {
                return Err(FeatureGateError::Locked {
                    gate: gate.to_owned(),
                    value,
                    locked,
                });
            }
            return Ok(());
        }
        match gate {
            "KubeletServiceAccountTokenForCredentialProviders" => {
                self.kubelet_service_account_token_for_credential_providers = value
            }
            "PodCertificateRequest" => self.pod_certificate_request = value,
            "ClusterTrustBundle" => self.cluster_trust_bundle = value,
            _ => {
                let mut known: Vec<&str> = LOCKED.iter().map(|(name, _)| *name).collect();
                known.extend(SETTABLE);
                known.sort_unstable();
                return Err(FeatureGateError::Unknown {
                    gate: gate.to_owned(),
                    known: known.join(", "),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_kubernetes_1_36() {
        let gates = FeatureGates::parse("").expect("empty");
        assert_eq!(gates, FeatureGates::default());
        assert!(gates.authorize_node_with_selectors);
        assert!(gates.kubelet_service_account_token_for_credential_providers);
        assert!(!gates.pod_certificate_request);
        assert!(!gates.cluster_trust_bundle);
    }

    #[test]
    fn parses_kubernetes_syntax() {
        let gates = FeatureGates::parse(
            "PodCertificateRequest=true,KubeletServiceAccountTokenForCredentialProviders=false,,\
             ClusterTrustBundle = 1 ,AuthorizeNodeWithSelectors=True,PodCertificateRequest=F",
        )
        .expect("valid");
        assert!(!gates.pod_certificate_request, "the later entry wins");
        assert!(!gates.kubelet_service_account_token_for_credential_providers);
        assert!(gates.cluster_trust_bundle);
    }

    #[test]
    fn errors_name_the_gate() {
        let cases = [
            (
                "PodCertificateRequest",
                "missing bool value for `PodCertificateRequest`",
            ),
            (
                "PodCertificateRequest=yes",
                "invalid value of `PodCertificateRequest=yes`: not a boolean",
            ),
            (
                "NodeGraph=true",
                "unrecognized feature gate `NodeGraph` (known: AuthorizeNodeWithSelectors, \
                 AuthorizeWithSelectors, ClusterTrustBundle, DynamicResourceAllocation, \
                 KubeletServiceAccountTokenForCredentialProviders, PodCertificateRequest)",
            ),
            (
                "AuthorizeNodeWithSelectors=false",
                "cannot set feature gate `AuthorizeNodeWithSelectors` to false, feature is \
                 locked to true",
            ),
        ];
        for (input, want) in cases {
            let error = FeatureGates::parse(input).expect_err(input);
            assert_eq!(error.to_string(), want, "{input}");
        }
    }
}
