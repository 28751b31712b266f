//! How likely is each state of a Boolean network over time, when each node turns on and off
//! at its own rate? Continuous-time Markov dynamics as MaBoSS defines them: in a state, node i
//! flips at `rate_up` (when off) or `rate_down` (when on), evaluated in that state; Gillespie's
//! algorithm draws the waiting time and which node flips.
//!
//! Probabilities are time averages over windows of `time_tick` (MaBoSS's `probtraj`): the
//! share of each window a trajectory spends in each state, averaged over trajectories, with
//! standard errors. Each trajectory has its own seed (derived from the run's seed and its
//! number) and trajectories are summed in fixed blocks in a fixed order, so the numbers are
//! identical whatever the number of threads.

use crate::model::logical::{Expr, LogicalModel, StochasticSettings};
use rand_pcg::rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// At most this many nodes (the state is four 64-bit words).
pub const MAX_NODES: usize = 256;

type State = [u64; 4];

fn get(state: &State, i: usize) -> bool {
    state[i / 64] >> (i % 64) & 1 == 1
}

fn flip(state: &mut State, i: usize) {
    state[i / 64] ^= 1 << (i % 64);
}

/// One state's probability in one window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StateProbability {
    /// The output nodes that are on, joined by ` -- ` (`<nil>` when none), as MaBoSS names it.
    pub state: String,
    pub probability: f64,
    pub error: f64,
}

/// One window of time: `[time, time + time_tick)`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Window {
    pub time: f64,
    /// States over the output (non-internal) nodes, most probable first.
    pub states: Vec<StateProbability>,
    /// Per node of the model (internal ones included): the probability that it is on, and
    /// its standard error.
    pub marginals: Vec<(f64, f64)>,
    /// Entropy of the state distribution (bits).
    pub entropy: f64,
    /// Transition entropy (bits): how uncertain the next transition is, averaged over time.
    pub transition_entropy: f64,
    pub transition_entropy_error: f64,
    /// Hamming distance to the reference state: probability of each distance 0, 1, …
    pub hamming: Vec<f64>,
}

/// The result of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Trajectories {
    pub nodes: Vec<String>,
    pub outputs: Vec<String>,
    pub trajectories: usize,
    pub seed: u64,
    pub windows: Vec<Window>,
}

impl Trajectories {
    /// The last window.
    pub fn last(&self) -> Option<&Window> {
        self.windows.last()
    }

    /// The MaBoSS `_probtraj.csv` layout: tab-separated `Time TH ErrorTH H HD=0 … State Proba
    /// ErrorProba …`, one row per window.
    pub fn to_probtraj(&self) -> String {
        let hd = self
            .windows
            .iter()
            .map(|w| w.hamming.len())
            .max()
            .unwrap_or(1);
        let mut out = String::from("Time\tTH\tErrorTH\tH");
        for d in 0..hd {
            out.push_str(&format!("\tHD={d}"));
        }
        let most = self
            .windows
            .iter()
            .map(|w| w.states.len())
            .max()
            .unwrap_or(0);
        for _ in 0..most.max(1) {
            out.push_str("\tState\tProba\tErrorProba");
        }
        out.push('\n');
        for w in &self.windows {
            out.push_str(&format!(
                "{:.4}\t{:.4}\t{:.4}\t{:.4}",
                w.time, w.transition_entropy, w.transition_entropy_error, w.entropy
            ));
            for d in 0..hd {
                out.push_str(&format!(
                    "\t{:.4}",
                    w.hamming.get(d).copied().unwrap_or(0.0)
                ));
            }
            for s in &w.states {
                out.push_str(&format!(
                    "\t{}\t{:.6}\t{:.6}",
                    s.state, s.probability, s.error
                ));
            }
            out.push('\n');
        }
        out
    }

    /// Each node's probability of being on over time, with standard errors: `time` then
    /// `NODE` and `NODE_error` per node (CSV).
    pub fn to_marginals_csv(&self) -> String {
        let mut out = String::from("time");
        for n in &self.nodes {
            out.push_str(&format!(",{n},{n}_error"));
        }
        out.push('\n');
        for w in &self.windows {
            out.push_str(&format!("{}", w.time));
            for (p, e) in &w.marginals {
                out.push_str(&format!(",{p:.6},{e:.6}"));
            }
            out.push('\n');
        }
        out
    }
}

