//! Incremental loading: where the last run stopped, which records are new, and the new
//! high-water mark.
//!
//! The runtime never persists state: it reads [`IncrementalState`] from
//! [`crate::RunOptions`] and reports the new one through [`crate::StatsHandle`], so the loader
//! can commit it in the same transaction as the data. Child resources keep one mark per parent
//! (`per_parent`, keyed by the parent values bound into the request) as well as the overall one.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use connector_spec::resolved::IncrementalPlan as Config;
use connector_spec::{LastValueFunc, OnCursorValueMissing, RangeBound, RowOrder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;

/// Incremental state of one resource, as saved between runs (JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncrementalState {
    /// The high-water mark over every record (every parent, for a child resource).
    #[serde(default)]
    pub last_value: Option<Value>,
    /// For a child resource: the mark per parent, keyed by the parent's bound values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_parent: BTreeMap<String, Value>,
}

/// The spec's incremental settings, ready to use.
#[derive(Debug, Clone)]
pub(crate) struct IncrementalPlan {
    pub(crate) config: Config,
    func: LastValueFunc,
}

/// The values `{incremental.*}` placeholders and start/end params take for one request sequence.
#[derive(Debug, Clone, Default)]
pub(crate) struct Window {
    pub(crate) start_value: Option<Value>,
    pub(crate) initial_value: Option<Value>,
    pub(crate) last_value: Option<Value>,
    pub(crate) end_value: Option<Value>,
    /// The other `{incremental.<setting>}` values: the spec's settings, as dlt binds them.
    pub(crate) settings: Vec<(&'static str, Value)>,
}

impl Window {
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        match name {
            "start_value" => self.start_value.as_ref(),
            "initial_value" => self.initial_value.as_ref(),
            "last_value" => self.last_value.as_ref(),
            "end_value" => self.end_value.as_ref(),
            other => self
                .settings
                .iter()
                .find(|(setting, _)| *setting == other)
                .map(|(_, value)| value),
        }
    }
}

/// A setting as its spec word (`max`, `open`, ...).
fn word<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl IncrementalPlan {
    pub(crate) fn new(config: Config) -> IncrementalPlan {
        IncrementalPlan {
            func: config.last_value_func,
            config,
        }
    }

    /// The window for one request sequence: resumes from the parent's mark when there is one,
    /// else the overall mark, else `initial_value`.
    pub(crate) fn window(
        &self,
        state: Option<&IncrementalState>,
        parent_key: Option<&str>,
    ) -> Window {
        let saved = state.and_then(|s| match parent_key {
            Some(key) => s
                .per_parent
                .get(key)
                .cloned()
                .or_else(|| s.last_value.clone()),
            None => s.last_value.clone(),
        });
        // `lag` re-reads a little before the saved mark (late-arriving updates), as dlt does.
        let saved = match (saved, self.config.lag) {
            (Some(value), Some(lag)) if lag > 0.0 => Some(apply_lag(&value, lag, self.func)),
            (saved, _) => saved,
        };
        let start = saved.or_else(|| self.config.initial_value.clone());
        Window {
            start_value: start.clone(),
            initial_value: self.config.initial_value.clone(),
            last_value: start,
            end_value: self.config.end_value.clone(),
            settings: {
                let c = &self.config;
                let mut settings = vec![
                    ("cursor_path", Value::String(c.cursor_path.to_string())),
                    ("last_value_func", word(c.last_value_func)),
                    ("on_cursor_value_missing", word(c.on_cursor_value_missing)),
                    ("range_start", word(c.range_start)),
                    ("range_end", word(c.range_end)),
                ];
                if let Some(lag) = c.lag {
                    // `lag: 2` is written back as `2`, not `2.0`.
                    let whole = lag.fract() == 0.0 && lag.abs() < 1e15;
                    let value = if whole {
                        Value::from(lag as i64)
                    } else {
                        Value::from(lag)
                    };
                    settings.push(("lag", value));
                }
                if let Some(order) = c.row_order {
                    settings.push(("row_order", word(order)));
                }
                settings
            },
        }
    }

    /// Whether a record is inside the window; `Some(cursor)` when it is and has a cursor.
    /// Records before the start (or at/after the end) are dropped, as dlt does; with
    /// `row_order`, a record out of the window on the side the rows move toward is
    /// [`Decision::Past`]: no later record can be inside.
    pub(crate) fn check(
        &self,
        record: &Value,
        window: &Window,
        resource: &str,
    ) -> Result<Decision, Error> {
        let cursor = self
            .config
            .cursor_path
            .first(record)
            .filter(|v| !v.is_null());
        let Some(cursor) = cursor else {
            return match self.config.on_cursor_value_missing {
                OnCursorValueMissing::Raise => Err(Error::MissingCursor {
                    resource: resource.to_owned(),
                    cursor_path: self.config.cursor_path.to_string(),
                }),
                OnCursorValueMissing::Include => Ok(Decision::Keep(None)),
                OnCursorValueMissing::Exclude => Ok(Decision::Drop),
            };
        };
        let forward = |a: &Value, b: &Value| -> Option<Ordering> {
            let ord = compare(a, b)?;
            Some(match self.func {
                LastValueFunc::Max => ord,
                LastValueFunc::Min => ord.reverse(),
            })
        };
        // Whether the rows move toward end_value (ascending for `max`, descending for `min`).
        let toward_end = self
            .config
            .row_order
            .map(|order| (order == RowOrder::Asc) == (self.func == LastValueFunc::Max));
        if let Some(start) = &window.start_value {
            let before = match forward(cursor, start) {
                Some(Ordering::Less) => true,
                Some(Ordering::Equal) => self.config.range_start == RangeBound::Open,
                _ => false,
            };
            if before {
                return Ok(match toward_end {
                    Some(false) => Decision::Past,
                    _ => Decision::Drop,
                });
            }
        }
        if let Some(end) = &window.end_value {
            let after = match forward(cursor, end) {
                Some(Ordering::Greater) => true,
                Some(Ordering::Equal) => self.config.range_end == RangeBound::Open,
                _ => false,
            };
            if after {
                return Ok(match toward_end {
                    Some(true) => Decision::Past,
                    _ => Decision::Drop,
                });
            }
        }
        Ok(Decision::Keep(Some(cursor.clone())))
    }

    /// Folds one cursor value into the state.
    pub(crate) fn advance(
        &self,
        state: &mut IncrementalState,
        parent_key: Option<&str>,
        cursor: &Value,
    ) {
        let better = |current: Option<&Value>| -> bool {
            match current {
                None => true,
                Some(current) => match compare(cursor, current) {
                    Some(Ordering::Greater) => self.func == LastValueFunc::Max,
                    Some(Ordering::Less) => self.func == LastValueFunc::Min,
                    _ => false,
                },
            }
        };
        if better(state.last_value.as_ref()) {
            state.last_value = Some(cursor.clone());
        }
        if let Some(key) = parent_key {
            if better(state.per_parent.get(key)) {
                state.per_parent.insert(key.to_owned(), cursor.clone());
            }
        }
    }
}

