//! The team tree and its managers. A manager sees the teams they manage and everything below.

use std::collections::{BTreeMap, BTreeSet};

use axum::{Json, extract::State, http::StatusCode};
use chrono::Utc;
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

use super::users::{UserView, double_option};
use crate::{
    audit,
    auth::Role,
    entities::{team, team_manager, user},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AuthUser, Manager, TeamAccess},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(managed_teams))
        .routes(routes!(get_team, update_team, delete_team))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TeamView {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub manager_ids: Vec<Uuid>,
    /// People whose team this is (not counting sub-teams).
    pub member_count: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamList {
    pub items: Vec<TeamView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamDetail {
    #[serde(flatten)]
    pub team: TeamView,
    pub members: Vec<UserView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTeamRequest {
    pub name: String,
    pub parent_id: Option<Uuid>,
    #[serde(default)]
    pub manager_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateTeamRequest {
    pub name: Option<String>,
    /// Moves the team under another; `null` makes it a top-level team.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    /// Replaces the team's managers.
    pub manager_ids: Option<Vec<Uuid>>,
}

/// `roots` and every team below them, given all (id, parent) pairs of an organisation.
pub fn subtree(all: &[(Uuid, Option<Uuid>)], roots: &[Uuid]) -> BTreeSet<Uuid> {
    let mut children: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for (id, parent) in all {
        if let Some(parent) = parent {
            children.entry(*parent).or_default().push(*id);
        }
    }
    let known: BTreeSet<Uuid> = all.iter().map(|(id, _)| *id).collect();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<Uuid> = roots
        .iter()
        .copied()
        .filter(|r| known.contains(r))
        .collect();
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(children.get(&id).into_iter().flatten().copied());
        }
    }
    seen
}

pub fn name_field(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(AppError::field(
            "name",
            "must be 1 to 120 printable characters",
        ));
    }
    Ok(name.to_owned())
}

async fn views(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    teams: Vec<team::Model>,
) -> AppResult<Vec<TeamView>> {
    let managers: Vec<(Uuid, Uuid)> = team_manager::Entity::find_in(org_id)
        .select_only()
        .column(team_manager::Column::TeamId)
        .column(team_manager::Column::UserId)
        .into_tuple()
        .all(db)
        .await?;
    let counts: Vec<(Option<Uuid>, i64)> = user::Entity::find_in(org_id)
        .select_only()
        .column(user::Column::TeamId)
        .column_as(Expr::col(user::Column::Id).count(), "n")
        .filter(user::Column::TeamId.is_not_null())
        .group_by(user::Column::TeamId)
        .into_tuple()
        .all(db)
        .await?;
    let counts: BTreeMap<Uuid, u64> = counts
        .into_iter()
        .filter_map(|(t, n)| t.map(|t| (t, Ord::max(n, 0) as u64)))
        .collect();
    Ok(teams
        .into_iter()
        .map(|t| TeamView {
            manager_ids: managers
                .iter()
                .filter(|(team, _)| *team == t.id)
                .map(|(_, u)| *u)
                .collect(),
            member_count: counts.get(&t.id).copied().unwrap_or(0),
            id: t.id,
            name: t.name,
            parent_id: t.parent_id,
        })
        .collect())
}

async fn view(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> AppResult<TeamView> {
    let found = team::Entity::find_one_in(org_id, id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    views(db, org_id, vec![found])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Replaces a team's managers; each must be an active member of the organisation and is given
/// the manager role.
pub async fn set_managers(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    team_id: Uuid,
    managers: &[Uuid],
) -> AppResult<()> {
    let unique: BTreeSet<Uuid> = managers.iter().copied().collect();
    let found = user::Entity::find_in(org_id)
        .filter(user::Column::Id.is_in(unique.iter().copied()))
        .filter(user::Column::Status.eq(user::ACTIVE))
        .count(db)
        .await?;
    if found != unique.len() as u64 {
        return Err(AppError::field(
            "manager_ids",
            "every manager must be an active person in this organisation",
        ));
    }
    team_manager::Entity::delete_many()
        .filter(team_manager::Column::OrgId.eq(org_id))
        .filter(team_manager::Column::TeamId.eq(team_id))
        .exec(db)
        .await?;
    if !unique.is_empty() {
        team_manager::Entity::insert_many(unique.iter().map(|user_id| team_manager::ActiveModel {
            org_id: Set(org_id),
            team_id: Set(team_id),
            user_id: Set(*user_id),
        }))
        .exec_without_returning(db)
        .await?;
    }
    for user_id in unique {
        super::users::grant(db, org_id, user_id, &[Role::Manager]).await?;
    }
    Ok(())
}

pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    parent_id: Option<Uuid>,
) -> AppResult<Uuid> {
    let id = Uuid::new_v4();
    team::Entity::insert(team::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        name: Set(name.to_owned()),
        parent_id: Set(parent_id),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => {
            AppError::conflict("team_exists", "A team with this name already exists.")
        }
        other => other,
    })?;
    Ok(id)
}

/// The organisation's teams (any signed-in person).
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", security(("bearer" = [])),
    responses((status = 200, body = TeamList), (status = 401, body = Problem)))]
