//! The click recorder: group commit for the redirect hot path, and the folder that keeps the
//! rollups.
//!
//! Each redirect hands its click to [`ClickRecorder::record`] and waits. On SQLite, whose click
//! log ([`super::clicklog`]) takes an append into the kernel's hands at once, the request
//! appends its click's record itself. Otherwise (the log synced to the device on every append,
//! or PostgreSQL) a writer task takes every click waiting at that moment (up to
//! `advocacy.click_batch_max`) and makes the batch durable in one write: a synced append, or
//! one row of `click_batches` holding the whole batch; only after that commit does it tell
//! each waiting request, which then answers its redirect. So a redirect that was answered is a
//! click that is stored, and concurrency raises the batch size instead of the number of
//! commits, whose cost does not grow with the batch.
//!
//! The folder then moves queued clicks, in chunks of about `advocacy.fold_chunk`, into the raw
//! `clicks` table, the unique-visitor ledger and every rollup (per share and day, per share, per
//! organisation and day, per team and day). A chunk leaves the queue in the same transaction
//! that adds it to the rollups, so each click is counted exactly once, also with several
//! servers folding (PostgreSQL: `FOR UPDATE SKIP LOCKED`), and a crash at any point leaves it
//! either queued or folded. A chunk touches each share's rollup rows once, however many clicks
//! it holds, and its clicks never travel through this process: the fold is a few set-based
//! statements over the queued rows, so a larger chunk costs the server no memory.
//!
//! On SQLite the connection keeps the newest visitors in memory and adds them to the ledger in
//! bulk ([`RECENT_VISITORS_MAX`] at a time, and whenever the folder is idle or stops); a
//! connection that never saw them (after a restart, say) reads them again from the raw clicks
//! after the ledger's recorded position.
//!
//! Views that read rollups call [`ClickRecorder::settle`] first (a middleware does it for API
//! reads), so what a server shows includes every click it acknowledged. Clicks acknowledged by
//! another server are folded by that server within `advocacy.fold_interval_ms`.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::bulk::{Kind, insert_text_rows, json_value, stamp};

use super::{
    classify::ClickClass,
    clicklog::{self, ClickLog},
};
use crate::metrics::Metrics;
use prometheus_client::metrics::counter::Counter;

/// A click with the share's dimensions copied in, so the rollup needs no lookup.
#[derive(Debug, Clone)]
pub struct NewClick {
    pub org_id: Uuid,
    pub share_id: Uuid,
    pub post_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub network: String,
    pub clicked_at: DateTime<Utc>,
    pub visitor_hash: String,
    pub referrer_host: Option<String>,
    pub class: ClickClass,
}

struct Pending {
    click: NewClick,
    done: oneshot::Sender<bool>,
}

/// How the recorder writes and folds (from `[advocacy]`).
#[derive(Debug, Clone, Copy)]
pub struct RecorderSettings {
    /// Most clicks appended to the queue in one commit.
    pub batch_max: usize,
    /// Writer tasks appending to the queue concurrently (one on SQLite, which has one writer).
    pub writers: usize,
    /// Most queued clicks folded in one transaction.
    pub fold_chunk: usize,
    /// How long the folder lets clicks gather after the first one arrives.
    pub fold_interval: Duration,
}

/// Busy databases in a row after which a stopping folder gives up (each retry waits 10 ms,
/// plus up to the connection's busy timeout when the lock is held).
const BUSY_RETRIES_AT_STOP: u32 = 20;

/// How often the folder looks for clicks other servers queued and did not fold (they stopped,
/// say) when it has nothing of its own to fold.
const SWEEP: Duration = Duration::from_secs(1);

/// Where a server's clicks wait for the folder.
#[derive(Clone)]
pub enum Queue {
    /// A SQLite database file: the click log beside it ([`super::clicklog`]).
    Log(Arc<ClickLog>),
    /// A SQLite database of its own holding a `click_queue` table: the main connection itself
    /// for an in-memory database (which no second connection can open), or a queue file left
    /// by an earlier version of Chorus, folded at start.
    Sqlite(DatabaseConnection),
    /// PostgreSQL: the `click_batches` table of the main database, shared by every server.
    Table,
}

impl Queue {
    /// The queue's own SQLite connection, if it has one.
    pub fn connection(&self) -> Option<&DatabaseConnection> {
        match self {
            Self::Sqlite(conn) => Some(conn),
            Self::Log(_) | Self::Table => None,
        }
    }
}

/// `click_fold_state` rows: how far a SQLite queue table, and how far the click log, is folded.
const QUEUE_STATE: i64 = 1;
const LOG_STATE: i64 = 2;

struct Shared {
    db: DatabaseConnection,
    queue: Queue,
    metrics: Arc<Metrics>,
    settings: RecorderSettings,
    /// Batches this process has committed to the queue.
    queued: AtomicU64,
    /// Every batch up to this number has been folded into the rollups.
    folded: AtomicU64,
    /// Raised when a batch is queued or a writer stops.
    wake: Notify,
    /// One fold pass at a time in this process.
    folding: Mutex<()>,
    /// `chorus_clicks_recorded_total` per class, in [`ClickClass`] order.
    class_counters: [Counter; 3],
}

#[derive(Clone)]
pub struct ClickRecorder {
    tx: mpsc::Sender<Pending>,
    shared: Arc<Shared>,
}

