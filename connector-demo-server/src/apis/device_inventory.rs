//! Seed 000, a device inventory: OAuth2 client credentials, page numbers from 0.
//!
//! `POST /api/v1/auth/token` (form: grant_type=client_credentials, client_id, client_secret)
//! and `GET /api/v1/computers-inventory?page=N&limit=M` answering
//! `{"totalCount": records, "total": pages, "results": [...]}`. `total` is the page count, so
//! the spec's page_number paginator (default `total_path: total`) stops after the last page;
//! a page past the end is empty, which stops it too.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::auth::{require_bearer, token_endpoint, Grant};
use crate::data;
use crate::error::ApiError;
use crate::paging::{page_count, page_size, param_u64, Params, Selection};
use crate::state::AppState;

const API: &str = "device_inventory";
const MAX_PAGE_SIZE: u64 = 2000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/token", post(token))
        .route("/api/v1/computers-inventory", get(computers))
}

async fn token(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    token_endpoint(&shared, API, Grant::ClientCredentials, &headers, &body)
}

async fn computers(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    require_bearer(&shared, API, &headers)?;
    let (count, revision) = {
        let config = shared.config();
        (config.computers, config.revision)
    };
    let page = param_u64(&params, "page", 0)?;
    let limit = page_size(&params, "limit", 100, MAX_PAGE_SIZE)?;
    let selection = Selection::new(count, revision, &params)?;
    let results: Vec<Value> = selection
        .window(page.saturating_mul(limit), limit)
        .into_iter()
        .map(|i| data::computer(i, revision))
        .collect();
    Ok(Json(json!({
        "totalCount": selection.len(),
        "total": page_count(selection.len(), limit),
        "results": results,
    })))
}
