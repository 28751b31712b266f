//! Which questions about the interaction network can be asked of the engine? Resolving the
//! names people type into network nodes, then one [`crate::reason`] call each; the network is
//! built from the store once and rebuilt after every write.

use super::Engine;
use crate::error::{Error, Result};
use crate::model::{Network, NodeId, Sign};
use crate::reason::{
    self, DrugReach, GeneReach, Impact, PathsAnswer, Perturbation, Reached, Stream, Subnetwork,
};
use crate::search::SearchRequest;
use crate::vocab;
use oxigraph::model::{Literal, NamedNode, Term};
use serde::Serialize;
use std::sync::Arc;

/// What a perturbation does to its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerturbationKind {
    /// Gain of function or amplification: the node's activity goes up.
    Gain,
    /// Loss of function: the node's activity goes down.
    Loss,
    /// A drug: given a drug, the drug is present; given a gene, it is inhibited as a drug would.
    Drug,
}

impl PerturbationKind {
    /// `GENE=gain|loss|drug`, as the command line and the HTTP API take it.
    pub fn parse_assignment(text: &str) -> std::result::Result<(String, Self), String> {
        let (node, kind) = text
            .rsplit_once('=')
            .ok_or_else(|| format!("{text:?} is not NODE=gain|loss|drug"))?;
        let kind = Self::from_name(kind)
            .ok_or_else(|| format!("{kind:?} is not one of gain, loss, drug"))?;
        Ok((node.trim().to_owned(), kind))
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "gain" | "gof" | "amplification" | "amp" | "up" => Self::Gain,
            "loss" | "lof" | "deletion" | "down" | "knockout" => Self::Loss,
            "drug" | "inhibit" | "inhibition" => Self::Drug,
            _ => return None,
        })
    }
}

/// The nodes downstream or upstream of one node.
#[derive(Debug, Clone, Serialize)]
pub struct Neighbours {
    pub start: reason::NodeView,
    pub direction: &'static str,
    pub depth: usize,
    pub nodes: Vec<Reached>,
}

/// Paths between two nodes, or loops through one.
#[derive(Debug, Clone, Serialize)]
pub struct PathsReport {
    pub from: Option<reason::NodeView>,
    pub to: Option<reason::NodeView>,
    pub max_length: usize,
    #[serde(flatten)]
    pub answer: PathsAnswer,
}

/// The hallmarks a set of perturbations pushes, and for a twin, which altered genes no drug reaches.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactReport {
    #[serde(flatten)]
    pub impact: Impact,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twin: Option<String>,
    /// The twin's altered genes and the drugs that reach each (an empty list: none does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drug_reach: Option<Vec<GeneReach>>,
    /// A twin's variants that could not be used, and why (a gene the network lacks, a kind
    /// with no known effect on activity).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused_variants: Vec<String>,
}

/// Where to look: the whole network or one graph's edges.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub graph: Option<String>,
}

