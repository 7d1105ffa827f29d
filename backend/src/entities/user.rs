use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    /// Lower-cased; one account per address across the deployment.
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    /// `active` or `deactivated`.
    pub status: String,
    pub team_id: Option<Uuid>,
    /// Reserved for SSO (OIDC subject / SCIM id) and the provider that owns it.
    pub external_id: Option<String>,
    pub identity_provider: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub const ACTIVE: &str = "active";
pub const DEACTIVATED: &str = "deactivated";
/// Anonymised at the person's request: never signs in again and is never reactivated.
pub const DELETED: &str = "deleted";
