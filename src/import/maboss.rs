//! How is a MaBoSS model read? A `.bnd` file of `Node NAME { logic = …; rate_up = …;
//! rate_down = …; }` blocks and a `.cfg` file of settings: parameter values (`$u_X = 1;`),
//! initial states (`X.istate = 1;`, `[A, B].istate = 0.5 [0, 1], 0.5 [1, 0];`), internal nodes,
//! reference states and the run's `max_time`, `time_tick`, `sample_count`, seed and threads.
//! Errors name the file, line and column.

use crate::error::{Error, Position, Result};
use crate::model::logical::{Expr, InitialState, LogicalModel, LogicalNode, StochasticSettings};
use std::collections::HashMap;
use std::path::Path;

/// One `key = value;` statement, or the start or end of a node block.
#[derive(Debug)]
enum Item {
    Open(String),
    Close,
    Assign(String, String),
}

/// Statements of a MaBoSS file with the line and column where each value starts; comments
/// (`//`, `/* */`) removed, quoted strings kept whole.
fn statements(text: &str, file: &Path) -> Result<Vec<(Item, Position)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut items = Vec::new();
    let (mut line, mut column) = (1u64, 1u64);
    let mut i = 0;
    let mut current = String::new();
    let mut start = Position { line, column };
    let advance = |c: char, line: &mut u64, column: &mut u64| {
        if c == '\n' {
            *line += 1;
            *column = 1;
        } else {
            *column += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                advance(chars[i], &mut line, &mut column);
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let open = Position { line, column };
            i += 2;
            column += 2;
            loop {
                if i + 1 >= chars.len() {
                    return Err(syntax(file, open, "a /* comment is never closed".into()));
                }
                if chars[i] == '*' && chars[i + 1] == '/' {
                    i += 2;
                    column += 2;
                    break;
                }
                advance(chars[i], &mut line, &mut column);
                i += 1;
            }
            continue;
        }
        if current.trim().is_empty() && !c.is_whitespace() {
            start = Position { line, column };
        }
        match c {
            '"' => {
                let open = Position { line, column };
                current.push(c);
                advance(c, &mut line, &mut column);
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    current.push(chars[i]);
                    advance(chars[i], &mut line, &mut column);
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(syntax(file, open, "a quoted string is never closed".into()));
                }
                current.push('"');
            }
            '{' => {
                let head = current.trim().to_owned();
                let mut words = head.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some(kw), Some(name), None) if kw.eq_ignore_ascii_case("node") => {
                        items.push((Item::Open(name.to_owned()), start))
                    }
                    _ => {
                        return Err(syntax(
                            file,
                            start,
                            format!("expected `Node NAME {{`, found {head:?}"),
                        ))
                    }
                }
                current.clear();
            }
            '}' => {
                if !current.trim().is_empty() {
                    return Err(syntax(
                        file,
                        start,
                        format!("{:?} is not ended by `;`", current.trim()),
                    ));
                }
                items.push((Item::Close, Position { line, column }));
                current.clear();
            }
            ';' => {
                let statement = current.trim();
                if !statement.is_empty() {
                    let Some((key, value)) = statement.split_once('=') else {
                        return Err(syntax(
                            file,
                            start,
                            format!("expected `name = value;`, found {statement:?}"),
                        ));
                    };
                    items.push((
                        Item::Assign(key.trim().to_owned(), value.trim().to_owned()),
                        start,
                    ));
                }
                current.clear();
            }
            _ => current.push(c),
        }
        advance(c, &mut line, &mut column);
        i += 1;
    }
    if !current.trim().is_empty() {
        return Err(syntax(
            file,
            start,
            format!("{:?} is not ended by `;`", current.trim()),
        ));
    }
    Ok(items)
}

fn syntax(file: &Path, position: Position, message: String) -> Error {
    Error::Syntax {
        file: file.to_path_buf(),
        position: Some(position),
        message,
    }
}

