//! Which logical-model questions can be asked of the engine? Reading a model (a file, or a
//! pathway of the store), holding nodes as asked, and one `sim::logical` call.

use super::Engine;
use crate::error::{Error, Result};
use crate::import::ImportFormat;
use crate::sim::logical::stochastic::{self, Trajectories};
use crate::sim::logical::{self, Attractors, PerturbationOutcome};
use crate::store::{CompiledLogical, LoadOptions, LoadSource, NoProgress, SourceFormat, Store};
use std::path::PathBuf;

/// Where a logical model comes from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// A BoolNet `.bnet`, SBML-qual `.sbml`/`.xml`, or MaBoSS `.bnd` file; for a `.bnd`, its
    /// `.cfg` (by default the file of the same name beside it, when there is one).
    File {
        model: PathBuf,
        cfg: Option<PathBuf>,
    },
    /// A pathway of the store, by IRI or CURIE (`pw:cancer-map`).
    Pathway(String),
}

/// What a caller may change in a stochastic run; `None` keeps the model's setting.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub trajectories: Option<usize>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub max_time: Option<f64>,
    pub time_tick: Option<f64>,
}

impl Engine {
    /// The model compiled from its source, with its stochastic settings and the rules that
    /// were derived rather than curated. A file is imported into a scratch store first, so a
    /// file and a stored pathway go through the same compiler.
    pub fn logical_model(&self, source: &ModelSource) -> Result<CompiledLogical> {
        match source {
            ModelSource::File { model, cfg } => {
                let extension = model
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let format = match extension.as_str() {
                    "bnet" | "sbml" | "bnd" => None,
                    "xml" => Some(SourceFormat::Import(ImportFormat::SbmlQual)),
                    _ => {
                        return Err(Error::BadInput(format!(
                            "{}: a logical model is a BoolNet .bnet, an SBML-qual .sbml/.xml or a MaBoSS .bnd file",
                            model.display()
                        )))
                    }
                };
                if cfg.is_some() && extension != "bnd" {
                    return Err(Error::BadInput(format!(
                        "{}: a .cfg file goes with a MaBoSS .bnd model only",
                        model.display()
                    )));
                }
                let scratch = Store::in_memory()?;
                let options = LoadOptions {
                    format,
                    companion: cfg.clone(),
                    ..LoadOptions::default()
                };
                let report = scratch.load(&LoadSource::File(model), &options, &NoProgress)?;
                let pathway = crate::import::logical::pathway_iri(&report.graph);
                scratch.logical_model(&pathway, &scratch.network()?)
            }
            ModelSource::Pathway(name) => {
                let name = name.trim();
                let iri = crate::vocab::expand(name).unwrap_or_else(|| name.to_owned());
                self.store.logical_model(&iri, self.network()?.as_ref())
            }
        }
    }

    /// The nodes a question holds: `held` (inputs, then mutations; a later hold wins) and
    /// then the targets of `drugs`, which act on a pathway of the store only.
    pub fn logical_holds(
        &self,
        source: &ModelSource,
        mut held: Vec<(String, bool)>,
        drugs: &[String],
    ) -> Result<Vec<(String, bool)>> {
        if !drugs.is_empty() {
            if !matches!(source, ModelSource::Pathway(_)) {
                return Err(Error::BadInput(
                    "drugs act on a pathway of the store".into(),
                ));
            }
            held.extend(self.drug_holds(source, drugs)?);
        }
        Ok(held)
    }

    /// What `drugs` do to a model compiled from a pathway: each target a drug inhibits
    /// (inhibitor, antagonist, antibody, degrader…) held off, each it activates held on.
    pub fn drug_holds(
        &self,
        source: &ModelSource,
        drugs: &[String],
    ) -> Result<Vec<(String, bool)>> {
        let compiled = self.logical_model(source)?;
        let net = self.network()?;
        let mut held = Vec::new();
        for drug in drugs {
            let id = self.resolve(&net, drug)?;
            if !net.node(id).is("tw:Drug") {
                return Err(Error::BadInput(format!(
                    "{drug} is not a drug of the store"
                )));
            }
            let mut any = false;
            // A drug's edges are its targets, signed by its action.
            for step in net.adjacent(id, true) {
                let Some(i) = compiled
                    .iris
                    .iter()
                    .position(|iri| net.find(iri) == Some(step.node))
                else {
                    continue;
                };
                held.push((
                    compiled.model.nodes[i].name.clone(),
                    step.sign == crate::model::Sign::Positive,
                ));
                any = true;
            }
            if !any {
                return Err(Error::BadInput(format!(
                    "no target of {drug} is a node of the model"
                )));
            }
        }
        Ok(held)
    }

