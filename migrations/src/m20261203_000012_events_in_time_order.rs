//! SQLite stores the recognition event inbox in the order the rule engine reads it: a table
//! without rowid whose key is (occurred_at, id), with `id` still unique. Events are written in
//! the order they are stored (roughly, but not exactly, the order in which they occurred) and
//! evaluated in (time, id) order; marking a batch processed then rewrites neighbouring rows on
//! a few pages instead of one row on each of thousands of pages spread over the whole table.
//! PostgreSQL keeps its heap table (an update writes a new row version wherever there is
//! room, whatever the order).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = "id, org_id, kind, user_id, team_id, dedupe_key, units, payload, \
                       occurred_at, created_at, processed_at";

/// Rebuilds `recognition_events` (SQLite cannot change a table's key in place), keyed by
/// (occurred_at, id) without rowid, or back to a rowid table keyed by id.
async fn rebuild(m: &SchemaManager<'_>, in_time_order: bool) -> Result<(), DbErr> {
    let key = if in_time_order {
        "PRIMARY KEY (occurred_at, id), UNIQUE (id)"
    } else {
        "PRIMARY KEY (id)"
    };
    let options = if in_time_order { " WITHOUT ROWID" } else { "" };
    let db = m.get_connection();
    db.execute_unprepared(&format!(
        "CREATE TABLE recognition_events_rebuilt ( \
         \"id\" uuid_text NOT NULL, \"org_id\" uuid_text NOT NULL, \"kind\" text NOT NULL, \
         \"user_id\" uuid_text NOT NULL, \"team_id\" uuid_text NULL, \
         \"dedupe_key\" text NOT NULL, \"units\" integer NOT NULL DEFAULT 0, \
         \"payload\" json_text NOT NULL, \
         \"occurred_at\" timestamp_with_timezone_text NOT NULL, \
         \"created_at\" timestamp_with_timezone_text NOT NULL, \
         \"processed_at\" timestamp_with_timezone_text NULL, {key}, \
         FOREIGN KEY (\"org_id\") REFERENCES \"organisations\" (\"id\") ON DELETE CASCADE \
         ){options}"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO recognition_events_rebuilt ({COLUMNS}) \
         SELECT {COLUMNS} FROM recognition_events ORDER BY occurred_at, id"
    ))
    .await?;
    db.execute_unprepared("DROP TABLE recognition_events")
        .await?;
    db.execute_unprepared("ALTER TABLE recognition_events_rebuilt RENAME TO recognition_events")
        .await?;
    for index in [
        "CREATE UNIQUE INDEX ux_recognition_events_dedupe \
         ON recognition_events (org_id, dedupe_key)",
        "CREATE INDEX ix_recognition_events_org_time ON recognition_events (org_id, occurred_at)",
        "CREATE INDEX ix_recognition_events_unprocessed \
         ON recognition_events (occurred_at, id) WHERE processed_at IS NULL",
    ] {
        db.execute_unprepared(index).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        rebuild(m, true).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        rebuild(m, false).await
    }
}
