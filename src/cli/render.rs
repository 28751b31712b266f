//! How results look on a terminal: aligned tables, IRIs shortened with the usual prefixes.

use crate::engine::LoadSummary;
use crate::queries::NamedQuery;
use crate::store::{GraphInfo, QueryAnswer};
use oxigraph::model::Term;
use std::io::{self, Write};

/// A term as a person reads it: `tw:Gene` rather than the full IRI, literals by their value.
pub fn compact(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => compact_iri(n.as_str()),
        Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
}

fn compact_iri(iri: &str) -> String {
    crate::vocab::PREFIXES
        .iter()
        .filter_map(|(prefix, ns)| iri.strip_prefix(ns).map(|local| (prefix, local)))
        .filter(|(_, local)| !local.is_empty() && !local.contains(['/', '#']))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(prefix, local)| format!("{prefix}:{local}"))
        .unwrap_or_else(|| format!("<{iri}>"))
}

/// Writes rows as a table with a header line, columns padded to their widest cell.
pub fn table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, width)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            text.extend(std::iter::repeat_n(
                ' ',
                width.saturating_sub(cell.chars().count()),
            ));
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &mut header.iter().copied())?;
    line(
        out,
        &mut widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    )?;
    for row in rows {
        line(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

pub fn answer_table(out: &mut impl Write, answer: &QueryAnswer) -> io::Result<()> {
    match answer {
        QueryAnswer::Boolean(value) => writeln!(out, "{value}"),
        QueryAnswer::Solutions { variables, rows } => {
            let header: Vec<&str> = variables.iter().map(|v| v.as_str()).collect();
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|t| t.as_ref().map(compact).unwrap_or_default())
                        .collect()
                })
                .collect();
            table(out, &header, &rows)?;
            writeln!(out, "({} rows)", rows.len())
        }
        QueryAnswer::Graph(triples) => {
            let rows: Vec<Vec<String>> = triples
                .iter()
                .map(|t| {
                    vec![
                        compact(&t.subject.clone().into()),
                        compact_iri(t.predicate.as_str()),
                        compact(&t.object),
                    ]
                })
                .collect();
            table(out, &["subject", "predicate", "object"], &rows)?;
            writeln!(out, "({} triples)", rows.len())
        }
    }
}

pub fn load_summary(out: &mut impl Write, summary: &LoadSummary) -> io::Result<()> {
    for report in &summary.loaded {
        writeln!(
            out,
            "{} -> <{}>: {} triples{} in {:.2} s ({:.0} triples/s)",
            report.source,
            report.graph,
            report.triples,
            if report.replaced {
                ", replacing the earlier version"
            } else {
                ""
            },
            report.elapsed.as_secs_f64(),
            report.rate()
        )?;
        for extra in report.graphs.iter().filter(|g| **g != report.graph) {
            writeln!(out, "    also wrote <{extra}>")?;
        }
    }
    for skipped in &summary.skipped {
        writeln!(
            out,
            "skipped {} (not an RDF file by its extension)",
            skipped.display()
        )?;
    }
    writeln!(
        out,
        "{} files, {} triples loaded",
        summary.loaded.len(),
        summary.triples()
    )
}

pub fn graphs_table(out: &mut impl Write, graphs: &[GraphInfo]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = graphs
        .iter()
        .map(|g| {
            vec![
                g.graph.clone(),
                g.triples.to_string(),
                g.source
                    .clone()
                    .unwrap_or_else(|| "(not loaded from a file)".into()),
                g.loaded_at.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(out, &["graph", "triples", "source", "loaded at"], &rows)
}

pub fn queries_table(out: &mut impl Write, queries: &[NamedQuery]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = queries
        .iter()
        .map(|q| {
            vec![
                q.name.clone(),
                q.title.clone(),
                q.params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    table(out, &["name", "title", "parameters"], &rows)
}

pub fn hits_table(out: &mut impl Write, hits: &[crate::search::Hit]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| {
            vec![
                h.label.clone(),
                h.kind.clone(),
                compact_iri(&h.iri),
                format!("{} {}", h.how, h.matched),
                format!("{:.1}", h.score),
            ]
        })
        .collect();
    table(out, &["label", "type", "iri", "matched", "score"], &rows)
}
