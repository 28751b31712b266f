//! The SPARQL 1.1 Graph Store HTTP Protocol, indirect form (`/store?graph=IRI`): read a graph,
//! replace it with an uploaded file (an atomic load, recorded in the catalog), or drop it.
//! Writes need the same bearer token as `/update`.

use super::sparql::{authorize, bad_request, media_type, render};
use super::{blocking, ApiError, AppState};
use crate::store::{LoadOptions, RdfFormatChoice};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use oxigraph::model::NamedNode;

fn graph_param(raw: Option<&str>) -> Result<(NamedNode, Option<String>), ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| bad_request(format!("malformed query string: {e}")))?;
    let mut graph = None;
    let mut format = None;
    for (key, value) in pairs {
        match key.as_str() {
            "graph" => graph = Some(value),
            "format" => format = Some(value),
            "default" => {
                return Err(bad_request(
                    "every source lives in a named graph here; name it with graph=IRI",
                ))
            }
            _ => {}
        }
    }
    let graph = graph.ok_or_else(|| bad_request("missing graph=IRI"))?;
    let graph = NamedNode::new(&graph)
        .map_err(|e| bad_request(format!("graph: {graph:?} is not an IRI: {e}")))?;
    Ok((graph, format))
}

fn not_found(graph: &NamedNode) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no graph <{}>", graph.as_str()),
    )
}

/// `GET /store?graph=IRI`: the graph's triples, in the negotiated RDF syntax.
pub(super) async fn get(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (graph, format) = graph_param(raw.as_deref())?;
    if crate::vocab::is_private(graph.as_str()) {
        // A patient's graph (or a run's) is read with the token only, and audited.
        authorize(&state, &headers)?;
        state.engine.audit(
            &super::sparql::caller(&headers),
            "read-graph",
            graph.as_str(),
        )?;
    }
    let engine = state.engine.clone();
    let wanted = graph.clone();
    let answer = blocking(move || engine.graph_content(&wanted))
        .await?
        .ok_or_else(|| not_found(&graph))?;
    render(&answer, format.as_deref(), &headers)
}

/// `PUT /store?graph=IRI`: replaces the graph with the body (Turtle, N-Triples, RDF/XML, JSON-LD,
/// by Content-Type); 201 when the graph is new, 200 when it replaced one; the body is the load report.
pub(super) async fn put(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let (graph, _) = graph_param(raw.as_deref())?;
    let media = media_type(&headers).unwrap_or_default();
    let format = RdfFormatChoice::from_media_type(&media)
        .filter(|f| !matches!(f, RdfFormatChoice::Nquads | RdfFormatChoice::Trig))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!("PUT /store takes text/turtle, application/n-triples, application/rdf+xml or application/ld+json, not {media:?}"),
            )
        })?;
    let engine = state.engine.clone();
    let report = blocking(move || {
        let name = format!("http:PUT /store?graph={}", graph.as_str());
        engine.load_bytes(
            &name,
            &body,
            &LoadOptions {
                format: Some(format.into()),
                graph: Some(graph),
                ..LoadOptions::default()
            },
        )
    })
    .await?;
    let status = if report.replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(report)).into_response())
}

/// `DELETE /store?graph=IRI`: drops the graph; 204, or 404 when there was none.
pub(super) async fn delete(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let (graph, _) = graph_param(raw.as_deref())?;
    let engine = state.engine.clone();
    let wanted = graph.clone();
    if blocking(move || engine.drop_graph(&wanted)).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(not_found(&graph))
    }
}
