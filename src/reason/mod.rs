//! What reaches what, by which paths, with what sign? Graph reasoning over a
//! [`Network`](crate::model::Network): pure functions, no store.
//!
//! Every answer carries its reasons: each reached node comes with a path per sign, and each
//! path with its edges' interactions, mechanisms, evidence and source graph.
//!
//! Semantics, chosen to be cheap on genome-scale networks and explicit in the answers:
//! - `downstream`/`upstream` explore *signed walks* of at most `depth` steps (a breadth-first
//!   search over (node, sign) pairs). A node's sign is `+`, `-`, or `±` when walks of both
//!   signs reach it; a feedback loop inside the bound can make a node `±`, which is the honest
//!   answer. The path shown for each sign is a shortest walk with that sign.
//! - `paths` lists simple paths (no node twice), shortest first; `loops` lists elementary
//!   cycles. Both are bounded by length and by a count limit, and say when they were cut.
//! - The Pathway Commons queries return subnetworks: `paths_from_to` and `paths_between` keep
//!   the edges that lie on a walk of at most `limit` steps from a source to a target, as
//!   Pathway Commons' own graph queries do.

mod impact;
mod paths;

pub use impact::{
    drug_reach, impact, unreached, DrugReach, Explanation, GeneReach, HallmarkEffect, Impact,
    Perturbation, ReachingDrug,
};
pub use paths::{loops, loops_within, paths, PathsAnswer};

use crate::model::{Network, NodeId, Sign};
use petgraph::graph::EdgeIndex;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A node as answers show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NodeView {
    pub iri: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kinds: Vec<String>,
}

impl NodeView {
    pub fn of(net: &Network, id: NodeId) -> Self {
        let n = net.node(id);
        NodeView {
            iri: n.iri.clone(),
            label: n.label.clone(),
            kinds: n.kinds.iter().cloned().collect(),
        }
    }
}

/// One step of a path, with what it rests on.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EdgeView {
    pub source: String,
    pub source_label: String,
    pub target: String,
    pub target_label: String,
    pub sign: &'static str,
    pub interaction: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<String>,
    pub evidence: Vec<String>,
    pub graph: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl EdgeView {
    pub fn of(net: &Network, id: EdgeIndex) -> Self {
        let (s, t) = net.endpoints(id);
        let e = net.edge(id);
        EdgeView {
            source: net.node(s).iri.clone(),
            source_label: net.node(s).label.clone(),
            target: net.node(t).iri.clone(),
            target_label: net.node(t).label.clone(),
            sign: e.sign.symbol(),
            interaction: e.interaction.clone(),
            mechanism: e.mechanism.clone(),
            evidence: e.evidence.clone(),
            graph: e.graph.clone(),
            via: e.via.clone(),
        }
    }
}

/// A path (or walk) in the direction of signalling, with its net sign.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PathView {
    pub sign: &'static str,
    pub length: usize,
    /// The labels along the path, for reading at a glance (`ERBB2 → GRB2 → SOS1`).
    pub nodes: Vec<String>,
    pub edges: Vec<EdgeView>,
}

impl PathView {
    /// The path through `edges`, given in signalling order.
    pub fn of(net: &Network, edges: &[EdgeIndex]) -> Self {
        let sign = edges
            .iter()
            .fold(Sign::Positive, |acc, e| acc.then(net.edge(*e).sign));
        let mut nodes = Vec::with_capacity(edges.len() + 1);
        if let Some(first) = edges.first() {
            nodes.push(net.node(net.endpoints(*first).0).label.clone());
        }
        for e in edges {
            nodes.push(net.node(net.endpoints(*e).1).label.clone());
        }
        PathView {
            sign: sign.symbol(),
            length: edges.len(),
            nodes,
            edges: edges.iter().map(|e| EdgeView::of(net, *e)).collect(),
        }
    }

    /// Every evidence IRI the path rests on.
    pub fn evidence(&self) -> BTreeSet<&str> {
        self.edges
            .iter()
            .flat_map(|e| e.evidence.iter().map(String::as_str))
            .collect()
    }
}

