//! The click recorder: group commit for the redirect hot path, and the folder that keeps the
//! rollups.
//!
//! Each redirect hands its click to [`ClickRecorder::record`] and waits. A writer task takes
//! every click waiting at that moment (up to `advocacy.click_batch_max`) and appends them to
//! `click_queue` in one statement; only after that commit does it tell each waiting request,
//! which then answers its redirect. So a redirect that was answered is a click that is stored,
//! and concurrency raises the batch size instead of the number of commits. The queue row is
//! narrow and appended at the end of one B-tree, so a commit writes a few pages whatever the
//! batch holds.
//!
//! The folder then moves queued clicks, in chunks of `advocacy.fold_chunk`, into the raw
//! `clicks` table, the unique-visitor ledger and every rollup (per share and day, per share, per
//! organisation and day). A chunk is deleted from the queue in the same transaction that adds it
//! to the rollups, so each click is counted exactly once, also with several servers folding
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`), and a crash at any point leaves it either queued or
//! folded. A chunk touches each share's rollup rows once, however many clicks it holds.
//!
//! Views that read rollups call [`ClickRecorder::settle`] first (a middleware does it for API
//! reads), so what a server shows includes every click it acknowledged. Clicks acknowledged by
//! another server are folded by that server within `advocacy.fold_interval_ms`.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, QueryResult, Statement,
    TransactionTrait,
};
use serde_json::{Value as Json, json};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::bulk::{Kind, insert_rows, stamp};

use super::classify::ClickClass;
use crate::metrics::Metrics;

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

/// How often the folder looks for clicks other servers queued and did not fold (they stopped,
/// say) when it has nothing of its own to fold.
const SWEEP: Duration = Duration::from_secs(1);

struct Shared {
    db: DatabaseConnection,
    /// SQLite: the queue's own database (see [`crate::db::connect_queue`]); PostgreSQL: none,
    /// the queue is a table of `db`.
    queue: Option<DatabaseConnection>,
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
        queue: Option<DatabaseConnection>,
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
            metrics,
            settings,
            queued: AtomicU64::new(0),
            folded: AtomicU64::new(0),
            wake: Notify::new(),
            folding: Mutex::new(()),
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
    pub async fn record(&self, click: NewClick) -> bool {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Pending { click, done }).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }

    /// Where this server queues clicks: the queue's own database on SQLite, `None` when the
    /// queue is a table of the main database (PostgreSQL).
    pub fn queue(&self) -> Option<&DatabaseConnection> {
        self.shared.queue.as_ref()
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
            let ok = match enqueue(self.queue.as_ref().unwrap_or(&self.db), &clicks).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(error = %err, size = batch.len(), "click batch not stored");
                    false
                }
            };
            self.metrics.click_batch_size.observe(batch.len() as f64);
            if ok {
                self.queued.fetch_add(1, Ordering::AcqRel);
                self.wake.notify_one();
                let mut per_class: BTreeMap<&'static str, u64> = BTreeMap::new();
                for pending in &batch {
                    *per_class.entry(pending.click.class.as_str()).or_default() += 1;
                }
                for (class, n) in per_class {
                    self.metrics
                        .clicks
                        .get_or_create(&crate::metrics::ClassLabels {
                            class: class.to_owned(),
                        })
                        .inc_by(n);
                }
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
            match self.fold_pass(true).await {
                Ok(_) if stopping => break,
                Ok(_) => {}
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
    }

    /// Folds queued clicks until the queue is empty; answers how many.
    async fn fold_pass(&self, skip_locked: bool) -> Result<usize, DbErr> {
        let _one = self.folding.lock().await;
        let generation = self.queued.load(Ordering::Acquire);
        let chunk = self.settings.fold_chunk.max(1);
        let mut total = 0;
        loop {
            let n = fold(&self.db, self.queue.as_ref(), chunk, skip_locked).await?;
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

/// Appends clicks to the queue in one statement (its own transaction).
pub async fn enqueue(db: &impl ConnectionTrait, clicks: &[&NewClick]) -> Result<(), DbErr> {
    if clicks.is_empty() {
        return Ok(());
    }
    let rows: Vec<Json> = clicks
        .iter()
        .map(|c| {
            json!([
                c.org_id,
                c.share_id,
                c.post_id,
                c.campaign_id,
                c.team_id,
                c.user_id,
                c.network,
                stamp(c.clicked_at),
                super::day_of(c.clicked_at),
                c.visitor_hash,
                c.referrer_host,
                c.class.as_str(),
            ])
        })
        .collect();
    db.execute_raw(insert_rows(
        db.get_database_backend(),
        "click_queue",
        &QUEUE_COLUMNS,
        "",
        &rows,
    ))
    .await?;
    Ok(())
}

fn queued_click(row: &QueryResult) -> Result<NewClick, DbErr> {
    let class: String = row.try_get("", "class")?;
    Ok(NewClick {
        org_id: row.try_get("", "org_id")?,
        share_id: row.try_get("", "share_id")?,
        post_id: row.try_get("", "post_id")?,
        campaign_id: row.try_get("", "campaign_id")?,
        team_id: row.try_get("", "team_id")?,
        user_id: row.try_get("", "user_id")?,
        network: row.try_get("", "network")?,
        clicked_at: row.try_get("", "clicked_at")?,
        visitor_hash: row.try_get("", "visitor_hash")?,
        referrer_host: row.try_get("", "referrer_host")?,
        class: ClickClass::from_name(&class)
            .ok_or_else(|| DbErr::Custom(format!("unknown click class {class:?} in queue")))?,
    })
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
pub async fn fold(
    db: &DatabaseConnection,
    queue: Option<&DatabaseConnection>,
    limit: usize,
    skip_locked: bool,
) -> Result<usize, DbErr> {
    match queue {
        Some(queue) => fold_from(db, queue, limit).await,
        None => fold_claimed(db, limit, skip_locked).await,
    }
}

/// The highest queue id folded into `db` (SQLite, whose queue is a database of its own).
async fn folded_through(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT folded_through FROM click_fold_state WHERE id = 1",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "folded_through"))
        .transpose()?
        .unwrap_or(0))
}

/// A fold from a queue in another database: the chunk after the watermark is stored with the
/// new watermark in one transaction of `db`, then deleted from the queue. A crash between the
/// two leaves rows at or below the watermark, which are skipped and deleted next time. The
/// transaction is open (holding SQLite's one connection) from reading the watermark to the
/// commit, so two folds cannot take the same chunk.
async fn fold_from(
    db: &DatabaseConnection,
    queue: &DatabaseConnection,
    limit: usize,
) -> Result<usize, DbErr> {
    let txn = db.begin().await?;
    let through = folded_through(&txn).await?;
    let backend = queue.get_database_backend();
    let rows = queue
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id, {} FROM click_queue WHERE id > ? ORDER BY id LIMIT {limit}",
                queue_columns()
            ),
            [through.into()],
        ))
        .await?;
    let mut last = through;
    let mut clicks = Vec::with_capacity(rows.len());
    for row in &rows {
        last = last.max(row.try_get::<i64>("", "id")?);
        clicks.push(queued_click(row)?);
    }
    if clicks.is_empty() {
        txn.rollback().await?;
    } else {
        let refs: Vec<&NewClick> = clicks.iter().collect();
        store(&txn, &refs).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO click_fold_state (id, folded_through) VALUES (1, ?) \
             ON CONFLICT (id) DO UPDATE SET folded_through = excluded.folded_through",
            [last.into()],
        ))
        .await?;
        txn.commit().await?;
    }
    queue
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "DELETE FROM click_queue WHERE id <= ?",
            [last.into()],
        ))
        .await?;
    Ok(clicks.len())
}

/// Makes the queue's ids continue above the main database's watermark (a queue file that was
/// lost or replaced would otherwise number clicks from 1 again, below the watermark).
pub async fn align_queue(db: &DatabaseConnection, queue: &DatabaseConnection) -> Result<(), DbErr> {
    let through = folded_through(db).await?;
    let backend = queue.get_database_backend();
    queue
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'click_queue'",
            [through.into()],
        ))
        .await?;
    queue
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'click_queue', ? \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'click_queue')",
            [through.into()],
        ))
        .await?;
    Ok(())
}

/// Clicks stored but not yet folded into the rollups.
pub async fn queued(
    db: &DatabaseConnection,
    queue: Option<&DatabaseConnection>,
) -> Result<u64, DbErr> {
    let (conn, sql, values): (&DatabaseConnection, &str, Vec<sea_orm::Value>) = match queue {
        Some(queue) => (
            queue,
            "SELECT COUNT(*) AS n FROM click_queue WHERE id > ?",
            vec![folded_through(db).await?.into()],
        ),
        None => (db, "SELECT COUNT(*) AS n FROM click_queue", vec![]),
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

/// A fold from the queue table of `db` (PostgreSQL): the chunk is claimed by deleting it in the
/// transaction that adds it to the rollups.
async fn fold_claimed(
    db: &DatabaseConnection,
    limit: usize,
    skip_locked: bool,
) -> Result<usize, DbErr> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let lock = match (backend, skip_locked) {
        (DatabaseBackend::Postgres, true) => " FOR UPDATE SKIP LOCKED",
        (DatabaseBackend::Postgres, false) => " FOR UPDATE",
        _ => "",
    };
    let rows = txn
        .query_all_raw(Statement::from_string(
            backend,
            format!(
                "DELETE FROM click_queue WHERE id IN \
                 (SELECT id FROM click_queue ORDER BY id LIMIT {limit}{lock}) RETURNING {}",
                queue_columns()
            ),
        ))
        .await?;
    if rows.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let clicks = rows
        .iter()
        .map(queued_click)
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&NewClick> = clicks.iter().collect();
    store(&txn, &refs).await?;
    txn.commit().await?;
    Ok(clicks.len())
}

/// Stores clicks straight into the raw table and the rollups in one transaction, bypassing the
/// queue (bulk loads and tests): the rollups include them when this returns.
pub async fn write_batch(db: &DatabaseConnection, clicks: &[&NewClick]) -> Result<(), DbErr> {
    if clicks.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    store(&txn, clicks).await?;
    txn.commit().await
}

#[derive(Default, Clone)]
struct Totals {
    post_id: Uuid,
    campaign_id: Option<Uuid>,
    team_id: Option<Uuid>,
    user_id: Option<Uuid>,
    network: String,
    human: i64,
    bot: i64,
    own: i64,
    unique: i64,
}

impl Totals {
    /// The share's dimensions with zero counters.
    fn dims(&self) -> Self {
        Self {
            post_id: self.post_id,
            campaign_id: self.campaign_id,
            team_id: self.team_id,
            user_id: self.user_id,
            network: self.network.clone(),
            ..Self::default()
        }
    }

    fn add(&mut self, other: &Totals) {
        self.human += other.human;
        self.bot += other.bot;
        self.own += other.own;
        self.unique += other.unique;
    }

    fn counters(&self) -> [Json; 4] {
        [
            self.human.into(),
            self.bot.into(),
            self.own.into(),
            self.unique.into(),
        ]
    }
}

const COUNTERS: [&str; 4] = ["human_clicks", "bot_hits", "self_clicks", "unique_visitors"];

/// `key columns…, dimension columns…, the four counters`.
fn counter_columns<'a>(keys: &[(&'a str, Kind)], dims: &[(&'a str, Kind)]) -> Vec<(&'a str, Kind)> {
    keys.iter()
        .chain(dims)
        .copied()
        .chain(COUNTERS.iter().map(|c| (*c, Kind::Int)))
        .collect()
}

/// `ON CONFLICT (keys) DO UPDATE` adding the counters, plus `extra` assignments.
fn add_counters(table: &str, keys: &[(&str, Kind)], extra: &[String]) -> String {
    let keys: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    let sets: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .chain(extra.iter().cloned())
        .collect();
    format!(
        "ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        sets.join(", ")
    )
}

const SHARE_DIMS: [(&str, Kind); 5] = [
    ("post_id", Kind::Uuid),
    ("campaign_id", Kind::Uuid),
    ("team_id", Kind::Uuid),
    ("user_id", Kind::Uuid),
    ("network", Kind::Text),
];

/// Writes clicks, new unique visitors and rollup increments in the caller's transaction: the
/// daily rollup per share, the share's running totals and the organisation's daily series.
/// Rows are written in key order, so concurrent folds lock rollup rows in the same order.
async fn store(txn: &impl ConnectionTrait, clicks: &[&NewClick]) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let raw: Vec<Json> = clicks
        .iter()
        .map(|c| {
            json!([
                c.org_id,
                c.share_id,
                stamp(c.clicked_at),
                super::day_of(c.clicked_at),
                c.visitor_hash,
                c.referrer_host,
                c.class.as_str(),
            ])
        })
        .collect();
    txn.execute_raw(insert_rows(
        backend,
        "clicks",
        &[
            ("org_id", Kind::Uuid),
            ("share_id", Kind::Uuid),
            ("clicked_at", Kind::Time),
            ("day", Kind::Text),
            ("visitor_hash", Kind::Text),
            ("referrer_host", Kind::Text),
            ("class", Kind::Text),
        ],
        "",
        &raw,
    ))
    .await?;

    let mut totals: BTreeMap<(Uuid, Uuid, String), Totals> = BTreeMap::new();
    let mut candidates: BTreeSet<(Uuid, Uuid, String, &str)> = BTreeSet::new();
    for c in clicks {
        let day = super::day_of(c.clicked_at);
        let entry = totals
            .entry((c.org_id, c.share_id, day.clone()))
            .or_insert_with(|| Totals {
                post_id: c.post_id,
                campaign_id: c.campaign_id,
                team_id: c.team_id,
                user_id: c.user_id,
                network: c.network.clone(),
                ..Totals::default()
            });
        match c.class {
            ClickClass::Human => {
                entry.human += 1;
                candidates.insert((c.org_id, c.share_id, day, &c.visitor_hash));
            }
            ClickClass::Bot => entry.bot += 1,
            ClickClass::SelfClick => entry.own += 1,
        }
    }

    if !candidates.is_empty() {
        let rows: Vec<Json> = candidates
            .iter()
            .map(|(org, share, day, hash)| json!([org, share, day, hash]))
            .collect();
        let new = txn
            .query_all_raw(insert_rows(
                backend,
                "click_visitors",
                &[
                    ("org_id", Kind::Uuid),
                    ("share_id", Kind::Uuid),
                    ("day", Kind::Text),
                    ("visitor_hash", Kind::Text),
                ],
                "ON CONFLICT (share_id, day, visitor_hash) DO NOTHING RETURNING org_id, share_id, day",
                &rows,
            ))
            .await?;
        for row in new {
            let key: (Uuid, Uuid, String) = (
                row.try_get("", "org_id")?,
                row.try_get("", "share_id")?,
                row.try_get("", "day")?,
            );
            if let Some(entry) = totals.get_mut(&key) {
                entry.unique += 1;
            }
        }
    }

    let (least, greatest) = if backend == DatabaseBackend::Postgres {
        ("LEAST", "GREATEST")
    } else {
        ("MIN", "MAX")
    };

    let mut daily = Vec::with_capacity(totals.len());
    let mut per_share: BTreeMap<(Uuid, Uuid), (Totals, String, String)> = BTreeMap::new();
    let mut per_org_day: BTreeMap<(Uuid, String, String), Totals> = BTreeMap::new();
    for ((org, share, day), t) in &totals {
        let mut row = vec![
            json!(org),
            json!(share),
            json!(day),
            json!(t.post_id),
            json!(t.campaign_id),
            json!(t.team_id),
            json!(t.user_id),
            json!(t.network),
        ];
        row.extend(t.counters());
        daily.push(Json::Array(row));
        let (sum, first, last) = per_share
            .entry((*org, *share))
            .or_insert_with(|| (t.dims(), day.clone(), day.clone()));
        sum.add(t);
        if day < first {
            *first = day.clone();
        }
        if day > last {
            *last = day.clone();
        }
        per_org_day
            .entry((*org, day.clone(), t.network.clone()))
            .or_default()
            .add(t);
    }
    let keys = [
        ("org_id", Kind::Uuid),
        ("share_id", Kind::Uuid),
        ("day", Kind::Text),
    ];
    txn.execute_raw(insert_rows(
        backend,
        "reach_daily",
        &counter_columns(&keys, &SHARE_DIMS),
        &add_counters("reach_daily", &keys, &[]),
        &daily,
    ))
    .await?;

    let shares: Vec<Json> = per_share
        .iter()
        .map(|((org, share), (t, first, last))| {
            let mut row = vec![
                json!(org),
                json!(share),
                json!(t.post_id),
                json!(t.campaign_id),
                json!(t.team_id),
                json!(t.user_id),
                json!(t.network),
                json!(first),
                json!(last),
            ];
            row.extend(t.counters());
            Json::Array(row)
        })
        .collect();
    let keys = [("org_id", Kind::Uuid), ("share_id", Kind::Uuid)];
    let mut dims = SHARE_DIMS.to_vec();
    dims.extend([("first_day", Kind::Text), ("last_day", Kind::Text)]);
    txn.execute_raw(insert_rows(
        backend,
        "share_reach",
        &counter_columns(&keys, &dims),
        &add_counters(
            "share_reach",
            &keys,
            &[
                format!("first_day = {least}(share_reach.first_day, excluded.first_day)"),
                format!("last_day = {greatest}(share_reach.last_day, excluded.last_day)"),
            ],
        ),
        &shares,
    ))
    .await?;

    let org_days: Vec<Json> = per_org_day
        .iter()
        .map(|((org, day, network), t)| {
            let mut row = vec![json!(org), json!(day), json!(network)];
            row.extend(t.counters());
            Json::Array(row)
        })
        .collect();
    let keys = [
        ("org_id", Kind::Uuid),
        ("day", Kind::Text),
        ("network", Kind::Text),
    ];
    txn.execute_raw(insert_rows(
        backend,
        "reach_org_daily",
        &counter_columns(&keys, &[]),
        &add_counters("reach_org_daily", &keys, &[]),
        &org_days,
    ))
    .await?;

    let team_days = team_daily(&totals);
    if !team_days.is_empty() {
        let keys = [
            ("org_id", Kind::Uuid),
            ("team_id", Kind::Uuid),
            ("day", Kind::Text),
            ("network", Kind::Text),
        ];
        txn.execute_raw(insert_rows(
            backend,
            "reach_team_daily",
            &counter_columns(&keys, &[]),
            &add_counters("reach_team_daily", &keys, &[]),
            &team_days,
        ))
        .await?;
    }
    Ok(())
}

/// The `reach_team_daily` increments of a chunk: its per-share daily totals summed per
/// organisation, team, day and network (shares without a team have no row), in key order.
fn team_daily(totals: &BTreeMap<(Uuid, Uuid, String), Totals>) -> Vec<Json> {
    let mut sums: BTreeMap<(Uuid, Uuid, &str, &str), Totals> = BTreeMap::new();
    for ((org, _, day), t) in totals {
        if let Some(team) = t.team_id {
            sums.entry((*org, team, day.as_str(), t.network.as_str()))
                .or_default()
                .add(t);
        }
    }
    sums.into_iter()
        .map(|((org, team, day, network), t)| {
            let mut row = vec![json!(org), json!(team), json!(day), json!(network)];
            row.extend(t.counters());
            Json::Array(row)
        })
        .collect()
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
