//! How results look on a terminal: aligned tables, IRIs shortened with the usual prefixes.

use crate::engine::LoadSummary;
use crate::queries::NamedQuery;
use crate::store::{GraphInfo, QueryAnswer};
use oxigraph::model::Term;
use std::io::{self, Write};

/// A term as a person reads it: `tw:Gene` rather than the full IRI, literals by their value.
pub fn compact(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => crate::vocab::compact(n.as_str()),
        Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
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
                        crate::vocab::compact(t.predicate.as_str()),
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
                crate::vocab::compact(&h.iri),
                format!("{} {}", h.how, h.matched),
                format!("{:.1}", h.score),
            ]
        })
        .collect();
    table(out, &["label", "type", "iri", "matched", "score"], &rows)
}

/// One line per file (`ok` with its statement count), then one line per problem.
pub fn validation(out: &mut impl Write, report: &crate::store::ValidationReport) -> io::Result<()> {
    for file in &report.files {
        if file.problems.is_empty() {
            writeln!(
                out,
                "{}: ok ({} statements)",
                file.file.display(),
                file.statements
            )?;
        } else {
            for problem in &file.problems {
                writeln!(out, "{problem}")?;
            }
        }
    }
    let problems = report.problems().count();
    if problems > 0 {
        let files = report
            .files
            .iter()
            .filter(|f| !f.problems.is_empty())
            .count();
        writeln!(
            out,
            "{problems} problem{} in {files} of {} files",
            if problems == 1 { "" } else { "s" },
            report.files.len()
        )?;
    }
    Ok(())
}

/// Subjects in order, each with its removed (`-`) and added (`+`) statements, IRIs shortened.
pub fn diff(out: &mut impl Write, diff: &crate::store::GraphDiff) -> io::Result<()> {
    let short = |text: &str| -> String {
        match text.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
            Some(iri) => crate::vocab::compact(iri),
            None => text.to_owned(),
        }
    };
    for change in &diff.subjects {
        writeln!(out, "{}", short(&change.subject))?;
        for (sign, statements) in [("-", &change.removed), ("+", &change.added)] {
            for s in statements {
                writeln!(out, "  {sign} {} {}", short(&s.predicate), short(&s.object))?;
            }
        }
    }
    writeln!(
        out,
        "{} added, {} removed, {} subject{} changed",
        diff.added,
        diff.removed,
        diff.subjects.len(),
        if diff.subjects.len() == 1 { "" } else { "s" }
    )
}
