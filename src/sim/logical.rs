//! Where does a Boolean network settle? Its attractors under asynchronous semantics, found
//! completely and symbolically (BDDs, biodivine-lib-param-bn), never by enumerating states.
//!
//! Per combination of inputs: percolate what is forced, find the steady states, then search
//! trap space by trap space (a succession diagram, see [`succession`]) for every attractor,
//! the cyclic ones that trap-space methods can miss included.
//!
//! A search may be given a time budget. The steady states of a combination come first (exact,
//! symbolic, and cheap even where the complete search is not); a combination whose search the
//! budget stops is reported as unsettled, with its steady states when those were finished, so
//! an answer never passes for complete when it is not.

pub mod stochastic;
mod succession;
pub mod sync;

use crate::model::logical::{Expr, LogicalModel, Op};
use biodivine_lib_bdd::{Bdd, BddVariable, BddVariableSet};
use biodivine_lib_param_bn::biodivine_std::traits::Set;
use biodivine_lib_param_bn::fixed_points::FixedPoints;
use biodivine_lib_param_bn::symbolic_async_graph::reachability::Reachability;
use biodivine_lib_param_bn::symbolic_async_graph::{GraphColoredVertices, SymbolicAsyncGraph};
use biodivine_lib_param_bn::BooleanNetwork;
use cancel_this::{CancelTimer, Cancellable, Cancelled};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One attractor: the nodes it holds fixed, and those that keep changing in it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Attractor {
    /// `fixed` for a steady state, `cyclic` otherwise.
    pub kind: &'static str,
    pub fixed: BTreeMap<String, u8>,
    pub oscillating: Vec<String>,
    /// How many states it has (2^oscillating at most; exact).
    pub states: String,
}

/// Every attractor of a model, or, when a time budget stopped the search, every attractor of
/// the combinations it finished and the steady states of those it did not (with, for the
/// synchronous search, the cycles it had found).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Attractors {
    pub attractors: Vec<Attractor>,
    pub nodes: usize,
    pub semantics: &'static str,
    /// Every attractor is listed: no input combination is unsettled.
    pub complete: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsettled: Vec<Unsettled>,
}

/// An input combination whose search the time budget stopped.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Unsettled {
    /// The inputs of the combination (empty when the whole space was searched at once).
    pub inputs: BTreeMap<String, u8>,
    /// Its steady states were all found (and are listed); its cyclic attractors may not be.
    pub steady_states_complete: bool,
}

/// What the search of one input combination found.
struct Part {
    attractors: Vec<Attractor>,
    unsettled: Option<Unsettled>,
}

impl Part {
    fn complete(attractors: Vec<Attractor>) -> Part {
        Part {
            attractors,
            unsettled: None,
        }
    }
}

impl Attractors {
    pub fn fixed_points(&self) -> usize {
        self.attractors.iter().filter(|a| a.kind == "fixed").count()
    }
}

/// How nodes update: one at a time, any of them (asynchronous), or all at once (synchronous).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semantics {
    Asynchronous,
    Synchronous,
}

impl Semantics {
    /// `async`/`asynchronous` or `sync`/`synchronous`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "async" | "asynchronous" => Some(Semantics::Asynchronous),
            "sync" | "synchronous" => Some(Semantics::Synchronous),
            _ => None,
        }
    }
}

/// The library's log level for "print nothing" (its constant is private).
const LOG_NOTHING: usize = 0;

/// Above this many free inputs, the search runs on the whole state space at once instead of
/// once per input combination (2^12 = 4,096 searches).
const MAX_SPLIT_INPUTS: usize = 12;
/// Most free inputs an attractor search takes: each combination of the inputs holds at least
/// one attractor of its own, so above this the answer alone (at least 2^16 = 65,536
/// attractors) is past reading, and the search past waiting for.
const MAX_FREE_INPUTS: usize = 16;

/// The asynchronous attractors of `model`; `Err` names what the model's rules get wrong.
///
/// Inputs (nodes whose rule is themselves) never change, so every attractor lies in one input
/// combination: the search runs once per combination (in parallel), and the answers are joined.
pub fn attractors(model: &LogicalModel) -> Result<Attractors, String> {
    attractors_within(model, None)
}

/// [`attractors`] within a time budget (none: as long as it takes). The budget is shared by
/// all input combinations; see [`Attractors::unsettled`] for what a stopped search reports.
pub fn attractors_within(
    model: &LogicalModel,
    budget: Option<Duration>,
) -> Result<Attractors, String> {
    per_input_combination(model, steady_states, settle, "asynchronous", budget)
}

