//! Reach reporting: the employee's own impact, managers' team dashboards and the programme view
//! for administrators, plus CSV export of every table. Numbers come from the daily rollup, its
//! per-share, per-organisation and per-team counters and the shares table, never from raw
//! clicks; the database sums them, and a window's sums are reused while nothing behind them
//! has changed (see [`facts`]), so answers are always current. Every metric follows one
//! definition (see [`definitions`]); groups smaller than the k-anonymity threshold are folded
//! into "other", and only opted-in people who chose to be ranked appear on leaderboards.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
};

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::emv::Rates;
use crate::{
    auth::Role,
    entities::{advocate, campaign, post, reach_org_daily, reach_team_daily, share, team, user},
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

/// Click and share sums of one group for one network and one EMV rate period (or one day):
/// every click and share in it is priced at the same rate.
#[derive(Debug, Default)]
struct Part {
    network: String,
    /// A day of the period (its first day, or the day itself for daily parts).
    period: String,
    human: i64,
    bot: i64,
    unique: i64,
    shares: i64,
    audience: i64,
    impressions: i64,
    engagement: i64,
}

impl Part {
    fn add_to(&self, t: &mut Totals, rates: &Rates) {
        t.shares += self.shares;
        t.potential_reach += self.audience;
        t.measured_impressions += self.impressions;
        t.engagement += self.engagement;
        t.human_clicks += self.human;
        t.bot_hits += self.bot;
        t.unique_visitors += self.unique;
        if let Some(rate) = rates.at(&self.network, &self.period) {
            *t.emv.entry(rate.currency.clone()).or_default() +=
                rate.cpc * self.human as f64 + rate.cpm * self.impressions as f64 / 1000.0;
        }
    }
}

/// One person's shares and human clicks in the window (leaderboards, participation and the
/// number of people behind a view).
struct PersonSums {
    user: Uuid,
    shares: i64,
    human: i64,
}

/// A breakdown group before labelling and folding.
struct Group {
    key: Option<Uuid>,
    parts: Vec<Part>,
    /// Distinct people whose shares were made or clicked in the window.
    people: usize,
}

/// Everything a view needs, summed by the database: clicks and shares per day and network,
/// per person, per campaign, team or post when the view breaks them down, and the people
/// sharing in each week for the programme trend.
#[derive(Default)]
struct FactData {
    days: Vec<Part>,
    people: Vec<PersonSums>,
    campaigns: Vec<Group>,
    teams: Vec<Group>,
    posts: Vec<Group>,
    /// (Monday of the week, person) for every person with a share in that week.
    weekly_sharers: Vec<(String, Uuid)>,
}

/// The window's facts, priced at the organisation's current EMV rates.
struct Facts {
    data: Arc<FactData>,
    rates: Rates,
}

impl std::ops::Deref for Facts {
    type Target = FactData;

    fn deref(&self) -> &FactData {
        &self.data
    }
}

/// What the facts of a window were computed from: the organisation's click counters from the
/// window's first day on (every recorded click adds one), the shares created in the window
/// (count and latest creation time: new and removed shares) and the engagement reports.
/// Equal fingerprints mean equal facts, so a view reuses facts computed for an equal one.
#[derive(Clone, PartialEq, Eq)]
struct Fingerprint {
    clicks: (i64, i64),
    shares: (i64, Option<chrono::DateTime<Utc>>),
    reports: i64,
}

async fn fingerprint(state: &AppState, q: &Query) -> AppResult<Fingerprint> {
    let backend = state.db.get_database_backend();
    let (from, _) = q.days();
    let (start, end) = q.bounds();
    let mut sql = Sql::new();
    sql.push(
        "SELECT (SELECT CAST(COALESCE(SUM(human_clicks + bot_hits + self_clicks), 0) AS BIGINT) \
         FROM reach_org_daily WHERE org_id = ",
    )
    .bind(q.org)
    .push(" AND day >= ")
    .bind(from.clone())
    .push("), (SELECT CAST(COUNT(*) AS BIGINT) FROM reach_org_daily WHERE org_id = ")
    .bind(q.org)
    .push(" AND day >= ")
    .bind(from)
    .push("), (SELECT CAST(COUNT(*) AS BIGINT) FROM shares WHERE org_id = ")
    .bind(q.org)
    .push(" AND created_at >= ")
    .bind(start)
    .push(" AND created_at < ")
    .bind(end)
    .push("), (SELECT MAX(created_at) FROM shares WHERE org_id = ")
    .bind(q.org)
    .push(" AND created_at >= ")
    .bind(start)
    .push(" AND created_at < ")
    .bind(end)
    .push("), (SELECT CAST(COUNT(*) AS BIGINT) FROM engagement_reports WHERE org_id = ")
    .bind(q.org)
    .push(")");
    let row = state
        .db
        .query_one_raw(sql.statement(backend))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("fingerprint: no row")))?;
    Ok(Fingerprint {
        clicks: (row.try_get_by_index(0)?, row.try_get_by_index(1)?),
        shares: (row.try_get_by_index(2)?, row.try_get_by_index(3)?),
        reports: row.try_get_by_index(4)?,
    })
}

