//! What are a compiled model's values over time? Integrates an `OdeModel` with the BDF solver
//! and carries out SBML events between solver segments: triggers watched as roots, delays,
//! priorities, persistence, initial trigger values, and values taken at trigger or execution time.
//! Delayed values (`delay(x, d)`) are read from the run's past (`history`), with the solver
//! restarted where they jump; fast reactions are kept at their equilibrium, the slow rates
//! projected onto it.

use std::fmt;
use std::sync::Mutex;

use rand_pcg::rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::compile::{FastSubsystem, JacobianEntry, OdeModel, Target};
use super::history::{compute, Past};
use super::solver::{AcceptedStep, Advance, Solver, SolverError, System, Tolerances};

/// A failure while simulating, with the time it happened at.
#[derive(Debug)]
pub struct SimulationError(pub String);

impl fmt::Display for SimulationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SimulationError {}

impl From<SolverError> for SimulationError {
    fn from(e: SolverError) -> Self {
        SimulationError(e.to_string())
    }
}

/// The values of every symbol at each output time.
pub struct Trajectory {
    pub times: Vec<f64>,
    /// One buffer (named symbols, then states) per output time.
    pub points: Vec<Vec<f64>>,
}

/// How a species is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    Amount,
    Concentration,
    /// As math reads it: the concentration, or the amount for species with only substance units.
    AsIs,
}

impl OdeModel {
    /// The value of `name` in an output buffer; `None` when the model has no such symbol.
    pub fn value(&self, point: &[f64], name: &str, quantity: Quantity) -> Option<f64> {
        if let Some(s) = self.species.iter().find(|s| s.id == name) {
            let v = point[s.value];
            let size = point[s.compartment];
            let amount = if s.value_is_amount { v } else { v * size };
            return Some(match quantity {
                Quantity::AsIs => v,
                Quantity::Amount => amount,
                Quantity::Concentration if s.value_is_amount && size != 0.0 => amount / size,
                Quantity::Concentration => v,
            });
        }
        self.index.get(name).map(|&i| point[i])
    }

    /// Recomputes the buffer's computed symbols from the state `y` at time `t` (moved to the
    /// fast reactions' equilibrium), delayed values from `past`.
    fn fill(&self, buffer: &mut [f64], t: f64, y: &[f64], past: &mut Past<'_>) {
        buffer[self.n_named..self.n_named + y.len()].copy_from_slice(y);
        if let Some(fused) = &self.fused {
            // (a fused model has neither fast reactions nor delays)
            fused.fill.run(buffer, t, &mut []);
            return;
        }
        if let Some(problem) = self.settle(buffer, t) {
            past.report(problem);
        }
        compute(self, self.steps.iter(), buffer, t, past, 0);
    }

    /// Moves the states in `buffer` to the fast reactions' equilibrium at `t`; where there is
    /// none, they become NaN (so that nothing goes on from a wrong state) and the problem is
    /// returned.
    pub(super) fn settle(&self, buffer: &mut [f64], t: f64) -> Option<String> {
        let fast = self.fast.as_ref()?;
        let problem = fast.equilibrate(buffer, self.n_named, t).err()?;
        for &k in &fast.states {
            buffer[self.n_named + k] = f64::NAN;
        }
        Some(problem)
    }
}

/// The value of a Jacobian entry (or a fast reaction's slope) at the buffer's state.
fn entry_value(entry: &JacobianEntry, buffer: &mut [f64], n_named: usize, t: f64) -> f64 {
    match entry {
        JacobianEntry::Exact(p) => p.eval(buffer, t),
        JacobianEntry::Difference { row, state } => {
            // Central difference of the inlined row (it reads states and constants only).
            let slot = n_named + state;
            let at = buffer[slot];
            let h = 1e-7 * at.abs().max(1e-7);
            buffer[slot] = at + h;
            let up = row.eval(buffer, t);
            buffer[slot] = at - h;
            let down = row.eval(buffer, t);
            buffer[slot] = at;
            (up - down) / (2.0 * h)
        }
    }
}

/// How precisely an extent is found, relative to its size.
const EXTENT_PRECISION: f64 = 4.0 * f64::EPSILON;

/// Doublings of the search step while bracketing a fast reaction's equilibrium (from the
/// first guess, 2^200 times further than anything finite).
const MAX_BRACKET_DOUBLINGS: usize = 200;

/// Iterations allowed to narrow down an equilibrium (Newton converges in a handful; this
/// bounds pathological rates).
const MAX_EXTENT_ITERATIONS: usize = 200;

/// How small a rate must get, relative to where the search started, for its root to count as
/// an equilibrium rather than a jump across 0.
const EQUILIBRIUM_RATE_RATIO: f64 = 1e-8;

impl FastSubsystem {
    /// Moves the states in `buffer` (from `n_named` on) to the equilibrium at `t`, block by
    /// block (blocks do not touch each other's rates).
    fn equilibrate(&self, buffer: &mut [f64], n_named: usize, t: f64) -> Result<(), String> {
        for block in &self.blocks {
            match block[..] {
                [f] => self.settle_one(f, buffer, n_named, t)?,
                _ => self.settle_jointly(block, buffer, n_named, t)?,
            }
        }
        Ok(())
    }

    /// The `f`th reaction's direction at the buffer: (slot, change per unit of extent).
    fn direction(&self, f: usize, buffer: &[f64], n_named: usize, t: f64) -> Vec<(usize, f64)> {
        self.reactions[f]
            .direction
            .iter()
            .map(|(k, p)| (n_named + k, p.eval(buffer, t)))
            .collect()
    }