/// The symbol for the signs a node is reached with.
pub fn signs_symbol(positive: bool, negative: bool) -> &'static str {
    match (positive, negative) {
        (true, true) => "±",
        (false, true) => "-",
        _ => "+",
    }
}

/// A node reached from the start.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reached {
    pub iri: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kinds: Vec<String>,
    /// Steps on the shortest walk, of either sign.
    pub distance: usize,
    /// `+`, `-`, or `±` when walks of both signs reach it.
    pub sign: &'static str,
    /// A shortest walk for each sign that reaches the node (`+` first).
    pub paths: Vec<PathView>,
}

/// Which way to follow edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Downstream,
    Upstream,
}

impl Stream {
    fn downstream(self) -> bool {
        self == Stream::Downstream
    }
}

/// For every (node, sign) reached within `depth` steps: its distance and the edge and state it
/// was reached from. Indexed by `node * 2 + sign`.
struct SignedSearch {
    distance: Vec<u32>,
    parent: Vec<Option<(EdgeIndex, usize)>>,
    order: Vec<usize>,
}

fn signed_search(net: &Network, start: NodeId, depth: usize, stream: Stream) -> SignedSearch {
    let n = net.node_count();
    let mut distance = vec![u32::MAX; 2 * n];
    let mut parent = vec![None; 2 * n];
    let mut order = Vec::new();
    let first = start.index() * 2 + Sign::Positive.index();
    distance[first] = 0;
    let mut queue = VecDeque::from([first]);
    while let Some(state) = queue.pop_front() {
        let d = distance[state];
        if d as usize >= depth {
            continue;
        }
        let sign = if state % 2 == 0 {
            Sign::Positive
        } else {
            Sign::Negative
        };
        for step in net.adjacent(NodeId::new(state / 2), stream.downstream()) {
            let next_state = step.node.index() * 2 + sign.then(step.sign).index();
            if distance[next_state] == u32::MAX {
                distance[next_state] = d + 1;
                parent[next_state] = Some((step.edge, state));
                order.push(next_state);
                queue.push_back(next_state);
            }
        }
    }
    SignedSearch {
        distance,
        parent,
        order,
    }
}

impl SignedSearch {
    /// The edges of the walk to `state`, in signalling order.
    fn walk(&self, mut state: usize, stream: Stream) -> Vec<EdgeIndex> {
        let mut edges = Vec::new();
        while let Some((edge, previous)) = self.parent[state] {
            edges.push(edge);
            state = previous;
        }
        // Collected from the end back to the start: downstream walks read start → end.
        if stream == Stream::Downstream {
            edges.reverse();
        }
        edges
    }
}

/// A node a signed search reached: how far, and with which signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReachedNode {
    pub node: NodeId,
    pub distance: usize,
    pub positive: bool,
    pub negative: bool,
}

/// What a signed search from one node found, with the walks that explain it kept as parent
/// links: [`SignedReach::path`] turns any of them into a [`PathView`] on demand.
pub struct SignedReach {
    search: SignedSearch,
    stream: Stream,
    /// Every node reached (the start left out), in the order found (nearest first).
    pub nodes: Vec<ReachedNode>,
}

impl SignedReach {
    /// A shortest walk that reaches `node` with `sign`, if one does.
    pub fn path(&self, net: &Network, node: NodeId, sign: Sign) -> Option<PathView> {
        let state = node.index() * 2 + sign.index();
        (self.search.distance[state] != u32::MAX)
            .then(|| PathView::of(net, &self.search.walk(state, self.stream)))
    }

