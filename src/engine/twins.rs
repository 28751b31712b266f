//! What can be done with patient twins? Import FHIR records, list and read twins (every read
//! audited), personalize a pathway's logical model from a twin's record (holds, drugs at the
//! occupancy their regimens give, rates scaled by age and microbiome), simulate it, and
//! record the run with its provenance in the store and its series beside it.

use super::{Engine, ModelSource, RunOptions};
use crate::error::{Error, Result};
use crate::import::fhir::{FhirBatch, RecordProblem};
use crate::model::logical::RateScale;
use crate::store::{TwinImported, TwinSummary};
use crate::twin::provenance::{self, ScenarioDrug, ScenarioHold, ScenarioScale};
use crate::twin::{personalize, Change, Personalization, RunRecord, RunResult, TwinRecord};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What an import of FHIR files did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TwinImportReport {
    pub twins: Vec<TwinImported>,
    /// Bad records, left out (or, with `strict`, the reason nothing was imported).
    pub problems: Vec<RecordProblem>,
    /// Resource types that are not part of a twin's record, counted.
    pub left_out: BTreeMap<String, usize>,
    pub resources: usize,
    pub files: usize,
}

/// A twin's record with what the personalization rules make of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TwinView {
    #[serde(flatten)]
    pub record: TwinRecord,
    pub personalization: Personalization,
}

/// What a simulation of a twin is asked to do; the twin's record adds the rest.
#[derive(Debug, Clone, Default)]
pub struct TwinScenario {
    /// The pathway (IRI or CURIE); its logical model is simulated.
    pub pathway: String,
    /// Drugs given on top of the twin's active medications (names, CURIEs or IRIs).
    pub drugs: Vec<String>,
    /// Input nodes' values.
    pub inputs: Vec<(String, bool)>,
    /// Nodes held by request; they override the twin's rules.
    pub fix: Vec<(String, bool)>,
    /// Leave the twin's active medications out (to compare with and without them).
    pub without_medications: bool,
    pub options: RunOptions,
}

/// A logical scenario ready to run: the compiled model and the scenario to record.
struct Recorded<'a> {
    compiled: &'a crate::store::CompiledLogical,
    scenario: Scenario,
}

/// A logical twin run's horizon and output interval when the caller gives none.
const LOGICAL_MAX_TIME: f64 = 20.0;
const LOGICAL_TIME_TICK: f64 = 1.0;

/// The scenario of a run as it is recorded, whatever the model kind.
pub(super) struct Scenario {
    pub pathway: String,
    pub twin: Option<String>,
    pub holds: Vec<ScenarioHold>,
    pub scales: Vec<ScenarioScale>,
    pub inputs: Vec<(String, bool)>,
    pub drugs: Vec<ScenarioDrug>,
    pub started: String,
}

/// What a run produced: its summary results and its full series as CSV.
pub(super) struct Outcome {
    pub kind: &'static str,
    pub seed: Option<u64>,
    pub trajectories: Option<usize>,
    pub max_time: f64,
    pub results: Vec<RunResult>,
    pub series_csv: String,
}

/// One line of the audit log: who read which twin's data, when, and how.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    pub time: String,
    pub who: String,
    pub action: String,
    pub twin: String,
}

/// The files a twin import reads: JSON and NDJSON, folders searched recursively.
fn fhir_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let read = std::fs::read_dir(dir).map_err(|source| Error::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut entries: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out)?;
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("ndjson"))
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

impl Engine {
    /// Imports FHIR files and folders as twins. Bad records are reported and left out, or,
    /// with `strict`, nothing is imported; either way nothing is half-written.
    pub fn import_twins(&self, paths: &[PathBuf], strict: bool) -> Result<TwinImportReport> {
        let files = fhir_files(paths)?;
        if files.is_empty() {
            return Err(Error::BadInput(
                "no FHIR files (.json, .ndjson) to import".into(),
            ));
        }
        let mut inputs = Vec::new();
        for file in &files {
            let bytes = std::fs::read(file).map_err(|source| Error::Read {
                path: file.clone(),
                source,
            })?;
            inputs.push((file.clone(), bytes));
        }
        let inputs: Vec<(&Path, &[u8])> = inputs
            .iter()
            .map(|(f, b)| (f.as_path(), b.as_slice()))
            .collect();
        self.import_twin_sources(&inputs, strict)
    }

