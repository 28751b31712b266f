//! Where does a Boolean network settle when every node updates at once? Its synchronous
//! attractors, found completely by bounded model checking with a SAT solver, trap space by
//! trap space.
//!
//! Under synchronous updates the state map `x ↦ F(x)` is deterministic, so every trajectory
//! ends on a cycle and the attractors are exactly those cycles. Per combination of inputs:
//! percolate what is forced; take the trap spaces of the succession diagram (those found by
//! stable motifs: a trap space is closed under any update scheme, so a cycle that enters one
//! stays in it); and in each, look for the cycles that lie in none of its children. For those,
//! ask a SAT solver for a path `x0 → x1 → … → xk` of `k` steps of `F` inside the space whose
//! last state is in no child and no attractor found so far, then follow `F` from `xk` until a
//! state repeats. A new cycle is a new attractor, and its states are excluded from the end of
//! the path; a path that runs into a known attractor was a transient, and `k` doubles. When no
//! such path exists the space is done: the states of a missing cycle would end paths of every
//! length. This is the method of Dubrova and Teslenko (2011, doi:10.1109/TCBB.2010.20), which
//! BoolNet's `sat.exhaustive` uses, within the succession diagram: the children take away the
//! long transients that lead into them, which at the top of Sizek 2024 need paths of over a
//! hundred steps. No image of the whole state space is computed, whose BDDs grow out of reach
//! past about 60 free nodes.

use super::succession::{self, Diagram, Space};
use super::{describe, per_input_combination, steady_states, Attractors, Part, Stage};
use biodivine_lib_bdd::{Bdd, BddValuation};
use biodivine_lib_param_bn::biodivine_std::bitvector::{ArrayBitVector, BitVector};
use biodivine_lib_param_bn::biodivine_std::traits::Set;
use crate::model::logical::LogicalModel;
use rand_pcg::rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rustc_hash::{FxHashMap, FxHashSet};

/// Longest cycle followed state by state; longer ones are reported as an error rather than
/// hanging (no published model comes near it).
const MAX_CYCLE: usize = 1 << 22;
/// Most attractors listed per input combination.
const MAX_ATTRACTORS: usize = 100_000;
/// Longest path unrolled: every transient within a trap space, outside its children, is
/// shorter than the path at which its search ends; no published network comes near this.
const MAX_PATH: usize = 1 << 14;
/// Walks from random states in each trap space before the SAT search.
const RANDOM_WALKS: usize = 64;

/// The synchronous attractors of `model`; `Err` names what the model's rules get wrong.
pub fn attractors(model: &LogicalModel) -> Result<Attractors, String> {
    per_input_combination(model, steady_states, settle, "synchronous", None)
}

/// The cycles of one input combination, after percolation and its steady states.
fn settle(stage: Stage) -> Result<Part, String> {
    let s = match stage {
        Stage::Done(part) => return Ok(part),
        Stage::Steady(s) => s,
    };
    let diagram = succession::diagram(&s.graph)
        .map_err(|_| "the synchronous search was stopped".to_owned())?;
    let mut search = Cycles {
        bdd_vars: s.graph.symbolic_context().bdd_variable_set().num_vars(),
        diagram: &diagram,
        in_attractor: FxHashSet::default(),
        cycles: Vec::new(),
    };
    // The steady states are the cycles of one state, known already.
    for state in s.steady.vertices().materialize().iter() {
        let state: Vec<bool> = (0..state.len()).map(|i| state.get(i)).collect();
        search.record(vec![state])?;
    }
    // The diagram's trap spaces, and those found around cycles on the way.
    let mut queue = diagram.spaces.clone();
    let mut seen: FxHashSet<Space> = queue.iter().map(|(space, _)| space.clone()).collect();
    while let Some((space, children)) = queue.pop() {
        for found in search.within(&space, children)? {
            if seen.insert(found.clone()) {
                let children = diagram.children(&found);
                queue.push((found, children));
            }
        }
    }
    let attractors = search
        .cycles
        .iter()
        .map(|cycle| {
            let mut set = s.graph.mk_empty_colored_vertices();
            for state in cycle {
                set = set.union(&s.graph.vertex(&ArrayBitVector::from(state.clone())));
            }
            describe(&s.network, &s.graph, &s.settled, &set)
        })
        .collect();
    Ok(Part::complete(attractors))
}

