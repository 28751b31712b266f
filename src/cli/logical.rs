//! `twinpath logical …`: logical (Boolean) models: attractors, perturbation screens and
//! stochastic (MaBoSS-style) runs.

use super::ListFormat;
use crate::engine::{Engine, ModelSource, RunOptions};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

/// Which model: a file, or a MaBoSS pair.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// A BoolNet .bnet, SBML-qual .sbml/.xml or MaBoSS .bnd file.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["bnd", "pathway"],
        conflicts_with_all = ["bnd", "pathway"])]
    model: Option<PathBuf>,
    /// A pathway of the store, by IRI or CURIE (pw:cancer-map): compiled from its logic rules,
    /// or from its signed interactions where it has none.
    #[arg(long, value_name = "IRI", conflicts_with = "bnd")]
    pathway: Option<String>,
    /// A MaBoSS model (.bnd); its settings with --cfg.
    #[arg(long, value_name = "F.bnd")]
    bnd: Option<PathBuf>,
    /// MaBoSS settings (.cfg) for --bnd (default: the .cfg of the same name beside it).
    #[arg(long, value_name = "F.cfg", requires = "bnd")]
    cfg: Option<PathBuf>,
    /// Input values, NODE=0|1 separated by commas (by default every combination).
    #[arg(long, value_name = "N=0|1,...", value_delimiter = ',', value_parser = assignment)]
    inputs: Vec<(String, bool)>,
    /// Nodes held on or off (a mutation, a knock-out, a drug's target), NODE=0|1,...
    #[arg(long, value_name = "N=0|1,...", value_delimiter = ',', value_parser = assignment)]
    fix: Vec<(String, bool)>,
    /// Drugs of the store (with --pathway): each target they inhibit is held off, each they
    /// activate held on; in `simulate`, a target whose occupancy the drug's curated regimen and
    /// potency give has its rates scaled instead (on 1 − occupancy of the time its rule holds).
    /// Separated by commas.
    #[arg(
        long,
        value_name = "DRUG,...",
        value_delimiter = ',',
        requires = "pathway"
    )]
    drug: Vec<String>,
}

impl ModelArgs {
    /// Whether the model is read from the store (else from files, with no store needed).
    pub fn needs_store(&self) -> bool {
        self.pathway.is_some()
    }

    fn source(&self) -> ModelSource {
        if let Some(pathway) = &self.pathway {
            return ModelSource::Pathway(pathway.clone());
        }
        match (&self.model, &self.bnd) {
            (Some(model), _) => ModelSource::File {
                model: model.clone(),
                cfg: None,
            },
            (None, Some(bnd)) => ModelSource::File {
                model: bnd.clone(),
                cfg: self.cfg.clone(),
            },
            // clap requires one of the two.
            (None, None) => ModelSource::File {
                model: PathBuf::new(),
                cfg: None,
            },
        }
    }

    /// Inputs, then fixed nodes, then drugs' targets: a later hold wins (a drug acts on a
    /// mutated target).
    fn held(&self, engine: &Engine) -> crate::Result<Vec<(String, bool)>> {
        let mut held = self.inputs.clone();
        held.extend(self.fix.iter().cloned());
        engine.logical_holds(&self.source(), held, &self.drug)
    }
}

