//! What is the state of a compiled ODE system y' = f(t, y) at a given time, and when, on the
//! way there, does one of its event functions first change sign?
//!
//! A thin wrapper over diffsol's variable-order BDF integrator (stiff problems are the rule in
//! biochemistry). The model arrives as plain closures over flat slices ([`System`]): the
//! right-hand side, its exact Jacobian as a sparsity pattern plus values in pattern order, and
//! the event root functions. The Jacobian is handed to diffsol as a matrix filled from those
//! triplets (we implement diffsol's equation traits ourselves), so diffsol never probes or
//! differences it; the Newton matrix is factorised with faer's sparse LU unless the pattern is
//! dense ([`LinearAlgebra::Auto`]; measured faster at every size on sparse patterns).
//!
//! Output times are served from the integrator's interpolant: [`Solver::advance`] steps past the
//! requested time and interpolates, so hundreds of output points cost no restarts. Roots are
//! located here rather than by diffsol, on the same interpolant (CVODE's modified secant
//! method), because events need what diffsol's root finder does not give: every function that
//! changed sign, and no re-triggering of a function that is exactly zero where an interval
//! starts (at t0 or right after [`Solver::reset`]).

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use diffsol::error::{DiffsolError, OdeSolverError};
use diffsol::matrix::sparsity::MatrixSparsity;
use diffsol::matrix::MatrixRef;
use diffsol::ode_solver::state::StateCommon;
use diffsol::{
    Bdf, BdfState, ConstantOp, FaerContext, FaerLU, FaerMat, FaerSparseLU, FaerSparseMat, FaerVec,
    FaerVecIndex, LinearSolver, Matrix, NonLinearOp, NonLinearOpJacobian, OdeBuilder, OdeEquations,
    OdeEquationsRef, OdeSolverMethod, OdeSolverProblem, OdeSolverState, Op, UnitCallable, Vector,
    VectorCommon, VectorIndex,
};

/// [`LinearAlgebra::Auto`] factorises densely only patterns with at least this many states...
///
/// Measured (new + 100 outputs, random mass-action networks and a reaction-diffusion chain):
/// faer's sparse LU is as fast as or faster than its dense LU (which pivots fully) at every
/// size for patterns of a few entries per row, 10-20% faster even at 2-10 states, 10 times
/// faster at 500; dense LU wins, by up to 2 times, only on patterns with much fill-in (random
/// bimolecular networks of 16 entries per row at 20-100 states, or full patterns from about 20).
pub const DENSE_MIN_STATES: usize = 15;

/// ... and more than this fraction of the n² entries in the pattern. Published models are
/// sparser in effect than random networks of the same density: on SalazarCavazos 2020 (75
/// states, 27% of entries) and Alkan 2018 (36 states, 14%) the sparse LU makes the whole
/// simulation 10-20% faster than the dense one, so only patterns denser than these go dense.
pub const DENSE_MIN_DENSITY: f64 = 0.3;

/// The default cap on internal steps per [`Solver::advance`] call.
pub const DEFAULT_MAX_STEPS: usize = 1_000_000;

/// The largest step-size increase from one step to the next. diffsol's default is 2; 10 is
/// scipy's BDF (whose algorithm diffsol follows) and CVODE's: it halves the steps of a small
/// model started with a tiny first step, with the same accuracy.
const MAX_STEP_GROWTH: f64 = 10.0;

/// Newton convergence failures allowed within one step before the step is given up (CVODE's
/// default `maxncf`). diffsol counts failures over the whole integration, so the limit is moved
/// forward before every step.
const MAX_NEWTON_FAILS_PER_STEP: usize = 10;

/// The first step after a (re)start is at least this many ulps of the time (CVODE's
/// `HLB_FACTOR`).
const MIN_START_STEP_ULPS: f64 = 100.0;

/// Secant iterations allowed when locating one root (it converges in a handful; the cap only
/// guarantees termination on pathological root functions).
const MAX_ROOT_ITERATIONS: usize = 100;

/// With no states there are no steps to check for roots after, so a time-only root function is
/// sampled at this many evenly spaced times per [`Solver::advance`] interval.
const ROOT_SAMPLES_WITHOUT_STATES: usize = 16;

/// What every closure of a [`System`] is: (t, y, out), writing its values into `out`.
pub type ModelFn<'a> = dyn Fn(f64, &[f64], &mut [f64]) + Sync + 'a;

/// A compiled ODE system y' = f(t, y), with everything as plain closures over flat slices.
pub struct System<'a> {
    pub n: usize,
    /// (t, y, dy): writes f(t, y) into dy.
    pub rhs: &'a ModelFn<'a>,
    /// Exact Jacobian in sparse triplet form: the pattern (row, col) pairs, and a closure that
    /// fills values in pattern order. A pair may repeat; its values are summed.
    pub jacobian_pattern: Vec<(usize, usize)>,
    /// (t, y, values[pattern.len()]).
    pub jacobian: &'a ModelFn<'a>,
    /// Event root functions g_i(t, y); a root is where one changes sign.
    pub n_roots: usize,
    /// (t, y, g[n_roots]).
    pub roots: &'a ModelFn<'a>,
}

/// Local error tolerances: each step keeps its error estimate e_i within
/// `absolute + relative * |y_i|` (in the RMS norm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    pub relative: f64,
    pub absolute: f64,
}

impl Default for Tolerances {
    /// Tight enough that results agree with SBML Test Suite style references (checked as
    /// |err| <= atol + rtol * |expected| with both around 1e-5) with a margin of 50 or more on
    /// decay, enzyme kinetics, Robertson and (the hardest, its error grows with each period)
    /// Lotka-Volterra: global error runs well above the local tolerance.
    fn default() -> Self {
        Self {
            relative: 1e-8,
            absolute: 1e-12,
        }
    }
}

/// Which LU factorises the Newton matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinearAlgebra {
    /// Dense for a dense pattern of medium or large size ([`DENSE_MIN_STATES`],
    /// [`DENSE_MIN_DENSITY`]), sparse otherwise.
    #[default]
    Auto,
    Dense,
    Sparse,
}

/// Settings beyond the tolerances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Internal steps allowed per [`Solver::advance`] call; exceeding it is an error.
    pub max_steps: usize,
    pub linear_algebra: LinearAlgebra,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_steps: DEFAULT_MAX_STEPS,
            linear_algebra: LinearAlgebra::Auto,
        }
    }
}

/// How a [`Solver::advance`] call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Advance {
    /// The requested time was reached; `y` is the state there.
    Reached { y: Vec<f64> },
    /// A root function changed sign first, at `t` (located to within about 100 ulps of t);
    /// `y` is the state there and `which` the root indices that changed sign (ascending).
    Root {
        t: f64,
        y: Vec<f64>,
        which: Vec<usize>,
    },
}

/// One step the integrator accepted, from `start` to `end`, seen through its dense output: the
/// BDF interpolating polynomial over the step, of degree `order`. For a caller that keeps the
/// trajectory (a delay's history) as accurately as the integrator computed it.
pub struct AcceptedStep<'s> {
    pub start: f64,
    pub end: f64,
    pub order: usize,
    stepper: &'s mut dyn Stepper,
}

impl AcceptedStep<'_> {
    /// The state at `t` from `start` to `end` (the polynomial extends beyond, less accurately).
    pub fn state_at(&mut self, t: f64, y: &mut [f64]) -> Result<(), SolverError> {
        if y.len() != self.stepper.len() {
            return Err(SolverError::new(
                ErrorKind::InvalidInput,
                t,
                format!("{} values for {} states", y.len(), self.stepper.len()),
            ));
        }
        self.stepper
            .interpolate(t, y)
            .map_err(|e| self.stepper.error(e, t))
    }
}

/// What went wrong, coarsely; [`SolverError`]'s message says more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad arguments: sizes, non-finite numbers, a pattern entry out of range, time going back.
    InvalidInput,
    /// The right-hand side returned NaN or infinity.
    NotFinite,
    /// The step size fell below what the time's floating-point resolution allows.
    StepSizeTooSmall,
    /// Newton's iteration kept failing to converge within one step.
    ConvergenceFailure,
    /// The local error test kept failing within one step.
    ErrorTestFailures,
    /// More than [`Options::max_steps`] steps in one advance.
    TooManySteps,
    /// Anything else from diffsol, or a panic caught inside it (the solver is then unusable).
    Internal,
}

/// A failure, with the time it happened at.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverError {
    kind: ErrorKind,
    time: f64,
    detail: String,
}

