//! People of an organisation: listing, roles, team membership, deactivation. Administrators
//! manage them; every change is audited.

use std::collections::{BTreeMap, BTreeSet};

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::Page;
use crate::{
    audit,
    auth::{Role, tokens},
    entities::{team, user, user_role},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AppPath, AppQuery},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user, update_user))
        .routes(routes!(deactivate_user))
        .routes(routes!(reactivate_user))
}

/// A person as administrators see them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub team_id: Option<Uuid>,
    /// `active`, `deactivated` or `deleted`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Matches the start of a name or email address.
    pub q: Option<String>,
    /// `active` or `deactivated`.
    pub status: Option<String>,
    pub team_id: Option<Uuid>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    /// Replaces the user's roles; `employee` is always kept.
    pub roles: Option<Vec<Role>>,
    /// Moves the user to a team; `null` removes them from their team.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub team_id: Option<Option<Uuid>>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

pub fn display_name_field(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(AppError::field(
            "display_name",
            "must be 1 to 120 printable characters",
        ));
    }
    Ok(name.to_owned())
}

pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    email: &str,
    display_name: &str,
    password_hash: Option<String>,
    team_id: Option<Uuid>,
) -> AppResult<Uuid> {
    let id = Uuid::new_v4();
    let now = Utc::now();
    user::Entity::insert(user::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        email: Set(email.to_owned()),
        display_name: Set(display_name.to_owned()),
        password_hash: Set(password_hash),
        status: Set(user::ACTIVE.to_owned()),
        team_id: Set(team_id),
        external_id: Set(None),
        identity_provider: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Adds roles a user does not hold yet.
pub async fn grant(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
    roles: &[Role],
) -> AppResult<()> {
    let held = crate::http::extract::roles_of(db, org_id, user_id).await?;
    let new: Vec<user_role::ActiveModel> = roles
        .iter()
        .filter(|r| !held.contains(r))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|role| user_role::ActiveModel {
            org_id: Set(org_id),
            user_id: Set(user_id),
            role: Set(role.as_str().to_owned()),
        })
        .collect();
    if !new.is_empty() {
        user_role::Entity::insert_many(new)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Replaces a user's roles (every user keeps `employee`).
pub async fn set_roles(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
    roles: &[Role],
) -> AppResult<()> {
    user_role::Entity::delete_many()
        .filter(user_role::Column::OrgId.eq(org_id))
        .filter(user_role::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let mut all: Vec<Role> = roles.to_vec();
    all.push(Role::Employee);
    grant(db, org_id, user_id, &all).await
}

async fn roles_by_user(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    ids: &[Uuid],
) -> AppResult<BTreeMap<Uuid, Vec<Role>>> {
    let rows: Vec<(Uuid, String)> = user_role::Entity::find_in(org_id)
        .select_only()
        .column(user_role::Column::UserId)
        .column(user_role::Column::Role)
        .filter(user_role::Column::UserId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut map: BTreeMap<Uuid, Vec<Role>> = BTreeMap::new();
    for (id, role) in rows {
        if let Some(role) = Role::parse(&role) {
            map.entry(id).or_default().push(role);
        }
    }
    for roles in map.values_mut() {
        roles.sort();
    }
    Ok(map)
}

/// Display names of people of an organisation, by id (ids of other organisations are absent).
pub async fn display_names(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(user::Entity::find_in(org_id)
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::Id.is_in(ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

pub async fn views(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    users: Vec<user::Model>,
) -> AppResult<Vec<UserView>> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let mut roles = roles_by_user(db, org_id, &ids).await?;
    Ok(users
        .into_iter()
        .map(|u| UserView {
            roles: roles.remove(&u.id).unwrap_or_default(),
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            team_id: u.team_id,
            status: u.status,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        })
        .collect())
}

pub async fn view(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> AppResult<UserView> {
    let found = user::Entity::find_one_in(org_id, id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    views(db, org_id, vec![found])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// List people in the organisation (administrators).
#[utoipa::path(get, path = "/api/v1/users", tag = "people", security(("bearer" = [])), params(UserFilter),
    responses((status = 200, body = UserList), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(filter): AppQuery<UserFilter>,
) -> AppResult<Json<UserList>> {
    let (limit, offset) = Page {
        limit: filter.limit,
        offset: filter.offset,
    }
    .resolve(state.config.limits.max_page_size);
    let mut query = user::Entity::find_in(admin.org_id);
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("{}%", q.to_lowercase().replace(['%', '_'], ""));
        query = query.filter(
            sea_orm::Condition::any()
                .add(user::Column::Email.like(pattern.clone()))
                .add(Expr::expr(Expr::col(user::Column::DisplayName)).like(pattern)),
        );
    }
    if let Some(status) = filter.status.as_deref() {
        if status != user::ACTIVE && status != user::DEACTIVATED {
            return Err(AppError::field("status", "must be active or deactivated"));
        }
        query = query.filter(user::Column::Status.eq(status));
    }
    if let Some(team_id) = filter.team_id {
        query = query.filter(user::Column::TeamId.eq(team_id));
    }
    let total = query.clone().count(&state.db).await?;
    let page = query
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(&state.db)
        .await?;
    Ok(Json(UserList {
        items: views(&state.db, admin.org_id, page).await?,
        total,
    }))
}

/// One person in the organisation (administrators).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "people", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<UserView>> {
    Ok(Json(view(&state.db, admin.org_id, id).await?))
}

/// Change a person's name, roles or team (administrators).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "people", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<UpdateUserRequest>,
) -> AppResult<Json<UserView>> {
    let mut v = Validator::new();
    let name = match body.display_name.as_deref().map(display_name_field) {
        Some(Err(_)) => {
            v.push("display_name", "must be 1 to 120 printable characters");
            None
        }
        Some(Ok(name)) => Some(name),
        None => None,
    };
    if let Some(roles) = &body.roles
        && id == admin.user_id
        && !roles.contains(&Role::Admin)
    {
        v.push("roles", "you cannot remove your own admin role");
    }
    v.finish()?;
    let txn = crate::db::begin_write(&state.db).await?;
    let before = view(&txn, admin.org_id, id).await?;
    if let Some(Some(team_id)) = body.team_id {
        team::Entity::find_one_in(admin.org_id, team_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::field("team_id", "no such team"))?;
    }
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::OrgId.eq(admin.org_id))
        .filter(user::Column::Id.eq(id));
    if let Some(name) = name {
        update = update.col_expr(user::Column::DisplayName, Expr::value(name));
    }
    if let Some(team_id) = body.team_id {
        update = update.col_expr(user::Column::TeamId, Expr::value(team_id));
    }
    update.exec(&txn).await?;
    if let Some(roles) = &body.roles {
        set_roles(&txn, admin.org_id, id, roles).await?;
    }
    let after = view(&txn, admin.org_id, id).await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "user.update",
            target_type: "user",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Json(after))
}

async fn set_status(
    state: &AppState,
    admin: &crate::http::extract::AuthUser,
    id: Uuid,
    status: &str,
) -> AppResult<UserView> {
    if id == admin.user_id {
        return Err(AppError::conflict(
            "cannot_change_self",
            "You cannot deactivate your own account.",
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let before = view(&txn, admin.org_id, id).await?;
    if before.status == user::DELETED {
        return Err(AppError::conflict(
            "account_deleted",
            "This account was deleted at its owner's request.",
        ));
    }
    user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(status))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::OrgId.eq(admin.org_id))
        .filter(user::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if status == user::DEACTIVATED {
        tokens::revoke_user(&txn, id).await?;
    }
    let after = view(&txn, admin.org_id, id).await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: if status == user::DEACTIVATED {
                "user.deactivate"
            } else {
                "user.reactivate"
            },
            target_type: "user",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deactivate a person: they can no longer sign in and their sessions end; history stays.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "people", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn deactivate_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<UserView>> {
    Ok(Json(
        set_status(&state, &admin, id, user::DEACTIVATED).await?,
    ))
}

/// Reactivate a deactivated person.
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = "people", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reactivate_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<UserView>> {
    Ok(Json(set_status(&state, &admin, id, user::ACTIVE).await?))
}
