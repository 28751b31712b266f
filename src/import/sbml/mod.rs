//! How does an SBML model become RDF? The model is a `tw:Pathway` and `tw:KineticModel`; its
//! compartments, species and reactions are members, its parameters `tw:parameter`s, and its
//! rules, initial assignments, function definitions, events and unit definitions hang off it.
//! Each part keeps its SBML id as `tw:modelSymbol` (the name math uses) and its name as
//! `rdfs:label`; math is stored as infix text (`tw:math`, `tw:kineticLaw`, `tw:trigger`, …) that
//! `model::math` reads back exactly. Parts carry `tw:order`, their position in the file, because
//! event ties and rule listings follow document order. `store/extract` reads the same shape back
//! into a `ReactionSystem`, so a file and a curated pathway reach the ODE compiler by one route.

pub mod read;

pub use read::{read, LevelVersion, SbmlError};

use super::{Import, RDFS_LABEL};
use crate::error::{Error, Result};
use crate::model::math::Expr;
use crate::model::reactions::{Parameter, ReactionSystem, Rule};
use crate::vocab;
use oxigraph::model::{Literal, NamedNode};
use std::path::Path;

/// Reads an SBML file into the import's graph.
pub fn import(bytes: &[u8], file: &Path, import: &mut Import) -> Result<()> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::BadInput(format!("{}: not UTF-8 text: {e}", file.display())))?;
    let (system, _) =
        read(text).map_err(|e| Error::BadInput(format!("{}: {e}", file.display())))?;
    write(&system, import)
}

/// The IRI of the kinetic model read into `graph`.
pub fn pathway_iri(graph: &str) -> String {
    super::logical::pathway_iri(graph)
}

fn tw(local: &str) -> String {
    format!("{}{local}", vocab::TW)
}