    /// Imports FHIR content held in memory (an HTTP upload, the bundled sample twins).
    pub fn import_twin_sources(
        &self,
        sources: &[(&Path, &[u8])],
        strict: bool,
    ) -> Result<TwinImportReport> {
        let joins = self.store.twin_joins()?;
        let mut batch = FhirBatch::default();
        for (file, bytes) in sources {
            batch.read_file(bytes, file, &joins);
        }
        let mut report = TwinImportReport {
            problems: batch.problems.clone(),
            left_out: batch.left_out.clone(),
            resources: batch.resources,
            files: sources.len(),
            ..Default::default()
        };
        if !batch.problems.is_empty() && (strict || batch.twins.is_empty()) {
            let listed: Vec<String> = batch.problems.iter().map(|p| p.to_string()).collect();
            return Err(Error::BadInput(format!(
                "nothing was imported: {} bad record{}{}:\n  {}",
                listed.len(),
                if listed.len() == 1 { "" } else { "s" },
                if strict { " (--strict)" } else { "" },
                listed.join("\n  ")
            )));
        }
        report.twins = self.store.import_twins(&batch)?;
        Ok(report)
    }

    /// The bundled sample twins (`pathways/twins/`), imported on first start.
    pub fn import_bundled_twins(&self) -> Result<TwinImportReport> {
        let files: Vec<(PathBuf, &[u8])> = super::bundled_files("pathways/twins/")
            .filter(|(path, _)| path.ends_with(".json"))
            .map(|(path, bytes)| (PathBuf::from(format!("bundled:{path}")), bytes))
            .collect();
        if files.is_empty() {
            return Ok(TwinImportReport::default());
        }
        let sources: Vec<(&Path, &[u8])> = files.iter().map(|(p, b)| (p.as_path(), *b)).collect();
        self.import_twin_sources(&sources, true)
    }

    /// Every twin (an audited read of their names and birth dates).
    pub fn twins(&self, who: &str) -> Result<Vec<TwinSummary>> {
        let twins = self.store.twins()?;
        self.audit(who, "list", "*")?;
        Ok(twins)
    }

    /// One twin's record and what the rules make of it (an audited read).
    pub fn twin(&self, id: &str, who: &str) -> Result<TwinView> {
        let record = self
            .store
            .twin_record(id)?
            .ok_or_else(|| Error::NotFound(format!("no twin {id:?} (see `twinpath twin list`)")))?;
        self.audit(who, "read", id)?;
        let rules = self.store.personalization_rules()?;
        let today: String = provenance::now().chars().take(10).collect();
        let personalization = personalize(&record, &rules, &today);
        Ok(TwinView {
            record,
            personalization,
        })
    }

