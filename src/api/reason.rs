//! `GET /reason/{question}`: the interaction network's answers over HTTP, with the same
//! parameters as `twinpath reason` (repeat `node`, `perturb`, `drug`, `from`, `to` for several).

use super::{blocking, sparql::authorize, ApiError, AppState};
use crate::engine::{PerturbationKind, Scope};
use crate::reason::Stream;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::HashMap;

/// Longest bound a request may ask for: path enumeration grows fast with it.
const MAX_DEPTH: usize = 8;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message)
}

/// The query string as name → values, in order.
struct Params(HashMap<String, Vec<String>>);

impl Params {
    fn parse(raw: Option<String>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
            .map_err(|e| bad(format!("cannot read the query string: {e}")))?;
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            map.entry(k).or_default().push(v);
        }
        Ok(Self(map))
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.get(name).cloned().unwrap_or_default()
    }

    fn one(&self, name: &str) -> Option<String> {
        self.0.get(name).and_then(|v| v.first().cloned())
    }

    fn required(&self, name: &str) -> Result<String, ApiError> {
        self.one(name)
            .ok_or_else(|| bad(format!("missing the {name} parameter")))
    }

    fn number(&self, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.one(name) {
            None => Ok(default),
            Some(v) => {
                let n: usize = v
                    .parse()
                    .map_err(|_| bad(format!("{name} must be a whole number, not {v:?}")))?;
                if n > max {
                    return Err(bad(format!("{name} is at most {max}")));
                }
                Ok(n)
            }
        }
    }

    fn scope(&self) -> Scope {
        Scope {
            graph: self.one("graph"),
        }
    }

    fn direction(&self, default: Option<Stream>) -> Result<Option<Stream>, ApiError> {
        match self.one("direction").as_deref() {
            None => Ok(default),
            Some("both") => Ok(None),
            Some("downstream") => Ok(Some(Stream::Downstream)),
            Some("upstream") => Ok(Some(Stream::Upstream)),
            Some(other) => Err(bad(format!(
                "direction is both, downstream or upstream, not {other:?}"
            ))),
        }
    }
}

fn json(value: impl serde::Serialize) -> Response {
    Json(value).into_response()
}

/// `GET /reason/{downstream,upstream,paths,loops,impact,drugs,neighbourhood,paths-between,paths-from-to,common-stream}`.
pub(super) async fn reason(
    State(state): State<AppState>,
    Path(question): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw)?;
    // A twin's record is patient data: the same token as updates guards it.
    if p.one("twin").is_some() {
        authorize(&state, &headers).map_err(|mut e| {
            e.message = match e.status {
                StatusCode::FORBIDDEN => {
                    "a twin's record is patient data: this server was started without --token, \
                     so twins cannot be read over HTTP"
                        .into()
                }
                _ => "a twin's record is patient data: send the header Authorization: Bearer TOKEN"
                    .into(),
            };
            e
        })?;
    }
    let engine = state.engine.clone();
    let scope = p.scope();
    match question.as_str() {
        "downstream" | "upstream" => {
            let node = p.required("node")?;
            let depth = p.number("depth", 3, MAX_DEPTH)?;
            let stream = if question == "downstream" { Stream::Downstream } else { Stream::Upstream };
            Ok(json(blocking(move || engine.reach(&node, depth, stream, &scope)).await?))
        }
        "paths" => {
            let (from, to) = (p.required("from")?, p.required("to")?);
            let max_length = p.number("max_length", 4, MAX_DEPTH)?;
            let limit = p.number("limit", 50, 10_000)?;
            Ok(json(blocking(move || engine.paths(&from, &to, max_length, limit, &scope)).await?))
        }
        "loops" => {
            let node = p.one("node");
            let max_length = p.number("max_length", 5, MAX_DEPTH)?;
            let limit = p.number("limit", 100, 10_000)?;
            Ok(json(blocking(move || engine.loops(node.as_deref(), max_length, limit, &scope)).await?))
        }
        "impact" => {
            let mut perturbations = Vec::new();
            for text in p.all("perturb") {
                perturbations.push(PerturbationKind::parse_assignment(&text).map_err(bad)?);
            }
            let twin = p.one("twin");
            let depth = p.number("depth", 4, MAX_DEPTH)?;
            let shown = p.number("paths", 3, 100)?;
            Ok(json(
                blocking(move || engine.impact(&perturbations, twin.as_deref(), depth, shown, &scope)).await?,
            ))
        }
        "drugs" => {
            let drugs = p.all("drug");
            if drugs.is_empty() {
                return Err(bad("name at least one drug (drug=lapatinib&drug=palbociclib)"));
            }
            let depth = p.number("depth", 4, MAX_DEPTH)?;
            let shown = p.number("paths", 3, 100)?;
            Ok(json(blocking(move || engine.drug_reach(&drugs, depth, shown, &scope)).await?))
        }
        "neighbourhood" | "neighborhood" => {
            let nodes = p.all("node");
            let depth = p.number("depth", 1, MAX_DEPTH)?;
            let stream = p.direction(None)?;
            Ok(json(blocking(move || engine.neighbourhood(&nodes, depth, stream, &scope)).await?))
        }
        "paths-between" => {
            let nodes = p.all("node");
            let limit = p.number("max_length", 3, MAX_DEPTH)?;
            Ok(json(blocking(move || engine.paths_between(&nodes, limit, &scope)).await?))
        }
        "paths-from-to" => {
            let (from, to) = (p.all("from"), p.all("to"));
            let limit = p.number("max_length", 3, MAX_DEPTH)?;
            Ok(json(blocking(move || engine.paths_from_to(&from, &to, limit, &scope)).await?))
        }
        "common-stream" => {
            let nodes = p.all("node");
            let depth = p.number("depth", 2, MAX_DEPTH)?;
            let stream = p.direction(Some(Stream::Downstream))?.unwrap_or(Stream::Downstream);
            Ok(json(blocking(move || engine.common_stream(&nodes, depth, stream, &scope)).await?))
        }
        other => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "no reasoning question {other:?}; ask downstream, upstream, paths, loops, impact, drugs, \
                 neighbourhood, paths-between, paths-from-to or common-stream"
            ),
        )),
    }
}