/// Which facts were computed: organisation, window, scope, rate periods and breakdowns.
#[derive(Clone, PartialEq, Eq, Hash)]
struct FactKey {
    org: Uuid,
    scope: String,
    from: NaiveDate,
    to: NaiveDate,
    changes: Vec<String>,
    wants: (bool, bool, bool, bool, bool),
}

struct CachedFacts {
    fingerprint: Fingerprint,
    data: Arc<FactData>,
    used: std::time::Instant,
}

/// Facts computed recently, per key; at most this many are kept (the least recently used go).
const CACHED_FACTS: usize = 128;

fn fact_cache() -> &'static std::sync::Mutex<HashMap<FactKey, CachedFacts>> {
    static CACHE: std::sync::OnceLock<std::sync::Mutex<HashMap<FactKey, CachedFacts>>> =
        std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
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

/// A raw statement built left to right: every value gets the next `$n` placeholder.
struct Sql {
    text: String,
    values: Vec<sea_orm::Value>,
}

impl Sql {
    fn new() -> Self {
        Self {
            text: String::new(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, value: impl Into<sea_orm::Value>) -> &mut Self {
        self.values.push(value.into());
        let placeholder = format!("${}", self.values.len());
        self.text.push_str(&placeholder);
        self
    }

    /// `AND <column> = $n` or `AND <column> IN ($n, …)` for the view's scope.
    fn scope(&mut self, scope: &Scope, team_column: &str, user_column: &str) -> &mut Self {
        match scope {
            Scope::Org => {}
            Scope::User(u) => {
                self.push(&format!(" AND {user_column} = ")).bind(*u);
            }
            Scope::Teams(teams) => {
                self.push(&format!(" AND {team_column} IN ("));
                if teams.is_empty() {
                    self.push("NULL");
                }
                for (i, t) in teams.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind(*t);
                }
                self.push(")");
            }
        }
        self
    }

    fn statement(&self, backend: DatabaseBackend) -> Statement {
        Statement::from_sql_and_values(backend, self.text.clone(), self.values.clone())
    }
}

impl Query {
    fn bounds(&self) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
        let at = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or_else(Utc::now)
        };
        (at(self.from), at(self.to + Duration::days(1)))
    }

    /// `AND <shares> created in the window, in scope`.
    fn shares_in_window(&self, sql: &mut Sql) {
        let (start, end) = self.bounds();
        sql.push(" AND created_at >= ")
            .bind(start)
            .push(" AND created_at < ")
            .bind(end)
            .scope(&self.scope, "team_id", "user_id");
    }
}

/// The rate periods of a window: its first day and every later day on which a rate changes.
struct Periods {
    from: String,
    to: String,
    changes: Vec<String>,
}

impl Periods {
    fn new(q: &Query, rates: &Rates) -> Self {
        let (from, to) = q.days();
        let changes = rates
            .change_days()
            .into_iter()
            .filter(|d| *d > from && *d <= to)
            .collect();
        Self { from, to, changes }
    }

    /// `CASE WHEN <day> >= <change> THEN <change> … ELSE <from> END`: the period of a day.
    fn of(&self, sql: &mut Sql, day: &str) {
        if self.changes.is_empty() {
            sql.push("CAST(").bind(self.from.clone()).push(" AS TEXT)");
            return;
        }
        sql.push("CASE");
        for change in self.changes.iter().rev() {
            sql.push(&format!(" WHEN {day} >= "))
                .bind(change.clone())
                .push(" THEN ")
                .bind(change.clone());
        }
        sql.push(" ELSE ").bind(self.from.clone()).push(" END");
    }

