//! The baseline for the redirect benchmark: answers `GET /r/{code}` with the same 302 (or 404)
//! from an in-memory table, recording nothing. Chorus's throughput is reported relative to it.
//!
//! Usage: redirect-baseline <listen address> <codes file> <destination URL>

use std::{collections::HashMap, sync::Arc};

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

async fn follow(
    State(codes): State<Arc<HashMap<String, String>>>,
    Path(code): Path<String>,
) -> Response {
    match codes
        .get(&code)
        .and_then(|target| HeaderValue::from_str(target).ok())
    {
        Some(location) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:18200".into());
    let codes_file = args.next().ok_or_else(|| {
        anyhow::anyhow!("usage: redirect-baseline <listen> <codes file> <destination>")
    })?;
    let destination = args.next().unwrap_or_else(|| "https://example.com/".into());
    let codes: HashMap<String, String> = std::fs::read_to_string(codes_file)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(|code| (code.to_owned(), format!("{destination}?utm_source=linkedin&utm_medium=employee_advocacy&utm_campaign=bench")))
        .collect();
    let app = Router::new()
        .route("/r/{code}", get(follow))
        .with_state(Arc::new(codes));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("baseline listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