impl SolverError {
    fn new(kind: ErrorKind, time: f64, detail: impl Into<String>) -> Self {
        Self {
            kind,
            time,
            detail: detail.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The model time at which it failed.
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Say why diffsol failed, in our terms. `t` is the time to report when diffsol does not
    /// say; `non_finite_at` when the right-hand side was last seen returning NaN or infinity.
    fn from_diffsol(e: DiffsolError, t: f64, non_finite_at: Option<f64>) -> Self {
        let error = match e {
            DiffsolError::OdeSolverError(OdeSolverError::StepSizeTooSmall { time }) => {
                Self::new(ErrorKind::StepSizeTooSmall, time, "")
            }
            DiffsolError::OdeSolverError(OdeSolverError::TooManyNonlinearSolverFailures {
                time,
                ..
            }) => Self::new(
                ErrorKind::ConvergenceFailure,
                time,
                format!("{MAX_NEWTON_FAILS_PER_STEP} times in one step"),
            ),
            DiffsolError::OdeSolverError(OdeSolverError::TooManyErrorTestFailures {
                time, ..
            }) => Self::new(ErrorKind::ErrorTestFailures, time, ""),
            other => Self::new(ErrorKind::Internal, t, other.to_string()),
        };
        // a NaN in the right-hand side surfaces as one of the above; name the cause instead
        match non_finite_at {
            Some(at) if error.kind != ErrorKind::Internal => Self::new(
                ErrorKind::NotFinite,
                error.time,
                format!("last at t = {at}, so the step failed ({error})"),
            ),
            _ => error,
        }
    }
}

impl fmt::Display for SolverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::NotFinite => "the right-hand side is not finite (NaN or infinite)",
            ErrorKind::StepSizeTooSmall => "step size too small",
            ErrorKind::ConvergenceFailure => "Newton iteration failed to converge",
            ErrorKind::ErrorTestFailures => "too many local error test failures",
            ErrorKind::TooManySteps => "too many steps",
            ErrorKind::Internal => "ODE solver failure",
        };
        write!(f, "{what} at t = {}", self.time)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for SolverError {}

/// Work done so far (over every restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Statistics {
    pub steps: usize,
    pub error_test_failures: usize,
    pub newton_failures: usize,
    pub rhs_evaluations: usize,
    pub jacobian_evaluations: usize,
    /// Newton-matrix LU factorisations.
    pub factorisations: usize,
    pub root_evaluations: usize,
    /// Fresh starts: the first, and one per [`Solver::reset`].
    pub starts: usize,
}

/// Integrates a [`System`] forward, output time by output time, stopping at event roots.
pub struct Solver<'a> {
    n: usize,
    n_roots: usize,
    roots: &'a ModelFn<'a>,
    /// `None` when there are no states: time just moves.
    stepper: Option<Box<dyn Stepper + Send + 'a>>,
    linear_algebra: LinearAlgebra,
    max_steps: usize,
    /// The time reported: the last output time or root. The integrator may be ahead of it,
    /// within its last step, which is where the interpolant is good.
    t: f64,
    /// Root function values at `t`, the reference for the next sign change.
    g: Vec<f64>,
    y_work: Vec<f64>,
    root_evaluations: usize,
    /// Set after a panic inside diffsol: its state can no longer be trusted.
    broken: Option<SolverError>,
    /// A time the integrator must not step past ([`Solver::set_stop_time`]).
    stop: Option<f64>,
}

impl<'a> Solver<'a> {
    /// Start integrating `system` from (t0, y0), with [`Options::default`].
    pub fn new(
        system: System<'a>,
        t0: f64,
        y0: &[f64],
        tol: Tolerances,
    ) -> Result<Self, SolverError> {
        Self::with_options(system, t0, y0, tol, Options::default())
    }

