//! Shared helpers: engines with the bundled content, requests through the real router.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use twinpath::api::{router, ApiConfig};
use twinpath::store::{Dataset, NoProgress};
use twinpath::{Engine, QueryAnswer, QueryLimits};

pub fn limits() -> QueryLimits {
    QueryLimits {
        timeout: Duration::from_secs(30),
        max_results: 100_000,
    }
}

/// An in-memory engine holding the bundled ontologies and pathways.
pub fn bundled_engine(limits: QueryLimits) -> Arc<Engine> {
    let engine = Engine::in_memory(limits).expect("in-memory store");
    engine
        .load_bundled(&NoProgress)
        .expect("bundled content loads");
    Arc::new(engine)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn content_type(&self) -> String {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

/// A GET request without a body.
pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

/// Sends one request through the real router.
pub async fn send(engine: &Arc<Engine>, token: Option<&str>, request: Request<Body>) -> Reply {
    let app = router(
        engine.clone(),
        ApiConfig {
            token: token.map(str::to_owned),
        },
    );
    let response = app.oneshot(request).await.expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)]).expect("encodes")[2..].to_owned()
}

/// The single integer a `SELECT (COUNT(*) AS ?n)` query answers.
pub fn count(engine: &Engine, query: &str) -> i64 {
    match engine
        .query(query, &Dataset::default())
        .expect("query runs")
    {
        QueryAnswer::Solutions { rows, .. } => match &rows[0][0] {
            Some(oxigraph::model::Term::Literal(l)) => l.value().parse().expect("an integer"),
            other => panic!("not a count: {other:?}"),
        },
        other => panic!("not solutions: {other:?}"),
    }
}

pub const COUNT_ALL: &str = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }";

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

/// The shipped curated maps, `pathways/*.ttl`, in name order.
pub fn pathways() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pathways");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .expect("pathways/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ttl"))
        .collect();
    files.sort();
    files
}

/// A file or folder of the reference data beside the project (`../shared/<path>`). When it is
/// missing, the test fails under CI (the `CI` variable is set) and is skipped, saying so, otherwise.
pub fn shared(path: &str) -> Option<std::path::PathBuf> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(path);
    if full.exists() {
        return Some(full);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "the reference data {} is missing (../shared must sit beside the project)",
            full.display()
        );
    }
    eprintln!("skipped: the reference data {} is missing", full.display());
    None
}
