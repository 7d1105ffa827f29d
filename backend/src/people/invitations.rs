//! Invitations by email: an administrator invites an address with roles and a team; the emailed
//! single-use token lets the invitee choose a name and password and become a member.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::Page;
use crate::{
    audit,
    auth::{
        Role, normalise_email, password,
        routes::frontend_link,
        tokens::{self, TokenResponse, hash_token, random_token},
    },
    entities::{invitation, organisation, team, user},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AppPath, AppQuery},
    mail::{outbox, templates},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(lookup_invitation))
        .routes(routes!(accept_invitation))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateInvitationRequest {
    pub email: String,
    /// Roles granted on acceptance (`employee` is always included).
    #[serde(default)]
    pub roles: Vec<Role>,
    pub team_id: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub roles: Vec<Role>,
    pub team_id: Option<Uuid>,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationList {
    pub items: Vec<InvitationView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    pub token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationLookup {
    pub email: String,
    pub organisation_name: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptInvitationRequest {
    pub token: String,
    pub display_name: String,
    pub password: String,
}

fn parse_roles(raw: &str) -> Vec<Role> {
    raw.split(',').filter_map(Role::parse).collect()
}

fn view(model: invitation::Model) -> InvitationView {
    let now = Utc::now();
    let status = if model.accepted_at.is_some() {
        "accepted"
    } else if model.revoked_at.is_some() {
        "revoked"
    } else if model.expires_at <= now {
        "expired"
    } else {
        "pending"
    };
    InvitationView {
        id: model.id,
        email: model.email,
        roles: parse_roles(&model.roles),
        team_id: model.team_id,
        status: status.to_owned(),
        expires_at: model.expires_at,
        created_at: model.created_at,
    }
}

/// Invitations of the organisation, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "people", security(("bearer" = [])), params(Page),
    responses((status = 200, body = InvitationList), (status = 403, body = Problem)))]
async fn list_invitations(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(page): AppQuery<Page>,
) -> AppResult<Json<InvitationList>> {
    let (limit, offset) = page.resolve(state.config.limits.max_page_size);
    let rows = invitation::Entity::find_in(admin.org_id)
        .order_by_desc(invitation::Column::CreatedAt)
        .limit(limit)
        .offset(offset)
        .all(&state.db)
        .await?;
    Ok(Json(InvitationList {
        items: rows.into_iter().map(view).collect(),
    }))
}

/// Invite someone by email (administrators). The email is sent through the outbox.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "people", security(("bearer" = [])), request_body = CreateInvitationRequest,
    responses(
        (status = 201, body = InvitationView), (status = 403, body = Problem),
        (status = 409, description = "Already a member of this organisation", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn create_invitation(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<CreateInvitationRequest>,
) -> AppResult<(StatusCode, Json<InvitationView>)> {
    let mut v = Validator::new();
    let email = normalise_email(&body.email);
    v.check(email.is_some(), "email", "must be an email address");
    v.finish()?;
    let email = email.unwrap_or_default();
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(team_id) = body.team_id {
        team::Entity::find_one_in(admin.org_id, team_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::field("team_id", "no such team"))?;
    }
    // Only membership of this organisation is reported; an address used elsewhere is found out
    // by the invitee at acceptance, so administrators cannot probe other tenants.
    if user::Entity::find_in(admin.org_id)
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "already_member",
            "This person is already a member of the organisation.",
        ));
    }
    let org = organisation::Entity::find_by_id(admin.org_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut roles = body.roles.clone();
    roles.push(Role::Employee);
    roles.sort();
    roles.dedup();
    let token = random_token();
    let now = Utc::now();
    let model = invitation::Model {
        id: Uuid::now_v7(),
        org_id: admin.org_id,
        email: email.clone(),
        roles: roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(","),
        team_id: body.team_id,
        token_hash: hash_token(&token),
        invited_by: Some(admin.user_id),
        expires_at: now + Duration::seconds(state.config.auth.invitation_ttl_secs),
        accepted_at: None,
        revoked_at: None,
        created_at: now,
    };
    invitation::Entity::insert(invitation::ActiveModel {
        id: Set(model.id),
        org_id: Set(model.org_id),
        email: Set(model.email.clone()),
        roles: Set(model.roles.clone()),
        team_id: Set(model.team_id),
        token_hash: Set(model.token_hash.clone()),
        invited_by: Set(model.invited_by),
        expires_at: Set(model.expires_at),
        accepted_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    let link = frontend_link(&state, "/invite", &token);
    let expires = model.expires_at.format("%-d %B %Y").to_string();
    let mail = templates::invitation(&email, &org.name, &admin.display_name, &link, &expires)?;
    outbox::enqueue(&txn, admin.org_id, mail).await?;
    let created = view(model);
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "invitation.create",
            target_type: "invitation",
            target_id: Some(created.id.to_string()),
            before: None,
            after: serde_json::to_value(&created).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    state.outbox_kick.notify_one();
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke a pending invitation (administrators).
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "people", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn revoke_invitation(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<StatusCode> {
    let txn = crate::db::begin_write(&state.db).await?;
    let found = invitation::Entity::find_one_in(admin.org_id, id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.accepted_at.is_some() {
        return Err(AppError::conflict(
            "already_accepted",
            "This invitation was already accepted.",
        ));
    }
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(invitation::Column::OrgId.eq(admin.org_id))
        .filter(invitation::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "invitation.revoke",
            target_type: "invitation",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(view(found)).ok(),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn invalid_invitation() -> AppError {
    AppError::Unauthorized {
        code: "invalid_invitation",
        detail: "This invitation is invalid, used, revoked or expired.",
    }
}

async fn pending(db: &impl sea_orm::ConnectionTrait, token: &str) -> AppResult<invitation::Model> {
    let found = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash_token(token.trim())))
        .one(db)
        .await?
        .ok_or_else(invalid_invitation)?;
    if found.accepted_at.is_some() || found.revoked_at.is_some() || found.expires_at <= Utc::now() {
        return Err(invalid_invitation());
    }
    Ok(found)
}

/// What an invitation token is for (no sign-in needed; the token is the credential).
#[utoipa::path(get, path = "/api/v1/invitations/lookup", tag = "auth", params(LookupQuery),
    responses((status = 200, body = InvitationLookup), (status = 401, body = Problem)))]
async fn lookup_invitation(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<LookupQuery>,
) -> AppResult<Json<InvitationLookup>> {
    let found = pending(&state.db, &query.token).await?;
    let org = organisation::Entity::find_by_id(found.org_id)
        .one(&state.db)
        .await?
        .ok_or_else(invalid_invitation)?;
    Ok(Json(InvitationLookup {
        email: found.email,
        organisation_name: org.name,
        expires_at: found.expires_at,
    }))
}

/// Accept an invitation: creates the account and signs in. The token works once.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "auth", request_body = AcceptInvitationRequest,
    responses(
        (status = 201, body = TokenResponse),
        (status = 401, description = "Invalid, used, revoked or expired invitation", body = Problem),
        (status = 409, description = "The address already has an account", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn accept_invitation(
    State(state): State<AppState>,
    AppJson(body): AppJson<AcceptInvitationRequest>,
) -> AppResult<(StatusCode, Json<TokenResponse>)> {
    let mut v = Validator::new();
    let name = super::users::display_name_field(&body.display_name).ok();
    v.check(
        name.is_some(),
        "display_name",
        "must be 1 to 120 printable characters",
    );
    if let Err(message) = password::validate(&body.password) {
        v.push("password", message);
    }
    v.finish()?;
    let hash = password::hash(body.password).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let found = pending(&txn, &body.token).await?;
    let accepted = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(Utc::now()))
        .filter(invitation::Column::Id.eq(found.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !accepted {
        return Err(invalid_invitation());
    }
    if user::Entity::find()
        .filter(user::Column::Email.eq(&found.email))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "email_in_use",
            "This email address already has a Chorus account; sign in instead.",
        ));
    }
    // The team may have been deleted since the invitation was sent.
    let team_id = match found.team_id {
        Some(id) => team::Entity::find_one_in(found.org_id, id)
            .one(&txn)
            .await?
            .map(|t| t.id),
        None => None,
    };
    let user_id = super::users::insert(
        &txn,
        found.org_id,
        &found.email,
        &name.unwrap_or_default(),
        Some(hash),
        team_id,
    )
    .await?;
    super::users::grant(&txn, found.org_id, user_id, &parse_roles(&found.roles)).await?;
    let issued = tokens::issue(&txn, &state.jwt, found.org_id, user_id, None).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(issued)))
}
