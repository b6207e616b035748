//! Identity: login, lockout, refresh rotation, logout, client credentials, accounts,
//! invitations and password reset, against the real app.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared_runtime::auth::{JwksSource, Jwt, Role};
use shared_runtime::config::Secret;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, AGENT_SECRET, TestApp, spawn_app, spawn_with, token,
};
use crate::smtp::Sink;

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn session(app: &TestApp, email: &str, password: &str) -> Value {
    let r = login(app, email, password).await;
    assert_eq!(r.status(), StatusCode::OK, "login {email}");
    r.json().await.unwrap()
}

async fn post(app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn admin(app: &TestApp) -> String {
    session(app, ADMIN_EMAIL, ADMIN_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_first_admin_logs_in_with_a_short_lived_eddsa_token_that_verifies_offline_from_the_jwks()
 {
    let app = spawn_app().await;
    let s = session(&app, "  Admin@Example.TEST ", ADMIN_PASSWORD).await;
    assert_eq!(s["token_type"], "Bearer");
    assert!(s["expires_in"].as_u64().unwrap() <= 900);
    assert_eq!(s["user"]["role"], "admin");
    assert!(s["user"].get("password_hash").is_none());
    let access = s["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");

    // Another service's verifier: only the JWKS URL, no shared secret.
    let jwks: Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    let verifier = Jwt::with_keys(JwksSource::remote(app.url("/.well-known/jwks.json")).unwrap());
    let claims = verifier.verify(access).await.unwrap();
    assert_eq!(claims.role, Role::Admin);
    assert!(claims.exp - claims.iat <= 900);
    // A development token is refused by a verifier without the development secret.
    assert!(
        verifier
            .verify(&token(Role::Admin, "acme", &[]))
            .await
            .is_err()
    );
    // Tampering with the payload breaks the signature.
    let mut parts: Vec<&str> = access.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(
        br#"{"sub":"x","role":"admin","org":"x","iat":0,"exp":9999999999,"iss":"fleet-platform"}"#,
    );
    parts[1] = &forged;
    assert!(verifier.verify(&parts.join(".")).await.is_err());

    let me = app.get_as("/v1/auth/me", access).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_answer_alike_and_lock_after_five_failures() {
    let app = spawn_app().await;
    let wrong = login(&app, ADMIN_EMAIL, "not the password at all").await;
    let unknown = login(&app, "nobody@example.test", "not the password at all").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (a, b): (Value, Value) = (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(a, b, "the same answer whether or not the account exists");
    for _ in 0..4 {
        login(&app, ADMIN_EMAIL, "still wrong, still wrong").await;
        login(&app, "nobody@example.test", "still wrong, still wrong").await;
    }
    for email in [ADMIN_EMAIL, "nobody@example.test"] {
        let locked = login(&app, email, ADMIN_PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        let retry: u64 = locked.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
    }
    // Malformed input is a 400 naming the problem.
    let (status, body) = post(&app, "/v1/auth/login", &json!({ "email": "a@b.c" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("password"),
        "{body}"
    );
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_replay_revokes_the_whole_login() {
    let app = spawn_app().await;
    let first = session(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other_login = session(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r1 = json!({ "refresh_token": first["refresh_token"] });
    let (status, second) = post(&app, "/v1/auth/refresh", &r1).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    // Replaying the rotated token: refused, and the token it was rotated into dies too.
    let (status, body) = post(&app, "/v1/auth/refresh", &r1).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"].as_str().unwrap().contains("already used"),
        "{body}"
    );
    let r2 = json!({ "refresh_token": second["refresh_token"] });
    assert_eq!(
        post(&app, "/v1/auth/refresh", &r2).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Another login of the same account is untouched; logout ends it.
    let r3 = json!({ "refresh_token": other_login["refresh_token"] });
    let (status, third) = post(&app, "/v1/auth/refresh", &r3).await;
    assert_eq!(status, StatusCode::OK);
    let r4 = json!({ "refresh_token": third["refresh_token"] });
    let logout = app
        .client
        .post(app.url("/v1/auth/logout"))
        .json(&r4)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        post(&app, "/v1/auth/refresh", &r4).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(
            &app,
            "/v1/auth/refresh",
            &json!({ "refresh_token": "made-up" })
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn services_take_tokens_with_their_client_credentials() {
    let app = spawn_app().await;
    let grant = |auth: Option<(&str, &str)>, body: &str| {
        let mut req = app
            .client
            .post(app.url("/v1/auth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some((id, secret)) = auth {
            req = req.basic_auth(id, Some(secret));
        }
        req.send()
    };
    let ok = grant(
        Some(("agent", AGENT_SECRET)),
        "grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    let me: Value = app
        .get_as("/v1/auth/me", body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "service");
    assert_eq!(me["sub"], "agent");
    let form =
        format!("grant_type=client_credentials&client_id=agent&client_secret={AGENT_SECRET}");
    assert_eq!(grant(None, &form).await.unwrap().status(), StatusCode::OK);
    let wrong = grant(
        Some(("agent", "wrong-secret-wrong-secret")),
        "grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = grant(
        Some(("alert", AGENT_SECRET)),
        "grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let bad = grant(Some(("agent", AGENT_SECRET)), "grant_type=password")
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // The runtime's token source, as the agent uses it.
    let tokens = shared_runtime::auth::ServiceTokens::client_credentials(
        shared_runtime::auth::ServiceCredentials {
            token_url: app.url("/v1/auth/token"),
            client_id: "agent".to_owned(),
            client_secret: Secret::new(AGENT_SECRET),
        },
    )
    .unwrap();
    let t1 = tokens.token().await.unwrap();
    assert_eq!(
        tokens.token().await.unwrap(),
        t1,
        "cached until near expiry"
    );
}

#[tokio::test]
async fn fleet_managers_manage_their_organization_and_owner_tokens_carry_their_vehicles() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    for (id, name) in [("acme", "Acme Haulage"), ("globex", "Globex Freight")] {
        let r = app
            .post_as("/v1/orgs", &admin, &json!({ "id": id, "name": name }))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    assert_eq!(
        app.post_as(
            "/v1/orgs",
            &admin,
            &json!({ "id": "acme", "name": "again" })
        )
        .await
        .status(),
        StatusCode::CONFLICT
    );
    let manager = json!({ "email": "fm@acme.test", "name": "Fran Manager", "role": "fleet_manager", "org_id": "acme", "password": "manager password 1" });
    assert_eq!(
        app.post_as("/v1/users", &admin, &manager).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_as("/v1/users", &admin, &manager).await.status(),
        StatusCode::CONFLICT
    );
    let fm = session(&app, "fm@acme.test", "manager password 1").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let owner = json!({ "email": "olga@acme.test", "name": "Olga Owner", "role": "owner", "password": "owner password 12", "vehicle_ids": ["VH-1", "VH-2"] });
    let created = app.post_as("/v1/users", &fm, &owner).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        created["user"]["org_id"], "acme",
        "defaults to the manager's organization"
    );
    let owner_session = session(&app, "olga@acme.test", "owner password 12").await;
    let me: Value = app
        .get_as(
            "/v1/auth/me",
            owner_session["access_token"].as_str().unwrap(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["vehicle_ids"], json!(["VH-1", "VH-2"]));
    assert_eq!(me["org"], "acme");

    // Out of a fleet manager's reach: admins, other organizations, bad bindings.
    for (body, status) in [
        (
            json!({ "email": "a2@acme.test", "name": "A", "role": "admin", "password": "admin password 12" }),
            StatusCode::FORBIDDEN,
        ),
        (
            json!({ "email": "x@globex.test", "name": "X", "role": "owner", "org_id": "globex", "password": "owner password 12" }),
            StatusCode::FORBIDDEN,
        ),
        (
            json!({ "email": "t@acme.test", "name": "T", "role": "technician", "vehicle_ids": ["VH-1"], "password": "tech password 12" }),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "email": "t@acme.test", "name": "T", "role": "technician", "password": "short" }),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "email": "not-an-email", "name": "T", "role": "support", "password": "support password" }),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "email": "s@acme.test", "name": "T", "role": "service", "password": "support password" }),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let r = app.post_as("/v1/users", &fm, &body).await;
        assert_eq!(r.status(), status, "{body}");
    }
    let users: Vec<Value> = app.get_as("/v1/users", &fm).await.json().await.unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(
        app.get_as("/v1/users?org_id=globex", &fm).await.status(),
        StatusCode::FORBIDDEN
    );
    let owner_token = owner_session["access_token"].as_str().unwrap();
    assert_eq!(
        app.get_as("/v1/users", owner_token).await.status(),
        StatusCode::FORBIDDEN
    );
    let owner_id = created["user"]["id"].as_str().unwrap();
    // Someone of another organization sees no such account.
    let globex = token(Role::FleetManager, "globex", &[]);
    let foreign = app.get_as(&format!("/v1/users/{owner_id}"), &globex).await;
    let unknown = app
        .get_as(&format!("/v1/users/{}", uuid::Uuid::now_v7()), &globex)
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // Disabling the owner ends their sessions.
    let patch = app
        .client
        .patch(app.url(&format!("/v1/users/{owner_id}")))
        .bearer_auth(&fm)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::OK);
    let refresh = json!({ "refresh_token": owner_session["refresh_token"] });
    assert_eq!(
        post(&app, "/v1/auth/refresh", &refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "olga@acme.test", "owner password 12")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn invitations_and_password_resets_arrive_by_email_and_work_once() {
    let sink = Sink::start().await;
    let smtp_url = format!("smtp://{}", sink.addr);
    let app = spawn_with(|c| c.smtp_url = Some(Secret::new(smtp_url))).await;
    let admin = admin(&app).await;
    app.post_as("/v1/orgs", &admin, &json!({ "id": "acme", "name": "Acme" }))
        .await;
    let invite = json!({ "email": "tess@acme.test", "name": "Tess Tech", "role": "technician", "org_id": "acme", "center_ids": ["C-1"] });
    let created: Value = app
        .post_as("/v1/users", &admin, &invite)
        .await
        .json()
        .await
        .unwrap();
    let url = created["invitation_url"].as_str().unwrap();
    let mails = texts(sink.wait_for(1).await);
    assert!(mails[0].contains("To: tess@acme.test"), "{}", mails[0]);
    assert!(
        mails[0].contains(url),
        "the mailed link is the one returned"
    );
    let invite_token = url.split("token=").nth(1).unwrap();
    assert_eq!(
        login(&app, "tess@acme.test", "").await.status(),
        StatusCode::UNAUTHORIZED,
        "no password yet"
    );
    let accept = json!({ "token": invite_token, "password": "technician password" });
    let (status, accepted) = post(&app, "/v1/auth/invitations/accept", &accept).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(accepted["user"]["center_ids"], json!(["C-1"]));
    assert_eq!(
        post(&app, "/v1/auth/invitations/accept", &accept).await.0,
        StatusCode::NOT_FOUND
    );

    // A reset for an unknown address answers the same and sends nothing.
    for email in ["nobody@acme.test", "tess@acme.test"] {
        let r = app
            .client
            .post(app.url("/v1/auth/password-reset"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let mails = texts(sink.wait_for(2).await);
    assert_eq!(mails.len(), 2);
    let link = mails[1]
        .lines()
        .find(|l| l.contains("/reset-password?token="))
        .unwrap()
        .trim();
    let reset_token = link.split("token=").nth(1).unwrap();
    let weak = json!({ "token": reset_token, "password": "short" });
    assert_eq!(
        post(&app, "/v1/auth/password-reset/complete", &weak)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let good = json!({ "token": reset_token, "password": "a brand new password" });
    let r = app
        .client
        .post(app.url("/v1/auth/password-reset/complete"))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        post(&app, "/v1/auth/password-reset/complete", &good)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // The old sessions ended; the new password works, the old one not.
    let refresh = json!({ "refresh_token": accepted["refresh_token"] });
    assert_eq!(
        post(&app, "/v1/auth/refresh", &refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "tess@acme.test", "technician password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "tess@acme.test", "a brand new password")
            .await
            .status(),
        StatusCode::OK
    );
    // The link page is a form.
    let page = app
        .client
        .get(app.url("/reset-password?token=<x>"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<form") && page.contains("&lt;x&gt;"));
    assert_eq!(sink.messages().len(), 2);
}

/// Raw mails as text, quoted-printable soft breaks and `=3D` undone (enough to read the
/// links back).
fn texts(raw: Vec<Vec<u8>>) -> Vec<String> {
    raw.into_iter()
        .map(|m| {
            String::from_utf8_lossy(&m)
                .replace("=\r\n", "")
                .replace("=3D", "=")
                .replace("\r\n", "\n")
        })
        .collect()
}

#[tokio::test]
async fn admins_and_only_admins_belong_to_the_platform_organization() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    app.post_as("/v1/orgs", &admin, &json!({ "id": "acme", "name": "Acme" }))
        .await;
    let second = json!({ "email": "a2@ops.test", "name": "Second Admin", "role": "admin", "password": "admin password 12" });
    let created = app.post_as("/v1/users", &admin, &second).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["user"]["org_id"], "platform");
    for body in [
        json!({ "email": "a3@acme.test", "name": "A", "role": "admin", "org_id": "acme", "password": "admin password 12" }),
        json!({ "email": "fm@ops.test", "name": "F", "role": "fleet_manager", "org_id": "platform", "password": "manager password" }),
    ] {
        let r = app.post_as("/v1/users", &admin, &body).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    // Promoting an organization's user to admin would leave them outside the platform.
    let fm = json!({ "email": "fm@acme.test", "name": "F", "role": "fleet_manager", "org_id": "acme", "password": "manager password" });
    let fm: Value = app
        .post_as("/v1/users", &admin, &fm)
        .await
        .json()
        .await
        .unwrap();
    let id = fm["user"]["id"].as_str().unwrap();
    let promote = app
        .client
        .patch(app.url(&format!("/v1/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({ "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(promote.status(), StatusCode::BAD_REQUEST);
}
