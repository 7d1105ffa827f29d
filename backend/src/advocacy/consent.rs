//! Consent to the advocacy programme. Opting in records the programme-terms version and time;
//! opting out takes effect at once. Both are kept as history. Someone who is not opted in
//! cannot share and appears in no per-person view.

use axum::{
    Json,
    extract::{FromRef, FromRequestParts, State},
    http::request::Parts,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    entities::{advocate, consent_event},
    error::{AppError, AppResult, Problem},
    http::extract::{AppJson, AuthUser},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_consent, update_consent))
        .routes(routes!(opt_in))
        .routes(routes!(opt_out))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentEvent {
    /// `opt_in` or `opt_out`.
    pub action: String,
    pub terms_version: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentView {
    pub opted_in: bool,
    /// Terms version the caller accepted (when opted in).
    pub terms_version: Option<String>,
    /// Terms version in force; opting in means accepting it.
    pub current_terms_version: String,
    pub opted_in_at: Option<DateTime<Utc>>,
    pub opted_out_at: Option<DateTime<Utc>>,
    /// Whether the caller appears on leaderboards (off unless chosen).
    pub show_in_leaderboard: bool,
    pub history: Vec<ConsentEvent>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OptInRequest {
    /// Must equal the current programme-terms version.
    pub terms_version: String,
    #[serde(default)]
    pub show_in_leaderboard: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsentSettings {
    pub show_in_leaderboard: bool,
}

/// A person who is currently opted in to the advocacy programme.
#[derive(Debug, Clone)]
pub struct Advocate(pub AuthUser);

impl<S> FromRequestParts<S> for Advocate
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        let state = AppState::from_ref(state);
        if is_opted_in(&state.db, user.org_id, user.user_id).await? {
            Ok(Advocate(user))
        } else {
            Err(AppError::Conflict {
                code: "not_opted_in",
                detail: "Opt in to the advocacy programme first.".into(),
            })
        }
    }
}

/// People who may appear on leaderboards: opted in to the programme and chose to show their
/// rank (off unless chosen). Every leaderboard starts from this set.
pub async fn ranked_people(
    db: &impl ConnectionTrait,
    org: Uuid,
) -> AppResult<std::collections::BTreeSet<Uuid>> {
    Ok(advocate::Entity::find_in(org)
        .select_only()
        .column(advocate::Column::UserId)
        .filter(advocate::Column::OptedIn.eq(true))
        .filter(advocate::Column::ShowInLeaderboard.eq(true))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Whether a person may appear on (and see their own rank in) leaderboards.
pub async fn allows_ranking(db: &impl ConnectionTrait, org: Uuid, user: Uuid) -> AppResult<bool> {
    Ok(advocate::Entity::find_in(org)
        .filter(advocate::Column::UserId.eq(user))
        .one(db)
        .await?
        .is_some_and(|a| a.opted_in && a.show_in_leaderboard))
}

pub async fn is_opted_in(db: &impl ConnectionTrait, org: Uuid, user: Uuid) -> AppResult<bool> {
    Ok(advocate::Entity::find_in(org)
        .filter(advocate::Column::UserId.eq(user))
        .one(db)
        .await?
        .is_some_and(|a| a.opted_in))
}

async fn view(state: &AppState, user: &AuthUser) -> AppResult<ConsentView> {
    let current = advocate::Entity::find_in(user.org_id)
        .filter(advocate::Column::UserId.eq(user.user_id))
        .one(&state.db)
        .await?;
    let history = consent_event::Entity::find_in(user.org_id)
        .filter(consent_event::Column::UserId.eq(user.user_id))
        .order_by_desc(consent_event::Column::CreatedAt)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| ConsentEvent {
            action: e.action,
            terms_version: e.terms_version,
            at: e.created_at,
        })
        .collect();
    Ok(ConsentView {
        opted_in: current.as_ref().is_some_and(|a| a.opted_in),
        terms_version: current.as_ref().and_then(|a| a.terms_version.clone()),
        current_terms_version: state.config.advocacy.terms_version.clone(),
        opted_in_at: current.as_ref().and_then(|a| a.opted_in_at),
        opted_out_at: current.as_ref().and_then(|a| a.opted_out_at),
        show_in_leaderboard: current.as_ref().is_some_and(|a| a.show_in_leaderboard),
        history,
    })
}

/// Writes the current consent and a history event in one transaction.
pub async fn set_consent(
    db: &impl TransactionTrait,
    org: Uuid,
    user: Uuid,
    opted_in: bool,
    terms_version: Option<String>,
    show_in_leaderboard: Option<bool>,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let current = advocate::Entity::find_in(org)
        .filter(advocate::Column::UserId.eq(user))
        .one(&txn)
        .await?;
    let leaderboard =
        show_in_leaderboard.unwrap_or(current.as_ref().is_some_and(|a| a.show_in_leaderboard));
    let model = advocate::ActiveModel {
        org_id: Set(org),
        user_id: Set(user),
        opted_in: Set(opted_in),
        terms_version: Set(if opted_in {
            terms_version.clone()
        } else {
            current.as_ref().and_then(|a| a.terms_version.clone())
        }),
        opted_in_at: Set(if opted_in {
            Some(at)
        } else {
            current.as_ref().and_then(|a| a.opted_in_at)
        }),
        opted_out_at: Set(if opted_in {
            current.as_ref().and_then(|a| a.opted_out_at)
        } else {
            Some(at)
        }),
        show_in_leaderboard: Set(opted_in && leaderboard),
        updated_at: Set(at),
    };
    if current.is_some() {
        advocate::Entity::update(model).exec(&txn).await?;
    } else {
        advocate::Entity::insert(model)
            .exec_without_returning(&txn)
            .await?;
    }
    consent_event::Entity::insert(consent_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org),
        user_id: Set(user),
        action: Set(if opted_in { "opt_in" } else { "opt_out" }.to_owned()),
        terms_version: Set(terms_version),
        created_at: Set(at),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The caller's consent to the advocacy programme, with its history.
#[utoipa::path(get, path = "/api/v1/me/advocacy", tag = "advocacy", security(("bearer" = [])),
    responses((status = 200, body = ConsentView), (status = 401, body = Problem)))]
async fn get_consent(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<ConsentView>> {
    Ok(Json(view(&state, &user).await?))
}

/// Opt in, accepting the current programme terms.
#[utoipa::path(post, path = "/api/v1/me/advocacy/opt-in", tag = "advocacy", security(("bearer" = [])), request_body = OptInRequest,
    responses((status = 200, body = ConsentView), (status = 422, description = "Not the current terms version", body = Problem)))]