    /// d rate_f / d extent along `direction`, at the buffer's state.
    fn slope_along(
        &self,
        f: usize,
        direction: &[(usize, f64)],
        buffer: &mut [f64],
        n_named: usize,
        t: f64,
    ) -> f64 {
        let mut slope = 0.0;
        for (k, entry) in &self.reactions[f].slopes {
            if let Some((_, c)) = direction.iter().find(|(slot, _)| *slot == n_named + k) {
                slope += c * entry_value(entry, buffer, n_named, t);
            }
        }
        slope
    }

    /// One fast reaction on its own: it runs the way its rate says, so its equilibrium is the
    /// first root of the rate along its direction that way (a stable one). Bracketed by
    /// doubling steps, then narrowed by Newton's method kept inside the bracket (bisection
    /// where a Newton step would leave it).
    fn settle_one(
        &self,
        f: usize,
        buffer: &mut [f64],
        n_named: usize,
        t: f64,
    ) -> Result<(), String> {
        let reaction = &self.reactions[f];
        let direction = self.direction(f, buffer, n_named, t);
        let base: Vec<f64> = direction.iter().map(|(slot, _)| buffer[*slot]).collect();
        let at = |xi: f64, buffer: &mut [f64]| {
            for ((slot, c), b) in direction.iter().zip(&base) {
                buffer[*slot] = b + c * xi;
            }
            reaction.rate.eval(buffer, t)
        };
        let v0 = reaction.rate.eval(buffer, t);
        if v0 == 0.0 {
            return Ok(());
        }
        if !v0.is_finite() {
            return Err(format!(
                "fast reaction {}: its rate is {v0} at t = {t}",
                reaction.id
            ));
        }
        let sign = v0.signum();
        // the extent that empties the species it moves, as a scale
        let scale = direction
            .iter()
            .zip(&base)
            .map(|((_, c), b)| (b / c).abs())
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max);
        let slope = self.slope_along(f, &direction, buffer, n_named, t);
        let mut step = if slope * sign < 0.0 {
            (v0 / slope).abs()
        } else if scale > 0.0 {
            scale
        } else {
            1.0
        };
        // lo: the rate still has its first sign; hi: it has not (or is undefined)
        let (mut lo, mut v_lo, mut hi) = (0.0, v0, f64::NAN);
        for _ in 0..MAX_BRACKET_DOUBLINGS {
            let x = lo + sign * step;
            let v = at(x, buffer);
            if v == 0.0 {
                return Ok(());
            }
            if v.is_nan() || v.signum() != sign {
                hi = x;
                break;
            }
            (lo, v_lo) = (x, v);
            step *= 2.0;
        }
        if hi.is_nan() {
            at(0.0, buffer);
            return Err(format!(
                "fast reaction {} has no equilibrium at t = {t}: its rate keeps its sign however far it runs",
                reaction.id
            ));
        }
        let tolerance = |x: f64| EXTENT_PRECISION * x.abs().max(1e-3 * scale);
        let (mut x, mut v, mut slope) = (lo, v_lo, 0.0);
        for _ in 0..MAX_EXTENT_ITERATIONS {
            at(x, buffer);
            slope = self.slope_along(f, &direction, buffer, n_named, t);
            let mut next = x - v / slope;
            if !next.is_finite() || (next - lo) * (next - hi) >= 0.0 {
                next = 0.5 * (lo + hi);
            }
            let v_next = at(next, buffer);
            if v_next == 0.0 {
                return Ok(());
            }
            if v_next.is_nan() || v_next.signum() != sign {
                hi = next;
            } else {
                lo = next;
            }
            let converged = (next - x).abs() <= tolerance(next) || (hi - lo).abs() <= tolerance(hi);
            (x, v) = (next, v_next);
            if converged {
                break;
            }
        }
        if at_equilibrium(v, v0, slope.abs() * tolerance(x)) {
            at(x, buffer);
            return Ok(());
        }
        at(0.0, buffer);
        Err(format!(
            "fast reaction {} has no equilibrium at t = {t}: its rate changes sign without passing through 0",
            reaction.id
        ))
    }

    /// Fast reactions that read what the others move: Newton's method on all their rates at
    /// once, from the current state, each step halved until it brings the rates closer to 0.
    fn settle_jointly(
        &self,
        block: &[usize],
        buffer: &mut [f64],
        n_named: usize,
        t: f64,
    ) -> Result<(), String> {
        let m = block.len();
        let ids = || {
            block
                .iter()
                .map(|&f| self.reactions[f].id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let directions: Vec<Vec<(usize, f64)>> = block
            .iter()
            .map(|&f| self.direction(f, buffer, n_named, t))
            .collect();
        let mut slots: Vec<usize> = directions.iter().flatten().map(|(s, _)| *s).collect();
        slots.sort_unstable();
        slots.dedup();
        let base: Vec<f64> = slots.iter().map(|&s| buffer[s]).collect();
        let scale = directions
            .iter()
            .flatten()
            .map(|(slot, c)| (buffer[*slot] / c).abs())
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max);
        let rates = |xi: &[f64], buffer: &mut [f64]| -> Vec<f64> {
            for (slot, b) in slots.iter().zip(&base) {
                buffer[*slot] = *b;
            }
            for (direction, x) in directions.iter().zip(xi) {
                for (slot, c) in direction {
                    buffer[*slot] += c * x;
                }
            }
            block
                .iter()
                .map(|&f| self.reactions[f].rate.eval(buffer, t))
                .collect()
        };
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let mut xi = vec![0.0; m];
        let mut v = rates(&xi, buffer);
        let v0 = norm(&v);
        if !v0.is_finite() {
            return Err(format!(
                "fast reactions {}: their rates are not finite at t = {t}",
                ids()
            ));
        }
        // how much the rates can move within the extents' precision: the rounding level
        let mut rounding = 0.0;
        for _ in 0..MAX_EXTENT_ITERATIONS {
            if norm(&v) == 0.0 {
                break;
            }
            // a[i][g]: d rate_i / d extent_g (the buffer is at xi)
            let mut a = vec![0.0; m * m];
            for (i, &f) in block.iter().enumerate() {
                for (g, direction) in directions.iter().enumerate() {
                    a[i * m + g] = self.slope_along(f, direction, buffer, n_named, t);
                }
            }
            let size = xi.iter().fold(1e-3 * scale, |m, x| m.max(x.abs()));
            rounding = a.iter().fold(0.0_f64, |m, x| m.max(x.abs())) * EXTENT_PRECISION * size;
            let mut delta: Vec<f64> = v.iter().map(|x| -x).collect();
            if !solve_dense(&mut a, &mut delta, m) {
                rates(&vec![0.0; m], buffer);
                return Err(format!(
                    "fast reactions {}: their equilibrium is not determined at t = {t} (their rates do not depend independently on their extents)",
                    ids()
                ));
            }
            let before = norm(&v);
            let mut lambda = 1.0;
            loop {
                let trial: Vec<f64> = xi.iter().zip(&delta).map(|(x, d)| x + lambda * d).collect();
                let v_trial = rates(&trial, buffer);
                let n = norm(&v_trial);
                if (n.is_finite() && n <= (1.0 - 1e-4 * lambda) * before) || lambda < 1e-10 {
                    (xi, v) = (trial, v_trial);
                    break;
                }
                lambda *= 0.5;
            }
            let size = xi.iter().fold(scale, |m, x| m.max(x.abs()));
            if delta
                .iter()
                .all(|d| (lambda * d).abs() <= EXTENT_PRECISION * size)
            {
                break;
            }
        }
        if at_equilibrium(norm(&v), v0, rounding) {
            return Ok(());
        }
        rates(&vec![0.0; m], buffer);
        Err(format!(
            "fast reactions {}: no joint equilibrium found at t = {t}",
            ids()
        ))
    }

    /// Projects the slow rates `dy` onto the equilibrium (the buffer holds it): the part that
    /// would move a fast reaction's rate off 0 is taken back along the fast directions,
    /// `dy − N·(V·N)⁻¹·V·dy`, so that the state stays at equilibrium as the totals change.
    fn project(&self, buffer: &mut [f64], n_named: usize, t: f64, dy: &mut [f64]) {
        for block in &self.blocks {
            let m = block.len();
            let directions: Vec<Vec<(usize, f64)>> = block
                .iter()
                .map(|&f| self.direction(f, buffer, n_named, t))
                .collect();
            let mut a = vec![0.0; m * m];
            let mut b = vec![0.0; m];
            for (i, &f) in block.iter().enumerate() {
                for (k, entry) in &self.reactions[f].slopes {
                    let d = entry_value(entry, buffer, n_named, t);
                    b[i] += d * dy[*k];
                    for (g, direction) in directions.iter().enumerate() {
                        if let Some((_, c)) = direction.iter().find(|(s, _)| *s == n_named + k) {
                            a[i * m + g] += d * c;
                        }
                    }
                }
            }
            // rates that do not depend on their extents (a rate constant of 0) hold nothing
            if !solve_dense(&mut a, &mut b, m) {
                continue;
            }
            for (direction, u) in directions.iter().zip(&b) {
                for (slot, c) in direction {
                    dy[slot - n_named] -= c * u;
                }
            }
        }
    }

    /// The Jacobian of the projected right-hand side, `P·J·P` with `P = I − N·W`,
    /// `W = (V·N)⁻¹·V`, from the slow Jacobian's values `slow` (in `pattern` order of
    /// [`OdeModel::jacobian_pattern`]) into `out` (in [`FastSubsystem::pattern`] order). It
    /// leaves out how P itself changes with the state (second derivatives of the fast rates),
    /// which only slows Newton's convergence a little where the equilibrium curves.
    fn project_jacobian(
        &self,
        model: &OdeModel,
        buffer: &mut [f64],
        t: f64,
        slow: &[f64],
        out: &mut [f64],
    ) {
        let n = model.states.len();
        let nf = self.reactions.len();
        let n_named = model.n_named;
        let mut nmat = vec![0.0; n * nf];
        let mut vmat = vec![0.0; nf * n];
        for (f, reaction) in self.reactions.iter().enumerate() {
            for (k, p) in &reaction.direction {
                nmat[k * nf + f] = p.eval(buffer, t);
            }
            for (k, entry) in &reaction.slopes {
                vmat[f * n + k] = entry_value(entry, buffer, n_named, t);
            }
        }
        let mut w = vec![0.0; nf * n];
        for block in &self.blocks {
            let m = block.len();
            let mut a = vec![0.0; m * m];
            for (i, &f) in block.iter().enumerate() {
                for (j, &g) in block.iter().enumerate() {
                    a[i * m + j] = (0..n).map(|k| vmat[f * n + k] * nmat[k * nf + g]).sum();
                }
            }
            for c in 0..n {
                let mut column: Vec<f64> = block.iter().map(|&f| vmat[f * n + c]).collect();
                if column.iter().all(|x| *x == 0.0) {
                    continue;
                }
                let mut lu = a.clone();
                if !solve_dense(&mut lu, &mut column, m) {
                    break;
                }
                for (&f, x) in block.iter().zip(&column) {
                    w[f * n + c] = *x;
                }
            }
        }
        let mut jn = vec![0.0; n * nf];
        let mut wj = vec![0.0; nf * n];
        for (&(r, c), &value) in model.jacobian_pattern.iter().zip(slow) {
            for f in 0..nf {
                jn[r * nf + f] += value * nmat[c * nf + f];
                wj[f * n + c] += w[f * n + r] * value;
            }
        }
        let mut wjn = vec![0.0; nf * nf];
        for f in 0..nf {
            for g in 0..nf {
                wjn[f * nf + g] = (0..n).map(|r| w[f * n + r] * jn[r * nf + g]).sum();
            }
        }
        for (i, &(r, c)) in self.pattern.iter().enumerate() {
            let mut value = self.slow_entry[i].map_or(0.0, |j| slow[j]);
            for f in 0..nf {
                value -= nmat[r * nf + f] * wj[f * n + c] + jn[r * nf + f] * w[f * n + c];
                for g in 0..nf {
                    value += nmat[r * nf + f] * wjn[f * nf + g] * w[g * n + c];
                }
            }
            out[i] = value;
        }
    }
}

