//! One run of an exec credential plugin, as client-go's `Authenticator.refreshCredsLocked` runs
//! it: this process's environment plus the configured `env`, plus `KUBERNETES_EXEC_INFO` holding
//! an `ExecCredential` request (`spec.interactive: false`, never a terminal here; `spec.cluster`
//! with `provideClusterInfo`); standard input closed; the `ExecCredential` read from standard
//! output. Beyond client-go, the run is bounded by a timeout (the process is killed) and standard
//! error is kept for the error message instead of being passed through.

use std::process::Stdio;
use std::time::{Duration, SystemTime};

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::ExecError;
use crate::authorizers::webhook::tls::ClientCert;
use crate::config::{ExecCluster, ExecConfig};

/// The most standard output read from a plugin.
const MAX_STDOUT: usize = 1 << 20;
/// The most standard error kept for an error message.
const MAX_STDERR: usize = 4 << 10;

/// What a plugin returned.
pub(super) struct PluginOutput {
    /// `status.token`, if any.
    pub token: Option<String>,
    /// `status.clientCertificateData` and `clientKeyData`, parsed.
    pub cert: Option<ClientCert>,
    /// `status.expirationTimestamp`; `None` means the credential never expires.
    pub expires: Option<SystemTime>,
}

/// Runs the plugin once.
pub(super) async fn run(config: &ExecConfig, timeout: Duration) -> Result<PluginOutput, ExecError> {
    let mut command = tokio::process::Command::new(&config.command);
    command
        .args(&config.args)
        .envs(config.env.iter().map(|(name, value)| (name, value)))
        .env("KUBERNETES_EXEC_INFO", exec_info(config))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = spawn(&mut command).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            let mut message = format!("exec: executable {} not found", config.command);
            if !config.install_hint.is_empty() {
                message.push_str(&format!(" ({})", config.install_hint));
            }
            ExecError::new(message)
        }
        _ => ExecError::new(format!("exec: {}: {e}", config.command)),
    })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let finished = async {
        let (stdout, stderr) = tokio::join!(
            read_capped(stdout, MAX_STDOUT),
            read_capped(stderr, MAX_STDERR)
        );
        let status = child.wait().await;
        (stdout, stderr, status)
    };
    // On a timeout, returning drops `child`, which kills the process (`kill_on_drop`).
    let Ok((stdout, stderr, status)) = tokio::time::timeout(timeout, finished).await else {
        return Err(ExecError::new(format!(
            "exec: executable {} did not finish within {}",
            config.command,
            crate::go::Duration::from_nanos(i64::try_from(timeout.as_nanos()).unwrap_or(i64::MAX))
        )));
    };
    let stderr = stderr_text(&stderr.unwrap_or_default().0);
    let status = status.map_err(|e| ExecError::new(format!("exec: {}: {e}", config.command)))?;
    if !status.success() {
        let mut message = format!(
            "exec: executable {} failed with exit code {}",
            config.command,
            status.code().unwrap_or(-1)
        );
        if !stderr.is_empty() {
            message.push_str(&format!(": stderr: {stderr}"));
        }
        return Err(ExecError::new(message));
    }
    if !stderr.is_empty() {
        tracing::info!(plugin = %config.command, stderr = %stderr, "exec credential plugin wrote to standard error");
    }
    let (stdout, truncated) =
        stdout.map_err(|e| ExecError::new(format!("exec: reading stdout: {e}")))?;
    if truncated {
        return Err(ExecError::new(format!(
            "exec: executable {} wrote more than {MAX_STDOUT} bytes to stdout",
            config.command
        )));
    }
    decode(config, &stdout)
}

/// Starts the command, retrying briefly while the executable is busy (`ETXTBSY`: a plugin
/// being replaced, or written by another thread of this process while a fork held it open).
async fn spawn(command: &mut tokio::process::Command) -> std::io::Result<tokio::process::Child> {
    let mut attempts = 0;
    loop {
        match command.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 5 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => return other,
        }
    }
}

/// Reads `stream` to its end, keeping at most `cap` bytes; `true` when some were dropped.
async fn read_capped(
    stream: Option<impl AsyncRead + Unpin>,
    cap: usize,
) -> std::io::Result<(Vec<u8>, bool)> {
    let Some(mut stream) = stream else {
        return Ok((Vec::new(), false));
    };
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut chunk = [0u8; 8192];
    loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok((kept, truncated));
        }
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..read.min(room)]);
        truncated |= read > room;
    }
}

