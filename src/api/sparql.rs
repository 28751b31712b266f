//! The SPARQL 1.1 Protocol: query by GET and POST (form or direct), update by POST behind a
//! bearer token, with content negotiation over the result syntaxes.

use super::{blocking, ApiError, AppState};
use crate::store::{Dataset, QueryAnswer, ResultFormat};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use oxigraph::model::NamedNode;

/// The protocol's parameters, from a URL query string or a form body.
#[derive(Debug, Default)]
struct Params {
    query: Option<String>,
    update: Option<String>,
    dataset: Dataset,
    /// `format=` overrides the Accept header (as Fuseki and oxigraph allow).
    format: Option<String>,
    /// Named-query parameters: every other pair.
    other: Vec<(String, String)>,
    using_graphs: bool,
    /// The operation sent directly as the POST body.
    body: Option<String>,
}

pub(super) fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message)
}

impl Params {
    fn parse(encoded: &[u8], into: &mut Params) -> Result<(), ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(encoded)
            .map_err(|e| bad_request(format!("malformed form or query string: {e}")))?;
        for (key, value) in pairs {
            let iri = |value: &str| {
                NamedNode::new(value)
                    .map_err(|e| bad_request(format!("{key}: {value:?} is not an IRI: {e}")))
            };
            match key.as_str() {
                "query" => into.query = Some(value),
                "update" => into.update = Some(value),
                "default-graph-uri" => into.dataset.default_graphs.push(iri(&value)?),
                "named-graph-uri" => into.dataset.named_graphs.push(iri(&value)?),
                "using-graph-uri" | "using-named-graph-uri" => into.using_graphs = true,
                "format" => into.format = Some(value),
                _ => into.other.push((key, value)),
            }
        }
        Ok(())
    }

    fn from_url(raw: Option<&str>) -> Result<Params, ApiError> {
        let mut params = Params::default();
        if let Some(raw) = raw {
            Params::parse(raw.as_bytes(), &mut params)?;
        }
        Ok(params)
    }
}

/// The parameters of a POST: form-encoded, or the operation itself as the body with `direct` as
/// its media type (`application/sparql-query` or `application/sparql-update`).
fn post_params(
    raw: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    direct: &str,
    route: &str,
) -> Result<Params, ApiError> {
    let mut params = Params::from_url(raw)?;
    match media_type(headers).as_deref() {
        Some("application/x-www-form-urlencoded") => Params::parse(body, &mut params)?,
        Some(media) if media == direct => {
            params.body = Some(
                String::from_utf8(body.to_vec())
                    .map_err(|_| bad_request(format!("the body sent to {route} is not UTF-8")))?,
            )
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!(
                    "POST {route} takes application/x-www-form-urlencoded or {direct}, not {}",
                    other.unwrap_or("a body without Content-Type")
                ),
            ))
        }
    }
    Ok(params)
}

pub(super) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// `GET /sparql?query=...`
pub(super) async fn query_get(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::from_url(raw.as_deref())?;
    if params.query.is_none() {
        // A bare GET /sparql from a browser: show the query page instead of an error.
        return Ok(super::page::index().await.into_response());
    }
    run_query(state, params, &headers).await
}

/// `POST /sparql` with `application/x-www-form-urlencoded` or `application/sparql-query`.
pub(super) async fn query_post(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut params = post_params(
        raw.as_deref(),
        &headers,
        &body,
        "application/sparql-query",
        "/sparql",
    )?;
    if let Some(query) = params.body.take() {
        params.query = Some(query);
    }
    run_query(state, params, &headers).await
}

async fn run_query(
    state: AppState,
    params: Params,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let query = params
        .query
        .ok_or_else(|| bad_request("missing the query parameter"))?;
    let engine = state.engine.clone();
    let mut dataset = params.dataset;
    dataset.public_only = !grants_patients(&state, headers)?;
    if !dataset.public_only {
        // A query with the token may read any twin: the audit log says so.
        state.engine.audit(&caller(headers), "sparql", "*")?;
    }
    let answer = within_deadline(&state, blocking(move || engine.query(&query, &dataset))).await?;
    render(&answer, params.format.as_deref(), headers)
}

/// Answers with a timeout error once the query's time is up, even when the evaluation has not
/// noticed its cancellation yet (oxigraph checks it when it reads the store, so a long in-memory
/// join runs on until its next read; its thread finishes then, the response does not wait).
async fn within_deadline<T>(
    state: &AppState,
    work: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let limit = state.engine.limits().timeout;
    // A little grace so that the engine's own, more precise cancellation answers first.
    match tokio::time::timeout(limit + std::time::Duration::from_millis(500), work).await {
        Ok(result) => result,
        Err(_) => Err(crate::Error::QueryTimeout(limit).into()),
    }
}

