//! The index on a Qdrant server (`QDRANT_URL`), for deployments that run one. Same
//! embedding, payload and filter as the embedded index; the collection (cosine, one
//! unnamed vector, keyword indexes on org and VIN) is created on first use when missing.
//! Untested against a live server here (none is available): the requests are unit-tested.

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use qdrant_client::qdrant::point_id::PointIdOptions;
use qdrant_client::qdrant::{
    Condition, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder, Distance, FieldType,
    Filter, PointStruct, QueryPoints, QueryPointsBuilder, ScoredPoint, UpsertPoints,
    UpsertPointsBuilder, VectorParamsBuilder,
};
use qdrant_client::{Payload, Qdrant};
use serde_json::json;
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::embed::{DIMS, embed, to_similarity};
use super::{ClaimIndex, keys};
use crate::domain::model::{Claim, SimilarClaim};

/// The server collection.
pub const COLLECTION: &str = "warranty_claims";

/// Claims in a Qdrant server collection.
pub struct ServerIndex {
    client: Qdrant,
    url: String,
    ready: OnceCell<()>,
}

impl std::fmt::Debug for ServerIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIndex")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ServerIndex {
    /// A client for the server at `url` (gRPC, e.g. `http://qdrant:6334`). Does not
    /// connect yet: the collection is checked (and created) on the first call.
    pub fn connect(url: &str) -> anyhow::Result<Self> {
        let client = Qdrant::from_url(url)
            .build()
            .with_context(|| format!("QDRANT_URL {url:?}"))?;
        Ok(Self {
            client,
            url: url.to_owned(),
            ready: OnceCell::new(),
        })
    }

    async fn ensure_collection(&self) -> anyhow::Result<()> {
        self.ready
            .get_or_try_init(|| async {
                if self.client.collection_exists(COLLECTION).await? {
                    return Ok(());
                }
                self.client.create_collection(create_collection()).await?;
                for key in [keys::ORG, keys::VIN] {
                    self.client
                        .create_field_index(
                            CreateFieldIndexCollectionBuilder::new(
                                COLLECTION,
                                key,
                                FieldType::Keyword,
                            )
                            .wait(true),
                        )
                        .await?;
                }
                anyhow::Ok(())
            })
            .await
            .with_context(|| format!("preparing collection {COLLECTION} on {}", self.url))?;
        Ok(())
    }
}

fn create_collection() -> CreateCollectionBuilder {
    #[allow(clippy::cast_possible_truncation)]
    let dims = DIMS as u64;
    CreateCollectionBuilder::new(COLLECTION)
        .vectors_config(VectorParamsBuilder::new(dims, Distance::Cosine))
}

/// The upsert of one claim: its embedding, with org, VIN and id as payload.
pub(crate) fn upsert_request(claim: &Claim) -> anyhow::Result<UpsertPoints> {
    let payload: Payload =
        json!({ keys::ORG: claim.org_id, keys::VIN: claim.vin, keys::CLAIM: claim.id })
            .try_into()
            .map_err(|e| anyhow!("claim payload: {e}"))?;
    let point = PointStruct::new(claim.id.to_string(), embed(claim), payload);
    Ok(UpsertPointsBuilder::new(COLLECTION, vec![point])
        .wait(true)
        .build())
}

/// Nearest neighbours in the claim's org, not the claim itself nor its VIN.
pub(crate) fn query_request(claim: &Claim, limit: usize) -> QueryPoints {
    let filter = Filter {
        must: vec![Condition::matches(keys::ORG, claim.org_id.clone())],
        must_not: vec![
            Condition::matches(keys::VIN, claim.vin.clone()),
            Condition::has_id([claim.id.to_string()]),
        ],
        ..Filter::default()
    };
    QueryPointsBuilder::new(COLLECTION)
        .query(embed(claim))
        .filter(filter)
        .limit(limit as u64)
        .with_payload(false)
        .build()
}

fn to_similar(p: &ScoredPoint) -> Option<SimilarClaim> {
    let id = match p.id.as_ref()?.point_id_options.as_ref()? {
        PointIdOptions::Uuid(s) => Uuid::parse_str(s).ok()?,
        PointIdOptions::Num(_) => return None,
    };
    Some(SimilarClaim {
        claim_id: id,
        similarity: to_similarity(p.score),
    })
}

#[async_trait]
impl ClaimIndex for ServerIndex {
    async fn upsert(&self, claim: &Claim) -> anyhow::Result<()> {
        self.ensure_collection().await?;
        self.client.upsert_points(upsert_request(claim)?).await?;
        Ok(())
    }

    async fn similar(&self, claim: &Claim, limit: usize) -> anyhow::Result<Vec<SimilarClaim>> {
        if limit == 0 {
            return Ok(vec![]);
        }
        self.ensure_collection().await?;
        let response = self.client.query(query_request(claim, limit)).await?;
        Ok(response.result.iter().filter_map(to_similar).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similar::testdata::Corpus;

    #[test]
    fn the_query_filters_by_org_and_excludes_the_claim_and_its_vin() {
        let claim = &Corpus::new(5, 1).claims[0];
        let q = query_request(claim, 7);
        assert_eq!(q.collection_name, COLLECTION);
        assert_eq!(q.limit, Some(7));
        let filter = q.filter.unwrap_or_default();
        let text = format!("{filter:?}");
        assert_eq!(filter.must.len(), 1);
        assert!(text.contains(&claim.org_id), "{text}");
        assert_eq!(filter.must_not.len(), 2);
        assert!(text.contains(&claim.vin), "{text}");
        assert!(text.contains(&claim.id.to_string()), "{text}");
    }

    #[test]
    fn the_upsert_carries_the_embedding_and_the_payload() {
        let claim = &Corpus::new(6, 1).claims[0];
        let u = upsert_request(claim).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.points.len(), 1);
        let p = &u.points[0];
        assert_eq!(p.payload.len(), 3);
        assert!(format!("{:?}", p.payload).contains(&claim.vin));
        assert!(format!("{:?}", p.id).contains(&claim.id.to_string()));
        assert_eq!(u.wait, Some(true));
    }

    #[test]
    fn connecting_does_not_need_a_server() {
        assert!(ServerIndex::connect("http://127.0.0.1:1").is_ok());
    }
}
