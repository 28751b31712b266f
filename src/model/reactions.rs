//! What is a reaction system? Compartments, species, parameters, reactions with kinetic laws,
//! rules, initial assignments, user functions and events: the kinetic layer of a pathway as
//! plain values, with SBML's meaning. The SBML importer produces one, the store's extractor reads
//! one back out of RDF, and the ODE compiler (`sim::ode`) turns one into a right-hand side.

use crate::model::math::{Expr, Function};

/// A whole kinetic model. Identifiers (`id` fields) are the SBML ids (or, for curated pathways,
/// the local names the kinetic laws use); every cross reference is by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReactionSystem {
    pub id: String,
    pub name: Option<String>,
    pub compartments: Vec<Compartment>,
    pub species: Vec<Species>,
    pub parameters: Vec<Parameter>,
    pub reactions: Vec<Reaction>,
    pub rules: Vec<Rule>,
    pub initial_assignments: Vec<InitialAssignment>,
    pub functions: Vec<FunctionDefinition>,
    pub events: Vec<Event>,
    /// The model-wide conversion factor for species without their own (SBML L3).
    pub conversion_factor: Option<String>,
    /// Unit definitions as written, kept so that a modeller can read them back; the simulator does
    /// not convert units (SBML leaves consistency to the modeller, as does every SBML simulator).
    pub units: Vec<UnitDefinition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compartment {
    pub id: String,
    pub name: Option<String>,
    /// `None` when the size is unset (then it must come from a rule or initial assignment).
    pub size: Option<f64>,
    pub constant: bool,
    pub spatial_dimensions: Option<f64>,
    pub units: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Species {
    pub id: String,
    pub name: Option<String>,
    pub compartment: String,
    pub initial_amount: Option<f64>,
    pub initial_concentration: Option<f64>,
    /// When true, the species' symbol in math means its amount, not its concentration.
    pub has_only_substance_units: bool,
    /// A boundary species is not changed by reactions (rules and events may still change it).
    pub boundary_condition: bool,
    pub constant: bool,
    pub conversion_factor: Option<String>,
    pub substance_units: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub id: String,
    pub name: Option<String>,
    pub value: Option<f64>,
    pub constant: bool,
    pub units: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reaction {
    pub id: String,
    pub name: Option<String>,
    pub reversible: bool,
    /// An SBML "fast" reaction: at instantaneous equilibrium, its rate held at zero while the
    /// slow reactions move the totals it conserves.
    pub fast: bool,
    pub reactants: Vec<SpeciesReference>,
    pub products: Vec<SpeciesReference>,
    pub modifiers: Vec<String>,
    pub kinetic_law: Option<KineticLaw>,
    /// The compartment the reaction takes place in (informative only).
    pub compartment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpeciesReference {
    pub species: String,
    /// SBML L3 lets a species reference carry an id, which math may read and rules may set.
    pub id: Option<String>,
    /// `None` when unset (it then comes from an initial assignment or a rule on `id`).
    pub stoichiometry: Option<f64>,
    pub constant: bool,
    /// SBML L2 `stoichiometryMath`.
    pub stoichiometry_math: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KineticLaw {
    pub math: Option<Expr>,
    /// Parameters local to the law; they shadow global symbols of the same id inside it.
    pub local_parameters: Vec<Parameter>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `variable = math` at all times.
    Assignment { variable: String, math: Expr },
    /// `d variable / dt = math`.
    Rate { variable: String, math: Expr },
    /// `0 = math`.
    Algebraic { math: Expr },
}

impl Rule {
    pub fn variable(&self) -> Option<&str> {
        match self {
            Rule::Assignment { variable, .. } | Rule::Rate { variable, .. } => Some(variable),
            Rule::Algebraic { .. } => None,
        }
    }
    pub fn math(&self) -> &Expr {
        match self {
            Rule::Assignment { math, .. } | Rule::Rate { math, .. } | Rule::Algebraic { math } => {
                math
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InitialAssignment {
    pub symbol: String,
    pub math: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDefinition {
    pub id: String,
    pub name: Option<String>,
    pub function: Function,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Option<String>,
    pub name: Option<String>,
    pub trigger: Expr,
    /// The trigger's value just before the start (SBML L3 `initialValue`): with `false`, a trigger
    /// that is true at the start fires at the start.
    pub initial_value: bool,
    /// When false, the event is cancelled if its trigger turns false before a delayed execution.
    pub persistent: bool,
    pub delay: Option<Expr>,
    pub priority: Option<Expr>,
    /// Whether the assigned values are computed when the event fires (true) or when it executes.
    pub use_values_from_trigger_time: bool,
    pub assignments: Vec<EventAssignment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventAssignment {
    pub variable: String,
    pub math: Expr,
}

/// A unit definition, as `(kind, exponent, scale, multiplier)` factors.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDefinition {
    pub id: String,
    pub units: Vec<Unit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub kind: String,
    pub exponent: f64,
    pub scale: i32,
    pub multiplier: f64,
}

impl ReactionSystem {
    /// Multiplies the kinetic law of every reaction `which` picks by `factor` (a scenario's
    /// change of a rate); returns their ids.
    pub fn scale_laws(&mut self, factor: f64, which: impl Fn(&Reaction) -> bool) -> Vec<String> {
        let mut scaled = Vec::new();
        for reaction in self.reactions.iter_mut().filter(|r| which(r)) {
            if let Some(law) = reaction.kinetic_law.as_mut() {
                if let Some(math) = law.math.take() {
                    law.math = Some(Expr::Nary(
                        crate::model::math::NaryOp::Times,
                        vec![Expr::Number(factor), math],
                    ));
                    scaled.push(reaction.id.clone());
                }
            }
        }
        scaled
    }

    /// Holds a species at zero for the whole run: no reaction, rule, initial assignment or
    /// event changes it (a lost gene's product).
    pub fn hold_at_zero(&mut self, species: &str) {
        for s in self.species.iter_mut().filter(|s| s.id == species) {
            s.initial_amount = Some(0.0);
            s.initial_concentration = None;
            s.boundary_condition = true;
            s.constant = true;
        }
        self.initial_assignments.retain(|a| a.symbol != species);
        self.rules.retain(|r| r.variable() != Some(species));
        for event in &mut self.events {
            event.assignments.retain(|a| a.variable != species);
        }
    }

    pub fn compartment(&self, id: &str) -> Option<&Compartment> {
        self.compartments.iter().find(|c| c.id == id)
    }
    pub fn species_by_id(&self, id: &str) -> Option<&Species> {
        self.species.iter().find(|s| s.id == id)
    }
}
