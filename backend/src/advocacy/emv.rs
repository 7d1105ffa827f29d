//! Earned media value settings: CPC and CPM per network, versioned by effective date, with a
//! currency. EMV is computed from measured numbers only (human clicks, reported impressions),
//! never from potential reach.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::Network;
use crate::{
    audit,
    entities::emv_setting,
    error::{AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AuthUser},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_settings, add_setting))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EmvSetting {
    pub id: Uuid,
    pub network: Network,
    /// Value of one human click.
    pub cpc: f64,
    /// Value of a thousand measured impressions.
    pub cpm: f64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    pub effective_from: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EmvSettingList {
    pub items: Vec<EmvSetting>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmvInput {
    pub network: Network,
    pub cpc: f64,
    pub cpm: f64,
    pub currency: String,
    /// Default: now. Earlier days keep the rates that applied then.
    pub effective_from: Option<DateTime<Utc>>,
}

fn view(s: emv_setting::Model) -> EmvSetting {
    EmvSetting {
        id: s.id,
        network: Network::parse(&s.network).unwrap_or(Network::Other),
        cpc: s.cpc,
        cpm: s.cpm,
        currency: s.currency,
        effective_from: s.effective_from,
    }
}

/// All rate versions of an organisation, oldest first.
pub struct Rates(Vec<emv_setting::Model>);

impl Rates {
    pub async fn load(db: &impl ConnectionTrait, org: Uuid) -> AppResult<Rates> {
        Ok(Rates(
            emv_setting::Entity::find_in(org)
                .order_by_asc(emv_setting::Column::EffectiveFrom)
                .all(db)
                .await?,
        ))
    }

    /// Days (`YYYY-MM-DD`) on which some rate takes effect.
    pub fn change_days(&self) -> Vec<String> {
        let mut days: Vec<String> = self
            .0
            .iter()
            .map(|s| super::day_of(s.effective_from))
            .collect();
        days.sort();
        days.dedup();
        days
    }

    /// The rate for a network in force at the end of `day` (`YYYY-MM-DD`).
    pub fn at(&self, network: &str, day: &str) -> Option<&emv_setting::Model> {
        self.0
            .iter()
            .rev()
            .find(|s| s.network == network && super::day_of(s.effective_from).as_str() <= day)
    }
}

/// EMV rate versions (any signed-in person may read them; they explain the numbers).
#[utoipa::path(get, path = "/api/v1/emv-settings", tag = "reach", security(("bearer" = [])),
    responses((status = 200, body = EmvSettingList), (status = 401, body = Problem)))]
async fn list_settings(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<EmvSettingList>> {
    let rows = emv_setting::Entity::find_in(user.org_id)
        .order_by_desc(emv_setting::Column::EffectiveFrom)
        .all(&state.db)
        .await?;
    Ok(Json(EmvSettingList {
        items: rows.into_iter().map(view).collect(),
    }))
}

/// Add a rate version for a network (administrators).
#[utoipa::path(post, path = "/api/v1/emv-settings", tag = "reach", security(("bearer" = [])), request_body = EmvInput,
    responses((status = 201, body = EmvSetting), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn add_setting(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<EmvInput>,
) -> AppResult<(StatusCode, Json<EmvSetting>)> {
    let mut v = Validator::new();
    v.check(
        input.cpc.is_finite() && (0.0..=10_000.0).contains(&input.cpc),
        "cpc",
        "must be between 0 and 10000",
    );
    v.check(
        input.cpm.is_finite() && (0.0..=100_000.0).contains(&input.cpm),
        "cpm",
        "must be between 0 and 100000",
    );
    let currency = input.currency.trim().to_uppercase();
    v.check(
        currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase()),
        "currency",
        "must be a three-letter ISO 4217 code",
    );
    v.finish()?;
    let model = emv_setting::Model {
        id: Uuid::now_v7(),
        org_id: admin.org_id,
        network: input.network.as_str().to_owned(),
        cpc: input.cpc,
        cpm: input.cpm,
        currency,
        effective_from: input.effective_from.unwrap_or_else(Utc::now),
        created_by: Some(admin.user_id),
        created_at: Utc::now(),
    };
    emv_setting::Entity::insert(emv_setting::ActiveModel::from(model.clone()))
        .exec_without_returning(&state.db)
        .await?;
    audit::record(
        &state.db,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "emv.add",
            target_type: "emv_setting",
            target_id: Some(model.id.to_string()),
            before: None,
            after: serde_json::to_value(view(model.clone())).ok(),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(model))))
}
