//! Fewer index entries for each award the rule engine writes:
//! - The unique key on a transaction's `reverses_id` only needs the reversals: it becomes a
//!   partial index over the rows that reverse something, so the other transactions (almost
//!   all of them) add no entry to it. Reversals are still unique per original.
//! - SQLite stores `rule_awards` as a table without rowid keyed by its unique key
//!   (organisation, rule, occurred_at, event, recipient), with `id` still unique: an award is
//!   written to two B-trees instead of three (the rowid table, the `id` key and the award key).
//!   PostgreSQL keeps its heap table and the unique index.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const AWARD_COLUMNS: &str = "id, org_id, rule_id, rule_version, event_id, recipient_id, \
                             team_id, requested_points, points, limited_by, transaction_id, \
                             occurred_at, created_at";

/// Rebuilds `rule_awards` on SQLite (which cannot change a table's key in place): keyed by the
/// award key without rowid, or back to a rowid table keyed by id with the award key as a unique
/// index.
async fn rebuild_awards(m: &SchemaManager<'_>, by_award_key: bool) -> Result<(), DbErr> {
    let (key, options) = if by_award_key {
        (
            "PRIMARY KEY (org_id, rule_id, occurred_at, event_id, recipient_id), UNIQUE (id)",
            " WITHOUT ROWID",
        )
    } else {
        ("PRIMARY KEY (id)", "")
    };
    let db = m.get_connection();
    db.execute_unprepared(&format!(
        "CREATE TABLE rule_awards_rebuilt ( \
         \"id\" uuid_text NOT NULL, \"org_id\" uuid_text NOT NULL, \
         \"rule_id\" uuid_text NOT NULL, \"rule_version\" integer NOT NULL DEFAULT 0, \
         \"event_id\" uuid_text NOT NULL, \"recipient_id\" uuid_text NOT NULL, \
         \"team_id\" uuid_text NULL, \"requested_points\" integer NOT NULL DEFAULT 0, \
         \"points\" integer NOT NULL DEFAULT 0, \"limited_by\" text NULL, \
         \"transaction_id\" uuid_text NULL, \
         \"occurred_at\" timestamp_with_timezone_text NOT NULL, \
         \"created_at\" timestamp_with_timezone_text NOT NULL, {key}, \
         FOREIGN KEY (\"org_id\") REFERENCES \"organisations\" (\"id\") ON DELETE CASCADE \
         ){options}"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO rule_awards_rebuilt ({AWARD_COLUMNS}) \
         SELECT {AWARD_COLUMNS} FROM rule_awards \
         ORDER BY org_id, rule_id, occurred_at, event_id, recipient_id"
    ))
    .await?;
    db.execute_unprepared("DROP TABLE rule_awards").await?;
    db.execute_unprepared("ALTER TABLE rule_awards_rebuilt RENAME TO rule_awards")
        .await?;
    if !by_award_key {
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_rule_awards_key \
             ON rule_awards (org_id, rule_id, occurred_at, event_id, recipient_id)",
        )
        .await?;
    }
    Ok(())
}

/// Replaces the unique key on `reverses_id` with one over all rows or, `partial`, over the
/// reversals only (same syntax on SQLite and PostgreSQL).
async fn reverses_key(m: &SchemaManager<'_>, partial: bool) -> Result<(), DbErr> {
    m.drop_index(
        Index::drop()
            .name("ux_points_transactions_reverses")
            .table(Alias::new("points_transactions"))
            .to_owned(),
    )
    .await?;
    let filter = if partial {
        " WHERE reverses_id IS NOT NULL"
    } else {
        ""
    };
    m.get_connection()
        .execute_unprepared(&format!(
            "CREATE UNIQUE INDEX ux_points_transactions_reverses \
             ON points_transactions (org_id, reverses_id){filter}"
        ))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        reverses_key(m, true).await?;
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            rebuild_awards(m, true).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            rebuild_awards(m, false).await?;
        }
        reverses_key(m, false).await
    }
}
