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
