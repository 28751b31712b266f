//! What changed between two versions of a file or graph? Statements added and removed, grouped
//! by subject, with blank nodes matched by canonicalization so that renaming them is no change.

use super::load::{parse_error, parser, resolve_format, LoadOptions, LoadSource};
use super::Store;
use crate::error::{Error, Result};
use crate::vocab;
use oxigraph::model::{
    dataset::CanonicalizationAlgorithm, Graph, GraphNameRef, NamedNode, Term, Triple,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// One side of a diff: a file, or a graph of the store.
#[derive(Debug, Clone)]
pub enum DiffSide {
    File(PathBuf),
    Graph(NamedNode),
}

/// One statement of a subject, in N-Triples term syntax.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Statement {
    pub predicate: String,
    pub object: String,
}

/// What changed about one subject.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectChange {
    pub subject: String,
    pub added: Vec<Statement>,
    pub removed: Vec<Statement>,
}

/// The difference between two versions.
#[derive(Debug, Clone, Serialize)]
pub struct GraphDiff {
    pub added: usize,
    pub removed: usize,
    pub subjects: Vec<SubjectChange>,
}

impl Store {
    fn side_graph(&self, side: &DiffSide, options: &LoadOptions) -> Result<Graph> {
        let mut graph = Graph::new();
        match side {
            DiffSide::File(path) => {
                let source = LoadSource::File(path);
                let label = source.label();
                let format = resolve_format(&source, options)?;
                // Which graph the statements land in does not matter here: the diff compares
                // triples, whatever named graphs a quad syntax spreads them over.
                let name = NamedNode::new_unchecked(format!("{}diff", vocab::GRAPH));
                let base = options.base_iri.clone().or_else(|| source.base_iri());
                for quad in parser(format, base, &name, &label)?.for_reader(source.open()?) {
                    graph.insert(&Triple::from(quad.map_err(|e| parse_error(&label, e))?));
                }
            }
            DiffSide::Graph(name) => {
                if !self.inner.contains_named_graph(name)? {
                    return Err(Error::NotFound(format!(
                        "the store has no graph <{}>",
                        name.as_str()
                    )));
                }
                for quad in self.inner.quads_for_pattern(
                    None,
                    None,
                    None,
                    Some(GraphNameRef::NamedNode(name.as_ref())),
                ) {
                    graph.insert(&Triple::from(quad?));
                }
            }
        }
        graph.canonicalize(CanonicalizationAlgorithm::Unstable);
        Ok(graph)
    }

    /// The statements of `new` that `old` lacks and those of `old` that `new` lacks.
    pub fn diff(&self, old: &DiffSide, new: &DiffSide, options: &LoadOptions) -> Result<GraphDiff> {
        let old = self.side_graph(old, options)?;
        let new = self.side_graph(new, options)?;
        let mut changes: BTreeMap<String, (BTreeSet<Statement>, BTreeSet<Statement>)> =
            BTreeMap::new();
        let statement = |predicate: &NamedNode, object: &Term| Statement {
            predicate: predicate.to_string(),
            object: object.to_string(),
        };
        let mut added = 0;
        for t in new.iter().filter(|t| !old.contains(*t)) {
            added += 1;
            changes
                .entry(t.subject.to_string())
                .or_default()
                .0
                .insert(statement(&t.predicate.into_owned(), &t.object.into_owned()));
        }
        let mut removed = 0;
        for t in old.iter().filter(|t| !new.contains(*t)) {
            removed += 1;
            changes
                .entry(t.subject.to_string())
                .or_default()
                .1
                .insert(statement(&t.predicate.into_owned(), &t.object.into_owned()));
        }
        Ok(GraphDiff {
            added,
            removed,
            subjects: changes
                .into_iter()
                .map(|(subject, (added, removed))| SubjectChange {
                    subject,
                    added: added.into_iter().collect(),
                    removed: removed.into_iter().collect(),
                })
                .collect(),
        })
    }
}