/// Reads a `.bnd` model and, when given, its `.cfg` settings.
pub fn read(
    bnd: &str,
    bnd_file: &Path,
    cfg: Option<(&str, &Path)>,
) -> Result<(LogicalModel, StochasticSettings)> {
    let items = statements(bnd, bnd_file)?;
    // First the node names, so that rules may name nodes defined further down.
    let mut model = LogicalModel::default();
    for (item, position) in &items {
        if let Item::Open(name) = item {
            if model.node(name).is_some() {
                return Err(syntax(
                    bnd_file,
                    *position,
                    format!("node {name} is defined twice"),
                ));
            }
            model.nodes.push(LogicalNode {
                name: name.clone(),
                rule: Expr::Num(0.0),
                rate_up: None,
                rate_down: None,
            });
        }
    }
    if model.nodes.is_empty() {
        return Err(Error::BadInput(format!(
            "{}: no `Node` block in the model",
            bnd_file.display()
        )));
    }
    let names = model.names();
    let mut current: Option<usize> = None;
    let mut has_logic = vec![false; model.nodes.len()];
    for (item, position) in &items {
        match item {
            Item::Open(name) => {
                if current.is_some() {
                    return Err(syntax(
                        bnd_file,
                        *position,
                        "a node block opens inside another".into(),
                    ));
                }
                current = names.get(name).copied();
            }
            Item::Close => {
                if current.take().is_none() {
                    return Err(syntax(
                        bnd_file,
                        *position,
                        "`}` closes no node block".into(),
                    ));
                }
            }
            Item::Assign(key, value) => {
                let parse = |model: &mut LogicalModel| {
                    expression(model, &names, value, bnd_file, *position, key)
                };
                match current {
                    // Parameters may be set in the .bnd too, outside the blocks.
                    None if key.starts_with('$') => {
                        let value = constant(&mut model, &names, value, bnd_file, *position, key)?;
                        let index = model.parameter(&key[1..]);
                        model.parameters[index].value = value;
                    }
                    None => {
                        return Err(syntax(
                            bnd_file,
                            *position,
                            format!("{key} is set outside a node block"),
                        ))
                    }
                    Some(node) => match key.as_str() {
                        "logic" => {
                            model.nodes[node].rule = parse(&mut model)?;
                            has_logic[node] = true;
                        }
                        "rate_up" => model.nodes[node].rate_up = Some(parse(&mut model)?),
                        "rate_down" => model.nodes[node].rate_down = Some(parse(&mut model)?),
                        // Descriptions and other annotations do not change the dynamics.
                        _ => {}
                    },
                }
            }
        }
    }
    if current.is_some() {
        return Err(Error::BadInput(format!(
            "{}: the last node block is not closed",
            bnd_file.display()
        )));
    }
    // A node without logic keeps its value unless its rates say otherwise: an input.
    for (i, has) in has_logic.iter().enumerate() {
        if !has {
            model.nodes[i].rule = Expr::Node(i);
        }
    }
    let mut settings = StochasticSettings::for_nodes(model.nodes.len());
    if let Some((text, file)) = cfg {
        configure(&mut model, &mut settings, text, file)?;
    }
    Ok((model, settings))
}

fn expression(
    model: &mut LogicalModel,
    names: &HashMap<String, usize>,
    text: &str,
    file: &Path,
    at: Position,
    key: &str,
) -> Result<Expr> {
    Expr::parse(text, names, &mut |p| model.parameter(p)).map_err(|e| {
        let position = Position {
            line: at.line,
            column: at.column + key.len() as u64 + 2 + e.column as u64,
        };
        syntax(file, position, format!("{key}: {}", e.message))
    })
}

