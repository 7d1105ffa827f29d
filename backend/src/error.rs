//! The one error type of the HTTP API and its rendering as `application/problem+json` (RFC 9457).
//!
//! Policy: every failure a client can cause maps to a 4xx with a stable snake_case `code` that
//! the frontend can rely on; validation failures name the offending fields. Database and other
//! internal failures are logged with their detail and answered with a body that carries none of
//! it. Database unavailability is a 503, because the client may simply retry.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

/// A field that failed validation and why.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem kind.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`, `rate_limited`.
    pub code: String,
    /// Present on validation failures: one entry per offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, detail: String },
    #[error("unauthorized: {code}")]
    Unauthorized {
        code: &'static str,
        detail: &'static str,
    },
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {code}")]
    Conflict { code: &'static str, detail: String },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static str),
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    /// The database cannot write: its disk is full or its file is read-only.
    #[error("storage unavailable: {0}")]
    Storage(&'static str),
    #[error("request timed out")]
    Timeout,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::Unauthorized {
            code: "unauthorized",
            detail: "A valid access token is required.",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code_and_detail(&self) -> (&'static str, Option<String>) {
        match self {
            Self::Validation(_) => (
                "validation_failed",
                Some("One or more fields are invalid.".into()),
            ),
            Self::BadRequest { code, detail } | Self::Conflict { code, detail } => {
                (code, Some(detail.clone()))
            }
            Self::Unauthorized { code, detail } => (code, Some((*detail).into())),
            Self::Forbidden => (
                "forbidden",
                Some("Your roles do not allow this action.".into()),
            ),
            Self::NotFound => ("not_found", Some("No such resource.".into())),
            Self::MethodNotAllowed => ("method_not_allowed", None),
            Self::PayloadTooLarge => (
                "payload_too_large",
                Some("The request body is larger than allowed.".into()),
            ),
            Self::UnsupportedMediaType(expected) => (
                "unsupported_media_type",
                Some(format!("Expected a {expected} body.")),
            ),
            Self::RateLimited { .. } => (
                "rate_limited",
                Some("Too many attempts; try again later.".into()),
            ),
            Self::Unavailable => (
                "service_unavailable",
                Some("The service is temporarily unavailable; retry shortly.".into()),
            ),
            Self::Storage(_) => (
                "storage_unavailable",
                Some("The service cannot store data at the moment; retry later.".into()),
            ),
            Self::Timeout => (
                "request_timeout",
                Some("The request was not received and answered in time.".into()),
            ),
            Self::Internal(_) => (
                "internal_error",
                Some("Something went wrong on our side.".into()),
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (code, detail) = self.code_and_detail();
        Problem {
            kind: format!("https://chorus.invalid/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(err) => tracing::error!(error = ?err, "internal error"),
            Self::Unavailable => tracing::warn!("database unavailable"),
            Self::Storage(reason) => tracing::error!(
                reason,
                "database storage failed: {reason}; writes are refused until an operator fixes it"
            ),
            _ => {}
        }
        let mut response = (self.status(), axum::Json(self.problem())).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Self::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

/// Sorts database errors: unreachable → 503, unique violations → 409, everything else → 500.
impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            return Self::Unavailable;
        }
        if let Some(reason) = storage_failure(&err) {
            return Self::Storage(reason);
        }
        if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Self::conflict("conflict", "A resource with these values already exists.");
        }
        Self::Internal(anyhow::Error::new(err))
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

/// The database error code of a failed statement (SQLite: extended result code; PostgreSQL:
/// SQLSTATE).
fn database_code(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        _ => None,
    }
}

/// Why the database cannot write, when that is the failure: disk full or read-only storage
/// (SQLite `SQLITE_FULL`, `SQLITE_READONLY`, `SQLITE_IOERR`; PostgreSQL `53100` disk full,
/// `25006` read-only transaction, as on a standby).
pub fn storage_failure(err: &DbErr) -> Option<&'static str> {
    let code = database_code(err)?;
    if let Ok(sqlite) = code.parse::<i32>() {
        return match sqlite & 0xff {
            13 => Some("disk full"),
            8 => Some("database file is read-only"),
            10 => Some("disk I/O error"),
            _ => None,
        };
    }
    match code.as_str() {
        "53100" => Some("disk full"),
        "25006" => Some("database is read-only"),
        _ => None,
    }
}

/// True when the error means the database could not be reached (rather than a query failing),
/// including a PostgreSQL server that is shutting down or starting up.
pub fn is_unavailable(err: &DbErr) -> bool {
    if let Some(code) = database_code(err)
        && (code.starts_with("08") || matches!(code.as_str(), "57P01" | "57P02" | "57P03"))
    {
        return true;
    }
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                **e,
                sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolTimedOut
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::Tls(_)
            )
        }
        _ => false,
    }
}

/// Collects field errors so a handler reports all of them at once.
#[derive(Debug, Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&mut self, ok: bool, field: &str, message: &str) -> &mut Self {
        if !ok {
            self.0.push(FieldError {
                field: field.to_owned(),
                message: message.to_owned(),
            });
        }
        self
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    pub fn finish(&mut self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(std::mem::take(&mut self.0)))
        }
    }
}
