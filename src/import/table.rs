//! How does a signed interaction table become a network in the twinpath vocabulary? SIF
//! (`source relation target…`), extended SIF and TSV/CSV tables as OmniPath and SIGNOR publish
//! them, with the column mapping given by [`Columns`] or detected from the header.
//!
//! - The sign comes from a sign or effect column (`1`/`-1`, `+`/`-`, `activation`,
//!   `inhibition`, SIGNOR's `up-regulates …`/`down-regulates …`), or from OmniPath's
//!   stimulation and inhibition columns (an interaction published as both becomes two);
//!   any other relation is kept as an unsigned `tw:Association`.
//! - A node is named by its identifier and joined to the maps through it: UniProt accessions,
//!   Ensembl and Entrez ids, ChEBI ids and HGNC symbols are recognised by their form (or the
//!   namespace is given); labels come from a label column when there is one.
//! - Literature references (`SIGNOR:12345678;HPRD:…`, `PMID:…`, bare PubMed ids, DOIs)
//!   become `tw:evidence`.

use super::{evidence_iri, Import};
use crate::error::{Error, Position, Result};
use crate::vocab;
use oxigraph::model::{Literal, NamedNode};
use std::collections::HashMap;
use std::path::Path;

/// Which columns hold what; `None` means "detect from the header".
#[derive(Debug, Clone, Default)]
pub struct Columns {
    pub source: Option<String>,
    pub target: Option<String>,
    pub sign: Option<String>,
    pub evidence: Option<String>,
    /// The identifier namespace of node names (`uniprot`, `ncbigene`, `ensembl`,
    /// `hgnc.symbol`, `CHEBI`), instead of recognising it from each name's form.
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Activation,
    Inhibition,
    Association,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::Activation => "Activation",
            Kind::Inhibition => "Inhibition",
            Kind::Association => "Association",
        }
    }
}

/// The kind a sign or relation value stands for.
fn kind_of(value: &str) -> Kind {
    let v = value.trim().to_ascii_lowercase();
    const POSITIVE: &[&str] = &[
        "1",
        "+1",
        "+",
        "1.0",
        "activation",
        "activates",
        "activate",
        "stimulation",
        "stimulates",
        "positive",
        "upregulates",
        "up-regulation",
        "->",
        "-->",
        "induces",
        "promotes",
    ];
    const NEGATIVE: &[&str] = &[
        "-1",
        "-",
        "-1.0",
        "inhibition",
        "inhibits",
        "inhibit",
        "negative",
        "represses",
        "repression",
        "downregulates",
        "down-regulation",
        "-|",
        "--|",
        "suppresses",
    ];
    if POSITIVE.contains(&v.as_str()) || v.starts_with("up-regulates") {
        Kind::Activation
    } else if NEGATIVE.contains(&v.as_str()) || v.starts_with("down-regulates") {
        Kind::Inhibition
    } else {
        Kind::Association
    }
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "t"
    )
}

/// Whether `name` has the form of a UniProt accession (with an optional isoform suffix).
fn is_uniprot(name: &str) -> bool {
    let base = name.split('-').next().unwrap_or(name);
    let b = base.as_bytes();
    let digit = |c: u8| c.is_ascii_digit();
    let alnum = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let upper = |c: u8| c.is_ascii_uppercase();
    match b.len() {
        6 if matches!(b[0], b'O' | b'P' | b'Q') => {
            digit(b[1]) && b[2..5].iter().all(|c| alnum(*c)) && digit(b[5])
        }
        6 | 10 if upper(b[0]) && !matches!(b[0], b'O' | b'P' | b'Q') => {
            digit(b[1])
                && b[2..].chunks(4).all(|c| {
                    c.len() == 4 && upper(c[0]) && alnum(c[1]) && alnum(c[2]) && digit(c[3])
                })
        }
        _ => false,
    }
}

