//! The colleague directory: any signed-in person may look up the active people of their own
//! organisation by name or email, to pick a recipient for thanks for instance. It answers names
//! and teams only; email addresses and roles stay with administrators.

use std::collections::BTreeMap;

use axum::{Json, extract::State};
use sea_orm::{
    ColumnTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    entities::{team, user},
    error::{AppResult, Problem, Validator},
    http::extract::{AppQuery, AuthUser},
    state::AppState,
    tenancy::OrgScoped,
};

const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 50;
const MAX_QUERY_CHARS: usize = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search_people))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Text found anywhere in a display name or email address (case-insensitive); empty or
    /// absent lists people alphabetically.
    pub q: Option<String>,
    /// At most this many people (1 to 50, default 20).
    pub limit: Option<u64>,
}

/// A colleague as every member of the organisation sees them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Colleague {
    pub id: Uuid,
    pub display_name: String,
    pub team_name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ColleagueList {
    pub items: Vec<Colleague>,
}

/// Find active colleagues of the caller's organisation by name or email.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", security(("bearer" = [])), params(PeopleQuery),
    responses((status = 200, body = ColleagueList), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn search_people(
    State(state): State<AppState>,
    caller: AuthUser,
    AppQuery(query): AppQuery<PeopleQuery>,
) -> AppResult<Json<ColleagueList>> {
    let mut v = Validator::new();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        v.push("limit", "must be between 1 and 50");
    }
    let text = query.q.as_deref().map(str::trim).unwrap_or_default();
    if text.chars().count() > MAX_QUERY_CHARS || text.chars().any(char::is_control) {
        v.push("q", "must be at most 100 printable characters");
    }
    v.finish()?;
    let mut select =
        user::Entity::find_in(caller.org_id).filter(user::Column::Status.eq(user::ACTIVE));
    // Wildcards typed by the caller match themselves literally: they are dropped.
    let needle = text.to_lowercase().replace(['%', '_', '\\'], "");
    if !needle.is_empty() {
        let pattern = format!("%{needle}%");
        select = select.filter(
            sea_orm::Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(user::Column::Email))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(user::Column::DisplayName))).like(pattern)),
        );
    }
    let people = select
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .all(&state.db)
        .await?;
    let team_ids: Vec<Uuid> = people.iter().filter_map(|p| p.team_id).collect();
    let teams: BTreeMap<Uuid, String> = if team_ids.is_empty() {
        BTreeMap::new()
    } else {
        team::Entity::find_in(caller.org_id)
            .filter(team::Column::Id.is_in(team_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect()
    };
    Ok(Json(ColleagueList {
        items: people
            .into_iter()
            .map(|p| Colleague {
                team_name: p.team_id.and_then(|t| teams.get(&t).cloned()),
                id: p.id,
                display_name: p.display_name,
            })
            .collect(),
    }))
}
