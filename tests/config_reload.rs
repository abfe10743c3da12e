//! Reloading the configuration while serving: upstream's rules (byte compare, full validation,
//! semantic compare, atomic swap, bad files keep the old chain), fresh webhook caches after a
//! reload, the reload metrics, and the file watcher picking changes up.

mod common;

use std::sync::Arc;
use std::time::Duration;

use authz_chain::authorizers::rbac::RbacIndex;
use authz_chain::authz::{Attributes, Decision, Request, ResourceAttributes, UserInfo};
use authz_chain::build::{ChainOptions, Sources, build_chain};
use authz_chain::config::load_data;
use authz_chain::metrics::Metrics;
use authz_chain::server::{App, ConfigReloader, ReloadOutcome, config_hash};
use common::downstream::{Behavior, Downstream};
use serde_json::json;

fn config(kubeconfig: &std::path::Path, ttl: &str, with_rbac: bool) -> String {
    let mut text = format!(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Webhook\n  name: wh\n  webhook:\n    timeout: 2s\n    authorizedTTL: {ttl}\n    subjectAccessReviewVersion: v1\n    failurePolicy: NoOpinion\n    connectionInfo: {{type: KubeConfigFile, kubeConfigFile: {}}}\n",
        kubeconfig.display()
    );
    if with_rbac {
        text.push_str("- type: RBAC\n  name: rbac\n");
    }
    text
}

fn request() -> Request {
    Request {
        user: UserInfo {
            name: "alice".into(),
            ..UserInfo::default()
        },
        attributes: Attributes::Resource(ResourceAttributes {
            namespace: "default".into(),
            verb: "get".into(),
            resource: "pods".into(),
            ..ResourceAttributes::default()
        }),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    kubeconfig: std::path::PathBuf,
    downstream: Downstream,
    app: Arc<App>,
    metrics: Arc<Metrics>,
    reloader: Arc<ConfigReloader>,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let downstream =
        Downstream::start(Behavior::status("v1", json!({"allowed": true})), None).await;
    let kubeconfig = downstream.kubeconfig(dir.path(), "wh", None);
    let path = dir.path().join("authz.yaml");
    let bytes = config(&kubeconfig, "5m", true).into_bytes();
    std::fs::write(&path, &bytes).expect("write");
    let metrics = Arc::new(Metrics::new());
    let loaded = load_data(&bytes, &[]).expect("valid");
    let sources = Sources {
        rbac: Arc::new(arc_swap::ArcSwap::from_pointee(RbacIndex::default())),
        ..Sources::default()
    };
    let options = ChainOptions {
        metrics: metrics.clone(),
        ..ChainOptions::default()
    };
    let chain = build_chain(&loaded, &sources, &options).expect("chain");
    let app = Arc::new(App::new(chain, metrics.clone()));
    let build = Box::new(move |config: &authz_chain::config::LoadedConfig| {
        build_chain(config, &sources, &options).map_err(|e| e.to_string())
    });
    let reloader = Arc::new(ConfigReloader::new(
        path.clone(),
        bytes,
        &loaded,
        app.clone(),
        build,
        metrics.clone(),
        "test-instance",
    ));
    Fixture {
        _dir: dir,
        path,
        kubeconfig,
        downstream,
        app,
        metrics,
        reloader,
    }
}

async fn decide(app: &App) -> Decision {
    app.chain().evaluate(&request()).await.verdict.decision
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_reload_rules() {
    let f = fixture().await;
    let id_hash = config_hash(b"test-instance");
    let initial_hash = config_hash(&std::fs::read(&f.path).expect("read"));
    let metrics = f.metrics.encode();
    assert!(
        metrics.contains(&format!("apiserver_authorization_config_controller_last_config_info{{apiserver_id_hash=\"{id_hash}\",hash=\"{initial_hash}\"}} 1")),
        "{metrics}"
    );
    assert!(
        !metrics.contains("automatic_reloads_total{"),
        "no reload sample before the first reload"
    );

    assert_eq!(decide(&f.app).await, Decision::Allow);
    assert_eq!(decide(&f.app).await, Decision::Allow);
    assert_eq!(f.downstream.calls(), 1, "cached");

    assert_eq!(f.reloader.check(), ReloadOutcome::Unchanged, "same bytes");
    std::fs::write(
        &f.path,
        format!("# a comment\n{}", config(&f.kubeconfig, "5m", true)),
    )
    .expect("write");
    assert_eq!(
        f.reloader.check(),
        ReloadOutcome::Unchanged,
        "same configuration, other bytes"
    );

    let changed = config(&f.kubeconfig, "10m", true);
    std::fs::write(&f.path, &changed).expect("write");
    assert_eq!(f.reloader.check(), ReloadOutcome::Reloaded);
    assert_eq!(decide(&f.app).await, Decision::Allow);
    assert_eq!(f.downstream.calls(), 2, "a reload drops the caches");

    std::fs::write(&f.path, "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: [{type: Bogus}]\n").expect("write");
    assert!(
        matches!(f.reloader.check(), ReloadOutcome::Failed(e) if e.contains("Unsupported value: \"Bogus\""))
    );
    assert_eq!(
        f.reloader.check(),
        ReloadOutcome::Unchanged,
        "the same bad bytes are not processed twice"
    );
    assert_eq!(
        decide(&f.app).await,
        Decision::Allow,
        "the old chain still answers"
    );

    std::fs::write(&f.path, config(&f.kubeconfig, "10m", false)).expect("write");
    assert!(
        matches!(f.reloader.check(), ReloadOutcome::Failed(e) if e.contains("missing required types: [RBAC]"))
    );

    std::fs::remove_file(&f.path).expect("remove");
    assert!(
        matches!(f.reloader.check(), ReloadOutcome::Failed(_)),
        "a deleted file is a failure"
    );

    let metrics = f.metrics.encode();
    let changed_hash = config_hash(changed.as_bytes());
    for needle in [
        format!(
            "apiserver_authorization_config_controller_automatic_reloads_total{{status=\"success\",apiserver_id_hash=\"{id_hash}\"}} 1"
        ),
        format!(
            "apiserver_authorization_config_controller_automatic_reloads_total{{status=\"failure\",apiserver_id_hash=\"{id_hash}\"}} 3"
        ),
        format!(
            "apiserver_authorization_config_controller_automatic_reload_last_timestamp_seconds{{status=\"failure\",apiserver_id_hash=\"{id_hash}\"}}"
        ),
        format!(
            "apiserver_authorization_config_controller_last_config_info{{apiserver_id_hash=\"{id_hash}\",hash=\"{changed_hash}\"}} 1"
        ),
    ] {
        assert!(metrics.contains(&needle), "missing {needle} in\n{metrics}");
    }
    assert!(
        !metrics.contains(&initial_hash),
        "only the latest config info series remains"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_picks_up_a_rewrite() {
    let f = fixture().await;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(f.reloader.clone().run(Duration::from_secs(60), async move {
        let _ = stop_rx.wait_for(|s| *s).await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Atomic replace, as editors and ConfigMap updates do.
    let tmp = f.path.with_extension("tmp");
    std::fs::write(&tmp, "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: RBAC\n  name: rbac\n- type: AlwaysDeny\n  name: alwaysdeny\n").expect("write");
    std::fs::rename(&tmp, &f.path).expect("rename");
    let started = std::time::Instant::now();
    loop {
        let chain = f.app.chain();
        if chain.links().iter().any(|l| &*l.name == "alwaysdeny") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the new chain did not answer within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(decide(&f.app).await, Decision::NoOpinion);
    let _ = stop_tx.send(true);
    task.await.expect("reloader stops");
}
