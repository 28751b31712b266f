//! How the engine is reached over HTTP: the SPARQL 1.1 Protocol, updates behind a token,
//! the Graph Store Protocol, the graph list, named queries, search, reasoning over the
//! interaction network, health and a query page.
//!
//! Handlers parse the request, make one `Engine` call on a blocking thread, and render.

mod dto;
mod graph_store;
mod logical;
mod page;
mod reason;
mod sparql;
mod twins;

use crate::engine::Engine;
use crate::error::Error;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct ApiConfig {
    /// The bearer token that unlocks `POST /update`; without one, updates are refused.
    pub token: Option<String>,
}

#[derive(Clone)]
struct AppState {
    engine: Arc<Engine>,
    token: Option<Arc<str>>,
}

/// Largest request body accepted (a SPARQL update with inline data).
const MAX_BODY_BYTES: usize = 64 << 20;

/// The whole HTTP API over `engine`.
pub fn router(engine: Arc<Engine>, config: ApiConfig) -> Router {
    let state = AppState {
        engine,
        token: config.token.map(Arc::from),
    };
    Router::new()
        .route("/", get(page::index))
        .route("/health", get(health))
        .route("/sparql", get(sparql::query_get).post(sparql::query_post))
        .route("/update", axum::routing::post(sparql::update))
        .route("/graphs", get(graphs))
        .route("/search", get(search))
        .route("/reason/{question}", get(reason::reason))
        .route("/logical/{question}", axum::routing::post(logical::logical))
        .route(
            "/store",
            get(graph_store::get)
                .put(graph_store::put)
                .delete(graph_store::delete),
        )
        .route("/twins", get(twins::list).post(twins::import))
        .route("/twins/{id}", get(twins::show))
        .route("/twins/{id}/simulate", axum::routing::post(twins::simulate))
        .route("/runs/{id}", get(twins::run))
        .route("/queries", get(named_queries))
        .route("/queries/{name}", get(sparql::named_query))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::DELETE,
                    Method::OPTIONS,
                ])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT]),
        )
        .layer(
            // One line per request at INFO: method, path, status and latency.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// Serves `router` on `addr` until SIGINT or SIGTERM, then finishes the requests in flight.
pub async fn serve(router: Router, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Runs `work` on the blocking pool (store calls block on RocksDB and on query evaluation).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
        .map_err(ApiError::from)
}

/// An error on its way to becoming a JSON response.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
        }
    }

    fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let (status, kind) = match &error {
            Error::QuerySyntax(_) => (StatusCode::BAD_REQUEST, "query-syntax"),
            Error::Syntax { .. } => (StatusCode::BAD_REQUEST, "rdf-syntax"),
            Error::BadInput(_) | Error::Read { .. } => (StatusCode::BAD_REQUEST, "bad-request"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
            Error::QueryTimeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "query-timeout"),
            Error::ResultTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "result-too-large"),
            Error::QueryEvaluation(_) => (StatusCode::INTERNAL_SERVER_ERROR, "query-evaluation"),
            Error::UpdateEvaluation(_) => (StatusCode::BAD_REQUEST, "update-evaluation"),
            Error::Storage(_) | Error::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage"),
            Error::Search(_) => (StatusCode::INTERNAL_SERVER_ERROR, "search"),
            Error::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-content"),
            Error::Validation(_) => (StatusCode::INTERNAL_SERVER_ERROR, "validation"),
            Error::Simulation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "simulation"),
        };
        Self::new(status, kind, error_chain(&error))
    }
}

/// The error and its causes, joined as one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(kind = self.kind, "{}", self.message);
        }
        let mut response = (
            self.status,
            Json(dto::ErrorBody {
                error: self.kind,
                message: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"twinpath\""),
            );
        }
        response
    }
}

async fn health(State(state): State<AppState>) -> Json<dto::Health> {
    let limits = state.engine.limits();
    Json(dto::Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        updates_enabled: state.token.is_some(),
        query_timeout_seconds: limits.timeout.as_secs_f64(),
        max_results: limits.max_results,
    })
}

/// `GET /graphs`: the graphs of the store; patients' and runs' graphs only with the token.
async fn graphs(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let private = sparql::grants_patients(&state, &headers)?;
    let engine = state.engine.clone();
    let mut graphs = blocking(move || engine.graphs()).await?;
    if !private {
        graphs.retain(|g| !crate::vocab::is_private(&g.graph));
    }
    Ok(Json(graphs).into_response())
}

/// `GET /search?q=TEXT&type=T&limit=N&offset=N`: entities best first.
async fn search(
    State(state): State<AppState>,
    axum::extract::Query(params): axum::extract::Query<dto::SearchParams>,
) -> Result<Response, ApiError> {
    let limit = params.limit.unwrap_or(10);
    if limit > dto::MAX_SEARCH_LIMIT {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!("limit is at most {}", dto::MAX_SEARCH_LIMIT),
        ));
    }
    let engine = state.engine.clone();
    let hits = blocking(move || {
        engine.search(&crate::search::SearchRequest {
            text: &params.q,
            kind: params.kind.as_deref(),
            limit,
            offset: params.offset.unwrap_or(0),
        })
    })
    .await?;
    Ok(Json(hits).into_response())
}

async fn named_queries(State(state): State<AppState>) -> Json<Vec<crate::queries::NamedQuery>> {
    Json(state.engine.named_queries())
}
