//! Recognition: the double-entry points ledger (accounts, transactions, entries), the durable
//! event inbox that reward rules read, versioned reward rules and the awards they made, company
//! values and allowance policies, peer thanks with reactions, manager spot awards, and the
//! rewards catalogue with redemptions.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A tenant table with a uuid `id`, `org_id` and the given columns.
fn table(name: &str, columns: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).col(id("id")).col(uuid("org_id"));
    for mut c in columns {
        t.col(&mut c);
    }
    t.foreign_key(&mut org(name));
    t.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Per-organisation recognition settings (one row, created on first change).
        m.create_table(
            Table::create()
                .table(Alias::new("recognition_settings"))
                .col(
                    ColumnDef::new(Alias::new("org_id"))
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(big("thanks_max_points"))
                .col(int("pair_limit_per_period"))
                .col(text("pair_limit_period"))
                .col(big("manager_budget"))
                .col(text("manager_budget_period"))
                .col(big_null("spot_approval_threshold"))
                .col(ts("updated_at"))
                .foreign_key(&mut org("recognition_settings"))
                .take(),
        )
        .await?;

        m.create_table(table(
            "company_values",
            vec![
                text("name"),
                text("description"),
                flag("active", true),
                ts("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ux_company_values_name",
            "company_values",
            &["org_id", "name"],
            true,
        ))
        .await?;

        // Giving allowance per period for everyone, a role or a team (most specific wins).
        m.create_table(table(
            "allowance_policies",
            vec![
                uuid_null("team_id"),
                text_null("role"),
                text("period"),
                big("amount"),
                ts("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ix_allowance_policies_org",
            "allowance_policies",
            &["org_id"],
            false,
        ))
        .await?;

        // The ledger. An account is identified by (org, kind, owner, period); organisation-level
        // accounts are owned by the organisation itself. Balances are maintained in the same
        // transaction as the entries that change them.
        m.create_table(table(
            "points_accounts",
            vec![
                text("kind"),
                uuid("owner_id"),
                text("period"),
                big("balance"),
                flag("may_go_negative", false),
                ts("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ux_points_accounts_key",
            "points_accounts",
            &["org_id", "kind", "owner_id", "period"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_points_accounts_owner",
            "points_accounts",
            &["org_id", "owner_id"],
            false,
        ))
        .await?;

        m.create_table(table(
            "points_transactions",
            vec![
                text("kind"),
                text("idempotency_key"),
                uuid_null("actor_id"),
                text("reason"),
                json("explain"),
                uuid_null("reverses_id"),
                ts("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ux_points_transactions_key",
            "points_transactions",
            &["org_id", "idempotency_key"],
            true,
        ))
        .await?;
        // A transaction is reversed at most once.
        m.create_index(index(
            "ux_points_transactions_reverses",
            "points_transactions",
            &["org_id", "reverses_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_points_transactions_kind",
            "points_transactions",
            &["org_id", "kind", "created_at"],
            false,
        ))
        .await?;

        m.create_table(table(
            "points_entries",
            vec![
                uuid("transaction_id"),
                uuid("account_id"),
                big("amount"),
                ts("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ix_points_entries_account",
            "points_entries",
            &["org_id", "account_id", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_points_entries_transaction",
            "points_entries",
            &["org_id", "transaction_id"],
            false,
        ))
        .await?;

        // The durable event inbox that reward rules read.
        m.create_table(table(
            "recognition_events",
            vec![
                text("kind"),
                uuid("user_id"),
                uuid_null("team_id"),
                text("dedupe_key"),
                big("units"),
                json("payload"),
                ts("occurred_at"),
                ts("created_at"),
                ts_null("processed_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ux_recognition_events_dedupe",
            "recognition_events",
            &["org_id", "dedupe_key"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_recognition_events_pending",
            "recognition_events",
            &["processed_at", "occurred_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_recognition_events_org_time",
            "recognition_events",
            &["org_id", "occurred_at"],
            false,
        ))
        .await?;

        m.create_table(table(
            "reward_rules",
            vec![
                text("name"),
                text("status"),
                int("current_version"),
                big_null("budget"),
                flag("budget_alerted", false),
                uuid_null("created_by"),
                ts("created_at"),
                ts("updated_at"),
            ],
        ))
        .await?;
        m.create_table(table(
            "reward_rule_versions",
            vec![
                uuid("rule_id"),
                int("version"),
                json("document"),
                ts("starts_at"),
                flag("backfill_pending", false),
                uuid_null("created_by"),
                ts("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ux_reward_rule_versions",
            "reward_rule_versions",
            &["org_id", "rule_id", "version"],
            true,
        ))
        .await?;

        // One row per (rule, event, recipient): the idempotency record of rule awards, kept
        // also for attempts that were capped to zero.
        m.create_table(table(
            "rule_awards",
            vec![
                uuid("rule_id"),
                int("rule_version"),
                uuid("event_id"),
                uuid("recipient_id"),
                uuid_null("team_id"),
                big("requested_points"),
                big("points"),
                text_null("limited_by"),
                uuid_null("transaction_id"),
                ts("occurred_at"),
                ts("created_at"),
            ],
        ))
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

        m.create_table(table(
            "thanks",
            vec![
                uuid("giver_id"),
                uuid("recipient_id"),
                big("points"),
                text("message"),
                uuid_null("value_id"),
                flag("private", false),
                text("period"),
                uuid_null("transaction_id"),
                ts("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ix_thanks_giver",
            "thanks",
            &["org_id", "giver_id", "period"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_thanks_recipient",
            "thanks",
            &["org_id", "recipient_id", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_thanks_wall",
            "thanks",
            &["org_id", "created_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("thanks_reactions"))
                .col(uuid("org_id"))
                .col(uuid("thanks_id"))
                .col(uuid("user_id"))
                .col(text("emoji"))
                .col(ts("created_at"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("org_id"))
                        .col(Alias::new("thanks_id"))
                        .col(Alias::new("user_id"))
                        .col(Alias::new("emoji")),
                )
                .foreign_key(&mut org("thanks_reactions"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("recognition_preferences"))
                .col(uuid("org_id"))
                .col(
                    ColumnDef::new(Alias::new("user_id"))
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(flag("email_on_thanks", true))
                .col(ts("updated_at"))
                .foreign_key(&mut org("recognition_preferences"))
                .take(),
        )
        .await?;

        m.create_table(table(
            "spot_awards",
            vec![
                uuid("manager_id"),
                uuid("recipient_id"),
                big("points"),
                text("reason"),
                text("status"),
                text("period"),
                uuid_null("decided_by"),
                ts_null("decided_at"),
                ts("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ix_spot_awards_status",
            "spot_awards",
            &["org_id", "status", "created_at"],
            false,
        ))
        .await?;

        m.create_table(table(
            "rewards",
            vec![
                text("name"),
                text("description"),
                big("cost"),
                big_null("stock"),
                int("per_user_limit"),
                text("limit_period"),
                flag("active", true),
                ts("created_at"),
                ts("updated_at"),
            ],
        ))
        .await?;
        m.create_table(table(
            "redemptions",
            vec![
                uuid("reward_id"),
                uuid("user_id"),
                big("cost"),
                text("status"),
                text("period"),
                text_null("note"),
                uuid_null("decided_by"),
                ts_null("decided_at"),
                ts("created_at"),
                ts("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ix_redemptions_status",
            "redemptions",
            &["org_id", "status", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_redemptions_user",
            "redemptions",
            &["org_id", "user_id", "reward_id", "period"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "redemptions",
            "rewards",
            "spot_awards",
            "recognition_preferences",
            "thanks_reactions",
            "thanks",
            "rule_awards",
            "reward_rule_versions",
            "reward_rules",
            "recognition_events",
            "points_entries",
            "points_transactions",
            "points_accounts",
            "allowance_policies",
            "company_values",
            "recognition_settings",
        ] {
            m.drop_table(Table::drop().table(Alias::new(table)).take())
                .await?;
        }
        Ok(())
    }
}