impl ClickRecorder {
    /// Starts the writers and the folder. They stop once `drain` is cancelled, every queued
    /// click is written and the queue is folded.
    pub fn start(
        db: DatabaseConnection,
        queue: Queue,
        metrics: Arc<Metrics>,
        settings: RecorderSettings,
        tracker: &tokio_util::task::TaskTracker,
        drain: CancellationToken,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<Pending>(settings.batch_max.max(1) * 8);
        let rx = Arc::new(Mutex::new(rx));
        let shared = Arc::new(Shared {
            db,
            queue,
            metrics: metrics.clone(),
            settings,
            queued: AtomicU64::new(0),
            folded: AtomicU64::new(0),
            wake: Notify::new(),
            folding: Mutex::new(()),
            class_counters: ClickClass::ALL.map(|class| {
                metrics
                    .clicks
                    .get_or_create(&crate::metrics::ClassLabels {
                        class: class.as_str().to_owned(),
                    })
                    .clone()
            }),
        });
        let writers = settings.writers.max(1);
        let running = Arc::new(AtomicUsize::new(writers));
        for _ in 0..writers {
            let (shared, rx, drain, running) =
                (shared.clone(), rx.clone(), drain.clone(), running.clone());
            tracker.spawn(async move {
                shared.write_loop(&rx, &drain).await;
                running.fetch_sub(1, Ordering::AcqRel);
                shared.wake.notify_one();
            });
        }
        {
            let shared = shared.clone();
            tracker.spawn(async move { shared.fold_loop(&drain, &running).await });
        }
        Self { tx, shared }
    }

    /// Stores a click; true once it is committed, false if it could not be stored.
    ///
    /// A click log whose appends do not wait for the device takes the click's record right
    /// here, in one write on the request's own task: the write returns as soon as the kernel
    /// holds it, so gathering clicks into batches would save nothing, and handing each one to
    /// a writer task and waking the request again cost more than the write. Otherwise the
    /// click waits for the writer's next group commit.
    pub async fn record(&self, click: NewClick) -> bool {
        if let Queue::Log(log) = &self.shared.queue
            && !log.full_sync()
        {
            let ok = match append(log, &[&click]).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(error = %err, "click not stored");
                    false
                }
            };
            if ok {
                self.shared.stored(std::iter::once(&click));
            }
            return ok;
        }
        let (done, wait) = oneshot::channel();
        if self.tx.send(Pending { click, done }).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }

    /// Where this server queues clicks.
    pub fn queue(&self) -> &Queue {
        &self.shared.queue
    }

    /// Folds every click this server has acknowledged into the rollups, now (a no-op when the
    /// folder has caught up).
    pub async fn settle(&self) -> Result<(), DbErr> {
        let target = self.shared.queued.load(Ordering::Acquire);
        if self.shared.folded.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        self.shared.fold_pass(false).await.map(|_| ())
    }
}

