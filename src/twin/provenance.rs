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

/// A drug given in a run's scenario, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioDrug {
    pub drug: String,
    pub because: String,
    pub finding: Option<String>,
}

/// One summary value of a run: a node's probability of being on at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub node: String,
    pub node_iri: Option<String>,
    pub probability: f64,
    pub standard_error: f64,
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
    pub seed: u64,
    pub trajectories: usize,
    pub max_time: f64,
    pub holds: Vec<ScenarioHold>,
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
        add(&run, &tw("seed"), Literal::from(self.seed as i64).into());
        add(
            &run,
            &tw("trajectories"),
            Literal::from(self.trajectories as i64).into(),
        );
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
            add(
                &res,
                &tw("probability"),
                Literal::from(r.probability).into(),
            );
            add(
                &res,
                &tw("standardError"),
                Literal::from(r.standard_error).into(),
            );
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
