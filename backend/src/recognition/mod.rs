//! Recognition: points that people earn and give, and what they can spend them on.
//!
//! Everything that moves points goes through the double-entry [`ledger`]. Around it:
//! [`settings`] (allowance policies, company values, budgets and thresholds), [`thanks`] (peer
//! thanks from a per-period allowance, the thanks wall), [`awards`] (manager spot awards),
//! [`rewards`] (the catalogue and two-phase redemptions), [`events`] (the durable inbox of facts
//! that reward rules react to) and [`rules`] (versioned reward rules, their scheduled
//! evaluation and preview), and [`views`] (wallets, ledgers, summaries and the points economy).

pub mod awards;
pub mod badges;
pub mod events;
pub mod leaderboard;
pub mod ledger;
pub mod rewards;
pub mod rules;
pub mod seed;
pub mod settings;
pub mod thanks;
pub mod views;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every recognition route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(settings::router())
        .merge(thanks::router())
        .merge(awards::router())
        .merge(rewards::router())
        .merge(rules::router())
        .merge(views::router())
        .merge(badges::router())
        .merge(leaderboard::router())
}

/// The length of an allowance, budget or limit period. Periods are calendar periods in UTC, so
/// "this period" is a pure function of the clock: nothing has to be reset when one ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Day,
            Self::Week,
            Self::Month,
            Self::Quarter,
            Self::Year,
        ]
        .into_iter()
        .find(|k| k.as_str() == value)
    }

    /// The period containing `at`: its key (`2026-11-21`, `2026-W47`, `2026-11`, `2026-Q4`,
    /// `2026`) and its start and end (exclusive).
    pub fn period(self, at: DateTime<Utc>) -> Period {
        let date = at.date_naive();
        let (key, start, end) = match self {
            Self::Day => (
                date.format("%Y-%m-%d").to_string(),
                date,
                date + Duration::days(1),
            ),
            Self::Week => {
                let iso = date.iso_week();
                let start = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                (
                    format!("{}-W{:02}", iso.year(), iso.week()),
                    start,
                    start + Duration::days(7),
                )
            }
            Self::Month => {
                let start = first_of(date.year(), date.month());
                (
                    format!("{}-{:02}", date.year(), date.month()),
                    start,
                    add_months(start, 1),
                )
            }
            Self::Quarter => {
                let q = (date.month() - 1) / 3;
                let start = first_of(date.year(), q * 3 + 1);
                (
                    format!("{}-Q{}", date.year(), q + 1),
                    start,
                    add_months(start, 3),
                )
            }
            Self::Year => {
                let start = first_of(date.year(), 1);
                (format!("{}", date.year()), start, add_months(start, 12))
            }
        };
        Period {
            key: format!("{}:{key}", self.as_str()),
            start: midnight(start),
            end: midnight(end),
        }
    }
}

fn first_of(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default()
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or(date)
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// One calendar period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Kind and key, e.g. `month:2026-11`.
    pub key: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A CSV body with the right content type and a download name.
pub fn csv_response(name: &str, rows: Vec<Vec<String>>) -> axum::response::Response {
    use axum::{http::header, response::IntoResponse};
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()));
    }
    let body = writer.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Cells that a spreadsheet would run as a formula (messages and names people typed) are
/// prefixed with an apostrophe; numbers, negative ones included, are left alone.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = match cell.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => cell.parse::<f64>().is_err(),
        _ => false,
    };
    if risky {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// `?format=csv` on tabular views.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Format {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

impl Format {
    pub fn is_csv(&self) -> bool {
        self.format.as_deref() == Some("csv")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("-cmd"), "'-cmd");
        assert_eq!(spreadsheet_safe("-25"), "-25");
        assert_eq!(spreadsheet_safe("Thanks!"), "Thanks!");
    }

    #[test]
    fn periods_have_stable_keys_and_bounds() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 21, 23, 59, 59)
            .single()
            .expect("time");
        let month = PeriodKind::Month.period(at);
        assert_eq!(month.key, "month:2026-11");
        assert_eq!(month.start.to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(month.end.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        let week = PeriodKind::Week.period(at);
        assert_eq!(week.key, "week:2026-W47");
        assert_eq!(week.start.to_rfc3339(), "2026-11-16T00:00:00+00:00");
        assert_eq!(PeriodKind::Quarter.period(at).key, "quarter:2026-Q4");
        assert_eq!(PeriodKind::Day.period(at).key, "day:2026-11-21");
        assert_eq!(
            PeriodKind::Year.period(at).end.to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
    }
}
