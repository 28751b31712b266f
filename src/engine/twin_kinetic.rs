//! What does a twin's kinetic pathway do over time? A kinetic model (`tw:KineticModel`)
//! personalized by the twin's record and simulated as ODEs: the same rules as a logical run,
//! read on species through what they represent (`tw:represents`), and the run recorded as
//! every twin run is.
//!
//! - A rate scale (age, microbiome) multiplies the kinetic law of every reaction that
//!   produces a species representing the scaled entity.
//! - A loss (a held-off gene) holds the species representing it at zero. A gain (held on)
//!   has no level in a kinetic model, so it changes nothing there; the run says so.
//! - A drug's regimen gives its exposure; a target it inhibits at occupancy `f` scales every
//!   reaction the target's species modifies (catalyses) by `1 − f`, or by 0 without an
//!   occupancy, as a logical run holds the target off.

use super::ode::{run as ode_run, OdeOptions};
use super::twins::{medication, Outcome, Scenario};
use super::{Engine, TwinScenario, TwinView};
use crate::error::{Error, Result};
use crate::model::logical::RateScale;
use crate::sim::ode::Quantity;
use crate::twin::provenance::{ScenarioDrug, ScenarioHold, ScenarioScale};
use crate::twin::{Change, RunRecord, RunResult};

/// Output rows when the caller gives no time tick.
const DEFAULT_POINTS: usize = 100;

impl Engine {
    /// Simulates the kinetic pathway `pathway` personalized by the twin in `view`, and
    /// records the run.
    pub(super) fn simulate_twin_kinetic(
        &self,
        view: &TwinView,
        pathway: String,
        scenario: &TwinScenario,
        started: String,
        who: &str,
    ) -> Result<RunRecord> {
        if !scenario.inputs.is_empty() || !scenario.fix.is_empty() {
            return Err(Error::BadInput(format!(
                "{pathway} is a kinetic model: it has no Boolean inputs or nodes to hold (set initial values with `simulate --pathway … --set`)"
            )));
        }
        let until = scenario.options.max_time.ok_or_else(|| {
            Error::BadInput(format!(
                "{pathway} is a kinetic model: give the horizon (max time, in the model's time unit)"
            ))
        })?;
        if !(until > 0.0) || !until.is_finite() {
            return Err(Error::BadInput(
                "the horizon (max time) must be a positive number".into(),
            ));
        }
        let points = match scenario.options.time_tick {
            Some(tick) if tick > 0.0 && tick.is_finite() => {
                let n = (until / tick).round();
                if n > 1e6 {
                    return Err(Error::BadInput(
                        "the time tick leaves more than a million output rows".into(),
                    ));
                }
                (n as usize).max(1)
            }
            Some(_) => {
                return Err(Error::BadInput(
                    "the time tick must be a positive number".into(),
                ))
            }
            None => DEFAULT_POINTS,
        };
        let mut system = self.store.reaction_system(&pathway)?;
        let represented = self.store.species_entities(&pathway)?;
        let species_of = |entity: &str| -> Vec<String> {
            represented
                .iter()
                .filter(|(_, e)| e == entity)
                .map(|(s, _)| s.clone())
                .collect()
        };
        let entity_of = |species: &str| {
            represented
                .iter()
                .find(|(s, _)| s == species)
                .map(|(_, e)| e.clone())
        };

        let mut holds: Vec<ScenarioHold> = Vec::new();
        let mut scales: Vec<ScenarioScale> = Vec::new();
        let mut drugs: Vec<ScenarioDrug> = Vec::new();
        for applied in &view.personalization.applied {
            match &applied.change {
                Change::Hold { gene, on } => {
                    for species in species_of(gene) {
                        if !on {
                            system.hold_at_zero(&species);
                        }
                        holds.push(ScenarioHold::by_rule(applied, species, gene, *on));
                    }
                }
                Change::Give { drug } if !scenario.without_medications => {
                    drugs.push(medication(applied, drug))
                }
                Change::Give { .. } => {}
                Change::Scale { entity, factor } => {
                    for species in species_of(entity) {
                        let reactions = system.scale_laws(*factor, |r| {
                            r.products.iter().any(|p| p.species == species)
                        });
                        let what = format!("production of {species} ({})", reactions.join(", "));
                        scales.push(ScenarioScale::by_rule(
                            applied, species, entity, *factor, &what,
                        ));
                    }
                }
            }
        }
        drugs.extend(self.requested_drugs(&scenario.drugs)?);
        let body = crate::engine::dosing::Body::of(&view.record);
        let net = self.network()?;
        for drug in &mut drugs {
            self.expose(drug, body, &view.record.medications)?;
            let Some(id) = net.find(&drug.drug) else {
                continue;
            };
            // A drug's edges are its targets, signed by its action; an inhibitor acts here.
            for step in net.adjacent(id, true) {
                if step.sign == crate::model::Sign::Positive {
                    continue;
                }
                let target = net.node(step.node).iri.clone();
                for species in species_of(&target) {
                    let fraction = drug
                        .exposure
                        .as_ref()
                        .and_then(|e| e.occupancy.iter().find(|o| o.target == target))
                        .map(|o| o.fraction);
                    let at_most = if drug
                        .exposure
                        .as_ref()
                        .is_some_and(|e| e.occupancy_upper_bound)
                    {
                        " at most (no protein binding curated)"
                    } else {
                        ""
                    };
                    let factor = 1.0 - fraction.unwrap_or(1.0);
                    let reactions =
                        system.scale_laws(factor, |r| r.modifiers.iter().any(|m| *m == species));
                    if reactions.is_empty() {
                        continue;
                    }
                    scales.push(ScenarioScale {
                        node: species.clone(),
                        node_iri: Some(target.clone()),
                        scale: RateScale {
                            up: factor,
                            off: 0.0,
                        },
                        because: drug.drug.clone(),
                        finding: drug.finding.clone(),
                        note: match fraction {
                            Some(f) => format!(
                                "occupancy {f:.4}{at_most}: reactions {species} catalyses ({}) × {factor:.4}",
                                reactions.join(", ")
                            ),
                            None => format!(
                                "no occupancy: reactions {species} catalyses ({}) stopped",
                                reactions.join(", ")
                            ),
                        },
                    });
                }
            }
        }

        let times: Vec<f64> = (0..=points)
            .map(|i| until * i as f64 / points as f64)
            .collect();
        let course = ode_run(
            &system,
            &times,
            &[],
            &|_| Quantity::AsIs,
            &OdeOptions::default(),
        )?;
        let last = course
            .rows
            .last()
            .ok_or_else(|| Error::Simulation("the run produced no output".into()))?;
        let at_time = last.first().copied().unwrap_or(until);
        let results = course
            .columns
            .iter()
            .zip(last.iter().skip(1))
            .map(|(column, value)| RunResult {
                node: column.clone(),
                node_iri: entity_of(column),
                probability: None,
                standard_error: None,
                value: Some(*value),
                at_time,
            })
            .collect();
        self.record_run(
            Scenario {
                pathway,
                twin: Some(view.record.iri.clone()),
                holds,
                scales,
                inputs: Vec::new(),
                drugs,
                started,
            },
            Outcome {
                kind: "ode",
                seed: None,
                trajectories: None,
                max_time: until,
                results,
                series_csv: course.to_csv(),
            },
            who,
        )
    }
}
