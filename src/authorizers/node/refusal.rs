//! The graph check's refusal reason, `no relationship found between node '<name>' and this
//! object`, formatted once per node name.
//!
//! A refused decision hands its reason to the chain, which outlives the graph's read lock, so
//! the text must be owned or shared. Sharing an `Arc` costs two atomic read-modify-writes per
//! refusal (a quarter of a decision), so the texts are interned for the life of the process
//! instead and handed out as `&'static str`. The interner is bounded: after
//! [`MAX_INTERNED`] distinct node names (about 1.3 MB of text, reached only by a cluster that
//! replaced that many nodes since the process started) new names fall back to an `Arc`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::authz::Reason;

/// How many distinct node names get a text kept for the life of the process.
pub(super) const MAX_INTERNED: usize = 16_384;

/// One node's refusal text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Interned: handing it out is a copy of a pointer.
    Interned(&'static str),
    /// Shared, once the interner is full.
    Shared(Arc<str>),
}

impl Refusal {
    /// The refusal of the node named `name` (called when a node first gets a binding, not on
    /// the decision path).
    pub fn for_node(name: &str) -> Self {
        static INTERNED: OnceLock<Mutex<HashMap<Box<str>, &'static str>>> = OnceLock::new();
        let interned = INTERNED.get_or_init(Mutex::default);
        let mut interned = interned.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&text) = interned.get(name) {
            return Refusal::Interned(text);
        }
        let text = refusal(name);
        if interned.len() >= MAX_INTERNED {
            return Refusal::Shared(text.into());
        }
        let text: &'static str = Box::leak(text.into_boxed_str());
        interned.insert(name.into(), text);
        Refusal::Interned(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            Refusal::Interned(text) => text,
            Refusal::Shared(text) => text,
        }
    }

    /// The reason for a verdict.
    #[inline]
    pub fn reason(&self) -> Reason {
        match self {
            Refusal::Interned(text) => Reason::Static(text),
            Refusal::Shared(text) => Reason::Shared(text.clone()),
        }
    }
}

/// The graph check's refusal text for a node named `name`.
pub(super) fn refusal(name: &str) -> String {
    format!("no relationship found between node '{name}' and this object")
}

#[cfg(test)]
mod tests {
    use super::Refusal;

    #[test]
    fn one_text_per_name() {
        let (a, b) = (Refusal::for_node("n-a"), Refusal::for_node("n-a"));
        assert_eq!(
            a.as_str(),
            "no relationship found between node 'n-a' and this object"
        );
        match (a, b) {
            (Refusal::Interned(a), Refusal::Interned(b)) => assert!(std::ptr::eq(a, b)),
            other => panic!("not interned: {other:?}"),
        }
    }
}
