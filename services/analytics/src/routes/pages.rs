//! The pages the emailed links open: `GET/POST /reset-password` and
//! `GET/POST /accept-invitation`, plain HTML forms (no script) that set a password with
//! the link's one-time token. The dashboard can take these over; the links work
//! without it.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use bytes::Bytes;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/reset-password", get(reset_form).post(reset_submit))
        .route("/accept-invitation", get(invite_form).post(invite_submit))
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    token: String,
    password: String,
    confirm: String,
}

async fn reset_form(Query(q): Query<TokenQuery>) -> Html<String> {
    form("Choose a new password", "/reset-password", &q.token, "")
}

async fn invite_form(Query(q): Query<TokenQuery>) -> Html<String> {
    form(
        "Welcome: choose your password",
        "/accept-invitation",
        &q.token,
        "",
    )
}

async fn reset_submit(State(state): State<AppState>, body: Bytes) -> Html<String> {
    submit(
        body,
        "Choose a new password",
        "/reset-password",
        |token, password| async move { state.identity.complete_reset(&token, &password).await },
    )
    .await
}

async fn invite_submit(State(state): State<AppState>, body: Bytes) -> Html<String> {
    submit(
        body,
        "Welcome: choose your password",
        "/accept-invitation",
        |token, password| async move {
            state
                .identity
                .accept_invitation(&token, &password)
                .await
                .map(|_| ())
        },
    )
    .await
}

async fn submit<F, Fut>(body: Bytes, title: &str, action: &str, set: F) -> Html<String>
where
    F: FnOnce(String, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let Ok(f) = serde_urlencoded::from_bytes::<PasswordForm>(&body) else {
        return form(
            title,
            action,
            "",
            "The form was incomplete; open the link from the email again.",
        );
    };
    if f.password != f.confirm {
        return form(title, action, &f.token, "The two passwords differ.");
    }
    match set(f.token.clone(), f.password).await {
        Ok(()) => page(
            "Password set",
            "<p>Your password is set. You can log in now.</p>",
        ),
        Err(ApiError::BadRequest(m) | ApiError::NotFound(m)) => form(title, action, &f.token, &m),
        Err(e) => {
            tracing::warn!(error = %e, "setting a password from a link failed");
            form(
                title,
                action,
                &f.token,
                "Something went wrong on our side; try again in a minute.",
            )
        }
    }
}

fn form(title: &str, action: &str, token: &str, problem: &str) -> Html<String> {
    let problem = if problem.is_empty() {
        String::new()
    } else {
        format!(
            "<p role=\"alert\" style=\"color:#b00020\">{}</p>",
            escape(problem)
        )
    };
    page(
        title,
        &format!(
            "{problem}<form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\
             <p><label>New password (12 characters or more)<br>\
             <input type=\"password\" name=\"password\" minlength=\"12\" maxlength=\"128\" required autocomplete=\"new-password\"></label></p>\
             <p><label>Again<br><input type=\"password\" name=\"confirm\" minlength=\"12\" maxlength=\"128\" required autocomplete=\"new-password\"></label></p>\
             <p><button type=\"submit\">Set password</button></p></form>",
            escape(token)
        ),
    )
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><meta name=\"referrer\" content=\"no-referrer\">\
         <title>{t}</title></head><body style=\"font-family:sans-serif;max-width:32rem;margin:3rem auto\">\
         <h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