impl Engine {
    /// The signed interaction network of the store, built on first use after each write.
    pub fn network(&self) -> Result<Arc<Network>> {
        if let Some(net) = self
            .network
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return Ok(net.clone());
        }
        let mut slot = self.network.write().unwrap_or_else(|p| p.into_inner());
        if let Some(net) = slot.as_ref() {
            return Ok(net.clone());
        }
        let net = Arc::new(self.store.network()?);
        *slot = Some(net.clone());
        Ok(net)
    }

    pub(super) fn forget_network(&self) {
        *self.network.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn scoped(&self, scope: &Scope) -> Result<Arc<Network>> {
        let net = self.network()?;
        Ok(match &scope.graph {
            None => net,
            Some(graph) => {
                let graph = expand(graph);
                if !net.edges().any(|e| e.graph == graph) {
                    return Err(Error::NotFound(format!(
                        "no interactions of the network come from the graph <{graph}>"
                    )));
                }
                Arc::new(net.restricted(|e| e.graph == graph))
            }
        })
    }

    /// The node a person means by `name`: an IRI, a CURIE (`gene:ERBB2`, `hgnc:3430`), or a
    /// symbol, label, synonym or identifier that search finds (`HER2`, `p53`).
    pub fn resolve(&self, net: &Network, name: &str) -> Result<NodeId> {
        let name = name.trim();
        if let Some(node) = net.find(&expand(name)) {
            return Ok(node);
        }
        let identifier = format!("https://identifiers.org/{name}");
        for hit in self.search(&SearchRequest::new(name, 20))? {
            if let Some(node) = net.find(&hit.iri) {
                return Ok(node);
            }
        }
        // An identifier the maps carry (`hgnc:3430`, `uniprot:P04626`) names its entity.
        if let Some(node) = net
            .nodes()
            .find(|n| net.node(*n).aliases.iter().any(|a| *a == identifier))
        {
            return Ok(node);
        }
        Err(Error::NotFound(format!(
            "nothing in the interaction network is called {name:?} (try `twinpath search {name}`)"
        )))
    }

    fn resolve_all(&self, net: &Network, names: &[String]) -> Result<Vec<NodeId>> {
        if names.is_empty() {
            return Err(Error::BadInput("name at least one node".into()));
        }
        names.iter().map(|n| self.resolve(net, n)).collect()
    }

    /// The nodes within `depth` steps downstream (or upstream) of `node`, with signs and paths.
    pub fn reach(
        &self,
        node: &str,
        depth: usize,
        stream: Stream,
        scope: &Scope,
    ) -> Result<Neighbours> {
        let net = self.scoped(scope)?;
        let start = self.resolve(&net, node)?;
        Ok(Neighbours {
            start: reason::NodeView::of(&net, start),
            direction: match stream {
                Stream::Downstream => "downstream",
                Stream::Upstream => "upstream",
            },
            depth,
            nodes: reason::reach(&net, start, depth, stream),
        })
    }

    /// The simple paths from one node to another, shortest first.
    pub fn paths(
        &self,
        from: &str,
        to: &str,
        max_length: usize,
        limit: usize,
        scope: &Scope,
    ) -> Result<PathsReport> {
        let net = self.scoped(scope)?;
        let (a, b) = (self.resolve(&net, from)?, self.resolve(&net, to)?);
        Ok(PathsReport {
            from: Some(reason::NodeView::of(&net, a)),
            to: Some(reason::NodeView::of(&net, b)),
            max_length,
            answer: reason::paths(&net, a, b, max_length, limit),
        })
    }

    /// Feedback loops through `node`, or every loop of the scope when `node` is `None`.
    pub fn loops(
        &self,
        node: Option<&str>,
        max_length: usize,
        limit: usize,
        scope: &Scope,
    ) -> Result<PathsReport> {
        let net = self.scoped(scope)?;
        Ok(match node {
            Some(name) => {
                let n = self.resolve(&net, name)?;
                PathsReport {
                    from: Some(reason::NodeView::of(&net, n)),
                    to: None,
                    max_length,
                    answer: reason::loops(&net, n, max_length, limit),
                }
            }
            None => PathsReport {
                from: None,
                to: None,
                max_length,
                answer: reason::loops_within(&net, max_length, limit),
            },
        })
    }

    /// Pathway Commons' graph queries over the network.
    pub fn neighbourhood(
        &self,
        nodes: &[String],
        depth: usize,
        stream: Option<Stream>,
        scope: &Scope,
    ) -> Result<Subnetwork> {
        let net = self.scoped(scope)?;
        let seeds = self.resolve_all(&net, nodes)?;
        Ok(reason::neighbourhood(&net, &seeds, depth, stream))
    }

    pub fn paths_between(
        &self,
        nodes: &[String],
        limit: usize,
        scope: &Scope,
    ) -> Result<Subnetwork> {
        let net = self.scoped(scope)?;
        let seeds = self.resolve_all(&net, nodes)?;
        Ok(reason::paths_between(&net, &seeds, limit))
    }

    pub fn paths_from_to(
        &self,
        from: &[String],
        to: &[String],
        limit: usize,
        scope: &Scope,
    ) -> Result<Subnetwork> {
        let net = self.scoped(scope)?;
        let (a, b) = (self.resolve_all(&net, from)?, self.resolve_all(&net, to)?);
        Ok(reason::paths_from_to(&net, &a, &b, limit))
    }

    pub fn common_stream(
        &self,
        nodes: &[String],
        depth: usize,
        stream: Stream,
        scope: &Scope,
    ) -> Result<Subnetwork> {
        let net = self.scoped(scope)?;
        let seeds = self.resolve_all(&net, nodes)?;
        Ok(reason::common_stream(&net, &seeds, depth, stream))
    }

    /// The hallmarks pushed by perturbations (`GENE=gain|loss|drug`) and, with `twin`, by the
    /// twin's variants; a twin's answer also says which of its altered genes no drug reaches.
    pub fn impact(
        &self,
        perturbations: &[(String, PerturbationKind)],
        twin: Option<&str>,
        depth: usize,
        shown: usize,
        scope: &Scope,
    ) -> Result<ImpactReport> {
        let net = self.scoped(scope)?;
        let mut list = Vec::new();
        for (name, kind) in perturbations {
            let node = self.resolve(&net, name)?;
            let label = net.node(node).label.clone();
            let is_drug = net.node(node).is("tw:Drug");
            let (sign, what) = match kind {
                PerturbationKind::Gain => (Sign::Positive, "gain"),
                PerturbationKind::Loss => (Sign::Negative, "loss"),
                PerturbationKind::Drug if is_drug => (Sign::Positive, "drug"),
                PerturbationKind::Drug => (Sign::Negative, "inhibited"),
            };
            list.push(Perturbation {
                node,
                sign,
                name: if is_drug {
                    label
                } else {
                    format!("{label} {what}")
                },
            });
        }
        let mut altered = Vec::new();
        let mut unused = Vec::new();
        let twin_iri = twin.map(twin_iri);
        if let Some(iri) = &twin_iri {
            let variants = self.store.twin_variants(iri)?;
            if variants.is_empty() {
                return Err(Error::NotFound(format!(
                    "the twin <{iri}> has no variants in the store"
                )));
            }
            for (gene, kind) in variants {
                let (sign, what) = match kind.as_str() {
                    "LossOfFunction" => (Sign::Negative, "loss"),
                    "Amplification" => (Sign::Positive, "amplification"),
                    "GainOfFunction" => (Sign::Positive, "gain"),
                    _ => {
                        unused.push(format!("{gene} ({kind}: no known effect on activity)"));
                        continue;
                    }
                };
                let Some(node) = net.find(&gene) else {
                    unused.push(format!("{gene} (not in the interaction network)"));
                    continue;
                };
                altered.push(node);
                list.push(Perturbation {
                    node,
                    sign,
                    name: format!("{} {what}", net.node(node).label),
                });
            }
        }
        if list.is_empty() {
            return Err(Error::BadInput(
                "name at least one perturbation (GENE=gain|loss|drug) or a twin".into(),
            ));
        }
        let hallmarks: Vec<NodeId> = net.nodes_of_kind("tw:Hallmark").collect();
        let impact = reason::impact(&net, &list, &hallmarks, depth, shown, 500);
        let drug_reach = twin_iri.as_ref().map(|_| {
            let drugs: Vec<NodeId> = net.nodes_of_kind("tw:Drug").collect();
            altered.sort();
            altered.dedup();
            reason::unreached(&net, &altered, &drugs, depth)
        });
        Ok(ImpactReport {
            impact,
            twin: twin_iri,
            drug_reach,
            unused_variants: unused,
        })
    }

    /// The hallmarks one drug or a combination reaches, each drug's effect shown.
    pub fn drug_reach(
        &self,
        drugs: &[String],
        depth: usize,
        shown: usize,
        scope: &Scope,
    ) -> Result<DrugReach> {
        let net = self.scoped(scope)?;
        let nodes = self.resolve_all(&net, drugs)?;
        let hallmarks: Vec<NodeId> = net.nodes_of_kind("tw:Hallmark").collect();
        Ok(reason::drug_reach(
            &net, &nodes, &hallmarks, depth, shown, 500,
        ))
    }

    /// The SPARQL extension functions over the network: `tw:reaches(?a, ?b [, k])` (true when
    /// `?b` is within k steps downstream of `?a`, k = 4 by default) and `tw:pathSign(?a, ?b [, k])`
    /// (`"+"`, `"-"` or `"±"`, unbound when out of reach).
    pub(super) fn sparql_functions(
        &self,
        query: &str,
    ) -> Result<Vec<crate::store::CustomFunction>> {
        if !query.contains("reaches") && !query.contains("pathSign") {
            return Ok(Vec::new()); // the network is not built for queries that do not use it
        }
        let net = self.network()?;
        let depth = |args: &[Term]| -> Option<usize> {
            match args.get(2) {
                None => Some(4),
                Some(Term::Literal(l)) => l.value().parse().ok().filter(|k| *k <= 12),
                Some(_) => None,
            }
        };
        let ends = |net: &Network, args: &[Term]| -> Option<(NodeId, NodeId)> {
            let node = |t: &Term| match t {
                Term::NamedNode(n) => net.find(n.as_str()),
                _ => None,
            };
            Some((node(args.first()?)?, node(args.get(1)?)?))
        };
        let reaches_net = net.clone();
        let reaches = move |args: &[Term]| -> Option<Term> {
            let k = depth(args)?;
            let (a, b) = ends(&reaches_net, args)?;
            let d = reason::distances(&reaches_net, &[a], k, &[true]);
            Some(Literal::from(a != b && d[b.index()] != u32::MAX).into())
        };
        let sign_net = net;
        let path_sign = move |args: &[Term]| -> Option<Term> {
            let k = depth(args)?;
            let (a, b) = ends(&sign_net, args)?;
            reason::path_sign(&sign_net, a, b, k).map(|s| Literal::new_simple_literal(s).into())
        };
        let tw = |local: &str| NamedNode::new_unchecked(format!("{}{local}", vocab::TW));
        Ok(vec![
            (tw("reaches"), Arc::new(reaches)),
            (tw("pathSign"), Arc::new(path_sign)),
        ])
    }
}

/// A CURIE with one of the known prefixes, expanded; anything else (an IRI, a name) as given.
fn expand(name: &str) -> String {
    if name.contains("://") {
        return name.to_owned();
    }
    vocab::expand(name).unwrap_or_else(|| name.to_owned())
}

/// The IRI of the twin called `id` (`https://twinpath.org/id/twin/<id>`), or `id` if it is one.
fn twin_iri(id: &str) -> String {
    if id.contains("://") {
        id.to_owned()
    } else {
        format!("{}twin/{}", vocab::ID, vocab::encode_segment(id.trim()))
    }
}
