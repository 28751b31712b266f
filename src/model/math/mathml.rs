//! How does SBML's MathML subset become an [`Expr`]? Content MathML as the SBML Test Suite
//! writes it: numbers in all `cn` types, identifiers, the SBML csymbols, constants, `apply`
//! of the SBML operator set (with `degree` and `logbase` qualifiers), `piecewise`,
//! `semantics` wrappers and, for function definitions, `lambda`.

use super::{
    BinaryOp, Expr, Function, MathError, NaryOp, Piece, UnaryOp, AVOGADRO_URL, DELAY_URL,
    MAX_DEPTH, RATE_OF_URL, TIME_URL,
};
use roxmltree::Node;

/// Reads one MathML content element; a `<math>` element is read through its single child.
pub fn from_mathml(node: Node<'_, '_>) -> Result<Expr, MathError> {
    let node = unwrap_math(node)?;
    if node.tag_name().name() == "lambda" {
        return Err(error(
            node,
            "a lambda is only allowed as a functionDefinition's math",
        ));
    }
    expr(node, 0)
}

/// Reads a functionDefinition's `<math><lambda><bvar><ci>x</ci></bvar>… body</lambda></math>`.
pub fn lambda_from_mathml(node: Node<'_, '_>) -> Result<Function, MathError> {
    let node = unwrap_math(node)?;
    if node.tag_name().name() != "lambda" {
        return Err(error(node, "expected a <lambda> for a function definition"));
    }
    let mut params = Vec::new();
    let mut body = None;
    for child in elements(node) {
        if child.tag_name().name() == "bvar" {
            if body.is_some() {
                return Err(error(child, "a <bvar> must come before the lambda's body"));
            }
            let ci = single_child(child)?;
            if ci.tag_name().name() != "ci" {
                return Err(error(ci, "a <bvar> must hold a <ci>"));
            }
            params.push(ci_name(ci)?);
        } else if body.is_some() {
            return Err(error(child, "a lambda has a single body after its <bvar>s"));
        } else {
            body = Some(expr(child, 1)?);
        }
    }
    let body = body.ok_or_else(|| error(node, "the lambda has no body"))?;
    Ok(Function { params, body })
}

/// `<math>` and `<semantics>` only wrap the expression.
fn unwrap_math<'a, 'i>(node: Node<'a, 'i>) -> Result<Node<'a, 'i>, MathError> {
    let mut node = node;
    if !node.is_element() {
        return Err(MathError::Mathml {
            element: "(text)".into(),
            line: 0,
            column: 0,
            message: "expected a MathML element".into(),
        });
    }
    loop {
        match node.tag_name().name() {
            "math" => node = single_child(node)?,
            "semantics" => node = semantics_content(node)?,
            _ => return Ok(node),
        }
    }
}

fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(|c| c.is_element())
}

fn error(node: Node<'_, '_>, message: impl Into<String>) -> MathError {
    let pos = node.document().text_pos_at(node.range().start);
    MathError::Mathml {
        element: if node.is_element() {
            node.tag_name().name().to_string()
        } else {
            "(text)".into()
        },
        line: pos.row,
        column: pos.col,
        message: message.into(),
    }
}

fn single_child<'a, 'i>(node: Node<'a, 'i>) -> Result<Node<'a, 'i>, MathError> {
    let mut it = elements(node);
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(c),
        (None, _) => Err(error(node, "expected one child element, found none")),
        (Some(_), Some(extra)) => Err(error(
            extra,
            format!(
                "<{}> takes one child element; this is an extra one",
                node.tag_name().name()
            ),
        )),
    }
}

/// `<semantics>`: its first child that is not an annotation.
fn semantics_content<'a, 'i>(node: Node<'a, 'i>) -> Result<Node<'a, 'i>, MathError> {
    elements(node)
        .find(|c| !matches!(c.tag_name().name(), "annotation" | "annotation-xml"))
        .ok_or_else(|| error(node, "<semantics> without a content element"))
}

fn ci_name(node: Node<'_, '_>) -> Result<String, MathError> {
    if let Some(child) = elements(node).next() {
        return Err(error(child, "unexpected element inside <ci>"));
    }
    let text: String = node.children().filter_map(|c| c.text()).collect();
    let name = text.trim();
    if name.is_empty() {
        return Err(error(node, "empty identifier"));
    }
    Ok(name.to_string())
}

fn csymbol_url<'a>(node: Node<'a, '_>) -> Result<&'a str, MathError> {
    node.attribute("definitionURL")
        .map(str::trim)
        .ok_or_else(|| error(node, "a <csymbol> without a definitionURL"))
}

