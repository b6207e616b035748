//! The embedded index: one Qdrant Edge shard on disk. Edge is synchronous and has no
//! background threads, so calls run on the blocking pool, the HNSW index is built by
//! `optimize()` every `OPTIMIZE_EVERY` upserts. Edge does not replay its WAL on load, so
//! writes reach disk when segments are flushed: at most `FLUSH_AFTER` after a write (on the
//! next upsert), on `flush()`, on `optimize()` and when the index is dropped. A flush is
//! an fsync (~70 ms here), too slow for every upsert; claims lost in a crash inside that
//! window are still in Postgres and are re-indexed on their next upsert.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use qdrant_edge::{
    Condition, CreateIndex, Distance, EdgeConfigBuilder, EdgeShard, EdgeVectorParams,
    FieldCondition, FieldIndexOperations, Filter, JsonPath, Match, NamedQuery, PayloadFieldSchema,
    PayloadSchemaType, PointId, PointInsertOperations, PointOperations, PointStruct, QueryEnum,
    QueryRequest, ScoredPoint, ScoringQuery, UpdateOperation, VectorInternal, Vectors,
    WithPayloadInterface, WithVector,
};
use serde_json::json;

use super::embed::{DIMS, embed, to_similarity};
use super::{ClaimIndex, VECTOR_NAME, keys};
use crate::domain::model::{Claim, SimilarClaim};

/// Upserts between two HNSW (re)builds.
const OPTIMIZE_EVERY: usize = 1_000;
/// Longest time a write waits for its flush (checked on the next upsert).
const FLUSH_AFTER: Duration = Duration::from_secs(1);

/// Claims in an embedded Qdrant Edge shard.
#[derive(Debug, Clone)]
pub struct EdgeIndex {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Writers (upsert, flush, optimize) take it exclusively: Edge's `flush` panics when
    /// it meets a held lock.
    shard: RwLock<EdgeShard>,
    since_optimize: AtomicUsize,
    /// When the last flush ran.
    flushed_at: Mutex<Instant>,
    path: PathBuf,
}

impl EdgeIndex {
    /// Opens the shard in `dir`, creating the directory and the shard when absent.
    /// Blocking (loads the segments): call it at startup.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the claim index directory {}", dir.display()))?;
        let shard = if dir.join("edge_config.json").exists() {
            let shard = EdgeShard::load(dir, None).map_err(|e| anyhow!("loading {e}"))?;
            check_dims(&shard)?;
            shard
        } else {
            create(dir)?
        };
        Ok(Self {
            inner: Arc::new(Inner {
                shard: RwLock::new(shard),
                since_optimize: AtomicUsize::new(0),
                flushed_at: Mutex::new(Instant::now()),
                path: dir.to_owned(),
            }),
        })
    }

    /// Builds the HNSW index and merges segments now (otherwise done every
    /// `OPTIMIZE_EVERY` upserts). Returns whether anything changed.
    pub async fn optimize(&self) -> anyhow::Result<bool> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || inner.optimize()).await?
    }

    /// Writes everything upserted so far to disk now.
    pub async fn flush(&self) -> anyhow::Result<()> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || inner.flush()).await?
    }

    /// Points stored (approximate: counts each segment's points).
    pub fn len(&self) -> usize {
        self.inner.read().map_or(0, |s| s.info().points_count)
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shard's directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

fn create(dir: &Path) -> anyhow::Result<EdgeShard> {
    let config = EdgeConfigBuilder::new()
        .vector(
            VECTOR_NAME,
            EdgeVectorParams::builder(DIMS, Distance::Cosine).build(),
        )
        .build();
    let shard = EdgeShard::new(dir, config).map_err(|e| anyhow!("creating the shard: {e}"))?;
    for key in [keys::ORG, keys::VIN] {
        shard
            .update(UpdateOperation::FieldIndexOperation(
                FieldIndexOperations::CreateIndex(CreateIndex {
                    field_name: path(key)?,
                    field_schema: Some(PayloadFieldSchema::FieldType(PayloadSchemaType::Keyword)),
                }),
            ))
            .map_err(|e| anyhow!("indexing {key}: {e}"))?;
    }
    Ok(shard)
}

fn check_dims(shard: &EdgeShard) -> anyhow::Result<()> {
    let size = shard.config().vectors.get(VECTOR_NAME).map(|v| v.size);
    if size == Some(DIMS) {
        Ok(())
    } else {
        Err(anyhow!(
            "the claim index on disk has vector {VECTOR_NAME:?} of size {size:?}, expected {DIMS}: \
             delete the directory to rebuild it"
        ))
    }
}

impl Inner {
    fn read(&self) -> anyhow::Result<std::sync::RwLockReadGuard<'_, EdgeShard>> {
        self.shard
            .read()
            .map_err(|_| anyhow!("claim index lock poisoned"))
    }

    fn write(&self) -> anyhow::Result<std::sync::RwLockWriteGuard<'_, EdgeShard>> {
        self.shard
            .write()
            .map_err(|_| anyhow!("claim index lock poisoned"))
    }

    fn upsert(&self, point: PointStruct) -> anyhow::Result<()> {
        {
            let shard = self.write()?;
            shard
                .update(UpdateOperation::PointOperation(
                    PointOperations::UpsertPoints(PointInsertOperations::PointsList(vec![
                        point.into(),
                    ])),
                ))
                .map_err(|e| anyhow!("upserting a claim: {e}"))?;
        }
        if self.since_optimize.fetch_add(1, Ordering::Relaxed) + 1 >= OPTIMIZE_EVERY {
            self.optimize()?;
        } else if self.flushed_at()?.elapsed() >= FLUSH_AFTER {
            self.flush()?;
        }
        Ok(())
    }

    fn flushed_at(&self) -> anyhow::Result<std::sync::MutexGuard<'_, Instant>> {
        self.flushed_at
            .lock()
            .map_err(|_| anyhow!("claim index lock poisoned"))
    }

    fn flush(&self) -> anyhow::Result<()> {
        let shard = self.write()?;
        shard.flush();
        *self.flushed_at()? = Instant::now();
        Ok(())
    }

    fn optimize(&self) -> anyhow::Result<bool> {
        let shard = self.write()?;
        self.since_optimize.store(0, Ordering::Relaxed);
        let changed = shard.optimize().map_err(|e| anyhow!("optimizing: {e}"))?;
        shard.flush();
        *self.flushed_at()? = Instant::now();
        Ok(changed)
    }

    fn query(&self, request: QueryRequest) -> anyhow::Result<Vec<ScoredPoint>> {
        self.read()?
            .query(request)
            .map_err(|e| anyhow!("searching claims: {e}"))
    }
}

