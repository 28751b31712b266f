//! How is a simulation run written back into the store? As a `tw:SimulationRun` (a
//! `prov:Activity`) in its own graph: who asked and when, the twin, the scenario (every hold,
//! input and drug, with the rule or request behind it), the content hash of every graph the
//! model was compiled from, the seed and the software version, and its summary results.
//! With these a run can be reproduced, and SPARQL can join a twin's facts to its outcomes.

use crate::vocab;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};
use serde::Serialize;

/// A node held in a run's scenario, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioHold {
    pub node: String,
    /// The entity the node was compiled from.
    pub node_iri: Option<String>,
    pub on: bool,
    /// The personalization rule behind it, or `tw:Requested`.
    pub because: String,
    /// The twin's record the rule read.
    pub finding: Option<String>,
}

impl ScenarioHold {
    /// `node` (standing for `entity`) held by the twin's rule `applied`.
    pub fn by_rule(
        applied: &crate::twin::personalize::Applied,
        node: String,
        entity: &str,
        on: bool,
    ) -> ScenarioHold {
        ScenarioHold {
            node,
            node_iri: Some(entity.to_owned()),
            on,
            because: applied.rule.clone(),
            finding: Some(applied.finding.clone()),
        }
    }
}

/// A drug given in a run's scenario, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioDrug {
    pub drug: String,
    pub because: String,
    pub finding: Option<String>,
    /// What its regimen gives at steady state, when the drug's PK parameters allow a model.
    pub exposure: Option<DrugExposure>,
    /// Why there is no exposure (a missing parameter); its targets are then held.
    pub no_exposure: Option<String>,
}

/// A regimen's exposure at steady state, from the drug's one-compartment PK model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrugExposure {
    pub regimen: crate::sim::pk::Regimen,
    /// Where the regimen came from (the curated dose parameter, and the body weight used).
    pub regimen_source: String,
    pub model: crate::sim::pk::OneCompartment,
    pub doses: usize,
    /// mg/L over the last dosing interval.
    pub cmax: f64,
    pub cmin: f64,
    pub cavg: f64,
    /// mg·h/L over the last dosing interval.
    pub auc: f64,
    /// The unbound mean concentration in nM, when the molar mass is curated.
    pub unbound_cavg_nm: Option<f64>,
    /// No protein binding is curated for this small molecule: `unbound_cavg_nm` is the total
    /// concentration, and each occupancy an upper bound.
    pub occupancy_upper_bound: bool,
    pub occupancy: Vec<Occupancy>,
}

/// The fraction of a target a drug binds at its unbound mean concentration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occupancy {
    pub target: String,
    /// The drug–target interaction that gives the potency.
    pub interaction: String,
    pub measure: String,
    pub potency_nm: f64,
    pub fraction: f64,
}

/// A node whose rates a run scales (see `LogicalModel::with_rates_scaled`), and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioScale {
    pub node: String,
    pub node_iri: Option<String>,
    pub scale: crate::model::logical::RateScale,
    /// The rule or drug behind it.
    pub because: String,
    pub finding: Option<String>,
    /// The reason in words (`occupancy 0.998 of ERBB2`, `age 81: × 3.24`).
    pub note: String,
}

impl ScenarioScale {
    /// `node` (standing for `entity`) produced `factor` times faster by the twin's rule
    /// `applied` (age, microbiome); `what` says what was scaled.
    pub fn by_rule(
        applied: &crate::twin::personalize::Applied,
        node: String,
        entity: &str,
        factor: f64,
        what: &str,
    ) -> ScenarioScale {
        ScenarioScale {
            node,
            node_iri: Some(entity.to_owned()),
            scale: crate::model::logical::RateScale {
                up: factor,
                off: 0.0,
            },
            because: applied.rule.clone(),
            finding: Some(applied.finding.clone()),
            note: format!("{}: {what} × {factor:.3}", applied.finding_label),
        }
    }
}

/// One summary value of a run at a time: a logical run's probability that a node is on (with
/// its standard error), or a kinetic run's value of a species.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub node: String,
    pub node_iri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_error: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    pub at_time: f64,
}

/// Everything a run records.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: String,
    pub iri: String,
    pub twin: Option<String>,
    pub requested_by: String,
    /// RFC 3339 times.
    pub started: String,
    pub ended: String,
    pub pathway: String,
    /// (graph IRI, SHA-256 of its content) for every graph the model was read from.
    pub graphs: Vec<(String, String)>,
    pub kind: String,
    /// A stochastic run's seed and trajectories; a kinetic run has neither.
    pub seed: Option<u64>,
    pub trajectories: Option<usize>,
    pub max_time: f64,
    pub holds: Vec<ScenarioHold>,
    pub scales: Vec<ScenarioScale>,
    pub inputs: Vec<(String, bool)>,
    pub drugs: Vec<ScenarioDrug>,
    pub results: Vec<RunResult>,
    /// The series file, relative to the data directory.
    pub series_file: Option<String>,
    pub software: String,
}

