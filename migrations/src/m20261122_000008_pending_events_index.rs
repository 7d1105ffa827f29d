//! The rule engine reads the event inbox as "unprocessed events in (time, id) order" and then
//! marks what it read as processed. A partial index over the unprocessed events only, in that
//! order, answers the read without sorting and shrinks to nothing as events are processed:
//! marking an event only removes its entry, where the two former indexes led by processed_at
//! moved every processed event to another place in each index and kept it there for good.
//! Nothing else reads recognition events by processed_at first (the back-fill and the preview
//! read by organisation and time).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Same syntax on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_recognition_events_unprocessed \
                 ON recognition_events (occurred_at, id) WHERE processed_at IS NULL",
            )
            .await?;
        for name in [
            "ix_recognition_events_pending",
            "ix_recognition_events_pending_order",
        ] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(Alias::new("recognition_events"))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in [
            (
                "ix_recognition_events_pending",
                &["processed_at", "occurred_at"][..],
            ),
            (
                "ix_recognition_events_pending_order",
                &["processed_at", "occurred_at", "id"][..],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alias::new("recognition_events"));
            for column in columns {
                index.col(Alias::new(*column));
            }
            m.create_index(index.take()).await?;
        }
        m.drop_index(
            Index::drop()
                .name("ix_recognition_events_unprocessed")
                .table(Alias::new("recognition_events"))
                .to_owned(),
        )
        .await
    }
}
