//! Which smaller expression computes the same? Constant folding and the identities that
//! keep derivatives and Jacobians of mass-action laws small (`0*x`, `1*x`, `x+0`, `x^1`,
//! double negation, decided piecewise conditions).
//!
//! Folding uses the evaluator's own arithmetic, and n-ary sums and products are only folded
//! in their evaluation order (a constant prefix, a nested first operand), so values do not
//! change by even a rounding. The identities that hold only where defined are `0 * x = 0`
//! and `0 / x = 0` (not for infinite or NaN `x`) and `x + 0 = x` (not for `x = -0`).

use super::eval::{self, from_bool};
use super::{BinaryOp, Expr, NaryOp, Piece, UnaryOp};

/// The value of an expression that is a known constant number (not `pi`, which stays
/// symbolic for readability).
fn constant(e: &Expr) -> Option<f64> {
    match e {
        Expr::Number(v) => Some(*v),
        Expr::Boolean(b) => Some(from_bool(*b)),
        _ => None,
    }
}

fn is_number(e: &Expr, v: f64) -> bool {
    matches!(e, Expr::Number(x) if *x == v)
}

/// A folded value, as a boolean when the operator gives one.
fn folded(v: f64, boolean: bool) -> Expr {
    if boolean {
        Expr::Boolean(eval::truth(v))
    } else {
        Expr::Number(v)
    }
}

/// The value of a decided condition.
fn decided(e: &Expr) -> Option<bool> {
    constant(e).map(eval::truth)
}

impl Expr {
    /// An equivalent, usually smaller expression: constants folded, neutral and absorbing
    /// elements removed, decided piecewise conditions resolved. Values are unchanged
    /// wherever the original is defined (see the module notes for the exact fine print).
    pub fn simplify(&self) -> Expr {
        match self {
            Expr::Number(_)
            | Expr::Boolean(_)
            | Expr::Pi
            | Expr::ExponentialE
            | Expr::Symbol(_)
            | Expr::Time
            | Expr::Avogadro => self.clone(),
            Expr::Unary(op, a) => simplify_unary(*op, a.simplify()),
            Expr::Binary(op, a, b) => simplify_binary(*op, a.simplify(), b.simplify()),
            Expr::Nary(op, args) => {
                let args: Vec<Expr> = args.iter().map(Expr::simplify).collect();
                match op {
                    NaryOp::Plus => simplify_sum(args),
                    NaryOp::Times => simplify_product(args),
                    NaryOp::And | NaryOp::Or => simplify_and_or(*op, args),
                    _ => {
                        let values: Option<Vec<f64>> = args.iter().map(constant).collect();
                        match values {
                            Some(v) => {
                                let e =
                                    Expr::Nary(*op, v.iter().map(|x| Expr::Number(*x)).collect());
                                match e.eval(&|_| None, 0.0) {
                                    Ok(x) => folded(x, op.is_relation() || op.is_logical()),
                                    Err(_) => Expr::Nary(*op, args),
                                }
                            }
                            None => Expr::Nary(*op, args),
                        }
                    }
                }
            }
            Expr::Piecewise { pieces, otherwise } => simplify_piecewise(pieces, otherwise),
            Expr::Call(..) | Expr::Delay(..) | Expr::RateOf(_) => {
                self.map_children(&mut |c| c.simplify())
            }
        }
    }
}

fn simplify_unary(op: UnaryOp, a: Expr) -> Expr {
    if let Some(v) = constant(&a) {
        return folded(eval::unary(op, v), op == UnaryOp::Not);
    }
    match (op, a) {
        (UnaryOp::Neg, Expr::Unary(UnaryOp::Neg, inner)) => *inner,
        // -(a - b) = b - a exactly in IEEE arithmetic (up to the sign of a zero).
        (UnaryOp::Neg, Expr::Binary(BinaryOp::Minus, a, b)) => Expr::Binary(BinaryOp::Minus, b, a),
        (op, a) => Expr::unary(op, a),
    }
}

fn simplify_binary(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    if let (Some(x), Some(y)) = (constant(&a), constant(&b)) {
        let boolean = matches!(op, BinaryOp::Implies | BinaryOp::Neq);
        return folded(eval::binary(op, x, y), boolean);
    }
    match op {
        BinaryOp::Minus => {
            if is_number(&b, 0.0) {
                a
            } else if is_number(&a, 0.0) {
                simplify_unary(UnaryOp::Neg, b)
            } else if let Expr::Unary(UnaryOp::Neg, inner) = b {
                // a - (-c) = a + c exactly.
                simplify_sum(vec![a, *inner])
            } else if let Expr::Number(v) = b {
                if v < 0.0 {
                    Expr::add(vec![a, Expr::Number(-v)])
                } else {
                    Expr::sub(a, b)
                }
            } else {
                Expr::sub(a, b)
            }
        }
        BinaryOp::Divide => {
            if is_number(&b, 1.0) {
                a
            } else if is_number(&b, -1.0) {
                simplify_unary(UnaryOp::Neg, a)
            } else if is_number(&a, 0.0) {
                Expr::Number(0.0)
            } else {
                Expr::div(a, b)
            }
        }
        BinaryOp::Power => {
            if is_number(&b, 1.0) {
                a
            } else if is_number(&b, 0.0) || is_number(&a, 1.0) {
                // powf(x, 0) and powf(1, y) are 1 for every x and y, NaN included.
                Expr::Number(1.0)
            } else {
                Expr::pow(a, b)
            }
        }
        _ => Expr::binary(op, a, b),
    }
}

