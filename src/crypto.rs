//! The one rustls crypto provider (ring) of the whole build: the server's TLS, the webhook and
//! loadgen clients and the tests all use it, so a single provider is compiled in.

use std::sync::Arc;

/// The crypto provider used everywhere (ring).
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
