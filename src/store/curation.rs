//! Does this content follow the curation rules, given what the store already holds?
//!
//! Two layers. The SHACL shapes of `ontologies/twin-shapes.ttl`, run by the rudof project's
//! `shacl` crate, check each curated node's own statements (labels, identifiers, evidence,
//! cardinalities). The checks written here see what one node's statements cannot: references
//! to entities defined nowhere (in the batch or the store), terms missing from the vocabulary,
//! identifiers that name no known registry or name two entities, duplicated interactions and
//! contradicting signs. Every problem names its file, the line of the offending subject (Turtle,
//! TriG, N-Triples, N-Quads) and the subject.
//!
//! "Curated" content is what uses the vocabulary: the statements of every subject that has a
//! `tw:` type or a `tw:` property. Other RDF (an OBO ontology, a generated benchmark file) passes
//! through untouched, at the cost of one parse.

use super::load::{LoadOptions, LoadSource, Reading};
use super::Store;
use crate::error::{Error, Result};
use crate::vocab;
use oxigraph::io::RdfFormat;
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, Triple};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

const RDFS_SUBCLASS_OF: &str = "http://www.w3.org/2000/01/rdf-schema#subClassOf";
const SKOS_EXACT_MATCH: &str = "http://www.w3.org/2004/02/skos/core#exactMatch";

/// Registries a `tw:identifier` may point into (the identifiers.org prefixes of DESIGN.md).
const REGISTRIES: &[&str] = &[
    "hgnc",
    "uniprot",
    "CHEBI",
    "chembl.compound",
    "chembl.target",
    "taxonomy",
    "UBERON",
    "GO",
    "MONDO",
    "DOID",
    "EFO",
    "HP",
    "ncbigene",
    "ensembl",
    "reactome",
    "wikipathways",
    "pubchem.compound",
    "drugbank",
    "mesh",
    "kegg.compound",
    "hmdb",
    "lipidmaps",
    "ec-code",
    "SBO",
    "CL",
    "NCIT",
];

/// One thing wrong with curated content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    /// Line of the offending subject's first statement, when the syntax has lines.
    pub line: Option<u64>,
    /// The offending subject (an IRI), when there is one.
    pub subject: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(subject) = &self.subject {
            write!(f, ": {}", vocab::compact(subject))?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What validation found in one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: PathBuf,
    /// Statements parsed (0 when the file did not parse).
    pub statements: u64,
    pub problems: Vec<Problem>,
}

/// What validation found in a batch of files.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ValidationReport {
    pub files: Vec<FileReport>,
}