/// `GET /queries/{name}?param=value...`: a named query from `queries/`.
pub(super) async fn named_query(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::from_url(raw.as_deref())?;
    let engine = state.engine.clone();
    let values = params.other;
    let public_only = !grants_patients(&state, &headers)?;
    if !public_only {
        state
            .engine
            .audit(&caller(&headers), &format!("query:{name}"), "*")?;
    }
    let answer = within_deadline(
        &state,
        blocking(move || engine.run_named_query(&name, &values, public_only)),
    )
    .await?;
    render(&answer, params.format.as_deref(), &headers)
}

/// `POST /update` with `application/x-www-form-urlencoded` or `application/sparql-update`.
pub(super) async fn update(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let mut params = post_params(
        raw.as_deref(),
        &headers,
        &body,
        "application/sparql-update",
        "/update",
    )?;
    if let Some(update) = params.body.take() {
        params.update = Some(update);
    }
    if params.using_graphs {
        return Err(bad_request(
            "using-graph-uri and using-named-graph-uri are not supported; write USING or WITH in the update",
        ));
    }
    let update = params
        .update
        .ok_or_else(|| bad_request("missing the update parameter"))?;
    let engine = state.engine.clone();
    blocking(move || engine.update(&update)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &state.token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "updates-disabled",
            "updates and patient data are disabled on this server; start it with --token TOKEN \
             (or TWINPATH_TOKEN) and send the header Authorization: Bearer TOKEN",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(given) if constant_time_eq(given.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the bearer token is wrong",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "updates and patient data need the header Authorization: Bearer TOKEN",
        )),
    }
}

/// Whether the caller may see patients' graphs and runs: a request without a bearer token may
/// not (its queries run on the public graphs only); one with the server's token may; a wrong
/// token is refused rather than quietly treated as none.
pub(super) fn grants_patients(state: &AppState, headers: &HeaderMap) -> Result<bool, ApiError> {
    if headers.get(header::AUTHORIZATION).is_none() {
        return Ok(false);
    }
    authorize(state, headers).map(|()| true)
}

/// Who a request is, for the audit log: the token's fingerprint (never the token itself).
pub(super) fn caller(headers: &HeaderMap) -> String {
    use sha2::{Digest, Sha256};
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        Some(token) => {
            let digest = Sha256::digest(token.trim().as_bytes());
            let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            format!("token:{hex}")
        }
        None => "anonymous".into(),
    }
}

/// Compares without stopping at the first difference, so timing tells nothing about the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Picks the syntax for `answer` from `format=` or the Accept header and writes the answer in it.
pub(super) fn render(
    answer: &QueryAnswer,
    format: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let chosen = match format {
        Some(name) => ResultFormat::for_answer(name, answer)
            .ok_or_else(|| bad_request(format!("format={name} cannot hold this kind of answer")))?,
        None => negotiate(answer, headers.get(header::ACCEPT))?,
    };
    let body = answer.to_bytes(chosen).map_err(ApiError::from)?;
    let mut response = body.into_response();
    let content_type = match chosen.media_type() {
        t if t.starts_with("text/") => format!("{t}; charset=utf-8"),
        t => t.to_owned(),
    };
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(response)
}

/// Content negotiation by the Accept header's media ranges and q-values (RFC 9110 §12.5.1).
fn negotiate(answer: &QueryAnswer, accept: Option<&HeaderValue>) -> Result<ResultFormat, ApiError> {
    let Some(accept) = accept
        .and_then(|a| a.to_str().ok())
        .filter(|a| !a.trim().is_empty())
    else {
        return Ok(ResultFormat::default_for(answer));
    };
    let mut ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                })
                .next()
                .unwrap_or(1.0);
            (!media.is_empty() && q > 0.0).then_some((media, q))
        })
        .collect();
    // Stable: among equal q-values the client's order decides.
    ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (media, _) in ranges {
        if media == "*/*" || media == "application/*" && !answer.is_graph() {
            return Ok(ResultFormat::default_for(answer));
        }
        if media == "text/*" {
            return Ok(if answer.is_graph() {
                ResultFormat::Rdf(oxigraph::io::RdfFormat::Turtle)
            } else {
                ResultFormat::Results(oxigraph::sparql::results::QueryResultsFormat::Csv)
            });
        }
        if media == "application/*" {
            return Ok(ResultFormat::Rdf(oxigraph::io::RdfFormat::NTriples));
        }
        if let Some(format) = ResultFormat::for_answer(&media, answer) {
            return Ok(format);
        }
    }
    let offered: Vec<&str> = if answer.is_graph() {
        ResultFormat::GRAPHS
            .iter()
            .map(|f| f.media_type())
            .collect()
    } else {
        ResultFormat::RESULTS
            .iter()
            .map(|f| f.media_type())
            .collect()
    };
    Err(ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        "not-acceptable",
        format!(
            "cannot answer in {accept}; this answer is available as {}",
            offered.join(", ")
        ),
    ))
}