    /// The answer as people read it: every node with its sign and a shortest walk per sign,
    /// nearest first, then by label.
    pub fn views(&self, net: &Network) -> Vec<Reached> {
        let mut out: Vec<Reached> = self
            .nodes
            .iter()
            .map(|r| {
                let view = NodeView::of(net, r.node);
                let paths = [Sign::Positive, Sign::Negative]
                    .into_iter()
                    .filter_map(|sign| self.path(net, r.node, sign))
                    .collect();
                Reached {
                    iri: view.iri,
                    label: view.label,
                    kinds: view.kinds,
                    distance: r.distance,
                    sign: signs_symbol(r.positive, r.negative),
                    paths,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            a.distance
                .cmp(&b.distance)
                .then_with(|| a.label.cmp(&b.label))
        });
        out
    }
}

/// The signed search from `start`: the nodes within `depth` steps downstream (or upstream),
/// with their distances and signs, explanations kept for [`SignedReach::path`].
pub fn signed_reach(net: &Network, start: NodeId, depth: usize, stream: Stream) -> SignedReach {
    let search = signed_search(net, start, depth, stream);
    let mut index: Vec<Option<usize>> = Vec::new();
    let mut nodes: Vec<ReachedNode> = Vec::new();
    index.resize(net.node_count(), None);
    for &state in &search.order {
        let node = NodeId::new(state / 2);
        if node == start {
            continue;
        }
        let positive = state % 2 == 0;
        let slot = match index[node.index()] {
            Some(i) => i,
            None => {
                index[node.index()] = Some(nodes.len());
                nodes.push(ReachedNode {
                    node,
                    distance: search.distance[state] as usize,
                    positive: false,
                    negative: false,
                });
                nodes.len() - 1
            }
        };
        if positive {
            nodes[slot].positive = true;
        } else {
            nodes[slot].negative = true;
        }
    }
    SignedReach {
        search,
        stream,
        nodes,
    }
}

/// The nodes within `depth` steps downstream (or upstream) of `start`, nearest first (then by
/// label), each with its sign and a shortest walk per sign. The start itself is left out.
pub fn reach(net: &Network, start: NodeId, depth: usize, stream: Stream) -> Vec<Reached> {
    signed_reach(net, start, depth, stream).views(net)
}

/// The sign of the shortest signed walks from `from` to `to` within `depth` steps: `+`, `-`,
/// `±`, or `None` when `to` is out of reach.
pub fn path_sign(net: &Network, from: NodeId, to: NodeId, depth: usize) -> Option<&'static str> {
    let search = signed_search(net, from, depth, Stream::Downstream);
    let reached = |sign: Sign| {
        let s = to.index() * 2 + sign.index();
        search.distance[s] != u32::MAX && (to != from || search.parent[s].is_some())
    };
    let (p, n) = (reached(Sign::Positive), reached(Sign::Negative));
    (p || n).then(|| signs_symbol(p, n))
}

/// Unsigned breadth-first distances from `seeds`, at most `depth` steps, following edges
/// downstream, upstream or both ways.
pub(crate) fn distances(
    net: &Network,
    seeds: &[NodeId],
    depth: usize,
    directions: &[bool],
) -> Vec<u32> {
    let mut distance = vec![u32::MAX; net.node_count()];
    let mut queue = VecDeque::new();
    for &s in seeds {
        distance[s.index()] = 0;
        queue.push_back(s);
    }
    while let Some(node) = queue.pop_front() {
        let d = distance[node.index()];
        if d as usize >= depth {
            continue;
        }
        for &downstream in directions {
            for (_, next) in net.steps(node, downstream) {
                if distance[next.index()] == u32::MAX {
                    distance[next.index()] = d + 1;
                    queue.push_back(next);
                }
            }
        }
    }
    distance
}

/// A subnetwork: the nodes and edges an answer keeps.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Subnetwork {
    pub nodes: Vec<SubnetworkNode>,
    pub edges: Vec<EdgeView>,
}

/// A node of a subnetwork, with its distance from the seeds when the query has one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubnetworkNode {
    pub iri: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kinds: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<usize>,
}

fn subnetwork(
    net: &Network,
    nodes: &BTreeMap<NodeId, Option<usize>>,
    edges: &BTreeSet<EdgeIndex>,
) -> Subnetwork {
    Subnetwork {
        nodes: nodes
            .iter()
            .map(|(id, distance)| {
                let v = NodeView::of(net, *id);
                SubnetworkNode {
                    iri: v.iri,
                    label: v.label,
                    kinds: v.kinds,
                    distance: *distance,
                }
            })
            .collect(),
        edges: edges.iter().map(|e| EdgeView::of(net, *e)).collect(),
    }
}

