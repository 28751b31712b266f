//! What acts on what, and with which sign? The signed, directed interaction network of the
//! maps and of imported pathways, as plain values (petgraph), built from entity and
//! interaction descriptions without knowing where they came from.
//!
//! Two rules settle what a node is:
//! - **identity by identifiers**: entities that share an identifier (an identifiers.org IRI
//!   such as `ncbigene:7157` or `uniprot:P04637`) are one node, whatever their labels; a
//!   curated entity names the merged node, so an imported `p53` with an Entrez Xref for TP53
//!   is the map's TP53;
//! - **groups expand**: an edge from a complex or family stands for an edge from each of its
//!   members, an edge into one for an edge into each member (nested groups expand all the way
//!   down); the expanded edges remember the group in [`Edge::via`].

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A node of the network (a stable index for the life of one [`Network`]).
pub type NodeId = NodeIndex<u32>;

/// The sign of an interaction or of a path: activation (`+`) or inhibition (`-`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sign {
    Positive,
    Negative,
}

impl Sign {
    /// The net sign of two steps in a row: activation ∘ inhibition = inhibition, and two
    /// inhibitions make an activation.
    pub fn then(self, next: Sign) -> Sign {
        if self == next {
            Sign::Positive
        } else {
            Sign::Negative
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Sign::Positive => "+",
            Sign::Negative => "-",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Sign::Positive => 0,
            Sign::Negative => 1,
        }
    }
}

/// An entity of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The IRI that names the node: the curated entity's when one takes part.
    pub iri: String,
    pub label: String,
    /// Compact types (`tw:Gene`, `tw:Hallmark`, …), of every entity merged into the node.
    pub kinds: BTreeSet<String>,
    /// Every IRI merged into this node (its own included).
    pub aliases: Vec<String>,
}

impl Node {
    pub fn is(&self, kind: &str) -> bool {
        self.kinds.contains(kind)
    }
}

/// A signed interaction, with what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The interaction's IRI in the store.
    pub interaction: String,
    pub sign: Sign,
    /// How it acts, as an SBO term IRI, when known.
    pub mechanism: Option<String>,
    /// PubMed or DOI IRIs.
    pub evidence: Vec<String>,
    /// The named graph the interaction was read from (its pathway or source file).
    pub graph: String,
    /// The complex or family this edge was expanded from, if any.
    pub via: Option<String>,
}

/// One entity as a source describes it, before identities are merged.
#[derive(Debug, Clone, Default)]
pub struct EntityDescription {
    pub iri: String,
    pub label: Option<String>,
    pub kinds: Vec<String>,
    /// identifiers.org IRIs (and `hgnc.symbol:` forms) that identify it.
    pub identifiers: Vec<String>,
    /// Curated entities name the nodes they are merged into.
    pub curated: bool,
}

/// Collects entities, groups and interactions, then builds the [`Network`].
#[derive(Debug, Default)]
pub struct NetworkBuilder {
    entities: Vec<EntityDescription>,
    groups: HashMap<String, Vec<String>>,
    edges: Vec<(String, String, Edge)>,
}

