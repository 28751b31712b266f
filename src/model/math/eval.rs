//! What number does an operator give? The arithmetic shared by [`Expr::eval`], the compiled
//! [`super::Program`] and constant folding, so the three agree to the bit.

use super::{BinaryOp, Expr, MathError, NaryOp, UnaryOp, AVOGADRO};
use std::f64::consts::PI;

pub(crate) fn truth(x: f64) -> bool {
    x != 0.0
}

pub(crate) fn from_bool(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

pub(crate) fn unary(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Not => from_bool(!truth(x)),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Exp => x.exp(),
        UnaryOp::Ln => x.ln(),
        UnaryOp::Floor => x.floor(),
        UnaryOp::Ceiling => x.ceil(),
        UnaryOp::Factorial => factorial(x),
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Tan => x.tan(),
        UnaryOp::Sec => 1.0 / x.cos(),
        UnaryOp::Csc => 1.0 / x.sin(),
        UnaryOp::Cot => 1.0 / x.tan(),
        UnaryOp::Sinh => x.sinh(),
        UnaryOp::Cosh => x.cosh(),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Sech => 1.0 / x.cosh(),
        UnaryOp::Csch => 1.0 / x.sinh(),
        UnaryOp::Coth => 1.0 / x.tanh(),
        UnaryOp::Arcsin => x.asin(),
        UnaryOp::Arccos => x.acos(),
        UnaryOp::Arctan => x.atan(),
        UnaryOp::Arcsec => (1.0 / x).acos(),
        UnaryOp::Arccsc => (1.0 / x).asin(),
        UnaryOp::Arccot => (1.0 / x).atan(),
        UnaryOp::Arcsinh => x.asinh(),
        UnaryOp::Arccosh => x.acosh(),
        UnaryOp::Arctanh => x.atanh(),
        UnaryOp::Arcsech => (1.0 / x).acosh(),
        UnaryOp::Arccsch => (1.0 / x).asinh(),
        UnaryOp::Arccoth => (1.0 / x).atanh(),
    }
}

pub(crate) fn binary(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Minus => a - b,
        BinaryOp::Divide => a / b,
        BinaryOp::Power => a.powf(b),
        BinaryOp::Root => root(a, b),
        BinaryOp::Log => log(a, b),
        BinaryOp::Quotient => (a / b).trunc(),
        BinaryOp::Rem => a % b,
        BinaryOp::Implies => from_bool(!truth(a) || truth(b)),
        BinaryOp::Neq => from_bool(a != b),
    }
}

/// The `degree`-th root of `x`. An odd integer degree of a negative `x` gives the negative
/// real root (`root(3, -8) = -2`), as a modeller means it; `powf` alone would give NaN.
pub(crate) fn root(degree: f64, x: f64) -> f64 {
    if degree == 2.0 {
        // sqrt is correctly rounded, powf(x, 0.5) is not (and differs at -0 and -inf).
        x.sqrt()
    } else if degree == 3.0 {
        x.cbrt()
    } else if x < 0.0 && degree.fract() == 0.0 && degree.rem_euclid(2.0) == 1.0 {
        -(-x).powf(1.0 / degree)
    } else {
        x.powf(1.0 / degree)
    }
}

/// Logarithm of `x` in `base`; bases 10 and 2 use the exact library functions, so that
/// `log10(1000)` is 3 and not 2.9999999999999996.
pub(crate) fn log(base: f64, x: f64) -> f64 {
    if base == 10.0 {
        x.log10()
    } else if base == 2.0 {
        x.log2()
    } else {
        x.ln() / base.ln()
    }
}

/// `max` and `min` step: unlike `f64::max`, a NaN argument is not silently dropped.
pub(crate) fn max2(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if b > a {
        b
    } else {
        a
    }
}

pub(crate) fn min2(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if b < a {
        b
    } else {
        a
    }
}

/// Whether each neighbour pair satisfies the relation (vacuously true for fewer than two).
pub(crate) fn relation(op: NaryOp, values: &[f64]) -> f64 {
    let holds = |a: f64, b: f64| match op {
        NaryOp::Eq => a == b,
        NaryOp::Gt => a > b,
        NaryOp::Lt => a < b,
        NaryOp::Geq => a >= b,
        NaryOp::Leq => a <= b,
        _ => false,
    };
    from_bool(values.windows(2).all(|w| holds(w[0], w[1])))
}

/// `and`, `or`, `xor` over already-evaluated arguments.
pub(crate) fn logical(op: NaryOp, values: &[f64]) -> f64 {
    from_bool(match op {
        NaryOp::And => values.iter().all(|&v| truth(v)),
        NaryOp::Or => values.iter().any(|&v| truth(v)),
        _ => values.iter().filter(|&&v| truth(v)).count() % 2 == 1,
    })
}

