//! Request extractors. Body, path and query extractors turn every rejection into a problem
//! document; the identity extractors make authorisation a matter of the handler's signature:
//! a handler taking [`Admin`] cannot run for anyone but an active admin of the organisation in
//! the token, and it receives that organisation's id to scope its queries.

use std::{
    collections::BTreeSet,
    net::{IpAddr, SocketAddr},
};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Path, Query, Request},
    http::{header, request::Parts},
};
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::{
    auth::{Role, tokens},
    entities::{team, team_manager, user, user_role},
    error::{AppError, FieldError},
    state::AppState,
    tenancy::OrgScoped,
};

/// A JSON body: requires `Content-Type: application/json`, respects the body limit, and names
/// the offending field when the document does not match the expected shape.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/json")
                    || v.contains("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(AppError::UnsupportedMediaType("application/json"));
        }
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(AppJson)
    }
}

/// Reads the body within the configured limit (413 beyond it).
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::bad_request("unreadable_body", "The request body could not be read.")
        }
    })
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let inner = err.inner();
        if inner.is_syntax() || inner.is_eof() {
            return AppError::bad_request(
                "malformed_json",
                format!("The body is not valid JSON: {inner}"),
            );
        }
        let path = err.path().to_string();
        let message = inner.to_string();
        // serde reports a missing field at its parent; name the field itself.
        let field = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(missing) if path == "." => missing.to_owned(),
            Some(missing) => format!("{path}.{missing}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        AppError::Validation(vec![FieldError { field, message }])
    })
}

/// Path parameters; a malformed id is a 404 (it cannot name anything), other errors a 400.
pub struct AppPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for AppPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| AppPath(v))
            .map_err(|_| AppError::NotFound)
    }
}

/// Query parameters with problem-document rejections naming the parameter.
pub struct AppQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AppQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| AppQuery(v))
            .map_err(|e| {
                AppError::Validation(vec![FieldError {
                    field: "query".into(),
                    message: e.body_text(),
                }])
            })
    }
}

/// The client's address: the peer, or for a configured trusted proxy, the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        Ok(ClientIp(client_ip(
            peer,
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok()),
            &state.config.auth.trusted_proxies,
        )))
    }
}

pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(forwarded) = forwarded else {
        return peer;
    };
    let mut client = peer;
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// An authenticated, active user of an organisation, with current roles from the database.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub session_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub team_id: Option<Uuid>,
    pub roles: BTreeSet<Role>,
}

impl AuthUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(AppError::unauthorized)?;
        let claims = state
            .jwt
            .verify(token.trim())
            .ok_or(AppError::Unauthorized {
                code: "invalid_token",
                detail: "The access token is invalid or expired.",
            })?;
        let account = user::Entity::find_one_in(claims.org, claims.sub)
            .one(&state.db)
            .await?
            .filter(|u| u.status == user::ACTIVE)
            .ok_or(AppError::Unauthorized {
                code: "invalid_token",
                detail: "The access token is invalid or expired.",
            })?;
        if !tokens::session_alive(&state.db, claims.sid).await? {
            return Err(AppError::Unauthorized {
                code: "session_ended",
                detail: "This session has ended; sign in again.",
            });
        }
        let roles = roles_of(&state.db, claims.org, account.id).await?;
        let user = AuthUser {
            user_id: account.id,
            org_id: account.org_id,
            session_id: claims.sid,
            email: account.email,
            display_name: account.display_name,
            team_id: account.team_id,
            roles,
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

pub async fn roles_of(
    db: &impl sea_orm::ConnectionTrait,
    org: Uuid,
    user_id: Uuid,
) -> Result<BTreeSet<Role>, AppError> {
    let names: Vec<String> = user_role::Entity::find_in(org)
        .select_only()
        .column(user_role::Column::Role)
        .filter(user_role::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(names.iter().filter_map(|n| Role::parse(n)).collect())
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, [$($role:expr),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub AuthUser);

        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            AppState: FromRef<S>,
        {
            type Rejection = AppError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let user = AuthUser::from_request_parts(parts, state).await?;
                if [$($role),+].iter().any(|role| user.has(*role)) {
                    Ok($name(user))
                } else {
                    Err(AppError::Forbidden)
                }
            }
        }
    };
}

