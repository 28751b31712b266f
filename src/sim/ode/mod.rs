//! How does a kinetic model evolve? The one compiler from a `ReactionSystem` to an ODE right-hand
//! side with an exact Jacobian (`compile`), its integration with diffsol's BDF and SBML events
//! (`simulate`, over `solver`), virtual populations on all cores (`population`), and the SBML Test Suite's settings and agreement rule (`settings`).

pub mod compile;
pub mod history;
pub mod population;
pub mod settings;
pub mod simulate;
pub mod solver;

pub use compile::{compile, CompileError, OdeModel};
pub use population::{free_parameters, log_normal_members, simulate_population, summary, Member};
pub use settings::{Settings, SettingsError};
pub use simulate::{simulate, simulate_from, Quantity, SimulationError, Trajectory};
pub use solver::Tolerances;
