//! Organisations, people and teams: the directory every other area builds on.

pub mod audit_routes;
pub mod directory;
pub mod import;
pub mod invitations;
pub mod mydata;
pub mod orgs;
pub mod teams;
pub mod users;

use serde::Deserialize;
use utoipa::IntoParams;

/// Offset pagination; `limit` is capped by `limits.max_page_size`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Items per page (default 50).
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

impl Page {
    pub fn resolve(&self, max: u64) -> (u64, u64) {
        (
            self.limit.unwrap_or(50).clamp(1, max),
            // Databases take signed offsets; nothing lies beyond the largest one.
            self.offset.unwrap_or(0).min(i64::MAX as u64),
        )
    }
}
