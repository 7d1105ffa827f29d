//! Database connections for SQLite (default, embedded) and PostgreSQL, and migrations.
//!
//! SQLite runs in WAL mode (commits survive a killed process; `database.sqlite_synchronous =
//! "full"` also survives power loss at the price of an fsync per commit), foreign keys on and a
//! single pooled
//! connection: SQLite has one writer at a time anyway, and one connection avoids "database is
//! locked" failures when a read transaction upgrades to a write. The `rules` job adds a second,
//! read-only connection while it runs ([`sqlite_reader`]).

use std::{str::FromStr, time::Duration};

use chorus_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, SqliteTransactionMode, SqlxPostgresConnector,
    SqlxSqliteConnector, TransactionOptions, TransactionTrait,
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

/// A SQLite file created if missing, in WAL mode, synced on commit only with `full_sync`
/// (otherwise a commit survives a killed process but not a power cut), waiting up to 10 s for
/// another connection's lock.
fn wal(options: SqliteConnectOptions, full_sync: bool) -> SqliteConnectOptions {
    options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(if full_sync {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        })
        .busy_timeout(Duration::from_secs(10))
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
            let options = wal(SqliteConnectOptions::from_str(url)?, sqlite_full_sync)
                .foreign_keys(true)
                // 8 MiB page cache: the rollups' hot pages stay in memory under load, and peak RSS
                // under redirect load stays within 64 MB (16 MiB took it to 65-67 MB).
                .pragma("cache_size", "-8192")
                // The click fold's scratch tables and statement journals in memory: on disk
                // each fold created, grew (the kernel zeroing every new page) and deleted
                // temporary files, a sixth of the SQLite thread's time under redirect load.
                .pragma("temp_store", "memory");
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
            use sea_orm::sqlx::{
                ConnectOptions as _, Connection as _,
                postgres::{PgConnectOptions, PgPoolOptions},
            };
            let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
            // A connection is tested before use only when it has been idle: one in steady use
            // is known good, and testing it would add a round trip to every query (a
            // dashboard makes about ten). One that died while idle (the server restarted,
            // say) fails its test and is replaced without failing the request.
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .min_connections(1)
                .acquire_timeout(acquire_timeout)
                .idle_timeout(Duration::from_secs(300))
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= IDLE_BEFORE_TEST {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(options);
            let pool = tokio::time::timeout(connect_timeout, pool)
                .await
                .map_err(|_| {
                    anyhow::anyhow!("PostgreSQL did not answer within {connect_timeout:?}")
                })??;
            Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
        }
    }
}

/// How long a PostgreSQL connection may sit idle in the pool before it is tested on its next
/// use.
const IDLE_BEFORE_TEST: Duration = Duration::from_secs(1);

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

/// On SQLite, takes WAL checkpoints off the committing connections while the server runs: the
/// serving connection and the click queue's stop checkpointing on commit (a checkpoint copies
/// pages into the main file and syncs it, which would stall the click writer's commit and every
/// redirect waiting on it), and a task with connections of its own runs a passive checkpoint of
/// both files every 250 ms, which never blocks a writer, and a full one at shutdown. Durability
/// is unchanged: a transaction is committed once it is in the WAL, whether or not it has been
/// checkpointed.
///
/// A passive checkpoint cannot reset a WAL that a busy writer keeps appending to (a long
/// backlog of rule events, say), so once a WAL holds more than [`WAL_RESET_FRAMES`] frames the
/// task runs a truncating checkpoint instead, which waits for the writer's current transaction
/// and holds the next one back for the moment it takes to copy what is left.
pub async fn spawn_checkpointer(
    db: &DatabaseConnection,
    queue: Option<&DatabaseConnection>,
    url: &str,
    tracker: &tokio_util::task::TaskTracker,
    drain: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _};
    if crate::config::db_kind_of(url)? != DbKind::Sqlite {
        return Ok(());
    }
    let main = SqliteConnectOptions::from_str(url)?;
    let mut files = vec![main.clone()];
    db.execute_unprepared("PRAGMA wal_autocheckpoint = 0")
        .await?;
    if let Some(queue) = queue {
        let file = queue
            .get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_path_buf();
        // An in-memory queue is a table of the main database, which has no WAL.
        if file != main.get_filename() && file != std::path::Path::new(":memory:") {
            queue
                .execute_unprepared("PRAGMA wal_autocheckpoint = 0")
                .await?;
            files.push(main.clone().filename(file));
        }
    }
    let mut checkpointers = Vec::with_capacity(files.len());
    for options in files {
        checkpointers.push(
            options
                .busy_timeout(Duration::from_secs(10))
                .connect()
                .await?,
        );
    }
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    for conn in &mut checkpointers {
                        if let Err(err) = checkpoint(conn).await {
                            tracing::warn!(error = %err, "WAL checkpoint failed");
                        }
                    }
                }
                () = drain.cancelled() => break,
            }
        }
        for mut conn in checkpointers {
            if let Err(err) =
                sea_orm::sqlx::Executor::execute(&mut conn, "PRAGMA wal_checkpoint(TRUNCATE)").await
            {
                tracing::warn!(error = %err, "final WAL checkpoint failed");
            }
            let _ = conn.close().await;
        }
    });
    Ok(())
}