    /// Simulates a pathway's logical model personalized by a twin's record, stochastically,
    /// and records the run: its provenance and summary in the store, its series in the data
    /// directory.
    pub fn simulate_twin(&self, id: &str, scenario: &TwinScenario, who: &str) -> Result<RunRecord> {
        let started = provenance::now();
        let view = self.twin(id, who)?;
        let pathway_name = scenario.pathway.trim();
        if pathway_name.is_empty() {
            return Err(Error::BadInput("name the pathway to simulate".into()));
        }
        let pathway = crate::vocab::expand(pathway_name).unwrap_or_else(|| pathway_name.to_owned());
        if self.store.is_kinetic(&pathway)? {
            let record = self.simulate_twin_kinetic(&view, pathway, scenario, started, who)?;
            self.audit(who, "simulate", id)?;
            return Ok(record);
        }
        let source = ModelSource::Pathway(pathway.clone());
        let compiled = self.logical_model(&source)?;
        let node_of = |gene: &str| {
            compiled
                .iris
                .iter()
                .position(|iri| iri == gene)
                .map(|i| compiled.model.nodes[i].name.clone())
        };

        // Holds in the order they override one another: the twin's findings, then drugs
        // (an antibody blocks an amplified receptor), then what the caller held.
        let mut holds: Vec<ScenarioHold> = Vec::new();
        let mut scales: Vec<ScenarioScale> = Vec::new();
        let mut drugs: Vec<ScenarioDrug> = Vec::new();
        for applied in &view.personalization.applied {
            match &applied.change {
                Change::Hold { gene, on } => {
                    if let Some(node) = node_of(gene) {
                        set_hold(&mut holds, ScenarioHold::by_rule(applied, node, gene, *on));
                    }
                }
                Change::Give { drug } if !scenario.without_medications => {
                    drugs.push(medication(applied, drug))
                }
                Change::Give { .. } => {}
                Change::Scale { entity, factor } => {
                    if let Some(node) = node_of(entity) {
                        scales.push(ScenarioScale::by_rule(
                            applied, node, entity, *factor, "up rate",
                        ));
                    }
                }
            }
        }
        drugs.extend(self.requested_drugs(&scenario.drugs)?);
        let body = crate::engine::dosing::Body::of(&view.record);
        self.apply_drugs(
            &source,
            &compiled,
            &mut drugs,
            (body, &view.record.medications),
            &mut holds,
            &mut scales,
        )?;
        for (node, on) in &scenario.fix {
            set_hold(&mut holds, requested_hold(&compiled, node, *on));
        }
        let record = self.run_and_record(
            Recorded {
                compiled: &compiled,
                scenario: Scenario {
                    pathway,
                    twin: Some(view.record.iri.clone()),
                    holds,
                    scales,
                    inputs: scenario.inputs.clone(),
                    drugs,
                    started,
                },
            },
            &source,
            &RunOptions {
                max_time: scenario.options.max_time.or(Some(LOGICAL_MAX_TIME)),
                time_tick: scenario.options.time_tick.or(Some(LOGICAL_TIME_TICK)),
                ..scenario.options
            },
            who,
        )?;
        self.audit(who, "simulate", id)?;
        Ok(record)
    }

    /// Simulates a pathway's logical model (not a twin's) and records the run, as
    /// `twinpath logical simulate --pathway … --record` asks: the drugs' targets and the held
    /// nodes are the scenario.
    pub fn simulate_pathway_recorded(
        &self,
        pathway: &str,
        inputs: &[(String, bool)],
        fix: &[(String, bool)],
        drug_names: &[String],
        options: &RunOptions,
        who: &str,
    ) -> Result<(RunRecord, crate::sim::logical::stochastic::Trajectories)> {
        let started = provenance::now();
        let pathway =
            crate::vocab::expand(pathway.trim()).unwrap_or_else(|| pathway.trim().to_owned());
        let source = ModelSource::Pathway(pathway.clone());
        let compiled = self.logical_model(&source)?;
        let (holds, scales, drugs) =
            self.requested_scenario(&source, &compiled, fix, drug_names)?;
        let recorded = Recorded {
            compiled: &compiled,
            scenario: Scenario {
                pathway,
                twin: None,
                holds,
                scales,
                inputs: inputs.to_vec(),
                drugs,
                started,
            },
        };
        self.run_and_record_with_series(recorded, &source, options, who)
    }

    /// A caller's scenario without a twin, as `logical simulate` builds it: the held nodes,
    /// then the drugs over them (a drug acts on a mutated target).
    fn requested_scenario(
        &self,
        source: &ModelSource,
        compiled: &crate::store::CompiledLogical,
        fix: &[(String, bool)],
        drug_names: &[String],
    ) -> Result<(Vec<ScenarioHold>, Vec<ScenarioScale>, Vec<ScenarioDrug>)> {
        let mut drugs = self.requested_drugs(drug_names)?;
        let mut holds: Vec<ScenarioHold> = Vec::new();
        let mut scales: Vec<ScenarioScale> = Vec::new();
        for (node, on) in fix {
            set_hold(&mut holds, requested_hold(compiled, node, *on));
        }
        self.apply_drugs(
            source,
            compiled,
            &mut drugs,
            (crate::engine::dosing::Body::default(), &[]),
            &mut holds,
            &mut scales,
        )?;
        Ok((holds, scales, drugs))
    }