/// What a node does in a state, ready to evaluate.
struct Dynamics {
    rule: Expr,
    /// `None`: MaBoSS's default, rate 1 towards the rule's value.
    up: Option<Expr>,
    down: Option<Expr>,
    /// Nodes whose rates must be recomputed when this one flips.
    dependents: Vec<usize>,
}

/// Sums for one window over a block of trajectories.
#[derive(Default, Clone)]
struct WindowSums {
    states: FxHashMap<State, (f64, f64)>,
    marginals: Vec<(f64, f64)>,
    transition_entropy: (f64, f64),
    hamming: Vec<f64>,
}

impl WindowSums {
    fn add(&mut self, other: WindowSums) {
        // Iterate in a fixed order so the floating-point sums do not depend on hashing.
        let mut entries: Vec<_> = other.states.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (state, (s, q)) in entries {
            let e = self.states.entry(state).or_insert((0.0, 0.0));
            e.0 += s;
            e.1 += q;
        }
        if self.marginals.len() < other.marginals.len() {
            self.marginals.resize(other.marginals.len(), (0.0, 0.0));
        }
        for (a, b) in self.marginals.iter_mut().zip(other.marginals) {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.transition_entropy.0 += other.transition_entropy.0;
        self.transition_entropy.1 += other.transition_entropy.1;
        if self.hamming.len() < other.hamming.len() {
            self.hamming.resize(other.hamming.len(), 0.0);
        }
        for (a, b) in self.hamming.iter_mut().zip(other.hamming) {
            *a += b;
        }
    }
}

/// Trajectories per block: blocks are the unit of parallel work and of summation order.
const BLOCK: usize = 250;

/// Runs `settings.sample_count` trajectories of `model`; `Err` says what in the model or
/// the settings cannot be simulated.
pub fn simulate(
    model: &LogicalModel,
    settings: &StochasticSettings,
) -> Result<Trajectories, String> {
    let n = model.nodes.len();
    if n > MAX_NODES {
        return Err(format!(
            "the model has {n} nodes; stochastic runs take at most {MAX_NODES}"
        ));
    }
    if settings.internal.len() != n || settings.refstate.len() != n {
        return Err("the settings describe a different number of nodes than the model has".into());
    }
    if !(settings.time_tick > 0.0 && settings.max_time > 0.0 && settings.time_tick.is_finite()) {
        return Err("max_time and time_tick must be positive".into());
    }
    if settings.sample_count == 0 {
        return Err("sample_count must be at least 1".into());
    }
    let params: Vec<f64> = model.parameters.iter().map(|p| p.value).collect();
    let dynamics = prepare(model, &params)?;
    let windows = ((settings.max_time / settings.time_tick) - 1e-9)
        .ceil()
        .max(1.0) as usize;
    let mut output_mask: State = [0; 4];
    for i in (0..n).filter(|&i| !settings.internal[i]) {
        flip(&mut output_mask, i);
    }
    let run = Run {
        dynamics: &dynamics,
        params: &params,
        settings,
        windows,
        output_mask,
        nodes: n,
    };
    let blocks = settings.sample_count.div_ceil(BLOCK);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads.max(1))
        .build()
        .map_err(|e| format!("cannot start {} threads: {e}", settings.threads))?;
    let mut total: Vec<WindowSums> = vec![WindowSums::default(); windows];
    // Rounds of blocks bound the memory; within a round, blocks run in parallel and are added
    // in their order.
    let round = 64;
    for first in (0..blocks).step_by(round) {
        let last = (first + round).min(blocks);
        let sums: Vec<Result<Vec<WindowSums>, String>> = pool.install(|| {
            (first..last)
                .into_par_iter()
                .map(|b| run.block(b))
                .collect()
        });
        for block in sums {
            for (t, w) in total.iter_mut().zip(block?) {
                t.add(w);
            }
        }
    }
    Ok(run.finish(model, total))
}

