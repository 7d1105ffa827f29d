//! Raw-click partitions and retention.
//!
//! On PostgreSQL raw clicks live in monthly partitions (`clicks_pYYYY_MM`) plus a default
//! partition. The `partitions` job keeps this month's and the next two months' partitions
//! created, so clicks land in a month partition rather than the default one. The `retention`
//! job removes raw clicks older than `advocacy.click_retention_days`: on PostgreSQL by detaching
//! and dropping every month partition that lies wholly before the cutoff, then, on both engines,
//! by deleting what remains before the cutoff in bounded batches. Daily rollups (`reach_daily`)
//! and unique-visitor rows are never touched, so dashboards keep their totals.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};

use crate::{entities::click, state::AppState};

/// Raw clicks deleted per statement, so no single transaction holds locks for long.
const DELETE_BATCH: u64 = 5_000;
/// Month partitions kept ready ahead of the current month.
const MONTHS_AHEAD: u32 = 2;

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn next_month(start: DateTime<Utc>) -> DateTime<Utc> {
    if start.month() == 12 {
        month_start(start.year() + 1, 1)
    } else {
        month_start(start.year(), start.month() + 1)
    }
}

fn partition_name(start: DateTime<Utc>) -> String {
    format!("clicks_p{:04}_{:02}", start.year(), start.month())
}

/// `(name, start)` of each month partition that exists.
async fn month_partitions(
    db: &DatabaseConnection,
) -> Result<Vec<(String, DateTime<Utc>)>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT c.relname AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent \
             WHERE p.relname = 'clicks' AND c.relname LIKE 'clicks\\_p%'",
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let parsed = name
            .strip_prefix("clicks_p")
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)));
        if let Some((year, month)) = parsed.filter(|(_, m)| (1..=12).contains(m)) {
            out.push((name, month_start(year, month)));
        }
    }
    out.sort_by_key(|(_, start)| *start);
    Ok(out)
}

/// True when `clicks` is partitioned (PostgreSQL after the partitioning migration).
async fn is_partitioned(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(false);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT count(*) AS n FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid \
             WHERE c.relname = 'clicks' AND c.relnamespace = current_schema()::regnamespace",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        > 0)
}

/// Creates the month partition starting at `start` unless it exists. Clicks of that month that
/// already landed in the default partition are moved into it in the same transaction.
async fn ensure_month(db: &DatabaseConnection, start: DateTime<Utc>) -> anyhow::Result<bool> {
    let name = partition_name(start);
    let end = next_month(start);
    let txn = crate::db::begin_write(db).await?;
    let exists = txn
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT to_regclass($1) IS NOT NULL AS present",
            [name.clone().into()],
        ))
        .await?
        .map(|r| r.try_get::<bool>("", "present"))
        .transpose()?
        .unwrap_or(false);
    if exists {
        return Ok(false);
    }
    let (from, to) = (start.to_rfc3339(), end.to_rfc3339());
    txn.execute_unprepared(&format!(
        "CREATE TABLE {name} (LIKE clicks INCLUDING DEFAULTS);
         WITH moved AS (DELETE FROM clicks_default WHERE clicked_at >= '{from}' AND clicked_at < '{to}' RETURNING *)
         INSERT INTO {name} SELECT * FROM moved;
         ALTER TABLE clicks ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{to}');"
    ))
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The `partitions` job: this month's partition and the next ones exist, and clicks that
/// landed in the default partition (back-filled or from a skewed clock) move into partitions
/// of their own months.
pub async fn ensure_partitions(state: &AppState) -> anyhow::Result<String> {
    if !is_partitioned(&state.db).await? {
        return Ok("clicks are not partitioned on this database".into());
    }
    let now = Utc::now();
    let mut months = Vec::new();
    let mut month = month_start(now.year(), now.month());
    for _ in 0..=MONTHS_AHEAD {
        months.push(month);
        month = next_month(month);
    }
    let strays = state
        .db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT DISTINCT date_trunc('month', clicked_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month \
             FROM clicks_default",
        ))
        .await?;
    for row in strays {
        months.push(row.try_get::<DateTime<Utc>>("", "month")?);
    }
    months.sort();
    months.dedup();
    let mut created = Vec::new();
    for month in months {
        if ensure_month(&state.db, month).await? {
            created.push(partition_name(month));
        }
    }
    Ok(if created.is_empty() {
        "partitions up to date".into()
    } else {
        format!("created {}", created.join(", "))
    })
}

/// Removes raw clicks older than `before`; answers (partitions dropped, rows deleted).
pub async fn remove_clicks_before(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
) -> anyhow::Result<(Vec<String>, u64)> {
    let mut dropped = Vec::new();
    if is_partitioned(db).await? {
        for (name, start) in month_partitions(db).await? {
            if next_month(start) > before {
                continue;
            }
            db.execute_unprepared(&format!(
                "ALTER TABLE clicks DETACH PARTITION {name}; DROP TABLE {name};"
            ))
            .await?;
            tracing::info!(partition = %name, "dropped raw-click partition past retention");
            dropped.push(name);
        }
    }
    let mut deleted = 0;
    loop {
        let batch = click::Entity::find()
            .select_only()
            .column(click::Column::Id)
            .filter(click::Column::ClickedAt.lt(before))
            .limit(DELETE_BATCH)
            .into_tuple::<i64>()
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        deleted += click::Entity::delete_many()
            .filter(click::Column::ClickedAt.lt(before))
            .filter(click::Column::Id.is_in(batch))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok((dropped, deleted))
}

/// The `retention` job.
pub async fn run(state: &AppState) -> anyhow::Result<String> {
    let days = state.config.advocacy.click_retention_days;
    if days == 0 {
        return Ok("raw clicks are kept (advocacy.click_retention_days = 0)".into());
    }
    let cutoff = Utc::now() - Duration::days(i64::from(days));
    let (dropped, deleted) = remove_clicks_before(&state.db, cutoff).await?;
    Ok(format!(
        "raw clicks before {}: dropped {} partitions{}, deleted {deleted} rows",
        cutoff.format("%Y-%m-%d"),
        dropped.len(),
        if dropped.is_empty() {
            String::new()
        } else {
            format!(" ({})", dropped.join(", "))
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_the_year() {
        let dec = month_start(2026, 12);
        assert_eq!(partition_name(dec), "clicks_p2026_12");
        assert_eq!(next_month(dec), month_start(2027, 1));
        assert_eq!(partition_name(next_month(dec)), "clicks_p2027_01");
    }
}
