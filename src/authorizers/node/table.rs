//! `Table`: a slab of records, each found by its (kind, namespace, name) key through a hash
//! index that stores only slot numbers, so every key string is kept once.
//!
//! Lookups borrow the key (`&str`s), hash it with foldhash (hashbrown's default) and compare with [`str_eq`], so a
//! decision neither allocates nor calls `memcmp`. Slots are reused after removal; a slot number
//! is valid until its record is removed.

use std::hash::{BuildHasher, Hash, Hasher};

use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashTable};

use crate::authz::text::str_eq;

/// A borrowed record key. Records of different kinds may share a table.
#[derive(Clone, Copy, Debug)]
pub(super) struct Key<'a> {
    pub kind: u8,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl Hash for Key<'_> {
    /// Three hasher calls: the kind and both lengths in one word (which also separates the
    /// two strings), then the bytes of each.
    #[inline(always)]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(
            u64::from(self.kind) << 56
                | (self.namespace.len() as u64) << 28
                | self.name.len() as u64,
        );
        state.write(self.namespace.as_bytes());
        state.write(self.name.as_bytes());
    }
}

impl Key<'_> {
    #[inline(always)]
    fn same(&self, other: &Key<'_>) -> bool {
        self.kind == other.kind
            && str_eq(self.name, other.name)
            && str_eq(self.namespace, other.namespace)
    }
}

/// A namespace and a name in one allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct NsName {
    text: Box<str>,
    split: u32,
}

impl NsName {
    /// `namespace` and `name`, stored together.
    pub fn new(namespace: &str, name: &str) -> Self {
        let mut text = String::with_capacity(namespace.len() + name.len());
        text.push_str(namespace);
        text.push_str(name);
        NsName {
            text: text.into_boxed_str(),
            split: u32::try_from(namespace.len()).unwrap_or(u32::MAX),
        }
    }

    /// The namespace.
    #[inline]
    pub fn namespace(&self) -> &str {
        self.text.get(..self.split as usize).unwrap_or_default()
    }

    /// The name.
    #[inline]
    pub fn name(&self) -> &str {
        self.text.get(self.split as usize..).unwrap_or_default()
    }
}

/// A record that knows its key.
pub(super) trait Keyed {
    /// The record's key.
    fn key(&self) -> Key<'_>;
}

/// Records by key, in reusable slots.
#[derive(Debug)]
pub(super) struct Table<T> {
    index: HashTable<u32>,
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    hasher: DefaultHashBuilder,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            index: HashTable::new(),
            slots: Vec::new(),
            free: Vec::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }
}

impl<T: Keyed> Table<T> {
    #[inline(always)]
    fn hash(&self, key: &Key<'_>) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The slot of the record with `key`.
    #[inline(always)]
    pub fn find(&self, key: Key<'_>) -> Option<u32> {
        let hash = self.hash(&key);
        self.index
            .find(hash, |&slot| self.record(slot).key().same(&key))
            .copied()
    }

    /// The record in `slot`.
    ///
    /// Panics if the slot is free: callers only hold slot numbers of live records.
    #[inline]
    pub fn get(&self, slot: u32) -> &T {
        self.record(slot)
    }

    /// The record in `slot`, mutably (its key must not change).
    pub fn get_mut(&mut self, slot: u32) -> &mut T {
        match self.slots.get_mut(slot as usize) {
            Some(Some(record)) => record,
            _ => unreachable!("slot {slot} is not in use"),
        }
    }

    #[inline]
    fn record(&self, slot: u32) -> &T {
        match self.slots.get(slot as usize) {
            Some(Some(record)) => record,
            _ => unreachable!("slot {slot} is not in use"),
        }
    }

    /// The slot of the record with `key`, inserting `make()` (which must have that key) if
    /// there is none; hashes the key once.
    pub fn find_or_insert(&mut self, key: Key<'_>, make: impl FnOnce() -> T) -> u32 {
        let hash = self.hash(&key);
        let Table {
            index,
            slots,
            free,
            hasher,
        } = self;
        let entry = index.entry(
            hash,
            |&slot| match &slots[slot as usize] {
                Some(record) => record.key().same(&key),
                None => false,
            },
            |&slot| match &slots[slot as usize] {
                Some(record) => hasher.hash_one(record.key()),
                None => 0,
            },
        );
        match entry {
            Entry::Occupied(occupied) => *occupied.get(),
            Entry::Vacant(vacant) => {
                let slot = store(slots, free, make());
                vacant.insert(slot);
                slot
            }
        }
    }

    /// Stores `record`, whose key must not be present yet, and returns its slot.
    pub fn insert(&mut self, record: T) -> u32 {
        let hash = self.hash(&record.key());
        let slot = store(&mut self.slots, &mut self.free, record);
        let Table {
            index,
            slots,
            hasher,
            ..
        } = self;
        index.insert_unique(hash, slot, |&s| match &slots[s as usize] {
            Some(r) => hasher.hash_one(r.key()),
            None => 0,
        });
        slot
    }

    /// Removes the record in `slot` and returns it.
    pub fn remove(&mut self, slot: u32) -> T {
        let hash = self.hash(&self.record(slot).key());
        if let Ok(entry) = self.index.find_entry(hash, |&s| s == slot) {
            entry.remove();
        }
        self.free.push(slot);
        match self.slots[slot as usize].take() {
            Some(record) => record,
            None => unreachable!("slot {slot} is not in use"),
        }
    }

    /// How many records are stored.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The stored records, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }
}

/// Puts `record` in a free slot, or a new one.
fn store<T>(slots: &mut Vec<Option<T>>, free: &mut Vec<u32>, record: T) -> u32 {
    match free.pop() {
        Some(slot) => {
            slots[slot as usize] = Some(record);
            slot
        }
        None => {
            let slot = u32::try_from(slots.len()).expect("fewer than 2^32 records");
            slots.push(Some(record));
            slot
        }
    }
}
