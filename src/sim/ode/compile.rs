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

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use crate::model::math::{BinaryOp, Expr, Function, MathError, NaryOp, Program};
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
    /// Computed slots in dependency order: species values from amounts, assignment rules, reaction rates.
    pub steps: Vec<(usize, Program)>,
    pub derivatives: Vec<Program>,
    pub jacobian_pattern: Vec<(usize, usize)>,
    pub jacobian: Vec<JacobianEntry>,
    pub events: Vec<CompiledEvent>,
    pub species: Vec<SpeciesSlot>,
    /// Which named slots are computed (not free to be set between events).
    pub computed: Vec<bool>,
    pub start_time: f64,
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
        })
    }

    fn prepare(&self, expr: &Expr, context: &str) -> Result<Expr, CompileError> {
        let inlined = expr
            .inline_calls(&self.functions)
            .map_err(math_err(context))?;
        if inlined.has_delay() {
            return err(format!(
                "{context}: delay() is not supported (SBML delayed differential equations)"
            ));
        }
        Ok(inlined)
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
        if let Some(r) = system.reactions.iter().find(|r| r.fast) {
            return err(format!(
                "reaction {} is a fast reaction (instantaneous equilibrium), which is not supported",
                r.id
            ));
        }
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
                    let m = self.prepare(m, &format!("kinetic law of reaction {}", r.id))?;
                    m.substitute(&|s| locals.get(s).map(|v| Expr::number(*v)))
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
                    if *species == s.id {
                        let rate = Expr::symbol(&system.reactions[*ri].id);
                        let term = mul(mul(Expr::number(*sign), stoichiometry.clone()), rate);
                        terms.push(term);
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
        let mut initial = std::mem::take(&mut self.initial);
        for (k, v) in initial.iter_mut() {
            *v = rates.resolve(v, &format!("initial value of {k}"))?;
        }
        self.initial = initial;

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
            let def = rates.resolve(&def, &format!("initial value of {n}"))?;
            self.initial.insert(n.clone(), def);
        }
        for (symbol, _) in &initial_assignment {
            if !is_named.contains(*symbol) {
                return err(format!(
                    "an initial assignment sets {symbol}, which the model does not define"
                ));
            }
        }

        self.names = named;
        self.rates = Some(rates);
        self.build(start_time, &species_amount_math, &rate)
    }

    fn build(
        self,
        start_time: f64,
        species_amount_math: &HashMap<String, bool>,
        rate: &HashMap<String, Expr>,
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

        // Initial values: evaluate the initial definitions in dependency order.
        let init_order = order(&self.initial, "initial values")?;
        let mut init_values: HashMap<String, f64> = HashMap::new();
        for name in &init_order {
            let def = &self.initial[name];
            let value = def
                .eval(&|s| init_values.get(s).copied(), start_time)
                .map_err(math_err(&format!("initial value of {name}")))?;
            init_values.insert(name.clone(), value);
        }
        let mut initial = vec![f64::NAN; names.len()];
        for (i, n) in self.names.iter().enumerate() {
            if let Some(v) = init_values.get(n) {
                initial[i] = *v;
            }
        }
        for (k, s) in self.states.iter().enumerate() {
            initial[n_named + k] = init_values.get(&s.symbol).copied().unwrap_or(f64::NAN);
        }

        let resolve = |s: &str| index.get(s).copied();
        let compile = |e: &Expr, context: &str| -> Result<Program, CompileError> {
            Program::compile(e, &resolve).map_err(math_err(context))
        };

        let step_order = order(&self.computed, "rules")?;
        let mut steps = Vec::new();
        let mut computed_flags = vec![false; n_named];
        for name in &step_order {
            let slot = index[name.as_str()];
            if slot >= n_named {
                continue;
            }
            computed_flags[slot] = true;
            steps.push((slot, compile(&self.computed[name], name)?));
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
            let def = self.computed[name].substitute(&|s| inlined.get(s).cloned());
            inlined.insert(name.clone(), def);
        }
        let mut jacobian_pattern = Vec::new();
        let mut jacobian = Vec::new();
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
                    }
                    Err(_) => {
                        jacobian_pattern.push((row, col));
                        jacobian.push(JacobianEntry::Difference {
                            row: compile(&full, "Jacobian")?,
                            state: col,
                        });
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

        let mut events = Vec::new();
        for (i, e) in system.events.iter().enumerate() {
            let label = e.id.clone().unwrap_or_else(|| format!("event {}", i + 1));
            let prepare = |m: &Expr, what: &str| -> Result<Expr, CompileError> {
                let m = m
                    .inline_calls(&self.functions)
                    .map_err(math_err(&format!("{what} of {label}")))?;
                if m.has_delay() {
                    return err(format!("{what} of {label}: delay() is not supported"));
                }
                match &self.rates {
                    Some(rates) => rates.resolve(&m, &format!("{what} of {label}")),
                    None => Ok(m),
                }
            };
            let trigger = prepare(&e.trigger, "trigger")?;
            let roots = relational_parts(&trigger)
                .iter()
                .map(|g| compile(g, &format!("trigger of {label}")))
                .collect::<Result<Vec<_>, _>>()?;
            let mut assignments = Vec::new();
            for a in &e.assignments {
                let math = prepare(&a.math, &format!("assignment to {}", a.variable))?;
                let target = match index.get(a.variable.as_str()) {
                    None => {
                        return err(format!(
                            "{label} assigns {}, which the model does not define",
                            a.variable
                        ))
                    }
                    Some(&slot) if slot >= n_named => Target::State(slot - n_named),
                    Some(&slot) => {
                        let amount_state = self
                            .states
                            .iter()
                            .position(|s| s.symbol == amount_symbol(&a.variable));
                        match amount_state {
                            Some(k) => {
                                let sp = system.species_by_id(&a.variable);
                                let compartment =
                                    sp.map(|s| index[s.compartment.as_str()]).unwrap_or(slot);
                                Target::Amount {
                                    state: k,
                                    value_is_amount: species_amount_math[&a.variable],
                                    compartment,
                                }
                            }
                            None if computed_flags[slot] => {
                                return err(format!(
                                    "{label} assigns {}, which a rule determines",
                                    a.variable
                                ))
                            }
                            None => Target::Slot(slot),
                        }
                    }
                };
                assignments.push((target, compile(&math, &label)?));
            }
            events.push(CompiledEvent {
                trigger: compile(&trigger, &format!("trigger of {label}"))?,
                roots,
                initial_value: e.initial_value,
                persistent: e.persistent,
                delay: match &e.delay {
                    Some(d) => Some(compile(&prepare(d, "delay")?, &label)?),
                    None => None,
                },
                priority: match &e.priority {
                    Some(p) => Some(compile(&prepare(p, "priority")?, &label)?),
                    None => None,
                },
                use_values_from_trigger_time: e.use_values_from_trigger_time,
                assignments,
                label,
            });
        }
        let _ = rate;
        Ok(OdeModel {
            names,
            index,
            n_named,
            states: self.states,
            initial,
            steps,
            derivatives,
            jacobian_pattern,
            jacobian,
            events,
            species,
            computed: computed_flags,
            start_time,
        })
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