/// The identifiers.org IRI and entity class a node name stands for.
fn identity(name: &str, namespace: Option<&str>) -> (Option<String>, &'static str) {
    let class = |ns: &str| match ns {
        "uniprot" => "Protein",
        "ncbigene" | "ensembl" | "hgnc.symbol" | "hgnc" => "Gene",
        "CHEBI" | "pubchem.compound" | "hmdb" => "Metabolite",
        _ => "BiologicalEntity",
    };
    let iri = |ns: &str, id: &str| Some(format!("https://identifiers.org/{ns}:{id}"));
    if let Some(ns) = namespace {
        let ns = match ns.to_ascii_lowercase().as_str() {
            "uniprot" | "uniprotkb" => "uniprot",
            "ncbigene" | "entrez" | "entrezgene" => "ncbigene",
            "ensembl" => "ensembl",
            "hgnc.symbol" | "symbol" | "genesymbol" => "hgnc.symbol",
            "chebi" => "CHEBI",
            "pubchem" | "pubchem.compound" => "pubchem.compound",
            _ => return (None, "BiologicalEntity"),
        };
        let id = if ns == "CHEBI" {
            name.trim_start_matches("CHEBI:")
        } else {
            name
        };
        return (iri(ns, id), class(ns));
    }
    if is_uniprot(name) {
        (iri("uniprot", name), "Protein")
    } else if name.starts_with("ENSG") && name[4..].bytes().all(|b| b.is_ascii_digit()) {
        (iri("ensembl", name), "Gene")
    } else if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        (iri("ncbigene", name), "Gene")
    } else if let Some(id) = name.strip_prefix("CHEBI:") {
        (iri("CHEBI", id), "Metabolite")
    } else if name
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
    {
        // An upper-case gene-symbol-like name: an HGNC symbol.
        (iri("hgnc.symbol", name), "Gene")
    } else {
        (None, "BiologicalEntity")
    }
}

/// The namespace a SIGNOR-style database column names.
fn database_namespace(database: &str) -> Option<&'static str> {
    match database.trim().to_ascii_uppercase().as_str() {
        "UNIPROT" | "UNIPROTKB" => Some("uniprot"),
        "CHEBI" => Some("CHEBI"),
        "PUBCHEM" => Some("pubchem"),
        "ENTREZ" | "NCBIGENE" => Some("ncbigene"),
        "ENSEMBL" => Some("ensembl"),
        _ => None,
    }
}

