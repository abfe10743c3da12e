//! The user credentials of a kubeconfig beyond certificates and tokens, as client-go turns them
//! into a `rest.Config`: basic authentication, impersonation, and exec credential plugins
//! (`client.authentication.k8s.io` `v1` and `v1beta1`), with client-go's validation messages
//! (`tools/clientcmd/validation.go` `validateAuthInfo`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::schema::{Exec, User};
use crate::go::quote;

/// `username`/`password`: HTTP basic authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `as`, `as-uid`, `as-groups`, `as-user-extra`: the identity every request impersonates, sent as
/// `Impersonate-User`, `Impersonate-Uid`, `Impersonate-Group` and `Impersonate-Extra-<key>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Impersonation {
    /// `as`.
    pub user: String,
    /// `as-uid`; empty sends no header.
    pub uid: String,
    /// `as-groups`, one header each, in order.
    pub groups: Vec<String>,
    /// `as-user-extra`: one header per value.
    pub extra: BTreeMap<String, Vec<String>>,
}

/// The `client.authentication.k8s.io` version an exec plugin speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecApiVersion {
    /// `client.authentication.k8s.io/v1`.
    V1,
    /// `client.authentication.k8s.io/v1beta1`.
    V1beta1,
}

impl ExecApiVersion {
    /// The `apiVersion` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecApiVersion::V1 => "client.authentication.k8s.io/v1",
            ExecApiVersion::V1beta1 => "client.authentication.k8s.io/v1beta1",
        }
    }
}

/// What the plugin is told about the cluster with `provideClusterInfo: true`
/// (`ExecCredential.spec.cluster`, client-go's `rest.ConfigToExecCluster`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecCluster {
    /// The server URL (without its query when it has a path, as `rest.Config.Host`).
    pub server: String,
    /// `tls-server-name`.
    pub tls_server_name: String,
    /// `insecure-skip-tls-verify`.
    pub insecure_skip_tls_verify: bool,
    /// The CA bundle, from `certificate-authority-data` or the file.
    pub certificate_authority_data: Option<Vec<u8>>,
    /// `proxy-url`.
    pub proxy_url: String,
    /// `disable-compression`.
    pub disable_compression: bool,
    /// The cluster's `client.authentication.k8s.io/exec` extension, verbatim.
    pub config: Option<serde_json::Value>,
}

/// `users[].user.exec`: a credential plugin run to get a token and/or a client certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecConfig {
    /// The command: a path (relative ones resolved against the kubeconfig's directory) or a
    /// name looked up in `PATH`.
    pub command: String,
    /// Arguments.
    pub args: Vec<String>,
    /// Variables added to this process's environment, in order.
    pub env: Vec<(String, String)>,
    /// The `ExecCredential` version.
    pub api_version: ExecApiVersion,
    /// `installHint`, shown when the command is missing (control characters escaped).
    pub install_hint: String,
    /// `provideClusterInfo: true`: the cluster passed in `KUBERNETES_EXEC_INFO`.
    pub cluster: Option<ExecCluster>,
}

/// client-go's `validateAuthInfo` problems of `user` (named `name`), in its order.
pub(super) fn validate_user(name: &str, user: &User, problems: &mut Vec<String>) {
    if let Some(exec) = &user.exec {
        if user.auth_provider.is_some() {
            problems.push(format!(
                "authProvider cannot be provided in combination with an exec plugin for {name}"
            ));
        }
        if exec.command.is_empty() {
            problems.push(format!(
                "command must be specified for {name} to use exec authentication plugin"
            ));
        }
        if exec.api_version.is_empty() {
            problems.push(format!(
                "apiVersion must be specified for {name} to use exec authentication plugin"
            ));
        }
        if exec.env.iter().any(|v| v.name.is_empty()) {
            problems.push(format!(
                "env variable name must be specified for {name} to use exec authentication plugin"
            ));
        }
        match interactive_mode(exec) {
            "" => problems.push(format!(
                "interactiveMode must be specified for {name} to use exec authentication plugin"
            )),
            "Never" | "IfAvailable" | "Always" => {}
            other => problems.push(format!(
                "invalid interactiveMode for {name}: {}",
                quote(other)
            )),
        }
    }
    let mut methods = Vec::new();
    if !user.token.is_empty() {
        methods.push("token");
    }
    if !user.username.is_empty() || !user.password.is_empty() {
        methods.push("basicAuth");
    }
    if methods.len() > 1 {
        problems.push(format!(
            "more than one authentication method found for {name}; found [{}], only one is allowed",
            methods.join(" ")
        ));
    }
    if (!user.impersonate_uid.is_empty()
        || !user.impersonate_groups.is_empty()
        || !user.impersonate_user_extra.is_empty())
        && user.impersonate.is_empty()
    {
        problems.push(format!(
            "requesting uid, groups or user-extra for {name} without impersonating a user"
        ));
    }
}

/// `interactiveMode` after client-go's defaulting: `IfAvailable` for `v1beta1` when unset.
pub(super) fn interactive_mode(exec: &Exec) -> &str {
    match (exec.interactive_mode.as_str(), exec.api_version.as_str()) {
        ("", "client.authentication.k8s.io/v1beta1" | "client.authentication.k8s.io/v1alpha1") => {
            "IfAvailable"
        }
        (mode, _) => mode,
    }
}

/// The impersonation `user` asks for, if any (client-go applies it only with `as` set).
pub(super) fn impersonation(user: &User) -> Option<Impersonation> {
    (!user.impersonate.is_empty()).then(|| Impersonation {
        user: user.impersonate.clone(),
        uid: user.impersonate_uid.clone(),
        groups: user.impersonate_groups.clone(),
        extra: user
            .impersonate_user_extra
            .iter()
            .map(|(key, values)| (key.clone(), values.clone().unwrap_or_default()))
            .collect(),
    })
}

/// The plugin configuration; the error is client-go's (`exec plugin: invalid apiVersion ...`).
pub(super) fn exec_config(
    exec: &Exec,
    base: &Path,
    cluster: Option<ExecCluster>,
) -> Result<ExecConfig, String> {
    let api_version = match exec.api_version.as_str() {
        "client.authentication.k8s.io/v1" => ExecApiVersion::V1,
        "client.authentication.k8s.io/v1beta1" => ExecApiVersion::V1beta1,
        other => return Err(format!("exec plugin: invalid apiVersion {}", quote(other))),
    };
    // Only a command naming a path is resolved against the kubeconfig's directory; a bare name
    // is looked up in PATH when it runs (client-go's `GetAuthInfoFileReferences`).
    let command = if exec.command.contains('/') && !exec.command.starts_with('/') {
        // `components` drops the `.` of `./plugin`, as Go's `filepath.Join` cleans it.
        base.join(&exec.command)
            .components()
            .collect::<std::path::PathBuf>()
            .display()
            .to_string()
    } else {
        exec.command.clone()
    };
    Ok(ExecConfig {
        command,
        args: exec.args.clone(),
        env: exec
            .env
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect(),
        api_version,
        install_hint: clean_control_characters(&exec.install_hint),
        cluster,
    })
}

/// client-go's `cleanANSIEscapeCodes`, and line breaks too (messages here stay on one line):
/// every control character becomes its `U+XXXX` form, tabs and line breaks a space.
fn clean_control_characters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' => out.push(' '),
            c if c.is_control() => out.push_str(&format!("U+{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_hints_lose_escape_sequences() {
        assert_eq!(
            clean_control_characters("\u{1b}[1mbrew install\u{1b}[0m foo\nthen retry"),
            "U+001B[1mbrew installU+001B[0m foo then retry"
        );
    }
}
