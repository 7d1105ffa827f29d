//! Access and refresh tokens.
//!
//! Access tokens are HS256 JWTs with a pinned algorithm, issuer and audience, carrying the user,
//! organisation and session family. Refresh tokens are random, stored only as SHA-256 hashes,
//! and rotate on every use; presenting a spent one revokes its whole family (the session), and
//! the access tokens of a revoked family stop working too.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    config::AuthConfig,
    entities::refresh_token,
    error::{AppError, AppResult},
};

/// 32 random bytes, URL-safe base64: for refresh, invitation, magic-link and reset tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How tokens are stored: hex SHA-256. Lookups go by hash, so comparison is an index probe,
/// not a byte-by-byte compare of secrets.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub sub: Uuid,
    pub org: Uuid,
    /// Session (refresh-token family) this access token belongs to.
    pub sid: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl: i64,
    refresh_ttl: i64,
}

impl JwtKeys {
    pub fn new(secret: &SecretString, auth: &AuthConfig) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&auth.issuer]);
        validation.set_audience(&[&auth.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            issuer: auth.issuer.clone(),
            audience: auth.audience.clone(),
            access_ttl: auth.access_ttl_secs,
            refresh_ttl: auth.refresh_ttl_secs,
        }
    }

    pub fn access_ttl(&self) -> i64 {
        self.access_ttl
    }

    pub fn sign(&self, user: Uuid, org: Uuid, session: Uuid) -> AppResult<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            org,
            sid: session,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.access_ttl,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("signing token: {e}")))
    }

    /// Verifies signature, algorithm, issuer, audience and validity window.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// The token document answered by every sign-in route.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
}

/// Starts a session (new family) or continues one, writing the refresh token in `db`.
pub async fn issue(
    db: &impl ConnectionTrait,
    keys: &JwtKeys,
    org_id: Uuid,
    user_id: Uuid,
    family: Option<Uuid>,
) -> AppResult<TokenResponse> {
    let family = family.unwrap_or_else(Uuid::new_v4);
    let refresh = random_token();
    let now = Utc::now();
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        user_id: Set(user_id),
        family_id: Set(family),
        token_hash: Set(hash_token(&refresh)),
        expires_at: Set(now + Duration::seconds(keys.refresh_ttl)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(TokenResponse {
        access_token: keys.sign(user_id, org_id, family)?,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: keys.access_ttl,
    })
}

/// Revokes every live token of a session family.
pub async fn revoke_family(db: &impl ConnectionTrait, family: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every session of a user (password reset, deactivation).
pub async fn revoke_user(db: &impl ConnectionTrait, user: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// True while the session has at least one unrevoked token (so its access tokens stay valid).
pub async fn session_alive(db: &impl ConnectionTrait, family: Uuid) -> AppResult<bool> {
    use sea_orm::PaginatorTrait;
    let live = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    Ok(live > 0)
}
