//! What is known about one patient, and what it does to a simulation: the twin's record as
//! plain values ([`record`]), the curated rules that turn it into a scenario
//! ([`personalize`]), and the statements that record a run of it ([`provenance`]).
//! Pure code: the store fills the record and writes the statements.

pub mod personalize;
pub mod provenance;
pub mod record;

pub use personalize::{personalize, Change, Personalization, PersonalizationRule, When};
pub use provenance::{RunRecord, RunResult};
pub use record::{Abundance, Finding, Medication, Observation, RunSummary, TwinRecord, Variant};
