//! Tenant isolation. Every organisation-owned entity implements [`OrgScoped`]; handlers start
//! their queries with [`OrgScoped::find_in`] using the organisation id that the authentication
//! extractor hands them, so a row of another organisation is simply not found (404), never
//! read or written.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::entities::*;

pub trait OrgScoped: EntityTrait {
    fn org_column() -> Self::Column;
    fn id_column() -> Option<Self::Column>;

    /// All rows of one organisation.
    fn find_in(org_id: Uuid) -> Select<Self> {
        Self::find().filter(Self::org_column().eq(org_id))
    }

    /// One row by id, only if it belongs to the organisation.
    fn find_one_in(org_id: Uuid, id: Uuid) -> Select<Self> {
        let select = Self::find_in(org_id);
        match Self::id_column() {
            Some(column) => select.filter(column.eq(id)),
            None => select,
        }
    }
}

macro_rules! org_scoped {
    ($($module:ident => $id:expr),* $(,)?) => {$(
        impl OrgScoped for $module::Entity {
            fn org_column() -> Self::Column { $module::Column::OrgId }
            fn id_column() -> Option<Self::Column> { $id }
        }
    )*};
}

org_scoped! {
    user => Some(user::Column::Id),
    badge => Some(badge::Column::Id),
    badge_award => Some(badge_award::Column::Id),
    team => Some(team::Column::Id),
    user_role => None,
    team_manager => None,
    invitation => Some(invitation::Column::Id),
    one_time_token => Some(one_time_token::Column::Id),
    refresh_token => Some(refresh_token::Column::Id),
    audit_log => Some(audit_log::Column::Id),
    outbox => Some(outbox::Column::Id),
    campaign => Some(campaign::Column::Id),
    post => Some(post::Column::Id),
    post_suggestion => Some(post_suggestion::Column::Id),
    advocate => None,
    consent_event => Some(consent_event::Column::Id),
    network_profile => Some(network_profile::Column::Id),
    share => Some(share::Column::Id),
    engagement_report => Some(engagement_report::Column::Id),
    integration => Some(integration::Column::Id),
    webhook_receipt => None,
    emv_setting => Some(emv_setting::Column::Id),
    click => None,
    click_visitor => None,
    reach_daily => None,
    reach_org_daily => None,
    reach_team_daily => None,
    share_reach => None,
}

org_scoped! {
    recognition_settings => None,
    company_value => Some(company_value::Column::Id),
    allowance_policy => Some(allowance_policy::Column::Id),
    points_account => Some(points_account::Column::Id),
    points_transaction => Some(points_transaction::Column::Id),
    points_entry => Some(points_entry::Column::Id),
    recognition_event => Some(recognition_event::Column::Id),
    reward_rule => Some(reward_rule::Column::Id),
    reward_rule_version => Some(reward_rule_version::Column::Id),
    rule_award => Some(rule_award::Column::Id),
    rule_cap_usage => None,
    thanks => Some(thanks::Column::Id),
    thanks_reaction => None,
    recognition_preference => None,
    spot_award => Some(spot_award::Column::Id),
    reward => Some(reward::Column::Id),
    redemption => Some(redemption::Column::Id),
}
