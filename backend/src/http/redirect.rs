//! The tracked-link fast path: `GET /r/{code}` is answered ahead of the router and its
//! middleware stack, with the same behaviour in fewer steps.
//!
//! A redirect is the one request that arrives by the tens of thousands per second, and the
//! general stack (request id, trace span, panic guard, deadline, security headers, rate limits,
//! body limits, routing, per-route metrics) costs several times what answering it does. So a
//! request for exactly `/r/<segment>` with `GET` is answered here, doing what that stack does
//! for it in the same order: the caller's request id or a new one, echoed in `x-request-id`; a
//! `request` span (only when info spans are enabled) with the trace layer's events; a handler
//! panic answered 500; the `limits.request_timeout_secs` deadline (408, connection closed); the
//! security headers; the per-client redirect limit (429, sharing the router's buckets); the
//! `chorus_http_requests_total` and latency series of route `/r/{code}` through handles
//! resolved once; and the answer itself from [`links::answer`], which the router's handler
//! uses too. Everything else — other methods, a code with a `%` escape or a further `/`, and
//! every request while CORS origins are configured — goes to the router unchanged.

use std::{
    convert::Infallible,
    net::SocketAddr,
    panic::AssertUnwindSafe,
    sync::{Arc, OnceLock},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{ConnectInfo, Request},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::future::RouteFuture,
    serve::IncomingStream,
};
use futures::{
    FutureExt,
    future::{BoxFuture, Either},
};
use prometheus_client::metrics::{counter::Counter, histogram::Histogram};
use tokio::net::TcpListener;
use tracing::Instrument;

use super::{extract::client_ip, limits::RequestLimits};
use crate::{
    advocacy::links,
    error::AppError,
    metrics::{RequestLabels, RouteLabels},
    state::AppState,
};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The route template the redirect is counted under, as the router names it.
const ROUTE: &str = "/r/{code}";

/// A new request id: a random (version 4) UUID from the thread's generator, which costs no
/// system call (unlike `Uuid::new_v4`, which asks the kernel for each one).
pub fn new_request_id() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut text = uuid::Uuid::encode_buffer();
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
        .unwrap_or_else(|_| HeaderValue::from_static("-"))
}

/// [`new_request_id`] for the router's request-id layer.
#[derive(Clone, Copy, Default)]
pub struct MakeRequestId;

impl tower_http::request_id::MakeRequestId for MakeRequestId {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        Some(tower_http::request_id::RequestId::new(new_request_id()))
    }
}

/// The headers every answer of the HTTP stack carries (the router sets them with layers).
#[derive(Clone)]
pub struct SecurityHeaders {
    pub hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(super::CSP));
        if let Some(hsts) = &self.hsts {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
        }
    }
}

/// The series of route `/r/{code}`, resolved on first use and kept.
#[derive(Default)]
struct RouteMetrics {
    found: OnceLock<Counter>,
    not_found: OnceLock<Counter>,
    latency: OnceLock<Histogram>,
}

/// What the fast path needs, shared by every connection.
pub struct FastPath {
    state: AppState,
    limits: Arc<RequestLimits>,
    timeout: Duration,
    security: SecurityHeaders,
    metrics: RouteMetrics,
}

impl FastPath {
    pub fn new(
        state: AppState,
        limits: Arc<RequestLimits>,
        timeout: Duration,
        security: SecurityHeaders,
    ) -> Self {
        Self {
            state,
            limits,
            timeout,
            security,
            metrics: RouteMetrics::default(),
        }
    }

    fn count(&self, status: StatusCode, elapsed: Duration) {
        let metrics = &self.state.metrics;
        let requests = |status: u16| {
            metrics
                .requests
                .get_or_create(&RequestLabels {
                    method: "GET".to_owned(),
                    route: ROUTE.to_owned(),
                    status,
                })
                .clone()
        };
        match status {
            StatusCode::FOUND => self.metrics.found.get_or_init(|| requests(302)).inc(),
            StatusCode::NOT_FOUND => self.metrics.not_found.get_or_init(|| requests(404)).inc(),
            other => requests(other.as_u16()).inc(),
        };
        self.metrics
            .latency
            .get_or_init(|| {
                metrics
                    .latency
                    .get_or_create(&RouteLabels {
                        method: "GET".to_owned(),
                        route: ROUTE.to_owned(),
                    })
                    .clone()
            })
            .observe(elapsed.as_secs_f64());
    }
}

/// True for the requests the fast path answers: `GET /r/<code>` where the code is one path
/// segment without escapes (the router would decode those; it gets them).
fn is_redirect(request: &Request) -> bool {
    request.method() == Method::GET
        && request
            .uri()
            .path()
            .strip_prefix("/r/")
            .is_some_and(|code| !code.is_empty() && !code.contains(['/', '%']))
}