impl Shared {
    /// Counts clicks just made durable, and tells the folder.
    fn stored<'a>(&self, clicks: impl ExactSizeIterator<Item = &'a NewClick>) {
        self.metrics.click_batch_size.observe(clicks.len() as f64);
        let mut per_class = [0u64; 3];
        for click in clicks {
            per_class[click.class as usize] += 1;
        }
        for (counter, n) in self.class_counters.iter().zip(per_class) {
            if n > 0 {
                counter.inc_by(n);
            }
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.wake.notify_one();
    }

    async fn write_loop(&self, rx: &Mutex<mpsc::Receiver<Pending>>, drain: &CancellationToken) {
        let max = self.settings.batch_max.max(1);
        let mut batch: Vec<Pending> = Vec::with_capacity(max);
        loop {
            {
                // While one writer commits, the next gathers the clicks arriving meanwhile.
                let mut rx = rx.lock().await;
                let first = tokio::select! {
                    biased;
                    item = rx.recv() => item,
                    () = drain.cancelled() => {
                        rx.close();
                        rx.recv().await
                    }
                };
                let Some(first) = first else { break };
                batch.push(first);
                while batch.len() < max {
                    match rx.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
            }
            let clicks: Vec<&NewClick> = batch.iter().map(|p| &p.click).collect();
            let ok = match enqueue(&self.db, &self.queue, &clicks).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(error = %err, size = batch.len(), "click batch not stored");
                    false
                }
            };
            if ok {
                self.stored(batch.iter().map(|p| &p.click));
            }
            for pending in batch.drain(..) {
                let _ = pending.done.send(ok);
            }
            if !ok {
                // The database refused the batch (it is down, say): the clicks that queued
                // meanwhile would each wait out another timeout. They are answered now, as
                // not stored, so their redirects fail fast with 503.
                if let Ok(mut rx) = rx.try_lock() {
                    while let Ok(pending) = rx.try_recv() {
                        let _ = pending.done.send(false);
                    }
                }
            }
        }
    }

    async fn fold_loop(&self, drain: &CancellationToken, writers: &AtomicUsize) {
        // Busy databases met in a row (see below).
        let mut busy = 0u32;
        loop {
            if !drain.is_cancelled() {
                tokio::select! {
                    () = self.wake.notified() => {
                        // Let a busy minute's clicks gather into one chunk.
                        tokio::select! {
                            () = tokio::time::sleep(self.settings.fold_interval) => {}
                            () = drain.cancelled() => {}
                        }
                    }
                    () = tokio::time::sleep(SWEEP) => {}
                    () = drain.cancelled() => {}
                }
            }
            let stopping = drain.is_cancelled() && writers.load(Ordering::Acquire) == 0;
            let folded = self.fold_pass(true).await;
            busy = match &folded {
                Err(err) if crate::db::is_busy(err) => busy.saturating_add(1),
                _ => 0,
            };
            match folded {
                Ok(n) if stopping || n == 0 => {
                    // Idle or stopping: the visitors held in memory join the ledger.
                    if let Err(err) = add_held_visitors(&self.db).await {
                        tracing::warn!(error = %err, "visitors held in memory not added to the ledger");
                    }
                    if stopping {
                        break;
                    }
                }
                Ok(_) => {}
                Err(err) if busy > 0 && !(stopping && busy > BUSY_RETRIES_AT_STOP) => {
                    // SQLite's checkpointer reset the WAL under a fold that had begun reading
                    // (now and then under load, and once more as the server stops): a fold
                    // begun again goes through. A stopping server gives up after a while (a
                    // lock held from outside, say); the log keeps its clicks for the next start.
                    tracing::debug!(error = %err, "fold met a busy database; retrying");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "queued clicks not folded; retrying");
                    if stopping {
                        // Nothing is lost: the queue keeps them for the next start.
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            if drain.is_cancelled() && !stopping {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        if let Queue::Log(log) = &self.queue {
            // Every writer has stopped: the next server may take the log.
            log.close();
        }
    }

    /// Folds queued clicks until the queue is empty; answers how many.
    async fn fold_pass(&self, skip_locked: bool) -> Result<usize, DbErr> {
        let _one = self.folding.lock().await;
        let generation = self.queued.load(Ordering::Acquire);
        let chunk = self.settings.fold_chunk.max(1);
        let mut total = 0;
        loop {
            let n = fold(&self.db, &self.queue, chunk, skip_locked).await?;
            total += n;
            if n < chunk {
                break;
            }
            // Writers commit between chunks.
            tokio::task::yield_now().await;
        }
        self.folded.fetch_max(generation, Ordering::AcqRel);
        Ok(total)
    }
}

const QUEUE_COLUMNS: [(&str, Kind); 12] = [
    ("org_id", Kind::Uuid),
    ("share_id", Kind::Uuid),
    ("post_id", Kind::Uuid),
    ("campaign_id", Kind::Uuid),
    ("team_id", Kind::Uuid),
    ("user_id", Kind::Uuid),
    ("network", Kind::Text),
    ("clicked_at", Kind::Time),
    ("day", Kind::Text),
    ("visitor_hash", Kind::Text),
    ("referrer_host", Kind::Text),
    ("class", Kind::Text),
];

/// Makes clicks durable in the queue: one append to the click log, one row of `click_batches`
/// holding the whole batch (PostgreSQL), or one statement into a SQLite queue table; each a
/// transaction of its own. `db` is the main database.
pub async fn enqueue(
    db: &DatabaseConnection,
    queue: &Queue,
    clicks: &[&NewClick],
) -> Result<(), DbErr> {
    if clicks.is_empty() {
        return Ok(());
    }
    let conn = match queue {
        Queue::Log(log) => return append(log, clicks).await,
        Queue::Sqlite(conn) => conn,
        Queue::Table => {
            db.execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO click_batches (clicks, rows) VALUES ($1, $2)",
                [
                    i32::try_from(clicks.len()).unwrap_or(i32::MAX).into(),
                    queue_rows(clicks)?.into(),
                ],
            ))
            .await?;
            return Ok(());
        }
    };
    conn.execute_raw(insert_text_rows(
        conn.get_database_backend(),
        "click_queue",
        &QUEUE_COLUMNS,
        queue_rows(clicks)?,
    ))
    .await?;
    Ok(())
}

/// One write of the clicks' records to the log: on this task (a write the kernel buffers),
/// or on a blocking thread when each append also waits for the device.
async fn append(log: &Arc<ClickLog>, clicks: &[&NewClick]) -> Result<(), DbErr> {
    let mut records = Vec::with_capacity(clicks.len() * 320);
    for click in clicks {
        clicklog::encode(&mut records, |buf| {
            serde_json::to_writer(buf, &queue_row(click)).map_err(std::io::Error::other)
        })
        .map_err(log_error)?;
    }
    let written = if log.full_sync() {
        let log = log.clone();
        tokio::task::spawn_blocking(move || log.append(&records))
            .await
            .map_err(|e| DbErr::Custom(format!("click log writer: {e}")))?
    } else {
        log.append(&records)
    };
    written.map_err(log_error)
}

fn log_error(err: std::io::Error) -> DbErr {
    DbErr::Custom(format!("click log: {err}"))
}

fn queue_columns() -> String {
    QUEUE_COLUMNS
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Folds up to `limit` queued clicks, oldest first, in one transaction; answers how many.
/// `queue` is the queue's own database (SQLite), or `None` when the queue is a table of `db`.
/// With `skip_locked` (PostgreSQL), clicks another server is folding are left to it;
/// otherwise this waits for that server's transaction.
///
/// The clicks never travel through this process: each fold is a few statements that read the
/// chunk where it lies and write the raw table, the visitor ledger and the rollups from it, so
/// a fold's cost is the database's, whatever the chunk size.
pub async fn fold(
    db: &DatabaseConnection,
    queue: &Queue,
    limit: usize,
    skip_locked: bool,
) -> Result<usize, DbErr> {
    match queue {
        Queue::Log(log) => fold_log(db, log.dir(), limit).await,
        Queue::Sqlite(queue) => fold_from(db, queue, limit).await,
        Queue::Table => fold_claimed(db, limit, skip_locked).await,
    }
}

/// How far `db` (SQLite) has folded a queue of its own: the highest queue id (`QUEUE_STATE`)
/// or the click log position (`LOG_STATE`).
async fn folded_through(db: &impl ConnectionTrait, state: i64) -> Result<i64, DbErr> {
    Ok(db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "SELECT folded_through FROM click_fold_state WHERE id = ?",
            [state.into()],
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "folded_through"))
        .transpose()?
        .unwrap_or(0))
}

async fn set_folded_through(db: &impl ConnectionTrait, state: i64, to: i64) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        "INSERT INTO click_fold_state (id, folded_through) VALUES (?, ?) \
         ON CONFLICT (id) DO UPDATE SET folded_through = excluded.folded_through",
        [state.into(), to.into()],
    ))
    .await?;
    Ok(())
}