fn prepare(model: &LogicalModel, params: &[f64]) -> Result<Vec<Dynamics>, String> {
    let n = model.nodes.len();
    let mut dynamics: Vec<Dynamics> = Vec::with_capacity(n);
    let mut reads: Vec<Vec<usize>> = Vec::with_capacity(n);
    for node in &model.nodes {
        let mut read = node.rule.nodes();
        for rate in [&node.rate_up, &node.rate_down].into_iter().flatten() {
            for p in parameters(rate) {
                if params.get(p).is_none_or(|v| v.is_nan()) {
                    let name = model.parameters.get(p).map_or("?", |p| p.name.as_str());
                    return Err(format!(
                        "the rates of {} use ${name}, which has no value",
                        node.name
                    ));
                }
            }
            read.extend(rate.nodes());
        }
        reads.push(read);
        dynamics.push(Dynamics {
            rule: node.rule.clone(),
            up: node.rate_up.clone(),
            down: node.rate_down.clone(),
            dependents: Vec::new(),
        });
    }
    for (i, read) in reads.iter().enumerate() {
        // A node's own rate depends on its own value (up or down), always.
        dynamics[i].dependents.push(i);
        for &j in read {
            if !dynamics[j].dependents.contains(&i) {
                dynamics[j].dependents.push(i);
            }
        }
    }
    Ok(dynamics)
}

fn parameters(expr: &Expr) -> Vec<usize> {
    let mut out = Vec::new();
    fn walk(e: &Expr, out: &mut Vec<usize>) {
        match e {
            Expr::Param(p) => out.push(*p),
            Expr::Not(a) | Expr::Neg(a) => walk(a, out),
            Expr::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::Cond(c, a, b) => {
                walk(c, out);
                walk(a, out);
                walk(b, out);
            }
            _ => {}
        }
    }
    walk(expr, &mut out);
    out
}

struct Run<'a> {
    dynamics: &'a [Dynamics],
    params: &'a [f64],
    settings: &'a StochasticSettings,
    windows: usize,
    output_mask: State,
    nodes: usize,
}

