//! The hash that identifies a configuration file in metrics and reports.

use sha2::{Digest, Sha256};

/// `"sha256:" + hex(sha256(bytes))`, or empty for empty input, as upstream's `getHash`.
pub fn config_hash(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}
