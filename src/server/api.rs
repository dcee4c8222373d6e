//! Request and response bodies of the HTTP API. Their JSON Schemas, derived
//! here, are what `/openapi.json` publishes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::Decision;

/// One appeal.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ClassifyRequest {
    /// The appeal text, at most the configured number of characters.
    pub text: String,
    /// The hotline's appeal id: the same id is recorded once.
    #[serde(default)]
    pub id: Option<String>,
    /// The caller (phone number or account): feeds the repeat policy.
    #[serde(default)]
    pub caller: Option<String>,
    /// RFC 3339, e.g. `2026-03-01T10:05:00+08:00`; now when absent.
    #[serde(default)]
    pub received_at: Option<String>,
    /// phone, web, wechat, app ...
    #[serde(default)]
    pub channel: Option<String>,
}

/// Several appeals, classified in order.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct BatchRequest {
    pub appeals: Vec<serde_json::Value>,
}

/// One result of a batch: a decision, or an error for that item alone.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BatchItem {
    Decision(Box<Decision>),
    Error(super::error::ErrorBody),
}

/// The results, in the order of the request.
#[derive(Serialize, JsonSchema)]
pub struct BatchResponse {
    pub results: Vec<BatchItem>,
}

/// The rule set in service.
#[derive(Serialize, JsonSchema)]
pub struct RulesetInfo {
    pub version: String,
    pub digest: String,
    pub loaded_at: String,
    /// Route rules per route.
    pub rules_per_route: BTreeMap<String, usize>,
    /// Appeal-type cue rules.
    pub appeal_type_rules: usize,
    pub files: Vec<String>,
}

/// The outcome of a good reload.
#[derive(Serialize, JsonSchema)]
pub struct ReloadResponse {
    pub version: String,
    pub digest: String,
    pub loaded_at: String,
    /// Whether the new set differs from the one it replaced.
    pub changed: bool,
}

/// Liveness and readiness.
#[derive(Serialize, JsonSchema)]
pub struct Health {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruleset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
}

/// Knowledge entries, best first.
#[derive(Serialize, JsonSchema)]
pub struct KbResponse {
    pub hits: Vec<crate::knowledge::KnowledgeHit>,
}