/// The subnetwork of `nodes` with every edge among them.
fn induced(net: &Network, nodes: &BTreeMap<NodeId, Option<usize>>) -> Subnetwork {
    let mut edges = BTreeSet::new();
    for &n in nodes.keys() {
        for (e, other) in net.steps(n, true) {
            if nodes.contains_key(&other) {
                edges.insert(e);
            }
        }
    }
    subnetwork(net, nodes, &edges)
}

/// Pathway Commons' *neighborhood*: the nodes within `depth` steps of the seeds (following
/// edges downstream, upstream or both) and every edge among them.
pub fn neighbourhood(
    net: &Network,
    seeds: &[NodeId],
    depth: usize,
    stream: Option<Stream>,
) -> Subnetwork {
    let directions: &[bool] = match stream {
        Some(Stream::Downstream) => &[true],
        Some(Stream::Upstream) => &[false],
        None => &[true, false],
    };
    let distance = distances(net, seeds, depth, directions);
    let nodes: BTreeMap<NodeId, Option<usize>> = net
        .nodes()
        .filter(|n| distance[n.index()] != u32::MAX)
        .map(|n| (n, Some(distance[n.index()] as usize)))
        .collect();
    induced(net, &nodes)
}

/// The edges on walks of at most `limit` steps from any source to any target.
fn edges_on_walks(
    net: &Network,
    sources: &[NodeId],
    targets: &[NodeId],
    limit: usize,
) -> BTreeSet<EdgeIndex> {
    let from = distances(net, sources, limit, &[true]);
    let to = distances(net, targets, limit, &[false]);
    let mut edges = BTreeSet::new();
    for n in net.nodes() {
        let d = from[n.index()];
        if d == u32::MAX {
            continue;
        }
        for (e, next) in net.steps(n, true) {
            let rest = to[next.index()];
            if rest != u32::MAX && (d + 1 + rest) as usize <= limit {
                edges.insert(e);
            }
        }
    }
    edges
}

fn with_endpoints(net: &Network, edges: BTreeSet<EdgeIndex>) -> Subnetwork {
    let mut nodes = BTreeMap::new();
    for e in &edges {
        let (s, t) = net.endpoints(*e);
        nodes.insert(s, None);
        nodes.insert(t, None);
    }
    subnetwork(net, &nodes, &edges)
}

/// Pathway Commons' *paths-from-to*: the edges on walks of at most `limit` steps from any
/// source to any target, and their nodes.
pub fn paths_from_to(
    net: &Network,
    sources: &[NodeId],
    targets: &[NodeId],
    limit: usize,
) -> Subnetwork {
    with_endpoints(net, edges_on_walks(net, sources, targets, limit))
}

/// Pathway Commons' *paths-between*: the edges on walks of at most `limit` steps from one seed
/// to another (a different one), and their nodes.
pub fn paths_between(net: &Network, seeds: &[NodeId], limit: usize) -> Subnetwork {
    let mut edges = BTreeSet::new();
    for &seed in seeds {
        let others: Vec<NodeId> = seeds.iter().copied().filter(|s| *s != seed).collect();
        edges.extend(edges_on_walks(net, &[seed], &others, limit));
    }
    with_endpoints(net, edges)
}

