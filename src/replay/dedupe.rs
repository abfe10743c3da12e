//! One record per auditID, in bounded memory.
//!
//! kube-apiserver logs a request at up to three stages, usually next to each other (a watch's
//! `ResponseComplete` can come minutes later). A record at a final stage (`ResponseComplete`,
//! `Panic`) is emitted at once, unless an earlier one for its auditID was; `RequestReceived` and
//! `ResponseStarted` wait in a window of the last [`DEFAULT_WINDOW`] auditIDs for a better stage.
//! An auditID pushed out of the window is emitted with the best stage seen so far.
//!
//! Emitted auditIDs are remembered (as 64-bit hashes) for the last [`DEFAULT_MEMORY`] emissions,
//! so a later stage, or the same event repeated by an overlapping rotated file, is merged rather
//! than replayed twice. A stage arriving after its auditID has left both is replayed again; with
//! the defaults that takes over 65,000 other requests in between for a pending one and 262,000
//! for an emitted one. Memory: at most the window's records plus 16 bytes per remembered auditID.

use std::collections::{HashMap, HashSet, VecDeque};

use super::record::Record;

/// How many auditIDs may wait for a better stage.
pub const DEFAULT_WINDOW: usize = 1 << 16;
/// How many emitted auditIDs are remembered.
pub const DEFAULT_MEMORY: usize = 1 << 18;

/// The merging window.
#[derive(Debug)]
pub struct Dedupe {
    pending: HashMap<Box<str>, Record>,
    order: VecDeque<Box<str>>,
    done: HashSet<u64>,
    done_order: VecDeque<u64>,
    hasher: ahash::RandomState,
    window: usize,
    memory: usize,
    merged: u64,
}

impl Dedupe {
    /// A window of `window` pending auditIDs remembering `memory` emitted ones.
    pub fn new(window: usize, memory: usize) -> Self {
        Dedupe {
            pending: HashMap::new(),
            order: VecDeque::new(),
            done: HashSet::new(),
            done_order: VecDeque::new(),
            hasher: ahash::RandomState::with_seeds(1, 2, 3, 4),
            window: window.max(1),
            memory: memory.max(1),
            merged: 0,
        }
    }

    /// How many records were merged into another of the same auditID.
    pub fn merged(&self) -> u64 {
        self.merged
    }

    fn remember(&mut self, id: &str) {
        let hash = self.hasher.hash_one(id);
        if self.done.insert(hash) {
            self.done_order.push_back(hash);
            if self.done_order.len() > self.memory
                && let Some(old) = self.done_order.pop_front()
            {
                self.done.remove(&old);
            }
        }
    }

    /// Takes one record; calls `emit` for each record that is final.
    pub fn push(&mut self, record: Record, emit: &mut impl FnMut(Record)) {
        if self.done.contains(&self.hasher.hash_one(&*record.audit_id)) {
            self.merged += 1;
            return;
        }
        let finished = record.stage.is_final();
        let best = match self.pending.remove(&record.audit_id) {
            Some(previous) => {
                self.merged += 1;
                // Panic ranks with ResponseStarted but ends the request, so it wins the tie.
                let (new, old) = (record.stage.rank(), previous.stage.rank());
                if new > old || (new == old && finished) {
                    record
                } else {
                    previous
                }
            }
            None => {
                if !record.stage.is_final() {
                    self.order.push_back(record.audit_id.clone());
                }
                record
            }
        };
        if finished {
            self.remember(&best.audit_id);
            emit(best);
        } else {
            self.pending.insert(best.audit_id.clone(), best);
        }
        while self.order.len() > self.window {
            if let Some(id) = self.order.pop_front()
                && let Some(record) = self.pending.remove(&id)
            {
                self.remember(&id);
                emit(record);
            }
        }
    }

    /// Emits every record still waiting, oldest first.
    pub fn finish(&mut self, emit: &mut impl FnMut(Record)) {
        while let Some(id) = self.order.pop_front() {
            if let Some(record) = self.pending.remove(&id) {
                self.remember(&id);
                emit(record);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::event::Stage;
    use crate::replay::record::Class;

    fn record(id: &str, stage: Stage) -> Record {
        Record {
            audit_id: id.into(),
            stage,
            time: "".into(),
            origin: (0, 0),
            user: "u".into(),
            impersonated: None,
            verb: "get".into(),
            resource: "".into(),
            namespace: "".into(),
            path: "/".into(),
            recorded: None,
            candidate: None,
            baseline: None,
            class: Class::Exact,
            note: None,
            flip: None,
        }
    }

    fn run(window: usize, memory: usize, input: &[(&str, Stage)]) -> (Vec<(String, Stage)>, u64) {
        let mut dedupe = Dedupe::new(window, memory);
        let mut out = Vec::new();
        let mut emit = |r: Record| out.push((r.audit_id.to_string(), r.stage));
        for (id, stage) in input {
            dedupe.push(record(id, *stage), &mut emit);
        }
        dedupe.finish(&mut emit);
        let merged = dedupe.merged();
        (out, merged)
    }

    #[test]
    fn keeps_the_best_stage_of_each_audit_id() {
        use Stage::*;
        let (out, merged) = run(
            8,
            8,
            &[
                ("a", RequestReceived),
                ("b", RequestReceived),
                ("a", ResponseComplete),
                ("w", RequestReceived),
                ("w", ResponseStarted),
                ("b", ResponseComplete),
                ("a", ResponseComplete),
                ("r", RequestReceived),
                ("p", ResponseStarted),
                ("p", Panic),
                ("w", ResponseComplete),
            ],
        );
        assert_eq!(
            out,
            [
                ("a".into(), ResponseComplete),
                ("b".into(), ResponseComplete),
                ("p".into(), Panic),
                ("w".into(), ResponseComplete),
                ("r".into(), RequestReceived),
            ]
        );
        assert_eq!(merged, 6);
    }

    #[test]
    fn the_window_is_bounded() {
        use Stage::*;
        // With a window of 1, `a` is pushed out by `b` and emitted at its best stage so far;
        // its ResponseComplete is still recognised as merged.
        let (out, merged) = run(
            1,
            4,
            &[
                ("a", ResponseStarted),
                ("b", RequestReceived),
                ("a", ResponseComplete),
            ],
        );
        assert_eq!(
            out,
            [("a".into(), ResponseStarted), ("b".into(), RequestReceived)]
        );
        assert_eq!(merged, 1);
        // Remembering one emitted auditID only: `a` comes back after `b` was emitted.
        let (out, _) = run(
            4,
            1,
            &[
                ("a", ResponseComplete),
                ("b", ResponseComplete),
                ("a", ResponseComplete),
            ],
        );
        assert_eq!(out.len(), 3);
    }
}
