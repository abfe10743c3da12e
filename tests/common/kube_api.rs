//! A fake Kubernetes API server for the live-state tests: HTTPS on loopback, speaking the
//! list/watch protocol for the kinds authz-chain watches, driven by the test at run time.
//!
//! * `GET <collection>`: a list of every object, with the collection's resourceVersion, paged by
//!   `limit`/`continue`.
//! * `GET <collection>?watch=true&resourceVersion=N`: a chunked stream of JSON lines
//!   `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":...}`, starting after N.
//! * [`FakeKube::expire`]: history before now is compacted; watches from an older
//!   resourceVersion get `410 Gone`, as an `ERROR` event with a `Status` (or, after
//!   [`FakeKube::gone_as_http`], as an HTTP 410 answer to the watch request).
//! * [`FakeKube::apply_unseen`] and [`FakeKube::delete_unseen`]: changes no watch will report
//!   (as if their events were lost), so only a relist can find them.
//! * [`FakeKube::bookmark`], [`FakeKube::drop_connections`] (TCP closed mid-stream),
//!   [`FakeKube::hold_lists`] (lists of a kind wait until released).

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::pki::Ca;

pub mod objects;
mod protocol;

/// The collections served: (kind, apiVersion, path).
pub const KINDS: [(&str, &str, &str); 9] = [
    (
        "Role",
        "rbac.authorization.k8s.io/v1",
        "/apis/rbac.authorization.k8s.io/v1/roles",
    ),
    (
        "ClusterRole",
        "rbac.authorization.k8s.io/v1",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    ),
    (
        "RoleBinding",
        "rbac.authorization.k8s.io/v1",
        "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    ),
    (
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io/v1",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    ),
    ("Pod", "v1", "/api/v1/pods"),
    ("PersistentVolume", "v1", "/api/v1/persistentvolumes"),
    (
        "VolumeAttachment",
        "storage.k8s.io/v1",
        "/apis/storage.k8s.io/v1/volumeattachments",
    ),
    (
        "ResourceSlice",
        "resource.k8s.io/v1",
        "/apis/resource.k8s.io/v1/resourceslices",
    ),
    (
        "PodCertificateRequest",
        "certificates.k8s.io/v1beta1",
        "/apis/certificates.k8s.io/v1beta1/podcertificaterequests",
    ),
];

/// One kind's objects and event history.
#[derive(Default)]
struct Collection {
    objects: BTreeMap<(String, String), Value>,
    /// (resourceVersion, type, object).
    events: Vec<(u64, &'static str, Value)>,
    /// Watches from a resourceVersion older than this are answered `410 Gone`.
    oldest: u64,
}

#[derive(Default)]
struct State {
    rv: u64,
    collections: BTreeMap<&'static str, Collection>,
    held: HashSet<&'static str>,
    unserved: HashSet<&'static str>,
    gone_as_http: bool,
    bookmarks: u64,
}

struct Shared {
    state: Mutex<State>,
    /// Bumped on every change, so lists and watches re-check the state.
    changed: watch::Sender<u64>,
    connections: Mutex<Vec<AbortHandle>>,
    requests: Mutex<Vec<String>>,
}

impl Shared {
    fn change<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let result = f(&mut self.state.lock().expect("state"));
        self.changed.send_modify(|n| *n += 1);
        result
    }
}

/// A running fake API server; stops when dropped.
pub struct FakeKube {
    pub address: SocketAddr,
    ca: Ca,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        self.task.abort();
        self.drop_connections();
    }
}

fn kind_of(kind: &str) -> (&'static str, &'static str, &'static str) {
    *KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .unwrap_or_else(|| panic!("unknown kind {kind}"))
}

fn key_of(object: &Value) -> (String, String) {
    let text = |p: &str| {
        object
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    (text("/metadata/namespace"), text("/metadata/name"))
}

impl FakeKube {
    pub async fn start() -> Self {
        let ca = Ca::new("fake-kube-ca");
        let leaf = ca.server();
        let certs = rustls::pki_types::pem::PemObject::pem_slice_iter(leaf.cert_pem.as_bytes())
            .collect::<Result<Vec<rustls::pki_types::CertificateDer<'static>>, _>>()
            .expect("cert");
        let key: rustls::pki_types::PrivateKeyDer<'static> =
            rustls::pki_types::pem::PemObject::from_pem_slice(leaf.key_pem.as_bytes())
                .expect("key");
        let mut config =
            rustls::ServerConfig::builder_with_provider(authz_chain::server::crypto_provider())
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .expect("server config");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let mut state = State::default();
        for (kind, _, _) in KINDS {
            state.collections.insert(kind, Collection::default());
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            changed: watch::channel(0).0,
            connections: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        });
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let (acceptor, shared) = (acceptor.clone(), accept_shared.clone());
                let connection = tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(protocol::handle(&shared, request).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
                let mut connections = accept_shared.connections.lock().expect("connections");
                connections.retain(|c| !c.is_finished());
                connections.push(connection.abort_handle());
            }
        });
        FakeKube {
            address,
            ca,
            shared,
            task,
        }
    }

    /// A kubeconfig for this server (token auth, its CA), written into `dir`.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let ca = dir.join("fake-kube-ca.crt");
        std::fs::write(&ca, &self.ca.pem).expect("ca");
        let path = dir.join("fake-kube.kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: https://127.0.0.1:{}\n    certificate-authority: {}\nusers:\n- name: u\n  user:\n    token: test-token\ncontexts:\n- name: c\n  context: {{cluster: fake, user: u}}\ncurrent-context: c\n",
            self.address.port(),
            ca.display()
        );
        std::fs::write(&path, text).expect("kubeconfig");
        path
    }

    /// Adds or replaces `object` (its `kind` picks the collection) and reports it to watches.
    pub fn apply(&self, object: Value) -> u64 {
        self.write(object, true)
    }

    /// Like [`FakeKube::apply`], but no watch will report it.
    pub fn apply_unseen(&self, object: Value) -> u64 {
        self.write(object, false)
    }

    fn write(&self, mut object: Value, record: bool) -> u64 {
        let kind = object["kind"].as_str().expect("object kind").to_owned();
        let (kind, api_version, _) = kind_of(&kind);
        self.shared.change(|state| {
            state.rv += 1;
            let rv = state.rv;
            object["apiVersion"] = json!(api_version);
            object["metadata"]["resourceVersion"] = json!(rv.to_string());
            if object["metadata"]["uid"].is_null() {
                object["metadata"]["uid"] = json!(format!("uid-{rv}"));
            }
            let collection = state.collections.get_mut(kind).expect("collection");
            let key = key_of(&object);
            let old = collection.objects.insert(key, object.clone());
            if record {
                let kind = if old.is_some() { "MODIFIED" } else { "ADDED" };
                collection.events.push((rv, kind, object));
            }
            rv
        })
    }

    /// Deletes an object and reports it to watches.
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) {
        self.remove(kind, namespace, name, true);
    }

    /// Like [`FakeKube::delete`], but no watch will report it.
    pub fn delete_unseen(&self, kind: &str, namespace: &str, name: &str) {
        self.remove(kind, namespace, name, false);
    }

    fn remove(&self, kind: &str, namespace: &str, name: &str, record: bool) {
        let (kind, _, _) = kind_of(kind);
        self.shared.change(|state| {
            state.rv += 1;
            let rv = state.rv;
            let collection = state.collections.get_mut(kind).expect("collection");
            let mut object = collection
                .objects
                .remove(&(namespace.to_owned(), name.to_owned()))
                .unwrap_or_else(|| panic!("no {kind} {namespace}/{name}"));
            object["metadata"]["resourceVersion"] = json!(rv.to_string());
            if record {
                collection.events.push((rv, "DELETED", object));
            }
        });
    }

    /// Compacts history: watches from before now get `410 Gone`, open ones included.
    pub fn expire(&self) {
        self.shared.change(|state| {
            let rv = state.rv;
            for collection in state.collections.values_mut() {
                collection.oldest = rv;
                collection.events.clear();
            }
        });
    }

    /// From now on `410 Gone` is an HTTP 410 answer to a watch request (open watches are ended
    /// cleanly instead of receiving an `ERROR` event).
    pub fn gone_as_http(&self, on: bool) {
        self.shared.change(|state| state.gone_as_http = on);
    }

    /// Sends a `BOOKMARK` with the current resourceVersion on every open watch that asked for
    /// bookmarks; returns that resourceVersion.
    pub fn bookmark(&self) -> u64 {
        self.shared.change(|state| {
            state.bookmarks += 1;
            state.rv
        })
    }

    /// Makes list requests for `kind` wait (`true`) or lets them through (`false`).
    pub fn hold_lists(&self, kind: &str, hold: bool) {
        let (kind, _, _) = kind_of(kind);
        self.shared.change(|state| {
            if hold {
                state.held.insert(kind);
            } else {
                state.held.remove(kind);
            }
        });
    }

    /// Answers requests for `kind` with `404 Not Found` (`true`), as an API server that does not
    /// serve that API group version does, or serves it again (`false`).
    pub fn unserve(&self, kind: &str, unserved: bool) {
        let (kind, _, _) = kind_of(kind);
        self.shared.change(|state| {
            if unserved {
                state.unserved.insert(kind);
            } else {
                state.unserved.remove(kind);
            }
        });
    }

    /// Closes every connection at once, mid-stream, as a network failure would.
    pub fn drop_connections(&self) {
        for connection in self
            .shared
            .connections
            .lock()
            .expect("connections")
            .drain(..)
        {
            connection.abort();
        }
    }

    /// How many objects of `kind` exist.
    pub fn count(&self, kind: &str) -> usize {
        let (kind, _, _) = kind_of(kind);
        self.shared.state.lock().expect("state").collections[kind]
            .objects
            .len()
    }

    /// Every request so far, as `path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().expect("requests").clone()
    }
}
