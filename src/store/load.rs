//! How a file becomes a named graph: atomically, streamed, recorded in the catalog.
//!
//! Two ways to write, chosen per load, both all-or-nothing:
//! - into graphs that do not exist yet, the oxigraph bulk loader writes sorted files and
//!   ingests them (data and catalog record together) in one atomic step at the end;
//! - over graphs that exist, one transaction inserts the triples the old version lacks, removes
//!   the ones the new version lacks, adds the catalog record, and commits; readers see the old
//!   graph until the commit.
//!
//! A syntax error anywhere in the file abandons the load before anything is written.

use super::catalog::{self, LoadRecord};
use super::Store;
use crate::error::{Error, Position, Result};
use crate::import::{Columns, ImportFormat};
use crate::vocab;
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParseError, RdfParser};
use oxigraph::model::{GraphName, GraphNameRef, NamedNode};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The RDF syntaxes a load accepts, by the names the CLI and HTTP API use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdfFormatChoice {
    Turtle,
    Ntriples,
    Nquads,
    Trig,
    Rdfxml,
    Jsonld,
}

impl RdfFormatChoice {
    /// Every choice, by the name the CLI and the HTTP API use.
    pub const NAMES: [(&'static str, RdfFormatChoice); 6] = [
        ("turtle", Self::Turtle),
        ("ntriples", Self::Ntriples),
        ("nquads", Self::Nquads),
        ("trig", Self::Trig),
        ("rdfxml", Self::Rdfxml),
        ("jsonld", Self::Jsonld),
    ];

    /// The choice called `name` (`turtle`, `ntriples`, `nquads`, `trig`, `rdfxml`, `jsonld`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, c)| *c)
    }

    pub fn rdf_format(self) -> RdfFormat {
        match self {
            Self::Turtle => RdfFormat::Turtle,
            Self::Ntriples => RdfFormat::NTriples,
            Self::Nquads => RdfFormat::NQuads,
            Self::Trig => RdfFormat::TriG,
            Self::Rdfxml => RdfFormat::RdfXml,
            Self::Jsonld => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
        }
    }

    /// The format a file name's extension stands for, if it is one of ours.
    /// `.xml` and `.json` are left out on purpose: SBML and FHIR use them too.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "ttl" | "turtle" => Self::Turtle,
            "nt" | "ntriples" => Self::Ntriples,
            "nq" | "nquads" => Self::Nquads,
            "trig" => Self::Trig,
            "rdf" | "owl" | "rdfxml" => Self::Rdfxml,
            "jsonld" => Self::Jsonld,
            _ => return None,
        })
    }

    /// The format named by a media type (for HTTP uploads).
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let format = RdfFormat::from_media_type(media_type)?;
        Self::NAMES
            .iter()
            .map(|(_, c)| *c)
            .find(|c| c.rdf_format().media_type() == format.media_type())
    }
}

/// What a source is: RDF in one of its syntaxes, or a published network format that is
/// imported into RDF (see [`crate::import`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Rdf(RdfFormatChoice),
    Import(ImportFormat),
}

impl SourceFormat {
    /// Every name `--format` accepts.
    pub fn names() -> Vec<&'static str> {
        let mut names: Vec<&str> = RdfFormatChoice::NAMES.iter().map(|(n, _)| *n).collect();
        names.extend([
            "gpml",
            "sif",
            "tsv",
            "csv",
            "bnet",
            "sbml",
            "sbml-qual",
            "maboss",
        ]);
        names
    }

    /// The format called `name`: an RDF syntax, or `gpml`, `sif`, `tsv`, `csv`.
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some(rdf) = RdfFormatChoice::from_name(name) {
            return Some(Self::Rdf(rdf));
        }
        Some(Self::Import(match name.to_ascii_lowercase().as_str() {
            "gpml" => ImportFormat::Gpml,
            "sif" => ImportFormat::Sif,
            "tsv" => ImportFormat::Table { delimiter: b'\t' },
            "csv" => ImportFormat::Table { delimiter: b',' },
            "bnet" => ImportFormat::Bnet,
            "sbml-qual" => ImportFormat::SbmlQual,
            "sbml" => ImportFormat::Sbml,
            "maboss" | "bnd" => ImportFormat::Maboss,
            _ => return None,
        }))
    }

    /// The format a file's extension stands for: RDF syntaxes, `.gpml` and `.sif`. Tables
    /// (`.tsv`, `.csv`) are loaded only when `--format` says so, since a table is not always a
    /// network.
    pub fn from_path(path: &Path) -> Option<Self> {
        if let Some(rdf) = RdfFormatChoice::from_path(path) {
            return Some(Self::Rdf(rdf));
        }
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "gpml" => Some(Self::Import(ImportFormat::Gpml)),
            "sif" => Some(Self::Import(ImportFormat::Sif)),
            "bnet" => Some(Self::Import(ImportFormat::Bnet)),
            "sbml" => Some(Self::Import(ImportFormat::Sbml)),
            "bnd" => Some(Self::Import(ImportFormat::Maboss)),
            "xml" => Some(Self::Import(ImportFormat::Sbml)),
            _ => None,
        }
    }
}

