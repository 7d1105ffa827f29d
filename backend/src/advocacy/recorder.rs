//! The click recorder: group commit for the redirect hot path.
//!
//! Each redirect hands its click to [`ClickRecorder::record`] and waits. A single writer task
//! takes every click waiting at that moment (up to `advocacy.click_batch_max`), writes them in
//! one transaction — the raw clicks, the unique-visitor ledger and the daily rollup — and only
//! after the commit tells each waiting request, which then answers its redirect. So a redirect
//! that was answered is a click that is stored, and concurrency raises the batch size instead
//! of the number of transactions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DatabaseConnection, EntityTrait, Statement, TransactionTrait,
    sea_query::{Alias, Expr, OnConflict, Query},
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::classify::ClickClass;
use crate::{entities::click, metrics::Metrics};

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

#[derive(Clone)]
pub struct ClickRecorder {
    tx: mpsc::Sender<Pending>,
}

impl ClickRecorder {
    /// Starts the writer. It stops once `drain` is cancelled and every queued click is written.
    pub fn start(
        db: DatabaseConnection,
        metrics: std::sync::Arc<Metrics>,
        batch_max: usize,
        tracker: &tokio_util::task::TaskTracker,
        drain: CancellationToken,
    ) -> Self {
        let (tx, mut rx) = mpsc::channel::<Pending>(batch_max.max(1) * 8);
        tracker.spawn(async move {
            let mut batch: Vec<Pending> = Vec::with_capacity(batch_max);
            loop {
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
                while batch.len() < batch_max {
                    match rx.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let clicks: Vec<&NewClick> = batch.iter().map(|p| &p.click).collect();
                let ok = match write_batch(&db, &clicks).await {
                    Ok(()) => true,
                    Err(err) => {
                        tracing::warn!(error = %err, size = batch.len(), "click batch not stored");
                        false
                    }
                };
                metrics.click_batch_size.observe(batch.len() as f64);
                if ok {
                    let mut per_class: BTreeMap<&'static str, u64> = BTreeMap::new();
                    for pending in &batch {
                        *per_class.entry(pending.click.class.as_str()).or_default() += 1;
                    }
                    for (class, n) in per_class {
                        metrics
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
                    while let Ok(pending) = rx.try_recv() {
                        let _ = pending.done.send(false);
                    }
                }
            }
        });
        Self { tx }
    }

    /// Stores a click; true once it is committed, false if it could not be stored.
    pub async fn record(&self, click: NewClick) -> bool {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Pending { click, done }).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }
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
            ..Self::default()
        }
    }

    fn add(&mut self, other: &Totals) {
        self.human += other.human;
        self.bot += other.bot;
        self.own += other.own;
        self.unique += other.unique;
    }
}

const COUNTERS: [&str; 4] = ["human_clicks", "bot_hits", "self_clicks", "unique_visitors"];

/// A multi-row `INSERT … ON CONFLICT DO UPDATE` that adds counters to existing rows.
struct CounterUpsert {
    table: &'static str,
    keys: &'static [&'static str],
    insert: sea_orm::sea_query::InsertStatement,
}

impl CounterUpsert {
    fn new(table: &'static str, keys: &'static [&'static str], dims: &[&str]) -> Self {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(table)).columns(
            keys.iter()
                .chain(dims)
                .chain(COUNTERS.iter())
                .map(|c| Alias::new(*c)),
        );
        Self {
            table,
            keys,
            insert,
        }
    }

    fn row<const N: usize>(&mut self, columns: [sea_orm::Value; N], counters: [sea_orm::Value; 4]) {
        self.insert.values_panic(
            columns
                .into_iter()
                .chain(counters)
                .map(sea_orm::sea_query::SimpleExpr::from),
        );
    }

    /// The statement, with `extra` column updates besides the counter additions.
    fn build(mut self, backend: sea_orm::DatabaseBackend, extra: &[(&str, String)]) -> Statement {
        let mut conflict = OnConflict::columns(self.keys.iter().map(|k| Alias::new(*k)));
        for counter in COUNTERS {
            conflict.value(
                Alias::new(counter),
                Expr::cust(format!("{0}.{counter} + excluded.{counter}", self.table)),
            );
        }
        for (column, expr) in extra {
            conflict.value(Alias::new(*column), Expr::cust(expr.clone()));
        }
        self.insert.on_conflict(conflict);
        backend.build(&self.insert)
    }
}