/// The point of a claim: its embedding, with org, VIN and id as payload.
fn point(claim: &Claim) -> PointStruct {
    PointStruct::new(
        PointId::Uuid(claim.id),
        Vectors::new_named([(VECTOR_NAME, embed(claim))]),
        json!({ keys::ORG: claim.org_id, keys::VIN: claim.vin, keys::CLAIM: claim.id }),
    )
}

fn path(key: &str) -> anyhow::Result<JsonPath> {
    key.parse().map_err(|()| anyhow!("bad payload key {key:?}"))
}

fn keyword(key: &str, value: &str) -> anyhow::Result<Condition> {
    Ok(Condition::Field(FieldCondition::new_match(
        path(key)?,
        Match::from(value.to_owned()),
    )))
}

/// Nearest neighbours in the claim's org, not the claim itself nor its VIN.
fn request(claim: &Claim, limit: usize) -> anyhow::Result<QueryRequest> {
    let filter = Filter {
        must: Some(vec![keyword(keys::ORG, &claim.org_id)?]),
        must_not: Some(vec![
            keyword(keys::VIN, &claim.vin)?,
            Condition::HasId(std::iter::once(PointId::Uuid(claim.id)).collect()),
        ]),
        ..Filter::new()
    };
    Ok(QueryRequest {
        prefetches: vec![],
        query: Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery::new(
            VectorInternal::Dense(embed(claim)),
            VECTOR_NAME,
        )))),
        filter: Some(filter),
        score_threshold: None,
        limit,
        offset: 0,
        params: None,
        with_vector: WithVector::Bool(false),
        with_payload: WithPayloadInterface::Bool(false),
    })
}

fn to_similar(p: &ScoredPoint) -> Option<SimilarClaim> {
    match p.id {
        PointId::Uuid(id) => Some(SimilarClaim {
            claim_id: id,
            similarity: to_similarity(p.score),
        }),
        PointId::NumId(_) => None,
    }
}

#[async_trait]
impl ClaimIndex for EdgeIndex {
    async fn upsert(&self, claim: &Claim) -> anyhow::Result<()> {
        let inner = Arc::clone(&self.inner);
        let point = point(claim);
        tokio::task::spawn_blocking(move || inner.upsert(point)).await?
    }

    async fn similar(&self, claim: &Claim, limit: usize) -> anyhow::Result<Vec<SimilarClaim>> {
        if limit == 0 {
            return Ok(vec![]);
        }
        let inner = Arc::clone(&self.inner);
        let request = request(claim, limit)?;
        let points = tokio::task::spawn_blocking(move || inner.query(request)).await??;
        Ok(points.iter().filter_map(to_similar).collect())
    }
}
