//! Where does a Boolean network settle when every node updates at once? Its synchronous
//! attractors, found completely and symbolically.
//!
//! Under synchronous updates the state map `x ↦ F(x)` is deterministic, so every trajectory
//! ends on a cycle and the attractors are exactly those cycles. Per combination of inputs:
//! percolate what is forced (a node with a constant rule has that value after one step, for
//! ever); then compute the limit set, the states that lie on cycles, by applying the image of
//! `F` to the whole space until it stops shrinking (the relation `y ⇔ F(x)` is one BDD per
//! node, conjoined with early quantification); then read the cycles off it one by one,
//! following `F` from a witness state.

use super::{per_input_combination, percolate, to_bdd, Attractor, Attractors, Part};
use crate::model::logical::LogicalModel;
use biodivine_lib_bdd::{op_function, Bdd, BddVariable, BddVariableSet};
use std::collections::BTreeMap;

/// Longest cycle followed state by state; longer ones are reported as an error rather than
/// hanging (no published model comes near it).
const MAX_CYCLE: usize = 1 << 22;
/// Most attractors listed per input combination.
const MAX_ATTRACTORS: usize = 100_000;
/// Most nodes left free (after percolation) in one input combination: Grieco 2013 (49) takes
/// about 20 s on two cores; Sizek 2024 (129 nodes) runs for minutes and gigabytes, so larger
/// combinations are refused rather than left to run.
pub const MAX_FREE_NODES: usize = 64;

/// The synchronous attractors of `model`; `Err` names what the model's rules get wrong.
pub fn attractors(model: &LogicalModel) -> Result<Attractors, String> {
    per_input_combination(
        model,
        |m, held| search(m, held).map(Part::complete),
        Ok,
        "synchronous",
        None,
    )
}

/// The cycles of one input combination.
fn search(model: &LogicalModel, held: &[(usize, bool)]) -> Result<Vec<Attractor>, String> {
    let (known, rules) = percolate(model, held);
    let free: Vec<usize> = (0..model.nodes.len())
        .filter(|&i| known[i].is_none())
        .collect();
    if free.len() > MAX_FREE_NODES {
        return Err(format!(
            "synchronous attractors are searched for at most {MAX_FREE_NODES} free nodes per input \
             combination, and {} are left after percolation (hold more inputs or nodes with \
             --inputs/--fix, or use the asynchronous semantics)",
            free.len()
        ));
    }
    // Variables interleaved (x0, y0, x1, y1, …): x is the state, y the next state; keeping
    // each pair adjacent keeps the relation `y ⇔ F(x)` small.
    let names: Vec<String> = free
        .iter()
        .flat_map(|&i| [format!("x{i}"), format!("y{i}")])
        .collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let vars = BddVariableSet::new(&name_refs);
    let all = vars.variables();
    let x: Vec<BddVariable> = all.iter().step_by(2).copied().collect();
    let y: Vec<BddVariable> = all.iter().skip(1).step_by(2).copied().collect();
    let mut slot = vec![usize::MAX; model.nodes.len()];
    for (k, &i) in free.iter().enumerate() {
        slot[i] = k;
    }

    // The relation `y ⇔ F(x)` is kept as one small BDD per node and conjoined into the image
    // one at a time, each current-state variable quantified away as soon as no later part
    // reads it (early quantification): a monolithic relation grows too large.
    let mut parts = Vec::with_capacity(free.len());
    let mut last_use = vec![None; free.len()];
    let mut identity = vars.mk_true();
    for (k, &i) in free.iter().enumerate() {
        let f = to_bdd(&rules[i], &vars, &x, &slot, model)?;
        for j in rules[i].nodes() {
            if slot[j] != usize::MAX {
                last_use[slot[j]] = Some(k);
            }
        }
        parts.push(vars.mk_var(y[k]).iff(&f));
        identity = identity.and(&vars.mk_var(x[k]).iff(&vars.mk_var(y[k])));
    }
    let mut quantify_after: Vec<Vec<BddVariable>> = vec![Vec::new(); free.len()];
    let mut unread = Vec::new();
    for (j, last) in last_use.iter().enumerate() {
        match last {
            Some(k) => quantify_after[*k].push(x[j]),
            None => unread.push(x[j]),
        }
    }
    let image = |set: &Bdd| -> Bdd {
        let mut next = set.exists(&unread);
        for (part, gone) in parts.iter().zip(&quantify_after) {
            next = Bdd::binary_op_with_exists(&next, part, op_function::and, gone);
        }
        Bdd::binary_op_with_exists(&next, &identity, op_function::and, &y)
    };
    // The limit set: images of the whole space shrink until they equal their own image.
    let mut limit = vars.mk_true();
    loop {
        let next = image(&limit);
        if next == limit {
            break;
        }
        limit = next;
    }

    let state_of = |valuation: &biodivine_lib_bdd::BddValuation| -> Vec<bool> {
        (0..model.nodes.len())
            .map(|i| match known[i] {
                Some(v) => v,
                None => valuation[x[slot[i]]],
            })
            .collect()
    };
    let step = |state: &[bool]| -> Vec<bool> {
        (0..model.nodes.len())
            .map(|i| match known[i] {
                Some(v) => v,
                None => rules[i].holds(&|j: usize| state[j]),
            })
            .collect()
    };
    let mut found = Vec::new();
    while let Some(witness) = limit.sat_witness() {
        if found.len() == MAX_ATTRACTORS {
            return Err(format!(
                "more than {MAX_ATTRACTORS} synchronous attractors for one input combination"
            ));
        }
        let start = state_of(&witness);
        let mut cycle = vec![start.clone()];
        let mut state = step(&start);
        while state != start {
            if cycle.len() == MAX_CYCLE {
                return Err(format!(
                    "a synchronous cycle longer than {MAX_CYCLE} states"
                ));
            }
            cycle.push(state.clone());
            state = step(&state);
        }
        for s in &cycle {
            let mut clause = vars.mk_true();
            for (k, &i) in free.iter().enumerate() {
                clause = clause.and(&vars.mk_literal(x[k], s[i]));
            }
            limit = limit.and_not(&clause);
        }
        let mut fixed = BTreeMap::new();
        let mut oscillating = Vec::new();
        for (i, node) in model.nodes.iter().enumerate() {
            let first = cycle[0][i];
            if cycle.iter().all(|s| s[i] == first) {
                fixed.insert(node.name.clone(), u8::from(first));
            } else {
                oscillating.push(node.name.clone());
            }
        }
        found.push(Attractor {
            kind: if cycle.len() == 1 { "fixed" } else { "cyclic" },
            fixed,
            oscillating,
            states: cycle.len().to_string(),
        });
    }
    Ok(found)
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
