//! `twinpath simulate …`: kinetic (ODE) simulation of an SBML Test Suite case or of a pathway
//! of the store, written as CSV.

use crate::engine::{Engine, OdeOptions, OdeRequest, Population};
use crate::sim::ode::Tolerances;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SimulateArgs {
    /// An SBML Test Suite case: the model (SBML Level 2 or 3 core)…
    #[arg(long, value_name = "MODEL.xml", requires = "settings")]
    sbml: Option<PathBuf>,
    /// …and its settings file (start, duration, steps, variables, amount, concentration).
    #[arg(long, value_name = "SETTINGS.txt", requires = "sbml")]
    settings: Option<PathBuf>,
    /// Where to write the CSV (default: standard output).
    #[arg(long, value_name = "OUT.csv")]
    out: Option<PathBuf>,
    #[command(flatten)]
    solver: SolverArgs,
    #[command(subcommand)]
    command: Option<SimulateCommand>,
}

#[derive(Debug, Args, Clone, Copy)]
pub struct SolverArgs {
    /// Relative tolerance of the BDF solver.
    #[arg(long, value_name = "RTOL", global = true)]
    rtol: Option<f64>,
    /// Absolute tolerance of the BDF solver.
    #[arg(long, value_name = "ATOL", global = true)]
    atol: Option<f64>,
}

impl SolverArgs {
    fn options(&self) -> anyhow::Result<OdeOptions> {
        let mut tolerances = Tolerances::default();
        if let Some(r) = self.rtol {
            tolerances.relative = r;
        }
        if let Some(a) = self.atol {
            tolerances.absolute = a;
        }
        if !(tolerances.relative > 0.0) || !(tolerances.absolute > 0.0) {
            return Err(crate::Error::BadInput("--rtol and --atol must be positive".into()).into());
        }
        Ok(OdeOptions { tolerances })
    }
}

#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// Simulate a kinetic pathway of the store (an imported SBML model, or a curated pathway
    /// with reactions and kinetic laws) from time 0.
    Ode {
        /// The pathway, by IRI or CURIE.
        #[arg(long, value_name = "IRI")]
        pathway: String,
        /// The end time.
        #[arg(long, value_name = "T")]
        until: f64,
        /// Number of output intervals (the CSV has N + 1 rows).
        #[arg(long, value_name = "N", default_value_t = 100)]
        points: usize,
        /// Initial values to change, NAME=VALUE, repeatable or separated by commas.
        #[arg(long = "set", value_name = "NAME=VALUE", value_delimiter = ',', value_parser = setting)]
        set: Vec<(String, f64)>,
        /// Columns to write, separated by commas (default: every species and rate-rule variable).
        #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
        variables: Vec<String>,
        /// Where to write the CSV (default: standard output).
        #[arg(long, value_name = "FILE.csv")]
        out: Option<PathBuf>,
        /// Run a virtual population of N members instead of one run: every free parameter of
        /// each member is drawn log-normally around its value, and the columns are each
        /// variable's mean and 5th, 50th and 95th percentiles over the members.
        #[arg(long, value_name = "N")]
        population: Option<usize>,
        /// The standard deviation of the log of each parameter's factor in a population.
        #[arg(
            long,
            value_name = "SIGMA",
            default_value_t = 0.2,
            requires = "population"
        )]
        spread: f64,
        /// The seed of the population's draws.
        #[arg(
            long,
            value_name = "SEED",
            default_value_t = 1,
            requires = "population"
        )]
        seed: u64,
        /// Worker threads of a population (default: all cores); the numbers do not depend on it.
        #[arg(long, value_name = "T", requires = "population")]
        threads: Option<usize>,
    },
}

fn setting(text: &str) -> Result<(String, f64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE"))?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: {value:?} is not a number"))?;
    Ok((name.trim().to_string(), value))
}

impl SimulateArgs {
    /// Whether the run reads the store (a pathway) rather than files only.
    pub fn needs_store(&self) -> bool {
        self.command.is_some()
    }
}

pub fn run(engine: &Engine, args: SimulateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let options = args.solver.options()?;
    let (course, file) = match args.command {
        Some(SimulateCommand::Ode {
            pathway,
            until,
            points,
            set,
            variables,
            out,
            population,
            spread,
            seed,
            threads,
        }) => {
            let request = OdeRequest {
                pathway: crate::vocab::expand(&pathway).unwrap_or(pathway),
                until,
                points,
                set,
                variables,
                population: population.map(|size| Population {
                    size,
                    spread,
                    seed,
                    threads,
                }),
                options,
            };
            let course = engine.simulate_ode(&request)?;
            for failure in &course.failures {
                eprintln!("warning: {failure}");
            }
            (course, out)
        }
        None => {
            let (Some(model), Some(settings)) = (&args.sbml, &args.settings) else {
                return Err(crate::Error::BadInput(
                    "give --sbml MODEL.xml --settings SETTINGS.txt, or `simulate ode --pathway IRI --until T`".into(),
                )
                .into());
            };
            (
                engine.simulate_sbml_case(model, settings, &options)?,
                args.out,
            )
        }
    };
    let csv = course.to_csv();
    match file {
        Some(path) => std::fs::write(&path, csv).map_err(|source| crate::Error::Read {
            path: path.clone(),
            source,
        })?,
        None => out.write_all(csv.as_bytes())?,
    }
    Ok(())
}
