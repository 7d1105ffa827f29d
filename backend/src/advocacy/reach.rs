//! Reach reporting: the employee's own impact, managers' team dashboards and the programme view
//! for administrators, plus CSV export of every table. Numbers come from the daily rollup and
//! the shares table, never from raw clicks. Every metric follows one definition (see
//! [`definitions`]); groups smaller than the k-anonymity threshold are folded into "other", and
//! only opted-in people who chose to be ranked appear on leaderboards.

use std::collections::{BTreeMap, BTreeSet};

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::emv::Rates;
use crate::{
    auth::Role,
    entities::{
        advocate, campaign, post, reach_daily, reach_org_daily, share, share_reach, team, user,
    },
    error::{AppError, AppResult, Problem},
    http::extract::{AppQuery, AuthUser, managed_subtree},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_impact))
        .routes(routes!(team_dashboard))
        .routes(routes!(series))
        .routes(routes!(programme))
        .routes(routes!(export))
}

/// The metric definitions every number in these views follows.
pub fn definitions() -> BTreeMap<String, Definition> {
    let d = |tier: &str, text: &str| Definition {
        tier: tier.to_owned(),
        definition: text.to_owned(),
    };
    BTreeMap::from([
        (
            "shares".to_owned(),
            d("measured", "Shares created in the window."),
        ),
        (
            "potential_reach".to_owned(),
            d(
                "potential",
                "Sum over shares of the sharer's audience size on that network at share time.",
            ),
        ),
        (
            "human_clicks".to_owned(),
            d(
                "measured",
                "Redirects served to requests classified human (not bot or link preview, not the sharer's own click).",
            ),
        ),
        (
            "bot_hits".to_owned(),
            d(
                "measured",
                "Redirects served to link-preview crawlers, search engines, scripts and headless browsers.",
            ),
        ),
        (
            "unique_visitors".to_owned(),
            d(
                "measured",
                "Distinct visitor hashes among human clicks per share per day (salts rotate daily), summed.",
            ),
        ),
        (
            "engagement".to_owned(),
            d(
                "measured",
                "Reported reactions + comments + reshares, from the employee or an integration (see engagement_source).",
            ),
        ),
        (
            "measured_impressions".to_owned(),
            d(
                "measured",
                "Impressions reported by a network integration or the employee.",
            ),
        ),
        (
            "emv".to_owned(),
            d(
                "measured",
                "Per network: CPC × human clicks + CPM × measured impressions / 1000, at the rates in force; never from potential reach.",
            ),
        ),
        (
            "active_advocates".to_owned(),
            d(
                "measured",
                "Opted-in people with at least one share in the window.",
            ),
        ),
    ])
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Definition {
    /// `potential` or `measured`.
    pub tier: String,
    pub definition: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Window {
    /// First day (UTC, `YYYY-MM-DD`); default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; default today.
    pub to: Option<NaiveDate>,
    /// Administrators only: limit to this team and the teams below it.
    pub team_id: Option<Uuid>,
    /// Leaderboard ranking: `clicks` (default) or `per_share` (human clicks per share, fairer to
    /// people with small audiences).
    pub rank: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `me`, `teams` or `programme`.
    pub view: String,
    /// `by_day`, `by_network`, `by_campaign`, `by_team`, `by_post`, `leaderboard` or `trend`.
    pub table: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub team_id: Option<Uuid>,
    pub rank: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    pub shares: i64,
    pub potential_reach: i64,
    pub human_clicks: i64,
    pub bot_hits: i64,
    pub unique_visitors: i64,
    pub engagement: i64,
    pub measured_impressions: i64,
    /// EMV per currency (empty until an administrator sets rates).
    pub emv: BTreeMap<String, f64>,
}

/// One row of a breakdown table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Row {
    /// Day, network, or the id of the campaign, team or post; `other` for folded groups.
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Participation {
    pub members: i64,
    pub opted_in: i64,
    pub active_advocates: i64,
    /// opted_in / members.
    pub opt_in_rate: f64,
    /// active_advocates / opted_in.
    pub active_rate: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeaderboardEntry {
    pub rank: u32,
    pub user_id: Uuid,
    pub display_name: String,
    pub shares: i64,
    pub human_clicks: i64,
    pub clicks_per_share: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyImpact {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: Totals,
    pub by_day: Vec<Row>,
    pub by_network: Vec<Row>,
    /// The caller's rank among opted-in colleagues who show their rank (if the caller does too).
    pub rank: Option<u32>,
    pub definitions: BTreeMap<String, Definition>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamDashboard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Teams covered (the caller's managed teams and below, or a chosen team for administrators).
    pub team_ids: Vec<Uuid>,
    pub k_anonymity: u32,
    /// True when fewer than k people stand behind the numbers (or are members of the teams):
    /// the figures are withheld and shown as zero, so no person can be singled out.
    pub suppressed: bool,
    pub totals: Totals,
    pub participation: Participation,
    pub by_day: Vec<Row>,
    pub by_network: Vec<Row>,
    pub by_campaign: Vec<Row>,
    pub by_team: Vec<Row>,
    pub top_posts: Vec<Row>,
    /// Empty when fewer than k people may be ranked.
    pub leaderboard: Vec<LeaderboardEntry>,
    pub definitions: BTreeMap<String, Definition>,
}

/// One day of the daily series.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SeriesPoint {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub human_clicks: i64,
    pub bot_hits: i64,
    pub unique_visitors: i64,
    pub shares: i64,
}

impl SeriesPoint {
    fn empty(day: String) -> Self {
        Self {
            day,
            human_clicks: 0,
            bot_hits: 0,
            unique_visitors: 0,
            shares: 0,
        }
    }
}

/// Daily human clicks, bot and preview hits, unique visitors and shares over a window, for the
/// organisation or a set of teams: the time-series chart without the breakdowns.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Series {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The teams covered; empty for the whole organisation.
    pub team_ids: Vec<Uuid>,
    pub k_anonymity: u32,
    /// True when the teams have fewer than `k_anonymity` members or sharers in the window: no
    /// figures are shown.
    pub suppressed: bool,
    /// Every day of the window, oldest first.
    pub days: Vec<SeriesPoint>,
    pub definitions: BTreeMap<String, Definition>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrendPoint {
    /// Monday of the week.
    pub week: String,
    pub active_advocates: i64,
    pub shares: i64,
    pub human_clicks: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Programme {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: Totals,
    pub participation: Participation,
    pub trend: Vec<TrendPoint>,
    pub by_network: Vec<Row>,
    pub by_campaign: Vec<Row>,
    pub definitions: BTreeMap<String, Definition>,
}

/// Whose numbers a view covers.
#[derive(Debug, Clone)]
enum Scope {
    Org,
    User(Uuid),
    Teams(Vec<Uuid>),
}

struct Query {
    org: Uuid,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
}

impl Query {
    fn days(&self) -> (String, String) {
        (
            self.from.format("%Y-%m-%d").to_string(),
            self.to.format("%Y-%m-%d").to_string(),
        )
    }

    fn share_filter(&self) -> Condition {
        let start = self
            .from
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_else(Utc::now);
        let end = (self.to + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_else(Utc::now);
        let mut c = Condition::all()
            .add(share::Column::OrgId.eq(self.org))
            .add(share::Column::CreatedAt.gte(start))
            .add(share::Column::CreatedAt.lt(end));
        match &self.scope {
            Scope::Org => {}
            Scope::User(u) => c = c.add(share::Column::UserId.eq(*u)),
            Scope::Teams(t) => c = c.add(share::Column::TeamId.is_in(t.clone())),
        }
        c
    }
}

/// Rollup totals per (post, campaign, team, person, network) over the window, split by EMV rate
/// period when rates change inside the window, so every click is priced at its day's rate.
struct ShareClicks {
    post: Uuid,
    campaign: Option<Uuid>,
    team: Option<Uuid>,
    user: Option<Uuid>,
    network: String,
    period_day: String,
    human: i64,
    bot: i64,
    unique: i64,
}

/// Clicks per day and network (the time series and EMV at daily rates).
struct DayClicks {
    day: String,
    network: String,
    human: i64,
    bot: i64,
    unique: i64,
}

/// A share created in the window (potential reach, engagement, impressions).
struct ShareFact {
    post: Uuid,
    campaign: Option<Uuid>,
    team: Option<Uuid>,
    user: Option<Uuid>,
    network: String,
    day: String,
    audience: i64,
    impressions: i64,
    engagement: i64,
}

/// Everything a view needs, read in three queries: rollup rows grouped by share, rollup rows
/// grouped by day and network, and the shares created in the window.
struct Facts {
    by_share: Vec<ShareClicks>,
    by_day: Vec<DayClicks>,
    shares: Vec<ShareFact>,
    rates: Rates,
}

const SUM_HUMAN: &str = "CAST(COALESCE(SUM(human_clicks), 0) AS BIGINT)";
const SUM_BOT: &str = "CAST(COALESCE(SUM(bot_hits), 0) AS BIGINT)";
const SUM_UNIQUE: &str = "CAST(COALESCE(SUM(unique_visitors), 0) AS BIGINT)";

fn day_expr(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        _ => "substr(created_at, 1, 10)",
    }
}

type ShareFactRow = (
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    String,
    String,
    i64,
    i64,
    i64,
);

/// A share's click totals to date and the days it was first and last clicked.
type ShareReachRow = (
    Uuid,
    Uuid,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    String,
    i64,
    i64,
    i64,
    String,
    String,
);

/// A share's post, campaign, team, person and network.
type ShareDims = (Uuid, Option<Uuid>, Option<Uuid>, Option<Uuid>, String);

/// Rollup rows are grouped per share dimensions and EMV rate period.
type GroupKey = (
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    String,
    String,
);

async fn facts(state: &AppState, q: &Query) -> AppResult<Facts> {
    let db = &state.db;
    let rates = Rates::load(db, q.org).await?;
    let (from, to) = q.days();
    // Days inside the window on which some rate changes split the sums into periods, so each
    // click is priced at its day's rate.
    let changes: Vec<String> = rates
        .change_days()
        .into_iter()
        .filter(|d| *d > from && *d <= to)
        .collect();
    let period_of = |day: &str| -> String {
        changes
            .iter()
            .rev()
            .find(|c| c.as_str() <= day)
            .cloned()
            .unwrap_or_else(|| from.clone())
    };
    // Shares clicked inside the window, with their totals to date. A share whose clicks all
    // fall inside the window and inside one rate period counts as its totals: one row however
    // many days it was clicked. The others are read day by day from the rollup.
    let mut reach = share_reach::Entity::find_in(q.org)
        .select_only()
        .column(share_reach::Column::ShareId)
        .column(share_reach::Column::PostId)
        .column(share_reach::Column::CampaignId)
        .column(share_reach::Column::TeamId)
        .column(share_reach::Column::UserId)
        .column(share_reach::Column::Network)
        .column(share_reach::Column::HumanClicks)
        .column(share_reach::Column::BotHits)
        .column(share_reach::Column::UniqueVisitors)
        .column(share_reach::Column::FirstDay)
        .column(share_reach::Column::LastDay)
        .filter(share_reach::Column::LastDay.gte(from.clone()))
        .filter(share_reach::Column::FirstDay.lte(to.clone()));
    match &q.scope {
        Scope::Org => {}
        Scope::User(u) => reach = reach.filter(share_reach::Column::UserId.eq(*u)),
        Scope::Teams(t) => reach = reach.filter(share_reach::Column::TeamId.is_in(t.clone())),
    }
    let rows: Vec<ShareReachRow> = reach.into_tuple().all(db).await?;
    let mine: Vec<Uuid> = match q.scope {
        Scope::User(_) => rows.iter().map(|r| r.0).collect(),
        _ => Vec::new(),
    };
    let mut groups: std::collections::HashMap<GroupKey, (i64, i64, i64)> =
        std::collections::HashMap::new();
    let mut partial: std::collections::HashMap<Uuid, ShareDims> = std::collections::HashMap::new();
    for (share, post, campaign, team, user, network, human, bot, unique, first, last) in rows {
        let period = period_of(&first);
        if first >= from && last <= to && period == period_of(&last) {
            let sums = groups
                .entry((Some(post), campaign, team, user, network, period))
                .or_default();
            sums.0 += human;
            sums.1 += bot;
            sums.2 += unique;
        } else {
            partial.insert(share, (post, campaign, team, user, network));
        }
    }
    let partial_ids: Vec<Uuid> = partial.keys().copied().collect();
    for chunk in partial_ids.chunks(500) {
        let days: Vec<(Uuid, String, i64, i64, i64)> = reach_daily::Entity::find()
            .select_only()
            .column(reach_daily::Column::ShareId)
            .column(reach_daily::Column::Day)
            .column(reach_daily::Column::HumanClicks)
            .column(reach_daily::Column::BotHits)
            .column(reach_daily::Column::UniqueVisitors)
            .filter(reach_daily::Column::OrgId.eq(q.org))
            .filter(reach_daily::Column::ShareId.is_in(chunk.to_vec()))
            .filter(reach_daily::Column::Day.gte(from.clone()))
            .filter(reach_daily::Column::Day.lte(to.clone()))
            .into_tuple()
            .all(db)
            .await?;
        for (share, day, human, bot, unique) in days {
            let Some((post, campaign, team, user, network)) = partial.get(&share) else {
                continue;
            };
            let sums = groups
                .entry((
                    Some(*post),
                    *campaign,
                    *team,
                    *user,
                    network.clone(),
                    period_of(&day),
                ))
                .or_default();
            sums.0 += human;
            sums.1 += bot;
            sums.2 += unique;
        }
    }
    let by_share = groups
        .into_iter()
        .map(
            |((post, campaign, team, user, network, period_day), (human, bot, unique))| {
                ShareClicks {
                    post: post.unwrap_or_default(),
                    campaign,
                    team,
                    user,
                    network,
                    period_day,
                    human,
                    bot,
                    unique,
                }
            },
        )
        .collect();
    // The series: the organisation's daily counters, or the rollup of the teams or person.
    let days: Vec<(String, String, i64, i64, i64)> = match &q.scope {
        Scope::Org => {
            reach_org_daily::Entity::find_in(q.org)
                .select_only()
                .column(reach_org_daily::Column::Day)
                .column(reach_org_daily::Column::Network)
                .column(reach_org_daily::Column::HumanClicks)
                .column(reach_org_daily::Column::BotHits)
                .column(reach_org_daily::Column::UniqueVisitors)
                .filter(reach_org_daily::Column::Day.gte(from.clone()))
                .filter(reach_org_daily::Column::Day.lte(to.clone()))
                .into_tuple()
                .all(db)
                .await?
        }
        Scope::User(_) | Scope::Teams(_) => {
            // A person's series reads their shares' rows by key; a team's the team index.
            let mut filter = Condition::all()
                .add(reach_daily::Column::OrgId.eq(q.org))
                .add(reach_daily::Column::Day.gte(from.clone()))
                .add(reach_daily::Column::Day.lte(to.clone()));
            filter = match &q.scope {
                Scope::Teams(t) => filter.add(reach_daily::Column::TeamId.is_in(t.clone())),
                _ => filter.add(reach_daily::Column::ShareId.is_in(mine)),
            };
            reach_daily::Entity::find()
                .select_only()
                .column(reach_daily::Column::Day)
                .column(reach_daily::Column::Network)
                .column_as(Expr::cust(SUM_HUMAN), "human")
                .column_as(Expr::cust(SUM_BOT), "bot")
                .column_as(Expr::cust(SUM_UNIQUE), "uniq")
                .filter(filter)
                .group_by(reach_daily::Column::Day)
                .group_by(reach_daily::Column::Network)
                .into_tuple()
                .all(db)
                .await?
        }
    };
    let by_day = days
        .into_iter()
        .map(|(day, network, human, bot, unique)| DayClicks {
            day,
            network,
            human,
            bot,
            unique,
        })
        .collect();
    let day = day_expr(db.get_database_backend());
    let rows: Vec<ShareFactRow> = share::Entity::find()
        .select_only()
        .column(share::Column::PostId)
        .column(share::Column::CampaignId)
        .column(share::Column::TeamId)
        .column(share::Column::UserId)
        .column(share::Column::Network)
        .column_as(Expr::cust(day), "d")
        .column(share::Column::AudienceSize)
        .column(share::Column::Impressions)
        .column_as(Expr::cust("reactions + comments + reshares"), "engagement")
        .filter(q.share_filter())
        .into_tuple()
        .all(db)
        .await?;
    let shares = rows
        .into_iter()
        .map(
            |(post, campaign, team, user, network, day, audience, impressions, engagement)| {
                ShareFact {
                    post: post.unwrap_or_default(),
                    campaign,
                    team,
                    user,
                    network,
                    day,
                    audience,
                    impressions,
                    engagement,
                }
            },
        )
        .collect();
    Ok(Facts {
        by_share,
        by_day,
        shares,
        rates,
    })
}

fn round_emv(t: &mut Totals) {
    for value in t.emv.values_mut() {
        *value = (*value * 100.0).round() / 100.0;
    }
}

fn add_share(t: &mut Totals, s: &ShareFact, rates: &Rates) {
    t.shares += 1;
    t.potential_reach += s.audience;
    t.measured_impressions += s.impressions;
    t.engagement += s.engagement;
    if let Some(rate) = rates.at(&s.network, &s.day) {
        *t.emv.entry(rate.currency.clone()).or_default() +=
            rate.cpm * s.impressions as f64 / 1000.0;
    }
}

fn add_clicks(
    t: &mut Totals,
    network: &str,
    day: &str,
    human: i64,
    bot: i64,
    unique: i64,
    rates: &Rates,
) {
    t.human_clicks += human;
    t.bot_hits += bot;
    t.unique_visitors += unique;
    if let Some(rate) = rates.at(network, day) {
        *t.emv.entry(rate.currency.clone()).or_default() += rate.cpc * human as f64;
    }
}

struct Overview {
    totals: Totals,
    by_day: Vec<Row>,
    by_network: Vec<Row>,
}

fn overview(f: &Facts, from: NaiveDate, to: NaiveDate) -> Overview {
    let mut by_day: BTreeMap<String, Totals> = BTreeMap::new();
    let mut by_network: BTreeMap<String, Totals> = BTreeMap::new();
    let mut totals = Totals::default();
    for c in &f.by_day {
        for t in [
            by_day.entry(c.day.clone()).or_default(),
            by_network.entry(c.network.clone()).or_default(),
        ] {
            add_clicks(t, &c.network, &c.day, c.human, c.bot, c.unique, &f.rates);
        }
        add_clicks(
            &mut totals,
            &c.network,
            &c.day,
            c.human,
            c.bot,
            c.unique,
            &f.rates,
        );
    }
    for s in &f.shares {
        add_share(by_day.entry(s.day.clone()).or_default(), s, &f.rates);
        add_share(
            by_network.entry(s.network.clone()).or_default(),
            s,
            &f.rates,
        );
        add_share(&mut totals, s, &f.rates);
    }
    round_emv(&mut totals);
    let mut series = Vec::new();
    let mut day = from;
    while day <= to {
        let key = day.format("%Y-%m-%d").to_string();
        let mut t = by_day.remove(&key).unwrap_or_default();
        round_emv(&mut t);
        series.push(Row {
            label: key.clone(),
            key,
            totals: t,
        });
        day += Duration::days(1);
    }
    let mut networks: Vec<Row> = by_network
        .into_iter()
        .map(|(key, mut t)| {
            round_emv(&mut t);
            Row {
                label: key.clone(),
                key,
                totals: t,
            }
        })
        .collect();
    networks.sort_by_key(|r| std::cmp::Reverse(r.totals.human_clicks));
    Overview {
        totals,
        by_day: series,
        by_network: networks,
    }
}

#[derive(Clone, Copy)]
enum Dimension {
    Campaign,
    Team,
    Post,
}

impl Dimension {
    fn of_clicks(self, c: &ShareClicks) -> Option<Uuid> {
        match self {
            Dimension::Campaign => c.campaign,
            Dimension::Team => c.team,
            Dimension::Post => Some(c.post),
        }
    }

    fn of_share(self, s: &ShareFact) -> Option<Uuid> {
        match self {
            Dimension::Campaign => s.campaign,
            Dimension::Team => s.team,
            Dimension::Post => Some(s.post),
        }
    }
}

/// A breakdown by campaign, team or post; groups of fewer than `k` distinct sharers fold.
async fn breakdown(
    state: &AppState,
    org: Uuid,
    f: &Facts,
    dim: Dimension,
    k: usize,
) -> AppResult<Vec<Row>> {
    let mut groups: BTreeMap<Option<Uuid>, (Totals, BTreeSet<Uuid>)> = BTreeMap::new();
    for c in &f.by_share {
        let (t, people) = groups.entry(dim.of_clicks(c)).or_default();
        add_clicks(
            t,
            &c.network,
            &c.period_day,
            c.human,
            c.bot,
            c.unique,
            &f.rates,
        );
        people.extend(c.user);
    }
    for s in &f.shares {
        let (t, people) = groups.entry(dim.of_share(s)).or_default();
        add_share(t, s, &f.rates);
        people.extend(s.user);
    }
    let ids: Vec<Uuid> = groups.keys().flatten().copied().collect();
    let labels = labels(state, org, dim, &ids).await?;
    let mut rows: Vec<(Row, usize)> = groups
        .into_iter()
        .map(|(key, (mut totals, people))| {
            round_emv(&mut totals);
            let (key, label) = match key {
                Some(id) => (
                    id.to_string(),
                    labels
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| "(removed)".into()),
                ),
                None => ("none".into(), "None".into()),
            };
            (Row { key, label, totals }, people.len())
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.totals
            .human_clicks
            .cmp(&a.0.totals.human_clicks)
            .then(b.0.totals.shares.cmp(&a.0.totals.shares))
    });
    Ok(fold(rows, k))
}

fn add(into: &mut Totals, t: &Totals) {
    into.shares += t.shares;
    into.potential_reach += t.potential_reach;
    into.human_clicks += t.human_clicks;
    into.bot_hits += t.bot_hits;
    into.unique_visitors += t.unique_visitors;
    into.engagement += t.engagement;
    into.measured_impressions += t.measured_impressions;
    for (currency, value) in &t.emv {
        *into.emv.entry(currency.clone()).or_default() += value;
    }
}

/// Keeps rows with at least `k` distinct sharers; folds the rest into one `other` row, which
/// is itself dropped (its numbers stay in the totals) when it covers fewer than `k` people.
fn fold(rows: Vec<(Row, usize)>, k: usize) -> Vec<Row> {
    let mut kept = Vec::new();
    let mut other = Totals::default();
    let mut other_people = 0;
    let mut folded = 0;
    for (row, people) in rows {
        if people >= k {
            kept.push(row);
        } else {
            add(&mut other, &row.totals);
            other_people += people;
            folded += 1;
        }
    }
    if folded > 0 && other_people >= k {
        kept.push(Row {
            key: "other".into(),
            label: format!("Other ({folded} groups)"),
            totals: other,
        });
    }
    kept
}

async fn labels(
    state: &AppState,
    org: Uuid,
    dim: Dimension,
    ids: &[Uuid],
) -> AppResult<BTreeMap<Uuid, String>> {
    let pairs: Vec<(Uuid, String)> = match dim {
        Dimension::Campaign => {
            campaign::Entity::find_in(org)
                .select_only()
                .column(campaign::Column::Id)
                .column(campaign::Column::Name)
                .filter(campaign::Column::Id.is_in(ids.to_vec()))
                .into_tuple()
                .all(&state.db)
                .await?
        }
        Dimension::Team => {
            team::Entity::find_in(org)
                .select_only()
                .column(team::Column::Id)
                .column(team::Column::Name)
                .filter(team::Column::Id.is_in(ids.to_vec()))
                .into_tuple()
                .all(&state.db)
                .await?
        }
        Dimension::Post => {
            post::Entity::find_in(org)
                .select_only()
                .column(post::Column::Id)
                .column(post::Column::Title)
                .filter(post::Column::Id.is_in(ids.to_vec()))
                .into_tuple()
                .all(&state.db)
                .await?
        }
    };
    Ok(pairs.into_iter().collect())
}

fn window(
    state: &AppState,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or_else(|| Utc::now().date_naive());
    let from = from.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(AppError::field("from", "must not be after `to`"));
    }
    if (to - from).num_days() > state.config.advocacy.max_window_days {
        return Err(AppError::field(
            "from",
            format!(
                "the window may cover at most {} days",
                state.config.advocacy.max_window_days
            ),
        ));
    }
    Ok((from, to))
}

fn per_share(rank: Option<&str>) -> AppResult<bool> {
    match rank.unwrap_or("clicks") {
        "clicks" => Ok(false),
        "per_share" => Ok(true),
        _ => Err(AppError::field("rank", "must be clicks or per_share")),
    }
}

/// Members, opted-in people and active advocates in a set of teams (or the organisation).
async fn participation(state: &AppState, q: &Query, f: &Facts) -> AppResult<Participation> {
    let mut members = user::Entity::find_in(q.org).filter(user::Column::Status.eq(user::ACTIVE));
    if let Scope::Teams(teams) = &q.scope {
        members = members.filter(user::Column::TeamId.is_in(teams.clone()));
    }
    let member_ids: BTreeSet<Uuid> = members
        .select_only()
        .column(user::Column::Id)
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let mut opted = advocate::Entity::find_in(q.org)
        .select_only()
        .column(advocate::Column::UserId)
        .filter(advocate::Column::OptedIn.eq(true));
    if let Scope::Teams(_) = &q.scope {
        opted = opted.filter(advocate::Column::UserId.is_in(member_ids.iter().copied()));
    }
    let opted: BTreeSet<Uuid> = opted
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let opted_in: BTreeSet<Uuid> = member_ids.intersection(&opted).copied().collect();
    let active = f
        .shares
        .iter()
        .filter_map(|s| s.user)
        .filter(|u| opted_in.contains(u))
        .collect::<BTreeSet<_>>()
        .len() as i64;
    let members = member_ids.len() as i64;
    let opted_count = opted_in.len() as i64;
    let ratio = |a: i64, b: i64| {
        if b == 0 {
            0.0
        } else {
            ((a as f64 / b as f64) * 1000.0).round() / 1000.0
        }
    };
    Ok(Participation {
        members,
        opted_in: opted_count,
        active_advocates: active,
        opt_in_rate: ratio(opted_count, members),
        active_rate: ratio(active, opted_count),
    })
}

/// Opted-in people who show their rank, by human clicks (or clicks per share); empty when
/// fewer than `k` people would be listed.
async fn leaderboard(
    state: &AppState,
    org: Uuid,
    f: &Facts,
    per_share: bool,
    k: usize,
) -> AppResult<Vec<LeaderboardEntry>> {
    let ranked = super::consent::ranked_people(&state.db, org).await?;
    let mut stats: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for s in &f.shares {
        if let Some(u) = s.user {
            stats.entry(u).or_default().0 += 1;
        }
    }
    for c in &f.by_share {
        if let Some(u) = c.user {
            stats.entry(u).or_default().1 += c.human;
        }
    }
    stats.retain(|u, (shares, _)| ranked.contains(u) && *shares > 0);
    if stats.len() < k {
        return Ok(Vec::new());
    }
    let names = crate::people::users::display_names(&state.db, org, stats.keys().copied()).await?;
    let mut entries: Vec<LeaderboardEntry> = stats
        .into_iter()
        .map(|(user_id, (shares, clicks))| LeaderboardEntry {
            rank: 0,
            display_name: names.get(&user_id).cloned().unwrap_or_default(),
            user_id,
            shares,
            human_clicks: clicks,
            clicks_per_share: if shares == 0 {
                0.0
            } else {
                ((clicks as f64 / shares as f64) * 100.0).round() / 100.0
            },
        })
        .collect();
    if per_share {
        entries.sort_by(|a, b| {
            b.clicks_per_share
                .total_cmp(&a.clicks_per_share)
                .then(b.human_clicks.cmp(&a.human_clicks))
        });
    } else {
        entries.sort_by(|a, b| {
            b.human_clicks
                .cmp(&a.human_clicks)
                .then(b.shares.cmp(&a.shares))
        });
    }
    for (i, e) in entries.iter_mut().enumerate() {
        e.rank = i as u32 + 1;
    }
    entries.truncate(50);
    Ok(entries)
}

async fn build_my_impact(
    state: &AppState,
    user: &AuthUser,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<MyImpact> {
    let (from, to) = window(state, from, to)?;
    let q = Query {
        org: user.org_id,
        scope: Scope::User(user.user_id),
        from,
        to,
    };
    let f = facts(state, &q).await?;
    let o = overview(&f, from, to);
    // The caller's rank among colleagues who show theirs (only if the caller does too).
    let everyone = Query {
        org: user.org_id,
        scope: Scope::Org,
        from,
        to,
    };
    let rank = if leaderboard_visible(state, user).await? {
        let org_facts = facts(state, &everyone).await?;
        leaderboard(state, user.org_id, &org_facts, false, 1)
            .await?
            .iter()
            .find(|e| e.user_id == user.user_id)
            .map(|e| e.rank)
    } else {
        None
    };
    Ok(MyImpact {
        from,
        to,
        totals: o.totals,
        by_day: o.by_day,
        by_network: o.by_network,
        rank,
        definitions: definitions(),
    })
}

async fn leaderboard_visible(state: &AppState, user: &AuthUser) -> AppResult<bool> {
    super::consent::allows_ranking(&state.db, user.org_id, user.user_id).await
}

/// The caller's own impact: shares, human clicks, unique visitors, potential reach, engagement
/// and EMV over a window, by day and network.
#[utoipa::path(get, path = "/api/v1/reach/me", tag = "reach", security(("bearer" = [])), params(Window),
    responses((status = 200, body = MyImpact), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn my_impact(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(w): AppQuery<Window>,
) -> AppResult<Json<MyImpact>> {
    let state = state.for_reads();
    Ok(Json(build_my_impact(&state, &user, w.from, w.to).await?))
}

/// Teams a caller may report on: managers their subtree (optionally narrowed to one team in it),
/// administrators any team's subtree or the whole organisation.
async fn team_scope(
    state: &AppState,
    user: &AuthUser,
    team_id: Option<Uuid>,
) -> AppResult<Vec<Uuid>> {
    let all: Vec<(Uuid, Option<Uuid>)> = team::Entity::find_in(user.org_id)
        .select_only()
        .column(team::Column::Id)
        .column(team::Column::ParentId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let allowed: BTreeSet<Uuid> = if user.has(Role::Admin) {
        all.iter().map(|(id, _)| *id).collect()
    } else if user.has(Role::Manager) {
        managed_subtree(&state.db, user.org_id, user.user_id).await?
    } else {
        return Err(AppError::Forbidden);
    };
    match team_id {
        Some(id) if allowed.contains(&id) => Ok(crate::people::teams::subtree(&all, &[id])
            .into_iter()
            .collect()),
        Some(id) if all.iter().any(|(t, _)| *t == id) => Err(AppError::Forbidden),
        Some(_) => Err(AppError::NotFound),
        None if allowed.is_empty() && !user.has(Role::Admin) => Err(AppError::Forbidden),
        None => Ok(allowed.into_iter().collect()),
    }
}

async fn build_team_dashboard(
    state: &AppState,
    user: &AuthUser,
    w: &Window,
) -> AppResult<TeamDashboard> {
    let (from, to) = window(state, w.from, w.to)?;
    let per_share = per_share(w.rank.as_deref())?;
    let teams = team_scope(state, user, w.team_id).await?;
    let k = state.config.advocacy.k_anonymity as usize;
    // Administrators without a team filter see the whole organisation, people without a team too.
    let scope = if user.has(Role::Admin) && w.team_id.is_none() {
        Scope::Org
    } else {
        Scope::Teams(teams.clone())
    };
    let q = Query {
        org: user.org_id,
        scope,
        from,
        to,
    };
    let f = facts(state, &q).await?;
    let o = overview(&f, from, to);
    let mut participation = participation(state, &q, &f).await?;
    let people: BTreeSet<Uuid> = f
        .shares
        .iter()
        .filter_map(|s| s.user)
        .chain(f.by_share.iter().filter_map(|c| c.user))
        .collect();
    let small = matches!(q.scope, Scope::Teams(_))
        && (people.len() < k || (participation.members as usize) < k);
    if small {
        let members = participation.members;
        participation = Participation {
            members,
            opted_in: 0,
            active_advocates: 0,
            opt_in_rate: 0.0,
            active_rate: 0.0,
        };
        return Ok(TeamDashboard {
            from,
            to,
            team_ids: teams,
            k_anonymity: state.config.advocacy.k_anonymity,
            suppressed: true,
            totals: Totals::default(),
            participation,
            by_day: Vec::new(),
            by_network: Vec::new(),
            by_campaign: Vec::new(),
            by_team: Vec::new(),
            top_posts: Vec::new(),
            leaderboard: Vec::new(),
            definitions: definitions(),
        });
    }
    Ok(TeamDashboard {
        from,
        to,
        team_ids: teams,
        k_anonymity: state.config.advocacy.k_anonymity,
        suppressed: false,
        participation,
        by_campaign: breakdown(state, q.org, &f, Dimension::Campaign, k).await?,
        by_team: breakdown(state, q.org, &f, Dimension::Team, k).await?,
        top_posts: breakdown(state, q.org, &f, Dimension::Post, k)
            .await?
            .into_iter()
            .take(10)
            .collect(),
        leaderboard: leaderboard(state, q.org, &f, per_share, k).await?,
        totals: o.totals,
        by_day: o.by_day,
        by_network: o.by_network,
        definitions: definitions(),
    })
}

async fn build_series(state: &AppState, user: &AuthUser, w: &Window) -> AppResult<Series> {
    let (from, to) = window(state, w.from, w.to)?;
    let teams = team_scope(state, user, w.team_id).await?;
    let k = state.config.advocacy.k_anonymity;
    let org_wide = user.has(Role::Admin) && w.team_id.is_none();
    let q = Query {
        org: user.org_id,
        scope: if org_wide {
            Scope::Org
        } else {
            Scope::Teams(teams.clone())
        },
        from,
        to,
    };
    let (first, last) = q.days();
    let db = &state.db;
    let mut series = Series {
        from,
        to,
        team_ids: if org_wide { Vec::new() } else { teams.clone() },
        k_anonymity: k,
        suppressed: false,
        days: Vec::new(),
        definitions: definitions(),
    };
    let clicks: Vec<(String, i64, i64, i64)> = if org_wide {
        reach_org_daily::Entity::find_in(q.org)
            .select_only()
            .column(reach_org_daily::Column::Day)
            .column_as(Expr::cust(SUM_HUMAN), "human")
            .column_as(Expr::cust(SUM_BOT), "bot")
            .column_as(Expr::cust(SUM_UNIQUE), "uniq")
            .filter(reach_org_daily::Column::Day.gte(first.clone()))
            .filter(reach_org_daily::Column::Day.lte(last.clone()))
            .group_by(reach_org_daily::Column::Day)
            .into_tuple()
            .all(db)
            .await?
    } else {
        // Small groups show nothing: fewer than k members, or fewer than k people whose
        // shares were clicked or made in the window.
        let members = user::Entity::find_in(q.org)
            .filter(user::Column::Status.eq(user::ACTIVE))
            .filter(user::Column::TeamId.is_in(teams.clone()))
            .count(db)
            .await?;
        let mut people: BTreeSet<Uuid> = share_reach::Entity::find_in(q.org)
            .select_only()
            .column(share_reach::Column::UserId)
            .distinct()
            .filter(share_reach::Column::TeamId.is_in(teams.clone()))
            .filter(share_reach::Column::LastDay.gte(first.clone()))
            .filter(share_reach::Column::FirstDay.lte(last.clone()))
            .into_tuple::<Option<Uuid>>()
            .all(db)
            .await?
            .into_iter()
            .flatten()
            .collect();
        people.extend(
            share::Entity::find()
                .select_only()
                .column(share::Column::UserId)
                .distinct()
                .filter(q.share_filter())
                .into_tuple::<Option<Uuid>>()
                .all(db)
                .await?
                .into_iter()
                .flatten(),
        );
        if members < u64::from(k) || people.len() < k as usize {
            series.suppressed = true;
            return Ok(series);
        }
        reach_daily::Entity::find()
            .select_only()
            .column(reach_daily::Column::Day)
            .column_as(Expr::cust(SUM_HUMAN), "human")
            .column_as(Expr::cust(SUM_BOT), "bot")
            .column_as(Expr::cust(SUM_UNIQUE), "uniq")
            .filter(reach_daily::Column::OrgId.eq(q.org))
            .filter(reach_daily::Column::TeamId.is_in(teams.clone()))
            .filter(reach_daily::Column::Day.gte(first.clone()))
            .filter(reach_daily::Column::Day.lte(last.clone()))
            .group_by(reach_daily::Column::Day)
            .into_tuple()
            .all(db)
            .await?
    };
    let day = day_expr(db.get_database_backend());
    let shares: Vec<(String, i64)> = share::Entity::find()
        .select_only()
        .column_as(Expr::cust(day), "d")
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .filter(q.share_filter())
        .group_by(Expr::cust(day))
        .into_tuple()
        .all(db)
        .await?;
    let mut by_day: BTreeMap<String, SeriesPoint> = BTreeMap::new();
    fn point(by_day: &mut BTreeMap<String, SeriesPoint>, day: String) -> &mut SeriesPoint {
        by_day
            .entry(day.clone())
            .or_insert_with(|| SeriesPoint::empty(day))
    }
    for (day, human, bot, unique) in clicks {
        let p = point(&mut by_day, day);
        p.human_clicks += human;
        p.bot_hits += bot;
        p.unique_visitors += unique;
    }
    for (day, n) in shares {
        point(&mut by_day, day).shares += n;
    }
    let mut day = from;
    while day <= to {
        let key = day.format("%Y-%m-%d").to_string();
        let p = by_day
            .remove(&key)
            .unwrap_or_else(|| SeriesPoint::empty(key));
        series.days.push(p);
        day += Duration::days(1);
    }
    Ok(series)
}

/// The daily series for the organisation (administrators) or the caller's teams: human clicks,
/// bot and preview hits, unique visitors and shares per day. Read from per-day counters, so it
/// costs the same however many clicks lie behind it; k-anonymous like the dashboard.
#[utoipa::path(get, path = "/api/v1/reach/series", tag = "reach", security(("bearer" = [])), params(Window),
    responses((status = 200, body = Series), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn series(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(w): AppQuery<Window>,
) -> AppResult<Json<Series>> {
    let state = state.for_reads();
    Ok(Json(build_series(&state, &user, &w).await?))
}

/// Reach dashboard for the teams the caller manages (and the teams below them); administrators
/// may pick any team or see the whole organisation. Aggregates only, k-anonymous.
#[utoipa::path(get, path = "/api/v1/reach/teams", tag = "reach", security(("bearer" = [])), params(Window),
    responses((status = 200, body = TeamDashboard), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn team_dashboard(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(w): AppQuery<Window>,
) -> AppResult<Json<TeamDashboard>> {
    let state = state.for_reads();
    Ok(Json(build_team_dashboard(&state, &user, &w).await?))
}

async fn build_programme(
    state: &AppState,
    user: &AuthUser,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<Programme> {
    if !user.has(Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let (from, to) = window(state, from, to)?;
    let k = state.config.advocacy.k_anonymity as usize;
    let q = Query {
        org: user.org_id,
        scope: Scope::Org,
        from,
        to,
    };
    let f = facts(state, &q).await?;
    let o = overview(&f, from, to);
    let week_of = |day: &str| -> String {
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(|d| {
                (d - Duration::days(i64::from(
                    chrono::Datelike::weekday(&d).num_days_from_monday(),
                )))
                .format("%Y-%m-%d")
                .to_string()
            })
            .unwrap_or_default()
    };
    let mut weeks: BTreeMap<String, (BTreeSet<Uuid>, i64, i64)> = BTreeMap::new();
    let opted: BTreeSet<Uuid> = advocate::Entity::find_in(q.org)
        .select_only()
        .column(advocate::Column::UserId)
        .filter(advocate::Column::OptedIn.eq(true))
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    for s in &f.shares {
        let entry = weeks.entry(week_of(&s.day)).or_default();
        entry.1 += 1;
        entry.0.extend(s.user.filter(|u| opted.contains(u)));
    }
    for c in &f.by_day {
        weeks.entry(week_of(&c.day)).or_default().2 += c.human;
    }
    let trend = weeks
        .into_iter()
        .map(|(week, (people, shares, clicks))| TrendPoint {
            week,
            active_advocates: people.len() as i64,
            shares,
            human_clicks: clicks,
        })
        .collect();
    Ok(Programme {
        from,
        to,
        participation: participation(state, &q, &f).await?,
        by_campaign: breakdown(state, q.org, &f, Dimension::Campaign, k).await?,
        totals: o.totals,
        trend,
        by_network: o.by_network,
        definitions: definitions(),
    })
}

/// Programme health for administrators: opt-in and participation, weekly trend, totals.
#[utoipa::path(get, path = "/api/v1/reach/programme", tag = "reach", security(("bearer" = [])), params(Window),
    responses((status = 200, body = Programme), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn programme(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(w): AppQuery<Window>,
) -> AppResult<Json<Programme>> {
    let state = state.for_reads();
    Ok(Json(build_programme(&state, &user, w.from, w.to).await?))
}

fn csv_rows(rows: &[Row]) -> Vec<Vec<String>> {
    let currencies: BTreeSet<String> = rows
        .iter()
        .flat_map(|r| r.totals.emv.keys().cloned())
        .collect();
    let mut out = vec![
        [
            "key",
            "label",
            "shares",
            "potential_reach",
            "human_clicks",
            "bot_hits",
            "unique_visitors",
            "engagement",
            "measured_impressions",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain(currencies.iter().map(|c| format!("emv_{c}")))
        .collect::<Vec<_>>(),
    ];
    for r in rows {
        let t = &r.totals;
        let mut line = vec![
            r.key.clone(),
            r.label.clone(),
            t.shares.to_string(),
            t.potential_reach.to_string(),
            t.human_clicks.to_string(),
            t.bot_hits.to_string(),
            t.unique_visitors.to_string(),
            t.engagement.to_string(),
            t.measured_impressions.to_string(),
        ];
        line.extend(
            currencies
                .iter()
                .map(|c| t.emv.get(c).map(|v| format!("{v:.2}")).unwrap_or_default()),
        );
        out.push(line);
    }
    out
}

fn csv_response(name: &str, rows: Vec<Vec<String>>) -> AppResult<Response> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Cells starting with a formula character are quoted so spreadsheets show them as text.
        let safe: Vec<String> = row
            .into_iter()
            .map(|c| {
                if c.starts_with(['=', '+', '-', '@']) && c.parse::<f64>().is_err() {
                    format!("'{c}")
                } else {
                    c
                }
            })
            .collect();
        writer
            .write_record(&safe)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"chorus-{name}.csv\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Download any table of the reach views as CSV (same access rules as the views).
#[utoipa::path(get, path = "/api/v1/reach/export", tag = "reach", security(("bearer" = [])), params(ExportQuery),
    responses(
        (status = 200, description = "CSV file", content_type = "text/csv"),
        (status = 403, body = Problem),
        (status = 422, body = Problem),
    ))]
async fn export(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(q): AppQuery<ExportQuery>,
) -> AppResult<Response> {
    let state = state.for_reads();
    let name = format!("{}-{}", q.view, q.table);
    let bad_table = || AppError::field("table", "is not a table of this view");
    match q.view.as_str() {
        "me" => {
            let impact = build_my_impact(&state, &user, q.from, q.to).await?;
            let rows = match q.table.as_str() {
                "by_day" => impact.by_day,
                "by_network" => impact.by_network,
                _ => return Err(bad_table()),
            };
            csv_response(&name, csv_rows(&rows))
        }
        "teams" => {
            let w = Window {
                from: q.from,
                to: q.to,
                team_id: q.team_id,
                rank: q.rank.clone(),
            };
            let d = build_team_dashboard(&state, &user, &w).await?;
            match q.table.as_str() {
                "by_day" => csv_response(&name, csv_rows(&d.by_day)),
                "by_network" => csv_response(&name, csv_rows(&d.by_network)),
                "by_campaign" => csv_response(&name, csv_rows(&d.by_campaign)),
                "by_team" => csv_response(&name, csv_rows(&d.by_team)),
                "by_post" => csv_response(&name, csv_rows(&d.top_posts)),
                "leaderboard" => {
                    let mut rows = vec![vec![
                        "rank".into(),
                        "display_name".into(),
                        "shares".into(),
                        "human_clicks".into(),
                        "clicks_per_share".into(),
                    ]];
                    rows.extend(d.leaderboard.iter().map(|e| {
                        vec![
                            e.rank.to_string(),
                            e.display_name.clone(),
                            e.shares.to_string(),
                            e.human_clicks.to_string(),
                            e.clicks_per_share.to_string(),
                        ]
                    }));
                    csv_response(&name, rows)
                }
                _ => Err(bad_table()),
            }
        }
        "programme" => {
            let p = build_programme(&state, &user, q.from, q.to).await?;
            match q.table.as_str() {
                "by_network" => csv_response(&name, csv_rows(&p.by_network)),
                "by_campaign" => csv_response(&name, csv_rows(&p.by_campaign)),
                "trend" => {
                    let mut rows = vec![vec![
                        "week".into(),
                        "active_advocates".into(),
                        "shares".into(),
                        "human_clicks".into(),
                    ]];
                    rows.extend(p.trend.iter().map(|t| {
                        vec![
                            t.week.clone(),
                            t.active_advocates.to_string(),
                            t.shares.to_string(),
                            t.human_clicks.to_string(),
                        ]
                    }));
                    csv_response(&name, rows)
                }
                _ => Err(bad_table()),
            }
        }
        _ => Err(AppError::field("view", "must be me, teams or programme")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, clicks: i64) -> Row {
        Row {
            key: key.into(),
            label: key.into(),
            totals: Totals {
                human_clicks: clicks,
                ..Totals::default()
            },
        }
    }

    #[test]
    fn small_groups_fold_into_other_or_disappear() {
        let rows = vec![(row("a", 10), 6), (row("b", 5), 2), (row("c", 4), 3)];
        let folded = fold(rows, 5);
        assert_eq!(folded.len(), 2);
        assert_eq!(folded[1].key, "other");
        assert_eq!(folded[1].totals.human_clicks, 9);
        let alone = fold(vec![(row("a", 10), 6), (row("b", 5), 2)], 5);
        assert_eq!(
            alone.len(),
            1,
            "an `other` of fewer than k people is not shown"
        );
    }
}