/// Pathway Commons' *common-stream*: the nodes within `depth` steps downstream (or upstream)
/// of every seed, with the largest of their distances from the seeds.
pub fn common_stream(net: &Network, seeds: &[NodeId], depth: usize, stream: Stream) -> Subnetwork {
    let mut common: Option<BTreeMap<NodeId, usize>> = None;
    for &seed in seeds {
        let d = distances(net, &[seed], depth, &[stream.downstream()]);
        let reached: BTreeMap<NodeId, usize> = net
            .nodes()
            .filter(|n| d[n.index()] != u32::MAX && *n != seed)
            .map(|n| (n, d[n.index()] as usize))
            .collect();
        common = Some(match common {
            None => reached,
            Some(so_far) => so_far
                .into_iter()
                .filter_map(|(n, d)| reached.get(&n).map(|e| (n, d.max(*e))))
                .collect(),
        });
    }
    let nodes: BTreeMap<NodeId, Option<usize>> = common
        .unwrap_or_default()
        .into_iter()
        .filter(|(n, _)| !seeds.contains(n))
        .map(|(n, d)| (n, Some(d)))
        .collect();
    induced(net, &nodes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::network::EntityDescription;
    use crate::model::{Edge, NetworkBuilder};

    /// a → b → c ⊣ d, b ⊣ d, d → a (a negative loop a→b⊣d→a), and a hallmark h: c → h.
    pub(crate) fn toy() -> Network {
        let mut b = NetworkBuilder::new();
        b.entity(EntityDescription {
            iri: "h".into(),
            label: Some("H".into()),
            kinds: vec!["tw:Hallmark".into()],
            ..Default::default()
        });
        let mut e = |s: &str, t: &str, sign| {
            b.edge(
                s,
                t,
                Edge {
                    interaction: format!("{s}-{t}"),
                    sign,
                    mechanism: None,
                    evidence: vec![format!("pubmed:{s}{t}")],
                    graph: "g".into(),
                    via: None,
                },
            )
        };
        use Sign::*;
        e("a", "b", Positive);
        e("b", "c", Positive);
        e("c", "d", Negative);
        e("b", "d", Negative);
        e("d", "a", Positive);
        e("c", "h", Positive);
        b.build()
    }

    fn reached<'a>(r: &'a [Reached], iri: &str) -> &'a Reached {
        r.iter().find(|x| x.iri == iri).unwrap()
    }

    #[test]
    fn downstream_signs_and_distances() {
        let net = toy();
        let a = net.find("a").unwrap();
        let r = reach(&net, a, 2, Stream::Downstream);
        assert_eq!(reached(&r, "b").distance, 1);
        assert_eq!(reached(&r, "b").sign, "+");
        assert_eq!(reached(&r, "d").sign, "-");
        assert_eq!(reached(&r, "d").paths[0].nodes, ["a", "b", "d"]);
        assert!(r.iter().all(|x| x.iri != "h"));
        let r3 = reach(&net, a, 3, Stream::Downstream);
        assert_eq!(reached(&r3, "h").distance, 3);
        // d is reached by a ⊣ … at 2 steps and a → b → c ⊣ d at 3: both inhibiting.
        assert_eq!(reached(&r3, "d").sign, "-");
        // Around the loop (a → b ⊣ d → a → b) b is also reached negatively within 4 steps.
        let r4 = reach(&net, a, 4, Stream::Downstream);
        assert_eq!(reached(&r4, "b").sign, "±");
        let up = reach(&net, net.find("d").unwrap(), 1, Stream::Upstream);
        let mut names: Vec<&str> = up.iter().map(|x| x.iri.as_str()).collect();
        names.sort();
        assert_eq!(names, ["b", "c"]);
        assert_eq!(reached(&up, "c").paths[0].nodes, ["c", "d"]);
    }

    #[test]
    fn path_sign_and_pathway_commons_queries() {
        let net = toy();
        let id = |s| net.find(s).unwrap();
        assert_eq!(path_sign(&net, id("a"), id("h"), 5), Some("+"));
        assert_eq!(path_sign(&net, id("h"), id("a"), 5), None);
        let between = paths_from_to(&net, &[id("a")], &[id("d")], 2);
        assert_eq!(between.edges.len(), 2); // a → b ⊣ d
        let common = common_stream(&net, &[id("b"), id("c")], 1, Stream::Downstream);
        let names: Vec<&str> = common.nodes.iter().map(|n| n.iri.as_str()).collect();
        assert_eq!(names, ["d"]);
        let hood = neighbourhood(&net, &[id("c")], 1, None);
        assert_eq!(hood.nodes.len(), 4); // c, b, d, h
        let pb = paths_between(&net, &[id("a"), id("c")], 2);
        assert!(pb.edges.iter().any(|e| e.interaction == "a-b"));
        assert!(pb.edges.iter().any(|e| e.interaction == "b-c"));
    }
}