impl From<RdfFormatChoice> for SourceFormat {
    fn from(choice: RdfFormatChoice) -> Self {
        Self::Rdf(choice)
    }
}

/// How a source's bytes are read, once settled.
#[derive(Debug, Clone, Copy)]
pub(super) enum Syntax {
    Rdf(RdfFormat),
    Import(ImportFormat),
}

impl Syntax {
    pub(super) fn media_type(self) -> &'static str {
        match self {
            Syntax::Rdf(f) => f.media_type(),
            Syntax::Import(f) => f.media_type(),
        }
    }

    fn supports_datasets(self) -> bool {
        matches!(self, Syntax::Rdf(f) if f.supports_datasets())
    }

    /// Imported formats are published networks, not curated content.
    pub(super) fn is_import(self) -> bool {
        matches!(self, Syntax::Import(_))
    }
}

/// Where the bytes of a load come from.
pub enum LoadSource<'a> {
    /// A file on disk, read in a stream.
    File(&'a Path),
    /// Bytes already in memory (bundled content, an HTTP request body), with a name for
    /// messages and the catalog.
    Bytes { name: &'a str, bytes: &'a [u8] },
}

impl LoadSource<'_> {
    /// The name used in error messages and recorded in the catalog.
    pub fn label(&self) -> PathBuf {
        match self {
            LoadSource::File(path) => path.to_path_buf(),
            LoadSource::Bytes { name, .. } => PathBuf::from(name),
        }
    }

    fn size(&self) -> Option<u64> {
        match self {
            LoadSource::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            LoadSource::Bytes { bytes, .. } => Some(bytes.len() as u64),
        }
    }

    pub(super) fn open(&self) -> Result<Box<dyn Read + '_>> {
        Ok(match self {
            LoadSource::File(path) => Box::new(BufReader::with_capacity(
                1 << 16,
                std::fs::File::open(path).map_err(|source| Error::Read {
                    path: path.to_path_buf(),
                    source,
                })?,
            )),
            LoadSource::Bytes { bytes, .. } => Box::new(*bytes),
        })
    }

    /// The base IRI relative IRIs in the file resolve against.
    pub(super) fn base_iri(&self) -> Option<String> {
        match self {
            LoadSource::File(path) => {
                let absolute = std::path::absolute(path).ok()?;
                Some(format!(
                    "file://{}",
                    percent_encode_path(&absolute.to_string_lossy())
                ))
            }
            LoadSource::Bytes { name, .. } => Some(format!(
                "https://twinpath.org/source/{}",
                percent_encode_path(name)
            )),
        }
    }
}

/// What the caller may choose about a load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The syntax; by default from the file's extension.
    pub format: Option<SourceFormat>,
    /// Which columns of an imported table hold what (detected from the header by default).
    pub columns: Columns,
    /// The graph the file's triples go to; by default derived from the file name.
    pub graph: Option<NamedNode>,
    /// The base IRI for relative IRIs; by default the file's own `file://` IRI.
    pub base_iri: Option<String>,
    /// Load curated content even when it breaks the curation rules (`--no-validate`).
    pub skip_validation: bool,
    /// A second file read with the first: the `.cfg` of a MaBoSS `.bnd` (by default the
    /// `.cfg` of the same name beside it, when there is one).
    pub companion: Option<PathBuf>,
}

