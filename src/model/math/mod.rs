//! What does a piece of SBML math compute? One expression tree, [`Expr`], read from MathML
//! ([`from_mathml`], [`lambda_from_mathml`]) or from infix text ([`parse`]), printed back as
//! infix text (`Display`), inspected, substituted, inlined, differentiated and simplified, and
//! evaluated either directly ([`Expr::eval`]) or, in the ODE right-hand side's inner loop,
//! through a compiled flat [`Program`].
//!
//! Values are `f64` throughout; booleans are 1.0 and 0.0, and a number used as a boolean is
//! true when it is non-zero. Division by zero and the like give IEEE infinities and NaNs,
//! never a panic.

mod derivative;
mod eval;
mod infix;
mod mathml;
mod program;
mod simplify;
mod tape;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::fmt;

pub use infix::parse;
pub use mathml::{from_mathml, lambda_from_mathml};
pub use program::Program;
pub use tape::{Tape, TapeBuilder};

/// The value SBML Level 3 gives its `avogadro` csymbol (CODATA 2006), which SBML simulators and
/// the SBML Test Suite use; not the 2019 SI value 6.02214076e23.
pub const AVOGADRO: f64 = 6.022_141_79e23;
/// The csymbol for simulation time.
pub const TIME_URL: &str = "http://www.sbml.org/sbml/symbols/time";
/// The csymbol for Avogadro's number.
pub const AVOGADRO_URL: &str = "http://www.sbml.org/sbml/symbols/avogadro";
/// The csymbol for `delay(x, d)`: the value of `x` at `time - d`.
pub const DELAY_URL: &str = "http://www.sbml.org/sbml/symbols/delay";
/// The csymbol for `rateOf(x)`: the current rate of change of `x` (SBML L3v2).
pub const RATE_OF_URL: &str = "http://www.sbml.org/sbml/symbols/rateOf";

/// How deep an expression may nest when read from MathML or text: far more than real
/// models use (the SBML Test Suite stays under 10), and shallow enough that every recursive
/// walk here, derivatives included, fits a 2 MiB thread stack even in a debug build.
pub(crate) const MAX_DEPTH: usize = 256;

/// One SBML math expression.
///
/// Equality is structural; numbers compare by their bits (so `0.0 != -0.0`), except that all
/// NaNs are equal, which is what a round trip through text needs.
#[derive(Clone, Debug)]
pub enum Expr {
    Number(f64),
    /// `<true/>`, `<false/>`: evaluates to 1.0 or 0.0.
    Boolean(bool),
    /// `<pi/>`.
    Pi,
    /// `<exponentiale/>`.
    ExponentialE,
    /// A model identifier: species, compartment, parameter, reaction, species reference, or
    /// a function parameter inside a lambda body.
    Symbol(String),
    /// The time csymbol.
    Time,
    /// The avogadro csymbol.
    Avogadro,
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// Operators that take any number of arguments.
    Nary(NaryOp, Vec<Expr>),
    /// The first piece whose condition holds, else `otherwise`, else NaN.
    Piecewise {
        pieces: Vec<Piece>,
        otherwise: Option<Box<Expr>>,
    },
    /// A call of a user function (an SBML functionDefinition), by its id.
    Call(String, Vec<Expr>),
    /// `delay(x, d)`: the value of `x` at `time - d`.
    Delay(Box<Expr>, Box<Expr>),
    /// `rateOf(x)`: the rate of change of `x` now.
    RateOf(Box<Expr>),
}

/// One `<piece>` of a piecewise: its value and the condition that selects it.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    pub value: Expr,
    pub condition: Expr,
}

/// Operators of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Unary minus.
    Neg,
    Not,
    Abs,
    Exp,
    /// Natural logarithm.
    Ln,
    Floor,
    Ceiling,
    /// `x!`, through the gamma function for non-integers.
    Factorial,
    Sin,
    Cos,
    Tan,
    Sec,
    Csc,
    Cot,
    Sinh,
    Cosh,
    Tanh,
    Sech,
    Csch,
    Coth,
    Arcsin,
    Arccos,
    Arctan,
    Arcsec,
    Arccsc,
    Arccot,
    Arcsinh,
    Arccosh,
    Arctanh,
    Arcsech,
    Arccsch,
    Arccoth,
}