/// Whether a rate `v` (from `v0` where the search started) counts as 0: far smaller than at
/// the start, or within `rounding`, what the extent's last digits move it by (a search that
/// starts at equilibrium already starts at rounding level). A rate that stays large is a jump
/// across 0, not an equilibrium.
fn at_equilibrium(v: f64, v0: f64, rounding: f64) -> bool {
    v.is_finite() && (v.abs() <= EQUILIBRIUM_RATE_RATIO * v0.abs() || v.abs() <= 1e3 * rounding)
}

/// Solves `a·x = b` (`a` row-major, m × m) by Gaussian elimination with partial pivoting,
/// leaving x in `b`; false when `a` is singular (to rounding).
fn solve_dense(a: &mut [f64], b: &mut [f64], m: usize) -> bool {
    let scale = a.iter().fold(0.0_f64, |s, v| s.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return false;
    }
    for col in 0..m {
        let pivot = (col..m)
            .max_by(|&i, &j| a[i * m + col].abs().total_cmp(&a[j * m + col].abs()))
            .unwrap_or(col);
        if a[pivot * m + col].abs() <= 1e-13 * scale {
            return false;
        }
        if pivot != col {
            for k in 0..m {
                a.swap(pivot * m + k, col * m + k);
            }
            b.swap(pivot, col);
        }
        for row in col + 1..m {
            let factor = a[row * m + col] / a[col * m + col];
            for k in col..m {
                a[row * m + k] -= factor * a[col * m + k];
            }
            b[row] -= factor * b[col];
        }
    }
    for col in (0..m).rev() {
        let sum: f64 = (col + 1..m).map(|k| a[col * m + k] * b[k]).sum();
        b[col] = (b[col] - sum) / a[col * m + col];
    }
    true
}

