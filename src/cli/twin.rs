//! `twinpath twin …` and `twinpath run …`: patient twins from FHIR records, their
//! personalized simulations and the recorded runs.

use super::logical::assignment;
use super::ListFormat;
use crate::engine::{Engine, RunOptions, TwinScenario, TwinView};
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum TwinCommand {
    /// Import FHIR R4 records (Bundles, single resources, Bulk Data NDJSON; folders
    /// recursively) as twins, one private graph per patient; prints each twin's id.
    ///
    /// A bad record (a required element missing, a coding without a code system, an
    /// observation with no subject) is reported with its file, resource and element path and
    /// left out; with --strict nothing is imported when any record is bad.
    Import {
        #[arg(required = true, value_name = "FILE_OR_FOLDER")]
        paths: Vec<PathBuf>,
        /// Import nothing when any record is bad.
        #[arg(long)]
        strict: bool,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// The twins in the store: id, name, birth date, sex, variants and runs.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// A twin's record: demographics, diagnoses, markers, variants, microbiome, medications,
    /// what the personalization rules change, and its runs.
    Show {
        id: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Simulate a pathway's logical model personalized by the twin (stochastic, MaBoSS
    /// semantics) and record the run: provenance and results in the store, the series in the
    /// data directory.
    Simulate {
        id: String,
        /// The pathway, by IRI or CURIE.
        #[arg(long, default_value = "pw:cancer-map", value_name = "IRI")]
        pathway: String,
        /// Drugs given on top of the twin's active medications, separated by commas.
        #[arg(long, value_name = "DRUG,...", value_delimiter = ',')]
        drug: Vec<String>,
        /// Input values, NODE=0|1 separated by commas.
        #[arg(long, value_name = "N=0|1,...", value_delimiter = ',', value_parser = assignment)]
        inputs: Vec<(String, bool)>,
        /// Nodes held by request (they override the twin's rules), NODE=0|1,...
        #[arg(long, value_name = "N=0|1,...", value_delimiter = ',', value_parser = assignment)]
        fix: Vec<(String, bool)>,
        /// Leave out the twin's active medications.
        #[arg(long)]
        without_medications: bool,
        #[arg(long, default_value_t = 2000)]
        trajectories: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        threads: Option<usize>,
        /// The horizon: 20 by default for a logical model; needed for a kinetic one (in the
        /// model's time unit).
        #[arg(long)]
        max_time: Option<f64>,
        /// The output interval (1 by default for a logical model; a hundredth of the horizon
        /// for a kinetic one).
        #[arg(long)]
        time_tick: Option<f64>,
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
}

/// Who asks, as the audit log and the runs record it.
pub fn local_user() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

pub fn run(engine: &Engine, command: TwinCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    let who = local_user();
    match command {
        TwinCommand::Import {
            paths,
            strict,
            format,
        } => {
            let report = engine.import_twins(&paths, strict)?;
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
                ListFormat::Table => {
                    for twin in &report.twins {
                        writeln!(
                            out,
                            "{}\t{}\t{} resources",
                            twin.id,
                            if twin.created { "created" } else { "updated" },
                            twin.resources
                        )?;
                    }
                    for problem in &report.problems {
                        eprintln!("left out: {problem}");
                    }
                    if !report.left_out.is_empty() {
                        let kinds: Vec<String> = report
                            .left_out
                            .iter()
                            .map(|(k, n)| format!("{k} {n}"))
                            .collect();
                        eprintln!("not part of a twin's record: {}", kinds.join(", "));
                    }
                }
            }
        }
        TwinCommand::List { format } => {
            let twins = engine.twins(&who)?;
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&twins)?)?,
                ListFormat::Table => {
                    writeln!(out, "id\tname\tbirthDate\tsex\tvariants\truns")?;
                    for t in twins {
                        writeln!(
                            out,
                            "{}\t{}\t{}\t{}\t{}\t{}",
                            t.id,
                            t.name.unwrap_or_default(),
                            t.birth_date.unwrap_or_default(),
                            t.sex.unwrap_or_default(),
                            t.variants,
                            t.runs
                        )?;
                    }
                }
            }
        }
        TwinCommand::Show { id, format } => {
            let view = engine.twin(&id, &who)?;
            match format {
                ShowFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&view)?)?,
                ShowFormat::Text => write_twin(out, &view)?,
            }
        }
        TwinCommand::Simulate {
            id,
            pathway,
            drug,
            inputs,
            fix,
            without_medications,
            trajectories,
            seed,
            threads,
            max_time,
            time_tick,
            format,
        } => {
            let scenario = TwinScenario {
                pathway,
                drugs: drug,
                inputs,
                fix,
                without_medications,
                options: RunOptions {
                    trajectories: Some(trajectories),
                    seed: Some(seed),
                    threads,
                    max_time,
                    time_tick,
                },
            };
            let run = engine.simulate_twin(&id, &scenario, &who)?;
            match format {
                ShowFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&run)?)?,
                ShowFormat::Text => {
                    writeln!(out, "run {} ({})", run.id, run.iri)?;
                    writeln!(out, "series: {}", run.series_file.as_deref().unwrap_or("-"))?;
                    writeln!(out, "held:")?;
                    for h in &run.holds {
                        writeln!(
                            out,
                            "  {}={}  because {}",
                            h.node,
                            u8::from(h.on),
                            crate::vocab::compact(&h.because)
                        )?;
                    }
                    if !run.scales.is_empty() && run.kind == "ode" {
                        writeln!(out, "reactions scaled:")?;
                        for s in &run.scales {
                            writeln!(
                                out,
                                "  {}  ×{:.4}  because {}: {}",
                                s.node,
                                s.scale.up,
                                crate::vocab::compact(&s.because),
                                s.note
                            )?;
                        }
                    } else if !run.scales.is_empty() {
                        writeln!(out, "rates scaled:")?;
                        for s in &run.scales {
                            writeln!(
                                out,
                                "  {}  up ×{:.4}, off +{:.4}·up  because {}: {}",
                                s.node,
                                s.scale.up,
                                s.scale.off,
                                crate::vocab::compact(&s.because),
                                s.note
                            )?;
                        }
                    }
                    for d in &run.drugs {
                        let drug = crate::vocab::compact(&d.drug);
                        match (&d.exposure, &d.no_exposure) {
                            (Some(e), _) => writeln!(
                                out,
                                "drug {drug}: {} mg every {} h ({:?}); steady state Cmax {:.4}, Cmin {:.4}, Cavg {:.4} mg/L, AUC(τ) {:.4} mg·h/L{}",
                                e.regimen.dose_mg,
                                e.regimen.interval_h,
                                e.regimen.route,
                                e.cmax,
                                e.cmin,
                                e.cavg,
                                e.auc,
                                e.occupancy
                                    .iter()
                                    .map(|o| format!(
                                        "; occupancy of {} {:.4}",
                                        crate::vocab::compact(&o.target),
                                        o.fraction
                                    ))
                                    .collect::<String>()
                            )?,
                            (None, Some(why)) => {
                                writeln!(out, "drug {drug}: no PK model ({why}); its targets held")?
                            }
                            (None, None) => writeln!(out, "drug {drug}")?,
                        }
                    }
                    if run.kind == "ode" {
                        writeln!(out, "values at t={}:", run.max_time)?;
                        for r in &run.results {
                            let entity = r
                                .node_iri
                                .as_deref()
                                .map(|i| format!("  ({})", crate::vocab::compact(i)))
                                .unwrap_or_default();
                            let value = r.value.unwrap_or(f64::NAN);
                            writeln!(out, "  {:<28} {value:.6}{entity}", r.node)?;
                        }
                        return Ok(());
                    }
                    writeln!(out, "phenotypes at t={}:", run.max_time)?;
                    for r in run.results.iter().filter(|r| {
                        r.node_iri
                            .as_deref()
                            .is_some_and(|i| i.contains("/phenotype/"))
                    }) {
                        writeln!(
                            out,
                            "  {:<28} {:.4} ± {:.4}",
                            r.node,
                            r.probability.unwrap_or(f64::NAN),
                            r.standard_error.unwrap_or(f64::NAN)
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn write_twin(out: &mut dyn Write, view: &TwinView) -> std::io::Result<()> {
    let r = &view.record;
    writeln!(out, "twin {} ({})", r.id, r.iri)?;
    writeln!(
        out,
        "  {} · born {} · {}{}",
        r.name.as_deref().unwrap_or("(no name)"),
        r.birth_date.as_deref().unwrap_or("?"),
        r.sex.as_deref().unwrap_or("?"),
        r.deceased
            .as_deref()
            .map(|d| format!(" · deceased {d}"))
            .unwrap_or_default()
    )?;
    if !r.conditions.is_empty() {
        writeln!(out, "diagnoses:")?;
        for c in &r.conditions {
            writeln!(
                out,
                "  {}  {}  [{}]",
                c.date.as_deref().unwrap_or("?"),
                c.label.as_deref().unwrap_or("?"),
                c.status.as_deref().unwrap_or("")
            )?;
        }
    }
    if !r.observations.is_empty() {
        writeln!(out, "observations (markers, labs):")?;
        for o in &r.observations {
            let value = match (&o.value, &o.value_text) {
                (Some(v), _) => format!("{v} {}", o.unit.as_deref().unwrap_or("")),
                (None, Some(t)) => t.clone(),
                (None, None) => "-".into(),
            };
            writeln!(
                out,
                "  {}  {}: {}",
                o.date.as_deref().unwrap_or("?"),
                o.label.as_deref().unwrap_or("?"),
                value.trim()
            )?;
        }
    }
    if !r.variants.is_empty() {
        writeln!(out, "variants:")?;
        for v in &r.variants {
            let mut parts = vec![v.symbol.clone().unwrap_or_else(|| "?".into())];
            parts.extend(v.dna_change.clone());
            parts.extend(v.amino_acid_change.clone());
            if let Some(f) = v.allele_fraction {
                parts.push(format!("VAF {f}"));
            }
            if let Some(n) = v.copy_number {
                parts.push(format!("copy number {n}"));
            }
            if let Some(s) = &v.source {
                parts.push(s.to_lowercase());
            }
            let kind = v
                .kind
                .as_deref()
                .map(|k| format!("  → {}", crate::vocab::compact(k)))
                .unwrap_or_default();
            writeln!(out, "  {}{kind}", parts.join(" "))?;
        }
    }
    if !r.microbiome.is_empty() {
        writeln!(out, "microbiome:")?;
        for a in &r.microbiome {
            writeln!(
                out,
                "  {:<40} {:.3}",
                a.label.as_deref().unwrap_or("?"),
                a.fraction.unwrap_or(f64::NAN)
            )?;
        }
    }
    if !r.medications.is_empty() {
        writeln!(out, "medications:")?;
        for m in &r.medications {
            // The structured dose as the record gives it, else its text.
            let dose = match (m.dose, m.dose_unit.as_deref()) {
                (Some(v), Some(u)) => {
                    let mut words = vec![format!("{v} {u}")];
                    if let Some(h) = m.interval_hours {
                        words.push(format!("every {h} h"));
                    }
                    if let Some(route) = &m.route {
                        words.push(route.rsplit('#').next().unwrap_or(route).to_lowercase());
                    }
                    format!("  ({})", words.join(", "))
                }
                _ => m
                    .dosage_text
                    .as_deref()
                    .map(|t| format!("  ({t})"))
                    .unwrap_or_default(),
            };
            writeln!(
                out,
                "  {}  {}{dose}  [{}]{}",
                m.start.as_deref().unwrap_or("?"),
                m.label.as_deref().unwrap_or("?"),
                m.status.as_deref().unwrap_or(""),
                if m.drugs.is_empty() {
                    String::new()
                } else {
                    format!(
                        "  = {}",
                        m.drugs
                            .iter()
                            .map(|d| crate::vocab::compact(d))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )?;
        }
    }
    if !r.procedures.is_empty() {
        writeln!(out, "procedures: {}", r.procedures.len())?;
    }
    if !view.personalization.applied.is_empty() {
        writeln!(
            out,
            "personalization (what simulations of this twin change):"
        )?;
        for a in &view.personalization.applied {
            let change = match &a.change {
                crate::twin::Change::Hold { gene, on } => {
                    format!("hold {}={}", crate::vocab::compact(gene), u8::from(*on))
                }
                crate::twin::Change::Give { drug } => {
                    format!("give {}", crate::vocab::compact(drug))
                }
                crate::twin::Change::Scale { entity, factor } => {
                    format!(
                        "scale {} up rate ×{factor:.3}",
                        crate::vocab::compact(entity)
                    )
                }
            };
            writeln!(
                out,
                "  {change}  because {} ({}), read from {}",
                a.rule_label,
                crate::vocab::compact(&a.rule),
                a.finding_label
            )?;
        }
    }
    if !r.runs.is_empty() {
        writeln!(out, "runs:")?;
        for run in &r.runs {
            let drugs: Vec<String> = run.drugs.iter().map(|d| crate::vocab::compact(d)).collect();
            let results: Vec<String> = run
                .results
                .iter()
                .map(|(n, p)| format!("{n} {p:.3}"))
                .collect();
            writeln!(
                out,
                "  {}  {}  {}  drugs [{}]  {}",
                run.id,
                run.started.as_deref().unwrap_or("?"),
                run.pathway
                    .as_deref()
                    .map(crate::vocab::compact)
                    .unwrap_or_default(),
                drugs.join(", "),
                results.join(", ")
            )?;
        }
    }
    Ok(())
}
