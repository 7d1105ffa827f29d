use sea_orm::entity::prelude::*;

/// Click counters of one share to date, with the first and last day it was clicked.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "share_reach")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub share_id: Uuid,
    pub post_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub network: String,
    pub human_clicks: i64,
    pub bot_hits: i64,
    pub self_clicks: i64,
    pub unique_visitors: i64,
    pub first_day: String,
    pub last_day: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
