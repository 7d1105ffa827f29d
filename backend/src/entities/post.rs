use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub title: String,
    /// Destination (http/https only).
    pub url: String,
    pub summary: String,
    pub image_url: Option<String>,
    pub tags: Json,
    /// Network name → suggested text.
    pub suggested_texts: Json,
    pub campaign_id: Option<Uuid>,
    /// Empty: everyone. Otherwise people in these teams or below.
    pub target_team_ids: Json,
    /// `draft`, `scheduled`, `published` or `archived`.
    pub status: String,
    pub publish_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub suggested_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