fn expr(node: Node<'_, '_>, depth: usize) -> Result<Expr, MathError> {
    if depth > super::MAX_DEPTH {
        return Err(error(
            node,
            format!("math nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    let name = node.tag_name().name();
    Ok(match name {
        "cn" => Expr::Number(cn(node)?),
        "ci" => Expr::Symbol(ci_name(node)?),
        "csymbol" => match csymbol_url(node)? {
            TIME_URL => Expr::Time,
            AVOGADRO_URL => Expr::Avogadro,
            DELAY_URL | RATE_OF_URL => {
                return Err(error(
                    node,
                    "this csymbol is a function: it must be the first child of an <apply>",
                ))
            }
            other => return Err(error(node, format!("unknown csymbol `{other}`"))),
        },
        "true" => Expr::Boolean(true),
        "false" => Expr::Boolean(false),
        "pi" => Expr::Pi,
        "exponentiale" => Expr::ExponentialE,
        "notanumber" => Expr::Number(f64::NAN),
        "infinity" => Expr::Number(f64::INFINITY),
        "semantics" => expr(semantics_content(node)?, depth + 1)?,
        "apply" => apply(node, depth)?,
        "piecewise" => piecewise(node, depth)?,
        "lambda" => {
            return Err(error(
                node,
                "a lambda is only allowed in a functionDefinition",
            ))
        }
        _ => return Err(error(node, "unsupported MathML element")),
    })
}

/// `<cn>` in its types; whitespace around the text and unit attributes are ignored.
fn cn(node: Node<'_, '_>) -> Result<f64, MathError> {
    if let Some(base) = node.attribute("base") {
        if base.trim() != "10" {
            return Err(error(
                node,
                format!("numbers in base {base} are not supported"),
            ));
        }
    }
    // The text pieces around each <sep/>.
    let mut parts = vec![String::new()];
    for child in node.children() {
        if let Some(text) = child.text().filter(|_| child.is_text()) {
            if let Some(last) = parts.last_mut() {
                last.push_str(text);
            }
        } else if child.is_element() {
            if child.tag_name().name() == "sep" {
                parts.push(String::new());
            } else {
                return Err(error(child, "unexpected element inside <cn>"));
            }
        }
    }
    let kind = node.attribute("type").map(str::trim).unwrap_or("real");
    let number = |text: &str| -> Result<f64, MathError> {
        let t = text.trim();
        t.parse::<f64>()
            .map_err(|_| error(node, format!("`{t}` is not a number")))
    };
    let expect_parts = |n: usize| -> Result<(), MathError> {
        if parts.len() == n {
            Ok(())
        } else if n == 1 {
            Err(error(node, format!("a `{kind}` number has no <sep/>")))
        } else {
            Err(error(
                node,
                format!("a `{kind}` number has exactly one <sep/>"),
            ))
        }
    };
    match kind {
        "real" | "integer" | "double" => {
            expect_parts(1)?;
            number(&parts[0])
        }
        "e-notation" => {
            expect_parts(2)?;
            let (mantissa, exponent) = (parts[0].trim(), parts[1].trim());
            let m = number(mantissa)?;
            let e = number(exponent)?;
            // Read as one literal so that 1.1 e-3 is the nearest double to 0.0011, not
            // 1.1 * 10^-3 with two roundings.
            match format!("{mantissa}e{exponent}").parse::<f64>() {
                Ok(v) => Ok(v),
                Err(_) => Ok(m * 10f64.powf(e)),
            }
        }
        "rational" => {
            expect_parts(2)?;
            Ok(number(&parts[0])? / number(&parts[1])?)
        }
        other => Err(error(node, format!("unsupported number type `{other}`"))),
    }
}

fn arity_error(node: Node<'_, '_>, op: &str, expected: &str, found: usize) -> MathError {
    error(
        node,
        format!("<{op}> takes {expected}, found {found} argument(s)"),
    )
}

fn apply(node: Node<'_, '_>, depth: usize) -> Result<Expr, MathError> {
    let mut children = elements(node);
    let op = children
        .next()
        .ok_or_else(|| error(node, "an empty <apply>"))?;
    let mut args = Vec::new();
    let mut degree = None;
    let mut logbase = None;
    for child in children {
        match child.tag_name().name() {
            "degree" => degree = Some((child, expr(single_child(child)?, depth + 1)?)),
            "logbase" => logbase = Some((child, expr(single_child(child)?, depth + 1)?)),
            "bvar"
            | "lowlimit"
            | "uplimit"
            | "domainofapplication"
            | "condition"
            | "momentabout"
            | "interval" => {
                return Err(error(child, "unsupported qualifier in an <apply>"));
            }
            _ => args.push(expr(child, depth + 1)?),
        }
    }
    let op_name = op.tag_name().name();
    // Qualifiers belong to one operator each.
    if let Some((q, _)) = &degree {
        if op_name != "root" {
            return Err(error(*q, format!("<degree> does not apply to <{op_name}>")));
        }
    }
    if let Some((q, _)) = &logbase {
        if op_name != "log" {
            return Err(error(
                *q,
                format!("<logbase> does not apply to <{op_name}>"),
            ));
        }
    }
    let n = args.len();
    let mut args_iter = args.into_iter();
    // Takes exactly `k` arguments, naming the operator when the count is wrong.
    let mut take = |k: usize| -> Result<Vec<Expr>, MathError> {
        if n != k {
            let expected = if k == 1 {
                "1 argument".to_string()
            } else {
                format!("{k} arguments")
            };
            return Err(arity_error(op, op_name, &expected, n));
        }
        Ok(args_iter.by_ref().collect())
    };
    let two = |mut v: Vec<Expr>| -> (Expr, Expr) {
        let b = v.pop().unwrap_or(Expr::Number(f64::NAN));
        let a = v.pop().unwrap_or(Expr::Number(f64::NAN));
        (a, b)
    };
    let one = |mut v: Vec<Expr>| -> Expr { v.pop().unwrap_or(Expr::Number(f64::NAN)) };
    match op_name {
        "ci" => return Ok(Expr::Call(ci_name(op)?, take(n)?)),
        "csymbol" => {
            return match csymbol_url(op)? {
                DELAY_URL => {
                    let (a, b) = two(take(2)?);
                    Ok(Expr::Delay(Box::new(a), Box::new(b)))
                }
                RATE_OF_URL => Ok(Expr::RateOf(Box::new(one(take(1)?)))),
                TIME_URL | AVOGADRO_URL => Err(error(
                    op,
                    "this csymbol is a value, not a function to apply",
                )),
                other => Err(error(op, format!("unknown csymbol `{other}`"))),
            }
        }
        "minus" => {
            return match n {
                1 => Ok(Expr::unary(UnaryOp::Neg, one(take(1)?))),
                _ => {
                    if n != 2 {
                        return Err(arity_error(op, op_name, "1 or 2 arguments", n));
                    }
                    let (a, b) = two(take(2)?);
                    Ok(Expr::binary(BinaryOp::Minus, a, b))
                }
            }
        }
        "root" => {
            let x = one(take(1)?);
            let d = degree.map(|(_, d)| d).unwrap_or(Expr::Number(2.0));
            return Ok(Expr::binary(BinaryOp::Root, d, x));
        }
        "log" => {
            let x = one(take(1)?);
            let b = logbase.map(|(_, b)| b).unwrap_or(Expr::Number(10.0));
            return Ok(Expr::binary(BinaryOp::Log, b, x));
        }
        _ => {}
    }
    if let Some(u) = UnaryOp::ALL
        .iter()
        .find(|u| **u != UnaryOp::Neg && u.mathml_name() == op_name)
    {
        return Ok(Expr::unary(*u, one(take(1)?)));
    }
    let binary = match op_name {
        "divide" => Some(BinaryOp::Divide),
        "power" => Some(BinaryOp::Power),
        "quotient" => Some(BinaryOp::Quotient),
        "rem" => Some(BinaryOp::Rem),
        "implies" => Some(BinaryOp::Implies),
        "neq" => Some(BinaryOp::Neq),
        _ => None,
    };
    if let Some(b) = binary {
        let (x, y) = two(take(2)?);
        return Ok(Expr::binary(b, x, y));
    }
    let Some(nary) = NaryOp::from_mathml_name(op_name) else {
        return Err(error(op, "unsupported MathML operator"));
    };
    Ok(Expr::Nary(nary, take(n)?))
}

fn piecewise(node: Node<'_, '_>, depth: usize) -> Result<Expr, MathError> {
    let mut pieces = Vec::new();
    let mut otherwise = None;
    for child in elements(node) {
        match child.tag_name().name() {
            "piece" => {
                if otherwise.is_some() {
                    return Err(error(child, "a <piece> after the <otherwise>"));
                }
                let mut parts = elements(child);
                let (Some(value), Some(condition), None) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(error(
                        child,
                        "a <piece> holds exactly a value and a condition",
                    ));
                };
                pieces.push(Piece {
                    value: expr(value, depth + 1)?,
                    condition: expr(condition, depth + 1)?,
                });
            }
            "otherwise" => {
                if otherwise.is_some() {
                    return Err(error(child, "a second <otherwise>"));
                }
                otherwise = Some(Box::new(expr(single_child(child)?, depth + 1)?));
            }
            _ => {
                return Err(error(
                    child,
                    "a <piecewise> holds only <piece> and <otherwise>",
                ))
            }
        }
    }
    Ok(Expr::Piecewise { pieces, otherwise })
}