/// Begins a transaction that may write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken at the start, so the checkpointer cannot reset the WAL between the transaction's first
/// read and its first write, which would fail that write with "database is locked" at once
/// ([`is_busy`]). The main SQLite file has one connection, so this makes nothing wait that would
/// not wait anyway. PostgreSQL ignores the mode (a plain `BEGIN`); inside a transaction it is a
/// savepoint.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// True for SQLite's "database is locked" (`SQLITE_BUSY` and its extended codes): a read
/// transaction that went on to write after another connection had changed the database (the
/// checkpointer resetting the WAL, say). The transaction was rolled back; one begun again
/// shortly succeeds.
pub fn is_busy(err: &DbErr) -> bool {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(err))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(err))) = err
    else {
        return false;
    };
    // Only SQLite's result codes: a PostgreSQL SQLSTATE such as 42501 would match the mask.
    err.as_database_error()
        .filter(|err| {
            err.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some()
        })
        .and_then(|err| err.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

/// [`is_busy`] for an error that carries a database error somewhere in its chain (a job's
/// `anyhow` error, with or without an [`AppError`](crate::error::AppError) around it).
pub fn is_busy_error(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<DbErr>().is_some_and(is_busy)
            || matches!(
                cause.downcast_ref::<crate::error::AppError>(),
                Some(crate::error::AppError::Internal(inner)) if is_busy_error(inner)
            )
    })
}

/// WAL frames (pages) beyond which the checkpointer resets the WAL rather than only copying it:
/// 16,384 frames, 64 MiB with 4 KiB pages.
pub const WAL_RESET_FRAMES: i64 = 16_384;

/// One passive checkpoint; a truncating one when the WAL has grown past [`WAL_RESET_FRAMES`].
async fn checkpoint(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Row as _;
    let row = sea_orm::sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await?;
    let frames: i64 = row.try_get(1)?;
    if frames > WAL_RESET_FRAMES {
        sea_orm::sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A SQLite click queue table of its own: the main connection itself for an in-memory
/// database, or the queue file beside the main one (`<file>.queue`) that earlier versions of
/// Chorus wrote (SQLite files now queue clicks in the click log, see
/// [`crate::advocacy::clicklog`]). One connection, WAL, the same durability setting as the
/// main file; the folder reads it by attaching it to the main connection. `None` on
/// PostgreSQL, where the queue is a table of the main database.
pub async fn connect_queue(
    url: &str,
    sqlite_full_sync: bool,
    main: &DatabaseConnection,
) -> anyhow::Result<Option<DatabaseConnection>> {
    if crate::config::db_kind_of(url)? != DbKind::Sqlite {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(url)?;
    let file = options.get_filename().display().to_string();
    if file == ":memory:" || file.is_empty() {
        // No second connection can open an in-memory database: the queue is a table of the
        // main one, on its one connection.
        main.execute_unprepared(QUEUE_TABLE).await?;
        return Ok(Some(main.clone()));
    }
    let options =
        wal(options.filename(format!("{file}.queue")), sqlite_full_sync).foreign_keys(false);
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
    sea_orm::sqlx::query(QUEUE_TABLE)
        .execute(&pool)
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot write the SQLite database {path} (click queue): {e}")
        })?;
    Ok(Some(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)))
}