/// Writes `system` into the import's graph.
pub fn write(system: &ReactionSystem, import: &mut Import) -> Result<()> {
    let pathway = import.iri(&pathway_iri(import.graph.as_str()))?;
    let base = pathway.as_str().to_string();
    let part = |kind: &str, id: &str| format!("{base}/{kind}/{}", vocab::encode_segment(id));
    import.typed(&pathway, "Pathway");
    import.typed(&pathway, "KineticModel");
    let name = system.name.clone().unwrap_or_else(|| {
        if system.id.is_empty() {
            import.local_name()
        } else {
            system.id.clone()
        }
    });
    import.literal(&pathway, RDFS_LABEL, Literal::new_simple_literal(&name));
    if !system.id.is_empty() {
        symbol(import, &pathway, &system.id);
    }
    if let Some(cf) = &system.conversion_factor {
        text(import, &pathway, "conversionFactor", cf);
    }
    for (i, c) in system.compartments.iter().enumerate() {
        let iri = import.iri(&part("compartment", &c.id))?;
        named(import, &iri, "Compartment", &c.id, c.name.as_deref(), i);
        if let Some(size) = c.size {
            import.literal(&iri, &tw("size"), Literal::from(size));
        }
        import.literal(&iri, &tw("constant"), Literal::from(c.constant));
        if let Some(d) = c.spatial_dimensions {
            import.literal(&iri, &tw("spatialDimensions"), Literal::from(d));
        }
        if let Some(u) = &c.units {
            text(import, &iri, "unit", u);
        }
        import.link(&pathway, "member", &iri);
    }
    for (i, s) in system.species.iter().enumerate() {
        let iri = import.iri(&part("species", &s.id))?;
        named(import, &iri, "Species", &s.id, s.name.as_deref(), i);
        let compartment = import.iri(&part("compartment", &s.compartment))?;
        import.link(&iri, "location", &compartment);
        if let Some(a) = s.initial_amount {
            import.literal(&iri, &tw("initialAmount"), Literal::from(a));
        }
        if let Some(c) = s.initial_concentration {
            import.literal(&iri, &tw("initialConcentration"), Literal::from(c));
        }
        import.literal(
            &iri,
            &tw("hasOnlySubstanceUnits"),
            Literal::from(s.has_only_substance_units),
        );
        import.literal(
            &iri,
            &tw("boundaryCondition"),
            Literal::from(s.boundary_condition),
        );
        import.literal(&iri, &tw("constant"), Literal::from(s.constant));
        if let Some(cf) = &s.conversion_factor {
            text(import, &iri, "conversionFactor", cf);
        }
        if let Some(u) = &s.substance_units {
            text(import, &iri, "unit", u);
        }
        import.link(&pathway, "member", &iri);
    }
    for (i, p) in system.parameters.iter().enumerate() {
        let iri = import.iri(&part("parameter", &p.id))?;
        parameter(import, &iri, p, i);
        import.link(&pathway, "parameter", &iri);
    }
    for (i, r) in system.reactions.iter().enumerate() {
        let iri = import.iri(&part("reaction", &r.id))?;
        named(import, &iri, "Reaction", &r.id, r.name.as_deref(), i);
        import.literal(&iri, &tw("reversible"), Literal::from(r.reversible));
        if r.fast {
            import.literal(&iri, &tw("fast"), Literal::from(true));
        }
        if let Some(c) = &r.compartment {
            let c = import.iri(&part("compartment", c))?;
            import.link(&iri, "location", &c);
        }
        let roles = [("reactant", &r.reactants), ("product", &r.products)];
        for (role, list) in roles {
            for (j, sr) in list.iter().enumerate() {
                let p = import.iri(&format!("{}/{role}/{j}", iri.as_str()))?;
                import.typed(&p, "Participant");
                let species = import.iri(&part("species", &sr.species))?;
                import.link(&p, "species", &species);
                import.literal(&p, &tw("order"), Literal::from(j as i64));
                if let Some(s) = sr.stoichiometry {
                    import.literal(&p, &tw("stoichiometry"), Literal::from(s));
                }
                if let Some(id) = &sr.id {
                    symbol(import, &p, id);
                }
                import.literal(&p, &tw("constant"), Literal::from(sr.constant));
                if let Some(m) = &sr.stoichiometry_math {
                    math(import, &p, "stoichiometryMath", m);
                }
                import.link(&iri, role, &p);
            }
        }
        for (j, m) in r.modifiers.iter().enumerate() {
            let p = import.iri(&format!("{}/modifier/{j}", iri.as_str()))?;
            import.typed(&p, "Participant");
            let species = import.iri(&part("species", m))?;
            import.link(&p, "species", &species);
            import.literal(&p, &tw("order"), Literal::from(j as i64));
            import.link(&iri, "modifier", &p);
        }
        if let Some(law) = &r.kinetic_law {
            if let Some(m) = &law.math {
                math(import, &iri, "kineticLaw", m);
            }
            for (j, p) in law.local_parameters.iter().enumerate() {
                let piri = import.iri(&format!(
                    "{}/parameter/{}",
                    iri.as_str(),
                    vocab::encode_segment(&p.id)
                ))?;
                parameter(import, &piri, p, j);
                import.link(&iri, "parameter", &piri);
            }
        }
        import.link(&pathway, "member", &iri);
    }
    for (i, f) in system.functions.iter().enumerate() {
        let iri = import.iri(&part("function", &f.id))?;
        named(
            import,
            &iri,
            "FunctionDefinition",
            &f.id,
            f.name.as_deref(),
            i,
        );
        text(import, &iri, "arguments", &f.function.params.join(" "));
        math(import, &iri, "math", &f.function.body);
        import.link(&pathway, "function", &iri);
    }
    for (i, rule) in system.rules.iter().enumerate() {
        let iri = import.iri(&format!("{base}/rule/{i}"))?;
        let class = match rule {
            Rule::Assignment { .. } => "AssignmentRule",
            Rule::Rate { .. } => "RateRule",
            Rule::Algebraic { .. } => "AlgebraicRule",
        };
        import.typed(&iri, class);
        import.literal(&iri, &tw("order"), Literal::from(i as i64));
        if let Some(v) = rule.variable() {
            text(import, &iri, "variable", v);
        }
        math(import, &iri, "math", rule.math());
        import.link(&pathway, "rule", &iri);
    }
    for (i, a) in system.initial_assignments.iter().enumerate() {
        let iri = import.iri(&format!("{base}/initialAssignment/{i}"))?;
        import.typed(&iri, "InitialAssignment");
        import.literal(&iri, &tw("order"), Literal::from(i as i64));
        text(import, &iri, "variable", &a.symbol);
        math(import, &iri, "math", &a.math);
        import.link(&pathway, "initialAssignment", &iri);
    }
    for (i, e) in system.events.iter().enumerate() {
        let iri = import.iri(&format!("{base}/event/{i}"))?;
        import.typed(&iri, "Event");
        import.literal(&iri, &tw("order"), Literal::from(i as i64));
        if let Some(id) = &e.id {
            symbol(import, &iri, id);
        }
        if let Some(n) = &e.name {
            import.literal(&iri, RDFS_LABEL, Literal::new_simple_literal(n));
        }
        math(import, &iri, "trigger", &e.trigger);
        import.literal(
            &iri,
            &tw("triggerInitialValue"),
            Literal::from(e.initial_value),
        );
        import.literal(&iri, &tw("persistent"), Literal::from(e.persistent));
        import.literal(
            &iri,
            &tw("useValuesFromTriggerTime"),
            Literal::from(e.use_values_from_trigger_time),
        );
        if let Some(d) = &e.delay {
            math(import, &iri, "delay", d);
        }
        if let Some(p) = &e.priority {
            math(import, &iri, "eventPriority", p);
        }
        for (j, a) in e.assignments.iter().enumerate() {
            let airi = import.iri(&format!("{}/assignment/{j}", iri.as_str()))?;
            import.typed(&airi, "EventAssignment");
            import.literal(&airi, &tw("order"), Literal::from(j as i64));
            text(import, &airi, "variable", &a.variable);
            math(import, &airi, "math", &a.math);
            import.link(&iri, "eventAssignment", &airi);
        }
        import.link(&pathway, "event", &iri);
    }
    for (i, u) in system.units.iter().enumerate() {
        let iri = import.iri(&part("unit", &u.id))?;
        import.typed(&iri, "UnitDefinition");
        symbol(import, &iri, &u.id);
        import.literal(&iri, &tw("order"), Literal::from(i as i64));
        let factors: Vec<String> = u
            .units
            .iter()
            .map(|f| format!("{} {} {} {}", f.kind, f.exponent, f.scale, f.multiplier))
            .collect();
        // kind exponent scale multiplier, one factor per line: what SBML says, no more.
        text(import, &iri, "unitFactors", &factors.join("\n"));
        import.link(&pathway, "unitDefinition", &iri);
    }
    Ok(())
}

