//! Tracked links: `GET /r/{code}` answers a 302 to the post's destination with UTM parameters,
//! after the click is durably stored. Unknown or archived codes get a 404 page; the destination
//! only ever comes from the database, so the endpoint cannot be used as an open redirect.
//!
//! No IP address is stored: a visitor is a keyed hash (HMAC-SHA256) of address and User-Agent
//! under a salt that changes every day; old salts are deleted, so yesterday's hashes cannot be
//! linked to anyone.

use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use chrono::Utc;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait as _, OnConflict, Query},
};
use sha2::Sha256;
use uuid::Uuid;

use super::{
    classify::{ClickClass, is_bot},
    recorder::NewClick,
};
use crate::{
    entities::{campaign, post, share, visitor_salt},
    http::extract::ClientIp,
    state::AppState,
};

/// What a code resolves to, cached briefly so the hot path rarely reads the database.
#[derive(Debug, Clone)]
pub struct Target {
    pub share_id: Uuid,
    pub org_id: Uuid,
    pub post_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub network: String,
    pub destination: String,
    /// `destination` as a `Location` header, made once per lookup rather than per redirect;
    /// `None` if it is not a valid header value (answered as not found).
    pub location: Option<HeaderValue>,
    pub sharer_hash: Option<String>,
}

type CacheEntry = (Instant, Option<Arc<Target>>);

/// A cached answer for a code.
enum Cached {
    /// Looked up less than half the time-to-live ago.
    Fresh(Option<Arc<Target>>),
    /// Older: still answered, and due to be looked up again.
    Ageing(Option<Arc<Target>>),
}

/// Code → target (or known-unknown), kept for `ttl` so archiving takes effect within it.
///
/// A code followed again in the second half of its time-to-live is looked up again in the
/// background while the cached answer is used, so a link in steady use never makes a redirect
/// wait for the database; only a code not followed for half the time-to-live is looked up
/// while its redirect waits. No answer older than `ttl` is ever used.
pub struct LinkCache {
    entries: RwLock<HashMap<String, CacheEntry>>,
    /// Codes being looked up again in the background (one lookup per code at a time).
    refreshing: Mutex<HashSet<String>>,
    ttl: Duration,
    capacity: usize,
}

impl LinkCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            refreshing: Mutex::new(HashSet::new()),
            ttl,
            capacity,
        }
    }

    fn get(&self, code: &str) -> Option<Cached> {
        let entries = self.entries.read().ok()?;
        let (at, target) = entries.get(code)?;
        let age = at.elapsed();
        if age >= self.ttl {
            None
        } else if age >= self.ttl / 2 {
            Some(Cached::Ageing(target.clone()))
        } else {
            Some(Cached::Fresh(target.clone()))
        }
    }

    fn put(&self, code: &str, target: Option<Arc<Target>>, at: Instant) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= self.capacity {
                let ttl = self.ttl;
                entries.retain(|_, (at, _)| at.elapsed() < ttl);
                if entries.len() >= self.capacity {
                    entries.clear();
                }
            }
            entries.insert(code.to_owned(), (at, target));
        }
    }

    /// True if the caller should look `code` up again (nobody else is).
    fn start_refresh(&self, code: &str) -> bool {
        self.refreshing
            .lock()
            .map(|mut codes| codes.insert(code.to_owned()))
            .unwrap_or(false)
    }

    fn end_refresh(&self, code: &str) {
        if let Ok(mut codes) = self.refreshing.lock() {
            codes.remove(code);
        }
    }

    /// Forgets everything (after a post is archived, say, on this server).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

/// Today's visitor-hash salt, shared by every server through the `visitor_salts` table, kept as
/// the keyed hasher it makes.
#[derive(Default)]
pub struct Salts {
    current: RwLock<Option<(String, Arc<VisitorKey>)>>,
}

impl Salts {
    pub async fn for_day(
        &self,
        db: &impl ConnectionTrait,
        day: &str,
    ) -> Result<Arc<VisitorKey>, sea_orm::DbErr> {
        if let Ok(current) = self.current.read()
            && let Some((cached_day, key)) = current.as_ref()
            && cached_day == day
        {
            return Ok(key.clone());
        }
        let key = Arc::new(VisitorKey::new(&ensure_salt(db, day).await?));
        if let Ok(mut current) = self.current.write() {
            *current = Some((day.to_owned(), key.clone()));
        }
        Ok(key)
    }
}

/// The keyed hash of visitors under one day's salt: the HMAC key is set up once per day, not
/// once per redirect.
pub struct VisitorKey {
    mac: Hmac<Sha256>,
}

impl VisitorKey {
    pub fn new(salt: &[u8]) -> Self {
        #[allow(clippy::expect_used)]
        let mac =
            <Hmac<Sha256> as Mac>::new_from_slice(salt).expect("HMAC accepts keys of any length");
        Self { mac }
    }