/// A fold from the click log (SQLite): the records after the folded position are stored with
/// the new position in one transaction of `db`; then the segments behind it are deleted. The
/// transaction holds SQLite's one connection from reading the position to the commit, so two
/// folds cannot take the same records.
async fn fold_log(
    db: &DatabaseConnection,
    dir: &std::path::Path,
    limit: usize,
) -> Result<usize, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let from = u64::try_from(folded_through(&txn, LOG_STATE).await?).unwrap_or(0);
    let chunk = clicklog::read(dir, from, limit).map_err(log_error)?;
    if chunk.count == 0 {
        txn.rollback().await?;
        return Ok(0);
    }
    store_rows(&txn, chunk.rows).await?;
    set_folded_through(
        &txn,
        LOG_STATE,
        i64::try_from(chunk.next).unwrap_or(i64::MAX),
    )
    .await?;
    txn.commit().await?;
    if let Err(err) = clicklog::remove_before(dir, chunk.next) {
        // Only space: the next fold removes them.
        tracing::warn!(error = %err, "folded click log segments not removed");
    }
    Ok(chunk.count)
}

/// SQLite: stores click rows (one JSON array of queue rows) in the caller's transaction.
async fn store_rows(txn: &impl ConnectionTrait, rows: String) -> Result<(), DbErr> {
    txn.execute_unprepared(SQLITE_SCRATCH).await?;
    txn.execute_raw(insert_text_rows(
        DatabaseBackend::Sqlite,
        "temp.fold_chunk",
        &QUEUE_COLUMNS,
        rows,
    ))
    .await?;
    store_scratch(txn).await
}

/// Where the main SQLite connection reads the queue: the queue's file attached as `queue`, or
/// `main` when the queue is a table of the main database itself (an in-memory database, which
/// no second connection can open).
async fn attach_queue(
    db: &DatabaseConnection,
    queue: &DatabaseConnection,
) -> Result<&'static str, DbErr> {
    let options = queue.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename().display().to_string();
    if file.is_empty() || file == ":memory:" {
        return Ok("main");
    }
    let attached = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT 1 AS found FROM pragma_database_list WHERE name = 'queue'",
        ))
        .await?
        .is_some();
    if !attached {
        // The main database has one connection for the life of the process, so this runs once
        // (again only if that connection was replaced).
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "ATTACH DATABASE ? AS queue",
            [file.into()],
        ))
        .await?;
    }
    Ok("queue")
}

/// Scratch tables of the main SQLite connection that a fold works in: the chunk, the visitors
/// it sees for the first time, and its totals per share and day.
const SQLITE_SCRATCH: &str = "\
    CREATE TEMP TABLE IF NOT EXISTS fold_chunk (id INTEGER PRIMARY KEY, org_id BLOB NOT NULL, \
      share_id BLOB NOT NULL, post_id BLOB NOT NULL, campaign_id BLOB, team_id BLOB, user_id BLOB, \
      network TEXT NOT NULL, clicked_at TEXT NOT NULL, day TEXT NOT NULL, \
      visitor_hash TEXT NOT NULL, referrer_host TEXT, class TEXT NOT NULL); \
    CREATE TEMP TABLE IF NOT EXISTS fold_fresh (org_id BLOB NOT NULL, share_id BLOB NOT NULL, \
      day TEXT NOT NULL, visitor_hash TEXT NOT NULL, \
      PRIMARY KEY (share_id, day, visitor_hash)) WITHOUT ROWID; \
    CREATE TEMP TABLE IF NOT EXISTS fold_daily (org_id BLOB NOT NULL, share_id BLOB NOT NULL, \
      day TEXT NOT NULL, post_id BLOB NOT NULL, campaign_id BLOB, team_id BLOB, user_id BLOB, \
      network TEXT NOT NULL, human_clicks INTEGER NOT NULL, bot_hits INTEGER NOT NULL, \
      self_clicks INTEGER NOT NULL, unique_visitors INTEGER NOT NULL, \
      PRIMARY KEY (org_id, share_id, day)) WITHOUT ROWID; \
    DELETE FROM temp.fold_chunk; DELETE FROM temp.fold_fresh; DELETE FROM temp.fold_daily;";

/// A fold from a queue in another database (SQLite): the chunk after the watermark is copied
/// into a scratch table and stored with the new watermark in one transaction of `db`, then
/// deleted from the queue. A crash between the two leaves rows at or below the watermark,
/// which are skipped and deleted next time. The transaction is open (holding SQLite's one
/// connection) from reading the watermark to the commit, so two folds cannot take the same
/// chunk.
async fn fold_from(
    db: &DatabaseConnection,
    queue: &DatabaseConnection,
    limit: usize,
) -> Result<usize, DbErr> {
    let schema = attach_queue(db, queue).await?;
    let txn = crate::db::begin_write(db).await?;
    let through = folded_through(&txn, QUEUE_STATE).await?;
    txn.execute_unprepared(SQLITE_SCRATCH).await?;
    let columns = queue_columns();
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        format!(
            "INSERT INTO temp.fold_chunk (id, {columns}) SELECT id, {columns} \
             FROM {schema}.click_queue WHERE id > ? ORDER BY id LIMIT ?"
        ),
        [
            through.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    ))
    .await?;
    let (n, last) = txn
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last FROM temp.fold_chunk",
        ))
        .await?
        .map(|row| {
            Ok::<_, DbErr>((
                row.try_get::<i64>("", "n")?,
                row.try_get::<i64>("", "last")?,
            ))
        })
        .transpose()?
        .unwrap_or((0, 0));
    if n == 0 {
        txn.rollback().await?;
        return Ok(0);
    }
    store_scratch(&txn).await?;
    set_folded_through(&txn, QUEUE_STATE, last).await?;
    txn.commit().await?;
    queue
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "DELETE FROM click_queue WHERE id <= ?",
            [last.into()],
        ))
        .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// SQLite: stores the clicks in `temp.fold_chunk` (raw table, new visitors, rollups) in the
