//! Serving certificates: load `--tls-cert-file`/`--tls-private-key-file`, or write a self-signed
//! pair into `--cert-dir` as kube components do; and `--client-ca-file`, which makes a client
//! certificate signed by one of those CAs mandatory (a caller without one fails the handshake).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use rustls::sign::CertifiedKey;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use thiserror::Error;

pub use crate::crypto::crypto_provider;

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

/// Builds the server configuration. The serving certificate is read through a
/// [`ServingCertificate`], so it can be rotated while serving.
pub fn server_config(
    cert: &ServingCert,
    client_ca: Option<&Path>,
) -> Result<(Arc<rustls::ServerConfig>, Arc<ServingCertificate>), TlsError> {
    let (cert_path, key_path) = match cert {
        ServingCert::Files { cert, key } => (cert.clone(), key.clone()),
        ServingCert::SelfSigned { dir, hosts } => ensure_self_signed(dir, hosts)?,
    };
    let serving = Arc::new(ServingCertificate::load(cert_path, key_path)?);
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
            // A certificate is asked for, and verified when presented, but not demanded in
            // the handshake: health probes come without one. `/authorize` demands it (see
            // `App::require_client_certificate`).
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), crypto_provider())
                    .allow_unauthenticated()
                    .build()
                    .map_err(|e| TlsError::File {
                        path: ca_path.to_owned(),
                        message: e.to_string(),
                    })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_cert_resolver(serving.clone());
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((Arc::new(config), serving))
}

/// The serving certificate and key, re-read when their files change; each new TLS connection
/// gets the current pair, established ones keep theirs.
#[derive(Debug)]
pub struct ServingCertificate {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: ArcSwap<CertifiedKey>,
    // The bytes last loaded, so an unchanged pair is not rebuilt; held only while reloading.
    last: Mutex<PairBytes>,
}

impl ServingCertificate {
    /// Reads the pair; fails if it is unusable.
    pub fn load(cert_path: PathBuf, key_path: PathBuf) -> Result<Self, TlsError> {
        let (key, bytes) = read_pair(&cert_path, &key_path)?;
        Ok(ServingCertificate {
            cert_path,
            key_path,
            current: ArcSwap::from_pointee(key),
            last: Mutex::new(bytes),
        })
    }

    /// The certificate file.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// The key file.
    pub fn key_path(&self) -> &Path {
        &self.key_path
    }

    /// Re-reads the pair. `Ok(true)` when a new pair is now served; an unusable pair (a
    /// half-written rotation, a key that does not match) keeps the old one and is an error.
    pub fn reload(&self) -> Result<bool, TlsError> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let cert = std::fs::read(&self.cert_path).map_err(|e| file_error(&self.cert_path, &e))?;
        let key = std::fs::read(&self.key_path).map_err(|e| file_error(&self.key_path, &e))?;
        if last.0 == cert && last.1 == key {
            return Ok(false);
        }
        let (certified, bytes) = read_pair(&self.cert_path, &self.key_path)?;
        self.current.store(Arc::new(certified));
        *last = bytes;
        tracing::info!(cert = %self.cert_path.display(), "serving certificate reloaded");
        Ok(true)
    }
}

