//! Seed 002, an asset management API: API key in the `api_key` header, page numbers from 0.
//!
//! `GET /inventory.api`, `/assets.api` (both `{"assets": [...]}`) and `/members.api`
//! (`{"members": [...]}`) with `page` and `limit` (default 25). Like the seed API the body
//! carries no total: a connector stops on the first empty page (the spec's page_number
//! paginator has `stop_after_empty_page` on by default). Ids are integers.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::auth::require_api_key;
use crate::data;
use crate::error::ApiError;
use crate::paging::{page_size, param_u64, Params, Selection};
use crate::state::AppState;

const MAX_PAGE_SIZE: u64 = 500;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/inventory.api", get(inventories))
        .route("/assets.api", get(assets))
        .route("/members.api", get(members))
}

#[derive(Clone, Copy)]
enum Kind {
    Inventories,
    Assets,
    Members,
}

async fn inventories(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    list(&shared, &headers, &params, Kind::Inventories)
}

async fn assets(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    list(&shared, &headers, &params, Kind::Assets)
}

async fn members(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    list(&shared, &headers, &params, Kind::Members)
}

fn list(
    shared: &AppState,
    headers: &HeaderMap,
    params: &Params,
    kind: Kind,
) -> Result<Json<Value>, ApiError> {
    let key = headers.get("api_key").and_then(|v| v.to_str().ok());
    require_api_key(shared, key, "header")?;
    let (count, revision, inventories) = {
        let config = shared.config();
        let count = match kind {
            Kind::Inventories => config.asset_inventories,
            Kind::Assets => config.asset_assets,
            Kind::Members => config.asset_members,
        };
        (count, config.revision, config.asset_inventories)
    };
    let page = param_u64(params, "page", 0)?;
    let limit = page_size(params, "limit", 25, MAX_PAGE_SIZE)?;
    let selection = Selection::new(count, revision, params)?;
    let window = selection.window(page.saturating_mul(limit), limit);
    let records: Vec<Value> = window
        .into_iter()
        .map(|i| match kind {
            Kind::Inventories => data::inventory(i, revision),
            Kind::Assets => data::asset(i, revision, inventories),
            Kind::Members => data::member(i, revision),
        })
        .collect();
    let key = match kind {
        Kind::Members => "members",
        Kind::Inventories | Kind::Assets => "assets",
    };
    Ok(Json(json!({ key: records })))
}
