//! What does the store say about each labelled entity, and which signed interactions connect
//! them? Typed values read out of the store for the layers that must not touch it: the search
//! index's entities and the reasoning's [`Network`].

use super::Store;
use crate::error::Result;
use crate::model::network::EntityDescription;
use crate::model::{Edge, Network, NetworkBuilder, Sign};
use crate::search::{compact_type, Entity};
use crate::vocab;
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Term};
use std::collections::{BTreeMap, HashMap};

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
const TW_XREF: NamedNodeRef<'_> = NamedNodeRef::new_unchecked("https://twinpath.org/ns#xref");

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
            TW_XREF,
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
                    if vocab::is_derived_or_private(graph.as_str()) {
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
                        p if p == TW_IDENTIFIER || p == TW_XREF || p == SKOS_EXACT => {
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

/// Drug actions that lower their target's activity, and those that raise it; other actions
/// (a tissue-dependent modulator) have no sign and stay out of the signed network.
const LOWERING_ACTIONS: &[&str] = &[
    "Inhibitor",
    "Antagonist",
    "AntibodyBinding",
    "Degrader",
    "Stabiliser",
    "Crosslinker",
];
const RAISING_ACTIONS: &[&str] = &["Agonist", "Releaser"];

/// What one subject says, for the network.
#[derive(Default)]
struct Described {
    graph: String,
    types: Vec<String>,
    symbol: Option<String>,
    label: Option<String>,
    pref_label: Option<String>,
    identifiers: Vec<String>,
    xrefs: Vec<String>,
    source: Option<String>,
    target: Option<String>,
    action: Option<String>,
    mechanism: Option<String>,
    evidence: Vec<String>,
    members: Vec<String>,
}

impl Described {
    /// The sign the subject's types (or, for a drug target, its action) give it as an edge.
    fn sign(&self) -> Option<Sign> {
        let has = |t: &str| self.types.iter().any(|x| x == t);
        if has("Activation") {
            Some(Sign::Positive)
        } else if has("Inhibition") {
            Some(Sign::Negative)
        } else if has("DrugTarget") {
            let action = self.action.as_deref()?;
            if LOWERING_ACTIONS.contains(&action) {
                Some(Sign::Negative)
            } else if RAISING_ACTIONS.contains(&action) {
                Some(Sign::Positive)
            } else {
                None
            }
        } else if has("Production") {
            Some(Sign::Positive)
        } else {
            None
        }
    }
}

impl Store {
    /// The signed interaction network of every graph but the catalog, the inferences and
    /// patients' graphs: activations and inhibitions (hallmark links included), drug targets
    /// signed by their action, and microbial productions (positive). Entities that share an
    /// identifier or cross-reference are one node; complexes and families expand onto their
    /// members (see [`crate::model::network`]).
    pub fn network(&self) -> Result<Network> {
        let tw = |local: &str| NamedNode::new_unchecked(format!("{}{local}", vocab::TW));
        let predicates = [
            ("type", rdf::TYPE.into_owned()),
            ("symbol", TW_SYMBOL.into_owned()),
            ("label", rdfs::LABEL.into_owned()),
            ("pref", SKOS_PREF.into_owned()),
            ("identifier", TW_IDENTIFIER.into_owned()),
            ("xref", TW_XREF.into_owned()),
            ("source", tw("source")),
            ("target", tw("target")),
            ("action", tw("action")),
            ("mechanism", tw("mechanism")),
            ("evidence", tw("evidence")),
            ("member", tw("hasMember")),
            ("member", tw("hasComponent")),
        ];
        let mut described: HashMap<String, Described> = HashMap::new();
        for (role, predicate) in &predicates {
            for quad in self
                .inner
                .quads_for_pattern(None, Some(predicate.as_ref()), None, None)
            {
                let quad = quad?;
                let (
                    NamedOrBlankNode::NamedNode(subject),
                    oxigraph::model::GraphName::NamedNode(graph),
                ) = (&quad.subject, &quad.graph_name)
                else {
                    continue;
                };
                if vocab::is_derived_or_private(graph.as_str()) {
                    continue;
                }
                let (iri, literal) = match &quad.object {
                    Term::NamedNode(n) => (Some(n.as_str()), None),
                    Term::Literal(l) => (None, Some(l.value())),
                    _ => continue,
                };
                let d = described.entry(subject.as_str().to_owned()).or_default();
                let text = || iri.or(literal).map(str::to_owned);
                match *role {
                    "type" => {
                        if let Some(t) = iri {
                            if let Some(local) = t.strip_prefix(vocab::TW) {
                                d.types.push(local.to_owned());
                            }
                        }
                    }
                    "symbol" => d.symbol = d.symbol.take().or_else(text),
                    "label" => d.label = d.label.take().or_else(text),
                    "pref" => d.pref_label = d.pref_label.take().or_else(text),
                    "identifier" => d.identifiers.extend(iri.map(str::to_owned)),
                    "xref" => d.xrefs.extend(iri.map(str::to_owned)),
                    "source" => {
                        // The interaction belongs to the graph that says where it starts.
                        d.graph = graph.as_str().to_owned();
                        d.source = iri.map(str::to_owned);
                    }
                    "target" => d.target = iri.map(str::to_owned),
                    "action" => {
                        d.action = iri
                            .and_then(|a| a.strip_prefix(vocab::TW))
                            .map(str::to_owned)
                    }
                    "mechanism" => d.mechanism = iri.map(str::to_owned),
                    "evidence" => d.evidence.extend(iri.map(str::to_owned)),
                    _ => d.members.extend(iri.map(str::to_owned)),
                }
            }
        }

        let mut builder = NetworkBuilder::new();
        let mut subjects: Vec<(&String, &Described)> = described.iter().collect();
        subjects.sort_by(|a, b| a.0.cmp(b.0));
        for (iri, d) in subjects {
            if let (Some(source), Some(target)) = (&d.source, &d.target) {
                if let Some(sign) = d.sign() {
                    let mut evidence = d.evidence.clone();
                    evidence.sort();
                    evidence.dedup();
                    builder.edge(
                        source,
                        target,
                        Edge {
                            interaction: iri.clone(),
                            sign,
                            mechanism: d.mechanism.clone(),
                            evidence,
                            graph: d.graph.clone(),
                            via: None,
                        },
                    );
                }
                continue;
            }
            if !d.members.is_empty() {
                builder.group(iri, d.members.clone());
            }
            if d.types.is_empty() && d.symbol.is_none() && d.label.is_none() {
                continue;
            }
            let mut identifiers: Vec<String> =
                d.identifiers.iter().chain(&d.xrefs).cloned().collect();
            // An approved HGNC symbol is an identifier too (GPML and SIF files name genes by it).
            if let (Some(symbol), true) = (
                &d.symbol,
                d.identifiers
                    .iter()
                    .any(|i| i.starts_with("https://identifiers.org/hgnc:")),
            ) {
                identifiers.push(format!("https://identifiers.org/hgnc.symbol:{symbol}"));
            }
            builder.entity(EntityDescription {
                iri: iri.clone(),
                label: d
                    .symbol
                    .clone()
                    .or_else(|| d.label.clone())
                    .or_else(|| d.pref_label.clone()),
                kinds: d.types.iter().map(|t| format!("tw:{t}")).collect(),
                identifiers,
                curated: !d.identifiers.is_empty(),
            });
        }
        Ok(builder.build())
    }
}

impl Store {
    /// A twin's variants as (gene IRI, variant kind's local name: `Amplification`,
    /// `LossOfFunction`, `GainOfFunction`), from whichever graph holds the twin.
    pub fn twin_variants(&self, twin: &str) -> Result<Vec<(String, String)>> {
        let tw = |local: &str| NamedNode::new_unchecked(format!("{}{local}", vocab::TW));
        let Ok(twin) = NamedNode::new(twin) else {
            return Ok(Vec::new());
        };
        let (has_variant, gene, kind) = (tw("hasVariant"), tw("gene"), tw("variantKind"));
        let object = |s: &NamedOrBlankNode, p: &NamedNode| -> Result<Option<String>> {
            for q in self
                .inner
                .quads_for_pattern(Some(s.as_ref()), Some(p.as_ref()), None, None)
            {
                if let Term::NamedNode(n) = q?.object {
                    return Ok(Some(n.as_str().to_owned()));
                }
            }
            Ok(None)
        };
        let mut out = Vec::new();
        for quad in self.inner.quads_for_pattern(
            Some(twin.as_ref().into()),
            Some(has_variant.as_ref()),
            None,
            None,
        ) {
            let variant: NamedOrBlankNode = match quad?.object {
                Term::NamedNode(n) => n.into(),
                Term::BlankNode(b) => b.into(),
                _ => continue,
            };
            if let (Some(g), Some(k)) = (object(&variant, &gene)?, object(&variant, &kind)?) {
                let k = k.strip_prefix(vocab::TW).unwrap_or(&k).to_owned();
                out.push((g, k));
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}