/// What the model's closures share: the buffer they compute in, and the past that delayed
/// values read.
struct Workspace<'m> {
    buffer: Vec<f64>,
    past: Past<'m>,
}

impl Workspace<'_> {
    fn fill(&mut self, model: &OdeModel, t: f64, y: &[f64]) {
        model.fill(&mut self.buffer, t, y, &mut self.past);
    }
}

/// Where a delayed value that the derivatives read may jump, so that the right-hand side
/// jumps: `d` after a jump in the past it reads, which happens at the start (where the past
/// before it meets the simulation) and at every event. The solver stops and restarts there, as
/// at an event, instead of stepping across. A jump there reaches the delayed values that read
/// this one (`feeds`), `d` later again; the kinks that a jump leaves in the states are smooth
/// enough for the integrator's error control, and are not followed.
struct Breakpoints {
    /// (time, delayed value), by time.
    pending: Vec<(f64, usize)>,
    /// Nothing after the last output time matters.
    end: f64,
}

impl Breakpoints {
    fn next(&self) -> f64 {
        self.pending.first().map_or(f64::INFINITY, |b| b.0)
    }

    /// After the past jumped at `t` (the start, an event; `buffer` filled there).
    fn after_jump(&mut self, model: &OdeModel, buffer: &[f64], t: f64) {
        for (k, delayed) in model.delays.iter().enumerate() {
            if delayed.restarts_solver {
                self.add(t, t + delayed.delay.eval(buffer, t), k);
            }
        }
    }

    /// At `t`, the breakpoints reached (`buffer` filled there): the delayed values they feed
    /// jump later.
    fn reached(&mut self, model: &OdeModel, buffer: &[f64], t: f64) {
        let done = self.pending.partition_point(|b| b.0 <= t);
        let passed: Vec<usize> = self.pending.drain(..done).map(|b| b.1).collect();
        for k in passed {
            for &j in model.delays.get(k).map_or(&[][..], |d| &d.feeds) {
                self.add(t, t + model.delays[j].delay.eval(buffer, t), j);
            }
        }
    }

    fn add(&mut self, now: f64, time: f64, delayed: usize) {
        // a delay of 0 (or NaN, reported elsewhere) has no later jump
        if time.is_nan() || time <= now || time > self.end {
            return;
        }
        let close = |a: f64| (a - time).abs() <= 1e-12 * time.abs().max(1.0);
        if self.pending.iter().any(|&(b, k)| k == delayed && close(b)) {
            return;
        }
        let at = self.pending.partition_point(|b| b.0 <= time);
        self.pending.insert(at, (time, delayed));
    }
}