/// caller's transaction.
async fn store_scratch(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = DatabaseBackend::Sqlite;
    recent_visitors(txn).await?;
    let mut statements = vec![
        raw_insert("temp.fold_chunk", "ORDER BY id"),
        "INSERT OR IGNORE INTO temp.fold_fresh (org_id, share_id, day, visitor_hash) \
         SELECT c.org_id, c.share_id, c.day, c.visitor_hash FROM temp.fold_chunk c \
         WHERE c.class = 'human' \
         AND NOT EXISTS (SELECT 1 FROM temp.recent_visitors r \
           WHERE r.share_id = c.share_id AND r.day = c.day AND r.visitor_hash = c.visitor_hash) \
         AND NOT EXISTS (SELECT 1 FROM main.click_visitors v \
           WHERE v.share_id = c.share_id AND v.day = c.day AND v.visitor_hash = c.visitor_hash)"
            .to_owned(),
        "INSERT INTO temp.recent_visitors (org_id, share_id, day, visitor_hash) \
         SELECT org_id, share_id, day, visitor_hash FROM temp.fold_fresh"
            .to_owned(),
        format!(
            "INSERT INTO temp.fold_daily ({DAILY_COLUMNS}) {}",
            daily_select(backend, "temp.fold_chunk", "temp.fold_fresh")
        ),
    ];
    statements.extend(rollup_inserts(backend, "temp.fold_daily"));
    // The share's last day is indexed three times: it is set where it moves, rather than
    // assigned (and its index entries rewritten) on every upsert.
    statements.push(
        "UPDATE share_reach SET last_day = d.last_day FROM \
         (SELECT org_id, share_id, MAX(day) AS last_day FROM temp.fold_daily GROUP BY org_id, share_id) d \
         WHERE share_reach.org_id = d.org_id AND share_reach.share_id = d.share_id \
         AND share_reach.last_day < d.last_day"
            .to_owned(),
    );
    statements.push(format!(
        "UPDATE temp.recent_state SET seen_through = ({LAST_CLICK})"
    ));
    txn.execute_unprepared(&statements.join(";\n")).await?;
    if count(txn, "SELECT COUNT(*) AS n FROM temp.recent_visitors").await? >= RECENT_VISITORS_MAX {
        add_recent_visitors(txn).await?;
    }
    Ok(())
}

/// `click_fold_state` row of the SQLite visitor ledger: the last raw click (by id) whose visitor
/// `click_visitors` holds.
const LEDGER_STATE: i64 = 3;

/// Visitors the SQLite connection holds in memory before adding them to `click_visitors`.
///
/// The ledger is keyed by share, day and visitor, so new visitors land all over it. Added one
/// fold at a time, nearly every one dirtied a page of its own, about 4.6 KiB of WAL per human
/// click. Added in bulk and in key order, a page takes many visitors at once. The fold checks
/// both places for a visitor; the ledger only ever grows by what memory held.
const RECENT_VISITORS_MAX: i64 = 20_000;

/// The id of the last raw click stored (SQLite), as `n`.
const LAST_CLICK: &str = "SELECT COALESCE(MAX(id), 0) AS n FROM main.clicks";

/// Whether the SQLite connection has its table of visitors held in memory (a new connection
/// has not).
async fn holds_visitors(txn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(count(
        txn,
        "SELECT COUNT(*) AS n FROM temp.sqlite_master WHERE name = 'recent_visitors'",
    )
    .await?
        > 0)
}

/// Raw clicks read at a time when the visitors in memory are rebuilt.
const REBUILD_STEP: i64 = 50_000;

async fn count(txn: &impl ConnectionTrait, sql: &str) -> Result<i64, DbErr> {
    Ok(txn
        .query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, sql))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// Brings the SQLite connection's `temp.recent_visitors` up to date: it holds the visitors of
/// every raw click stored so far that `click_visitors` lacks. A new connection (a server
/// starting, say, after one that was killed) reads them from the raw clicks after
/// [`LEDGER_STATE`]; a connection also reads those that another connection stored since its
/// own last fold (a command-line load, a second server). Clicks are read a step at a time, and
/// the visitors join the ledger whenever they reach [`RECENT_VISITORS_MAX`].
async fn recent_visitors(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if !holds_visitors(txn).await? {
        txn.execute_unprepared(
            "CREATE TEMP TABLE recent_visitors (org_id BLOB NOT NULL, share_id BLOB NOT NULL, \
             day TEXT NOT NULL, visitor_hash TEXT NOT NULL, \
             PRIMARY KEY (share_id, day, visitor_hash)) WITHOUT ROWID; \
             CREATE TEMP TABLE recent_state (seen_through INTEGER NOT NULL)",
        )
        .await?;
        let from = folded_through(txn, LEDGER_STATE).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "INSERT INTO temp.recent_state (seen_through) VALUES (?)",
            [from.into()],
        ))
        .await?;
    }
    let mut from = count(txn, "SELECT seen_through AS n FROM temp.recent_state").await?;
    let last = count(txn, LAST_CLICK).await?;
    while from < last {
        let to = from.saturating_add(REBUILD_STEP).min(last);
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "INSERT OR IGNORE INTO temp.recent_visitors (org_id, share_id, day, visitor_hash) \
             SELECT c.org_id, c.share_id, c.day, c.visitor_hash FROM main.clicks c \
             WHERE c.id > ? AND c.id <= ? AND c.class = 'human' \
             AND NOT EXISTS (SELECT 1 FROM main.click_visitors v \
               WHERE v.share_id = c.share_id AND v.day = c.day AND v.visitor_hash = c.visitor_hash)",
            [from.into(), to.into()],
        ))
        .await?;
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "UPDATE temp.recent_state SET seen_through = ?",
            [to.into()],
        ))
        .await?;
        if count(txn, "SELECT COUNT(*) AS n FROM temp.recent_visitors").await?
            >= RECENT_VISITORS_MAX
        {
            add_recent_visitors(txn).await?;
        }
        from = to;
    }
    Ok(())
}

