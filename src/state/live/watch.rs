//! One kind's list/watch loop: kube-rs' `watcher` (list, then watch from the list's
//! resourceVersion, resume from the last event or bookmark, relist after `410 Gone`) with its
//! default backoff (0.8 s doubling to 30 s, with jitter), feeding a [`Mirror`].
//!
//! A failing watch never clears what was mirrored: decisions keep using the last known state
//! while the loop retries, and each failure is logged and counted in
//! `authz_chain_state_watch_restarts_total`. A watch the server ends, or a connection cut
//! mid-stream, is resumed by kube-rs from the last resourceVersion without a relist (kube-rs logs
//! the cut as a warning); that is routine and not counted. One case kube-rs does not recover
//! from on its own is handled here: a watch *request* answered with HTTP 410 (kube-rs would retry
//! the same expired resourceVersion forever) starts a fresh watcher, which relists.
//!
//! A kind the API server does not serve (its list answered `404 Not Found`: an older cluster
//! without `resource.k8s.io/v1`, or an API group turned off) has no objects to mirror, so it
//! counts as synced and empty instead of holding readiness back forever; the loop keeps
//! retrying with its backoff, and mirrors the kind once the server starts serving it.

use std::fmt::Debug;
use std::sync::Arc;

use futures::StreamExt;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use serde::de::DeserializeOwned;

use crate::health::ReadyFlag;
use crate::metrics::{KindLabels, Metrics, SecondsSince};

/// Where one kind's events go. A (re)list arrives as [`Mirror::relist_started`], the listed
/// objects, then [`Mirror::relist_done`], after which objects that were not listed are gone.
pub trait Mirror<K>: Send + 'static {
    /// A list starts; [`Mirror::listed`] objects follow.
    fn relist_started(&mut self);
    /// One object of the list.
    fn listed(&mut self, object: K);
    /// The list is complete: what was mirrored but not listed has been deleted.
    fn relist_done(&mut self);
    /// An object was added or modified.
    fn applied(&mut self, object: K);
    /// An object was deleted.
    fn deleted(&mut self, object: K);
    /// How many objects are mirrored.
    fn count(&self) -> usize;
    /// The first list is complete: set `ready` once decisions use it.
    fn first_sync(&mut self, ready: ReadyFlag) {
        ready.set(true);
    }
}

/// How long to wait before relisting after a watch request was refused with `410 Gone`.
const GONE_RELIST_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// One kind's metric handles, resolved once.
struct KindMetrics {
    objects: Gauge,
    restarts: Counter,
    last_event: SecondsSince,
}

impl KindMetrics {
    fn new(metrics: &Metrics, kind: &str) -> Self {
        let labels = KindLabels { kind: kind.into() };
        KindMetrics {
            objects: metrics.state_objects.get_or_create(&labels).clone(),
            restarts: metrics.state_watch_restarts.get_or_create(&labels).clone(),
            last_event: metrics.state_last_event.get_or_create(&labels).clone(),
        }
    }
}

/// Lists and watches every object of kind `K` (all namespaces) into `mirror` until the task is
/// dropped; `ready` is handed to the mirror after the first complete list.
pub async fn run<K, M>(client: Client, mut mirror: M, ready: ReadyFlag, metrics: Arc<Metrics>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
    M: Mirror<K>,
{
    let kind = K::kind(&());
    let handles = KindMetrics::new(&metrics, &kind);
    drop(metrics);
    let mut ready = Some(ready);
    loop {
        let api: Api<K> = Api::all(client.clone());
        let events = watcher::watcher(api, watcher::Config::default()).default_backoff();
        let mut events = std::pin::pin!(events);
        tracing::debug!(%kind, "starting list/watch");
        while let Some(event) = events.next().await {
            handles.last_event.touch();
            match event {
                Ok(Event::Init) => {
                    if ready.is_none() {
                        tracing::info!(%kind, "relisting");
                    }
                    mirror.relist_started();
                }
                Ok(Event::InitApply(object)) => mirror.listed(object),
                Ok(Event::InitDone) => {
                    mirror.relist_done();
                    tracing::info!(%kind, objects = mirror.count(), "list complete; watching");
                    if let Some(flag) = ready.take() {
                        mirror.first_sync(flag);
                    }
                }
                Ok(Event::Apply(object)) => mirror.applied(object),
                Ok(Event::Delete(object)) => mirror.deleted(object),
                Err(error) if is_not_served(&error) => {
                    if let Some(flag) = ready.take() {
                        tracing::warn!(
                            %kind,
                            "the API server does not serve this kind (404); treating it as \
                             empty and retrying with a backoff"
                        );
                        mirror.relist_started();
                        mirror.relist_done();
                        mirror.first_sync(flag);
                    } else {
                        tracing::debug!(%kind, "still not served (404)");
                    }
                }
                Err(error) => {
                    handles.restarts.inc();
                    tracing::warn!(
                        %kind,
                        error = %error,
                        "watch failed; retrying after a backoff, serving the last known state"
                    );
                    if is_watch_gone(&error) {
                        // kube-rs would retry the expired resourceVersion forever: relist.
                        tokio::time::sleep(GONE_RELIST_DELAY).await;
                        break;
                    }
                }
            }
            handles
                .objects
                .set(i64::try_from(mirror.count()).unwrap_or(i64::MAX));
        }
    }
}

/// Whether the list was answered `404 Not Found`: the server does not serve the kind.
fn is_not_served(error: &watcher::Error) -> bool {
    matches!(error, watcher::Error::InitialListFailed(kube::Error::Api(status)) if status.code == 404)
}

/// Whether a watch request itself was refused with `410 Gone` (its resourceVersion expired).
fn is_watch_gone(error: &watcher::Error) -> bool {
    matches!(error, watcher::Error::WatchStartFailed(kube::Error::Api(status)) if status.code == 410)
}
