//! `NodeGraphStore`: how the graph is shared between the decision path and its writer.
//!
//! The graph changes in place, one object at a time, as the state source reports events:
//! rebuilding a snapshot of 100,000 pods for every pod event would cost milliseconds. So, as
//! upstream does, a writer holds the write lock for one whole object update (a microsecond or
//! two) and readers take the read lock (`graph.go`; helper names there say which lock is held).
//! A bulk load (start-up, a relist) builds a new graph off to the side and swaps it in: the
//! write lock is held only to exchange the two graphs, and the old one is dropped after the
//! lock is released, so readers never wait for a bulk load.
//!
//! (An `ArcSwap` of the graph would free readers of the lock, but in-place updates need one
//! anyway, and the extra indirection cost more per decision than the swap saves.)

use std::sync::{PoisonError, RwLock};

use super::graph::NodeGraph;

/// The current node graph, shared by the Node authorizer and the state source.
#[derive(Debug, Default)]
pub struct NodeGraphStore {
    graph: RwLock<NodeGraph>,
}

impl NodeGraphStore {
    /// A store holding `graph`.
    pub fn new(graph: NodeGraph) -> Self {
        NodeGraphStore {
            graph: RwLock::new(graph),
        }
    }

    /// Replaces the whole graph with one built off to the side.
    pub fn replace(&self, graph: NodeGraph) {
        let old = self.update(|current| std::mem::replace(current, graph));
        // Dropping 100,000 pods takes milliseconds: not under the lock.
        drop(old);
    }

    /// Applies one object's update under the write lock.
    pub fn update<R>(&self, change: impl FnOnce(&mut NodeGraph) -> R) -> R {
        // A writer that panicked left at most one object half-updated; keep serving.
        let mut graph = self.graph.write().unwrap_or_else(PoisonError::into_inner);
        change(&mut graph)
    }

    /// Reads the graph under the read lock.
    #[inline]
    pub fn read<R>(&self, read: impl FnOnce(&NodeGraph) -> R) -> R {
        let graph = self.graph.read().unwrap_or_else(PoisonError::into_inner);
        read(&graph)
    }
}