/// The steady states of `model` alone (the same under both semantics): the first stage of
/// [`attractors`], exact, and often quick where the complete search is not.
pub fn steady_states_of(model: &LogicalModel) -> Result<Attractors, String> {
    per_input_combination(
        model,
        steady_states,
        |stage| match stage {
            Stage::Done(part) => Ok(part),
            Stage::Steady(s) => Ok(Part::complete(s.steady_states())),
        },
        "steady states",
        None,
    )
}

/// Runs a search once per combination of the model's inputs (in parallel; the whole space at
/// once above [`MAX_SPLIT_INPUTS`] free inputs) in two stages, `first` for every combination
/// and then `then` on each (so that a budget spent in the second stage leaves every first
/// stage done), and joins the answers in a stable order: steady states first, then by what
/// they fix.
fn per_input_combination<S: Send>(
    model: &LogicalModel,
    first: impl Fn(&LogicalModel, &[(usize, bool)]) -> Result<S, String> + Sync,
    then: impl Fn(S) -> Result<Part, String> + Sync,
    semantics: &'static str,
    budget: Option<Duration>,
) -> Result<Attractors, String> {
    // Check every rule once, on the whole model: attractor analysis takes Boolean rules only.
    model.to_bnet()?;
    let inputs = model.inputs();
    if inputs.len() > MAX_FREE_INPUTS {
        return Err(format!(
            "{} inputs are free, and every combination of them holds at least one attractor of \
             its own (at least 2^{} here); fix all but at most {MAX_FREE_INPUTS} of them (--inputs, \
             or \"inputs\" over HTTP)",
            inputs.len(),
            inputs.len()
        ));
    }
    let combinations: Vec<Vec<(usize, bool)>> = if inputs.len() <= MAX_SPLIT_INPUTS {
        (0..1u32 << inputs.len())
            .map(|bits| {
                inputs
                    .iter()
                    .enumerate()
                    .map(|(i, &node)| (node, bits & (1 << i) != 0))
                    .collect()
            })
            .collect()
    } else {
        vec![Vec::new()]
    };
    // One timer for the whole search; the library checks it (a thread-local trigger) in
    // every worker that registers it.
    let timer = budget.map(CancelTimer::start);
    let stages: Vec<S> = combinations
        .par_iter()
        .map(|combination| under(timer.as_ref(), || first(model, combination)))
        .collect::<Result<_, String>>()?;
    let parts: Vec<Part> = stages
        .into_par_iter()
        .map(|stage| under(timer.as_ref(), || then(stage)))
        .collect::<Result<_, String>>()?;
    let mut attractors = Vec::new();
    let mut unsettled = Vec::new();
    for part in parts {
        attractors.extend(part.attractors);
        unsettled.extend(part.unsettled);
    }
    attractors.sort_by(|a, b| {
        (a.kind != "fixed", a.oscillating.len(), &a.fixed).cmp(&(
            b.kind != "fixed",
            b.oscillating.len(),
            &b.fixed,
        ))
    });
    Ok(Attractors {
        attractors,
        nodes: model.nodes.len(),
        semantics,
        complete: unsettled.is_empty(),
        unsettled,
    })
}

/// Runs `work` with `timer` (if any) as this thread's cancellation trigger.
fn under<T>(
    timer: Option<&CancelTimer>,
    work: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    match timer {
        Some(timer) => cancel_this::on_trigger(timer.clone(), || Ok::<_, Cancelled>(work()))
            .unwrap_or_else(|_| Err("the attractor search was stopped".into())),
        None => work(),
    }
}

/// In how many attractors a phenotype node is on, off, or oscillating.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PhenotypeCount {
    pub on: usize,
    pub off: usize,
    pub oscillating: usize,
}

/// What one perturbation does to the phenotypes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PerturbationOutcome {
    pub perturbation: String,
    pub held: BTreeMap<String, u8>,
    pub attractors: usize,
    pub fixed_points: usize,
    pub phenotypes: BTreeMap<String, PhenotypeCount>,
}

