//! Advocacy: campaigns, posts and suggestions, consent, linked networks, shares, engagement
//! reports, integration tokens, tracked clicks with daily visitor salts, and the daily rollup
//! that dashboards read instead of raw clicks.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("campaigns"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(text("name"))
                .col(text("slug"))
                .col(text("description"))
                .col(ts("starts_at"))
                .col(ts_null("ends_at"))
                .col(
                    ColumnDef::new(Alias::new("goal_human_clicks"))
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(Alias::new("points_multiplier"))
                        .double()
                        .not_null()
                        .default(1.0),
                )
                .col(json("target_team_ids"))
                .col(uuid_null("created_by"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(ts_null("archived_at"))
                .foreign_key(&mut org("campaigns"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_campaigns_slug",
            "campaigns",
            &["org_id", "slug"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("posts"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(text("title"))
                .col(text("url"))
                .col(text("summary"))
                .col(text_null("image_url"))
                .col(json("tags"))
                .col(json("suggested_texts"))
                .col(uuid_null("campaign_id"))
                .col(json("target_team_ids"))
                .col(text("status"))
                .col(ts_null("publish_at"))
                .col(ts_null("expires_at"))
                .col(ts_null("published_at"))
                .col(uuid_null("created_by"))
                .col(uuid_null("suggested_by"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut org("posts"))
                .foreign_key(&mut fk(
                    "posts",
                    "campaign_id",
                    "campaigns",
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_posts_org_status",
            "posts",
            &["org_id", "status", "published_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("post_suggestions"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(uuid("suggested_by"))
                .col(text("title"))
                .col(text("url"))
                .col(text("summary"))
                .col(text("status"))
                .col(uuid_null("reviewed_by"))
                .col(text_null("review_note"))
                .col(uuid_null("post_id"))
                .col(ts("created_at"))
                .col(ts_null("reviewed_at"))
                .foreign_key(&mut org("post_suggestions"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_suggestions_org_status",
            "post_suggestions",
            &["org_id", "status", "created_at"],
            false,
        ))
        .await?;

        // Current consent per person (hot checks) and the full history.
        m.create_table(
            Table::create()
                .table(Alias::new("advocates"))
                .col(uuid("org_id"))
                .col(
                    ColumnDef::new(Alias::new("user_id"))
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(flag("opted_in", false))
                .col(text_null("terms_version"))
                .col(ts_null("opted_in_at"))
                .col(ts_null("opted_out_at"))
                .col(flag("show_in_leaderboard", false))
                .col(ts("updated_at"))
                .foreign_key(&mut org("advocates"))
                .foreign_key(&mut fk(
                    "advocates",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_advocates_org",
            "advocates",
            &["org_id", "opted_in"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("consent_events"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(uuid("user_id"))
                .col(text("action"))
                .col(text_null("terms_version"))
                .col(ts("created_at"))
                .foreign_key(&mut org("consent_events"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_consent_events_user",
            "consent_events",
            &["org_id", "user_id", "created_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("network_profiles"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(uuid("user_id"))
                .col(text("network"))
                .col(text("handle"))
                .col(text_null("profile_url"))
                .col(big("audience_size"))
                .col(text("source"))
                .col(ts("as_of"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut org("network_profiles"))
                .foreign_key(&mut fk(
                    "network_profiles",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_network_profiles_user",
            "network_profiles",
            &["user_id", "network"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("shares"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(uuid_null("user_id"))
                .col(uuid("post_id"))
                .col(uuid_null("campaign_id"))
                .col(uuid_null("team_id"))
                .col(text("network"))
                .col(text("code"))
                .col(big("audience_size"))
                .col(text("text"))
                .col(flag("personalised", false))
                .col(text("status"))
                .col(text_null("public_url"))
                .col(text_null("sharer_visitor_hash"))
                .col(big("impressions"))
                .col(big("reactions"))
                .col(big("comments"))
                .col(big("reshares"))
                .col(text_null("engagement_source"))
                .col(ts("created_at"))
                .col(ts_null("published_at"))
                .foreign_key(&mut org("shares"))
                .foreign_key(&mut fk(
                    "shares",
                    "post_id",
                    "posts",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index("ux_shares_code", "shares", &["code"], true))
            .await?;
        m.create_index(index(
            "ix_shares_org_time",
            "shares",
            &["org_id", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_shares_user",
            "shares",
            &["org_id", "user_id", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_shares_post",
            "shares",
            &["org_id", "post_id", "created_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("engagement_reports"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(uuid("share_id"))
                .col(text("source"))
                .col(big("impressions"))
                .col(big("reactions"))
                .col(big("comments"))
                .col(big("reshares"))
                .col(ts("reported_at"))
                .col(ts("created_at"))
                .foreign_key(&mut org("engagement_reports"))
                .foreign_key(&mut fk(
                    "engagement_reports",
                    "share_id",
                    "shares",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_engagement_share",
            "engagement_reports",
            &["org_id", "share_id", "reported_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("integrations"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(text("name"))
                .col(text("token_hash"))
                .col(text("signing_secret"))
                .col(uuid_null("created_by"))
                .col(ts("created_at"))
                .col(ts_null("last_used_at"))
                .col(ts_null("revoked_at"))
                .foreign_key(&mut org("integrations"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_integrations_token",
            "integrations",
            &["token_hash"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("webhook_receipts"))
                .col(uuid("org_id"))
                .col(
                    ColumnDef::new(Alias::new("signature"))
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(ts("received_at"))
                .foreign_key(&mut org("webhook_receipts"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("emv_settings"))
                .col(id("id"))
                .col(uuid("org_id"))
                .col(text("network"))
                .col(ColumnDef::new(Alias::new("cpc")).double().not_null())
                .col(ColumnDef::new(Alias::new("cpm")).double().not_null())
                .col(text("currency"))
                .col(ts("effective_from"))
                .col(uuid_null("created_by"))
                .col(ts("created_at"))
                .foreign_key(&mut org("emv_settings"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_emv_settings",
            "emv_settings",
            &["org_id", "network", "effective_from"],
            false,
        ))
        .await?;

        // Daily salts for visitor hashes; deleting an old salt makes its hashes unlinkable.
        m.create_table(
            Table::create()
                .table(Alias::new("visitor_salts"))
                .col(
                    ColumnDef::new(Alias::new("day"))
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(text("salt"))
                .col(ts("created_at"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("clicks"))
                .col(
                    ColumnDef::new(Alias::new("id"))
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(uuid("org_id"))
                .col(uuid("share_id"))
                .col(ts("clicked_at"))
                .col(text("day"))
                .col(text("visitor_hash"))
                .col(text_null("referrer_host"))
                .col(text("class"))
                .foreign_key(&mut org("clicks"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_clicks_org_time",
            "clicks",
            &["org_id", "clicked_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_clicks_share",
            "clicks",
            &["share_id", "clicked_at"],
            false,
        ))
        .await?;

        // One row per (share, day, visitor) among human clicks: the unique-visitor ledger.
        m.create_table(
            Table::create()
                .table(Alias::new("click_visitors"))
                .col(uuid("org_id"))
                .col(uuid("share_id"))
                .col(text("day"))
                .col(text("visitor_hash"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("share_id"))
                        .col(Alias::new("day"))
                        .col(Alias::new("visitor_hash")),
                )
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("reach_daily"))
                .col(uuid("org_id"))
                .col(uuid("share_id"))
                .col(text("day"))
                .col(uuid("post_id"))
                .col(uuid_null("campaign_id"))
                .col(uuid_null("team_id"))
                .col(uuid_null("user_id"))
                .col(text("network"))
                .col(big("human_clicks"))
                .col(big("bot_hits"))
                .col(big("self_clicks"))
                .col(big("unique_visitors"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("org_id"))
                        .col(Alias::new("share_id"))
                        .col(Alias::new("day")),
                )
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_reach_daily_org_day",
            "reach_daily",
            &["org_id", "day"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_reach_daily_team_day",
            "reach_daily",
            &["org_id", "team_id", "day"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_reach_daily_user_day",
            "reach_daily",
            &["org_id", "user_id", "day"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "reach_daily",
            "click_visitors",
            "clicks",
            "visitor_salts",
            "emv_settings",
            "webhook_receipts",
            "integrations",
            "engagement_reports",
            "shares",
            "network_profiles",
            "consent_events",
            "advocates",
            "post_suggestions",
            "posts",
            "campaigns",
        ] {
            m.drop_table(Table::drop().table(Alias::new(table)).take())
                .await?;
        }
        Ok(())
    }
}
