//! The `contacts` table.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::contact::{Contact, Preferences};
use crate::domain::policy::Role;

macro_rules! columns {
    () => {
        "contact_id, org_id, name, role, vehicle_ids, user_id, email, phone, push_token, \
         webhook_url, preferences, active, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    contact_id: Uuid,
    org_id: String,
    name: String,
    role: String,
    vehicle_ids: Vec<String>,
    user_id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    push_token: Option<String>,
    webhook_url: Option<String>,
    preferences: Json<Preferences>,
    active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_contact(self) -> Result<Contact, sqlx::Error> {
        Ok(Contact {
            role: Role::parse(&self.role).ok_or_else(|| {
                sqlx::Error::Decode(format!("contacts.role {:?}", self.role).into())
            })?,
            contact_id: self.contact_id,
            org_id: self.org_id,
            name: self.name,
            vehicle_ids: self.vehicle_ids,
            user_id: self.user_id,
            email: self.email,
            phone: self.phone,
            push_token: self.push_token,
            webhook_url: self.webhook_url,
            preferences: self.preferences.0,
            active: self.active,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn all(rows: Vec<Row>) -> Result<Vec<Contact>, sqlx::Error> {
    rows.into_iter().map(Row::into_contact).collect()
}

/// One contact.
pub async fn get(pool: &PgPool, contact_id: Uuid) -> Result<Option<Contact>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM contacts WHERE contact_id = $1"
    ))
    .bind(contact_id)
    .fetch_optional(pool)
    .await?;
    row.map(Row::into_contact).transpose()
}

/// Contacts of an organization (every organization when `None`), by role and name.
pub async fn list(pool: &PgPool, org_id: Option<&str>) -> Result<Vec<Contact>, sqlx::Error> {
    all(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM contacts WHERE ($1::text IS NULL OR org_id = $1) ORDER BY org_id, role, name, contact_id"
    ))
    .bind(org_id)
    .fetch_all(pool)
    .await?)
}

/// The active contacts of `roles` responsible for `vehicle_id` in `org_id`.
pub async fn recipients(
    conn: &mut PgConnection,
    org_id: &str,
    vehicle_id: &str,
    roles: &[Role],
) -> Result<Vec<Contact>, sqlx::Error> {
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    all(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM contacts WHERE org_id = $1 AND active AND role = ANY($2)
           AND (cardinality(vehicle_ids) = 0 OR $3 = ANY(vehicle_ids))
         ORDER BY role, name, contact_id"
    ))
    .bind(org_id)
    .bind(&roles[..])
    .bind(vehicle_id)
    .fetch_all(conn)
    .await?)
}

/// The active contacts of `role` in `org_id`, whatever vehicles they answer for.
pub async fn active_of_role(
    conn: &mut PgConnection,
    org_id: &str,
    role: Role,
) -> Result<Vec<Contact>, sqlx::Error> {
    all(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM contacts WHERE org_id = $1 AND active AND role = $2 ORDER BY name, contact_id"
    ))
    .bind(org_id)
    .bind(role.as_str())
    .fetch_all(conn)
    .await?)
}

/// Inserts or replaces `c` (by id); `false` when the id exists in another organization
/// (nothing changed).
pub async fn upsert(pool: &PgPool, c: &Contact) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO contacts (contact_id, org_id, name, role, vehicle_ids, user_id, email, phone,
             push_token, webhook_url, preferences, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (contact_id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,
             vehicle_ids = EXCLUDED.vehicle_ids, user_id = EXCLUDED.user_id,
             email = EXCLUDED.email, phone = EXCLUDED.phone, push_token = EXCLUDED.push_token,
             webhook_url = EXCLUDED.webhook_url, preferences = EXCLUDED.preferences,
             active = EXCLUDED.active, updated_at = EXCLUDED.updated_at
         WHERE contacts.org_id = EXCLUDED.org_id",
    )
    .bind(c.contact_id)
    .bind(&c.org_id)
    .bind(&c.name)
    .bind(c.role.as_str())
    .bind(&c.vehicle_ids)
    .bind(c.user_id.as_deref())
    .bind(c.email.as_deref())
    .bind(c.phone.as_deref())
    .bind(c.push_token.as_deref())
    .bind(c.webhook_url.as_deref())
    .bind(Json(&c.preferences))
    .bind(c.active)
    .bind(c.created_at)
    .bind(c.updated_at)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Replaces a contact's preferences.
pub async fn set_preferences(
    pool: &PgPool,
    contact_id: Uuid,
    p: &Preferences,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE contacts SET preferences = $2, updated_at = now() WHERE contact_id = $1",
    )
    .bind(contact_id)
    .bind(Json(p))
    .execute(pool)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Deletes a contact.
pub async fn delete(pool: &PgPool, contact_id: Uuid) -> Result<bool, sqlx::Error> {
    let n = sqlx::query("DELETE FROM contacts WHERE contact_id = $1")
        .bind(contact_id)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(n == 1)
}
