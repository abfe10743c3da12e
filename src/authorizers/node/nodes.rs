//! Node identities and node sets.
//!
//! [`NodeTable`] gives every node name that something is bound to a small number, counts the
//! bindings (pods, VolumeAttachments, ResourceSlices, PodCertificateRequests), and forgets the
//! name when the last binding goes, as upstream drops a node vertex whose last edge is removed.
//! It also keeps each node's refusal reason (see `refusal.rs`), so refusing does not allocate.
//!
//! [`NodeSet`] is the destination index of one object: which nodes reach it, and along how many
//! paths. It is sorted by node number; membership is a short scan, or one bit of a bitmap kept
//! for sets of more than a few nodes (a secret every node uses).

use smallvec::SmallVec;

use super::refusal::Refusal;
use super::table::{Key, Keyed, Table};

/// A node's number in its [`NodeTable`].
pub(super) type NodeId = u32;

#[derive(Debug)]
struct NodeSlot {
    name: Box<str>,
    /// How many objects are bound to the node.
    bindings: u32,
    /// `no relationship found between node '<name>' and this object`.
    refused: Refusal,
}

impl Keyed for NodeSlot {
    #[inline]
    fn key(&self) -> Key<'_> {
        Key {
            kind: 0,
            namespace: "",
            name: &self.name,
        }
    }
}

/// The nodes objects are bound to.
#[derive(Debug, Default)]
pub(super) struct NodeTable {
    slots: Table<NodeSlot>,
}

impl NodeTable {
    /// The number of the node named `name`, if anything is bound to it.
    #[inline]
    pub fn id(&self, name: &str) -> Option<NodeId> {
        self.slots.find(node_key(name))
    }

    /// Records one more binding to `name` and returns the node's number.
    pub fn bind(&mut self, name: &str) -> NodeId {
        match self.slots.find(node_key(name)) {
            Some(id) => {
                self.slots.get_mut(id).bindings += 1;
                id
            }
            None => self.slots.insert(NodeSlot {
                name: name.into(),
                bindings: 1,
                refused: Refusal::for_node(name),
            }),
        }
    }

    /// Records that one binding to `id` is gone; the last one forgets the node.
    pub fn unbind(&mut self, id: NodeId) {
        let slot = self.slots.get_mut(id);
        slot.bindings -= 1;
        if slot.bindings == 0 {
            self.slots.remove(id);
        }
    }

    /// The refusal reason of node `id`.
    #[inline]
    pub fn refused(&self, id: NodeId) -> &Refusal {
        &self.slots.get(id).refused
    }

    /// The name of node `id`.
    pub fn name(&self, id: NodeId) -> &str {
        &self.slots.get(id).name
    }

    /// How many nodes have something bound to them.
    pub fn len(&self) -> usize {
        self.slots.len()
    }
}

fn node_key(name: &str) -> Key<'_> {
    Key {
        kind: 0,
        namespace: "",
        name,
    }
}

/// Sets with more entries than this also keep a bitmap, so membership stays one bit test
/// however many nodes share the object (a secret used on every node).
const BITMAP_ABOVE: usize = 8;

/// Which nodes reach an object, each with the number of paths from the object to it.
// INVARIANT: `entries` is sorted by node, without duplicates, every count > 0; `bits`, when
// present, has exactly the bits of the nodes in `entries`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct NodeSet {
    entries: SmallVec<[(NodeId, u32); 1]>,
    bits: Option<Box<[u64]>>,
}

impl NodeSet {
    /// Whether some path reaches `node`.
    #[inline]
    pub fn contains(&self, node: NodeId) -> bool {
        match &self.bits {
            Some(bits) => bits
                .get(node as usize / 64)
                .is_some_and(|word| word >> (node % 64) & 1 == 1),
            None => self.position(node).is_ok(),
        }
    }

