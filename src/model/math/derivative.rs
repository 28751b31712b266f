//! What is the exact derivative of an expression with respect to one symbol? The rules of
//! calculus per operator, for Jacobians of ODE right-hand sides. Step functions (`floor`,
//! `ceiling`, `quotient`, relations, logic) have derivative 0 where they are differentiable;
//! `abs`, `max`, `min` and `piecewise` differentiate branch by branch.

use super::{BinaryOp, Expr, MathError, NaryOp, Piece, UnaryOp};

fn num(v: f64) -> Expr {
    Expr::Number(v)
}

fn un(op: UnaryOp, a: &Expr) -> Expr {
    Expr::unary(op, a.clone())
}

fn sqrt(a: Expr) -> Expr {
    Expr::binary(BinaryOp::Root, num(2.0), a)
}

fn square(a: &Expr) -> Expr {
    Expr::pow(a.clone(), num(2.0))
}

fn product(factors: Vec<Expr>) -> Expr {
    Expr::product(factors)
}

impl Expr {
    /// The derivative with respect to `symbol`, simplified.
    ///
    /// Errors for `delay`, `rateOf` and user calls anywhere in the expression (inline calls
    /// first), and for `factorial` of something that depends on `symbol`.
    pub fn derivative(&self, symbol: &str) -> Result<Expr, MathError> {
        let mut unsupported = None;
        self.visit(&mut |e| {
            if unsupported.is_none() {
                unsupported = match e {
                    Expr::Delay(..) => Some("delay".to_string()),
                    Expr::RateOf(_) => Some("rateOf".to_string()),
                    Expr::Call(name, _) => Some(format!(
                        "a call of user function `{name}` (inline it first)"
                    )),
                    _ => None,
                };
            }
        });
        if let Some(construct) = unsupported {
            return Err(MathError::Unsupported {
                operation: "differentiate",
                construct,
            });
        }
        Ok(self.diff(symbol)?.simplify())
    }

    /// The raw derivative. Each kind of node has its own function so that the frames on
    /// the recursion path stay small (deep expressions must not overflow a debug stack).
    fn diff(&self, x: &str) -> Result<Expr, MathError> {
        if !self.mentions(x) {
            return Ok(num(0.0));
        }
        match self {
            Expr::Symbol(_) => Ok(num(1.0)),
            Expr::Unary(op, u) => diff_unary(*op, u, x),
            Expr::Binary(op, a, b) => diff_binary(*op, a, b, x),
            Expr::Nary(op, args) => diff_nary(*op, args, x),
            Expr::Piecewise { pieces, otherwise } => diff_piecewise(pieces, otherwise, x),
            Expr::Call(..) | Expr::Delay(..) | Expr::RateOf(_) => Err(MathError::Unsupported {
                operation: "differentiate",
                construct: format!("`{self}`"),
            }),
            // Constants and csymbols never mention x.
            _ => Ok(num(0.0)),
        }
    }
}