/// Tells how far past a root the triggers are read, relative to the time scale: far enough to be
/// past the located crossing, too small to matter to any output.
const TRIGGER_LOOKAHEAD: f64 = 1e-9;

struct Pending {
    time: f64,
    event: usize,
    /// Values computed when the event fired (when it uses values from trigger time).
    values: Option<Vec<f64>>,
    order: usize,
}

/// Simulates `model` from its start time, reporting at `times` (ascending, from the start).
pub fn simulate(
    model: &OdeModel,
    times: &[f64],
    tolerances: Tolerances,
) -> Result<Trajectory, SimulationError> {
    simulate_from(model, &model.initial, times, tolerances)
}

/// Simulates `model` from the start buffer `initial` (see `OdeModel::initial_with`).
pub fn simulate_from(
    model: &OdeModel,
    initial: &[f64],
    times: &[f64],
    tolerances: Tolerances,
) -> Result<Trajectory, SimulationError> {
    if initial.len() != model.names.len() {
        return Err(SimulationError(format!(
            "the start buffer has {} values where the model has {}",
            initial.len(),
            model.names.len()
        )));
    }
    let n = model.states.len();
    let n_roots: usize = model.events.iter().map(|e| e.roots.len()).sum();
    let t0 = model.start_time;
    let mut y: Vec<f64> = initial[model.n_named..].to_vec();
    let mut buffer = initial.to_vec();
    // the fused tapes' temporaries and constants follow the symbols and states
    let fused = model.fused.as_ref();
    if let Some(f) = fused {
        buffer.resize(f.registers.max(buffer.len()), 0.0);
    }
    let states = model.n_named..model.n_named + n;
    let workspace = Mutex::new(Workspace {
        buffer,
        past: Past::new(model, initial, t0, &y),
    });
    let lock = || workspace.lock().unwrap_or_else(|p| p.into_inner());
    let rhs = |t: f64, y: &[f64], dy: &mut [f64]| {
        let mut ws = lock();
        if let Some(f) = fused {
            // only the steps the derivatives read
            ws.buffer[states.clone()].copy_from_slice(y);
            f.rhs.run(&mut ws.buffer, t, dy);
            return;
        }
        ws.fill(model, t, y);
        for (d, p) in dy.iter_mut().zip(&model.derivatives) {
            *d = p.eval(&ws.buffer, t);
        }
        if let Some(fast) = &model.fast {
            fast.project(&mut ws.buffer, model.n_named, t, dy);
        }
    };
    let jacobian = |t: f64, y: &[f64], values: &mut [f64]| {
        let mut ws = lock();
        if let Some(tape) = fused.and_then(|f| f.jacobian.as_ref()) {
            // the entries read states and slots no step computes
            ws.buffer[states.clone()].copy_from_slice(y);
            tape.run(&mut ws.buffer, t, values);
            return;
        }
        ws.fill(model, t, y);
        let b = &mut ws.buffer;
        match &model.fast {
            None => {
                for (v, entry) in values.iter_mut().zip(&model.jacobian) {
                    *v = entry_value(entry, b, model.n_named, t);
                }
            }
            Some(fast) => {
                let slow: Vec<f64> = model
                    .jacobian
                    .iter()
                    .map(|entry| entry_value(entry, b, model.n_named, t))
                    .collect();
                fast.project_jacobian(model, b, t, &slow, values);
            }
        }
    };
    let roots = |t: f64, y: &[f64], g: &mut [f64]| {
        let mut ws = lock();
        if let Some(f) = fused {
            ws.buffer[states.clone()].copy_from_slice(y);
            f.roots.run(&mut ws.buffer, t, g);
            return;
        }
        ws.fill(model, t, y);
        let mut i = 0;
        for e in &model.events {
            for r in &e.roots {
                g[i] = r.eval(&ws.buffer, t);
                i += 1;
            }
        }
    };
    let system = System {
        n,
        rhs: &rhs,
        jacobian_pattern: match &model.fast {
            Some(fast) => fast.pattern.clone(),
            None => model.jacobian_pattern.clone(),
        },
        jacobian: &jacobian,
        n_roots,
        roots: &roots,
    };
    // The trajectory the delayed values read, step by step.
    let mut record = |step: &mut AcceptedStep<'_>| -> Result<(), SolverError> {
        if model.history_states.is_empty() {
            return Ok(());
        }
        lock().past.record(step)
    };
    // A failure caused by a delayed value says so.
    let explain = |e: SolverError| match lock().past.take_problem() {
        Some(problem) => SimulationError(problem),
        None => SimulationError::from(e),
    };
    let check = || match lock().past.take_problem() {
        Some(problem) => Err(SimulationError(problem)),
        None => Ok(()),
    };
    // With fast reactions, the state itself is moved to their equilibrium where it may be off
    // it: at the start, and around events (which assign to it, and may move the equilibrium).
    let settle = |t: f64, y: &mut [f64]| {
        if model.fast.is_some() {
            let mut ws = lock();
            ws.fill(model, t, y);
            y.copy_from_slice(&ws.buffer[model.n_named..model.n_named + y.len()]);
        }
    };

    let mut events = EventState {
        previous: model.events.iter().map(|e| e.initial_value).collect(),
        pending: Vec::new(),
        order: 0,
        // SBML leaves the order of simultaneous events of equal priority to chance; a fixed
        // seed keeps runs repeatable.
        rng: Pcg64Mcg::seed_from_u64(EVENT_SEED),
    };
    let mut breakpoints = Breakpoints {
        pending: Vec::new(),
        end: times.last().copied().unwrap_or(t0),
    };
    // Events that fire at the start act before the first output.
    settle(t0, &mut y);
    events.process(model, &workspace, &rhs, t0, &mut y, false)?;
    settle(t0, &mut y);
    {
        let mut guard = lock();
        let ws = &mut *guard;
        ws.fill(model, t0, &y);
        ws.past.restart(t0, &y, &ws.buffer);
        breakpoints.after_jump(model, &ws.buffer, t0);
    }
    check()?;
    let mut solver = Solver::new(system, t0, &y, tolerances).map_err(explain)?;

    let mut out = Trajectory {
        times: Vec::with_capacity(times.len()),
        points: Vec::with_capacity(times.len()),
    };
    let mut t = t0;
    let mut stop_time = f64::NAN;
    for &target in times {
        if target < t {
            return Err(SimulationError(format!(
                "output time {target} is before the current time {t}"
            )));
        }
        loop {
            let next_event = events
                .pending
                .iter()
                .map(|p| p.time)
                .fold(f64::INFINITY, f64::min);
            let next_break = breakpoints.next();
            if next_break.is_finite() && next_break != stop_time {
                solver.set_stop_time(next_break).map_err(explain)?;
                stop_time = next_break;
            }
            let stop = target.min(next_event).min(next_break);
            let mut at_breakpoint = false;
            let changed = match solver.advance_with(stop, &mut record).map_err(explain)? {
                Advance::Reached { y: reached } => {
                    y = reached;
                    t = stop;
                    at_breakpoint = next_break <= stop;
                    if next_event <= stop {
                        settle(t, &mut y);
                        events.process(model, &workspace, &rhs, t, &mut y, false)?
                    } else {
                        false
                    }
                }
                Advance::Root {
                    t: at, y: reached, ..
                } => {
                    y = reached;
                    t = at;
                    settle(t, &mut y);
                    events.process(model, &workspace, &rhs, t, &mut y, true)?
                }
            };
            if changed || at_breakpoint {
                settle(t, &mut y);
                solver.reset(t, &y).map_err(explain)?;
            }
            if (changed || at_breakpoint) && !model.delays.is_empty() {
                let mut guard = lock();
                let ws = &mut *guard;
                ws.fill(model, t, &y);
                ws.past.restart(t, &y, &ws.buffer);
                if at_breakpoint {
                    breakpoints.reached(model, &ws.buffer, t);
                }
                if changed {
                    breakpoints.after_jump(model, &ws.buffer, t);
                }
            }
            check()?;
            if t >= target {
                break;
            }
        }
        let mut ws = lock();
        ws.fill(model, t, &y);
        out.times.push(target);
        out.points.push(ws.buffer[..model.names.len()].to_vec());
    }
    check()?;
    Ok(out)
}

