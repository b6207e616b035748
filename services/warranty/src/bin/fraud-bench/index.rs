//! The claims run through the service's own claim index (embedded Qdrant Edge on disk,
//! the offline embedder) in arrival order, as the service does: search the neighbours
//! of a new claim, then add it.

use std::path::PathBuf;
use std::time::Instant;

use warranty::domain::model::ClaimHistory;
use warranty::similar::{ClaimIndex, EdgeIndex};

use crate::generate::Labelled;

/// Neighbours read per claim, as the service reads them.
const NEIGHBOURS: usize = 5;

/// Fills each history's `similar` from a fresh index and returns each claim's index
/// time (search and add), µs. The index lives in a temporary folder removed after.
pub(crate) fn neighbours(
    claims: &[Labelled],
    histories: &mut [ClaimHistory],
) -> anyhow::Result<Vec<f64>> {
    let dir = TempDir::new()?;
    let index = EdgeIndex::open(&dir.0)?;
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let mut micros = Vec::with_capacity(claims.len());
    for (c, h) in claims.iter().zip(histories.iter_mut()) {
        let t = Instant::now();
        h.similar = rt.block_on(index.similar(&c.claim, NEIGHBOURS))?;
        rt.block_on(index.upsert(&c.claim))?;
        micros.push(t.elapsed().as_secs_f64() * 1e6);
    }
    Ok(micros)
}

/// A folder under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "fraud-bench-index-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
