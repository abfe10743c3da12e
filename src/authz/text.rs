//! String equality for the hot path.
//!
//! Authorization compares many short strings (verbs, resources, group names) that are equal in
//! length. Rust's `==` on strings calls libc `memcmp` for every equal-length pair; on the Xeon
//! machines measured here that call (an AVX-512 variant) cost several times the comparison itself
//! and dominated RBAC decisions. [`str_eq`] compares in registers instead, and [`Key`] lets
//! `hashbrown` maps use it for lookups.

use std::hash::{Hash, Hasher};

/// Whether `a` and `b` are the same string, compared without calling `memcmp`.
#[inline]
pub fn str_eq(a: &str, b: &str) -> bool {
    bytes_eq(a.as_bytes(), b.as_bytes())
}

/// [`str_eq`] for byte slices (for comparing parts of strings that may not be at character
/// boundaries).
#[inline]
pub fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            if load8(a, i) != load8(b, i) {
                return false;
            }
            i += 8;
        }
        // The last (possibly overlapping) word covers the tail.
        return load8(a, n - 8) == load8(b, n - 8);
    }
    if n >= 4 {
        return load4(a, 0) == load4(b, 0) && load4(a, n - 4) == load4(b, n - 4);
    }
    // 0 to 3 bytes: positions 0, n/2 and n-1 cover them all.
    n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1])
}

#[inline]
fn load8(s: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&s[at..at + 8]);
    u64::from_ne_bytes(word)
}

#[inline]
fn load4(s: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&s[at..at + 4]);
    u32::from_ne_bytes(word)
}

/// A borrowed lookup key for `hashbrown` maps keyed by `Box<str>`: hashes as `str` does and
/// compares with [`str_eq`].
#[derive(Clone, Copy, Debug)]
pub struct Key<'a>(pub &'a str);

impl Hash for Key<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl hashbrown::Equivalent<Box<str>> for Key<'_> {
    fn equivalent(&self, key: &Box<str>) -> bool {
        str_eq(self.0, key)
    }
}

#[cfg(test)]
mod tests {
    use super::str_eq;

    #[test]
    fn agrees_with_string_equality() {
        let words = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "abc",
            "abd",
            "xbc",
            "get",
            "list",
            "lisx",
            "watch",
            "create",
            "pods/log",
            "pods/lox",
            "xods/log",
            "system:authenticated",
            "system:authenticatex",
            "xystem:authenticated",
            "system:unauthenticated",
            "été",
            "ét\u{e9}",
            "😀",
            "a😀",
        ];
        for a in words {
            for b in words {
                assert_eq!(str_eq(a, b), a == b, "{a:?} vs {b:?}");
            }
        }
        for len in 0..40 {
            let base: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            for flip in 0..len {
                let mut other = base.clone().into_bytes();
                other[flip] = b'Z';
                let other = String::from_utf8(other).expect("ascii");
                assert!(!str_eq(&base, &other), "{base} vs {other}");
            }
            assert!(str_eq(&base, &base.clone()));
        }
    }
}
