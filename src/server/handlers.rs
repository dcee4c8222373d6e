//! Handlers: translate between JSON and the library, nothing more.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::api::*;
use super::error::ApiError;
use super::state::{now_secs, AppState};
use crate::engine::{Appeal, Decision, HistoryStatus};
use crate::history::parse_rfc3339;

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Agent,
    Admin,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Checks the bearer token: 401 without a valid one, 403 for an agent key on
/// an admin route, 429 over the key's rate. `--dev` lets everything through.
fn authorize(state: &AppState, headers: &HeaderMap, need: Role) -> Result<(), ApiError> {
    if state.config.dev {
        return Ok(());
    }
    let token = bearer(headers).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send `Authorization: Bearer <api key>`",
        )
    })?;
    let is_admin = state
        .config
        .admin_token
        .as_deref()
        .is_some_and(|t| constant_time_eq(t, token));
    let is_agent = state
        .config
        .api_keys
        .iter()
        .any(|k| constant_time_eq(k, token));
    let role = match (is_admin, is_agent) {
        (true, _) => Role::Admin,
        (false, true) => Role::Agent,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the API key is not valid",
            ))
        }
    };
    if need == Role::Admin && role != Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this route needs the admin token",
        ));
    }
    if !state.limiter.allow(token) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "more than {} requests a minute with this key",
                state.config.rate_per_minute
            ),
        ));
    }
    Ok(())
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks one appeal's fields.
fn validate(state: &AppState, req: ClassifyRequest) -> Result<Appeal, ApiError> {
    if req.text.trim().is_empty() {
        return Err(ApiError::unprocessable("empty_text", "`text` is empty"));
    }
    let n = req.text.chars().count();
    let max = state.config.max_text_chars;
    if n > max {
        return Err(ApiError::unprocessable(
            "text_too_long",
            format!("`text` has {n} characters; the limit is {max}"),
        ));
    }
    let received_at = match req.received_at.as_deref() {
        Some(t) => Some(
            parse_rfc3339(t)
                .map_err(|e| ApiError::unprocessable("bad_received_at", e.to_string()))?,
        ),
        None => None,
    };
    Ok(Appeal {
        id: req.id,
        text: req.text,
        caller: req.caller,
        received_at,
    })
}

/// Classifies one validated appeal; history work runs off the async workers.
async fn classify_one(state: &Arc<AppState>, appeal: Appeal) -> Decision {
    let loaded = state.current.load_full();
    let decision = if appeal
        .caller
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty())
    {
        let st = state.clone();
        let classifier = loaded.classifier.clone();
        let fallback = appeal.clone();
        match tokio::task::spawn_blocking(move || {
            classifier.classify(&appeal, st.history.as_ref(), now_secs())
        })
        .await
        {
            Ok(d) => d,
            // The blocking task died: answer without history rather than fail.
            Err(_) => {
                let mut d = loaded.classifier.classify_text(&fallback.text);
                d.id = fallback.id;
                d.explanation.repeat.status = HistoryStatus::Unavailable;
                d
            }
        }
    } else {
        let mut d = loaded.classifier.classify_text(&appeal.text);
        d.id = appeal.id;
        d
    };
    if decision.explanation.repeat.status == HistoryStatus::Unavailable {
        state.metrics.history_unavailable();
    }
    let by_model = decision
        .explanation
        .model
        .as_ref()
        .is_some_and(|m| m.decided);
    state
        .metrics
        .decision(decision.route, decision.review, by_model);
    tracing::debug!(route = %decision.route, rule = %decision.explanation.decided_by, "classified");
    decision
}

pub async fn classify(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<ClassifyRequest>, JsonRejection>,
) -> Result<Json<Decision>, ApiError> {
    authorize(&state, &headers, Role::Agent)?;
    let Json(req) = body.map_err(|r| ApiError::from_rejection(r, state.config.body_limit))?;
    let appeal = validate(&state, req)?;
    Ok(Json(classify_one(&state, appeal).await))
}