impl ValidationReport {
    pub fn is_valid(&self) -> bool {
        self.files.iter().all(|f| f.problems.is_empty())
    }

    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.files.iter().flat_map(|f| f.problems.iter())
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let problems: Vec<_> = self.problems().collect();
        write!(
            f,
            "{} problem{} in curated content:",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        )?;
        for p in problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// The curated part of one parsed source.
struct Curated {
    file: PathBuf,
    /// The graphs this source (re)writes: the store's copies of them are not "existing content".
    graphs: BTreeSet<NamedNode>,
    triples: Vec<Triple>,
    statements: u64,
}

/// The vocabulary and the shapes bundled with this version, parsed once.
struct Bundled {
    /// Every `tw:` term the bundled vocabulary defines.
    terms: HashSet<NamedNode>,
    /// Its `rdfs:subClassOf` statements, so SHACL targets reach subclasses.
    subclass_triples: Vec<Triple>,
    shapes: shacl::ir::IRSchema,
}

fn bundled() -> Result<&'static Bundled> {
    static BUNDLED: OnceLock<std::result::Result<Bundled, String>> = OnceLock::new();
    BUNDLED
        .get_or_init(|| {
            let file = |name: &str| {
                crate::engine::bundled_files("ontologies/")
                    .find(|(path, _)| path.ends_with(name))
                    .map(|(_, bytes)| bytes)
                    .ok_or_else(|| format!("ontologies/{name} is not bundled"))
            };
            let mut terms = HashSet::new();
            let mut subclass_triples = Vec::new();
            for quad in
                oxigraph::io::RdfParser::from_format(RdfFormat::Turtle).for_slice(file("twin.ttl")?)
            {
                let quad = quad.map_err(|e| format!("ontologies/twin.ttl: {e}"))?;
                if let NamedOrBlankNode::NamedNode(s) = &quad.subject {
                    if s.as_str().starts_with(vocab::TW) {
                        terms.insert(s.clone());
                    }
                }
                if quad.predicate.as_str() == RDFS_SUBCLASS_OF {
                    subclass_triples.push(Triple::from(quad));
                }
            }
            let shapes_text = std::str::from_utf8(file("twin-shapes.ttl")?)
                .map_err(|e| format!("ontologies/twin-shapes.ttl: {e}"))?;
            let shapes = shacl::ir::IRSchema::from_str(
                shapes_text,
                &rudof_rdf::rdf_core::RDFFormat::Turtle,
                None,
                &rudof_rdf::rdf_impl::ReaderMode::default(),
            )
            .map_err(|e| format!("ontologies/twin-shapes.ttl: {e}"))?;
            Ok(Bundled {
                terms,
                subclass_triples,
                shapes,
            })
        })
        .as_ref()
        .map_err(|e| Error::Validation(e.clone()))
}

fn is_tw(iri: &str) -> bool {
    iri.starts_with(vocab::TW)
}

/// Whether a statement uses the vocabulary, which makes its subject curated.
fn uses_vocabulary(quad: &Quad) -> bool {
    is_tw(quad.predicate.as_str())
        || (quad.predicate.as_ref() == rdf::TYPE
            && matches!(&quad.object, Term::NamedNode(o) if is_tw(o.as_str())))
}

/// Parses `source` and keeps its curated statements: a first pass finds the curated subjects,
/// a second keeps their statements (skipped when there are none).
fn read_curated(source: &LoadSource<'_>, options: &LoadOptions) -> Result<Curated> {
    let reading = Reading::new(source, options)?;
    let mut graphs = BTreeSet::from([reading.graph.clone()]);
    let mut subjects = HashSet::new();
    // Blank nodes are renamed on every parse, so their statements are kept from the first pass.
    let mut blank: HashMap<NamedOrBlankNode, Vec<Triple>> = HashMap::new();
    let mut statements = 0;
    for quad in reading.quads(source.open()?)? {
        let quad = quad?;
        statements += 1;
        if let GraphName::NamedNode(g) = &quad.graph_name {
            graphs.insert(g.clone());
        }
        // Imported networks are taken as published: not curated, not held to the shapes.
        if uses_vocabulary(&quad) && !reading.format.is_import() {
            subjects.insert(quad.subject.clone());
        }
        if quad.subject.is_blank_node() {
            blank
                .entry(quad.subject.clone())
                .or_default()
                .push(Triple::from(quad));
        }
    }
    let mut triples = Vec::new();
    if subjects.iter().any(NamedOrBlankNode::is_named_node) {
        for quad in reading.quads(source.open()?)? {
            let quad = quad?;
            if quad.subject.is_named_node() && subjects.contains(&quad.subject) {
                triples.push(Triple::from(quad));
            }
        }
    }
    for (subject, statements) in blank {
        if subjects.contains(&subject) {
            triples.extend(statements);
        }
    }
    Ok(Curated {
        file: reading.label,
        graphs,
        triples,
        statements,
    })
}

