//! Where does a Boolean network settle when every node updates at once? Its synchronous
//! attractors, found completely by bounded model checking with a SAT solver.
//!
//! Under synchronous updates the state map `x ↦ F(x)` is deterministic, so every trajectory
//! ends on a cycle and the attractors are exactly those cycles. Per combination of inputs:
//! percolate what is forced (a node with a constant rule has that value after one step, for
//! ever); then ask a SAT solver for a path `x0 → x1 → … → xk` of `k` steps of `F` whose last
//! state is in no attractor found so far, and follow `F` from `xk` until a state repeats. A
//! new cycle is a new attractor, and its states are excluded from the end of the path; a path
//! that runs into a known attractor ended on a transient state, and `k` doubles. When no such
//! path exists the search is complete: the states of a missing cycle would end paths of every
//! length. This is the method of Dubrova and Teslenko (2011, doi:10.1109/TCBB.2010.20), which
//! BoolNet's `sat.exhaustive` uses. It computes no image of the whole state space, whose BDDs
//! grow out of reach past about 60 free nodes (Sizek 2024 has 133 nodes).

use super::{describe, per_input_combination, steady_states, Attractors, Part, Stage, Unsettled};
use crate::model::logical::LogicalModel;
use biodivine_lib_bdd::{Bdd, BddValuation, BddVariable};
use biodivine_lib_param_bn::biodivine_std::bitvector::{ArrayBitVector, BitVector};
use biodivine_lib_param_bn::biodivine_std::traits::Set;
use biodivine_lib_param_bn::VariableId;
use rustc_hash::{FxHashMap, FxHashSet};

/// Longest cycle followed state by state; longer ones are reported as an error rather than
/// hanging (no published model comes near it).
const MAX_CYCLE: usize = 1 << 22;
/// Most attractors listed per input combination.
const MAX_ATTRACTORS: usize = 100_000;
/// Longest path unrolled: every transient of the network is shorter than the path at which
/// the search ends; no published network comes near this.
const MAX_PATH: usize = 1 << 14;

/// The synchronous attractors of `model`; `Err` names what the model's rules get wrong.
pub fn attractors(model: &LogicalModel) -> Result<Attractors, String> {
    attractors_within(model, None)
}

/// The synchronous attractors of `model`, searched for at most `budget`: an input combination
/// the budget stops is listed as unsettled, with its steady states and the cycles found so far.
pub fn attractors_within(
    model: &LogicalModel,
    budget: Option<std::time::Duration>,
) -> Result<Attractors, String> {
    per_input_combination(model, steady_states, settle, "synchronous", budget)
}

/// The cycles of one input combination, after percolation and its steady states.
fn settle(stage: Stage) -> Result<Part, String> {
    let s = match stage {
        Stage::Done(part) => return Ok(part),
        Stage::Steady(s) => s,
    };
    let n = s.graph.num_vars();
    let context = s.graph.symbolic_context();
    let mut search = Cycles {
        bdd_vars: context.bdd_variable_set().num_vars(),
        var: (0..n)
            .map(|i| context.get_state_variable(VariableId::from_index(i)))
            .collect(),
        update: (0..n)
            .map(|i| {
                s.graph
                    .get_symbolic_fn_update(VariableId::from_index(i))
                    .clone()
            })
            .collect(),
        in_attractor: FxHashSet::default(),
        cycles: Vec::new(),
    };
    // The steady states are the cycles of one state, known already.
    for state in s.steady.vertices().materialize().iter() {
        let state: Vec<bool> = (0..state.len()).map(|i| state.get(i)).collect();
        search.record(vec![state])?;
    }
    let complete = search.run()?;
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
    Ok(Part {
        attractors,
        unsettled: (!complete).then(|| Unsettled {
            inputs: s.inputs.clone(),
            steady_states_complete: true,
        }),
    })
}

/// A literal of the SAT encoding: a variable's number, negative when negated (DIMACS).
type Lit = i32;

/// Stops the SAT solver when the search's time budget (this thread's cancellation trigger)
/// is spent.
struct Budget;

impl cadical::Callbacks for Budget {
    fn terminate(&mut self) -> bool {
        cancel_this::check_local_cancellation().is_err()
    }
}

/// The SAT solver, and the variables handed out so far.
struct Cnf {
    solver: cadical::Solver<Budget>,
    variables: Lit,
}