fn diff_nary(op: NaryOp, args: &[Expr], x: &str) -> Result<Expr, MathError> {
    Ok(match op {
        NaryOp::Plus => Expr::add(
            args.iter()
                .map(|a| a.diff(x))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        NaryOp::Times => {
            // Product rule: one term per factor that depends on x.
            let mut terms = Vec::new();
            for (i, a) in args.iter().enumerate() {
                if !a.mentions(x) {
                    continue;
                }
                let mut factors = args.to_vec();
                factors[i] = a.diff(x)?;
                terms.push(product(factors));
            }
            Expr::add(terms)
        }
        NaryOp::Max | NaryOp::Min => diff_extremum(op, args, x)?,
        // Truth values are piecewise constant.
        _ => num(0.0),
    })
}

fn diff_piecewise(
    pieces: &[Piece],
    otherwise: &Option<Box<Expr>>,
    x: &str,
) -> Result<Expr, MathError> {
    Ok(Expr::Piecewise {
        pieces: pieces
            .iter()
            .map(|p| {
                Ok(Piece {
                    value: p.value.diff(x)?,
                    condition: p.condition.clone(),
                })
            })
            .collect::<Result<_, MathError>>()?,
        otherwise: match otherwise {
            Some(o) => Some(Box::new(o.diff(x)?)),
            None => None,
        },
    })
}

fn diff_unary(op: UnaryOp, u: &Expr, x: &str) -> Result<Expr, MathError> {
    let du = u.diff(x)?;
    unary_rule(op, u, du, x)
}

/// f(u)' = f'(u) du.
fn unary_rule(op: UnaryOp, u: &Expr, du: Expr, x: &str) -> Result<Expr, MathError> {
    use UnaryOp::*;
    // f'(u), to be multiplied by du.
    let outer = match op {
        Neg => return Ok(Expr::neg(du)),
        Not | Floor | Ceiling => return Ok(num(0.0)),
        Factorial => {
            return Err(MathError::Unsupported {
                operation: "differentiate",
                construct: format!("factorial of an expression in `{x}`"),
            })
        }
        // The sign of u; 0 at the kink.
        Abs => Expr::Piecewise {
            pieces: vec![
                Piece {
                    value: num(1.0),
                    condition: Expr::Nary(NaryOp::Gt, vec![u.clone(), num(0.0)]),
                },
                Piece {
                    value: num(-1.0),
                    condition: Expr::Nary(NaryOp::Lt, vec![u.clone(), num(0.0)]),
                },
            ],
            otherwise: Some(Box::new(num(0.0))),
        },
        Exp => un(Exp, u),
        Ln => return Ok(Expr::div(du, u.clone())),
        Sin => un(Cos, u),
        Cos => Expr::neg(un(Sin, u)),
        Tan => square(&un(Sec, u)),
        Sec => product(vec![un(Sec, u), un(Tan, u)]),
        Csc => Expr::neg(product(vec![un(Csc, u), un(Cot, u)])),
        Cot => Expr::neg(square(&un(Csc, u))),
        Sinh => un(Cosh, u),
        Cosh => un(Sinh, u),
        Tanh => square(&un(Sech, u)),
        Sech => Expr::neg(product(vec![un(Sech, u), un(Tanh, u)])),
        Csch => Expr::neg(product(vec![un(Csch, u), un(Coth, u)])),
        Coth => Expr::neg(square(&un(Csch, u))),
        Arcsin => Expr::div(num(1.0), sqrt(Expr::sub(num(1.0), square(u)))),
        Arccos => Expr::neg(Expr::div(num(1.0), sqrt(Expr::sub(num(1.0), square(u))))),
        Arctan => Expr::div(num(1.0), Expr::add(vec![num(1.0), square(u)])),
        Arcsec => Expr::div(
            num(1.0),
            product(vec![un(Abs, u), sqrt(Expr::sub(square(u), num(1.0)))]),
        ),
        Arccsc => Expr::neg(Expr::div(
            num(1.0),
            product(vec![un(Abs, u), sqrt(Expr::sub(square(u), num(1.0)))]),
        )),
        Arccot => Expr::neg(Expr::div(num(1.0), Expr::add(vec![num(1.0), square(u)]))),
        Arcsinh => Expr::div(num(1.0), sqrt(Expr::add(vec![square(u), num(1.0)]))),
        Arccosh => Expr::div(num(1.0), sqrt(Expr::sub(square(u), num(1.0)))),
        Arctanh | Arccoth => Expr::div(num(1.0), Expr::sub(num(1.0), square(u))),
        Arcsech => Expr::neg(Expr::div(
            num(1.0),
            product(vec![un(Abs, u), sqrt(Expr::sub(num(1.0), square(u)))]),
        )),
        Arccsch => Expr::neg(Expr::div(
            num(1.0),
            product(vec![un(Abs, u), sqrt(Expr::add(vec![num(1.0), square(u)]))]),
        )),
    };
    Ok(product(vec![outer, du]))
}

fn diff_binary(op: BinaryOp, a: &Expr, b: &Expr, x: &str) -> Result<Expr, MathError> {
    let da = a.diff(x)?;
    let db = b.diff(x)?;
    binary_rule(op, a, b, da, db, x)
}

/// The derivative of `op(a, b)` given those of `a` and `b`.
fn binary_rule(
    op: BinaryOp,
    a: &Expr,
    b: &Expr,
    da: Expr,
    db: Expr,
    x: &str,
) -> Result<Expr, MathError> {
    let (ma, mb) = (a.mentions(x), b.mentions(x));
    Ok(match op {
        BinaryOp::Minus => Expr::sub(da.clone(), db.clone()),
        BinaryOp::Divide => {
            if !mb {
                Expr::div(da.clone(), b.clone())
            } else {
                // (a'b - ab') / b^2
                Expr::div(
                    Expr::sub(
                        product(vec![da.clone(), b.clone()]),
                        product(vec![a.clone(), db.clone()]),
                    ),
                    square(b),
                )
            }
        }
        BinaryOp::Power => {
            if !mb {
                // n a^(n-1) a'
                product(vec![
                    b.clone(),
                    Expr::pow(a.clone(), Expr::sub(b.clone(), num(1.0))),
                    da.clone(),
                ])
            } else if !ma {
                // a^b ln(a) b'
                product(vec![
                    Expr::pow(a.clone(), b.clone()),
                    un(UnaryOp::Ln, a),
                    db.clone(),
                ])
            } else {
                // a^b (b' ln a + b a'/a)
                product(vec![
                    Expr::pow(a.clone(), b.clone()),
                    Expr::add(vec![
                        product(vec![db.clone(), un(UnaryOp::Ln, a)]),
                        Expr::div(product(vec![b.clone(), da.clone()]), a.clone()),
                    ]),
                ])
            }
        }
        // Root(degree, radicand).
        BinaryOp::Root => {
            if ma {
                let as_power = Expr::pow(b.clone(), Expr::div(num(1.0), a.clone()));
                return as_power.diff(x);
            }
            if matches!(a, Expr::Number(v) if *v == 2.0) {
                Expr::div(db, product(vec![num(2.0), sqrt(b.clone())]))
            } else {
                // d root(n, u) = root(n, u) / (n u) du, for the negative real root too.
                product(vec![
                    Expr::div(
                        Expr::binary(BinaryOp::Root, a.clone(), b.clone()),
                        product(vec![a.clone(), b.clone()]),
                    ),
                    db,
                ])
            }
        }
        // Log(base, x).
        BinaryOp::Log => {
            if ma {
                let as_ratio = Expr::div(un(UnaryOp::Ln, b), un(UnaryOp::Ln, a));
                return as_ratio.diff(x);
            }
            Expr::div(db.clone(), product(vec![b.clone(), un(UnaryOp::Ln, a)]))
        }
        BinaryOp::Quotient | BinaryOp::Implies | BinaryOp::Neq => num(0.0),
        // rem(a, b) = a - b trunc(a / b), and the trunc is piecewise constant.
        BinaryOp::Rem => Expr::sub(
            da.clone(),
            product(vec![
                db.clone(),
                Expr::binary(BinaryOp::Quotient, a.clone(), b.clone()),
            ]),
        ),
    })
}

/// `max(a, b, c)`: the derivative of the argument that is the maximum, the first one on a
/// tie. Argument i is chosen when it is at least every later one and no earlier one was.
fn diff_extremum(op: NaryOp, args: &[Expr], x: &str) -> Result<Expr, MathError> {
    let Some((last, init)) = args.split_last() else {
        return Ok(num(0.0));
    };
    let relation = if op == NaryOp::Max {
        NaryOp::Geq
    } else {
        NaryOp::Leq
    };
    let mut pieces = Vec::with_capacity(init.len());
    for (i, a) in init.iter().enumerate() {
        let conditions: Vec<Expr> = args[i + 1..]
            .iter()
            .map(|b| Expr::Nary(relation, vec![a.clone(), b.clone()]))
            .collect();
        let condition = if conditions.len() == 1 {
            conditions.into_iter().next().unwrap_or(Expr::Boolean(true))
        } else {
            Expr::Nary(NaryOp::And, conditions)
        };
        pieces.push(Piece {
            value: a.diff(x)?,
            condition,
        });
    }
    Ok(Expr::Piecewise {
        pieces,
        otherwise: Some(Box::new(last.diff(x)?)),
    })
}
