//! Delivery status of the organisation's emails (administrators). Bodies are not shown: they can
//! carry sign-in links.

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    entities::outbox,
    error::{AppError, AppResult, Problem},
    http::extract::{Admin, AppQuery},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_outbox))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutboxList {
    pub items: Vec<OutboxMessage>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxFilter {
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Emails of the organisation with their delivery status, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin", security(("bearer" = [])), params(OutboxFilter),
    responses((status = 200, body = OutboxList), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_outbox(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(filter): AppQuery<OutboxFilter>,
) -> AppResult<Json<OutboxList>> {
    let (limit, offset) = crate::people::Page {
        limit: filter.limit,
        offset: filter.offset,
    }
    .resolve(state.config.limits.max_page_size);
    let mut query = outbox::Entity::find_in(admin.org_id);
    if let Some(status) = filter.status.as_deref() {
        if ![
            super::outbox::QUEUED,
            super::outbox::SENDING,
            super::outbox::SENT,
            super::outbox::FAILED,
        ]
        .contains(&status)
        {
            return Err(AppError::field(
                "status",
                "must be queued, sending, sent or failed",
            ));
        }
        query = query.filter(outbox::Column::Status.eq(status));
    }
    let rows = query
        .order_by_desc(outbox::Column::CreatedAt)
        .limit(limit)
        .offset(offset)
        .all(&state.db)
        .await?;
    Ok(Json(OutboxList {
        items: rows
            .into_iter()
            .map(|m| OutboxMessage {
                id: m.id,
                kind: m.kind,
                to_address: m.to_address,
                subject: m.subject,
                status: m.status,
                attempts: m.attempts,
                last_error: m.last_error,
                next_attempt_at: m.next_attempt_at,
                created_at: m.created_at,
                sent_at: m.sent_at,
            })
            .collect(),
    }))
}
