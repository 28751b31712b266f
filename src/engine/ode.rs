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

    /// Simulates the kinetic pathway `pathway` of the store from time 0 to `until`, reporting
    /// `points` intervals, with `set` overriding initial values of parameters, species or
    /// compartments; `variables` chooses the columns (all species and changing symbols when empty).
    pub fn simulate_ode(
        &self,
        pathway: &str,
        until: f64,
        points: usize,
        set: &[(String, f64)],
        variables: &[String],
        options: &OdeOptions,
    ) -> Result<TimeCourse> {
        let mut system = self.store().reaction_system(pathway)?;
        apply_overrides(&mut system, set)?;
        if !(until > 0.0) || !until.is_finite() || points == 0 {
            return Err(Error::BadInput(
                "the horizon must be a positive number and the number of points at least 1".into(),
            ));
        }
        let times: Vec<f64> = (0..=points)
            .map(|i| until * i as f64 / points as f64)
            .collect();
        run(&system, &times, variables, &|_| Quantity::AsIs, options)
    }
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

fn run(
    system: &ReactionSystem,
    times: &[f64],
    variables: &[String],
    quantity: &dyn Fn(&str) -> Quantity,
    options: &OdeOptions,
) -> Result<TimeCourse> {
    let model = ode::compile(system, 0.0).map_err(|e| Error::Simulation(e.to_string()))?;
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
    for c in &columns {
        if !model.index.contains_key(c) {
            return Err(Error::BadInput(format!(
                "the model has no variable named {c}"
            )));
        }
    }
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
    Ok(TimeCourse { columns, rows })
}
