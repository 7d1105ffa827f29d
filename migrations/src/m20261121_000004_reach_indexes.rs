//! Covering index for the reach views: every rollup column they read, led by organisation and
//! day, so a dashboard reads the index alone instead of looking up each rollup row.

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
        m.create_index(
            Index::create()
                .name("ix_reach_daily_org_day")
                .table(Alias::new("reach_daily"))
                .col(Alias::new("org_id"))
                .col(Alias::new("day"))
                .take(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_reach_daily_cover")
                .table(Alias::new("reach_daily"))
                .to_owned(),
        )
        .await
    }
}
