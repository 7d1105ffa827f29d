//! Integrations that report engagement for shares: an organisation API token
//! (`Authorization: Bearer chi_…`), or an HMAC-signed webhook.
//!
//! Webhook signature: `X-Chorus-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
//! with `X-Chorus-Timestamp: <unix seconds>`. Requests older than five minutes, with a wrong
//! signature, or replaying an already received signature are rejected.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRef, FromRequestParts, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    shares::{EngagementInput, ShareView, find_by_code, record_engagement, validate_engagement},
    text_field,
};
use crate::{
    audit,
    auth::tokens::{hash_token, random_token},
    entities::{integration, webhook_receipt},
    error::{AppError, AppResult, Problem},
    http::extract::{Admin, AppJson, AppPath, parse_json},
    state::AppState,
    tenancy::OrgScoped,
};

pub const TOKEN_PREFIX: &str = "chi_";
const MAX_SKEW_SECS: i64 = 300;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_integrations, create_integration))
        .routes(routes!(revoke_integration))
        .routes(routes!(report_with_token))
        .routes(routes!(webhook))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IntegrationView {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IntegrationList {
    pub items: Vec<IntegrationView>,
}

/// Shown once, at creation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IntegrationCreated {
    pub integration: IntegrationView,
    /// Bearer token for `POST /api/v1/integrations/engagement`.
    pub token: String,
    /// Secret for signing webhooks to `POST /api/v1/webhooks/engagement/{id}`.
    pub signing_secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IntegrationInput {
    pub name: String,
}

/// Engagement numbers for a share named by its tracking code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EngagementReport {
    pub code: String,
    #[serde(default)]
    pub impressions: i64,
    #[serde(default)]
    pub reactions: i64,
    #[serde(default)]
    pub comments: i64,
    #[serde(default)]
    pub reshares: i64,
    /// When the numbers were observed (default: now).
    pub observed_at: Option<DateTime<Utc>>,
}

fn view(i: integration::Model) -> IntegrationView {
    IntegrationView {
        id: i.id,
        name: i.name,
        created_at: i.created_at,
        last_used_at: i.last_used_at,
        revoked: i.revoked_at.is_some(),
    }
}