    /// Start integrating `system` from (t0, y0). Fails on inconsistent sizes, non-finite
    /// numbers, a Jacobian entry outside the matrix, or a right-hand side not finite at the
    /// start.
    pub fn with_options(
        system: System<'a>,
        t0: f64,
        y0: &[f64],
        tol: Tolerances,
        options: Options,
    ) -> Result<Self, SolverError> {
        let invalid = |detail: String| SolverError::new(ErrorKind::InvalidInput, t0, detail);
        if !t0.is_finite() {
            return Err(invalid("the start time is not finite".into()));
        }
        if y0.len() != system.n {
            return Err(invalid(format!(
                "{} initial values for {} states",
                y0.len(),
                system.n
            )));
        }
        if let Some(i) = y0.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!("initial value {i} is not finite")));
        }
        if !(tol.relative.is_finite() && tol.relative >= 0.0) {
            return Err(invalid(format!(
                "relative tolerance {} is not a finite number >= 0",
                tol.relative
            )));
        }
        // zero would make the error weight of a zero state infinite
        if !(tol.absolute.is_finite() && tol.absolute > 0.0) {
            return Err(invalid(format!(
                "absolute tolerance {} is not a finite number > 0",
                tol.absolute
            )));
        }
        if let Some(&(r, c)) = system
            .jacobian_pattern
            .iter()
            .find(|&&(r, c)| r >= system.n || c >= system.n)
        {
            return Err(invalid(format!(
                "Jacobian entry ({r}, {c}) is outside the {n} x {n} matrix",
                n = system.n
            )));
        }

        let n = system.n;
        let linear_algebra = choose_linear_algebra(options.linear_algebra, &system);
        let n_roots = system.n_roots;
        let roots = system.roots;
        let built = catch_unwind(AssertUnwindSafe(
            || -> Result<Option<Box<dyn Stepper + Send + 'a>>, SolverError> {
                if n == 0 {
                    return Ok(None);
                }
                let stepper: Box<dyn Stepper + Send + 'a> = match linear_algebra {
                    LinearAlgebra::Sparse => {
                        Box::new(Integrator::<FaerSparseMat<f64>, FaerSparseLU<f64>>::new(
                            &system, t0, y0, tol, true,
                        )?)
                    }
                    _ => Box::new(Integrator::<FaerMat<f64>, FaerLU<f64>>::new(
                        &system, t0, y0, tol, false,
                    )?),
                };
                Ok(Some(stepper))
            },
        ));
        let stepper = match built {
            Ok(stepper) => stepper?,
            Err(panic) => return Err(panic_error(panic, t0)),
        };

        let mut solver = Self {
            n,
            n_roots,
            roots,
            stepper,
            linear_algebra: if n == 0 {
                LinearAlgebra::Auto
            } else {
                linear_algebra
            },
            max_steps: options.max_steps,
            t: t0,
            g: vec![0.0; n_roots],
            y_work: y0.to_vec(),
            root_evaluations: 0,
            broken: None,
            stop: None,
        };
        if n_roots > 0 {
            solver.guarded(|s| {
                let mut g = std::mem::take(&mut s.g);
                let result = s.eval_roots_with_y(t0, &mut g);
                s.g = g;
                result
            })?;
        }
        Ok(solver)
    }

    /// Integrate forward to `t` (exactly: the state at t, interpolated from a step past it),
    /// stopping early at the first root crossing after the current time, if any. A root
    /// function exactly zero at the current time does not count as a crossing there.
    pub fn advance(&mut self, t: f64) -> Result<Advance, SolverError> {
        self.advance_with(t, &mut |_| Ok(()))
    }

    /// As [`Solver::advance`], showing `on_step` every step the integrator accepts on the way
    /// (it may step past `t`, and past a root it then reports), in order; an error from
    /// `on_step` ends the advance.
    pub fn advance_with(
        &mut self,
        t: f64,
        on_step: &mut dyn FnMut(&mut AcceptedStep<'_>) -> Result<(), SolverError>,
    ) -> Result<Advance, SolverError> {
        self.usable()?;
        if !t.is_finite() {
            return Err(SolverError::new(
                ErrorKind::InvalidInput,
                self.t,
                "the output time is not finite",
            ));
        }
        if t < self.t {
            return Err(SolverError::new(
                ErrorKind::InvalidInput,
                self.t,
                format!("output time {t} is before the current time"),
            ));
        }
        self.guarded(|s| s.advance_unguarded(t, on_step))
    }

    /// Keep the integrator from stepping past `t` (CVODE's stop time): it shortens the step
    /// that would cross it and lands there exactly, so that no step straddles a time where the
    /// caller knows the right-hand side jumps. It holds across [`Solver::reset`] until reached;
    /// a later call replaces it. A time the integrator has already passed is ignored.
    pub fn set_stop_time(&mut self, t: f64) -> Result<(), SolverError> {
        self.usable()?;
        if !t.is_finite() {
            return Err(SolverError::new(
                ErrorKind::InvalidInput,
                self.t,
                "the stop time is not finite",
            ));
        }
        self.stop = Some(t);
        self.guarded(|s| s.apply_stop())
    }

    /// Hands the stop time to the integrator, if it is still ahead of it.
    fn apply_stop(&mut self) -> Result<(), SolverError> {
        if let (Some(stop), Some(stepper)) = (self.stop, self.stepper.as_mut()) {
            if stop > stepper.time() {
                stepper.set_stop(stop)?;
            }
        }
        Ok(())
    }

    /// After an event changed the state discontinuously: restart from (t, y), with a fresh
    /// step-size and order history and a fresh Jacobian. Root functions that are zero at (t, y)
    /// wait until they move off zero before they can trigger again. If it fails (the
    /// right-hand side is not finite at (t, y)), [`Solver::advance`] fails until a reset
    /// succeeds.
    pub fn reset(&mut self, t: f64, y: &[f64]) -> Result<(), SolverError> {
        self.usable()?;
        if !t.is_finite() {
            return Err(SolverError::new(
                ErrorKind::InvalidInput,
                self.t,
                "the reset time is not finite",
            ));
        }
        if y.len() != self.n {
            return Err(SolverError::new(
                ErrorKind::InvalidInput,
                t,
                format!("{} values for {} states", y.len(), self.n),
            ));
        }
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(SolverError::new(
                ErrorKind::InvalidInput,
                t,
                format!("value {i} is not finite"),
            ));
        }
        self.guarded(|s| {
            if let Some(stepper) = s.stepper.as_mut() {
                stepper.restart(t, y)?;
            }
            s.apply_stop()?;
            s.t = t;
            s.y_work.copy_from_slice(y);
            let mut g = std::mem::take(&mut s.g);
            let result = s.eval_roots_with_y(t, &mut g);
            s.g = g;
            result
        })
    }

    /// The current time: the start, the last output time reached, the last root, or the last
    /// reset.
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Which LU was chosen (`Auto` when there are no states).
    pub fn linear_algebra(&self) -> LinearAlgebra {
        self.linear_algebra
    }

    /// The work done so far.
    pub fn statistics(&self) -> Statistics {
        let mut stats = self
            .stepper
            .as_ref()
            .map(|s| s.statistics())
            .unwrap_or_default();
        stats.root_evaluations = self.root_evaluations;
        if self.stepper.is_none() {
            stats.starts = 1;
        }
        stats
    }

    fn usable(&self) -> Result<(), SolverError> {
        match &self.broken {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Run `f`, turning a panic (in diffsol or a model closure) into an error and retiring the
    /// solver, whose internal state the panic may have left half-updated.
    fn guarded<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<R, SolverError>,
    ) -> Result<R, SolverError> {
        let t = self.t;
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(result) => result,
            Err(panic) => {
                let e = panic_error(panic, t);
                self.broken = Some(e.clone());
                Err(e)
            }
        }
    }

    fn advance_unguarded(
        &mut self,
        target: f64,
        on_step: &mut dyn FnMut(&mut AcceptedStep<'_>) -> Result<(), SolverError>,
    ) -> Result<Advance, SolverError> {
        let mut steps = 0usize;
        loop {
            let t_int = self.stepper.as_ref().map_or(target, |s| s.time());
            let end = t_int.min(target);
            if end > self.t {
                if let Some((t_root, which)) = self.find_root(self.t, end)? {
                    self.t = t_root;
                    let mut y = vec![0.0; self.n];
                    self.state_at(t_root, &mut y)?;
                    return Ok(Advance::Root {
                        t: t_root,
                        y,
                        which,
                    });
                }
                self.t = end;
            }
            if self.t >= target {
                self.t = target;
                let mut y = vec![0.0; self.n];
                self.state_at(target, &mut y)?;
                return Ok(Advance::Reached { y });
            }
            // here the stepper exists: without states `end` is the target
            let Some(stepper) = self.stepper.as_mut() else {
                return Err(SolverError::new(ErrorKind::Internal, self.t, "no stepper"));
            };
            if steps >= self.max_steps {
                return Err(SolverError::new(
                    ErrorKind::TooManySteps,
                    stepper.time(),
                    format!(
                        "{} steps without reaching t = {target} (Options::max_steps)",
                        self.max_steps
                    ),
                ));
            }
            let before = stepper.time();
            stepper.step().map_err(|e| stepper.error(e, before))?;
            steps += 1;
            let (end, order) = (stepper.time(), stepper.order());
            on_step(&mut AcceptedStep {
                start: before,
                end,
                order,
                stepper: &mut **stepper,
            })?;
        }
    }

    /// The state at `t`, which must lie within the integrator's last step.
    fn state_at(&mut self, t: f64, y: &mut [f64]) -> Result<(), SolverError> {
        match self.stepper.as_mut() {
            Some(stepper) => stepper.interpolate(t, y).map_err(|e| stepper.error(e, t)),
            None => Ok(()),
        }
    }

    /// Root function values at `t`, from the interpolated state there.
    fn eval_roots_at(&mut self, t: f64, g: &mut [f64]) -> Result<(), SolverError> {
        let mut y = std::mem::take(&mut self.y_work);
        let result = self.state_at(t, &mut y);
        self.y_work = y;
        result?;
        self.eval_roots_with_y(t, g)
    }

    /// Root function values at `t` for the state already in `y_work`.
    fn eval_roots_with_y(&mut self, t: f64, g: &mut [f64]) -> Result<(), SolverError> {
        self.root_evaluations += 1;
        (self.roots)(t, &self.y_work, g);
        Ok(())
    }

    /// The first genuine sign change of a root function in (a, b], where the integrator's
    /// interpolant covers [a, b]; `self.g` holds the values at a and on return holds them at
    /// the returned root, or at b when there is none.
    fn find_root(&mut self, a: f64, b: f64) -> Result<Option<(f64, Vec<usize>)>, SolverError> {
        if self.n_roots == 0 {
            return Ok(None);
        }
        let m = self.n_roots;
        // the signs to compare with: a function exactly zero at `a` (an event just fired, or a
        // reset landed on its threshold) takes its sign from just after `a`, as in CVODE, so it
        // cannot re-trigger there but a later crossing is still seen
        let mut g_lo = self.g.clone();
        if g_lo.contains(&0.0) {
            let delta = (100.0 * f64::EPSILON * (a.abs() + (b - a))).min(0.5 * (b - a));
            let mut probe = vec![0.0; m];
            self.eval_roots_at(a + delta, &mut probe)?;
            for (lo, p) in g_lo.iter_mut().zip(&probe) {
                if *lo == 0.0 {
                    *lo = *p;
                }
            }
        }
        // functions still zero (or NaN) stay out of it for this interval
        let active: Vec<bool> = g_lo.iter().map(|v| *v != 0.0 && !v.is_nan()).collect();

        // without states nothing bounds the interval's length, so sample it
        let pieces = if self.n == 0 {
            ROOT_SAMPLES_WITHOUT_STATES
        } else {
            1
        };
        let mut lo = a;
        let mut g_hi = vec![0.0; m];
        for piece in 1..=pieces {
            let hi = if piece == pieces {
                b
            } else {
                a + (b - a) * (piece as f64 / pieces as f64)
            };
            self.eval_roots_at(hi, &mut g_hi)?;
            if crossed(&active, &g_lo, &g_hi) {
                // the signs before the crossing (`locate_root` moves its lower end only to
                // where no active function has changed sign yet)
                let before = g_lo.clone();
                let (t_root, g_root) = self.locate_root(&active, lo, g_lo, hi, g_hi)?;
                let which = (0..m)
                    .filter(|&i| active[i] && crossing(before[i], g_root[i]))
                    .collect();
                self.g = g_root;
                return Ok(Some((t_root, which)));
            }
            lo = hi;
            g_lo.copy_from_slice(&g_hi);
        }
        self.g = g_hi;
        Ok(None)
    }

    /// Narrow [lo, hi], across which an active function changes sign, down to its first
    /// crossing: CVODE's modified secant (Illinois) method. Returns the upper end, where the
    /// sign has changed, and the values there.
    fn locate_root(
        &mut self,
        active: &[bool],
        mut lo: f64,
        mut g_lo: Vec<f64>,
        mut hi: f64,
        mut g_hi: Vec<f64>,
    ) -> Result<(f64, Vec<f64>), SolverError> {
        let tol = 100.0 * f64::EPSILON * (hi.abs() + (hi - lo));
        let mut g_mid = vec![0.0; g_lo.len()];
        let mut alpha = 1.0;
        let mut sides = [false, true];
        for iteration in 0..MAX_ROOT_ITERATIONS {
            if hi - lo <= tol {
                break;
            }
            // the function whose linear interpolant crosses first
            let mut best: Option<(usize, f64)> = None;
            for i in 0..g_lo.len() {
                if active[i] && crossing(g_lo[i], g_hi[i]) {
                    let frac = (g_hi[i] / (g_hi[i] - alpha * g_lo[i])).abs();
                    if best.is_none_or(|(_, f)| frac > f) {
                        best = Some((i, frac));
                    }
                }
            }
            let Some((i, _)) = best else { break };
            let mut t_mid = hi - (hi - lo) * g_hi[i] / (g_hi[i] - alpha * g_lo[i]);
            if !t_mid.is_finite() {
                t_mid = 0.5 * (lo + hi);
            }
            // keep clear of the ends, or the interval stops shrinking
            let fraction = |width: f64| {
                let fracint = width / tol;
                if fracint > 5.0 {
                    0.1
                } else {
                    0.5 / fracint
                }
            };
            if (t_mid - lo).abs() < 0.5 * tol || t_mid < lo {
                t_mid = lo + fraction(hi - lo) * (hi - lo);
            }
            if (hi - t_mid).abs() < 0.5 * tol || t_mid > hi {
                t_mid = hi - fraction(hi - lo) * (hi - lo);
            }
            self.eval_roots_at(t_mid, &mut g_mid)?;
            let lower = crossed(active, &g_lo, &g_mid);
            if lower {
                hi = t_mid;
                std::mem::swap(&mut g_hi, &mut g_mid);
            } else {
                lo = t_mid;
                std::mem::swap(&mut g_lo, &mut g_mid);
            }
            // Illinois: when the same end moves twice running, weight the other one
            sides[iteration % 2] = lower;
            if iteration >= 1 {
                alpha = if sides[0] != sides[1] {
                    1.0
                } else if lower {
                    0.5 * alpha
                } else {
                    2.0 * alpha
                };
            }
        }
        Ok((hi, g_hi))
    }
}