/// Operators of exactly two arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Minus,
    Divide,
    Power,
    /// `Root(degree, x)`: the degree first, as MathML writes it.
    Root,
    /// `Log(base, x)`: the base first, as MathML writes it.
    Log,
    /// `trunc(a / b)`.
    Quotient,
    /// `a % b`: the remainder with the sign of the dividend.
    Rem,
    Implies,
    Neq,
}

/// Operators of any number of arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NaryOp {
    /// No arguments: 0.
    Plus,
    /// No arguments: 1.
    Times,
    /// No arguments: true.
    And,
    /// No arguments: false.
    Or,
    /// True when an odd number of arguments is true.
    Xor,
    /// True when all arguments are equal.
    Eq,
    /// True when the arguments strictly decrease.
    Gt,
    /// True when the arguments strictly increase.
    Lt,
    Geq,
    Leq,
    /// No arguments: NaN; any NaN argument gives NaN.
    Max,
    Min,
}

/// An SBML functionDefinition's lambda: `params` are bound in `body`.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub params: Vec<String>,
    pub body: Expr,
}

/// Why math could not be read, inlined, differentiated, compiled or evaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum MathError {
    /// MathML this layer cannot read: an unsupported element or a malformed one.
    Mathml {
        element: String,
        line: u32,
        column: u32,
        message: String,
    },
    /// Infix text that does not parse; `column` counts characters from 1.
    Syntax {
        column: usize,
        text: String,
        message: String,
    },
    /// A symbol that a lookup or a slot resolver does not know.
    UnknownSymbol(String),
    /// A call of a user function that is not defined.
    UnknownFunction(String),
    /// A user function called with the wrong number of arguments.
    Arity {
        function: String,
        expected: usize,
        found: usize,
    },
    /// A construct an operation cannot handle, such as `delay` in [`Expr::eval`] or a user
    /// call in [`Expr::derivative`].
    Unsupported {
        operation: &'static str,
        construct: String,
    },
    /// Function definitions that call each other without end.
    Recursion(String),
}

impl fmt::Display for MathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MathError::Mathml {
                element,
                line,
                column,
                message,
            } => write!(
                f,
                "MathML <{element}> at line {line}, column {column}: {message}"
            ),
            MathError::Syntax {
                column,
                text,
                message,
            } => write!(f, "in `{text}` at column {column}: {message}"),
            MathError::UnknownSymbol(name) => write!(f, "unknown symbol `{name}`"),
            MathError::UnknownFunction(name) => write!(f, "call of undefined function `{name}`"),
            MathError::Arity {
                function,
                expected,
                found,
            } => write!(
                f,
                "function `{function}` takes {expected} argument{}, called with {found}",
                if *expected == 1 { "" } else { "s" }
            ),
            MathError::Unsupported {
                operation,
                construct,
            } => write!(f, "cannot {operation} {construct}"),
            MathError::Recursion(name) => {
                write!(
                    f,
                    "function `{name}` calls itself, directly or through others"
                )
            }
        }
    }
}

impl std::error::Error for MathError {}

impl UnaryOp {
    pub const ALL: [UnaryOp; 32] = [
        UnaryOp::Neg,
        UnaryOp::Not,
        UnaryOp::Abs,
        UnaryOp::Exp,
        UnaryOp::Ln,
        UnaryOp::Floor,
        UnaryOp::Ceiling,
        UnaryOp::Factorial,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Sec,
        UnaryOp::Csc,
        UnaryOp::Cot,
        UnaryOp::Sinh,
        UnaryOp::Cosh,
        UnaryOp::Tanh,
        UnaryOp::Sech,
        UnaryOp::Csch,
        UnaryOp::Coth,
        UnaryOp::Arcsin,
        UnaryOp::Arccos,
        UnaryOp::Arctan,
        UnaryOp::Arcsec,
        UnaryOp::Arccsc,
        UnaryOp::Arccot,
        UnaryOp::Arcsinh,
        UnaryOp::Arccosh,
        UnaryOp::Arctanh,
        UnaryOp::Arcsech,
        UnaryOp::Arccsch,
        UnaryOp::Arccoth,
    ];