/// Standard error on one line: trimmed, line breaks as `; `.
fn stderr_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Serialize)]
struct ExecInfo<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    spec: ExecInfoSpec<'a>,
}

#[derive(Serialize)]
struct ExecInfoSpec<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<ClusterInfo<'a>>,
    interactive: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ClusterInfo<'a> {
    server: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    tls_server_name: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    insecure_skip_tls_verify: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_authority_data: Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    proxy_url: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disable_compression: bool,
    /// Go's `RawExtension` marshals an empty extension as `null`.
    config: &'a Option<serde_json::Value>,
}

/// The `KUBERNETES_EXEC_INFO` value: the `ExecCredential` request, with the newline Go's JSON
/// encoder ends it with.
pub(super) fn exec_info(config: &ExecConfig) -> String {
    let cluster = config.cluster.as_ref().map(|c: &ExecCluster| ClusterInfo {
        server: &c.server,
        tls_server_name: &c.tls_server_name,
        insecure_skip_tls_verify: c.insecure_skip_tls_verify,
        certificate_authority_data: c
            .certificate_authority_data
            .as_ref()
            .map(|ca| base64::engine::general_purpose::STANDARD.encode(ca)),
        proxy_url: &c.proxy_url,
        disable_compression: c.disable_compression,
        config: &c.config,
    });
    let info = ExecInfo {
        kind: "ExecCredential",
        api_version: config.api_version.as_str(),
        spec: ExecInfoSpec {
            cluster,
            interactive: false,
        },
    };
    let mut text = serde_json::to_string(&info).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Deserialize)]
struct Response {
    #[serde(default, rename = "apiVersion")]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(default)]
    expiration_timestamp: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    client_certificate_data: Option<String>,
    #[serde(default)]
    client_key_data: Option<String>,
}

/// Checks and reads the plugin's `ExecCredential`, with client-go's messages.
pub(super) fn decode(config: &ExecConfig, stdout: &[u8]) -> Result<PluginOutput, ExecError> {
    let response: Response = match serde_json::from_slice(stdout) {
        Ok(response) => response,
        // client-go's universal decoder reads YAML too.
        Err(json) => std::str::from_utf8(stdout)
            .ok()
            .and_then(|text| serde_saphyr::from_str(text).ok())
            .ok_or_else(|| ExecError::new(format!("decoding stdout: {json}")))?,
    };
    let want = config.api_version.as_str();
    if response.api_version != want {
        return Err(ExecError::new(format!(
            "exec plugin is configured to use API version {want}, plugin returned version {}",
            response.api_version
        )));
    }
    if response.kind != "ExecCredential" {
        return Err(ExecError::new(format!(
            "decoding stdout: no kind {} is registered for version {}",
            crate::go::quote(&response.kind),
            crate::go::quote(want)
        )));
    }
    let Some(status) = response.status else {
        return Err(ExecError::new("exec plugin didn't return a status field"));
    };
    let token = status.token.filter(|t| !t.is_empty());
    let cert = status.client_certificate_data.filter(|c| !c.is_empty());
    let key = status.client_key_data.filter(|k| !k.is_empty());
    if token.is_none() && cert.is_none() && key.is_none() {
        return Err(ExecError::new(
            "exec plugin didn't return a token or cert/key pair",
        ));
    }
    let cert = match (cert, key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(parse_key_pair(&cert, &key)?),
        _ => {
            return Err(ExecError::new(
                "exec plugin returned only certificate or key, not both",
            ));
        }
    };
    let expires = match status.expiration_timestamp {
        None => None,
        Some(text) => {
            let at: jiff::Timestamp = text.parse().map_err(|e| {
                ExecError::new(format!(
                    "decoding stdout: expirationTimestamp {}: {e}",
                    crate::go::quote(&text)
                ))
            })?;
            Some(SystemTime::from(at))
        }
    };
    Ok(PluginOutput {
        token,
        cert,
        expires,
    })
}

fn parse_key_pair(cert: &str, key: &str) -> Result<ClientCert, ExecError> {
    let fail = |e: String| ExecError::new(format!("failed parsing client key/certificate: {e}"));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if chain.is_empty() {
        return Err(fail("no certificate found".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|e| fail(e.to_string()))?;
    Ok((chain, key))
}
