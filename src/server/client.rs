//! Who is calling: the verified client certificate of a connection, and the policy deciding which
//! callers may use a route. With `--client-ca-file`, rustls has already verified a presented
//! certificate against those CAs; `--allowed-client-names` further limits callers to certificates
//! whose common name or a DNS subject alternative name is listed, as kube-apiserver's
//! `--requestheader-allowed-names` does.

use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// The client certificate a connection presented (verified by rustls), reduced to its names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientIdentity {
    /// `None` without a certificate; otherwise its common names, then its DNS SANs.
    names: Option<Vec<String>>,
}

impl ClientIdentity {
    /// A connection without a client certificate.
    pub fn anonymous() -> Self {
        ClientIdentity::default()
    }

    /// The identity of a verified leaf certificate. A certificate whose names cannot be read
    /// still counts as presented, with no names.
    pub fn from_certificate(leaf: &CertificateDer<'_>) -> Self {
        let mut names = Vec::new();
        if let Ok((_, cert)) = X509Certificate::from_der(leaf.as_ref()) {
            for cn in cert.subject().iter_common_name() {
                if let Ok(cn) = cn.as_str() {
                    names.push(cn.to_owned());
                }
            }
            if let Ok(Some(san)) = cert.subject_alternative_name() {
                for name in &san.value.general_names {
                    if let GeneralName::DNSName(dns) = name {
                        names.push((*dns).to_owned());
                    }
                }
            }
        }
        ClientIdentity { names: Some(names) }
    }

    /// The identity of a TLS session: its leaf certificate, if the client presented one.
    pub fn from_peer_certificates(chain: Option<&[CertificateDer<'_>]>) -> Self {
        match chain.and_then(<[_]>::first) {
            Some(leaf) => ClientIdentity::from_certificate(leaf),
            None => ClientIdentity::anonymous(),
        }
    }

    /// Whether a verified certificate was presented.
    pub fn has_certificate(&self) -> bool {
        self.names.is_some()
    }

    /// The certificate's names (common names first), empty without one.
    pub fn names(&self) -> &[String] {
        self.names.as_deref().unwrap_or_default()
    }
}

/// Which callers a route serves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallerPolicy {
    /// A verified client certificate is needed.
    pub require_certificate: bool,
    /// When not empty, the certificate must carry one of these names (CN or DNS SAN).
    pub allowed_names: Vec<String>,
}

/// Whether a caller may use a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Served.
    Granted,
    /// No client certificate: 401.
    NoCertificate,
    /// A certificate none of whose names is allowed: 403.
    NameNotAllowed(String),
}

impl CallerPolicy {
    /// Open to anyone.
    pub fn open() -> Self {
        CallerPolicy::default()
    }

    /// Decides for `client`.
    pub fn check(&self, client: &ClientIdentity) -> Access {
        if !self.require_certificate {
            return Access::Granted;
        }
        if !client.has_certificate() {
            return Access::NoCertificate;
        }
        if self.allowed_names.is_empty()
            || client
                .names()
                .iter()
                .any(|name| self.allowed_names.contains(name))
        {
            return Access::Granted;
        }
        Access::NameNotAllowed(client.names().first().cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(cn: &str, sans: &[&str]) -> CertificateDer<'static> {
        let mut params =
            rcgen::CertificateParams::new(sans.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let key = rcgen::KeyPair::generate().expect("key");
        params.self_signed(&key).expect("cert").der().clone()
    }

    #[test]
    fn reads_common_name_then_dns_names() {
        let identity =
            ClientIdentity::from_certificate(&certificate("kube-apiserver", &["api.example"]));
        assert_eq!(identity.names(), ["kube-apiserver", "api.example"]);
        assert!(identity.has_certificate());
        assert!(!ClientIdentity::anonymous().has_certificate());
    }

    #[test]
    fn policy_table() {
        let apiserver = ClientIdentity::from_certificate(&certificate("kube-apiserver", &[]));
        let by_san = ClientIdentity::from_certificate(&certificate("x", &["kube-apiserver"]));
        let other = ClientIdentity::from_certificate(&certificate("mallory", &["m.example"]));
        let anonymous = ClientIdentity::anonymous();
        let names = CallerPolicy {
            require_certificate: true,
            allowed_names: vec!["kube-apiserver".into()],
        };
        let any_cert = CallerPolicy {
            require_certificate: true,
            allowed_names: vec![],
        };
        let cases = [
            (&CallerPolicy::open(), &anonymous, Access::Granted),
            (&any_cert, &anonymous, Access::NoCertificate),
            (&any_cert, &other, Access::Granted),
            (&names, &apiserver, Access::Granted),
            (&names, &by_san, Access::Granted),
            (&names, &other, Access::NameNotAllowed("mallory".into())),
            (&names, &anonymous, Access::NoCertificate),
        ];
        for (i, (policy, client, want)) in cases.iter().enumerate() {
            assert_eq!(&policy.check(client), want, "case {i}");
        }
    }
}