    /// The MathML element name.
    pub fn mathml_name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "minus",
            UnaryOp::Not => "not",
            UnaryOp::Abs => "abs",
            UnaryOp::Exp => "exp",
            UnaryOp::Ln => "ln",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceiling => "ceiling",
            UnaryOp::Factorial => "factorial",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tan => "tan",
            UnaryOp::Sec => "sec",
            UnaryOp::Csc => "csc",
            UnaryOp::Cot => "cot",
            UnaryOp::Sinh => "sinh",
            UnaryOp::Cosh => "cosh",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sech => "sech",
            UnaryOp::Csch => "csch",
            UnaryOp::Coth => "coth",
            UnaryOp::Arcsin => "arcsin",
            UnaryOp::Arccos => "arccos",
            UnaryOp::Arctan => "arctan",
            UnaryOp::Arcsec => "arcsec",
            UnaryOp::Arccsc => "arccsc",
            UnaryOp::Arccot => "arccot",
            UnaryOp::Arcsinh => "arcsinh",
            UnaryOp::Arccosh => "arccosh",
            UnaryOp::Arctanh => "arctanh",
            UnaryOp::Arcsech => "arcsech",
            UnaryOp::Arccsch => "arccsch",
            UnaryOp::Arccoth => "arccoth",
        }
    }

    /// The name infix text calls it by (libSBML's: `ceil`, not `ceiling`).
    pub fn infix_name(self) -> &'static str {
        match self {
            UnaryOp::Ceiling => "ceil",
            other => other.mathml_name(),
        }
    }
}

impl BinaryOp {
    pub fn mathml_name(self) -> &'static str {
        match self {
            BinaryOp::Minus => "minus",
            BinaryOp::Divide => "divide",
            BinaryOp::Power => "power",
            BinaryOp::Root => "root",
            BinaryOp::Log => "log",
            BinaryOp::Quotient => "quotient",
            BinaryOp::Rem => "rem",
            BinaryOp::Implies => "implies",
            BinaryOp::Neq => "neq",
        }
    }
}

impl NaryOp {
    pub const ALL: [NaryOp; 12] = [
        NaryOp::Plus,
        NaryOp::Times,
        NaryOp::And,
        NaryOp::Or,
        NaryOp::Xor,
        NaryOp::Eq,
        NaryOp::Gt,
        NaryOp::Lt,
        NaryOp::Geq,
        NaryOp::Leq,
        NaryOp::Max,
        NaryOp::Min,
    ];

    /// The operator a MathML element (or an infix function of the same name) stands for.
    pub fn from_mathml_name(name: &str) -> Option<NaryOp> {
        NaryOp::ALL.into_iter().find(|op| op.mathml_name() == name)
    }

    pub fn mathml_name(self) -> &'static str {
        match self {
            NaryOp::Plus => "plus",
            NaryOp::Times => "times",
            NaryOp::And => "and",
            NaryOp::Or => "or",
            NaryOp::Xor => "xor",
            NaryOp::Eq => "eq",
            NaryOp::Gt => "gt",
            NaryOp::Lt => "lt",
            NaryOp::Geq => "geq",
            NaryOp::Leq => "leq",
            NaryOp::Max => "max",
            NaryOp::Min => "min",
        }
    }

    /// Relations compare neighbours; their value is a boolean.
    pub fn is_relation(self) -> bool {
        matches!(
            self,
            NaryOp::Eq | NaryOp::Gt | NaryOp::Lt | NaryOp::Geq | NaryOp::Leq
        )
    }

    pub fn is_logical(self) -> bool {
        matches!(self, NaryOp::And | NaryOp::Or | NaryOp::Xor)
    }
}