/// A literal of the SAT encoding: a variable's number, negative when negated (DIMACS).
type Lit = i32;

/// The SAT solver, and the variables handed out so far.
struct Cnf {
    solver: cadical::Solver,
    variables: Lit,
}

impl Cnf {
    fn new() -> Cnf {
        Cnf {
            solver: cadical::Solver::new(),
            variables: 0,
        }
    }

    fn fresh(&mut self) -> Lit {
        self.variables += 1;
        self.variables
    }

    fn clause(&mut self, literals: impl IntoIterator<Item = Lit>) {
        self.solver.add_clause(literals);
    }

    fn value(&self, literal: Lit) -> bool {
        self.solver.value(literal) == Some(true)
    }
}

/// The search of one input combination: the cycles found so far.
struct Cycles<'a> {
    diagram: &'a Diagram<'a>,
    /// How many variables the BDDs have (the nodes', at least).
    bdd_vars: u16,
    /// Every state of every cycle found, so that none is found twice (trap spaces overlap).
    in_attractor: FxHashSet<Vec<bool>>,
    cycles: Vec<Vec<Vec<bool>>>,
}

impl Cycles<'_> {
    fn record(&mut self, cycle: Vec<Vec<bool>>) -> Result<(), String> {
        if self.cycles.len() == MAX_ATTRACTORS {
            return Err(format!(
                "more than {MAX_ATTRACTORS} synchronous attractors for one input combination"
            ));
        }
        self.in_attractor.extend(cycle.iter().cloned());
        self.cycles.push(cycle);
        Ok(())
    }

    /// The successor of `state` (every node updated at once).
    fn step(&self, state: &[bool]) -> Vec<bool> {
        let mut valuation = BddValuation::all_false(self.bdd_vars);
        for (i, &v) in state.iter().enumerate() {
            valuation.set_value(self.diagram.var(i), v);
        }
        self.diagram
            .update()
            .iter()
            .map(|f| f.eval_in(&valuation))
            .collect()
    }

    /// Follows `F` from `state` until a state repeats (`Some`: a new cycle) or a cycle found
    /// before is reached (`None`).
    fn walk(&self, mut state: Vec<bool>) -> Result<Option<Vec<Vec<bool>>>, String> {
        let mut seen: FxHashMap<Vec<bool>, usize> = FxHashMap::default();
        let mut walk = Vec::new();
        loop {
            if self.in_attractor.contains(&state) {
                return Ok(None);
            }
            if let Some(&first) = seen.get(&state) {
                return Ok(Some(walk.split_off(first)));
            }
            if walk.len() == MAX_CYCLE {
                return Err(format!(
                    "a synchronous trajectory of more than {MAX_CYCLE} states without a repeat"
                ));
            }
            seen.insert(state.clone(), walk.len());
            let next = self.step(&state);
            walk.push(std::mem::replace(&mut state, next));
        }
    }

    /// Finds every cycle in the trap space `space` that lies in none of `children`, and
    /// returns the trap spaces found around them, which must be searched too.
    fn within(&mut self, space: &Space, mut children: Vec<Space>) -> Result<Vec<Space>, String> {
        let free: Vec<usize> = (0..space.len()).filter(|&i| space[i].is_none()).collect();
        if free.is_empty() {
            // A space of one state is a steady state, known already.
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        // Walks from random states find the attractors with large basins at little cost.
        let mut rng = Pcg64Mcg::seed_from_u64(free.len() as u64);
        for _ in 0..RANDOM_WALKS {
            let mut state: Vec<bool> = space.iter().map(|v| v.unwrap_or(false)).collect();
            for &i in &free {
                state[i] = rng.next_u64() & 1 == 1;
            }
            if let Some(cycle) = self.walk(state)? {
                found.extend(self.around(space, &mut children, &cycle));
                self.record(cycle)?;
            }
        }
        let functions: Vec<Bdd> = free
            .iter()
            .map(|&i| self.diagram.rule_in(i, space))
            .collect();
        let mut steps = 1;
        'unrollings: loop {
            let mut cnf = Cnf::new();
            let path = self.unroll(&mut cnf, &free, &functions, steps);
            let end = &path[steps];
            for child in &children {
                leave(&mut cnf, end, &free, child);
            }
            let here: Vec<&Vec<bool>> = self
                .in_attractor
                .iter()
                .filter(|s| space.iter().zip(s.iter()).all(|(f, v)| f.is_none_or(|f| f == *v)))
                .collect();
            for state in here {
                exclude(&mut cnf, end, &free, state);
            }
            loop {
                match cnf.solver.solve() {
                    Some(true) => {}
                    Some(false) => break 'unrollings,
                    None => return Err("the SAT solver stopped without an answer".into()),
                }
                let mut state: Vec<bool> = space.iter().map(|v| v.unwrap_or(false)).collect();
                for (&i, &l) in free.iter().zip(end) {
                    state[i] = cnf.value(l);
                }
                let Some(cycle) = self.walk(state)? else {
                    // The path's end was a transient state: look further back.
                    break;
                };
                for state in &cycle {
                    exclude(&mut cnf, end, &free, state);
                }
                if let Some(trap) = self.around(space, &mut children, &cycle) {
                    leave(&mut cnf, end, &free, &trap);
                    found.push(trap);
                }
                self.record(cycle)?;
            }
            steps *= 2;
            if steps > MAX_PATH {
                return Err(format!(
                    "a synchronous transient longer than {} steps",
                    MAX_PATH / 2
                ));
            }
        }
        Ok(found)
    }

    /// The trap space around a new `cycle` of `space`, when it is smaller than `space` and the
    /// cycle lies in no child: it joins `children`, so that paths that enter it are no longer
    /// looked at here (the long transients of a space are mostly spent near its attractors).
    fn around(
        &self,
        space: &Space,
        children: &mut Vec<Space>,
        cycle: &[Vec<bool>],
    ) -> Option<Space> {
        let in_child = children
            .iter()
            .any(|c| c.iter().zip(&cycle[0]).all(|(f, v)| f.is_none_or(|f| f == *v)));
        if in_child {
            return None;
        }
        let trap = self.diagram.trap_around(space, cycle)?;
        children.push(trap.clone());
        Some(trap)
    }

    /// A SAT encoding of `steps` steps of `F` on the `free` nodes (whose rules within the
    /// space are `functions`): the literals of each state along the path.
    fn unroll(
        &self,
        cnf: &mut Cnf,
        free: &[usize],
        functions: &[Bdd],
        steps: usize,
    ) -> Vec<Vec<Lit>> {
        let mut path: Vec<Vec<Lit>> = Vec::with_capacity(steps + 1);
        path.push(free.iter().map(|_| cnf.fresh()).collect());
        // Each state's literals by BDD variable, as the rules read them (0: not read).
        let mut by_var: Vec<Lit> = vec![0; usize::from(self.bdd_vars)];
        for t in 0..steps {
            for (&i, &l) in free.iter().zip(&path[t]) {
                by_var[self.diagram.var(i).to_index()] = l;
            }
            let next: Vec<Lit> = free.iter().map(|_| cnf.fresh()).collect();
            for (f, &out) in functions.iter().zip(&next) {
                encode(cnf, f, &by_var, out);
            }
            path.push(next);
        }
        path
    }
}