/// Adds the visitors held in memory to `click_visitors`, in key order, and records that the
/// ledger is complete through the last raw click this connection has seen.
async fn add_recent_visitors(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    txn.execute_unprepared(&format!(
        "INSERT OR IGNORE INTO main.click_visitors (org_id, share_id, day, visitor_hash) \
         SELECT r.org_id, r.share_id, r.day, r.visitor_hash FROM temp.recent_visitors r \
         WHERE EXISTS (SELECT 1 FROM organisations o WHERE o.id = r.org_id) \
         ORDER BY r.share_id, r.day, r.visitor_hash; \
         DELETE FROM temp.recent_visitors; \
         INSERT INTO click_fold_state (id, folded_through) \
         SELECT {LEDGER_STATE}, seen_through FROM temp.recent_state WHERE true \
         ON CONFLICT (id) DO UPDATE SET \
         folded_through = MAX(click_fold_state.folded_through, excluded.folded_through)"
    ))
    .await?;
    Ok(())
}

/// SQLite: records that `click_visitors` accounts for every raw click stored, after a bulk
/// load that wrote raw clicks and their rollups itself.
pub async fn ledger_covers_stored_clicks(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(());
    }
    let through = count(db, LAST_CLICK).await?;
    set_folded_through(db, LEDGER_STATE, through).await
}

/// SQLite: adds the visitors the connection holds in memory to `click_visitors` (when the
/// folder is idle, and before it stops), so that a restart has few to read again.
pub async fn add_held_visitors(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    if holds_visitors(&txn).await?
        && count(
            &txn,
            "SELECT EXISTS (SELECT 1 FROM temp.recent_visitors) AS n",
        )
        .await?
            > 0
    {
        add_recent_visitors(&txn).await?;
        txn.commit().await
    } else {
        txn.rollback().await
    }
}

