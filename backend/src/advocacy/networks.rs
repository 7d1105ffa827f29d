//! Linked network profiles: where an advocate posts and how large their audience is there, with
//! where that number came from (self-reported or a connector) and when.
//!
//! Networks with real APIs plug in through [`Connector`]: posting and metric pulls can be added
//! per network without touching the core, which only ever sees [`ProfileSnapshot`]s and
//! [`EngagementSnapshot`]s.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{Network, http_url, text_field};
use crate::{
    entities::network_profile,
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{AppJson, AppPath, AuthUser},
    state::AppState,
    tenancy::OrgScoped,
};

/// What a connector reports about a profile.
#[derive(Debug, Clone)]
pub struct ProfileSnapshot {
    pub handle: String,
    pub profile_url: Option<String>,
    pub audience_size: i64,
    pub as_of: DateTime<Utc>,
}

/// What a connector reports about a published post.
#[derive(Debug, Clone)]
pub struct EngagementSnapshot {
    pub impressions: i64,
    pub reactions: i64,
    pub comments: i64,
    pub reshares: i64,
    pub as_of: DateTime<Utc>,
}

/// An API-backed network integration. Implementations live outside the core and are looked up
/// by network; the share flow works without any (share-intent URLs need no API key).
pub trait Connector: Send + Sync {
    fn network(&self) -> Network;
    /// Refreshes a linked profile (audience size) with the member's authorisation.
    fn fetch_profile(
        &self,
        access_token: &str,
    ) -> futures::future::BoxFuture<'_, anyhow::Result<ProfileSnapshot>>;
    /// Pulls engagement for a published post by its public URL.
    fn fetch_engagement(
        &self,
        access_token: &str,
        post_url: &str,
    ) -> futures::future::BoxFuture<'_, anyhow::Result<EngagementSnapshot>>;
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_profiles))
        .routes(routes!(put_profile, delete_profile))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProfileView {
    pub network: Network,
    pub handle: String,
    pub profile_url: Option<String>,
    /// Followers or connections.
    pub audience_size: i64,
    /// `self_reported` or `connector`.
    pub source: String,
    pub as_of: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProfileList {
    pub items: Vec<ProfileView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileInput {
    pub handle: String,
    pub profile_url: Option<String>,
    pub audience_size: i64,
}

fn view(p: network_profile::Model) -> ProfileView {
    ProfileView {
        network: Network::parse(&p.network).unwrap_or(Network::Other),
        handle: p.handle,
        profile_url: p.profile_url,
        audience_size: p.audience_size,
        source: p.source,
        as_of: p.as_of,
    }
}

/// The audience size on a network right now (0 when not linked).
pub async fn audience(
    db: &impl sea_orm::ConnectionTrait,
    org: Uuid,
    user: Uuid,
    network: Network,
) -> AppResult<(i64, Option<network_profile::Model>)> {
    let profile = network_profile::Entity::find_in(org)
        .filter(network_profile::Column::UserId.eq(user))
        .filter(network_profile::Column::Network.eq(network.as_str()))
        .one(db)
        .await?;
    Ok((
        profile.as_ref().map(|p| p.audience_size).unwrap_or(0),
        profile,
    ))
}

/// The caller's linked network profiles.
#[utoipa::path(get, path = "/api/v1/me/networks", tag = "advocacy", security(("bearer" = [])),
    responses((status = 200, body = ProfileList), (status = 401, body = Problem)))]
async fn list_profiles(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<ProfileList>> {
    let rows = network_profile::Entity::find_in(user.org_id)
        .filter(network_profile::Column::UserId.eq(user.user_id))
        .order_by_asc(network_profile::Column::Network)
        .all(&state.db)
        .await?;
    Ok(Json(ProfileList {
        items: rows.into_iter().map(view).collect(),
    }))
}

/// Link or update the caller's profile on a network (self-reported audience size).
#[utoipa::path(put, path = "/api/v1/me/networks/{network}", tag = "advocacy", security(("bearer" = [])),
    params(("network" = Network, Path)), request_body = ProfileInput,
    responses((status = 200, body = ProfileView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_profile(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(network): AppPath<Network>,
    AppJson(input): AppJson<ProfileInput>,
) -> AppResult<Json<ProfileView>> {
    let mut v = Validator::new();
    let handle = text_field("handle", &input.handle, 200).ok();
    v.check(handle.is_some(), "handle", "must be 1 to 200 characters");
    let profile_url = match input
        .profile_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        Some(raw) => match http_url("profile_url", raw) {
            Ok(url) => Some(url.to_string()),
            Err(_) => {
                v.push("profile_url", "must be an absolute http or https URL");
                None
            }
        },
        None => None,
    };
    v.check(
        (0..=1_000_000_000).contains(&input.audience_size),
        "audience_size",
        "must be between 0 and 1000000000",
    );
    v.finish()?;
    let now = Utc::now();
    let (_, existing) = audience(&state.db, user.org_id, user.user_id, network).await?;
    let model = network_profile::ActiveModel {
        id: Set(existing.as_ref().map(|p| p.id).unwrap_or_else(Uuid::now_v7)),
        org_id: Set(user.org_id),
        user_id: Set(user.user_id),
        network: Set(network.as_str().to_owned()),
        handle: Set(handle.unwrap_or_default()),
        profile_url: Set(profile_url),
        audience_size: Set(input.audience_size),
        source: Set("self_reported".into()),
        as_of: Set(now),
        created_at: Set(existing.as_ref().map(|p| p.created_at).unwrap_or(now)),
        updated_at: Set(now),
    };
    if existing.is_some() {
        network_profile::Entity::update(model)
            .exec(&state.db)
            .await?;
    } else {
        let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
        network_profile::Entity::insert(model)
            .exec_without_returning(&txn)
            .await?;
        crate::recognition::events::network_linked(&txn, &user, network.as_str(), now).await?;
        txn.commit().await?;
    }
    let (_, saved) = audience(&state.db, user.org_id, user.user_id, network).await?;
    Ok(Json(saved.map(view).ok_or(AppError::NotFound)?))
}

/// Unlink a network. Shares keep the audience size they had when created.
#[utoipa::path(delete, path = "/api/v1/me/networks/{network}", tag = "advocacy", security(("bearer" = [])),
    params(("network" = Network, Path)),
    responses((status = 204, description = "Unlinked"), (status = 404, body = Problem)))]
async fn delete_profile(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(network): AppPath<Network>,
) -> AppResult<StatusCode> {
    let removed = network_profile::Entity::delete_many()
        .filter(network_profile::Column::OrgId.eq(user.org_id))
        .filter(network_profile::Column::UserId.eq(user.user_id))
        .filter(network_profile::Column::Network.eq(network.as_str()))
        .exec(&state.db)
        .await?
        .rows_affected;
    if removed == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(StatusCode::NO_CONTENT)
    }
}
