//! Authentication and sessions: password hashing (argon2id), JWT access tokens, opaque rotating
//! refresh tokens with family revocation, single-use emailed tokens, and sign-in rate limits.
//! The HTTP side lives in [`routes`]; the extractors that enforce roles are in `http::extract`.

pub mod limiter;
pub mod password;
pub mod routes;
pub mod tokens;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a user may do in their organisation; a user may hold several.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Employee,
    Manager,
    Editor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Employee, Role::Manager, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Manager => "manager",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == value.trim().to_ascii_lowercase())
    }
}

/// Normalises an email address for lookup and uniqueness (trimmed, lower-cased), or `None`
/// when it is not plausibly an address.
pub fn normalise_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',');
    plausible.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::{Role, normalise_email};

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(
            normalise_email("  Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@.com",
            "<a>@x.io",
        ] {
            assert_eq!(normalise_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn roles_parse_by_name() {
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("emperor"), None);
        assert!(
            Role::ALL
                .iter()
                .all(|r| Role::parse(r.as_str()) == Some(*r))
        );
    }
}