/// Whether a root function went from `from` (non-zero) to zero or the other sign.
fn crossing(from: f64, to: f64) -> bool {
    from != 0.0 && !from.is_nan() && !to.is_nan() && (to == 0.0 || (from > 0.0) != (to > 0.0))
}

fn crossed(active: &[bool], from: &[f64], to: &[f64]) -> bool {
    (0..from.len()).any(|i| active[i] && crossing(from[i], to[i]))
}

fn choose_linear_algebra(asked: LinearAlgebra, system: &System<'_>) -> LinearAlgebra {
    match asked {
        LinearAlgebra::Auto => {
            let n = system.n;
            let mut distinct = system.jacobian_pattern.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let density = distinct.len() as f64 / ((n * n).max(1) as f64);
            if n >= DENSE_MIN_STATES && density > DENSE_MIN_DENSITY {
                LinearAlgebra::Dense
            } else {
                LinearAlgebra::Sparse
            }
        }
        other => other,
    }
}

fn panic_error(panic: Box<dyn std::any::Any + Send>, t: f64) -> SolverError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    SolverError::new(
        ErrorKind::Internal,
        t,
        format!("panic inside the solver or the model: {message}"),
    )
}

// ---------------------------------------------------------------------------------------------
// The model as diffsol equations.

type Vf = FaerVec<f64>;

fn slice(v: &Vf) -> &[f64] {
    v.inner().col_as_slice(0)
}

fn slice_mut(v: &mut Vf) -> &mut [f64] {
    v.inner_mut().col_as_slice_mut(0)
}

/// The bounds every matrix type used here satisfies.
trait Mat: Matrix<T = f64, V = Vf, C = FaerContext> {}
impl<M: Matrix<T = f64, V = Vf, C = FaerContext>> Mat for M {}

/// The system as diffsol's [`OdeEquations`]: no mass matrix, no parameters, and none of
/// diffsol's roots (we find them ourselves).
struct Equations<'a, M: Mat> {
    n: usize,
    rhs: &'a ModelFn<'a>,
    jacobian: &'a ModelFn<'a>,
    pattern: Vec<(usize, usize)>,
    /// For each pattern entry, its index among the distinct entries (duplicates are summed).
    slot: Vec<usize>,
    /// Where each distinct entry lives in the matrix's value storage (column-major index for
    /// dense, index into the CSC values for sparse), and 0..distinct for the source side of
    /// `set_data_with_indices`.
    matrix_positions: FaerVecIndex,
    value_positions: FaerVecIndex,
    /// The Jacobian's pattern, for the sparse path (diffsol adds the diagonal of I - cJ).
    sparsity: Option<M::Sparsity>,
    y0: Vec<f64>,
    ctx: FaerContext,
    rhs_evaluations: AtomicUsize,
    jacobian_evaluations: AtomicUsize,
    /// Bits of the last time the right-hand side returned a non-finite value, or `NO_TIME`.
    non_finite_at: AtomicU64,
}

const NO_TIME: u64 = u64::MAX;

