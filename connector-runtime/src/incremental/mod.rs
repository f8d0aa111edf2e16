//! Incremental loading: where the last run stopped, which records are new, and the new
//! high-water mark.
//!
//! The runtime never persists state: it reads [`IncrementalState`] from
//! [`crate::RunOptions`] and reports the new one through [`crate::StatsHandle`], so the loader
//! can commit it in the same transaction as the data. Child resources keep one mark per parent
//! (`per_parent`, keyed by the parent values bound into the request) as well as the overall one.
//!
//! - Cursor values are ordered by [`cursor`]: timestamps as instants, numbers as numbers,
//!   other text as text; values of different kinds are an error naming both.
//! - The records at the mark are remembered ([`boundary`]), so the next run, whose window
//!   starts there (closed), does not load them again: dlt's boundary deduplication.
//! - With `end_value` the incremental is a fixed window (a backfill) and stateless, as in dlt:
//!   the window starts at `initial_value` whatever is stored, and no new state is reported.

mod boundary;
mod cursor;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use connector_spec::resolved::{BoundaryKey, IncrementalPlan as Config};
use connector_spec::{LastValueFunc, OnCursorValueMissing, RangeBound, RowOrder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use boundary::{record_hash, Boundary};
use boundary::{Identity, Seen};

use crate::Error;

/// Incremental state of one resource, as saved between runs (JSON). Every field has a
/// default, so a state saved by an older version (without the boundary fields) still loads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncrementalState {
    /// The high-water mark over every record (every parent, for a child resource).
    #[serde(default)]
    pub last_value: Option<Value>,
    /// For a child resource: the mark per parent, keyed by the parent's bound values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_parent: BTreeMap<String, Value>,
    /// The records loaded at `last_value` (`unique_keys` or `unique_hashes`), for a resource
    /// without a parent; a child keeps them per parent in `per_parent_boundary`.
    #[serde(flatten)]
    pub boundary: Boundary,
    /// For a child resource: the records loaded at each parent's mark.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_parent_boundary: BTreeMap<String, Boundary>,
}

