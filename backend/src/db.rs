//! Database connections for SQLite (default, embedded) and PostgreSQL, and migrations.
//!
//! SQLite runs in WAL mode (commits survive a killed process; `database.sqlite_synchronous =
//! "full"` also survives power loss at the price of an fsync per commit), foreign keys on and a
//! single pooled
//! connection: SQLite has one writer at a time anyway, and one connection avoids "database is
//! locked" failures when a read transaction upgrades to a write.

use std::{str::FromStr, time::Duration};

use chorus_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, SqlxSqliteConnector,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::config::{Config, DbKind};

pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    connect_url(
        &config.database_url,
        config.database.max_connections,
        Duration::from_secs(config.database.connect_timeout_secs),
        Duration::from_secs(config.database.acquire_timeout_secs),
        config.database.sqlite_synchronous == crate::config::SqliteSync::Full,
    )
    .await
}

/// The read pool for dashboards, when `database.read_url` is set.
pub async fn connect_read(config: &Config) -> anyhow::Result<Option<DatabaseConnection>> {
    let Some(url) = &config.database.read_url else {
        return Ok(None);
    };
    let db = connect_url(
        url,
        config.database.max_connections,
        Duration::from_secs(config.database.connect_timeout_secs),
        Duration::from_secs(config.database.acquire_timeout_secs),
        config.database.sqlite_synchronous == crate::config::SqliteSync::Full,
    )
    .await
    .map_err(|e| anyhow::anyhow!("could not connect to database.read_url: {e:#}"))?;
    Ok(Some(db))
}

/// Connections of a pool: (in use, idle, maximum).
pub fn pool_usage(db: &DatabaseConnection) -> (i64, i64, i64) {
    let (size, idle, max) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    (i64::from(size) - idle, idle, i64::from(max))
}

pub async fn connect_url(
    url: &str,
    max_connections: u32,
    connect_timeout: Duration,
    acquire_timeout: Duration,
    sqlite_full_sync: bool,
) -> anyhow::Result<DatabaseConnection> {
    match crate::config::db_kind_of(url)? {
        DbKind::Sqlite => {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(if sqlite_full_sync {
                    SqliteSynchronous::Full
                } else {
                    SqliteSynchronous::Normal
                })
                .foreign_keys(true)
                // 16 MiB page cache: the rollup's hot pages stay in memory under load.
                .pragma("cache_size", "-16384")
                .busy_timeout(Duration::from_secs(10));
            if let Some(parent) = options.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)?;
            }
            let path = options.get_filename().display().to_string();
            let unwritable = |err: &dyn std::fmt::Display| {
                anyhow::anyhow!(
                    "cannot write the SQLite database {path}: {err}. Check that the file and its \
                     directory are writable by this user and that the disk is neither full nor \
                     mounted read-only"
                )
            };
            // One embedded connection for the life of the process: recycling it would only
            // throw away its page cache.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .max_lifetime(None)
                .idle_timeout(None)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await
                .map_err(|e| unwritable(&e))?;
            // Fail at start, with the reason, rather than on the first write: SQLite opens a
            // file it may not write read-only without complaint. The probe is rolled back.
            for statement in [
                "BEGIN IMMEDIATE",
                "CREATE TABLE chorus_write_probe (x INTEGER)",
                "ROLLBACK",
            ] {
                sea_orm::sqlx::query(statement)
                    .execute(&pool)
                    .await
                    .map_err(|e| unwritable(&e))?;
            }
            Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
        }
        DbKind::Postgres => {
            let mut options = ConnectOptions::new(url.to_owned());
            options
                .max_connections(max_connections)
                .min_connections(1)
                .connect_timeout(connect_timeout)
                .acquire_timeout(acquire_timeout)
                .idle_timeout(Duration::from_secs(300))
                .test_before_acquire(true)
                .sqlx_logging(false);
            Ok(Database::connect(options).await?)
        }
    }
}

pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

