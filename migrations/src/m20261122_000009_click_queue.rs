//! The click queue: the redirect's durable write becomes one narrow insert.
//!
//! A redirect commits its click to `click_queue` before answering; a folder moves queued clicks
//! into `clicks` and adds them to the unique-visitor ledger and every rollup in one transaction
//! per chunk, so the rollups' many index entries are touched once per share and day per chunk
//! instead of once per click. The queue has no secondary index and no foreign key: the hot
//! path pays for one B-tree append per click.
//!
//! On PostgreSQL the queue is a table here, and a fold deletes the chunk it folds in the same
//! transaction. On SQLite the queue is a database file of its own beside this one (created by
//! the server), so that appends never wait for a fold's write lock here; this database keeps the
//! highest queue id folded (`click_fold_state`), written in the fold's transaction, so a chunk
//! is never folded twice.
//!
//! Raw clicks are only read by the retention job, by time, so their two secondary indexes
//! (by organisation and time, by share and time) become one by time.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::columns::{index, text, text_null, ts, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            create_queue(m).await?;
        } else {
            m.create_table(
                Table::create()
                    .table(Alias::new("click_fold_state"))
                    .col(
                        ColumnDef::new(Alias::new("id"))
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Alias::new("folded_through"))
                            .big_integer()
                            .not_null(),
                    )
                    .take(),
            )
            .await?;
        }
        for name in ["ix_clicks_share", "ix_clicks_org_time"] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(Alias::new("clicks"))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(index("ix_clicks_time", "clicks", &["clicked_at"], false))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_clicks_time")
                .table(Alias::new("clicks"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_clicks_org_time",
            "clicks",
            &["org_id", "clicked_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_clicks_share",
            "clicks",
            &["share_id", "clicked_at"],
            false,
        ))
        .await?;
        let table = if m.get_database_backend() == DatabaseBackend::Postgres {
            "click_queue"
        } else {
            "click_fold_state"
        };
        m.drop_table(Table::drop().table(Alias::new(table)).to_owned())
            .await
    }
}

async fn create_queue(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("click_queue"))
            .col(
                ColumnDef::new(Alias::new("id"))
                    .big_integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(uuid("org_id"))
            .col(uuid("share_id"))
            .col(uuid("post_id"))
            .col(uuid_null("campaign_id"))
            .col(uuid_null("team_id"))
            .col(uuid_null("user_id"))
            .col(text("network"))
            .col(ts("clicked_at"))
            .col(text("day"))
            .col(text("visitor_hash"))
            .col(text_null("referrer_host"))
            .col(text("class"))
            .take(),
    )
    .await
}