impl rustls::server::ResolvesServerCert for ServingCertificate {
    fn resolve(&self, _hello: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

fn file_error(path: &Path, error: &std::io::Error) -> TlsError {
    TlsError::File {
        path: path.to_owned(),
        message: error.to_string(),
    }
}

/// The bytes of a certificate file and a key file.
type PairBytes = (Vec<u8>, Vec<u8>);

/// Parses a certificate chain and its key into a rustls pair, checking that they belong together.
fn read_pair(cert_path: &Path, key_path: &Path) -> Result<(CertifiedKey, PairBytes), TlsError> {
    let cert_bytes = std::fs::read(cert_path).map_err(|e| file_error(cert_path, &e))?;
    let key_bytes = std::fs::read(key_path).map_err(|e| file_error(key_path, &e))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::File {
            path: cert_path.to_owned(),
            message: format!("cannot read PEM certificates: {e}"),
        })?;
    if chain.is_empty() {
        return Err(TlsError::File {
            path: cert_path.to_owned(),
            message: "no certificate found".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| TlsError::File {
        path: key_path.to_owned(),
        message: format!("no usable private key: {e}"),
    })?;
    let signing = crypto_provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::File {
            path: key_path.to_owned(),
            message: format!("unusable private key: {e}"),
        })?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| TlsError::File {
        path: key_path.to_owned(),
        message: format!("the key does not match the certificate: {e}"),
    })?;
    Ok((certified, (cert_bytes, key_bytes)))
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
///
/// The directory is created private (0700); one that exists must belong to this user (it is made
/// private if it is not). A pair found there is reused only if it parses, the key matches the
/// certificate, the key file is private and the certificate has not expired; otherwise a new pair
/// replaces it. Every file is written to a temporary name (the key with mode 0600 from the start)
/// and renamed into place, so no reader ever sees half a file or a readable key.
fn ensure_self_signed(dir: &Path, hosts: &[String]) -> Result<(PathBuf, PathBuf), TlsError> {
    let cert_path = dir.join("authz-chain.crt");
    let key_path = dir.join("authz-chain.key");
    private_dir(dir)?;
    match reusable_pair(&cert_path, &key_path) {
        Ok(()) => return Ok((cert_path, key_path)),
        Err(Some(why)) => {
            tracing::warn!(dir = %dir.display(), why, "not reusing the self-signed pair found; generating a new one");
        }
        Err(None) => {}
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
    // The key first: a certificate never names a key that is not there yet.
    write_atomically(&key_path, leaf_key.serialize_pem().as_bytes(), 0o600)?;
    write_atomically(
        &cert_path,
        format!("{}{}", leaf.pem(), ca_cert.pem()).as_bytes(),
        0o644,
    )?;
    write_atomically(
        &dir.join("authz-chain-ca.crt"),
        ca_cert.pem().as_bytes(),
        0o644,
    )?;
    tracing::info!(
        cert = %cert_path.display(),
        key = %key_path.display(),
        ca = %dir.join("authz-chain-ca.crt").display(),
        "generated a self-signed serving certificate"
    );
    Ok((cert_path, key_path))
}

/// `Ok` when the pair at these paths can be served again; `Err(None)` when there is none;
/// `Err(Some(why))` when there is one that must not be reused.
fn reusable_pair(cert_path: &Path, key_path: &Path) -> Result<(), Option<String>> {
    if !cert_path.exists() && !key_path.exists() {
        return Err(None);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::symlink_metadata(key_path).map_err(|e| Some(e.to_string()))?;
        if !meta.is_file() {
            return Err(Some("the key is not a regular file".into()));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(Some(format!(
                "the key is readable by others (mode {:o})",
                meta.mode() & 0o777
            )));
        }
        if process_uid().is_some_and(|uid| uid != meta.uid()) {
            return Err(Some("the key belongs to another user".into()));
        }
    }
    let (certified, _) = read_pair(cert_path, key_path).map_err(|e| Some(e.to_string()))?;
    let leaf = certified
        .cert
        .first()
        .ok_or_else(|| Some("no certificate".to_owned()))?;
    let (_, parsed) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| Some(format!("unreadable certificate: {e}")))?;
    if !parsed.validity().is_valid() {
        return Err(Some(
            "the certificate has expired or is not valid yet".into(),
        ));
    }
    Ok(())
}

/// The effective user id of this process (the owner of `/proc/self`), where it can be read.
#[cfg(unix)]
fn process_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// Creates `dir` with mode 0700, or checks that the existing one belongs to this user and makes
/// it private.
fn private_dir(dir: &Path) -> Result<(), TlsError> {
    let fail = |message: String| TlsError::File {
        path: dir.to_owned(),
        message,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        match std::fs::symlink_metadata(dir) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| fail(format!("cannot create: {e}")))?;
            }
            Err(error) => return Err(fail(error.to_string())),
            Ok(meta) => {
                if !meta.is_dir() {
                    return Err(fail(
                        "is not a directory (a symbolic link is not followed); choose another --cert-dir".into(),
                    ));
                }
                if process_uid().is_some_and(|uid| uid != meta.uid()) {
                    return Err(fail(format!(
                        "belongs to user {} and not to this process; choose another --cert-dir",
                        meta.uid()
                    )));
                }
                if meta.mode() & 0o077 != 0 {
                    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                        .map_err(|e| fail(format!("cannot make it private (chmod 700): {e}")))?;
                }
            }
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create: {e}")))
    }
}

