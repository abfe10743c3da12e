//! `AuthorizationConfiguration` loading as `--authorization-config` and every reload do it
//! (`authz_chain::config::load_data`): strict YAML/JSON decoding, defaults, validation with field
//! errors, matchCondition CEL compilation, kube-apiserver's extra rules, and the webhooks'
//! kubeconfig files (read from disk only; a missing file is an ordinary error). Nothing here
//! opens a connection.
#![no_main]

use authz_chain::config::{ConfigError, load_data};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The start-up load, then a reload that must keep the non-webhook types of the start-up
    // configuration (a second set of rules).
    for required in [&[][..], &["RBAC", "Node"][..]] {
        match load_data(data, required) {
            Ok(loaded) => {
                assert!(
                    !loaded.chain.authorizers.is_empty(),
                    "a valid configuration has authorizers"
                );
            }
            Err(error @ (ConfigError::Load(_) | ConfigError::Invalid(_))) => {
                let lines = error.lines();
                assert!(!lines.is_empty(), "a refused configuration says why");
                let _ = error.to_string();
            }
        }
    }
});