fn simplify_sum(args: Vec<Expr>) -> Expr {
    // Flatten a nested sum in first position: ((a + b) + c) is evaluated as a + b + c.
    let mut terms: Vec<Expr> = Vec::with_capacity(args.len());
    for (i, a) in args.into_iter().enumerate() {
        match a {
            Expr::Nary(NaryOp::Plus, inner) if i == 0 => terms.extend(inner),
            other => terms.push(other),
        }
    }
    // Fold the constant prefix, in order.
    let mut out: Vec<Expr> = Vec::with_capacity(terms.len());
    let mut prefix: Option<f64> = None;
    let mut in_prefix = true;
    for t in terms {
        if in_prefix {
            if let Some(v) = constant(&t) {
                prefix = Some(prefix.map_or(v, |p| p + v));
                continue;
            }
            in_prefix = false;
            if let Some(p) = prefix {
                if p != 0.0 {
                    out.push(Expr::Number(p));
                }
            }
        }
        if !is_number(&t, 0.0) {
            out.push(t);
        }
    }
    if in_prefix {
        return Expr::Number(prefix.unwrap_or(0.0));
    }
    match out.len() {
        0 => Expr::Number(0.0),
        1 => out.pop().unwrap_or(Expr::Number(0.0)),
        2 => {
            let b = out.pop().unwrap_or(Expr::Number(0.0));
            let a = out.pop().unwrap_or(Expr::Number(0.0));
            match (a, b) {
                // a + (-b) = a - b and (-a) + b = b - a, both exactly.
                (a, Expr::Unary(UnaryOp::Neg, b)) => Expr::sub(a, *b),
                (a, Expr::Number(v)) if v < 0.0 => Expr::sub(a, Expr::Number(-v)),
                (Expr::Unary(UnaryOp::Neg, a), b) => Expr::sub(b, *a),
                (a, b) => Expr::add(vec![a, b]),
            }
        }
        _ => Expr::add(out),
    }
}

fn simplify_product(args: Vec<Expr>) -> Expr {
    let mut factors: Vec<Expr> = Vec::with_capacity(args.len());
    for (i, a) in args.into_iter().enumerate() {
        match a {
            Expr::Nary(NaryOp::Times, inner) if i == 0 => factors.extend(inner),
            other => factors.push(other),
        }
    }
    if factors.iter().any(|f| is_number(f, 0.0))
        && factors
            .iter()
            .all(|f| constant(f).is_none_or(f64::is_finite))
    {
        return Expr::Number(0.0);
    }
    // Signs come out front: a sign flip commutes exactly with every rounding.
    let mut negative = false;
    let mut out: Vec<Expr> = Vec::with_capacity(factors.len());
    let mut prefix: Option<f64> = None;
    let mut in_prefix = true;
    for f in factors {
        let f = match f {
            Expr::Unary(UnaryOp::Neg, inner) => {
                negative = !negative;
                *inner
            }
            other => other,
        };
        if in_prefix {
            if let Some(v) = constant(&f) {
                prefix = Some(prefix.map_or(v, |p| p * v));
                continue;
            }
            in_prefix = false;
            if let Some(mut p) = prefix {
                if p < 0.0 {
                    negative = !negative;
                    p = -p;
                }
                if p != 1.0 {
                    out.push(Expr::Number(p));
                }
            }
        }
        match f {
            Expr::Number(1.0) => {}
            Expr::Number(-1.0) => negative = !negative,
            other => out.push(other),
        }
    }
    let body = if in_prefix {
        Expr::Number(prefix.unwrap_or(1.0))
    } else {
        match out.len() {
            0 => Expr::Number(1.0),
            1 => out.pop().unwrap_or(Expr::Number(1.0)),
            _ => Expr::product(out),
        }
    };
    if !negative {
        return body;
    }
    // A leading constant takes the sign back: `-2 * x` rather than `-(2 * x)`.
    match body {
        Expr::Number(v) => Expr::Number(-v),
        Expr::Nary(NaryOp::Times, mut f) if matches!(f.first(), Some(Expr::Number(_))) => {
            if let Some(Expr::Number(v)) = f.first_mut() {
                *v = -*v;
            }
            Expr::Nary(NaryOp::Times, f)
        }
        other => simplify_unary(UnaryOp::Neg, other),
    }
}

fn simplify_and_or(op: NaryOp, args: Vec<Expr>) -> Expr {
    // The value that decides the result on its own: false for `and`, true for `or`.
    let absorbing = op == NaryOp::Or;
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        match decided(&a) {
            Some(b) if b == absorbing => return Expr::Boolean(absorbing),
            Some(_) => {}
            None => out.push(a),
        }
    }
    match out.len() {
        0 => Expr::Boolean(!absorbing),
        // and(x) is x only when x is already a truth value; and(2) is 1, not 2.
        1 if out[0].is_boolean() => out.pop().unwrap_or(Expr::Boolean(!absorbing)),
        _ => Expr::Nary(op, out),
    }
}

fn simplify_piecewise(pieces: &[Piece], otherwise: &Option<Box<Expr>>) -> Expr {
    let mut kept = Vec::with_capacity(pieces.len());
    let mut otherwise = otherwise.as_ref().map(|o| o.simplify());
    for p in pieces {
        let condition = p.condition.simplify();
        match decided(&condition) {
            Some(false) => {}
            Some(true) => {
                // Later pieces can never be chosen: this one is the fallback.
                otherwise = Some(p.value.simplify());
                break;
            }
            None => kept.push(Piece {
                value: p.value.simplify(),
                condition,
            }),
        }
    }
    match otherwise {
        None if kept.is_empty() => Expr::Number(f64::NAN),
        Some(o) if kept.iter().all(|p| p.value == o) => o,
        o => Expr::Piecewise {
            pieces: kept,
            otherwise: o.map(Box::new),
        },
    }
}