/// Writes `contents` to a temporary file beside `path`, created with `mode`, synced, then
/// renamed over `path`.
fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    use std::io::Write;
    let fail = |e: std::io::Error| TlsError::File {
        path: path.to_owned(),
        message: format!("cannot write: {e}"),
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = options.open(&temporary).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    if let Err(error) = result.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn generated_directory_and_key_are_private() {
        let base = tempfile::tempdir().expect("tempdir");
        let dir = base.path().join("certs");
        let (cert, key) = ensure_self_signed(&dir, &["localhost".into()]).expect("generate");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&cert), 0o644);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .expect("read dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_open_directory_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().expect("tempdir");
        let dir = base.path().join("certs");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        ensure_self_signed(&dir, &["localhost".into()]).expect("generate");
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn a_good_pair_is_reused_and_a_bad_one_replaced() {
        let base = tempfile::tempdir().expect("tempdir");
        let dir = base.path().join("certs");
        let (cert, key) = ensure_self_signed(&dir, &["localhost".into()]).expect("generate");
        let first = std::fs::read(&cert).expect("cert");
        ensure_self_signed(&dir, &["localhost".into()]).expect("reuse");
        assert_eq!(
            std::fs::read(&cert).expect("cert"),
            first,
            "a good pair is reused"
        );

        // A key that does not match the certificate: replaced.
        let other = rcgen::KeyPair::generate().expect("key").serialize_pem();
        write_atomically(&key, other.as_bytes(), 0o600).expect("write");
        ensure_self_signed(&dir, &["localhost".into()]).expect("regenerate");
        let second = std::fs::read(&cert).expect("cert");
        assert_ne!(second, first, "a mismatched pair is replaced");
        read_pair(&cert, &key).expect("the new pair matches");

        // Garbage in the certificate: replaced.
        std::fs::write(&cert, b"not a certificate").expect("write");
        ensure_self_signed(&dir, &["localhost".into()]).expect("regenerate");
        read_pair(&cert, &key).expect("the new pair parses");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_readable_by_others_is_not_reused() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().expect("tempdir");
        let dir = base.path().join("certs");
        let (cert, key) = ensure_self_signed(&dir, &["localhost".into()]).expect("generate");
        let first = std::fs::read(&cert).expect("cert");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        ensure_self_signed(&dir, &["localhost".into()]).expect("regenerate");
        assert_ne!(std::fs::read(&cert).expect("cert"), first);
        assert_eq!(mode(&key), 0o600);
    }

    #[test]
    fn an_expired_pair_is_not_reused() {
        let base = tempfile::tempdir().expect("tempdir");
        let dir = base.path().join("certs");
        std::fs::create_dir(&dir).expect("mkdir");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("p");
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let cert_path = dir.join("authz-chain.crt");
        write_atomically(&cert_path, cert.pem().as_bytes(), 0o644).expect("write");
        write_atomically(
            &dir.join("authz-chain.key"),
            key.serialize_pem().as_bytes(),
            0o600,
        )
        .expect("write");
        assert!(matches!(
            reusable_pair(&cert_path, &dir.join("authz-chain.key")),
            Err(Some(why)) if why.contains("expired")
        ));
        ensure_self_signed(&dir, &["localhost".into()]).expect("regenerate");
        assert_ne!(
            std::fs::read(&cert_path).expect("cert"),
            cert.pem().into_bytes()
        );
    }
}