fn same_number(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        use Expr::*;
        match (self, other) {
            (Number(a), Number(b)) => same_number(*a, *b),
            (Boolean(a), Boolean(b)) => a == b,
            (Pi, Pi) | (ExponentialE, ExponentialE) | (Time, Time) | (Avogadro, Avogadro) => true,
            (Symbol(a), Symbol(b)) => a == b,
            (Unary(o, a), Unary(p, b)) => o == p && a == b,
            (Binary(o, a1, a2), Binary(p, b1, b2)) => o == p && a1 == b1 && a2 == b2,
            (Nary(o, a), Nary(p, b)) => o == p && a == b,
            (
                Piecewise {
                    pieces: p1,
                    otherwise: o1,
                },
                Piecewise {
                    pieces: p2,
                    otherwise: o2,
                },
            ) => p1 == p2 && o1 == o2,
            (Call(f, a), Call(g, b)) => f == g && a == b,
            (Delay(a1, a2), Delay(b1, b2)) => a1 == b1 && a2 == b2,
            (RateOf(a), RateOf(b)) => a == b,
            _ => false,
        }
    }
}

impl std::str::FromStr for Expr {
    type Err = MathError;
    fn from_str(s: &str) -> Result<Expr, MathError> {
        parse(s)
    }
}

/// Constructors: plain trees, no simplification (call [`Expr::simplify`] for that).
// Named as the call sites read (`Expr::mul(a, b)`); they take no `self`, so they are not
// the operator traits' methods.
#[allow(clippy::should_implement_trait)]
impl Expr {
    pub fn symbol(name: &str) -> Expr {
        Expr::Symbol(name.to_string())
    }

    pub fn number(v: f64) -> Expr {
        Expr::Number(v)
    }

    pub fn boolean(b: bool) -> Expr {
        Expr::Boolean(b)
    }

    pub fn unary(op: UnaryOp, x: Expr) -> Expr {
        Expr::Unary(op, Box::new(x))
    }

    pub fn binary(op: BinaryOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }

    /// The sum of `terms` (0 when there are none).
    pub fn add(terms: Vec<Expr>) -> Expr {
        Expr::Nary(NaryOp::Plus, terms)
    }

    pub fn sub(a: Expr, b: Expr) -> Expr {
        Expr::binary(BinaryOp::Minus, a, b)
    }

    pub fn mul(a: Expr, b: Expr) -> Expr {
        Expr::Nary(NaryOp::Times, vec![a, b])
    }

    /// The product of `factors` (1 when there are none).
    pub fn product(factors: Vec<Expr>) -> Expr {
        Expr::Nary(NaryOp::Times, factors)
    }

    pub fn div(a: Expr, b: Expr) -> Expr {
        Expr::binary(BinaryOp::Divide, a, b)
    }

    pub fn pow(a: Expr, b: Expr) -> Expr {
        Expr::binary(BinaryOp::Power, a, b)
    }

    pub fn neg(a: Expr) -> Expr {
        Expr::unary(UnaryOp::Neg, a)
    }

    pub fn not(a: Expr) -> Expr {
        Expr::unary(UnaryOp::Not, a)
    }
}

