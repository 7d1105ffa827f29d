//! Sign-in, session and account-recovery routes.
//!
//! Login and magic-link requests are rate-limited per account and per client and answer the
//! same way whether or not an address has an account, so they cannot be used to find out who
//! works where.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    normalise_email, password,
    tokens::{self, TokenResponse, hash_token, random_token},
};
use crate::{
    entities::{one_time_token, organisation, refresh_token, user},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{AppJson, AuthUser, ClientIp, managed_teams},
    mail::{outbox, templates},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(request_magic_link))
        .routes(routes!(verify_magic_link))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirmRequest {
    pub token: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMeRequest {
    pub display_name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationSummary {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<super::Role>,
    pub team_id: Option<Uuid>,
    /// Teams this user manages directly (their dashboards also cover the teams below).
    pub managed_team_ids: Vec<Uuid>,
    pub organisation: OrganisationSummary,
}

fn invalid_credentials() -> AppError {
    AppError::Unauthorized {
        code: "invalid_credentials",
        detail: "The email or password is incorrect.",
    }
}

fn email_field(raw: &str) -> AppResult<String> {
    normalise_email(raw).ok_or_else(|| AppError::field("email", "must be an email address"))
}

/// Sign in with email and password.
///
/// Answers the same `invalid_credentials` problem for an unknown address, a wrong password and a
/// deactivated account.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong email or password", body = Problem),
        (status = 422, description = "Invalid input", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AppJson(body): AppJson<LoginRequest>,
) -> AppResult<Json<TokenResponse>> {
    let email = email_field(&body.email)?;
    if body.password.len() > password::MAX_LENGTH * 4 {
        return Err(invalid_credentials());
    }
    state.limiter.check(&email, ip)?;
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    let active = account.filter(|u| u.status == user::ACTIVE);
    let ok = password::verify(
        body.password,
        active.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await;
    let account = match (ok, active) {
        (true, Some(account)) => account,
        _ => return Err(invalid_credentials()),
    };
    let txn = crate::db::begin_write(&state.db).await?;
    touch_login(&txn, account.id).await?;
    let tokens = tokens::issue(&txn, &state.jwt, account.org_id, account.id, None).await?;
    txn.commit().await?;
    Ok(Json(tokens))
}

async fn touch_login(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Exchange a refresh token for new tokens.
///
/// Refresh tokens rotate: each works once. Presenting one that was already used ends the whole
/// session (every token derived from the same sign-in), because it means the token was copied.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Invalid, expired, revoked or re-used refresh token", body = Problem),
    ))]
async fn refresh(
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshRequest>,
) -> AppResult<Json<TokenResponse>> {
    let invalid = AppError::Unauthorized {
        code: "invalid_refresh_token",
        detail: "The refresh token is not valid.",
    };
    let hash = hash_token(body.refresh_token.trim());
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
    else {
        return Err(invalid);
    };
    let now = Utc::now();
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid);
    }
    // Mark it spent; only one caller can win this update.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !spent {
        tokens::revoke_family(&txn, token.family_id).await?;
        txn.commit().await?;
        tracing::warn!(user_id = %token.user_id, family = %token.family_id, "refresh token re-used; session revoked");
        return Err(AppError::Unauthorized {
            code: "refresh_token_reused",
            detail: "This refresh token was already used; the session has been ended for safety.",
        });
    }
    let active = user::Entity::find_one_in(token.org_id, token.user_id)
        .one(&txn)
        .await?
        .is_some_and(|u| u.status == user::ACTIVE);
    if !active {
        return Err(invalid);
    }
    let issued = tokens::issue(
        &txn,
        &state.jwt,
        token.org_id,
        token.user_id,
        Some(token.family_id),
    )
    .await?;
    txn.commit().await?;
    Ok(Json(issued))
}

