//! Recognition settings of an organisation (administrators): limits for thanks, manager budgets
//! and the spot-award approval threshold; company values that thanks can be tagged with; giving
//! allowance policies; and each person's notification preference for thanks.

use axum::{Json, extract::State, http::StatusCode};
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::PeriodKind;
use crate::{
    audit,
    auth::Role,
    entities::{
        allowance_policy, company_value, recognition_preference, recognition_settings, team,
    },
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AppPath, AuthUser},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_values))
        .routes(routes!(create_value))
        .routes(routes!(update_value))
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(delete_policy))
        .routes(routes!(get_preferences, put_preferences))
}

/// Limits and budgets of the recognition programme.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// Most points one thanks may carry.
    pub thanks_max_points: i64,
    /// Most thanks one person may give the same colleague per `pair_limit_period` (0: no limit).
    pub pair_limit_per_period: i32,
    pub pair_limit_period: PeriodKind,
    /// Each manager's spot-award budget per `manager_budget_period`.
    pub manager_budget: i64,
    pub manager_budget_period: PeriodKind,
    /// Spot awards above this many points wait for an administrator's approval (null: never).
    pub spot_approval_threshold: Option<i64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            thanks_max_points: 50,
            pair_limit_per_period: 3,
            pair_limit_period: PeriodKind::Month,
            manager_budget: 1000,
            manager_budget_period: PeriodKind::Quarter,
            spot_approval_threshold: Some(250),
        }
    }
}

/// The organisation's settings (defaults until an administrator changes them).
pub async fn load(db: &impl ConnectionTrait, org_id: Uuid) -> AppResult<Settings> {
    let row = recognition_settings::Entity::find_in(org_id)
        .one(db)
        .await?;
    let defaults = Settings::default();
    Ok(match row {
        None => defaults,
        Some(r) => Settings {
            thanks_max_points: r.thanks_max_points,
            pair_limit_per_period: r.pair_limit_per_period,
            pair_limit_period: PeriodKind::parse(&r.pair_limit_period)
                .unwrap_or(defaults.pair_limit_period),
            manager_budget: r.manager_budget,
            manager_budget_period: PeriodKind::parse(&r.manager_budget_period)
                .unwrap_or(defaults.manager_budget_period),
            spot_approval_threshold: r.spot_approval_threshold,
        },
    })
}

/// Recognition settings (administrators).
#[utoipa::path(get, path = "/api/v1/admin/recognition/settings", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = Settings), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn get_settings(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> AppResult<Json<Settings>> {
    Ok(Json(load(&state.db, admin.org_id).await?))
}

