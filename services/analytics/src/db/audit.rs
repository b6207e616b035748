//! The audit tables: `audit_entries` (append-only), `audit_chains` (each chain's head)
//! and `audit_vehicle_orgs` (the organization of each vehicle, as last learned).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::audit::draft::VehicleOrg;
use crate::domain::audit::{Content, Entry, Head};

/// The columns of an entry, in [`Row`]'s order.
const COLUMNS: &str = "id, org_id, seq, entry_id, source_id, kind, event_type, producer, actor, \
     actor_role, vehicle_id, occurred_at, recorded_at, summary, payload::text AS payload, \
     prev_hash, hash";

/// An entry as stored.
#[derive(Debug, FromRow)]
struct Row {
    id: i64,
    org_id: String,
    seq: i64,
    entry_id: Uuid,
    source_id: Uuid,
    kind: String,
    event_type: String,
    producer: String,
    actor: Option<String>,
    actor_role: Option<String>,
    vehicle_id: Option<String>,
    occurred_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    summary: String,
    payload: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

impl Row {
    fn into_entry(self) -> (i64, Entry) {
        let entry = Entry {
            content: Content {
                org_id: self.org_id,
                seq: self.seq,
                entry_id: self.entry_id,
                source_id: self.source_id,
                kind: self.kind,
                event_type: self.event_type,
                producer: self.producer,
                actor: self.actor,
                actor_role: self.actor_role,
                vehicle_id: self.vehicle_id,
                occurred_at: self.occurred_at,
                recorded_at: self.recorded_at,
                summary: self.summary,
                payload: self.payload,
            },
            prev_hash: hash32(&self.prev_hash),
            hash: hash32(&self.hash),
        };
        (self.id, entry)
    }
}

/// A stored hash as 32 bytes. The table only takes 32 bytes; a value of another length
/// (the constraint dropped) is padded or cut, and then does not verify.
fn hash32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let n = bytes.len().min(32);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

/// A chain's head as `(org_id, head)`.
fn head_row((org, seq, hash): (String, i64, Vec<u8>)) -> (String, Head) {
    let hash = hash32(&hash);
    (org, Head { seq, hash })
}

/// Which of `source_ids` are already recorded, and in which chains.
pub async fn recorded(
    conn: &mut PgConnection,
    source_ids: &[Uuid],
) -> Result<HashSet<(Uuid, String)>, sqlx::Error> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT source_id, org_id FROM audit_entries WHERE source_id = ANY($1)")
            .bind(source_ids)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Records vehicles' organizations (sorted by vehicle, so concurrent batches lock rows in
/// the same order); an older fact never replaces a newer one, and an unchanged one
/// writes nothing.
pub async fn learn_vehicle_orgs(
    conn: &mut PgConnection,
    facts: &[VehicleOrg],
) -> Result<(), sqlx::Error> {
    if facts.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<&VehicleOrg> = facts.iter().collect();
    sorted.sort_by(|a, b| a.vehicle_id.cmp(&b.vehicle_id));
    let vehicles: Vec<&str> = sorted.iter().map(|f| f.vehicle_id.as_str()).collect();
    let orgs: Vec<&str> = sorted.iter().map(|f| f.org_id.as_str()).collect();
    let as_of: Vec<DateTime<Utc>> = sorted.iter().map(|f| f.as_of).collect();
    sqlx::query(
        "INSERT INTO audit_vehicle_orgs (vehicle_id, org_id, as_of)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::timestamptz[])
         ON CONFLICT (vehicle_id) DO UPDATE SET org_id = EXCLUDED.org_id, as_of = EXCLUDED.as_of
         WHERE audit_vehicle_orgs.org_id <> EXCLUDED.org_id
           AND audit_vehicle_orgs.as_of <= EXCLUDED.as_of",
    )
    .bind(&vehicles)
    .bind(&orgs)
    .bind(&as_of)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organizations the audit knows for `vehicles`.
pub async fn vehicle_orgs(
    conn: &mut PgConnection,
    vehicles: &[String],
) -> Result<HashMap<String, String>, sqlx::Error> {
    if vehicles.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT vehicle_id, org_id FROM audit_vehicle_orgs WHERE vehicle_id = ANY($1)",
    )
    .bind(vehicles)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Locks the heads of `orgs` (sorted, created empty when new) until the transaction
/// ends: one organization's appends are chained one after the other.
pub async fn lock_heads(
    conn: &mut PgConnection,
    orgs: &[String],
) -> Result<HashMap<String, Head>, sqlx::Error> {
    let mut sorted = orgs.to_vec();
    sorted.sort();
    sorted.dedup();
    sqlx::query(
        "INSERT INTO audit_chains (org_id, seq, hash)
         SELECT o, 0, $2 FROM UNNEST($1::text[]) AS t(o) ORDER BY o
         ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(&sorted)
    .bind(crate::domain::audit::GENESIS.as_slice())
    .execute(&mut *conn)
    .await?;
    let rows: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT org_id, seq, hash FROM audit_chains WHERE org_id = ANY($1)
         ORDER BY org_id FOR UPDATE",
    )
    .bind(&sorted)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(head_row).collect())
}

/// Appends `entries` (one statement) and moves the heads of `heads`.
pub async fn append(
    conn: &mut PgConnection,
    entries: &[Entry],
    heads: &HashMap<String, Head>,
) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let all: Vec<&Content> = entries.iter().map(|e| &e.content).collect();
    let text = |f: fn(&Content) -> &str| all.iter().map(|c| f(c)).collect::<Vec<&str>>();
    let optional = |f: fn(&Content) -> Option<&str>| all.iter().map(|c| f(c)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO audit_entries (org_id, seq, entry_id, source_id, kind, event_type,
           producer, actor, actor_role, vehicle_id, occurred_at, recorded_at, summary, payload,
           prev_hash, hash)
         SELECT o, s, e, src, k, t, p, a, r, v, occ, rec, sm, pl::json, ph, h
         FROM UNNEST($1::text[], $2::bigint[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[],
                     $12::timestamptz[], $13::text[], $14::text[], $15::bytea[], $16::bytea[])
              AS u(o, s, e, src, k, t, p, a, r, v, occ, rec, sm, pl, ph, h)",
    )
    .bind(text(|c| &c.org_id))
    .bind(all.iter().map(|c| c.seq).collect::<Vec<_>>())
    .bind(all.iter().map(|c| c.entry_id).collect::<Vec<_>>())
    .bind(all.iter().map(|c| c.source_id).collect::<Vec<_>>())
    .bind(text(|c| &c.kind))
    .bind(text(|c| &c.event_type))
    .bind(text(|c| &c.producer))
    .bind(optional(|c| c.actor.as_deref()))
    .bind(optional(|c| c.actor_role.as_deref()))
    .bind(optional(|c| c.vehicle_id.as_deref()))
    .bind(all.iter().map(|c| c.occurred_at).collect::<Vec<_>>())
    .bind(all.iter().map(|c| c.recorded_at).collect::<Vec<_>>())
    .bind(text(|c| &c.summary))
    .bind(text(|c| &c.payload))
    .bind(
        entries
            .iter()
            .map(|e| e.prev_hash.as_slice())
            .collect::<Vec<_>>(),
    )
    .bind(
        entries
            .iter()
            .map(|e| e.hash.as_slice())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    let orgs: Vec<&str> = heads.keys().map(String::as_str).collect();
    let seqs: Vec<i64> = heads.values().map(|h| h.seq).collect();
    let hashes: Vec<&[u8]> = heads.values().map(|h| h.hash.as_slice()).collect();
    sqlx::query(
        "UPDATE audit_chains c SET seq = t.seq, hash = t.hash, updated_at = now()
         FROM UNNEST($1::text[], $2::bigint[], $3::bytea[]) AS t(org_id, seq, hash)
         WHERE c.org_id = t.org_id",
    )
    .bind(&orgs)
    .bind(&seqs)
    .bind(&hashes)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a listing selects; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// One organization's chain.
    pub org_id: Option<String>,
    /// A caller (token subject).
    pub actor: Option<String>,
    /// A vehicle.
    pub vehicle_id: Option<String>,
    /// An event type.
    pub event_type: Option<String>,
    /// `event` or `request`.
    pub kind: Option<String>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
    /// Text the summary or the payload contains (case-insensitive).
    pub text: Option<String>,
}

/// Up to `limit` entries of `filter` stored before `before` (an entry's storage id),
/// newest first, with their storage ids.
pub async fn list(
    pool: &PgPool,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, Entry)>, sqlx::Error> {
    let mut b: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_entries WHERE TRUE"));
    let equal = [
        ("org_id", &filter.org_id),
        ("actor", &filter.actor),
        ("vehicle_id", &filter.vehicle_id),
        ("event_type", &filter.event_type),
        ("kind", &filter.kind),
    ];
    for (column, value) in equal {
        if let Some(v) = value {
            b.push(format!(" AND {column} = ")).push_bind(v.clone());
        }
    }
    if let Some(from) = filter.from {
        b.push(" AND occurred_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        b.push(" AND occurred_at < ").push_bind(to);
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", like_escaped(text));
        b.push(" AND (summary ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR payload::text ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(before) = before {
        b.push(" AND id < ").push_bind(before);
    }
    b.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    let rows: Vec<Row> = b.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(Row::into_entry).collect())
}

/// `text` with LIKE's wildcards and escape character escaped.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The chains and their heads (one organization's, or all), by organization.
pub async fn heads(
    pool: &PgPool,
    org_id: Option<&str>,
) -> Result<Vec<(String, Head)>, sqlx::Error> {
    let rows: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT org_id, seq, hash FROM audit_chains WHERE ($1::text IS NULL OR org_id = $1)
         ORDER BY org_id",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(head_row).collect())
}

/// Up to `limit` entries of `org_id`'s chain after number `after`, in chain order.
pub async fn chain_page(
    pool: &PgPool,
    org_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_entries WHERE org_id = $1 AND seq > $2
         ORDER BY seq LIMIT $3"
    )))
    .bind(org_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.into_entry().1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(like_escaped(r"50%_off\"), r"50\%\_off\\");
        assert_eq!(like_escaped("truck-042"), "truck-042");
    }
}
