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
