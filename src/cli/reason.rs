//! `twinpath reason …`: questions to the interaction network, answered as tables or JSON.

use super::ListFormat;
use crate::engine::{Engine, PerturbationKind, Scope};
use crate::reason::{PathView, Stream, Subnetwork};
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use std::io::Write;

/// What every question shares: where to look and how to answer.
#[derive(Debug, Clone, ClapArgs)]
pub struct Common {
    /// Only the interactions of this named graph (a pathway file or map), e.g.
    /// https://twinpath.org/graph/WP673 or twg:cancer-map.
    #[arg(long, value_name = "IRI")]
    graph: Option<String>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

/// The arguments of `downstream` and `upstream`.
#[derive(Debug, Clone, ClapArgs)]
pub struct Reach {
    node: String,
    #[arg(long, default_value_t = 3)]
    depth: usize,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Direction {
    Both,
    Downstream,
    Upstream,
}

#[derive(Debug, Subcommand)]
pub enum ReasonCommand {
    /// What lies downstream of NODE within --depth steps, with the net sign of the paths
    /// (+, -, or ± when paths of both signs exist) and a shortest path per sign.
    ///
    /// NODE is an IRI, a CURIE (gene:ERBB2) or a symbol, label or synonym search resolves (HER2).
    Downstream(Reach),
    /// What lies upstream of NODE (what acts on it) within --depth steps.
    Upstream(Reach),
    /// The simple paths from FROM to TO, shortest first, each with its edges and evidence.
    Paths {
        from: String,
        to: String,
        #[arg(long, default_value_t = 4)]
        max_length: usize,
        /// Most paths to list.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Feedback loops through NODE (or, without NODE, every loop of --graph), positive or negative.
    Loops {
        node: Option<String>,
        #[arg(long, default_value_t = 5)]
        max_length: usize,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Which hallmarks a set of perturbations pushes up or down, through which paths.
    ///
    /// Perturbations are GENE=gain|loss|drug (gain includes amplification; drug on a gene
    /// inhibits it, on a drug gives the drug), or the variants of a twin (--twin ID), for
    /// which the answer also lists the altered genes no drug in the store reaches.
    Impact {
        #[arg(long, value_name = "ID")]
        twin: Option<String>,
        #[arg(long = "perturb", value_name = "GENE=gain|loss|drug", value_parser = PerturbationKind::parse_assignment)]
        perturbations: Vec<(String, PerturbationKind)>,
        #[arg(long, default_value_t = 4)]
        depth: usize,
        /// Paths shown per hallmark and direction.
        #[arg(long, default_value_t = 3)]
        paths: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Which hallmarks one drug or a combination reaches, and with what sign per drug.
    Drugs {
        #[arg(required = true)]
        drugs: Vec<String>,
        #[arg(long, default_value_t = 4)]
        depth: usize,
        #[arg(long, default_value_t = 3)]
        paths: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Pathway Commons' neighborhood: the nodes within --depth steps of the seeds and the edges among them.
    Neighbourhood {
        #[arg(required = true)]
        nodes: Vec<String>,
        #[arg(long, default_value_t = 1)]
        depth: usize,
        #[arg(long, value_enum, default_value_t = Direction::Both)]
        direction: Direction,
        #[command(flatten)]
        common: Common,
    },
    /// Pathway Commons' paths-between: the edges on paths of at most --max-length between the seeds.
    PathsBetween {
        #[arg(required = true, num_args = 2..)]
        nodes: Vec<String>,
        #[arg(long, default_value_t = 3)]
        max_length: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Pathway Commons' paths-from-to: the edges on paths from any --from node to any --to node.
    PathsFromTo {
        #[arg(long, required = true, num_args = 1..)]
        from: Vec<String>,
        #[arg(long, required = true, num_args = 1..)]
        to: Vec<String>,
        #[arg(long, default_value_t = 3)]
        max_length: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Pathway Commons' common-stream: the nodes downstream (or upstream) of every seed.
    CommonStream {
        #[arg(required = true, num_args = 2..)]
        nodes: Vec<String>,
        #[arg(long, default_value_t = 2)]
        depth: usize,
        #[arg(long, value_enum, default_value_t = Direction::Downstream)]
        direction: Direction,
        #[command(flatten)]
        common: Common,
    },
}

fn stream(direction: Direction) -> Option<Stream> {
    match direction {
        Direction::Both => None,
        Direction::Downstream => Some(Stream::Downstream),
        Direction::Upstream => Some(Stream::Upstream),
    }
}

fn json(out: &mut impl Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    writeln!(out, "{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

/// `ERBB2 -> GRB2 -| X` with the signs of each step.
fn arrows(path: &PathView) -> String {
    let mut text = path.nodes.first().cloned().unwrap_or_default();
    for (edge, node) in path.edges.iter().zip(path.nodes.iter().skip(1)) {
        text.push_str(if edge.sign == "+" { " -> " } else { " -| " });
        text.push_str(node);
    }
    text
}

fn evidence_count(paths: &[&PathView]) -> String {
    let mut all = std::collections::BTreeSet::new();
    for p in paths {
        all.extend(p.evidence());
    }
    all.len().to_string()
}

fn subnetwork_table(out: &mut impl Write, net: &Subnetwork) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = net
        .edges
        .iter()
        .map(|e| {
            vec![
                e.source_label.clone(),
                e.sign.to_owned(),
                e.target_label.clone(),
                e.evidence.len().to_string(),
                crate::vocab::compact(&e.graph),
            ]
        })
        .collect();
    super::render::table(
        out,
        &["source", "sign", "target", "evidence", "graph"],
        &rows,
    )?;
    writeln!(out, "{} nodes, {} edges", net.nodes.len(), net.edges.len())?;
    Ok(())
}

fn paths_table(out: &mut impl Write, paths: &[PathView], truncated: bool) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = paths
        .iter()
        .map(|p| {
            vec![
                p.sign.to_owned(),
                p.length.to_string(),
                arrows(p),
                evidence_count(&[p]),
            ]
        })
        .collect();
    super::render::table(out, &["sign", "length", "path", "evidence"], &rows)?;
    writeln!(
        out,
        "{} paths{}",
        paths.len(),
        if truncated {
            " (cut at the limit; raise --limit for more)"
        } else {
            ""
        }
    )?;
    Ok(())
}

pub fn run(engine: &Engine, command: ReasonCommand, out: &mut impl Write) -> anyhow::Result<()> {
    let scope = |common: &Common| Scope {
        graph: common.graph.clone(),
    };
    match command {
        ReasonCommand::Downstream(args) => reach(engine, args, Stream::Downstream, out)?,
        ReasonCommand::Upstream(args) => reach(engine, args, Stream::Upstream, out)?,
        ReasonCommand::Paths {
            from,
            to,
            max_length,
            limit,
            common,
        } => {
            let answer = engine.paths(&from, &to, max_length, limit, &scope(&common))?;
            match common.format {
                ListFormat::Json => json(out, &answer)?,
                ListFormat::Table => {
                    paths_table(out, &answer.answer.paths, answer.answer.truncated)?
                }
            }
        }
        ReasonCommand::Loops {
            node,
            max_length,
            limit,
            common,
        } => {
            let answer = engine.loops(node.as_deref(), max_length, limit, &scope(&common))?;
            match common.format {
                ListFormat::Json => json(out, &answer)?,
                ListFormat::Table => {
                    paths_table(out, &answer.answer.paths, answer.answer.truncated)?
                }
            }
        }
        ReasonCommand::Impact {
            twin,
            perturbations,
            depth,
            paths,
            common,
        } => {
            let report = engine.impact(
                &perturbations,
                twin.as_deref(),
                depth,
                paths,
                &scope(&common),
            )?;
            match common.format {
                ListFormat::Json => json(out, &report)?,
                ListFormat::Table => {
                    impact_table(out, &report.impact)?;
                    if let Some(genes) = &report.drug_reach {
                        writeln!(out)?;
                        let rows: Vec<Vec<String>> = genes
                            .iter()
                            .map(|g| {
                                vec![
                                    g.gene.label.clone(),
                                    if g.drugs.is_empty() {
                                        "no drug in the store reaches it".to_owned()
                                    } else {
                                        g.drugs
                                            .iter()
                                            .map(|d| {
                                                format!(
                                                    "{} ({}, {} steps)",
                                                    d.label, d.sign, d.distance
                                                )
                                            })
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    },
                                ]
                            })
                            .collect();
                        super::render::table(out, &["altered gene", "drugs that reach it"], &rows)?;
                    }
                    for unused in &report.unused_variants {
                        writeln!(out, "variant not used: {unused}")?;
                    }
                }
            }
        }
        ReasonCommand::Drugs {
            drugs,
            depth,
            paths,
            common,
        } => {
            let report = engine.drug_reach(&drugs, depth, paths, &scope(&common))?;
            match common.format {
                ListFormat::Json => json(out, &report)?,
                ListFormat::Table => impact_table(out, &report)?,
            }
        }
        ReasonCommand::Neighbourhood {
            nodes,
            depth,
            direction,
            common,
        } => {
            let net = engine.neighbourhood(&nodes, depth, stream(direction), &scope(&common))?;
            subnetwork_out(out, &net, common.format)?;
        }
        ReasonCommand::PathsBetween {
            nodes,
            max_length,
            common,
        } => {
            let net = engine.paths_between(&nodes, max_length, &scope(&common))?;
            subnetwork_out(out, &net, common.format)?;
        }
        ReasonCommand::PathsFromTo {
            from,
            to,
            max_length,
            common,
        } => {
            let net = engine.paths_from_to(&from, &to, max_length, &scope(&common))?;
            subnetwork_out(out, &net, common.format)?;
        }
        ReasonCommand::CommonStream {
            nodes,
            depth,
            direction,
            common,
        } => {
            let s = stream(direction).unwrap_or(Stream::Downstream);
            let net = engine.common_stream(&nodes, depth, s, &scope(&common))?;
            subnetwork_out(out, &net, common.format)?;
        }
    }
    Ok(())
}

fn reach(engine: &Engine, args: Reach, stream: Stream, out: &mut impl Write) -> anyhow::Result<()> {
    let scope = Scope {
        graph: args.common.graph.clone(),
    };
    let answer = engine.reach(&args.node, args.depth, stream, &scope)?;
    reach_out(out, &answer, args.common.format)
}

fn reach_out(
    out: &mut impl Write,
    answer: &crate::engine::Neighbours,
    format: ListFormat,
) -> anyhow::Result<()> {
    if format == ListFormat::Json {
        return json(out, answer);
    }
    let rows: Vec<Vec<String>> = answer
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.label.clone(),
                crate::vocab::compact(&n.iri),
                n.distance.to_string(),
                n.sign.to_owned(),
                n.paths.first().map(arrows).unwrap_or_default(),
                evidence_count(&n.paths.iter().collect::<Vec<_>>()),
            ]
        })
        .collect();
    super::render::table(
        out,
        &[
            "node",
            "iri",
            "distance",
            "sign",
            "shortest path",
            "evidence",
        ],
        &rows,
    )?;
    writeln!(
        out,
        "{} nodes {} of {} within {} steps",
        answer.nodes.len(),
        answer.direction,
        answer.start.label,
        answer.depth
    )?;
    Ok(())
}

fn subnetwork_out(
    out: &mut impl Write,
    net: &Subnetwork,
    format: ListFormat,
) -> anyhow::Result<()> {
    match format {
        ListFormat::Json => json(out, net),
        ListFormat::Table => subnetwork_table(out, net),
    }
}

fn impact_table(out: &mut impl Write, impact: &crate::reason::Impact) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = impact
        .hallmarks
        .iter()
        .map(|h| {
            let best = if h.net == "down" {
                h.down.first()
            } else {
                h.up.first().or(h.down.first())
            };
            vec![
                h.label.clone(),
                if h.effect == "conflict" {
                    format!("conflict, net {}", h.net)
                } else {
                    h.effect.to_owned()
                },
                format!("{:.2}", h.score_up),
                format!("{:.2}", h.score_down),
                best.map(|e| format!("{}: {}", e.perturbation, arrows(&e.path)))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    super::render::table(
        out,
        &[
            "hallmark",
            "effect",
            "up",
            "down",
            "shortest explaining path",
        ],
        &rows,
    )?;
    writeln!(
        out,
        "{} hallmarks reached by {}; {} conflicts{}",
        impact.hallmarks.len(),
        impact.perturbations.join(", "),
        impact.conflicts,
        if impact.truncated {
            " (some path lists were cut at their limit)"
        } else {
            ""
        }
    )?;
    Ok(())
}