/// `x!`: exact products for small non-negative integers, the gamma function elsewhere;
/// NaN at the poles (negative integers).
pub(crate) fn factorial(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.fract() == 0.0 {
        if x < 0.0 {
            return f64::NAN;
        }
        if x > 170.0 {
            return f64::INFINITY;
        }
        let mut p = 1.0;
        let mut k = 2.0;
        while k <= x {
            p *= k;
            k += 1.0;
        }
        return p;
    }
    gamma(x + 1.0)
}

/// The gamma function by the Lanczos approximation (g = 7, nine terms; about 15 digits),
/// with the reflection formula below 1/2.
pub(crate) fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.5 {
        let s = (PI * x).sin();
        if s == 0.0 {
            return f64::NAN;
        }
        return PI / (s * gamma(1.0 - x));
    }
    if x > 171.7 {
        return f64::INFINITY;
    }
    let x = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    // t^(x + 1/2) overflows before e^-t brings it back: take it in two halves.
    let half = t.powf((x + 0.5) / 2.0);
    (2.0 * PI).sqrt() * half * (half * (-t).exp()) * a
}

impl Expr {
    /// Evaluates with `lookup` for symbols and `time` for the time csymbol.
    ///
    /// Errors for a symbol `lookup` does not know, `delay`, `rateOf` and user-function calls
    /// (inline those first). Only the selected branch of a piecewise is evaluated.
    pub fn eval(&self, lookup: &dyn Fn(&str) -> Option<f64>, time: f64) -> Result<f64, MathError> {
        // Each kind of node has its own function so the recursion's frames stay small.
        match self {
            Expr::Unary(op, a) => Ok(unary(*op, a.eval(lookup, time)?)),
            Expr::Binary(op, a, b) => Ok(binary(*op, a.eval(lookup, time)?, b.eval(lookup, time)?)),
            Expr::Nary(op, args) => eval_nary(*op, args, lookup, time),
            Expr::Piecewise { pieces, otherwise } => {
                for p in pieces {
                    if truth(p.condition.eval(lookup, time)?) {
                        return p.value.eval(lookup, time);
                    }
                }
                match otherwise {
                    Some(o) => o.eval(lookup, time),
                    None => Ok(f64::NAN),
                }
            }
            _ => eval_leaf(self, lookup, time),
        }
    }
}

fn eval_nary(
    op: NaryOp,
    args: &[Expr],
    lookup: &dyn Fn(&str) -> Option<f64>,
    time: f64,
) -> Result<f64, MathError> {
    match op {
        NaryOp::Plus | NaryOp::Times | NaryOp::Max | NaryOp::Min => {
            let Some((first, rest)) = args.split_first() else {
                return Ok(match op {
                    NaryOp::Plus => 0.0,
                    NaryOp::Times => 1.0,
                    _ => f64::NAN,
                });
            };
            // A left fold from the first argument, the order Program uses too.
            let mut acc = first.eval(lookup, time)?;
            for a in rest {
                let v = a.eval(lookup, time)?;
                acc = match op {
                    NaryOp::Plus => acc + v,
                    NaryOp::Times => acc * v,
                    NaryOp::Max => max2(acc, v),
                    _ => min2(acc, v),
                };
            }
            Ok(acc)
        }
        _ => {
            let values = args
                .iter()
                .map(|a| a.eval(lookup, time))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if op.is_relation() {
                relation(op, &values)
            } else {
                logical(op, &values)
            })
        }
    }
}

fn eval_leaf(e: &Expr, lookup: &dyn Fn(&str) -> Option<f64>, time: f64) -> Result<f64, MathError> {
    let unsupported = |construct: String| MathError::Unsupported {
        operation: "evaluate",
        construct,
    };
    match e {
        Expr::Number(v) => Ok(*v),
        Expr::Boolean(b) => Ok(from_bool(*b)),
        Expr::Pi => Ok(PI),
        Expr::ExponentialE => Ok(std::f64::consts::E),
        Expr::Avogadro => Ok(AVOGADRO),
        Expr::Time => Ok(time),
        Expr::Symbol(name) => lookup(name).ok_or_else(|| MathError::UnknownSymbol(name.clone())),
        Expr::Call(name, _) => Err(unsupported(format!(
            "a call of user function `{name}` (inline it first)"
        ))),
        Expr::Delay(..) => Err(unsupported("delay without a history".into())),
        Expr::RateOf(_) => Err(unsupported("rateOf without the model's rates".into())),
        Expr::Unary(..) | Expr::Binary(..) | Expr::Nary(..) | Expr::Piecewise { .. } => {
            e.eval(lookup, time)
        }
    }
}
