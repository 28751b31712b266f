//! Patient twins over HTTP: `POST /twins` (a FHIR Bundle, resource or NDJSON), `GET /twins`,
//! `GET /twins/{id}`, `POST /twins/{id}/simulate`, `GET /runs/{id}` (JSON, or the series as
//! CSV). All of it is patient data: every route needs the server's bearer token, and every
//! read is written to the audit log with the token's fingerprint.

use super::logical::{bad, holds, MAX_TRAJECTORIES};
use super::sparql::{authorize, caller};
use super::{blocking, ApiError, AppState};
use crate::engine::{RunOptions, TwinScenario};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::BTreeMap;

/// The body of `POST /twins/{id}/simulate`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SimulateRequest {
    pub pathway: Option<String>,
    pub drugs: Vec<String>,
    pub inputs: BTreeMap<String, u8>,
    pub fix: BTreeMap<String, u8>,
    pub without_medications: bool,
    pub trajectories: Option<usize>,
    pub seed: Option<u64>,
    pub max_time: Option<f64>,
    pub time_tick: Option<f64>,
}

/// `POST /twins[?strict=true]`: imports FHIR JSON (`application/fhir+json`, `application/json`)
/// or Bulk Data NDJSON (`application/fhir+ndjson`, `application/x-ndjson`, `application/ndjson`).
pub(super) async fn import(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| bad(format!("malformed query string: {e}")))?;
    let strict = pairs
        .iter()
        .any(|(k, v)| k == "strict" && (v == "true" || v == "1"));
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/fhir+json")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let name = match media.as_str() {
        "application/fhir+json" | "application/json" => "http:POST /twins.json",
        "application/fhir+ndjson" | "application/x-ndjson" | "application/ndjson" => {
            "http:POST /twins.ndjson"
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!(
                "POST /twins takes application/fhir+json or application/fhir+ndjson, not {other:?}"
            ),
            ))
        }
    };
    let engine = state.engine.clone();
    let report = blocking(move || {
        engine.import_twin_sources(&[(std::path::Path::new(name), &body)], strict)
    })
    .await?;
    let status = if report.twins.iter().any(|t| t.created) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}

/// `GET /twins`: every twin (id, name, birthDate, sex, variants, runs).
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let who = caller(&headers);
    let engine = state.engine.clone();
    Ok(Json(blocking(move || engine.twins(&who)).await?).into_response())
}

/// `GET /twins/{id}`: the twin's record, what the rules change, and its runs.
pub(super) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let who = caller(&headers);
    let engine = state.engine.clone();
    Ok(Json(blocking(move || engine.twin(&id, &who)).await?).into_response())
}

/// `POST /twins/{id}/simulate`: a personalized run, recorded; the body is the scenario.
pub(super) async fn simulate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let request: SimulateRequest = if body.is_empty() {
        SimulateRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| bad(format!("the scenario: {e}")))?
    };
    if request
        .trajectories
        .is_some_and(|n| n == 0 || n > MAX_TRAJECTORIES)
    {
        return Err(bad(format!(
            "trajectories must be between 1 and {MAX_TRAJECTORIES}"
        )));
    }
    let scenario = TwinScenario {
        pathway: request
            .pathway
            .clone()
            .unwrap_or_else(|| "pw:cancer-map".into()),
        drugs: request.drugs.clone(),
        inputs: holds(&request.inputs, "inputs")?,
        fix: holds(&request.fix, "fix")?,
        without_medications: request.without_medications,
        options: RunOptions {
            trajectories: Some(request.trajectories.unwrap_or(2000)),
            seed: Some(request.seed.unwrap_or(1)),
            threads: None,
            // Defaults depend on the model kind: the engine sets them.
            max_time: request.max_time,
            time_tick: request.time_tick,
        },
    };
    let who = caller(&headers);
    let engine = state.engine.clone();
    let run = blocking(move || engine.simulate_twin(&id, &scenario, &who)).await?;
    Ok((StatusCode::CREATED, Json(run)).into_response())
}

/// `GET /runs/{id}[?format=csv]`: a run's summary (JSON), or its series (CSV, also by
/// `Accept: text/csv`).
pub(super) async fn run(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| bad(format!("malformed query string: {e}")))?;
    let csv = pairs.iter().any(|(k, v)| k == "format" && v == "csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"));
    let who = caller(&headers);
    let engine = state.engine.clone();
    let (summary, series) = blocking(move || engine.run(&id, &who)).await?;
    if csv {
        let text = std::fs::read_to_string(&series).map_err(|e| {
            ApiError::internal(format!("the run's series {}: {e}", series.display()))
        })?;
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response());
    }
    Ok(Json(summary).into_response())
}
