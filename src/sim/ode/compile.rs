//! How does a reaction system become a right-hand side? Compiles a `ReactionSystem` with SBML's
//! meaning (amounts and concentrations, compartment sizes, boundary and constant species,
//! conversion factors, assignment and rate rules, initial assignments, local parameters, user
//! functions, `rateOf`) to bytecode over one flat buffer, with an exact sparse Jacobian from
//! symbolic differentiation, plus the events' triggers and assignments.
//!
//! The buffer holds every named symbol (compartment, species, parameter, species reference,
//! reaction) followed by the state vector. A species that changes is integrated as an amount (so
//! that it is conserved when its compartment changes size); its symbol holds the value math reads
//! (the concentration, unless it has only substance units) and is recomputed from the amount.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use crate::model::math::{BinaryOp, Expr, Function, MathError, NaryOp, Program, Tape, TapeBuilder};
use crate::model::reactions::{ReactionSystem, Rule};

/// Why a reaction system cannot be compiled: the construct, named.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError(pub String);

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CompileError {}

fn err<T>(message: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError(message.into()))
}

fn math_err(context: &str) -> impl Fn(MathError) -> CompileError + '_ {
    move |e| CompileError(format!("{context}: {e}"))
}

/// What a state variable is: a species' amount, or a symbol with a rate rule.
#[derive(Debug, Clone, PartialEq)]
pub enum StateKind {
    Amount { species: usize },
    Variable,
}

#[derive(Debug, Clone)]
pub struct StateVar {
    /// The symbol of the state in math and in the buffer (a species' amount has its own hidden one).
    pub symbol: String,
    pub kind: StateKind,
}

/// How to read a species back out of the buffer.
#[derive(Debug, Clone)]
pub struct SpeciesSlot {
    pub id: String,
    /// The slot of the value math reads (concentration, or amount with only substance units).
    pub value: usize,
    pub compartment: usize,
    /// Whether `value` is an amount.
    pub value_is_amount: bool,
}

/// What an event assignment changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// A symbol that is constant between events.
    Slot(usize),
    /// A state variable: the new value replaces the state.
    State(usize),
    /// A species integrated as an amount: the new value is in math units, converted to an amount.
    Amount {
        state: usize,
        value_is_amount: bool,
        compartment: usize,
    },
}

pub struct CompiledEvent {
    pub label: String,
    pub trigger: Program,
    /// Relational parts of the trigger, as `left − right`, which the solver watches for roots.
    pub roots: Vec<Program>,
    pub initial_value: bool,
    pub persistent: bool,
    pub delay: Option<Program>,
    pub priority: Option<Program>,
    pub use_values_from_trigger_time: bool,
    pub assignments: Vec<(Target, Program)>,
}

/// One computed slot of the buffer.
pub enum Step {
    /// The slot's value from a program over the buffer.
    Compute(usize, Program),
    /// The slot holds `delay(x, d)`, [`OdeModel::delays`]`[index]`: x looked up in the past.
    Delayed { slot: usize, index: usize },
}

/// One distinct `delay(x, d)` of the model: a hidden computed slot whose value is `x` at
/// `t − d`, looked up in the simulation's history (see `history`).
pub struct DelayedValue {
    /// The expression as the model writes it, for messages.
    pub label: String,
    pub slot: usize,
    /// `x`, over a buffer filled at the earlier time.
    pub value: Program,
    /// `d`, over the current buffer.
    pub delay: Program,
    /// `x` before the start, over the start buffer at the earlier time: the initial
    /// definitions that depend on time are inlined, so that each symbol has the value its
    /// initial definition gives then (what the SBML Test Suite expects).
    pub before_start: Program,
    /// The steps (indices into [`OdeModel::steps`], ascending) that compute what `value`
    /// reads; a delayed value among them is looked up in turn.
    pub steps: Vec<usize>,
    /// Whether the derivatives read this value: where its history jumps (an event, the start),
    /// it jumps `d` later, and the solver is restarted there rather than stepping across.
    pub restarts_solver: bool,
    /// The delayed values (indices) whose `value` reads this one, and so jump `d` after it.
    pub feeds: Vec<usize>,
}

/// The fast reactions (SBML Level 2 and Level 3 Version 1 `fast="true"`): each is at
/// instantaneous equilibrium, its rate 0, on the time scale of the others. The slow reactions
/// change the totals the fast ones conserve, and the fast ones keep the split among their
/// species at equilibrium: the state is moved along each fast reaction's direction (its
/// stoichiometry, times conversion factors) by the extent that makes its rate 0, and the slow
/// rates are projected onto the equilibrium (see `simulate`).
pub struct FastSubsystem {
    pub reactions: Vec<FastReaction>,
    /// Groups of fast reactions (indices into `reactions`) whose equilibria depend on one
    /// another (one moves species another's rate reads): each group is solved jointly.
    pub blocks: Vec<Vec<usize>>,
    /// The Jacobian pattern of the projected right-hand side: the slow pattern, plus the
    /// entries the projection adds.
    pub pattern: Vec<(usize, usize)>,
    /// For each entry of `pattern`, the entry of [`OdeModel::jacobian`] at the same place.
    pub slow_entry: Vec<Option<usize>>,
    /// The states the fast reactions move or read.
    pub states: Vec<usize>,
}

/// One fast reaction.
pub struct FastReaction {
    pub id: String,
    /// The rate with every computed symbol inlined: it reads only states, slots no step
    /// computes, and time, so that it can be evaluated at trial states.
    pub rate: Program,
    /// ∂rate/∂state, for the states the rate reads.
    pub slopes: Vec<(usize, JacobianEntry)>,
    /// How one unit of the reaction's extent changes the states (amounts): the stoichiometry
    /// times the conversion factor, over slots no step computes.
    pub direction: Vec<(usize, Program)>,
}

/// One entry of the Jacobian.
pub enum JacobianEntry {
    /// From symbolic differentiation.
    Exact(Program),
    /// A central difference of the inlined row, for the rare functions without a symbolic
    /// derivative (the factorial of a state).
    Difference { row: Program, state: usize },
}

/// A compiled model: everything the simulator needs, as programs over one buffer.
pub struct OdeModel {
    pub names: Vec<String>,
    pub index: HashMap<String, usize>,
    /// Number of named slots; the states follow.
    pub n_named: usize,
    pub states: Vec<StateVar>,
    /// The buffer at the start, after initial assignments and rules.
    pub initial: Vec<f64>,
    /// How the start buffer is computed: slots and their definitions in dependency order.
    pub init: Vec<(usize, Program)>,
    /// Computed slots in dependency order: species values from amounts, assignment rules,
    /// reaction rates, delayed values.
    pub steps: Vec<Step>,
    pub derivatives: Vec<Program>,
    pub jacobian_pattern: Vec<(usize, usize)>,
    pub jacobian: Vec<JacobianEntry>,
    pub events: Vec<CompiledEvent>,
    pub species: Vec<SpeciesSlot>,
    /// Which named slots are computed (not free to be set between events).
    pub computed: Vec<bool>,
    pub start_time: f64,
    /// The model's `delay(x, d)`s, each a hidden slot among the steps.
    pub delays: Vec<DelayedValue>,
    /// The states the delayed values read: the history keeps their trajectory.
    pub history_states: Vec<usize>,
    /// The named slots the delayed values read that events change: the history keeps their
    /// values from each event on.
    pub history_slots: Vec<usize>,
    /// The fast reactions, if any: `derivatives` and `jacobian` then hold the slow reactions
    /// only.
    pub fast: Option<FastSubsystem>,
    /// The same math as whole-model tapes, for a model without delays and fast reactions
    /// (the simulator's inner loop then runs these instead of `steps`, `derivatives`,
    /// `jacobian` and the events' `roots`).
    pub fused: Option<Fused>,
}

/// A model's math as [`Tape`]s over the buffer (extended to [`Fused::registers`]), each
/// computing only what its caller needs.
pub struct Fused {
    /// Every step: the whole buffer, for outputs and events.
    pub fill: Tape,
    /// The steps the derivatives read, then the derivatives (outputs, in state order). The
    /// slots it computes are its scratch: after it the buffer is not a consistent fill.
    pub rhs: Tape,
    /// The Jacobian's entries in pattern order (outputs), from states and the slots no step
    /// computes; `None` when an entry has no symbolic derivative (`jacobian` differences it).
    pub jacobian: Option<Tape>,
    /// The steps the events' root functions read, then the root functions (outputs, in
    /// event order); scratch as `rhs`.
    pub roots: Tape,
    /// How long the buffer must be for every tape.
    pub registers: usize,
}