/// The line of the first statement of each named subject, for Turtle-family sources; empty for
/// other syntaxes (RDF/XML and JSON-LD have no per-statement lines worth reporting).
fn subject_lines(source: &LoadSource<'_>, options: &LoadOptions) -> HashMap<String, u64> {
    let mut lines = HashMap::new();
    let Ok(reading) = Reading::new(source, options) else {
        return lines;
    };
    let Ok(mut reader) = source.open() else {
        return lines;
    };
    let mut bytes = Vec::new();
    if std::io::Read::read_to_end(&mut reader, &mut bytes).is_err() {
        return lines;
    }
    let base = reading.base().map(str::to_owned);
    let mut record = |subject: &NamedOrBlankNode, line: u64| {
        if let NamedOrBlankNode::NamedNode(s) = subject {
            lines.entry(s.as_str().to_owned()).or_insert(line);
        }
    };
    // The low-level parsers take input in pieces; feeding one line at a time tells which line
    // each statement ended on, which for curated Turtle is the line its subject starts.
    // (The four low-level parsers share no trait, hence a macro.)
    macro_rules! feed {
        ($parser:expr) => {{
            let mut parser = $parser;
            for (number, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
                parser.extend_from_slice(line);
                while let Some(Ok(statement)) = parser.parse_next() {
                    record(&statement.subject, number as u64 + 1);
                }
            }
            parser.end();
            let last = bytes.split(|b| *b == b'\n').count() as u64;
            while let Some(Ok(statement)) = parser.parse_next() {
                record(&statement.subject, last);
            }
        }};
    }
    // A base IRI the full parse accepted is accepted here too; relative IRIs need it.
    let super::load::Syntax::Rdf(format) = reading.format else {
        return lines;
    };
    match format {
        RdfFormat::Turtle => {
            let parser = oxttl::TurtleParser::new();
            match base.map(|b| parser.clone().with_base_iri(b)) {
                Some(Ok(with_base)) => feed!(with_base.low_level()),
                _ => feed!(parser.low_level()),
            }
        }
        RdfFormat::TriG => {
            let parser = oxttl::TriGParser::new();
            match base.map(|b| parser.clone().with_base_iri(b)) {
                Some(Ok(with_base)) => feed!(with_base.low_level()),
                _ => feed!(parser.low_level()),
            }
        }
        RdfFormat::NTriples => feed!(oxttl::NTriplesParser::new().low_level()),
        RdfFormat::NQuads => feed!(oxttl::NQuadsParser::new().low_level()),
        _ => {}
    }
    lines
}

/// Statements of the store outside the graphs a batch rewrites (and outside the catalog and
/// the inference graph, which are derived).
struct Existing<'a> {
    store: &'a oxigraph::store::Store,
    skip: BTreeSet<NamedNode>,
}

impl Existing<'_> {
    fn counts(&self, graph: &GraphName) -> bool {
        match graph {
            GraphName::NamedNode(g) => {
                !self.skip.contains(g)
                    && g.as_ref() != vocab::CATALOG_GRAPH
                    && g.as_ref() != vocab::INFERRED_GRAPH
            }
            _ => true,
        }
    }

    fn quads(&self, subject: Option<&NamedNode>, predicate: NamedNodeRef<'_>) -> Result<Vec<Quad>> {
        let mut out = Vec::new();
        for quad in self.store.quads_for_pattern(
            subject.map(|s| s.as_ref().into()),
            Some(predicate),
            None,
            None,
        ) {
            let quad = quad?;
            if self.counts(&quad.graph_name) {
                out.push(quad);
            }
        }
        Ok(out)
    }

    fn has_type(&self, subject: &NamedNode) -> Result<bool> {
        Ok(!self.quads(Some(subject), rdf::TYPE)?.is_empty())
    }
}

