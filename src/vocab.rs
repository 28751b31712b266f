//! Which IRIs name things: the twinpath vocabulary (`tw:`) and the reused ones.
//!
//! `ontologies/twin.ttl` defines the terms; this module only gives the code their names.

use oxigraph::model::NamedNodeRef;

/// The twinpath vocabulary namespace (`tw:`).
pub const TW: &str = "https://twinpath.org/ns#";
/// Instances live under this namespace.
pub const ID: &str = "https://twinpath.org/id/";
/// Named graphs of loaded sources live under this namespace.
pub const GRAPH: &str = "https://twinpath.org/graph/";
/// The catalog graph: one `tw:Load` per load.
pub const CATALOG_GRAPH: NamedNodeRef<'static> =
    NamedNodeRef::new_unchecked("https://twinpath.org/graph/catalog");
/// The RDFS entailments of the curated graphs (see `store::inference`).
pub const INFERRED_GRAPH: NamedNodeRef<'static> =
    NamedNodeRef::new_unchecked("https://twinpath.org/graph/inferred");
/// Patient twins' graphs live under this namespace; they never feed shared derived graphs.
pub const TWIN_GRAPH: &str = "https://twinpath.org/graph/twin/";
/// Simulation runs' graphs live under this namespace; they are as private as the twins.
pub const RUN_GRAPH: &str = "https://twinpath.org/graph/run/";

pub const PROV: &str = "http://www.w3.org/ns/prov#";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
pub const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";

macro_rules! terms {
    ($($name:ident = $iri:expr;)*) => {
        $(pub const $name: NamedNodeRef<'static> = NamedNodeRef::new_unchecked($iri);)*
    };
}

/// Terms of the catalog (see `ontologies/twin.ttl`, section "Catalog").
pub mod catalog {
    use super::*;
    terms! {
        LOAD = "https://twinpath.org/ns#Load";
        GRAPH = "https://twinpath.org/ns#graph";
        SOURCE_GRAPH = "https://twinpath.org/ns#sourceGraph";
        SOURCE_PATH = "https://twinpath.org/ns#sourcePath";
        SHA256 = "https://twinpath.org/ns#sha256";
        TRIPLE_COUNT = "https://twinpath.org/ns#tripleCount";
        BYTE_COUNT = "https://twinpath.org/ns#byteCount";
        MEDIA_TYPE = "https://twinpath.org/ns#mediaType";
        SOFTWARE_VERSION = "https://twinpath.org/ns#softwareVersion";
        ENDED_AT = "http://www.w3.org/ns/prov#endedAtTime";
        STARTED_AT = "http://www.w3.org/ns/prov#startedAtTime";
        PROV_ACTIVITY = "http://www.w3.org/ns/prov#Activity";
    }
}

/// Prefixes used when writing Turtle and when shortening IRIs for people.
pub const PREFIXES: &[(&str, &str)] = &[
    ("tw", TW),
    ("gene", "https://twinpath.org/id/gene/"),
    ("ix", "https://twinpath.org/id/interaction/"),
    ("pw", "https://twinpath.org/id/pathway/"),
    ("drug", "https://twinpath.org/id/drug/"),
    ("hallmark", "https://twinpath.org/id/hallmark/"),
    ("metabolite", "https://twinpath.org/id/metabolite/"),
    ("microbe", "https://twinpath.org/id/microbe/"),
    ("organ", "https://twinpath.org/id/organ/"),
    ("phenotype", "https://twinpath.org/id/phenotype/"),
    ("stimulus", "https://twinpath.org/id/stimulus/"),
    ("param", "https://twinpath.org/id/parameter/"),
    ("rule", "https://twinpath.org/id/rule/"),
    ("twin", "https://twinpath.org/id/twin/"),
    ("run", "https://twinpath.org/id/run/"),
    ("twid", ID),
    ("twg", GRAPH),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", RDFS),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", XSD),
    ("prov", PROV),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("sbo", "http://purl.obolibrary.org/obo/SBO_"),
    ("hgnc", "https://identifiers.org/hgnc:"),
    ("uniprot", "https://identifiers.org/uniprot:"),
    ("chebi", "https://identifiers.org/CHEBI:"),
    ("pubmed", "https://identifiers.org/pubmed:"),
];

/// Expands a CURIE with one of [`PREFIXES`] (`gene:ERBB2` → its IRI); `None` for anything else.
pub fn expand(curie: &str) -> Option<String> {
    let (prefix, local) = curie.split_once(':')?;
    PREFIXES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, namespace)| format!("{namespace}{local}"))
}

/// Graphs that are not shared knowledge: the catalog and the inference graph (derived from the
/// others) and patients' graphs (private). Inference, search and the network leave them out.
pub fn is_derived_or_private(graph: &str) -> bool {
    graph == CATALOG_GRAPH.as_str() || graph == INFERRED_GRAPH.as_str() || is_private(graph)
}

/// Patients' graphs and their runs' graphs: visible only to a caller whose token grants them.
pub fn is_private(graph: &str) -> bool {
    graph.starts_with(TWIN_GRAPH) || graph.starts_with(RUN_GRAPH)
}

/// Percent-encodes what may not stand in one IRI path segment (keeps unreserved characters).
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Shortens an IRI with the first matching prefix of [`PREFIXES`] (`gene:ERBB2`), or writes it
/// in angle brackets.
pub fn compact(iri: &str) -> String {
    for (prefix, namespace) in PREFIXES {
        if let Some(local) = iri.strip_prefix(namespace) {
            let plain = !local.is_empty()
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                && !local.ends_with('.');
            if plain {
                return format!("{prefix}:{local}");
            }
        }
    }
    format!("<{iri}>")
}
