//! Seed 001, a remote monitoring API: API key in the query string, offset/limit paging.
//!
//! `GET /v1/resource?offset=N&limit=M&api_key=KEY` answering
//! `{"total": records, "offset": N, "limit": M, "data": [...]}`; `total` is the record count
//! the spec's offset paginator (default `total_path: total`) stops on.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::auth::require_api_key;
use crate::data;
use crate::error::ApiError;
use crate::paging::{page_size, param_u64, Params, Selection};
use crate::state::AppState;

const MAX_PAGE_SIZE: u64 = 1000;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/resource", get(resources))
}

async fn resources(
    State(shared): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    require_api_key(
        &shared,
        params.get("api_key").map(String::as_str),
        "query parameter",
    )?;
    let (count, revision) = {
        let config = shared.config();
        (config.rmm_resources, config.revision)
    };
    let offset = param_u64(&params, "offset", 0)?;
    let limit = page_size(&params, "limit", 100, MAX_PAGE_SIZE)?;
    let selection = Selection::new(count, revision, &params)?;
    let records: Vec<Value> = selection
        .window(offset, limit)
        .into_iter()
        .map(|i| data::rmm_resource(i, revision))
        .collect();
    Ok(Json(json!({
        "total": selection.len(),
        "offset": offset,
        "limit": limit,
        "data": records,
    })))
}