    /// `share_reach` rows whose clicks are not all inside the window and one rate period:
    /// clicked before or after the window, or on both sides of a rate change.
    fn straddles(&self, sql: &mut Sql) {
        sql.push("(first_day < ")
            .bind(self.from.clone())
            .push(" OR last_day > ")
            .bind(self.to.clone());
        for change in &self.changes {
            sql.push(" OR (first_day < ")
                .bind(change.clone())
                .push(" AND last_day >= ")
                .bind(change.clone())
                .push(")");
        }
        sql.push(")");
    }
}

/// Which breakdowns a view shows besides the series and the per-person sums.
#[derive(Clone, Copy, Default)]
struct Wants {
    people: bool,
    weeks: bool,
    campaigns: bool,
    teams: bool,
    posts: bool,
}

/// The clicks inside the window and the shares created in it, one row per share (or per share
/// and day for shares clicked across a window edge or rate change), as the `src` table of a
/// `WITH` clause: dimensions `c` (campaign), `t` (team), `o` (post), `u` (person), `n`
/// (network), `p` (rate period) and sums `h`, `b`, `v` (human, bot, unique), `s`, `a`, `i`,
/// `e` (shares, audience, impressions, engagement).
///
/// A share whose clicks all fall inside the window and one rate period counts as its totals
/// to date, one row however many days it was clicked; the others are read day by day from the
/// rollup, inside the window only.
fn window_source(sql: &mut Sql, q: &Query, periods: &Periods, backend: DatabaseBackend) {
    let cols = "campaign_id AS c, team_id AS t, post_id AS o, user_id AS u, network AS n";
    sql.push(&format!("SELECT {cols}, "));
    periods.of(sql, "first_day");
    sql.push(
        " AS p, human_clicks AS h, bot_hits AS b, unique_visitors AS v, \
         CAST(0 AS BIGINT) AS s, CAST(0 AS BIGINT) AS a, CAST(0 AS BIGINT) AS i, \
         CAST(0 AS BIGINT) AS e FROM share_reach WHERE org_id = ",
    )
    .bind(q.org)
    .push(" AND last_day >= ")
    .bind(periods.from.clone())
    .push(" AND first_day <= ")
    .bind(periods.to.clone())
    .push(" AND NOT ");
    periods.straddles(sql);
    sql.scope(&q.scope, "team_id", "user_id");

    sql.push(&format!(" UNION ALL SELECT {cols}, "));
    periods.of(sql, "day");
    sql.push(
        ", human_clicks, bot_hits, unique_visitors, 0, 0, 0, 0 FROM reach_daily \
         WHERE org_id = ",
    )
    .bind(q.org)
    .push(" AND day >= ")
    .bind(periods.from.clone())
    .push(" AND day <= ")
    .bind(periods.to.clone())
    .push(" AND share_id IN (SELECT share_id FROM share_reach WHERE org_id = ")
    .bind(q.org)
    .push(" AND last_day >= ")
    .bind(periods.from.clone())
    .push(" AND first_day <= ")
    .bind(periods.to.clone())
    .push(" AND ");
    periods.straddles(sql);
    sql.scope(&q.scope, "team_id", "user_id");
    sql.push(")");

    sql.push(&format!(" UNION ALL SELECT {cols}, "));
    periods.of(sql, day_expr(backend));
    sql.push(
        ", 0, 0, 0, CAST(1 AS BIGINT), audience_size, impressions, \
         reactions + comments + reshares \
         FROM shares WHERE org_id = ",
    )
    .bind(q.org);
    q.shares_in_window(sql);
}