/// Walks and rewrites.
impl Expr {
    /// Calls `f` on this node and every node below it, parents first.
    pub fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        self.for_each_child(&mut |c| c.visit(f));
    }

    fn for_each_child(&self, f: &mut dyn FnMut(&Expr)) {
        match self {
            Expr::Number(_)
            | Expr::Boolean(_)
            | Expr::Pi
            | Expr::ExponentialE
            | Expr::Symbol(_)
            | Expr::Time
            | Expr::Avogadro => {}
            Expr::Unary(_, a) | Expr::RateOf(a) => f(a),
            Expr::Binary(_, a, b) | Expr::Delay(a, b) => {
                f(a);
                f(b);
            }
            Expr::Nary(_, args) | Expr::Call(_, args) => args.iter().for_each(f),
            Expr::Piecewise { pieces, otherwise } => {
                for p in pieces {
                    f(&p.value);
                    f(&p.condition);
                }
                if let Some(o) = otherwise {
                    f(o);
                }
            }
        }
    }

    /// The same node with each child replaced by `f(child)`.
    pub(crate) fn try_map_children(
        &self,
        f: &mut dyn FnMut(&Expr) -> Result<Expr, MathError>,
    ) -> Result<Expr, MathError> {
        Ok(match self {
            Expr::Number(_)
            | Expr::Boolean(_)
            | Expr::Pi
            | Expr::ExponentialE
            | Expr::Symbol(_)
            | Expr::Time
            | Expr::Avogadro => self.clone(),
            Expr::Unary(op, a) => Expr::Unary(*op, Box::new(f(a)?)),
            Expr::RateOf(a) => Expr::RateOf(Box::new(f(a)?)),
            Expr::Binary(op, a, b) => Expr::Binary(*op, Box::new(f(a)?), Box::new(f(b)?)),
            Expr::Delay(a, b) => Expr::Delay(Box::new(f(a)?), Box::new(f(b)?)),
            Expr::Nary(op, args) => {
                Expr::Nary(*op, args.iter().map(&mut *f).collect::<Result<_, _>>()?)
            }
            Expr::Call(name, args) => Expr::Call(
                name.clone(),
                args.iter().map(&mut *f).collect::<Result<_, _>>()?,
            ),
            Expr::Piecewise { pieces, otherwise } => Expr::Piecewise {
                pieces: pieces
                    .iter()
                    .map(|p| {
                        Ok(Piece {
                            value: f(&p.value)?,
                            condition: f(&p.condition)?,
                        })
                    })
                    .collect::<Result<_, MathError>>()?,
                otherwise: match otherwise {
                    Some(o) => Some(Box::new(f(o)?)),
                    None => None,
                },
            },
        })
    }

    /// The same node with each child replaced by `f(child)`. Written out rather than
    /// through `try_map_children`, to keep the recursion's stack frames small.
    fn map_children(&self, f: &mut dyn FnMut(&Expr) -> Expr) -> Expr {
        match self {
            Expr::Unary(op, a) => Expr::Unary(*op, Box::new(f(a))),
            Expr::RateOf(a) => Expr::RateOf(Box::new(f(a))),
            Expr::Binary(op, a, b) => Expr::Binary(*op, Box::new(f(a)), Box::new(f(b))),
            Expr::Delay(a, b) => Expr::Delay(Box::new(f(a)), Box::new(f(b))),
            Expr::Nary(op, args) => Expr::Nary(*op, args.iter().map(f).collect()),
            Expr::Call(name, args) => Expr::Call(name.clone(), args.iter().map(f).collect()),
            Expr::Piecewise { pieces, otherwise } => Expr::Piecewise {
                pieces: pieces
                    .iter()
                    .map(|p| Piece {
                        value: f(&p.value),
                        condition: f(&p.condition),
                    })
                    .collect(),
                otherwise: otherwise.as_ref().map(|o| Box::new(f(o))),
            },
            _ => self.clone(),
        }
    }

    /// Top-down rewrite: where `f` gives a replacement it is taken as is (not walked again).
    fn rewrite(&self, f: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
        match f(self) {
            Some(e) => e,
            None => self.map_children(&mut |c| c.rewrite(f)),
        }
    }

    fn any(&self, pred: &dyn Fn(&Expr) -> bool) -> bool {
        let mut found = false;
        self.visit(&mut |e| found = found || pred(e));
        found
    }
}

/// Questions and substitutions.
impl Expr {
    /// Every model identifier the expression reads (not csymbols, not user-function names).
    pub fn symbols(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.visit(&mut |e| {
            if let Expr::Symbol(s) = e {
                out.insert(s.clone());
            }
        });
        out
    }

    /// Names of the user functions called.
    pub fn calls(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.visit(&mut |e| {
            if let Expr::Call(name, _) = e {
                out.insert(name.clone());
            }
        });
        out
    }

    pub fn has_time(&self) -> bool {
        self.any(&|e| matches!(e, Expr::Time))
    }