/// The phenotype table of a perturbation screen: the model as it is ("wild type") and with
/// each perturbation's nodes held, each row counting the attractors in which each phenotype
/// node is on, off or oscillating.
pub fn perturbation_table(
    model: &LogicalModel,
    perturbations: &[(String, Vec<(String, bool)>)],
    phenotypes: &[String],
) -> Result<Vec<PerturbationOutcome>, String> {
    for p in phenotypes {
        if model.node(p).is_none() {
            return Err(format!(
                "the model has no node {p:?} to read as a phenotype"
            ));
        }
    }
    let mut rows = vec![("wild type".to_owned(), Vec::new())];
    rows.extend(perturbations.iter().cloned());
    rows.iter()
        .map(|(name, held)| {
            let found = attractors(&model.with_fixed(held)?)?;
            let mut counts: BTreeMap<String, PhenotypeCount> = phenotypes
                .iter()
                .map(|p| (p.clone(), PhenotypeCount::default()))
                .collect();
            for a in &found.attractors {
                for (p, count) in counts.iter_mut() {
                    match a.fixed.get(p) {
                        Some(1) => count.on += 1,
                        Some(_) => count.off += 1,
                        None => count.oscillating += 1,
                    }
                }
            }
            Ok(PerturbationOutcome {
                perturbation: name.clone(),
                held: held
                    .iter()
                    .map(|(n, v)| (n.clone(), u8::from(*v)))
                    .collect(),
                attractors: found.attractors.len(),
                fixed_points: found.fixed_points(),
                phenotypes: counts,
            })
        })
        .collect()
}

