//! A compact, self-contained form of a fitted forust-ml booster for artifacts.
//!
//! forust-ml's own JSON stores about a dozen fields per node (gains, hessian sums,
//! depths...), which made a deep FD001 ensemble tens of megabytes. Prediction needs only
//! the split feature and threshold, the children and the leaf values, laid out here in
//! pre-order so the left child of node `i` is node `i + 1`.

use forust_ml::GradientBooster;
use forust_ml::tree::Tree;
use serde::{Deserialize, Serialize};

use super::error::{CmapssError, Result};

/// One regression tree in pre-order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompactTree {
    /// Split feature of each node, `-1` for a leaf.
    pub feature: Vec<i32>,
    /// Split threshold of each node (`x < threshold` goes left); 0 for leaves.
    pub threshold: Vec<f64>,
    /// Index of the right child of each node; 0 for leaves.
    pub right: Vec<u32>,
    /// Leaf value of each node (already scaled by the learning rate); 0 for splits.
    pub value: Vec<f32>,
}

impl CompactTree {
    /// Prediction of this tree for one row of finite features.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            // A negative feature marks a leaf.
            let Ok(f) = usize::try_from(self.feature[i]) else {
                return f64::from(self.value[i]);
            };
            i = if row[f] < self.threshold[i] {
                i + 1
            } else {
                self.right[i] as usize
            };
        }
    }

    /// Checks that every child index points forward inside the tree and every feature is
    /// below `n_features`, so a loaded tree cannot loop or index out of bounds.
    pub fn validate(&self, n_features: usize) -> Result<()> {
        let n = self.feature.len();
        let bad = |what: &str| Err(CmapssError::InvalidData(format!("tree: {what}")));
        if n == 0 || self.threshold.len() != n || self.right.len() != n || self.value.len() != n {
            return bad("node arrays are empty or of different lengths");
        }
        for i in 0..n {
            if self.feature[i] >= 0 {
                let right = self.right[i] as usize;
                if self.feature[i] as usize >= n_features {
                    return bad("split feature out of range");
                }
                if i + 1 >= n || right <= i + 1 || right >= n {
                    return bad("child index out of range");
                }
            }
        }
        Ok(())
    }

    fn from_forust(tree: &Tree) -> Result<Self> {
        let mut out = CompactTree {
            feature: Vec::new(),
            threshold: Vec::new(),
            right: Vec::new(),
            value: Vec::new(),
        };
        // Iterative pre-order walk; each stack entry is (forust node, parent slot to
        // receive this node's index as its right child).
        let mut stack = vec![(0usize, None::<usize>)];
        while let Some((num, parent)) = stack.pop() {
            let node = tree.nodes.get(num).ok_or_else(|| {
                CmapssError::Training(format!("forust tree references missing node {num}"))
            })?;
            let index = out.feature.len();
            if let Some(p) = parent {
                out.right[p] = u32::try_from(index)
                    .map_err(|_| CmapssError::Training("tree too large".to_owned()))?;
            }
            if node.is_leaf {
                out.feature.push(-1);
                out.threshold.push(0.0);
                out.right.push(0);
                out.value.push(node.weight_value);
            } else {
                out.feature
                    .push(i32::try_from(node.split_feature).map_err(|_| {
                        CmapssError::Training("feature index too large".to_owned())
                    })?);
                out.threshold.push(node.split_value);
                out.right.push(0);
                out.value.push(0.0);
                // Right is pushed first so the left subtree is laid out next.
                stack.push((node.right_child, Some(index)));
                stack.push((node.left_child, None));
            }
        }
        Ok(out)
    }
}

/// A boosted ensemble: base score plus the sum of its trees.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompactBooster {
    /// Initial prediction.
    pub base_score: f64,
    /// Trees in boosting order.
    pub trees: Vec<CompactTree>,
}

impl CompactBooster {
    /// Converts a fitted forust-ml booster.
    pub fn from_forust(booster: &GradientBooster) -> Result<Self> {
        Ok(CompactBooster {
            base_score: booster.base_score,
            trees: booster
                .trees
                .iter()
                .map(CompactTree::from_forust)
                .collect::<Result<_>>()?,
        })
    }

    /// Prediction for one row; sums in the same order as forust-ml, so the result is
    /// bit-identical to the booster it came from.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        self.trees
            .iter()
            .fold(self.base_score, |acc, tree| acc + tree.predict_row(row))
    }

    /// Number of nodes over all trees.
    pub fn n_nodes(&self) -> usize {
        self.trees.iter().map(|t| t.feature.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_trees_that_would_loop_or_overflow() {
        let looping = CompactTree {
            feature: vec![0, -1, -1],
            threshold: vec![1.0, 0.0, 0.0],
            right: vec![0, 0, 0],
            value: vec![0.0, 1.0, 2.0],
        };
        assert!(looping.validate(1).is_err());
        let good = CompactTree {
            right: vec![2, 0, 0],
            ..looping
        };
        assert!(good.validate(1).is_ok());
        assert!(good.validate(0).is_err());
        assert_eq!(good.predict_row(&[0.5]), 1.0);
        assert_eq!(good.predict_row(&[1.0]), 2.0);
    }
}