pub async fn classify_batch(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<BatchRequest>, JsonRejection>,
) -> Result<Json<BatchResponse>, ApiError> {
    authorize(&state, &headers, Role::Agent)?;
    let Json(req) = body.map_err(|r| ApiError::from_rejection(r, state.config.batch_body_limit))?;
    let max = state.config.batch_max;
    if req.appeals.len() > max {
        return Err(ApiError::unprocessable(
            "batch_too_large",
            format!(
                "the batch has {} appeals; the limit is {max}",
                req.appeals.len()
            ),
        ));
    }
    let mut results = Vec::with_capacity(req.appeals.len());
    for (i, item) in req.appeals.into_iter().enumerate() {
        let parsed = serde_json::from_value::<ClassifyRequest>(item)
            .map_err(|e| ApiError::bad_request(format!("appeal {i}: {e}")))
            .and_then(|r| {
                validate(&state, r).map_err(|mut e| {
                    e.message = format!("appeal {i}: {}", e.message);
                    e
                })
            });
        results.push(match parsed {
            Ok(appeal) => BatchItem::Decision(Box::new(classify_one(&state, appeal).await)),
            Err(e) => BatchItem::Error(e.body()),
        });
    }
    Ok(Json(BatchResponse { results }))
}

pub async fn ruleset(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<RulesetInfo>, ApiError> {
    authorize(&state, &headers, Role::Agent)?;
    let loaded = state.current.load_full();
    let rules = loaded.classifier.rules();
    let rules_per_route: BTreeMap<String, usize> = rules
        .counts_per_route()
        .into_iter()
        .map(|(r, n)| (r.to_string(), n))
        .collect();
    Ok(Json(RulesetInfo {
        version: rules.version.clone(),
        digest: rules.digest.clone(),
        loaded_at: loaded.loaded_at.clone(),
        appeal_type_rules: rules.rules.len() - rules_per_route.values().sum::<usize>(),
        rules_per_route,
        files: rules
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
    }))
}

pub async fn reload(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<ReloadResponse>, ApiError> {
    authorize(&state, &headers, Role::Admin)?;
    match state.reload().await {
        Ok((loaded, changed)) => {
            let rules = loaded.classifier.rules();
            tracing::info!(version = %rules.version, changed, "rule set reloaded");
            Ok(Json(ReloadResponse {
                version: rules.version.clone(),
                digest: rules.digest.clone(),
                loaded_at: loaded.loaded_at.clone(),
                changed,
            }))
        }
        Err(e) => {
            tracing::warn!(
                problems = e.problems.len(),
                "rule set reload refused; the old set stays in service"
            );
            let mut err = ApiError::unprocessable(
                "invalid_rules",
                format!(
                    "the rule set has {} problem(s); the old set stays in service",
                    e.problems.len()
                ),
            );
            err.problems = e.problems;
            Err(err)
        }
    }
}

pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        ruleset: None,
        history: None,
    })
}

pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let version = state.current.load().classifier.rules().version.clone();
    let history = state.history.clone();
    let ok = tokio::task::spawn_blocking(move || history.health()).await;
    match ok {
        Ok(Ok(())) => Json(Health {
            status: "ready".into(),
            ruleset: Some(version),
            history: Some(state.history.describe()),
        })
        .into_response(),
        Ok(Err(e)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("the history store does not answer: {}", e.0),
        )
        .into_response(),
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the readiness check failed",
        )
        .into_response(),
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let loaded = state.current.load();
    let rules = loaded.classifier.rules();
    let history = state.history.clone();
    let up = tokio::task::spawn_blocking(move || history.health().is_ok())
        .await
        .unwrap_or(false);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&rules.version, &rules.digest, up),
    )
        .into_response()
}

pub async fn openapi() -> Json<serde_json::Value> {
    Json(super::openapi::document())
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see /openapi.json",
    )
}

/// `GET /v1/kb/search?q=…&limit=…`
#[derive(Debug, serde::Deserialize)]
pub struct KbQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

pub async fn kb_search(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<axum::extract::Query<KbQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<KbResponse>, ApiError> {
    authorize(&state, &headers, Role::Agent)?;
    let axum::extract::Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let q = query.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::unprocessable("empty_query", "`q` is empty"));
    }
    let n = q.chars().count();
    let max = state.config.max_text_chars;
    if n > max {
        return Err(ApiError::unprocessable(
            "query_too_long",
            format!("`q` has {n} characters; the limit is {max}"),
        ));
    }
    let limit = query.limit.unwrap_or(5).clamp(1, 50);
    let loaded = state.current.load_full();
    let Some(kb) = loaded.knowledge.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_knowledge_base",
            "the rule set in service has no knowledge entries",
        ));
    };
    let hits = tokio::task::spawn_blocking(move || kb.search(&q, limit))
        .await
        .unwrap_or_default();
    Ok(Json(KbResponse { hits }))
}
