//! What were a simulation's values at an earlier time? The past that `delay(x, d)` reads: the
//! states' trajectory as the integrator computed it (every accepted step's interpolating
//! polynomial), the values events gave to the other slots that delayed values read, and,
//! before the start, the model's initial definitions read at that time.
//!
//! A delayed value is `x` computed afresh at `t − d` from the states and slots there, rather
//! than `x` recorded as it went: `x` at any earlier time is then as accurate as the trajectory,
//! and a delayed value inside `x` is looked up in turn (the compiler refuses loops of those).

use super::compile::{OdeModel, Step};
use super::solver::{AcceptedStep, SolverError};

/// The most nodes a step is sampled at: enough to reproduce the BDF polynomial of the
/// highest order, 5, exactly.
const MAX_NODES: usize = 6;

/// One piece of the trajectory: a polynomial given by its values at `nodes` node times.
struct Segment {
    start: f64,
    /// Lookups past the end of the last segment extrapolate it (a delay shorter than the
    /// step being taken reads into that step, as the integrator's predictor does).
    end: f64,
    first_node: usize,
    nodes: usize,
}

/// The past of one simulation run.
pub struct Past<'m> {
    model: &'m OdeModel,
    /// The start buffer: before the start, delayed values are read over it.
    initial: &'m [f64],
    start: f64,
    /// In time order, each starting where the one before ends; a restart (an event, the
    /// start) begins with a single-node segment holding the state there.
    segments: Vec<Segment>,
    node_times: Vec<f64>,
    /// The states in `model.history_states` at each node, node after node.
    node_values: Vec<f64>,
    /// From each of these times on (the start, events), the values of
    /// `model.history_slots`, time after time in `snapshot_values`.
    snapshot_times: Vec<f64>,
    snapshot_values: Vec<f64>,
    /// A work buffer per depth of nested lookups (a delayed value inside a delayed `x`).
    scratch: Vec<Vec<f64>>,
    /// Per delayed value, the segment and the snapshot its last lookup found: lookups at a
    /// fixed lag move forward a little at a time, so they are tried first.
    hints: Vec<(usize, usize)>,
    y: Vec<f64>,
    /// The first thing that went wrong (a negative delay, a fast reaction without
    /// equilibrium), reported by the simulator.
    problem: Option<String>,
}

impl<'m> Past<'m> {
    /// The past of a run that starts at `t0` with the state `y0` and the start buffer
    /// `initial`.
    pub fn new(model: &'m OdeModel, initial: &'m [f64], t0: f64, y0: &[f64]) -> Self {
        let mut past = Past {
            model,
            initial,
            start: t0,
            segments: Vec::new(),
            node_times: Vec::new(),
            node_values: Vec::new(),
            snapshot_times: Vec::new(),
            snapshot_values: Vec::new(),
            scratch: Vec::new(),
            hints: vec![(0, 0); model.delays.len()],
            y: vec![0.0; model.states.len()],
            problem: None,
        };
        past.restart(t0, y0, initial);
        past
    }

    /// From `t` on, the past continues from the state `y` and the slots of `buffer`, whatever
    /// was recorded beyond `t` (steps the integrator took past an event) is forgotten.
    pub fn restart(&mut self, t: f64, y: &[f64], buffer: &[f64]) {
        let model = self.model;
        while self.segments.last().is_some_and(|s| s.start >= t) {
            if let Some(s) = self.segments.pop() {
                self.node_times.truncate(s.first_node);
                self.node_values
                    .truncate(s.first_node * model.history_states.len());
            }
        }
        if let Some(last) = self.segments.last_mut() {
            last.end = last.end.min(t);
        }
        if !model.history_states.is_empty() {
            self.segments.push(Segment {
                start: t,
                end: t,
                first_node: self.node_times.len(),
                nodes: 1,
            });
            self.node_times.push(t);
            self.node_values.extend(
                model
                    .history_states
                    .iter()
                    .map(|&i| y.get(i).copied().unwrap_or(f64::NAN)),
            );
        }
        if !model.history_slots.is_empty() {
            let kept = self.snapshot_times.partition_point(|&s| s < t);
            self.snapshot_times.truncate(kept);
            self.snapshot_values
                .truncate(kept * model.history_slots.len());
            self.snapshot_times.push(t);
            self.snapshot_values.extend(
                model
                    .history_slots
                    .iter()
                    .map(|&s| buffer.get(s).copied().unwrap_or(f64::NAN)),
            );
        }
    }