impl NetworkBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Describes an entity; several descriptions of one IRI are combined.
    pub fn entity(&mut self, entity: EntityDescription) {
        self.entities.push(entity);
    }

    /// Declares `group` (a complex or family) with its members.
    pub fn group(&mut self, group: &str, members: Vec<String>) {
        self.groups
            .entry(group.to_owned())
            .or_default()
            .extend(members);
    }

    /// An interaction from `source` to `target` (IRIs of entities or groups).
    pub fn edge(&mut self, source: &str, target: &str, edge: Edge) {
        self.edges
            .push((source.to_owned(), target.to_owned(), edge));
    }

    pub fn build(self) -> Network {
        // Union-find over IRIs: two IRIs sharing an identifier are one entity.
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut iris: Vec<String> = Vec::new();
        let mut intern = |iri: &str, ids: &mut HashMap<String, usize>| -> usize {
            *ids.entry(iri.to_owned()).or_insert_with(|| {
                iris.push(iri.to_owned());
                iris.len() - 1
            })
        };
        let mut described = Vec::with_capacity(self.entities.len());
        for entity in &self.entities {
            described.push(intern(&entity.iri, &mut ids));
        }
        for (source, target, _) in &self.edges {
            intern(source, &mut ids);
            intern(target, &mut ids);
        }
        for (group, members) in &self.groups {
            intern(group, &mut ids);
            for m in members {
                intern(m, &mut ids);
            }
        }
        let mut parent: Vec<usize> = (0..iris.len()).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        let mut by_identifier: HashMap<&str, usize> = HashMap::new();
        for (entity, &i) in self.entities.iter().zip(&described) {
            for identifier in &entity.identifiers {
                match by_identifier.get(identifier.as_str()) {
                    Some(&j) => {
                        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                        if a != b {
                            parent[a.max(b)] = a.min(b);
                        }
                    }
                    None => {
                        by_identifier.insert(identifier, i);
                    }
                }
            }
        }

        // Gather each merged entity: its IRIs, names, kinds, and whether it is curated.
        #[derive(Default)]
        struct Merged {
            iris: BTreeSet<usize>,
            curated: BTreeSet<usize>,
            labels: HashMap<usize, String>,
            kinds: BTreeSet<String>,
        }
        let mut merged: HashMap<usize, Merged> = HashMap::new();
        for i in 0..iris.len() {
            let root = find(&mut parent, i);
            merged.entry(root).or_default().iris.insert(i);
        }
        for (entity, &i) in self.entities.iter().zip(&described) {
            let root = find(&mut parent, i);
            let m = merged.entry(root).or_default();
            if entity.curated {
                m.curated.insert(i);
            }
            if let Some(label) = &entity.label {
                m.labels.entry(i).or_insert_with(|| label.clone());
            }
            m.kinds.extend(entity.kinds.iter().cloned());
        }

        // Groups are not nodes: their edges are expanded onto their members.
        let group_roots: HashSet<usize> = self
            .groups
            .keys()
            .map(|g| find(&mut parent, ids[g.as_str()]))
            .collect();
        let mut graph = DiGraph::<Node, Edge>::with_capacity(merged.len(), self.edges.len());
        let mut node_of_root: HashMap<usize, NodeId> = HashMap::new();
        let mut roots: Vec<usize> = merged.keys().copied().collect();
        roots.sort_unstable_by(|a, b| iris[*a].cmp(&iris[*b]));
        for root in roots {
            if group_roots.contains(&root) {
                continue;
            }
            let m = &merged[&root];
            // The name: the curated IRI if any (the smallest, for stable answers), else the smallest.
            let pick = |set: &BTreeSet<usize>| {
                set.iter().min_by(|a, b| iris[**a].cmp(&iris[**b])).copied()
            };
            let Some(name) = pick(&m.curated).or_else(|| pick(&m.iris)) else {
                continue;
            };
            let label = m
                .labels
                .get(&name)
                .or_else(|| m.iris.iter().find_map(|i| m.labels.get(i)))
                .cloned()
                .unwrap_or_else(|| local_name(&iris[name]).to_owned());
            let mut aliases: Vec<String> = m.iris.iter().map(|i| iris[*i].clone()).collect();
            aliases.sort();
            let id = graph.add_node(Node {
                iri: iris[name].clone(),
                label,
                kinds: m.kinds.clone(),
                aliases,
            });
            node_of_root.insert(root, id);
        }

        let mut members_of: HashMap<usize, Vec<usize>> = HashMap::new();
        for (group, members) in &self.groups {
            let g = find(&mut parent, ids[group.as_str()]);
            let list = members_of.entry(g).or_default();
            for m in members {
                list.push(find(&mut parent, ids[m.as_str()]));
            }
        }
        // The nodes a group stands for, nested groups expanded, each group visited once.
        let expand = |root: usize| -> Vec<NodeId> {
            let mut out = BTreeSet::new();
            let mut seen = HashSet::new();
            let mut stack = vec![root];
            while let Some(r) = stack.pop() {
                if !seen.insert(r) {
                    continue;
                }
                match members_of.get(&r) {
                    Some(members) => stack.extend(members.iter().copied()),
                    None => {
                        if let Some(&n) = node_of_root.get(&r) {
                            out.insert(n);
                        }
                    }
                }
            }
            out.into_iter().collect()
        };
        let mut by_iri: HashMap<String, NodeId> = HashMap::new();
        for (iri, &i) in &ids {
            let root = find(&mut parent, i);
            if let Some(&n) = node_of_root.get(&root) {
                by_iri.insert(iri.clone(), n);
            }
        }
        for (source, target, edge) in self.edges {
            let (s, t) = (
                find(&mut parent, ids[&source]),
                find(&mut parent, ids[&target]),
            );
            let s_group = members_of.contains_key(&s);
            let t_group = members_of.contains_key(&t);
            let sources = expand(s);
            let targets = expand(t);
            for &a in &sources {
                for &b in &targets {
                    let mut e = edge.clone();
                    if s_group {
                        e.via = Some(source.clone());
                    } else if t_group {
                        e.via = Some(target.clone());
                    }
                    graph.add_edge(a, b, e);
                }
            }
        }
        Network::new(graph, by_iri)
    }
}

/// The last segment of an IRI, a readable stand-in for a missing label.
fn local_name(iri: &str) -> &str {
    iri.rsplit(['/', '#'])
        .find(|s| !s.is_empty())
        .unwrap_or(iri)
}

/// The signed, directed interaction network.
#[derive(Debug, Clone)]
pub struct Network {
    graph: DiGraph<Node, Edge>,
    by_iri: HashMap<String, NodeId>,
    /// Per node, its outgoing and incoming steps (edge, other end, sign) in flat arrays: the
    /// searches walk these instead of petgraph's linked edge lists, which is several times
    /// faster on genome-scale networks.
    outgoing: Vec<Vec<Step>>,
    incoming: Vec<Vec<Step>>,
}