/// The hidden symbol of a species' amount (a character no SBML id can contain keeps it apart).
fn amount_symbol(species: &str) -> String {
    format!("{species}\u{1}amount")
}

/// Compiles a reaction system; `start_time` is the time initial values refer to.
pub fn compile(system: &ReactionSystem, start_time: f64) -> Result<OdeModel, CompileError> {
    Compiler::new(system)?.finish(start_time)
}

struct Compiler<'a> {
    system: &'a ReactionSystem,
    functions: HashMap<String, Function>,
    /// symbol → runtime definition (computed each evaluation)
    computed: HashMap<String, Expr>,
    /// symbol → initial definition
    initial: HashMap<String, Expr>,
    states: Vec<StateVar>,
    derivatives: Vec<Expr>,
    names: Vec<String>,
    rates: Option<RatesOf>,
    /// The distinct `delay(x, d)`s met so far; the position is the hidden symbol's number.
    delays: Vec<DelayEntry>,
    events: Vec<PreparedEvent>,
    /// Per delay: `x` and `d` with `rateOf` resolved, and `x` before the start.
    resolved_delays: Vec<ResolvedDelay>,
    /// (state, fast reaction, change of the state per unit of the reaction's extent).
    fast_terms: Vec<(usize, usize, Expr)>,
}

/// One `delay(x, d)`, with any delay inside `x` or `d` already replaced by its hidden symbol.
struct DelayEntry {
    label: String,
    value: Expr,
    delay: Expr,
}

struct ResolvedDelay {
    value: Expr,
    delay: Expr,
    before_start: Expr,
}

/// An event's math, inlined and with its delays replaced by hidden symbols.
struct PreparedEvent {
    label: String,
    trigger: Expr,
    delay: Option<Expr>,
    priority: Option<Expr>,
    assignments: Vec<(String, Expr)>,
}

/// The hidden symbol of the `k`th distinct delay (a character no SBML id can contain keeps it
/// apart).
fn delay_symbol(k: usize) -> String {
    format!("\u{1}delay{k}")
}

/// Which delay a hidden symbol stands for.
fn delay_index(symbol: &str) -> Option<usize> {
    symbol.strip_prefix("\u{1}delay")?.parse().ok()
}

/// `e` with every `delay(x, d)` replaced by its hidden symbol, innermost first, adding the
/// ones not seen before to `table`.
fn extract_delays(e: &Expr, table: &RefCell<Vec<DelayEntry>>) -> Expr {
    rewrite(e, &|node| {
        let Expr::Delay(x, d) = node else {
            return None;
        };
        let value = extract_delays(x, table);
        let delay = extract_delays(d, table);
        let mut table = table.borrow_mut();
        let k = match table
            .iter()
            .position(|entry| entry.value == value && entry.delay == delay)
        {
            Some(k) => k,
            None => {
                table.push(DelayEntry {
                    label: node.to_string(),
                    value,
                    delay,
                });
                table.len() - 1
            }
        };
        Some(Expr::symbol(&delay_symbol(k)))
    })
}

impl<'a> Compiler<'a> {
    fn new(system: &'a ReactionSystem) -> Result<Self, CompileError> {
        let mut functions: HashMap<String, Function> = HashMap::new();
        for f in &system.functions {
            // A function may call functions defined before it: inline those into its body.
            let body = f
                .function
                .body
                .inline_calls(&functions)
                .map_err(math_err(&format!("function {}", f.id)))?;
            functions.insert(
                f.id.clone(),
                Function {
                    params: f.function.params.clone(),
                    body,
                },
            );
        }
        Ok(Compiler {
            system,
            functions,
            computed: HashMap::new(),
            initial: HashMap::new(),
            states: Vec::new(),
            derivatives: Vec::new(),
            names: Vec::new(),
            rates: None,
            delays: Vec::new(),
            events: Vec::new(),
            resolved_delays: Vec::new(),
            fast_terms: Vec::new(),
        })
    }

    /// `expr` with user functions inlined and each `delay(x, d)` replaced by its hidden symbol.
    fn prepare(&mut self, expr: &Expr, context: &str) -> Result<Expr, CompileError> {
        self.prepare_bound(expr, context, &HashMap::new())
    }

    /// As `prepare`, with the local parameters `locals` bound first (a delay inside a kinetic
    /// law may read them).
    fn prepare_bound(
        &mut self,
        expr: &Expr,
        context: &str,
        locals: &HashMap<&str, f64>,
    ) -> Result<Expr, CompileError> {
        let inlined = expr
            .inline_calls(&self.functions)
            .map_err(math_err(context))?;
        let bound = if locals.is_empty() {
            inlined
        } else {
            inlined.substitute(&|s| locals.get(s).map(|v| Expr::number(*v)))
        };
        if !bound.has_delay() {
            return Ok(bound);
        }
        let table = RefCell::new(std::mem::take(&mut self.delays));
        let extracted = extract_delays(&bound, &table);
        self.delays = table.into_inner();
        Ok(extracted)
    }

    /// Solves `0 = math` for the one symbol it determines: a symbol that is neither constant nor
    /// set by another rule nor changed by reactions. Rules linear in that symbol become an
    /// assignment rule `x = −math|ₓ₌₀ / (∂math/∂x)`; others are refused, named.
    fn solve_algebraic(
        &self,
        math: &Expr,
        assignment: &HashMap<String, Expr>,
        rate: &HashMap<String, Expr>,
    ) -> Result<(String, Expr), CompileError> {
        let system = self.system;
        let in_reactions = |id: &str| {
            system.reactions.iter().any(|r| {
                r.reactants
                    .iter()
                    .chain(&r.products)
                    .any(|sr| sr.species == id)
            })
        };
        let event_assigned = |id: &str| {
            system
                .events
                .iter()
                .any(|e| e.assignments.iter().any(|a| a.variable == id))
        };
        let free = |id: &str| -> bool {
            if assignment.contains_key(id) || rate.contains_key(id) || event_assigned(id) {
                return false;
            }
            if let Some(c) = system.compartment(id) {
                return !c.constant;
            }
            if let Some(s) = system.species_by_id(id) {
                return !s.constant && (s.boundary_condition || !in_reactions(id));
            }
            if let Some(p) = system.parameters.iter().find(|p| p.id == id) {
                return !p.constant;
            }
            system.reactions.iter().any(|r| {
                r.reactants
                    .iter()
                    .chain(&r.products)
                    .any(|sr| sr.id.as_deref() == Some(id) && !sr.constant)
            })
        };
        for x in math.symbols() {
            if !free(&x) {
                continue;
            }
            let slope = math
                .derivative(&x)
                .map_err(math_err("algebraic rule"))?
                .simplify();
            if slope.is_constant_zero() || slope.mentions(&x) {
                continue;
            }
            let at_zero = math.substitute(&|s| (s == x).then(|| Expr::number(0.0)));
            let solution = Expr::neg(div(at_zero, slope)).simplify();
            return Ok((x, solution));
        }
        err(format!(
            "the algebraic rule 0 = {math} is not linear in a symbol it alone determines; nonlinear algebraic rules are not supported"
        ))
    }

