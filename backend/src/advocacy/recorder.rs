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
                    for pending in &batch {
                        metrics
                            .clicks
                            .get_or_create(&crate::metrics::ClassLabels {
                                class: pending.click.class.as_str().to_owned(),
                            })
                            .inc();
                    }
                }
                for pending in batch.drain(..) {
                    let _ = pending.done.send(ok);
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

#[derive(Default)]
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

/// Writes clicks, new unique visitors and rollup increments in one transaction.
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

    let mut upsert = Query::insert();
    let columns = [
        "org_id",
        "share_id",
        "day",
        "post_id",
        "campaign_id",
        "team_id",
        "user_id",
        "network",
        "human_clicks",
        "bot_hits",
        "self_clicks",
        "unique_visitors",
    ];
    let mut conflict = OnConflict::columns([
        Alias::new("org_id"),
        Alias::new("share_id"),
        Alias::new("day"),
    ]);
    for counter in ["human_clicks", "bot_hits", "self_clicks", "unique_visitors"] {
        conflict.value(
            Alias::new(counter),
            Expr::cust(format!("reach_daily.{counter} + excluded.{counter}")),
        );
    }
    upsert
        .into_table(Alias::new("reach_daily"))
        .columns(columns.map(Alias::new))
        .on_conflict(conflict);
    for ((org, share, day), t) in &totals {
        upsert.values_panic([
            (*org).into(),
            (*share).into(),
            day.clone().into(),
            t.post_id.into(),
            t.campaign_id.into(),
            t.team_id.into(),
            t.user_id.into(),
            t.network.clone().into(),
            t.human.into(),
            t.bot.into(),
            t.own.into(),
            t.unique.into(),
        ]);
    }
    let statement: Statement = backend.build(&upsert);
    txn.execute_raw(statement).await?;
    txn.commit().await
}