    /// Keeps a step the integrator accepted: its polynomial sampled at Chebyshev–Lobatto nodes,
    /// as many as reproduce it exactly.
    pub fn record(&mut self, step: &mut AcceptedStep<'_>) -> Result<(), SolverError> {
        let model = self.model;
        if model.history_states.is_empty() || step.end.is_nan() || step.end <= step.start {
            return Ok(());
        }
        let count = step.order.clamp(1, MAX_NODES - 1) + 1;
        let (mid, half) = (0.5 * (step.start + step.end), 0.5 * (step.end - step.start));
        let mut times = [0.0; MAX_NODES];
        let mut nodes = 0;
        for j in 0..count {
            let s = match j {
                0 => step.start,
                _ if j == count - 1 => step.end,
                _ => mid - half * (std::f64::consts::PI * j as f64 / (count - 1) as f64).cos(),
            };
            // a step a few ulps long may round nodes together; fewer nodes then do
            if nodes == 0 || s > times[nodes - 1] {
                times[nodes] = s;
                nodes += 1;
            }
        }
        let first_node = self.node_times.len();
        for &s in &times[..nodes] {
            step.state_at(s, &mut self.y)?;
            self.node_times.push(s);
            let y = &self.y;
            self.node_values
                .extend(model.history_states.iter().map(|&i| y[i]));
        }
        if let Some(last) = self.segments.last_mut() {
            last.end = last.end.min(step.start);
        }
        self.segments.push(Segment {
            start: step.start,
            end: step.end,
            first_node,
            nodes,
        });
        Ok(())
    }

    /// The value of the model's `index`th delayed value at `t`, its delay being `d`: its `x` at
    /// `t − d`. `depth` counts the lookups this one is nested in.
    pub fn delayed(&mut self, index: usize, t: f64, d: f64, depth: usize) -> f64 {
        let model = self.model;
        let Some(delayed) = model.delays.get(index) else {
            return f64::NAN;
        };
        if d.is_nan() || d < 0.0 {
            self.report(format!(
                "{} has a negative or undefined delay ({d}) at t = {t}",
                delayed.label
            ));
            return f64::NAN;
        }
        let tau = t - d;
        if tau < self.start {
            return delayed.before_start.eval(self.initial, tau);
        }
        // The compiler refuses delayed values that read themselves, so nesting is bounded by
        // their number; this only guards against that check being bypassed.
        if depth > model.delays.len() {
            self.report(format!(
                "{} reads itself through other delayed values",
                delayed.label
            ));
            return f64::NAN;
        }
        while self.scratch.len() <= depth {
            self.scratch.push(self.initial.to_vec());
        }
        let mut buffer = std::mem::take(&mut self.scratch[depth]);
        self.write_states(index, tau, &mut buffer);
        self.write_slots(index, tau, &mut buffer);
        if let Some(problem) = model.settle(&mut buffer, tau) {
            self.report(problem);
        }
        let steps = delayed.steps.iter().filter_map(|&i| model.steps.get(i));
        compute(model, steps, &mut buffer, tau, self, depth + 1);
        let value = delayed.value.eval(&buffer, tau);
        self.scratch[depth] = buffer;
        value
    }

    /// The first problem met (a negative delay, a fast reaction without equilibrium), once.
    pub fn take_problem(&mut self) -> Option<String> {
        self.problem.take()
    }

    /// Keeps `problem` for the simulator to report, unless one came first.
    pub fn report(&mut self, problem: String) {
        self.problem.get_or_insert(problem);
    }