/// Per person and per wanted dimension, from one pass over the window's rows.
async fn breakdowns(
    state: &AppState,
    q: &Query,
    periods: &Periods,
    wants: Wants,
) -> AppResult<(Vec<PersonSums>, [Vec<Group>; 3])> {
    if !(wants.people || wants.campaigns || wants.teams || wants.posts) {
        return Ok((Vec::new(), Default::default()));
    }
    let backend = state.db.get_database_backend();
    let mut sql = Sql::new();
    sql.push("SELECT c, t, o, u, n, p, h, b, v, s, a, i, e FROM (");
    window_source(&mut sql, q, periods, backend);
    sql.push(") src");
    let rows = state.db.query_all_raw(sql.statement(backend)).await?;
    let mut people: HashMap<Uuid, (i64, i64)> = HashMap::new();
    /// A group's sums per network and period, and its people.
    type Sums = (HashMap<(String, String), Part>, BTreeSet<Uuid>);
    let mut groups: [HashMap<Option<Uuid>, Sums>; 3] = Default::default();
    let wanted = [wants.campaigns, wants.teams, wants.posts];
    for row in rows {
        let keys: [Option<Uuid>; 3] = [
            row.try_get_by_index(0)?,
            row.try_get_by_index(1)?,
            // Shares without a post count under the nil id, as a removed post.
            Some(row.try_get_by_index::<Option<Uuid>>(2)?.unwrap_or_default()),
        ];
        let user: Option<Uuid> = row.try_get_by_index(3)?;
        let network: String = row.try_get_by_index(4)?;
        let period: String = row.try_get_by_index(5)?;
        let sums: [i64; 7] = [
            row.try_get_by_index(6)?,
            row.try_get_by_index(7)?,
            row.try_get_by_index(8)?,
            row.try_get_by_index(9)?,
            row.try_get_by_index(10)?,
            row.try_get_by_index(11)?,
            row.try_get_by_index(12)?,
        ];
        if wants.people
            && let Some(user) = user
        {
            let entry = people.entry(user).or_default();
            entry.0 += sums[3];
            entry.1 += sums[0];
        }
        for ((map, key), wanted) in groups.iter_mut().zip(keys).zip(wanted) {
            if !wanted {
                continue;
            }
            let (parts, people) = map.entry(key).or_default();
            let part = parts
                .entry((network.clone(), period.clone()))
                .or_insert_with(|| Part {
                    network: network.clone(),
                    period: period.clone(),
                    ..Part::default()
                });
            part.human += sums[0];
            part.bot += sums[1];
            part.unique += sums[2];
            part.shares += sums[3];
            part.audience += sums[4];
            part.impressions += sums[5];
            part.engagement += sums[6];
            people.extend(user);
        }
    }
    let people = people
        .into_iter()
        .map(|(user, (shares, human))| PersonSums {
            user,
            shares,
            human,
        })
        .collect();
    let groups = groups.map(|map| {
        let mut groups: Vec<Group> = map
            .into_iter()
            .map(|(key, (parts, people))| Group {
                key,
                parts: parts.into_values().collect(),
                people: people.len(),
            })
            .collect();
        // Ties in the breakdowns keep the order of the keys.
        groups.sort_by_key(|g| g.key);
        groups
    });
    Ok((people, groups))
}

/// Clicks per day and network: the organisation's daily counters, or the rollup of the teams
/// or person; and the shares created per day and network.
async fn daily(state: &AppState, q: &Query) -> AppResult<Vec<Part>> {
    let db = &state.db;
    let backend = db.get_database_backend();
    let (from, to) = q.days();
    let clicks: Vec<(String, String, i64, i64, i64)> = match &q.scope {
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
        Scope::Teams(teams) => {
            reach_team_daily::Entity::find_in(q.org)
                .select_only()
                .column(reach_team_daily::Column::Day)
                .column(reach_team_daily::Column::Network)
                .column_as(Expr::cust(SUM_HUMAN), "human")
                .column_as(Expr::cust(SUM_BOT), "bot")
                .column_as(Expr::cust(SUM_UNIQUE), "uniq")
                .filter(reach_team_daily::Column::TeamId.is_in(teams.clone()))
                .filter(reach_team_daily::Column::Day.gte(from.clone()))
                .filter(reach_team_daily::Column::Day.lte(to.clone()))
                .group_by(reach_team_daily::Column::Day)
                .group_by(reach_team_daily::Column::Network)
                .into_tuple()
                .all(db)
                .await?
        }
        Scope::User(u) => {
            // A person's series reads their shares' rows by key.
            let mut sql = Sql::new();
            sql.push(&format!(
                "SELECT day, network, {SUM_HUMAN}, {SUM_BOT}, {SUM_UNIQUE} FROM reach_daily \
                 WHERE org_id = "
            ))
            .bind(q.org)
            .push(" AND day >= ")
            .bind(from.clone())
            .push(" AND day <= ")
            .bind(to.clone())
            .push(" AND share_id IN (SELECT share_id FROM share_reach WHERE org_id = ")
            .bind(q.org)
            .push(" AND user_id = ")
            .bind(*u)
            .push(" AND last_day >= ")
            .bind(from.clone())
            .push(" AND first_day <= ")
            .bind(to.clone())
            .push(") GROUP BY day, network");
            tuples(db, sql.statement(backend)).await?
        }
    };
    let day = day_expr(backend);
    let mut sql = Sql::new();
    sql.push(&format!(
        "SELECT {day}, network, CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(audience_size), 0) AS BIGINT), \
         CAST(COALESCE(SUM(impressions), 0) AS BIGINT), \
         CAST(COALESCE(SUM(reactions + comments + reshares), 0) AS BIGINT) \
         FROM shares WHERE org_id = "
    ))
    .bind(q.org);
    q.shares_in_window(&mut sql);
    sql.push(&format!(" GROUP BY {day}, network"));
    let shares: Vec<(String, String, i64, i64, i64, i64)> =
        tuples(db, sql.statement(backend)).await?;
    let mut parts: Vec<Part> = clicks
        .into_iter()
        .map(|(day, network, human, bot, unique)| Part {
            network,
            period: day,
            human,
            bot,
            unique,
            ..Part::default()
        })
        .collect();
    parts.extend(shares.into_iter().map(
        |(day, network, shares, audience, impressions, engagement)| Part {
            network,
            period: day,
            shares,
            audience,
            impressions,
            engagement,
            ..Part::default()
        },
    ));
    Ok(parts)
}

