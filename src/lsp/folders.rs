//! Paths kept as a tree of their components: the kept paths a path is in (itself or one of its
//! ancestors) are found in one walk down its components, in time linear in its length however
//! many paths are kept and however long they are. A map keyed by whole paths needs a look-up
//! per ancestor, each hashing the whole ancestor: quadratic in the depth of the path.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

struct Node<V> {
    children: HashMap<OsString, usize>,
    value: Option<V>,
}

impl<V> Node<V> {
    fn new() -> Self {
        Node {
            children: HashMap::new(),
            value: None,
        }
    }
}

/// Paths with a value each, by their components (compared as [`Path`]s compare: `a//b` is
/// `a/b`).
pub struct PathTree<V> {
    /// `nodes[0]` is the empty path; a node's children are the paths one component longer.
    nodes: Vec<Node<V>>,
    /// Nodes no longer used, for the next insertions.
    free: Vec<usize>,
}

impl<V> Default for PathTree<V> {
    fn default() -> Self {
        PathTree {
            nodes: vec![Node::new()],
            free: Vec::new(),
        }
    }
}

impl<V> PathTree<V> {
    /// The node of `path`, if the tree has one.
    fn find(&self, path: &Path) -> Option<usize> {
        let mut at = 0;
        for component in path.components() {
            at = *self.nodes.get(at)?.children.get(component.as_os_str())?;
        }
        Some(at)
    }

    pub fn get(&self, path: &Path) -> Option<&V> {
        self.nodes.get(self.find(path)?)?.value.as_ref()
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.get(path).is_some()
    }

    pub fn get_mut(&mut self, path: &Path) -> Option<&mut V> {
        let at = self.find(path)?;
        self.nodes.get_mut(at)?.value.as_mut()
    }

    /// Keep `value` for `path`; the value it had.
    pub fn insert(&mut self, path: &Path, value: V) -> Option<V> {
        let mut at = 0;
        for component in path.components() {
            let name = component.as_os_str();
            let existing = self
                .nodes
                .get(at)
                .and_then(|node| node.children.get(name).copied());
            at = match existing {
                Some(child) => child,
                None => {
                    let child = match self.free.pop() {
                        Some(free) => free,
                        None => {
                            self.nodes.push(Node::new());
                            self.nodes.len() - 1
                        }
                    };
                    if let Some(node) = self.nodes.get_mut(at) {
                        node.children.insert(name.to_os_string(), child);
                    }
                    child
                }
            };
        }
        self.nodes.get_mut(at)?.value.replace(value)
    }

    /// Forget `path`; its value. Nodes left with no value and no children are freed.
    pub fn remove(&mut self, path: &Path) -> Option<V> {
        let mut trail = vec![0];
        let mut at = 0;
        for component in path.components() {
            at = *self.nodes.get(at)?.children.get(component.as_os_str())?;
            trail.push(at);
        }
        let value = self.nodes.get_mut(at)?.value.take();
        // Free the nodes that lead nowhere any more, from the path's end up.
        let names: Vec<_> = path.components().collect();
        for (depth, name) in names.iter().enumerate().rev() {
            let (Some(&node), Some(&parent)) = (trail.get(depth + 1), trail.get(depth)) else {
                break;
            };
            let unused = self
                .nodes
                .get(node)
                .is_some_and(|n| n.value.is_none() && n.children.is_empty());
            if !unused {
                break;
            }
            if let Some(parent) = self.nodes.get_mut(parent) {
                parent.children.remove(name.as_os_str());
            }
            self.free.push(node);
        }
        value
    }

    /// The values of the kept paths that `path` is in (itself and its ancestors), outermost
    /// first.
    pub fn along(&self, path: &Path) -> Vec<&V> {
        let mut found = Vec::new();
        let mut at = 0;
        let mut components = path.components();
        while let Some(node) = self.nodes.get(at) {
            found.extend(node.value.as_ref());
            let Some(component) = components.next() else {
                break;
            };
            match node.children.get(component.as_os_str()) {
                Some(&child) => at = child,
                None => break,
            }
        }
        found
    }

    /// Whether `path` or one of its ancestors is kept.
    pub fn holds(&self, path: &Path) -> bool {
        !self.along(path).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_kept_ancestors_and_frees_removed_paths() {
        let mut tree = PathTree::default();
        assert_eq!(tree.insert(Path::new("/w"), 0), None);
        assert_eq!(tree.insert(Path::new("/w/a/b"), 1), None);
        assert_eq!(tree.insert(Path::new("/x"), 2), None);
        assert_eq!(tree.along(Path::new("/w/a/b/c/Dockerfile")), [&0, &1]);
        assert_eq!(tree.along(Path::new("/w//a/./b")), [&0, &1]);
        assert_eq!(tree.along(Path::new("/w/a/bc")), [&0]);
        assert!(tree.along(Path::new("/y/w")).is_empty());
        assert!(tree.contains(Path::new("/w/a/b")));
        assert!(!tree.contains(Path::new("/w/a")));
        assert_eq!(tree.insert(Path::new("/w"), 3), Some(0));
        if let Some(value) = tree.get_mut(Path::new("/x")) {
            *value = 4;
        }
        assert_eq!(tree.get(Path::new("/x")), Some(&4));

        let nodes = tree.nodes.len();
        assert_eq!(tree.remove(Path::new("/w/a/b")), Some(1));
        assert_eq!(tree.remove(Path::new("/w/a/b")), None);
        assert_eq!(tree.remove(Path::new("/w/a")), None);
        assert_eq!(tree.along(Path::new("/w/a/b/c")), [&3]);
        // `a` and `b` were freed, and are used again.
        assert_eq!(tree.free.len(), 2);
        tree.insert(Path::new("/w/c/d"), 5);
        assert_eq!(tree.nodes.len(), nodes);
        assert!(tree.holds(Path::new("/w/c/d/e")));
    }
}