    fn finish(mut self, start_time: f64) -> Result<OdeModel, CompileError> {
        let system = self.system;
        let mut assignment: HashMap<String, Expr> = HashMap::new();
        let mut rate: HashMap<String, Expr> = HashMap::new();
        let mut algebraic: Vec<Expr> = Vec::new();
        for rule in &system.rules {
            match rule {
                Rule::Assignment { variable, math } => {
                    let m = self.prepare(math, &format!("assignment rule for {variable}"))?;
                    assignment.insert(variable.clone(), m);
                }
                Rule::Rate { variable, math } => {
                    let m = self.prepare(math, &format!("rate rule for {variable}"))?;
                    rate.insert(variable.clone(), m);
                }
                Rule::Algebraic { math } => {
                    algebraic.push(self.prepare(math, "algebraic rule")?);
                }
            }
        }
        for m in algebraic {
            let (variable, solution) = self.solve_algebraic(&m, &assignment, &rate)?;
            assignment.insert(variable, solution);
        }
        let mut initial_assignment: HashMap<&str, Expr> = HashMap::new();
        for ia in &system.initial_assignments {
            let m = self.prepare(&ia.math, &format!("initial assignment to {}", ia.symbol))?;
            initial_assignment.insert(&ia.symbol, m);
        }

        // Named symbols, and what each is at the start.
        let mut named: Vec<String> = Vec::new();
        let mut attribute: HashMap<String, Expr> = HashMap::new();
        for c in &system.compartments {
            named.push(c.id.clone());
            // An unset size with nothing to set it is taken as 1, as libRoadRunner and COPASI do.
            attribute.insert(c.id.clone(), Expr::number(c.size.unwrap_or(1.0)));
        }
        let zero_dimensional: HashSet<&str> = system
            .compartments
            .iter()
            .filter(|c| c.spatial_dimensions == Some(0.0))
            .map(|c| c.id.as_str())
            .collect();
        for p in &system.parameters {
            named.push(p.id.clone());
            attribute.insert(p.id.clone(), Expr::number(p.value.unwrap_or(f64::NAN)));
        }
        let mut species_amount_math: HashMap<String, bool> = HashMap::new();
        for s in &system.species {
            if system.compartment(&s.compartment).is_none() {
                return err(format!(
                    "species {} is in compartment {}, which the model does not define",
                    s.id, s.compartment
                ));
            }
            named.push(s.id.clone());
            let value_is_amount =
                s.has_only_substance_units || zero_dimensional.contains(s.compartment.as_str());
            species_amount_math.insert(s.id.clone(), value_is_amount);
            let v = Expr::symbol(&s.compartment);
            let start = match (s.initial_amount, s.initial_concentration) {
                (Some(a), _) if value_is_amount => Expr::number(a),
                (Some(a), _) => div(Expr::number(a), v),
                (None, Some(c))
                    if value_is_amount && !zero_dimensional.contains(s.compartment.as_str()) =>
                {
                    mul(Expr::number(c), v)
                }
                (None, Some(c)) => Expr::number(c),
                (None, None) => Expr::number(f64::NAN),
            };
            attribute.insert(s.id.clone(), start);
        }
        // Stoichiometries that can change or be read: species references with ids, and L2's
        // stoichiometryMath as a hidden assigned symbol.
        let mut stoichiometry_terms: Vec<(String, Expr, f64)> = Vec::new(); // (species, stoichiometry, sign) per reaction entry
        let mut reaction_of_term: Vec<usize> = Vec::new();
        for (ri, r) in system.reactions.iter().enumerate() {
            named.push(r.id.clone());
            for (sign, list) in [(-1.0, &r.reactants), (1.0, &r.products)] {
                for (i, sr) in list.iter().enumerate() {
                    let term = if let Some(m) = &sr.stoichiometry_math {
                        let symbol = format!("{}\u{1}stoichiometry{}{}", r.id, sign, i);
                        named.push(symbol.clone());
                        let m =
                            self.prepare(m, &format!("stoichiometryMath in reaction {}", r.id))?;
                        assignment.insert(symbol.clone(), m);
                        Expr::symbol(&symbol)
                    } else if let Some(id) = &sr.id {
                        named.push(id.clone());
                        attribute.insert(id.clone(), Expr::number(sr.stoichiometry.unwrap_or(1.0)));
                        Expr::symbol(id)
                    } else {
                        Expr::number(sr.stoichiometry.unwrap_or(1.0))
                    };
                    stoichiometry_terms.push((sr.species.clone(), term, sign));
                    reaction_of_term.push(ri);
                }
            }
        }
        {
            let mut seen = HashSet::new();
            for n in &named {
                if !seen.insert(n.as_str()) {
                    return err(format!("the identifier {n} is defined twice"));
                }
            }
        }
        let is_named: HashSet<String> = named.iter().cloned().collect();
        for v in assignment.keys().chain(rate.keys()) {
            if !is_named.contains(v) {
                return err(format!("a rule sets {v}, which the model does not define"));
            }
        }

        // Reaction rates, with local parameters bound to their values.
        for r in &system.reactions {
            let law = match r
                .kinetic_law
                .as_ref()
                .and_then(|k| k.math.as_ref().map(|m| (k, m)))
            {
                Some((k, m)) => {
                    let locals: HashMap<&str, f64> = k
                        .local_parameters
                        .iter()
                        .map(|p| (p.id.as_str(), p.value.unwrap_or(f64::NAN)))
                        .collect();
                    self.prepare_bound(m, &format!("kinetic law of reaction {}", r.id), &locals)?
                }
                // A reaction without a rate law does not proceed.
                None => Expr::number(0.0),
            };
            self.computed.insert(r.id.clone(), law.clone());
            self.initial.insert(r.id.clone(), law);
        }

        // State variables.
        for (i, s) in system.species.iter().enumerate() {
            // A constant species keeps its amount (its concentration follows its compartment).
            if assignment.contains_key(s.id.as_str()) {
                continue;
            }
            let symbol = amount_symbol(&s.id);
            let value_is_amount = species_amount_math[&s.id];
            let v = Expr::symbol(&s.compartment);
            let derivative = if let Some(r) = rate.get(s.id.as_str()) {
                if value_is_amount {
                    r.clone()
                } else {
                    // d(c·V)/dt = V·dc/dt + c·dV/dt
                    let mut d = mul(r.clone(), v.clone());
                    if let Some(dv) = rate.get(s.compartment.as_str()) {
                        d = add(vec![d, mul(Expr::symbol(&s.id), dv.clone())]);
                    }
                    d
                }
            } else if s.boundary_condition || s.constant {
                Expr::number(0.0)
            } else {
                let factor = s
                    .conversion_factor
                    .as_ref()
                    .or(system.conversion_factor.as_ref());
                let mut terms = Vec::new();
                for ((species, stoichiometry, sign), ri) in
                    stoichiometry_terms.iter().zip(&reaction_of_term)
                {
                    if *species != s.id {
                        continue;
                    }
                    let change = mul(Expr::number(*sign), stoichiometry.clone());
                    if system.reactions[*ri].fast {
                        // A fast reaction moves the state along this direction to its
                        // equilibrium instead (see `FastSubsystem`).
                        let change = match factor {
                            Some(f) => mul(Expr::symbol(f), change),
                            None => change,
                        };
                        self.fast_terms.push((self.states.len(), *ri, change));
                    } else {
                        terms.push(mul(change, Expr::symbol(&system.reactions[*ri].id)));
                    }
                }
                let sum = add(terms);
                match factor {
                    Some(f) => mul(Expr::symbol(f), sum),
                    None => sum,
                }
            };
            let value = if value_is_amount {
                Expr::symbol(&symbol)
            } else {
                div(Expr::symbol(&symbol), v.clone())
            };
            self.computed.insert(s.id.clone(), value);
            // At the start, the amount follows from the species' value.
            let amount_at_start = if value_is_amount {
                Expr::symbol(&s.id)
            } else {
                mul(Expr::symbol(&s.id), v)
            };
            self.initial.insert(symbol.clone(), amount_at_start);
            self.states.push(StateVar {
                symbol,
                kind: StateKind::Amount { species: i },
            });
            self.derivatives.push(derivative);
        }
        let species_ids: HashSet<&str> = system.species.iter().map(|s| s.id.as_str()).collect();
        for n in &named {
            if species_ids.contains(n.as_str()) {
                continue;
            }
            if let Some(r) = rate.get(n.as_str()) {
                self.states.push(StateVar {
                    symbol: n.clone(),
                    kind: StateKind::Variable,
                });
                self.derivatives.push(r.clone());
            }
        }
        for (v, m) in &assignment {
            if rate.contains_key(v) {
                return err(format!("{v} has both an assignment rule and a rate rule"));
            }
            self.computed.insert(v.clone(), m.clone());
        }

        // Events' math, with their delays among the others.
        for (i, e) in system.events.iter().enumerate() {
            let label = e.id.clone().unwrap_or_else(|| format!("event {}", i + 1));
            let trigger = self.prepare(&e.trigger, &format!("trigger of {label}"))?;
            let delay = match &e.delay {
                Some(d) => Some(self.prepare(d, &format!("delay of {label}"))?),
                None => None,
            };
            let priority = match &e.priority {
                Some(p) => Some(self.prepare(p, &format!("priority of {label}"))?),
                None => None,
            };
            let mut assignments = Vec::new();
            for a in &e.assignments {
                let context = format!("assignment to {} of {label}", a.variable);
                assignments.push((a.variable.clone(), self.prepare(&a.math, &context)?));
            }
            self.events.push(PreparedEvent {
                label,
                trigger,
                delay,
                priority,
                assignments,
            });
        }

        // Initial definitions: initial assignments win over rules, which win over attributes.
        for n in &named {
            if self.initial.contains_key(n)
                && !initial_assignment.contains_key(n.as_str())
                && !assignment.contains_key(n.as_str())
            {
                continue; // reaction rates
            }
            let def = if let Some(ia) = initial_assignment.get(n.as_str()) {
                ia.clone()
            } else if let Some(m) = assignment.get(n.as_str()) {
                m.clone()
            } else if let Some(a) = attribute.get(n) {
                a.clone()
            } else {
                Expr::number(f64::NAN)
            };
            self.initial.insert(n.clone(), def);
        }
        for (symbol, _) in &initial_assignment {
            if !is_named.contains(*symbol) {
                return err(format!(
                    "an initial assignment sets {symbol}, which the model does not define"
                ));
            }
        }

        // rateOf(x): the time derivative of x, by the chain rule through the states.
        let rates = RatesOf::new(&self.states, &self.derivatives, &self.computed);
        let mut computed = std::mem::take(&mut self.computed);
        for (k, v) in computed.iter_mut() {
            *v = rates.resolve(v, k)?;
        }
        self.computed = computed;
        let derivatives = std::mem::take(&mut self.derivatives);
        self.derivatives = derivatives
            .iter()
            .map(|d| rates.resolve(d, "a derivative"))
            .collect::<Result<_, _>>()?;
        let raw_initial = std::mem::take(&mut self.initial);
        for (k, v) in &raw_initial {
            let def = rates.resolve(v, &format!("initial value of {k}"))?;
            self.initial.insert(k.clone(), def);
        }

        // Delayed values: x and d as at run time, x before the start, and each one's value at
        // the start (x at start − d, before the start unless d is 0) as its initial definition.
        if !self.delays.is_empty() {
            let mut before = BeforeStart::new(&raw_initial, &self.delays)?;
            for (k, entry) in self.delays.iter().enumerate() {
                let context = entry.label.as_str();
                let value = rates.resolve(&entry.value, context)?;
                let delay = rates.resolve(&entry.delay, context)?;
                let before_start = before.value(k)?;
                let at_start = at_time(&before_start, &Expr::sub(Expr::Time, delay.clone()));
                self.initial.insert(delay_symbol(k), at_start);
                self.resolved_delays.push(ResolvedDelay {
                    value,
                    delay,
                    before_start,
                });
                named.push(delay_symbol(k));
            }
        }

        self.names = named;
        self.rates = Some(rates);
        self.build(start_time, &species_amount_math)
    }