/// Moves a mark `lag` back (seconds for RFC 3339 timestamps, units for numbers; forward for
/// `min`). Other values are kept as they are.
fn apply_lag(value: &Value, lag: f64, func: LastValueFunc) -> Value {
    let sign = match func {
        LastValueFunc::Max => -1.0,
        LastValueFunc::Min => 1.0,
    };
    match value {
        Value::Number(n) => {
            if let (Some(i), true) = (n.as_i64(), lag.fract() == 0.0) {
                Value::from(i + (sign * lag) as i64)
            } else {
                n.as_f64()
                    .and_then(|f| serde_json::Number::from_f64(f + sign * lag))
                    .map_or_else(|| value.clone(), Value::Number)
            }
        }
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let shift = chrono::Duration::milliseconds((sign * lag * 1000.0) as i64);
                let moved = t + shift;
                Value::String(
                    moved.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, s.ends_with('Z')),
                )
            }
            Err(_) => value.clone(),
        },
        _ => value.clone(),
    }
}

/// What to do with one record.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Inside the window, with its cursor value when it has one.
    Keep(Option<Value>),
    /// Outside the window.
    Drop,
    /// Outside the window where `row_order` says every later record is too: drop it and
    /// request no further page.
    Past,
}

/// Orders two cursor values: numbers numerically, strings (ISO timestamps, ids) as text.
/// Values of different kinds do not compare.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                Some(x.cmp(&y))
            } else {
                x.as_f64()?.partial_cmp(&y.as_f64()?)
            }
        }
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(cursor: &str, initial: Value) -> Config {
        Config {
            cursor_path: connector_spec::selector::Selector::parse(cursor).unwrap(),
            initial_value: Some(initial),
            end_value: None,
            start_param: None,
            end_param: None,
            last_value_func: LastValueFunc::Max,
            on_cursor_value_missing: OnCursorValueMissing::Raise,
            lag: None,
            row_order: None,
            range_start: RangeBound::Closed,
            range_end: RangeBound::Open,
        }
    }

    fn plan(func: LastValueFunc) -> IncrementalPlan {
        IncrementalPlan::new(Config {
            end_value: Some(json!(100)),
            last_value_func: func,
            ..config("updated_at", json!(10))
        })
    }

    #[test]
    fn window_prefers_parent_mark_then_overall_then_initial() {
        let p = plan(LastValueFunc::Max);
        assert_eq!(p.window(None, None).start_value, Some(json!(10)));
        let state = IncrementalState {
            last_value: Some(json!(50)),
            per_parent: [("7".to_owned(), json!(30))].into_iter().collect(),
        };
        assert_eq!(p.window(Some(&state), None).start_value, Some(json!(50)));
        assert_eq!(
            p.window(Some(&state), Some("7")).start_value,
            Some(json!(30))
        );
        assert_eq!(
            p.window(Some(&state), Some("8")).start_value,
            Some(json!(50))
        );
    }

    #[test]
    fn records_outside_the_window_are_dropped_and_max_advances() {
        let p = plan(LastValueFunc::Max);
        let w = p.window(None, None);
        assert!(matches!(
            p.check(&json!({"updated_at": 5}), &w, "r").unwrap(),
            Decision::Drop
        ));
        assert!(matches!(
            p.check(&json!({"updated_at": 100}), &w, "r").unwrap(),
            Decision::Drop
        ));
        assert!(matches!(
            p.check(&json!({"updated_at": 10}), &w, "r").unwrap(),
            Decision::Keep(Some(_))
        ));
        let err = p.check(&json!({"id": 1}), &w, "r").unwrap_err();
        assert!(err.to_string().contains("updated_at"), "{err}");
        let mut state = IncrementalState::default();
        for v in [20, 50, 30] {
            p.advance(&mut state, Some("a"), &json!(v));
        }
        assert_eq!(state.last_value, Some(json!(50)));
        assert_eq!(state.per_parent["a"], json!(50));
    }

    #[test]
    fn lag_moves_the_saved_mark_back() {
        let mut config = Config {
            lag: Some(3600.0),
            ..config("t", json!("2024-01-01T00:00:00Z"))
        };
        let p = IncrementalPlan::new(config.clone());
        assert_eq!(
            p.window(None, None).start_value,
            Some(json!("2024-01-01T00:00:00Z")),
            "no lag on initial_value"
        );
        let saved = IncrementalState {
            last_value: Some(json!("2024-05-02T10:00:00Z")),
            ..Default::default()
        };
        assert_eq!(
            p.window(Some(&saved), None).start_value,
            Some(json!("2024-05-02T09:00:00Z"))
        );
        let saved = IncrementalState {
            last_value: Some(json!("2024-05-02T10:00:00+02:00")),
            ..Default::default()
        };
        assert_eq!(
            p.window(Some(&saved), None).start_value,
            Some(json!("2024-05-02T09:00:00+02:00"))
        );
        config.lag = Some(5.0);
        let p = IncrementalPlan::new(config);
        let saved = IncrementalState {
            last_value: Some(json!(100)),
            ..Default::default()
        };
        assert_eq!(p.window(Some(&saved), None).start_value, Some(json!(95)));
    }

    #[test]
    fn range_bounds_say_whether_the_bound_itself_is_loaded() {
        let closed = plan(LastValueFunc::Max);
        let w = closed.window(None, None);
        assert!(matches!(
            closed.check(&json!({"updated_at": 10}), &w, "r").unwrap(),
            Decision::Keep(Some(_))
        ));
        assert!(matches!(
            closed.check(&json!({"updated_at": 100}), &w, "r").unwrap(),
            Decision::Drop
        ));
        let open = IncrementalPlan::new(Config {
            end_value: Some(json!(100)),
            range_start: RangeBound::Open,
            range_end: RangeBound::Closed,
            ..config("updated_at", json!(10))
        });
        let w = open.window(None, None);
        assert!(matches!(
            open.check(&json!({"updated_at": 10}), &w, "r").unwrap(),
            Decision::Drop
        ));
        assert!(matches!(
            open.check(&json!({"updated_at": 100}), &w, "r").unwrap(),
            Decision::Keep(Some(_))
        ));
    }

    #[test]
    fn min_moves_down() {
        let p = plan(LastValueFunc::Min);
        let mut state = IncrementalState::default();
        for v in [20, 5, 30] {
            p.advance(&mut state, None, &json!(v));
        }
        assert_eq!(state.last_value, Some(json!(5)));
        assert_eq!(
            compare(&json!("2024-01-02"), &json!("2024-01-10")),
            Some(Ordering::Less)
        );
        assert_eq!(compare(&json!("1"), &json!(1)), None);
    }
}
