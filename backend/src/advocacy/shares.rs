//! Shares: an opted-in employee shares a post to a network through a tracked link. The share
//! records an audience snapshot (potential reach) and answers the network's share-intent URL;
//! "I posted it" attaches the public post; engagement can be reported later.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{Network, consent::Advocate, http_url, similarity};
use crate::{
    entities::{engagement_report, post, share},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{AppJson, AppPath, AuthUser, ClientIp},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_share))
        .routes(routes!(my_shares))
        .routes(routes!(mark_published))
        .routes(routes!(report_engagement))
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A short, unguessable tracking code (12 characters from 57 symbols, ≈ 70 bits).
pub fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..12)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShareView {
    pub id: Uuid,
    pub post_id: Uuid,
    pub network: Network,
    pub code: String,
    /// The link to post: counts clicks, then redirects to the post's destination.
    pub tracked_url: String,
    /// Audience size on the network when shared (potential reach).
    pub audience_size: i64,
    pub text: String,
    /// The text differs from the suggested text (the sharer added their own words).
    pub personalised: bool,
    /// `intended` until "I posted it", then `published`.
    pub status: String,
    pub public_url: Option<String>,
    pub impressions: i64,
    pub reactions: i64,
    pub comments: i64,
    pub reshares: i64,
    /// Who reported the engagement numbers (`employee` or `integration:<name>`).
    pub engagement_source: Option<String>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Warning {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShareCreated {
    pub share: ShareView,
    /// Opens the network's composer with the tracked link (and the text where the network
    /// allows pre-filled text); `null` for networks without one (copy the text instead).
    pub intent_url: Option<String>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShareList {
    pub items: Vec<ShareView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShareInput {
    pub post_id: Uuid,
    pub network: Network,
    /// The text the employee will post; defaults to the post's suggested text for the network.
    pub text: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PublishedInput {
    /// The public URL of the resulting post on the network, if the employee has it.
    #[serde(default)]
    pub public_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EngagementInput {
    #[serde(default)]
    pub impressions: i64,
    #[serde(default)]
    pub reactions: i64,
    #[serde(default)]
    pub comments: i64,
    #[serde(default)]
    pub reshares: i64,
}

pub fn tracked_url(state: &AppState, code: &str) -> String {
    let base = state
        .config
        .advocacy
        .link_base_url
        .clone()
        .unwrap_or_else(|| state.config.public_url());
    format!("{}/r/{code}", base.as_str().trim_end_matches('/'))
}

pub fn view(state: &AppState, s: share::Model) -> ShareView {
    ShareView {
        tracked_url: tracked_url(state, &s.code),
        network: Network::parse(&s.network).unwrap_or(Network::Other),
        id: s.id,
        post_id: s.post_id,
        code: s.code,
        audience_size: s.audience_size,
        text: s.text,
        personalised: s.personalised,
        status: s.status,
        public_url: s.public_url,
        impressions: s.impressions,
        reactions: s.reactions,
        comments: s.comments,
        reshares: s.reshares,
        engagement_source: s.engagement_source,
        created_at: s.created_at,
        published_at: s.published_at,
    }
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The network's share-intent URL for a tracked link, or `None` where there is none.
pub fn intent_url(
    network: Network,
    link: &str,
    text: &str,
    title: &str,
    mastodon_instance: Option<&str>,
) -> Option<String> {
    let with_link = if text.is_empty() {
        link.to_owned()
    } else {
        format!("{text} {link}")
    };
    match network {
        Network::Linkedin => Some(format!(
            "https://www.linkedin.com/sharing/share-offsite/?url={}",
            encode(link)
        )),
        Network::X => Some(format!(
            "https://x.com/intent/post?text={}&url={}",
            encode(text),
            encode(link)
        )),
        Network::Facebook => Some(format!(
            "https://www.facebook.com/sharer/sharer.php?u={}",
            encode(link)
        )),
        Network::Bluesky => Some(format!(
            "https://bsky.app/intent/compose?text={}",
            encode(&with_link)
        )),
        Network::Mastodon => {
            let instance = mastodon_instance.unwrap_or("mastodon.social");
            Some(format!(
                "https://{instance}/share?text={}",
                encode(&with_link)
            ))
        }
        Network::Xing => Some(format!(
            "https://www.xing.com/spi/shares/new?url={}",
            encode(link)
        )),
        Network::Threads => Some(format!(
            "https://www.threads.net/intent/post?text={}",
            encode(&with_link)
        )),
        Network::Email => Some(format!(
            "mailto:?subject={}&body={}",
            encode(title).replace('+', "%20"),
            encode(&with_link).replace('+', "%20")
        )),
        Network::Instagram | Network::Other => None,
    }
}

/// The Mastodon server of a profile, from its URL (`https://host/@name`) or handle (`@name@host`).
fn mastodon_instance(profile_url: Option<&str>, handle: &str) -> Option<String> {
    let from_url = profile_url
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned));
    let from_handle = handle
        .trim_start_matches('@')
        .split_once('@')
        .map(|(_, host)| host.to_owned());
    from_url.or(from_handle).filter(|h| {
        h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    })
}

/// Create a share of a post on a network (opted-in employees).
///
/// Answers the tracked link, the network's share-intent URL and warnings — notably when the text
/// is near-identical to what several colleagues recently posted (a personal comment reads better
/// and reward rules may value it).
#[utoipa::path(post, path = "/api/v1/shares", tag = "advocacy", security(("bearer" = [])), request_body = ShareInput,
    responses(
        (status = 201, body = ShareCreated),
        (status = 404, description = "No such post for you", body = Problem),
        (status = 409, description = "Not opted in", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn create_share(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Advocate(user): Advocate,
    AppJson(input): AppJson<ShareInput>,
) -> AppResult<(StatusCode, Json<ShareCreated>)> {
    let post = super::posts::visible_to(&state.db, &user, input.post_id).await?;
    let suggested = post
        .suggested_texts
        .get(input.network.as_str())
        .or_else(|| post.suggested_texts.get("linkedin"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_owned();
    let text = input
        .text
        .clone()
        .unwrap_or_else(|| suggested.clone())
        .trim()
        .to_owned();
    if text.chars().count() > 3000
        || text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::field(
            "text",
            "must be at most 3000 characters of text",
        ));
    }
    let (audience, profile) =
        super::networks::audience(&state.db, user.org_id, user.user_id, input.network).await?;
    let personalised = !suggested.is_empty()
        && similarity::similarity(&text, &suggested) < similarity::NEAR_IDENTICAL;

    // Authenticity guard: compare with colleagues' recent shares of any post.
    let since = Utc::now() - Duration::days(14);
    let recent: Vec<String> = share::Entity::find_in(user.org_id)
        .select_only()
        .column(share::Column::Text)
        .filter(share::Column::CreatedAt.gte(since))
        .filter(share::Column::UserId.ne(user.user_id))
        .filter(share::Column::PostId.eq(post.id))
        .order_by_desc(share::Column::CreatedAt)
        .limit(300)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mine = similarity::shingles(&text);
    let alike = recent
        .iter()
        .filter(|t| {
            similarity::jaccard(&mine, &similarity::shingles(t)) >= similarity::NEAR_IDENTICAL
        })
        .count();
    let mut warnings = Vec::new();
    if !text.is_empty() && alike >= state.config.advocacy.similar_share_warning {
        warnings.push(Warning {
            code: "text_matches_colleagues".into(),
            message: format!("{alike} colleagues recently posted nearly the same text. Adding a sentence of your own makes the post more credible."),
        });
    }
    if audience == 0 {
        warnings.push(Warning {
            code: "network_not_linked".into(),
            message: "Link this network with your audience size to count potential reach.".into(),
        });
    }

    let now = Utc::now();
    let visitors = state.salts.for_day(&state.db, &super::day_of(now)).await?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let sharer_hash = visitors.hash(ip, user_agent);
    let id = Uuid::now_v7();
    let mut code = new_code();
    let txn = crate::db::begin_write(&state.db).await?;
    for _ in 0..5 {
        if share::Entity::find()
            .filter(share::Column::Code.eq(&code))
            .one(&txn)
            .await?
            .is_none()
        {
            break;
        }
        code = new_code();
    }
    share::Entity::insert(share::ActiveModel {
        id: Set(id),
        org_id: Set(user.org_id),
        user_id: Set(Some(user.user_id)),
        post_id: Set(post.id),
        campaign_id: Set(post.campaign_id),
        team_id: Set(user.team_id),
        network: Set(input.network.as_str().to_owned()),
        code: Set(code.clone()),
        audience_size: Set(audience),
        text: Set(text.clone()),
        personalised: Set(personalised),
        status: Set("intended".into()),
        public_url: Set(None),
        sharer_visitor_hash: Set(Some(sharer_hash)),
        impressions: Set(0),
        reactions: Set(0),
        comments: Set(0),
        reshares: Set(0),
        engagement_source: Set(None),
        created_at: Set(now),
        published_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    let saved = share::Entity::find_one_in(user.org_id, id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::recognition::events::share_created(&txn, &saved, &post.tags).await?;
    txn.commit().await?;
    let link = tracked_url(&state, &code);
    let instance = profile
        .as_ref()
        .and_then(|p| mastodon_instance(p.profile_url.as_deref(), &p.handle));
    let intent = intent_url(
        input.network,
        &link,
        &text,
        &post.title,
        instance.as_deref(),
    );
    Ok((
        StatusCode::CREATED,
        Json(ShareCreated {
            share: view(&state, saved),
            intent_url: intent,
            warnings,
        }),
    ))
}

/// The caller's shares, newest first.
#[utoipa::path(get, path = "/api/v1/me/shares", tag = "advocacy", security(("bearer" = [])),
    responses((status = 200, body = ShareList), (status = 401, body = Problem)))]
async fn my_shares(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<ShareList>> {
    let rows = share::Entity::find_in(user.org_id)
        .filter(share::Column::UserId.eq(user.user_id))
        .order_by_desc(share::Column::CreatedAt)
        .limit(500)
        .all(&state.db)
        .await?;
    Ok(Json(ShareList {
        items: rows.into_iter().map(|s| view(&state, s)).collect(),
    }))
}

async fn own_share(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    id: Uuid,
) -> AppResult<share::Model> {
    share::Entity::find_one_in(user.org_id, id)
        .filter(share::Column::UserId.eq(user.user_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// "I posted it", optionally with the public URL of the post; the share becomes `published`.
#[utoipa::path(post, path = "/api/v1/shares/{id}/published", tag = "advocacy", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = PublishedInput,
    responses((status = 200, body = ShareView), (status = 409, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn mark_published(
    State(state): State<AppState>,
    Advocate(user): Advocate,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<PublishedInput>,
) -> AppResult<Json<ShareView>> {
    let url = match input
        .public_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(raw) => Some(http_url("public_url", raw)?.to_string()),
        None => None,
    };
    let found = own_share(&state.db, &user, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    share::Entity::update_many()
        .col_expr(share::Column::Status, Expr::value("published"))
        .col_expr(
            share::Column::PublicUrl,
            Expr::value(url.or(found.public_url.clone())),
        )
        .col_expr(
            share::Column::PublishedAt,
            Expr::value(found.published_at.unwrap_or_else(Utc::now)),
        )
        .filter(share::Column::OrgId.eq(user.org_id))
        .filter(share::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    crate::recognition::events::share_published(&txn, &found).await?;
    txn.commit().await?;
    Ok(Json(view(&state, own_share(&state.db, &user, id).await?)))
}

pub fn validate_engagement(input: &EngagementInput) -> AppResult<()> {
    let mut v = Validator::new();
    for (field, value) in [
        ("impressions", input.impressions),
        ("reactions", input.reactions),
        ("comments", input.comments),
        ("reshares", input.reshares),
    ] {
        v.check(
            (0..=10_000_000_000).contains(&value),
            field,
            "must be between 0 and 10000000000",
        );
    }
    v.finish()
}

/// Stores an engagement report and makes it the share's current numbers. Reports from an
/// integration outrank the employee's own; among equals the latest wins.
pub async fn record_engagement(
    db: &sea_orm::DatabaseConnection,
    share: &share::Model,
    source: &str,
    input: &EngagementInput,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let report_id = Uuid::now_v7();
    engagement_report::Entity::insert(engagement_report::ActiveModel {
        id: Set(report_id),
        org_id: Set(share.org_id),
        share_id: Set(share.id),
        source: Set(source.to_owned()),
        impressions: Set(input.impressions),
        reactions: Set(input.reactions),
        comments: Set(input.comments),
        reshares: Set(input.reshares),
        reported_at: Set(at),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let current_is_integration = share
        .engagement_source
        .as_deref()
        .is_some_and(|s| s.starts_with("integration"));
    if !(current_is_integration && source == "employee") {
        share::Entity::update_many()
            .col_expr(share::Column::Impressions, Expr::value(input.impressions))
            .col_expr(share::Column::Reactions, Expr::value(input.reactions))
            .col_expr(share::Column::Comments, Expr::value(input.comments))
            .col_expr(share::Column::Reshares, Expr::value(input.reshares))
            .col_expr(share::Column::EngagementSource, Expr::value(source))
            .filter(share::Column::OrgId.eq(share.org_id))
            .filter(share::Column::Id.eq(share.id))
            .exec(&txn)
            .await?;
    }
    crate::recognition::events::engagement_reported(&txn, share, report_id, input_total(input))
        .await?;
    txn.commit().await?;
    Ok(())
}

fn input_total(input: &EngagementInput) -> i64 {
    input.reactions + input.comments + input.reshares
}

/// Report engagement for one of the caller's shares (labelled as employee-reported).
#[utoipa::path(post, path = "/api/v1/shares/{id}/engagement", tag = "advocacy", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = EngagementInput,
    responses((status = 200, body = ShareView), (status = 409, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn report_engagement(
    State(state): State<AppState>,
    Advocate(user): Advocate,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<EngagementInput>,
) -> AppResult<Json<ShareView>> {
    validate_engagement(&input)?;
    let found = own_share(&state.db, &user, id).await?;
    record_engagement(&state.db, &found, "employee", &input, Utc::now()).await?;
    Ok(Json(view(&state, own_share(&state.db, &user, id).await?)))
}

/// Checks a share belongs to a published post of the organisation (used by integrations).
pub async fn find_by_code(
    db: &impl ConnectionTrait,
    org: Uuid,
    code: &str,
) -> AppResult<share::Model> {
    let found = share::Entity::find_in(org)
        .filter(share::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    post::Entity::find_one_in(org, found.post_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_carry_the_tracked_link() {
        let link = "https://chorus.example/r/ABCdef234567";
        for network in Network::ALL {
            match intent_url(network, link, "Great news", "Title", Some("fosstodon.org")) {
                Some(url) => assert!(url.contains("ABCdef234567"), "{network:?}: {url}"),
                None => assert!(matches!(network, Network::Instagram | Network::Other)),
            }
        }
        assert!(
            intent_url(Network::Mastodon, link, "x", "t", Some("fosstodon.org"))
                .is_some_and(|u| u.starts_with("https://fosstodon.org/share"))
        );
        assert_eq!(
            mastodon_instance(None, "@ada@hachyderm.io").as_deref(),
            Some("hachyderm.io")
        );
        assert_eq!(
            mastodon_instance(Some("https://mastodon.social/@ada"), "ada").as_deref(),
            Some("mastodon.social")
        );
        assert_eq!(mastodon_instance(None, "@ada@evil.host/x?y"), None);
    }

    #[test]
    fn codes_are_long_and_from_the_alphabet() {
        let a = new_code();
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(a, new_code());
    }
}