/// Which nodes settle to a constant in every attractor, whatever the rest does: a node whose
/// rule is constant (given what is already known) can always switch to that value and never
/// leave it, so no state where it differs is in an attractor (asynchronous or synchronous).
/// Repeating this to a fixed point (percolation) loses no attractor and often leaves few free
/// nodes. "Constant" is meant as a Boolean function, not only as written: once `B` is known
/// off, `A & !B | A & B` is `A`, and `A | !A` is on; on Fumia 2013 this leaves about 30 of the
/// 98 nodes free per input combination where simplifying the text left 66.
fn percolate(model: &LogicalModel, held: &[(usize, bool)]) -> (Vec<Option<bool>>, Vec<Expr>) {
    let n = model.nodes.len();
    let mut known: Vec<Option<bool>> = vec![None; n];
    for &(node, value) in held {
        known[node] = Some(value);
    }
    let mut rules: Vec<Expr> = model.nodes.iter().map(|n| n.rule.clone()).collect();
    // One BDD variable per node; a model past u16's range is left to the textual pass alone.
    let vars = u16::try_from(n).ok().map(BddVariableSet::new_anonymous);
    loop {
        // Textual simplification first: cheap, and it settles most of what will settle.
        loop {
            let mut changed = false;
            for i in 0..n {
                if known[i].is_some() {
                    continue;
                }
                rules[i] = rules[i].substitute(&known);
                if let Some(value) = rules[i].as_constant() {
                    known[i] = Some(value);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let Some(vars) = &vars else {
            return (known, rules);
        };
        let x = vars.variables();
        let slot: Vec<usize> = (0..n)
            .map(|i| if known[i].is_none() { i } else { usize::MAX })
            .collect();
        let mut changed = false;
        for i in 0..n {
            if known[i].is_some() {
                continue;
            }
            // A rule that is not Boolean (arithmetic, parameters) is left as it is.
            let Ok(function) = to_bdd(&rules[i], vars, &x, &slot, model) else {
                continue;
            };
            let Some(value) = constant(&function) else {
                continue;
            };
            known[i] = Some(value);
            rules[i] = Expr::constant(value);
            changed = true;
        }
        if !changed {
            return (known, rules);
        }
    }
}

/// The value of a function that is constant, or `None`.
fn constant(function: &Bdd) -> Option<bool> {
    if function.is_true() {
        Some(true)
    } else if function.is_false() {
        Some(false)
    } else {
        None
    }
}

/// A rule as a BDD: node `j` is variable `x[slot[j]]`; a node without a slot (`usize::MAX`)
/// must not be read, since percolation fixed it.
pub(crate) fn to_bdd(
    rule: &Expr,
    vars: &BddVariableSet,
    x: &[BddVariable],
    slot: &[usize],
    model: &LogicalModel,
) -> Result<Bdd, String> {
    let go = |e: &Expr| to_bdd(e, vars, x, slot, model);
    Ok(match rule {
        Expr::Num(v) => {
            if *v != 0.0 {
                vars.mk_true()
            } else {
                vars.mk_false()
            }
        }
        Expr::Node(j) => match slot.get(*j) {
            Some(&k) if k != usize::MAX => vars.mk_var(x[k]),
            _ => {
                return Err(format!(
                    "the rule reads {}, which percolation should have fixed",
                    model.nodes.get(*j).map_or("?", |n| n.name.as_str())
                ))
            }
        },
        Expr::Not(a) => go(a)?.not(),
        Expr::Binary(op, a, b) => {
            let (a, b) = (go(a)?, go(b)?);
            match op {
                Op::And => a.and(&b),
                Op::Or => a.or(&b),
                Op::Xor | Op::Ne => a.xor(&b),
                Op::Eq => a.iff(&b),
                _ => return Err("a logical rule uses arithmetic".into()),
            }
        }
        Expr::Cond(c, a, b) => {
            let c = go(c)?;
            c.and(&go(a)?).or(&c.not().and(&go(b)?))
        }
        Expr::Param(_) | Expr::Logic | Expr::Neg(_) => {
            return Err("a logical rule reads a parameter or a rate term".into())
        }
    })
}

/// The first stage of a search with the nodes in `held` fixed: percolation, then the steady
/// states of what is left (exact, symbolic). A combination percolation settles, or whose steady
/// states the budget stops, is done at this stage.
fn steady_states(model: &LogicalModel, held: &[(usize, bool)]) -> Result<Stage, String> {
    let (known, rules) = percolate(model, held);
    let settled: BTreeMap<String, u8> = known
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (model.nodes[i].name.clone(), u8::from(v))))
        .collect();
    let free: Vec<usize> = (0..model.nodes.len())
        .filter(|&i| known[i].is_none())
        .collect();
    if free.is_empty() {
        return Ok(Stage::Done(Part::complete(vec![Attractor {
            kind: "fixed",
            fixed: settled,
            oscillating: Vec::new(),
            states: "1".into(),
        }])));
    }
    let inputs = held
        .iter()
        .map(|&(i, v)| (model.nodes[i].name.clone(), u8::from(v)))
        .collect();
    let mut bnet = String::from("targets, factors\n");
    for &i in &free {
        bnet.push_str(&format!(
            "{}, {}\n",
            model.nodes[i].name,
            rules[i].display(model)
        ));
    }
    // Substituting constants can leave a regulator that no longer matters; let the library
    // drop such edges rather than refuse the network.
    let network = BooleanNetwork::try_from_bnet(&bnet)?.infer_valid_graph()?;
    let graph = SymbolicAsyncGraph::new(&network)?;
    let Ok(steady) = steady_states_in(&graph) else {
        return Ok(Stage::Done(Part {
            attractors: Vec::new(),
            unsettled: Some(Unsettled {
                inputs,
                steady_states_complete: false,
            }),
        }));
    };
    Ok(Stage::Steady(Box::new(Steady {
        network,
        graph,
        settled,
        inputs,
        steady,
    })))
}

/// Every steady state of `graph`: the states in which no node can change, one conjunction
/// over the nodes. What the library's `FixedPoints::_symbolic` does, but cancellable all the
/// way through (the library's own version calls a merge that panics when cancelled).
fn steady_states_in(graph: &SymbolicAsyncGraph) -> Cancellable<GraphColoredVertices> {
    let mut stable = Vec::new();
    for var in graph.variables() {
        cancel_this::is_cancelled!()?;
        let unit = graph.unit_colored_vertices();
        stable.push(unit.minus(&graph.var_can_post(var, unit)).into_bdd());
    }
    let context = graph.symbolic_context().bdd_variable_set();
    let steady = FixedPoints::_symbolic_merge(context, stable, Default::default(), LOG_NOTHING)?;
    Ok(graph.unit_colored_vertices().copy(steady))
}

/// A combination after its first stage.
enum Stage {
    Done(Part),
    Steady(Box<Steady>),
}

/// A combination whose steady states are known, its cyclic attractors not yet.
struct Steady {
    network: BooleanNetwork,
    graph: SymbolicAsyncGraph,
    /// What percolation settled.
    settled: BTreeMap<String, u8>,
    inputs: BTreeMap<String, u8>,
    steady: GraphColoredVertices,
}

impl Steady {
    fn steady_states(&self) -> Vec<Attractor> {
        self.steady
            .vertices()
            .materialize()
            .iter()
            .map(|state| {
                describe(
                    &self.network,
                    &self.graph,
                    &self.settled,
                    &self.graph.vertex(&state),
                )
            })
            .collect()
    }
}

/// The second stage: the cyclic attractors, found completely (a succession-diagram search), or the steady states alone
/// and the combination unsettled when the budget stops it.
fn settle(stage: Stage) -> Result<Part, String> {
    let s = match stage {
        Stage::Done(part) => return Ok(part),
        Stage::Steady(s) => s,
    };
    let describe = |set: &GraphColoredVertices| describe(&s.network, &s.graph, &s.settled, set);
    // Each steady state is an attractor of its own.
    let steady_states = s.steady_states();
    Ok(match cyclic(&s.graph) {
        Ok(found) => Part::complete(
            steady_states
                .into_iter()
                .chain(found.iter().map(describe))
                .collect(),
        ),
        Err(_) => Part {
            attractors: steady_states,
            unsettled: Some(Unsettled {
                inputs: s.inputs,
                steady_states_complete: true,
            }),
        },
    })
}

/// The attractors that are not steady states, found trap space by trap space (see
/// [`succession`]).
fn cyclic(graph: &SymbolicAsyncGraph) -> Cancellable<Vec<GraphColoredVertices>> {
    Ok(succession::attractors(graph)?
        .into_iter()
        .filter(|set| set.exact_cardinality() > 1u32.into())
        .collect())
}

/// An attractor as the answer gives it: the nodes it holds (with those percolation settled)
/// and those that keep changing in it.
fn describe(
    network: &BooleanNetwork,
    graph: &SymbolicAsyncGraph,
    settled: &BTreeMap<String, u8>,
    set: &GraphColoredVertices,
) -> Attractor {
    let mut fixed = settled.clone();
    let mut oscillating = Vec::new();
    for variable in network.variables() {
        let name = network.get_variable_name(variable).clone();
        let on = !set
            .intersect(&graph.fix_network_variable(variable, true))
            .is_empty();
        let off = !set
            .intersect(&graph.fix_network_variable(variable, false))
            .is_empty();
        match (on, off) {
            (true, false) => {
                fixed.insert(name, 1);
            }
            (false, true) => {
                fixed.insert(name, 0);
            }
            _ => oscillating.push(name),
        }
    }
    oscillating.sort();
    Attractor {
        kind: if oscillating.is_empty() {
            "fixed"
        } else {
            "cyclic"
        },
        fixed,
        oscillating,
        states: set.exact_cardinality().to_string(),
    }
}

/// The attractors inside `trap`, a set no transition leaves: pick a state, compute what it
/// reaches and what reaches it (within the set); when everything it reaches can reach it back,
/// that is an attractor; either way what reaches it is removed.
fn xie_beerel(
    graph: &SymbolicAsyncGraph,
    trap: GraphColoredVertices,
) -> Cancellable<Vec<GraphColoredVertices>> {
    let mut found = Vec::new();
    let mut rest = trap;
    while !rest.is_empty() {
        cancel_this::is_cancelled!()?;
        // What is left stays a trap set (the complement of a backward-closed set within one).
        let inside = graph.restrict(&rest);
        let pivot = rest.pick_vertex();
        let forward =
            Reachability::_reach(&inside, &pivot, |g, s, v| g.var_post_out(v, s), LOG_NOTHING)?;
        let backward =
            Reachability::_reach(&inside, &pivot, |g, s, v| g.var_pre_out(v, s), LOG_NOTHING)?;
        if forward.minus(&backward).is_empty() {
            found.push(forward);
        }
        rest = rest.minus(&backward);
    }
    Ok(found)
}

/// A random network of `n` nodes, each reading one to three nodes through a random truth
/// table (neither always on nor always off), as BoolNet text.
#[cfg(test)]
fn random_bnet(rng: &mut rand_pcg::Pcg64Mcg, n: usize) -> String {
    use rand_pcg::rand_core::Rng;
    let mut text = String::from("targets, factors\n");
    for target in 0..n {
        let k = 1 + (rng.next_u64() % 3) as usize;
        let mut regulators: Vec<usize> = Vec::new();
        while regulators.len() < k {
            let r = (rng.next_u64() % n as u64) as usize;
            if !regulators.contains(&r) {
                regulators.push(r);
            }
        }
        let rows = 1u64 << k;
        let table = loop {
            let t = rng.next_u64() % (1 << rows);
            if t != 0 && t != (1 << rows) - 1 {
                break t;
            }
        };
        let terms: Vec<String> = (0..rows)
            .filter(|row| table & (1 << row) != 0)
            .map(|row| {
                let literals: Vec<String> = regulators
                    .iter()
                    .enumerate()
                    .map(|(j, r)| {
                        let on = row & (1 << j) != 0;
                        format!("{}x{r}", if on { "" } else { "!" })
                    })
                    .collect();
                format!("({})", literals.join(" & "))
            })
            .collect();
        text.push_str(&format!("x{target}, {}\n", terms.join(" | ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(rules: &[(&str, &str)]) -> LogicalModel {
        LogicalModel::from_rules(rules).expect("rules parse")
    }

    #[test]
    fn a_toggle_switch_has_two_steady_states_and_a_negative_loop_oscillates() {
        let toggle = attractors(&model(&[("a", "!b"), ("b", "!a")])).expect("analysed");
        assert_eq!(toggle.attractors.len(), 2);
        assert_eq!(toggle.fixed_points(), 2);
        let oscillator = attractors(&model(&[("a", "!b"), ("b", "a")])).expect("analysed");
        assert_eq!(oscillator.attractors.len(), 1);
        assert_eq!(oscillator.attractors[0].kind, "cyclic");
        assert_eq!(oscillator.attractors[0].oscillating, ["a", "b"]);
        assert_eq!(oscillator.attractors[0].states, "4");
    }

    #[test]
    fn percolation_settles_rules_constant_as_functions_not_only_as_written() {
        // `c` is on whatever `a` does, and once it is, `d = c & b | c & !b` is on too; the text
        // of neither rule is a constant.
        let m = model(&[
            ("a", "!a"),
            ("b", "a"),
            ("c", "a | !a"),
            ("d", "c & b | c & !b"),
            ("e", "!d & a"),
        ]);
        let (known, _) = percolate(&m, &[]);
        let value = |name: &str| known[m.index(name).expect("node")];
        assert_eq!(
            (value("a"), value("b"), value("c"), value("d"), value("e")),
            (None, None, Some(true), Some(true), Some(false))
        );
    }

    /// A toggle whose `a` side drives a negative loop: one steady state (b on, the loop off)
    /// and one cyclic attractor (a on, c and d turning).
    fn toggle_and_loop() -> LogicalModel {
        model(&[("a", "!b"), ("b", "!a"), ("c", "!d & a"), ("d", "c")])
    }

    #[test]
    fn a_stopped_search_lists_the_steady_states_it_finished_and_says_it_is_unsettled() {
        let m = toggle_and_loop();
        let whole = attractors(&m).expect("analysed");
        assert!(whole.complete && whole.unsettled.is_empty());
        assert_eq!(
            whole.attractors.iter().map(|a| a.kind).collect::<Vec<_>>(),
            ["fixed", "cyclic"]
        );
        let stopped = || {
            let trigger = cancel_this::CancelAtomic::new();
            trigger.cancel();
            trigger
        };
        // Stopped after the steady states: they are listed, the loop is not.
        let stage = steady_states(&m, &[]).expect("first stage");
        let part = cancel_this::on_trigger(stopped(), || Ok::<_, Cancelled>(settle(stage)))
            .expect("ran")
            .expect("a Boolean model");
        assert_eq!(part.attractors.len(), 1);
        assert_eq!(part.attractors[0].fixed["b"], 1);
        assert!(part.unsettled.expect("unsettled").steady_states_complete);
        // Stopped before them: nothing is listed, and the answer says so.
        let stage =
            cancel_this::on_trigger(stopped(), || Ok::<_, Cancelled>(steady_states(&m, &[])))
                .expect("ran")
                .expect("a Boolean model");
        let part = settle(stage).expect("done at the first stage");
        assert!(part.attractors.is_empty());
        assert!(!part.unsettled.expect("unsettled").steady_states_complete);
    }

    #[test]
    fn fixing_a_node_and_undefined_nodes() {
        let fixed = attractors(
            &model(&[("a", "!b"), ("b", "!a")])
                .with_fixed(&[("a".into(), true)])
                .expect("fix"),
        )
        .expect("analysed");
        assert_eq!(fixed.attractors.len(), 1);
        assert_eq!(fixed.attractors[0].fixed["b"], 0);
        assert!(LogicalModel::from_rules(&[("a", "c")]).is_err());
    }
}