/// The seed of the draws that order simultaneous events of equal priority.
const EVENT_SEED: u64 = 0x5eed_0de5;

struct EventState {
    previous: Vec<bool>,
    pending: Vec<Pending>,
    order: usize,
    rng: Pcg64Mcg,
}

impl EventState {
    /// Fires and executes every event due at `t`, cascading until nothing more is due; returns
    /// whether the state or any constant changed.
    /// `at_root` says the solver stopped where a trigger crosses its threshold: triggers are
    /// then read just after `t`; at the start and at scheduled executions, at `t` itself.
    fn process(
        &mut self,
        model: &OdeModel,
        workspace: &Mutex<Workspace<'_>>,
        rhs: &dyn Fn(f64, &[f64], &mut [f64]),
        t: f64,
        y: &mut [f64],
        at_root: bool,
    ) -> Result<bool, SimulationError> {
        if model.events.is_empty() {
            return Ok(false);
        }
        let mut changed = false;
        let mut executions = 0usize;
        loop {
            let now = self.triggers(model, workspace, rhs, t, y, at_root);
            let mut guard = workspace.lock().unwrap_or_else(|p| p.into_inner());
            let ws = &mut *guard;
            ws.fill(model, t, y);
            let b = &mut ws.buffer;
            for (i, e) in model.events.iter().enumerate() {
                if !self.previous[i] && now[i] {
                    let delay = e.delay.as_ref().map(|d| d.eval(b, t)).unwrap_or(0.0);
                    if !(delay >= 0.0) {
                        return Err(SimulationError(format!(
                            "{} fired at t = {t} with a negative or undefined delay ({delay})",
                            e.label
                        )));
                    }
                    let values = e
                        .use_values_from_trigger_time
                        .then(|| e.assignments.iter().map(|(_, p)| p.eval(b, t)).collect());
                    self.pending.push(Pending {
                        time: t + delay,
                        event: i,
                        values,
                        order: self.order,
                    });
                    self.order += 1;
                } else if self.previous[i] && !now[i] && !e.persistent {
                    self.pending.retain(|p| p.event != i);
                }
            }
            self.previous = now;
            // Of the events due now, the one with the highest priority executes first; then
            // triggers are read again, since the execution may have changed them.
            let due: Vec<usize> = (0..self.pending.len())
                .filter(|&i| self.pending[i].time <= t)
                .collect();
            if due.is_empty() {
                return Ok(changed);
            }
            let priority = |p: &Pending| {
                model.events[p.event]
                    .priority
                    .as_ref()
                    .map(|pr| pr.eval(b, t))
                    .unwrap_or(f64::NEG_INFINITY)
            };
            let priorities: Vec<f64> = due.iter().map(|&i| priority(&self.pending[i])).collect();
            let top = priorities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let tied: Vec<usize> = due
                .iter()
                .zip(&priorities)
                .filter(|(_, p)| **p == top || (p.is_nan() && top.is_nan()))
                .map(|(i, _)| *i)
                .collect();
            // Events without a priority keep their firing order; ties of explicit priorities
            // are drawn at random, as SBML says.
            let explicit = model.events[self.pending[tied[0]].event].priority.is_some();
            let best = if tied.len() > 1 && explicit {
                tied[(self.rng.next_u64() % tied.len() as u64) as usize]
            } else {
                *tied
                    .iter()
                    .min_by_key(|&&i| self.pending[i].order)
                    .unwrap_or(&due[0])
            };
            let p = self.pending.remove(best);
            let e = &model.events[p.event];
            let values: Vec<f64> = match p.values {
                Some(v) => v,
                None => e.assignments.iter().map(|(_, pr)| pr.eval(b, t)).collect(),
            };
            // All assignments of an event act at once: a concentration becomes an amount in
            // its compartment's size before the event (as the SBML Test Suite reads it).
            let amounts: Vec<Option<f64>> = e
                .assignments
                .iter()
                .zip(&values)
                .map(|((target, _), v)| match *target {
                    Target::Amount {
                        value_is_amount,
                        compartment,
                        ..
                    } => Some(if value_is_amount {
                        *v
                    } else {
                        v * b[compartment]
                    }),
                    _ => None,
                })
                .collect();
            for (((target, _), v), amount) in e.assignments.iter().zip(&values).zip(amounts) {
                match *target {
                    Target::Slot(slot) => b[slot] = *v,
                    Target::State(k) => y[k] = *v,
                    Target::Amount { state, .. } => y[state] = amount.unwrap_or(f64::NAN),
                }
            }
            // A change of a compartment's size keeps the amounts of its species.
            changed = true;
            // Delayed values read at `t` itself (a delay of 0) see the event's outcome.
            ws.past.restart(t, y, &ws.buffer);
            drop(guard);
            executions += 1;
            if executions > 100_000 {
                return Err(SimulationError(format!(
                    "events keep firing at t = {t} (more than 100000 executions): the model loops"
                )));
            }
        }
    }

