//! Accounts and organizations: created by admins (any) and fleet managers (their own
//! organization), listed within the caller's scope.

use chrono::Utc;
use serde::Deserialize;
use shared_runtime::auth::{AuthError, Claims, Role};
use uuid::Uuid;

use super::Identity;
use crate::db;
use crate::db::orgs::Org;
use crate::domain::account::{self, User};
use crate::domain::{mail, password, secret_token};
use crate::error::ApiError;

/// A new account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login name.
    pub email: String,
    /// Display name.
    pub name: String,
    /// admin, fleet_manager, technician, owner or support.
    pub role: Role,
    /// Organization; defaults to the caller's.
    #[serde(default)]
    pub org_id: Option<String>,
    /// Initial password (12-128 characters). Omit to invite instead.
    #[serde(default)]
    pub password: Option<String>,
    /// An owner's vehicles.
    #[serde(default)]
    pub vehicle_ids: Vec<String>,
    /// A technician's service centers.
    #[serde(default)]
    pub center_ids: Vec<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Display name.
    pub name: Option<String>,
    /// Role (ends the account's sessions).
    pub role: Option<Role>,
    /// Disable (ends the account's sessions) or enable.
    pub disabled: Option<bool>,
    /// An owner's vehicles (replaces the list).
    pub vehicle_ids: Option<Vec<String>>,
    /// A technician's centers (replaces the list).
    pub center_ids: Option<Vec<String>>,
}

