//! Watching files for changes: notify events on their directories (ConfigMap and Secret volumes
//! swap a `..data` symlink, so the directory is what changes), debounced, plus a periodic poll
//! that catches whatever notify misses (network filesystems, a watch that could not be set up).
//! Only creations, writes, renames and removals count: reading a watched file must not
//! re-trigger the watch.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};

/// What to watch.
#[derive(Clone, Debug)]
pub enum Watched {
    /// One file: events on its name (and on `..`-prefixed ConfigMap machinery) in its directory.
    File(PathBuf),
    /// A directory and everything below it.
    Tree(PathBuf),
}

/// Calls `on_change` (on a blocking thread) after each burst of changes to `watched`, and every
/// `poll`, until `shutdown` resolves.
pub async fn watch<F>(
    watched: Vec<Watched>,
    poll: Duration,
    shutdown: impl std::future::Future<Output = ()>,
    on_change: F,
) where
    F: Fn() + Send + Sync + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let names: BTreeSet<OsString> = watched
        .iter()
        .filter_map(|w| match w {
            Watched::File(path) => path.file_name().map(|n| n.to_owned()),
            Watched::Tree(_) => None,
        })
        .collect();
    let trees: Vec<PathBuf> = watched
        .iter()
        .filter_map(|w| match w {
            Watched::Tree(path) => Some(path.clone()),
            Watched::File(_) => None,
        })
        .collect();
    let filter_trees = trees.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if !matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) {
            return;
        }
        let relevant = event.paths.iter().any(|p| {
            filter_trees.iter().any(|t| p.starts_with(t))
                || p.file_name().is_some_and(|f| {
                    names.contains(f) || f.to_str().is_some_and(|f| f.starts_with(".."))
                })
        });
        if relevant {
            let _ = tx.send(());
        }
    });
    let _watcher = match watcher {
        Ok(mut watcher) => {
            let mut dirs: BTreeSet<(PathBuf, bool)> = BTreeSet::new();
            for w in &watched {
                match w {
                    Watched::File(path) => {
                        let dir = path
                            .parent()
                            .filter(|d| !d.as_os_str().is_empty())
                            .unwrap_or(Path::new("."));
                        dirs.insert((dir.to_owned(), false));
                    }
                    Watched::Tree(path) => {
                        dirs.insert((path.clone(), true));
                    }
                }
            }
            for (dir, recursive) in dirs {
                let mode = if recursive {
                    RecursiveMode::Recursive
                } else {
                    RecursiveMode::NonRecursive
                };
                if let Err(error) = watcher.watch(&dir, mode) {
                    tracing::warn!(dir = %dir.display(), %error, "cannot watch; polling only");
                }
            }
            Some(watcher)
        }
        Err(error) => {
            tracing::warn!(%error, "cannot create a file watcher; polling only");
            None
        }
    };
    let on_change = std::sync::Arc::new(on_change);
    let mut ticker = tokio::time::interval(poll);
    ticker.tick().await;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = ticker.tick() => {}
            Some(()) = rx.recv() => {
                // Debounce: editors and kubelet write in several steps.
                tokio::time::sleep(Duration::from_millis(100)).await;
                while rx.try_recv().is_ok() {}
            }
        }
        let on_change = on_change.clone();
        // Reading, validating and building is blocking work.
        let _ = tokio::task::spawn_blocking(move || on_change()).await;
    }
}