/// The evidence IRIs in a references cell (`SIGNOR:12345;HPRD:678`, `PMID:1`, `1;2`, DOIs).
fn references(cell: &str) -> Vec<NamedNode> {
    let mut out: Vec<NamedNode> = cell
        .split([';', ',', '|', ' '])
        .filter(|t| !t.is_empty())
        .filter_map(|token| {
            if let Some(doi) = token
                .strip_prefix("doi:")
                .or_else(|| token.strip_prefix("DOI:"))
            {
                return evidence_iri("doi", doi);
            }
            let id = token.rsplit(':').next().unwrap_or(token);
            evidence_iri("pubmed", id).or_else(|| evidence_iri("doi", token))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Writes the nodes and interactions of one table or SIF file.
struct Writer<'a> {
    import: &'a mut Import,
    pathway: NamedNode,
    base: String,
    nodes: HashMap<String, NamedNode>,
}

impl<'a> Writer<'a> {
    fn new(import: &'a mut Import, file: &Path) -> Result<Self> {
        let local = import.local_name();
        let base = format!(
            "{}import/{}",
            vocab::ID,
            vocab::encode_segment(local.trim())
        );
        let pathway = import.iri(&base)?;
        import.typed(&pathway, "Pathway");
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(local);
        import.literal(
            &pathway,
            super::RDFS_LABEL,
            Literal::new_simple_literal(name),
        );
        Ok(Self {
            import,
            pathway,
            base,
            nodes: HashMap::new(),
        })
    }

    fn node(
        &mut self,
        name: &str,
        label: Option<&str>,
        namespace: Option<&str>,
    ) -> Result<NamedNode> {
        if let Some(n) = self.nodes.get(name) {
            return Ok(n.clone());
        }
        let iri = self.import.iri(&format!(
            "{}/{}",
            self.base,
            vocab::encode_segment(name.trim())
        ))?;
        let (xref, class) = identity(name, namespace);
        self.import.typed(&iri, class);
        let label = label.filter(|l| !l.trim().is_empty()).unwrap_or(name);
        self.import.literal(
            &iri,
            super::RDFS_LABEL,
            Literal::new_simple_literal(label.trim()),
        );
        if let Some(x) = xref {
            self.import.link_str(&iri, "xref", &x)?;
        }
        let pathway = self.pathway.clone();
        self.import.link(&pathway, "member", &iri);
        self.nodes.insert(name.to_owned(), iri.clone());
        Ok(iri)
    }

    fn interaction(
        &mut self,
        id: &str,
        source: &NamedNode,
        target: &NamedNode,
        kind: Kind,
        relation: Option<&str>,
        evidence: &[NamedNode],
    ) -> Result<()> {
        let iri = self
            .import
            .iri(&format!("{}/interaction/{id}", self.base))?;
        self.import.typed(&iri, kind.class());
        self.import.link(&iri, "source", source);
        self.import.link(&iri, "target", target);
        if let (Kind::Association, Some(r)) = (kind, relation.filter(|r| !r.trim().is_empty())) {
            self.import.literal(
                &iri,
                super::RDFS_COMMENT,
                Literal::new_simple_literal(format!("published relation: {}", r.trim())),
            );
        }
        for e in evidence {
            self.import.link(&iri, "evidence", e);
        }
        let pathway = self.pathway.clone();
        self.import.link(&pathway, "member", &iri);
        Ok(())
    }
}

fn syntax(file: &Path, line: u64, message: String) -> Error {
    Error::Syntax {
        file: file.to_path_buf(),
        position: Some(Position { line, column: 1 }),
        message,
    }
}

const SOURCE_NAMES: &[&str] = &[
    "source",
    "source_id",
    "participant_a",
    "ida",
    "id_a",
    "interactor_a",
    "node1",
    "from",
    "gene_a",
    "entitya",
];
const TARGET_NAMES: &[&str] = &[
    "target",
    "target_id",
    "participant_b",
    "idb",
    "id_b",
    "interactor_b",
    "node2",
    "to",
    "gene_b",
    "entityb",
];

/// Whether a first line is a header: it names a source and a target column.
fn is_header(fields: &[&str]) -> bool {
    let has = |names: &[&str]| {
        fields
            .iter()
            .any(|f| names.contains(&f.trim().to_ascii_lowercase().as_str()))
    };
    has(SOURCE_NAMES) && has(TARGET_NAMES)
}

/// SIF: `source relation target [target…]` per line, tab-separated when the line has tabs,
/// else space-separated; a one-field line is a node alone. A first line that names source and
/// target columns makes the file a table (extended SIF, or a SIF with a header).
pub fn read_sif(bytes: &[u8], file: &Path, import: &mut Import) -> Result<()> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::BadInput(format!("{}: not UTF-8 text: {e}", file.display())))?;
    if let Some(first) = text.lines().find(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = first.split('\t').collect();
        if is_header(&fields) {
            return read_table(bytes, b'\t', file, &Columns::default(), import);
        }
    }
    let mut writer = Writer::new(import, file)?;
    for (index, line) in text.lines().enumerate() {
        let number = index as u64 + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = if line.contains('\t') {
            line.split('\t')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect()
        } else {
            line.split_whitespace().collect()
        };
        match fields.as_slice() {
            [node] => {
                writer.node(node, None, None)?;
            }
            [_, _] => {
                return Err(syntax(
                    file,
                    number,
                    "a SIF line is `source relation target…`; this one has two fields".into(),
                ))
            }
            [source, relation, targets @ ..] => {
                let s = writer.node(source, None, None)?;
                let kind = kind_of(relation);
                for (k, target) in targets.iter().enumerate() {
                    let t = writer.node(target, None, None)?;
                    let id = if targets.len() == 1 {
                        format!("line-{number}")
                    } else {
                        format!("line-{number}-{}", k + 1)
                    };
                    writer.interaction(&id, &s, &t, kind, Some(relation), &[])?;
                }
            }
            [] => {}
        }
    }
    Ok(())
}