    /// The visitor hash of `ip` with `user_agent` (128 bits, hex).
    pub fn hash(&self, ip: IpAddr, user_agent: &str) -> String {
        use std::io::Write as _;
        let mut mac = self.mac.clone();
        // The address as text, written on the stack (no address is longer than 45 bytes).
        let mut text = [0u8; 64];
        let mut cursor = std::io::Cursor::new(&mut text[..]);
        let _ = write!(cursor, "{ip}");
        let len = usize::try_from(cursor.position()).unwrap_or(0);
        mac.update(&text[..len]);
        mac.update(&[0]);
        mac.update(user_agent.as_bytes());
        encode_hex(&mac.finalize().into_bytes()[..16])
    }
}

/// Creates the salt for a day if no server has yet, and answers it.
pub async fn ensure_salt(db: &impl ConnectionTrait, day: &str) -> Result<Vec<u8>, sea_orm::DbErr> {
    if let Some(found) = visitor_salt::Entity::find_by_id(day.to_owned())
        .one(db)
        .await?
    {
        return Ok(decode_hex(&found.salt));
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new("visitor_salts"))
        .columns([
            Alias::new("day"),
            Alias::new("salt"),
            Alias::new("created_at"),
        ])
        .values_panic([day.into(), encode_hex(&bytes).into(), Utc::now().into()])
        .on_conflict(
            OnConflict::column(Alias::new("day"))
                .do_nothing()
                .to_owned(),
        );
    db.execute(&insert).await?;
    let found = visitor_salt::Entity::find_by_id(day.to_owned())
        .one(db)
        .await?;
    Ok(found
        .map(|s| decode_hex(&s.salt))
        .unwrap_or_else(|| bytes.to_vec()))
}

fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    text
}

fn decode_hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Keyed hash of a visitor under a day's salt (128 bits, hex).
pub fn visitor_hash(salt: &[u8], ip: IpAddr, user_agent: &str) -> String {
    VisitorKey::new(salt).hash(ip, user_agent)
}

/// Resolves a code to its target, or `None` for unknown codes and archived or unpublished posts.
pub async fn resolve(state: &AppState, code: &str) -> Result<Option<Arc<Target>>, sea_orm::DbErr> {
    match state.links.get(code) {
        Some(Cached::Fresh(target)) => return Ok(target),
        Some(Cached::Ageing(target)) => {
            if state.links.start_refresh(code) {
                let (state, code) = (state.clone(), code.to_owned());
                tokio::spawn(async move {
                    if let Err(err) = look_up(&state, &code).await {
                        // The cached answer stays until its time-to-live runs out.
                        tracing::warn!(error = %err, "link lookup failed");
                    }
                    state.links.end_refresh(&code);
                });
            }
            return Ok(target);
        }
        None => {}
    }
    look_up(state, code).await
}

/// Reads what `code` resolves to (one query, two when the post has a campaign) and caches it.
async fn look_up(state: &AppState, code: &str) -> Result<Option<Arc<Target>>, sea_orm::DbErr> {
    let at = Instant::now();
    // The main connection: on SQLite a second connection reading continuously would keep the
    // WAL's truncating checkpoint, and with it every writer, waiting.
    let db = &state.db;
    let found = share::Entity::find()
        .select_only()
        .columns([
            share::Column::Id,
            share::Column::OrgId,
            share::Column::PostId,
            share::Column::CampaignId,
            share::Column::TeamId,
            share::Column::UserId,
            share::Column::Network,
            share::Column::SharerVisitorHash,
        ])
        .column_as(post::Column::Url, "post_url")
        .column_as(post::Column::CampaignId, "post_campaign_id")
        .join(
            JoinType::InnerJoin,
            share::Entity::belongs_to(post::Entity)
                .from(share::Column::PostId)
                .to(post::Column::Id)
                .into(),
        )
        .filter(share::Column::Code.eq(code))
        .filter(post::Column::Status.eq(super::posts::PUBLISHED))
        .filter(
            Expr::col((post::Entity, post::Column::OrgId))
                .equals((share::Entity, share::Column::OrgId)),
        )
        .into_model::<Found>()
        .one(db)
        .await?;
    let Some(found) = found else {
        state.links.put(code, None, at);
        return Ok(None);
    };
    let campaign_slug = match found.post_campaign_id {
        Some(id) => campaign::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|c| c.slug),
        None => None,
    };
    let Ok(mut destination) = url::Url::parse(&found.post_url) else {
        state.links.put(code, None, at);
        return Ok(None);
    };
    {
        let existing: Vec<(String, String)> = destination
            .query_pairs()
            .filter(|(k, _)| !k.starts_with("utm_"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut pairs = destination.query_pairs_mut();
        pairs.clear();
        for (k, v) in &existing {
            pairs.append_pair(k, v);
        }
        pairs.append_pair("utm_source", &found.network);
        pairs.append_pair("utm_medium", "employee_advocacy");
        if let Some(slug) = &campaign_slug {
            pairs.append_pair("utm_campaign", slug);
        }
    }
    let destination = destination.to_string();
    let target = Arc::new(Target {
        share_id: found.id,
        org_id: found.org_id,
        post_id: found.post_id,
        campaign_id: found.campaign_id,
        team_id: found.team_id,
        user_id: found.user_id,
        network: found.network,
        location: HeaderValue::from_str(&destination).ok(),
        destination,
        sharer_hash: found.sharer_visitor_hash,
    });
    state.links.put(code, Some(target.clone()), at);
    Ok(Some(target))
}

/// A share with its published post, as [`look_up`] reads it.
#[derive(Debug, FromQueryResult)]
struct Found {
    id: Uuid,
    org_id: Uuid,
    post_id: Uuid,
    campaign_id: Option<Uuid>,
    team_id: Option<Uuid>,
    user_id: Option<Uuid>,
    network: String,
    sharer_visitor_hash: Option<String>,
    post_url: String,
    post_campaign_id: Option<Uuid>,
}

fn not_found_page() -> Response {
    let mut response = (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>Link not available</title></head><body><main><h1>This link is not available</h1>\
             <p>The link may be mistyped, or the post it pointed to was withdrawn.</p></main></body></html>",
        ),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn unavailable_page() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        Html("<!doctype html><title>Try again</title><p>Please try again in a moment.</p>"),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

fn referrer_host(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = url::Url::parse(referer)
        .ok()?
        .host_str()?
        .to_ascii_lowercase();
    Some(host.chars().take(255).collect())
}

/// Follow a tracked link.
///
/// Answers `302 Found` to the post's destination with `utm_source`, `utm_medium` and
/// `utm_campaign`, after recording the click; `404` (an HTML page) for unknown or withdrawn
/// links; `503` if the click cannot be stored, so that no redirect is ever answered unrecorded.
#[utoipa::path(get, path = "/r/{code}", tag = "links", params(("code" = String, Path, description = "Share tracking code")),
    responses(
        (status = 302, description = "Redirect to the destination", headers(("Location" = String))),
        (status = 404, description = "Unknown or withdrawn link (HTML page)"),
        (status = 429, description = "Too many redirects for this client address (`limits.redirects_per_client_per_minute`); see `Retry-After`"),
        (status = 503, description = "The click could not be stored; retry"),
    ))]