impl Cnf {
    fn new() -> Cnf {
        let mut solver = cadical::Solver::new();
        solver.set_callbacks(Some(Budget));
        Cnf {
            solver,
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
struct Cycles {
    /// How many variables the BDDs have (the nodes', at least).
    bdd_vars: u16,
    /// Each node's BDD variable and update function.
    var: Vec<BddVariable>,
    update: Vec<Bdd>,
    /// Every state of every cycle found: a walk that reaches one stops, and no path may end on one.
    in_attractor: FxHashSet<Vec<bool>>,
    cycles: Vec<Vec<Vec<bool>>>,
}

impl Cycles {
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
            valuation.set_value(self.var[i], v);
        }
        self.update.iter().map(|f| f.eval_in(&valuation)).collect()
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

    /// Finds every cycle not found yet; `false` when the time budget stopped it first.
    fn run(&mut self) -> Result<bool, String> {
        let mut steps = 1;
        'unrollings: loop {
            let mut cnf = Cnf::new();
            let path = self.unroll(&mut cnf, steps);
            let end = &path[steps];
            for state in &self.in_attractor {
                exclude(&mut cnf, end, state);
            }
            loop {
                if cancel_this::check_local_cancellation().is_err() {
                    return Ok(false);
                }
                match cnf.solver.solve() {
                    Some(true) => {}
                    Some(false) => break 'unrollings,
                    // The solver stops without an answer only when told to.
                    None => return Ok(false),
                }
                let state: Vec<bool> = end.iter().map(|&l| cnf.value(l)).collect();
                let Some(cycle) = self.walk(state)? else {
                    // The path's end was a transient state: look further back.
                    break;
                };
                for state in &cycle {
                    exclude(&mut cnf, end, state);
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
        Ok(true)
    }

    /// A SAT encoding of `steps` steps of `F`: the literals of each state along the path.
    fn unroll(&self, cnf: &mut Cnf, steps: usize) -> Vec<Vec<Lit>> {
        let mut path: Vec<Vec<Lit>> = Vec::with_capacity(steps + 1);
        path.push(self.var.iter().map(|_| cnf.fresh()).collect());
        // Each state's literals by BDD variable, as the rules read them (0: not read).
        let mut by_var: Vec<Lit> = vec![0; usize::from(self.bdd_vars)];
        for t in 0..steps {
            for (v, &l) in self.var.iter().zip(&path[t]) {
                by_var[v.to_index()] = l;
            }
            let next: Vec<Lit> = self.var.iter().map(|_| cnf.fresh()).collect();
            for (f, &out) in self.update.iter().zip(&next) {
                encode(cnf, f, &by_var, out);
            }
            path.push(next);
        }
        path
    }
}

/// The clause "the state at `lits` is not `state`".
fn exclude(cnf: &mut Cnf, lits: &[Lit], state: &[bool]) {
    let clause: Vec<Lit> = lits
        .iter()
        .zip(state)
        .map(|(&l, &v)| if v { -l } else { l })
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
    use std::collections::BTreeMap;

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

    /// Every cycle of the synchronous state map of random networks, found by stepping from
    /// every state, is found once, and nothing else is.
    #[test]
    fn the_same_cycles_as_stepping_from_every_state_on_random_networks() {
        use rand_pcg::rand_core::SeedableRng;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let mut cyclic = 0;
        for case in 0..400 {
            let n = 3 + case % 8;
            let text = super::super::random_bnet(&mut rng, n);
            let m =
                crate::import::bnet::read(&text, std::path::Path::new("t.bnet")).expect("model");
            let step = |s: &[bool]| -> Vec<bool> {
                m.nodes
                    .iter()
                    .map(|x| x.rule.holds(&|j: usize| s[j]))
                    .collect()
            };
            // Every cycle, as its sorted states, found by stepping from every state.
            let mut cycles: Vec<Vec<Vec<bool>>> = Vec::new();
            for bits in 0..1u32 << n {
                let mut state: Vec<bool> = (0..n).map(|i| bits & (1 << i) != 0).collect();
                let mut seen = std::collections::HashSet::new();
                while seen.insert(state.clone()) {
                    state = step(&state);
                }
                let mut cycle = vec![state.clone()];
                let mut s = step(&state);
                while s != state {
                    cycle.push(s.clone());
                    s = step(&s);
                }
                cycle.sort();
                if !cycles.contains(&cycle) {
                    cycles.push(cycle);
                }
            }
            let describe = |cycle: &Vec<Vec<bool>>| -> (BTreeMap<String, u8>, usize) {
                let fixed = m
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| cycle.iter().all(|c| c[*i] == cycle[0][*i]))
                    .map(|(i, x)| (x.name.clone(), u8::from(cycle[0][i])))
                    .collect();
                (fixed, cycle.len())
            };
            let mut expected: Vec<_> = cycles.iter().map(describe).collect();
            cyclic += cycles.iter().filter(|c| c.len() > 1).count();
            let mut ours: Vec<_> = attractors(&m)
                .expect("attractors")
                .attractors
                .into_iter()
                .map(|a| (a.fixed, a.states.parse::<usize>().expect("a count")))
                .collect();
            expected.sort();
            ours.sort();
            assert_eq!(ours, expected, "case {case}:\n{text}");
        }
        assert!(cyclic > 100, "{cyclic} cycles");
    }
}
