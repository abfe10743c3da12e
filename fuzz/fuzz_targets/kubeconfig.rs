//! Kubeconfig parsing for webhook connections (`authz_chain::config::parse_webhook_connection`,
//! the part of `load_webhook_connection` after the file is read). The kubeconfig "lives" in a
//! directory that does not exist, so relative certificate and token files fail to load quickly.
#![no_main]

use std::path::Path;

use authz_chain::config::parse_webhook_connection;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent-authz-chain-fuzz/kubeconfig");
    match parse_webhook_connection(text, path) {
        Ok(connection) => {
            assert!(!connection.server.is_empty(), "a connection has a server");
            assert_eq!(
                connection.client_certificate.is_some(),
                connection.client_key.is_some(),
                "client certificate and key come together"
            );
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
