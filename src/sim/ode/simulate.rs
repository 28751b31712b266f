//! What are a compiled model's values over time? Integrates an `OdeModel` with the BDF solver
//! and carries out SBML events between solver segments: triggers watched as roots, delays,
//! priorities, persistence, initial trigger values, and values taken at trigger or execution time.

use std::fmt;
use std::sync::Mutex;

use rand_pcg::rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::compile::{JacobianEntry, OdeModel, Target};
use super::solver::{Advance, Solver, SolverError, System, Tolerances};

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

    /// Recomputes the buffer's computed symbols from the state `y` at time `t`.
    fn fill(&self, buffer: &mut [f64], t: f64, y: &[f64]) {
        buffer[self.n_named..].copy_from_slice(y);
        for (slot, program) in &self.steps {
            buffer[*slot] = program.eval(buffer, t);
        }
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
    let n = model.states.len();
    let n_roots: usize = model.events.iter().map(|e| e.roots.len()).sum();
    let buffer = Mutex::new(model.initial.clone());
    let lock = || buffer.lock().unwrap_or_else(|p| p.into_inner());
    let rhs = |t: f64, y: &[f64], dy: &mut [f64]| {
        let mut b = lock();
        model.fill(&mut b, t, y);
        for (d, p) in dy.iter_mut().zip(&model.derivatives) {
            *d = p.eval(&b, t);
        }
    };
    let jacobian = |t: f64, y: &[f64], values: &mut [f64]| {
        let mut b = lock();
        model.fill(&mut b, t, y);
        for (v, entry) in values.iter_mut().zip(&model.jacobian) {
            *v = match entry {
                JacobianEntry::Exact(p) => p.eval(&b, t),
                JacobianEntry::Difference { row, state } => {
                    // Central difference of the inlined row (it reads states and constants only).
                    let slot = model.n_named + state;
                    let at = b[slot];
                    let h = 1e-7 * at.abs().max(1e-7);
                    b[slot] = at + h;
                    let up = row.eval(&b, t);
                    b[slot] = at - h;
                    let down = row.eval(&b, t);
                    b[slot] = at;
                    (up - down) / (2.0 * h)
                }
            };
        }
    };
    let roots = |t: f64, y: &[f64], g: &mut [f64]| {
        let mut b = lock();
        model.fill(&mut b, t, y);
        let mut i = 0;
        for e in &model.events {
            for r in &e.roots {
                g[i] = r.eval(&b, t);
                i += 1;
            }
        }
    };
    let system = System {
        n,
        rhs: &rhs,
        jacobian_pattern: model.jacobian_pattern.clone(),
        jacobian: &jacobian,
        n_roots,
        roots: &roots,
    };

    let t0 = model.start_time;
    let mut y: Vec<f64> = model.initial[model.n_named..].to_vec();
    let mut events = EventState {
        previous: model.events.iter().map(|e| e.initial_value).collect(),
        pending: Vec::new(),
        order: 0,
        // SBML leaves the order of simultaneous events of equal priority to chance; a fixed
        // seed keeps runs repeatable.
        rng: Pcg64Mcg::seed_from_u64(EVENT_SEED),
    };
    // Events that fire at the start act before the first output.
    events.process(model, &buffer, &rhs, t0, &mut y, false)?;
    let mut solver = Solver::new(system, t0, &y, tolerances)?;

    let mut out = Trajectory {
        times: Vec::with_capacity(times.len()),
        points: Vec::with_capacity(times.len()),
    };
    let mut t = t0;
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
            let stop = target.min(next_event);
            let changed = match solver.advance(stop)? {
                Advance::Reached { y: reached } => {
                    y = reached;
                    t = stop;
                    if next_event <= stop {
                        events.process(model, &buffer, &rhs, t, &mut y, false)?
                    } else {
                        false
                    }
                }
                Advance::Root {
                    t: at, y: reached, ..
                } => {
                    y = reached;
                    t = at;
                    events.process(model, &buffer, &rhs, t, &mut y, true)?
                }
            };
            if changed {
                solver.reset(t, &y)?;
            }
            if t >= target {
                break;
            }
        }
        let mut b = lock();
        model.fill(&mut b, t, &y);
        out.times.push(target);
        out.points.push(b.clone());
    }
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
        buffer: &Mutex<Vec<f64>>,
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
            let now = self.triggers(model, buffer, rhs, t, y, at_root);
            let mut b = buffer.lock().unwrap_or_else(|p| p.into_inner());
            model.fill(&mut b, t, y);
            for (i, e) in model.events.iter().enumerate() {
                if !self.previous[i] && now[i] {
                    let delay = e.delay.as_ref().map(|d| d.eval(&b, t)).unwrap_or(0.0);
                    if !(delay >= 0.0) {
                        return Err(SimulationError(format!(
                            "{} fired at t = {t} with a negative or undefined delay ({delay})",
                            e.label
                        )));
                    }
                    let values = e
                        .use_values_from_trigger_time
                        .then(|| e.assignments.iter().map(|(_, p)| p.eval(&b, t)).collect());
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
                    .map(|pr| pr.eval(&b, t))
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
                None => e.assignments.iter().map(|(_, pr)| pr.eval(&b, t)).collect(),
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
            drop(b);
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
        buffer: &Mutex<Vec<f64>>,
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
        let mut b = buffer.lock().unwrap_or_else(|p| p.into_inner());
        model.fill(&mut b, t + h, &ahead);
        model
            .events
            .iter()
            .map(|e| e.trigger.eval(&b, t + h) != 0.0)
            .collect()
    }
}
