//! How a SQLite connection waits for a lock another connection holds.
//!
//! SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries. In the
//! all-in-one process several connections write each database file (the embedded bus's
//! publishers and consumers, a service's consumers and its API), and their transactions last
//! a fraction of a millisecond: a writer that finds the file locked for 100 µs still slept a
//! whole millisecond, often three or eight, and those sleeps made most of an event's latency
//! tail. This handler tries again every 50 µs for the first 20 ms, then every millisecond,
//! and gives up after about the same ten seconds as before.
//!
//! It runs on the connection's own worker thread (sqlx gives each SQLite connection one), so a
//! blocking sleep there holds no async task.

// The handler is installed through SQLite's C interface; nothing else here is unsafe.
#![allow(unsafe_code)]

use std::os::raw::{c_int, c_void};
use std::time::Duration;

use libsqlite3_sys::{SQLITE_OK, sqlite3_busy_handler};
use sqlx::SqliteConnection;

/// Tries at the short interval before the long one: 400 × 50 µs = 20 ms.
const SHORT_TRIES: c_int = 400;
const SHORT_WAIT: Duration = Duration::from_micros(50);
const LONG_WAIT: Duration = Duration::from_millis(1);
/// Then 10 000 × 1 ms: about ten seconds in all before the statement fails as busy.
const LONG_TRIES: c_int = 10_000;

/// SQLite calls this with the number of times it already did for this lock; non-zero: try
/// again.
extern "C" fn wait_briefly(_: *mut c_void, tries: c_int) -> c_int {
    if tries < SHORT_TRIES {
        std::thread::sleep(SHORT_WAIT);
        1
    } else if tries < SHORT_TRIES + LONG_TRIES {
        std::thread::sleep(LONG_WAIT);
        1
    } else {
        0
    }
}

/// Replaces the connection's busy handler (and the timeout the connect options set) with
/// [`wait_briefly`].
pub(super) async fn install(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = connection.lock_handle().await?;
    let raw = handle.as_raw_handle();
    // SAFETY: `raw` is this connection's open database handle, locked for us for the call; the
    // handler is a plain function that touches no shared state and lives as long as the
    // program.
    let code =
        unsafe { sqlite3_busy_handler(raw.as_ptr(), Some(wait_briefly), std::ptr::null_mut()) };
    if code == SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            format!("SQLite refused the busy handler (code {code})").into(),
        ))
    }
}
