//! JSON Schemas of the files maintainers write, generated from the raw
//! serde types (so they cannot drift from what the loader accepts) and
//! shipped under `schemas/`. Rule files point at them with a
//! `# yaml-language-server: $schema=…` comment; editors with the YAML
//! language server then validate and complete as maintainers type.

use schemars::{schema_for, JsonSchema, Schema};
use serde::Deserialize;

use crate::knowledge::Entry;
use crate::rules::raw::{RawManifest, RawPolicy, RawRule, RawTypeRule};

/// A rule file under `routes/`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "fenliu route rules",
    description = "A rule file under rules/routes/: route rules."
)]
#[allow(dead_code)]
struct RouteRuleFile {
    /// Ignored by fenliu: the schema this file follows.
    #[serde(default, rename = "$schema")]
    schema: Option<String>,
    /// Named keyword lists: a `"@name"` item of `any`, an `all` group or
    /// `unless.any` in this file's rules stands for the list's words.
    #[serde(default)]
    lists: std::collections::BTreeMap<String, Vec<String>>,
    rules: Vec<RawRule>,
}

/// `appeal-types.yaml`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "fenliu appeal-type rules",
    description = "appeal-types.yaml: cue rules for 咨询 / 求助 / 投诉 / 举报 / 建议."
)]
#[allow(dead_code)]
struct AppealTypeFile {
    #[serde(default, rename = "$schema")]
    schema: Option<String>,
    /// Named keyword lists: a `"@name"` item of `any`, an `all` group or
    /// `unless.any` in this file's rules stands for the list's words.
    #[serde(default)]
    lists: std::collections::BTreeMap<String, Vec<String>>,
    rules: Vec<RawTypeRule>,
}

/// A knowledge file under `knowledge/`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "fenliu knowledge entries",
    description = "A file under rules/knowledge/: who handles what, typical cases."
)]
#[allow(dead_code)]
struct KnowledgeFile {
    #[serde(default, rename = "$schema")]
    schema: Option<String>,
    entries: Vec<Entry>,
}

/// One generated schema and the file it ships as.
pub struct SchemaFile {
    /// File name under `schemas/`.
    pub name: &'static str,
    /// Which rule-set files follow it.
    pub applies_to: &'static str,
    pub json: String,
}

fn render(schema: Schema) -> String {
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// Every schema, in a fixed order.
pub fn schemas() -> Vec<SchemaFile> {
    vec![
        SchemaFile {
            name: "manifest.schema.json",
            applies_to: "fenliu.yaml",
            json: render(schema_for!(RawManifest)),
        },
        SchemaFile {
            name: "policy.schema.json",
            applies_to: "policy.yaml",
            json: render(schema_for!(RawPolicy)),
        },
        SchemaFile {
            name: "route-rules.schema.json",
            applies_to: "routes/*.yaml",
            json: render(schema_for!(RouteRuleFile)),
        },
        SchemaFile {
            name: "appeal-type-rules.schema.json",
            applies_to: "appeal-types.yaml",
            json: render(schema_for!(AppealTypeFile)),
        },
        SchemaFile {
            name: "knowledge.schema.json",
            applies_to: "knowledge/*.yaml",
            json: render(schema_for!(KnowledgeFile)),
        },
    ]
}
