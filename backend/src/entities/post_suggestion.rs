use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "post_suggestions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub suggested_by: Uuid,
    pub title: String,
    pub url: String,
    pub summary: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reviewed_by: Option<Uuid>,
    pub review_note: Option<String>,
    pub post_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