/// A splitmix64 step: independent, well-spread seeds for trajectory k of a run.
fn trajectory_seed(seed: u64, k: u64) -> u64 {
    let mut z = seed
        ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in (0, 1].
fn uniform(rng: &mut Pcg64Mcg) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

impl Run<'_> {
    /// The rate at which node `i` flips in `state`.
    fn rate(&self, i: usize, state: &State) -> Result<f64, String> {
        let d = &self.dynamics[i];
        let value = |j: usize| get(state, j);
        let logic = d.rule.holds(&value);
        let on = get(state, i);
        let rate = match (on, &d.up, &d.down) {
            (false, Some(up), _) => up.eval(&value, self.params, logic),
            (true, _, Some(down)) => down.eval(&value, self.params, logic),
            // MaBoSS's defaults: up at rate 1 when the rule holds, down at rate 1 when not.
            (false, None, _) => f64::from(u8::from(logic)),
            (true, _, None) => f64::from(u8::from(!logic)),
        };
        if rate.is_nan() || rate < 0.0 {
            return Err(format!(
                "a rate of node {i} is {rate} in a reachable state; rates must be ≥ 0"
            ));
        }
        Ok(rate)
    }

    fn initial(&self, rng: &mut Pcg64Mcg) -> State {
        let mut state: State = [0; 4];
        let mut set = vec![false; self.nodes];
        for init in &self.settings.initial {
            let total: f64 = init.choices.iter().map(|(p, _)| p).sum();
            let mut u = uniform(rng) * total;
            let mut chosen = init.choices.last();
            for choice in &init.choices {
                if u <= choice.0 {
                    chosen = Some(choice);
                    break;
                }
                u -= choice.0;
            }
            if let Some((_, values)) = chosen {
                for (&node, &v) in init.nodes.iter().zip(values) {
                    if v {
                        flip(&mut state, node);
                    }
                    set[node] = true;
                }
            }
        }
        for (i, done) in set.iter().enumerate() {
            if !done && uniform(rng) <= 0.5 {
                flip(&mut state, i);
            }
        }
        state
    }

    /// The sums of trajectories `b·BLOCK ..` of block `b`.
    fn block(&self, b: usize) -> Result<Vec<WindowSums>, String> {
        let mut sums = vec![
            WindowSums {
                marginals: vec![(0.0, 0.0); self.nodes],
                ..WindowSums::default()
            };
            self.windows
        ];
        let end = ((b + 1) * BLOCK).min(self.settings.sample_count);
        let mut rates = vec![0.0; self.nodes];
        // Whole windows spent in one state, as a difference array over windows (+1 where a
        // run of whole windows starts, -1 where it ends): long dwells and steady states are
        // counted once, not window by window.
        let mut spans = Spans {
            starts: vec![FxHashMap::default(); self.windows + 1],
            entropy: FxHashMap::default(),
        };
        for k in b * BLOCK..end {
            let mut rng = Pcg64Mcg::seed_from_u64(trajectory_seed(self.settings.seed, k as u64));
            let mut state = self.initial(&mut rng);
            for (i, r) in rates.iter_mut().enumerate() {
                *r = self.rate(i, &state)?;
            }
            let mut recorder = Recorder::new(self);
            let mut t = 0.0;
            loop {
                let total: f64 = rates.iter().sum();
                let entropy = transition_entropy(&rates, total);
                if total <= 0.0 {
                    // A steady state: it stays here to the end.
                    recorder.dwell(
                        &state,
                        t,
                        self.settings.max_time,
                        entropy,
                        &mut sums,
                        &mut spans,
                    );
                    break;
                }
                let dt = if self.settings.discrete_time {
                    1.0
                } else {
                    -uniform(&mut rng).ln() / total
                };
                let next = (t + dt).min(self.settings.max_time);
                recorder.dwell(&state, t, next, entropy, &mut sums, &mut spans);
                t += dt;
                if t >= self.settings.max_time {
                    break;
                }
                let mut u = uniform(&mut rng) * total;
                let mut node = self.nodes - 1;
                for (i, r) in rates.iter().enumerate() {
                    if *r > 0.0 {
                        node = i;
                        if u <= *r {
                            break;
                        }
                        u -= r;
                    }
                }
                flip(&mut state, node);
                for &j in &self.dynamics[node].dependents {
                    rates[j] = self.rate(j, &state)?;
                }
            }
            recorder.flush(&mut sums);
        }
        let mut running: FxHashMap<State, f64> = FxHashMap::default();
        let mut ordered: Vec<(State, f64)> = Vec::new();
        for (w, starts) in spans.starts.into_iter().enumerate().take(self.windows) {
            if !starts.is_empty() {
                for (state, change) in starts {
                    *running.entry(state).or_insert(0.0) += change;
                }
                running.retain(|_, count| *count != 0.0);
                ordered = running.iter().map(|(s, c)| (*s, *c)).collect();
                ordered.sort_by(|a, b| a.0.cmp(&b.0));
            }
            let window = &mut sums[w];
            for (state, count) in &ordered {
                // A whole window in one state: its share is 1, and so is its square.
                let key = self.output(state);
                let e = window.states.entry(key).or_insert((0.0, 0.0));
                e.0 += count;
                e.1 += count;
                for (i, m) in window.marginals.iter_mut().enumerate() {
                    if get(state, i) {
                        m.0 += count;
                        m.1 += count;
                    }
                }
                let h = spans.entropy.get(state).copied().unwrap_or(0.0);
                window.transition_entropy.0 += count * h;
                window.transition_entropy.1 += count * h * h;
                let d = self.distance(state);
                if window.hamming.len() <= d {
                    window.hamming.resize(d + 1, 0.0);
                }
                window.hamming[d] += count;
            }
        }
        Ok(sums)
    }

    /// The state as reported: its output nodes only.
    fn output(&self, state: &State) -> State {
        [
            state[0] & self.output_mask[0],
            state[1] & self.output_mask[1],
            state[2] & self.output_mask[2],
            state[3] & self.output_mask[3],
        ]
    }

    /// The Hamming distance to the reference state, over the nodes that have one.
    fn distance(&self, state: &State) -> usize {
        (0..self.nodes)
            .filter(|&i| self.settings.refstate[i].is_some_and(|r| r != get(state, i)))
            .count()
    }

    fn finish(&self, model: &LogicalModel, total: Vec<WindowSums>) -> Trajectories {
        let n = self.settings.sample_count as f64;
        let error = |sum: f64, squares: f64| {
            if n > 1.0 {
                let mean = sum / n;
                ((squares / n - mean * mean).max(0.0) / (n - 1.0)).sqrt()
            } else {
                0.0
            }
        };
        let outputs: Vec<usize> = (0..self.nodes)
            .filter(|&i| !self.settings.internal[i])
            .collect();
        let name = |state: &State| {
            let on: Vec<&str> = outputs
                .iter()
                .filter(|&&i| get(state, i))
                .map(|&i| model.nodes[i].name.as_str())
                .collect();
            if on.is_empty() {
                "<nil>".to_owned()
            } else {
                on.join(" -- ")
            }
        };
        let windows = total
            .into_iter()
            .enumerate()
            .map(|(j, w)| {
                let mut states: Vec<StateProbability> = w
                    .states
                    .iter()
                    .map(|(state, (s, q))| StateProbability {
                        state: name(state),
                        probability: s / n,
                        error: error(*s, *q),
                    })
                    .collect();
                states.sort_by(|a, b| {
                    b.probability
                        .total_cmp(&a.probability)
                        .then_with(|| a.state.cmp(&b.state))
                });
                let entropy = -states
                    .iter()
                    .filter(|s| s.probability > 0.0)
                    .map(|s| s.probability * s.probability.log2())
                    .sum::<f64>();
                Window {
                    time: j as f64 * self.settings.time_tick,
                    states,
                    marginals: w
                        .marginals
                        .iter()
                        .map(|(s, q)| (s / n, error(*s, *q)))
                        .collect(),
                    entropy: entropy.max(0.0),
                    transition_entropy: w.transition_entropy.0 / n,
                    transition_entropy_error: error(w.transition_entropy.0, w.transition_entropy.1),
                    hamming: w.hamming.iter().map(|h| h / n).collect(),
                }
            })
            .collect();
        Trajectories {
            nodes: model.nodes.iter().map(|n| n.name.clone()).collect(),
            outputs: outputs
                .iter()
                .map(|&i| model.nodes[i].name.clone())
                .collect(),
            trajectories: self.settings.sample_count,
            seed: self.settings.seed,
            windows,
        }
    }
}