#[derive(Debug, Subcommand)]
pub enum LogicalCommand {
    /// The model as compiled, in BoolNet syntax: each rule curated (tw:logicRule) or derived
    /// from the signed interactions (marked `# derived`), for a curator to read and override.
    Rules {
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Every attractor of a Boolean network under asynchronous (default) or synchronous
    /// semantics: steady states and cyclic attractors, found completely and symbolically.
    ///
    /// JSON: {"attractors": [{"kind": "fixed"|"cyclic", "fixed": {node: 0|1}, "oscillating": [node],
    /// "states": "N"}], "nodes": n, "semantics": "asynchronous"|"synchronous"|"steady states",
    /// "complete": true|false}, with "unsettled": [{"inputs": {node: 0|1},
    /// "steady_states_complete": true|false}] when the time budget stopped the search.
    Attractors {
        #[command(flatten)]
        model: ModelArgs,
        /// Update semantics: `async` (one node at a time) or `sync` (all nodes at once).
        #[arg(long, default_value = "async", value_name = "async|sync")]
        semantics: String,
        /// The steady states alone (the same under both semantics; exact, and often quick
        /// where the whole search is not).
        #[arg(long)]
        steady_states: bool,
        /// Time budget of an asynchronous search, in seconds (0: none). A search it stops lists
        /// the steady states it finished and names the input combinations left unsettled.
        #[arg(long, default_value_t = 600.0, value_name = "SECONDS")]
        timeout: f64,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// A phenotype table: for the model as it is and under each perturbation, in how many
    /// attractors each phenotype node is on, off or oscillating.
    Perturb {
        #[command(flatten)]
        model: ModelArgs,
        /// Phenotype nodes to read, separated by commas.
        #[arg(long, value_name = "NODE,...", value_delimiter = ',', required = true)]
        phenotypes: Vec<String>,
        /// One perturbation: nodes held, N=0|1 separated by commas (a combination when several).
        /// Repeat for more rows.
        #[arg(long = "perturbation", value_name = "N=0|1,...", value_parser = perturbation)]
        perturbations: Vec<Vec<(String, bool)>>,
        /// Add every single knock-out (N=0) and over-expression (N=1) of the non-input nodes.
        #[arg(long)]
        single: bool,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// A continuous-time stochastic run as MaBoSS does it: per-node up and down rates, many
    /// trajectories in parallel, the probability of each output state over time.
    Simulate {
        #[command(flatten)]
        model: ModelArgs,
        /// Trajectories (default: the .cfg's sample_count, else 10,000).
        #[arg(long)]
        trajectories: Option<usize>,
        /// Seed (default: the .cfg's seed_pseudorandom, else 0).
        #[arg(long)]
        seed: Option<u64>,
        /// Threads (default: the .cfg's thread_count, else 1); the numbers do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        #[arg(long)]
        max_time: Option<f64>,
        #[arg(long)]
        time_tick: Option<f64>,
        /// Where to write the state probabilities over time, in MaBoSS's probtraj layout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Where to write each node's probability of being on over time (CSV).
        #[arg(long, value_name = "FILE")]
        marginals: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Record the run in the store (with --pathway): a tw:SimulationRun with the pathway's
        /// content hash, the scenario, the seed and the results; the series in the data
        /// directory's runs/ (see docs/twins.md).
        #[arg(long, requires = "pathway")]
        record: bool,
    },
}

pub(super) fn assignment(pair: &str) -> Result<(String, bool), String> {
    let (node, value) = pair
        .split_once('=')
        .ok_or_else(|| format!("{pair:?} is not NODE=0|1"))?;
    let value = match value.trim() {
        "1" | "true" | "on" => true,
        "0" | "false" | "off" => false,
        other => return Err(format!("{other:?} is not 0 or 1")),
    };
    Ok((node.trim().to_owned(), value))
}

fn perturbation(list: &str) -> Result<Vec<(String, bool)>, String> {
    list.split(',').map(assignment).collect()
}

fn describe(held: &[(String, bool)]) -> String {
    held.iter()
        .map(|(n, v)| format!("{n}={}", u8::from(*v)))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn run(engine: &Engine, command: LogicalCommand, out: &mut impl Write) -> anyhow::Result<()> {
    match command {
        LogicalCommand::Rules { model } => {
            let compiled = engine.logical_model(&model.source())?;
            let m = &compiled.model;
            writeln!(
                out,
                "# {} nodes, {} inputs, {} rules derived from signed interactions",
                m.nodes.len(),
                m.inputs().len(),
                compiled.derived.len()
            )?;
            writeln!(out, "targets, factors")?;
            for (i, node) in m.nodes.iter().enumerate() {
                let derived = compiled.derived.iter().any(|(n, _)| *n == node.name);
                let note = if derived {
                    format!("  # derived; {}", compiled.iris[i])
                } else {
                    String::new()
                };
                writeln!(out, "{}, {}{note}", node.name, m.rule_text(i))?;
            }
        }
        LogicalCommand::Attractors {
            model,
            semantics,
            steady_states,
            timeout,
            format,
        } => {
            let Some(semantics) = crate::sim::logical::Semantics::from_name(&semantics) else {
                anyhow::bail!(crate::Error::BadInput(format!(
                    "--semantics {semantics}: async or sync"
                )));
            };
            if !(timeout >= 0.0) || !timeout.is_finite() {
                anyhow::bail!(crate::Error::BadInput(format!(
                    "--timeout {timeout}: a number of seconds, 0 for none"
                )));
            }
            let budget = (timeout > 0.0).then(|| std::time::Duration::from_secs_f64(timeout));
            let answer = if steady_states {
                engine.logical_steady_states(&model.source(), &model.held(engine)?)?
            } else {
                engine.logical_attractors_under(
                    &model.source(),
                    &model.held(engine)?,
                    semantics,
                    budget,
                )?
            };
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&answer)?)?,
                ListFormat::Table => {
                    let rows: Vec<Vec<String>> = answer
                        .attractors
                        .iter()
                        .enumerate()
                        .map(|(i, a)| {
                            let on: Vec<&str> = a
                                .fixed
                                .iter()
                                .filter(|(_, v)| **v == 1)
                                .map(|(k, _)| k.as_str())
                                .collect();
                            vec![
                                (i + 1).to_string(),
                                a.kind.to_owned(),
                                a.states.clone(),
                                on.join(" "),
                                a.oscillating.join(" "),
                            ]
                        })
                        .collect();
                    super::render::table(
                        out,
                        &["#", "kind", "states", "on", "oscillating"],
                        &rows,
                    )?;
                    writeln!(
                        out,
                        "{} attractors ({} steady states) of {} nodes, {} semantics",
                        answer.attractors.len(),
                        answer.fixed_points(),
                        answer.nodes,
                        answer.semantics
                    )?;
                    for u in &answer.unsettled {
                        let inputs: Vec<String> =
                            u.inputs.iter().map(|(n, v)| format!("{n}={v}")).collect();
                        writeln!(
                            out,
                            "unsettled after {timeout} s: inputs {}: {}",
                            if inputs.is_empty() {
                                "(all)".to_owned()
                            } else {
                                inputs.join(",")
                            },
                            if u.steady_states_complete {
                                "its steady states are all listed, its cyclic attractors may not be"
                            } else {
                                "nothing of it is listed"
                            }
                        )?;
                    }
                }
            }
        }
        LogicalCommand::Perturb {
            model,
            phenotypes,
            mut perturbations,
            single,
            format,
        } => {
            let source = model.source();
            if single {
                let m = engine.logical_model(&source)?.model;
                let inputs = m.inputs();
                for (_, node) in m
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !inputs.contains(i))
                {
                    perturbations.push(vec![(node.name.clone(), false)]);
                    perturbations.push(vec![(node.name.clone(), true)]);
                }
            }
            let named: Vec<(String, Vec<(String, bool)>)> = perturbations
                .into_iter()
                .map(|p| (describe(&p), p))
                .collect();
            let table =
                engine.logical_perturbations(&source, &model.held(engine)?, &named, &phenotypes)?;
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&table)?)?,
                ListFormat::Table => {
                    let mut header = vec![
                        "perturbation".to_owned(),
                        "attractors".into(),
                        "steady".into(),
                    ];
                    header.extend(phenotypes.iter().map(|p| format!("{p} on/off/osc")));
                    let rows: Vec<Vec<String>> = table
                        .iter()
                        .map(|row| {
                            let mut cells = vec![
                                row.perturbation.clone(),
                                row.attractors.to_string(),
                                row.fixed_points.to_string(),
                            ];
                            for p in &phenotypes {
                                let c = &row.phenotypes[p];
                                cells.push(format!("{}/{}/{}", c.on, c.off, c.oscillating));
                            }
                            cells
                        })
                        .collect();
                    let header: Vec<&str> = header.iter().map(String::as_str).collect();
                    super::render::table(out, &header, &rows)?;
                }
            }
        }
        LogicalCommand::Simulate {
            model,
            trajectories,
            seed,
            threads,
            max_time,
            time_tick,
            out: probtraj,
            marginals,
            format,
            record,
        } => {
            let options = RunOptions {
                trajectories,
                seed,
                threads,
                max_time,
                time_tick,
            };
            let run = match (&model.pathway, record) {
                (Some(pathway), true) => {
                    let (recorded, run) = engine.simulate_pathway_recorded(
                        pathway,
                        &model.inputs,
                        &model.fix,
                        &model.drug,
                        &options,
                        &super::twin::local_user(),
                    )?;
                    eprintln!("recorded run {} ({})", recorded.id, recorded.iri);
                    run
                }
                _ => {
                    let mut held = model.inputs.clone();
                    held.extend(model.fix.iter().cloned());
                    engine.logical_simulate_with_drugs(
                        &model.source(),
                        &held,
                        &model.drug,
                        &options,
                    )?
                }
            };
            if let Some(path) = probtraj {
                std::fs::write(&path, run.to_probtraj())
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            }
            if let Some(path) = marginals {
                std::fs::write(&path, run.to_marginals_csv())
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            }
            let Some(last) = run.last() else {
                return Ok(());
            };
            match format {
                ListFormat::Json => {
                    let summary = serde_json::json!({
                        "trajectories": run.trajectories,
                        "seed": run.seed,
                        "time": last.time,
                        "states": last.states,
                        "marginals": run.nodes.iter().zip(&last.marginals)
                            .map(|(n, (p, e))| (n.clone(), serde_json::json!({"probability": p, "error": e})))
                            .collect::<serde_json::Map<_, _>>(),
                    });
                    writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
                }
                ListFormat::Table => {
                    let rows: Vec<Vec<String>> = last
                        .states
                        .iter()
                        .map(|s| {
                            vec![
                                s.state.clone(),
                                format!("{:.4}", s.probability),
                                format!("{:.4}", s.error),
                            ]
                        })
                        .collect();
                    super::render::table(out, &["state", "probability", "± s.e."], &rows)?;
                    writeln!(
                        out,
                        "{} trajectories, seed {}, window from t = {}",
                        run.trajectories, run.seed, last.time
                    )?;
                }
            }
        }
    }
    Ok(())
}

impl LogicalCommand {
    /// Whether the question is about a pathway of the store.
    pub fn needs_store(&self) -> bool {
        match self {
            LogicalCommand::Rules { model }
            | LogicalCommand::Attractors { model, .. }
            | LogicalCommand::Perturb { model, .. }
            | LogicalCommand::Simulate { model, .. } => model.needs_store(),
        }
    }
}