/// The clause "the state at `lits` (of the `free` nodes) is not in `trap`".
fn leave(cnf: &mut Cnf, lits: &[Lit], free: &[usize], trap: &Space) {
    let clause: Vec<Lit> = free
        .iter()
        .zip(lits)
        .filter_map(|(&i, &l)| trap[i].map(|v| if v { -l } else { l }))
        .collect();
    cnf.clause(clause);
}

/// The clause "the free nodes at `lits` are not as in `state`".
fn exclude(cnf: &mut Cnf, lits: &[Lit], free: &[usize], state: &[bool]) {
    let clause: Vec<Lit> = free
        .iter()
        .zip(lits)
        .map(|(&i, &l)| if state[i] { -l } else { l })
        .collect();
    cnf.clause(clause);
}

/// One branch of a rule's BDD in the SAT encoding: a constant, or a literal.
#[derive(Clone, Copy)]
enum Branch {
    Constant(bool),
    Literal(Lit),
}

impl Branch {
    fn negate(self) -> Branch {
        match self {
            Branch::Constant(b) => Branch::Constant(!b),
            Branch::Literal(l) => Branch::Literal(-l),
        }
    }
}

/// Clauses making `out` equal to the function `f` of the literals `input` (indexed by BDD
/// variable): one fresh variable per decision node, `node ⇔ (v ? high : low)`, with the root
/// tied to `out`.
fn encode(cnf: &mut Cnf, f: &Bdd, input: &[Lit], out: Lit) {
    let root = f.root_pointer();
    if root.is_terminal() {
        cnf.clause([if root.is_one() { out } else { -out }]);
        return;
    }
    let lits: Vec<Branch> = f
        .pointers()
        .map(|p| {
            if p.is_terminal() {
                Branch::Constant(p.is_one())
            } else if p == root {
                Branch::Literal(out)
            } else {
                Branch::Literal(cnf.fresh())
            }
        })
        .collect();
    for p in f.pointers().filter(|p| !p.is_terminal()) {
        let node = lits[p.to_index()];
        let v = input[f.var_of(p).to_index()];
        let low = lits[f.low_link_of(p).to_index()];
        let high = lits[f.high_link_of(p).to_index()];
        let (v, nv) = (Branch::Literal(v), Branch::Literal(-v));
        // v ∧ high → node, v ∧ ¬high → ¬node, ¬v ∧ low → node, ¬v ∧ ¬low → ¬node.
        add(cnf, &[nv, high.negate(), node]);
        add(cnf, &[nv, high, node.negate()]);
        add(cnf, &[v, low.negate(), node]);
        add(cnf, &[v, low, node.negate()]);
    }
}

