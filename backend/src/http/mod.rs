//! The HTTP surface: the router with every API route (documented in OpenAPI by construction,
//! since routes are registered through `utoipa_axum`), middleware, and the static frontend.

pub mod extract;
pub mod limits;
pub mod redirect;
pub mod service;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;

use crate::{
    error::AppError,
    metrics::{RequestLabels, RouteLabels},
    state::AppState,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Chorus API", description = "Employee advocacy and recognition. Errors are RFC 9457 problem documents with a stable `code`."),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    tags(
        (name = "auth", description = "Sign-in, sessions, invitations and account recovery"),
        (name = "me", description = "The signed-in user"),
        (name = "people", description = "People, invitations, CSV import and the audit log (administrators)"),
        (name = "teams", description = "The team tree and its managers"),
        (name = "admin", description = "Operations views for administrators"),
        (name = "service", description = "Health, readiness and metrics"),
        (name = "content", description = "Posts, campaigns, suggestions and the employee feed"),
        (name = "advocacy", description = "Consent, linked networks and shares"),
        (name = "links", description = "Tracked links"),
        (name = "integrations", description = "Engagement reports from integrations (API token or signed webhook)"),
        (name = "reach", description = "Reach dashboards, EMV settings and CSV export"),
        (name = "recognition", description = "Points ledger, thanks, spot awards, reward rules, rewards and redemptions"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "integration",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("chi_ integration token")
                    .build(),
            ),
        );
    }
}

/// Every documented route and the OpenAPI document describing them.
pub fn api(import_limit: usize) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(service::router())
        .merge(crate::auth::routes::router())
        .merge(crate::people::users::router())
        .merge(crate::people::directory::router())
        .merge(crate::people::mydata::router())
        .merge(crate::people::teams::router())
        .merge(crate::people::invitations::router())
        .merge(crate::people::import::router().layer(DefaultBodyLimit::max(import_limit)))
        .merge(crate::people::audit_routes::router())
        .merge(crate::mail::routes::router())
        .merge(crate::advocacy::posts::router())
        .merge(crate::advocacy::campaigns::router())
        .merge(crate::advocacy::suggestions::router())
        .merge(crate::advocacy::consent::router())
        .merge(crate::advocacy::networks::router())
        .merge(crate::advocacy::shares::router())
        .merge(crate::advocacy::integrations::router())
        .merge(crate::advocacy::emv::router())
        .merge(crate::advocacy::reach::router())
        .routes(utoipa_axum::routes!(crate::advocacy::links::follow))
        .merge(crate::recognition::router())
        .split_for_parts();
    let mut doc = doc;
    common_responses(&mut doc);
    problem_content_type(&mut doc);
    (router, doc)
}

/// Answers every operation of a kind can give, whatever the handler: a missing or ended session
/// (401) where a token is required, malformed (400), oversized (413), mistyped (415) or invalid
/// (422) bodies, invalid query strings (422), unknown or malformed path ids (404), and requests
/// that run out of time (408). Added once here so that no operation's documentation lacks them.
fn common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{
        RefOr,
        path::ParameterIn,
        response::{Response, ResponseBuilder},
    };
    let problem = |description: &str| -> RefOr<Response> {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        for (is_get, op) in [
            (true, &mut item.get),
            (false, &mut item.post),
            (false, &mut item.put),
            (false, &mut item.patch),
            (false, &mut item.delete),
        ]
        .into_iter()
        .filter_map(|(is_get, op)| op.as_mut().map(|op| (is_get, op)))
        {
            let params = op.parameters.as_deref().unwrap_or_default();
            let in_path = params
                .iter()
                .any(|p| matches!(p.parameter_in, ParameterIn::Path));
            let in_query = params
                .iter()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query));
            let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut add = vec![("408", "The request took too long")];
            if signed_in {
                add.push(("401", "Not signed in, or the session has ended"));
            }
            if op.request_body.is_some() {
                add.extend([
                    ("400", "The body is not well-formed"),
                    ("413", "The body is too large"),
                    ("415", "The body is not of the documented media type"),
                    ("422", "The input is invalid; `errors` names the fields"),
                ]);
            }
            if in_query {
                add.push(("422", "The input is invalid; `errors` names the fields"));
            }
            if in_path {
                add.push(("404", "Not found"));
            }
            if !is_get {
                add.push((
                    "429",
                    "Too many requests from this client or account; `Retry-After` says when to retry",
                ));
            }
            for (status, description) in add {
                if !op.responses.responses.contains_key(status) {
                    op.responses
                        .responses
                        .insert(status.to_owned(), problem(description));
                }
            }
        }
    }
}

