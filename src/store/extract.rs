//! What does the store say about each labelled entity? Typed values read out of the store for
//! the layers that must not touch it (the search index today).

use super::Store;
use crate::error::Result;
use crate::search::{compact_type, Entity};
use crate::vocab;
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Term};
use std::collections::BTreeMap;

const SKOS_PREF: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#prefLabel");
const SKOS_ALT: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#altLabel");
const SKOS_EXACT: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#exactMatch");
const SKOS_DEFINITION: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#definition");
const DCTERMS_DESCRIPTION: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://purl.org/dc/terms/description");
const TW_SYMBOL: NamedNodeRef<'_> = NamedNodeRef::new_unchecked("https://twinpath.org/ns#symbol");
const TW_IDENTIFIER: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://twinpath.org/ns#identifier");

#[derive(Default)]
struct Names {
    symbol: Vec<String>,
    labels: Vec<String>,
    other: Vec<String>,
    identifiers: Vec<String>,
    descriptions: Vec<String>,
    types: Vec<String>,
}

/// `https://identifiers.org/hgnc:11998` is also `hgnc:11998` and `11998`.
fn identifier_forms(iri: &str) -> Vec<String> {
    let mut forms = vec![iri.to_owned()];
    if let Some(curie) = iri
        .strip_prefix("https://identifiers.org/")
        .or_else(|| iri.strip_prefix("http://identifiers.org/"))
    {
        forms.push(curie.to_owned());
        if let Some((_, accession)) = curie.rsplit_once(':') {
            forms.push(accession.to_owned());
        }
    } else if let Some(doi) = iri.strip_prefix("https://doi.org/") {
        forms.push(doi.to_owned());
    }
    forms
}

impl Store {
    /// Every entity with a name (symbol, label, preferred or alternative label) in `graphs`, or
    /// in every graph but the catalog when `graphs` is `None`; one [`Entity`] per graph it is named in.
    pub fn entities(&self, graphs: Option<&[NamedNode]>) -> Result<Vec<Entity>> {
        let predicates = [
            TW_SYMBOL,
            rdfs::LABEL,
            SKOS_PREF,
            SKOS_ALT,
            TW_IDENTIFIER,
            SKOS_EXACT,
            rdfs::COMMENT,
            SKOS_DEFINITION,
            DCTERMS_DESCRIPTION,
            rdf::TYPE,
        ];
        let scopes: Vec<Option<GraphNameRef<'_>>> = match graphs {
            Some(graphs) => graphs
                .iter()
                .map(|g| Some(GraphNameRef::NamedNode(g.as_ref())))
                .collect(),
            None => vec![None],
        };
        let mut found: BTreeMap<(String, String), Names> = BTreeMap::new();
        for scope in scopes {
            for predicate in predicates {
                for quad in self
                    .inner
                    .quads_for_pattern(None, Some(predicate), None, scope)
                {
                    let quad = quad?;
                    let (
                        NamedOrBlankNode::NamedNode(subject),
                        oxigraph::model::GraphName::NamedNode(graph),
                    ) = (&quad.subject, &quad.graph_name)
                    else {
                        continue;
                    };
                    // Derived graphs repeat names; patients' graphs are never searchable.
                    if graph.as_ref() == vocab::CATALOG_GRAPH
                        || graph.as_ref() == vocab::INFERRED_GRAPH
                        || graph.as_str().starts_with(vocab::TWIN_GRAPH)
                    {
                        continue;
                    }
                    let names = found
                        .entry((graph.as_str().to_owned(), subject.as_str().to_owned()))
                        .or_default();
                    let text = match &quad.object {
                        Term::Literal(l) => l.value().to_owned(),
                        Term::NamedNode(n) => n.as_str().to_owned(),
                        _ => continue,
                    };
                    match predicate {
                        p if p == TW_SYMBOL => names.symbol.push(text),
                        p if p == rdfs::LABEL || p == SKOS_PREF => names.labels.push(text),
                        p if p == SKOS_ALT => names.other.push(text),
                        p if p == TW_IDENTIFIER || p == SKOS_EXACT => {
                            names.identifiers.extend(identifier_forms(&text))
                        }
                        p if p == rdf::TYPE => names.types.push(compact_type(&text)),
                        _ => names.descriptions.push(text),
                    }
                }
            }
        }
        Ok(found
            .into_iter()
            .filter_map(|((graph, iri), names)| {
                let mut all_names: Vec<String> = names
                    .symbol
                    .into_iter()
                    .chain(names.labels)
                    .chain(names.other)
                    .collect();
                if all_names.is_empty() {
                    return None;
                }
                let label = all_names.remove(0);
                all_names.retain(|n| *n != label);
                all_names.dedup();
                let mut types = names.types;
                types.sort();
                types.dedup();
                let mut identifiers = identifier_forms(&iri);
                identifiers.extend(names.identifiers);
                Some(Entity {
                    iri,
                    graph,
                    label,
                    synonyms: all_names,
                    identifiers,
                    description: (!names.descriptions.is_empty())
                        .then(|| names.descriptions.join(" ")),
                    types,
                })
            })
            .collect())
    }
}
