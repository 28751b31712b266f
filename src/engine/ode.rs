//! Which values does a kinetic model take over time? The engine's ODE entry points: an SBML file
//! with a test-suite settings file, or a pathway of the store, read as a `ReactionSystem` through
//! the store's one reader, compiled and simulated.

use super::Engine;
use crate::error::{Error, Result};
use crate::model::math::Expr;
use crate::model::reactions::{InitialAssignment, ReactionSystem};
use crate::sim::ode::{self, Quantity, Settings, Tolerances};
use crate::store::Store;
use std::path::Path;

/// A simulated time course: a `time` column and one column per variable.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimeCourse {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<f64>>,
    /// Members of a population whose run failed (left out of the summaries), with why.
    pub failures: Vec<String>,
}

impl TimeCourse {
    /// The CSV text, in the SBML Test Suite's layout (`time,S1,S2`, numbers in full precision).
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        out.push_str("time");
        for c in &self.columns {
            out.push(',');
            out.push_str(c);
        }
        out.push('\n');
        for row in &self.rows {
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format_number(*v));
            }
            out.push('\n');
        }
        out
    }
}

fn format_number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "INF".into()
        } else {
            "-INF".into()
        }
    } else {
        format!("{v:?}")
    }
}

/// Solver and output options of an ODE run.
#[derive(Debug, Clone, Copy)]
pub struct OdeOptions {
    pub tolerances: Tolerances,
}

impl Default for OdeOptions {
    fn default() -> Self {
        OdeOptions {
            tolerances: Tolerances::default(),
        }
    }
}

impl Engine {
    /// Runs one SBML Test Suite case: the model file with its settings file.
    pub fn simulate_sbml_case(
        &self,
        model: &Path,
        settings: &Path,
        options: &OdeOptions,
    ) -> Result<TimeCourse> {
        let settings_text = std::fs::read_to_string(settings).map_err(|source| Error::Read {
            path: settings.to_path_buf(),
            source,
        })?;
        let settings = Settings::parse(&settings_text)
            .map_err(|e| Error::BadInput(format!("{}: {e}", settings.display())))?;
        let system = read_sbml_file(model)?;
        simulate_case(&system, &settings, options)
    }

    /// Simulates a kinetic pathway of the store from time 0 (see `OdeRequest`); with a
    /// population, the columns are each variable's mean and 5th, 50th and 95th percentiles
    /// over the members.
    pub fn simulate_ode(&self, request: &OdeRequest) -> Result<TimeCourse> {
        let mut system = self.store().reaction_system(&request.pathway)?;
        apply_overrides(&mut system, &request.set)?;
        let (until, points) = (request.until, request.points);
        if !(until > 0.0) || !until.is_finite() || points == 0 {
            return Err(Error::BadInput(
                "the horizon must be a positive number and the number of points at least 1".into(),
            ));
        }
        let times: Vec<f64> = (0..=points)
            .map(|i| until * i as f64 / points as f64)
            .collect();
        match &request.population {
            None => run(
                &system,
                &times,
                &request.variables,
                &|_| Quantity::AsIs,
                &request.options,
            ),
            Some(population) => run_population(
                &system,
                &times,
                &request.variables,
                population,
                &request.options,
            ),
        }
    }
}

/// A run of a kinetic pathway of the store.
#[derive(Debug, Clone)]
pub struct OdeRequest {
    pub pathway: String,
    /// The end time; the run starts at 0.
    pub until: f64,
    /// Output intervals: `points + 1` rows.
    pub points: usize,
    /// Initial values of parameters, species (in their math units) or compartments.
    pub set: Vec<(String, f64)>,
    /// Columns (all species and rate-rule variables when empty).
    pub variables: Vec<String>,
    pub population: Option<Population>,
    pub options: OdeOptions,
}

/// A virtual population: every free parameter of each member drawn log-normally around its value.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub size: usize,
    /// The standard deviation of the log of each parameter's factor.
    pub spread: f64,
    pub seed: u64,
    /// Worker threads (all cores when `None`); the numbers do not depend on it.
    pub threads: Option<usize>,
}

/// Reads an SBML file through the store: the file is written as RDF into a store in memory
/// and read back by the store's reader, the route every pathway takes to the compiler.
pub fn read_sbml_file(path: &Path) -> Result<ReactionSystem> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let scratch = Store::in_memory()?;
    let graph = scratch.import_sbml(&bytes, path)?;
    scratch.reaction_system(&crate::import::sbml::pathway_iri(&graph))
}

/// Sets initial values: a later initial assignment replaces any earlier one for the symbol.
fn apply_overrides(system: &mut ReactionSystem, set: &[(String, f64)]) -> Result<()> {
    for (name, value) in set {
        let known = system.compartments.iter().any(|c| &c.id == name)
            || system.species.iter().any(|s| &s.id == name)
            || system.parameters.iter().any(|p| &p.id == name);
        if !known {
            return Err(Error::BadInput(format!(
                "--set {name}: the model has no parameter, species or compartment of that name"
            )));
        }
        if system
            .rules
            .iter()
            .any(|r| matches!(r, crate::model::reactions::Rule::Assignment { variable, .. } if variable == name))
        {
            return Err(Error::BadInput(format!(
                "--set {name}: an assignment rule determines it at all times"
            )));
        }
        system.initial_assignments.retain(|a| &a.symbol != name);
        system.initial_assignments.push(InitialAssignment {
            symbol: name.clone(),
            math: Expr::number(*value),
        });
    }
    Ok(())
}