impl<'a, M: Mat> Equations<'a, M> {
    fn new(system: &System<'a>, y0: &[f64], sparse: bool) -> Result<Self, String> {
        let n = system.n;
        let ctx = FaerContext::default();
        // distinct entries in column-major order, the order of both storages
        let mut distinct = system.jacobian_pattern.clone();
        distinct.sort_unstable_by_key(|&(r, c)| (c, r));
        distinct.dedup();
        let slot = system
            .jacobian_pattern
            .iter()
            .map(|&(r, c)| {
                distinct
                    .binary_search_by_key(&(c, r), |&(r2, c2)| (c2, r2))
                    .map_err(|_| format!("Jacobian entry ({r}, {c}) lost"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let structure =
            <M::Sparsity as MatrixSparsity<M>>::try_from_indices(n, n, distinct.clone())
                .map_err(|e| format!("Jacobian pattern: {e}"))?;
        let matrix_positions = structure.get_index(&distinct, ctx);
        if matrix_positions.len() != distinct.len() {
            return Err("Jacobian pattern: entries missing from the sparse structure".into());
        }
        let value_positions = FaerVecIndex::from_vec((0..distinct.len()).collect(), ctx);
        Ok(Self {
            n,
            rhs: system.rhs,
            jacobian: system.jacobian,
            pattern: system.jacobian_pattern.clone(),
            slot,
            matrix_positions,
            value_positions,
            sparsity: sparse.then_some(structure),
            y0: y0.to_vec(),
            ctx,
            rhs_evaluations: AtomicUsize::new(0),
            jacobian_evaluations: AtomicUsize::new(0),
            non_finite_at: AtomicU64::new(NO_TIME),
        })
    }

    fn non_finite_at(&self) -> Option<f64> {
        match self.non_finite_at.load(Ordering::Relaxed) {
            NO_TIME => None,
            bits => Some(f64::from_bits(bits)),
        }
    }

    fn jacobian_values(&self, x: &Vf, t: f64) -> Vec<f64> {
        self.jacobian_evaluations.fetch_add(1, Ordering::Relaxed);
        let mut values = vec![0.0; self.pattern.len()];
        (self.jacobian)(t, slice(x), &mut values);
        values
    }
}

impl<M: Mat> Op for Equations<'_, M> {
    type T = f64;
    type V = Vf;
    type M = M;
    type C = FaerContext;
    fn context(&self) -> &FaerContext {
        &self.ctx
    }
    fn nstates(&self) -> usize {
        self.n
    }
    fn nout(&self) -> usize {
        self.n
    }
    fn nparams(&self) -> usize {
        0
    }
}

/// f(t, y) and its Jacobian.
struct Rhs<'b, 'a, M: Mat>(&'b Equations<'a, M>);

impl<M: Mat> Op for Rhs<'_, '_, M> {
    type T = f64;
    type V = Vf;
    type M = M;
    type C = FaerContext;
    fn context(&self) -> &FaerContext {
        &self.0.ctx
    }
    fn nstates(&self) -> usize {
        self.0.n
    }
    fn nout(&self) -> usize {
        self.0.n
    }
    fn nparams(&self) -> usize {
        0
    }
}

impl<M: Mat> NonLinearOp for Rhs<'_, '_, M> {
    fn call_inplace(&self, x: &Vf, t: f64, y: &mut Vf) {
        let eq = self.0;
        eq.rhs_evaluations.fetch_add(1, Ordering::Relaxed);
        let dy = slice_mut(y);
        (eq.rhs)(t, slice(x), dy);
        if dy.iter().any(|v| !v.is_finite()) {
            eq.non_finite_at.store(t.to_bits(), Ordering::Relaxed);
        }
    }
}

impl<M: Mat> NonLinearOpJacobian for Rhs<'_, '_, M> {
    fn jac_mul_inplace(&self, x: &Vf, t: f64, v: &Vf, y: &mut Vf) {
        let eq = self.0;
        let values = eq.jacobian_values(x, t);
        let v = slice(v);
        let y = slice_mut(y);
        y.fill(0.0);
        for (&(r, c), value) in eq.pattern.iter().zip(&values) {
            y[r] += value * v[c];
        }
    }

    /// The matrix straight from the triplets: only pattern positions are ever written, so the
    /// rest of a dense matrix stays at the zeros it was created with.
    fn jacobian_inplace(&self, x: &Vf, t: f64, y: &mut M) {
        let eq = self.0;
        let values = eq.jacobian_values(x, t);
        let mut distinct = Vf::zeros(eq.value_positions.len(), eq.ctx);
        let sums = slice_mut(&mut distinct);
        for (&slot, value) in eq.slot.iter().zip(&values) {
            sums[slot] += value;
        }
        y.set_data_with_indices(&eq.matrix_positions, &eq.value_positions, &distinct);
    }

    fn jacobian_sparsity(&self) -> Option<M::Sparsity> {
        self.0.sparsity.clone()
    }
}

/// y(t0), which diffsol asks for only when it builds a state itself (we build ours).
struct Init<'b, 'a, M: Mat>(&'b Equations<'a, M>);

impl<M: Mat> Op for Init<'_, '_, M> {
    type T = f64;
    type V = Vf;
    type M = M;
    type C = FaerContext;
    fn context(&self) -> &FaerContext {
        &self.0.ctx
    }
    fn nstates(&self) -> usize {
        self.0.n
    }
    fn nout(&self) -> usize {
        self.0.n
    }
    fn nparams(&self) -> usize {
        0
    }
}

impl<M: Mat> ConstantOp for Init<'_, '_, M> {
    fn call_inplace(&self, _t: f64, y: &mut Vf) {
        slice_mut(y).copy_from_slice(&self.0.y0);
    }
}

impl<'b, 'a, M: Mat> OdeEquationsRef<'b> for Equations<'a, M> {
    type Mass = UnitCallable<M>;
    type Rhs = Rhs<'b, 'a, M>;
    type Root = UnitCallable<M>;
    type Init = Init<'b, 'a, M>;
    type Out = UnitCallable<M>;
    type Reset = UnitCallable<M>;
}

impl<'a, M: Mat> OdeEquations for Equations<'a, M> {
    fn rhs(&self) -> Rhs<'_, 'a, M> {
        Rhs(self)
    }
    fn mass(&self) -> Option<UnitCallable<M>> {
        None
    }
    fn root(&self) -> Option<UnitCallable<M>> {
        None
    }
    fn init(&self) -> Init<'_, 'a, M> {
        Init(self)
    }
    fn set_params(&mut self, _p: &Vf) {}
    fn get_params(&self, _p: &mut Vf) {}
}

// ---------------------------------------------------------------------------------------------
// The integrator.

/// What [`Solver`] needs of an integrator, whichever LU it uses.
trait Stepper {
    /// The integrator's own time, the end of its last step.
    fn time(&self) -> f64;
    /// One internal step.
    fn step(&mut self) -> Result<(), DiffsolError>;
    /// The number of states.
    fn len(&self) -> usize;
    /// The degree of the interpolating polynomial over the last step.
    fn order(&self) -> usize;
    /// The state at `t` within the last step.
    fn interpolate(&mut self, t: f64, y: &mut [f64]) -> Result<(), DiffsolError>;
    /// Do not step past `t`, which is ahead of the integrator's time.
    fn set_stop(&mut self, t: f64) -> Result<(), SolverError>;
    /// A fresh start from (t, y).
    fn restart(&mut self, t: f64, y: &[f64]) -> Result<(), SolverError>;
    fn statistics(&self) -> Statistics;
    /// `e` in our terms, `t` being the time to report if diffsol does not say.
    fn error(&self, e: DiffsolError, t: f64) -> SolverError;
}

type Problem<'a, M> = OdeSolverProblem<Equations<'a, M>>;

/// diffsol's BDF together with the problem it borrows.
///
/// diffsol's `Bdf<'p, ..>` holds a `&'p OdeSolverProblem`, and our [`Solver`] has to own both,
/// so this is self-referential: the problem is boxed and leaked into a raw pointer, the BDF
/// borrows it, and `Drop` frees it after dropping the BDF. Restarting the BDF per `advance`
/// call instead would lose its order and step-size history at every output time.
struct Integrator<'a, M: Mat, LS: LinearSolver<M>> {
    bdf: Option<Bdf<'a, Equations<'a, M>, LS>>,
    /// Owned (from `Box::into_raw`), never moved or mutated while `bdf` borrows it.
    problem: NonNull<Problem<'a, M>>,
    work: Vf,
    /// Counts from BDF instances dropped by restarts.
    earlier: Statistics,
}

// SAFETY: an `Integrator` owns its problem outright, as a `Box` would (`problem` is neither
// shared nor aliased outside it), and the BDF's references to it travel along with it; so moving
// it to another thread is sound when the BDF may move and the problem may be both moved and
// referenced from another thread.
unsafe impl<'a, M: Mat, LS: LinearSolver<M>> Send for Integrator<'a, M, LS>
where
    Bdf<'a, Equations<'a, M>, LS>: Send,
    Problem<'a, M>: Send + Sync,
{
}

impl<'a, M: Mat, LS: LinearSolver<M>> Drop for Integrator<'a, M, LS> {
    fn drop(&mut self) {
        // the borrower goes first
        self.bdf = None;
        // SAFETY: `problem` came from `Box::into_raw` in `new`, is freed only here, and nothing
        // borrows it any more: the only borrower, `bdf`, is gone, and no reference derived from
        // it is handed out of this struct.
        unsafe { drop(Box::from_raw(self.problem.as_ptr())) };
    }
}

impl<'a, M: Mat, LS: LinearSolver<M>> Integrator<'a, M, LS>
where
    for<'b> &'b M: MatrixRef<M>,
{
    fn new(
        system: &System<'a>,
        t0: f64,
        y0: &[f64],
        tol: Tolerances,
        sparse: bool,
    ) -> Result<Self, SolverError> {
        let eqn = Equations::<M>::new(system, y0, sparse)
            .map_err(|e| SolverError::new(ErrorKind::InvalidInput, t0, e))?;
        let problem = OdeBuilder::<M>::new()
            .t0(t0)
            .rtol(tol.relative)
            .atol([tol.absolute])
            .build_from_eqn(eqn)
            .map_err(|e| SolverError::from_diffsol(e, t0, None))?;
        let mut problem = problem;
        problem.ode_options.max_timestep_growth = Some(MAX_STEP_GROWTH);
        let problem = NonNull::from(Box::leak(Box::new(problem)));
        let mut integrator = Self {
            bdf: None,
            problem,
            work: Vf::zeros(system.n, FaerContext::default()),
            earlier: Statistics::default(),
        };
        integrator.restart(t0, y0)?;
        Ok(integrator)
    }

    fn problem(&self) -> &'a Problem<'a, M> {
        // SAFETY: the allocation lives until `drop`, which first drops `bdf`, the only place a
        // reference obtained here is kept; it is never mutated after `new`.
        unsafe { self.problem.as_ref() }
    }

    fn bdf(&self) -> Result<&Bdf<'a, Equations<'a, M>, LS>, DiffsolError> {
        self.bdf.as_ref().ok_or_else(|| {
            DiffsolError::Other(
                "no integration in progress (the last start or reset failed)".into(),
            )
        })
    }
}

impl<'a, M: Mat, LS: LinearSolver<M>> Stepper for Integrator<'a, M, LS>
where
    for<'b> &'b M: MatrixRef<M>,
{
    fn time(&self) -> f64 {
        self.bdf.as_ref().map_or(f64::NAN, |b| b.state().t)
    }

    fn step(&mut self) -> Result<(), DiffsolError> {
        let bdf = self.bdf.as_mut().ok_or_else(|| {
            DiffsolError::Other(
                "no integration in progress (the last start or reset failed)".into(),
            )
        })?;
        let t = bdf.state().t;
        let fails = bdf.get_statistics().number_of_nonlinear_solver_fails;
        let config = bdf.config_mut();
        // below this t + h == t: a "step" would not move
        config.minimum_timestep = (16.0 * f64::EPSILON * t.abs()).max(f64::MIN_POSITIVE);
        config.maximum_newton_fails = fails + MAX_NEWTON_FAILS_PER_STEP;
        bdf.step().map(|_| ())
    }

    fn len(&self) -> usize {
        self.work.len()
    }

    fn order(&self) -> usize {
        self.bdf.as_ref().map_or(1, |b| b.order())
    }

    fn set_stop(&mut self, t: f64) -> Result<(), SolverError> {
        let Some(bdf) = self.bdf.as_mut() else {
            return Ok(());
        };
        match bdf.set_stop_time(t) {
            // within rounding of the integrator's time, or behind it: nothing to keep it from
            Err(DiffsolError::OdeSolverError(
                OdeSolverError::StopTimeAtCurrentTime
                | OdeSolverError::StopTimeBeforeCurrentTime { .. },
            )) => Ok(()),
            Err(e) => Err(self.error(e, t)),
            Ok(()) => Ok(()),
        }
    }

    fn interpolate(&mut self, t: f64, y: &mut [f64]) -> Result<(), DiffsolError> {
        let bdf = self.bdf.as_ref().ok_or_else(|| {
            DiffsolError::Other(
                "no integration in progress (the last start or reset failed)".into(),
            )
        })?;
        let state = bdf.state();
        if t == state.t {
            // right after a restart diffsol serves only this time, and exactly
            y.copy_from_slice(slice(state.y));
        } else {
            bdf.interpolate_inplace(t, &mut self.work)?;
            y.copy_from_slice(slice(&self.work));
        }
        Ok(())
    }

    fn restart(&mut self, t: f64, y: &[f64]) -> Result<(), SolverError> {
        if let Some(old) = self.bdf.take() {
            self.earlier = add_statistics(self.earlier, old.get_statistics());
        }
        let problem = self.problem();
        let ctx = FaerContext::default();
        let yv = Vf::from_slice(y, ctx);
        let mut dy = Vf::zeros(y.len(), ctx);
        problem.eqn.rhs().call_inplace(&yv, t, &mut dy);
        if let Some(i) = slice(&dy).iter().position(|v| !v.is_finite()) {
            return Err(SolverError::new(
                ErrorKind::NotFinite,
                t,
                format!("its component {i} at the start"),
            ));
        }
        let empty = || Vf::zeros(0, ctx);
        let mut state = BdfState::<Vf>::new_from_common(StateCommon {
            y: yv,
            dy,
            g: empty(),
            dg: empty(),
            s: empty(),
            ds: empty(),
            sg: empty(),
            dsg: empty(),
            t,
            h: 1.0,
        });
        // Hairer-Norsett-Wanner's initial step for a first-order method; positive h: forward
        let mut start = state.as_mut();
        start.set_step_size(1.0, &problem.atol, problem.rtol, &problem.eqn, 1);
        // ... bounded below as CVODE bounds its own (100 ulps of t): for a state at rounding
        // level (a difference that should be 0, after an event) with a large derivative, the
        // estimate 0.01·|y|/|y'| is far below the step the integrator can take at all
        let floor = MIN_START_STEP_ULPS * f64::EPSILON * t.abs().max(1.0);
        if *start.h < floor {
            *start.h = floor;
        }
        let bdf = <Bdf<'a, Equations<'a, M>, LS>>::new(problem, state, LS::default())
            .map_err(|e| self.error(e, t))?;
        self.bdf = Some(bdf);
        self.earlier.starts += 1;
        Ok(())
    }

    fn statistics(&self) -> Statistics {
        let mut stats = match &self.bdf {
            Some(bdf) => add_statistics(self.earlier, bdf.get_statistics()),
            None => self.earlier,
        };
        let eqn = &self.problem().eqn;
        stats.rhs_evaluations = eqn.rhs_evaluations.load(Ordering::Relaxed);
        stats.jacobian_evaluations = eqn.jacobian_evaluations.load(Ordering::Relaxed);
        stats
    }

    fn error(&self, e: DiffsolError, t: f64) -> SolverError {
        let t = self.bdf().map_or(t, |b| b.state().t);
        SolverError::from_diffsol(e, t, self.problem().eqn.non_finite_at())
    }
}

fn add_statistics(
    mut stats: Statistics,
    more: &diffsol::ode_solver::OdeSolverStatistics,
) -> Statistics {
    stats.steps += more.number_of_steps;
    stats.error_test_failures += more.number_of_error_test_failures;
    stats.newton_failures += more.number_of_nonlinear_solver_fails;
    stats.factorisations += more.number_of_linear_solver_setups;
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn no_roots(_t: f64, _y: &[f64], _g: &mut [f64]) {}

    fn tight() -> Tolerances {
        Tolerances {
            relative: 1e-10,
            absolute: 1e-14,
        }
    }

    fn reached(a: Advance) -> Vec<f64> {
        match a {
            Advance::Reached { y } => y,
            other => panic!("expected to reach the time, got {other:?}"),
        }
    }

    fn root(a: Advance) -> (f64, Vec<f64>, Vec<usize>) {
        match a {
            Advance::Root { t, y, which } => (t, y, which),
            other => panic!("expected a root, got {other:?}"),
        }
    }

    #[test]
    fn a_solver_can_move_to_another_thread() {
        fn send<T: Send>(_: &T) {}
        let mut solver = robertson(LinearAlgebra::Auto, Tolerances::default());
        send(&solver);
        let y = std::thread::scope(|s| s.spawn(move || solver.advance(1.0)).join().unwrap());
        assert!(reached(y.unwrap())[0] < 1.0);
    }

    #[test]
    fn exponential_decay_matches_the_exact_solution() {
        let k = [0.7, 0.3];
        let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| {
            dy[0] = -k[0] * y[0];
            dy[1] = -k[1] * y[1];
        };
        let jac = |_t: f64, _y: &[f64], v: &mut [f64]| {
            v[0] = -k[0];
            v[1] = -k[1];
        };
        let system = System {
            n: 2,
            rhs: &rhs,
            jacobian_pattern: vec![(0, 0), (1, 1)],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let y0 = [2.0, 1.0];
        let mut solver = Solver::new(system, 0.0, &y0, tight()).unwrap();
        // small and sparse: sparse LU (it measured faster than dense even here)
        assert_eq!(solver.linear_algebra(), LinearAlgebra::Sparse);
        let mut worst: f64 = 0.0;
        for i in 1..=50 {
            let t = i as f64 * 0.2;
            let y = reached(solver.advance(t).unwrap());
            assert_eq!(solver.time(), t);
            for s in 0..2 {
                let exact = y0[s] * (-k[s] * t).exp();
                worst = worst.max(((y[s] - exact) / exact).abs());
            }
        }
        assert!(worst < 1e-6, "worst relative error {worst}");
        // asking for the current time again gives the current state, without stepping
        let steps = solver.statistics().steps;
        let y = reached(solver.advance(10.0).unwrap());
        assert!((y[0] - 2.0 * (-7.0f64).exp()).abs() < 1e-9);
        assert_eq!(solver.statistics().steps, steps);
    }

    #[test]
    fn accepted_steps_tile_the_interval_and_reproduce_the_interpolant() {
        let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| dy[0] = -y[0];
        let jac = |_t: f64, _y: &[f64], v: &mut [f64]| v[0] = -1.0;
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![(0, 0)],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let mut solver = Solver::new(system, 0.0, &[1.0], tight()).unwrap();
        let mut steps: Vec<(f64, f64, Vec<f64>)> = Vec::new();
        let mut record = |step: &mut AcceptedStep<'_>| {
            assert!((1..=5).contains(&step.order));
            let mut y = [0.0];
            let mut mid = Vec::new();
            for t in [step.start, 0.5 * (step.start + step.end), step.end] {
                step.state_at(t, &mut y)?;
                mid.push(y[0]);
            }
            steps.push((step.start, step.end, mid));
            Ok(())
        };
        let y = reached(solver.advance_with(3.0, &mut record).unwrap());
        assert_eq!(steps.len(), solver.statistics().steps);
        assert_eq!(steps[0].0, 0.0);
        assert!(steps.last().unwrap().1 >= 3.0);
        for pair in steps.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "steps are contiguous");
        }
        for (start, end, values) in &steps {
            for (t, v) in [*start, 0.5 * (start + end), *end].iter().zip(values) {
                assert!((v - (-t).exp()).abs() < 1e-6, "y({t}) = {v}");
            }
        }
        assert!((y[0] - (-3.0f64).exp()).abs() < 1e-7);
        // an error from the observer ends the advance
        let mut refuse =
            |_: &mut AcceptedStep<'_>| Err(SolverError::new(ErrorKind::InvalidInput, 0.0, "no"));
        assert!(solver.advance_with(6.0, &mut refuse).is_err());
    }

