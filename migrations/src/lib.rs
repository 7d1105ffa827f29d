//! Chorus schema history. Each migration describes tables as they were at that point in time
//! and never imports the server's entities, so history stays replayable as the code evolves.
//!
//! Conventions: every tenant-owned table carries `org_id` as its leading key (so that a
//! distributed PostgreSQL can shard by organisation); global tables are `organisations` and
//! `job_runs`. Timestamps are UTC with time zone.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261121_000001_foundation;
mod m20261121_000002_advocacy;
mod m20261121_000003_recognition;
mod m20261121_000004_reach_indexes;
mod m20261122_000005_badges;
mod m20261122_000006_reach_aggregates;
mod m20261122_000007_click_partitions;
mod m20261122_000008_pending_events_index;
mod m20261122_000009_click_queue;
mod m20261122_000010_reach_team_daily;
mod m20261203_000011_rule_cap_usage;
mod m20261203_000012_events_in_time_order;
mod m20261203_000013_lean_rule_writes;
mod m20261204_000014_click_batches;
mod m20261204_000015_visitor_ledger_without_rowid;
mod m20261204_000016_lean_click_fold;
mod m20261204_000017_clicks_follow_organisations;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_advocacy::Migration),
            Box::new(m20261121_000003_recognition::Migration),
            Box::new(m20261121_000004_reach_indexes::Migration),
            Box::new(m20261122_000005_badges::Migration),
            Box::new(m20261122_000006_reach_aggregates::Migration),
            Box::new(m20261122_000007_click_partitions::Migration),
            Box::new(m20261122_000008_pending_events_index::Migration),
            Box::new(m20261122_000009_click_queue::Migration),
            Box::new(m20261122_000010_reach_team_daily::Migration),
            Box::new(m20261203_000011_rule_cap_usage::Migration),
            Box::new(m20261203_000012_events_in_time_order::Migration),
            Box::new(m20261203_000013_lean_rule_writes::Migration),
            Box::new(m20261204_000014_click_batches::Migration),
            Box::new(m20261204_000015_visitor_ledger_without_rowid::Migration),
            Box::new(m20261204_000016_lean_click_fold::Migration),
            Box::new(m20261204_000017_clicks_follow_organisations::Migration),
        ]
    }
}
