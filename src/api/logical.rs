//! `POST /logical/{question}`: logical models over HTTP, with the parameters of
//! `twinpath logical` as a JSON body: `rules`, `attractors`, `perturb`, `simulate`.

use super::dto::{LogicalRequest, LogicalRule, LogicalRules};
use super::{blocking, ApiError, AppState};
use crate::engine::{Engine, ModelSource, RunOptions};
use crate::error::{Error, Result};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Most trajectories one request may ask for.
pub(super) const MAX_TRAJECTORIES: usize = 1_000_000;
/// How long an asynchronous attractor search may run over HTTP, by default and at most.
const DEFAULT_ATTRACTOR_BUDGET: std::time::Duration = std::time::Duration::from_secs(120);
const MAX_ATTRACTOR_BUDGET: std::time::Duration = std::time::Duration::from_secs(600);

pub(super) fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message)
}

/// Node values sent as `{node: 0|1}`.
pub(super) fn holds(
    map: &BTreeMap<String, u8>,
    what: &str,
) -> std::result::Result<Vec<(String, bool)>, ApiError> {
    map.iter()
        .map(|(node, v)| match v {
            0 | 1 => Ok((node.clone(), *v == 1)),
            _ => Err(bad(format!("{what}: {node} must be 0 or 1, not {v}"))),
        })
        .collect()
}

/// A model sent as text is written to a private scratch folder, read like a file, and the
/// folder removed: the same import and compiler as `--model`.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

static SCRATCH: AtomicU64 = AtomicU64::new(0);