/// Hears how far a load has come (the CLI draws a progress bar from it).
pub trait Progress: Sync {
    fn start(&self, _label: &Path, _total_bytes: Option<u64>) {}
    fn advance(&self, _bytes_read: u64) {}
    fn finish(&self, _triples: u64) {}
}

/// A progress observer that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// How a load went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadReport {
    pub source: String,
    /// The graph the file's default-graph triples went to.
    pub graph: String,
    /// Every graph the load wrote (more than one only for N-Quads and TriG).
    pub graphs: Vec<String>,
    /// Statements read from the file.
    pub triples: u64,
    pub bytes: u64,
    pub sha256: String,
    /// True when the load replaced graphs that existed before.
    pub replaced: bool,
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
    /// The catalog's `tw:Load` IRI for this load.
    pub record: String,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl LoadReport {
    /// Triples per second.
    pub fn rate(&self) -> f64 {
        self.triples as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The graph a file goes to when the caller names none: `https://twinpath.org/graph/<file stem>`,
/// so that loading the same file again, alone or in its folder, replaces the same graph.
pub fn default_graph_for(label: &Path) -> Result<NamedNode> {
    let stem = label
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::BadInput(format!(
                "cannot derive a graph name from {}; pass --graph IRI",
                label.display()
            ))
        })?;
    NamedNode::new(format!("{}{}", vocab::GRAPH, percent_encode_path(stem)))
        .map_err(|e| Error::BadInput(format!("graph IRI for {}: {e}", label.display())))
}

fn resolve_format(source: &LoadSource<'_>, options: &LoadOptions) -> Result<Syntax> {
    let label = source.label();
    match options.format.or_else(|| SourceFormat::from_path(&label)) {
        Some(SourceFormat::Rdf(choice)) => Ok(Syntax::Rdf(choice.rdf_format())),
        Some(SourceFormat::Import(format)) => Ok(Syntax::Import(format)),
        None => Err(Error::BadInput(format!(
            "{}: unknown syntax; use one of the extensions .ttl .nt .nq .trig .rdf .owl .jsonld .gpml .sif, or pass --format (tables: --format tsv|csv)",
            label.display()
        ))),
    }
}

fn parser(
    format: RdfFormat,
    base: Option<String>,
    graph: &NamedNode,
    label: &Path,
) -> Result<RdfParser> {
    let mut parser = RdfParser::from_format(format)
        // Blank nodes are scoped to their file: two loads must never share one.
        .rename_blank_nodes()
        .with_default_graph(GraphName::NamedNode(graph.clone()));
    if let Some(base) = base {
        parser = parser
            .with_base_iri(base.clone())
            .map_err(|e| Error::BadInput(format!("{}: base IRI {base}: {e}", label.display())))?;
    }
    Ok(parser)
}

fn parse_error(label: &Path, error: RdfParseError) -> Error {
    match error {
        RdfParseError::Io(source) => Error::Read {
            path: label.to_path_buf(),
            source,
        },
        RdfParseError::Syntax(e) => Error::Syntax {
            file: label.to_path_buf(),
            position: e.location().map(|r| Position {
                line: r.start.line + 1,
                column: r.start.column + 1,
            }),
            message: {
                // The parsers repeat the position ("Parser error at line 3 column 5: …"); keep
                // the reason only, since the error names file, line and column already.
                let text = e.to_string();
                match text.split_once(": ") {
                    Some((head, reason))
                        if e.location().is_some() && head.starts_with("Parser error") =>
                    {
                        reason.to_owned()
                    }
                    _ => text,
                }
            },
        },
    }
}

/// How one source is read, settled once: its label, syntax, the graph its default-graph
/// statements go to, and its base IRI. Loads, validation and diff all read sources this way.
pub(super) struct Reading {
    pub label: PathBuf,
    pub format: Syntax,
    pub graph: NamedNode,
    base: Option<String>,
    columns: Columns,
    companion: Option<PathBuf>,
}