    fn build(
        self,
        start_time: f64,
        species_amount_math: &HashMap<String, bool>,
    ) -> Result<OdeModel, CompileError> {
        let system = self.system;
        let n_named = self.names.len();
        let mut names = self.names.clone();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, n) in self.names.iter().enumerate() {
            index.insert(n.clone(), i);
        }
        for (k, s) in self.states.iter().enumerate() {
            // A rate-rule variable's symbol is the state itself.
            index.insert(s.symbol.clone(), n_named + k);
            if matches!(s.kind, StateKind::Amount { .. }) {
                names.push(s.symbol.clone());
            } else {
                names.push(format!("{}\u{1}state", s.symbol));
            }
        }

        let resolve = |s: &str| index.get(s).copied();
        let compile = |e: &Expr, context: &str| -> Result<Program, CompileError> {
            Program::compile(e, &resolve).map_err(math_err(context))
        };

        // Initial values: the initial definitions in dependency order, as programs, so that a
        // virtual population can recompute them with other parameter values.
        let init_order = order(&self.initial, "initial values")?;
        let mut init = Vec::with_capacity(init_order.len());
        for name in &init_order {
            let slot = index[name.as_str()];
            init.push((
                slot,
                compile(&self.initial[name], &format!("initial value of {name}"))?,
            ));
        }

        // The steps' order: a delayed value comes after what its delay `d` reads (its `x` is
        // read in the past, not now).
        let with_delays: HashMap<String, Expr>;
        let definitions = if self.resolved_delays.is_empty() {
            &self.computed
        } else {
            let mut all = self.computed.clone();
            for (k, d) in self.resolved_delays.iter().enumerate() {
                all.insert(delay_symbol(k), d.delay.clone());
            }
            with_delays = all;
            &with_delays
        };
        let step_order = order(definitions, "rules")?;
        let mut steps = Vec::new();
        let mut step_of: HashMap<&str, usize> = HashMap::new();
        let mut computed_flags = vec![false; n_named];
        for name in &step_order {
            let slot = index[name.as_str()];
            if slot >= n_named {
                continue;
            }
            computed_flags[slot] = true;
            step_of.insert(name, steps.len());
            steps.push(match delay_index(name) {
                Some(k) => Step::Delayed { slot, index: k },
                None => Step::Compute(slot, compile(&self.computed[name], name)?),
            });
        }
        let derivatives = self
            .derivatives
            .iter()
            .zip(&self.states)
            .map(|(d, s)| compile(d, &format!("rate of change of {}", s.symbol)))
            .collect::<Result<Vec<_>, _>>()?;

        // The exact Jacobian: inline every computed symbol down to states and constants, then
        // differentiate.
        let mut inlined: HashMap<String, Expr> = HashMap::new();
        for name in &step_order {
            // A delayed value stays a symbol: it does not depend on the current state.
            let Some(def) = self.computed.get(name) else {
                continue;
            };
            let def = def.substitute(&|s| inlined.get(s).cloned());
            inlined.insert(name.clone(), def);
        }
        let mut jacobian_pattern = Vec::new();
        let mut jacobian = Vec::new();
        // the entries' math, for the fused tape (None: differenced)
        let mut jacobian_math: Vec<Option<Expr>> = Vec::new();
        for (row, d) in self.derivatives.iter().enumerate() {
            let full = d.substitute(&|s| inlined.get(s).cloned());
            let reads = full.symbols();
            for (col, s) in self.states.iter().enumerate() {
                if !reads.contains(&s.symbol) {
                    continue;
                }
                match full.derivative(&s.symbol) {
                    Ok(dd) => {
                        let dd = dd.simplify();
                        if dd.is_constant_zero() {
                            continue;
                        }
                        jacobian_pattern.push((row, col));
                        jacobian.push(JacobianEntry::Exact(compile(&dd, "Jacobian")?));
                        jacobian_math.push(Some(dd));
                    }
                    Err(_) => {
                        jacobian_pattern.push((row, col));
                        jacobian.push(JacobianEntry::Difference {
                            row: compile(&full, "Jacobian")?,
                            state: col,
                        });
                        jacobian_math.push(None);
                    }
                }
            }
        }

        let species: Vec<SpeciesSlot> = system
            .species
            .iter()
            .map(|s| SpeciesSlot {
                id: s.id.clone(),
                value: index[s.id.as_str()],
                compartment: index[s.compartment.as_str()],
                value_is_amount: species_amount_math[&s.id],
            })
            .collect();

