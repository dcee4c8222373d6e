//! The OpenAPI 3.1 document, generated from the request and response types
//! (their JSON Schemas come from `schemars`), not written by hand.

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

use super::api::*;
use super::error::ErrorBody;
use crate::engine::Decision;

/// Builds the document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut schema =
        |name: &str, f: &mut dyn FnMut(&mut schemars::SchemaGenerator) -> schemars::Schema| {
            let s = f(&mut generator);
            (name.to_string(), s.to_value())
        };
    let refs: Vec<(String, Value)> = vec![
        schema("ClassifyRequest", &mut |g| {
            g.subschema_for::<ClassifyRequest>()
        }),
        schema("BatchRequest", &mut |g| g.subschema_for::<BatchRequest>()),
        schema("Decision", &mut |g| g.subschema_for::<Decision>()),
        schema("BatchResponse", &mut |g| g.subschema_for::<BatchResponse>()),
        schema("RulesetInfo", &mut |g| g.subschema_for::<RulesetInfo>()),
        schema("ReloadResponse", &mut |g| {
            g.subschema_for::<ReloadResponse>()
        }),
        schema("Health", &mut |g| g.subschema_for::<Health>()),
        schema("Error", &mut |g| g.subschema_for::<ErrorBody>()),
        schema("KbResponse", &mut |g| g.subschema_for::<KbResponse>()),
    ];
    let mut components = Map::new();
    for (k, v) in generator.take_definitions(true) {
        components.insert(k, v);
    }
    let r = |name: &str| {
        refs.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null)
    };
    let error =
        json!({"description": "an error", "content": {"application/json": {"schema": r("Error")}}});
    let body = |name: &str| json!({"required": true, "content": {"application/json": {"schema": r(name)}}});
    let ok = |name: &str, what: &str| json!({"description": what, "content": {"application/json": {"schema": r(name)}}});
    let agent = json!([{"bearer": []}]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fenliu",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Routes Chinese citizen appeals to emergency, police, non-police, legal-process or irrational-repeat, and explains why."
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "an agent API key, or the admin token for admin routes"}}
        },
        "paths": {
            "/v1/classify": {"post": {
                "summary": "classify one appeal", "security": agent, "requestBody": body("ClassifyRequest"),
                "responses": {"200": ok("Decision", "the decision and its explanation"), "400": error, "401": error, "413": error, "415": error, "422": error, "429": error, "503": error}
            }},
            "/v1/classify/batch": {"post": {
                "summary": "classify several appeals in order; a bad item gets its own error", "security": agent, "requestBody": body("BatchRequest"),
                "responses": {"200": ok("BatchResponse", "one result per appeal, in order"), "400": error, "401": error, "413": error, "415": error, "422": error, "429": error}
            }},
            "/v1/ruleset": {"get": {
                "summary": "the rule set in service", "security": agent,
                "responses": {"200": ok("RulesetInfo", "version, digest, counts and files"), "401": error}
            }},
            "/v1/ruleset/reload": {"post": {
                "summary": "load, validate and test the rule files; swap only if all pass (admin)", "security": agent,
                "responses": {"200": ok("ReloadResponse", "the new set is in service"), "401": error, "403": error, "422": error}
            }},
            "/v1/kb/search": {"get": {
                "summary": "knowledge entries most like `q` (who handles what, what to tell the caller)", "security": agent,
                "parameters": [
                    {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 50}}
                ],
                "responses": {"200": ok("KbResponse", "entries, best first"), "401": error, "404": error, "422": error}
            }},
            "/healthz": {"get": {"summary": "the process is alive", "responses": {"200": ok("Health", "alive")}}},
            "/readyz": {"get": {"summary": "rules loaded and stores reachable", "responses": {"200": ok("Health", "ready"), "503": error}}},
            "/metrics": {"get": {"summary": "Prometheus text metrics", "responses": {"200": {"description": "Prometheus text exposition", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
        }
    })
}

/// Keeps `JsonSchema` in scope for readers: every body type derives it.
#[allow(dead_code)]
fn _schemas_are_derived<T: JsonSchema>() {}