impl Reading {
    pub(super) fn new(source: &LoadSource<'_>, options: &LoadOptions) -> Result<Self> {
        let label = source.label();
        let format = resolve_format(source, options)?;
        let graph = match &options.graph {
            Some(g) => g.clone(),
            None => default_graph_for(&label)?,
        };
        let base = options.base_iri.clone().or_else(|| source.base_iri());
        Ok(Self {
            label,
            format,
            graph,
            base,
            columns: options.columns.clone(),
            // A MaBoSS model on disk brings the .cfg of the same name beside it, when there is
            // one; a model sent as bytes brings only what the caller names.
            companion: options
                .companion
                .clone()
                .or_else(|| match (source, format) {
                    (LoadSource::File(path), Syntax::Import(ImportFormat::Maboss)) => {
                        Some(path.with_extension("cfg")).filter(|cfg| cfg.is_file())
                    }
                    _ => None,
                }),
        })
    }

    /// The base IRI relative IRIs resolve against.
    pub(super) fn base(&self) -> Option<&str> {
        self.base.as_deref()
    }

    /// Parses `reader` (the source's bytes) into quads whose errors name the file. Imported
    /// formats are read whole first (they are drawings and tables, not bulk data).
    pub(super) fn quads<'a, R: Read + 'a>(
        &'a self,
        mut reader: R,
    ) -> Result<Box<dyn Iterator<Item = Result<oxigraph::model::Quad>> + 'a>> {
        match self.format {
            Syntax::Rdf(format) => Ok(Box::new(
                parser(format, self.base.clone(), &self.graph, &self.label)?
                    .for_reader(reader)
                    .map(|quad| quad.map_err(|e| parse_error(&self.label, e))),
            )),
            Syntax::Import(format) => {
                let mut bytes = Vec::new();
                reader
                    .read_to_end(&mut bytes)
                    .map_err(|source| Error::Read {
                        path: self.label.clone(),
                        source,
                    })?;
                let quads = crate::import::read(
                    format,
                    &bytes,
                    &self.label,
                    &self.graph,
                    &self.columns,
                    self.companion.as_deref(),
                )?;
                Ok(Box::new(quads.into_iter().map(Ok)))
            }
        }
    }
}

/// A reader that hashes and counts what passes through it and reports progress.
struct Metered<'a, R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    reported: u64,
    progress: &'a dyn Progress,
}

impl<'a, R: Read> Metered<'a, R> {
    fn new(inner: R, progress: &'a dyn Progress) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            reported: 0,
            progress,
        }
    }

    fn finish(self) -> (String, u64) {
        self.progress.advance(self.bytes);
        (format!("{:x}", self.hasher.finalize()), self.bytes)
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        if self.bytes - self.reported >= 1 << 20 {
            self.reported = self.bytes;
            self.progress.advance(self.bytes);
        }
        Ok(n)
    }
}

/// Parses a whole source without writing anything: the syntax check of `validate`, and the
/// first pass of a multi-file load. Returns the number of statements and the named graphs
/// the file writes into (besides `graph`).
pub fn check_syntax(
    source: &LoadSource<'_>,
    options: &LoadOptions,
) -> Result<(u64, BTreeSet<NamedNode>)> {
    let reading = Reading::new(source, options)?;
    let mut graphs = BTreeSet::new();
    let mut count = 0;
    for quad in reading.quads(source.open()?)? {
        let quad = quad?;
        count += 1;
        match quad.graph_name {
            GraphName::NamedNode(g) => {
                if g != reading.graph {
                    graphs.insert(g);
                }
            }
            GraphName::BlankNode(_) => {
                return Err(Error::BadInput(format!(
                    "{}: a graph named by a blank node cannot be replaced on reload; name it with an IRI",
                    reading.label.display()
                )))
            }
            GraphName::DefaultGraph => {}
        }
    }
    Ok((count, graphs))
}