/// One step along an edge: the edge, the node at its other end, and its sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub edge: EdgeIndex,
    pub node: NodeId,
    pub sign: Sign,
}

impl Network {
    fn new(graph: DiGraph<Node, Edge>, by_iri: HashMap<String, NodeId>) -> Self {
        let mut outgoing = vec![Vec::new(); graph.node_count()];
        let mut incoming = vec![Vec::new(); graph.node_count()];
        for e in graph.edge_references() {
            let sign = e.weight().sign;
            outgoing[e.source().index()].push(Step {
                edge: e.id(),
                node: e.target(),
                sign,
            });
            incoming[e.target().index()].push(Step {
                edge: e.id(),
                node: e.source(),
                sign,
            });
        }
        Network {
            graph,
            by_iri,
            outgoing,
            incoming,
        }
    }

    /// The steps leaving `node` (downstream) or entering it (upstream).
    pub fn adjacent(&self, node: NodeId, downstream: bool) -> &[Step] {
        if downstream {
            &self.outgoing[node.index()]
        } else {
            &self.incoming[node.index()]
        }
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The node an IRI names (directly or as a merged alias).
    pub fn find(&self, iri: &str) -> Option<NodeId> {
        self.by_iri.get(iri).copied()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[id]
    }

    pub fn edge(&self, id: EdgeIndex) -> &Edge {
        &self.graph[id]
    }

    pub fn endpoints(&self, id: EdgeIndex) -> (NodeId, NodeId) {
        self.graph
            .edge_endpoints(id)
            .expect("edge indices come from this network")
    }

    /// Every edge, in no particular order.
    pub fn edges(&self) -> impl Iterator<Item = &Edge> + '_ {
        self.graph.edge_weights()
    }

    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.graph.node_indices()
    }

    pub fn nodes_of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = NodeId> + 'a {
        self.graph
            .node_indices()
            .filter(move |n| self.graph[*n].is(kind))
    }

    /// The edges leaving `node` (downstream) or entering it (upstream), as (edge, the node at
    /// the other end).
    pub fn steps(
        &self,
        node: NodeId,
        downstream: bool,
    ) -> impl Iterator<Item = (EdgeIndex, NodeId)> + '_ {
        self.adjacent(node, downstream)
            .iter()
            .map(|s| (s.edge, s.node))
    }

    /// The same nodes with only the edges `keep` accepts (a pathway's graph, for example).
    pub fn restricted(&self, keep: impl Fn(&Edge) -> bool) -> Network {
        let graph = self
            .graph
            .filter_map(|_, n| Some(n.clone()), |_, e| keep(e).then(|| e.clone()));
        Network::new(graph, self.by_iri.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(iri: &str, sign: Sign) -> Edge {
        Edge {
            interaction: iri.into(),
            sign,
            mechanism: None,
            evidence: vec![],
            graph: "g".into(),
            via: None,
        }
    }

    #[test]
    fn entities_sharing_an_identifier_are_one_node_named_by_the_curated_one() {
        let mut b = NetworkBuilder::new();
        b.entity(EntityDescription {
            iri: "curated/TP53".into(),
            label: Some("TP53".into()),
            kinds: vec!["tw:Gene".into()],
            identifiers: vec!["ncbigene:7157".into()],
            curated: true,
        });
        b.entity(EntityDescription {
            iri: "imported/p53".into(),
            label: Some("p53".into()),
            identifiers: vec!["ncbigene:7157".into(), "uniprot:P04637".into()],
            ..Default::default()
        });
        b.edge("imported/p53", "imported/x", edge("i1", Sign::Positive));
        let n = b.build();
        assert_eq!(n.node_count(), 2);
        let tp53 = n.find("imported/p53").unwrap();
        assert_eq!(n.find("curated/TP53"), Some(tp53));
        assert_eq!(n.node(tp53).iri, "curated/TP53");
        assert_eq!(n.node(tp53).label, "TP53");
        assert_eq!(n.steps(tp53, true).count(), 1);
    }

    #[test]
    fn group_edges_expand_onto_members() {
        let mut b = NetworkBuilder::new();
        b.group("complex", vec!["a".into(), "family".into()]);
        b.group("family", vec!["b".into(), "c".into()]);
        b.edge("x", "complex", edge("i1", Sign::Negative));
        let n = b.build();
        let x = n.find("x").unwrap();
        let mut targets: Vec<&str> = n
            .steps(x, true)
            .map(|(_, t)| n.node(t).iri.as_str())
            .collect();
        targets.sort();
        assert_eq!(targets, ["a", "b", "c"]);
        assert!(n.find("complex").is_none());
        let (e, _) = n.steps(x, true).next().unwrap();
        assert_eq!(n.edge(e).via.as_deref(), Some("complex"));
    }

    #[test]
    fn signs_compose() {
        use Sign::*;
        assert_eq!(Positive.then(Negative), Negative);
        assert_eq!(Negative.then(Negative), Positive);
        assert_eq!(Positive.then(Positive), Positive);
    }
}