    /// The drugs a caller asked for, by name, CURIE or IRI, as a scenario gives them.
    pub(super) fn requested_drugs(&self, names: &[String]) -> Result<Vec<ScenarioDrug>> {
        let net = self.network()?;
        let requested = format!("{}Requested", crate::vocab::TW);
        names
            .iter()
            .map(|name| {
                let node = self.resolve(&net, name)?;
                Ok(ScenarioDrug {
                    drug: net.node(node).iri.clone(),
                    because: requested.clone(),
                    finding: None,
                    exposure: None,
                    no_exposure: None,
                })
            })
            .collect()
    }

    /// Models a scenario drug's regimen: its exposure, or in words why there is none. The
    /// twin's medication the drug was given for, if any, may structure the regimen.
    pub(super) fn expose(
        &self,
        drug: &mut ScenarioDrug,
        body: crate::engine::dosing::Body,
        medications: &[crate::twin::Medication],
    ) -> Result<()> {
        let prescribed = medications
            .iter()
            .find(|m| drug.finding.as_deref() == Some(m.iri.as_str()));
        match self.drug_exposure(&drug.drug, body, prescribed)? {
            Ok(exposure) => drug.exposure = Some(exposure),
            Err(why) => drug.no_exposure = Some(why),
        }
        Ok(())
    }

    /// Gives a scenario's drugs: each drug's regimen is modelled (`drug_exposure`); a target
    /// it inhibits at a known occupancy `f` has its rates scaled so that it is on a fraction
    /// `1 − f` of the time its rule holds; any other target is held as the drug's action says,
    /// over what the twin's findings held. A twin's medication that acts on nothing in this
    /// model changes nothing in it (its exposure is still recorded); a requested drug must be
    /// a drug of the store.
    fn apply_drugs(
        &self,
        source: &ModelSource,
        compiled: &crate::store::CompiledLogical,
        drugs: &mut [ScenarioDrug],
        (body, medications): (crate::engine::dosing::Body, &[crate::twin::Medication]),
        holds: &mut Vec<ScenarioHold>,
        scales: &mut Vec<ScenarioScale>,
    ) -> Result<()> {
        let requested = format!("{}Requested", crate::vocab::TW);
        for drug in drugs.iter_mut() {
            let held = match self.drug_holds(source, std::slice::from_ref(&drug.drug)) {
                Ok(held) => held,
                Err(_) if drug.because != requested => Vec::new(),
                Err(e) => return Err(e),
            };
            // Recorded even when the drug acts on nothing in this model: its exposure is a
            // result of the twin's regimen all the same.
            self.expose(drug, body, medications)?;
            for (node, on) in held {
                let node_iri = compiled
                    .model
                    .index(&node)
                    .map(|i| compiled.iris[i].clone());
                let occupancy = drug.exposure.as_ref().and_then(|e| {
                    e.occupancy
                        .iter()
                        .find(|o| !on && Some(&o.target) == node_iri.as_ref())
                        .map(|o| {
                            (
                                o,
                                e.unbound_cavg_nm.unwrap_or_default(),
                                e.occupancy_upper_bound,
                            )
                        })
                });
                match occupancy {
                    Some((o, c, upper_bound)) => scales.push(ScenarioScale {
                        node,
                        node_iri,
                        scale: RateScale {
                            up: 1.0 - o.fraction,
                            off: o.fraction,
                        },
                        because: drug.drug.clone(),
                        finding: drug.finding.clone(),
                        note: if upper_bound {
                            format!(
                                "occupancy at most {:.4} at a total Cavg of {c:.3} nM ({} {} nM; \
                                 no protein binding curated)",
                                o.fraction, o.measure, o.potency_nm
                            )
                        } else {
                            format!(
                                "occupancy {:.4} at an unbound Cavg of {c:.3} nM ({} {} nM)",
                                o.fraction, o.measure, o.potency_nm
                            )
                        },
                    }),
                    None => set_hold(
                        holds,
                        ScenarioHold {
                            node,
                            node_iri,
                            on,
                            because: drug.drug.clone(),
                            finding: drug.finding.clone(),
                        },
                    ),
                }
            }
        }
        Ok(())
    }