impl Store {
    /// Validates sources as one batch against the shapes and against what the store holds
    /// outside the graphs the batch would replace. With `syntax_errors_fail`, a file that does
    /// not parse ends validation with its syntax error (what a load reports); without, it is
    /// reported as a problem and the other files are still checked (what `validate` reports).
    pub fn validate_batch(
        &self,
        sources: &[LoadSource<'_>],
        options: &LoadOptions,
        syntax_errors_fail: bool,
    ) -> Result<ValidationReport> {
        let bundled = bundled()?;
        let mut report = ValidationReport::default();
        let mut batch = Vec::new();
        for source in sources {
            match read_curated(source, options) {
                Ok(curated) => batch.push(curated),
                Err(e @ (Error::Syntax { .. } | Error::BadInput(_))) if !syntax_errors_fail => {
                    let line = match &e {
                        Error::Syntax {
                            position: Some(p), ..
                        } => Some(p.line),
                        _ => None,
                    };
                    report.files.push(FileReport {
                        file: source.label(),
                        statements: 0,
                        problems: vec![Problem {
                            file: source.label(),
                            line,
                            subject: None,
                            message: match e {
                                Error::Syntax {
                                    position, message, ..
                                } => match position {
                                    Some(p) => format!("column {}: {message}", p.column),
                                    None => message,
                                },
                                other => other.to_string(),
                            },
                        }],
                    })
                }
                Err(e) => return Err(e),
            }
        }
        let existing = Existing {
            store: &self.inner,
            skip: batch
                .iter()
                .flat_map(|c| c.graphs.iter().cloned())
                .collect(),
        };
        let mut found: Vec<(usize, Option<String>, String)> = Vec::new();
        shacl_problems(bundled, &batch, &mut found)?;
        cross_problems(bundled, &batch, &existing, &mut found)?;

        // Attach lines, only for files with problems (a second read of the source).
        let mut by_file: BTreeMap<usize, Vec<(Option<String>, String)>> = BTreeMap::new();
        for (index, subject, message) in found {
            by_file.entry(index).or_default().push((subject, message));
        }
        for (index, curated) in batch.iter().enumerate() {
            let mut problems = Vec::new();
            if let Some(found) = by_file.remove(&index) {
                let lines = sources
                    .iter()
                    .find(|s| s.label() == curated.file)
                    .map(|s| subject_lines(s, options))
                    .unwrap_or_default();
                for (subject, message) in found {
                    problems.push(Problem {
                        file: curated.file.clone(),
                        line: subject.as_ref().and_then(|s| lines.get(s).copied()),
                        subject,
                        message,
                    });
                }
                problems.sort();
                problems.dedup();
            }
            report.files.push(FileReport {
                file: curated.file.clone(),
                statements: curated.statements,
                problems,
            });
        }
        Ok(report)
    }
}

/// The file (index in the batch) where `subject` (an IRI, or a blank node's id) is first
/// described; blank nodes are renamed per file, so their ids name one file too.
fn home(batch: &[Curated], subject: &str) -> usize {
    batch
        .iter()
        .position(|c| {
            c.triples.iter().any(|t| match &t.subject {
                NamedOrBlankNode::NamedNode(s) => s.as_str() == subject,
                NamedOrBlankNode::BlankNode(b) => b.as_str() == subject,
            })
        })
        .unwrap_or(0)
}

fn shacl_problems(
    bundled: &Bundled,
    batch: &[Curated],
    found: &mut Vec<(usize, Option<String>, String)>,
) -> Result<()> {
    use shacl::validator::processor::{GraphValidation, ShaclProcessor};
    if batch.iter().all(|c| c.triples.is_empty()) {
        return Ok(());
    }
    let mut data = rudof_rdf::rdf_impl::OxigraphInMemory::new();
    let triples = batch
        .iter()
        .flat_map(|c| c.triples.iter())
        .chain(bundled.subclass_triples.iter());
    for t in triples {
        data.add_triple_ref(t.subject.as_ref(), t.predicate.as_ref(), t.object.as_ref())
            .map_err(|e| Error::Validation(format!("building the SHACL data graph: {e}")))?;
    }
    let mut validation = GraphValidation::new(shacl::validator::store::Graph::from(data));
    let report = validation
        .validate(
            &bundled.shapes,
            &shacl::validator::ShaclValidationMode::Native,
            &shacl::validator::ShaclConfig::new(),
        )
        .map_err(|e| Error::Validation(format!("SHACL validation: {e}")))?;
    for result in report.results() {
        let subject = match result.focus_node() {
            rudof_rdf::rdf_core::term::Object::Iri(iri) => Some(iri.as_str().to_owned()),
            _ => None,
        };
        let message = result
            .message()
            .iter()
            .map(|(_, text)| text.clone())
            .next()
            .unwrap_or_else(|| format!("violates {}", result.constraint_component()));
        let message = match result.value() {
            Some(value) if !message.contains("exactly one") && !message.contains("at least") => {
                format!("{message} (found {value})")
            }
            _ => message,
        };
        let index = match result.focus_node() {
            rudof_rdf::rdf_core::term::Object::BlankNode(id) => home(batch, id),
            _ => subject.as_deref().map_or(0, |s| home(batch, s)),
        };
        found.push((index, subject, message));
    }
    Ok(())
}

/// The kind of a directed interaction, for duplicate and sign checks.
const DIRECTED: &[(&str, &str)] = &[
    ("https://twinpath.org/ns#Activation", "activation"),
    ("https://twinpath.org/ns#Inhibition", "inhibition"),
    ("https://twinpath.org/ns#DrugTarget", "drug target"),
    ("https://twinpath.org/ns#HallmarkLink", "hallmark link"),
    ("https://twinpath.org/ns#Production", "production"),
];

#[derive(Default)]
struct Interaction {
    kinds: BTreeSet<&'static str>,
    source: Option<String>,
    target: Option<String>,
    has_context: bool,
    /// Batch index, or None for the store.
    file: Option<usize>,
}

fn cross_problems(
    bundled: &Bundled,
    batch: &[Curated],
    existing: &Existing<'_>,
    found: &mut Vec<(usize, Option<String>, String)>,
) -> Result<()> {
    let tw_source = NamedNodeRef::new_unchecked("https://twinpath.org/ns#source");
    let tw_target = NamedNodeRef::new_unchecked("https://twinpath.org/ns#target");
    let tw_context = NamedNodeRef::new_unchecked("https://twinpath.org/ns#context");
    let tw_identifier = NamedNodeRef::new_unchecked("https://twinpath.org/ns#identifier");

    // Terms: the bundled vocabulary, plus terms the batch or the store define.
    let mut defined: HashSet<&str> = bundled.terms.iter().map(|t| t.as_str()).collect();
    let mut typed: HashSet<&str> = HashSet::new();
    for c in batch {
        for t in &c.triples {
            if let NamedOrBlankNode::NamedNode(s) = &t.subject {
                if t.predicate.as_ref() == rdf::TYPE {
                    typed.insert(s.as_str());
                    if is_tw(s.as_str()) {
                        defined.insert(s.as_str());
                    }
                }
            }
        }
    }
    // A term the batch and the bundled vocabulary lack may come from a vocabulary extension
    // loaded earlier: look it up once.
    let mut store_terms: HashMap<String, bool> = HashMap::new();
    let mut is_term = |iri: &NamedNode| -> Result<bool> {
        if defined.contains(iri.as_str()) {
            return Ok(true);
        }
        if let Some(known) = store_terms.get(iri.as_str()) {
            return Ok(*known);
        }
        let known = existing.has_type(iri)?;
        store_terms.insert(iri.as_str().to_owned(), known);
        Ok(known)
    };

    let mut interactions: BTreeMap<String, Interaction> = BTreeMap::new();
    let mut identifiers: BTreeMap<String, BTreeSet<(String, Option<usize>)>> = BTreeMap::new();
    let mut checked_refs: HashMap<String, bool> = HashMap::new();
    for (index, c) in batch.iter().enumerate() {
        for t in &c.triples {
            // Blank curated nodes are the shapes' business (twsh:Named).
            let NamedOrBlankNode::NamedNode(subject) = &t.subject else {
                continue;
            };
            let s = subject.as_str();
            let here = |message: String| (index, Some(s.to_owned()), message);
            // Terms of the vocabulary that it does not define.
            let p = t.predicate.as_str();
            if is_tw(p) && !is_term(&t.predicate)? {
                found.push(here(format!(
                    "{} is not a term of the twinpath vocabulary (ontologies/twin.ttl)",
                    vocab::compact(p)
                )));
            }
            if let Term::NamedNode(o) = &t.object {
                let o_str = o.as_str();
                if is_tw(o_str) && !is_term(o)? {
                    found.push(here(format!(
                        "{} {} is not a term of the twinpath vocabulary (ontologies/twin.ttl)",
                        vocab::compact(p),
                        vocab::compact(o_str)
                    )));
                }
                // References to instances must resolve to something typed, here or in the store.
                if o_str.starts_with(vocab::ID) && t.predicate.as_ref() != rdf::TYPE {
                    let resolved = match checked_refs.get(o_str) {
                        Some(r) => *r,
                        None => {
                            let r = typed.contains(o_str) || existing.has_type(o)?;
                            checked_refs.insert(o_str.to_owned(), r);
                            r
                        }
                    };
                    if !resolved {
                        found.push(here(format!(
                            "{} refers to {}, which is defined nowhere (not in this batch, not in the store)",
                            vocab::compact(p),
                            vocab::compact(o_str)
                        )));
                    }
                }
                if t.predicate.as_ref() == tw_identifier || p == SKOS_EXACT_MATCH {
                    if let Some(rest) = o_str.strip_prefix("https://identifiers.org/") {
                        let registry = rest.split(':').next().unwrap_or("");
                        if !REGISTRIES.contains(&registry) {
                            found.push(here(format!(
                                "identifier {o_str} names no known registry ({registry}); use one of {}",
                                REGISTRIES[..8].join(", ")
                            )));
                        }
                    }
                    if t.predicate.as_ref() == tw_identifier {
                        identifiers
                            .entry(o_str.to_owned())
                            .or_default()
                            .insert((s.to_owned(), Some(index)));
                    }
                }
            }
            // Interactions, for duplicates and signs.
            let entry = || Interaction {
                file: Some(index),
                ..Default::default()
            };
            if t.predicate.as_ref() == rdf::TYPE {
                if let Term::NamedNode(o) = &t.object {
                    if let Some((_, kind)) = DIRECTED.iter().find(|(iri, _)| *iri == o.as_str()) {
                        interactions
                            .entry(s.to_owned())
                            .or_insert_with(entry)
                            .kinds
                            .insert(kind);
                    }
                }
            } else if t.predicate.as_ref() == tw_source {
                interactions
                    .entry(s.to_owned())
                    .or_insert_with(entry)
                    .source = Some(t.object.to_string());
            } else if t.predicate.as_ref() == tw_target {
                interactions
                    .entry(s.to_owned())
                    .or_insert_with(entry)
                    .target = Some(t.object.to_string());
            } else if t.predicate.as_ref() == tw_context {
                interactions
                    .entry(s.to_owned())
                    .or_insert_with(entry)
                    .has_context = true;
            }
        }
    }

    // The store's interactions and identifiers, outside the graphs being replaced.
    for quad in existing.quads(None, tw_source)? {
        if let NamedOrBlankNode::NamedNode(s) = &quad.subject {
            if interactions.contains_key(s.as_str()) {
                continue; // described in the batch too: the batch's version counts
            }
            let mut i = Interaction {
                source: Some(quad.object.to_string()),
                ..Default::default()
            };
            for q in existing.quads(Some(s), rdf::TYPE)? {
                if let Term::NamedNode(o) = &q.object {
                    if let Some((_, kind)) = DIRECTED.iter().find(|(iri, _)| *iri == o.as_str()) {
                        i.kinds.insert(kind);
                    }
                }
            }
            i.target = existing
                .quads(Some(s), tw_target)?
                .first()
                .map(|q| q.object.to_string());
            i.has_context = !existing.quads(Some(s), tw_context)?.is_empty();
            interactions.insert(s.as_str().to_owned(), i);
        }
    }
    let batch_identified: HashSet<&str> = identifiers.keys().map(|k| k.as_str()).collect();
    let mut from_store = Vec::new();
    for quad in existing.quads(None, tw_identifier)? {
        if let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) = (&quad.subject, &quad.object)
        {
            if batch_identified.contains(o.as_str()) {
                from_store.push((o.as_str().to_owned(), s.as_str().to_owned()));
            }
        }
    }
    for (identifier, subject) in from_store {
        if let Some(set) = identifiers.get_mut(&identifier) {
            if !set.iter().any(|(s, _)| *s == subject) {
                set.insert((subject, None));
            }
        }
    }