/// The spec's incremental settings, ready to use.
#[derive(Debug, Clone)]
pub(crate) struct IncrementalPlan {
    pub(crate) config: Config,
    func: LastValueFunc,
    /// Whether records at the window's start are deduplicated (dlt's
    /// `boundary_deduplication`): not with `range_start: open` (the start is not loaded),
    /// `end_value` (no state), `lag` (the window re-reads on purpose) or
    /// `incremental.primary_key: []`.
    dedup: bool,
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
    /// What the last run loaded at `start_value` (empty: nothing to deduplicate).
    seen: Seen,
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
        let lag = config.lag.is_some_and(|lag| lag != 0.0);
        IncrementalPlan {
            func: config.last_value_func,
            dedup: config.boundary_key != BoundaryKey::Off
                && config.range_start == RangeBound::Closed
                && config.end_value.is_none()
                && !lag,
            config,
        }
    }

    /// Whether runs read and move the state: not with `end_value`, which makes the
    /// incremental a fixed window (a backfill), as in dlt.
    pub(crate) fn stateful(&self) -> bool {
        self.config.end_value.is_none()
    }

    /// The window for one request sequence: resumes from the parent's mark when there is one,
    /// else the overall mark, else `initial_value` (always `initial_value` with `end_value`).
    pub(crate) fn window(
        &self,
        state: Option<&IncrementalState>,
        parent_key: Option<&str>,
    ) -> Window {
        let state = state.filter(|_| self.stateful());
        // The records remembered at a mark belong to it: a parent without its own mark starts
        // from the overall one with nothing to deduplicate.
        let (saved, boundary) = match (state, parent_key) {
            (None, _) => (None, None),
            (Some(s), Some(key)) => match s.per_parent.get(key) {
                Some(mark) => (Some(mark.clone()), s.per_parent_boundary.get(key)),
                None => (s.last_value.clone(), None),
            },
            (Some(s), None) => (s.last_value.clone(), Some(&s.boundary)),
        };
        let seen = match boundary {
            Some(boundary) if self.dedup && saved.is_some() => Seen::new(boundary),
            _ => Seen::default(),
        };
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
            seen,
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
        let forward = |bound: &Value, role: &str| self.forward(cursor, bound, role, resource);
        // Whether the rows move toward end_value (ascending for `max`, descending for `min`).
        let toward_end = self
            .config
            .row_order
            .map(|order| (order == RowOrder::Asc) == (self.func == LastValueFunc::Max));
        if let Some(start) = &window.start_value {
            let before = match forward(start, "the window's start")? {
                Ordering::Less => true,
                Ordering::Equal => self.config.range_start == RangeBound::Open,
                Ordering::Greater => false,
            };
            if before {
                return Ok(match toward_end {
                    Some(false) => Decision::Past,
                    _ => Decision::Drop,
                });
            }
        }
        if let Some(end) = &window.end_value {
            let after = match forward(end, "end_value")? {
                Ordering::Greater => true,
                Ordering::Equal => self.config.range_end == RangeBound::Open,
                Ordering::Less => false,
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

    /// Orders a record's cursor against a bound in the direction the mark moves (`max`:
    /// ascending, `min`: descending); values of different kinds are an error naming both.
    fn forward(
        &self,
        cursor: &Value,
        bound: &Value,
        role: &str,
        resource: &str,
    ) -> Result<Ordering, Error> {
        let ord = cursor::compare(cursor, bound).map_err(|m| Error::Incremental {
            resource: resource.to_owned(),
            message: format!(
                "incremental cursor `{}`: a record's value {} is {}, but {role} {} is {}; \
                 cursor values compare only with their own kind (timestamps, numbers or \
                 text), so every record's cursor and initial_value/end_value must be one kind",
                self.config.cursor_path,
                excerpt(cursor),
                m.left,
                excerpt(bound),
                m.right,
            ),
        })?;
        Ok(match self.func {
            LastValueFunc::Max => ord,
            LastValueFunc::Min => ord.reverse(),
        })
    }

    /// Folds a record inside the window into the state: its cursor may move the mark, and the
    /// records at the mark are remembered. `false`: the record is one the last run loaded at
    /// the window's start (its identity is remembered there), to be dropped, not loaded again.
    pub(crate) fn accept(
        &self,
        state: &mut IncrementalState,
        window: &Window,
        parent_key: Option<&str>,
        cursor: &Value,
        record: &Value,
        resource: &str,
    ) -> Result<bool, Error> {
        // Computed once, and only for a record at the start or at the mark.
        let mut identity: Option<Identity> = None;
        let identify = |slot: &mut Option<Identity>| match slot.take() {
            Some(id) => Ok(id),
            None => Identity::of(record, &self.config.boundary_key, resource),
        };
        if let (false, Some(start)) = (window.seen.is_empty(), &window.start_value) {
            if self.forward(cursor, start, "the window's start", resource)? == Ordering::Equal {
                let id = identify(&mut identity)?;
                if window.seen.contains(&id) {
                    return Ok(false);
                }
                identity = Some(id);
            }
        }
        let overall = self.moves(cursor, state.last_value.as_ref(), resource)?;
        if overall == Ordering::Greater {
            state.last_value = Some(cursor.clone());
        }
        let (moved, boundary) = match parent_key {
            None => (overall, &mut state.boundary),
            Some(key) => {
                let moved = self.moves(cursor, state.per_parent.get(key), resource)?;
                if moved == Ordering::Greater {
                    state.per_parent.insert(key.to_owned(), cursor.clone());
                }
                (
                    moved,
                    state.per_parent_boundary.entry(key.to_owned()).or_default(),
                )
            }
        };
        if self.dedup {
            match moved {
                Ordering::Greater => boundary.reset(identify(&mut identity)?),
                Ordering::Equal => boundary.insert(identify(&mut identity)?),
                Ordering::Less => {}
            }
        }
        if let Some(key) = parent_key.filter(|_| boundary.is_empty()) {
            state.per_parent_boundary.remove(key);
        }
        Ok(true)
    }

    /// Whether `cursor` moves the mark `current` ([`Ordering::Greater`]: a new mark), equals
    /// it, or stays behind it.
    fn moves(
        &self,
        cursor: &Value,
        current: Option<&Value>,
        resource: &str,
    ) -> Result<Ordering, Error> {
        match current {
            None => Ok(Ordering::Greater),
            Some(current) => self.forward(cursor, current, "the high-water mark", resource),
        }
    }
}

/// A value for an error message: its JSON, shortened.
fn excerpt(value: &Value) -> String {
    let mut text = value.to_string();
    if let Some((cut, _)) = text.char_indices().nth(80) {
        text.truncate(cut);
        text.push_str("...");
    }
    text
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
