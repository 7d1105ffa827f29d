//! PostgreSQL queues clicks one batch per row.
//!
//! The click writer commits each batch of concurrent redirects as one row of `click_batches`
//! (the batch's clicks as one JSON array, and how many there are) instead of one
//! `click_queue` row per click: the redirect's durable write no longer parses a row of JSON per
//! column per click, takes a sequence value per click, or adds a heap tuple and an index entry
//! per click that the folder deletes a moment later. The folder claims whole batches and reads
//! their clicks back in its statement. Rows up to a page's worth stay in the table (no TOAST,
//! no compression); longer ones are stored out of line, uncompressed.
//!
//! Clicks queued when the migration runs move into batches of up to 1,000, in queue order.
//! SQLite is unchanged: its queue is the click log.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A queued click as the folder reads it: the queue columns as one JSON array.
const ROW: &str = "json_build_array(org_id, share_id, post_id, campaign_id, team_id, user_id, \
                   network, clicked_at, day, visitor_hash, referrer_host, class)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE TABLE click_batches (id bigserial PRIMARY KEY, clicks integer NOT NULL, \
             rows text NOT NULL) WITH (toast_tuple_target = 8160)",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE click_batches ALTER COLUMN rows SET STORAGE EXTERNAL")
            .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO click_batches (clicks, rows) \
             SELECT COUNT(*), json_agg({ROW} ORDER BY id)::text FROM click_queue \
             GROUP BY id / 1000 ORDER BY MIN(id)"
        ))
        .await?;
        db.execute_unprepared("DROP TABLE click_queue").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE TABLE click_queue (id bigserial PRIMARY KEY, org_id uuid NOT NULL, \
             share_id uuid NOT NULL, post_id uuid NOT NULL, campaign_id uuid, team_id uuid, \
             user_id uuid, network text NOT NULL, clicked_at timestamptz NOT NULL, \
             day text NOT NULL, visitor_hash text NOT NULL, referrer_host text, class text NOT NULL)",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO click_queue (org_id, share_id, post_id, campaign_id, team_id, user_id, \
             network, clicked_at, day, visitor_hash, referrer_host, class) \
             SELECT (e->>0)::uuid, (e->>1)::uuid, (e->>2)::uuid, (e->>3)::uuid, (e->>4)::uuid, \
             (e->>5)::uuid, e->>6, (e->>7)::timestamptz, e->>8, e->>9, e->>10, e->>11 \
             FROM click_batches b, jsonb_array_elements(b.rows::jsonb) WITH ORDINALITY AS r(e, n) \
             ORDER BY b.id, r.n",
        )
        .await?;
        db.execute_unprepared("DROP TABLE click_batches").await?;
        Ok(())
    }
}