async fn tuples<T: sea_orm::TryGetableMany>(
    db: &sea_orm::DatabaseConnection,
    statement: Statement,
) -> AppResult<Vec<T>> {
    Ok(db
        .query_all_raw(statement)
        .await?
        .into_iter()
        .map(|row| T::try_get_many_by_index(&row).map_err(sea_orm::DbErr::from))
        .collect::<Result<Vec<T>, _>>()?)
}

/// The window's facts. Summing them reads every share clicked or made in the window, so facts
/// are kept and reused while their [`Fingerprint`] is unchanged: the answer is the same as a
/// fresh computation, and any click, share or engagement report since makes the next view
/// recompute.
async fn facts(state: &AppState, q: &Query, wants: Wants) -> AppResult<Facts> {
    let rates = Rates::load(&state.db, q.org).await?;
    let periods = Periods::new(q, &rates);
    let key = FactKey {
        org: q.org,
        scope: match &q.scope {
            Scope::Org => "org".to_owned(),
            Scope::User(u) => format!("user:{u}"),
            Scope::Teams(teams) => {
                let mut teams = teams.clone();
                teams.sort();
                format!("teams:{teams:?}")
            }
        },
        from: q.from,
        to: q.to,
        changes: periods.changes.clone(),
        wants: (
            wants.people,
            wants.campaigns,
            wants.teams,
            wants.posts,
            wants.weeks,
        ),
    };
    // Taken before the facts are read: a write in between makes the next view recompute.
    let fingerprint = fingerprint(state, q).await?;
    let cached = fact_cache().lock().ok().and_then(|mut cache| {
        let entry = cache.get_mut(&key)?;
        if entry.fingerprint != fingerprint {
            return None;
        }
        entry.used = std::time::Instant::now();
        Some(entry.data.clone())
    });
    if let Some(data) = cached {
        return Ok(Facts { data, rates });
    }
    let days = daily(state, q).await?;
    let (people, [campaigns, teams, posts]) = breakdowns(state, q, &periods, wants).await?;
    let weekly_sharers = if wants.weeks {
        weekly_sharers(state, q).await?
    } else {
        Vec::new()
    };
    let data = Arc::new(FactData {
        days,
        people,
        campaigns,
        teams,
        posts,
        weekly_sharers,
    });
    if let Ok(mut cache) = fact_cache().lock() {
        if cache.len() >= CACHED_FACTS && !cache.contains_key(&key) {
            let oldest = cache
                .iter()
                .min_by_key(|(_, entry)| entry.used)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                cache.remove(&oldest);
            }
        }
        cache.insert(
            key,
            CachedFacts {
                fingerprint,
                data: data.clone(),
                used: std::time::Instant::now(),
            },
        );
    }
    Ok(Facts { data, rates })
}

