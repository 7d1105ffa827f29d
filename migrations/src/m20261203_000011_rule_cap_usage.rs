//! Reward-rule cap accounting from counters, and award keys in evaluation order.
//!
//! - `rule_cap_usage`: points each rule awarded each recipient per calendar day, ISO week and
//!   month (UTC; keys `day:2026-11-21`, `week:2026-W47`, `month:2026-11`, the rule engine's
//!   period keys), maintained by the rule engine in the same transaction as the awards and
//!   filled here from the awards. Caps read a few counters per recipient instead of every award
//!   of the period, so the per-recipient award index (`ix_rule_awards_recipient`), which only
//!   the cap accounting read, is dropped.
//! - The unique award key becomes (organisation, rule, occurred_at, event, recipient): still
//!   one award per (rule, event, recipient), since an award's `occurred_at` is its event's, but
//!   ordered as the engine evaluates the inbox (by time), so new keys land at the end of the
//!   index instead of at random places (event ids follow the order events were written in,
//!   which is not the order in which they occurred).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::columns::{big, index, org, text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The period key expressions (UTC) of `occurred_at`, per backend.
fn period_keys(backend: DatabaseBackend) -> [String; 3] {
    if backend == DatabaseBackend::Postgres {
        let utc = "(occurred_at AT TIME ZONE 'UTC')";
        [
            format!("'day:' || to_char({utc}, 'YYYY-MM-DD')"),
            format!("'week:' || to_char({utc}, 'IYYY-\"W\"IW')"),
            format!("'month:' || to_char({utc}, 'YYYY-MM')"),
        ]
    } else {
        [
            "'day:' || strftime('%Y-%m-%d', occurred_at)".to_owned(),
            // The ISO week's year and number are those of its Thursday (SQLite before 3.46
            // has no `%G`/`%V`).
            "'week:' || strftime('%Y', date(occurred_at, '-3 days', 'weekday 4')) || '-W' || \
             printf('%02d', (CAST(strftime('%j', date(occurred_at, '-3 days', 'weekday 4')) \
             AS INTEGER) - 1) / 7 + 1)"
                .to_owned(),
            "'month:' || strftime('%Y-%m', occurred_at)".to_owned(),
        ]
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("rule_cap_usage"))
                .col(uuid("org_id"))
                .col(uuid("rule_id"))
                .col(text("period"))
                .col(uuid("recipient_id"))
                .col(big("points"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("org_id"))
                        .col(Alias::new("rule_id"))
                        .col(Alias::new("period"))
                        .col(Alias::new("recipient_id")),
                )
                .foreign_key(&mut org("rule_cap_usage"))
                .take(),
        )
        .await?;
        let db = m.get_connection();
        for key in period_keys(m.get_database_backend()) {
            db.execute_unprepared(&format!(
                "INSERT INTO rule_cap_usage (org_id, rule_id, period, recipient_id, points) \
                 SELECT org_id, rule_id, {key}, recipient_id, SUM(points) FROM rule_awards \
                 WHERE points > 0 GROUP BY org_id, rule_id, {key}, recipient_id"
            ))
            .await?;
        }
        for name in ["ux_rule_awards_key", "ix_rule_awards_recipient"] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(Alias::new("rule_awards"))
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(index(
            "ux_rule_awards_key",
            "rule_awards",
            &[
                "org_id",
                "rule_id",
                "occurred_at",
                "event_id",
                "recipient_id",
            ],
            true,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_rule_awards_key")
                .table(Alias::new("rule_awards"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_rule_awards_key",
            "rule_awards",
            &["org_id", "rule_id", "event_id", "recipient_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_rule_awards_recipient",
            "rule_awards",
            &["org_id", "rule_id", "recipient_id", "occurred_at"],
            false,
        ))
        .await?;
        m.drop_table(Table::drop().table(Alias::new("rule_cap_usage")).take())
            .await
    }
}