/// The answer to one request: the fast path's, or the router's.
pub type Answer = Either<BoxFuture<'static, Result<Response, Infallible>>, RouteFuture<Infallible>>;

/// Everything the server answers: the redirect fast path, then the router.
#[derive(Clone)]
pub struct App {
    router: Router,
    fast: Option<Arc<FastPath>>,
}

impl App {
    pub fn new(router: Router, fast: Option<FastPath>) -> Self {
        Self {
            router,
            fast: fast.map(Arc::new),
        }
    }

    /// Answers `request` from `peer` (the HTTP server calls this for each request; tests may
    /// too).
    pub fn answer(&self, peer: SocketAddr, mut request: Request) -> Answer {
        match &self.fast {
            Some(fast) if is_redirect(&request) => {
                Either::Left(redirect(fast.clone(), peer, request).map(Ok).boxed())
            }
            _ => {
                request.extensions_mut().insert(ConnectInfo(peer));
                Either::Right(tower::Service::call(&mut self.router.clone(), request))
            }
        }
    }

    /// What `axum::serve` takes: one [`Connection`] per accepted connection.
    pub fn into_make_service(self) -> MakeConnection {
        MakeConnection(self)
    }
}

/// Makes a [`Connection`] for each connection the listener accepts.
#[derive(Clone)]
pub struct MakeConnection(App);

impl<'a> tower::Service<IncomingStream<'a, TcpListener>> for MakeConnection {
    type Response = Connection;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Connection, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'a, TcpListener>) -> Self::Future {
        std::future::ready(Ok(Connection {
            app: self.0.clone(),
            peer: *stream.remote_addr(),
        }))
    }
}

/// The requests of one connection, from `peer`.
#[derive(Clone)]
pub struct Connection {
    app: App,
    peer: SocketAddr,
}

impl tower::Service<Request> for Connection {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Answer {
        self.app.answer(self.peer, request)
    }
}

/// One redirect, through the same steps as the router's stack (see the module documentation).
async fn redirect(fast: Arc<FastPath>, peer: SocketAddr, request: Request) -> Response {
    // The body is not read (nor is it by the router's handler).
    let (request, _) = request.into_parts();
    let id = match request.headers.get(&REQUEST_ID) {
        Some(id) => id.clone(),
        None => new_request_id(),
    };
    let span = tracing::info_span!(
        "request",
        method = %request.method,
        path = %request.uri.path(),
        request_id = %id.to_str().unwrap_or("-"),
    );
    let started = Instant::now();
    let mut response = async {
        tracing::debug!(target: "tower_http::trace::on_request", "started processing request");
        let guarded = AssertUnwindSafe(limited(&fast, peer, &request)).catch_unwind();
        let response = match tokio::time::timeout(fast.timeout, guarded).await {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => AppError::Internal(anyhow::anyhow!("handler panicked")).into_response(),
            Err(_) => super::timed_out(),
        };
        let latency = format_args!("{} ms", started.elapsed().as_millis());
        if response.status().is_server_error() {
            tracing::error!(
                target: "tower_http::trace::on_failure",
                classification = %format_args!("Status code: {}", response.status()),
                %latency,
                "response failed"
            );
        }
        tracing::debug!(
            target: "tower_http::trace::on_response",
            %latency,
            status = response.status().as_u16(),
            "finished processing request"
        );
        response
    }
    .instrument(span)
    .await;
    response.headers_mut().entry(REQUEST_ID).or_insert(id);
    // As the router does for each answer whose length is known.
    if let Some(length) = axum::body::HttpBody::size_hint(response.body()).exact()
        && !response.headers().contains_key(header::CONTENT_LENGTH)
    {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}

/// The per-client limit, then the answer with its security headers, counted like a routed
/// request (a refused one is not: the limit sits in front of the router).
async fn limited(fast: &FastPath, peer: SocketAddr, request: &Parts) -> Response {
    let config = &fast.state.config;
    let client = client_ip(
        peer.ip(),
        request
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok()),
        &config.auth.trusted_proxies,
    );
    let mut response = match fast.limits.redirect(client) {
        Err(seconds) => super::limits::too_many_redirects(seconds),
        Ok(()) => {
            let started = Instant::now();
            let code = request.uri.path().get(3..).unwrap_or_default();
            let response = links::answer(&fast.state, client, code, &request.headers).await;
            fast.count(response.status(), started.elapsed());
            response
        }
    };
    fast.security.apply(response.headers_mut());
    response
}
