//! Bulk import of people and teams from CSV, with a per-row error report.
//!
//! Columns (header row required, order free): `email`, `display_name`, `roles` (separated by
//! `;` or `|`, `employee` implied), `team`, `parent_team`, `manages` (`yes`/`true`/`1` makes the
//! person a manager of their team). Teams are matched by name and created when missing. People
//! already in the organisation are updated (name, team, added roles). Rows with errors are
//! skipped and reported; the rest are applied in one transaction. `dry_run=true` validates and
//! reports without writing anything. New people get an email with a link to choose a password.

use std::collections::{BTreeMap, BTreeSet};

use axum::{
    Json,
    extract::{Request, State},
};
use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    audit,
    auth::{
        Role, normalise_email,
        routes::frontend_link,
        tokens::{hash_token, random_token},
    },
    entities::{one_time_token, organisation, team, team_manager, user},
    error::{AppError, AppResult, Problem},
    http::extract::{Admin, AppQuery, body_bytes},
    mail::{outbox, templates},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_people))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Validate and report without writing.
    #[serde(default)]
    pub dry_run: bool,
    /// Email new people a link to choose their password (default true).
    pub send_invitations: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub row: u64,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows read (header excluded).
    pub rows: u64,
    pub created_users: u64,
    pub updated_users: u64,
    pub created_teams: u64,
    /// Rows listed here were not applied.
    pub errors: Vec<RowError>,
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    email: Option<String>,
    display_name: Option<String>,
    roles: Option<String>,
    team: Option<String>,
    parent_team: Option<String>,
    manages: Option<String>,
}

#[derive(Debug)]
struct ValidRow {
    line: u64,
    email: String,
    display_name: String,
    roles: Vec<Role>,
    team: Option<String>,
    manages: bool,
}

struct Plan {
    rows: Vec<ValidRow>,
    /// Team name → parent team name, for every team named in valid rows.
    teams: BTreeMap<String, Option<String>>,
    errors: Vec<RowError>,
    total: u64,
}

fn err(row: u64, field: &str, message: impl Into<String>) -> RowError {
    RowError {
        row,
        field: field.to_owned(),
        message: message.into(),
    }
}

fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Parses and validates the file without touching the database.
fn plan(
    bytes: &[u8],
    existing_parents: &BTreeMap<String, Option<String>>,
) -> Result<Plan, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|_| AppError::field("body", "the first line must be a CSV header"))?
        .clone();
    if !headers.iter().any(|h| h.eq_ignore_ascii_case("email")) {
        return Err(AppError::field(
            "body",
            "the header must include an `email` column",
        ));
    }
    let lowered =
        csv::StringRecord::from(headers.iter().map(str::to_lowercase).collect::<Vec<_>>());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen_emails = BTreeSet::new();
    let mut teams: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut total = 0;
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        total += 1;
        if total > 10_000 {
            return Err(AppError::field("body", "at most 10000 rows per import"));
        }
        let record = match record {
            Ok(record) => record,
            Err(_) => {
                errors.push(err(line, "row", "could not be read as CSV"));
                continue;
            }
        };
        let raw: CsvRow = match record.deserialize(Some(&lowered)) {
            Ok(raw) => raw,
            Err(_) => {
                errors.push(err(line, "row", "does not match the header"));
                continue;
            }
        };
        let before = errors.len();
        let email = clean(raw.email).and_then(|e| normalise_email(&e));
        match &email {
            None => errors.push(err(line, "email", "must be an email address")),
            Some(email) if !seen_emails.insert(email.clone()) => {
                errors.push(err(line, "email", "appears more than once in the file"))
            }
            _ => {}
        }
        let display_name = clean(raw.display_name)
            .or_else(|| {
                email
                    .as_ref()
                    .and_then(|e| e.split('@').next())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        if super::users::display_name_field(&display_name).is_err() {
            errors.push(err(
                line,
                "display_name",
                "must be 1 to 120 printable characters",
            ));
        }
        let mut roles = vec![Role::Employee];
        for name in clean(raw.roles)
            .unwrap_or_default()
            .split([';', '|'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            match Role::parse(name) {
                Some(role) => roles.push(role),
                None => errors.push(err(
                    line,
                    "roles",
                    format!("unknown role `{name}`; use employee, manager, editor or admin"),
                )),
            }
        }
        let team = clean(raw.team);
        let parent = clean(raw.parent_team);
        for (field, name) in [("team", &team), ("parent_team", &parent)] {
            if let Some(name) = name
                && super::teams::name_field(name).is_err()
            {
                errors.push(err(line, field, "must be 1 to 120 printable characters"));
            }
        }
        if parent.is_some() && team.is_none() {
            errors.push(err(line, "parent_team", "needs a team"));
        }
        if let (Some(team), Some(parent)) = (&team, &parent) {
            if team == parent {
                errors.push(err(line, "parent_team", "a team cannot be its own parent"));
            }
            let known = teams
                .get(team)
                .cloned()
                .flatten()
                .or_else(|| existing_parents.get(team).cloned().flatten());
            if let Some(known) = known
                && &known != parent
            {
                errors.push(err(
                    line,
                    "parent_team",
                    format!("team `{team}` already has parent `{known}`"),
                ));
            }
        }
        let manages = matches!(
            clean(raw.manages)
                .unwrap_or_default()
                .to_lowercase()
                .as_str(),
            "yes" | "true" | "1" | "y"
        );
        if manages && team.is_none() {
            errors.push(err(line, "manages", "needs a team to manage"));
        }
        if errors.len() > before {
            continue;
        }
        if let Some(team) = &team {
            let entry = teams.entry(team.clone()).or_insert(None);
            if parent.is_some() {
                *entry = parent.clone();
            }
            if let Some(parent) = &parent {
                teams.entry(parent.clone()).or_insert(None);
            }
        }
        roles.sort();
        roles.dedup();
        rows.push(ValidRow {
            line,
            email: email.unwrap_or_default(),
            display_name,
            roles,
            team,
            manages,
        });
    }
    // Reject parent chains that loop (A under B under A).
    let mut looping = BTreeSet::new();
    for start in teams.keys() {
        let mut seen = BTreeSet::from([start.clone()]);
        let mut current = teams
            .get(start)
            .cloned()
            .flatten()
            .or_else(|| existing_parents.get(start).cloned().flatten());
        while let Some(parent) = current {
            if !seen.insert(parent.clone()) {
                looping.insert(start.clone());
                break;
            }
            current = teams
                .get(&parent)
                .cloned()
                .flatten()
                .or_else(|| existing_parents.get(&parent).cloned().flatten());
        }
    }
    if !looping.is_empty() {
        return Err(AppError::field(
            "body",
            format!(
                "team parents form a loop: {}",
                looping.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(Plan {
        rows,
        teams,
        errors,
        total,
    })
}

/// Import people and teams from CSV (administrators); see the module notes for the columns.
#[utoipa::path(post, path = "/api/v1/imports/people", tag = "people", security(("bearer" = [])), params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row"),
    responses(
        (status = 200, body = ImportReport), (status = 403, body = Problem),
        (status = 413, body = Problem),
        (status = 415, body = Problem),
        (status = 422, body = Problem),
    ))]
async fn import_people(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(query): AppQuery<ImportQuery>,
    request: Request,
) -> AppResult<Json<ImportReport>> {
    let is_csv = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv") || v.starts_with("text/plain"));
    if !is_csv {
        return Err(AppError::UnsupportedMediaType("text/csv"));
    }
    let bytes = body_bytes(request, &state).await?;
    let org = admin.org_id;
    let existing: Vec<team::Model> = team::Entity::find_in(org).all(&state.db).await?;
    let by_id: BTreeMap<Uuid, String> = existing.iter().map(|t| (t.id, t.name.clone())).collect();
    let existing_parents: BTreeMap<String, Option<String>> = existing
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.parent_id.and_then(|p| by_id.get(&p).cloned()),
            )
        })
        .collect();
    let mut plan = plan(&bytes, &existing_parents)?;

    let txn = crate::db::begin_write(&state.db).await?;
    // People with these addresses in another organisation cannot be imported here.
    let emails: Vec<String> = plan.rows.iter().map(|r| r.email.clone()).collect();
    let found: Vec<user::Model> = user::Entity::find()
        .filter(user::Column::Email.is_in(emails))
        .all(&txn)
        .await?;
    let members: BTreeMap<String, user::Model> = found
        .iter()
        .filter(|u| u.org_id == org)
        .map(|u| (u.email.clone(), u.clone()))
        .collect();
    let elsewhere: BTreeSet<String> = found
        .iter()
        .filter(|u| u.org_id != org)
        .map(|u| u.email.clone())
        .collect();
    let (kept, refused): (Vec<ValidRow>, Vec<ValidRow>) = std::mem::take(&mut plan.rows)
        .into_iter()
        .partition(|row| !elsewhere.contains(&row.email));
    for row in refused {
        plan.errors.push(err(
            row.line,
            "email",
            "this address cannot be imported into this organisation",
        ));
    }
    plan.errors.sort_by_key(|e| e.row);

    let mut team_ids: BTreeMap<String, Uuid> =
        existing.iter().map(|t| (t.name.clone(), t.id)).collect();
    let new_teams: Vec<String> = plan
        .teams
        .keys()
        .filter(|name| !team_ids.contains_key(*name))
        .cloned()
        .collect();
    let mut report = ImportReport {
        dry_run: query.dry_run,
        rows: plan.total,
        created_users: kept
            .iter()
            .filter(|r| !members.contains_key(&r.email))
            .count() as u64,
        updated_users: kept
            .iter()
            .filter(|r| members.contains_key(&r.email))
            .count() as u64,
        created_teams: new_teams.len() as u64,
        errors: plan.errors,
    };
    if query.dry_run {
        return Ok(Json(report));
    }

    // Create teams parents-first, then set parents named in the file.
    for name in &new_teams {
        let id = super::teams::insert(&txn, org, name, None).await?;
        team_ids.insert(name.clone(), id);
    }
    for (name, parent) in &plan.teams {
        if let (Some(id), Some(parent_id)) = (
            team_ids.get(name),
            parent.as_ref().and_then(|p| team_ids.get(p)),
        ) {
            team::Entity::update_many()
                .col_expr(team::Column::ParentId, Expr::value(*parent_id))
                .filter(team::Column::OrgId.eq(org))
                .filter(team::Column::Id.eq(*id))
                .exec(&txn)
                .await?;
        }
    }
    let organisation = organisation::Entity::find_by_id(org)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let send = query.send_invitations.unwrap_or(true);
    let mut queued = false;
    for row in &kept {
        let team_id = row.team.as_ref().and_then(|t| team_ids.get(t)).copied();
        let user_id = match members.get(&row.email) {
            Some(existing) => {
                user::Entity::update_many()
                    .col_expr(
                        user::Column::DisplayName,
                        Expr::value(row.display_name.clone()),
                    )
                    .col_expr(
                        user::Column::TeamId,
                        Expr::value(team_id.or(existing.team_id)),
                    )
                    .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(user::Column::OrgId.eq(org))
                    .filter(user::Column::Id.eq(existing.id))
                    .exec(&txn)
                    .await?;
                existing.id
            }
            None => {
                let id =
                    super::users::insert(&txn, org, &row.email, &row.display_name, None, team_id)
                        .await?;
                if send {
                    let token = random_token();
                    let now = Utc::now();
                    let ttl = Duration::seconds(state.config.auth.invitation_ttl_secs);
                    one_time_token::Entity::insert(one_time_token::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        org_id: Set(org),
                        user_id: Set(id),
                        purpose: Set("password_reset".into()),
                        token_hash: Set(hash_token(&token)),
                        expires_at: Set(now + ttl),
                        used_at: Set(None),
                        created_at: Set(now),
                    })
                    .exec_without_returning(&txn)
                    .await?;
                    let link = frontend_link(&state, "/reset-password", &token);
                    let expires = (now + ttl).format("%-d %B %Y").to_string();
                    let mail = templates::invitation(
                        &row.email,
                        &organisation.name,
                        &admin.display_name,
                        &link,
                        &expires,
                    )?;
                    outbox::enqueue(&txn, org, mail).await?;
                    queued = true;
                }
                id
            }
        };
        super::users::grant(&txn, org, user_id, &row.roles).await?;
        if let (true, Some(team_id)) = (row.manages, team_id) {
            let already = team_manager::Entity::find_in(org)
                .filter(team_manager::Column::TeamId.eq(team_id))
                .filter(team_manager::Column::UserId.eq(user_id))
                .one(&txn)
                .await?
                .is_some();
            if !already {
                team_manager::Entity::insert(team_manager::ActiveModel {
                    org_id: Set(org),
                    team_id: Set(team_id),
                    user_id: Set(user_id),
                })
                .exec_without_returning(&txn)
                .await?;
            }
            super::users::grant(&txn, org, user_id, &[Role::Manager]).await?;
        }
    }
    report.dry_run = false;
    audit::record(
        &txn,
        audit::Entry {
            org_id: org,
            actor_id: Some(admin.user_id),
            action: "people.import",
            target_type: "organisation",
            target_id: Some(org.to_string()),
            before: None,
            after: serde_json::to_value(&report).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    if queued {
        state.outbox_kick.notify_one();
    }
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_each_bad_row_and_keeps_good_ones() {
        let csv = "email,display_name,roles,team,parent_team,manages\n\
                   ada@example.com,Ada,manager,Engineering,,yes\n\
                   not-an-email,Bob,,Engineering,,\n\
                   cy@example.com,Cy,wizard,Platform,Engineering,\n\
                   ada@example.com,Ada Again,,,,\n\
                   di@example.com,Di,,Platform,Engineering,\n";
        let plan = plan(csv.as_bytes(), &BTreeMap::new()).expect("plan");
        assert_eq!(plan.total, 5);
        assert_eq!(plan.rows.len(), 2);
        let fields: Vec<(u64, &str)> = plan
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_str()))
            .collect();
        assert_eq!(fields, vec![(3, "email"), (4, "roles"), (5, "email")]);
        assert_eq!(
            plan.teams.get("Platform"),
            Some(&Some("Engineering".to_owned()))
        );
    }

    #[test]
    fn rejects_parent_loops_and_missing_header() {
        let looped = "email,team,parent_team\na@x.io,A,B\nb@x.io,B,A\n";
        assert!(plan(looped.as_bytes(), &BTreeMap::new()).is_err());
        assert!(plan(b"name\nx\n", &BTreeMap::new()).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

        /// Any bytes: a plan or a problem, never a panic; every data row is either planned or
        /// reported.
        #[test]
        fn any_file_is_planned_or_refused(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = plan(&bytes, &BTreeMap::new());
        }

        #[test]
        fn csv_shaped_files_account_for_every_row(
            rows in proptest::collection::vec(
                ("[a-z@.]{0,12}", "[ -~]{0,10}", "(employee|manager|editor|admin|x)?(;admin)?", "[A-C]{0,1}", "[A-C]{0,1}", "(yes|no|)"),
                0..30,
            ),
        ) {
            let mut csv = String::from("email,display_name,roles,team,parent_team,manages\n");
            for (email, name, roles, team, parent, manages) in &rows {
                let name = name.replace(['"', ',', '\n', '\r'], " ");
                csv.push_str(&format!("{email},{name},{roles},{team},{parent},{manages}\n"));
            }
            if let Ok(plan) = plan(csv.as_bytes(), &BTreeMap::new()) {
                proptest::prop_assert_eq!(plan.total as usize, rows.len());
                proptest::prop_assert!(plan.rows.len() <= rows.len());
                proptest::prop_assert!(plan.rows.len() + plan.errors.len() >= rows.len());
            }
        }
    }
}