/// Runs a suite case on a reaction system.
pub fn simulate_case(
    system: &ReactionSystem,
    settings: &Settings,
    options: &OdeOptions,
) -> Result<TimeCourse> {
    // SBML time starts at 0; the settings' start only says where the output begins.
    let mut times = settings.times();
    if settings.start > 0.0 {
        times.insert(0, 0.0);
    }
    let mut course = run(
        system,
        &times,
        &settings.variables,
        &|v| settings.quantity(v),
        options,
    )?;
    if settings.start > 0.0 {
        course.rows.remove(0);
    }
    Ok(course)
}

pub(super) fn run(
    system: &ReactionSystem,
    times: &[f64],
    variables: &[String],
    quantity: &dyn Fn(&str) -> Quantity,
    options: &OdeOptions,
) -> Result<TimeCourse> {
    let model = ode::compile(system, 0.0).map_err(|e| Error::Simulation(e.to_string()))?;
    let columns = columns(system, &model, variables)?;
    let trajectory = ode::simulate(&model, times, options.tolerances)
        .map_err(|e| Error::Simulation(e.to_string()))?;
    let rows = trajectory
        .times
        .iter()
        .zip(&trajectory.points)
        .map(|(t, point)| {
            let mut row = vec![*t];
            for c in &columns {
                row.push(model.value(point, c, quantity(c)).unwrap_or(f64::NAN));
            }
            row
        })
        .collect();
    Ok(TimeCourse {
        columns,
        rows,
        failures: Vec::new(),
    })
}

/// The columns a run reports: the chosen variables, or every species and rate-rule variable.
fn columns(
    system: &ReactionSystem,
    model: &ode::OdeModel,
    variables: &[String],
) -> Result<Vec<String>> {
    let columns: Vec<String> = if variables.is_empty() {
        let mut c: Vec<String> = system.species.iter().map(|s| s.id.clone()).collect();
        c.extend(
            model
                .states
                .iter()
                .filter(|s| matches!(s.kind, ode::compile::StateKind::Variable))
                .map(|s| s.symbol.clone()),
        );
        c
    } else {
        variables.to_vec()
    };
    if let Some(c) = columns.iter().find(|c| !model.index.contains_key(*c)) {
        return Err(Error::BadInput(format!(
            "the model has no variable named {c}"
        )));
    }
    Ok(columns)
}

fn run_population(
    system: &ReactionSystem,
    times: &[f64],
    variables: &[String],
    population: &Population,
    options: &OdeOptions,
) -> Result<TimeCourse> {
    if population.size == 0 || !(population.spread >= 0.0) || !population.spread.is_finite() {
        return Err(Error::BadInput(
            "a population needs at least one member and a spread of 0 or more".into(),
        ));
    }
    let model = ode::compile(system, 0.0).map_err(|e| Error::Simulation(e.to_string()))?;
    let columns = columns(system, &model, variables)?;
    let ids: Vec<String> = system.parameters.iter().map(|p| p.id.clone()).collect();
    let parameters = ode::free_parameters(&model, &ids);
    let members = ode::log_normal_members(
        &model,
        &parameters,
        population.size,
        population.spread,
        population.seed,
    );
    let runs = ode::simulate_population(
        &model,
        &members,
        times,
        options.tolerances,
        population.threads,
    )
    .map_err(|e| Error::Simulation(e.to_string()))?;
    let mut failures = Vec::new();
    let mut done = Vec::new();
    for (i, run) in runs.into_iter().enumerate() {
        match run {
            Ok(t) => done.push(t),
            Err(e) => failures.push(format!("member {i}: {e}")),
        }
    }
    if done.is_empty() {
        return Err(Error::Simulation(format!(
            "every member's run failed; the first: {}",
            failures.first().map(String::as_str).unwrap_or("")
        )));
    }
    let mut header = Vec::new();
    for c in &columns {
        for stat in ["mean", "p05", "p50", "p95"] {
            header.push(format!("{c}_{stat}"));
        }
    }
    let mut rows = Vec::with_capacity(times.len());
    for (i, t) in times.iter().enumerate() {
        let mut row = vec![*t];
        for c in &columns {
            let mut values: Vec<f64> = done
                .iter()
                .filter_map(|traj| model.value(&traj.points[i], c, Quantity::AsIs))
                .filter(|v| v.is_finite())
                .collect();
            row.extend(ode::summary(&mut values));
        }
        rows.push(row);
    }
    Ok(TimeCourse {
        columns: header,
        rows,
        failures,
    })
}