/// Sign out: ends the session the refresh token belongs to, including its access tokens.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out (also when the token was unknown)")))]
async fn logout(
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshRequest>,
) -> AppResult<StatusCode> {
    let hash = hash_token(body.refresh_token.trim());
    if let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&state.db)
        .await?
    {
        tokens::revoke_family(&state.db, token.family_id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn issue_one_time(
    db: &impl ConnectionTrait,
    account: &user::Model,
    purpose: &str,
    ttl: Duration,
) -> AppResult<String> {
    let token = random_token();
    let now = Utc::now();
    one_time_token::Entity::insert(one_time_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(account.org_id),
        user_id: Set(account.id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(hash_token(&token)),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// Spends a single-use token of the given purpose; `None` if unknown, spent or expired.
async fn spend_one_time(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
) -> AppResult<Option<one_time_token::Model>> {
    let now = Utc::now();
    let Some(found) = one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(hash_token(token.trim())))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found.expires_at <= now {
        return Ok(None);
    }
    let spent = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::Id.eq(found.id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    Ok(spent.then_some(found))
}

pub fn frontend_link(state: &AppState, path: &str, token: &str) -> String {
    let mut url = state.config.public_url();
    url.set_path(path);
    url.query_pairs_mut().clear().append_pair("token", token);
    url.to_string()
}

/// Email a single-use sign-in link.
///
/// Always answers 202, whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/auth/magic-link", tag = "auth", request_body = EmailRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way"),
        (status = 422, description = "Not an email address", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn request_magic_link(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AppJson(body): AppJson<EmailRequest>,
) -> AppResult<StatusCode> {
    let email = email_field(&body.email)?;
    state.limiter.check(&email, ip)?;
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    if let Some(account) = account.filter(|u| u.status == user::ACTIVE) {
        let ttl = state.config.auth.magic_link_ttl_secs;
        let txn = crate::db::begin_write(&state.db).await?;
        let token = issue_one_time(&txn, &account, "magic_link", Duration::seconds(ttl)).await?;
        let link = frontend_link(&state, "/login/magic", &token);
        let mail = templates::magic_link(&account.email, &account.display_name, &link, ttl / 60)?;
        outbox::enqueue(&txn, account.org_id, mail).await?;
        txn.commit().await?;
        state.outbox_kick.notify_one();
    }
    Ok(StatusCode::ACCEPTED)
}

/// Sign in with the token from a magic link (works once).
#[utoipa::path(post, path = "/api/v1/auth/magic-link/verify", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Unknown, used or expired link", body = Problem),
    ))]
async fn verify_magic_link(
    State(state): State<AppState>,
    AppJson(body): AppJson<TokenRequest>,
) -> AppResult<Json<TokenResponse>> {
    let invalid = AppError::Unauthorized {
        code: "invalid_link",
        detail: "This sign-in link is invalid, used or expired.",
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let token = spend_one_time(&txn, &body.token, "magic_link")
        .await?
        .ok_or(invalid)?;
    let account = user::Entity::find_one_in(token.org_id, token.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.status == user::ACTIVE)
        .ok_or(AppError::Unauthorized {
            code: "invalid_link",
            detail: "This sign-in link is invalid, used or expired.",
        })?;
    touch_login(&txn, account.id).await?;
    let issued = tokens::issue(&txn, &state.jwt, account.org_id, account.id, None).await?;
    txn.commit().await?;
    Ok(Json(issued))
}

/// Email a password-reset link.
///
/// Always answers 202, whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = EmailRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way"),
        (status = 422, description = "Not an email address", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AppJson(body): AppJson<EmailRequest>,
) -> AppResult<StatusCode> {
    let email = email_field(&body.email)?;
    state.limiter.check(&email, ip)?;
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    if let Some(account) = account.filter(|u| u.status == user::ACTIVE) {
        let ttl = state.config.auth.password_reset_ttl_secs;
        let txn = crate::db::begin_write(&state.db).await?;
        let token =
            issue_one_time(&txn, &account, "password_reset", Duration::seconds(ttl)).await?;
        let link = frontend_link(&state, "/reset-password", &token);
        let mail =
            templates::password_reset(&account.email, &account.display_name, &link, ttl / 60)?;
        outbox::enqueue(&txn, account.org_id, mail).await?;
        txn.commit().await?;
        state.outbox_kick.notify_one();
    }
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token from a reset email; ends all existing sessions.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 401, description = "Unknown, used or expired link", body = Problem),
        (status = 422, description = "Password too short or long", body = Problem),
    ))]
async fn confirm_password_reset(
    State(state): State<AppState>,
    AppJson(body): AppJson<ResetConfirmRequest>,
) -> AppResult<StatusCode> {
    if let Err(message) = password::validate(&body.password) {
        return Err(AppError::field("password", message));
    }
    let hash = password::hash(body.password).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let token = spend_one_time(&txn, &body.token, "password_reset")
        .await?
        .ok_or(AppError::Unauthorized {
            code: "invalid_link",
            detail: "This reset link is invalid, used or expired.",
        })?;
    set_password(&txn, token.org_id, token.user_id, hash).await?;
    tokens::revoke_user(&txn, token.user_id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn set_password(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
    hash: String,
) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn me_response(state: &AppState, user: &AuthUser) -> AppResult<MeResponse> {
    let org = organisation::Entity::find_by_id(user.org_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(MeResponse {
        id: user.user_id,
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        roles: user.roles.iter().copied().collect(),
        team_id: user.team_id,
        managed_team_ids: managed_teams(&state.db, user.org_id, user.user_id).await?,
        organisation: OrganisationSummary {
            id: org.id,
            name: org.name,
            slug: org.slug,
        },
    })
}

/// The signed-in user, their organisation and roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = Problem)))]
async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<MeResponse>> {
    Ok(Json(me_response(&state, &user).await?))
}

/// Change the signed-in user's display name.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = UpdateMeRequest,
    responses((status = 200, body = MeResponse), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn update_me(
    State(state): State<AppState>,
    mut user: AuthUser,
    AppJson(body): AppJson<UpdateMeRequest>,
) -> AppResult<Json<MeResponse>> {
    if let Some(name) = body.display_name {
        let name = crate::people::users::display_name_field(&name)?;
        let mut model = user::Entity::find_one_in(user.org_id, user.user_id)
            .one(&state.db)
            .await?
            .ok_or(AppError::NotFound)?
            .into_active_model();
        model.display_name = Set(name.clone());
        model.updated_at = Set(Utc::now());
        model.update(&state.db).await?;
        user.display_name = name;
    }
    Ok(Json(me_response(&state, &user).await?))
}

/// Change the signed-in user's password; other sessions are ended.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed"), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(body): AppJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
    let mut v = Validator::new();
    if let Err(message) = password::validate(&body.new_password) {
        v.push("new_password", message);
    }
    v.finish()?;
    let account = user::Entity::find_one_in(user.org_id, user.user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if !password::verify(body.current_password, account.password_hash).await {
        return Err(AppError::field(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = password::hash(body.new_password).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    set_password(&txn, user.org_id, user.user_id, hash).await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user.user_id))
        .filter(refresh_token::Column::FamilyId.ne(user.session_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