/// A value that must be a number once the parameters set so far are known.
fn constant(
    model: &mut LogicalModel,
    names: &HashMap<String, usize>,
    text: &str,
    file: &Path,
    at: Position,
    key: &str,
) -> Result<f64> {
    let expr = expression(model, names, text, file, at, key)?;
    if !expr.nodes().is_empty() {
        return Err(syntax(file, at, format!("{key} must not depend on nodes")));
    }
    let params: Vec<f64> = model.parameters.iter().map(|p| p.value).collect();
    let value = expr.eval(&|_| false, &params, false);
    if value.is_nan() {
        return Err(syntax(
            file,
            at,
            format!("{key} = {text}: a parameter it uses has no value yet"),
        ));
    }
    Ok(value)
}

pub(crate) fn configure(
    model: &mut LogicalModel,
    settings: &mut StochasticSettings,
    text: &str,
    file: &Path,
) -> Result<()> {
    let names = model.names();
    for (item, at) in statements(text, file)? {
        let (key, value) = match item {
            Item::Assign(key, value) => (key, value),
            _ => return Err(syntax(file, at, "a .cfg file has no node blocks".into())),
        };
        let value = value.as_str();
        // MaBoSS accepts TRUE and FALSE as numbers in settings.
        let number = |model: &mut LogicalModel, value: &str| {
            let value = match value {
                "TRUE" | "true" => "1",
                "FALSE" | "false" => "0",
                v => v,
            };
            constant(model, &names, value, file, at, &key)
        };
        if let Some(param) = key.strip_prefix('$') {
            let v = number(model, value)?;
            let index = model.parameter(param);
            model.parameters[index].value = v;
            continue;
        }
        if key.starts_with('[') {
            let Some(list) = key
                .strip_suffix(".istate")
                .and_then(|k| k.strip_prefix('['))
                .and_then(|k| k.strip_suffix(']'))
            else {
                return Err(syntax(
                    file,
                    at,
                    format!("{key}: only `[A, B].istate` may list nodes"),
                ));
            };
            let nodes = list
                .split(',')
                .map(|n| node_index(&names, n.trim(), file, at))
                .collect::<Result<Vec<_>>>()?;
            let mut choices = Vec::new();
            for choice in value.split(']').map(str::trim).filter(|c| !c.is_empty()) {
                let choice = choice.trim_start_matches(',').trim();
                let Some((probability, values)) = choice.split_once('[') else {
                    return Err(syntax(
                        file,
                        at,
                        format!("{key}: expected `p [v, …]`, found {choice:?}"),
                    ));
                };
                let p = number(model, probability.trim())?;
                let values = values
                    .split(',')
                    .map(|v| match v.trim() {
                        "1" => Ok(true),
                        "0" => Ok(false),
                        other => Err(syntax(file, at, format!("{key}: {other:?} is not 0 or 1"))),
                    })
                    .collect::<Result<Vec<bool>>>()?;
                if values.len() != nodes.len() {
                    return Err(syntax(
                        file,
                        at,
                        format!("{key}: {} values for {} nodes", values.len(), nodes.len()),
                    ));
                }
                choices.push((p, values));
            }
            let total: f64 = choices.iter().map(|(p, _)| p).sum();
            if choices.is_empty() || total <= 0.0 || choices.iter().any(|(p, _)| *p < 0.0) {
                return Err(syntax(
                    file,
                    at,
                    format!("{key}: the probabilities must be ≥ 0 and not all 0"),
                ));
            }
            settings.set_initial(InitialState { nodes, choices });
            continue;
        }
        if let Some((node, attribute)) = key.split_once('.') {
            let node = node_index(&names, node.trim(), file, at)?;
            let v = number(model, value)?;
            match attribute.trim() {
                "istate" => {
                    // -1 (or any value other than 0 and 1) means a random start, as MaBoSS reads it.
                    let choices = if v == 0.0 || v == 1.0 {
                        vec![(1.0, vec![v == 1.0])]
                    } else {
                        vec![(0.5, vec![false]), (0.5, vec![true])]
                    };
                    settings.set_initial(InitialState {
                        nodes: vec![node],
                        choices,
                    });
                }
                "is_internal" => settings.internal[node] = v != 0.0,
                "refstate" => settings.refstate[node] = (v == 0.0 || v == 1.0).then_some(v == 1.0),
                other => {
                    return Err(syntax(
                        file,
                        at,
                        format!("{other:?} is not a node setting (istate, is_internal, refstate)"),
                    ))
                }
            }
            continue;
        }
        let v = number(model, value)?;
        match key.as_str() {
            "max_time" => settings.max_time = v,
            "time_tick" => settings.time_tick = v,
            "sample_count" => settings.sample_count = v.max(0.0) as usize,
            "seed_pseudorandom" => settings.seed = v.max(0.0) as u64,
            "thread_count" => settings.threads = v.max(1.0) as usize,
            "discrete_time" => settings.discrete_time = v != 0.0,
            // Settings of MaBoSS's own outputs (trajectory display, stationary-distribution
            // clustering) and of its random-number source do not change the probabilities.
            "use_physrandgen"
            | "use_glibcrandgen"
            | "use_mtrandgen"
            | "display_traj"
            | "statdist_traj_count"
            | "statdist_cluster_threshold"
            | "statdist_similarity_cache_max_size"
            | "init_pop" => {}
            other => {
                return Err(syntax(
                    file,
                    at,
                    format!("{other:?} is not a MaBoSS setting"),
                ))
            }
        }
    }
    if !(settings.time_tick > 0.0 && settings.max_time > 0.0) {
        return Err(Error::BadInput(format!(
            "{}: max_time and time_tick must be positive",
            file.display()
        )));
    }
    Ok(())
}

