//! The mapping database: which user page mappings derive from which, so
//! that unmapping a page removes every mapping made from it, recursively
//! (L4's map/grant/unmap). Fixed capacity, no allocation; node and link
//! values are 1-based so that an all-zero database is empty.

/// A node index (1-based; 0 is "none").
pub type NodeId = u16;

/// One mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// In use.
    pub used: bool,
    /// The task the page is mapped in.
    pub task: u16,
    /// The page's virtual address.
    pub vaddr: u64,
    /// The physical frame.
    pub frame: u64,
    parent: NodeId,
    first_child: NodeId,
    next_sibling: NodeId,
    prev_sibling: NodeId,
    hash_next: NodeId,
}

/// The database: `N - 1` nodes, `H` hash buckets.
#[derive(Clone, Debug)]
pub struct MapDb<const N: usize, const H: usize> {
    nodes: [Node; N],
    buckets: [NodeId; H],
    free_head: NodeId,
    never_used: u16,
}

/// The database is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl<const N: usize, const H: usize> Default for MapDb<N, H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const H: usize> MapDb<N, H> {
    /// An empty database.
    pub const fn new() -> Self {
        assert!(N <= u16::MAX as usize && H > 0);
        MapDb {
            nodes: [Node {
                used: false,
                task: 0,
                vaddr: 0,
                frame: 0,
                parent: 0,
                first_child: 0,
                next_sibling: 0,
                prev_sibling: 0,
                hash_next: 0,
            }; N],
            buckets: [0; H],
            free_head: 0,
            never_used: 1,
        }
    }

    fn bucket(task: u16, vaddr: u64) -> usize {
        let h = (u64::from(task).wrapping_mul(0x9E37_79B9)
            ^ (vaddr >> 12).wrapping_mul(0x85EB_CA6B))
            >> 7;
        (h % H as u64) as usize
    }

    /// The node of the mapping at (`task`, `vaddr`).
    pub fn find(&self, task: u16, vaddr: u64) -> Option<NodeId> {
        let mut n = self.buckets[Self::bucket(task, vaddr)];
        while n != 0 {
            let node = &self.nodes[n as usize];
            if node.task == task && node.vaddr == vaddr {
                return Some(n);
            }
            n = node.hash_next;
        }
        None
    }

    /// A node's contents.
    pub fn get(&self, n: NodeId) -> &Node {
        &self.nodes[n as usize]
    }

    /// The parent mapping (None for a root mapping made from a pool).
    pub fn parent(&self, n: NodeId) -> Option<NodeId> {
        let p = self.nodes[n as usize].parent;
        (p != 0).then_some(p)
    }

    /// Records a mapping, derived from `parent` if given.
    pub fn insert(
        &mut self,
        task: u16,
        vaddr: u64,
        frame: u64,
        parent: Option<NodeId>,
    ) -> Result<NodeId, Full> {
        let n = if self.free_head != 0 {
            let n = self.free_head;
            self.free_head = self.nodes[n as usize].hash_next;
            n
        } else if (self.never_used as usize) < N {
            self.never_used += 1;
            self.never_used - 1
        } else {
            return Err(Full);
        };
        let b = Self::bucket(task, vaddr);
        let p = parent.unwrap_or(0);
        let sibling = if p != 0 {
            self.nodes[p as usize].first_child
        } else {
            0
        };
        self.nodes[n as usize] = Node {
            used: true,
            task,
            vaddr,
            frame,
            parent: p,
            first_child: 0,
            next_sibling: sibling,
            prev_sibling: 0,
            hash_next: self.buckets[b],
        };
        self.buckets[b] = n;
        if p != 0 {
            if sibling != 0 {
                self.nodes[sibling as usize].prev_sibling = n;
            }
            self.nodes[p as usize].first_child = n;
        }
        Ok(n)
    }

    fn unhash(&mut self, n: NodeId) {
        let Node { task, vaddr, .. } = self.nodes[n as usize];
        let b = Self::bucket(task, vaddr);
        let mut cur = self.buckets[b];
        let mut prev: NodeId = 0;
        while cur != 0 {
            let next = self.nodes[cur as usize].hash_next;
            if cur == n {
                if prev == 0 {
                    self.buckets[b] = next;
                } else {
                    self.nodes[prev as usize].hash_next = next;
                }
                return;
            }
            prev = cur;
            cur = next;
        }
    }

    fn unlink_sibling(&mut self, n: NodeId) {
        let Node {
            parent,
            next_sibling,
            prev_sibling,
            ..
        } = self.nodes[n as usize];
        if prev_sibling != 0 {
            self.nodes[prev_sibling as usize].next_sibling = next_sibling;
        } else if parent != 0 {
            self.nodes[parent as usize].first_child = next_sibling;
        }
        if next_sibling != 0 {
            self.nodes[next_sibling as usize].prev_sibling = prev_sibling;
        }
    }

    /// Moves a mapping to another (task, address), keeping its place in
    /// the tree (grant).
    pub fn relocate(&mut self, n: NodeId, task: u16, vaddr: u64) {
        self.unhash(n);
        let b = Self::bucket(task, vaddr);
        let node = &mut self.nodes[n as usize];
        node.task = task;
        node.vaddr = vaddr;
        node.hash_next = self.buckets[b];
        self.buckets[b] = n;
    }

    /// Removes `n` and every mapping derived from it, calling `f` for each
    /// (children before parents).
    pub fn remove_subtree(&mut self, n: NodeId, mut f: impl FnMut(&Node)) {
        self.unlink_sibling(n);
        self.nodes[n as usize].parent = 0;
        let mut cur = n;
        loop {
            while self.nodes[cur as usize].first_child != 0 {
                cur = self.nodes[cur as usize].first_child;
            }
            let node = self.nodes[cur as usize];
            f(&node);
            self.unhash(cur);
            self.nodes[cur as usize] = Node {
                hash_next: self.free_head,
                ..Node::default()
            };
            self.free_head = cur;
            if cur == n {
                return;
            }
            let p = node.parent;
            self.nodes[p as usize].first_child = node.next_sibling;
            if node.next_sibling != 0 {
                self.nodes[node.next_sibling as usize].prev_sibling = 0;
                cur = node.next_sibling;
            } else {
                cur = p;
            }
        }
    }

    /// The first used node of `task` after node `after` (0: from the
    /// start), so that destroying a task walks the nodes once while it
    /// removes them.
    pub fn next_of(&self, task: u16, after: NodeId) -> Option<NodeId> {
        (after.saturating_add(1)..self.never_used)
            .find(|&i| self.nodes[i as usize].used && self.nodes[i as usize].task == task)
    }

    /// Number of mappings recorded.
    pub fn len(&self) -> usize {
        self.nodes.iter().filter(|n| n.used).count()
    }

    /// Whether no mapping is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recursive_removal_takes_every_derived_mapping() {
        let mut db = MapDb::<64, 7>::new();
        let root = db.insert(1, 0x1000, 0xa000, None).unwrap();
        let c1 = db.insert(2, 0x2000, 0xa000, Some(root)).unwrap();
        let c2 = db.insert(3, 0x3000, 0xa000, Some(root)).unwrap();
        let g1 = db.insert(4, 0x4000, 0xa000, Some(c1)).unwrap();
        let _g2 = db.insert(5, 0x5000, 0xa000, Some(c1)).unwrap();
        let other = db.insert(1, 0x9000, 0xb000, None).unwrap();
        assert_eq!(db.find(4, 0x4000), Some(g1));
        let mut seen = Vec::new();
        db.remove_subtree(c1, |n| seen.push((n.task, n.vaddr)));
        seen.sort();
        assert_eq!(seen, vec![(2, 0x2000), (4, 0x4000), (5, 0x5000)]);
        assert_eq!(db.find(2, 0x2000), None);
        assert_eq!(db.find(4, 0x4000), None);
        assert_eq!(db.find(3, 0x3000), Some(c2));
        assert_eq!(db.parent(c2), Some(root));
        let mut seen = Vec::new();
        db.remove_subtree(root, |n| seen.push(n.task));
        assert_eq!(seen, vec![3, 1]);
        assert_eq!(db.len(), 1);
        assert_eq!(db.find(1, 0x9000), Some(other));
    }

    #[test]
    fn relocation_and_reuse() {
        let mut db = MapDb::<4, 3>::new();
        let a = db.insert(1, 0x1000, 1, None).unwrap();
        let b = db.insert(1, 0x2000, 2, Some(a)).unwrap();
        let c = db.insert(1, 0x3000, 3, Some(b)).unwrap();
        assert_eq!(db.insert(1, 0x4000, 4, None), Err(Full));
        db.relocate(b, 9, 0x7000);
        assert_eq!(db.find(1, 0x2000), None);
        assert_eq!(db.find(9, 0x7000), Some(b));
        assert_eq!(db.parent(c), Some(b));
        db.remove_subtree(a, |_| {});
        assert!(db.is_empty());
        for i in 0..3 {
            db.insert(2, 0x1000 * i, i, None).unwrap();
        }
        let nodes_of_2 = core::iter::successors(db.next_of(2, 0), |&n| db.next_of(2, n));
        assert_eq!(nodes_of_2.count(), 3);
    }

    #[test]
    fn one_walk_removes_every_mapping_of_a_task() {
        let mut db = MapDb::<16, 5>::new();
        let a = db.insert(1, 0x1000, 1, None).unwrap();
        let b = db.insert(2, 0x1000, 1, Some(a)).unwrap();
        db.insert(1, 0x2000, 1, Some(b)).unwrap();
        db.insert(1, 0x3000, 2, None).unwrap();
        let other = db.insert(2, 0x5000, 3, None).unwrap();
        // As the kernel destroys task 1: each subtree goes, the walk goes on.
        let mut n = 0;
        let mut removed = Vec::new();
        while let Some(next) = db.next_of(1, n) {
            db.remove_subtree(next, |m| removed.push((m.task, m.vaddr)));
            n = next;
        }
        removed.sort();
        assert_eq!(
            removed,
            vec![(1, 0x1000), (1, 0x2000), (1, 0x3000), (2, 0x1000)]
        );
        assert_eq!(db.next_of(1, 0), None);
        assert_eq!(db.len(), 1);
        assert_eq!(db.find(2, 0x5000), Some(other));
    }
}