impl Identity {
    /// Creates an account with a password (or, without one, sends an invitation and
    /// returns its link too).
    pub async fn create_user(
        &self,
        actor: &Claims,
        new: NewUser,
    ) -> Result<(User, Option<String>), ApiError> {
        let org = new.org_id.clone().unwrap_or_else(|| match new.role {
            Role::Admin => account::PLATFORM_ORG.to_owned(),
            _ => actor.org.clone(),
        });
        account::may_manage(actor, new.role, &org).map_err(forbidden)?;
        account::check_org(new.role, &org).map_err(ApiError::BadRequest)?;
        let user = User {
            id: Uuid::now_v7(),
            email: account::normalize_email(&new.email).map_err(ApiError::BadRequest)?,
            name: account::normalize_name(&new.name).map_err(ApiError::BadRequest)?,
            role: new.role,
            org_id: org,
            vehicle_ids: new.vehicle_ids,
            center_ids: new.center_ids,
            disabled: false,
            has_password: new.password.is_some(),
            created_at: Utc::now(),
        };
        account::check_bindings(user.role, &user.vehicle_ids, &user.center_ids)
            .map_err(ApiError::BadRequest)?;
        let hash = match &new.password {
            Some(p) => {
                password::check_policy(p, &user.email)
                    .map_err(|e| ApiError::BadRequest(format!("password: {e}")))?;
                Some(hash_blocking(p.clone()).await?)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        if db::orgs::get(&mut *tx, &user.org_id).await?.is_none() {
            return Err(ApiError::NotFound(format!(
                "organization {:?} not found",
                user.org_id
            )));
        }
        if !db::users::insert(&mut tx, &user, hash.as_deref()).await? {
            return Err(ApiError::Conflict(format!(
                "an account for {} exists",
                user.email
            )));
        }
        let link = if hash.is_none() {
            Some(self.invite(&mut tx, actor, &user).await?)
        } else {
            None
        };
        tx.commit().await?;
        self.mail_wake.notify_one();
        Ok((user, link))
    }

    async fn invite(
        &self,
        tx: &mut sqlx::PgConnection,
        actor: &Claims,
        user: &User,
    ) -> Result<String, ApiError> {
        let token = secret_token::generate();
        let ttl = chrono::Duration::from_std(self.settings.invite_ttl).unwrap_or_default();
        db::links::insert(
            tx,
            &secret_token::digest(&token),
            db::links::Purpose::Invite,
            user.id,
            Utc::now() + ttl,
        )
        .await?;
        let link = format!("{}/accept-invitation?token={token}", self.public_url);
        let inviter = match actor.sub.parse::<Uuid>() {
            Ok(id) => db::users::by_id(&mut *tx, id)
                .await?
                .map_or(actor.sub.clone(), |a| a.user.name),
            Err(_) => actor.sub.clone(),
        };
        let message = mail::invitation(
            &user.email,
            &inviter,
            &user.org_id,
            &link,
            ttl.num_hours().unsigned_abs(),
        );
        db::mail::enqueue(tx, &message).await?;
        Ok(link)
    }

    /// The account `id`, if the caller may see it (else "not found", like unknown ids).
    /// Services are not accounts and read none: refused whatever the id (ADR 0008).
    pub async fn user(&self, actor: &Claims, id: Uuid) -> Result<User, ApiError> {
        if actor.role == Role::Service {
            return Err(forbidden(
                "services read no user accounts; a user's token reads its own".to_owned(),
            ));
        }
        let found = db::users::by_id(&self.db, id).await?;
        found
            .map(|a| a.user)
            .filter(|u| u.id.to_string() == actor.sub || account::may_list(actor, &u.org_id))
            .ok_or_else(|| ApiError::NotFound(format!("user {id} not found")))
    }

    /// A page of accounts of `org` (the caller's by default), by email.
    pub async fn users(
        &self,
        actor: &Claims,
        org: Option<&str>,
        role: Option<Role>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<User>, ApiError> {
        let org = match (actor.role, org) {
            (Role::Admin, org) => org,
            (_, org) => Some(org.unwrap_or(&actor.org)),
        };
        if let Some(org) = org
            && !account::may_list(actor, org)
        {
            return Err(forbidden(format!(
                "role {:?} may not list the accounts of {org:?}",
                actor.role
            )));
        }
        Ok(db::users::list(&self.db, org, role, after, limit).await?)
    }

    /// Changes an account. Role changes and disabling end its sessions. The caller's
    /// role is checked before the account is looked up: a role that may change no
    /// account is refused whatever the id (ADR 0008).
    pub async fn update_user(
        &self,
        actor: &Claims,
        id: Uuid,
        patch: UserPatch,
    ) -> Result<User, ApiError> {
        actor.require(&[Role::Admin, Role::FleetManager])?;
        let mut tx = self.db.begin().await?;
        let Some(found) = db::users::by_id(&mut *tx, id).await? else {
            return Err(ApiError::NotFound(format!("user {id} not found")));
        };
        let mut user = found.user;
        if !account::may_list(actor, &user.org_id) {
            return Err(ApiError::NotFound(format!("user {id} not found")));
        }
        account::may_manage(actor, user.role, &user.org_id).map_err(forbidden)?;
        let new_role = patch.role.unwrap_or(user.role);
        account::may_manage(actor, new_role, &user.org_id).map_err(forbidden)?;
        if user.id.to_string() == actor.sub
            && (new_role != user.role || patch.disabled == Some(true))
        {
            return Err(ApiError::Conflict(
                "you cannot change your own role or disable yourself".to_owned(),
            ));
        }
        let revoke = new_role != user.role || (patch.disabled == Some(true) && !user.disabled);
        if let Some(name) = &patch.name {
            user.name = account::normalize_name(name).map_err(ApiError::BadRequest)?;
        }
        user.role = new_role;
        user.disabled = patch.disabled.unwrap_or(user.disabled);
        if patch.role.is_some_and(|r| r != Role::Owner) && patch.vehicle_ids.is_none() {
            user.vehicle_ids.clear();
        }
        if patch.role.is_some_and(|r| r != Role::Technician) && patch.center_ids.is_none() {
            user.center_ids.clear();
        }
        user.vehicle_ids = patch.vehicle_ids.unwrap_or(user.vehicle_ids);
        user.center_ids = patch.center_ids.unwrap_or(user.center_ids);
        account::check_org(user.role, &user.org_id).map_err(ApiError::BadRequest)?;
        account::check_bindings(user.role, &user.vehicle_ids, &user.center_ids)
            .map_err(ApiError::BadRequest)?;
        db::users::update(&mut tx, &user, revoke).await?;
        db::users::set_bindings(&mut tx, user.id, &user.vehicle_ids, &user.center_ids).await?;
        if revoke {
            db::sessions::revoke_user(&mut tx, user.id).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Creates an organization (admins only).
    pub async fn create_org(&self, actor: &Claims, id: &str, name: &str) -> Result<Org, ApiError> {
        actor.require(&[Role::Admin])?;
        shared_schemas::ids::check_org_id(id)
            .map_err(|m| ApiError::BadRequest(format!("id {m}")))?;
        let name = account::normalize_name(name).map_err(ApiError::BadRequest)?;
        if !db::orgs::insert(&self.db, id, &name).await? {
            return Err(ApiError::Conflict(format!("organization {id:?} exists")));
        }
        db::orgs::get(&self.db, id)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("organization {id} vanished")))
    }

    /// The organizations the caller may see: all for admins, else their own.
    pub async fn orgs(&self, actor: &Claims) -> Result<Vec<Org>, ApiError> {
        if actor.role == Role::Admin {
            return Ok(db::orgs::list(&self.db).await?);
        }
        Ok(db::orgs::get(&self.db, &actor.org)
            .await?
            .into_iter()
            .collect())
    }
}

fn forbidden(message: String) -> ApiError {
    ApiError::Auth(AuthError::Forbidden(message))
}

/// Argon2id off the async threads (about 20-50 ms of CPU).
pub(super) async fn hash_blocking(password_text: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password::hash(&password_text))
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}
