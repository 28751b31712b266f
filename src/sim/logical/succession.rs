//! Which attractors does a Boolean network hold, trap space by trap space? A succession-diagram
//! search (Rozum et al. 2021, doi:10.1126/sciadv.abf8124; the method of the biobalm tool,
//! Trinh et al. 2024): where a whole-space search drowns in 100+ free nodes, most attractors
//! sit in small trap spaces whose networks are small.
//!
//! A trap space no transition leaves holds an attractor entirely or not at all. So, from a
//! (percolated) trap space: find trap spaces inside it (here: each node set to each value and
//! percolated, kept when the node's own rule then holds that value, i.e. a stable motif); search
//! each of those in turn; and here look only for the attractors that lie in none of them
//! ("motif-avoidant"). Those are found from a few candidate states: with a negative feedback
//! vertex set U and a value for each of its nodes, every attractor contains a state in which no
//! node can change except nodes of U moving towards their value (Trinh et al. 2022, the
//! retained-set method). Candidates are thinned by random walks (one that reaches a child trap
//! space, an attractor found, or another candidate can be dropped: an attractor it lies in
//! keeps a candidate); a walk that wanders without doing so names a trap space the children
//! missed, which becomes a child; each candidate left is settled exactly: what it reaches,
//! unless that meets a child or an attractor found, is a trap set holding new attractors,
//! searched with Xie and Beerel's algorithm. Trap spaces may overlap, so an attractor already
//! found is never added again. The answer is complete.

use super::{constant, xie_beerel, LOG_NOTHING};
use biodivine_lib_bdd::{Bdd, BddValuation, BddVariable};
use biodivine_lib_param_bn::biodivine_std::traits::Set;
use biodivine_lib_param_bn::fixed_points::FixedPoints;
use biodivine_lib_param_bn::symbolic_async_graph::reachability::Reachability;
use biodivine_lib_param_bn::symbolic_async_graph::{GraphColoredVertices, SymbolicAsyncGraph};
use biodivine_lib_param_bn::VariableId;
use cancel_this::Cancellable;
use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
use rand_pcg::rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::collections::{HashMap, HashSet};

/// A subspace: each node fixed to a value, or free.
type Space = Vec<Option<bool>>;

/// More candidates than this at one trap space, and they are not enumerated: that trap space
/// is searched whole, symbolically (complete, but slow where the whole space is large).
const MAX_CANDIDATES: usize = 200_000;
/// Up to this many candidates, each is walked from rather than their number reduced first
/// (by choosing other values for the retained nodes, a conjunction over the space each).
const MAX_WALKS: usize = 50_000;
/// Sweeps (every free node updated once, in random order) of each candidate's random walk.
const WALK_SWEEPS: usize = 2_000;
/// Sweeps of the longer walk from a candidate the first walk did not settle.
const LONG_WALK_SWEEPS: usize = 100_000;

/// Every attractor of `graph` (a network without parameters), each as its set of states.
pub(super) fn attractors(graph: &SymbolicAsyncGraph) -> Cancellable<Vec<GraphColoredVertices>> {
    let mut search = Search::new(graph);
    let root: Space = vec![None; graph.num_vars()];
    let root = search.percolate(root, (0..graph.num_vars()).collect());
    let mut stack = vec![root];
    while let Some(space) = stack.pop() {
        if !search.seen.insert(space.clone()) {
            continue;
        }
        let mut children = search.children(&space);
        search.motif_avoidant(&space, &mut children)?;
        stack.extend(children);
    }
    Ok(search.found)
}

struct Search<'a> {
    graph: &'a SymbolicAsyncGraph,
    /// Each node's BDD variable and update function.
    var: Vec<BddVariable>,
    update: Vec<Bdd>,
    /// Which nodes each node's rule reads, and which read it.
    regulators: Vec<Vec<usize>>,
    targets: Vec<Vec<usize>>,
    seen: HashSet<Space>,
    found: Vec<GraphColoredVertices>,
    /// The states of every attractor found, so none is found twice (trap spaces overlap).
    found_states: Bdd,
}

