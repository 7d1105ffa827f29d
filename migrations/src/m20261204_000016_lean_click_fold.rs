//! Two changes that make folding clicks into the rollups cheaper.
//!
//! - `ix_reach_daily_team_cover` is dropped. Team series and team dashboards read
//!   `reach_team_daily` since migration 10, so nothing reads the index any more. It held three
//!   counters, so every fold rewrote an entry of it for every share it touched. On PostgreSQL it
//!   also kept every counter update from being a heap-only update.
//! - SQLite keeps the newest part of the unique-visitor ledger in memory and adds it to
//!   `click_visitors` in bulk (see `recorder`). `click_fold_state` row 3 records the last raw
//!   click whose visitor the table holds; every click there now is.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::m20261122_000006_reach_aggregates::team_cover;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `click_fold_state` row of the visitor ledger (as `recorder` names it).
const LEDGER_STATE: i64 = 3;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_reach_daily_team_cover")
                .table(Alias::new("reach_daily"))
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            m.get_connection()
                .execute_unprepared(&format!(
                    "INSERT INTO click_fold_state (id, folded_through) \
                     SELECT {LEDGER_STATE}, COALESCE(MAX(id), 0) FROM clicks WHERE true \
                     ON CONFLICT (id) DO UPDATE SET folded_through = excluded.folded_through"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            // Visitors a server held in memory when it stopped without adding them.
            let db = m.get_connection();
            db.execute_unprepared(&format!(
                "INSERT OR IGNORE INTO click_visitors (org_id, share_id, day, visitor_hash) \
                 SELECT org_id, share_id, day, visitor_hash FROM clicks \
                 WHERE class = 'human' AND id > COALESCE((SELECT folded_through \
                 FROM click_fold_state WHERE id = {LEDGER_STATE}), 0)"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "DELETE FROM click_fold_state WHERE id = {LEDGER_STATE}"
            ))
            .await?;
        }
        m.create_index(team_cover()).await
    }
}
