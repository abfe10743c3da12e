//! rustls client configuration from a kubeconfig: trusted CAs (or the system's), optional client
//! certificate, `tls-server-name`, and `insecure-skip-tls-verify`.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::WebhookError;
use crate::config::WebhookConnection;
use crate::crypto::crypto_provider;

/// A client certificate chain and its key.
pub(super) type ClientCert = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// Builds the TLS configuration a webhook connection asks for.
pub fn client_tls_config(
    connection: &WebhookConnection,
) -> Result<rustls::ClientConfig, WebhookError> {
    let client = match (&connection.client_certificate, &connection.client_key) {
        (Some(cert), Some(key)) => Some(client_cert(cert, key)?),
        _ => None,
    };
    TlsBase::new(connection)?.config(client)
}

/// Parses a PEM client certificate chain and key.
pub(super) fn client_cert(cert: &[u8], key: &[u8]) -> Result<ClientCert, WebhookError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<_, _>>()
        .map_err(|e| WebhookError::Tls(format!("client-certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| WebhookError::Tls(format!("client-key: {e}")))?;
    Ok((chain, key))
}

/// What every TLS configuration of one webhook shares: the trust decision (CAs or the system's,
/// `tls-server-name`, `insecure-skip-tls-verify`), built once, so that a client certificate
/// from an exec plugin only adds itself.
#[derive(Clone, Debug)]
pub(super) struct TlsBase {
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
}

impl TlsBase {
    /// The trust settings of `connection`.
    pub(super) fn new(connection: &WebhookConnection) -> Result<Self, WebhookError> {
        let provider = crypto_provider();
        let verifier: Arc<dyn ServerCertVerifier> = if connection.insecure_skip_tls_verify {
            Arc::new(NoVerification(provider.clone()))
        } else {
            let mut roots = rustls::RootCertStore::empty();
            match &connection.certificate_authority {
                Some(pem) => {
                    for cert in CertificateDer::pem_slice_iter(pem) {
                        let cert = cert.map_err(|e| {
                            WebhookError::Tls(format!("certificate-authority: {e}"))
                        })?;
                        roots.add(cert).map_err(|e| {
                            WebhookError::Tls(format!("certificate-authority: {e}"))
                        })?;
                    }
                }
                None => {
                    let native = rustls_native_certs::load_native_certs();
                    for cert in native.certs {
                        let _ = roots.add(cert);
                    }
                }
            }
            if roots.is_empty() {
                return Err(WebhookError::Tls("no trusted certificate authority".into()));
            }
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| WebhookError::Tls(e.to_string()))?;
            match &connection.tls_server_name {
                Some(name) => Arc::new(FixedName {
                    inner: webpki,
                    name: ServerName::try_from(name.clone())
                        .map_err(|e| WebhookError::Tls(format!("tls-server-name {name:?}: {e}")))?,
                }),
                None => webpki,
            }
        };
        Ok(TlsBase { provider, verifier })
    }

    /// A configuration presenting `client` when given.
    pub(super) fn config(
        &self,
        client: Option<ClientCert>,
    ) -> Result<rustls::ClientConfig, WebhookError> {
        let builder = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| WebhookError::Tls(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(self.verifier.clone());
        match client {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| WebhookError::Tls(format!("client certificate: {e}"))),
            None => Ok(builder.with_no_client_auth()),
        }
    }
}

/// Verifies the server certificate against `tls-server-name` instead of the URL's host.
#[derive(Debug)]
struct FixedName {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for FixedName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `insecure-skip-tls-verify: true`: accepts any server certificate (signatures are still checked,
/// so the handshake itself is sound).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
