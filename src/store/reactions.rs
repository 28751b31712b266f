//! What reaction system does a pathway of the store describe? Reads compartments, species,
//! parameters, reactions (participants, kinetic laws, local parameters), rules, initial
//! assignments, function definitions and events back out of the shape `import::sbml` writes,
//! and curated pathways use, into a `ReactionSystem` for the ODE compiler.

use super::Store;
use crate::error::{Error, Result};
use crate::model::math::{self, Expr, Function};
use crate::model::reactions::{
    Compartment, Event, EventAssignment, FunctionDefinition, InitialAssignment, KineticLaw,
    Parameter, Reaction, ReactionSystem, Rule, Species, SpeciesReference, Unit, UnitDefinition,
};
use crate::vocab;
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{NamedNode, Term};
use std::collections::HashMap;

/// The statements about one subject, by predicate IRI.
#[derive(Default)]
struct Facts(HashMap<String, Vec<Term>>);

impl Facts {
    fn all(&self, predicate: &str) -> &[Term] {
        self.0.get(predicate).map(Vec::as_slice).unwrap_or(&[])
    }
    fn text(&self, local: &str) -> Option<String> {
        self.all(&tw(local)).iter().find_map(|t| match t {
            Term::Literal(l) => Some(l.value().to_string()),
            _ => None,
        })
    }
    fn label(&self) -> Option<String> {
        self.all(rdfs::LABEL.as_str()).iter().find_map(|t| match t {
            Term::Literal(l) => Some(l.value().to_string()),
            _ => None,
        })
    }
    fn links(&self, local: &str) -> Vec<String> {
        self.all(&tw(local))
            .iter()
            .filter_map(|t| match t {
                Term::NamedNode(n) => Some(n.as_str().to_string()),
                _ => None,
            })
            .collect()
    }
    fn types(&self) -> Vec<String> {
        self.all(rdf::TYPE.as_str())
            .iter()
            .filter_map(|t| match t {
                Term::NamedNode(n) => n.as_str().strip_prefix(vocab::TW).map(str::to_string),
                _ => None,
            })
            .collect()
    }
}

fn tw(local: &str) -> String {
    format!("{}{local}", vocab::TW)
}

/// Reads `subject`'s facts and turns bad values into errors that name the subject and property.
struct Reader<'a> {
    store: &'a Store,
    cache: HashMap<String, Facts>,
}

impl Reader<'_> {
    fn facts(&mut self, subject: &str) -> Result<&Facts> {
        if !self.cache.contains_key(subject) {
            let node =
                NamedNode::new(subject).map_err(|e| Error::BadInput(format!("{subject}: {e}")))?;
            let mut facts = Facts::default();
            for quad in
                self.store
                    .inner
                    .quads_for_pattern(Some(node.as_ref().into()), None, None, None)
            {
                let quad = quad?;
                if let oxigraph::model::GraphName::NamedNode(g) = &quad.graph_name {
                    if vocab::is_derived_or_private(g.as_str()) {
                        continue;
                    }
                }
                let v = facts
                    .0
                    .entry(quad.predicate.as_str().to_string())
                    .or_default();
                if !v.contains(&quad.object) {
                    v.push(quad.object);
                }
            }
            self.cache.insert(subject.to_string(), facts);
        }
        Ok(&self.cache[subject])
    }

    fn number(&mut self, subject: &str, local: &str) -> Result<Option<f64>> {
        match self.facts(subject)?.text(local) {
            None => Ok(None),
            Some(t) => parse_double(&t).map(Some).ok_or_else(|| {
                Error::BadInput(format!("{subject}: tw:{local} is not a number: {t:?}"))
            }),
        }
    }

    fn boolean(&mut self, subject: &str, local: &str, default: bool) -> Result<bool> {
        Ok(match self.facts(subject)?.text(local).as_deref() {
            Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            _ => default,
        })
    }

    fn math(&mut self, subject: &str, local: &str) -> Result<Option<Expr>> {
        match self.facts(subject)?.text(local) {
            None => Ok(None),
            Some(t) => math::parse(&t).map(Some).map_err(|e| {
                Error::BadInput(format!("{subject}: tw:{local} {t:?} is not math: {e}"))
            }),
        }
    }

    fn text(&mut self, subject: &str, local: &str) -> Result<Option<String>> {
        Ok(self.facts(subject)?.text(local))
    }

    /// The name math uses for `subject`: its `tw:modelSymbol`, else its label made into an
    /// identifier, else the last segment of its IRI.
    fn symbol(&mut self, subject: &str) -> Result<String> {
        let facts = self.facts(subject)?;
        if let Some(s) = facts.text("modelSymbol") {
            return Ok(s);
        }
        let label = facts.label().unwrap_or_else(|| {
            subject
                .rsplit(['/', '#'])
                .next()
                .unwrap_or(subject)
                .to_string()
        });
        Ok(super::extract::rule_name(&label))
    }

    /// Linked parts in their `tw:order`, then by IRI.
    fn ordered(&mut self, subject: &str, local: &str) -> Result<Vec<String>> {
        let mut parts: Vec<(i64, String)> = Vec::new();
        for p in self.facts(subject)?.links(local) {
            let order = self
                .facts(&p)?
                .text("order")
                .and_then(|o| o.parse().ok())
                .unwrap_or(i64::MAX);
            parts.push((order, p));
        }
        parts.sort();
        Ok(parts.into_iter().map(|(_, p)| p).collect())
    }

    fn parameter(&mut self, iri: &str) -> Result<Parameter> {
        Ok(Parameter {
            id: self.symbol(iri)?,
            name: self.facts(iri)?.label(),
            value: self.number(iri, "value")?,
            constant: self.boolean(iri, "constant", true)?,
            units: self.text(iri, "unit")?,
        })
    }
}