/// A run's IRI from its id.
pub fn run_iri(id: &str) -> String {
    format!("{}run/{}", vocab::ID, vocab::encode_segment(id))
}

/// The graph holding a run's statements.
pub fn run_graph(id: &str) -> String {
    format!("{}{}", vocab::RUN_GRAPH, vocab::encode_segment(id))
}

impl RunRecord {
    /// The run's statements, all in its own graph.
    pub fn quads(&self) -> Vec<Quad> {
        let graph = GraphName::NamedNode(NamedNode::new_unchecked(run_graph(&self.id)));
        let mut quads = Vec::new();
        let mut add = |s: &NamedNode, p: &str, o: Term| {
            quads.push(Quad::new(
                s.clone(),
                NamedNode::new_unchecked(p),
                o,
                graph.clone(),
            ))
        };
        let tw = |local: &str| format!("{}{local}", vocab::TW);
        let prov = |local: &str| format!("{}{local}", vocab::PROV);
        let rdfs = |local: &str| format!("http://www.w3.org/2000/01/rdf-schema#{local}");
        let iri = |s: &str| Term::NamedNode(NamedNode::new_unchecked(s));
        const TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
        let run = NamedNode::new_unchecked(&self.iri);
        add(&run, TYPE, iri(&tw("SimulationRun")));
        add(&run, TYPE, iri(&prov("Activity")));
        add(
            &run,
            &tw("simulationKind"),
            Literal::new_simple_literal(&self.kind).into(),
        );
        add(
            &run,
            &tw("requestedBy"),
            Literal::new_simple_literal(&self.requested_by).into(),
        );
        add(&run, &prov("startedAtTime"), datetime(&self.started));
        add(&run, &prov("endedAtTime"), datetime(&self.ended));
        if let Some(seed) = self.seed {
            add(&run, &tw("seed"), Literal::from(seed as i64).into());
        }
        if let Some(n) = self.trajectories {
            add(&run, &tw("trajectories"), Literal::from(n as i64).into());
        }
        add(&run, &tw("maxTime"), Literal::from(self.max_time).into());
        add(
            &run,
            &tw("softwareVersion"),
            Literal::new_simple_literal(&self.software).into(),
        );
        add(&run, &tw("pathway"), iri(&self.pathway));
        add(&run, &prov("used"), iri(&self.pathway));
        if let Some(twin) = &self.twin {
            add(&run, &tw("twin"), iri(twin));
            add(&run, &prov("used"), iri(twin));
        }
        for (i, (graph_iri, hash)) in self.graphs.iter().enumerate() {
            let used = NamedNode::new_unchecked(format!("{}/content/{i}", self.iri));
            add(&run, &prov("used"), used.clone().into());
            add(&used, TYPE, iri(&prov("Entity")));
            add(&used, &tw("pathwayGraph"), iri(graph_iri));
            add(
                &used,
                &tw("contentHash"),
                Literal::new_simple_literal(hash).into(),
            );
        }
        let scenario = NamedNode::new_unchecked(format!("{}/scenario", self.iri));
        add(&run, &tw("scenario"), scenario.clone().into());
        add(&run, &prov("used"), scenario.clone().into());
        add(&scenario, TYPE, iri(&tw("Scenario")));
        for hold in &self.holds {
            let h = NamedNode::new_unchecked(format!(
                "{}/hold/{}",
                scenario.as_str(),
                vocab::encode_segment(&hold.node)
            ));
            add(&scenario, &tw("hold"), h.clone().into());
            add(
                &h,
                &tw("nodeName"),
                Literal::new_simple_literal(&hold.node).into(),
            );
            if let Some(n) = &hold.node_iri {
                add(&h, &tw("node"), iri(n));
            }
            add(&h, &tw("holds"), Literal::from(hold.on).into());
            add(&h, &tw("because"), iri(&hold.because));
            if let Some(f) = &hold.finding {
                add(&h, &tw("finding"), iri(f));
            }
        }
        for (node, on) in &self.inputs {
            let h = NamedNode::new_unchecked(format!(
                "{}/input/{}",
                scenario.as_str(),
                vocab::encode_segment(node)
            ));
            add(&scenario, &tw("input"), h.clone().into());
            add(
                &h,
                &tw("nodeName"),
                Literal::new_simple_literal(node).into(),
            );
            add(&h, &tw("holds"), Literal::from(*on).into());
        }
        for (i, d) in self.drugs.iter().enumerate() {
            add(&scenario, &tw("drug"), iri(&d.drug));
            let g = NamedNode::new_unchecked(format!("{}/drug/{i}", scenario.as_str()));
            add(&scenario, &tw("hold"), g.clone().into());
            add(&g, &tw("drug"), iri(&d.drug));
            add(&g, &tw("because"), iri(&d.because));
            if let Some(f) = &d.finding {
                add(&g, &tw("finding"), iri(f));
            }
            if let Some(why) = &d.no_exposure {
                add(
                    &g,
                    &tw("noExposure"),
                    Literal::new_simple_literal(why).into(),
                );
            }
            if let Some(e) = &d.exposure {
                // The exposure is a result of the run, as the AUC of a drug is.
                let x = NamedNode::new_unchecked(format!("{}/exposure/{i}", self.iri));
                add(&g, &tw("exposure"), x.clone().into());
                add(&run, &prov("generated"), x.clone().into());
                add(&x, TYPE, iri(&tw("Result")));
                add(&x, TYPE, iri(&tw("DrugExposure")));
                add(&x, &tw("drug"), iri(&d.drug));
                let route = match e.regimen.route {
                    crate::sim::pk::Route::Oral => "Oral",
                    crate::sim::pk::Route::Intravenous => "Intravenous",
                };
                add(&x, &tw("route"), iri(&tw(route)));
                add(&x, &tw("doseMg"), Literal::from(e.regimen.dose_mg).into());
                add(
                    &x,
                    &tw("intervalHours"),
                    Literal::from(e.regimen.interval_h).into(),
                );
                add(
                    &x,
                    &tw("regimenSource"),
                    Literal::new_simple_literal(&e.regimen_source).into(),
                );
                add(&x, &tw("cmax"), Literal::from(e.cmax).into());
                add(&x, &tw("cmin"), Literal::from(e.cmin).into());
                add(&x, &tw("cavg"), Literal::from(e.cavg).into());
                add(&x, &tw("auc"), Literal::from(e.auc).into());
                if let Some(nm) = e.unbound_cavg_nm {
                    add(&x, &tw("unboundCavgNanomolar"), Literal::from(nm).into());
                }
                if e.occupancy_upper_bound {
                    add(&x, &tw("occupancyUpperBound"), Literal::from(true).into());
                }
                for (j, o) in e.occupancy.iter().enumerate() {
                    let oc = NamedNode::new_unchecked(format!("{}/occupancy/{j}", x.as_str()));
                    add(&x, &tw("occupancy"), oc.clone().into());
                    add(&oc, &tw("target"), iri(&o.target));
                    add(&oc, &tw("potencyOf"), iri(&o.interaction));
                    add(&oc, &tw("fraction"), Literal::from(o.fraction).into());
                }
            }
        }
        for s in &self.scales {
            let h = NamedNode::new_unchecked(format!(
                "{}/scale/{}/{}",
                scenario.as_str(),
                vocab::encode_segment(&s.node),
                vocab::encode_segment(&s.because)
            ));
            add(&scenario, &tw("scale"), h.clone().into());
            add(
                &h,
                &tw("nodeName"),
                Literal::new_simple_literal(&s.node).into(),
            );
            if let Some(n) = &s.node_iri {
                add(&h, &tw("node"), iri(n));
            }
            add(&h, &tw("upRateFactor"), Literal::from(s.scale.up).into());
            add(&h, &tw("offRateFromUp"), Literal::from(s.scale.off).into());
            add(&h, &tw("because"), iri(&s.because));
            if let Some(f) = &s.finding {
                add(&h, &tw("finding"), iri(f));
            }
            add(
                &h,
                &rdfs("comment"),
                Literal::new_simple_literal(&s.note).into(),
            );
        }
        for r in &self.results {
            let res = NamedNode::new_unchecked(format!(
                "{}/result/{}",
                self.iri,
                vocab::encode_segment(&r.node)
            ));
            add(&run, &prov("generated"), res.clone().into());
            add(&res, TYPE, iri(&tw("Result")));
            add(
                &res,
                &tw("nodeName"),
                Literal::new_simple_literal(&r.node).into(),
            );
            if let Some(n) = &r.node_iri {
                add(&res, &tw("node"), iri(n));
            }
            if let Some(p) = r.probability {
                add(&res, &tw("probability"), Literal::from(p).into());
            }
            if let Some(e) = r.standard_error {
                add(&res, &tw("standardError"), Literal::from(e).into());
            }
            if let Some(v) = r.value {
                add(&res, &tw("simulatedValue"), Literal::from(v).into());
            }
            add(&res, &tw("atTime"), Literal::from(r.at_time).into());
        }
        if let Some(file) = &self.series_file {
            let series = NamedNode::new_unchecked(format!("{}/series", self.iri));
            add(&run, &prov("generated"), series.clone().into());
            add(&series, TYPE, iri(&prov("Entity")));
            add(
                &series,
                &tw("seriesFile"),
                Literal::new_simple_literal(file).into(),
            );
            add(
                &series,
                &tw("mediaType"),
                Literal::new_simple_literal("text/csv").into(),
            );
        }
        quads
    }
}

fn datetime(text: &str) -> Term {
    Literal::new_typed_literal(text, oxigraph::model::vocab::xsd::DATE_TIME).into()
}

/// Now, as RFC 3339.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