    #[inline]
    fn position(&self, node: NodeId) -> Result<usize, usize> {
        // A linear scan beats a binary search on the common one- or two-entry sets.
        if self.entries.len() <= BITMAP_ABOVE {
            for (i, &(n, _)) in self.entries.iter().enumerate() {
                if n >= node {
                    return if n == node { Ok(i) } else { Err(i) };
                }
            }
            return Err(self.entries.len());
        }
        self.entries.binary_search_by_key(&node, |&(n, _)| n)
    }

    /// Adds one path to `node`; true when `node` was not reached before.
    pub fn add(&mut self, node: NodeId) -> bool {
        match self.position(node) {
            Ok(i) => {
                self.entries[i].1 += 1;
                false
            }
            Err(i) => {
                self.entries.insert(i, (node, 1));
                match &mut self.bits {
                    Some(bits) => set_bit(bits, node),
                    None if self.entries.len() > BITMAP_ABOVE => {
                        let mut bits = Box::default();
                        for &(n, _) in &self.entries {
                            set_bit(&mut bits, n);
                        }
                        self.bits = Some(bits);
                    }
                    None => {}
                }
                true
            }
        }
    }

    /// Removes one path to `node`; true when that was the last.
    pub fn remove(&mut self, node: NodeId) -> bool {
        let Ok(i) = self.position(node) else {
            return false;
        };
        self.entries[i].1 -= 1;
        if self.entries[i].1 > 0 {
            return false;
        }
        self.entries.remove(i);
        if self.entries.len() <= BITMAP_ABOVE / 2 {
            self.bits = None;
        } else if let Some(bits) = &mut self.bits {
            bits[node as usize / 64] &= !(1 << (node % 64));
        }
        true
    }

    /// The nodes reached.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.entries.iter().map(|&(n, _)| n)
    }

    /// Whether no node is reached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn set_bit(bits: &mut Box<[u64]>, node: NodeId) {
    let word = node as usize / 64;
    if word >= bits.len() {
        let mut grown = vec![0; word + 1];
        grown[..bits.len()].copy_from_slice(bits);
        *bits = grown.into_boxed_slice();
    }
    bits[word] |= 1 << (node % 64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_set_counts_paths() {
        let mut set = NodeSet::default();
        for node in [5, 1, 9, 5, 3, 7, 11, 2] {
            set.add(node);
        }
        assert_eq!(set.nodes().collect::<Vec<_>>(), [1, 2, 3, 5, 7, 9, 11]);
        assert!(!set.remove(5), "two paths to node 5");
        assert!(set.contains(5));
        assert!(set.remove(5));
        assert!(!set.contains(5));
        assert!(!set.remove(4), "never there");
        for node in [1, 2, 3, 7, 9, 11] {
            assert!(set.remove(node));
        }
        assert!(set.is_empty());
    }

    #[test]
    fn large_node_sets_keep_a_bitmap() {
        let mut set = NodeSet::default();
        for node in (0..100).rev().map(|n| n * 3) {
            assert!(set.add(node));
        }
        assert!(set.bits.is_some());
        for node in 0..300 {
            assert_eq!(set.contains(node), node % 3 == 0, "{node}");
        }
        assert!(!set.contains(100_000));
        for node in (0..300).step_by(3) {
            assert!(set.remove(node));
            assert!(!set.contains(node));
        }
        assert!(set.bits.is_none() && set.is_empty());
    }

    #[test]
    fn node_table_forgets_unbound_nodes() {
        let mut table = NodeTable::default();
        let a = table.bind("a");
        assert_eq!(table.bind("a"), a);
        let b = table.bind("b");
        assert_eq!(table.name(b), "b");
        assert_eq!(
            table.refused(a).as_str(),
            "no relationship found between node 'a' and this object"
        );
        table.unbind(a);
        assert_eq!(table.id("a"), Some(a));
        table.unbind(a);
        assert_eq!(table.id("a"), None);
        assert_eq!(table.len(), 1);
    }
}
