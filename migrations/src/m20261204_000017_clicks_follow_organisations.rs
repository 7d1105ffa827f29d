//! PostgreSQL: raw clicks follow their organisation by a trigger instead of a foreign key.
//!
//! The foreign key from `clicks.org_id` to `organisations` checked every raw click as the
//! folder inserted it, one lookup through the trigger machinery per click: about a tenth of
//! the database's work per redirect under load. A click's organisation comes from its share,
//! read from the database, so the check never found anything. What the key also did, taking an
//! organisation's clicks with it when the organisation is deleted, a row trigger on
//! `organisations` now does. SQLite keeps its key (a cheap check there, and SQLite cannot drop a
//! constraint without rebuilding the table).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        m.get_connection()
            .execute_unprepared(
                "DO $$ DECLARE c text; BEGIN \
                   FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'clicks'::regclass \
                     AND contype = 'f' AND confrelid = 'organisations'::regclass AND conparentid = 0 \
                   LOOP EXECUTE format('ALTER TABLE clicks DROP CONSTRAINT %I', c); END LOOP; \
                 END $$; \
                 CREATE OR REPLACE FUNCTION chorus_clicks_follow_organisation() RETURNS trigger \
                   LANGUAGE plpgsql AS $$ BEGIN DELETE FROM clicks WHERE org_id = OLD.id; RETURN OLD; END $$; \
                 CREATE TRIGGER organisations_delete_clicks AFTER DELETE ON organisations \
                   FOR EACH ROW EXECUTE FUNCTION chorus_clicks_follow_organisation();",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        m.get_connection()
            .execute_unprepared(
                "DROP TRIGGER IF EXISTS organisations_delete_clicks ON organisations; \
                 DROP FUNCTION IF EXISTS chorus_clicks_follow_organisation(); \
                 ALTER TABLE clicks ADD CONSTRAINT clicks_org_id_fkey FOREIGN KEY (org_id) \
                   REFERENCES organisations (id) ON DELETE CASCADE;",
            )
            .await?;
        Ok(())
    }
}
