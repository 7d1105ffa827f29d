//! Reading the audit log (administrators).

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use sea_orm::{QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::Page;
use crate::{
    entities::audit_log,
    error::{AppResult, Problem},
    http::extract::{Admin, AppQuery},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEntry>,
}

/// Administrative actions, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "people", security(("bearer" = [])), params(Page),
    responses((status = 200, body = AuditList), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_audit_log(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(page): AppQuery<Page>,
) -> AppResult<Json<AuditList>> {
    let (limit, offset) = page.resolve(state.config.limits.max_page_size);
    let rows = audit_log::Entity::find_in(admin.org_id)
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(&state.db)
        .await?;
    Ok(Json(AuditList {
        items: rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor_id: r.actor_id,
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id,
                before: r.before,
                after: r.after,
                created_at: r.created_at,
            })
            .collect(),
    }))
}
