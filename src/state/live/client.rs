//! Connecting to the cluster: a kubeconfig file (`--kubeconfig`), or the pod's service account
//! when running in a cluster.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use thiserror::Error;

/// Where the API server is and how to authenticate to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterAccess {
    /// A kubeconfig file; its current context is used.
    Kubeconfig(PathBuf),
    /// The pod's service account token and CA, and `KUBERNETES_SERVICE_HOST`/`_PORT`.
    InCluster,
}

impl ClusterAccess {
    /// In-cluster access when running in a pod (`KUBERNETES_SERVICE_HOST` is set), else `None`.
    pub fn detect_in_cluster() -> Option<Self> {
        std::env::var_os("KUBERNETES_SERVICE_HOST")
            .filter(|host| !host.is_empty())
            .map(|_| ClusterAccess::InCluster)
    }
}

impl std::fmt::Display for ClusterAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClusterAccess::Kubeconfig(path) => write!(f, "kubeconfig `{}`", path.display()),
            ClusterAccess::InCluster => f.write_str("in-cluster service account"),
        }
    }
}

/// Why no client could be set up. The message already ends with kube-rs' own chain of causes,
/// so no `source` is exposed (it would be printed twice).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The kubeconfig file could not be read or used.
    #[error("kubeconfig `{}`: {error}", path.display())]
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: kube::config::KubeconfigError,
    },
    /// The pod's credentials could not be read.
    #[error("in-cluster configuration: {0}")]
    InCluster(kube::config::InClusterError),
    /// The client could not be built from the configuration.
    #[error("Kubernetes client: {0}")]
    Client(kube::Error),
}

/// A client for `access`. Nothing is sent yet: an unreachable server shows up as failing watches
/// and readiness, not as a start-up error.
pub async fn connect(access: &ClusterAccess) -> Result<Client, ConnectError> {
    let config = match access {
        ClusterAccess::Kubeconfig(path) => {
            let error = |error| ConnectError::Kubeconfig {
                path: path.clone(),
                error,
            };
            let kubeconfig = Kubeconfig::read_from(path).map_err(error)?;
            Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .map_err(error)?
        }
        ClusterAccess::InCluster => Config::incluster().map_err(ConnectError::InCluster)?,
    };
    Client::try_from(config).map_err(ConnectError::Client)
}