fn source(request: &LogicalRequest) -> Result<(ModelSource, Option<Scratch>)> {
    match (&request.pathway, &request.model) {
        (Some(pathway), None) => Ok((ModelSource::Pathway(pathway.clone()), None)),
        (None, Some(text)) => {
            let extension = match request.format.as_deref() {
                Some("bnet") => "bnet",
                Some("sbml-qual") => "sbml",
                Some("maboss") => "bnd",
                other => {
                    return Err(Error::BadInput(format!(
                        "format must be bnet, sbml-qual or maboss, not {other:?}"
                    )))
                }
            };
            if request.cfg.is_some() && extension != "bnd" {
                return Err(Error::BadInput("cfg goes with a maboss model only".into()));
            }
            let dir = std::env::temp_dir().join(format!(
                "twinpath-logical-{}-{}",
                std::process::id(),
                SCRATCH.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).map_err(|source| Error::Read {
                path: dir.clone(),
                source,
            })?;
            let scratch = Scratch(dir.clone());
            let model = dir.join(format!("model.{extension}"));
            std::fs::write(&model, text).map_err(|source| Error::Read {
                path: model.clone(),
                source,
            })?;
            let cfg = match &request.cfg {
                Some(cfg_text) => {
                    let cfg = dir.join("model.cfg");
                    std::fs::write(&cfg, cfg_text).map_err(|source| Error::Read {
                        path: cfg.clone(),
                        source,
                    })?;
                    Some(cfg)
                }
                None => None,
            };
            Ok((ModelSource::File { model, cfg }, Some(scratch)))
        }
        _ => Err(Error::BadInput(
            "give either pathway or model (with its format)".into(),
        )),
    }
}

fn held(
    engine: &Engine,
    request: &LogicalRequest,
    model: &ModelSource,
) -> Result<Vec<(String, bool)>> {
    let to_bad = |e: ApiError| Error::BadInput(e.message);
    let mut held = holds(&request.inputs, "inputs").map_err(to_bad)?;
    held.extend(holds(&request.fix, "fix").map_err(to_bad)?);
    engine.logical_holds(model, held, &request.drugs)
}

pub(super) async fn logical(
    State(state): State<AppState>,
    Path(question): Path<String>,
    headers: axum::http::HeaderMap,
    Json(request): Json<LogicalRequest>,
) -> std::result::Result<Response, ApiError> {
    // A recorded run is a write, and runs are private: both need the token.
    let who = if request.record {
        if question != "simulate" || request.pathway.is_none() {
            return Err(bad("record is for simulate on a pathway"));
        }
        super::sparql::authorize(&state, &headers)?;
        super::sparql::caller(&headers)
    } else {
        String::new()
    };
    if !matches!(
        question.as_str(),
        "rules" | "attractors" | "perturb" | "simulate"
    ) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no logical question {question:?}: rules, attractors, perturb or simulate"),
        ));
    }
    let semantics = match request.semantics.as_deref() {
        None => crate::sim::logical::Semantics::Asynchronous,
        Some(name) => crate::sim::logical::Semantics::from_name(name)
            .ok_or_else(|| bad(format!("semantics {name:?}: async or sync")))?,
    };
    let budget = match request.timeout {
        None => DEFAULT_ATTRACTOR_BUDGET,
        Some(t) if t > 0.0 && t <= MAX_ATTRACTOR_BUDGET.as_secs_f64() => {
            std::time::Duration::from_secs_f64(t)
        }
        Some(_) => {
            return Err(bad(format!(
                "timeout is a number of seconds above 0 and at most {}",
                MAX_ATTRACTOR_BUDGET.as_secs()
            )))
        }
    };
    if request.trajectories.is_some_and(|n| n > MAX_TRAJECTORIES) {
        return Err(bad(format!("trajectories is at most {MAX_TRAJECTORIES}")));
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if request.threads.is_some_and(|t| t > threads) {
        return Err(bad(format!("threads is at most {threads} on this server")));
    }
    let engine = state.engine.clone();
    let answer = blocking(move || -> Result<serde_json::Value> {
        let (model, _scratch) = source(&request)?;
        match question.as_str() {
            "rules" => {
                let compiled = engine.logical_model(&model)?;
                let m = &compiled.model;
                let rules = LogicalRules {
                    inputs: m
                        .inputs()
                        .iter()
                        .map(|&i| m.nodes[i].name.clone())
                        .collect(),
                    nodes: (0..m.nodes.len())
                        .map(|i| LogicalRule {
                            node: m.nodes[i].name.clone(),
                            iri: compiled.iris[i].clone(),
                            rule: m.rule_text(i),
                            derived: compiled.derived.iter().any(|(n, _)| *n == m.nodes[i].name),
                        })
                        .collect(),
                };
                json(&rules)
            }
            "attractors" => {
                let held = held(&engine, &request, &model)?;
                if request.steady_states {
                    json(&engine.logical_steady_states(&model, &held)?)
                } else {
                    json(&engine.logical_attractors_under(
                        &model,
                        &held,
                        semantics,
                        Some(budget),
                    )?)
                }
            }
            "perturb" => {
                let held = held(&engine, &request, &model)?;
                let to_bad = |e: ApiError| Error::BadInput(e.message);
                let perturbations = request
                    .perturbations
                    .iter()
                    .map(|p| {
                        let list = holds(p, "perturbations").map_err(to_bad)?;
                        let name = list
                            .iter()
                            .map(|(n, v)| format!("{n}={}", u8::from(*v)))
                            .collect::<Vec<_>>()
                            .join(",");
                        Ok((name, list))
                    })
                    .collect::<Result<Vec<_>>>()?;
                json(&engine.logical_perturbations(
                    &model,
                    &held,
                    &perturbations,
                    &request.phenotypes,
                )?)
            }
            _ => {
                let options = RunOptions {
                    trajectories: request.trajectories,
                    seed: request.seed,
                    threads: request.threads,
                    max_time: request.max_time,
                    time_tick: request.time_tick,
                };
                if let (true, Some(pathway)) = (request.record, &request.pathway) {
                    let to_bad = |e: ApiError| Error::BadInput(e.message);
                    let (record, run) = engine.simulate_pathway_recorded(
                        pathway,
                        &holds(&request.inputs, "inputs").map_err(to_bad)?,
                        &holds(&request.fix, "fix").map_err(to_bad)?,
                        &request.drugs,
                        &options,
                        &who,
                    )?;
                    let mut answer = json(&run)?;
                    answer["run"] = serde_json::json!({"id": record.id, "iri": record.iri});
                    return Ok(answer);
                }
                let to_bad = |e: ApiError| Error::BadInput(e.message);
                let mut held = holds(&request.inputs, "inputs").map_err(to_bad)?;
                held.extend(holds(&request.fix, "fix").map_err(to_bad)?);
                json(&engine.logical_simulate_with_drugs(
                    &model,
                    &held,
                    &request.drugs,
                    &options,
                )?)
            }
        }
    })
    .await?;
    Ok(Json(answer).into_response())
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::BadInput(format!("cannot write the answer as JSON: {e}")))
}
