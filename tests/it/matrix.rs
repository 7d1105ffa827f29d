//! The access matrix: every operation of the OpenAPI document, called by every kind of caller —
//! anonymous, each role, a manager of another team, and each role of another organisation
//! (which must not find the first organisation's ids). The table must list exactly the
//! documented operations, and every status seen must be documented for its operation.

use std::collections::{BTreeMap, BTreeSet};

use chorus::{
    auth::Role,
    entities::{
        allowance_policy, badge, campaign, company_value, invitation, points_transaction, post,
        post_suggestion, redemption, reward, reward_rule, share, team, team_manager, thanks, user,
    },
    seed::DEMO_PASSWORD,
};
use chorus_tests::{TestApp, both};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

both! { every_operation_for_every_caller }

/// Who may use an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No session needed; everyone gets the same answer.
    Public,
    /// Any signed-in person.
    Signed,
    Admin,
    /// Editors and administrators.
    Editor,
    Manager,
    /// Administrators, and managers whose subtree holds the team in the path.
    Team,
    /// Integration tokens only; sessions are not accepted.
    Integration,
    /// Signed-in people who opted in to advocacy (others get 409 `not_opted_in`).
    Advocate,
}

/// The callers, in the order they call each operation.
const CALLERS: [&str; 10] = [
    "anonymous",
    "employee",
    "manager",
    "other-team manager",
    "editor",
    "admin",
    "foreign employee",
    "foreign manager",
    "foreign editor",
    "foreign admin",
];

struct Row {
    method: Method,
    /// Template as documented, e.g. `/api/v1/users/{id}`.
    template: &'static str,
    access: Access,
    /// Status for callers who may use the operation (requests with a body send an invalid one,
    /// so that nothing changes and every such caller gets the same answer).
    ok: u16,
    /// Cells whose answer differs from the derived one: (caller index, status).
    except: &'static [(usize, u16)],
}

