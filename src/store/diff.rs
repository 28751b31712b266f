//! What changed between two versions of a file or graph? Statements added and removed, grouped
//! by subject, with blank nodes matched by canonicalization so that renaming them is no change.

use super::load::{LoadOptions, LoadSource, Reading};
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
                // Which graph the statements land in does not matter here: the diff compares
                // triples, whatever named graphs a quad syntax spreads them over.
                let source = LoadSource::File(path);
                let options = LoadOptions {
                    graph: Some(NamedNode::new_unchecked(format!("{}diff", vocab::GRAPH))),
                    ..options.clone()
                };
                let reading = Reading::new(&source, &options)?;
                for quad in reading.quads(source.open()?)? {
                    graph.insert(&Triple::from(quad?));
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
        // Per subject: (added, removed).
        type Sides = (BTreeSet<Statement>, BTreeSet<Statement>);
        let mut changes: BTreeMap<String, Sides> = BTreeMap::new();
        let statement = |predicate: &NamedNode, object: &Term| Statement {
            predicate: predicate.to_string(),
            object: object.to_string(),
        };
        // Statements of `from` that `other` lacks, filed under their subject on one side.
        let mut file =
            |from: &Graph, other: &Graph, side: fn(&mut Sides) -> &mut BTreeSet<Statement>| {
                let mut count = 0;
                for t in from.iter().filter(|t| !other.contains(*t)) {
                    count += 1;
                    side(changes.entry(t.subject.to_string()).or_default())
                        .insert(statement(&t.predicate.into_owned(), &t.object.into_owned()));
                }
                count
            };
        let added = file(&new, &old, |s| &mut s.0);
        let removed = file(&old, &new, |s| &mut s.1);
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
