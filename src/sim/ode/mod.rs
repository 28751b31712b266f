//! How does a kinetic model evolve? The one compiler from a `ReactionSystem` to an ODE right-hand
//! side with an exact Jacobian (`compile`), its integration with diffsol's BDF and SBML events
//! (`simulate`, over `solver`), and the SBML Test Suite's settings and agreement rule (`settings`).

pub mod compile;
pub mod settings;
pub mod simulate;
pub mod solver;

pub use compile::{compile, CompileError, OdeModel};
pub use settings::{Settings, SettingsError};
pub use simulate::{simulate, Quantity, SimulationError, Trajectory};
pub use solver::Tolerances;