/// A table with a header row: the columns are taken from `columns` or recognised by name.
pub fn read_table(
    bytes: &[u8],
    delimiter: u8,
    file: &Path,
    columns: &Columns,
    import: &mut Import,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| syntax(file, 1, format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let find = |given: &Option<String>, names: &[&str], what: &str| -> Result<Option<usize>> {
        match given {
            Some(name) => header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name.trim()))
                .map(Some)
                .ok_or_else(|| {
                    Error::BadInput(format!(
                        "{}: no column named `{name}` for the {what} (the header has: {})",
                        file.display(),
                        header.join(", ")
                    ))
                }),
            None => Ok(names
                .iter()
                .find_map(|n| header.iter().position(|h| h == n))),
        }
    };
    let required = |column: Option<usize>, what: &str, option: &str| -> Result<usize> {
        column.ok_or_else(|| {
            Error::BadInput(format!(
                "{}: no {what} column found in the header ({}); name it with {option}",
                file.display(),
                header.join(", ")
            ))
        })
    };
    let source = required(
        find(&columns.source, SOURCE_NAMES, "source")?,
        "source",
        "--source-column",
    )?;
    let target = required(
        find(&columns.target, TARGET_NAMES, "target")?,
        "target",
        "--target-column",
    )?;
    let sign = find(
        &columns.sign,
        &[
            "sign",
            "consensus_sign",
            "effect",
            "interaction",
            "interaction_type",
            "mode",
            "regulation",
            "relation",
            "type",
        ],
        "sign",
    )?;
    let evidence = find(
        &columns.evidence,
        &[
            "references",
            "references_stripped",
            "pmid",
            "pmids",
            "pubmed",
            "pubmed_id",
            "interaction_pubmed_id",
            "evidence",
        ],
        "evidence",
    )?;
    let column = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| header.iter().position(|h| h == n))
    };
    let source_label = column(&["source_genesymbol", "source_label", "entitya", "symbol_a"])
        .filter(|c| *c != source);
    let target_label = column(&["target_genesymbol", "target_label", "entityb", "symbol_b"])
        .filter(|c| *c != target);
    let (stimulation, inhibition) = match (
        column(&["consensus_stimulation"]),
        column(&["consensus_inhibition"]),
    ) {
        (Some(s), Some(i)) => (Some(s), Some(i)),
        _ => (column(&["is_stimulation"]), column(&["is_inhibition"])),
    };
    let directed = column(&["consensus_direction"]).or_else(|| column(&["is_directed"]));
    let source_db = column(&["databasea"]);
    let target_db = column(&["databaseb"]);
    let namespace = columns.namespace.as_deref();

    let mut writer = Writer::new(import, file)?;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            syntax(file, line, e.to_string())
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::trim).unwrap_or("");
        let (s_name, t_name) = (cell(Some(source)), cell(Some(target)));
        for (value, column) in [(s_name, source), (t_name, target)] {
            if value.is_empty() {
                return Err(syntax(
                    file,
                    line,
                    format!(
                        "the `{}` column is empty",
                        header.get(column).map(String::as_str).unwrap_or("?")
                    ),
                ));
            }
        }
        let s_ns = namespace.or_else(|| database_namespace(cell(source_db)));
        let t_ns = namespace.or_else(|| database_namespace(cell(target_db)));
        let s = writer.node(
            s_name,
            Some(cell(source_label)).filter(|l| !l.is_empty()),
            s_ns,
        )?;
        let t = writer.node(
            t_name,
            Some(cell(target_label)).filter(|l| !l.is_empty()),
            t_ns,
        )?;
        let refs = references(cell(evidence));
        let undirected = directed.is_some() && !truthy(cell(directed));
        let mut kinds = Vec::new();
        if !undirected {
            if stimulation.is_some() || inhibition.is_some() {
                if truthy(cell(stimulation)) {
                    kinds.push(Kind::Activation);
                }
                if truthy(cell(inhibition)) {
                    kinds.push(Kind::Inhibition);
                }
            } else if sign.is_some() {
                kinds.push(kind_of(cell(sign)));
            }
        }
        if kinds.is_empty() {
            kinds.push(Kind::Association);
        }
        let two = kinds.len() > 1;
        for kind in kinds {
            let id = if two {
                format!("line-{line}-{}", kind.class().to_ascii_lowercase())
            } else {
                format!("line-{line}")
            };
            writer.interaction(&id, &s, &t, kind, sign.map(|_| cell(sign)), &refs)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_recognised_by_form() {
        assert!(is_uniprot("P04637"));
        assert!(is_uniprot("Q9H816"));
        assert!(is_uniprot("A0A087WXZ1"));
        assert!(is_uniprot("P04637-2"));
        assert!(!is_uniprot("TP53"));
        assert!(!is_uniprot("ERBB2"));
        assert_eq!(
            identity("7157", None).0.as_deref(),
            Some("https://identifiers.org/ncbigene:7157")
        );
        assert_eq!(
            identity("TP53", None).0.as_deref(),
            Some("https://identifiers.org/hgnc.symbol:TP53")
        );
        assert_eq!(identity("p53", None).0, None);
    }

    #[test]
    fn signs_and_references() {
        assert_eq!(kind_of("-1"), Kind::Inhibition);
        assert_eq!(kind_of("up-regulates activity"), Kind::Activation);
        assert_eq!(
            kind_of("down-regulates quantity by destabilization"),
            Kind::Inhibition
        );
        assert_eq!(kind_of("in-complex-with"), Kind::Association);
        let refs = references("SIGNOR:10080542;HPRD:11790773;doi:10.1038/nature01629");
        let refs: Vec<&str> = refs.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            refs,
            [
                "https://doi.org/10.1038/nature01629",
                "https://identifiers.org/pubmed:10080542",
                "https://identifiers.org/pubmed:11790773"
            ]
        );
    }
}