async fn opt_in(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(body): AppJson<OptInRequest>,
) -> AppResult<Json<ConsentView>> {
    if body.terms_version != state.config.advocacy.terms_version {
        return Err(AppError::field(
            "terms_version",
            format!(
                "must be the current terms version {}",
                state.config.advocacy.terms_version
            ),
        ));
    }
    set_consent(
        &state.db,
        user.org_id,
        user.user_id,
        true,
        Some(body.terms_version),
        Some(body.show_in_leaderboard),
        Utc::now(),
    )
    .await?;
    Ok(Json(view(&state, &user).await?))
}

/// Opt out; takes effect at once. Past clicks stay in aggregates only.
#[utoipa::path(post, path = "/api/v1/me/advocacy/opt-out", tag = "advocacy", security(("bearer" = [])),
    responses((status = 200, body = ConsentView), (status = 401, body = Problem)))]
async fn opt_out(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<ConsentView>> {
    set_consent(
        &state.db,
        user.org_id,
        user.user_id,
        false,
        None,
        Some(false),
        Utc::now(),
    )
    .await?;
    Ok(Json(view(&state, &user).await?))
}

/// Change whether the caller appears on leaderboards (opted-in people only).
#[utoipa::path(patch, path = "/api/v1/me/advocacy", tag = "advocacy", security(("bearer" = [])), request_body = ConsentSettings,
    responses((status = 200, body = ConsentView), (status = 409, body = Problem)))]
async fn update_consent(
    State(state): State<AppState>,
    Advocate(user): Advocate,
    AppJson(body): AppJson<ConsentSettings>,
) -> AppResult<Json<ConsentView>> {
    let txn = crate::db::begin_write(&state.db).await?;
    advocate::Entity::update_many()
        .col_expr(
            advocate::Column::ShowInLeaderboard,
            sea_orm::sea_query::Expr::value(body.show_in_leaderboard),
        )
        .col_expr(
            advocate::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(advocate::Column::OrgId.eq(user.org_id))
        .filter(advocate::Column::UserId.eq(user.user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Json(view(&state, &user).await?))
}