        let Some(rates) = &self.rates else {
            return err("internal: rateOf is resolved before the model is built");
        };
        let mut events = Vec::new();
        let mut event_slots: HashSet<usize> = HashSet::new();
        let mut root_math: Vec<Expr> = Vec::new();
        for (e, original) in self.events.iter().zip(&system.events) {
            let label = &e.label;
            let trigger = rates.resolve(&e.trigger, &format!("trigger of {label}"))?;
            let parts = relational_parts(&trigger);
            let roots = parts
                .iter()
                .map(|g| compile(g, &format!("trigger of {label}")))
                .collect::<Result<Vec<_>, _>>()?;
            root_math.extend(parts);
            let mut assignments = Vec::new();
            for (variable, math) in &e.assignments {
                let math = rates.resolve(math, &format!("assignment to {variable} of {label}"))?;
                let target = match index.get(variable.as_str()) {
                    None => {
                        return err(format!(
                            "{label} assigns {variable}, which the model does not define"
                        ))
                    }
                    Some(&slot) if slot >= n_named => Target::State(slot - n_named),
                    Some(&slot) => {
                        let amount_state = self
                            .states
                            .iter()
                            .position(|s| s.symbol == amount_symbol(variable));
                        match amount_state {
                            Some(k) => {
                                let sp = system.species_by_id(variable);
                                let compartment =
                                    sp.map(|s| index[s.compartment.as_str()]).unwrap_or(slot);
                                Target::Amount {
                                    state: k,
                                    value_is_amount: species_amount_math[variable],
                                    compartment,
                                }
                            }
                            None if computed_flags[slot] => {
                                return err(format!(
                                    "{label} assigns {variable}, which a rule determines"
                                ))
                            }
                            None => {
                                event_slots.insert(slot);
                                Target::Slot(slot)
                            }
                        }
                    }
                };
                assignments.push((target, compile(&math, label)?));
            }
            let optional =
                |what: &str, m: &Option<Expr>| -> Result<Option<Program>, CompileError> {
                    match m {
                        Some(m) => {
                            let m = rates.resolve(m, &format!("{what} of {label}"))?;
                            Ok(Some(compile(&m, label)?))
                        }
                        None => Ok(None),
                    }
                };
            events.push(CompiledEvent {
                trigger: compile(&trigger, &format!("trigger of {label}"))?,
                roots,
                initial_value: original.initial_value,
                persistent: original.persistent,
                delay: optional("delay", &e.delay)?,
                priority: optional("priority", &e.priority)?,
                use_values_from_trigger_time: original.use_values_from_trigger_time,
                assignments,
                label: label.clone(),
            });
        }

        let delays = self.delayed_values(
            definitions,
            &step_of,
            &index,
            n_named,
            &computed_flags,
            &compile,
        )?;
        let fast = self.fast_subsystem(&inlined, &jacobian_pattern, &compile)?;
        let mut history_states = BTreeSet::new();
        let mut history_slots = BTreeSet::new();
        for reads in delays.iter().map(|(_, reads)| reads) {
            for &slot in reads {
                if slot >= n_named {
                    history_states.insert(slot - n_named);
                } else if event_slots.contains(&slot) {
                    history_slots.insert(slot);
                }
            }
        }

        // A delayed value reads the equilibrium of the states it reads, which needs all the
        // states of the fast reactions.
        if let Some(fast) = &fast {
            if !history_states.is_empty() {
                history_states.extend(fast.states.iter().copied());
            }
        }

        let fused = if self.resolved_delays.is_empty() && fast.is_none() {
            let math = FusedMath {
                step_order: &step_order,
                jacobian: &jacobian_math,
                roots: &root_math,
            };
            Some(self.fused(&math, &index, names.len())?)
        } else {
            None
        };

        let mut model = OdeModel {
            names,
            index,
            n_named,
            states: self.states,
            initial: Vec::new(),
            init,
            steps,
            derivatives,
            jacobian_pattern,
            jacobian,
            events,
            species,
            computed: computed_flags,
            start_time,
            delays: delays.into_iter().map(|(d, _)| d).collect(),
            history_states: history_states.into_iter().collect(),
            history_slots: history_slots.into_iter().collect(),
            fast,
            fused,
        };
        model.initial = model.initial_with(&[]);
        Ok(model)
    }
}

/// What the fused tapes are built from, besides the compiler's definitions.
struct FusedMath<'m> {
    /// Every computed symbol, in dependency order.
    step_order: &'m [String],
    jacobian: &'m [Option<Expr>],
    roots: &'m [Expr],
}