impl<'a> Search<'a> {
    fn new(graph: &'a SymbolicAsyncGraph) -> Self {
        let n = graph.num_vars();
        let context = graph.symbolic_context();
        let var: Vec<BddVariable> = (0..n)
            .map(|i| context.get_state_variable(VariableId::from_index(i)))
            .collect();
        let index: HashMap<BddVariable, usize> =
            var.iter().enumerate().map(|(i, v)| (*v, i)).collect();
        let update: Vec<Bdd> = (0..n)
            .map(|i| {
                graph
                    .get_symbolic_fn_update(VariableId::from_index(i))
                    .clone()
            })
            .collect();
        let regulators: Vec<Vec<usize>> = update
            .iter()
            .map(|f| {
                let mut r: Vec<usize> = f
                    .support_set()
                    .iter()
                    .filter_map(|v| index.get(v).copied())
                    .collect();
                r.sort_unstable();
                r
            })
            .collect();
        let mut targets = vec![Vec::new(); n];
        for (t, regs) in regulators.iter().enumerate() {
            for &r in regs {
                targets[r].push(t);
            }
        }
        Search {
            graph,
            var,
            update,
            regulators,
            targets,
            seen: HashSet::new(),
            found: Vec::new(),
            found_states: graph.symbolic_context().bdd_variable_set().mk_false(),
        }
    }

    /// Node `i`'s rule within `space`.
    fn rule_in(&self, i: usize, space: &Space) -> Bdd {
        let fixed: Vec<(BddVariable, bool)> = self.regulators[i]
            .iter()
            .filter_map(|&r| space[r].map(|b| (self.var[r], b)))
            .collect();
        self.update[i].restrict(&fixed)
    }

    /// `space` with every node whose rule is constant within it fixed to that value, repeated
    /// until nothing changes; `queue` holds the nodes to look at first.
    fn percolate(&self, mut space: Space, mut queue: Vec<usize>) -> Space {
        while let Some(i) = queue.pop() {
            if space[i].is_some() {
                continue;
            }
            let Some(value) = constant(&self.rule_in(i, &space)) else {
                continue;
            };
            space[i] = Some(value);
            queue.extend(self.targets[i].iter().copied());
        }
        space
    }

    /// Trap spaces inside `space`: each free node set to each value and percolated, kept when
    /// its own rule then holds that value; only the largest (none inside another) are kept,
    /// since a smaller one is searched as part of a larger.
    fn children(&self, space: &Space) -> Vec<Space> {
        let mut found: Vec<Space> = Vec::new();
        for i in 0..space.len() {
            if space[i].is_some() {
                continue;
            }
            for value in [false, true] {
                let mut seeded = space.clone();
                seeded[i] = Some(value);
                let seeded = self.percolate(seeded, self.targets[i].clone());
                let holds = constant(&self.rule_in(i, &seeded)) == Some(value);
                if holds && !found.contains(&seeded) {
                    found.push(seeded);
                }
            }
        }
        // Largest first; drop every one inside another.
        found.sort_by_key(|c| c.iter().filter(|v| v.is_some()).count());
        let mut kept: Vec<Space> = Vec::new();
        for c in found {
            if !kept.iter().any(|k| inside(&c, k)) {
                kept.push(c);
            }
        }
        kept
    }

    /// The free nodes of `space` and a negative feedback vertex set of the network they form
    /// (greedy: while some strongly connected part has a negative cycle, remove from it the
    /// node with most edges in and out).
    fn negative_feedback_vertex_set(&self, space: &Space) -> Vec<usize> {
        let free: Vec<usize> = (0..space.len()).filter(|&i| space[i].is_none()).collect();
        // Signed edges regulator -> target among free nodes: +1, -1, or 0 for both.
        let mut edges: Vec<(usize, usize, i8)> = Vec::new();
        for &t in &free {
            let rule = self.rule_in(t, space);
            for &r in &self.regulators[t] {
                if space[r].is_some() {
                    continue;
                }
                let low = rule.var_restrict(self.var[r], false);
                let high = rule.var_restrict(self.var[r], true);
                let up = !low.not().and(&high).is_false();
                let down = !low.and(&high.not()).is_false();
                match (up, down) {
                    (true, false) => edges.push((r, t, 1)),
                    (false, true) => edges.push((r, t, -1)),
                    (true, true) => edges.push((r, t, 0)),
                    (false, false) => {}
                }
            }
        }
        let mut removed: HashSet<usize> = HashSet::new();
        loop {
            let mut g: DiGraph<usize, i8> = DiGraph::new();
            let mut at: HashMap<usize, petgraph::graph::NodeIndex> = HashMap::new();
            for &i in &free {
                if !removed.contains(&i) {
                    at.insert(i, g.add_node(i));
                }
            }
            for &(r, t, s) in &edges {
                if let (Some(&a), Some(&b)) = (at.get(&r), at.get(&t)) {
                    g.add_edge(a, b, s);
                }
            }
            let mut worst: Option<(usize, usize)> = None; // (score, node)
            for scc in tarjan_scc(&g) {
                let members: HashSet<_> = scc.iter().copied().collect();
                if scc.len() == 1 && g.find_edge(scc[0], scc[0]).is_none() {
                    continue;
                }
                if balanced(&g, &scc, &members) {
                    continue;
                }
                for &node in &scc {
                    let within = |d| {
                        g.edges_directed(node, d)
                            .filter(|e| {
                                members.contains(&petgraph::visit::EdgeRef::source(e))
                                    && members.contains(&petgraph::visit::EdgeRef::target(e))
                            })
                            .count()
                    };
                    let score = within(petgraph::Direction::Incoming)
                        * within(petgraph::Direction::Outgoing);
                    let candidate = (score, usize::MAX - g[node]);
                    if worst.is_none_or(|w| candidate > w) {
                        worst = Some(candidate);
                    }
                }
            }
            match worst {
                Some((_, node)) => {
                    removed.insert(usize::MAX - node);
                }
                None => break,
            }
        }
        let mut set: Vec<usize> = removed.into_iter().collect();
        set.sort_unstable();
        set
    }