    /// Every attractor of the model with `fixed` nodes held at their values (inputs,
    /// mutations, drugs' targets).
    pub fn logical_attractors(
        &self,
        source: &ModelSource,
        fixed: &[(String, bool)],
    ) -> Result<Attractors> {
        self.logical_attractors_under(source, fixed, logical::Semantics::Asynchronous, None)
    }

    /// The attractors under `semantics`: asynchronous (one node at a time) or synchronous
    /// (all at once), with `fixed` nodes held; a search stops after `budget` and says what it
    /// left unsettled.
    pub fn logical_attractors_under(
        &self,
        source: &ModelSource,
        fixed: &[(String, bool)],
        semantics: logical::Semantics,
        budget: Option<std::time::Duration>,
    ) -> Result<Attractors> {
        let model = self.logical_model(source)?.model;
        let model = model.with_fixed(fixed).map_err(|e| bad(source, e))?;
        match semantics {
            logical::Semantics::Asynchronous => logical::attractors_within(&model, budget),
            logical::Semantics::Synchronous => logical::sync::attractors_within(&model, budget),
        }
        .map_err(|e| bad(source, e))
    }

    /// The steady states alone of the model with `fixed` nodes held (exact; the first stage of
    /// the attractor search, often quick where the whole search is not).
    pub fn logical_steady_states(
        &self,
        source: &ModelSource,
        fixed: &[(String, bool)],
    ) -> Result<Attractors> {
        let model = self.logical_model(source)?.model;
        let model = model.with_fixed(fixed).map_err(|e| bad(source, e))?;
        logical::steady_states_of(&model).map_err(|e| bad(source, e))
    }

    /// For each perturbation (a named set of nodes held on or off), the attractors' phenotypes.
    pub fn logical_perturbations(
        &self,
        source: &ModelSource,
        fixed: &[(String, bool)],
        perturbations: &[(String, Vec<(String, bool)>)],
        phenotypes: &[String],
    ) -> Result<Vec<PerturbationOutcome>> {
        let model = self.logical_model(source)?.model;
        let model = model.with_fixed(fixed).map_err(|e| bad(source, e))?;
        logical::perturbation_table(&model, perturbations, phenotypes).map_err(|e| bad(source, e))
    }

    /// A continuous-time stochastic run (MaBoSS semantics) of the model with `fixed` nodes held.
    pub fn logical_simulate(
        &self,
        source: &ModelSource,
        fixed: &[(String, bool)],
        options: &RunOptions,
    ) -> Result<Trajectories> {
        self.logical_simulate_scaled(source, fixed, &[], options)
    }

    /// A stochastic run with `fixed` nodes held and some nodes' rates scaled (a drug's partial
    /// occupancy of its target, a twin's age or microbiome; see `LogicalModel::with_rates_scaled`).
    pub fn logical_simulate_scaled(
        &self,
        source: &ModelSource,
        fixed: &[(String, bool)],
        scales: &[(String, crate::model::logical::RateScale)],
        options: &RunOptions,
    ) -> Result<Trajectories> {
        let CompiledLogical {
            model,
            mut settings,
            ..
        } = self.logical_model(source)?;
        let model = model
            .with_fixed(fixed)
            .and_then(|m| m.with_rates_scaled(scales))
            .map_err(|e| bad(source, e))?;
        // A held node starts at its value too, not only stays there.
        for (name, value) in fixed {
            if let Some(i) = model.index(name) {
                settings.set_initial(crate::model::logical::InitialState {
                    nodes: vec![i],
                    choices: vec![(1.0, vec![*value])],
                });
            }
        }
        if let Some(n) = options.trajectories {
            settings.sample_count = n;
        }
        if let Some(seed) = options.seed {
            settings.seed = seed;
        }
        if let Some(threads) = options.threads {
            settings.threads = threads;
        }
        if let Some(t) = options.max_time {
            settings.max_time = t;
        }
        if let Some(t) = options.time_tick {
            settings.time_tick = t;
        }
        stochastic::simulate(&model, &settings).map_err(|e| bad(source, e))
    }
}

fn bad(source: &ModelSource, message: String) -> Error {
    match source {
        ModelSource::File { model, .. } => {
            Error::BadInput(format!("{}: {message}", model.display()))
        }
        ModelSource::Pathway(iri) => Error::BadInput(format!("{iri}: {message}")),
    }
}