    /// The triggers' values just after `t`: a trigger watched as a root is exactly at its
    /// threshold when the solver stops there, and what counts is the side it is going to.
    fn triggers(
        &self,
        model: &OdeModel,
        workspace: &Mutex<Workspace<'_>>,
        rhs: &dyn Fn(f64, &[f64], &mut [f64]),
        t: f64,
        y: &[f64],
        just_after: bool,
    ) -> Vec<bool> {
        let h = if just_after {
            TRIGGER_LOOKAHEAD * t.abs().max(1.0)
        } else {
            0.0
        };
        let mut dy = vec![0.0; y.len()];
        rhs(t, y, &mut dy);
        let ahead: Vec<f64> = y.iter().zip(&dy).map(|(a, d)| a + h * d).collect();
        let mut ws = workspace.lock().unwrap_or_else(|p| p.into_inner());
        ws.fill(model, t + h, &ahead);
        model
            .events
            .iter()
            .map(|e| e.trigger.eval(&ws.buffer, t + h) != 0.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::math::parse;
    use crate::model::reactions::{
        Compartment, KineticLaw, Parameter, Reaction, ReactionSystem, Rule, Species,
        SpeciesReference,
    };
    use crate::sim::ode::compile;

    fn parameter(id: &str, value: Option<f64>) -> Parameter {
        Parameter {
            id: id.into(),
            name: None,
            value,
            constant: false,
            units: None,
        }
    }

    fn rule(variable: &str, math: &str, rate: bool) -> Rule {
        let (variable, math) = (variable.to_string(), parse(math).unwrap());
        if rate {
            Rule::Rate { variable, math }
        } else {
            Rule::Assignment { variable, math }
        }
    }

    fn run(system: &ReactionSystem, times: &[f64]) -> (OdeModel, Trajectory) {
        let model = compile(system, 0.0).unwrap();
        let tolerances = Tolerances {
            relative: 1e-9,
            absolute: 1e-12,
        };
        let trajectory = simulate(&model, times, tolerances).unwrap();
        (model, trajectory)
    }

    #[test]
    fn a_delay_differential_equation_matches_the_method_of_steps() {
        // y' = −y(t − 1), y = 1 before 0: y = Σₖ (−1)ᵏ (t − k + 1)ᵏ / k! over k ≤ t + 1
        let system = ReactionSystem {
            parameters: vec![parameter("y", Some(1.0))],
            rules: vec![rule("y", "-delay(y, 1)", true)],
            ..Default::default()
        };
        let exact = |t: f64| {
            let (mut sum, mut term_k) = (0.0, 0);
            while term_k as f64 - 1.0 <= t {
                let x = t - term_k as f64 + 1.0;
                let factorial: f64 = (1..=term_k).map(f64::from).product();
                sum += (-1f64).powi(term_k) * x.powi(term_k) / factorial;
                term_k += 1;
            }
            sum
        };
        let times: Vec<f64> = (0..=50).map(|i| i as f64 * 0.1).collect();
        let (model, trajectory) = run(&system, &times);
        for (t, point) in trajectory.times.iter().zip(&trajectory.points) {
            let y = model.value(point, "y", Quantity::AsIs).unwrap();
            assert!(
                (y - exact(*t)).abs() < 1e-7,
                "y({t}) = {y}, not {}",
                exact(*t)
            );
        }
    }

    #[test]
    fn before_the_start_a_delay_reads_the_initial_definitions_at_that_time() {
        let system = ReactionSystem {
            parameters: vec![parameter("p", None), parameter("q", None)],
            rules: vec![
                rule("p", "1 + time", false),
                rule("q", "delay(p, 1)", false),
            ],
            ..Default::default()
        };
        let (model, trajectory) = run(&system, &[0.0, 0.5, 1.0, 2.5]);
        for (t, point) in trajectory.times.iter().zip(&trajectory.points) {
            let q = model.value(point, "q", Quantity::AsIs).unwrap();
            assert!((q - t).abs() < 1e-12, "q({t}) = {q}");
        }
    }

    #[test]
    fn a_delayed_value_that_reads_itself_is_refused() {
        let system = ReactionSystem {
            parameters: vec![parameter("y", None)],
            rules: vec![rule("y", "1 + delay(y, 1)", false)],
            ..Default::default()
        };
        let Err(e) = compile(&system, 0.0) else {
            panic!("compiled");
        };
        assert!(e.0.contains("delay(y, 1)"), "{e}");
    }

    fn species(id: &str, amount: f64) -> Species {
        Species {
            id: id.into(),
            name: None,
            compartment: "c".into(),
            initial_amount: Some(amount),
            initial_concentration: None,
            has_only_substance_units: true,
            boundary_condition: false,
            constant: false,
            conversion_factor: None,
            substance_units: None,
        }
    }

    fn reaction(id: &str, fast: bool, from: &str, to: &str, law: &str) -> Reaction {
        let side = |s: &str| {
            (!s.is_empty())
                .then(|| SpeciesReference {
                    species: s.into(),
                    id: None,
                    stoichiometry: Some(1.0),
                    constant: true,
                    stoichiometry_math: None,
                })
                .into_iter()
                .collect()
        };
        Reaction {
            id: id.into(),
            name: None,
            reversible: true,
            fast,
            reactants: side(from),
            products: side(to),
            modifiers: Vec::new(),
            kinetic_law: Some(KineticLaw {
                math: Some(parse(law).unwrap()),
                local_parameters: Vec::new(),
            }),
            compartment: None,
        }
    }

    fn network(reactions: Vec<Reaction>, species_amounts: &[(&str, f64)]) -> ReactionSystem {
        ReactionSystem {
            compartments: vec![Compartment {
                id: "c".into(),
                name: None,
                size: Some(1.0),
                constant: true,
                spatial_dimensions: Some(3.0),
                units: None,
            }],
            species: species_amounts
                .iter()
                .map(|(id, a)| species(id, *a))
                .collect(),
            reactions,
            ..Default::default()
        }
    }

    #[test]
    fn fast_reactions_hold_their_joint_equilibrium_as_the_totals_change() {
        // A ⇌ B and B ⇌ C fast (A:B:C = 2:1:3 at equilibrium), C → D slow: the total
        // A + B + C decays at the rate 0.5·C = total/4
        let system = network(
            vec![
                reaction("f1", true, "A", "B", "A - 2 * B"),
                reaction("f2", true, "B", "C", "3 * B - C"),
                reaction("s", false, "C", "D", "0.5 * C"),
            ],
            &[("A", 6.0), ("B", 0.0), ("C", 0.0), ("D", 0.0)],
        );
        let (model, trajectory) = run(&system, &[0.0, 1.0, 4.0, 10.0]);
        for (t, point) in trajectory.times.iter().zip(&trajectory.points) {
            let total = 6.0 * (-t / 4.0).exp();
            for (s, share) in [("A", 2.0), ("B", 1.0), ("C", 3.0)] {
                let v = model.value(point, s, Quantity::AsIs).unwrap();
                assert!((v - total * share / 6.0).abs() < 1e-7, "{s}({t}) = {v}");
            }
        }
    }

    #[test]
    fn a_fast_reaction_runs_to_the_first_equilibrium_its_rate_leads_to() {
        // rate −A·B from A = B = 5: the reaction runs backwards until B is used up
        let system = network(
            vec![reaction("f", true, "A", "B", "-A * B")],
            &[("A", 5.0), ("B", 5.0)],
        );
        let (model, trajectory) = run(&system, &[0.0, 1.0]);
        let point = &trajectory.points[1];
        let a = model.value(point, "A", Quantity::AsIs).unwrap();
        let b = model.value(point, "B", Quantity::AsIs).unwrap();
        assert!(
            (a - 10.0).abs() < 1e-12 && b.abs() < 1e-12,
            "A = {a}, B = {b}"
        );
    }

    #[test]
    fn fast_reactions_that_cannot_all_be_at_equilibrium_are_refused() {
        let system = network(
            vec![
                reaction("f", true, "A", "B", "A"),
                reaction("g", true, "B", "A", "2 * B"),
            ],
            &[("A", 1.0), ("B", 1.0)],
        );
        let Err(e) = compile(&system, 0.0) else {
            panic!("compiled");
        };
        assert!(e.0.contains("f, g"), "{e}");
        let system = network(vec![reaction("f", true, "", "A", "1")], &[("A", 1.0)]);
        let model = compile(&system, 0.0).unwrap();
        let Err(e) = simulate(&model, &[0.0], Tolerances::default()) else {
            panic!("simulated");
        };
        assert!(e.0.contains("fast reaction f has no equilibrium"), "{e}");
    }
}