/// A fold from the batch queue of `db` (PostgreSQL): one statement claims whole batches, oldest
/// first, up to `limit` clicks (the batch that crosses it is taken whole), by deleting them and,
/// in the same transaction, stores their clicks. With `skip_locked`, batches another server is
/// folding are left to it.
async fn fold_claimed(
    db: &DatabaseConnection,
    limit: usize,
    skip_locked: bool,
) -> Result<usize, DbErr> {
    let backend = db.get_database_backend();
    let lock = if skip_locked {
        "FOR UPDATE SKIP LOCKED"
    } else {
        "FOR UPDATE"
    };
    // A window function cannot lock rows: the batches are locked first, then those whose
    // predecessors hold fewer than `limit` clicks are deleted (the others stay queued).
    let claim = format!(
        "claimed AS (DELETE FROM click_batches WHERE id IN (SELECT id FROM \
         (SELECT id, SUM(clicks) OVER (ORDER BY id) - clicks AS before FROM \
         (SELECT id, clicks FROM click_batches ORDER BY id LIMIT {limit} {lock}) locked) claim \
         WHERE before < {limit}) RETURNING rows)"
    );
    let source = format!(
        "SELECT {} FROM claimed, jsonb_array_elements(claimed.rows::jsonb)",
        queue_values(backend)
    );
    let n = db
        .query_one_raw(Statement::from_string(
            backend,
            store_with(backend, Some(&claim), &source),
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The queue columns read from a JSON array `value` of one click's queue row.
fn queue_values(backend: DatabaseBackend) -> String {
    QUEUE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (name, kind))| format!("{} AS {name}", json_value(backend, i, *kind)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Stores clicks straight into the raw table and the rollups in one transaction, bypassing the
/// queue (bulk loads and tests): the rollups include them when this returns.
pub async fn write_batch(db: &DatabaseConnection, clicks: &[&NewClick]) -> Result<(), DbErr> {
    if clicks.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let rows = queue_rows(clicks)?;
    if backend == DatabaseBackend::Postgres {
        // The rows, read from one JSON parameter, are the statement's chunk.
        let source = format!(
            "SELECT {} FROM jsonb_array_elements($1::jsonb)",
            queue_values(backend)
        );
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            store_with(backend, None, &source),
            [rows.into()],
        ))
        .await?;
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    store_rows(&txn, rows).await?;
    txn.commit().await
}

/// PostgreSQL: one statement that stores the clicks `source` yields (a query with the queue's
/// columns, which may read the common table expression `before`) and answers their number as
/// `n`. Data-modifying CTEs run once and see one snapshot; each writes a different table, and
/// the rollup rows of a chunk are distinct per key, written in key order so that concurrent
/// folds lock them in the same order.
fn store_with(backend: DatabaseBackend, before: Option<&str>, source: &str) -> String {
    let mut parts: Vec<String> = before.into_iter().map(str::to_owned).collect();
    parts.extend([
        format!("chunk AS ({source})"),
        format!("raw AS ({})", raw_insert("chunk", "")),
        "fresh AS (INSERT INTO click_visitors (org_id, share_id, day, visitor_hash) \
         SELECT DISTINCT org_id, share_id, day, visitor_hash FROM chunk WHERE class = 'human' \
         ORDER BY share_id, day, visitor_hash \
         ON CONFLICT (share_id, day, visitor_hash) DO NOTHING RETURNING org_id, share_id, day, visitor_hash)"
            .to_owned(),
        format!("daily AS ({})", daily_select(backend, "chunk", "fresh")),
    ]);
    parts.extend(
        rollup_inserts(backend, "daily")
            .into_iter()
            .enumerate()
            .map(|(i, insert)| format!("rollup{i} AS ({insert})")),
    );
    format!("WITH {} SELECT COUNT(*) AS n FROM chunk", parts.join(",\n"))
}

/// The queue's rows for `clicks` as one JSON array of arrays (what [`insert_rows`] reads),
/// serialised straight from the clicks.
fn queue_rows(clicks: &[&NewClick]) -> Result<String, DbErr> {
    let rows: Vec<_> = clicks.iter().map(|c| queue_row(c)).collect();
    serde_json::to_string(&rows).map_err(|e| DbErr::Custom(format!("click rows: {e}")))
}

/// One click's queue row ([`QUEUE_COLUMNS`]).
fn queue_row(c: &NewClick) -> impl serde::Serialize + '_ {
    (
        c.org_id,
        c.share_id,
        c.post_id,
        c.campaign_id,
        c.team_id,
        c.user_id,
        &c.network,
        stamp(c.clicked_at),
        super::day_of(c.clicked_at),
        &c.visitor_hash,
        &c.referrer_host,
        c.class.as_str(),
    )
}

/// `INSERT INTO clicks … SELECT … FROM <chunk>`.
fn raw_insert(chunk: &str, order: &str) -> String {
    const RAW: &str = "org_id, share_id, clicked_at, day, visitor_hash, referrer_host, class";
    format!("INSERT INTO clicks ({RAW}) SELECT {RAW} FROM {chunk} {order}")
}

const COUNTERS: [&str; 4] = ["human_clicks", "bot_hits", "self_clicks", "unique_visitors"];

const DAILY_COLUMNS: &str = "org_id, share_id, day, post_id, campaign_id, team_id, user_id, \
                             network, human_clicks, bot_hits, self_clicks, unique_visitors";

/// Any one value of a column in a group (the share's dimensions are the same on each of its
/// clicks). PostgreSQL has no `MIN` for uuid.
fn any_of(backend: DatabaseBackend, column: &str) -> String {
    if backend == DatabaseBackend::Postgres {
        format!("(array_agg({column}))[1]")
    } else {
        format!("MIN({column})")
    }
}

/// The chunk's totals per share and day ([`DAILY_COLUMNS`]), with the visitors `fresh` holds
/// (first seen in this chunk) as unique visitors.
fn daily_select(backend: DatabaseBackend, chunk: &str, fresh: &str) -> String {
    let dims = ["post_id", "campaign_id", "team_id", "user_id", "network"]
        .map(|d| format!("{} AS {d}", any_of(backend, &format!("c.{d}"))))
        .join(", ");
    format!(
        "SELECT c.org_id, c.share_id, c.day, {dims}, \
         COUNT(*) FILTER (WHERE c.class = 'human') AS human_clicks, \
         COUNT(*) FILTER (WHERE c.class = 'bot') AS bot_hits, \
         COUNT(*) FILTER (WHERE c.class = 'self') AS self_clicks, \
         COALESCE(MAX(f.n), 0) AS unique_visitors \
         FROM {chunk} c LEFT JOIN (SELECT share_id, day, COUNT(*) AS n FROM {fresh} GROUP BY share_id, day) f \
         ON f.share_id = c.share_id AND f.day = c.day \
         GROUP BY c.org_id, c.share_id, c.day"
    )
}

/// `ON CONFLICT (keys) DO UPDATE` adding the counters, plus `extra` assignments.
fn add_counters(table: &str, keys: &str, extra: &[String]) -> String {
    let sets: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .chain(extra.iter().cloned())
        .collect();
    format!("ON CONFLICT ({keys}) DO UPDATE SET {}", sets.join(", "))
}

/// The rollup upserts from a relation of per-share daily totals ([`DAILY_COLUMNS`]): the daily
/// rollup per share, the share's running totals, and the daily series per organisation and per
/// team. Rows go in key order, so concurrent folds lock rollup rows in the same order.
fn rollup_inserts(backend: DatabaseBackend, daily: &str) -> [String; 4] {
    let (least, greatest) = if backend == DatabaseBackend::Postgres {
        ("LEAST", "GREATEST")
    } else {
        ("MIN", "MAX")
    };
    let counters = COUNTERS.join(", ");
    let sums = COUNTERS.map(|c| format!("SUM({c})")).join(", ");
    let dims = ["post_id", "campaign_id", "team_id", "user_id", "network"]
        .map(|d| any_of(backend, d))
        .join(", ");
    let mut share_days = vec![format!(
        "first_day = {least}(share_reach.first_day, excluded.first_day)"
    )];
    if backend == DatabaseBackend::Postgres {
        // Only here: SQLite rewrites the entries of every index on an assigned column, changed
        // or not (the last day is in three), which doubled the upsert's cost, so the SQLite
        // fold moves the last day in a statement of its own, only where it moves
        // ([`store_scratch`]). PostgreSQL compares values and keeps its updates in place.
        share_days.push(format!(
            "last_day = {greatest}(share_reach.last_day, excluded.last_day)"
        ));
    }
    [
        format!(
            "INSERT INTO reach_daily ({DAILY_COLUMNS}) SELECT {DAILY_COLUMNS} FROM {daily} \
             WHERE true ORDER BY org_id, share_id, day {}",
            add_counters("reach_daily", "org_id, share_id, day", &[])
        ),
        format!(
            "INSERT INTO share_reach (org_id, share_id, post_id, campaign_id, team_id, user_id, \
             network, {counters}, first_day, last_day) \
             SELECT org_id, share_id, {dims}, {sums}, MIN(day), MAX(day) FROM {daily} \
             WHERE true GROUP BY org_id, share_id ORDER BY org_id, share_id {}",
            add_counters("share_reach", "org_id, share_id", &share_days)
        ),
        format!(
            "INSERT INTO reach_org_daily (org_id, day, network, {counters}) \
             SELECT org_id, day, network, {sums} FROM {daily} WHERE true \
             GROUP BY org_id, day, network ORDER BY org_id, day, network {}",
            add_counters("reach_org_daily", "org_id, day, network", &[])
        ),
        format!(
            "INSERT INTO reach_team_daily (org_id, team_id, day, network, {counters}) \
             SELECT org_id, team_id, day, network, {sums} FROM {daily} WHERE team_id IS NOT NULL \
             GROUP BY org_id, team_id, day, network ORDER BY org_id, team_id, day, network {}",
            add_counters("reach_team_daily", "org_id, team_id, day, network", &[])
        ),
    ]
}

/// Clicks stored but not yet folded into the rollups.
pub async fn queued(db: &DatabaseConnection, queue: &Queue) -> Result<u64, DbErr> {
    let (conn, sql, values): (&DatabaseConnection, &str, Vec<sea_orm::Value>) = match queue {
        Queue::Log(log) => return log_pending(db, log.dir()).await,
        Queue::Sqlite(queue) => (
            queue,
            "SELECT COUNT(*) AS n FROM click_queue WHERE id > ?",
            vec![folded_through(db, QUEUE_STATE).await?.into()],
        ),
        Queue::Table => (
            db,
            "SELECT CAST(COALESCE(SUM(clicks), 0) AS BIGINT) AS n FROM click_batches",
            vec![],
        ),
    };
    let n = conn
        .query_one_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn log_pending(db: &DatabaseConnection, dir: &std::path::Path) -> Result<u64, DbErr> {
    let from = u64::try_from(folded_through(db, LOG_STATE).await?).unwrap_or(0);
    clicklog::pending(dir, from).map_err(log_error)
}

/// Clicks stored but not yet folded, read without opening the queue for writing (while a
/// server runs, say): the click log of a SQLite file, or the queue table.
pub async fn unfolded(db: &DatabaseConnection, url: &str) -> anyhow::Result<u64> {
    Ok(match crate::db::sqlite_file(url)? {
        Some(Some(file)) => log_pending(db, &clicklog::dir_of(&file)).await?,
        _ => queued(db, &Queue::Table).await?,
    })
}

/// Opens where this server queues clicks (see [`Queue`]). On a SQLite file the click log; a
/// second server on the same file (the log is taken) queues in the queue file
/// (`<file>.queue`) instead, which the first folds at its next start. Clicks an earlier version
/// of Chorus left in that file are folded before the log is opened.
pub async fn open_queue(
    db: &DatabaseConnection,
    url: &str,
    full_sync: bool,
) -> anyhow::Result<Queue> {
    let file = match crate::db::sqlite_file(url)? {
        None => return Ok(Queue::Table),
        Some(None) => {
            let conn = crate::db::connect_queue(url, full_sync, db).await?;
            return Ok(conn.map_or(Queue::Table, Queue::Sqlite));
        }
        Some(Some(file)) => file,
    };
    let mut queue_file = file.as_os_str().to_owned();
    queue_file.push(".queue");
    if std::path::Path::new(&queue_file).exists() {
        let queue = queue_file_of(db, url, full_sync).await?;
        let mut folded = 0;
        loop {
            let n = fold_from(db, &queue, 5000).await?;
            folded += n;
            if n == 0 {
                break;
            }
        }
        if folded > 0 {
            tracing::info!(
                clicks = folded,
                "folded the clicks left in the click queue file"
            );
        }
        queue.close_by_ref().await?;
    }
    let dir = clicklog::dir_of(&file);
    let folded = u64::try_from(folded_through(db, LOG_STATE).await?).unwrap_or(0);
    match ClickLog::open(&dir, full_sync, folded) {
        Ok(log) => Ok(Queue::Log(Arc::new(log))),
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
            tracing::warn!(log = %dir.display(), "another server writes this database's click log; this one queues clicks in the queue file");
            Ok(Queue::Sqlite(queue_file_of(db, url, full_sync).await?))
        }
        Err(err) => Err(anyhow::anyhow!(
            "cannot write the SQLite database's click log {}: {err}",
            dir.display()
        )),
    }
}

/// The queue file of a SQLite database, its ids continuing above what the main file folded (a
/// queue file that was removed or replaced would otherwise number clicks from 1 again, below
/// the watermark).
async fn queue_file_of(
    db: &DatabaseConnection,
    url: &str,
    full_sync: bool,
) -> anyhow::Result<DatabaseConnection> {
    let queue = crate::db::connect_queue(url, full_sync, db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no click queue file for {url}"))?;
    let through = folded_through(db, QUEUE_STATE).await?;
    for sql in [
        "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'click_queue'",
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'click_queue', ? \
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'click_queue')",
    ] {
        queue
            .execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                sql,
                [through.into()],
            ))
            .await?;
    }
    Ok(queue)
}

