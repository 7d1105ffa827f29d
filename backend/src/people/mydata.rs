//! "My data": every person may export everything the platform holds about them as JSON, and
//! delete their account. Deletion anonymises the person's rows in one transaction; shares,
//! reach rollups, thanks and the points ledger stay so that aggregates and the ledger's
//! integrity hold.

use axum::{Json, extract::State, http::StatusCode};
use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Select,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    advocacy::consent,
    audit,
    auth::{Role, password, tokens},
    entities::{
        advocate, audit_log, badge_award, consent_event, engagement_report, network_profile,
        one_time_token, points_account, points_entry, points_transaction, recognition_preference,
        redemption, share, share_reach, spot_award, team, team_manager, thanks, user, user_role,
    },
    error::{AppError, AppResult, Problem},
    http::extract::{AppJson, AuthUser, ClientIp},
    state::AppState,
    tenancy::OrgScoped,
};

/// The name shown wherever a deleted person's kept rows (thanks they wrote, for instance) appear.
pub const DELETED_NAME: &str = "Deleted user";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_my_data))
        .routes(routes!(delete_my_account))
}

/// Everything the platform holds about the caller; each list holds rows as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyData {
    pub exported_at: chrono::DateTime<Utc>,
    #[schema(value_type = Object)]
    pub profile: Value,
    pub roles: Vec<String>,
    #[schema(value_type = Object)]
    pub team: Option<Value>,
    pub managed_team_ids: Vec<Uuid>,
    #[schema(value_type = Object)]
    pub advocacy: Option<Value>,
    #[schema(value_type = Vec<Object>)]
    pub consent_history: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub network_profiles: Vec<Value>,
    /// Shares with their reach totals (`reach`, absent before the first click).
    #[schema(value_type = Vec<Object>)]
    pub shares: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub engagement_reports: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub thanks_given: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub thanks_received: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub spot_awards_received: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub ledger_accounts: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub ledger_entries: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub ledger_transactions: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub badges: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub redemptions: Vec<Value>,
    #[schema(value_type = Object)]
    pub notification_preferences: Option<Value>,
    /// Audit entries the person caused or that concern their account.
    #[schema(value_type = Vec<Object>)]
    pub audit_entries: Vec<Value>,
}

async fn rows<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
) -> AppResult<Vec<Value>> {
    Ok(select.into_json().all(db).await?)
}

/// Download everything the platform holds about the signed-in person as JSON.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MyData), (status = 401, body = Problem)))]
async fn export_my_data(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<MyData>> {
    let (org, id) = (me.org_id, me.user_id);
    let db = &state.db;
    let account = user::Entity::find_one_in(org, id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let team = match account.team_id {
        Some(team_id) => rows(db, team::Entity::find_one_in(org, team_id))
            .await?
            .pop(),
        None => None,
    };
    let managed_team_ids = team_manager::Entity::find_in(org)
        .filter(team_manager::Column::UserId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.team_id)
        .collect();
    let mut shares = rows(
        db,
        share::Entity::find_in(org)
            .filter(share::Column::UserId.eq(id))
            .order_by_asc(share::Column::CreatedAt),
    )
    .await?;
    let share_ids: Vec<Uuid> = shares
        .iter()
        .filter_map(|s| s["id"].as_str().and_then(|s| s.parse().ok()))
        .collect();
    let reach = rows(
        db,
        share_reach::Entity::find_in(org)
            .filter(share_reach::Column::ShareId.is_in(share_ids.clone())),
    )
    .await?;
    for s in &mut shares {
        let totals = reach.iter().find(|r| r["share_id"] == s["id"]).cloned();
        s["reach"] = totals.unwrap_or(Value::Null);
    }
    let accounts = points_account::Entity::find_in(org)
        .filter(points_account::Column::OwnerId.eq(id))
        .all(db)
        .await?;
    let account_ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let entries = points_entry::Entity::find_in(org)
        .filter(points_entry::Column::AccountId.is_in(account_ids.clone()))
        .order_by_asc(points_entry::Column::CreatedAt)
        .all(db)
        .await?;
    let transaction_ids: Vec<Uuid> = entries.iter().map(|e| e.transaction_id).collect();
    let export = MyData {
        exported_at: Utc::now(),
        profile: json!({
            "id": account.id,
            "org_id": account.org_id,
            "email": account.email,
            "display_name": account.display_name,
            "status": account.status,
            "team_id": account.team_id,
            "external_id": account.external_id,
            "identity_provider": account.identity_provider,
            "created_at": account.created_at,
            "updated_at": account.updated_at,
            "last_login_at": account.last_login_at,
        }),
        roles: me.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        team,
        managed_team_ids,
        advocacy: rows(
            db,
            advocate::Entity::find_in(org).filter(advocate::Column::UserId.eq(id)),
        )
        .await?
        .pop(),
        consent_history: rows(
            db,
            consent_event::Entity::find_in(org)
                .filter(consent_event::Column::UserId.eq(id))
                .order_by_asc(consent_event::Column::CreatedAt),
        )
        .await?,
        network_profiles: rows(
            db,
            network_profile::Entity::find_in(org).filter(network_profile::Column::UserId.eq(id)),
        )
        .await?,
        shares,
        engagement_reports: rows(
            db,
            engagement_report::Entity::find_in(org)
                .filter(engagement_report::Column::ShareId.is_in(share_ids))
                .order_by_asc(engagement_report::Column::ReportedAt),
        )
        .await?,
        thanks_given: rows(
            db,
            thanks::Entity::find_in(org)
                .filter(thanks::Column::GiverId.eq(id))
                .order_by_asc(thanks::Column::CreatedAt),
        )
        .await?,
        thanks_received: rows(
            db,
            thanks::Entity::find_in(org)
                .filter(thanks::Column::RecipientId.eq(id))
                .order_by_asc(thanks::Column::CreatedAt),
        )
        .await?,
        spot_awards_received: rows(
            db,
            spot_award::Entity::find_in(org).filter(spot_award::Column::RecipientId.eq(id)),
        )
        .await?,
        ledger_accounts: rows(
            db,
            points_account::Entity::find_in(org)
                .filter(points_account::Column::Id.is_in(account_ids)),
        )
        .await?,
        ledger_entries: entries
            .iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "transaction_id": e.transaction_id,
                    "account_id": e.account_id,
                    "amount": e.amount,
                    "created_at": e.created_at,
                })
            })
            .collect(),
        ledger_transactions: rows(
            db,
            points_transaction::Entity::find_in(org)
                .filter(points_transaction::Column::Id.is_in(transaction_ids))
                .order_by_asc(points_transaction::Column::CreatedAt),
        )
        .await?,
        badges: rows(
            db,
            badge_award::Entity::find_in(org).filter(badge_award::Column::UserId.eq(id)),
        )
        .await?,
        redemptions: rows(
            db,
            redemption::Entity::find_in(org).filter(redemption::Column::UserId.eq(id)),
        )
        .await?,
        notification_preferences: rows(
            db,
            recognition_preference::Entity::find_in(org)
                .filter(recognition_preference::Column::UserId.eq(id)),
        )
        .await?
        .pop(),
        audit_entries: rows(
            db,
            audit_log::Entity::find_in(org)
                .filter(
                    sea_orm::Condition::any()
                        .add(audit_log::Column::ActorId.eq(id))
                        .add(
                            sea_orm::Condition::all()
                                .add(audit_log::Column::TargetType.eq("user"))
                                .add(audit_log::Column::TargetId.eq(id.to_string())),
                        ),
                )
                .order_by_asc(audit_log::Column::CreatedAt),
        )
        .await?,
    };
    Ok(Json(export))
}

