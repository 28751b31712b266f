//! What does an SBML file say? Reads SBML Level 2 and Level 3 core (every version in the SBML Test
//! Suite) with its MathML into a `ReactionSystem`, keeping SBML's defaults per level, and names
//! the line of anything it cannot read.

use std::fmt;

use roxmltree::{Document, Node};

use crate::model::math::{self, Expr};
use crate::model::reactions::{
    Compartment, Event, EventAssignment, FunctionDefinition, InitialAssignment, KineticLaw,
    Parameter, Reaction, ReactionSystem, Rule, Species, SpeciesReference, Unit, UnitDefinition,
};

/// A problem in an SBML document, with the line it is on.
#[derive(Debug, Clone, PartialEq)]
pub struct SbmlError {
    pub line: u32,
    pub message: String,
}

impl fmt::Display for SbmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SbmlError {}

/// The SBML level and version of a document: defaults differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LevelVersion {
    pub level: u32,
    pub version: u32,
}

/// Reads an SBML document.
pub fn read(xml: &str) -> Result<(ReactionSystem, LevelVersion), SbmlError> {
    let doc = Document::parse(xml).map_err(|e| SbmlError {
        line: e.pos().row,
        message: format!("not well-formed XML: {e}"),
    })?;
    let reader = Reader { doc: &doc };
    let root = doc.root_element();
    if root.tag_name().name() != "sbml" {
        return Err(reader.error(
            root,
            format!(
                "the root element is <{}>, not <sbml>",
                root.tag_name().name()
            ),
        ));
    }
    let level = reader.uint(root, "level")?.unwrap_or(3);
    let version = reader.uint(root, "version")?.unwrap_or(1);
    if level < 2 {
        return Err(reader.error(
            root,
            format!("SBML Level {level} is not supported (Levels 2 and 3 are)"),
        ));
    }
    let lv = LevelVersion { level, version };
    let model = child(root, "model").ok_or_else(|| reader.error(root, "no <model> element"))?;
    let system = reader.model(model, lv)?;
    Ok((system, lv))
}

struct Reader<'a, 'input> {
    doc: &'a Document<'input>,
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'input>(
    node: Node<'a, 'input>,
    list: &'a str,
    item: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    child(node, list).into_iter().flat_map(move |l| {
        l.children()
            .filter(move |c| c.is_element() && c.tag_name().name() == item)
    })
}

impl<'a, 'input> Reader<'a, 'input> {
    fn line(&self, node: Node) -> u32 {
        self.doc.text_pos_at(node.range().start).row
    }

    fn error(&self, node: Node, message: impl Into<String>) -> SbmlError {
        SbmlError {
            line: self.line(node),
            message: message.into(),
        }
    }

    fn required(&self, node: Node, attribute: &str) -> Result<String, SbmlError> {
        node.attribute(attribute)
            .map(str::to_string)
            .ok_or_else(|| {
                self.error(
                    node,
                    format!(
                        "<{}> has no required attribute `{attribute}`",
                        node.tag_name().name()
                    ),
                )
            })
    }

    fn number(&self, node: Node, attribute: &str) -> Result<Option<f64>, SbmlError> {
        match node.attribute(attribute) {
            None => Ok(None),
            Some(text) => parse_double(text.trim()).map(Some).ok_or_else(|| {
                self.error(
                    node,
                    format!(
                        "<{}> attribute `{attribute}` is not a number: {text:?}",
                        node.tag_name().name()
                    ),
                )
            }),
        }
    }

    fn uint(&self, node: Node, attribute: &str) -> Result<Option<u32>, SbmlError> {
        match node.attribute(attribute) {
            None => Ok(None),
            Some(text) => text.trim().parse().map(Some).map_err(|_| {
                self.error(
                    node,
                    format!("attribute `{attribute}` is not a whole number: {text:?}"),
                )
            }),
        }
    }

    fn boolean(&self, node: Node, attribute: &str, default: bool) -> Result<bool, SbmlError> {
        match node.attribute(attribute).map(str::trim) {
            None => Ok(default),
            Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(other) => Err(self.error(
                node,
                format!(
                    "<{}> attribute `{attribute}` is not a boolean: {other:?}",
                    node.tag_name().name()
                ),
            )),
        }
    }

    /// The expression in a `<math>` child of `node`, if any.
    fn math(&self, node: Node) -> Result<Option<Expr>, SbmlError> {
        match child(node, "math") {
            None => Ok(None),
            Some(m) => math::from_mathml(m)
                .map(Some)
                .map_err(|e| self.error(m, format!("in <{}>: {e}", node.tag_name().name()))),
        }
    }

