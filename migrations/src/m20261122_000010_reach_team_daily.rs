//! `reach_team_daily`: click counters per organisation, team, day and network, so that team
//! series and team dashboards read a few rows per team and day instead of every share's daily
//! rollup. Shares without a team have no row (team views never cover them). Maintained by the
//! click folder in the same transaction as the daily rollup; filled here from the rollup.

use sea_orm_migration::prelude::*;

use crate::columns::{big, org, text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COUNTERS: [&str; 4] = ["human_clicks", "bot_hits", "self_clicks", "unique_visitors"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Alias::new("reach_team_daily"))
            .col(uuid("org_id"))
            .col(uuid("team_id"))
            .col(text("day"))
            .col(text("network"));
        for counter in COUNTERS {
            table.col(big(counter));
        }
        table
            .primary_key(
                Index::create()
                    .col(Alias::new("org_id"))
                    .col(Alias::new("team_id"))
                    .col(Alias::new("day"))
                    .col(Alias::new("network")),
            )
            .foreign_key(&mut org("reach_team_daily"));
        m.create_table(table.take()).await?;
        let sums = COUNTERS.map(|c| format!("SUM({c})")).join(", ");
        let counters = COUNTERS.join(", ");
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO reach_team_daily (org_id, team_id, day, network, {counters}) \
                 SELECT org_id, team_id, day, network, {sums} FROM reach_daily \
                 WHERE team_id IS NOT NULL GROUP BY org_id, team_id, day, network"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("reach_team_daily")).take())
            .await
    }
}