    /// The states of `space`, outside `avoid`, in which no node can change except nodes of
    /// `retained` moving towards their value: every attractor in `space` that avoids `avoid`
    /// holds at least one.
    fn candidates(
        &self,
        space: &Space,
        retained: &[(usize, bool)],
        avoid: &Bdd,
    ) -> Cancellable<Bdd> {
        let context = self.graph.symbolic_context().bdd_variable_set();
        let mut parts: Vec<Bdd> = vec![self.cube(space).and_not(avoid)];
        for i in 0..space.len() {
            if space[i].is_some() {
                continue;
            }
            let x = context.mk_var(self.var[i]);
            let steady = x.iff(&self.rule_in(i, space));
            parts.push(match retained.iter().find(|(u, _)| *u == i) {
                Some(&(_, value)) => steady.or(&context.mk_literal(self.var[i], value)),
                None => steady,
            });
        }
        // The library's greedy conjunction (smallest results first), as for steady states.
        FixedPoints::_symbolic_merge(context, parts, HashSet::default(), LOG_NOTHING)
    }

    /// `space` as a BDD.
    fn cube(&self, space: &Space) -> Bdd {
        let context = self.graph.symbolic_context().bdd_variable_set();
        let fixed: Vec<(BddVariable, bool)> = space
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|b| (self.var[i], b)))
            .collect();
        context.mk_true().select(&fixed)
    }

    /// Finds the attractors in `space` that lie in none of `children` (all trap spaces inside
    /// it), and adds them to `found`; trap spaces the walks find on the way join `children`.
    fn motif_avoidant(&mut self, space: &Space, children: &mut Vec<Space>) -> Cancellable<()> {
        cancel_this::is_cancelled!()?;
        let context = self.graph.symbolic_context().bdd_variable_set();
        let mut in_children = context.mk_false();
        for c in children.iter() {
            in_children = in_children.or(&self.cube(c));
        }
        let nfvs = self.negative_feedback_vertex_set(space);
        // Each retained node tends to the value its rule takes most often within the space;
        // then each value is flipped while that leaves fewer candidates.
        let mut retained: Vec<(usize, bool)> = nfvs
            .iter()
            .map(|&u| {
                let rule = self.rule_in(u, space);
                (u, rule.cardinality() >= rule.not().cardinality())
            })
            .collect();
        let mut candidates = self.candidates(space, &retained, &in_children)?;
        // Walks are cheap and each conjunction is not: flip values only while there are too
        // many candidates to walk from.
        let mut improved = true;
        while improved && candidates.cardinality() > MAX_WALKS as f64 {
            improved = false;
            for k in 0..retained.len() {
                cancel_this::is_cancelled!()?;
                retained[k].1 = !retained[k].1;
                let other = self.candidates(space, &retained, &in_children)?;
                if other.cardinality() < candidates.cardinality() {
                    candidates = other;
                    improved = true;
                } else {
                    retained[k].1 = !retained[k].1;
                }
            }
        }
        if candidates.is_false() {
            return Ok(());
        }
        if candidates.cardinality() > MAX_CANDIDATES as f64 {
            return self.whole(space, &in_children);
        }
        let states: Vec<BddValuation> = candidates.sat_valuations().collect();
        self.settle(space, children, in_children, states)?;
        Ok(())
    }

    /// Settles each candidate: dropped when a random walk from it reaches a child trap space,
    /// an attractor already found, or a candidate still to settle (an attractor it lies in
    /// keeps that one). A walk that does none of these usually wanders in a trap space the
    /// children missed (a stable motif that needs two nodes set at once): the nodes it left
    /// alone, cut down to those their rules hold, give that trap space, which becomes a child.
    /// Otherwise what the candidate reaches is computed exactly and, unless that meets a child
    /// or an attractor found, it is a trap set holding new attractors, searched in it; every
    /// candidate inside it is settled with them. The walks are seeded from the space, so the
    /// search is the same on every run.
    fn settle(
        &mut self,
        space: &Space,
        children: &mut Vec<Space>,
        mut in_children: Bdd,
        states: Vec<BddValuation>,
    ) -> Cancellable<()> {
        let mut order: Vec<usize> = (0..space.len()).filter(|&i| space[i].is_none()).collect();
        let mut seed = 0xcbf2_9ce4_8422_2325u64;
        for v in space {
            seed = (seed ^ u64::from(v.map_or(2u8, u8::from))).wrapping_mul(0x100_0000_01b3);
        }
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let mut rest: HashSet<Vec<bool>> = states.iter().map(|s| s.as_vector().to_vec()).collect();
        for state in states {
            cancel_this::is_cancelled!()?;
            rest.remove(state.as_vector());
            if self.found_states.eval_in(&state) || in_children.eval_in(&state) {
                continue;
            }
            let mut walker = state.clone();
            let mut sweep = |walker: &mut BddValuation| {
                // Fisher–Yates on the free nodes.
                for k in (1..order.len()).rev() {
                    let j = (rng.next_u64() % (k as u64 + 1)) as usize;
                    order.swap(k, j);
                }
                for &i in &order {
                    let value = self.update[i].eval_in(walker);
                    walker.set_value(self.var[i], value);
                }
            };
            // Walk; then, in turn, look for a trap space the walk stays in, walk longer, and
            // look again, before the exact (and possibly costly) computation.
            let mut settled = false;
            for sweeps in [WALK_SWEEPS, LONG_WALK_SWEEPS] {
                let mut dropped = false;
                for _ in 0..sweeps {
                    sweep(&mut walker);
                    if in_children.eval_in(&walker)
                        || self.found_states.eval_in(&walker)
                        || rest.contains(walker.as_vector())
                    {
                        dropped = true;
                        break;
                    }
                }
                if dropped {
                    settled = true;
                    break;
                }
                // Which free nodes the walk still moves.
                let settled_at = walker.clone();
                let mut moving = vec![false; space.len()];
                for _ in 0..WALK_SWEEPS / 10 {
                    sweep(&mut walker);
                    for (i, m) in moving.iter_mut().enumerate() {
                        *m |= walker.value(self.var[i]) != settled_at.value(self.var[i]);
                    }
                }
                let still: Vec<(usize, bool)> = (0..space.len())
                    .filter(|&i| space[i].is_none() && !moving[i])
                    .map(|i| (i, walker.value(self.var[i])))
                    .collect();
                if let Some(trap) = self.trap_within(space, still) {
                    let cube = self.cube(&trap);
                    if cube.eval_in(&walker) {
                        in_children = in_children.or(&cube);
                        children.push(trap);
                        settled = true;
                        break;
                    }
                }
            }
            if settled {
                continue;
            }
            let avoid = in_children.or(&self.found_states);
            if let Some(reached) = self.closure(&state.mk_bdd(), &avoid)? {
                for attractor in xie_beerel(self.graph, reached.clone())? {
                    self.found_states = self.found_states.or(attractor.as_bdd());
                    self.found.push(attractor);
                }
                rest.retain(|s| !reached.as_bdd().eval_in(&BddValuation::new(s.clone())));
            }
        }
        Ok(())
    }

    /// The trap space inside `space` that holds the nodes of `seeds` (seeds whose own rule
    /// does not then hold their value are let go, until all that remain do), or `None` when
    /// none remain or it is `space` itself.
    fn trap_within(&self, space: &Space, mut seeds: Vec<(usize, bool)>) -> Option<Space> {
        loop {
            if seeds.is_empty() {
                return None;
            }
            let mut seeded = space.clone();
            for &(i, b) in &seeds {
                seeded[i] = Some(b);
            }
            let trap = self.percolate(seeded, (0..space.len()).collect());
            let before = seeds.len();
            seeds.retain(|&(i, b)| constant(&self.rule_in(i, &trap)) == Some(b));
            if seeds.len() == before {
                return Some(trap);
            }
        }
    }

    /// What `pivot` reaches, or `None` as soon as that meets `avoid`.
    fn closure(&self, pivot: &Bdd, avoid: &Bdd) -> Cancellable<Option<GraphColoredVertices>> {
        let context = self.graph.symbolic_context();
        let mut reached = GraphColoredVertices::new(pivot.clone(), context);
        let avoid = GraphColoredVertices::new(avoid.clone(), context);
        loop {
            cancel_this::is_cancelled!()?;
            if !reached.intersect(&avoid).is_empty() {
                return Ok(None);
            }
            // One node's successors at a time, the last nodes first (saturation, as the
            // library's own reachability does).
            let step = self
                .graph
                .variables()
                .rev()
                .map(|v| self.graph.var_post_out(v, &reached))
                .find(|post| !post.is_empty());
            match step {
                Some(post) => reached = reached.union(&post),
                None => return Ok(Some(reached)),
            }
        }
    }

    /// The attractors of `space` outside `in_children`, searched whole: the states that reach
    /// no child trap space form a trap set, and its attractors are those sought.
    fn whole(&mut self, space: &Space, in_children: &Bdd) -> Cancellable<()> {
        let context = self.graph.symbolic_context();
        let cube = GraphColoredVertices::new(self.cube(space), context);
        let children = GraphColoredVertices::new(in_children.clone(), context).intersect(&cube);
        let inside = self.graph.restrict(&cube);
        let reaching = Reachability::_reach(
            &inside,
            &children,
            |g, s, v| g.var_pre_out(v, s),
            LOG_NOTHING,
        )?;
        let found = xie_beerel(&inside, cube.minus(&reaching))?;
        self.found.extend(found);
        Ok(())
    }
}

