//! Cluster-state manifests as `--state` files hold them (`ClusterState::from_texts`: YAML with
//! several documents or concatenated JSON, objects or lists, then RBAC decoding and ClusterRole
//! aggregation), and the RBAC index and Node graph built from the result (`Sources::from_state`).
#![no_main]

use authz_chain::build::Sources;
use authz_chain::state::ClusterState;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The file name only labels errors: YAML or JSON is told from the text.
    match ClusterState::from_texts(&[("fuzz.yaml", text)]) {
        Ok(state) => {
            if let Err(error) = Sources::from_state(&state) {
                let _ = error.to_string();
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