/// Adds the clause `branches`, dropping false constants; a true constant satisfies it.
fn add(cnf: &mut Cnf, branches: &[Branch]) {
    let mut clause = Vec::with_capacity(branches.len());
    for b in branches {
        match *b {
            Branch::Constant(true) => return,
            Branch::Constant(false) => {}
            Branch::Literal(l) => clause.push(l),
        }
    }
    cnf.clause(clause);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(rules: &[(&str, &str)]) -> LogicalModel {
        let text: String = rules.iter().map(|(n, r)| format!("{n}, {r}\n")).collect();
        crate::import::bnet::read(
            &format!("targets, factors\n{text}"),
            std::path::Path::new("t.bnet"),
        )
        .expect("model")
    }

    #[test]
    fn a_negative_self_loop_oscillates_and_a_swap_has_a_two_cycle() {
        let a = attractors(&model(&[("A", "!A")])).expect("attractors");
        assert_eq!(a.attractors.len(), 1);
        assert_eq!(a.attractors[0].kind, "cyclic");
        assert_eq!(a.attractors[0].states, "2");

        // A and B copy each other: 00 and 11 are fixed; 01 and 10 swap for ever (a cycle the
        // asynchronous semantics does not have).
        let swap = model(&[("A", "B"), ("B", "A")]);
        let sync = attractors(&swap).expect("sync");
        let kinds: Vec<_> = sync
            .attractors
            .iter()
            .map(|a| (a.kind, a.states.as_str()))
            .collect();
        assert_eq!(kinds, [("fixed", "1"), ("fixed", "1"), ("cyclic", "2")]);
        let r#async = super::super::attractors(&swap).expect("async");
        assert_eq!(r#async.attractors.len(), 2);
    }

    #[test]
    fn inputs_split_the_search_and_percolate() {
        // With the input on, C follows it after one step; with it off, C and D oscillate.
        let m = model(&[("I", "I"), ("C", "I | !D"), ("D", "!I & C")]);
        let a = attractors(&m).expect("attractors");
        let on: Vec<_> = a
            .attractors
            .iter()
            .filter(|x| x.fixed.get("I") == Some(&1))
            .collect();
        let off: Vec<_> = a
            .attractors
            .iter()
            .filter(|x| x.fixed.get("I") == Some(&0))
            .collect();
        assert_eq!(on.len(), 1);
        assert_eq!(on[0].kind, "fixed");
        assert_eq!(off.len(), 1);
        assert_eq!(off[0].kind, "cyclic");
        assert_eq!(off[0].states, "4");
    }
}