fn round_emv(t: &mut Totals) {
    for value in t.emv.values_mut() {
        *value = (*value * 100.0).round() / 100.0;
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
    for part in &f.days {
        part.add_to(by_day.entry(part.period.clone()).or_default(), &f.rates);
        part.add_to(
            by_network.entry(part.network.clone()).or_default(),
            &f.rates,
        );
        part.add_to(&mut totals, &f.rates);
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

/// A breakdown by campaign, team or post; groups of fewer than `k` distinct sharers fold.
async fn breakdown(
    state: &AppState,
    org: Uuid,
    f: &Facts,
    dim: Dimension,
    k: usize,
) -> AppResult<Vec<Row>> {
    let groups = match dim {
        Dimension::Campaign => &f.campaigns,
        Dimension::Team => &f.teams,
        Dimension::Post => &f.posts,
    };
    let ids: Vec<Uuid> = groups.iter().filter_map(|g| g.key).collect();
    let labels = labels(state, org, dim, &ids).await?;
    let mut rows: Vec<(Row, usize)> = groups
        .iter()
        .map(|g| {
            let mut totals = Totals::default();
            for part in &g.parts {
                part.add_to(&mut totals, &f.rates);
            }
            round_emv(&mut totals);
            let (key, label) = match g.key {
                Some(id) => (
                    id.to_string(),
                    labels
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| "(removed)".into()),
                ),
                None => ("none".into(), "None".into()),
            };
            (Row { key, label, totals }, g.people)
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
    let backend = state.db.get_database_backend();
    let mut sql = Sql::new();
    sql.push("SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE org_id = ")
        .bind(q.org)
        .push(" AND status = ")
        .bind(user::ACTIVE)
        .scope(&q.scope, "team_id", "id");
    let members: i64 = tuples::<(i64,)>(&state.db, sql.statement(backend))
        .await?
        .first()
        .map_or(0, |r| r.0);
    let mut sql = Sql::new();
    sql.push("SELECT id FROM users WHERE org_id = ")
        .bind(q.org)
        .push(" AND status = ")
        .bind(user::ACTIVE)
        .scope(&q.scope, "team_id", "id")
        .push(" AND id IN (SELECT user_id FROM advocates WHERE org_id = ")
        .bind(q.org)
        .push(" AND opted_in = ")
        .bind(true)
        .push(")");
    let opted_in: BTreeSet<Uuid> = tuples::<(Uuid,)>(&state.db, sql.statement(backend))
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    let opted_count = opted_in.len() as i64;
    // Opted-in members with a share in the window.
    let active = f
        .people
        .iter()
        .filter(|p| p.shares > 0 && opted_in.contains(&p.user))
        .count() as i64;
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
    let mut stats: Vec<&PersonSums> = f
        .people
        .iter()
        .filter(|p| p.shares > 0 && ranked.contains(&p.user))
        .collect();
    if stats.len() < k {
        return Ok(Vec::new());
    }
    // Ties keep the order of the people's ids.
    stats.sort_by_key(|p| p.user);
    let mut entries: Vec<LeaderboardEntry> = stats
        .into_iter()
        .map(|p| LeaderboardEntry {
            rank: 0,
            display_name: String::new(),
            user_id: p.user,
            shares: p.shares,
            human_clicks: p.human,
            clicks_per_share: if p.shares == 0 {
                0.0
            } else {
                ((p.human as f64 / p.shares as f64) * 100.0).round() / 100.0
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
    let names =
        crate::people::users::display_names(&state.db, org, entries.iter().map(|e| e.user_id))
            .await?;
    for e in &mut entries {
        e.display_name = names.get(&e.user_id).cloned().unwrap_or_default();
    }
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
    let rates = Rates::load(&state.db, q.org).await?;
    let f = Facts {
        data: Arc::new(FactData {
            days: daily(state, &q).await?,
            ..FactData::default()
        }),
        rates,
    };
    let o = overview(&f, from, to);
    // The caller's rank among colleagues who show theirs (only if the caller does too).
    let everyone = Query {
        org: user.org_id,
        scope: Scope::Org,
        from,
        to,
    };
    let rank = if leaderboard_visible(state, user).await? {
        let org_facts = facts(
            state,
            &everyone,
            Wants {
                people: true,
                ..Wants::default()
            },
        )
        .await?;
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
    let wants = Wants {
        people: true,
        weeks: false,
        campaigns: true,
        teams: true,
        posts: true,
    };
    let f = facts(state, &q, wants).await?;
    let mut participation = participation(state, &q, &f).await?;
    let o = overview(&f, from, to);
    // Everyone whose shares were made or clicked in the window.
    let people = f.people.len();
    let small =
        matches!(q.scope, Scope::Teams(_)) && (people < k || (participation.members as usize) < k);
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
    let (by_campaign, by_team, top_posts, leaderboard) = tokio::try_join!(
        breakdown(state, q.org, &f, Dimension::Campaign, k),
        breakdown(state, q.org, &f, Dimension::Team, k),
        breakdown(state, q.org, &f, Dimension::Post, k),
        leaderboard(state, q.org, &f, per_share, k),
    )?;
    Ok(TeamDashboard {
        from,
        to,
        team_ids: teams,
        k_anonymity: state.config.advocacy.k_anonymity,
        suppressed: false,
        participation,
        by_campaign,
        by_team,
        top_posts: top_posts.into_iter().take(10).collect(),
        leaderboard,
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
        let backend = db.get_database_backend();
        let mut sql = Sql::new();
        sql.push("SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE org_id = ")
            .bind(q.org)
            .push(" AND status = ")
            .bind(user::ACTIVE)
            .scope(&q.scope, "team_id", "id")
            .push("), (SELECT CAST(COUNT(DISTINCT u) AS BIGINT) FROM (SELECT user_id AS u FROM share_reach WHERE org_id = ")
            .bind(q.org)
            .push(" AND last_day >= ")
            .bind(first.clone())
            .push(" AND first_day <= ")
            .bind(last.clone())
            .scope(&q.scope, "team_id", "user_id")
            .push(" UNION ALL SELECT user_id FROM shares WHERE org_id = ")
            .bind(q.org);
        q.shares_in_window(&mut sql);
        sql.push(") people)");
        let (members, people): (i64, i64) = tuples(db, sql.statement(backend))
            .await?
            .into_iter()
            .next()
            .unwrap_or_default();
        if members < i64::from(k) || people < i64::from(k) {
            series.suppressed = true;
            return Ok(series);
        }
        reach_team_daily::Entity::find_in(q.org)
            .select_only()
            .column(reach_team_daily::Column::Day)
            .column_as(Expr::cust(SUM_HUMAN), "human")
            .column_as(Expr::cust(SUM_BOT), "bot")
            .column_as(Expr::cust(SUM_UNIQUE), "uniq")
            .filter(reach_team_daily::Column::TeamId.is_in(teams.clone()))
            .filter(reach_team_daily::Column::Day.gte(first.clone()))
            .filter(reach_team_daily::Column::Day.lte(last.clone()))
            .group_by(reach_team_daily::Column::Day)
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
    let wants = Wants {
        people: true,
        weeks: true,
        campaigns: true,
        ..Wants::default()
    };
    let f = facts(state, &q, wants).await?;
    let opted: BTreeSet<Uuid> = advocate::Entity::find_in(q.org)
        .select_only()
        .column(advocate::Column::UserId)
        .filter(advocate::Column::OptedIn.eq(true))
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let participation = participation(state, &q, &f).await?;
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
    let mut weeks: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for part in &f.days {
        let entry = weeks.entry(week_of(&part.period)).or_default();
        entry.1 += part.shares;
        entry.2 += part.human;
    }
    for (week, person) in &f.weekly_sharers {
        if opted.contains(person) {
            weeks.entry(week.clone()).or_default().0 += 1;
        }
    }
    let trend = weeks
        .into_iter()
        .map(|(week, (people, shares, clicks))| TrendPoint {
            week,
            active_advocates: people,
            shares,
            human_clicks: clicks,
        })
        .collect();
    Ok(Programme {
        from,
        to,
        participation,
        by_campaign: breakdown(state, q.org, &f, Dimension::Campaign, k).await?,
        totals: o.totals,
        trend,
        by_network: o.by_network,
        definitions: definitions(),
    })
}

/// The people with a share in each week of the window, keyed by the week's Monday.
async fn weekly_sharers(state: &AppState, q: &Query) -> AppResult<Vec<(String, Uuid)>> {
    let backend = state.db.get_database_backend();
    let week = match backend {
        DatabaseBackend::Postgres => {
            "to_char(date_trunc('week', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
        }
        _ => "date(substr(created_at, 1, 10), 'weekday 0', '-6 days')",
    };
    let mut sql = Sql::new();
    sql.push(&format!(
        "SELECT DISTINCT {week}, user_id FROM shares WHERE user_id IS NOT NULL AND org_id = "
    ))
    .bind(q.org);
    q.shares_in_window(&mut sql);
    tuples(&state.db, sql.statement(backend)).await
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
