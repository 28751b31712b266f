//! Where the knowledge lives: the oxigraph store, with atomic loads, a catalog of
//! what was loaded, and queries that run under a time and size limit.
//!
//! Writers (loads and updates) are serialised by one lock; readers never wait for
//! them and see either the state before a write or after it (RocksDB snapshots).

pub mod catalog;
mod curation;
mod diff;
mod drugs;
mod extract;
mod inference;
mod load;
mod query;
mod reactions;
mod twins;

use crate::error::{Error, Result};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphNameRef, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::SparqlEvaluator;
use oxigraph::store::SerializerError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use catalog::{GraphInfo, LoadRecord};
pub use curation::{FileReport, Problem, ValidationReport};
pub use diff::{DiffSide, GraphDiff, Statement, SubjectChange};
pub use drugs::{CuratedDose, DrugFacts, TargetPotency};
pub use extract::CompiledLogical;
pub use inference::InferenceChange;
pub use load::{
    check_syntax, default_graph_for, LoadOptions, LoadReport, LoadSource, NoProgress, Progress,
    RdfFormatChoice, SourceFormat,
};
pub use query::{CustomFunction, Dataset, QueryAnswer, QueryLimits, ResultFormat};
pub use twins::{TwinImported, TwinSummary};

/// The RDF store behind the engine: RocksDB on disk, or memory for tests.
pub struct Store {
    inner: oxigraph::store::Store,
    /// One writer at a time: loads check which graphs exist before they choose how to write,
    /// and that check must still hold when they commit.
    write_lock: Mutex<()>,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (or creates) the store in `dir`. Fails if another process holds it open.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Self {
            inner: oxigraph::store::Store::open(dir)?,
            write_lock: Mutex::new(()),
            path: Some(dir.to_path_buf()),
        })
    }

    /// A store that lives in memory only (tests, one-off validation).
    pub fn in_memory() -> Result<Self> {
        Ok(Self {
            inner: oxigraph::store::Store::new()?,
            write_lock: Mutex::new(()),
            path: None,
        })
    }

    /// Number of quads in the whole store (all graphs).
    pub fn len(&self) -> Result<usize> {
        Ok(self.inner.len()?)
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.inner.is_empty()?)
    }

    /// True when nothing was ever loaded into this store (the catalog is empty).
    pub fn never_loaded(&self) -> Result<bool> {
        Ok(!self.inner.contains_named_graph(catalog_graph())?)
    }

    /// Number of triples in one named graph.
    pub fn graph_len(&self, graph: &NamedNode) -> Result<usize> {
        let mut n = 0;
        for quad in self.inner.quads_for_pattern(
            None,
            None,
            None,
            Some(GraphNameRef::NamedNode(graph.as_ref())),
        ) {
            quad?;
            n += 1;
        }
        Ok(n)
    }

    /// The named graphs in the store, in IRI order.
    pub fn named_graphs(&self) -> Result<Vec<NamedOrBlankNode>> {
        let mut graphs = self.inner.named_graphs().collect::<Result<Vec<_>, _>>()?;
        graphs.sort_by_key(|a| a.to_string());
        Ok(graphs)
    }

    /// Applies a SPARQL 1.1 Update atomically (all of it or nothing).
    pub fn update(&self, update: &str) -> Result<()> {
        let prepared = SparqlEvaluator::new().parse_update(update)?;
        let _writer = self.lock_writer();
        prepared.on_store(&self.inner).execute()?;
        Ok(())
    }

    /// Removes a named graph and its triples; false when there was none. The catalog keeps
    /// the history of the graph's loads.
    pub fn drop_graph(&self, graph: &NamedNode) -> Result<bool> {
        if graph.as_ref() == crate::vocab::CATALOG_GRAPH {
            return Err(Error::BadInput(
                "the catalog graph cannot be dropped".into(),
            ));
        }
        let _writer = self.lock_writer();
        if !self.inner.contains_named_graph(graph)? {
            return Ok(false);
        }
        self.inner.remove_named_graph(graph)?;
        Ok(true)
    }

    /// Writes one graph (any RDF syntax) or, without `graph`, the whole store (N-Quads or TriG).
    pub fn dump(
        &self,
        graph: Option<&NamedNode>,
        format: RdfFormat,
        out: &mut dyn Write,
    ) -> Result<()> {
        let mut serializer = RdfSerializer::from_format(format);
        for (prefix, iri) in crate::vocab::PREFIXES {
            serializer = serializer
                .with_prefix(*prefix, *iri)
                .map_err(|e| Error::BadInput(format!("prefix {prefix}: {e}")))?;
        }
        let written = match graph {
            Some(graph) => {
                if !self.inner.contains_named_graph(graph)? {
                    return Err(Error::NotFound(format!("no graph <{}>", graph.as_str())));
                }
                self.inner.dump_graph_to_writer(graph, serializer, out).map(|_| ())
            }
            None if !format.supports_datasets() => {
                return Err(Error::BadInput(format!(
                    "the whole store has many graphs; dump it as nquads or trig, or name one graph (not {})",
                    format.name()
                )))
            }
            None => self.inner.dump_to_writer(serializer, out).map(|_| ()),
        };
        written.map_err(|e| match e {
            SerializerError::Io(e) => Error::Io(e),
            SerializerError::Storage(e) => Error::Storage(e),
            e @ SerializerError::DatasetFormatExpected(_) => Error::BadInput(e.to_string()),
        })
    }

    /// Writes a consistent copy of the store to `dir` (a RocksDB checkpoint), usable as a data directory.
    pub fn backup(&self, dir: &Path) -> Result<()> {
        if self.path.is_none() {
            return Err(Error::BadInput(
                "an in-memory store has nothing to back up".into(),
            ));
        }
        Ok(self.inner.backup(dir)?)
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        // A writer that panicked left no partial state behind (its transaction was dropped),
        // so a poisoned lock is safe to take over.
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn catalog_graph() -> oxigraph::model::NamedOrBlankNodeRef<'static> {
    crate::vocab::CATALOG_GRAPH.into()
}