fn text(import: &mut Import, subject: &NamedNode, property: &str, value: &str) {
    import.literal(subject, &tw(property), Literal::new_simple_literal(value));
}

fn symbol(import: &mut Import, subject: &NamedNode, id: &str) {
    text(import, subject, "modelSymbol", id);
}

fn math(import: &mut Import, subject: &NamedNode, property: &str, expr: &Expr) {
    text(import, subject, property, &expr.to_string());
}

fn named(
    import: &mut Import,
    iri: &NamedNode,
    class: &str,
    id: &str,
    name: Option<&str>,
    order: usize,
) {
    import.typed(iri, class);
    symbol(import, iri, id);
    import.literal(
        iri,
        RDFS_LABEL,
        Literal::new_simple_literal(name.unwrap_or(id)),
    );
    import.literal(iri, &tw("order"), Literal::from(order as i64));
}

fn parameter(import: &mut Import, iri: &NamedNode, p: &Parameter, order: usize) {
    named(import, iri, "Parameter", &p.id, p.name.as_deref(), order);
    if let Some(v) = p.value {
        import.literal(iri, &tw("value"), Literal::from(v));
    }
    import.literal(iri, &tw("constant"), Literal::from(p.constant));
    if let Some(u) = &p.units {
        text(import, iri, "unit", u);
    }
}
