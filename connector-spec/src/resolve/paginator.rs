//! Paginators resolved: the `Name | Config` forms of the written spec turned into one
//! [`PaginatorPlan`] with dlt's defaults. The one place a paginator default is written.

use crate::model::*;
use crate::resolved::paginator::defaults;
use crate::resolved::*;
use crate::selector::Selector;

fn stop_rules(
    condition: Option<&StopCondition>,
    has_more_path: Option<&str>,
    stop_after_empty_page: bool,
) -> Result<StopRules, String> {
    let parse = |text: &str| Selector::parse(text).map_err(|e| format!("`{text}`: {e}"));
    Ok(StopRules {
        condition: match condition {
            None => None,
            Some(StopCondition::PathMissing(path)) => Some(StopRule::PathMissing(parse(path)?)),
            Some(StopCondition::PathEquals { path, value }) => {
                Some(StopRule::PathEquals(parse(path)?, value.clone()))
            }
        },
        has_more_path: has_more_path.map(parse).transpose()?,
        stop_after_empty_page,
    })
}

/// The one place a paginator's defaults are written (dlt's).
pub(super) fn paginator_plan(paginator: Option<&Paginator>) -> Result<PaginatorPlan, String> {
    let parse = |text: &str| Selector::parse(text).map_err(|e| format!("`{text}`: {e}"));
    let config = match paginator {
        None => return Ok(PaginatorPlan::Auto),
        Some(Paginator::Config(c)) => c.clone(),
        Some(Paginator::Name(kind)) => match kind {
            PaginatorKind::SinglePage => PaginatorConfig::SinglePage {},
            PaginatorKind::PageNumber => PaginatorConfig::PageNumber(Default::default()),
            PaginatorKind::Offset => {
                return Err(
                    "paginator `offset` needs `limit` (write it as { type: offset, limit: N })"
                        .to_owned(),
                )
            }
            PaginatorKind::Cursor => PaginatorConfig::Cursor(Default::default()),
            PaginatorKind::JsonLink => PaginatorConfig::JsonLink(Default::default()),
            PaginatorKind::HeaderLink => PaginatorConfig::HeaderLink(Default::default()),
            PaginatorKind::HeaderCursor => PaginatorConfig::HeaderCursor(Default::default()),
            PaginatorKind::Auto => PaginatorConfig::Auto {},
        },
    };
    let page_size = |limit: Option<u64>, param: &Option<String>| {
        limit.map(|value| PageSize {
            value,
            at: RequestField::Query(
                param
                    .clone()
                    .unwrap_or_else(|| defaults::LIMIT_PARAM.to_owned()),
            ),
        })
    };
    Ok(match config {
        PaginatorConfig::SinglePage {} => PaginatorPlan::SinglePage,
        PaginatorConfig::Auto {} => PaginatorPlan::Auto,
        PaginatorConfig::PageNumber(c) => {
            let defaults = PageNumberPlan::with_defaults();
            let base_page = c.base_page.unwrap_or(defaults.base_page);
            PaginatorPlan::PageNumber(PageNumberPlan {
                base_page,
                first_page: c.page.or(c.start_from_page).unwrap_or(base_page),
                page_at: request_field(
                    c.page_param
                        .clone()
                        .unwrap_or_else(|| defaults::PAGE_PARAM.to_owned()),
                    c.page_body_path.as_deref(),
                ),
                limit: page_size(c.limit, &c.limit_param),
                total_path: match c.total_path.as_value() {
                    Some(p) => Some(parse(p)?),
                    None if c.total_path.is_absent() => defaults.total_path,
                    None => None,
                },
                maximum_page: c.maximum_page,
                stop: stop_rules(
                    c.stop_condition.as_ref(),
                    c.has_more_path.as_deref(),
                    c.stop_after_empty_page.unwrap_or(true),
                )?,
            })
        }
        PaginatorConfig::Offset(c) => {
            if c.limit == 0 {
                return Err("offset paginator: `limit` must be at least 1".to_owned());
            }
            PaginatorPlan::Offset(OffsetPlan {
                limit: c.limit,
                offset: c.offset.unwrap_or(0),
                offset_at: request_field(
                    c.offset_param
                        .clone()
                        .unwrap_or_else(|| defaults::OFFSET_PARAM.to_owned()),
                    c.offset_body_path.as_deref(),
                ),
                limit_at: request_field(
                    c.limit_param
                        .clone()
                        .unwrap_or_else(|| defaults::LIMIT_PARAM.to_owned()),
                    c.limit_body_path.as_deref(),
                ),
                total_path: match c.total_path.as_value() {
                    Some(p) => Some(parse(p)?),
                    None if c.total_path.is_absent() => {
                        Some(Selector::from_keys([defaults::TOTAL_PATH]))
                    }
                    None => None,
                },
                maximum_offset: c.maximum_offset,
                stop: stop_rules(
                    c.stop_condition.as_ref(),
                    c.has_more_path.as_deref(),
                    c.stop_after_empty_page.unwrap_or(true),
                )?,
            })
        }
        PaginatorConfig::Cursor(c) => PaginatorPlan::Cursor(CursorPlan {
            cursor_path: parse(c.cursor_path.as_deref().unwrap_or(defaults::CURSOR_PATH))?,
            cursor_at: request_field(
                c.cursor_param
                    .clone()
                    .unwrap_or_else(|| defaults::CURSOR_PARAM.to_owned()),
                c.cursor_body_path.as_deref(),
            ),
            limit: page_size(c.limit, &c.limit_param),
            stop: stop_rules(
                c.stop_condition.as_ref(),
                c.has_more_path.as_deref(),
                c.stop_after_empty_page.unwrap_or(false),
            )?,
        }),
        PaginatorConfig::JsonLink(c) => PaginatorPlan::JsonLink(JsonLinkPlan {
            next_url_path: parse(
                c.next_url_path
                    .as_deref()
                    .unwrap_or(defaults::NEXT_URL_PATH),
            )?,
            stop: stop_rules(c.stop_condition.as_ref(), None, false)?,
        }),
        PaginatorConfig::HeaderLink(c) => PaginatorPlan::HeaderLink(HeaderLinkPlan {
            links_next_key: c
                .links_next_key
                .clone()
                .unwrap_or_else(|| defaults::LINKS_NEXT_KEY.to_owned()),
        }),
        PaginatorConfig::HeaderCursor(c) => PaginatorPlan::HeaderCursor(HeaderCursorPlan {
            cursor_key: c
                .cursor_key
                .clone()
                .unwrap_or_else(|| defaults::CURSOR_HEADER.to_owned()),
            cursor_param: c
                .cursor_param
                .clone()
                .unwrap_or_else(|| defaults::CURSOR_PARAM.to_owned()),
        }),
    })
}

/// `*_body_path` when written, else the query parameter.
fn request_field(param: String, body_path: Option<&str>) -> RequestField {
    match body_path {
        Some(path) => RequestField::Body(
            path.split('.')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        None => RequestField::Query(param),
    }
}