    // Duplicates: same kind, source and target under two IRIs.
    let mut by_key: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
    // (interaction, sign, whether it states a context), per (source, target).
    type SignedUse<'a> = (&'a str, &'static str, bool);
    let mut by_pair: BTreeMap<(&str, &str), Vec<SignedUse<'_>>> = BTreeMap::new();
    for (iri, i) in &interactions {
        let (Some(source), Some(target)) = (&i.source, &i.target) else {
            continue;
        };
        for kind in &i.kinds {
            by_key.entry((kind, source, target)).or_default().push(iri);
            if *kind == "activation" || *kind == "inhibition" {
                by_pair
                    .entry((source, target))
                    .or_default()
                    .push((iri, kind, i.has_context));
            }
        }
    }
    let place = |iri: &str| -> String {
        match interactions.get(iri).and_then(|i| i.file) {
            Some(index) => batch[index].file.display().to_string(),
            None => "the store".to_owned(),
        }
    };
    for ((kind, _, _), iris) in &by_key {
        if iris.len() < 2 {
            continue;
        }
        for iri in iris {
            if let Some(index) = interactions.get(*iri).and_then(|i| i.file) {
                let others: Vec<String> = iris
                    .iter()
                    .filter(|o| *o != iri)
                    .map(|o| format!("{} ({})", vocab::compact(o), place(o)))
                    .collect();
                found.push((
                    index,
                    Some((*iri).to_owned()),
                    format!(
                        "duplicated {kind}: the same source and target as {}",
                        others.join(", ")
                    ),
                ));
            }
        }
    }
    // Contradicting signs: an activation and an inhibition between the same pair, unless both
    // say in which context they hold.
    for entries in by_pair.values() {
        let signs: BTreeSet<&str> = entries.iter().map(|(_, k, _)| *k).collect();
        if signs.len() < 2 || entries.iter().all(|(_, _, context)| *context) {
            continue;
        }
        for (iri, kind, context) in entries {
            if *context {
                continue;
            }
            if let Some(index) = interactions.get(*iri).and_then(|i| i.file) {
                let others: Vec<String> = entries
                    .iter()
                    .filter(|(o, k, _)| o != iri && k != kind)
                    .map(|(o, k, _)| format!("{k} {} ({})", vocab::compact(o), place(o)))
                    .collect();
                found.push((
                    index,
                    Some((*iri).to_owned()),
                    format!(
                        "contradicting signs: this {kind} has the same source and target as {}; give each a tw:context if both hold",
                        others.join(", ")
                    ),
                ));
            }
        }
    }
    // One identifier, two entities.
    for (identifier, holders) in &identifiers {
        let subjects: BTreeSet<&str> = holders.iter().map(|(s, _)| s.as_str()).collect();
        if subjects.len() < 2 {
            continue;
        }
        for (subject, index) in holders {
            if let Some(index) = index {
                let others: Vec<String> = subjects
                    .iter()
                    .filter(|o| **o != subject)
                    .map(|o| vocab::compact(o))
                    .collect();
                found.push((
                    *index,
                    Some(subject.clone()),
                    format!(
                        "identifier {identifier} also identifies {}: one entity, one IRI",
                        others.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}
