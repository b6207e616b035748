//! The metrics read models: writes from the consumers ([`record`], [`episodes`],
//! [`service`]) and the dashboard's queries ([`query`]).

pub mod episodes;
pub mod query;
pub mod record;
pub mod service;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryAs;
use sqlx::{FromRow, Postgres};

pub use crate::domain::metrics::Scope;
use crate::domain::metrics::Window;

/// A scope and a window. Queries bind `$1` to the organization, `$2` to the
/// vehicles, and `$3`/`$4` to the window's instants ([`Filter::timed`]) or its first and
/// last day ([`Filter::daily`]).
#[derive(Debug, Clone, Copy)]
pub struct Filter<'a> {
    /// Whose data.
    pub scope: &'a Scope,
    /// Which days.
    pub window: Window,
}

type Query<'a, O> = QueryAs<'a, Postgres, O, PgArguments>;

impl<'a> Filter<'a> {
    /// `sql` with the scope bound (`$1`, `$2`).
    pub(crate) fn scoped<O>(self, sql: &'static str) -> Query<'a, O>
    where
        O: for<'r> FromRow<'r, PgRow>,
    {
        sqlx::query_as(sql)
            .bind(self.scope.org.as_deref())
            .bind(self.scope.vehicles.as_deref())
    }

    /// `sql` with the scope and the window's start and end instants bound.
    pub(crate) fn timed<O>(self, sql: &'static str) -> Query<'a, O>
    where
        O: for<'r> FromRow<'r, PgRow>,
    {
        let (from, to): (DateTime<Utc>, DateTime<Utc>) = (self.window.from(), self.window.to());
        self.scoped(sql).bind(from).bind(to)
    }

    /// `sql` with the scope and the window's first and last day bound.
    pub(crate) fn daily<O>(self, sql: &'static str) -> Query<'a, O>
    where
        O: for<'r> FromRow<'r, PgRow>,
    {
        let (first, last): (NaiveDate, NaiveDate) = (self.window.first_day, self.window.last_day);
        self.scoped(sql).bind(first).bind(last)
    }
}
