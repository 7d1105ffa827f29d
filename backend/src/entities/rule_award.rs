use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_awards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub rule_id: Uuid,
    pub rule_version: i32,
    pub event_id: Uuid,
    pub recipient_id: Uuid,
    pub team_id: Option<Uuid>,
    pub requested_points: i64,
    pub points: i64,
    pub limited_by: Option<String>,
    pub transaction_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
