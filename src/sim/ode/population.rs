//! How does a virtual population behave? Runs one compiled model many times with different
//! parameter values, spread over all cores with rayon; each member's run is independent, so the
//! results do not depend on the thread count.

use rayon::prelude::*;

use super::compile::OdeModel;
use super::simulate::{simulate_from, SimulationError, Trajectory};
use super::solver::Tolerances;

/// One member of a population: the values its symbols take instead of the model's (slots of
/// the model's buffer, as `OdeModel::index` gives them).
pub type Member = Vec<(usize, f64)>;

/// Simulates every member on `threads` worker threads (all cores when `None`); the results are in
/// the members' order.
pub fn simulate_population(
    model: &OdeModel,
    members: &[Member],
    times: &[f64],
    tolerances: Tolerances,
    threads: Option<usize>,
) -> Result<Vec<Result<Trajectory, SimulationError>>, SimulationError> {
    let run = || {
        members
            .par_iter()
            .map(|member| {
                let initial = model.initial_with(member);
                simulate_from(model, &initial, times, tolerances)
            })
            .collect()
    };
    match threads {
        None => Ok(run()),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map(|pool| pool.install(run))
            .map_err(|e| SimulationError(format!("cannot start {n} worker threads: {e}"))),
    }
}

/// Draws `size` members around the model's values: each of `parameters` (buffer slots) is
/// multiplied by `exp(spread · z)`, z standard normal, from a seeded stream, so the same seed
/// gives the same population.
pub fn log_normal_members(
    model: &OdeModel,
    parameters: &[usize],
    size: usize,
    spread: f64,
    seed: u64,
) -> Vec<Member> {
    use rand_pcg::rand_core::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut uniform = move || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    (0..size)
        .map(|_| {
            parameters
                .iter()
                .map(|&slot| {
                    // Box–Muller: one standard normal from two uniforms in (0, 1).
                    let (u, v) = (uniform(), uniform());
                    let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                    (slot, model.initial[slot] * (spread * z).exp())
                })
                .collect()
        })
        .collect()
}

/// The parameters a population varies: named symbols that are neither states nor computed by
/// a rule, with a finite nonzero value.
pub fn free_parameters(model: &OdeModel, ids: &[String]) -> Vec<usize> {
    ids.iter()
        .filter_map(|id| model.index.get(id).copied())
        .filter(|&slot| {
            slot < model.n_named
                && !model.computed[slot]
                && model.initial[slot].is_finite()
                && model.initial[slot] != 0.0
        })
        .collect()
}

/// The 5th, 50th and 95th percentiles and the mean of `values` (NaN when empty); members whose
/// run failed are left out by the caller.
pub fn summary(values: &mut [f64]) -> [f64; 4] {
    if values.is_empty() {
        return [f64::NAN; 4];
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((values.len() - 1) as f64 * q).round() as usize;
        values[i]
    };
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    [mean, at(0.05), at(0.5), at(0.95)]
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summary_reads_quantiles_off_the_sorted_values() {
        let mut v: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        assert_eq!(summary(&mut v), [50.0, 5.0, 50.0, 95.0]);
        assert!(summary(&mut []).iter().all(|x| x.is_nan()));
    }
}