fn transition_entropy(rates: &[f64], total: f64) -> f64 {
    if total <= 0.0 {
        return 0.0;
    }
    -rates
        .iter()
        .filter(|r| **r > 0.0)
        .map(|r| {
            let p = r / total;
            p * p.log2()
        })
        .sum::<f64>()
}

/// Runs of whole windows spent in one state, over a block of trajectories.
struct Spans {
    /// Per window: the change in how many trajectories spend the whole window in each state.
    starts: Vec<FxHashMap<State, f64>>,
    /// The transition entropy of each state seen in a run.
    entropy: FxHashMap<State, f64>,
}

/// One trajectory's time shares in its current window, added to the block's sums when the
/// window is done (the squares need whole-window shares per trajectory).
struct Recorder<'a> {
    run: &'a Run<'a>,
    window: usize,
    states: Vec<(State, f64)>,
    on: Vec<f64>,
    /// The nodes with a share in `on` this window.
    touched: Vec<usize>,
    entropy: f64,
    hamming: Vec<f64>,
}

impl<'a> Recorder<'a> {
    fn new(run: &'a Run<'a>) -> Self {
        Recorder {
            run,
            window: 0,
            states: Vec::new(),
            on: vec![0.0; run.nodes],
            touched: Vec::new(),
            entropy: 0.0,
            hamming: Vec::new(),
        }
    }

    /// The trajectory is in `state` from `from` to `to`.
    fn dwell(
        &mut self,
        state: &State,
        from: f64,
        to: f64,
        entropy: f64,
        sums: &mut [WindowSums],
        spans: &mut Spans,
    ) {
        let tick = self.run.settings.time_tick;
        let mut t = from;
        while t < to && self.window < self.run.windows {
            let start = self.window as f64 * tick;
            if self.states.is_empty() && t <= start && to >= start + tick {
                // Whole windows in this one state: one entry in the difference array.
                let whole = (((to - start) / tick) + 1e-9).floor() as usize;
                let whole = whole.clamp(1, self.run.windows - self.window);
                *spans.starts[self.window].entry(*state).or_insert(0.0) += 1.0;
                *spans.starts[self.window + whole]
                    .entry(*state)
                    .or_insert(0.0) -= 1.0;
                spans.entropy.insert(*state, entropy);
                self.window += whole;
                t = self.window as f64 * tick;
                continue;
            }
            let end = ((self.window + 1) as f64 * tick).min(to);
            let share = (end - t) / tick;
            if share > 0.0 {
                let key = self.run.output(state);
                match self.states.iter_mut().find(|(s, _)| *s == key) {
                    Some(entry) => entry.1 += share,
                    None => self.states.push((key, share)),
                }
                // Visit the nodes that are on only (set bits), not every node.
                for (w, word) in state.iter().enumerate() {
                    let mut bits = *word;
                    while bits != 0 {
                        let i = w * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        if self.on[i] == 0.0 {
                            self.touched.push(i);
                        }
                        self.on[i] += share;
                    }
                }
                self.entropy += share * entropy;
                let distance = self.run.distance(state);
                if self.hamming.len() <= distance {
                    self.hamming.resize(distance + 1, 0.0);
                }
                self.hamming[distance] += share;
            }
            if end >= ((self.window + 1) as f64 * tick) - 1e-12 * tick {
                self.flush(sums);
                self.window += 1;
            }
            t = end;
        }
    }

