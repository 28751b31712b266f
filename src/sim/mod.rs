//! What does a model do over time, and where does it settle? Pure simulation and analysis of
//! the models `model/` describes: no store, no HTTP.

pub mod logical;
pub mod ode;
pub mod pk;