/// Replace the recognition settings (administrators; audited).
#[utoipa::path(put, path = "/api/v1/admin/recognition/settings", tag = "recognition", security(("bearer" = [])),
    request_body = Settings,
    responses((status = 200, body = Settings), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_settings(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<Settings>,
) -> AppResult<Json<Settings>> {
    let mut v = Validator::new();
    v.check(
        (1..=1_000_000).contains(&input.thanks_max_points),
        "thanks_max_points",
        "must be between 1 and 1000000",
    );
    v.check(
        (0..=1000).contains(&input.pair_limit_per_period),
        "pair_limit_per_period",
        "must be between 0 and 1000",
    );
    v.check(
        (0..=100_000_000).contains(&input.manager_budget),
        "manager_budget",
        "must be between 0 and 100000000",
    );
    v.check(
        input.spot_approval_threshold.is_none_or(|t| t >= 0),
        "spot_approval_threshold",
        "must not be negative",
    );
    v.finish()?;
    let before = load(&state.db, admin.org_id).await?;
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    recognition_settings::Entity::insert(recognition_settings::ActiveModel {
        org_id: Set(admin.org_id),
        thanks_max_points: Set(input.thanks_max_points),
        pair_limit_per_period: Set(input.pair_limit_per_period),
        pair_limit_period: Set(input.pair_limit_period.as_str().to_owned()),
        manager_budget: Set(input.manager_budget),
        manager_budget_period: Set(input.manager_budget_period.as_str().to_owned()),
        spot_approval_threshold: Set(input.spot_approval_threshold),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(recognition_settings::Column::OrgId)
            .update_columns([
                recognition_settings::Column::ThanksMaxPoints,
                recognition_settings::Column::PairLimitPerPeriod,
                recognition_settings::Column::PairLimitPeriod,
                recognition_settings::Column::ManagerBudget,
                recognition_settings::Column::ManagerBudgetPeriod,
                recognition_settings::Column::SpotApprovalThreshold,
                recognition_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "recognition.settings.update",
            target_type: "recognition_settings",
            target_id: None,
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&input).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Json(input))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompanyValue {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub active: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompanyValueList {
    pub items: Vec<CompanyValue>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CompanyValueInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CompanyValuePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

fn value_view(v: company_value::Model) -> CompanyValue {
    CompanyValue {
        id: v.id,
        name: v.name,
        description: v.description,
        active: v.active,
    }
}

fn check_text(v: &mut Validator, field: &str, value: &str, min: usize, max: usize) {
    let n = value.trim().chars().count();
    v.check(
        (min..=max).contains(&n) && !value.chars().any(|c| c.is_control() && c != '\n'),
        field,
        &format!("must be {min} to {max} characters of text"),
    );
}

/// Company values thanks can be tagged with (active ones; administrators also see retired ones).
#[utoipa::path(get, path = "/api/v1/recognition/values", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = CompanyValueList), (status = 401, body = Problem)))]
async fn list_values(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<CompanyValueList>> {
    let mut query = company_value::Entity::find_in(user.org_id);
    if !user.has(Role::Admin) {
        query = query.filter(company_value::Column::Active.eq(true));
    }
    let items = query
        .order_by_asc(company_value::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(value_view)
        .collect();
    Ok(Json(CompanyValueList { items }))
}

/// Add a company value (administrators).
#[utoipa::path(post, path = "/api/v1/admin/recognition/values", tag = "recognition", security(("bearer" = [])),
    request_body = CompanyValueInput,
    responses((status = 201, body = CompanyValue), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_value(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<CompanyValueInput>,
) -> AppResult<(StatusCode, Json<CompanyValue>)> {
    let mut v = Validator::new();
    check_text(&mut v, "name", &input.name, 1, 60);
    check_text(&mut v, "description", &input.description, 0, 500);
    v.finish()?;
    let model = company_value::Model {
        id: Uuid::now_v7(),
        org_id: admin.org_id,
        name: input.name.trim().to_owned(),
        description: input.description.trim().to_owned(),
        active: true,
        created_at: Utc::now(),
    };
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    company_value::Entity::insert(company_value::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await
        .map_err(duplicate_value)?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "recognition.value.create",
            target_type: "company_value",
            target_id: Some(model.id.to_string()),
            before: None,
            after: Some(serde_json::json!({ "name": model.name })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(value_view(model))))
}

/// Rename, describe, retire or restore a company value (administrators).
#[utoipa::path(patch, path = "/api/v1/admin/recognition/values/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CompanyValuePatch,
    responses((status = 200, body = CompanyValue), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "Another value has this name", body = Problem), (status = 422, body = Problem)))]
async fn update_value(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<CompanyValuePatch>,
) -> AppResult<Json<CompanyValue>> {
    let found = company_value::Entity::find_one_in(admin.org_id, id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut v = Validator::new();
    if let Some(name) = &input.name {
        check_text(&mut v, "name", name, 1, 60);
    }
    if let Some(description) = &input.description {
        check_text(&mut v, "description", description, 0, 500);
    }
    v.finish()?;
    let mut model: company_value::ActiveModel = found.into();
    if let Some(name) = input.name {
        model.name = Set(name.trim().to_owned());
    }
    if let Some(description) = input.description {
        model.description = Set(description.trim().to_owned());
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    let saved = sea_orm::ActiveModelTrait::update(model, &state.db)
        .await
        .map_err(duplicate_value)?;
    Ok(Json(value_view(saved)))
}

/// Value names are unique within an organisation.
fn duplicate_value(err: sea_orm::DbErr) -> AppError {
    match AppError::from(err) {
        AppError::Conflict { .. } => {
            AppError::conflict("duplicate_value", "A value with this name already exists.")
        }
        other => other,
    }
}

/// A giving allowance: `amount` points per `period` for everyone (no team, no role), for a role,
/// or for a team. The most specific policy applies: team, then role (the largest of the
/// person's roles), then the organisation's default.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AllowancePolicy {
    pub id: Uuid,
    pub team_id: Option<Uuid>,
    pub role: Option<Role>,
    pub period: PeriodKind,
    pub amount: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AllowancePolicyInput {
    pub team_id: Option<Uuid>,
    pub role: Option<Role>,
    pub period: PeriodKind,
    pub amount: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AllowancePolicyList {
    pub items: Vec<AllowancePolicy>,
}

/// The allowance that applies when an organisation has no policy of its own.
pub const DEFAULT_ALLOWANCE: (PeriodKind, i64) = (PeriodKind::Month, 100);

fn policy_view(p: allowance_policy::Model) -> AllowancePolicy {
    AllowancePolicy {
        id: p.id,
        team_id: p.team_id,
        role: p.role.as_deref().and_then(Role::parse),
        period: PeriodKind::parse(&p.period).unwrap_or(PeriodKind::Month),
        amount: p.amount,
    }
}

/// The allowance policy that applies to a person: the policy of their team or, failing that,
/// of the nearest ancestor team that has one (a policy on a team covers its whole subtree);
/// then the largest policy of a role they hold; then the organisation's default policy.
pub async fn allowance_for(
    db: &impl ConnectionTrait,
    user: &AuthUser,
) -> AppResult<(PeriodKind, i64)> {
    let policies: Vec<AllowancePolicy> = allowance_policy::Entity::find_in(user.org_id)
        .all(db)
        .await?
        .into_iter()
        .map(policy_view)
        .collect();
    let applies = |p: &&AllowancePolicy| p.role.is_none_or(|r| user.has(r));
    if let Some(start) = user.team_id
        && policies.iter().any(|p| p.team_id.is_some())
    {
        let parents: std::collections::HashMap<Uuid, Option<Uuid>> =
            team::Entity::find_in(user.org_id)
                .select_only()
                .column(team::Column::Id)
                .column(team::Column::ParentId)
                .into_tuple::<(Uuid, Option<Uuid>)>()
                .all(db)
                .await?
                .into_iter()
                .collect();
        let mut team = Some(start);
        // The depth bound guards against a cycle in the tree.
        for _ in 0..=parents.len() {
            let Some(here) = team else { break };
            if let Some(p) = policies
                .iter()
                .filter(|p| p.team_id == Some(here))
                .filter(applies)
                .max_by_key(|p| (p.role.is_some(), p.amount))
            {
                return Ok((p.period, p.amount));
            }
            team = parents.get(&here).copied().flatten();
        }
    }
    if let Some(p) = policies
        .iter()
        .filter(|p| p.team_id.is_none() && p.role.is_some())
        .filter(applies)
        .max_by_key(|p| p.amount)
    {
        return Ok((p.period, p.amount));
    }
    if let Some(p) = policies
        .iter()
        .find(|p| p.team_id.is_none() && p.role.is_none())
    {
        return Ok((p.period, p.amount));
    }
    Ok(DEFAULT_ALLOWANCE)
}

/// Giving allowance policies (administrators).
#[utoipa::path(get, path = "/api/v1/admin/recognition/allowances", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = AllowancePolicyList), (status = 403, body = Problem)))]
async fn list_policies(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> AppResult<Json<AllowancePolicyList>> {
    let items = allowance_policy::Entity::find_in(admin.org_id)
        .order_by_asc(allowance_policy::Column::CreatedAt)
        .all(&state.db)
        .await?
        .into_iter()
        .map(policy_view)
        .collect();
    Ok(Json(AllowancePolicyList { items }))
}

/// Add a giving allowance policy (administrators). One policy per team, per role, and one
/// default; adding another for the same target is a conflict.
#[utoipa::path(post, path = "/api/v1/admin/recognition/allowances", tag = "recognition", security(("bearer" = [])),
    request_body = AllowancePolicyInput,
    responses((status = 201, body = AllowancePolicy), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_policy(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<AllowancePolicyInput>,
) -> AppResult<(StatusCode, Json<AllowancePolicy>)> {
    let mut v = Validator::new();
    v.check(
        (0..=1_000_000).contains(&input.amount),
        "amount",
        "must be between 0 and 1000000",
    );
    v.check(
        !(input.team_id.is_some() && input.role.is_some()),
        "role",
        "a policy targets a team or a role, not both",
    );
    v.finish()?;
    if let Some(team) = input.team_id {
        team::Entity::find_one_in(admin.org_id, team)
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::field("team_id", "no such team"))?;
    }
    let existing = allowance_policy::Entity::find_in(admin.org_id)
        .all(&state.db)
        .await?;
    let role = input.role.map(|r| r.as_str().to_owned());
    if existing
        .iter()
        .any(|p| p.team_id == input.team_id && p.role == role)
    {
        return Err(AppError::conflict(
            "duplicate_policy",
            "A policy for this target exists; delete it first.",
        ));
    }
    let model = allowance_policy::Model {
        id: Uuid::now_v7(),
        org_id: admin.org_id,
        team_id: input.team_id,
        role,
        period: input.period.as_str().to_owned(),
        amount: input.amount,
        created_at: Utc::now(),
    };
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    allowance_policy::Entity::insert(allowance_policy::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "recognition.allowance.create",
            target_type: "allowance_policy",
            target_id: Some(model.id.to_string()),
            before: None,
            after: serde_json::to_value(policy_view(model.clone())).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(policy_view(model))))
}

/// Delete a giving allowance policy (administrators). Thanks already given stay.
#[utoipa::path(delete, path = "/api/v1/admin/recognition/allowances/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_policy(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<StatusCode> {
    let found = allowance_policy::Entity::find_one_in(admin.org_id, id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    allowance_policy::Entity::delete_many()
        .filter(allowance_policy::Column::OrgId.eq(admin.org_id))
        .filter(allowance_policy::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "recognition.allowance.delete",
            target_type: "allowance_policy",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(policy_view(found)).ok(),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person's recognition notification preferences.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Preferences {
    /// Email me when someone thanks me or gives me a spot award.
    pub email_on_thanks: bool,
}

pub async fn preferences(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> AppResult<Preferences> {
    Ok(Preferences {
        email_on_thanks: recognition_preference::Entity::find_in(org_id)
            .filter(recognition_preference::Column::UserId.eq(user_id))
            .one(db)
            .await?
            .is_none_or(|p| p.email_on_thanks),
    })
}

/// The caller's recognition notification preferences.
#[utoipa::path(get, path = "/api/v1/me/recognition/preferences", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 401, body = Problem)))]
async fn get_preferences(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Preferences>> {
    Ok(Json(
        preferences(&state.db, user.org_id, user.user_id).await?,
    ))
}

/// Change the caller's recognition notification preferences.
#[utoipa::path(put, path = "/api/v1/me/recognition/preferences", tag = "recognition", security(("bearer" = [])),
    request_body = Preferences,
    responses((status = 200, body = Preferences), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn put_preferences(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(input): AppJson<Preferences>,
) -> AppResult<Json<Preferences>> {
    recognition_preference::Entity::insert(recognition_preference::ActiveModel {
        org_id: Set(user.org_id),
        user_id: Set(user.user_id),
        email_on_thanks: Set(input.email_on_thanks),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(recognition_preference::Column::UserId)
            .update_columns([
                recognition_preference::Column::EmailOnThanks,
                recognition_preference::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    Ok(Json(input))
}
