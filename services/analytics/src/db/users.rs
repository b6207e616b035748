//! The `users` table and the bindings of an account (`user_vehicles`, `user_centers`).

use chrono::{DateTime, Utc};
use shared_runtime::auth::Role;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::account::{User, role_name};

const SELECT: &str = "SELECT u.id, u.email, u.name, u.role, u.org_id, u.password_hash, \
     u.disabled, u.token_epoch, u.created_at, \
     COALESCE((SELECT array_agg(vehicle_id ORDER BY vehicle_id) FROM user_vehicles v WHERE v.user_id = u.id), '{}') AS vehicle_ids, \
     COALESCE((SELECT array_agg(center_id ORDER BY center_id) FROM user_centers c WHERE c.user_id = u.id), '{}') AS center_ids \
     FROM users u";

/// An account with what only the service may see.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account.
    pub user: User,
    /// Argon2id PHC string, if a password is set.
    pub password_hash: Option<String>,
    /// Refresh tokens issued under an older epoch are void.
    pub token_epoch: i32,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    org_id: String,
    password_hash: Option<String>,
    disabled: bool,
    token_epoch: i32,
    created_at: DateTime<Utc>,
    vehicle_ids: Vec<String>,
    center_ids: Vec<String>,
}

impl TryFrom<Row> for Account {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<Self, sqlx::Error> {
        let role: Role = r
            .role
            .parse()
            .map_err(|e: String| sqlx::Error::Decode(e.into()))?;
        Ok(Self {
            user: User {
                id: r.id,
                email: r.email,
                name: r.name,
                role,
                org_id: r.org_id,
                vehicle_ids: r.vehicle_ids,
                center_ids: r.center_ids,
                disabled: r.disabled,
                has_password: r.password_hash.is_some(),
                created_at: r.created_at,
            },
            password_hash: r.password_hash,
            token_epoch: r.token_epoch,
        })
    }
}

/// The account with this (normalized) email.
pub async fn by_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE u.email = $1");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(email)
        .fetch_optional(db)
        .await?;
    row.map(Account::try_from).transpose()
}

/// The account with this id.
pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE u.id = $1");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(Account::try_from).transpose()
}

/// A page of accounts, by email, of `org` (all when `None`), optionally one role.
pub async fn list(
    db: impl PgExecutor<'_>,
    org: Option<&str>,
    role: Option<Role>,
    after_email: Option<&str>,
    limit: i64,
) -> Result<Vec<User>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE ($1::text IS NULL OR u.org_id = $1) AND ($2::text IS NULL OR u.role = $2) \
         AND ($3::text IS NULL OR u.email > $3) ORDER BY u.email LIMIT $4"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org)
        .bind(role.map(role_name))
        .bind(after_email)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.into_iter()
        .map(|r| Account::try_from(r).map(|a| a.user))
        .collect()
}

/// Whether any account exists.
pub async fn any(db: impl PgExecutor<'_>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users)")
        .fetch_one(db)
        .await
}

/// Inserts `user` (with its bindings); `false` when the email is taken.
pub async fn insert(
    tx: &mut PgConnection,
    user: &User,
    password_hash: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, name, role, org_id, password_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (email) DO NOTHING",
    )
    .bind(user.id)
    .bind(&user.email)
    .bind(&user.name)
    .bind(role_name(user.role))
    .bind(&user.org_id)
    .bind(password_hash)
    .bind(user.disabled)
    .bind(user.created_at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    set_bindings(tx, user.id, &user.vehicle_ids, &user.center_ids).await?;
    Ok(true)
}

/// Replaces the account's vehicles and centers.
pub async fn set_bindings(
    tx: &mut PgConnection,
    id: Uuid,
    vehicles: &[String],
    centers: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_vehicles WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM user_centers WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO user_vehicles (user_id, vehicle_id) SELECT $1, unnest($2::text[])")
        .bind(id)
        .bind(vehicles)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO user_centers (user_id, center_id) SELECT $1, unnest($2::text[])")
        .bind(id)
        .bind(centers)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Writes name, role and disabled; bumps the token epoch when `revoke` (refresh
/// tokens issued before stop working).
pub async fn update(tx: &mut PgConnection, user: &User, revoke: bool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET name = $2, role = $3, disabled = $4, updated_at = now(), \
         token_epoch = token_epoch + CASE WHEN $5 THEN 1 ELSE 0 END WHERE id = $1",
    )
    .bind(user.id)
    .bind(&user.name)
    .bind(role_name(user.role))
    .bind(user.disabled)
    .bind(revoke)
    .execute(tx)
    .await?;
    Ok(())
}

/// Sets the password hash and bumps the token epoch (every session ends).
pub async fn set_password(tx: &mut PgConnection, id: Uuid, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, token_epoch = token_epoch + 1, updated_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(hash)
    .execute(tx)
    .await?;
    Ok(())
}