    /// Adds the current window's shares to the sums and clears them.
    fn flush(&mut self, sums: &mut [WindowSums]) {
        let Some(w) = sums.get_mut(self.window) else {
            return;
        };
        for (state, share) in self.states.drain(..) {
            let e = w.states.entry(state).or_insert((0.0, 0.0));
            e.0 += share;
            e.1 += share * share;
        }
        for i in self.touched.drain(..) {
            let on = std::mem::take(&mut self.on[i]);
            w.marginals[i].0 += on;
            w.marginals[i].1 += on * on;
        }
        w.transition_entropy.0 += self.entropy;
        w.transition_entropy.1 += self.entropy * self.entropy;
        self.entropy = 0.0;
        if w.hamming.len() < self.hamming.len() {
            w.hamming.resize(self.hamming.len(), 0.0);
        }
        for (a, b) in w.hamming.iter_mut().zip(self.hamming.iter_mut()) {
            *a += *b;
            *b = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_that_turns_on_at_rate_one() {
        // P(on at t) = 1 - exp(-t) from an off start; the window [t, t+tick) averages it.
        let mut model = LogicalModel::from_rules(&[("A", "true")]).expect("rules");
        model.nodes[0].rate_down = Some(Expr::Num(0.0));
        let mut settings = StochasticSettings::for_nodes(1);
        settings.max_time = 3.0;
        settings.time_tick = 1.0;
        settings.sample_count = 20_000;
        settings.initial.push(crate::model::logical::InitialState {
            nodes: vec![0],
            choices: vec![(1.0, vec![false])],
        });
        let run = simulate(&model, &settings).expect("runs");
        for (j, w) in run.windows.iter().enumerate() {
            let t = j as f64;
            // The mean of 1 - e^-s over [t, t+1].
            let exact = 1.0 - ((-t).exp() - (-(t + 1.0)).exp());
            let (p, e) = w.marginals[0];
            assert!(
                (p - exact).abs() < 4.0 * e + 1e-9,
                "window {j}: {p} vs {exact} (se {e})"
            );
        }
        settings.threads = 2;
        assert_eq!(
            simulate(&model, &settings).expect("runs"),
            run,
            "thread count changes nothing"
        );
    }

    #[test]
    fn a_target_at_occupancy_f_is_on_a_fraction_one_minus_f_of_the_time() {
        // A held-on node (an amplified receptor) under an inhibitor at occupancy 0.75, then a
        // second at 0.5: at equilibrium it is on 0.25, then 0.125 of the time.
        use crate::model::logical::RateScale;
        let held = LogicalModel::from_rules(&[("R", "R")])
            .expect("rules")
            .with_fixed(&[("R".to_owned(), true)])
            .expect("held");
        let first = (
            "R".to_owned(),
            RateScale {
                up: 0.25,
                off: 0.75,
            },
        );
        let second = ("R".to_owned(), RateScale { up: 0.5, off: 0.5 });
        let mut settings = StochasticSettings::for_nodes(1);
        settings.max_time = 60.0;
        settings.time_tick = 10.0;
        settings.sample_count = 20_000;
        for (scales, expected) in [(vec![first.clone()], 0.25), (vec![first, second], 0.125)] {
            let model = held.with_rates_scaled(&scales).expect("scaled");
            let run = simulate(&model, &settings).expect("runs");
            let (p, e) = run.last().expect("windows").marginals[0];
            assert!(
                (p - expected).abs() < 4.0 * e + 1e-3,
                "{p} vs {expected} (se {e})"
            );
        }
        assert!(held
            .with_rates_scaled(&[("S".to_owned(), RateScale { up: 1.0, off: 0.0 })])
            .is_err());
    }
}
