//! What can twinpath do? The one API that the command line and the HTTP server call.
//!
//! `Engine` owns the store; every capability is a method here, so the CLI and the API stay
//! thin (parse, one call, render) and behave the same.

use crate::error::{Error, Result};
use crate::queries::{self, NamedQuery};
use crate::search::{Hit, SearchIndex, SearchRequest};
use crate::store::{
    check_syntax, Dataset, DiffSide, GraphDiff, GraphInfo, LoadOptions, LoadReport, LoadSource,
    Progress, QueryAnswer, QueryLimits, RdfFormatChoice, Store, ValidationReport,
};
use oxigraph::model::{NamedNode, Term, Variable};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

mod dosing;
mod logical;
pub use logical::{ModelSource, RunOptions};
mod ode;
pub use ode::{read_sbml_file, OdeOptions, OdeRequest, Population, TimeCourse};
mod twin_kinetic;
mod twins;
pub use twins::{AuditEntry, TwinImportReport, TwinScenario, TwinView};
mod reasoning;
pub use reasoning::{ImpactReport, Neighbours, PathsReport, PerturbationKind, Scope};

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// The bundled files under `prefix` (`"ontologies/"`, `"pathways/"`, `"queries/"`), in path order.
pub(crate) fn bundled_files(
    prefix: &'static str,
) -> impl Iterator<Item = (&'static str, &'static [u8])> {
    bundled::BUNDLED
        .iter()
        .copied()
        .filter(move |(path, _)| path.starts_with(prefix))
}

/// The engine: a store, the search index built from it, and the limits queries run under.
pub struct Engine {
    store: Store,
    limits: QueryLimits,
    /// Built from the store on the first search (most CLI commands never search), then kept in
    /// step with every load, update and drop.
    search: OnceLock<SearchIndex>,
    search_init: Mutex<()>,
    /// The signed interaction network, built from the store on first use after each write.
    network: RwLock<Option<Arc<crate::model::Network>>>,
    /// The data directory (runs' series files, the audit log); for a store in memory, a
    /// folder of its own under the system's temporary directory.
    data_dir: Option<PathBuf>,
    /// One writer at a time appends to the audit log.
    audit_lock: Mutex<()>,
}

/// What a load of several files and folders did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LoadSummary {
    pub loaded: Vec<LoadReport>,
    /// Files found in folders that are not RDF (by extension), left alone.
    pub skipped: Vec<PathBuf>,
    /// Twins imported (the bundled sample twins).
    pub twins: Vec<crate::store::TwinImported>,
}

impl LoadSummary {
    pub fn triples(&self) -> u64 {
        self.loaded.iter().map(|r| r.triples).sum()
    }
}

impl Engine {
    /// Opens the store in `dir` (created when missing).
    pub fn open(dir: &Path, limits: QueryLimits) -> Result<Self> {
        let mut engine = Self::with_store(Store::open(dir)?, limits);
        engine.data_dir = Some(dir.to_path_buf());
        Ok(engine)
    }

    /// An engine on an in-memory store.
    pub fn in_memory(limits: QueryLimits) -> Result<Self> {
        // Runs' series and the audit log still need a folder: one of its own per engine.
        static ENGINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut engine = Self::with_store(Store::in_memory()?, limits);
        engine.data_dir =
            Some(std::env::temp_dir().join(format!("twinpath-memory-{}-{n}", std::process::id())));
        Ok(engine)
    }

    fn with_store(store: Store, limits: QueryLimits) -> Self {
        Self {
            store,
            limits,
            search: OnceLock::new(),
            search_init: Mutex::new(()),
            network: RwLock::new(None),
            data_dir: None,
            audit_lock: Mutex::new(()),
        }
    }

    /// The search index, built from the store the first time it is needed.
    fn search_index(&self) -> Result<&SearchIndex> {
        if let Some(index) = self.search.get() {
            return Ok(index);
        }
        let _building = self.search_init.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = self.search.get() {
            return Ok(index);
        }
        let index = SearchIndex::new()?;
        index.rebuild(self.store.entities(None)?)?;
        Ok(self.search.get_or_init(|| index))
    }

    /// Brings the search index (when built) in step with graphs a load has just replaced.
    fn reindex(&self, graphs: &[String]) -> Result<()> {
        if let Some(index) = self.search.get() {
            let names = graphs
                .iter()
                .filter_map(|g| NamedNode::new(g).ok())
                .collect::<Vec<_>>();
            index.replace_graphs(graphs, self.store.entities(Some(&names))?)?;
        }
        Ok(())
    }

    /// Rebuilds the search index (when built) after a change of unknown extent (an update).
    fn reindex_all(&self) -> Result<()> {
        if let Some(index) = self.search.get() {
            index.rebuild(self.store.entities(None)?)?;
        }
        Ok(())
    }

