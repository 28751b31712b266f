//! How does a logical model become RDF? The model is a `tw:Pathway` and `tw:LogicalModel`
//! whose members are its nodes (`tw:LogicalNode`, labelled with the model's own names), each
//! with its `tw:logicRule` and, from MaBoSS, its `tw:rateUp` / `tw:rateDown` expressions;
//! parameters are `tw:Parameter`s with a `tw:value`; the run settings of a `.cfg` sit on the
//! model. `store/extract` reads the same shape back, so a file and a stored pathway reach the
//! simulator through one compiler.

use super::{Import, RDFS_LABEL};
use crate::error::Result;
use crate::model::logical::{LogicalModel, StochasticSettings};
use crate::vocab;
use oxigraph::model::Literal;

/// The `tw:initialDistribution` text of one initial state, in MaBoSS's notation without the
/// `.istate`: `[A, B] = 0.5 [0, 1], 0.5 [1, 0]`.
pub fn initial_text(model: &LogicalModel, state: &crate::model::logical::InitialState) -> String {
    let nodes: Vec<&str> = state
        .nodes
        .iter()
        .map(|&i| model.nodes[i].name.as_str())
        .collect();
    let choices: Vec<String> = state
        .choices
        .iter()
        .map(|(p, values)| {
            let values: Vec<&str> = values.iter().map(|v| if *v { "1" } else { "0" }).collect();
            format!("{p} [{}]", values.join(", "))
        })
        .collect();
    format!("[{}] = {}", nodes.join(", "), choices.join(", "))
}

/// The IRI of the model read into `graph`.
pub fn pathway_iri(graph: &str) -> String {
    let name = graph
        .rsplit(['/', '#'])
        .find(|s| !s.is_empty())
        .unwrap_or("import");
    format!("{}model/{}", vocab::ID, vocab::encode_segment(name))
}

/// Writes `model` (and, when it came with them, its run `settings`) into the import's graph.
pub fn write(
    model: &LogicalModel,
    settings: Option<&StochasticSettings>,
    import: &mut Import,
) -> Result<()> {
    let name = import.local_name();
    let pathway = import.iri(&pathway_iri(import.graph.as_str()))?;
    import.typed(&pathway, "Pathway");
    import.typed(&pathway, "LogicalModel");
    import.literal(&pathway, RDFS_LABEL, Literal::new_simple_literal(&name));
    let double = |x: f64| Literal::from(x);
    let tw = |p: &str| format!("{}{p}", vocab::TW);
    let node_iri = |n: &str| format!("{}/{}", pathway.as_str(), vocab::encode_segment(n));
    for (i, node) in model.nodes.iter().enumerate() {
        let iri = import.iri(&node_iri(&node.name))?;
        import.typed(&iri, "LogicalNode");
        import.literal(&iri, RDFS_LABEL, Literal::new_simple_literal(&node.name));
        import.literal(
            &iri,
            &tw("logicRule"),
            Literal::new_simple_literal(model.rule_text(i)),
        );
        // The model's node order names its states (MaBoSS joins the nodes that are on).
        import.literal(&iri, &tw("order"), Literal::from(i as i64));
        if let Some(up) = &node.rate_up {
            import.literal(
                &iri,
                &tw("rateUp"),
                Literal::new_simple_literal(up.display(model).to_string()),
            );
        }
        if let Some(down) = &node.rate_down {
            import.literal(
                &iri,
                &tw("rateDown"),
                Literal::new_simple_literal(down.display(model).to_string()),
            );
        }
        if let Some(s) = settings {
            if s.internal[i] {
                import.literal(&iri, &tw("internalNode"), Literal::from(true));
            }
            if let Some(r) = s.refstate[i] {
                import.literal(&iri, &tw("referenceState"), Literal::from(i64::from(r)));
            }
        }
        import.link(&pathway, "member", &iri);
    }
    for p in &model.parameters {
        let iri = import.iri(&format!(
            "{}/parameter/{}",
            pathway.as_str(),
            vocab::encode_segment(&p.name)
        ))?;
        import.typed(&iri, "Parameter");
        import.literal(&iri, RDFS_LABEL, Literal::new_simple_literal(&p.name));
        // A parameter the model reads but no file sets has no value: the simulator says so.
        if p.value.is_finite() {
            import.literal(&iri, &tw("value"), double(p.value));
        }
        import.link(&pathway, "parameter", &iri);
    }
    if let Some(s) = settings {
        import.literal(&pathway, &tw("maxTime"), double(s.max_time));
        import.literal(&pathway, &tw("timeTick"), double(s.time_tick));
        import.literal(
            &pathway,
            &tw("sampleCount"),
            Literal::from(s.sample_count as i64),
        );
        // Seeds are u64; kept as text so none is truncated.
        import.literal(
            &pathway,
            &tw("seed"),
            Literal::new_simple_literal(s.seed.to_string()),
        );
        import.literal(
            &pathway,
            &tw("threadCount"),
            Literal::from(s.threads as i64),
        );
        import.literal(
            &pathway,
            &tw("discreteTime"),
            Literal::from(s.discrete_time),
        );
        for state in &s.initial {
            import.literal(
                &pathway,
                &tw("initialDistribution"),
                Literal::new_simple_literal(initial_text(model, state)),
            );
        }
    }
    Ok(())
}