impl Store {
    /// Loads one source into its named graph(s), replacing what an earlier load of the same
    /// graph wrote. All or nothing; recorded in the catalog in the same atomic step.
    pub fn load(
        &self,
        source: &LoadSource<'_>,
        options: &LoadOptions,
        progress: &dyn Progress,
    ) -> Result<LoadReport> {
        let started = Instant::now();
        let started_at = time::OffsetDateTime::now_utc();
        let reading = Reading::new(source, options)?;
        let (label, format, graph) = (&reading.label, reading.format, &reading.graph);
        if graph.as_ref() == vocab::CATALOG_GRAPH {
            return Err(Error::BadInput(
                "the catalog graph is written by loads only; choose another --graph".into(),
            ));
        }

        // Which graphs this load writes: only its own, unless the syntax can name others,
        // in which case a first pass finds them (and checks the syntax on the way).
        let mut targets = BTreeSet::from([graph.clone()]);
        if format.supports_datasets() {
            targets.extend(check_syntax(source, options)?.1);
        }
        if targets.contains(&vocab::CATALOG_GRAPH.into_owned()) {
            return Err(Error::BadInput(format!(
                "{}: writes into the catalog graph <{}>, which only loads may write",
                label.display(),
                vocab::CATALOG_GRAPH.as_str()
            )));
        }

        let _writer = self.lock_writer();
        // Graphs that the previous load of this source wrote and this one may not.
        let mut to_remove = targets.clone();
        to_remove.extend(catalog::graphs_of_latest_load(&self.inner, graph)?);
        let mut replaced = false;
        for g in &to_remove {
            replaced |= self.inner.contains_named_graph(g)?;
        }

        progress.start(label, source.size());
        let mut reader = Metered::new(source.open()?, progress);
        let quads = reading.quads(&mut reader)?;

        let mut record = LoadRecord {
            iri: catalog::new_load_iri(started_at),
            source_graph: graph.clone(),
            graphs: targets.iter().cloned().collect(),
            source_path: label.to_string_lossy().into_owned(),
            sha256: String::new(),
            triples: 0,
            bytes: 0,
            media_type: format.media_type().to_owned(),
            started_at,
            ended_at: started_at,
        };

        if replaced {
            // Replace by difference: a reload after a small edit writes only what changed, so
            // the transaction (held in memory until commit) stays small. Graphs the new version
            // no longer writes go whole.
            let mut transaction = self.inner.start_transaction()?;
            for g in to_remove.difference(&targets) {
                transaction.remove_named_graph(g)?;
            }
            let mut incoming = HashSet::new();
            let mut count = 0u64;
            for quad in quads {
                count += 1;
                incoming.insert(quad?);
            }
            // Stale statements go before the new ones are written: the store keeps some
            // literals in a normal form (`"2.0"^^xsd:decimal` reads back as `"2"`), so the
            // old statement does not compare equal to the new one, yet removing it after the
            // insert would remove the new one too.
            for g in &targets {
                let stale = transaction
                    .quads_for_pattern(None, None, None, Some(GraphNameRef::NamedNode(g.as_ref())))
                    .filter(|q| q.as_ref().map_or(true, |q| !incoming.contains(q)))
                    .collect::<Result<Vec<_>, _>>()?;
                for quad in &stale {
                    transaction.remove(quad);
                }
            }
            for quad in &incoming {
                if !transaction.contains(quad)? {
                    transaction.insert(quad);
                }
            }
            record.triples = count;
            (record.sha256, record.bytes) = reader.finish();
            record.ended_at = time::OffsetDateTime::now_utc();
            transaction.extend(&catalog::quads(&record));
            transaction.commit()?;
        } else {
            let mut loader = self.inner.bulk_loader();
            let mut count = 0u64;
            loader.load_ok_quads::<Error, Error>(quads.inspect(|_| count += 1))?;
            record.triples = count;
            (record.sha256, record.bytes) = reader.finish();
            record.ended_at = time::OffsetDateTime::now_utc();
            loader.load_quads(catalog::quads(&record))?;
            loader.commit()?;
        }
        progress.finish(record.triples);

        Ok(LoadReport {
            source: record.source_path.clone(),
            graph: graph.as_str().to_owned(),
            graphs: record
                .graphs
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            triples: record.triples,
            bytes: record.bytes,
            sha256: record.sha256.clone(),
            replaced,
            elapsed: started.elapsed(),
            record: record.iri.as_str().to_owned(),
        })
    }
}

/// Percent-encodes what may not stand in an IRI path (keeps `/` and unreserved characters).
fn percent_encode_path(text: &str) -> String {
    text.split('/')
        .map(vocab::encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}