    #[test]
    fn a_stop_time_is_landed_on_exactly_and_holds_across_resets() {
        let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| dy[0] = -y[0];
        let jac = |_t: f64, _y: &[f64], v: &mut [f64]| v[0] = -1.0;
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![(0, 0)],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let mut solver = Solver::new(system, 0.0, &[1.0], tight()).unwrap();
        solver.set_stop_time(1.3).unwrap();
        let mut ends = Vec::new();
        let mut record = |step: &mut AcceptedStep<'_>| {
            ends.push(step.end);
            Ok(())
        };
        reached(solver.advance_with(1.0, &mut record).unwrap());
        solver.reset(1.0, &[(-1.0f64).exp()]).unwrap();
        reached(solver.advance_with(1.3, &mut record).unwrap());
        assert!(ends.iter().all(|&t| t <= 1.3), "no step past the stop time");
        assert_eq!(*ends.last().unwrap(), 1.3);
        // once reached, integration goes on past it
        let y = reached(solver.advance(5.0).unwrap());
        assert!((y[0] - (-5.0f64).exp()).abs() < 1e-7);
        // a stop time already passed is ignored
        solver.set_stop_time(2.0).unwrap();
        reached(solver.advance(6.0).unwrap());
        assert!(solver.set_stop_time(f64::NAN).is_err());
    }

    #[test]
    fn a_restart_from_a_rounding_level_state_with_a_large_derivative_can_step() {
        // y' = -1 from y = 3e-16 at t = 1: the initial-step estimate 0.01·|y|/|y'| is below
        // what t = 1 can resolve; the start step is bounded below instead
        let rhs = |_t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = -1.0;
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let mut solver = Solver::new(system, 1.0, &[2.775_557_561_562_891e-16], tight()).unwrap();
        let y = reached(solver.advance(2.0).unwrap());
        assert!((y[0] + 1.0).abs() < 1e-9, "y(2) = {}", y[0]);
    }

    fn robertson_rhs(_t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
        dy[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
        dy[2] = 3e7 * y[1] * y[1];
    }

    fn robertson_jacobian(_t: f64, y: &[f64], v: &mut [f64]) {
        // pattern order: see `robertson`
        v[0] = -0.04;
        v[1] = 1e4 * y[2];
        v[2] = 1e4 * y[1];
        v[3] = 0.04;
        v[4] = -1e4 * y[2] - 6e7 * y[1];
        v[5] = -1e4 * y[1];
        v[6] = 6e7 * y[1];
    }

    fn robertson(linear_algebra: LinearAlgebra, tol: Tolerances) -> Solver<'static> {
        let system = System {
            n: 3,
            rhs: &robertson_rhs,
            jacobian_pattern: vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 1)],
            jacobian: &robertson_jacobian,
            n_roots: 0,
            roots: &no_roots,
        };
        let options = Options {
            linear_algebra,
            ..Options::default()
        };
        Solver::with_options(system, 0.0, &[1.0, 0.0, 0.0], tol, options).unwrap()
    }

    #[test]
    fn robertson_matches_reference_values() {
        for linear_algebra in [LinearAlgebra::Dense, LinearAlgebra::Sparse] {
            let tol = Tolerances {
                relative: 1e-8,
                absolute: 1e-14,
            };
            let mut solver = robertson(linear_algebra, tol);
            assert_eq!(solver.linear_algebra(), linear_algebra);
            let y = reached(solver.advance(40.0).unwrap());
            let reference = [0.7158270687, 9.185534764e-6, 0.2841637457];
            for s in 0..3 {
                let rel = ((y[s] - reference[s]) / reference[s]).abs();
                assert!(rel < 1e-6, "{linear_algebra:?} y{s} = {} ({rel})", y[s]);
            }
            // far out (the test set's end point, Mazzia & Magherini), through many decades
            let mut t: f64 = 40.0;
            while t < 1e11 {
                t = (t * 10.0).min(1e11);
                reached(solver.advance(t).unwrap());
            }
            let y = reached(solver.advance(1e11).unwrap());
            let reference = [
                0.2083340149701255e-7,
                0.8333360770334713e-13,
                0.999_999_979_166_505,
            ];
            for s in 0..3 {
                let rel = ((y[s] - reference[s]) / reference[s]).abs();
                assert!(
                    rel < 1e-4,
                    "{linear_algebra:?} at 1e11: y{s} = {} ({rel})",
                    y[s]
                );
            }
            assert!((y.iter().sum::<f64>() - 1.0).abs() < 1e-10);
        }
    }

    #[test]
    fn a_root_is_located_and_integration_restarts_after_reset() {
        let rhs = |_t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = 1.0;
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        let roots = |_t: f64, y: &[f64], g: &mut [f64]| g[0] = y[0] - 2.5;
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 1,
            roots: &roots,
        };
        let mut solver = Solver::new(system, 0.0, &[0.0], Tolerances::default()).unwrap();
        // output points before the root are served normally
        let y = reached(solver.advance(1.0).unwrap());
        assert!((y[0] - 1.0).abs() < 1e-9);
        let (t, y, which) = root(solver.advance(10.0).unwrap());
        assert!((t - 2.5).abs() < 1e-8, "root at {t}");
        assert!((y[0] - 2.5).abs() < 1e-8);
        assert_eq!(which, vec![0]);
        assert_eq!(solver.time(), t);
        solver.reset(t, &[0.0]).unwrap();
        let (t2, _, which) = root(solver.advance(10.0).unwrap());
        assert!((t2 - 5.0).abs() < 1e-8, "second root at {t2}");
        assert_eq!(which, vec![0]);
        // without a reset the crossing just made does not fire again
        let y = reached(solver.advance(6.0).unwrap());
        assert!((y[0] - 3.5).abs() < 1e-8);
        assert_eq!(solver.statistics().starts, 2);
    }

    #[test]
    fn a_root_at_the_start_or_right_after_reset_does_not_fire() {
        let rhs = |_t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = 1.0;
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        // g0 is zero at the start and moves away; g1 stays zero all along
        let roots = |_t: f64, y: &[f64], g: &mut [f64]| {
            g[0] = y[0];
            g[1] = 0.0;
        };
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 2,
            roots: &roots,
        };
        let mut solver = Solver::new(system, 0.0, &[0.0], Tolerances::default()).unwrap();
        reached(solver.advance(3.0).unwrap());
        // reset onto the threshold, from above: moving up again, nothing fires
        solver.reset(3.0, &[0.0]).unwrap();
        reached(solver.advance(4.0).unwrap());
        // reset onto it from below while still moving up: nothing either
        solver.reset(4.0, &[-1.0]).unwrap();
        let (t, _, which) = root(solver.advance(10.0).unwrap());
        assert!((t - 5.0).abs() < 1e-8);
        assert_eq!(which, vec![0]);
    }

    #[test]
    fn a_root_that_touches_zero_then_turns_back_is_still_seen() {
        // g = y - 1 is zero at the reset and goes up, then comes back down through zero
        let rhs = |t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = 1.0 - t;
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        let roots = |_t: f64, y: &[f64], g: &mut [f64]| g[0] = y[0] - 1.0;
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 1,
            roots: &roots,
        };
        let mut solver = Solver::new(system, 0.0, &[1.0], Tolerances::default()).unwrap();
        // y = 1 + t - t²/2 is back at 1 at t = 2
        let (t, _, which) = root(solver.advance(5.0).unwrap());
        assert!((t - 2.0).abs() < 1e-6, "{t}");
        assert_eq!(which, vec![0]);
    }

    #[test]
    fn simultaneous_roots_are_all_reported() {
        let rhs = |_t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = 1.0;
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        let roots = |_t: f64, y: &[f64], g: &mut [f64]| {
            g[0] = y[0] - 1.0;
            g[1] = 7.0;
            g[2] = 2.0 - 2.0 * y[0];
        };
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 3,
            roots: &roots,
        };
        let mut solver = Solver::new(system, 0.0, &[0.0], Tolerances::default()).unwrap();
        let (t, _, which) = root(solver.advance(3.0).unwrap());
        assert!((t - 1.0).abs() < 1e-8);
        assert_eq!(which, vec![0, 2]);
    }

    #[test]
    fn without_states_time_only_roots_still_fire() {
        let rhs = |_t: f64, _y: &[f64], _dy: &mut [f64]| {};
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        let roots = |t: f64, y: &[f64], g: &mut [f64]| {
            assert!(y.is_empty());
            g[0] = t - 3.3;
            // crosses twice inside one advance: the first crossing is found first
            g[1] = (t - 7.5) * (t - 9.0);
        };
        let system = System {
            n: 0,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 2,
            roots: &roots,
        };
        let mut solver = Solver::new(system, 0.0, &[], Tolerances::default()).unwrap();
        assert_eq!(reached(solver.advance(1.0).unwrap()), Vec::<f64>::new());
        let (t, y, which) = root(solver.advance(10.0).unwrap());
        assert!((t - 3.3).abs() < 1e-10, "{t}");
        assert!(y.is_empty());
        assert_eq!(which, vec![0]);
        let (t, _, which) = root(solver.advance(10.0).unwrap());
        assert!((t - 7.5).abs() < 1e-10, "{t}");
        assert_eq!(which, vec![1]);
        let (t, _, _) = root(solver.advance(10.0).unwrap());
        assert!((t - 9.0).abs() < 1e-10, "{t}");
        reached(solver.advance(10.0).unwrap());
        assert_eq!(solver.time(), 10.0);
        solver.reset(20.0, &[]).unwrap();
        assert_eq!(solver.time(), 20.0);
    }

    #[test]
    fn repeated_jacobian_entries_are_summed() {
        let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| dy[0] = -50.0 * y[0];
        let jac = |_t: f64, _y: &[f64], v: &mut [f64]| {
            v[0] = -20.0;
            v[1] = -30.0;
        };
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![(0, 0), (0, 0)],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        for linear_algebra in [LinearAlgebra::Dense, LinearAlgebra::Sparse] {
            let options = Options {
                linear_algebra,
                ..Options::default()
            };
            let system = System {
                jacobian_pattern: system.jacobian_pattern.clone(),
                ..system
            };
            let mut solver = Solver::with_options(system, 0.0, &[1.0], tight(), options).unwrap();
            let y = reached(solver.advance(0.1).unwrap());
            let exact = (-5.0f64).exp();
            assert!(((y[0] - exact) / exact).abs() < 1e-6);
            // with an exact Jacobian Newton hardly ever fails
            assert_eq!(solver.statistics().newton_failures, 0, "{linear_algebra:?}");
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let rhs = |_t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = 1.0;
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        let system = |pattern: Vec<(usize, usize)>| System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: pattern,
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let tol = Tolerances::default();
        let kind = |r: Result<Solver, SolverError>| r.err().map(|e| e.kind());
        let invalid = Some(ErrorKind::InvalidInput);
        assert_eq!(
            kind(Solver::new(system(vec![]), 0.0, &[1.0, 2.0], tol)),
            invalid
        );
        assert_eq!(
            kind(Solver::new(system(vec![]), 0.0, &[f64::NAN], tol)),
            invalid
        );
        assert_eq!(
            kind(Solver::new(system(vec![]), f64::INFINITY, &[0.0], tol)),
            invalid
        );
        assert_eq!(
            kind(Solver::new(system(vec![(0, 1)]), 0.0, &[0.0], tol)),
            invalid
        );
        let bad_tol = Tolerances {
            relative: 1e-6,
            absolute: 0.0,
        };
        assert_eq!(
            kind(Solver::new(system(vec![]), 0.0, &[0.0], bad_tol)),
            invalid
        );
        let bad_tol = Tolerances {
            relative: -1.0,
            absolute: 1e-6,
        };
        assert_eq!(
            kind(Solver::new(system(vec![]), 0.0, &[0.0], bad_tol)),
            invalid
        );

        let mut solver = Solver::new(system(vec![]), 0.0, &[0.0], tol).unwrap();
        reached(solver.advance(2.0).unwrap());
        let e = solver.advance(1.0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.time(), 2.0);
        assert_eq!(
            solver.advance(f64::NAN).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            solver.reset(2.0, &[]).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            solver.reset(2.0, &[f64::INFINITY]).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        // the solver is still fine after refusing those
        let y = reached(solver.advance(3.0).unwrap());
        assert!((y[0] - 3.0).abs() < 1e-9);
    }

    #[test]
    fn numerical_failures_are_errors_not_panics_or_hangs() {
        // blow-up: y' = y², y(0) = 1 has y = 1/(1 - t)
        let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| dy[0] = y[0] * y[0];
        let jac = |_t: f64, y: &[f64], v: &mut [f64]| v[0] = 2.0 * y[0];
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![(0, 0)],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let mut solver = Solver::new(system, 0.0, &[1.0], Tolerances::default()).unwrap();
        let e = solver.advance(2.0).unwrap_err();
        assert!(e.time() > 0.99 && e.time() <= 1.0, "{e}");
        assert!(!e.to_string().is_empty());

        // the right-hand side turns NaN at t = 1
        let rhs = |t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = if t < 1.0 { 1.0 } else { f64::NAN };
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let mut solver = Solver::new(system, 0.0, &[0.0], Tolerances::default()).unwrap();
        let e = solver.advance(5.0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFinite, "{e}");
        assert!(e.time() >= 0.99 && e.time() <= 1.0, "{e}");
        // a reset to before the bad region recovers
        solver.reset(0.0, &[0.0]).unwrap();
        let y = reached(solver.advance(0.5).unwrap());
        assert!((y[0] - 0.5).abs() < 1e-9);

        // not finite right at the start
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let e = Solver::new(system, 2.0, &[0.0], Tolerances::default())
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::NotFinite);

        // the step cap
        let rhs = |t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = (50.0 * t).sin();
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let options = Options {
            max_steps: 20,
            ..Options::default()
        };
        let mut solver =
            Solver::with_options(system, 0.0, &[0.0], Tolerances::default(), options).unwrap();
        let e = solver.advance(100.0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooManySteps);
        assert!(e.to_string().contains("20 steps"), "{e}");
    }

    #[test]
    fn a_panicking_model_is_an_error() {
        let rhs = |t: f64, _y: &[f64], dy: &mut [f64]| {
            assert!(t < 1.0, "model gave up");
            dy[0] = 1.0;
        };
        let jac = |_t: f64, _y: &[f64], _v: &mut [f64]| {};
        let system = System {
            n: 1,
            rhs: &rhs,
            jacobian_pattern: vec![],
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let mut solver = Solver::new(system, 0.0, &[0.0], Tolerances::default()).unwrap();
        let e = solver.advance(2.0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(e.to_string().contains("model gave up"), "{e}");
        // retired for good
        assert_eq!(solver.advance(0.5).unwrap_err(), e);
    }

    #[test]
    fn many_output_points_agree_with_few() {
        let few = {
            let mut solver = robertson(LinearAlgebra::Auto, Tolerances::default());
            reached(solver.advance(100.0).unwrap())
        };
        let mut solver = robertson(LinearAlgebra::Auto, Tolerances::default());
        let mut many = vec![];
        for i in 1..=1000 {
            many = reached(solver.advance(i as f64 * 0.1).unwrap());
        }
        for s in 0..3 {
            assert!(
                ((many[s] - few[s]) / few[s]).abs() < 1e-5,
                "{many:?} {few:?}"
            );
        }
        // 1000 output points take no more steps than the solution needs
        assert!(solver.statistics().steps < 400, "{:?}", solver.statistics());
    }

    /// A 1-D reaction-diffusion chain: u_i' = D (u_{i-1} - 2 u_i + u_{i+1}) - k u_i², fed at
    /// the left (u_{-1} = 1), closed at the right.
    struct Chain {
        n: usize,
        d: f64,
        k: f64,
    }

    impl Chain {
        fn rhs(&self, y: &[f64], dy: &mut [f64]) {
            let n = self.n;
            for (i, dy) in dy.iter_mut().enumerate() {
                let left = if i == 0 { 1.0 } else { y[i - 1] };
                let right = if i + 1 == n { y[i] } else { y[i + 1] };
                *dy = self.d * (left - 2.0 * y[i] + right) - self.k * y[i] * y[i];
            }
        }

        fn pattern(&self) -> Vec<(usize, usize)> {
            let mut p = vec![];
            for i in 0..self.n {
                if i > 0 {
                    p.push((i, i - 1));
                }
                p.push((i, i));
                if i + 1 < self.n {
                    p.push((i, i + 1));
                }
            }
            p
        }

        fn jacobian(&self, y: &[f64], v: &mut [f64]) {
            let n = self.n;
            let mut k = 0;
            for (i, &yi) in y.iter().enumerate() {
                if i > 0 {
                    v[k] = self.d;
                    k += 1;
                }
                let closed = if i + 1 == n { self.d } else { 0.0 };
                v[k] = -2.0 * self.d + closed - 2.0 * self.k * yi;
                k += 1;
                if i + 1 < n {
                    v[k] = self.d;
                    k += 1;
                }
            }
        }
    }

    fn run_chain(chain: &Chain, linear_algebra: LinearAlgebra) -> (Vec<f64>, Statistics, f64) {
        let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| chain.rhs(y, dy);
        let jac = |_t: f64, y: &[f64], v: &mut [f64]| chain.jacobian(y, v);
        let system = System {
            n: chain.n,
            rhs: &rhs,
            jacobian_pattern: chain.pattern(),
            jacobian: &jac,
            n_roots: 0,
            roots: &no_roots,
        };
        let options = Options {
            linear_algebra,
            ..Options::default()
        };
        let start = Instant::now();
        let y0 = vec![0.0; chain.n];
        let tol = Tolerances {
            relative: 1e-6,
            absolute: 1e-10,
        };
        let mut solver = Solver::with_options(system, 0.0, &y0, tol, options).unwrap();
        assert_eq!(solver.linear_algebra(), linear_algebra);
        let mut y = y0;
        for i in 1..=100 {
            y = reached(solver.advance(i as f64).unwrap());
        }
        (y, solver.statistics(), start.elapsed().as_secs_f64())
    }

    #[test]
    fn a_large_sparse_system_agrees_between_dense_and_sparse_lu() {
        let chain = Chain {
            n: 500,
            d: 50.0,
            k: 1.0,
        };
        let (dense, dense_stats, dense_s) = run_chain(&chain, LinearAlgebra::Dense);
        let (sparse, sparse_stats, sparse_s) = run_chain(&chain, LinearAlgebra::Sparse);
        let worst = dense
            .iter()
            .zip(&sparse)
            .map(|(a, b)| (a - b).abs() / (1e-10 + a.abs()))
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "dense and sparse differ by {worst}");
        // the front has moved into the chain
        assert!(dense[0] > 0.1 && dense[0] < 1.0 && dense[499] < dense[0]);
        eprintln!(
            "500-species chain, 100 outputs: dense {:.1} ms ({} steps, {} LU), sparse {:.1} ms ({} steps, {} LU)",
            dense_s * 1e3,
            dense_stats.steps,
            dense_stats.factorisations,
            sparse_s * 1e3,
            sparse_stats.steps,
            sparse_stats.factorisations,
        );
        assert_eq!(
            choose_linear_algebra(
                LinearAlgebra::Auto,
                &System {
                    n: 500,
                    rhs: &|_, _, _| {},
                    jacobian_pattern: chain.pattern(),
                    jacobian: &|_, _, _| {},
                    n_roots: 0,
                    roots: &no_roots,
                }
            ),
            LinearAlgebra::Sparse
        );
        // a full 20 x 20 pattern goes dense, as does an explicit request
        let full: Vec<_> = (0..400).map(|k| (k / 20, k % 20)).collect();
        let system = |n: usize, jacobian_pattern: Vec<(usize, usize)>| System {
            n,
            rhs: &|_, _, _| {},
            jacobian_pattern,
            jacobian: &|_, _, _| {},
            n_roots: 0,
            roots: &no_roots,
        };
        let auto = |s: &System| choose_linear_algebra(LinearAlgebra::Auto, s);
        assert_eq!(auto(&system(20, full.clone())), LinearAlgebra::Dense);
        assert_eq!(
            auto(&system(10, full[..100].to_vec())),
            LinearAlgebra::Sparse
        );
        assert_eq!(
            choose_linear_algebra(LinearAlgebra::Dense, &system(500, chain.pattern())),
            LinearAlgebra::Dense
        );
    }

    #[test]
    fn small_model_overhead() {
        // the shape of an SBML Test Suite case: two species, A -> B, 100 output points
        let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| {
            let v = 0.3 * y[0];
            dy[0] = -v;
            dy[1] = v;
        };
        let jac = |_t: f64, _y: &[f64], v: &mut [f64]| {
            v[0] = -0.3;
            v[1] = 0.3;
        };
        let run = || {
            let system = System {
                n: 2,
                rhs: &rhs,
                jacobian_pattern: vec![(0, 0), (1, 0)],
                jacobian: &jac,
                n_roots: 0,
                roots: &no_roots,
            };
            let mut solver = Solver::new(system, 0.0, &[1.0, 0.0], Tolerances::default()).unwrap();
            let mut y = vec![];
            for i in 1..=100 {
                y = reached(solver.advance(i as f64 * 0.1).unwrap());
            }
            (y, solver.statistics())
        };
        let (y, stats) = run();
        let exact = (-3.0f64).exp();
        assert!((y[0] - exact).abs() < 1e-6 * exact.max(1e-3));
        let start = Instant::now();
        let reps = 200;
        for _ in 0..reps {
            std::hint::black_box(run());
        }
        eprintln!(
            "2 species, new + 100 outputs: {:.1} µs ({} steps, {} rhs, {} LU)",
            start.elapsed().as_secs_f64() * 1e6 / reps as f64,
            stats.steps,
            stats.rhs_evaluations,
            stats.factorisations,
        );
    }
}
