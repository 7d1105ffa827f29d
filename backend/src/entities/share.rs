use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shares")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Option<Uuid>,
    pub post_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub network: String,
    #[sea_orm(unique)]
    pub code: String,
    /// Audience size on the network when the share was created (potential reach).
    pub audience_size: i64,
    pub text: String,
    /// The sharer wrote their own words rather than the suggested text.
    pub personalised: bool,
    /// `intended` or `published`.
    pub status: String,
    pub public_url: Option<String>,
    pub sharer_visitor_hash: Option<String>,
    pub impressions: i64,
    pub reactions: i64,
    pub comments: i64,
    pub reshares: i64,
    pub engagement_source: Option<String>,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