/// Whether `a` lies inside `b` (every node `b` fixes, `a` fixes the same).
fn inside(a: &Space, b: &Space) -> bool {
    a.iter().zip(b).all(|(x, y)| y.is_none() || x == y)
}

/// Whether every cycle of the strongly connected part `scc` of `g` is positive: the nodes can
/// be split in two so that positive edges stay within a side and negative ones cross (in a
/// strongly connected graph the directed cycles span all cycles, so this is exact). An edge of
/// both signs (0) makes it unbalanced.
fn balanced(
    g: &DiGraph<usize, i8>,
    scc: &[petgraph::graph::NodeIndex],
    members: &HashSet<petgraph::graph::NodeIndex>,
) -> bool {
    use petgraph::visit::EdgeRef;
    let mut side: HashMap<petgraph::graph::NodeIndex, bool> = HashMap::new();
    let Some(&first) = scc.first() else {
        return true;
    };
    side.insert(first, false);
    let mut queue = vec![first];
    while let Some(node) = queue.pop() {
        let here = side[&node];
        let edges = g
            .edges_directed(node, petgraph::Direction::Outgoing)
            .map(|e| (e.target(), *e.weight()))
            .chain(
                g.edges_directed(node, petgraph::Direction::Incoming)
                    .map(|e| (e.source(), *e.weight())),
            );
        for (other, sign) in edges {
            if !members.contains(&other) {
                continue;
            }
            if sign == 0 {
                return false;
            }
            let want = here ^ (sign < 0);
            match side.get(&other) {
                Some(&s) if s != want => return false,
                Some(_) => {}
                None => {
                    side.insert(other, want);
                    queue.push(other);
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::random_bnet;
    use super::*;
    use biodivine_lib_param_bn::BooleanNetwork;

    #[test]
    fn the_same_attractors_as_a_search_of_the_whole_space_on_random_networks() {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let mut cyclic = 0;
        for case in 0..500 {
            let n = 4 + case % 9;
            let text = random_bnet(&mut rng, n);
            let network = BooleanNetwork::try_from_bnet(&text)
                .and_then(|bn| bn.infer_valid_graph())
                .expect("a valid network");
            let graph = SymbolicAsyncGraph::new(&network).expect("no parameters");
            let mut ours = attractors(&graph).expect("not cancelled");
            let mut whole =
                xie_beerel(&graph, graph.mk_unit_colored_vertices()).expect("not cancelled");
            cyclic += whole
                .iter()
                .filter(|a| a.approx_cardinality() > 1.0)
                .count();
            let key = |a: &GraphColoredVertices| a.as_bdd().to_string();
            ours.sort_by_key(key);
            whole.sort_by_key(key);
            assert_eq!(
                ours.iter().map(key).collect::<Vec<_>>(),
                whole.iter().map(key).collect::<Vec<_>>(),
                "case {case}:\n{text}"
            );
        }
        // The comparison reached cyclic attractors, not only steady states.
        assert!(cyclic > 100, "{cyclic} cyclic attractors");
    }
}
