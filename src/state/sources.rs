//! `Sources`: the stores the authorizers read (the RBAC index, the Node graph), filled from a
//! [`ClusterState`] by the file source or kept current by the live one. The chain builder hands
//! them to the authorizers it builds.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::ClusterState;
use crate::authorizers::node::{NodeGraph, NodeGraphStore};
use crate::authorizers::rbac::RbacIndex;

/// The state stores authorizers read from.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The RBAC snapshot, kept current by the state source.
    pub rbac: Arc<ArcSwap<RbacIndex>>,
    /// The Node authorizer's graph, kept current by the state source.
    pub node: Arc<NodeGraphStore>,
}

impl Sources {
    /// Stores holding `state`: the RBAC index and the node graph built from it.
    pub fn from_state(state: &ClusterState) -> Result<Self, StateLoadError> {
        Ok(Sources {
            rbac: Arc::new(ArcSwap::from_pointee(RbacIndex::build(&state.rbac))),
            node: Arc::new(NodeGraphStore::new(NodeGraph::from_manifests(
                &state.graph_objects,
            )?)),
        })
    }

    /// Replaces everything the stores hold with `state` (a re-read of the state files): both
    /// are built off to the side first, so a state that does not load changes nothing, and
    /// readers never wait for the build.
    pub fn replace_state(&self, state: &ClusterState) -> Result<(), StateLoadError> {
        let graph = NodeGraph::from_manifests(&state.graph_objects)?;
        let index = RbacIndex::build(&state.rbac);
        self.rbac.store(Arc::new(index));
        self.node.replace(graph);
        Ok(())
    }
}

/// Why cluster state could not be turned into stores.
pub type StateLoadError = crate::authorizers::node::GraphLoadError;
