//! Covering index for the reach views: every rollup column they read, led by organisation and
//! day, so a dashboard reads the index alone instead of looking up each rollup row. It makes the
//! narrower rollup indexes redundant; those, and the per-share click index nothing reads, are
//! dropped because every index is written on the redirect's hot path.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 11] = [
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
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut index = Index::create();
        index
            .name("ix_reach_daily_cover")
            .table(Alias::new("reach_daily"));
        for column in COLUMNS {
            index.col(Alias::new(column));
        }
        m.create_index(index.take()).await?;
        m.drop_index(
            Index::drop()
                .name("ix_reach_daily_org_day")
                .table(Alias::new("reach_daily"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in [
            (
                "ix_reach_daily_org_day",
                "reach_daily",
                &["org_id", "day"][..],
            ),
            (
                "ix_reach_daily_team_day",
                "reach_daily",
                &["org_id", "team_id", "day"][..],
            ),
            (
                "ix_reach_daily_user_day",
                "reach_daily",
                &["org_id", "user_id", "day"][..],
            ),
            ("ix_clicks_share", "clicks", &["share_id", "clicked_at"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alias::new(table));
            for column in columns {
                index.col(Alias::new(*column));
            }
            m.create_index(index.take()).await?;
        }
        m.drop_index(
            Index::drop()
                .name("ix_reach_daily_cover")
                .table(Alias::new("reach_daily"))
                .to_owned(),
        )
        .await
    }
}
