//! Serving certificates: load `--tls-cert-file`/`--tls-private-key-file`, or write a self-signed
//! pair into `--cert-dir` as kube components do; and `--client-ca-file`, which makes a client
//! certificate signed by one of those CAs mandatory (a caller without one fails the handshake).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use thiserror::Error;

/// Why TLS could not be set up.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A certificate, key or CA file could not be read or parsed.
    #[error("`{}`: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Generating the self-signed pair failed.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
    /// rustls refused the configuration.
    #[error("invalid TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Where the serving certificate comes from.
#[derive(Clone, Debug)]
pub enum ServingCert {
    /// PEM files given on the command line.
    Files {
        /// Certificate chain (leaf first).
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// A self-signed pair kept in this directory (created if absent, reused otherwise).
    SelfSigned {
        /// The directory.
        dir: PathBuf,
        /// Host names and IPs the certificate is valid for.
        hosts: Vec<String>,
    },
}

/// The crypto provider used everywhere (ring), so one provider covers the whole build.
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the server configuration. Returns it with the certificate files actually used.
pub fn server_config(
    cert: &ServingCert,
    client_ca: Option<&Path>,
) -> Result<(Arc<rustls::ServerConfig>, PathBuf, PathBuf), TlsError> {
    let (cert_path, key_path) = match cert {
        ServingCert::Files { cert, key } => (cert.clone(), key.clone()),
        ServingCert::SelfSigned { dir, hosts } => ensure_self_signed(dir, hosts)?,
    };
    let chain = read_certs(&cert_path)?;
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| TlsError::File {
        path: key_path.clone(),
        message: format!("no usable private key: {e}"),
    })?;
    let builder = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca_path) => {
            let mut roots = rustls::RootCertStore::empty();
            for ca in read_certs(ca_path)? {
                roots.add(ca).map_err(|e| TlsError::File {
                    path: ca_path.to_owned(),
                    message: format!("unusable CA certificate: {e}"),
                })?;
            }
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), crypto_provider())
                    .build()
                    .map_err(|e| TlsError::File {
                        path: ca_path.to_owned(),
                        message: e.to_string(),
                    })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((Arc::new(config), cert_path, key_path))
}

/// Reads every certificate of a PEM file.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::File {
            path: path.to_owned(),
            message: format!("cannot read PEM certificates: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::File {
            path: path.to_owned(),
            message: "no certificate found".into(),
        });
    }
    Ok(certs)
}

/// `<dir>/authz-chain.crt` and `.key`, generated once: a CA and a serving certificate it signs (the
/// `.crt` holds both, leaf first), plus `authz-chain-ca.crt` for clients to trust.
fn ensure_self_signed(dir: &Path, hosts: &[String]) -> Result<(PathBuf, PathBuf), TlsError> {
    let cert_path = dir.join("authz-chain.crt");
    let key_path = dir.join("authz-chain.key");
    if cert_path.is_file() && key_path.is_file() {
        return Ok((cert_path, key_path));
    }
    let generate = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(generate)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "authz-chain-ca");
    let ca_key = rcgen::KeyPair::generate().map_err(generate)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(generate)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let mut leaf_params = rcgen::CertificateParams::new(hosts.to_vec()).map_err(generate)?;
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "authz-chain");
    let leaf_key = rcgen::KeyPair::generate().map_err(generate)?;
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(generate)?;
    let write = |path: &Path, contents: String| {
        std::fs::write(path, contents).map_err(|e| TlsError::File {
            path: path.to_owned(),
            message: format!("cannot write: {e}"),
        })
    };
    std::fs::create_dir_all(dir).map_err(|e| TlsError::File {
        path: dir.to_owned(),
        message: format!("cannot create: {e}"),
    })?;
    write(&dir.join("authz-chain-ca.crt"), ca_cert.pem())?;
    write(&cert_path, format!("{}{}", leaf.pem(), ca_cert.pem()))?;
    write(&key_path, leaf_key.serialize_pem())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600));
    }
    tracing::info!(
        cert = %cert_path.display(),
        key = %key_path.display(),
        ca = %dir.join("authz-chain-ca.crt").display(),
        "generated a self-signed serving certificate"
    );
    Ok((cert_path, key_path))
}