    /// A stochastic run of a model with `held` nodes and `drugs` given as a twin's drugs are
    /// (see `apply_drugs`): a target with a known occupancy has its rates scaled, any other is
    /// held. Nothing is recorded (`simulate_pathway_recorded` records).
    pub fn logical_simulate_with_drugs(
        &self,
        source: &ModelSource,
        held: &[(String, bool)],
        drug_names: &[String],
        options: &RunOptions,
    ) -> Result<crate::sim::logical::stochastic::Trajectories> {
        if drug_names.is_empty() {
            return self.logical_simulate(source, held, options);
        }
        if !matches!(source, ModelSource::Pathway(_)) {
            return Err(Error::BadInput(
                "drugs act on a pathway of the store".into(),
            ));
        }
        let compiled = self.logical_model(source)?;
        let (holds, scales, _) = self.requested_scenario(source, &compiled, held, drug_names)?;
        let fixed: Vec<(String, bool)> = holds.iter().map(|h| (h.node.clone(), h.on)).collect();
        let scaled: Vec<(String, RateScale)> =
            scales.iter().map(|s| (s.node.clone(), s.scale)).collect();
        self.logical_simulate_scaled(source, &fixed, &scaled, options)
    }

    fn run_and_record(
        &self,
        recorded: Recorded<'_>,
        source: &ModelSource,
        options: &RunOptions,
        who: &str,
    ) -> Result<RunRecord> {
        Ok(self
            .run_and_record_with_series(recorded, source, options, who)?
            .0)
    }

    /// Runs the scenario, then writes the series file and the run's statements.
    fn run_and_record_with_series(
        &self,
        recorded: Recorded<'_>,
        source: &ModelSource,
        options: &RunOptions,
        who: &str,
    ) -> Result<(RunRecord, crate::sim::logical::stochastic::Trajectories)> {
        let Recorded { compiled, scenario } = recorded;
        let mut fixed: Vec<(String, bool)> = scenario.inputs.clone();
        fixed.retain(|(n, _)| !scenario.holds.iter().any(|h| h.node == *n));
        fixed.extend(scenario.holds.iter().map(|h| (h.node.clone(), h.on)));

        let scaled: Vec<(String, RateScale)> = scenario
            .scales
            .iter()
            .map(|s| (s.node.clone(), s.scale))
            .collect();
        let trajectories = self.logical_simulate_scaled(source, &fixed, &scaled, options)?;
        let last = trajectories
            .last()
            .ok_or_else(|| Error::BadInput("the run has no time window (max time 0?)".into()))?;
        let results: Vec<RunResult> = trajectories
            .nodes
            .iter()
            .zip(&last.marginals)
            .map(|(node, (p, e))| RunResult {
                node: node.clone(),
                node_iri: compiled.model.index(node).map(|i| compiled.iris[i].clone()),
                probability: Some(*p),
                standard_error: Some(*e),
                value: None,
                at_time: last.time,
            })
            .collect();

        let max_time = last.time + trajectories_tick(&trajectories);
        let record = self.record_run(
            scenario,
            Outcome {
                kind: "logical-stochastic",
                seed: Some(trajectories.seed),
                trajectories: Some(trajectories.trajectories),
                max_time,
                results,
                series_csv: trajectories.to_marginals_csv(),
            },
            who,
        )?;
        Ok((record, trajectories))
    }