async fn list_teams(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<TeamList>> {
    let teams = team::Entity::find_in(user.org_id)
        .order_by_asc(team::Column::Name)
        .all(&state.db)
        .await?;
    Ok(Json(TeamList {
        items: views(&state.db, user.org_id, teams).await?,
    }))
}

/// Teams the signed-in manager manages, and all teams below them.
#[utoipa::path(get, path = "/api/v1/teams/managed", tag = "teams", security(("bearer" = [])),
    responses((status = 200, body = TeamList), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn managed_teams(
    State(state): State<AppState>,
    manager: Manager,
) -> AppResult<Json<TeamList>> {
    let teams = team::Entity::find_in(manager.user.org_id)
        .filter(team::Column::Id.is_in(manager.teams.iter().copied()))
        .order_by_asc(team::Column::Name)
        .all(&state.db)
        .await?;
    Ok(Json(TeamList {
        items: views(&state.db, manager.user.org_id, teams).await?,
    }))
}

/// Create a team (administrators).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", security(("bearer" = [])), request_body = CreateTeamRequest,
    responses((status = 201, body = TeamView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_team(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<CreateTeamRequest>,
) -> AppResult<(StatusCode, Json<TeamView>)> {
    let name = name_field(&body.name)?;
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(parent) = body.parent_id {
        team::Entity::find_one_in(admin.org_id, parent)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::field("parent_id", "no such team"))?;
    }
    let id = insert(&txn, admin.org_id, &name, body.parent_id).await?;
    set_managers(&txn, admin.org_id, id, &body.manager_ids).await?;
    let created = view(&txn, admin.org_id, id).await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "team.create",
            target_type: "team",
            target_id: Some(id.to_string()),
            before: None,
            after: serde_json::to_value(&created).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A team and its members (administrators, and managers of the team or a team above it).
#[utoipa::path(get, path = "/api/v1/teams/{team_id}", tag = "teams", security(("bearer" = [])), params(("team_id" = Uuid, Path)),
    responses((status = 200, body = TeamDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_team(
    State(state): State<AppState>,
    access: TeamAccess,
) -> AppResult<Json<TeamDetail>> {
    let org = access.user.org_id;
    let members = user::Entity::find_in(org)
        .filter(user::Column::TeamId.eq(access.team.id))
        .order_by_asc(user::Column::DisplayName)
        .all(&state.db)
        .await?;
    Ok(Json(TeamDetail {
        team: view(&state.db, org, access.team.id).await?,
        members: super::users::views(&state.db, org, members).await?,
    }))
}

/// Rename, move or change the managers of a team (administrators).
#[utoipa::path(patch, path = "/api/v1/teams/{team_id}", tag = "teams", security(("bearer" = [])), params(("team_id" = Uuid, Path)),
    request_body = UpdateTeamRequest,
    responses((status = 200, body = TeamView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_team(
    State(state): State<AppState>,
    Admin(admin): Admin,
    axum::extract::Path(team_id): axum::extract::Path<String>,
    AppJson(body): AppJson<UpdateTeamRequest>,
) -> AppResult<Json<TeamView>> {
    let team_id: Uuid = team_id.parse().map_err(|_| AppError::NotFound)?;
    let mut v = Validator::new();
    let name = body
        .name
        .as_deref()
        .map(name_field)
        .transpose()
        .unwrap_or_else(|e| {
            if let AppError::Validation(errors) = e {
                for error in errors {
                    v.push(&error.field, error.message);
                }
            }
            None
        });
    v.finish()?;
    let txn = crate::db::begin_write(&state.db).await?;
    let before = view(&txn, admin.org_id, team_id).await?;
    if let Some(Some(parent)) = body.parent_id {
        let all: Vec<(Uuid, Option<Uuid>)> = team::Entity::find_in(admin.org_id)
            .select_only()
            .column(team::Column::Id)
            .column(team::Column::ParentId)
            .into_tuple()
            .all(&txn)
            .await?;
        if !all.iter().any(|(id, _)| *id == parent) {
            return Err(AppError::field("parent_id", "no such team"));
        }
        if subtree(&all, &[team_id]).contains(&parent) {
            return Err(AppError::field(
                "parent_id",
                "a team cannot be moved below itself",
            ));
        }
    }
    let mut update = team::Entity::update_many()
        .filter(team::Column::OrgId.eq(admin.org_id))
        .filter(team::Column::Id.eq(team_id));
    let mut changed = false;
    if let Some(name) = name {
        update = update.col_expr(team::Column::Name, Expr::value(name));
        changed = true;
    }
    if let Some(parent) = body.parent_id {
        update = update.col_expr(team::Column::ParentId, Expr::value(parent));
        changed = true;
    }
    if changed {
        update
            .exec(&txn)
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict { .. } => {
                    AppError::conflict("team_exists", "A team with this name already exists.")
                }
                other => other,
            })?;
    }
    if let Some(managers) = &body.manager_ids {
        set_managers(&txn, admin.org_id, team_id, managers).await?;
    }
    let after = view(&txn, admin.org_id, team_id).await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "team.update",
            target_type: "team",
            target_id: Some(team_id.to_string()),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Json(after))
}

/// Delete an empty team (no members, no sub-teams) (administrators).
#[utoipa::path(delete, path = "/api/v1/teams/{team_id}", tag = "teams", security(("bearer" = [])), params(("team_id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_team(
    State(state): State<AppState>,
    Admin(admin): Admin,
    axum::extract::Path(team_id): axum::extract::Path<String>,
) -> AppResult<StatusCode> {
    let team_id: Uuid = team_id.parse().map_err(|_| AppError::NotFound)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let before = view(&txn, admin.org_id, team_id).await?;
    let children = team::Entity::find_in(admin.org_id)
        .filter(team::Column::ParentId.eq(team_id))
        .count(&txn)
        .await?;
    if children > 0 || before.member_count > 0 {
        return Err(AppError::conflict(
            "team_not_empty",
            "Move the team's members and sub-teams first.",
        ));
    }
    team::Entity::delete_many()
        .filter(team::Column::OrgId.eq(admin.org_id))
        .filter(team::Column::Id.eq(team_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "team.delete",
            target_type: "team",
            target_id: Some(team_id.to_string()),
            before: serde_json::to_value(&before).ok(),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::subtree;

    #[test]
    fn subtree_covers_descendants_only() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
        // 0 → 1 → 2, 0 → 3, 4 alone
        let all = vec![
            (ids[0], None),
            (ids[1], Some(ids[0])),
            (ids[2], Some(ids[1])),
            (ids[3], Some(ids[0])),
            (ids[4], None),
        ];
        assert_eq!(
            subtree(&all, &[ids[1]]),
            [ids[1], ids[2]].into_iter().collect()
        );
        assert_eq!(subtree(&all, &[ids[0]]).len(), 4);
        assert!(
            subtree(&all, &[Uuid::new_v4()]).is_empty(),
            "unknown roots give nothing"
        );
    }
}