pub async fn follow(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    // The request itself rather than a copy of its headers: only two of them are read.
    request: axum::extract::Request,
) -> Response {
    answer(&state, ip, &code, request.headers()).await
}

/// The answer to a tracked link `code` followed by client `ip` with request `headers`: the
/// router's handler ([`follow`]) and the redirect fast path (`http::redirect`) both answer
/// through here, so they cannot disagree.
pub async fn answer(state: &AppState, ip: IpAddr, code: &str, headers: &HeaderMap) -> Response {
    if code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return not_found_page();
    }
    let target = match resolve(state, code).await {
        Ok(Some(target)) => target,
        Ok(None) => return not_found_page(),
        Err(err) => {
            tracing::warn!(error = %err, "link lookup failed");
            return unavailable_page();
        }
    };
    let now = Utc::now();
    let day = super::day_of(now);
    let key = match state.salts.for_day(&state.db, &day).await {
        Ok(key) => key,
        Err(err) => {
            tracing::warn!(error = %err, "visitor salt unavailable");
            return unavailable_page();
        }
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let hash = key.hash(ip, user_agent.unwrap_or(""));
    let class = if is_bot(user_agent) {
        ClickClass::Bot
    } else if target.sharer_hash.as_deref() == Some(hash.as_str()) {
        ClickClass::SelfClick
    } else {
        ClickClass::Human
    };
    let click = NewClick {
        org_id: target.org_id,
        share_id: target.share_id,
        post_id: target.post_id,
        campaign_id: target.campaign_id,
        team_id: target.team_id,
        user_id: target.user_id,
        network: target.network.clone(),
        clicked_at: now,
        visitor_hash: hash,
        referrer_host: referrer_host(headers),
        class,
    };
    if !state.clicks.record(click).await {
        return unavailable_page();
    }
    let Some(location) = target.location.clone() else {
        return not_found_page();
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_hashes_depend_on_salt_address_and_agent() {
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        let a = visitor_hash(b"salt-one", ip, "Firefox");
        assert_eq!(a.len(), 32);
        assert_eq!(a, visitor_hash(b"salt-one", ip, "Firefox"));
        assert_ne!(
            a,
            visitor_hash(b"salt-two", ip, "Firefox"),
            "a new day's salt unlinks visitors"
        );
        assert_ne!(a, visitor_hash(b"salt-one", ip, "Chrome"));
        assert!(!a.contains("203"), "no address in the hash");
        let v6: IpAddr = "2001:db8::ffff:192.0.2.128".parse().expect("ip");
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(b"salt-one").expect("HMAC accepts any key");
        mac.update(v6.to_string().as_bytes());
        mac.update(&[0]);
        mac.update(b"Firefox");
        assert_eq!(
            visitor_hash(b"salt-one", v6, "Firefox"),
            encode_hex(&mac.finalize().into_bytes()[..16]),
            "the address is hashed as its text, as before"
        );
        assert_eq!(decode_hex(&encode_hex(&[0, 255, 16])), vec![0, 255, 16]);
    }
}
