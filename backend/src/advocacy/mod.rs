//! Advocacy: the content library, consent, linked networks, shares with tracked links, the
//! redirect hot path with its click recorder, and reach reporting.

pub mod campaigns;
pub mod classify;
pub mod clicklog;
pub mod consent;
pub mod emv;
pub mod integrations;
pub mod links;
pub mod networks;
pub mod posts;
pub mod reach;
pub mod recorder;
pub mod shares;
pub mod similarity;
pub mod suggestions;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

/// Social networks (and email) an employee can share to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Linkedin,
    X,
    Facebook,
    Instagram,
    Bluesky,
    Mastodon,
    Xing,
    Threads,
    Email,
    Other,
}

impl Network {
    pub const ALL: [Network; 10] = [
        Network::Linkedin,
        Network::X,
        Network::Facebook,
        Network::Instagram,
        Network::Bluesky,
        Network::Mastodon,
        Network::Xing,
        Network::Threads,
        Network::Email,
        Network::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Linkedin => "linkedin",
            Network::X => "x",
            Network::Facebook => "facebook",
            Network::Instagram => "instagram",
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
            Network::Xing => "xing",
            Network::Threads => "threads",
            Network::Email => "email",
            Network::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<Network> {
        Network::ALL.into_iter().find(|n| n.as_str() == value)
    }
}

/// Validates a destination or profile URL: absolute http(s) with a host, at most 2048 chars.
pub fn http_url(field: &str, raw: &str) -> AppResult<url::Url> {
    let invalid = || AppError::field(field, "must be an absolute http or https URL");
    if raw.len() > 2048 {
        return Err(AppError::field(field, "must be at most 2048 characters"));
    }
    let url = url::Url::parse(raw.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none_or(str::is_empty)
        || !url.username().is_empty()
    {
        return Err(invalid());
    }
    Ok(url)
}

/// A text field: trimmed, 1..=max characters, no control characters except newlines and tabs.
pub fn text_field(field: &str, raw: &str, max: usize) -> AppResult<String> {
    let value = raw.trim();
    if value.is_empty()
        || value.chars().count() > max
        || value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(AppError::field(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// The calendar day (UTC) a time falls on, as stored in rollups (`YYYY-MM-DD`).
pub fn day_of(at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    // Written out rather than through a format string: this runs on every redirect.
    format!("{:04}-{:02}-{:02}", at.year(), at.month(), at.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_destinations() {
        for good in ["https://example.com/a?b=c", "http://news.example.org"] {
            assert!(http_url("url", good).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://x.org",
            "//example.com",
            "https://",
            "mailto:a@b.c",
            "https://user:pw@example.com",
            "file:///etc/passwd",
        ] {
            assert!(http_url("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_are_iso_dates_in_utc() {
        use chrono::TimeZone;
        for (at, day) in [
            (
                chrono::Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0),
                "2026-01-05",
            ),
            (
                chrono::Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59),
                "2026-12-31",
            ),
            (
                chrono::Utc.with_ymd_and_hms(999, 3, 9, 12, 0, 0),
                "0999-03-09",
            ),
        ] {
            let at = at.single().expect("valid time");
            assert_eq!(day_of(at), day);
            assert_eq!(day_of(at), at.format("%Y-%m-%d").to_string());
        }
    }
}