/// The file of a SQLite database URL: `None` for another database, `Some(None)` for an
/// in-memory SQLite database.
pub fn sqlite_file(url: &str) -> anyhow::Result<Option<Option<std::path::PathBuf>>> {
    if crate::config::db_kind_of(url)? != DbKind::Sqlite {
        return Ok(None);
    }
    let file = SqliteConnectOptions::from_str(url)?
        .get_filename()
        .to_path_buf();
    let name = file.display().to_string();
    Ok(Some(
        (!name.is_empty() && name != ":memory:").then_some(file),
    ))
}

/// A second connection to a SQLite file, for a job that reads while the pool's one connection
/// writes: in WAL mode a reader sees the last commit and neither waits for the writer nor
/// makes it wait. It is made read-only (`query_only`). `None` for PostgreSQL, whose pool has
/// many connections already, and for an in-memory SQLite database, which another connection
/// would not see.
pub async fn sqlite_reader(url: &str) -> anyhow::Result<Option<DatabaseConnection>> {
    let Some(Some(_)) = sqlite_file(url)? else {
        return Ok(None);
    };
    let options = wal(SqliteConnectOptions::from_str(url)?, false)
        .create_if_missing(false)
        .pragma("query_only", "true")
        // 4 MiB: the rules job runs every few seconds, also under redirect load, and the
        // server's peak RSS is budgeted (64 MB); 16 MiB evaluated events only ~3 % faster.
        .pragma("cache_size", "-4096");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .connect_with(options)
        .await?;
    Ok(Some(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)))
}

/// The SQLite click queue: ids only grow (`AUTOINCREMENT`), which the folder's watermark in the
/// main file relies on.
const QUEUE_TABLE: &str = "CREATE TABLE IF NOT EXISTS click_queue (\
     id INTEGER PRIMARY KEY AUTOINCREMENT, org_id BLOB NOT NULL, share_id BLOB NOT NULL, \
     post_id BLOB NOT NULL, campaign_id BLOB, team_id BLOB, user_id BLOB, network TEXT NOT NULL, \
     clicked_at TEXT NOT NULL, day TEXT NOT NULL, visitor_hash TEXT NOT NULL, \
     referrer_host TEXT, class TEXT NOT NULL)";

/// True when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// A SQLite file database for module tests: one connection, as the server's main database.
#[cfg(test)]
pub async fn scratch_file(file: &std::path::Path) -> DatabaseConnection {
    let url = format!("sqlite://{}?mode=rwc", file.display());
    connect_url(
        &url,
        1,
        Duration::from_secs(5),
        Duration::from_secs(5),
        false,
    )
    .await
    .expect("database")
}

/// A migrated SQLite database in the file `name` of `dir`, with one organisation and one
/// person in it (module tests): (database, organisation, person).
#[cfg(test)]
pub async fn scratch(
    dir: &std::path::Path,
    name: &str,
) -> (DatabaseConnection, uuid::Uuid, uuid::Uuid) {
    let db = scratch_file(&dir.join(name)).await;
    migrate_up(&db).await.expect("migrations");
    let org = crate::people::orgs::find_or_create(&db, name)
        .await
        .expect("organisation")
        .id;
    let person =
        crate::people::users::insert(&db, org, "scratch@chorus.test", "Scratch", None, None)
            .await
            .expect("person");
    (db, org, person)
}

#[cfg(test)]
mod tests {
    use sea_orm::{
        TransactionTrait as _,
        sqlx::{ConnectOptions as _, Connection as _, Executor as _},
    };

    use super::*;

