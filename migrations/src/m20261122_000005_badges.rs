//! Badges and the reward-rule processor lease.
//!
//! - `badges`: definitions administrators manage (a criterion such as a weekly sharing streak
//!   and a threshold), versioned on every change and archived rather than deleted.
//! - `badge_awards`: one row per (organisation, person, badge), with the evidence (the numbers
//!   that met the criterion) and the badge version that awarded it.
//! - `processor_leases`: a named lease that one server holds while it evaluates the recognition
//!   event inbox, renewed inside every batch transaction, so two servers never evaluate at once.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(tenant_table(
            "badges",
            vec![
                text("name"),
                text("description"),
                text("criterion"),
                big("threshold"),
                text("status"),
                int("version"),
                uuid_null("created_by"),
                ts("created_at"),
                ts("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ix_badges_org",
            "badges",
            &["org_id", "status"],
            false,
        ))
        .await?;

        m.create_table(tenant_table(
            "badge_awards",
            vec![
                uuid("badge_id"),
                int("badge_version"),
                uuid("user_id"),
                json("evidence"),
                ts("awarded_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ux_badge_awards_user_badge",
            "badge_awards",
            &["org_id", "user_id", "badge_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_badge_awards_badge",
            "badge_awards",
            &["org_id", "badge_id"],
            false,
        ))
        .await?;

        // The inbox is read in (time, id) order among pending events; with the id in the
        // index the next batch is a range read instead of a sort of everything pending.
        m.create_index(index(
            "ix_recognition_events_pending_order",
            "recognition_events",
            &["processed_at", "occurred_at", "id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("processor_leases"))
                .col(
                    ColumnDef::new(Alias::new("name"))
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(uuid_null("holder"))
                .col(ts("expires_at"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_recognition_events_pending_order")
                .table(Alias::new("recognition_events"))
                .to_owned(),
        )
        .await?;
        for table in ["processor_leases", "badge_awards", "badges"] {
            m.drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
