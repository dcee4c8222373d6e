//! The HTTP service agents call. Thin: handlers translate JSON to library
//! calls and back; [`app`] builds the router so tests can serve it on a
//! real loopback socket; [`serve`] runs it with graceful shutdown.

pub mod api;
pub mod config;
pub mod error;
mod handlers;
pub mod metrics;
mod openapi;
pub mod state;
mod watch;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub use config::{Config, Flags};
pub use openapi::document as openapi_document;
pub use state::{load_checked, AppState, Loaded};

/// The router.
pub fn app(state: Arc<AppState>) -> Router {
    let body_limit = state.config.body_limit;
    let batch_limit = state.config.batch_body_limit;
    Router::new()
        .route(
            "/v1/classify",
            post(handlers::classify).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route(
            "/v1/classify/batch",
            post(handlers::classify_batch).layer(DefaultBodyLimit::max(batch_limit)),
        )
        .route("/v1/ruleset", get(handlers::ruleset))
        .route("/v1/ruleset/reload", post(handlers::reload))
        .route("/v1/kb/search", get(handlers::kb_search))
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/metrics", get(handlers::metrics))
        .route("/openapi.json", get(handlers::openapi))
        .fallback(handlers::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_metrics,
        ))
        .with_state(state)
}

/// Endpoint labels for metrics: the matched route, never the raw path.
fn endpoint(path: Option<&str>) -> &'static str {
    match path {
        Some("/v1/classify") => "/v1/classify",
        Some("/v1/classify/batch") => "/v1/classify/batch",
        Some("/v1/ruleset") => "/v1/ruleset",
        Some("/v1/ruleset/reload") => "/v1/ruleset/reload",
        Some("/v1/kb/search") => "/v1/kb/search",
        Some("/healthz") => "/healthz",
        Some("/readyz") => "/readyz",
        Some("/metrics") => "/metrics",
        Some("/openapi.json") => "/openapi.json",
        _ => "other",
    }
}

async fn record_metrics(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let label = endpoint(
        req.extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let start = Instant::now();
    let response = next.run(req).await;
    state
        .metrics
        .request(label, response.status().as_u16(), start.elapsed());
    response
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if state.config.watch {
        tokio::spawn(watch::watch_rules(state.clone()));
    }
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Purges appeals older than the retention period, at start and hourly.
pub async fn purge_old(state: Arc<AppState>, days: u32) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let before = crate::history::now_secs() - i64::from(days) * 86_400;
        let history = state.history.clone();
        match tokio::task::spawn_blocking(move || history.purge_before(before)).await {
            Ok(Ok(n)) if n > 0 => tracing::info!(purged = n, days, "history retention"),
            Ok(Err(e)) => tracing::warn!("history retention failed: {}", e.0),
            _ => {}
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