/// Writes clicks, new unique visitors and rollup increments in one transaction: the daily
/// rollup per share, the share's running totals and the organisation's daily series.
pub async fn write_batch(
    db: &DatabaseConnection,
    clicks: &[&NewClick],
) -> Result<(), sea_orm::DbErr> {
    if clicks.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    click::Entity::insert_many(clicks.iter().map(|c| click::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        org_id: Set(c.org_id),
        share_id: Set(c.share_id),
        clicked_at: Set(c.clicked_at),
        day: Set(super::day_of(c.clicked_at)),
        visitor_hash: Set(c.visitor_hash.clone()),
        referrer_host: Set(c.referrer_host.clone()),
        class: Set(c.class.as_str().to_owned()),
    }))
    .exec_without_returning(&txn)
    .await?;

    let mut totals: BTreeMap<(Uuid, Uuid, String), Totals> = BTreeMap::new();
    let mut candidates: BTreeSet<(Uuid, Uuid, String, String)> = BTreeSet::new();
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
                candidates.insert((c.org_id, c.share_id, day, c.visitor_hash.clone()));
            }
            ClickClass::Bot => entry.bot += 1,
            ClickClass::SelfClick => entry.own += 1,
        }
    }

    if !candidates.is_empty() {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new("click_visitors"))
            .columns([
                Alias::new("org_id"),
                Alias::new("share_id"),
                Alias::new("day"),
                Alias::new("visitor_hash"),
            ])
            .on_conflict(
                OnConflict::columns([
                    Alias::new("share_id"),
                    Alias::new("day"),
                    Alias::new("visitor_hash"),
                ])
                .do_nothing()
                .to_owned(),
            )
            .returning(Query::returning().columns([
                Alias::new("org_id"),
                Alias::new("share_id"),
                Alias::new("day"),
            ]));
        for (org, share, day, hash) in &candidates {
            insert.values_panic([
                (*org).into(),
                (*share).into(),
                day.clone().into(),
                hash.clone().into(),
            ]);
        }
        let rows = txn.query_all_raw(backend.build(&insert)).await?;
        for row in rows {
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

    let backend_is_pg = backend == sea_orm::DatabaseBackend::Postgres;
    let (least, greatest) = if backend_is_pg {
        ("LEAST", "GREATEST")
    } else {
        ("MIN", "MAX")
    };
    let counters = |t: &Totals| -> [sea_orm::Value; 4] {
        [t.human.into(), t.bot.into(), t.own.into(), t.unique.into()]
    };

    let mut daily = CounterUpsert::new(
        "reach_daily",
        &["org_id", "share_id", "day"],
        &["post_id", "campaign_id", "team_id", "user_id", "network"],
    );
    let mut per_share: BTreeMap<(Uuid, Uuid), (Totals, String, String)> = BTreeMap::new();
    let mut per_org_day: BTreeMap<(Uuid, String, String), Totals> = BTreeMap::new();
    for ((org, share, day), t) in &totals {
        daily.row(
            [
                (*org).into(),
                (*share).into(),
                day.clone().into(),
                t.post_id.into(),
                t.campaign_id.into(),
                t.team_id.into(),
                t.user_id.into(),
                t.network.clone().into(),
            ],
            counters(t),
        );
        let (sum, first, last) = per_share.entry((*org, *share)).or_insert_with(|| {
            (
                Totals {
                    network: t.network.clone(),
                    ..t.dims()
                },
                day.clone(),
                day.clone(),
            )
        });
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
    txn.execute_raw(daily.build(backend, &[])).await?;

    let mut shares = CounterUpsert::new(
        "share_reach",
        &["org_id", "share_id"],
        &[
            "post_id",
            "campaign_id",
            "team_id",
            "user_id",
            "network",
            "first_day",
            "last_day",
        ],
    );
    for ((org, share), (t, first, last)) in &per_share {
        shares.row(
            [
                (*org).into(),
                (*share).into(),
                t.post_id.into(),
                t.campaign_id.into(),
                t.team_id.into(),
                t.user_id.into(),
                t.network.clone().into(),
                first.clone().into(),
                last.clone().into(),
            ],
            counters(t),
        );
    }
    txn.execute_raw(shares.build(
        backend,
        &[
            (
                "first_day",
                format!("{least}(share_reach.first_day, excluded.first_day)"),
            ),
            (
                "last_day",
                format!("{greatest}(share_reach.last_day, excluded.last_day)"),
            ),
        ],
    ))
    .await?;

    let mut org_days = CounterUpsert::new("reach_org_daily", &["org_id", "day", "network"], &[]);
    for ((org, day, network), t) in &per_org_day {
        org_days.row(
            [(*org).into(), day.clone().into(), network.clone().into()],
            counters(t),
        );
    }
    txn.execute_raw(org_days.build(backend, &[])).await?;
    if let Some(team_days) = team_daily(&totals, backend) {
        txn.execute_raw(team_days).await?;
    }
    txn.commit().await
}

/// The `reach_team_daily` increments of a batch: its per-share daily totals summed per
/// organisation, team, day and network (shares without a team have no row).
fn team_daily(
    totals: &BTreeMap<(Uuid, Uuid, String), Totals>,
    backend: sea_orm::DatabaseBackend,
) -> Option<Statement> {
    let mut sums: BTreeMap<(Uuid, Uuid, &str, &str), Totals> = BTreeMap::new();
    for ((org, _, day), t) in totals {
        if let Some(team) = t.team_id {
            sums.entry((*org, team, day.as_str(), t.network.as_str()))
                .or_default()
                .add(t);
        }
    }
    if sums.is_empty() {
        return None;
    }
    let mut upsert = CounterUpsert::new(
        "reach_team_daily",
        &["org_id", "team_id", "day", "network"],
        &[],
    );
    for ((org, team, day, network), t) in sums {
        upsert.row(
            [
                org.into(),
                team.into(),
                day.to_owned().into(),
                network.to_owned().into(),
            ],
            [t.human.into(), t.bot.into(), t.own.into(), t.unique.into()],
        );
    }
    Some(upsert.build(backend, &[]))
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