fn node_index(
    names: &HashMap<String, usize>,
    name: &str,
    file: &Path,
    at: Position,
) -> Result<usize> {
    names
        .get(name)
        .copied()
        .ok_or_else(|| syntax(file, at, format!("{name:?} is not a node of the model")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BND: &str = "// a toggle\nNode A {\n  logic = !B;\n  rate_up = @logic ? $u : 0;\n  rate_down = @logic ? 0 : 1;\n}\n/* the other */ node B { logic = NOT A; description = \"x; y\"; }\n";

    #[test]
    fn a_model_and_its_settings() {
        let cfg = "$u = 1/2;\nA.istate = 1;\n[B].istate = 0.3 [0], 0.7 [1];\nB.is_internal = TRUE;\nmax_time = 5; time_tick = 0.5;\nsample_count = 10; seed_pseudorandom = 7; thread_count = 2;\nuse_physrandgen = FALSE;\n";
        let (model, settings) =
            read(BND, Path::new("t.bnd"), Some((cfg, Path::new("t.cfg")))).expect("reads");
        assert_eq!(model.nodes.len(), 2);
        assert_eq!(model.rule_text(0), "!B");
        assert_eq!(model.parameters[0].value, 0.5);
        assert!(settings.internal[1] && !settings.internal[0]);
        assert_eq!(
            (
                settings.max_time,
                settings.time_tick,
                settings.sample_count,
                settings.seed
            ),
            (5.0, 0.5, 10, 7)
        );
        assert_eq!(settings.initial.len(), 2);
        assert_eq!(
            settings.initial[1].choices,
            vec![(0.3, vec![false]), (0.7, vec![true])]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let err = read("Node A {\n logic = A & C;\n}\n", Path::new("m.bnd"), None)
            .expect_err("C is unknown");
        assert!(err.to_string().starts_with("m.bnd:2:"), "{err}");
        let err = read(
            BND,
            Path::new("m.bnd"),
            Some(("max_time = 5;\nC.istate = 1;\n", Path::new("m.cfg"))),
        )
        .expect_err("no C");
        assert!(err.to_string().starts_with("m.cfg:2:1"), "{err}");
        let err = read("Node A {\n logic = A\n}\n", Path::new("m.bnd"), None).expect_err("no ;");
        assert!(err.to_string().contains("m.bnd:2:"), "{err}");
        assert!(read(
            BND,
            Path::new("m.bnd"),
            Some(("speed = 3;", Path::new("m.cfg")))
        )
        .is_err());
    }
}
