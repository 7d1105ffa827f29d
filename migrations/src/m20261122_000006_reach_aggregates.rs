//! Pre-aggregates so that a dashboard reads rows in proportion to what it shows, not to the
//! clicks behind it:
//!
//! - `share_reach`: one row per share with its click counters to date and the first and last
//!   day it was clicked. A share whose clicks all fall inside a dashboard window is read as one
//!   row; only shares clicked on both sides of a window edge are read day by day.
//! - `reach_org_daily`: counters per organisation, day and network, for the organisation-wide
//!   time series (a few hundred rows for 90 days, whatever the number of shares).
//!
//! Both are maintained by the click writer in the same transaction as the raw clicks and the
//! daily rollup, and are filled here from the existing rollup. The wide covering index on the
//! daily rollup is replaced by one led by team, which is what team-scoped series filter on.

use sea_orm_migration::prelude::*;

use crate::columns::{big, index, org, text, uuid, uuid_null};

/// `ix_reach_daily_team_cover`, which migration 16 drops again (and restores on `down`).
pub(crate) fn team_cover() -> IndexCreateStatement {
    index(
        "ix_reach_daily_team_cover",
        "reach_daily",
        &[
            "org_id",
            "team_id",
            "day",
            "network",
            "human_clicks",
            "bot_hits",
            "unique_visitors",
        ],
        false,
    )
}

#[derive(DeriveMigrationName)]
pub struct Migration;

const COUNTERS: [&str; 4] = ["human_clicks", "bot_hits", "self_clicks", "unique_visitors"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut share_reach = Table::create();
        share_reach
            .table(Alias::new("share_reach"))
            .col(uuid("org_id"))
            .col(uuid("share_id"))
            .col(uuid("post_id"))
            .col(uuid_null("campaign_id"))
            .col(uuid_null("team_id"))
            .col(uuid_null("user_id"))
            .col(text("network"));
        for counter in COUNTERS {
            share_reach.col(big(counter));
        }
        share_reach
            .col(text("first_day"))
            .col(text("last_day"))
            .primary_key(
                Index::create()
                    .col(Alias::new("org_id"))
                    .col(Alias::new("share_id")),
            )
            .foreign_key(&mut org("share_reach"));
        m.create_table(share_reach.take()).await?;
        m.create_index(index(
            "ix_share_reach_last",
            "share_reach",
            &["org_id", "last_day"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_share_reach_team_last",
            "share_reach",
            &["org_id", "team_id", "last_day"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_share_reach_user_last",
            "share_reach",
            &["org_id", "user_id", "last_day"],
            false,
        ))
        .await?;

        // Team dashboards read the shares a team made in the window.
        m.create_index(index(
            "ix_shares_team_time",
            "shares",
            &["org_id", "team_id", "created_at"],
            false,
        ))
        .await?;

        let mut org_daily = Table::create();
        org_daily
            .table(Alias::new("reach_org_daily"))
            .col(uuid("org_id"))
            .col(text("day"))
            .col(text("network"));
        for counter in COUNTERS {
            org_daily.col(big(counter));
        }
        org_daily
            .primary_key(
                Index::create()
                    .col(Alias::new("org_id"))
                    .col(Alias::new("day"))
                    .col(Alias::new("network")),
            )
            .foreign_key(&mut org("reach_org_daily"));
        m.create_table(org_daily.take()).await?;

        let sums = COUNTERS.map(|c| format!("SUM({c})")).join(", ");
        let counters = COUNTERS.join(", ");
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO share_reach (org_id, share_id, post_id, campaign_id, team_id, user_id, network, \
             {counters}, first_day, last_day) \
             SELECT org_id, share_id, post_id, campaign_id, team_id, user_id, network, \
             {sums}, MIN(day), MAX(day) FROM reach_daily \
             GROUP BY org_id, share_id, post_id, campaign_id, team_id, user_id, network"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO reach_org_daily (org_id, day, network, {counters}) \
             SELECT org_id, day, network, {sums} FROM reach_daily GROUP BY org_id, day, network"
        ))
        .await?;

        m.create_index(team_cover()).await?;
        m.drop_index(
            Index::drop()
                .name("ix_reach_daily_cover")
                .table(Alias::new("reach_daily"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "ix_reach_daily_cover",
            "reach_daily",
            &[
                "org_id",
                "day",
                "network",
                "team_id",
                "campaign_id",
                "post_id",
                "user_id",
                "share_id",
                "human_clicks",
                "bot_hits",
                "unique_visitors",
            ],
            false,
        ))
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_reach_daily_team_cover")
                .table(Alias::new("reach_daily"))
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_shares_team_time")
                .table(Alias::new("shares"))
                .to_owned(),
        )
        .await?;
        for table in ["reach_org_daily", "share_reach"] {
            m.drop_table(Table::drop().table(Alias::new(table)).take())
                .await?;
        }
        Ok(())
    }
}
