//! Posts suggested by employees, which editors approve (creating a draft post) or reject with a
//! note.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{http_url, text_field};
use crate::{
    audit,
    auth::Role,
    entities::{post, post_suggestion},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{AppJson, AppPath, AuthUser, Editor},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_suggestions, suggest))
        .routes(routes!(approve))
        .routes(routes!(reject))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SuggestionView {
    pub id: Uuid,
    pub suggested_by: Uuid,
    pub title: String,
    pub url: String,
    pub summary: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub review_note: Option<String>,
    /// The draft post created on approval.
    pub post_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SuggestionList {
    pub items: Vec<SuggestionView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SuggestionInput {
    pub title: String,
    pub url: String,
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewInput {
    #[serde(default)]
    pub note: String,
}

fn view(s: post_suggestion::Model) -> SuggestionView {
    SuggestionView {
        id: s.id,
        suggested_by: s.suggested_by,
        title: s.title,
        url: s.url,
        summary: s.summary,
        status: s.status,
        review_note: s.review_note,
        post_id: s.post_id,
        created_at: s.created_at,
        reviewed_at: s.reviewed_at,
    }
}

/// Suggestions: editors see everyone's, others their own; newest first.
#[utoipa::path(get, path = "/api/v1/suggestions", tag = "content", security(("bearer" = [])),
    responses((status = 200, body = SuggestionList), (status = 401, body = Problem)))]
async fn list_suggestions(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<SuggestionList>> {
    let mut query = post_suggestion::Entity::find_in(user.org_id);
    if !(user.has(Role::Editor) || user.has(Role::Admin)) {
        query = query.filter(post_suggestion::Column::SuggestedBy.eq(user.user_id));
    }
    let rows = query
        .order_by_desc(post_suggestion::Column::CreatedAt)
        .limit(200)
        .all(&state.db)
        .await?;
    Ok(Json(SuggestionList {
        items: rows.into_iter().map(view).collect(),
    }))
}

/// Suggest a post for the library.
#[utoipa::path(post, path = "/api/v1/suggestions", tag = "content", security(("bearer" = [])), request_body = SuggestionInput,
    responses((status = 201, body = SuggestionView), (status = 422, body = Problem)))]
async fn suggest(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(input): AppJson<SuggestionInput>,
) -> AppResult<(StatusCode, Json<SuggestionView>)> {
    let mut v = Validator::new();
    let title = text_field("title", &input.title, 200).ok();
    v.check(title.is_some(), "title", "must be 1 to 200 characters");
    let url = http_url("url", &input.url).ok();
    v.check(
        url.is_some(),
        "url",
        "must be an absolute http or https URL",
    );
    v.check(
        input.summary.chars().count() <= 2000,
        "summary",
        "must be at most 2000 characters",
    );
    v.finish()?;
    let model = post_suggestion::Model {
        id: Uuid::now_v7(),
        org_id: user.org_id,
        suggested_by: user.user_id,
        title: title.unwrap_or_default(),
        url: url.map(|u| u.to_string()).unwrap_or_default(),
        summary: input.summary.trim().to_owned(),
        status: "pending".into(),
        reviewed_by: None,
        review_note: None,
        post_id: None,
        created_at: Utc::now(),
        reviewed_at: None,
    };
    post_suggestion::Entity::insert(post_suggestion::ActiveModel::from(model.clone()))
        .exec_without_returning(&state.db)
        .await?;
    Ok((StatusCode::CREATED, Json(view(model))))
}

async fn review(
    state: &AppState,
    editor: &AuthUser,
    id: Uuid,
    note: &str,
    approve: bool,
) -> AppResult<SuggestionView> {
    if note.chars().count() > 1000 {
        return Err(AppError::field("note", "must be at most 1000 characters"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let found = post_suggestion::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.status != "pending" {
        return Err(AppError::conflict(
            "already_reviewed",
            "This suggestion was already reviewed.",
        ));
    }
    let now = Utc::now();
    let post_id = if approve {
        let post_id = Uuid::now_v7();
        post::Entity::insert(post::ActiveModel {
            id: Set(post_id),
            org_id: Set(editor.org_id),
            title: Set(found.title.clone()),
            url: Set(found.url.clone()),
            summary: Set(found.summary.clone()),
            image_url: Set(None),
            tags: Set(serde_json::json!([])),
            suggested_texts: Set(serde_json::json!({})),
            campaign_id: Set(None),
            target_team_ids: Set(serde_json::json!([])),
            status: Set(super::posts::DRAFT.into()),
            publish_at: Set(None),
            expires_at: Set(None),
            published_at: Set(None),
            created_by: Set(Some(editor.user_id)),
            suggested_by: Set(Some(found.suggested_by)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        Some(post_id)
    } else {
        None
    };
    let note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
    let updated = post_suggestion::Entity::update_many()
        .col_expr(
            post_suggestion::Column::Status,
            Expr::value(if approve { "approved" } else { "rejected" }),
        )
        .col_expr(
            post_suggestion::Column::ReviewedBy,
            Expr::value(editor.user_id),
        )
        .col_expr(post_suggestion::Column::ReviewNote, Expr::value(note))
        .col_expr(post_suggestion::Column::PostId, Expr::value(post_id))
        .col_expr(post_suggestion::Column::ReviewedAt, Expr::value(now))
        .filter(post_suggestion::Column::OrgId.eq(editor.org_id))
        .filter(post_suggestion::Column::Id.eq(id))
        .filter(post_suggestion::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::conflict(
            "already_reviewed",
            "This suggestion was already reviewed.",
        ));
    }
    let after = post_suggestion::Entity::find_one_in(editor.org_id, id)
        .one(&txn)
        .await?
        .map(view)
        .ok_or(AppError::NotFound)?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: editor.org_id,
            actor_id: Some(editor.user_id),
            action: if approve {
                "suggestion.approve"
            } else {
                "suggestion.reject"
            },
            target_type: "suggestion",
            target_id: Some(id.to_string()),
            before: None,
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Approve a suggestion (editors): creates a draft post from it.
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/approve", tag = "content", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ReviewInput,
    responses((status = 200, body = SuggestionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<ReviewInput>,
) -> AppResult<Json<SuggestionView>> {
    Ok(Json(review(&state, &editor, id, &input.note, true).await?))
}

/// Reject a suggestion with a note (editors).
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/reject", tag = "content", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ReviewInput,
    responses((status = 200, body = SuggestionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reject(
    State(state): State<AppState>,
    Editor(editor): Editor,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<ReviewInput>,
) -> AppResult<Json<SuggestionView>> {
    Ok(Json(review(&state, &editor, id, &input.note, false).await?))
}