    /// Writes a run: its series file in the data directory, then its provenance and results
    /// (with the content hash of every graph the pathway and the drugs were read from) in its
    /// own graph of the store.
    pub(super) fn record_run(
        &self,
        scenario: Scenario,
        outcome: Outcome,
        who: &str,
    ) -> Result<RunRecord> {
        let mut graphs = Vec::new();
        let mut used = self.store.graphs_about(&scenario.pathway)?;
        for drug in &scenario.drugs {
            for g in self.store.graphs_about(&drug.drug)? {
                if !used.contains(&g) {
                    used.push(g);
                }
            }
        }
        for g in used {
            graphs.push((g.as_str().to_owned(), self.store.graph_hash(&g)?));
        }
        let run_id = new_run_id(
            scenario.twin.as_deref().unwrap_or(&scenario.pathway),
            &scenario.started,
        );
        let series_name = format!("runs/{}.csv", crate::vocab::encode_segment(&run_id));
        let series_path = self.data_path().join(&series_name);
        if let Some(parent) = series_path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Read {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&series_path, outcome.series_csv).map_err(|source| Error::Read {
            path: series_path.clone(),
            source,
        })?;
        let record = RunRecord {
            iri: provenance::run_iri(&run_id),
            id: run_id,
            twin: scenario.twin,
            requested_by: who.to_owned(),
            started: scenario.started,
            ended: provenance::now(),
            pathway: scenario.pathway,
            graphs,
            kind: outcome.kind.into(),
            seed: outcome.seed,
            trajectories: outcome.trajectories,
            max_time: outcome.max_time,
            holds: scenario.holds,
            scales: scenario.scales,
            inputs: scenario.inputs,
            drugs: scenario.drugs,
            results: outcome.results,
            series_file: Some(series_name),
            software: concat!("twinpath ", env!("CARGO_PKG_VERSION")).into(),
        };
        self.store.record_run(&record.quads())?;
        Ok(record)
    }

    /// A recorded run as JSON (an audited read of its twin's data), and its series file.
    pub fn run(&self, id: &str, who: &str) -> Result<(serde_json::Value, PathBuf)> {
        let (summary, twin) = self
            .store
            .run_summary(id)?
            .ok_or_else(|| Error::NotFound(format!("no run {id:?}")))?;
        self.audit(who, "read-run", &twin)?;
        let series = summary
            .get("series")
            .and_then(|s| s.as_str())
            .map(|s| self.data_path().join(s))
            .unwrap_or_default();
        Ok((summary, series))
    }

    /// Where runs' series files and the audit log are written.
    fn data_path(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// Appends to the audit log (`audit.log` in the data directory, one JSON object a line):
    /// who read which twin's data (`*`: any twin, as a query with the token may), when, how.
    pub fn audit(&self, who: &str, action: &str, twin: &str) -> Result<()> {
        let entry = AuditEntry {
            time: provenance::now(),
            who: who.to_owned(),
            action: action.to_owned(),
            twin: twin.to_owned(),
        };
        let line = serde_json::to_string(&entry)
            .map_err(|e| Error::BadInput(format!("audit entry: {e}")))?;
        let path = self.data_path().join("audit.log");
        let _guard = self.audit_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Read {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
        writeln!(file, "{line}").map_err(Error::Io)?;
        Ok(())
    }

    /// The audit log's entries, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        let path = self.data_path().join("audit.log");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Error::Read { path, source }),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }
}

/// Holds `hold`, replacing any earlier hold of the same node.
/// A twin's medication, given in a run because a rule read it in the record.
pub(super) fn medication(applied: &crate::twin::personalize::Applied, drug: &str) -> ScenarioDrug {
    ScenarioDrug {
        drug: drug.to_owned(),
        because: applied.rule.clone(),
        finding: Some(applied.finding.clone()),
        exposure: None,
        no_exposure: None,
    }
}

/// A node held because the caller asked.
fn requested_hold(compiled: &crate::store::CompiledLogical, node: &str, on: bool) -> ScenarioHold {
    ScenarioHold {
        node: node.to_owned(),
        node_iri: compiled.model.index(node).map(|i| compiled.iris[i].clone()),
        on,
        because: format!("{}Requested", crate::vocab::TW),
        finding: None,
    }
}

fn set_hold(holds: &mut Vec<ScenarioHold>, hold: ScenarioHold) {
    holds.retain(|h| h.node != hold.node);
    holds.push(hold);
}

fn trajectories_tick(t: &crate::sim::logical::stochastic::Trajectories) -> f64 {
    match t.windows.as_slice() {
        [.., a, b] => b.time - a.time,
        _ => 0.0,
    }
}

/// A run id: the start time, then a short hash that tells apart runs started in one second.
fn new_run_id(twin: &str, started: &str) -> String {
    use sha2::{Digest, Sha256};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let digest = Sha256::digest(format!(
        "{twin}|{started}|{nanos}|{n}|{}",
        std::process::id()
    ));
    let stamp: String = started
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(14)
        .collect();
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{stamp}-{hex}")
}