/// Error responses carry `application/problem+json`; utoipa documents bodies as JSON, so the
/// document is corrected once after it is built.
fn problem_content_type(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            for (status, response) in op.responses.responses.iter_mut() {
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                if let utoipa::openapi::RefOr::T(response) = response
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response
                        .content
                        .insert("application/problem+json".to_owned(), content);
                }
            }
        }
    }
}

/// The OpenAPI document (for `chorus openapi` and the frontend's type generation).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api(1).1
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
                   connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Everything the server answers: the router with its middleware, and ahead of it the redirect
/// fast path ([`redirect`]) unless `fast_path` is false or CORS origins are configured (the
/// fast path does not answer cross-origin requests; the router's CORS layer does).
pub fn app(state: AppState, fast_path: bool) -> redirect::App {
    let request_limits = Arc::new(limits::RequestLimits::new(&state.config.limits));
    let security = redirect::SecurityHeaders { hsts: hsts(&state) };
    let fast = (fast_path && state.config.http.cors_origins.is_empty()).then(|| {
        redirect::FastPath::new(
            state.clone(),
            request_limits.clone(),
            Duration::from_secs(state.config.limits.request_timeout_secs),
            security.clone(),
        )
    });
    redirect::App::new(router(state, request_limits, security), fast)
}

/// `Strict-Transport-Security`, when the public URL is https and a max-age is configured.
fn hsts(state: &AppState) -> Option<HeaderValue> {
    (state.config.public_url().scheme() == "https" && state.config.http.hsts_max_age_secs > 0)
        .then(|| {
            HeaderValue::from_str(&format!(
                "max-age={}; includeSubDomains",
                state.config.http.hsts_max_age_secs
            ))
            .ok()
        })
        .flatten()
}

fn router(
    state: AppState,
    request_limits: Arc<limits::RequestLimits>,
    security: redirect::SecurityHeaders,
) -> Router {
    let limits = state.config.limits.clone();
    let (api, openapi) = api(limits.import_bytes);
    let openapi = Arc::new(openapi);
    let docs = Arc::new(service::docs_html(&openapi));

    let mut app = api
        .route_layer(middleware::from_fn_with_state(state.clone(), settle_clicks))
        .route_layer(middleware::from_fn_with_state(state.clone(), track))
        .route(
            "/api/openapi.json",
            get({
                let openapi = openapi.clone();
                move || {
                    let openapi = openapi.clone();
                    async move { axum::Json(openapi.as_ref().clone()) }
                }
            }),
        )
        .route(
            "/api/docs",
            get(move || {
                let docs = docs.clone();
                async move { axum::response::Html(docs.as_ref().clone()) }
            }),
        )
        .route("/api/docs/style.css", get(service::docs_css))
        .route("/api/{*rest}", any(|| async { AppError::NotFound }))
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed });

    app = match state
        .config
        .frontend_dir
        .as_ref()
        .filter(|dir| dir.join("index.html").is_file())
    {
        Some(dir) => app
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => app.fallback(|| async { AppError::NotFound }),
    };

    let app = app.layer(middleware::from_fn_with_state(
        (state.clone(), request_limits),
        limits::limit,
    ));
    let hsts = security.hsts;
    let cors = cors(&state.config.http.cors_origins);

    let request_id = redirect::REQUEST_ID;
    app.layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), redirect::MakeRequestId))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(|_| AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()))
                .layer(middleware::from_fn_with_state(Duration::from_secs(limits.request_timeout_secs), deadline))
                .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
                .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
                .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
                .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
                .layer(SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, hsts))
                .option_layer(cors),
        )
        .with_state(state)
}

/// Cross-origin access for the configured origins only (none by default: the frontend is
/// served from the API's own origin). Bearer tokens travel in a header, not cookies, so
/// credentials are not allowed.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    (!origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                axum::http::Method::GET,
                axum::http::Method::POST,
                axum::http::Method::PUT,
                axum::http::Method::PATCH,
                axum::http::Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600))
    })
}

/// Answers 408 (a problem document) when reading the request and answering it takes longer than
/// `limits.request_timeout_secs`, e.g. a client that sends headers and then trickles its body.
async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    tokio::time::timeout(limit, next.run(request))
        .await
        .unwrap_or_else(|_| timed_out())
}

/// The 408 answer of a request past its deadline; the connection is closed after it.
fn timed_out() -> Response {
    let mut response = AppError::Timeout.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Before an API read, folds the clicks this server acknowledged into the rollups (a no-op when
/// the folder has caught up), so that every view includes them.
async fn settle_clicks(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == axum::http::Method::GET
        && request.uri().path().starts_with("/api/")
        && let Err(err) = state.clicks.settle().await
    {
        // The rollups lag until the folder's next pass; the view is still answered.
        tracing::warn!(error = %err, "queued clicks not folded before a read");
    }
    next.run(request).await
}

/// Counts requests and latency per route template.
async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}
