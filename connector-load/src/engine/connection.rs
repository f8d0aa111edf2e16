//! The shared connection: locking it (recovering from a poisoned lock), running work in one
//! transaction, and the two parameter values every statement binds (text and a timestamp).

use std::sync::{Mutex, MutexGuard};

use chrono::{SecondsFormat, Utc};

use crate::backend::Backend;
use crate::error::Result;
use crate::types::SqlValue;

/// Locks the connection; after a panic elsewhere, rolls back whatever transaction the
/// panicking thread left open.
pub(super) fn lock<B: Backend>(conn: &Mutex<B>) -> MutexGuard<'_, B> {
    match conn.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            conn.clear_poison();
            let mut guard = poisoned.into_inner();
            let _ = guard.execute_batch("ROLLBACK");
            guard
        }
    }
}

/// Runs `f` in a transaction: committed when `f` succeeds, rolled back otherwise.
pub(super) fn in_transaction<B: Backend, T>(
    b: &mut B,
    f: impl FnOnce(&mut B) -> Result<T>,
) -> Result<T> {
    b.execute_batch(b.dialect().begin_sql())?;
    match f(b).and_then(|value| b.execute_batch("COMMIT").map(|()| value)) {
        Ok(value) => Ok(value),
        Err(e) => {
            let _ = b.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Now, as the RFC 3339 text the timestamp columns are written from.
pub(crate) fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A text parameter.
pub(super) fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}