const fn row(
    method: Method,
    template: &'static str,
    access: Access,
    ok: u16,
    except: &'static [(usize, u16)],
) -> Row {
    Row {
        method,
        template,
        access,
        ok,
        except,
    }
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;
use Access::{Admin, Advocate, Editor, Integration, Manager, Public, Signed, Team};

/// Caller indices, for exceptions.
const EMPLOYEE: usize = 1;
const MANAGER: usize = 2;
const OTHER_MANAGER: usize = 3;
const EDITOR: usize = 4;
const ADMIN: usize = 5;

fn table() -> Vec<Row> {
    vec![
        // Service
        row(GET, "/healthz", Public, 200, &[]),
        row(GET, "/readyz", Public, 200, &[]),
        row(GET, "/metrics", Public, 200, &[]),
        row(GET, "/r/{code}", Public, 302, &[]),
        // Sign-in (bodies are invalid: 422 for everyone, and no session is touched)
        row(POST, "/api/v1/auth/login", Public, 422, &[]),
        row(POST, "/api/v1/auth/logout", Public, 422, &[]),
        row(POST, "/api/v1/auth/refresh", Public, 422, &[]),
        row(POST, "/api/v1/auth/magic-link", Public, 422, &[]),
        row(POST, "/api/v1/auth/magic-link/verify", Public, 422, &[]),
        row(POST, "/api/v1/auth/password-reset", Public, 422, &[]),
        row(
            POST,
            "/api/v1/auth/password-reset/confirm",
            Public,
            422,
            &[],
        ),
        row(POST, "/api/v1/invitations/accept", Public, 422, &[]),
        row(GET, "/api/v1/invitations/lookup", Public, 422, &[]),
        row(
            POST,
            "/api/v1/webhooks/engagement/{integration}",
            Public,
            401,
            &[],
        ),
        row(
            POST,
            "/api/v1/integrations/engagement",
            Integration,
            401,
            &[],
        ),
        // The signed-in person
        row(GET, "/api/v1/me", Signed, 200, &[]),
        row(PATCH, "/api/v1/me", Signed, 422, &[]),
        row(POST, "/api/v1/me/password", Signed, 422, &[]),
        row(DELETE, "/api/v1/me", Signed, 422, &[]),
        row(GET, "/api/v1/me/data", Signed, 200, &[]),
        row(GET, "/api/v1/people", Signed, 200, &[]),
        row(GET, "/api/v1/me/advocacy", Signed, 200, &[]),
        row(PATCH, "/api/v1/me/advocacy", Advocate, 422, &[]),
        row(POST, "/api/v1/me/advocacy/opt-in", Signed, 422, &[]),
        row(GET, "/api/v1/me/networks", Signed, 200, &[]),
        row(PUT, "/api/v1/me/networks/{network}", Signed, 422, &[]),
        row(GET, "/api/v1/me/shares", Signed, 200, &[]),
        row(GET, "/api/v1/me/ledger", Signed, 200, &[]),
        row(GET, "/api/v1/me/wallet", Signed, 200, &[]),
        row(GET, "/api/v1/me/thanks", Signed, 200, &[]),
        row(GET, "/api/v1/me/redemptions", Signed, 200, &[]),
        row(
            POST,
            "/api/v1/me/redemptions/{redemption}/cancel",
            Signed,
            404,
            &[],
        ),
        row(GET, "/api/v1/me/recognition/preferences", Signed, 200, &[]),
        row(PUT, "/api/v1/me/recognition/preferences", Signed, 422, &[]),
        row(GET, "/api/v1/me/spot-budget", Manager, 200, &[]),
        // People and teams
        row(GET, "/api/v1/users", Admin, 200, &[]),
        row(GET, "/api/v1/users/{user}", Admin, 200, &[]),
        row(PATCH, "/api/v1/users/{user}", Admin, 422, &[]),
        row(GET, "/api/v1/teams", Signed, 200, &[]),
        row(POST, "/api/v1/teams", Admin, 422, &[]),
        row(GET, "/api/v1/teams/managed", Manager, 200, &[]),
        row(GET, "/api/v1/teams/{team}", Team, 200, &[]),
        row(PATCH, "/api/v1/teams/{team}", Admin, 422, &[]),
        row(DELETE, "/api/v1/teams/{team}", Admin, 409, &[]),
        row(GET, "/api/v1/teams/{team}/recognition", Team, 200, &[]),
        row(GET, "/api/v1/invitations", Admin, 200, &[]),
        row(POST, "/api/v1/invitations", Admin, 422, &[]),
        row(DELETE, "/api/v1/invitations/{invitation}", Admin, 204, &[]),
        row(POST, "/api/v1/imports/people", Admin, 415, &[]),
        row(GET, "/api/v1/audit-log", Admin, 200, &[]),
        row(GET, "/api/v1/admin/outbox", Admin, 200, &[]),
        // Content
        row(GET, "/api/v1/feed", Signed, 200, &[]),
        row(GET, "/api/v1/posts", Editor, 200, &[]),
        row(POST, "/api/v1/posts", Editor, 422, &[]),
        row(GET, "/api/v1/posts/{post}", Signed, 200, &[]),
        row(PATCH, "/api/v1/posts/{post}", Editor, 422, &[]),
        row(POST, "/api/v1/posts/{post}/publish", Editor, 409, &[]),
        row(GET, "/api/v1/campaigns", Signed, 200, &[]),
        row(POST, "/api/v1/campaigns", Editor, 422, &[]),
        row(GET, "/api/v1/campaigns/{campaign}", Signed, 200, &[]),
        row(PUT, "/api/v1/campaigns/{campaign}", Editor, 422, &[]),
        row(GET, "/api/v1/suggestions", Signed, 200, &[]),
        row(POST, "/api/v1/suggestions", Signed, 422, &[]),
        row(
            POST,
            "/api/v1/suggestions/{suggestion}/approve",
            Editor,
            200,
            &[(ADMIN, 409)],
        ),
        row(
            POST,
            "/api/v1/suggestions/{suggestion}/reject",
            Editor,
            409,
            &[],
        ),
        // Advocacy
        row(POST, "/api/v1/shares", Advocate, 422, &[]),
        // Only the sharer may report on a share.
        row(POST, "/api/v1/shares/{share}/published", Advocate, 404, &[]),
        row(
            POST,
            "/api/v1/shares/{share}/engagement",
            Advocate,
            404,
            &[],
        ),
        row(GET, "/api/v1/integrations", Admin, 200, &[]),
        row(POST, "/api/v1/integrations", Admin, 422, &[]),
        row(
            DELETE,
            "/api/v1/integrations/{integration}",
            Admin,
            204,
            &[],
        ),
        row(GET, "/api/v1/emv-settings", Signed, 200, &[]),
        row(POST, "/api/v1/emv-settings", Admin, 422, &[]),
        row(GET, "/api/v1/reach/me", Signed, 200, &[]),
        // The team is named in the query: roles are checked before it is looked up.
        row(
            GET,
            "/api/v1/reach/teams?team_id={team}",
            Team,
            200,
            &[(6, 403), (7, 404), (8, 403), (9, 404)],
        ),
        row(
            GET,
            "/api/v1/reach/series?team_id={team}",
            Team,
            200,
            &[(6, 403), (7, 404), (8, 403), (9, 404)],
        ),
        row(GET, "/api/v1/reach/programme", Admin, 200, &[]),
        row(
            GET,
            "/api/v1/reach/export?view=me&table=by_day",
            Signed,
            200,
            &[],
        ),
        // Recognition
        row(GET, "/api/v1/recognition/values", Signed, 200, &[]),
        row(GET, "/api/v1/recognition/leaderboard", Signed, 200, &[]),
        row(GET, "/api/v1/me/badges", Signed, 200, &[]),
        row(GET, "/api/v1/admin/badges", Admin, 200, &[]),
        row(POST, "/api/v1/admin/badges", Admin, 422, &[]),
        row(GET, "/api/v1/admin/badges/{badge}", Admin, 200, &[]),
        row(PUT, "/api/v1/admin/badges/{badge}", Admin, 422, &[]),
        row(
            POST,
            "/api/v1/admin/badges/{badge}/archive",
            Admin,
            200,
            &[],
        ),
        row(GET, "/api/v1/rewards", Signed, 200, &[]),
        row(
            POST,
            "/api/v1/rewards/{reward}/redeem",
            Signed,
            201,
            &[(ADMIN, 409)],
        ),
        row(POST, "/api/v1/thanks", Signed, 422, &[]),
        row(GET, "/api/v1/thanks/wall", Signed, 200, &[]),
        row(GET, "/api/v1/thanks/{thanks}", Signed, 200, &[]),
        row(PATCH, "/api/v1/thanks/{thanks}", Signed, 422, &[]),
        row(POST, "/api/v1/thanks/{thanks}/reactions", Signed, 422, &[]),
        // Taking back a reaction one never gave answers the thanks unchanged.
        row(
            DELETE,
            "/api/v1/thanks/{thanks}/reactions/{emoji}",
            Signed,
            200,
            &[],
        ),
        row(GET, "/api/v1/spot-awards", Manager, 200, &[]),
        row(POST, "/api/v1/spot-awards", Manager, 422, &[]),
        row(GET, "/api/v1/admin/spot-awards", Admin, 200, &[]),
        // Below the approval threshold the award was granted at once: nothing left to decide.
        row(
            POST,
            "/api/v1/admin/spot-awards/{spot_award}/approve",
            Admin,
            409,
            &[],
        ),
        row(
            POST,
            "/api/v1/admin/spot-awards/{spot_award}/reject",
            Admin,
            409,
            &[],
        ),
        row(GET, "/api/v1/admin/recognition/settings", Admin, 200, &[]),
        row(PUT, "/api/v1/admin/recognition/settings", Admin, 422, &[]),
        row(GET, "/api/v1/admin/recognition/allowances", Admin, 200, &[]),
        row(
            POST,
            "/api/v1/admin/recognition/allowances",
            Admin,
            422,
            &[],
        ),
        row(
            DELETE,
            "/api/v1/admin/recognition/allowances/{allowance}",
            Admin,
            204,
            &[],
        ),
        row(POST, "/api/v1/admin/recognition/values", Admin, 422, &[]),
        row(
            PATCH,
            "/api/v1/admin/recognition/values/{value}",
            Admin,
            422,
            &[],
        ),
        row(GET, "/api/v1/admin/recognition/economy", Admin, 200, &[]),
        row(
            GET,
            "/api/v1/admin/recognition/consistency",
            Admin,
            200,
            &[],
        ),
        row(
            POST,
            "/api/v1/admin/recognition/transactions/{transaction}/reverse",
            Admin,
            422,
            &[],
        ),
        row(POST, "/api/v1/admin/rewards", Admin, 422, &[]),
        row(PATCH, "/api/v1/admin/rewards/{reward}", Admin, 422, &[]),
        row(GET, "/api/v1/admin/redemptions", Admin, 200, &[]),
        row(
            POST,
            "/api/v1/admin/redemptions/{redemption}/approve",
            Admin,
            422,
            &[],
        ),
        row(
            POST,
            "/api/v1/admin/redemptions/{redemption}/fulfil",
            Admin,
            422,
            &[],
        ),
        row(
            POST,
            "/api/v1/admin/redemptions/{redemption}/reject",
            Admin,
            422,
            &[],
        ),
        row(GET, "/api/v1/admin/rules", Admin, 200, &[]),
        row(POST, "/api/v1/admin/rules", Admin, 422, &[]),
        row(POST, "/api/v1/admin/rules/preview", Admin, 422, &[]),
        row(GET, "/api/v1/admin/rules/{rule}", Admin, 200, &[]),
        row(PUT, "/api/v1/admin/rules/{rule}", Admin, 422, &[]),
        row(POST, "/api/v1/admin/rules/{rule}/activate", Admin, 422, &[]),
        row(POST, "/api/v1/admin/rules/{rule}/pause", Admin, 200, &[]),
        // Last: these change the callers themselves or content the rows above read.
        row(
            POST,
            "/api/v1/posts/{post}/archive",
            Editor,
            200,
            &[(ADMIN, 409)],
        ),
        // The demo callers linked LinkedIn; the other organisation's did not.
        row(
            DELETE,
            "/api/v1/me/networks/{network}",
            Signed,
            204,
            &[(6, 404), (7, 404), (8, 404), (9, 404)],
        ),
        row(POST, "/api/v1/me/advocacy/opt-out", Signed, 200, &[]),
        row(POST, "/api/v1/users/{user}/deactivate", Admin, 200, &[]),
        row(POST, "/api/v1/users/{user}/reactivate", Admin, 200, &[]),
    ]
}

/// A well-formed body for the other organisation's callers, so that they get past validation
/// and ask for the id (which must not be found).
fn foreign_body(template: &str) -> Value {
    match template {
        t if t.ends_with("/reverse") => json!({ "reason": "taking it back" }),
        t if t.contains("/redemptions/") => json!({ "note": "ok" }),
        t if t.ends_with("/activate") => json!({}),
        "/api/v1/admin/rules/{rule}" => json!({
            "name": "Rule",
            "document": { "trigger": "share_created", "award": { "mode": "fixed", "points": 1 } },
        }),
        "/api/v1/campaigns/{campaign}" => {
            json!({ "name": "Campaign", "starts_at": "2026-01-01T00:00:00Z" })
        }
        t if t.contains("/suggestions/") => json!({ "note": "fine" }),
        t if t.ends_with("/published") => json!({ "public_url": "https://example.com/p/1" }),
        t if t.ends_with("/engagement") => {
            json!({ "impressions": 1, "reactions": 0, "comments": 0, "reshares": 0 })
        }
        t if t.ends_with("/reactions") => json!({ "emoji": "tada" }),
        "/api/v1/thanks/{thanks}" => json!({ "private": false }),
        "/api/v1/me/networks/{network}" => json!({ "audience_size": 10 }),
        _ => json!({}),
    }
}

/// Ids of the demo organisation, by path parameter name.
async fn demo_ids(app: &TestApp, org: Uuid) -> BTreeMap<&'static str, String> {
    let db = app.db();
    let mut ids = BTreeMap::new();
    let pick = |name: &'static str, id: Option<String>| {
        (name, id.unwrap_or_else(|| panic!("demo data has a {name}")))
    };
    let platform = team::Entity::find()
        .filter(team::Column::OrgId.eq(org))
        .filter(team::Column::Name.eq("Platform"))
        .one(db)
        .await
        .expect("query");
    ids.extend([pick("team", platform.map(|t| t.id.to_string()))]);
    // A person who is none of the callers, so deactivating them changes no caller.
    let bystander = user::Entity::find()
        .filter(user::Column::OrgId.eq(org))
        .filter(user::Column::Email.starts_with("a"))
        .order_by_asc(user::Column::Email)
        .one(db)
        .await
        .expect("query");
    ids.extend([pick("user", bystander.map(|u| u.id.to_string()))]);
    let published = post::Entity::find()
        .filter(post::Column::OrgId.eq(org))
        .filter(post::Column::Status.eq("published"))
        .order_by_asc(post::Column::CreatedAt)
        .one(db)
        .await
        .expect("query");
    ids.extend([pick("post", published.map(|p| p.id.to_string()))]);
    let share = share::Entity::find()
        .filter(share::Column::OrgId.eq(org))
        .order_by_asc(share::Column::CreatedAt)
        .one(db)
        .await
        .expect("query");
    ids.extend([
        pick("share", share.as_ref().map(|s| s.id.to_string())),
        pick("code", share.map(|s| s.code)),
    ]);
    macro_rules! first {
        ($name:literal, $entity:ident $(, $col:ident = $value:expr)?) => {{
            let found = $entity::Entity::find()
                .filter($entity::Column::OrgId.eq(org))
                $(.filter($entity::Column::$col.eq($value)))?
                .order_by_asc($entity::Column::CreatedAt)
                .one(db)
                .await
                .expect("query");
            ids.extend([pick($name, found.map(|m| m.id.to_string()))]);
        }};
    }
    first!("campaign", campaign);
    first!("suggestion", post_suggestion);
    first!("thanks", thanks, Private = false);
    first!("reward", reward, Active = true);
    first!("redemption", redemption, Status = "requested");
    first!("rule", reward_rule);
    first!("badge", badge);
    first!("allowance", allowance_policy);
    first!("value", company_value);
    first!("transaction", points_transaction);
    first!("invitation", invitation);
    ids.insert("network", "linkedin".into());
    ids.insert("emoji", "tada".into());
    ids
}

