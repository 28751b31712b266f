//! Which logical-model questions can be asked of the engine? Reading a model (a file, or a
//! pathway of the store), holding nodes as asked, and one `sim::logical` call.

use super::Engine;
use crate::error::{Error, Result};
use crate::model::logical::{LogicalModel, StochasticSettings};
use crate::sim::logical::stochastic::{self, Trajectories};
use crate::sim::logical::{self, Attractors, PerturbationOutcome};
use std::path::{Path, PathBuf};

/// Where a logical model comes from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// A BoolNet `.bnet`, SBML-qual `.sbml`/`.xml`, or MaBoSS `.bnd` file; for a `.bnd`, its
    /// `.cfg` (by default the file of the same name beside it, when there is one).
    File {
        model: PathBuf,
        cfg: Option<PathBuf>,
    },
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
    /// The model and its stochastic settings.
    pub fn logical_model(
        &self,
        source: &ModelSource,
    ) -> Result<(LogicalModel, StochasticSettings)> {
        match source {
            ModelSource::File { model, cfg } => read_model(model, cfg.as_deref()),
        }
    }

    /// Every attractor of the model with `fixed` nodes held at their values (inputs,
    /// mutations, drugs' targets).
    pub fn logical_attractors(
        &self,
        source: &ModelSource,
        fixed: &[(String, bool)],
    ) -> Result<Attractors> {
        let (model, _) = self.logical_model(source)?;
        let model = model.with_fixed(fixed).map_err(|e| bad(source, e))?;
        logical::attractors(&model).map_err(|e| bad(source, e))
    }

    /// For each perturbation (a named set of nodes held on or off), the attractors' phenotypes.
    pub fn logical_perturbations(
        &self,
        source: &ModelSource,
        fixed: &[(String, bool)],
        perturbations: &[(String, Vec<(String, bool)>)],
        phenotypes: &[String],
    ) -> Result<Vec<PerturbationOutcome>> {
        let (model, _) = self.logical_model(source)?;
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
        let (model, mut settings) = self.logical_model(source)?;
        let model = model.with_fixed(fixed).map_err(|e| bad(source, e))?;
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
    }
}

fn read_text(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).map_err(|source| Error::Read {
        path: file.to_path_buf(),
        source,
    })
}

/// A logical model file, by its extension.
fn read_model(file: &Path, cfg: Option<&Path>) -> Result<(LogicalModel, StochasticSettings)> {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let model = match extension.as_str() {
        "bnet" => crate::import::bnet::read(&read_text(file)?, file)?,
        "sbml" | "xml" => {
            let bytes = std::fs::read(file).map_err(|source| Error::Read {
                path: file.to_path_buf(),
                source,
            })?;
            crate::import::sbml_qual::read(&bytes, file)?
        }
        "bnd" => {
            let beside = file.with_extension("cfg");
            let cfg = match cfg {
                Some(c) => Some(c.to_path_buf()),
                None if beside.is_file() => Some(beside),
                None => None,
            };
            let cfg_text = cfg.as_deref().map(read_text).transpose()?;
            let cfg = cfg_text.as_deref().zip(cfg.as_deref());
            return crate::import::maboss::read(&read_text(file)?, file, cfg);
        }
        _ => {
            return Err(Error::BadInput(format!(
            "{}: a logical model is a BoolNet .bnet, an SBML-qual .sbml/.xml or a MaBoSS .bnd file",
            file.display()
        )))
        }
    };
    if cfg.is_some() {
        return Err(Error::BadInput(format!(
            "{}: a .cfg file goes with a MaBoSS .bnd model only",
            file.display()
        )));
    }
    let settings = StochasticSettings::for_nodes(model.nodes.len());
    Ok((model, settings))
}
