//! Seed 004, a meetings API: OAuth2 client credentials, cursor `next_page_token`, and one
//! child resource per user.
//!
//! - `POST /oauth/token` (form: grant_type=client_credentials, client_id, client_secret).
//! - `GET /v1/users?limit=30&next_page_token=T`: `{"users": [...], "next_page_token": "..."}`;
//!   the last page has no `next_page_token` key, so the spec's cursor paginator (no stop
//!   condition) stops there (`DemoConfig::empty_last_page_token` sends `""` instead).
//! - `GET /v1/meetings/{user_id}`: `{"meetings": [...], "total_records": n}` with
//!   `data::meetings_of_user(i)` meetings; unknown users and `DemoConfig::missing_meetings_user`
//!   answer 404.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::auth::{require_bearer, token_endpoint, Grant};
use crate::data;
use crate::error::ApiError;
use crate::paging::{page_size, Params, Selection};
use crate::state::AppState;

const API: &str = "meetings";
const MAX_PAGE_SIZE: u64 = 300;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/v1/users", get(users))
        .route("/v1/meetings/{user_id}", get(meetings))
}

async fn token(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    token_endpoint(&shared, API, Grant::ClientCredentials, &headers, &body)
}

fn page_token(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("users@{offset}"))
}

fn offset_of(token: &str) -> Result<u64, ApiError> {
    let invalid = || ApiError::bad_request(format!("invalid next_page_token `{token}`"));
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("users@")
        .and_then(|offset| offset.parse().ok())
        .ok_or_else(invalid)
}

async fn users(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    require_bearer(&shared, API, &headers)?;
    let (count, revision, empty_last_token) = {
        let config = shared.config();
        (
            config.meeting_users,
            config.revision,
            config.empty_last_page_token,
        )
    };
    let limit = page_size(&params, "limit", 30, MAX_PAGE_SIZE)?;
    let offset = match params.get("next_page_token").filter(|t| !t.is_empty()) {
        Some(token) => offset_of(token)?,
        None => 0,
    };
    let selection = Selection::new(count, revision, &params)?;
    let users: Vec<Value> = selection
        .window(offset, limit)
        .into_iter()
        .map(|i| data::user(i, revision))
        .collect();
    let mut body = Map::new();
    body.insert("page_size".into(), limit.into());
    body.insert("total_records".into(), selection.len().into());
    let next = offset.saturating_add(limit);
    if next < selection.len() {
        body.insert("next_page_token".into(), page_token(next).into());
    } else if empty_last_token {
        body.insert("next_page_token".into(), "".into());
    }
    body.insert("users".into(), users.into());
    Ok(Json(Value::Object(body)))
}

async fn meetings(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_bearer(&shared, API, &headers)?;
    let (count, missing) = {
        let config = shared.config();
        (config.meeting_users, config.missing_meetings_user.clone())
    };
    let index = data::user_index(&user_id)
        .filter(|&i| i <= count && missing.as_deref() != Some(user_id.as_str()))
        .ok_or_else(|| ApiError::not_found(format!("user `{user_id}` does not exist")))?;
    let meetings: Vec<Value> = (1..=data::meetings_of_user(index))
        .map(|j| data::meeting(index, j))
        .collect();
    Ok(Json(json!({
        "total_records": meetings.len(),
        "meetings": meetings,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip() {
        assert_eq!(offset_of(&page_token(60)).ok(), Some(60));
        assert!(offset_of("garbage!").is_err());
    }
}
