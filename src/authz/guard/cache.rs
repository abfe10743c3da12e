//! The decision cache: at most 8192 answers per guarded authorizer, keyed by the canonical JSON of
//! the v1 spec, each with its own expiry (authorizedTTL for allowed answers, unauthorizedTTL for the
//! rest). Expired entries are dropped when looked up, as upstream's.

use std::time::Duration;

use tokio::time::Instant;

use super::Answer;
use crate::authz::{Attributes, Request};

/// Entries kept, as upstream's LRU.
pub const CACHE_ENTRIES: usize = 8192;

/// Requests whose attribute strings add up to this many bytes or more are never cached (their
/// keys are caller-controlled and could fill memory).
pub const MAX_CACHEABLE_ATTRIBUTE_BYTES: usize = 10_000;

/// Upstream's `shouldCache`: the sum of namespace, verb, group, version, resource, subresource,
/// name and path lengths must stay below [`MAX_CACHEABLE_ATTRIBUTE_BYTES`].
pub fn should_cache(request: &Request) -> bool {
    let total = match &request.attributes {
        Attributes::Resource(r) => {
            r.namespace.len()
                + r.verb.len()
                + r.group.len()
                + r.version.len()
                + r.resource.len()
                + r.subresource.len()
                + r.name.len()
        }
        Attributes::NonResource(n) => n.verb.len() + n.path.len(),
    };
    total < MAX_CACHEABLE_ATTRIBUTE_BYTES
}

#[derive(Clone)]
struct Entry {
    expires: Instant,
    answer: Answer,
}

/// Answers with their expiry.
pub struct DecisionCache {
    entries: quick_cache::sync::Cache<String, Entry>,
    authorized_ttl: Option<Duration>,
    unauthorized_ttl: Option<Duration>,
}

impl std::fmt::Debug for DecisionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionCache")
            .field("len", &self.entries.len())
            .field("authorized_ttl", &self.authorized_ttl)
            .field("unauthorized_ttl", &self.unauthorized_ttl)
            .finish()
    }
}

impl DecisionCache {
    /// A cache keeping allowed answers for `authorized_ttl` and others for `unauthorized_ttl`;
    /// `None` keeps nothing of that kind. `None` overall when neither is kept.
    pub fn new(
        authorized_ttl: Option<Duration>,
        unauthorized_ttl: Option<Duration>,
    ) -> Option<Self> {
        (authorized_ttl.is_some() || unauthorized_ttl.is_some()).then(|| DecisionCache {
            entries: quick_cache::sync::Cache::new(CACHE_ENTRIES),
            authorized_ttl,
            unauthorized_ttl,
        })
    }

    /// A live answer for `key`.
    pub fn get(&self, key: &str) -> Option<Answer> {
        let entry = self.entries.get(key)?;
        if Instant::now() > entry.expires {
            self.entries.remove(key);
            return None;
        }
        Some(entry.answer)
    }

    /// A live answer for `key` and how long ago it was stored, for `explain`: the entry's
    /// place in the cache is not changed, and an expired entry is left for `get` to drop.
    pub fn peek(&self, key: &str) -> Option<(Answer, Duration)> {
        let entry = self.entries.peek(key)?;
        let now = Instant::now();
        if now > entry.expires {
            return None;
        }
        let ttl = if entry.answer.allowed {
            self.authorized_ttl
        } else {
            self.unauthorized_ttl
        }
        .unwrap_or_default();
        let age = ttl.saturating_sub(entry.expires - now);
        Some((entry.answer, age))
    }

    /// Keeps `answer` for its TTL, if answers of its kind are kept.
    pub fn insert(&self, key: String, answer: &Answer) {
        let ttl = if answer.allowed {
            self.authorized_ttl
        } else {
            self.unauthorized_ttl
        };
        if let Some(ttl) = ttl {
            self.entries.insert(
                key,
                Entry {
                    expires: Instant::now() + ttl,
                    answer: answer.clone(),
                },
            );
        }
    }

    /// How many entries are held (expired ones included until looked up).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
