//! `--simulate`: moves jobs along about once a second so a refreshing
//! browser sees change.
//!
//! Each tick is one short write transaction on a blocking thread (never on
//! the async workers), touching a handful of rows, so request handling is
//! never starved: readers use their own connections and the writer lock is
//! held for a millisecond or two.

use crate::db::{to_micros, Db};
use crate::demo::Generator;
use chrono::Utc;
use rusqlite::{params, TransactionBehavior};
use std::sync::Arc;
use std::time::Duration;

/// Runs until the task is dropped/aborted.
pub async fn run(db: Arc<Db>, seed: u64) {
    let generator = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            db.write(|conn, _| Generator::resume(conn, seed, Utc::now()))
        })
        .await
    };
    let mut generator = match generator {
        Ok(Ok(g)) => g,
        Ok(Err(e)) => {
            eprintln!("simulate: cannot start: {e}");
            return;
        }
        Err(e) => {
            eprintln!("simulate: cannot start: {e}");
            return;
        }
    };
    let mut interval = tokio::time::interval(Duration::from_millis(1000));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tick: u64 = 0;
    loop {
        interval.tick().await;
        tick += 1;
        let db2 = db.clone();
        let result = tokio::task::spawn_blocking(move || {
            let r = db2.write(|conn, _| step(conn, &mut generator, tick));
            (generator, r)
        })
        .await;
        match result {
            Ok((g, r)) => {
                generator = g;
                if let Err(e) = r {
                    eprintln!("simulate: tick failed: {e}");
                }
            }
            Err(e) => {
                eprintln!("simulate: stopped: {e}");
                return;
            }
        }
    }
}

/// `(id, job_type_id, job_type_rev_id, queued)` of a job to move along.
type Candidate = (i64, i64, i64, Option<i64>);

/// Up to `limit` jobs in `status`, longest unchanged first.
fn oldest(
    tx: &rusqlite::Transaction<'_>,
    status: &str,
    min_age_micros: i64,
    now: i64,
    limit: i64,
) -> rusqlite::Result<Vec<Candidate>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, job_type_id, job_type_rev_id, queued FROM jobs \
         WHERE status = ? AND is_superseded = 0 AND last_status_change <= ? \
         ORDER BY last_status_change, id LIMIT ?",
    )?;
    let rows = stmt.query_map(params![status, now - min_age_micros, limit], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    rows.collect()
}

/// One tick: a few transitions and sometimes a new job.
pub fn step(conn: &mut rusqlite::Connection, g: &mut Generator, tick: u64) -> rusqlite::Result<()> {
    let now_dt = Utc::now();
    let now = to_micros(now_dt);
    g.set_now(now_dt);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    const S: i64 = 1_000_000;

    // RUNNING -> COMPLETED (mostly) or FAILED. Long-running system jobs
    // (clock, strike) keep running.
    for (id, type_id, rev_id, _) in oldest(&tx, "RUNNING", 8 * S, now, 2)? {
        if crate::demo::type_def(type_id).is_some_and(|t| t.long_running) {
            continue;
        }
        let success = !g.rng().chance(0.2);
        g.finish_exe(&tx, id, type_id, rev_id, success)?;
    }
    // QUEUED -> RUNNING, with a new execution.
    for (id, type_id, _, queued) in oldest(&tx, "QUEUED", 3 * S, now, 2)? {
        g.start_exe(&tx, id, type_id, queued.unwrap_or(now))?;
    }
    // PENDING -> QUEUED.
    for (id, _, _, _) in oldest(&tx, "PENDING", 2 * S, now, 2)? {
        tx.prepare_cached(
            "UPDATE jobs SET status = 'QUEUED', queued = ?1, last_status_change = ?1, \
             last_modified = ?1 WHERE id = ?2",
        )?
        .execute(params![now, id])?;
    }
    // BLOCKED -> PENDING now and then.
    // (Remainders rather than `is_multiple_of`, which is newer than the
    // workspace's minimum Rust.)
    if matches!(tick % 5, 0) {
        for (id, _, _, _) in oldest(&tx, "BLOCKED", 10 * S, now, 1)? {
            tx.prepare_cached(
                "UPDATE jobs SET status = 'PENDING', last_status_change = ?1, \
                 last_modified = ?1 WHERE id = ?2",
            )?
            .execute(params![now, id])?;
        }
    }
    // New work arrives.
    if matches!(tick % 2, 0) {
        g.add_pending_job(&tx)?;
    }
    tx.commit()
}