    /// The recorded states at `tau` (≥ the start) into `buffer`, for the `index`th delayed
    /// value.
    fn write_states(&mut self, index: usize, tau: f64, buffer: &mut [f64]) {
        let model = self.model;
        let m = model.history_states.len();
        if m == 0 {
            return;
        }
        // the last segment starting at or before tau: at a restart, the state after it
        let segments = &self.segments;
        let Some(hint) = self.hints.get_mut(index) else {
            return;
        };
        let Some(i) = last_at_or_before(segments.len(), |i| segments[i].start, tau, &mut hint.0)
        else {
            return;
        };
        let segment = &segments[i];
        let times = &self.node_times[segment.first_node..segment.first_node + segment.nodes];
        let mut weights = [0.0; MAX_NODES];
        lagrange_weights(times, tau, &mut weights);
        let values =
            &self.node_values[segment.first_node * m..(segment.first_node + segment.nodes) * m];
        for (k, &state) in model.history_states.iter().enumerate() {
            let v: f64 = (0..segment.nodes)
                .map(|j| weights[j] * values[j * m + k])
                .sum();
            buffer[model.n_named + state] = v;
        }
    }

    /// The recorded slots at `tau` (≥ the start) into `buffer`, for the `index`th delayed
    /// value.
    fn write_slots(&mut self, index: usize, tau: f64, buffer: &mut [f64]) {
        let slots = &self.model.history_slots;
        if slots.is_empty() {
            return;
        }
        let times = &self.snapshot_times;
        let Some(hint) = self.hints.get_mut(index) else {
            return;
        };
        let Some(i) = last_at_or_before(times.len(), |i| times[i], tau, &mut hint.1) else {
            return;
        };
        let m = slots.len();
        if let Some(values) = self.snapshot_values.get(i * m..(i + 1) * m) {
            for (&slot, &v) in slots.iter().zip(values) {
                buffer[slot] = v;
            }
        }
    }
}

/// The index of the last of `len` ascending times (`time_of(i)`) at or before `t` (the first
/// when all are after it), trying `hint` and the one after it first; `hint` becomes the answer.
fn last_at_or_before(
    len: usize,
    time_of: impl Fn(usize) -> f64,
    t: f64,
    hint: &mut usize,
) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let fits = |i: usize| time_of(i) <= t && (i + 1 == len || time_of(i + 1) > t);
    let found = if *hint < len && fits(*hint) {
        *hint
    } else if *hint + 1 < len && fits(*hint + 1) {
        *hint + 1
    } else {
        // binary search: the first index whose time is after t, less one
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if time_of(mid) <= t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.saturating_sub(1)
    };
    *hint = found;
    Some(found)
}

/// The Lagrange basis of the nodes `times` at `t`, into `weights`: the polynomial through
/// values v_j at the nodes is Σ weights[j]·v_j there (exactly v_j at a node).
fn lagrange_weights(times: &[f64], t: f64, weights: &mut [f64]) {
    for (j, &tj) in times.iter().enumerate() {
        weights[j] = times
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != j)
            .map(|(_, &tk)| (t - tk) / (tj - tk))
            .product();
    }
}

/// Runs `steps` over `buffer` at `t`: a program's slot from the buffer, a delayed value from
/// `past` (`depth` being the lookups this is nested in).
pub(super) fn compute<'s>(
    model: &OdeModel,
    steps: impl Iterator<Item = &'s Step>,
    buffer: &mut [f64],
    t: f64,
    past: &mut Past<'_>,
    depth: usize,
) {
    for step in steps {
        match step {
            Step::Compute(slot, program) => buffer[*slot] = program.eval(buffer, t),
            Step::Delayed { slot, index } => {
                let d = model
                    .delays
                    .get(*index)
                    .map_or(f64::NAN, |delayed| delayed.delay.eval(buffer, t));
                buffer[*slot] = past.delayed(*index, t, d, depth);
            }
        }
    }
}
