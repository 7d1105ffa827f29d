//! The content library: posts that editors prepare for sharing, their life cycle
//! (draft → scheduled → published → archived, with publish and expiry times honoured by the
//! `publish` job), and the employee feed of published posts aimed at them.

use std::collections::{BTreeMap, BTreeSet};

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{Network, http_url, text_field};
use crate::{
    audit,
    entities::{campaign, post, share, team},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{AppJson, AppPath, AppQuery, AuthUser, Editor},
    people::users::double_option,
    state::AppState,
    tenancy::OrgScoped,
};

pub const DRAFT: &str = "draft";
pub const SCHEDULED: &str = "scheduled";
pub const PUBLISHED: &str = "published";
pub const ARCHIVED: &str = "archived";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_posts, create_post))
        .routes(routes!(get_post, update_post))
        .routes(routes!(publish_post))
        .routes(routes!(archive_post))
        .routes(routes!(feed))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PostView {
    pub id: Uuid,
    pub title: String,
    pub url: String,
    pub summary: String,
    pub image_url: Option<String>,
    pub tags: Vec<String>,
    /// Suggested text per network (`linkedin`, `x`, …).
    pub suggested_texts: BTreeMap<String, String>,
    pub campaign_id: Option<Uuid>,
    /// Empty: everyone; otherwise people in these teams and the teams below them.
    pub target_team_ids: Vec<Uuid>,
    /// `draft`, `scheduled`, `published` or `archived`.
    pub status: String,
    pub publish_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostList {
    pub items: Vec<PostView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedItem {
    #[serde(flatten)]
    pub post: PostView,
    /// Networks the caller already shared this post to.
    pub shared_on: Vec<Network>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Feed {
    pub items: Vec<FeedItem>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostInput {
    pub title: String,
    pub url: String,
    #[serde(default)]
    pub summary: String,
    pub image_url: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub suggested_texts: BTreeMap<Network, String>,
    pub campaign_id: Option<Uuid>,
    #[serde(default)]
    pub target_team_ids: Vec<Uuid>,
    /// `draft` (default), `scheduled` (needs `publish_at`) or `published` (now).
    pub status: Option<String>,
    pub publish_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostPatch {
    pub title: Option<String>,
    pub url: Option<String>,
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub image_url: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub suggested_texts: Option<BTreeMap<Network, String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub campaign_id: Option<Option<Uuid>>,
    pub target_team_ids: Option<Vec<Uuid>>,
    /// `draft` or `scheduled` (use the publish and archive actions for the rest).
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub publish_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostFilter {
    /// `draft`, `scheduled`, `published` or `archived`.
    pub status: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

fn json_uuids(value: &serde_json::Value) -> Vec<Uuid> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

pub fn view(p: post::Model) -> PostView {
    PostView {
        tags: p
            .tags
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        suggested_texts: p
            .suggested_texts
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
        target_team_ids: json_uuids(&p.target_team_ids),
        id: p.id,
        title: p.title,
        url: p.url,
        summary: p.summary,
        image_url: p.image_url,
        campaign_id: p.campaign_id,
        status: p.status,
        publish_at: p.publish_at,
        expires_at: p.expires_at,
        published_at: p.published_at,
        created_at: p.created_at,
    }
}

fn clean_tags(tags: &[String], v: &mut Validator) -> Vec<String> {
    let mut out = BTreeSet::new();
    for tag in tags {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if tag.is_empty() || tag.chars().count() > 40 {
            v.push("tags", "each tag must be 1 to 40 characters");
        } else {
            out.insert(tag);
        }
    }
    if out.len() > 20 {
        v.push("tags", "at most 20 tags");
    }
    out.into_iter().collect()
}

fn clean_texts(texts: &BTreeMap<Network, String>, v: &mut Validator) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (network, text) in texts {
        let text = text.trim();
        if text.chars().count() > 3000 {
            v.push(
                &format!("suggested_texts.{}", network.as_str()),
                "must be at most 3000 characters",
            );
        } else if !text.is_empty() {
            map.insert(
                network.as_str().to_owned(),
                serde_json::Value::String(text.to_owned()),
            );
        }
    }
    serde_json::Value::Object(map)
}

/// Checks that a campaign and target teams belong to the organisation.
async fn check_refs(
    db: &impl ConnectionTrait,
    org: Uuid,
    campaign_id: Option<Uuid>,
    teams: &[Uuid],
) -> AppResult<()> {
    let mut v = Validator::new();
    if let Some(id) = campaign_id
        && campaign::Entity::find_one_in(org, id)
            .one(db)
            .await?
            .is_none()
    {
        v.push("campaign_id", "no such campaign");
    }
    if !teams.is_empty() {
        let unique: BTreeSet<Uuid> = teams.iter().copied().collect();
        let found = team::Entity::find_in(org)
            .filter(team::Column::Id.is_in(unique.iter().copied()))
            .all(db)
            .await?;
        if found.len() != unique.len() {
            v.push(
                "target_team_ids",
                "every team must exist in this organisation",
            );
        }
    }
    v.finish()
}

/// Posts of the library (editors).
#[utoipa::path(get, path = "/api/v1/posts", tag = "content", security(("bearer" = [])), params(PostFilter),
    responses((status = 200, body = PostList), (status = 403, body = Problem)))]
async fn list_posts(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppQuery(filter): AppQuery<PostFilter>,
) -> AppResult<Json<PostList>> {
    let (limit, offset) = crate::people::Page {
        limit: filter.limit,
        offset: filter.offset,
    }
    .resolve(state.config.limits.max_page_size);
    let mut query = post::Entity::find_in(editor.org_id);
    if let Some(status) = filter.status.as_deref() {
        if ![DRAFT, SCHEDULED, PUBLISHED, ARCHIVED].contains(&status) {
            return Err(AppError::field(
                "status",
                "must be draft, scheduled, published or archived",
            ));
        }
        query = query.filter(post::Column::Status.eq(status));
    }
    if let Some(campaign) = filter.campaign_id {
        query = query.filter(post::Column::CampaignId.eq(campaign));
    }
    let rows = query
        .order_by_desc(post::Column::CreatedAt)
        .limit(limit)
        .offset(offset)
        .all(&state.db)
        .await?;
    Ok(Json(PostList {
        items: rows.into_iter().map(view).collect(),
    }))
}

/// Create a post (editors). `status` may be `draft`, `scheduled` (with `publish_at`) or `published`.
#[utoipa::path(post, path = "/api/v1/posts", tag = "content", security(("bearer" = [])), request_body = PostInput,
    responses((status = 201, body = PostView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_post(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppJson(input): AppJson<PostInput>,
) -> AppResult<(StatusCode, Json<PostView>)> {
    let mut v = Validator::new();
    let title = text_field("title", &input.title, 200)
        .map_err(|e| {
            v.push(
                "title",
                e.problem()
                    .errors
                    .first()
                    .map(|f| f.message.clone())
                    .unwrap_or_default(),
            )
        })
        .ok();
    let url = http_url("url", &input.url)
        .map_err(|_| v.push("url", "must be an absolute http or https URL"))
        .ok();
    if input.summary.chars().count() > 2000 {
        v.push("summary", "must be at most 2000 characters");
    }
    let image = match input.image_url.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => http_url("image_url", raw)
            .map_err(|_| v.push("image_url", "must be an absolute http or https URL"))
            .ok()
            .map(|u| u.to_string()),
        None => None,
    };
    let tags = clean_tags(&input.tags, &mut v);
    let texts = clean_texts(&input.suggested_texts, &mut v);
    let status = input.status.as_deref().unwrap_or(DRAFT);
    let now = Utc::now();
    match status {
        DRAFT | PUBLISHED => {}
        SCHEDULED => {
            v.check(
                input.publish_at.is_some_and(|t| t > now),
                "publish_at",
                "must be in the future for a scheduled post",
            );
        }
        _ => v.push("status", "must be draft, scheduled or published"),
    }
    if let (Some(start), Some(end)) = (input.publish_at, input.expires_at) {
        v.check(end > start, "expires_at", "must be after publish_at");
    }
    if input.expires_at.is_some_and(|t| t <= now) {
        v.push("expires_at", "must be in the future");
    }
    v.finish()?;
    let txn = crate::db::begin_write(&state.db).await?;
    check_refs(
        &txn,
        editor.org_id,
        input.campaign_id,
        &input.target_team_ids,
    )
    .await?;
    let id = Uuid::now_v7();
    let teams: Vec<Uuid> = input
        .target_team_ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    post::Entity::insert(post::ActiveModel {
        id: Set(id),
        org_id: Set(editor.org_id),
        title: Set(title.unwrap_or_default()),
        url: Set(url.map(|u| u.to_string()).unwrap_or_default()),
        summary: Set(input.summary.trim().to_owned()),
        image_url: Set(image),
        tags: Set(serde_json::json!(tags)),
        suggested_texts: Set(texts),
        campaign_id: Set(input.campaign_id),
        target_team_ids: Set(serde_json::json!(teams)),
        status: Set(status.to_owned()),
        publish_at: Set(input.publish_at),
        expires_at: Set(input.expires_at),
        published_at: Set((status == PUBLISHED).then_some(now)),
        created_by: Set(Some(editor.user_id)),
        suggested_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    let created = post::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .map(view)
        .ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: editor.org_id,
            actor_id: Some(editor.user_id),
            action: "post.create",
            target_type: "post",
            target_id: Some(id.to_string()),
            before: None,
            after: serde_json::to_value(&created).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Ancestors of a team, itself included.
pub async fn team_and_ancestors(
    db: &impl ConnectionTrait,
    org: Uuid,
    team_id: Option<Uuid>,
) -> AppResult<BTreeSet<Uuid>> {
    let Some(mut current) = team_id else {
        return Ok(BTreeSet::new());
    };
    let all: Vec<(Uuid, Option<Uuid>)> = team::Entity::find_in(org)
        .select_only()
        .column(team::Column::Id)
        .column(team::Column::ParentId)
        .into_tuple()
        .all(db)
        .await?;
    let parents: BTreeMap<Uuid, Option<Uuid>> = all.into_iter().collect();
    let mut out = BTreeSet::new();
    while out.insert(current) {
        match parents.get(&current).copied().flatten() {
            Some(parent) => current = parent,
            None => break,
        }
    }
    Ok(out)
}

/// True when a post is aimed at someone in `teams` (their team and its ancestors).
pub fn targets(post: &post::Model, teams: &BTreeSet<Uuid>) -> bool {
    let targets = json_uuids(&post.target_team_ids);
    targets.is_empty() || targets.iter().any(|t| teams.contains(t))
}

/// Published, unexpired and aimed at the user.
pub async fn visible_to(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    post_id: Uuid,
) -> AppResult<post::Model> {
    let found = post::Entity::find_one_in(user.org_id, post_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let teams = team_and_ancestors(db, user.org_id, user.team_id).await?;
    let live = found.status == PUBLISHED && found.expires_at.is_none_or(|t| t > Utc::now());
    if live && targets(&found, &teams) {
        Ok(found)
    } else {
        Err(AppError::NotFound)
    }
}

/// One post: editors see any; others only published posts aimed at them.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "content", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = PostView), (status = 404, body = Problem)))]
async fn get_post(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<PostView>> {
    if user.has(crate::auth::Role::Editor) || user.has(crate::auth::Role::Admin) {
        let found = post::Entity::find_one_in(user.org_id, id)
            .one(&state.db)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(Json(view(found)));
    }
    Ok(Json(view(visible_to(&state.db, &user, id).await?)))
}

/// Edit a post (editors). Published posts keep their status; archived posts cannot be edited.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "content", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = PostPatch,
    responses((status = 200, body = PostView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_post(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppPath(id): AppPath<Uuid>,
    AppJson(patch): AppJson<PostPatch>,
) -> AppResult<Json<PostView>> {
    let txn = crate::db::begin_write(&state.db).await?;
    let current = post::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if current.status == ARCHIVED {
        return Err(AppError::conflict(
            "post_archived",
            "Archived posts cannot be edited.",
        ));
    }
    let before = view(current.clone());
    let mut v = Validator::new();
    let mut model: post::ActiveModel = current.clone().into();
    if let Some(title) = &patch.title {
        match text_field("title", title, 200) {
            Ok(t) => model.title = Set(t),
            Err(_) => v.push("title", "must be 1 to 200 characters"),
        }
    }
    if let Some(url) = &patch.url {
        match http_url("url", url) {
            Ok(u) => model.url = Set(u.to_string()),
            Err(_) => v.push("url", "must be an absolute http or https URL"),
        }
    }
    if let Some(summary) = &patch.summary {
        v.check(
            summary.chars().count() <= 2000,
            "summary",
            "must be at most 2000 characters",
        );
        model.summary = Set(summary.trim().to_owned());
    }
    if let Some(image) = &patch.image_url {
        match image.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(raw) => match http_url("image_url", raw) {
                Ok(u) => model.image_url = Set(Some(u.to_string())),
                Err(_) => v.push("image_url", "must be an absolute http or https URL"),
            },
            None => model.image_url = Set(None),
        }
    }
    if let Some(tags) = &patch.tags {
        model.tags = Set(serde_json::json!(clean_tags(tags, &mut v)));
    }
    if let Some(texts) = &patch.suggested_texts {
        model.suggested_texts = Set(clean_texts(texts, &mut v));
    }
    let campaign_id = patch.campaign_id.unwrap_or(current.campaign_id);
    model.campaign_id = Set(campaign_id);
    let teams = patch
        .target_team_ids
        .clone()
        .unwrap_or_else(|| json_uuids(&current.target_team_ids));
    model.target_team_ids = Set(serde_json::json!(
        teams.iter().copied().collect::<BTreeSet<_>>()
    ));
    let publish_at = patch.publish_at.unwrap_or(current.publish_at);
    let expires_at = patch.expires_at.unwrap_or(current.expires_at);
    model.publish_at = Set(publish_at);
    model.expires_at = Set(expires_at);
    if let Some(status) = patch.status.as_deref() {
        match (current.status.as_str(), status) {
            (DRAFT | SCHEDULED, DRAFT) => model.status = Set(DRAFT.into()),
            (DRAFT | SCHEDULED, SCHEDULED) => {
                v.check(
                    publish_at.is_some_and(|t| t > Utc::now()),
                    "publish_at",
                    "must be in the future for a scheduled post",
                );
                model.status = Set(SCHEDULED.into());
            }
            _ => v.push(
                "status",
                "use the publish and archive actions, or draft/scheduled for unpublished posts",
            ),
        }
    }
    if let (Some(start), Some(end)) = (publish_at, expires_at) {
        v.check(end > start, "expires_at", "must be after publish_at");
    }
    v.finish()?;
    check_refs(&txn, editor.org_id, campaign_id, &teams).await?;
    model.updated_at = Set(Utc::now());
    post::Entity::update(model).exec(&txn).await?;
    let after = post::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .map(view)
        .ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: editor.org_id,
            actor_id: Some(editor.user_id),
            action: "post.update",
            target_type: "post",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    state.links.clear();
    Ok(Json(after))
}

async fn transition(
    state: &AppState,
    editor: &AuthUser,
    id: Uuid,
    to: &'static str,
) -> AppResult<PostView> {
    let txn = crate::db::begin_write(&state.db).await?;
    let current = post::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let mut update = post::Entity::update_many()
        .col_expr(post::Column::Status, Expr::value(to))
        .col_expr(post::Column::UpdatedAt, Expr::value(now))
        .filter(post::Column::OrgId.eq(editor.org_id))
        .filter(post::Column::Id.eq(id));
    match (current.status.as_str(), to) {
        (DRAFT | SCHEDULED, PUBLISHED) => {
            update = update.col_expr(post::Column::PublishedAt, Expr::value(now));
        }
        (DRAFT | SCHEDULED | PUBLISHED, ARCHIVED) => {}
        (from, _) => {
            return Err(AppError::conflict(
                "invalid_transition",
                format!("A {from} post cannot become {to}."),
            ));
        }
    }
    update.exec(&txn).await?;
    let after = post::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .map(view)
        .ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: editor.org_id,
            actor_id: Some(editor.user_id),
            action: if to == PUBLISHED {
                "post.publish"
            } else {
                "post.archive"
            },
            target_type: "post",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(view(current)).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    state.links.clear();
    Ok(after)
}

/// Publish a draft or scheduled post now (editors).
#[utoipa::path(post, path = "/api/v1/posts/{id}/publish", tag = "content", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = PostView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn publish_post(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<PostView>> {
    Ok(Json(transition(&state, &editor, id, PUBLISHED).await?))
}

/// Archive a post (editors): it leaves the feed and its tracked links stop redirecting.
#[utoipa::path(post, path = "/api/v1/posts/{id}/archive", tag = "content", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = PostView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn archive_post(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<PostView>> {
    Ok(Json(transition(&state, &editor, id, ARCHIVED).await?))
}

/// The caller's feed: published, unexpired posts aimed at them, newest first, with the
/// networks they already shared each to.
#[utoipa::path(get, path = "/api/v1/feed", tag = "content", security(("bearer" = [])),
    responses((status = 200, body = Feed), (status = 401, body = Problem)))]
async fn feed(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Feed>> {
    let now = Utc::now();
    let teams = team_and_ancestors(&state.db, user.org_id, user.team_id).await?;
    let posts = post::Entity::find_in(user.org_id)
        .filter(post::Column::Status.eq(PUBLISHED))
        .filter(
            sea_orm::Condition::any()
                .add(post::Column::ExpiresAt.is_null())
                .add(post::Column::ExpiresAt.gt(now)),
        )
        .order_by_desc(post::Column::PublishedAt)
        .limit(500)
        .all(&state.db)
        .await?;
    let visible: Vec<post::Model> = posts
        .into_iter()
        .filter(|p| targets(p, &teams))
        .take(100)
        .collect();
    let ids: Vec<Uuid> = visible.iter().map(|p| p.id).collect();
    let mine: Vec<(Uuid, String)> = share::Entity::find_in(user.org_id)
        .select_only()
        .column(share::Column::PostId)
        .column(share::Column::Network)
        .filter(share::Column::UserId.eq(user.user_id))
        .filter(share::Column::PostId.is_in(ids))
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(Json(Feed {
        items: visible
            .into_iter()
            .map(|p| {
                let mut shared_on: Vec<Network> = mine
                    .iter()
                    .filter(|(id, _)| *id == p.id)
                    .filter_map(|(_, n)| Network::parse(n))
                    .collect();
                shared_on.sort();
                shared_on.dedup();
                FeedItem {
                    post: view(p),
                    shared_on,
                }
            })
            .collect(),
    }))
}

/// The `publish` job: scheduled posts whose time has come go live; expired posts are archived.
pub async fn publish_due(state: &AppState) -> anyhow::Result<String> {
    let now = Utc::now();
    let published = post::Entity::update_many()
        .col_expr(post::Column::Status, Expr::value(PUBLISHED))
        .col_expr(post::Column::PublishedAt, Expr::value(now))
        .col_expr(post::Column::UpdatedAt, Expr::value(now))
        .filter(post::Column::Status.eq(SCHEDULED))
        .filter(post::Column::PublishAt.lte(now))
        .exec(&state.db)
        .await?
        .rows_affected;
    let archived = post::Entity::update_many()
        .col_expr(post::Column::Status, Expr::value(ARCHIVED))
        .col_expr(post::Column::UpdatedAt, Expr::value(now))
        .filter(post::Column::Status.is_in([PUBLISHED, SCHEDULED]))
        .filter(post::Column::ExpiresAt.lte(now))
        .exec(&state.db)
        .await?
        .rows_affected;
    if archived > 0 {
        state.links.clear();
    }
    Ok(format!("published {published}, archived {archived}"))
}
