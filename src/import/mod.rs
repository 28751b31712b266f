//! How do published network and model files become RDF in the twinpath vocabulary? One
//! reader per format, each turning a whole file into the statements of one named graph:
//! [`gpml`] (WikiPathways drawings), [`table`] (signed interaction tables: SIF, extended
//! SIF, OmniPath and SIGNOR-style TSV/CSV), and the logical models [`bnet`], [`sbml_qual`]
//! and [`maboss`], written by [`logical`]. Imported entities keep the source's
//! cross-references as `tw:xref`, so the reasoning network joins them to the maps by
//! identifier, never by label.

pub mod bnet;
pub mod fhir;
pub mod gpml;
pub mod logical;
pub mod maboss;
pub mod sbml;
pub mod sbml_qual;
pub mod sig;
pub mod table;

pub use table::Columns;

use crate::error::{Error, Result};
use crate::vocab;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad};
use std::path::{Path, PathBuf};

const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const RDFS_COMMENT: &str = "http://www.w3.org/2000/01/rdf-schema#comment";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// The formats that are imported rather than parsed as RDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// WikiPathways GPML (`.gpml`).
    Gpml,
    /// Simple interaction format, `source relation target…` per line (`.sif`).
    Sif,
    /// A table with a header row, tab-separated (`.tsv`) or comma-separated (`.csv`).
    Table { delimiter: u8 },
    /// A BoolNet logical model (`.bnet`).
    Bnet,
    /// An SBML Level 3 qualitative model (`.sbml`).
    SbmlQual,
    /// An SBML Level 2 or 3 core model, a kinetic model (`.xml`); a file that uses the `qual`
    /// package is read as a logical model instead.
    Sbml,
    /// A MaBoSS model (`.bnd`, with the `.cfg` of the same name beside it when there is one).
    Maboss,
}

impl ImportFormat {
    /// The media type recorded in the catalog for a load in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            ImportFormat::Gpml => "application/gpml+xml",
            ImportFormat::Sif => "text/x-sif",
            ImportFormat::Table { delimiter: b',' } => "text/csv",
            ImportFormat::Table { .. } => "text/tab-separated-values",
            ImportFormat::Bnet => "text/x-bnet",
            ImportFormat::SbmlQual | ImportFormat::Sbml => "application/sbml+xml",
            ImportFormat::Maboss => "text/x-maboss-bnd",
        }
    }
}

/// Reads `bytes` (the whole file named `file`) into statements of `graph`.
pub fn read(
    format: ImportFormat,
    bytes: &[u8],
    file: &Path,
    graph: &NamedNode,
    columns: &Columns,
    companion: Option<&Path>,
) -> Result<Vec<Quad>> {
    let mut import = Import {
        graph: graph.clone(),
        file: file.to_path_buf(),
        quads: Vec::new(),
    };
    match format {
        ImportFormat::Gpml => gpml::read(bytes, file, &mut import)?,
        ImportFormat::Sif => table::read_sif(bytes, file, &mut import)?,
        ImportFormat::Table { delimiter } => {
            table::read_table(bytes, delimiter, file, columns, &mut import)?
        }
        ImportFormat::Bnet => {
            logical::write(&bnet::read(&text(bytes, file)?, file)?, None, &mut import)?
        }
        ImportFormat::SbmlQual => {
            logical::write(&sbml_qual::read(bytes, file)?, None, &mut import)?
        }
        ImportFormat::Sbml if uses_qual(bytes) => {
            logical::write(&sbml_qual::read(bytes, file)?, None, &mut import)?
        }
        ImportFormat::Sbml => sbml::import(bytes, file, &mut import)?,
        ImportFormat::Maboss => {
            let cfg_text = match companion {
                Some(cfg_file) => Some(text(
                    &std::fs::read(cfg_file).map_err(|source| Error::Read {
                        path: cfg_file.to_path_buf(),
                        source,
                    })?,
                    cfg_file,
                )?),
                None => None,
            };
            let cfg = cfg_text.as_deref().zip(companion);
            let (model, settings) = maboss::read(&text(bytes, file)?, file, cfg)?;
            logical::write(&model, cfg.is_some().then_some(&settings), &mut import)?
        }
    }
    Ok(import.quads)
}

/// Whether an SBML document declares the qualitative-models package.
fn uses_qual(bytes: &[u8]) -> bool {
    const QUAL: &[u8] = b"http://www.sbml.org/sbml/level3/version1/qual/version1";
    bytes.windows(QUAL.len()).any(|w| w == QUAL)
}

fn text(bytes: &[u8], file: &Path) -> Result<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| Error::BadInput(format!("{}: not UTF-8 text: {e}", file.display())))
}

/// The statements an import writes, all into its graph.
pub struct Import {
    graph: NamedNode,
    file: PathBuf,
    quads: Vec<Quad>,
}

impl Import {
    /// An IRI made from the file's content; a bad one names the file.
    fn iri(&self, iri: &str) -> Result<NamedNode> {
        NamedNode::new(iri).map_err(|e| {
            Error::BadInput(format!(
                "{}: cannot make an IRI of {iri}: {e}",
                self.file.display()
            ))
        })
    }

    /// The last segment of the graph IRI, a name for what the file holds.
    fn local_name(&self) -> String {
        self.graph
            .as_str()
            .rsplit(['/', '#'])
            .find(|s| !s.is_empty())
            .unwrap_or("import")
            .to_owned()
    }

    fn push(&mut self, subject: &NamedNode, predicate: &str, object: oxigraph::model::Term) {
        self.quads.push(Quad::new(
            subject.clone(),
            NamedNode::new_unchecked(predicate),
            object,
            GraphName::NamedNode(self.graph.clone()),
        ));
    }

    fn typed(&mut self, subject: &NamedNode, class: &str) {
        let class = NamedNode::new_unchecked(format!("{}{class}", vocab::TW));
        self.push(subject, RDF_TYPE, class.into());
    }

    fn link(&mut self, subject: &NamedNode, property: &str, object: &NamedNode) {
        self.push(
            subject,
            &format!("{}{property}", vocab::TW),
            object.clone().into(),
        );
    }

    fn link_str(&mut self, subject: &NamedNode, property: &str, object: &str) -> Result<()> {
        let object = self.iri(object)?;
        self.link(subject, property, &object);
        Ok(())
    }

    fn literal(&mut self, subject: &NamedNode, predicate: &str, literal: Literal) {
        self.push(subject, predicate, literal.into());
    }
}

/// A literature reference as an evidence IRI: PubMed ids as identifiers.org IRIs, DOIs as
/// doi.org IRIs; anything else is not evidence.
pub(crate) fn evidence_iri(database: &str, id: &str) -> Option<NamedNode> {
    let id = id.trim();
    let database = database.trim().to_ascii_lowercase();
    let iri = if (database == "pubmed" || database == "pmid" || database.is_empty())
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
    {
        format!("https://identifiers.org/pubmed:{id}")
    } else if database == "doi" || id.starts_with("10.") {
        let doi = id
            .trim_start_matches("doi:")
            .trim_start_matches("https://doi.org/");
        if !doi.starts_with("10.") || doi.contains(char::is_whitespace) {
            return None;
        }
        format!("https://doi.org/{doi}")
    } else {
        return None;
    };
    NamedNode::new(iri).ok()
}