impl Compiler<'_> {
    /// The model's math as whole-model tapes over a buffer of `slots` symbols and states.
    fn fused(
        &self,
        math: &FusedMath<'_>,
        index: &HashMap<String, usize>,
        slots: usize,
    ) -> Result<Fused, CompileError> {
        let resolve = |s: &str| index.get(s).copied();
        let failed = |what: &'static str| move |e: MathError| CompileError(format!("{what}: {e}"));
        // The steps (in dependency order) that computing `read` needs.
        let steps_for = |read: BTreeSet<String>| -> Vec<&str> {
            let needed = reach(&self.computed, read);
            math.step_order
                .iter()
                .filter(|name| needed.contains(*name) && self.computed.contains_key(*name))
                .map(String::as_str)
                .collect()
        };
        let assign_steps = |b: &mut TapeBuilder, names: &[&str]| -> Result<(), CompileError> {
            for &name in names {
                let (Some(&slot), Some(def)) = (index.get(name), self.computed.get(name)) else {
                    continue;
                };
                // as among the steps: only named slots are computed
                if slot >= self.names.len() {
                    continue;
                }
                b.assign(slot, def, &resolve)
                    .map_err(failed("fused steps"))?;
            }
            Ok(())
        };

        let all: Vec<&str> = math.step_order.iter().map(String::as_str).collect();
        let mut fill = TapeBuilder::new(slots);
        assign_steps(&mut fill, &all)?;
        let fill = fill.finish().map_err(failed("fused steps"))?;

        let mut rhs = TapeBuilder::scratch(slots);
        assign_steps(
            &mut rhs,
            &steps_for(self.derivatives.iter().flat_map(|d| d.symbols()).collect()),
        )?;
        for (k, d) in self.derivatives.iter().enumerate() {
            rhs.output(k, d, &resolve)
                .map_err(failed("fused derivatives"))?;
        }
        let rhs = rhs.finish().map_err(failed("fused derivatives"))?;

        let mut roots = TapeBuilder::scratch(slots);
        assign_steps(
            &mut roots,
            &steps_for(math.roots.iter().flat_map(|g| g.symbols()).collect()),
        )?;
        for (k, g) in math.roots.iter().enumerate() {
            roots
                .output(k, g, &resolve)
                .map_err(failed("fused root functions"))?;
        }
        let roots = roots.finish().map_err(failed("fused root functions"))?;

        // The entries are inlined down to states and free slots: no step is needed.
        let jacobian = if math.jacobian.iter().all(Option::is_some) {
            let mut b = TapeBuilder::new(slots);
            for (k, entry) in math.jacobian.iter().enumerate() {
                if let Some(e) = entry {
                    b.output(k, e, &resolve).map_err(failed("fused Jacobian"))?;
                }
            }
            Some(b.finish().map_err(failed("fused Jacobian"))?)
        } else {
            None
        };
        let registers = [&fill, &rhs, &roots]
            .into_iter()
            .chain(jacobian.as_ref())
            .map(Tape::registers)
            .fold(slots, usize::max);
        Ok(Fused {
            fill,
            rhs,
            jacobian,
            roots,
            registers,
        })
    }

    /// The delayed values as the simulator needs them, each with the slots (states, and named
    /// slots no step computes) that computing its `x` reads. Refuses a delayed value whose `x`
    /// reads itself through other delayed values (an algebraic loop through the past).
    fn delayed_values(
        &self,
        definitions: &HashMap<String, Expr>,
        step_of: &HashMap<&str, usize>,
        index: &HashMap<String, usize>,
        n_named: usize,
        computed: &[bool],
        compile: &dyn Fn(&Expr, &str) -> Result<Program, CompileError>,
    ) -> Result<Vec<(DelayedValue, BTreeSet<usize>)>, CompileError> {
        let n = self.delays.len();
        // inner[k]: the delayed values that computing the kth one's x looks up in turn
        let mut inner: Vec<BTreeSet<usize>> = Vec::with_capacity(n);
        let mut out = Vec::with_capacity(n);
        for (k, (entry, resolved)) in self.delays.iter().zip(&self.resolved_delays).enumerate() {
            let label = entry.label.as_str();
            let reached = reach(definitions, resolved.value.symbols());
            let mut steps: Vec<usize> = reached
                .iter()
                .filter_map(|s| step_of.get(s.as_str()).copied())
                .collect();
            steps.sort_unstable();
            let reads: BTreeSet<usize> = reached
                .iter()
                .filter(|s| !definitions.contains_key(*s))
                .filter_map(|s| index.get(s).copied())
                .filter(|&slot| slot >= n_named || !computed[slot])
                .collect();
            inner.push(reached.iter().filter_map(|s| delay_index(s)).collect());
            let Some(&slot) = index.get(&delay_symbol(k)) else {
                return err(format!("internal: {label} has no slot"));
            };
            out.push((
                DelayedValue {
                    label: label.to_string(),
                    slot,
                    value: compile(&resolved.value, label)?,
                    delay: compile(&resolved.delay, label)?,
                    before_start: compile(&resolved.before_start, label)?,
                    steps,
                    restarts_solver: false,
                    feeds: Vec::new(),
                },
                reads,
            ));
        }
        if let Some(k) = first_cycle(&inner) {
            return err(format!(
                "{}: the delayed expression reads its own delayed value (an algebraic loop through the past), which is not supported",
                self.delays[k].label
            ));
        }
        // A jump in a delayed value that the derivatives read makes the right-hand side jump;
        // one that another delayed value reads jumps that one later in turn.
        let derivatives_read = reach(
            definitions,
            self.derivatives.iter().flat_map(|d| d.symbols()).collect(),
        );
        let mut restarts: Vec<bool> = (0..n)
            .map(|k| derivatives_read.contains(&delay_symbol(k)))
            .collect();
        loop {
            let mut changed = false;
            for j in 0..n {
                if restarts[j] {
                    for &k in &inner[j] {
                        changed |= !restarts[k];
                        restarts[k] = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for (k, (d, _)) in out.iter_mut().enumerate() {
            d.restarts_solver = restarts[k];
            d.feeds = (0..n)
                .filter(|&j| restarts[j] && inner[j].contains(&k))
                .collect();
        }
        Ok(out)
    }
}

impl Compiler<'_> {
    /// The fast reactions, with `inlined` the computed symbols' definitions down to states and
    /// `slow_pattern` the Jacobian pattern of the slow derivatives.
    fn fast_subsystem(
        &self,
        inlined: &HashMap<String, Expr>,
        slow_pattern: &[(usize, usize)],
        compile: &dyn Fn(&Expr, &str) -> Result<Program, CompileError>,
    ) -> Result<Option<FastSubsystem>, CompileError> {
        let system = self.system;
        if !system.reactions.iter().any(|r| r.fast) {
            return Ok(None);
        }
        let state_of: HashMap<&str, usize> = self
            .states
            .iter()
            .enumerate()
            .map(|(k, s)| (s.symbol.as_str(), k))
            .collect();
        let full = |e: &Expr| e.substitute(&|s| inlined.get(s).cloned());
        let mut reactions = Vec::new();
        // per fast reaction: the states it reads, and its direction as expressions
        let mut reads: Vec<BTreeSet<usize>> = Vec::new();
        let mut directions: Vec<Vec<(usize, Expr)>> = Vec::new();
        for (ri, r) in system.reactions.iter().enumerate() {
            if !r.fast {
                continue;
            }
            let context = format!("fast reaction {}", r.id);
            let Some(law) = self.computed.get(&r.id) else {
                return err(format!("internal: {context} has no rate"));
            };
            let rate = full(law);
            if rate.symbols().iter().any(|s| delay_index(s).is_some()) {
                return err(format!(
                    "{context}: a fast reaction whose rate reads delay() is not supported"
                ));
            }
            let mut changes: BTreeMap<usize, Vec<Expr>> = BTreeMap::new();
            for (state, _, change) in self.fast_terms.iter().filter(|(_, f, _)| *f == ri) {
                changes.entry(*state).or_default().push(full(change));
            }
            let mut direction = Vec::new();
            for (state, terms) in changes {
                let change = add(terms).simplify();
                if change.is_constant_zero() {
                    continue;
                }
                let moves = change
                    .symbols()
                    .iter()
                    .any(|s| state_of.contains_key(s.as_str()) || delay_index(s).is_some());
                if moves {
                    return err(format!(
                        "{context}: its stoichiometry changes with the model's state, which is not supported for a fast reaction"
                    ));
                }
                direction.push((state, change));
            }
            // A fast reaction that changes no state (only boundary or constant species) has
            // no equilibrium to keep; it only reports its rate.
            if direction.is_empty() {
                continue;
            }
            let read: BTreeSet<usize> = rate
                .symbols()
                .iter()
                .filter_map(|s| state_of.get(s.as_str()).copied())
                .collect();
            let program = compile(&rate, &context)?;
            let mut slopes = Vec::new();
            for &k in &read {
                let slope = match rate.derivative(&self.states[k].symbol) {
                    Ok(d) if d.is_constant_zero() => continue,
                    Ok(d) => JacobianEntry::Exact(compile(&d, &context)?),
                    Err(_) => JacobianEntry::Difference {
                        row: compile(&rate, &context)?,
                        state: k,
                    },
                };
                slopes.push((k, slope));
            }
            reactions.push(FastReaction {
                id: r.id.clone(),
                rate: program,
                slopes,
                direction: direction
                    .iter()
                    .map(|(k, e)| Ok((*k, compile(e, &context)?)))
                    .collect::<Result<_, CompileError>>()?,
            });
            reads.push(read);
            directions.push(direction);
        }
        if reactions.is_empty() {
            return Ok(None);
        }

        // Blocks: connected groups, f and g joined when one moves a state the other reads.
        let n = reactions.len();
        let mut group: Vec<usize> = (0..n).collect();
        fn root(group: &mut [usize], mut i: usize) -> usize {
            while group[i] != i {
                group[i] = group[group[i]];
                i = group[i];
            }
            i
        }
        for (f, read) in reads.iter().enumerate() {
            for (g, direction) in directions.iter().enumerate() {
                if f != g && direction.iter().any(|(k, _)| read.contains(k)) {
                    let (a, b) = (root(&mut group, f), root(&mut group, g));
                    group[a.max(b)] = a.min(b);
                }
            }
        }
        let mut blocks: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for f in 0..n {
            let r = root(&mut group, f);
            blocks.entry(r).or_default().push(f);
        }
        let blocks: Vec<Vec<usize>> = blocks.into_values().collect();
        for block in &blocks {
            self.check_independent(block, &reactions, &directions)?;
        }

        // The projection P = I − N·W (N: the directions, W = (V·N)⁻¹·V, V: the slopes) adds
        // N·(W·J), (J·N)·W and N·(W·J·N)·W to the slow Jacobian J.
        let moved: BTreeSet<usize> = directions.iter().flatten().map(|(k, _)| *k).collect();
        let read: BTreeSet<usize> = reads.iter().flatten().copied().collect();
        let columns_of_read_rows: BTreeSet<usize> = slow_pattern
            .iter()
            .filter(|(r, _)| read.contains(r))
            .map(|(_, c)| *c)
            .collect();
        let rows_of_moved_columns: BTreeSet<usize> = slow_pattern
            .iter()
            .filter(|(_, c)| moved.contains(c))
            .map(|(r, _)| *r)
            .collect();
        let mut pattern: BTreeSet<(usize, usize)> = slow_pattern.iter().copied().collect();
        for &r in &moved {
            pattern.extend(columns_of_read_rows.iter().map(|&c| (r, c)));
            pattern.extend(read.iter().map(|&c| (r, c)));
        }
        for &r in &rows_of_moved_columns {
            pattern.extend(read.iter().map(|&c| (r, c)));
        }
        let slow_at: HashMap<(usize, usize), usize> = slow_pattern
            .iter()
            .enumerate()
            .map(|(i, rc)| (*rc, i))
            .collect();
        let pattern: Vec<(usize, usize)> = pattern.into_iter().collect();
        let slow_entry = pattern.iter().map(|rc| slow_at.get(rc).copied()).collect();
        Ok(Some(FastSubsystem {
            reactions,
            blocks,
            pattern,
            slow_entry,
            states: moved.union(&read).copied().collect(),
        }))
    }

    /// Refuses a block of fast reactions whose directions are linearly dependent (when they
    /// are constant): each rate being 0 would then ask more conditions than the extents can
    /// meet.
    fn check_independent(
        &self,
        block: &[usize],
        reactions: &[FastReaction],
        directions: &[Vec<(usize, Expr)>],
    ) -> Result<(), CompileError> {
        if block.len() < 2 {
            return Ok(());
        }
        let states: Vec<usize> = block
            .iter()
            .flat_map(|&f| directions[f].iter().map(|(k, _)| *k))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // columns: the reactions' directions, when every entry is a number
        let mut columns = Vec::new();
        for &f in block {
            let mut column = vec![0.0; states.len()];
            for (k, e) in &directions[f] {
                let Expr::Number(v) = e else {
                    return Ok(());
                };
                if let Ok(i) = states.binary_search(k) {
                    column[i] = *v;
                }
            }
            columns.push(column);
        }
        let Some(dependent) = dependency(&columns) else {
            return Ok(());
        };
        let ids: Vec<&str> = dependent
            .iter()
            .map(|&i| reactions[block[i]].id.as_str())
            .collect();
        let all_fast = self.system.reactions.iter().all(|r| r.fast);
        err(format!(
            "the fast reactions {} move their species along linearly dependent directions, so requiring each of their rates to be 0 asks more than their extents can meet{}",
            ids.join(", "),
            if all_fast {
                " (every reaction of the model is marked fast, which leaves it no slow dynamics at all: often an export artefact)"
            } else {
                ""
            }
        ))
    }
}

/// A set of linearly dependent columns (their indices), if there is one: the first column
/// that elimination reduces to 0, with the earlier columns it is a combination of.
fn dependency(columns: &[Vec<f64>]) -> Option<Vec<usize>> {
    let scale = columns
        .iter()
        .flatten()
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let tolerance = 1e-12 * scale.max(f64::MIN_POSITIVE);
    // (pivot row, reduced column, the column as a combination of the original ones)
    let mut pivots: Vec<(usize, Vec<f64>, Vec<f64>)> = Vec::new();
    for (j, column) in columns.iter().enumerate() {
        let mut v = column.clone();
        let mut combination = vec![0.0; columns.len()];
        combination[j] = 1.0;
        for (p, b, c) in &pivots {
            let factor = v[*p] / b[*p];
            for (x, y) in v.iter_mut().zip(b) {
                *x -= factor * y;
            }
            for (x, y) in combination.iter_mut().zip(c) {
                *x -= factor * y;
            }
        }
        let largest = (0..v.len()).max_by(|&a, &b| v[a].abs().total_cmp(&v[b].abs()));
        match largest {
            Some(p) if v[p].abs() > tolerance => pivots.push((p, v, combination)),
            _ => {
                return Some(
                    (0..columns.len())
                        .filter(|&i| combination[i].abs() > 1e-12)
                        .collect(),
                )
            }
        }
    }
    None
}

/// Every symbol that computing `start` reads, through the definitions, `start` included.
fn reach(definitions: &HashMap<String, Expr>, start: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<String> = start.into_iter().collect();
    while let Some(s) = pending.pop() {
        if seen.contains(&s) {
            continue;
        }
        if let Some(def) = definitions.get(&s) {
            pending.extend(def.symbols().into_iter().filter(|t| !seen.contains(t)));
        }
        seen.insert(s);
    }
    seen
}

/// A node on a cycle of the graph `edges[k]` (k → each of them), if there is one.
fn first_cycle(edges: &[BTreeSet<usize>]) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    let mut marks = vec![Mark::New; edges.len()];
    for start in 0..edges.len() {
        if marks[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>)> =
            vec![(start, edges[start].iter().copied().collect())];
        marks[start] = Mark::Visiting;
        while let Some((node, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(next) if next >= edges.len() || marks[next] == Mark::Done => {}
                Some(next) if marks[next] == Mark::Visiting => return Some(next),
                Some(next) => {
                    marks[next] = Mark::Visiting;
                    stack.push((next, edges[next].iter().copied().collect()));
                }
                None => {
                    marks[*node] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }
    None
}

impl OdeModel {
    /// The start buffer with some symbols given other values (a parameter of one member of a
    /// virtual population): everything that depends on them is recomputed.
    pub fn initial_with(&self, overrides: &[(usize, f64)]) -> Vec<f64> {
        let mut buffer = vec![f64::NAN; self.names.len()];
        for (slot, value) in overrides {
            if let Some(b) = buffer.get_mut(*slot) {
                *b = *value;
            }
        }
        for (slot, program) in &self.init {
            if !overrides.iter().any(|(s, _)| s == slot) {
                buffer[*slot] = program.eval(&buffer, self.start_time);
            }
        }
        buffer
    }
}

/// Orders definitions so that each comes after the definitions it reads; a cycle is an error
/// naming its members.
fn order(defs: &HashMap<String, Expr>, what: &str) -> Result<Vec<String>, CompileError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut out = Vec::new();
    let mut names: Vec<&String> = defs.keys().collect();
    names.sort();
    let deps: HashMap<&str, BTreeSet<String>> = defs
        .iter()
        .map(|(k, v)| (k.as_str(), v.symbols()))
        .collect();
    for start in names {
        if marks.contains_key(start.as_str()) {
            continue;
        }
        // Iterative depth-first search, so that long chains of rules cannot overflow the stack.
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(start.as_str(), deps_of(&deps, defs, start))];
        marks.insert(start.as_str(), Mark::Visiting);
        while let Some((node, pending)) = stack.last_mut() {
            if let Some(next) = pending.pop() {
                match marks.get(next) {
                    Some(Mark::Done) => {}
                    Some(Mark::Visiting) => {
                        let cycle: Vec<&str> = stack.iter().map(|(n, _)| *n).collect();
                        return err(format!(
                            "{what}: circular definitions among {}",
                            cycle.join(", ")
                        ));
                    }
                    None => {
                        marks.insert(next, Mark::Visiting);
                        let d = deps_of(&deps, defs, next);
                        stack.push((next, d));
                    }
                }
            } else {
                let node = *node;
                marks.insert(node, Mark::Done);
                out.push(node.to_string());
                stack.pop();
            }
        }
    }
    Ok(out)
}

fn deps_of<'d>(
    deps: &'d HashMap<&str, BTreeSet<String>>,
    defs: &'d HashMap<String, Expr>,
    name: &str,
) -> Vec<&'d str> {
    deps.get(name)
        .map(|d| {
            d.iter()
                .filter_map(|s| defs.get_key_value(s).map(|(k, _)| k.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

fn add(mut terms: Vec<Expr>) -> Expr {
    match terms.len() {
        0 => Expr::number(0.0),
        1 => terms.remove(0),
        _ => Expr::Nary(NaryOp::Plus, terms),
    }
}

fn mul(a: Expr, b: Expr) -> Expr {
    Expr::Nary(NaryOp::Times, vec![a, b])
}

fn div(a: Expr, b: Expr) -> Expr {
    Expr::Binary(BinaryOp::Divide, Box::new(a), Box::new(b))
}

/// The relational parts of a trigger as `left − right`: where one changes sign, the trigger may
/// change value, so the solver watches them as roots.
fn relational_parts(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    collect_relational(e, &mut out);
    out
}

fn collect_relational(e: &Expr, out: &mut Vec<Expr>) {
    let difference = |a: &Expr, b: &Expr| {
        Expr::Binary(BinaryOp::Minus, Box::new(a.clone()), Box::new(b.clone()))
    };
    match e {
        Expr::Nary(NaryOp::Gt | NaryOp::Lt | NaryOp::Geq | NaryOp::Leq | NaryOp::Eq, args) => {
            for pair in args.windows(2) {
                out.push(difference(&pair[0], &pair[1]));
            }
            for a in args {
                collect_relational(a, out);
            }
        }
        Expr::Binary(BinaryOp::Neq, a, b) => {
            out.push(difference(a, b));
            collect_relational(a, out);
            collect_relational(b, out);
        }
        Expr::Unary(_, a) => collect_relational(a, out),
        Expr::Binary(_, a, b) | Expr::Delay(a, b) => {
            collect_relational(a, out);
            collect_relational(b, out);
        }
        Expr::Nary(_, args) | Expr::Call(_, args) => {
            for a in args {
                collect_relational(a, out);
            }
        }
        Expr::Piecewise { pieces, otherwise } => {
            for p in pieces {
                collect_relational(&p.value, out);
                collect_relational(&p.condition, out);
            }
            if let Some(o) = otherwise {
                collect_relational(o, out);
            }
        }
        Expr::RateOf(a) => collect_relational(a, out),
        _ => {}
    }
}

/// The hidden symbol that stands for time while differentiating by it.
const TIME_SYMBOL: &str = "\u{1}time";

/// Rebuilds `e` bottom-up, letting `f` replace any node first.
fn rewrite(e: &Expr, f: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
    if let Some(r) = f(e) {
        return r;
    }
    let b = |x: &Expr| Box::new(rewrite(x, f));
    match e {
        Expr::Unary(op, a) => Expr::Unary(*op, b(a)),
        Expr::Binary(op, a, c) => Expr::Binary(*op, b(a), b(c)),
        Expr::Nary(op, args) => Expr::Nary(*op, args.iter().map(|a| rewrite(a, f)).collect()),
        Expr::Piecewise { pieces, otherwise } => Expr::Piecewise {
            pieces: pieces
                .iter()
                .map(|p| crate::model::math::Piece {
                    value: rewrite(&p.value, f),
                    condition: rewrite(&p.condition, f),
                })
                .collect(),
            otherwise: otherwise.as_ref().map(|o| b(o)),
        },
        Expr::Call(name, args) => {
            Expr::Call(name.clone(), args.iter().map(|a| rewrite(a, f)).collect())
        }
        Expr::Delay(a, c) => Expr::Delay(b(a), b(c)),
        Expr::RateOf(a) => Expr::RateOf(b(a)),
        other => other.clone(),
    }
}

/// `e` read at time `t`: every `time` replaced by `t`.
fn at_time(e: &Expr, t: &Expr) -> Expr {
    rewrite(e, &|n| matches!(n, Expr::Time).then(|| t.clone()))
}

/// What were the model's values before its start? SBML leaves that open; the SBML Test Suite
/// takes each symbol to have the value its initial definition gives at that time (an initial
/// assignment `x = sin(10·time)` is read at `start − d`), which leaves a state whose initial
/// value is constant at rest (its `rateOf` is 0 there). So `x` before the start is `x` with the
/// initial definitions that depend on time inlined: a function of time over the start buffer,
/// whose other slots keep the values a virtual population's member gives them.
struct BeforeStart<'c> {
    initial: &'c HashMap<String, Expr>,
    delays: &'c [DelayEntry],
    /// `rateOf` before the start: the time derivative of the initial definitions.
    rates: RatesOf,
    /// Symbols whose initial definition depends on time, directly or through others.
    varying: HashSet<String>,
    symbols: HashMap<String, Expr>,
    values: HashMap<usize, Expr>,
    /// Delays being expanded, to catch one that reads itself before the start.
    active: Vec<usize>,
}

impl<'c> BeforeStart<'c> {
    fn new(
        initial: &'c HashMap<String, Expr>,
        delays: &'c [DelayEntry],
    ) -> Result<Self, CompileError> {
        let mut varying = HashSet::new();
        for name in order(initial, "initial values")? {
            let def = &initial[&name];
            let reads_varying = def
                .symbols()
                .iter()
                .any(|s| delay_index(s).is_some() || varying.contains(s));
            if def.has_time() || def.has_rate_of() || reads_varying {
                varying.insert(name);
            }
        }
        Ok(BeforeStart {
            initial,
            delays,
            rates: RatesOf::new(&[], &[], initial),
            varying,
            symbols: HashMap::new(),
            values: HashMap::new(),
            active: Vec::new(),
        })
    }

    /// The `k`th delay's `x` before the start, as a function of time.
    fn value(&mut self, k: usize) -> Result<Expr, CompileError> {
        if let Some(v) = self.values.get(&k) {
            return Ok(v.clone());
        }
        let delays = self.delays;
        let Some(entry) = delays.get(k) else {
            return err(format!("internal: no delay number {k}"));
        };
        if self.active.contains(&k) {
            return err(format!(
                "{}: the delayed expression reads its own delayed value (an algebraic loop through the past), which is not supported",
                entry.label
            ));
        }
        self.active.push(k);
        let v = self.expr(&entry.value, &entry.label);
        self.active.pop();
        let v = v?;
        self.values.insert(k, v.clone());
        Ok(v)
    }

    /// `e` before the start: `rateOf` as the time derivative of initial definitions, symbols
    /// whose initial definition varies inlined, and delayed values read at their earlier time.
    fn expr(&mut self, e: &Expr, context: &str) -> Result<Expr, CompileError> {
        let e = self
            .rates
            .resolve(e, &format!("{context} before the start"))?;
        let mut replacements = HashMap::new();
        for s in e.symbols() {
            let before = if let Some(j) = delay_index(&s) {
                let delays = self.delays;
                let Some(inner) = delays.get(j) else {
                    return err(format!("internal: no delay number {j}"));
                };
                let d = self.expr(&inner.delay, &inner.label)?;
                let x = self.value(j)?;
                at_time(&x, &Expr::sub(Expr::Time, d))
            } else if self.varying.contains(&s) {
                self.symbol(&s, context)?
            } else {
                continue;
            };
            replacements.insert(s, before);
        }
        if replacements.is_empty() {
            return Ok(e);
        }
        Ok(e.substitute(&|s| replacements.get(s).cloned()))
    }

    fn symbol(&mut self, s: &str, context: &str) -> Result<Expr, CompileError> {
        if let Some(v) = self.symbols.get(s) {
            return Ok(v.clone());
        }
        let initial = self.initial;
        let Some(def) = initial.get(s) else {
            return Ok(Expr::symbol(s));
        };
        // Initial definitions are acyclic (`order` checked), so this recursion ends.
        let v = self.expr(def, context)?;
        self.symbols.insert(s.to_string(), v.clone());
        Ok(v)
    }
}

/// Time derivatives of symbols and expressions: everything is inlined down to states,
/// constants and time, then differentiated, `d x/dt = Σ ∂x/∂yₖ · dyₖ/dt + ∂x/∂t`.
struct RatesOf {
    states: Vec<(String, Expr)>,
    definitions: HashMap<String, Expr>,
}

impl RatesOf {
    fn new(states: &[StateVar], derivatives: &[Expr], definitions: &HashMap<String, Expr>) -> Self {
        RatesOf {
            states: states
                .iter()
                .zip(derivatives)
                .map(|(s, d)| (s.symbol.clone(), d.clone()))
                .collect(),
            definitions: definitions.clone(),
        }
    }

    /// `e` with computed symbols replaced by their definitions, repeatedly (definitions are
    /// acyclic, which `order` checks; the bound only guards against a cycle here).
    fn inline(&self, e: &Expr) -> Expr {
        let mut e = e.clone();
        for _ in 0..64 {
            if !e.symbols().iter().any(|s| self.definitions.contains_key(s)) {
                break;
            }
            e = e.substitute(&|s| self.definitions.get(s).cloned());
        }
        e
    }

    fn rate_of(&self, x: &Expr, context: &str) -> Result<Expr, CompileError> {
        let full = rewrite(&self.inline(x), &|n| {
            matches!(n, Expr::Time).then(|| Expr::symbol(TIME_SYMBOL))
        });
        if full.has_rate_of() {
            return err(format!(
                "{context}: rateOf of an expression that itself reads rateOf is not supported"
            ));
        }
        if full.symbols().iter().any(|s| delay_index(s).is_some()) {
            return err(format!(
                "{context}: rateOf of an expression that reads delay() is not supported"
            ));
        }
        let mut terms = Vec::new();
        for (symbol, derivative) in &self.states {
            if !full.mentions(symbol) {
                continue;
            }
            let partial = full
                .derivative(symbol)
                .map_err(math_err(context))?
                .simplify();
            if !partial.is_constant_zero() {
                terms.push(mul(partial, derivative.clone()));
            }
        }
        if full.mentions(TIME_SYMBOL) {
            terms.push(full.derivative(TIME_SYMBOL).map_err(math_err(context))?);
        }
        let rate = add(terms).simplify();
        Ok(rewrite(&rate, &|n| {
            (*n == Expr::symbol(TIME_SYMBOL)).then_some(Expr::Time)
        }))
    }

    /// `e` with every `rateOf(x)` replaced by the rate of `x`.
    fn resolve(&self, e: &Expr, context: &str) -> Result<Expr, CompileError> {
        let mut e = e.clone();
        // A state's derivative may itself read rateOf: a few rounds settle the suite's uses.
        for _ in 0..4 {
            if !e.has_rate_of() {
                return Ok(e);
            }
            let failure = std::cell::RefCell::new(None);
            e = e.substitute_rate_of(&|x| match self.rate_of(x, context) {
                Ok(r) => Some(r),
                Err(problem) => {
                    failure.borrow_mut().get_or_insert(problem);
                    None
                }
            });
            if let Some(problem) = failure.into_inner() {
                return Err(problem);
            }
        }
        if e.has_rate_of() {
            return err(format!("{context}: rateOf refers to itself"));
        }
        Ok(e)
    }
}
