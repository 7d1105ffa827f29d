//! Service endpoints: liveness, readiness, metrics, the OpenAPI document and its HTML rendering.

use std::{fmt::Write, sync::Arc, time::Duration};

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{ToSchema, openapi::OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{AppError, Problem},
    metrics::StatusLabels,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// Liveness: 200 while the process is up.
#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Readiness: 200 while the database answers, 503 otherwise (recovers on its own).
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    let ok = tokio::time::timeout(Duration::from_secs(2), crate::db::ping(&state.db))
        .await
        .unwrap_or(false);
    if ok {
        Ok(Json(Health {
            status: "ready".into(),
        }))
    } else {
        Err(AppError::Unavailable)
    }
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Metrics in the OpenMetrics text format", content_type = "application/openmetrics-text")))]
async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(Ok(depth)) = tokio::time::timeout(
        Duration::from_secs(2),
        crate::mail::outbox::depth(&state.db),
    )
    .await
    {
        for (status, n) in depth {
            state
                .metrics
                .outbox_depth
                .get_or_create(&StatusLabels { status })
                .set(n);
        }
    }
    state
        .metrics
        .pool("primary", crate::db::pool_usage(&state.db));
    if let Some(read) = &state.read_pool {
        state.metrics.pool("read", crate::db::pool_usage(read));
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

pub async fn openapi_json(State(doc): State<Arc<OpenApi>>) -> Response {
    Json(doc.as_ref().clone()).into_response()
}

/// A readable, self-contained rendering of the OpenAPI document (no external scripts).
pub fn docs_html(doc: &OpenApi) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} — API</title><link rel=\"stylesheet\" href=\"/api/docs/style.css\"></head><body><main>\
         <h1>{} <small>{}</small></h1><p>Machine-readable document: <a href=\"/api/openapi.json\">/api/openapi.json</a>. \
         Errors are <code>application/problem+json</code> documents with a stable <code>code</code>. \
         Authenticated routes take <code>Authorization: Bearer &lt;access token&gt;</code>.</p>",
        escape(&doc.info.title),
        escape(&doc.info.title),
        escape(&doc.info.version)
    );
    let _ = write!(out, "<nav><ul>");
    for (path, item) in &doc.paths.paths {
        for (method, op) in operations(item) {
            let id = format!("{method}-{path}").replace(['/', '{', '}'], "_");
            let _ = write!(
                out,
                "<li><a href=\"#{id}\"><b>{}</b> {}</a></li>",
                method.to_uppercase(),
                escape(path)
            );
            let _ = op;
        }
    }
    let _ = write!(out, "</ul></nav>");
    for (path, item) in &doc.paths.paths {
        for (method, op) in operations(item) {
            let id = format!("{method}-{path}").replace(['/', '{', '}'], "_");
            let _ = write!(
                out,
                "<section id=\"{id}\"><h2><span class=\"m {method}\">{}</span> <code>{}</code></h2>",
                method.to_uppercase(),
                escape(path)
            );
            if let Some(summary) = &op.summary {
                let _ = write!(out, "<p class=\"summary\">{}</p>", escape(summary));
            }
            if let Some(description) = &op.description {
                let _ = write!(out, "<p>{}</p>", escape(description));
            }
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                let _ = write!(out, "<p class=\"auth\">Requires a bearer token.</p>");
            }
            if let Some(params) = &op.parameters {
                let _ = write!(out, "<h3>Parameters</h3><ul>");
                for p in params {
                    let _ = write!(
                        out,
                        "<li><code>{}</code> ({}{}) {}</li>",
                        escape(&p.name),
                        serde_json::to_value(&p.parameter_in)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        if matches!(p.required, utoipa::openapi::Required::True) {
                            ", required"
                        } else {
                            ""
                        },
                        escape(p.description.as_deref().unwrap_or(""))
                    );
                }
                let _ = write!(out, "</ul>");
            }
            if let Some(body) = &op.request_body {
                let body = serde_json::to_string_pretty(body).unwrap_or_default();
                let _ = write!(out, "<h3>Request body</h3><pre>{}</pre>", escape(&body));
            }
            let _ = write!(out, "<h3>Responses</h3><ul>");
            for (status, response) in &op.responses.responses {
                let text = serde_json::to_value(response)
                    .ok()
                    .and_then(|v| {
                        v.get("description")
                            .and_then(|d| d.as_str())
                            .map(str::to_owned)
                    })
                    .unwrap_or_default();
                let _ = write!(out, "<li><b>{}</b> {}</li>", escape(status), escape(&text));
            }
            let _ = write!(out, "</ul></section>");
        }
    }
    if let Some(components) = &doc.components {
        let _ = write!(out, "<h2>Schemas</h2>");
        for (name, schema) in &components.schemas {
            let body = serde_json::to_string_pretty(schema).unwrap_or_default();
            let _ = write!(
                out,
                "<details id=\"schema-{0}\"><summary>{0}</summary><pre>{1}</pre></details>",
                escape(name),
                escape(&body)
            );
        }
    }
    out.push_str("</main></body></html>");
    out
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> Vec<(&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("get", &item.get),
        ("post", &item.post),
        ("put", &item.put),
        ("patch", &item.patch),
        ("delete", &item.delete),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
    .collect()
}

pub async fn docs(State(html): State<Arc<String>>) -> Html<String> {
    Html(html.as_ref().clone())
}

pub async fn docs_css() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1f2430}main{max-width:960px;margin:auto;padding:24px}\
         section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 2px #0001}\
         pre{background:#f0f1f4;padding:12px;overflow:auto;font-size:12px}.m{font-size:12px;padding:2px 6px;border-radius:4px;color:#fff;background:#555}\
         .get{background:#1f6feb}.post{background:#1a7f37}.patch{background:#9a6700}.delete{background:#cf222e}.auth{color:#6e5400}\
         nav ul{columns:2;font-size:13px}a{color:#1f4fbf}",
    )
        .into_response()
}