    /// A read transaction that goes on to write after another connection committed fails with
    /// "database is locked" at once; the error is recognised as busy however a job wraps it,
    /// and other database errors are not.
    #[tokio::test]
    async fn a_stale_read_that_writes_is_busy_however_wrapped() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("busy.db");
        let (a, b) = (scratch_file(&file).await, scratch_file(&file).await);
        a.execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .expect("table");
        let txn = a.begin().await.expect("begin");
        txn.execute_unprepared("SELECT COUNT(*) FROM t")
            .await
            .expect("read");
        b.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("other write");
        let err = txn
            .execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .expect_err("a stale snapshot cannot write");
        assert!(is_busy(&err), "{err}");
        let app = crate::error::AppError::from(err.clone());
        assert!(is_busy_error(&anyhow::Error::new(err)));
        assert!(is_busy_error(&anyhow::Error::new(app).context("rules")));
        txn.rollback().await.expect("rollback");
        let other = a
            .execute_unprepared("INSERT INTO missing VALUES (1)")
            .await
            .expect_err("no such table");
        assert!(other.to_string().contains("no such table"), "{other}");
        assert!(!is_busy_error(&anyhow::Error::new(
            crate::error::AppError::from(other)
        )));
    }

    /// A write transaction on SQLite holds the write lock from its start: a truncating
    /// checkpoint that arrives after its first read waits for it, instead of resetting the WAL
    /// under it and failing its first write with "database is locked".
    #[tokio::test]
    async fn a_write_transaction_is_not_failed_by_a_wal_reset() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("immediate.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let db = scratch_file(&file).await;
        db.execute_unprepared("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1)")
            .await
            .expect("table");
        let txn = begin_write(&db).await.expect("begin");
        txn.execute_unprepared("SELECT COUNT(*) FROM t")
            .await
            .expect("read");
        let mut checkpointer = SqliteConnectOptions::from_str(&url)
            .expect("options")
            .busy_timeout(Duration::from_secs(5))
            .connect()
            .await
            .expect("checkpointer");
        let reset = tokio::spawn(async move {
            let done = checkpointer
                .execute("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .map(|_| ());
            let _ = checkpointer.close().await;
            done
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        txn.execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .expect("the write is not busy");
        txn.commit().await.expect("commit");
        reset
            .await
            .expect("task")
            .expect("the checkpoint ran after");
        let rows = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "SELECT COUNT(*) AS n FROM t",
            ))
            .await
            .expect("count")
            .expect("row")
            .try_get::<i64>("", "n")
            .expect("n");
        assert_eq!(rows, 2);
        assert_eq!(wal_bytes(&file), 0, "the WAL was reset after the commit");
    }

    fn wal_bytes(file: &std::path::Path) -> u64 {
        let mut wal = file.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    /// A writer that never pauses keeps a passive checkpoint from resetting the WAL; past the
    /// limit the checkpointer truncates it, and a small WAL is left alone.
    #[tokio::test]
    async fn a_wal_past_the_limit_is_reset() {
        let dir = std::env::temp_dir().join(format!("chorus-wal-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("wal.db");
        let options = wal(SqliteConnectOptions::new().filename(&file), false);
        let mut writer = options.connect().await.expect("writer");
        let mut checkpointer = options.connect().await.expect("checkpointer");
        writer
            .execute("PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (b BLOB)")
            .await
            .expect("schema");

        writer
            .execute("INSERT INTO t VALUES (randomblob(4000))")
            .await
            .expect("small write");
        checkpoint(&mut checkpointer).await.expect("checkpoint");
        assert!(
            wal_bytes(&file) > 0,
            "a small WAL is only copied, not reset"
        );

        let frames = WAL_RESET_FRAMES + 1000;
        sea_orm::sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
             INSERT INTO t SELECT randomblob(4000) FROM n",
        )
        .bind(frames)
        .execute(&mut writer)
        .await
        .expect("large write");
        let grown = wal_bytes(&file);
        assert!(grown > 64 << 20, "the WAL grew to {grown} bytes");
        checkpoint(&mut checkpointer).await.expect("checkpoint");
        assert_eq!(wal_bytes(&file), 0, "the WAL was truncated");
        let rows: i64 = sea_orm::sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut checkpointer)
            .await
            .expect("count");
        assert_eq!(rows, frames + 1, "nothing written was lost");

        let _ = writer.close().await;
        let _ = checkpointer.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
