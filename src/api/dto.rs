//! The JSON shapes of the HTTP API that exist only for it (errors, health, the query list).
//! Reports shared with the CLI (`LoadReport`, `GraphInfo`, `NamedQuery`) serialise themselves.

use serde::{Deserialize, Serialize};

/// Every error response: a stable machine-readable `error` kind and a message for people.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub updates_enabled: bool,
    pub query_timeout_seconds: f64,
    pub max_results: usize,
}

/// Most results one search request may ask for.
pub const MAX_SEARCH_LIMIT: usize = 1000;

/// The query string of `GET /search`.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    pub q: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// The body of `POST /logical/{question}`: a model (a pathway of the store, or a model's text
/// in a file format) and what to hold, screen or simulate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogicalRequest {
    /// A pathway of the store, by IRI or CURIE.
    pub pathway: Option<String>,
    /// A model's text, in `format`.
    pub model: Option<String>,
    /// `bnet`, `sbml-qual` or `maboss`.
    pub format: Option<String>,
    /// MaBoSS settings (the `.cfg`) for a `maboss` model.
    pub cfg: Option<String>,
    /// Input values, node → 0 or 1.
    #[serde(default)]
    pub inputs: std::collections::BTreeMap<String, u8>,
    /// Nodes held on or off, node → 0 or 1.
    #[serde(default)]
    pub fix: std::collections::BTreeMap<String, u8>,
    /// Drugs of the store whose targets are held (with `pathway`).
    #[serde(default)]
    pub drugs: Vec<String>,
    /// For `perturb`: phenotype nodes, and the perturbations (each node → 0 or 1).
    #[serde(default)]
    pub phenotypes: Vec<String>,
    #[serde(default)]
    pub perturbations: Vec<std::collections::BTreeMap<String, u8>>,
    /// For `attractors`: `async` (default) or `sync`.
    pub semantics: Option<String>,
    /// For `attractors`: the steady states alone (exact; often quick where the whole search
    /// is not).
    #[serde(default)]
    pub steady_states: bool,
    /// For `attractors` (asynchronous): the time budget in seconds (default 120, at most 600);
    /// a search it stops lists the steady states it finished and says what is unsettled.
    pub timeout: Option<f64>,
    /// For `simulate`.
    pub trajectories: Option<usize>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub max_time: Option<f64>,
    pub time_tick: Option<f64>,
    /// For `simulate` on a pathway: record the run in the store (needs the token).
    #[serde(default)]
    pub record: bool,
}

/// The compiled rules of `POST /logical/rules`.
#[derive(Debug, Serialize)]
pub struct LogicalRules {
    pub nodes: Vec<LogicalRule>,
    pub inputs: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct LogicalRule {
    pub node: String,
    pub iri: String,
    pub rule: String,
    /// True when the rule was derived from signed interactions rather than curated.
    pub derived: bool,
}