async fn every_operation_for_every_caller(app: TestApp) {
    let db = app.db().clone();
    chorus::seed::seed_demo(&db, false)
        .await
        .expect("demo data");
    let org = user::Entity::find()
        .filter(user::Column::Email.eq("admin@demo.chorus.test"))
        .one(&db)
        .await
        .expect("query")
        .expect("demo admin")
        .org_id;
    let demo = |local: &str| format!("{local}@demo.chorus.test");
    let sign_in = |email: String| {
        let app = app.clone();
        async move {
            let (status, body) = app.login(&email, DEMO_PASSWORD).await;
            assert_eq!(status, StatusCode::OK, "{email}: {body}");
            body["access_token"].as_str().expect("token").to_owned()
        }
    };
    // Something to revoke: an invitation and an integration of the demo organisation.
    let admin = sign_in(demo("admin")).await;
    let (status, created) = app
        .post(
            "/api/v1/invitations",
            Some(&admin),
            json!({ "email": "invited@demo.chorus.test" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, integration) = app
        .post(
            "/api/v1/integrations",
            Some(&admin),
            json!({ "name": "Matrix" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    let mut ids = demo_ids(&app, org).await;
    ids.insert(
        "integration",
        integration["integration"]["id"]
            .as_str()
            .expect("integration id")
            .to_owned(),
    );

    // A manager of a team outside the demo manager's subtree.
    let demo_manager = user::Entity::find()
        .filter(user::Column::Email.eq(demo("manager")))
        .one(&db)
        .await
        .expect("query")
        .expect("demo manager");
    let managed = chorus::http::extract::managed_subtree(&db, org, demo_manager.id)
        .await
        .expect("subtree");
    let platform: Uuid = ids["team"].parse().expect("uuid");
    assert!(
        managed.contains(&platform),
        "the demo manager manages Platform"
    );
    let managers = team_manager::Entity::find()
        .filter(team_manager::Column::OrgId.eq(org))
        .all(&db)
        .await
        .expect("query");
    let mut other = None;
    for m in managers {
        if m.user_id == demo_manager.id {
            continue;
        }
        let theirs = chorus::http::extract::managed_subtree(&db, org, m.user_id)
            .await
            .expect("subtree");
        if !theirs.contains(&platform) {
            other = Some(m.user_id);
            break;
        }
    }
    let other = user::Entity::find_by_id(other.expect("another manager"))
        .one(&db)
        .await
        .expect("query")
        .expect("user");

    // Another organisation with one person per role.
    let globex = app.org_admin("Globex", "admin@globex.test").await;
    let g_manager = app
        .person(globex.org_id, "manager@globex.test", &[], None)
        .await;
    app.team(globex.org_id, "Globex Sales", None, &[g_manager.user_id])
        .await;
    let g_editor = app
        .person(globex.org_id, "editor@globex.test", &[Role::Editor], None)
        .await;
    let g_employee = app
        .person(globex.org_id, "employee@globex.test", &[], None)
        .await;

    // A spot award from the demo manager to someone in Platform.
    let manager = sign_in(demo("manager")).await;
    let recipient = user::Entity::find()
        .filter(user::Column::TeamId.eq(platform))
        .filter(user::Column::Id.ne(demo_manager.id))
        .order_by_asc(user::Column::Email)
        .one(&db)
        .await
        .expect("query")
        .expect("someone in Platform");
    let (status, award) = app
        .post(
            "/api/v1/spot-awards",
            Some(&manager),
            json!({ "recipient_id": recipient.id, "points": 10, "reason": "Great release" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{award}");
    ids.insert(
        "spot_award",
        award["id"].as_str().expect("award id").to_owned(),
    );

    // The other organisation's employee takes part in advocacy, so that share ids are asked for.
    let (status, consent) = app
        .post(
            "/api/v1/me/advocacy/opt-in",
            g_employee.token(),
            json!({ "terms_version": app.state.config.advocacy.terms_version }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{consent}");

    let tokens: [Option<String>; 10] = [
        None,
        Some(sign_in(demo("employee")).await),
        Some(manager),
        Some(sign_in(other.email.clone()).await),
        Some(sign_in(demo("editor")).await),
        Some(admin),
        Some(g_employee.access.clone()),
        Some(g_manager.access.clone()),
        Some(g_editor.access.clone()),
        Some(globex.access.clone()),
    ];

    // The table and the document list the same operations.
    let doc = serde_json::to_value(chorus::http::openapi_document()).expect("document");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .filter(|m| ["get", "put", "post", "patch", "delete"].contains(&m.as_str()))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let rows = table();
    let normalise = |template: &str| -> String {
        let path = template.split('?').next().unwrap_or(template);
        path.split('/')
            .map(|segment| match segment {
                "{team}" => "{team_id}".to_owned(),
                s if s.starts_with('{') && !["{network}", "{emoji}", "{code}"].contains(&s) => {
                    "{id}".to_owned()
                }
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let listed: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), normalise(r.template)))
        .collect();
    assert_eq!(listed.len(), rows.len(), "an operation is listed twice");
    let missing: Vec<_> = documented.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&documented).collect();
    assert!(missing.is_empty(), "operations without a row: {missing:?}");
    assert!(stale.is_empty(), "rows without an operation: {stale:?}");

    let mut cells = 0;
    let mut wrong = Vec::new();
    for row in &rows {
        let mut path = row.template.to_owned();
        for (name, id) in &ids {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        assert!(!path.contains('{'), "no id for {}", row.template);
        let has_id =
            row.template.split('?').next().is_some_and(|p| {
                p.contains('{') && !p.contains("{network}") && !p.contains("{code}")
            });
        let operation = &doc["paths"][normalise(row.template)][row.method.as_str().to_lowercase()];
        let takes_body = operation.get("requestBody").is_some();
        for (caller, token) in tokens.iter().enumerate() {
            let foreign = caller >= 6;
            let role = match caller {
                6 => EMPLOYEE,
                7 => MANAGER,
                8 => EDITOR,
                9 => ADMIN,
                other => other,
            };
            let allowed = match row.access {
                Public => true,
                Integration => false,
                Signed | Advocate => role != 0,
                Admin => role == ADMIN,
                Editor => role == EDITOR || role == ADMIN,
                Manager => role == MANAGER || role == OTHER_MANAGER,
                Team => role == MANAGER || role == ADMIN,
            };
            let mut want = if row.access == Public {
                row.ok
            } else if caller == 0 || row.access == Integration {
                401
            } else if row.access == Advocate && foreign && caller != 6 {
                409
            } else if foreign && has_id && (allowed || row.access == Team) {
                404
            } else if !allowed || (row.access == Team && caller == OTHER_MANAGER) {
                403
            } else {
                row.ok
            };
            if let Some((_, status)) = row.except.iter().find(|(c, _)| *c == caller) {
                want = *status;
            }
            let body = takes_body.then(|| {
                if foreign && has_id {
                    foreign_body(row.template)
                } else {
                    json!([])
                }
            });
            let (status, problem) = app
                .call(row.method.clone(), &path, token.as_deref(), body)
                .await;
            cells += 1;
            let got = status.as_u16();
            if got != want {
                wrong.push(format!(
                    "{} {} as {}: want {want}, got {got} {problem}",
                    row.method, row.template, CALLERS[caller]
                ));
            }
            if status.is_client_error() && row.template != "/r/{code}" {
                assert!(
                    problem["code"].is_string(),
                    "{} {} as {}: a problem document",
                    row.method,
                    row.template,
                    CALLERS[caller]
                );
            }
            if operation["responses"].get(got.to_string()).is_none() {
                wrong.push(format!(
                    "{} {} as {}: {got} is not documented",
                    row.method, row.template, CALLERS[caller]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(cells, rows.len() * CALLERS.len());
    println!(
        "access matrix: {} operations × {} callers = {cells} cells checked",
        rows.len(),
        CALLERS.len()
    );
}