/// Recomputes an organisation's share totals and daily series (organisation and teams) from
/// its daily rollup (after rollup rows were loaded in bulk, say). The click writer keeps them
/// current otherwise.
pub async fn rebuild_aggregates(
    db: &impl ConnectionTrait,
    org: Uuid,
) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sums = COUNTERS.map(|c| format!("SUM({c})")).join(", ");
    let counters = COUNTERS.join(", ");
    let statements = [
        "DELETE FROM share_reach WHERE org_id = $1".to_owned(),
        "DELETE FROM reach_org_daily WHERE org_id = $1".to_owned(),
        "DELETE FROM reach_team_daily WHERE org_id = $1".to_owned(),
        format!(
            "INSERT INTO share_reach (org_id, share_id, post_id, campaign_id, team_id, user_id, network, \
             {counters}, first_day, last_day) \
             SELECT org_id, share_id, post_id, campaign_id, team_id, user_id, network, {sums}, MIN(day), MAX(day) \
             FROM reach_daily WHERE org_id = $1 \
             GROUP BY org_id, share_id, post_id, campaign_id, team_id, user_id, network"
        ),
        format!(
            "INSERT INTO reach_org_daily (org_id, day, network, {counters}) \
             SELECT org_id, day, network, {sums} FROM reach_daily WHERE org_id = $1 \
             GROUP BY org_id, day, network"
        ),
        format!(
            "INSERT INTO reach_team_daily (org_id, team_id, day, network, {counters}) \
             SELECT org_id, team_id, day, network, {sums} FROM reach_daily \
             WHERE org_id = $1 AND team_id IS NOT NULL GROUP BY org_id, team_id, day, network"
        ),
    ];
    for sql in statements {
        db.execute_raw(Statement::from_sql_and_values(backend, sql, [org.into()]))
            .await?;
    }
    Ok(())
}