role_extractor!(
    /// An administrator (HR) of the organisation.
    Admin, [Role::Admin]);
role_extractor!(
    /// An editor of content; administrators may act as editors.
    Editor, [Role::Editor, Role::Admin]);

/// A manager, with the teams they may see: the teams they manage and all teams below them.
#[derive(Debug, Clone)]
pub struct Manager {
    pub user: AuthUser,
    pub teams: BTreeSet<Uuid>,
}

impl<S> FromRequestParts<S> for Manager
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if !user.has(Role::Manager) {
            return Err(AppError::Forbidden);
        }
        let state = AppState::from_ref(state);
        let teams = managed_subtree(&state.db, user.org_id, user.user_id).await?;
        Ok(Manager { user, teams })
    }
}

/// Access to one team named by the `team_id` path parameter: granted to administrators and to
/// managers whose subtree contains it. Teams of another organisation are not found.
#[derive(Debug, Clone)]
pub struct TeamAccess {
    pub user: AuthUser,
    pub team: team::Model,
}

impl<S> FromRequestParts<S> for TeamAccess
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        let AppPath(params) =
            AppPath::<std::collections::HashMap<String, String>>::from_request_parts(parts, state)
                .await?;
        let team_id: Uuid = params
            .get("team_id")
            .and_then(|v| v.parse().ok())
            .ok_or(AppError::NotFound)?;
        let state = AppState::from_ref(state);
        let team = team::Entity::find_one_in(user.org_id, team_id)
            .one(&state.db)
            .await?
            .ok_or(AppError::NotFound)?;
        if user.has(Role::Admin) {
            return Ok(TeamAccess { user, team });
        }
        if user.has(Role::Manager)
            && managed_subtree(&state.db, user.org_id, user.user_id)
                .await?
                .contains(&team.id)
        {
            return Ok(TeamAccess { user, team });
        }
        Err(AppError::Forbidden)
    }
}

/// Teams a user manages directly.
pub async fn managed_teams(
    db: &impl sea_orm::ConnectionTrait,
    org: Uuid,
    user_id: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    Ok(team_manager::Entity::find_in(org)
        .select_only()
        .column(team_manager::Column::TeamId)
        .filter(team_manager::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?)
}

/// Teams a user manages and all their descendants.
pub async fn managed_subtree(
    db: &impl sea_orm::ConnectionTrait,
    org: Uuid,
    user_id: Uuid,
) -> Result<BTreeSet<Uuid>, AppError> {
    let roots = managed_teams(db, org, user_id).await?;
    if roots.is_empty() {
        return Ok(BTreeSet::new());
    }
    let all: Vec<(Uuid, Option<Uuid>)> = team::Entity::find_in(org)
        .select_only()
        .column(team::Column::Id)
        .column(team::Column::ParentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(crate::people::teams::subtree(&all, &roots))
}

#[cfg(test)]
mod tests {
    use super::client_ip;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let proxy = "10.1.2.3".parse().expect("ip");
        let stranger = "203.0.113.9".parse().expect("ip");
        assert_eq!(
            client_ip(stranger, Some("1.2.3.4"), &trusted),
            stranger,
            "untrusted peers cannot claim an address"
        );
        assert_eq!(
            client_ip(proxy, Some("198.51.100.7"), &trusted).to_string(),
            "198.51.100.7"
        );
        // The client may prepend anything; the nearest untrusted hop is the client.
        assert_eq!(
            client_ip(proxy, Some("6.6.6.6, 198.51.100.7, 10.0.0.5"), &trusted).to_string(),
            "198.51.100.7"
        );
        assert_eq!(client_ip(proxy, Some("garbage"), &trusted), proxy);
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
    }
}