/// Active people holding the admin role in the organisation.
async fn active_admins(db: &impl ConnectionTrait, org: Uuid) -> AppResult<u64> {
    let ids: Vec<Uuid> = user_role::Entity::find_in(org)
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    Ok(user::Entity::find_in(org)
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::Status.eq(user::ACTIVE))
        .count(db)
        .await?)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteAccountRequest {
    /// The current password, to confirm it is really the account's owner asking.
    pub password: String,
}

/// Delete the signed-in person's account: their identity is anonymised, their sessions end,
/// they are opted out of advocacy and their linked networks are removed. Shares, reach, thanks
/// and the points ledger stay, attributed to "Deleted user".
#[utoipa::path(delete, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = DeleteAccountRequest,
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn delete_my_account(
    State(state): State<AppState>,
    me: AuthUser,
    ClientIp(ip): ClientIp,
    AppJson(body): AppJson<DeleteAccountRequest>,
) -> AppResult<StatusCode> {
    // Password guesses here count like sign-in attempts.
    state.limiter.check(&me.email, ip)?;
    let account = user::Entity::find_one_in(me.org_id, me.user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if body.password.len() > password::MAX_LENGTH * 4
        || !password::verify(body.password, account.password_hash).await
    {
        return Err(AppError::field("password", "is not your password"));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    if me.has(Role::Admin) && active_admins(&txn, me.org_id).await? <= 1 {
        return Err(AppError::conflict(
            "last_admin",
            "You are the organisation's only administrator; make someone else an administrator first.",
        ));
    }
    user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(user::DELETED))
        .col_expr(
            user::Column::Email,
            Expr::value(format!("deleted-{}@deleted.invalid", me.user_id.simple())),
        )
        .col_expr(user::Column::DisplayName, Expr::value(DELETED_NAME))
        .col_expr(
            user::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            user::Column::ExternalId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            user::Column::IdentityProvider,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::OrgId.eq(me.org_id))
        .filter(user::Column::Id.eq(me.user_id))
        .exec(&txn)
        .await?;
    tokens::revoke_user(&txn, me.user_id).await?;
    one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::OrgId.eq(me.org_id))
        .filter(one_time_token::Column::UserId.eq(me.user_id))
        .exec(&txn)
        .await?;
    team_manager::Entity::delete_many()
        .filter(team_manager::Column::OrgId.eq(me.org_id))
        .filter(team_manager::Column::UserId.eq(me.user_id))
        .exec(&txn)
        .await?;
    network_profile::Entity::delete_many()
        .filter(network_profile::Column::OrgId.eq(me.org_id))
        .filter(network_profile::Column::UserId.eq(me.user_id))
        .exec(&txn)
        .await?;
    consent::set_consent(&txn, me.org_id, me.user_id, false, None, Some(false), now).await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: me.org_id,
            actor_id: Some(me.user_id),
            action: "user.delete",
            target_type: "user",
            target_id: Some(me.user_id.to_string()),
            before: Some(json!({ "status": account.status })),
            after: Some(json!({ "status": user::DELETED, "display_name": DELETED_NAME })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
