use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clicks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: Uuid,
    pub share_id: Uuid,
    pub clicked_at: DateTimeUtc,
    pub day: String,
    pub visitor_hash: String,
    pub referrer_host: Option<String>,
    /// `human`, `bot` or `self`.
    pub class: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