pub async fn migrate_down(db: &DatabaseConnection, steps: u32) -> Result<(), DbErr> {
    Migrator::down(db, Some(steps)).await
}

/// Applied and pending migrations, in order.
pub async fn migration_status(db: &DatabaseConnection) -> Result<Vec<(String, bool)>, DbErr> {
    let applied: Vec<String> = Migrator::get_applied_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let pending: Vec<String> = Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    Ok(applied
        .into_iter()
        .map(|n| (n, true))
        .chain(pending.into_iter().map(|n| (n, false)))
        .collect())
}

/// On SQLite, takes WAL checkpoints off the committing connection while the server runs: the
/// serving connection stops checkpointing on commit (a checkpoint copies pages into the main
/// file and syncs it, which would stall the click writer's commit and every redirect waiting on
/// it), and a task with a connection of its own runs a passive checkpoint every 250 ms, which
/// never blocks the writer, and a full one at shutdown. Durability is unchanged: a transaction is
/// committed once it is in the WAL, whether or not it has been checkpointed.
pub async fn spawn_checkpointer(
    db: &DatabaseConnection,
    url: &str,
    tracker: &tokio_util::task::TaskTracker,
    drain: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _, Executor as _};
    if crate::config::db_kind_of(url)? != DbKind::Sqlite {
        return Ok(());
    }
    let mut checkpointer = SqliteConnectOptions::from_str(url)?
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await?;
    db.execute_unprepared("PRAGMA wal_autocheckpoint = 0")
        .await?;
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(err) = checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                        tracing::warn!(error = %err, "WAL checkpoint failed");
                    }
                }
                () = drain.cancelled() => break,
            }
        }
        if let Err(err) = checkpointer
            .execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
        {
            tracing::warn!(error = %err, "final WAL checkpoint failed");
        }
        let _ = checkpointer.close().await;
    });
    Ok(())
}

/// On SQLite, the click queue's own database: a file beside the main one (`<file>.queue`), so
/// that a redirect's append never waits for a fold, which writes the main file for longer.
/// One connection, WAL, the same durability setting as the main file; its ids only grow
/// (`AUTOINCREMENT`), which the folder's watermark in the main file relies on. `None` on
/// PostgreSQL, where the queue is a table of the main database.
pub async fn connect_queue(
    url: &str,
    sqlite_full_sync: bool,
) -> anyhow::Result<Option<DatabaseConnection>> {
    if crate::config::db_kind_of(url)? != DbKind::Sqlite {
        return Ok(None);
    }
    let main = SqliteConnectOptions::from_str(url)?;
    let file = main.get_filename().display().to_string();
    let options = if file == ":memory:" || file.is_empty() {
        SqliteConnectOptions::from_str("sqlite::memory:")?
    } else {
        main.filename(format!("{file}.queue"))
    }
    .create_if_missing(true)
    .journal_mode(SqliteJournalMode::Wal)
    .synchronous(if sqlite_full_sync {
        SqliteSynchronous::Full
    } else {
        SqliteSynchronous::Normal
    })
    .foreign_keys(false)
    .busy_timeout(Duration::from_secs(10));
    let path = options.get_filename().display().to_string();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(options)
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot write the SQLite database {path} (click queue): {e}")
        })?;
    sea_orm::sqlx::query(
        "CREATE TABLE IF NOT EXISTS click_queue (\
         id INTEGER PRIMARY KEY AUTOINCREMENT, org_id BLOB NOT NULL, share_id BLOB NOT NULL, \
         post_id BLOB NOT NULL, campaign_id BLOB, team_id BLOB, user_id BLOB, network TEXT NOT NULL, \
         clicked_at TEXT NOT NULL, day TEXT NOT NULL, visitor_hash TEXT NOT NULL, \
         referrer_host TEXT, class TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .map_err(|e| anyhow::anyhow!("cannot write the SQLite database {path} (click queue): {e}"))?;
    Ok(Some(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)))
}

/// True when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