    fn required_math(&self, node: Node) -> Result<Expr, SbmlError> {
        self.math(node)?
            .ok_or_else(|| self.error(node, format!("<{}> has no <math>", node.tag_name().name())))
    }

    fn model(&self, model: Node, lv: LevelVersion) -> Result<ReactionSystem, SbmlError> {
        let l3 = lv.level >= 3;
        let mut system = ReactionSystem {
            id: model.attribute("id").unwrap_or("model").to_string(),
            name: model.attribute("name").map(str::to_string),
            conversion_factor: model.attribute("conversionFactor").map(str::to_string),
            ..Default::default()
        };
        for f in children(model, "listOfFunctionDefinitions", "functionDefinition") {
            let m = child(f, "math")
                .ok_or_else(|| self.error(f, "<functionDefinition> has no <math>"))?;
            let function = math::lambda_from_mathml(m)
                .map_err(|e| self.error(m, format!("in <functionDefinition>: {e}")))?;
            system.functions.push(FunctionDefinition {
                id: self.required(f, "id")?,
                name: f.attribute("name").map(str::to_string),
                function,
            });
        }
        for u in children(model, "listOfUnitDefinitions", "unitDefinition") {
            let mut units = Vec::new();
            for unit in children(u, "listOfUnits", "unit") {
                units.push(Unit {
                    kind: self.required(unit, "kind")?,
                    exponent: self.number(unit, "exponent")?.unwrap_or(1.0),
                    scale: unit
                        .attribute("scale")
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(0),
                    multiplier: self.number(unit, "multiplier")?.unwrap_or(1.0),
                });
            }
            system.units.push(UnitDefinition {
                id: self.required(u, "id")?,
                units,
            });
        }
        for c in children(model, "listOfCompartments", "compartment") {
            let spatial_dimensions = self.number(c, "spatialDimensions")?;
            system.compartments.push(Compartment {
                id: self.required(c, "id")?,
                name: c.attribute("name").map(str::to_string),
                size: match self.number(c, "size")? {
                    Some(size) => Some(size),
                    None => self.number(c, "volume")?,
                },
                constant: self.boolean(c, "constant", !l3)?,
                // Level 2 defaults to three dimensions; Level 3 has no default.
                spatial_dimensions: spatial_dimensions.or(if l3 { None } else { Some(3.0) }),
                units: c.attribute("units").map(str::to_string),
            });
        }
        for s in children(model, "listOfSpecies", "species") {
            system.species.push(Species {
                id: self.required(s, "id")?,
                name: s.attribute("name").map(str::to_string),
                compartment: self.required(s, "compartment")?,
                initial_amount: self.number(s, "initialAmount")?,
                initial_concentration: self.number(s, "initialConcentration")?,
                has_only_substance_units: self.boolean(s, "hasOnlySubstanceUnits", false)?,
                boundary_condition: self.boolean(s, "boundaryCondition", false)?,
                constant: self.boolean(s, "constant", false)?,
                conversion_factor: s.attribute("conversionFactor").map(str::to_string),
                substance_units: s.attribute("substanceUnits").map(str::to_string),
            });
        }
        for p in children(model, "listOfParameters", "parameter") {
            system.parameters.push(self.parameter(p, !l3)?);
        }
        // SBML L3v2 lets rules, initial assignments and triggers leave out their math: they
        // then have no effect.
        for a in children(model, "listOfInitialAssignments", "initialAssignment") {
            if let Some(math) = self.math(a)? {
                system.initial_assignments.push(InitialAssignment {
                    symbol: self.required(a, "symbol")?,
                    math,
                });
            }
        }
        if let Some(list) = child(model, "listOfRules") {
            for r in list.children().filter(|c| c.is_element()) {
                let Some(math) = self.math(r)? else {
                    continue;
                };
                let rule = match r.tag_name().name() {
                    "assignmentRule" => Rule::Assignment {
                        variable: self.required(r, "variable")?,
                        math,
                    },
                    "rateRule" => Rule::Rate {
                        variable: self.required(r, "variable")?,
                        math,
                    },
                    "algebraicRule" => Rule::Algebraic { math },
                    other => {
                        return Err(self.error(r, format!("unknown rule <{other}>")));
                    }
                };
                system.rules.push(rule);
            }
        }
        for r in children(model, "listOfReactions", "reaction") {
            system.reactions.push(self.reaction(r, lv)?);
        }
        for e in children(model, "listOfEvents", "event") {
            if let Some(event) = self.event(e)? {
                system.events.push(event);
            }
        }
        Ok(system)
    }