impl Store {
    /// Imports an SBML file into its graph (`graph/<file stem>`), replacing nothing else, and
    /// returns the graph's IRI. Used on scratch stores, to read a file by the store's route.
    pub fn import_sbml(&self, bytes: &[u8], file: &std::path::Path) -> Result<String> {
        let graph = super::load::default_graph_for(file)?;
        let quads = crate::import::read(
            crate::import::ImportFormat::Sbml,
            bytes,
            file,
            &graph,
            &crate::import::Columns::default(),
            None,
        )?;
        self.inner.extend(quads)?;
        Ok(graph.as_str().to_string())
    }

    /// Whether `pathway` is a kinetic model (`tw:KineticModel`): simulated as ODEs rather than
    /// as a logical model.
    pub fn is_kinetic(&self, pathway: &str) -> Result<bool> {
        let mut r = Reader {
            store: self,
            cache: HashMap::new(),
        };
        Ok(r.facts(pathway)?
            .types()
            .iter()
            .any(|t| t == "KineticModel"))
    }

    /// What the species of a kinetic pathway stand for in the maps (`tw:represents`), as
    /// (species symbol, entity IRI): how a twin's rules and drugs, which name entities, reach
    /// the species and its reactions.
    pub fn species_entities(&self, pathway: &str) -> Result<Vec<(String, String)>> {
        let mut r = Reader {
            store: self,
            cache: HashMap::new(),
        };
        let mut found = Vec::new();
        for m in r.ordered(pathway, "member")? {
            if r.facts(&m)?.types().iter().any(|t| t == "Species") {
                let symbol = r.symbol(&m)?;
                for entity in r.facts(&m)?.links("represents") {
                    found.push((symbol.clone(), entity));
                }
            }
        }
        Ok(found)
    }

