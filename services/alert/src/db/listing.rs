//! What the list queries share: whose rows they list ([`Scope`], bound as their first
//! parameters) and the keyset page ([`Page`], bound as their last).

use chrono::{DateTime, Utc};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use uuid::Uuid;

/// Whose rows a list shows; `None` fields do not filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// Organization scope.
    pub org_id: Option<&'a str>,
    /// Only these vehicles (owners).
    pub vehicle_ids: Option<&'a [String]>,
    /// One vehicle.
    pub vehicle_id: Option<&'a str>,
}

/// The condition of a [`Scope`] on a table's `org_id` and `vehicle_id`, on `$1`–`$3`.
macro_rules! scope_condition {
    () => {
        "($1::text IS NULL OR org_id = $1)
           AND ($2::text[] IS NULL OR vehicle_id = ANY($2))
           AND ($3::text IS NULL OR vehicle_id = $3)"
    };
}
pub(crate) use scope_condition;

impl<'a> Scope<'a> {
    /// `query` with the parameters of [`scope_condition!`] bound: `$1` the
    /// organization, `$2` the vehicles, `$3` the vehicle.
    pub(crate) fn bind<'q, O>(
        self,
        query: QueryAs<'q, Postgres, O, PgArguments>,
    ) -> QueryAs<'q, Postgres, O, PgArguments>
    where
        'a: 'q,
    {
        query
            .bind(self.org_id)
            .bind(self.vehicle_ids)
            .bind(self.vehicle_id)
    }
}

/// A keyset page, newest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    /// Rows strictly before this time (and id below on ties).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    /// Page size.
    pub limit: i64,
}

impl Page {
    /// `query` with its last three parameters bound: the time and id rows are before
    /// (`($n::timestamptz IS NULL OR (time, id) < ($n, $n+1))`) and the limit.
    pub(crate) fn bind<'q, O>(
        self,
        query: QueryAs<'q, Postgres, O, PgArguments>,
    ) -> QueryAs<'q, Postgres, O, PgArguments> {
        query
            .bind(self.before.map(|b| b.0))
            .bind(self.before.map_or(Uuid::nil(), |b| b.1))
            .bind(self.limit)
    }
}