    fn parameter(&self, p: Node, constant_default: bool) -> Result<Parameter, SbmlError> {
        Ok(Parameter {
            id: self.required(p, "id")?,
            name: p.attribute("name").map(str::to_string),
            value: self.number(p, "value")?,
            constant: self.boolean(p, "constant", constant_default)?,
            units: p.attribute("units").map(str::to_string),
        })
    }

    fn reaction(&self, r: Node, lv: LevelVersion) -> Result<Reaction, SbmlError> {
        let l3 = lv.level >= 3;
        let mut reaction = Reaction {
            id: self.required(r, "id")?,
            name: r.attribute("name").map(str::to_string),
            reversible: self.boolean(r, "reversible", true)?,
            fast: self.boolean(r, "fast", false)?,
            reactants: Vec::new(),
            products: Vec::new(),
            modifiers: Vec::new(),
            kinetic_law: None,
            compartment: r.attribute("compartment").map(str::to_string),
        };
        for (list, into) in [
            ("listOfReactants", &mut reaction.reactants),
            ("listOfProducts", &mut reaction.products),
        ] {
            for s in children(r, list, "speciesReference") {
                let stoichiometry_math = match child(s, "stoichiometryMath") {
                    Some(m) => Some(self.required_math(m)?),
                    None => None,
                };
                let stoichiometry = self.number(s, "stoichiometry")?;
                into.push(SpeciesReference {
                    species: self.required(s, "species")?,
                    id: s.attribute("id").map(str::to_string),
                    // Level 2 defaults a stoichiometry to 1; Level 3 leaves it unset.
                    stoichiometry: stoichiometry.or(if l3 { None } else { Some(1.0) }),
                    constant: self.boolean(s, "constant", !l3)?,
                    stoichiometry_math,
                });
            }
        }
        for m in children(r, "listOfModifiers", "modifierSpeciesReference") {
            reaction.modifiers.push(self.required(m, "species")?);
        }
        if let Some(k) = child(r, "kineticLaw") {
            let mut local_parameters = Vec::new();
            for p in children(k, "listOfLocalParameters", "localParameter").chain(children(
                k,
                "listOfParameters",
                "parameter",
            )) {
                local_parameters.push(self.parameter(p, true)?);
            }
            reaction.kinetic_law = Some(KineticLaw {
                math: self.math(k)?,
                local_parameters,
            });
        }
        Ok(reaction)
    }

    /// An event; `None` for one whose trigger has no math, which never fires.
    fn event(&self, e: Node) -> Result<Option<Event>, SbmlError> {
        let trigger_node =
            child(e, "trigger").ok_or_else(|| self.error(e, "<event> has no <trigger>"))?;
        let Some(trigger) = self.math(trigger_node)? else {
            return Ok(None);
        };
        let delay = match child(e, "delay") {
            Some(d) => self.math(d)?,
            None => None,
        };
        let priority = match child(e, "priority") {
            Some(p) => self.math(p)?,
            None => None,
        };
        let mut assignments = Vec::new();
        for a in children(e, "listOfEventAssignments", "eventAssignment") {
            // An assignment without math (allowed in L3v2) assigns nothing.
            if let Some(math) = self.math(a)? {
                assignments.push(EventAssignment {
                    variable: self.required(a, "variable")?,
                    math,
                });
            }
        }
        Ok(Some(Event {
            id: e.attribute("id").map(str::to_string),
            name: e.attribute("name").map(str::to_string),
            trigger,
            // Level 2 events fire only on a false-to-true change after the start, which is
            // Level 3's initialValue = true; Level 2 events are always persistent.
            initial_value: self.boolean(trigger_node, "initialValue", true)?,
            persistent: self.boolean(trigger_node, "persistent", true)?,
            delay,
            priority,
            // Required in Level 3; Level 2's default is true.
            use_values_from_trigger_time: self.boolean(e, "useValuesFromTriggerTime", true)?,
            assignments,
        }))
    }
}

/// XML Schema doubles: also `INF`, `-INF` and `NaN`.
fn parse_double(text: &str) -> Option<f64> {
    match text {
        "INF" | "+INF" => Some(f64::INFINITY),
        "-INF" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}
