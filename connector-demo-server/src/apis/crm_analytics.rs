//! Seed 003, a CRM-like analytics API: OAuth2 refresh-token grant, an `Account-Id` header,
//! cursor paging in `links.next`.
//!
//! - `POST /api/v2/oauth2/token` (form: grant_type=refresh_token, refresh_token, client_id,
//!   client_secret). The spec's token_url is on another host; tests override it to this path.
//! - `GET /v1/clients` and `/v1/contacts` with `per_page` (default 50) and cursor `next`:
//!   `{"clients": [...], "links": {"next": "<cursor>"}}`; on the last page `links` has no `next`.
//! - `GET /v1/company`: `{"data": {...}}`, one object.
//!
//! Data requests need a live bearer token (else 401) and `Account-Id: <account id>` (else 403).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
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

const API: &str = "crm_analytics";
const MAX_PAGE_SIZE: u64 = 100;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/oauth2/token", post(token))
        .route("/v1/clients", get(clients))
        .route("/v1/contacts", get(contacts))
        .route("/v1/company", get(company))
}

async fn token(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    token_endpoint(&shared, API, Grant::RefreshToken, &headers, &body)
}

fn authorize(shared: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    require_bearer(shared, API, headers)?;
    let account = headers.get("account-id").and_then(|v| v.to_str().ok());
    let expected = shared.config().credentials.account_id.clone();
    match account {
        Some(account) if account == expected => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the token has no access to this Account-Id",
        )),
        None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the Account-Id header is required",
        )),
    }
}

/// Opaque cursors: base64 of `<resource>:<offset>`.
fn encode_cursor(resource: &str, offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{resource}:{offset}"))
}

fn decode_cursor(resource: &str, cursor: &str) -> Result<u64, ApiError> {
    let invalid = || ApiError::bad_request(format!("invalid cursor `{cursor}` for {resource}"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (name, offset) = text.split_once(':').ok_or_else(invalid)?;
    if name != resource {
        return Err(invalid());
    }
    offset.parse().map_err(|_| invalid())
}

async fn clients(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    authorize(&shared, &headers)?;
    let (count, revision) = {
        let config = shared.config();
        (config.crm_clients, config.revision)
    };
    cursor_page("clients", count, revision, &params, |i| {
        data::crm_client(i, revision)
    })
}

async fn contacts(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    authorize(&shared, &headers)?;
    let (count, revision, clients) = {
        let config = shared.config();
        (config.crm_contacts, config.revision, config.crm_clients)
    };
    cursor_page("contacts", count, revision, &params, |i| {
        data::crm_contact(i, revision, clients)
    })
}

fn cursor_page(
    resource: &'static str,
    count: u64,
    revision: u32,
    params: &Params,
    record: impl Fn(u64) -> Value,
) -> Result<Json<Value>, ApiError> {
    let per_page = page_size(params, "per_page", 50, MAX_PAGE_SIZE)?;
    let offset = match params.get("next").filter(|c| !c.is_empty()) {
        Some(cursor) => decode_cursor(resource, cursor)?,
        None => 0,
    };
    let selection = Selection::new(count, revision, params)?;
    let records: Vec<Value> = selection
        .window(offset, per_page)
        .into_iter()
        .map(record)
        .collect();
    let mut links = Map::new();
    let next = offset.saturating_add(per_page);
    if next < selection.len() {
        links.insert("next".into(), encode_cursor(resource, next).into());
    }
    Ok(Json(json!({ resource: records, "links": links })))
}

async fn company(
    State(shared): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&shared, &headers)?;
    let account = shared.config().credentials.account_id.clone();
    Ok(Json(json!({ "data": data::crm_company(&account) })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_resource() {
        let cursor = encode_cursor("clients", 150);
        assert_eq!(decode_cursor("clients", &cursor).ok(), Some(150));
        assert!(decode_cursor("contacts", &cursor).is_err());
        assert!(decode_cursor("clients", "!!").is_err());
    }
}