/// Integrations of the organisation (administrators).
#[utoipa::path(get, path = "/api/v1/integrations", tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = IntegrationList), (status = 403, body = Problem)))]
async fn list_integrations(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> AppResult<Json<IntegrationList>> {
    let rows = integration::Entity::find_in(admin.org_id)
        .order_by_desc(integration::Column::CreatedAt)
        .all(&state.db)
        .await?;
    Ok(Json(IntegrationList {
        items: rows.into_iter().map(view).collect(),
    }))
}

/// Create an integration (administrators); its token and signing secret are shown only now.
#[utoipa::path(post, path = "/api/v1/integrations", tag = "integrations", security(("bearer" = [])), request_body = IntegrationInput,
    responses((status = 201, body = IntegrationCreated), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_integration(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<IntegrationInput>,
) -> AppResult<(StatusCode, Json<IntegrationCreated>)> {
    let name = text_field("name", &input.name, 80)?;
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let secret = random_token();
    let model = integration::Model {
        id: Uuid::now_v7(),
        org_id: admin.org_id,
        name,
        token_hash: hash_token(&token),
        signing_secret: secret.clone(),
        created_by: Some(admin.user_id),
        created_at: Utc::now(),
        last_used_at: None,
        revoked_at: None,
    };
    integration::Entity::insert(integration::ActiveModel::from(model.clone()))
        .exec_without_returning(&state.db)
        .await?;
    audit::record(
        &state.db,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "integration.create",
            target_type: "integration",
            target_id: Some(model.id.to_string()),
            before: None,
            after: Some(serde_json::json!({ "name": model.name })),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(IntegrationCreated {
            integration: view(model),
            token,
            signing_secret: secret,
        }),
    ))
}

/// Revoke an integration (administrators): its token and signatures stop working.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}", tag = "integrations", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn revoke_integration(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<StatusCode> {
    integration::Entity::find_one_in(admin.org_id, id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    integration::Entity::update_many()
        .col_expr(integration::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(integration::Column::OrgId.eq(admin.org_id))
        .filter(integration::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    audit::record(
        &state.db,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "integration.revoke",
            target_type: "integration",
            target_id: Some(id.to_string()),
            before: None,
            after: None,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An integration authenticated by its bearer token.
pub struct IntegrationAuth(pub integration::Model);

impl<S> FromRequestParts<S> for IntegrationAuth
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let invalid = AppError::Unauthorized {
            code: "invalid_integration_token",
            detail: "A valid integration token is required.",
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or(AppError::Unauthorized {
                code: "invalid_integration_token",
                detail: "A valid integration token is required.",
            })?;
        let state = AppState::from_ref(state);
        let found = integration::Entity::find()
            .filter(integration::Column::TokenHash.eq(hash_token(token.trim())))
            .filter(integration::Column::RevokedAt.is_null())
            .one(&state.db)
            .await?
            .ok_or(invalid)?;
        Ok(IntegrationAuth(found))
    }
}

async fn apply(
    state: &AppState,
    found: &integration::Model,
    report: EngagementReport,
) -> AppResult<ShareView> {
    let input = EngagementInput {
        impressions: report.impressions,
        reactions: report.reactions,
        comments: report.comments,
        reshares: report.reshares,
    };
    validate_engagement(&input)?;
    let now = Utc::now();
    let observed = report.observed_at.unwrap_or(now);
    if observed > now + chrono::Duration::minutes(5) {
        return Err(AppError::field("observed_at", "must not be in the future"));
    }
    let share = find_by_code(&state.db, found.org_id, report.code.trim()).await?;
    record_engagement(
        &state.db,
        &share,
        &format!("integration:{}", found.name),
        &input,
        observed,
    )
    .await?;
    integration::Entity::update_many()
        .col_expr(integration::Column::LastUsedAt, Expr::value(now))
        .filter(integration::Column::Id.eq(found.id))
        .exec(&state.db)
        .await?;
    let share = find_by_code(&state.db, found.org_id, report.code.trim()).await?;
    Ok(super::shares::view(state, share))
}

/// Report engagement for a share with an integration token.
#[utoipa::path(post, path = "/api/v1/integrations/engagement", tag = "integrations", security(("integration" = [])),
    request_body = EngagementReport,
    responses((status = 200, body = ShareView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn report_with_token(
    State(state): State<AppState>,
    IntegrationAuth(found): IntegrationAuth,
    AppJson(report): AppJson<EngagementReport>,
) -> AppResult<Json<ShareView>> {
    Ok(Json(apply(&state, &found, report).await?))
}

/// The expected signature header value for a body.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={digest}")
}

/// Receive an HMAC-signed engagement report.
///
/// Headers: `X-Chorus-Timestamp` (unix seconds, within five minutes) and
/// `X-Chorus-Signature: sha256=<hex HMAC-SHA256(signing secret, "<timestamp>.<raw body>")>`.
/// Each signature is accepted once.
#[utoipa::path(post, path = "/api/v1/webhooks/engagement/{id}", tag = "integrations", params(("id" = Uuid, Path, description = "Integration id")),
    request_body = EngagementReport,
    responses(
        (status = 200, body = ShareView),
        (status = 401, description = "Missing, stale or wrong signature", body = Problem),
        (status = 409, description = "Replayed request", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn webhook(
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<ShareView>> {
    let unauthorized = || AppError::Unauthorized {
        code: "invalid_signature",
        detail: "The webhook signature is missing, stale or wrong.",
    };
    let timestamp: i64 = headers
        .get("x-chorus-timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(unauthorized)?;
    let signature = headers
        .get("x-chorus-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .ok_or_else(unauthorized)?;
    if (Utc::now().timestamp() - timestamp).abs() > MAX_SKEW_SECS {
        return Err(unauthorized());
    }
    let found = integration::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|i| i.revoked_at.is_none())
        .ok_or_else(unauthorized)?;
    let expected = sign(&found.signing_secret, timestamp, &body);
    if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        return Err(unauthorized());
    }
    let report: EngagementReport = parse_json(&body)?;
    let receipt = webhook_receipt::Entity::insert(webhook_receipt::ActiveModel {
        org_id: Set(found.org_id),
        signature: Set(expected),
        received_at: Set(Utc::now()),
    })
    .exec_without_returning(&state.db)
    .await;
    match receipt {
        Ok(_) => {}
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::conflict(
                "replayed",
                "This webhook request was already received.",
            ));
        }
        Err(err) => return Err(err.into()),
    }
    Ok(Json(apply(&state, &found, report).await?))
}