    /// The reaction system of `pathway`: the one route from the store to the ODE compiler.
    pub fn reaction_system(&self, pathway: &str) -> Result<ReactionSystem> {
        let mut r = Reader {
            store: self,
            cache: HashMap::new(),
        };
        let facts = r.facts(pathway)?;
        if !facts.types().iter().any(|t| t == "Pathway") {
            return Err(Error::NotFound(format!(
                "{pathway} is not a pathway of the store"
            )));
        }
        let mut system = ReactionSystem {
            id: facts.text("modelSymbol").unwrap_or_default(),
            name: facts.label(),
            conversion_factor: facts.text("conversionFactor"),
            ..Default::default()
        };
        let members = r.ordered(pathway, "member")?;
        let mut species_symbol: HashMap<String, String> = HashMap::new();
        let mut compartment_symbol: HashMap<String, String> = HashMap::new();
        // Compartments and species first: participants and locations refer to them by IRI.
        for m in &members {
            let types = r.facts(m)?.types();
            if types.iter().any(|t| t == "Compartment") {
                let id = r.symbol(m)?;
                compartment_symbol.insert(m.clone(), id.clone());
                system.compartments.push(Compartment {
                    id,
                    name: r.facts(m)?.label(),
                    size: r.number(m, "size")?,
                    constant: r.boolean(m, "constant", true)?,
                    spatial_dimensions: r.number(m, "spatialDimensions")?,
                    units: r.text(m, "unit")?,
                });
            }
        }
        for m in &members {
            let types = r.facts(m)?.types();
            if types.iter().any(|t| t == "Species") {
                let id = r.symbol(m)?;
                species_symbol.insert(m.clone(), id.clone());
                let location = r.facts(m)?.links("location").into_iter().next();
                let compartment = match location {
                    Some(c) => match compartment_symbol.get(&c) {
                        Some(s) => s.clone(),
                        None => r.symbol(&c)?,
                    },
                    None => {
                        return Err(Error::BadInput(format!(
                            "{m}: a species needs a tw:location (its compartment)"
                        )))
                    }
                };
                system.species.push(Species {
                    id,
                    name: r.facts(m)?.label(),
                    compartment,
                    initial_amount: r.number(m, "initialAmount")?,
                    initial_concentration: match r.number(m, "initialConcentration")? {
                        Some(c) => Some(c),
                        None => r.number(m, "initialValue")?,
                    },
                    has_only_substance_units: r.boolean(m, "hasOnlySubstanceUnits", false)?,
                    boundary_condition: r.boolean(m, "boundaryCondition", false)?,
                    constant: r.boolean(m, "constant", false)?,
                    conversion_factor: r.text(m, "conversionFactor")?,
                    substance_units: r.text(m, "unit")?,
                });
            }
        }
        for p in r.ordered(pathway, "parameter")? {
            let p = r.parameter(&p)?;
            system.parameters.push(p);
        }
        for m in &members {
            let types = r.facts(m)?.types();
            if !types.iter().any(|t| t == "Reaction") {
                continue;
            }
            let mut reaction = Reaction {
                id: r.symbol(m)?,
                name: r.facts(m)?.label(),
                reversible: r.boolean(m, "reversible", true)?,
                fast: r.boolean(m, "fast", false)?,
                reactants: Vec::new(),
                products: Vec::new(),
                modifiers: Vec::new(),
                kinetic_law: None,
                compartment: None,
            };
            for role in ["reactant", "product", "modifier"] {
                for p in r.ordered(m, role)? {
                    let Some(species) = r.facts(&p)?.links("species").into_iter().next() else {
                        return Err(Error::BadInput(format!(
                            "{p}: a participant of {m} names no tw:species"
                        )));
                    };
                    let species = match species_symbol.get(&species) {
                        Some(s) => s.clone(),
                        None => r.symbol(&species)?,
                    };
                    if role == "modifier" {
                        reaction.modifiers.push(species);
                        continue;
                    }
                    let sr = SpeciesReference {
                        species,
                        id: r.text(&p, "modelSymbol")?,
                        stoichiometry: r.number(&p, "stoichiometry")?,
                        constant: r.boolean(&p, "constant", true)?,
                        stoichiometry_math: r.math(&p, "stoichiometryMath")?,
                    };
                    if role == "reactant" {
                        reaction.reactants.push(sr);
                    } else {
                        reaction.products.push(sr);
                    }
                }
            }
            let law = r.math(m, "kineticLaw")?;
            let mut local_parameters = Vec::new();
            for p in r.ordered(m, "parameter")? {
                local_parameters.push(r.parameter(&p)?);
            }
            if law.is_some() || !local_parameters.is_empty() {
                reaction.kinetic_law = Some(KineticLaw {
                    math: law,
                    local_parameters,
                });
            }
            system.reactions.push(reaction);
        }
        for f in r.ordered(pathway, "function")? {
            let params = r
                .text(&f, "arguments")?
                .map(|a| a.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default();
            let Some(body) = r.math(&f, "math")? else {
                return Err(Error::BadInput(format!("{f}: a function has no tw:math")));
            };
            system.functions.push(FunctionDefinition {
                id: r.symbol(&f)?,
                name: r.facts(&f)?.label(),
                function: Function { params, body },
            });
        }
        for rule in r.ordered(pathway, "rule")? {
            let types = r.facts(&rule)?.types();
            let Some(m) = r.math(&rule, "math")? else {
                return Err(Error::BadInput(format!("{rule}: a rule has no tw:math")));
            };
            let variable = r.text(&rule, "variable")?;
            let need = |v: Option<String>| {
                v.ok_or_else(|| Error::BadInput(format!("{rule}: the rule has no tw:variable")))
            };
            let rule = if types.iter().any(|t| t == "AssignmentRule") {
                Rule::Assignment {
                    variable: need(variable)?,
                    math: m,
                }
            } else if types.iter().any(|t| t == "RateRule") {
                Rule::Rate {
                    variable: need(variable)?,
                    math: m,
                }
            } else {
                Rule::Algebraic { math: m }
            };
            system.rules.push(rule);
        }
        for a in r.ordered(pathway, "initialAssignment")? {
            let (Some(symbol), Some(m)) = (r.text(&a, "variable")?, r.math(&a, "math")?) else {
                return Err(Error::BadInput(format!(
                    "{a}: an initial assignment needs tw:variable and tw:math"
                )));
            };
            system
                .initial_assignments
                .push(InitialAssignment { symbol, math: m });
        }
        for e in r.ordered(pathway, "event")? {
            let Some(trigger) = r.math(&e, "trigger")? else {
                return Err(Error::BadInput(format!("{e}: an event has no tw:trigger")));
            };
            let mut assignments = Vec::new();
            for a in r.ordered(&e, "eventAssignment")? {
                let (Some(variable), Some(m)) = (r.text(&a, "variable")?, r.math(&a, "math")?)
                else {
                    return Err(Error::BadInput(format!(
                        "{a}: an event assignment needs tw:variable and tw:math"
                    )));
                };
                assignments.push(EventAssignment { variable, math: m });
            }
            system.events.push(Event {
                id: r.text(&e, "modelSymbol")?,
                name: r.facts(&e)?.label(),
                trigger,
                initial_value: r.boolean(&e, "triggerInitialValue", true)?,
                persistent: r.boolean(&e, "persistent", true)?,
                delay: r.math(&e, "delay")?,
                priority: r.math(&e, "eventPriority")?,
                use_values_from_trigger_time: r.boolean(&e, "useValuesFromTriggerTime", true)?,
                assignments,
            });
        }
        for u in r.ordered(pathway, "unitDefinition")? {
            let mut units = Vec::new();
            for line in r.text(&u, "unitFactors")?.unwrap_or_default().lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                if let [kind, exponent, scale, multiplier] = f[..] {
                    units.push(Unit {
                        kind: kind.to_string(),
                        exponent: exponent.parse().unwrap_or(1.0),
                        scale: scale.parse().unwrap_or(0),
                        multiplier: multiplier.parse().unwrap_or(1.0),
                    });
                }
            }
            system.units.push(UnitDefinition {
                id: r.symbol(&u)?,
                units,
            });
        }
        if system.species.is_empty()
            && system.compartments.is_empty()
            && system.parameters.is_empty()
        {
            return Err(Error::BadInput(format!(
                "{pathway}: no species, compartments or parameters to simulate (a kinetic pathway has tw:Species, tw:Compartment and tw:Reaction members with tw:kineticLaw)"
            )));
        }
        Ok(system)
    }
}

fn parse_double(text: &str) -> Option<f64> {
    match text.trim() {
        "INF" | "+INF" => Some(f64::INFINITY),
        "-INF" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        t => t.parse().ok(),
    }
}