    pub fn has_delay(&self) -> bool {
        self.any(&|e| matches!(e, Expr::Delay(..)))
    }

    pub fn has_rate_of(&self) -> bool {
        self.any(&|e| matches!(e, Expr::RateOf(_)))
    }

    /// Whether `name` is read anywhere.
    pub fn mentions(&self, name: &str) -> bool {
        self.any(&|e| matches!(e, Expr::Symbol(s) if s == name))
    }

    /// Replaces symbols: `f(name)` gives the replacement, `None` keeps the symbol.
    /// Replacements are taken as given, not substituted again.
    pub fn substitute(&self, f: &dyn Fn(&str) -> Option<Expr>) -> Expr {
        self.rewrite(&|e| match e {
            Expr::Symbol(s) => f(s),
            _ => None,
        })
    }

    /// Replaces each `rateOf(arg)` by `f(arg)`; `None` keeps it (with any `rateOf` inside
    /// its argument replaced).
    pub fn substitute_rate_of(&self, f: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
        match self {
            Expr::RateOf(arg) => match f(arg) {
                Some(e) => e,
                None => Expr::RateOf(Box::new(arg.substitute_rate_of(f))),
            },
            _ => self.map_children(&mut |c| c.substitute_rate_of(f)),
        }
    }

    /// Inlines user-function calls: each call becomes the function's body with its
    /// parameters replaced by the (inlined) arguments; bodies may call other functions.
    pub fn inline_calls(&self, functions: &HashMap<String, Function>) -> Result<Expr, MathError> {
        self.inline_within(functions, &mut Vec::new())
    }

    /// `active` holds the functions being expanded, to catch a definition that reaches
    /// itself (which SBML forbids, and which would otherwise never end).
    fn inline_within(
        &self,
        functions: &HashMap<String, Function>,
        active: &mut Vec<String>,
    ) -> Result<Expr, MathError> {
        match self {
            Expr::Call(name, args) => {
                let function = functions
                    .get(name)
                    .ok_or_else(|| MathError::UnknownFunction(name.clone()))?;
                if function.params.len() != args.len() {
                    return Err(MathError::Arity {
                        function: name.clone(),
                        expected: function.params.len(),
                        found: args.len(),
                    });
                }
                if active.contains(name) {
                    return Err(MathError::Recursion(name.clone()));
                }
                let args = args
                    .iter()
                    .map(|a| a.inline_within(functions, active))
                    .collect::<Result<Vec<_>, _>>()?;
                let body = function.body.substitute(&|s| {
                    function
                        .params
                        .iter()
                        .position(|p| p == s)
                        .map(|i| args[i].clone())
                });
                // The arguments are already inlined; anything still called came from the
                // body, so only the body's own calls recurse under this name.
                active.push(name.clone());
                let out = body.inline_within(functions, active);
                active.pop();
                out
            }
            _ => self.try_map_children(&mut |c| c.inline_within(functions, active)),
        }
    }

    /// Whether the value is a truth value: relational, logical, `true`/`false`, or a
    /// piecewise whose every value is one (so a trigger can be checked).
    pub fn is_boolean(&self) -> bool {
        match self {
            Expr::Boolean(_) => true,
            Expr::Unary(UnaryOp::Not, _) => true,
            Expr::Binary(BinaryOp::Implies | BinaryOp::Neq, _, _) => true,
            Expr::Nary(op, _) => op.is_relation() || op.is_logical(),
            Expr::Piecewise { pieces, otherwise } => {
                pieces.iter().all(|p| p.value.is_boolean())
                    && otherwise.as_ref().is_none_or(|o| o.is_boolean())
                    && (!pieces.is_empty() || otherwise.is_some())
            }
            _ => false,
        }
    }

    /// Whether the expression is the constant 0 (after simplification).
    pub fn is_constant_zero(&self) -> bool {
        match self {
            Expr::Number(v) => *v == 0.0,
            Expr::Symbol(_) | Expr::Time => false,
            _ => matches!(self.simplify(), Expr::Number(v) if v == 0.0),
        }
    }
}
