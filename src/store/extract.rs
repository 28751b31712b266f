//! What does the store say about each labelled entity, and which signed interactions connect
//! them? Typed values read out of the store for the layers that must not touch it: the search
//! index's entities and the reasoning's [`Network`].

use super::Store;
use crate::error::{Error, Result};
use crate::model::logical::{Expr, LogicalModel, StochasticSettings};
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

/// A logical model compiled from a pathway of the store.
#[derive(Debug, Clone)]
pub struct CompiledLogical {
    pub model: LogicalModel,
    pub settings: StochasticSettings,
    /// Nodes whose rule was derived from their signed interactions, with that rule, so a
    /// curator can read it and write a `tw:logicRule` instead.
    pub derived: Vec<(String, String)>,
    /// Per node, the IRI it was compiled from.
    pub iris: Vec<String>,
}

/// A name the rule and math syntaxes accept: letters, digits and `_`, not starting with a digit.
pub(super) fn rule_name(label: &str) -> String {
    let mut name: String = label
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "n_");
    }
    name
}

impl Store {
    /// The one compiler from the store to a logical model: the members of `pathway` and of
    /// the pathways that are `tw:partOf` it, each with its `tw:logicRule` when curated (or
    /// imported), otherwise a rule derived from the signed interactions of `network` among
    /// them: on when any activator is on and no inhibitor is (CaSQ's default for disease maps);
    /// a node with neither is an input.
    pub fn logical_model(&self, pathway: &str, network: &Network) -> Result<CompiledLogical> {
        let tw = |local: &str| NamedNode::new_unchecked(format!("{}{local}", vocab::TW));
        let shared = |graph: &oxigraph::model::GraphName| match graph {
            oxigraph::model::GraphName::NamedNode(g) => !vocab::is_derived_or_private(g.as_str()),
            _ => true,
        };
        let objects = |subject: &str, predicate: &NamedNode| -> Result<Vec<Term>> {
            let subject =
                NamedNode::new(subject).map_err(|e| Error::BadInput(format!("{subject}: {e}")))?;
            let mut out = Vec::new();
            for quad in self.inner.quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(predicate.as_ref()),
                None,
                None,
            ) {
                let quad = quad?;
                if shared(&quad.graph_name) && !out.contains(&quad.object) {
                    out.push(quad.object);
                }
            }
            Ok(out)
        };
        let literal = |subject: &str, local: &str| -> Result<Option<String>> {
            Ok(objects(subject, &tw(local))?
                .into_iter()
                .find_map(|t| match t {
                    Term::Literal(l) => Some(l.value().to_owned()),
                    _ => None,
                }))
        };
        let root =
            NamedNode::new(pathway).map_err(|e| Error::BadInput(format!("{pathway}: {e}")))?;
        if !objects(pathway, &rdf::TYPE.into_owned())?.contains(&Term::NamedNode(tw("Pathway"))) {
            return Err(Error::NotFound(format!(
                "{pathway} is not a pathway of the store"
            )));
        }
        // The pathway and every pathway that is part of it, at any depth.
        let mut pathways = vec![root.clone()];
        let mut at = 0;
        while at < pathways.len() {
            let whole = pathways[at].clone();
            for quad in self.inner.quads_for_pattern(
                None,
                Some(tw("partOf").as_ref()),
                Some(whole.as_ref().into()),
                None,
            ) {
                let quad = quad?;
                if let NamedOrBlankNode::NamedNode(part) = quad.subject {
                    if shared(&quad.graph_name) && !pathways.contains(&part) {
                        pathways.push(part);
                    }
                }
            }
            at += 1;
        }
        // Members that are nodes: of the signed network (merged by identity), or with a rule.
        let mut model = LogicalModel::default();
        let mut iris: Vec<String> = Vec::new();
        let mut rules: Vec<Option<String>> = Vec::new();
        let mut rates: Vec<(Option<String>, Option<String>)> = Vec::new();
        let mut network_ids: Vec<Option<crate::model::network::NodeId>> = Vec::new();
        let mut by_network: HashMap<crate::model::network::NodeId, usize> = HashMap::new();
        // Members in the model's own order when it has one (imported models), then by IRI.
        let mut members: Vec<(i64, NamedNode)> = Vec::new();
        for p in &pathways {
            for member in objects(p.as_str(), &tw("member"))? {
                let Term::NamedNode(member) = member else {
                    continue;
                };
                let order = literal(member.as_str(), "order")?
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(i64::MAX);
                members.push((order, member));
            }
        }
        members.sort();
        {
            for (_, member) in members {
                let iri = member.as_str();
                if pathways.contains(&member) || iris.iter().any(|i| i == iri) {
                    continue;
                }
                let rule = literal(iri, "logicRule")?;
                let in_network = network.find(iri);
                if let Some(id) = in_network {
                    if by_network.contains_key(&id) {
                        continue;
                    }
                    by_network.insert(id, model.nodes.len());
                } else if rule.is_none() {
                    // An interaction, or an entity no signed interaction touches.
                    continue;
                }
                let label = match in_network {
                    Some(id) => network.node(id).label.clone(),
                    None => objects(iri, &rdfs::LABEL.into_owned())?
                        .into_iter()
                        .find_map(|t| match t {
                            Term::Literal(l) => Some(l.value().to_owned()),
                            _ => None,
                        })
                        .unwrap_or_else(|| iri.rsplit(['/', '#']).next().unwrap_or(iri).to_owned()),
                };
                let mut name = rule_name(&label);
                while model.node(&name).is_some() {
                    name.push('_');
                }
                model.nodes.push(crate::model::logical::LogicalNode {
                    name,
                    rule: Expr::Num(0.0),
                    rate_up: None,
                    rate_down: None,
                });
                iris.push(iri.to_owned());
                rules.push(rule);
                rates.push((literal(iri, "rateUp")?, literal(iri, "rateDown")?));
                network_ids.push(in_network);
            }
        }
        if model.nodes.is_empty() {
            return Err(Error::BadInput(format!(
                "{pathway}: no member has a logic rule or a signed interaction to derive one from"
            )));
        }
        for p in objects(pathway, &tw("parameter"))? {
            let Term::NamedNode(p) = p else { continue };
            let name = objects(p.as_str(), &rdfs::LABEL.into_owned())?
                .into_iter()
                .find_map(|t| match t {
                    Term::Literal(l) => Some(l.value().to_owned()),
                    _ => None,
                });
            if let Some(name) = name {
                let value = literal(p.as_str(), "value")?.and_then(|v| v.parse::<f64>().ok());
                let index = model.parameter(&name);
                model.parameters[index].value = value.unwrap_or(f64::NAN);
            }
        }
        let names = model.names();
        let mut derived = Vec::new();
        let problem = |i: usize, what: &str, e: crate::model::logical::ParseError| {
            Error::BadInput(format!(
                "{}: the {what} of {} does not parse: {e}",
                iris[i], model.nodes[i].name
            ))
        };
        let mut compiled = Vec::with_capacity(model.nodes.len());
        for i in 0..model.nodes.len() {
            let mut scratch = model.clone();
            let rule = match &rules[i] {
                Some(text) => Expr::parse(text, &names, &mut |p| scratch.parameter(p))
                    .map_err(|e| problem(i, "rule", e))?,
                None => {
                    let rule = derived_rule(i, network_ids[i], network, &by_network);
                    derived.push((
                        model.nodes[i].name.clone(),
                        rule.display(&model).to_string(),
                    ));
                    rule
                }
            };
            let mut parse_rate = |text: &Option<String>, what: &str| -> Result<Option<Expr>> {
                text.as_ref()
                    .map(|t| {
                        Expr::parse(t, &names, &mut |p| scratch.parameter(p))
                            .map_err(|e| problem(i, what, e))
                    })
                    .transpose()
            };
            let up = parse_rate(&rates[i].0, "rate up")?;
            let down = parse_rate(&rates[i].1, "rate down")?;
            // Rates may name parameters the pathway does not list: keep them, valueless.
            model.parameters = scratch.parameters;
            compiled.push((rule, up, down));
        }
        for (node, (rule, up, down)) in model.nodes.iter_mut().zip(compiled) {
            node.rule = rule;
            node.rate_up = up;
            node.rate_down = down;
        }
        let settings = self.logical_settings(pathway, &iris, &model)?;
        Ok(CompiledLogical {
            model,
            settings,
            derived,
            iris,
        })
    }

    /// The run settings stored on an imported MaBoSS model, read back through the `.cfg`
    /// reader so that both say the same thing.
    fn logical_settings(
        &self,
        pathway: &str,
        iris: &[String],
        model: &LogicalModel,
    ) -> Result<StochasticSettings> {
        // The literals of one subject and property, Booleans as MaBoSS writes them (0, 1).
        let values = |subject: &str, local: &str| -> Result<Vec<String>> {
            let subject = NamedNode::new_unchecked(subject);
            let property = NamedNode::new_unchecked(format!("{}{local}", vocab::TW));
            let mut out = Vec::new();
            for quad in self.inner.quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(property.as_ref()),
                None,
                None,
            ) {
                if let Term::Literal(l) = quad?.object {
                    out.push(match l.value() {
                        "true" => "1".to_owned(),
                        "false" => "0".to_owned(),
                        v => v.to_owned(),
                    });
                }
            }
            Ok(out)
        };
        let mut cfg = String::new();
        for (local, key) in [
            ("maxTime", "max_time"),
            ("timeTick", "time_tick"),
            ("sampleCount", "sample_count"),
            ("seed", "seed_pseudorandom"),
            ("threadCount", "thread_count"),
            ("discreteTime", "discrete_time"),
        ] {
            for value in values(pathway, local)? {
                cfg.push_str(&format!("{key} = {value};\n"));
            }
        }
        for value in values(pathway, "initialDistribution")? {
            let Some((nodes, choices)) = value.split_once('=') else {
                return Err(Error::BadInput(format!(
                    "{pathway}: tw:initialDistribution {value:?} is not `[A, …] = p [v, …], …`"
                )));
            };
            cfg.push_str(&format!("{}.istate = {};\n", nodes.trim(), choices.trim()));
        }
        for (i, iri) in iris.iter().enumerate() {
            for (local, key) in [
                ("internalNode", "is_internal"),
                ("referenceState", "refstate"),
            ] {
                for value in values(iri, local)? {
                    cfg.push_str(&format!("{}.{key} = {value};\n", model.nodes[i].name));
                }
            }
        }
        let mut settings = StochasticSettings::for_nodes(model.nodes.len());
        if !cfg.is_empty() {
            let mut scratch = model.clone();
            crate::import::maboss::configure(
                &mut scratch,
                &mut settings,
                &cfg,
                std::path::Path::new(pathway),
            )?;
        }
        Ok(settings)
    }
}

/// CaSQ's default rule for a node of a disease map: on when any activator is on and no
/// inhibitor is; a node with only inhibitors is on when none is; one with no regulator among
/// the model's nodes keeps its value (an input).
fn derived_rule(
    node: usize,
    id: Option<crate::model::network::NodeId>,
    network: &Network,
    index: &HashMap<crate::model::network::NodeId, usize>,
) -> Expr {
    let (mut activators, mut inhibitors) = (Vec::new(), Vec::new());
    if let Some(id) = id {
        for step in network.adjacent(id, false) {
            let Some(&source) = index.get(&step.node) else {
                continue;
            };
            let list = match step.sign {
                Sign::Positive => &mut activators,
                Sign::Negative => &mut inhibitors,
            };
            if !list.contains(&source) {
                list.push(source);
            }
        }
    }
    activators.sort();
    inhibitors.sort();
    let any = |nodes: &[usize]| nodes.iter().map(|&n| Expr::Node(n)).reduce(Expr::or);
    match (any(&activators), any(&inhibitors)) {
        (None, None) => Expr::Node(node),
        (Some(a), None) => a,
        (None, Some(i)) => Expr::not(i),
        (Some(a), Some(i)) => Expr::and(a, Expr::not(i)),
    }
}
