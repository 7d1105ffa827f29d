//! Campaigns: a named, dated push with a goal, a points multiplier and target teams.

use std::collections::BTreeSet;

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::text_field;
use crate::{
    audit,
    entities::{campaign, team},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{AppJson, AppPath, AuthUser, Editor},
    people::orgs::slugify,
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign, update_campaign))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    pub id: Uuid,
    pub name: String,
    /// Used as `utm_campaign` on tracked links.
    pub slug: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Goal in human clicks.
    pub goal_human_clicks: Option<i64>,
    /// Multiplier reward rules may apply to shares in this campaign.
    pub points_multiplier: f64,
    pub target_team_ids: Vec<Uuid>,
    pub archived: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignList {
    pub items: Vec<CampaignView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CampaignInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub goal_human_clicks: Option<i64>,
    pub points_multiplier: Option<f64>,
    #[serde(default)]
    pub target_team_ids: Vec<Uuid>,
    /// Only on update: archive (`true`) or restore (`false`).
    pub archived: Option<bool>,
}

fn view(c: campaign::Model) -> CampaignView {
    CampaignView {
        target_team_ids: c
            .target_team_ids
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
            .unwrap_or_default(),
        id: c.id,
        name: c.name,
        slug: c.slug,
        description: c.description,
        starts_at: c.starts_at,
        ends_at: c.ends_at,
        goal_human_clicks: c.goal_human_clicks,
        points_multiplier: c.points_multiplier,
        archived: c.archived_at.is_some(),
    }
}

async fn validate(
    state: &AppState,
    org: Uuid,
    input: &CampaignInput,
) -> AppResult<(String, Vec<Uuid>)> {
    let mut v = Validator::new();
    let name = text_field("name", &input.name, 120).ok();
    v.check(name.is_some(), "name", "must be 1 to 120 characters");
    v.check(
        input.description.chars().count() <= 2000,
        "description",
        "must be at most 2000 characters",
    );
    if let Some(end) = input.ends_at {
        v.check(end > input.starts_at, "ends_at", "must be after starts_at");
    }
    v.check(
        input.goal_human_clicks.is_none_or(|g| g > 0),
        "goal_human_clicks",
        "must be positive",
    );
    v.check(
        input
            .points_multiplier
            .is_none_or(|m| m.is_finite() && (0.0..=10.0).contains(&m)),
        "points_multiplier",
        "must be between 0 and 10",
    );
    let teams: Vec<Uuid> = input
        .target_team_ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !teams.is_empty() {
        let found = team::Entity::find_in(org)
            .filter(team::Column::Id.is_in(teams.clone()))
            .all(&state.db)
            .await?;
        v.check(
            found.len() == teams.len(),
            "target_team_ids",
            "every team must exist in this organisation",
        );
    }
    v.finish()?;
    Ok((name.unwrap_or_default(), teams))
}

/// Campaigns of the organisation (any signed-in person; archived ones last).
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "content", security(("bearer" = [])),
    responses((status = 200, body = CampaignList), (status = 401, body = Problem)))]
async fn list_campaigns(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<CampaignList>> {
    let rows = campaign::Entity::find_in(user.org_id)
        .order_by_desc(campaign::Column::StartsAt)
        .all(&state.db)
        .await?;
    let mut items: Vec<CampaignView> = rows.into_iter().map(view).collect();
    items.sort_by_key(|c| c.archived);
    Ok(Json(CampaignList { items }))
}

/// Create a campaign (editors).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "content", security(("bearer" = [])), request_body = CampaignInput,
    responses((status = 201, body = CampaignView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_campaign(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppJson(input): AppJson<CampaignInput>,
) -> AppResult<(StatusCode, Json<CampaignView>)> {
    let (name, teams) = validate(&state, editor.org_id, &input).await?;
    let slug = slugify(&name);
    if slug.is_empty() {
        return Err(AppError::field("name", "must contain letters or digits"));
    }
    let id = Uuid::now_v7();
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    campaign::Entity::insert(campaign::ActiveModel {
        id: Set(id),
        org_id: Set(editor.org_id),
        name: Set(name),
        slug: Set(slug),
        description: Set(input.description.trim().to_owned()),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        goal_human_clicks: Set(input.goal_human_clicks),
        points_multiplier: Set(input.points_multiplier.unwrap_or(1.0)),
        target_team_ids: Set(serde_json::json!(teams)),
        created_by: Set(Some(editor.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => AppError::conflict(
            "campaign_exists",
            "A campaign with this name already exists.",
        ),
        other => other,
    })?;
    let created = campaign::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .map(view)
        .ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: editor.org_id,
            actor_id: Some(editor.user_id),
            action: "campaign.create",
            target_type: "campaign",
            target_id: Some(id.to_string()),
            before: None,
            after: serde_json::to_value(&created).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "content", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignView), (status = 404, body = Problem)))]
async fn get_campaign(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<CampaignView>> {
    Ok(Json(
        campaign::Entity::find_one_in(user.org_id, id)
            .one(&state.db)
            .await?
            .map(view)
            .ok_or(AppError::NotFound)?,
    ))
}

/// Replace a campaign's details, or archive it (editors). The slug stays as first created so
/// that analytics keep one `utm_campaign` value.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "content", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CampaignInput,
    responses((status = 200, body = CampaignView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_campaign(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<CampaignInput>,
) -> AppResult<Json<CampaignView>> {
    let current = campaign::Entity::find_one_in(editor.org_id, id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (name, teams) = validate(&state, editor.org_id, &input).await?;
    let before = view(current.clone());
    let txn = crate::db::begin_write(&state.db).await?;
    let mut model: campaign::ActiveModel = current.clone().into();
    model.name = Set(name);
    model.description = Set(input.description.trim().to_owned());
    model.starts_at = Set(input.starts_at);
    model.ends_at = Set(input.ends_at);
    model.goal_human_clicks = Set(input.goal_human_clicks);
    model.points_multiplier = Set(input.points_multiplier.unwrap_or(current.points_multiplier));
    model.target_team_ids = Set(serde_json::json!(teams));
    model.updated_at = Set(Utc::now());
    if let Some(archived) = input.archived {
        model.archived_at = Set(if archived {
            current.archived_at.or(Some(Utc::now()))
        } else {
            None
        });
    }
    campaign::Entity::update(model).exec(&txn).await?;
    let after = campaign::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .map(view)
        .ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: editor.org_id,
            actor_id: Some(editor.user_id),
            action: "campaign.update",
            target_type: "campaign",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Json(after))
}
