-- Identity: organizations, users and their scopes, refresh-token families, one-time
-- links (password reset, invitation) and login failures per email.

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    -- Lower-cased; one account per address across the platform.
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'fleet_manager', 'technician', 'owner', 'support')),
    org_id          TEXT NOT NULL REFERENCES orgs (id),
    -- Argon2id PHC string; NULL until an invited user sets a password.
    password_hash   TEXT,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Bumped on password change, disable and role change: refresh tokens issued
    -- before stop working.
    token_epoch     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_org ON users (org_id);

-- An owner's vehicles.
CREATE TABLE user_vehicles (
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vehicle_id  TEXT NOT NULL,
    PRIMARY KEY (user_id, vehicle_id)
);
CREATE INDEX user_vehicles_vehicle ON user_vehicles (vehicle_id);

-- A technician's service centers.
CREATE TABLE user_centers (
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    center_id   TEXT NOT NULL,
    PRIMARY KEY (user_id, center_id)
);

-- Refresh tokens: stored as SHA-256 of the random token. A login starts a family;
-- each refresh rotates (the old token is marked used, a new one joins the family).
-- Presenting a used token revokes the whole family (it was stolen or replayed).
CREATE TABLE refresh_tokens (
    token_hash   BYTEA PRIMARY KEY,
    family_id    UUID NOT NULL,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_epoch  INTEGER NOT NULL,
    issued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- One-time links: password resets and invitations, stored hashed.
CREATE TABLE one_time_links (
    token_hash  BYTEA PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('reset', 'invite')),
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX one_time_links_user ON one_time_links (user_id);

-- Failed logins per (lower-cased) email, whether or not the account exists, so a
-- lockout answers the same for both.
CREATE TABLE login_failures (
    email          TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_failed_at TIMESTAMPTZ NOT NULL,
    locked_until   TIMESTAMPTZ
);

-- Mail waiting to be sent (password resets, invitations, scheduled reports): written
-- in the transaction that decides to send, sent by the mailer with retries, so a
-- request accepted while the SMTP relay is down is not lost. The body is cleared once
-- sent (reset links are secrets).
CREATE TABLE mail_queue (
    id               UUID PRIMARY KEY,
    to_address       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    attachment_name  TEXT,
    attachment_type  TEXT,
    attachment       BYTEA,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ,
    failed_at        TIMESTAMPTZ,
    last_error       TEXT
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
