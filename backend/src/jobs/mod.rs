//! The scheduler: jobs declared with cron expressions in configuration (`[jobs]`), each run
//! recorded in `job_runs`. A run belongs to one cron tick; the unique (job, tick) row is the
//! lease, so when several servers share a database exactly one of them runs each tick.

mod housekeeping;
pub mod retention;

use std::{future::Future, pin::Pin, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr, sea_query::Expr};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use uuid::Uuid;

use crate::{entities::job_run, state::AppState};

type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send>>;

/// The job behind a configured name; configuration validation rejects names not listed here.
fn job(name: &str) -> Option<fn(AppState) -> JobFuture> {
    match name {
        "outbox" => Some(|state| {
            Box::pin(async move {
                crate::mail::outbox::drain(&state)
                    .await
                    .map(|n| format!("sent {n}"))
            })
        }),
        "housekeeping" => Some(|state| Box::pin(async move { housekeeping::run(&state).await })),
        "publish" => {
            Some(|state| Box::pin(async move { crate::advocacy::posts::publish_due(&state).await }))
        }
        "salts" => Some(|state| Box::pin(async move { rotate_salts(&state).await })),
        "rules" => {
            Some(|state| Box::pin(async move { crate::recognition::rules::run_job(&state).await }))
        }
        "badges" => {
            Some(|state| Box::pin(async move { crate::recognition::badges::run_job(&state).await }))
        }
        "partitions" => {
            Some(|state| Box::pin(async move { retention::ensure_partitions(&state).await }))
        }
        "retention" => Some(|state| Box::pin(async move { retention::run(&state).await })),
        _ => None,
    }
}

/// Starts one task per configured job on `tracker`; they stop taking ticks when `shutdown` fires
/// and finish the run in progress.
pub fn start(state: &AppState, tracker: &TaskTracker, shutdown: &CancellationToken) {
    for (name, schedule) in state.config.schedules() {
        let Some(run) = job(&name) else { continue };
        let (state, shutdown) = (state.clone(), shutdown.clone());
        tracker.spawn(async move {
            while let Some(tick) = schedule.upcoming(Utc).next() {
                let wait = (tick - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(wait) => {}
                }
                run_tick(&state, &name, tick, run).await;
            }
        });
    }
}

/// Times a run that failed on a busy SQLite database is tried again within its tick.
const BUSY_RETRIES: u32 = 3;

/// Runs `job` for `tick` if this process wins the lease. Returns the run id when it ran.
pub async fn run_tick(
    state: &AppState,
    name: &str,
    tick: DateTime<Utc>,
    run: fn(AppState) -> JobFuture,
) -> Option<Uuid> {
    let id = Uuid::now_v7();
    let claimed = job_run::Entity::insert(job_run::ActiveModel {
        id: Set(id),
        job: Set(name.to_owned()),
        scheduled_for: Set(tick),
        instance: Set(state.instance.to_string()),
        started_at: Set(Utc::now()),
        finished_at: Set(None),
        outcome: Set("running".into()),
        error: Set(None),
    })
    .exec_without_returning(&state.db)
    .await;
    match claimed {
        Ok(_) => {}
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            state.metrics.job(name, "lease_lost");
            return None;
        }
        Err(err) => {
            state.metrics.job(name, "skipped");
            tracing::warn!(job = name, error = %err, "could not record job run; tick skipped");
            return None;
        }
    }
    let started = std::time::Instant::now();
    let mut result = run(state.clone()).await;
    for attempt in 1..=BUSY_RETRIES {
        match &result {
            Err(err) if crate::db::is_busy_error(err) => {
                // SQLite said "database is locked": a read that went on to write after the
                // checkpointer reset the WAL. Jobs are idempotent; run it again shortly.
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                result = run(state.clone()).await;
            }
            _ => break,
        }
    }
    let (outcome, error) = match &result {
        Ok(summary) => {
            tracing::debug!(job = name, %summary, elapsed_ms = started.elapsed().as_millis() as u64, "job finished");
            ("succeeded", None)
        }
        Err(err) => {
            tracing::warn!(job = name, error = %err, "job failed");
            ("failed", Some(format!("{err:#}")))
        }
    };
    state.metrics.job(name, outcome);
    state
        .metrics
        .job_duration
        .get_or_create(&crate::metrics::JobNameLabels {
            job: name.to_owned(),
        })
        .observe(started.elapsed().as_secs_f64());
    let recorded = job_run::Entity::update_many()
        .col_expr(job_run::Column::FinishedAt, Expr::value(Utc::now()))
        .col_expr(job_run::Column::Outcome, Expr::value(outcome))
        .col_expr(job_run::Column::Error, Expr::value(error))
        .filter(job_run::Column::Id.eq(id))
        .exec(&state.db)
        .await;
    if let Err(err) = recorded {
        tracing::warn!(job = name, error = %err, "could not record job outcome");
    }
    Some(id)
}

/// Runs a scheduled job now as a tick of its own (recorded in `job_runs` like any other run).
/// Answers the run id, or `None` for an unknown job or when the run could not be recorded.
pub async fn run_once(state: &AppState, name: &str) -> Option<Uuid> {
    let run = job(name)?;
    run_tick(state, name, Utc::now(), run).await
}

/// Runs a job now, outside its schedule (used by the outbox kick and by tools).
pub async fn run_now(state: &AppState, name: &str) -> Option<anyhow::Result<String>> {
    let run = job(name)?;
    Some(run(state.clone()).await)
}

/// Keeps this process's outbox sender awake: sends as soon as a message is queued here, in
/// addition to the scheduled `outbox` job that picks up messages queued elsewhere.
pub fn start_outbox_kicker(state: &AppState, tracker: &TaskTracker, shutdown: &CancellationToken) {
    let (state, shutdown) = (state.clone(), shutdown.clone());
    tracker.spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = state.outbox_kick.notified() => {}
            }
            if let Err(err) = crate::mail::outbox::drain(&state).await {
                tracing::warn!(error = %err, "outbox drain failed");
            }
        }
    });
}

/// Makes sure today's and tomorrow's visitor salts exist and deletes salts older than
/// yesterday, after which their visitor hashes can no longer be linked to anyone.
async fn rotate_salts(state: &AppState) -> anyhow::Result<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let today = Utc::now();
    for day in [today, today + chrono::Duration::days(1)] {
        crate::advocacy::links::ensure_salt(&state.db, &crate::advocacy::day_of(day)).await?;
    }
    let cutoff = crate::advocacy::day_of(today - chrono::Duration::days(1));
    let removed = crate::entities::visitor_salt::Entity::delete_many()
        .filter(crate::entities::visitor_salt::Column::Day.lt(cutoff))
        .exec(&state.db)
        .await?
        .rows_affected;
    Ok(format!("removed {removed} old salts"))
}