    /// Finds entities by symbol, label, synonym, identifier or description (see [`crate::search`]).
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<Vec<Hit>> {
        Ok(self.search_index()?.search(request)?)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn limits(&self) -> QueryLimits {
        self.limits
    }

    /// Loads the ontologies and pathways bundled with this version, replacing earlier versions
    /// of them. They are validated together first, like any curated content.
    pub fn load_bundled(&self, progress: &dyn Progress) -> Result<LoadSummary> {
        let mut summary = LoadSummary::default();
        let mut labels = Vec::new();
        let mut contents = Vec::new();
        for (path, bytes) in bundled_files("ontologies/").chain(bundled_files("pathways/")) {
            let label = format!("bundled:{path}");
            if path.starts_with("pathways/twins/") {
                continue; // FHIR records, imported as twins below
            }
            if RdfFormatChoice::from_path(Path::new(path)).is_none() {
                summary.skipped.push(PathBuf::from(label));
                continue;
            }
            labels.push(label);
            contents.push(bytes);
        }
        let sources: Vec<LoadSource<'_>> = labels
            .iter()
            .zip(&contents)
            .map(|(name, bytes)| LoadSource::Bytes { name, bytes })
            .collect();
        self.write_validated(&sources, &LoadOptions::default(), progress, &mut summary)?;
        // The sample twins come last: their records join the genes, drugs and rules above.
        summary.twins = self.import_bundled_twins()?.twins;
        Ok(summary)
    }

    /// Validates `sources` as one batch (unless the options skip it), then loads each into its
    /// graph, then brings the inferences and the search index in step.
    fn write_validated(
        &self,
        sources: &[LoadSource<'_>],
        options: &LoadOptions,
        progress: &dyn Progress,
        summary: &mut LoadSummary,
    ) -> Result<()> {
        if options.skip_validation {
            // Still all or nothing across files: parse everything before writing anything.
            if sources.len() > 1 {
                for source in sources {
                    check_syntax(source, options)?;
                }
            }
        } else {
            let report = self.store.validate_batch(sources, options, true)?;
            if !report.is_valid() {
                return Err(Error::Invalid(Box::new(report)));
            }
        }
        let mut graphs = Vec::new();
        let mut outcome = Ok(());
        for source in sources {
            match self.store.load(source, options, progress) {
                Ok(report) => {
                    graphs.extend(report.graphs.iter().cloned());
                    summary.loaded.push(report);
                }
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        // Files loaded before a failing one stay loaded: the derived state must follow them.
        self.after_write(Some(&graphs))?;
        outcome
    }

    /// Keeps the derived state in step after a write: the inference graph, then the search index
    /// (for the graphs written, or all of it when the extent is unknown).
    fn after_write(&self, graphs: Option<&[String]>) -> Result<()> {
        self.forget_network();
        self.store.refresh_inferences()?;
        match graphs {
            Some(graphs) => self.reindex(graphs),
            None => self.reindex_all(),
        }
    }

    /// Loads the bundled content when nothing was ever loaded into this store (the first start).
    pub fn load_bundled_if_new(&self, progress: &dyn Progress) -> Result<Option<LoadSummary>> {
        if self.store.never_loaded()? {
            Ok(Some(self.load_bundled(progress)?))
        } else {
            Ok(None)
        }
    }

    /// Loads files and folders (recursively). With more than one file, every file is parsed
    /// first, so a syntax error anywhere loads nothing; then each file is loaded atomically
    /// into its own graph.
    pub fn load_paths(
        &self,
        paths: &[PathBuf],
        options: &LoadOptions,
        progress: &dyn Progress,
    ) -> Result<LoadSummary> {
        let mut summary = LoadSummary::default();
        let mut files = Vec::new();
        for path in paths {
            let meta = std::fs::metadata(path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            if meta.is_dir() {
                collect_rdf_files(path, options, &mut files, &mut summary.skipped)?;
            } else {
                files.push(path.clone());
            }
        }
        if files.is_empty() {
            return Err(Error::BadInput(format!(
                "no RDF files to load in {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if files.len() > 1 && options.graph.is_some() {
            return Err(Error::BadInput(
                "--graph names one graph, but several files were given; load them one by one"
                    .into(),
            ));
        }
        // Two files may not write the same graph in one load: the second would silently replace the first.
        let mut owners = BTreeMap::<NamedNode, &Path>::new();
        for file in &files {
            let graph = match &options.graph {
                Some(g) => g.clone(),
                None => crate::store::default_graph_for(file)?,
            };
            if let Some(other) = owners.insert(graph.clone(), file) {
                return Err(Error::BadInput(format!(
                    "{} and {} would both load into <{}>; load them separately or rename one",
                    other.display(),
                    file.display(),
                    graph.as_str()
                )));
            }
        }
        let sources: Vec<LoadSource<'_>> = files.iter().map(|f| LoadSource::File(f)).collect();
        self.write_validated(&sources, options, progress, &mut summary)?;
        Ok(summary)
    }

    /// Loads RDF held in memory (an HTTP upload) under `name`, validated like a file.
    pub fn load_bytes(
        &self,
        name: &str,
        bytes: &[u8],
        options: &LoadOptions,
    ) -> Result<LoadReport> {
        let mut summary = LoadSummary::default();
        self.write_validated(
            &[LoadSource::Bytes { name, bytes }],
            options,
            &crate::store::NoProgress,
            &mut summary,
        )?;
        summary
            .loaded
            .pop()
            .ok_or_else(|| Error::Validation("the load reported nothing".into()))
    }

    /// Checks files as one batch without loading them: syntax, the SHACL shapes, and the
    /// cross-checks against what this engine's store holds outside the graphs the files would
    /// replace (see [`crate::store::ValidationReport`]).
    pub fn validate(&self, paths: &[PathBuf], options: &LoadOptions) -> Result<ValidationReport> {
        let sources: Vec<LoadSource<'_>> = paths.iter().map(|p| LoadSource::File(p)).collect();
        self.store.validate_batch(&sources, options, false)
    }

    /// What changed between two versions of a file or graph (see [`crate::store::GraphDiff`]).
    pub fn diff(&self, old: &DiffSide, new: &DiffSide, options: &LoadOptions) -> Result<GraphDiff> {
        self.store.diff(old, new, options)
    }

    /// Runs a SPARQL query over `dataset` under the engine's limits.
    pub fn query(&self, query: &str, dataset: &Dataset) -> Result<QueryAnswer> {
        let functions = self.sparql_functions(query)?;
        self.store
            .query(query, dataset, &[], self.limits, &functions)
    }

    /// The named queries shipped in `queries/`.
    pub fn named_queries(&self) -> Vec<NamedQuery> {
        queries::all()
    }

    /// Runs the named query `name` with parameter values `params` (`name=value` pairs).
    /// With `public_only`, patients' graphs and runs are out of the query's reach.
    pub fn run_named_query(
        &self,
        name: &str,
        params: &[(String, String)],
        public_only: bool,
    ) -> Result<QueryAnswer> {
        let query = queries::get(name)?;
        let bindings: Vec<(Variable, Term)> = query.bindings(params)?;
        let functions = self.sparql_functions(&query.text)?;
        self.store.query(
            &query.text,
            &Dataset {
                public_only,
                ..Dataset::default()
            },
            &bindings,
            self.limits,
            &functions,
        )
    }

    /// Applies a SPARQL Update atomically.
    pub fn update(&self, update: &str) -> Result<()> {
        self.store.update(update)?;
        self.after_write(None)
    }

    /// Exports one graph, or the whole store as N-Quads or TriG (a backup that `load` reads back).
    pub fn dump(
        &self,
        graph: Option<&NamedNode>,
        format: RdfFormatChoice,
        out: &mut dyn std::io::Write,
    ) -> Result<()> {
        self.store.dump(graph, format.rdf_format(), out)
    }

    /// Writes a consistent copy of the store into `dir`, which must not exist yet.
    pub fn backup(&self, dir: &Path) -> Result<()> {
        if dir.exists() {
            return Err(Error::BadInput(format!(
                "{} exists; a backup goes into a new directory",
                dir.display()
            )));
        }
        self.store.backup(dir)
    }

    /// Removes a named graph; false when there was none.
    pub fn drop_graph(&self, graph: &NamedNode) -> Result<bool> {
        let dropped = self.store.drop_graph(graph)?;
        if dropped {
            self.after_write(Some(&[graph.as_str().to_owned()]))?;
        }
        Ok(dropped)
    }

    /// The triples of one named graph, under the query limits; `None` when the graph does not exist.
    pub fn graph_content(&self, graph: &NamedNode) -> Result<Option<QueryAnswer>> {
        if !self
            .store
            .named_graphs()?
            .iter()
            .any(|g| matches!(g, oxigraph::model::NamedOrBlankNode::NamedNode(n) if n == graph))
        {
            return Ok(None);
        }
        let query = format!(
            "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{}> {{ ?s ?p ?o }} }}",
            graph.as_str()
        );
        Ok(Some(self.query(&query, &Dataset::default())?))
    }

    /// Every named graph with its size and the load that last wrote it.
    pub fn graphs(&self) -> Result<Vec<GraphInfo>> {
        self.store.graphs()
    }
}

fn collect_rdf_files(
    dir: &Path,
    options: &LoadOptions,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<PathBuf>,
) -> Result<()> {
    let read_error = |source| Error::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(read_error)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(read_error)?;
    entries.sort();
    for path in entries {
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            collect_rdf_files(&path, options, files, skipped)?;
        } else if options.format.is_some() || crate::store::SourceFormat::from_path(&path).is_some()
        {
            files.push(path);
        } else {
            skipped.push(path);
        }
    }
    Ok(())
}
