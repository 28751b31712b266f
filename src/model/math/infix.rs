//! How is math written as text? libSBML's L3 formula syntax, as curated pathways write
//! kinetic laws (`kcat * E * S / (Km + S)`): [`parse`] reads it and `Display` prints it.
//!
//! Precedence, loosest first: `||`; `&&`; comparisons `== != < > <= >=` (left-associative,
//! binary); `+ -`; `* /`; unary `-` and `!`; `^` (right-associative, so `-x^2` is
//! `-(x^2)` and `2^3^2` is `2^9`). Builtins are called by name; any other call is a user
//! function. Backquotes make any text a plain identifier (`` `time` `` is a species called
//! time, `` `sin`(x) `` a user function called sin).
//!
//! Round trip: for every `Expr` whose symbol and function names are non-empty and hold no
//! backquote, `parse(&e.to_string()) == e` structurally (numbers to the bit, NaNs equal).
//! To make that hold, a `-` written directly before a number literal (not followed by `^`)
//! is part of the literal: `-2` is `Number(-2)`, while `-(2)` is the negation of 2.

use super::{BinaryOp, Expr, MathError, NaryOp, Piece, UnaryOp, MAX_DEPTH};
use std::fmt::{self, Write as _};

/// Words that `parse` reads as constants or csymbols; a symbol with one of these names is
/// printed in backquotes.
const RESERVED: [&str; 8] = [
    "time",
    "avogadro",
    "pi",
    "exponentiale",
    "true",
    "false",
    "INF",
    "NaN",
];

/// Aliases `parse` accepts for unary builtins besides their MathML and `ceil` names.
const UNARY_ALIASES: [(&str, UnaryOp); 7] = [
    ("ceiling", UnaryOp::Ceiling),
    ("asin", UnaryOp::Arcsin),
    ("acos", UnaryOp::Arccos),
    ("atan", UnaryOp::Arctan),
    ("asinh", UnaryOp::Arcsinh),
    ("acosh", UnaryOp::Arccosh),
    ("atanh", UnaryOp::Arctanh),
];

/// Builtins that are not a single unary operator.
const OTHER_BUILTINS: [&str; 27] = [
    "sqrt",
    "log10",
    "log",
    "root",
    "pow",
    "power",
    "plus",
    "times",
    "minus",
    "divide",
    "quotient",
    "rem",
    "implies",
    "neq",
    "eq",
    "gt",
    "lt",
    "geq",
    "leq",
    "and",
    "or",
    "xor",
    "max",
    "min",
    "piecewise",
    "delay",
    "rateOf",
];

fn unary_by_name(name: &str) -> Option<UnaryOp> {
    if name == "minus" {
        return None;
    }
    UnaryOp::ALL
        .iter()
        .copied()
        .find(|u| *u != UnaryOp::Neg && (u.infix_name() == name || u.mathml_name() == name))
        .or_else(|| {
            UNARY_ALIASES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, u)| *u)
        })
}

fn is_builtin(name: &str) -> bool {
    unary_by_name(name).is_some() || OTHER_BUILTINS.contains(&name)
}

fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    /// `` `text` ``: always an identifier.
    Quoted(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    Comma,
    Lt,
    Gt,
    Le,
    Ge,
    EqEq,
    Ne,
    AndAnd,
    OrOr,
    Bang,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(v) => format!("number {}", number_text(*v)),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Quoted(s) => format!("`` `{s}` ``"),
            Tok::End => "the end of the text".into(),
            other => format!(
                "`{}`",
                match other {
                    Tok::Plus => "+",
                    Tok::Minus => "-",
                    Tok::Star => "*",
                    Tok::Slash => "/",
                    Tok::Caret => "^",
                    Tok::LParen => "(",
                    Tok::RParen => ")",
                    Tok::Comma => ",",
                    Tok::Lt => "<",
                    Tok::Gt => ">",
                    Tok::Le => "<=",
                    Tok::Ge => ">=",
                    Tok::EqEq => "==",
                    Tok::Ne => "!=",
                    Tok::AndAnd => "&&",
                    Tok::OrOr => "||",
                    _ => "!",
                }
            ),
        }
    }
}

struct Token {
    tok: Tok,
    /// Byte offset in the text.
    at: usize,
}

fn syntax(text: &str, at: usize, message: impl Into<String>) -> MathError {
    // Columns count characters, as an editor shows them.
    let column = text
        .get(..at)
        .map(|s| s.chars().count())
        .unwrap_or(text.len())
        + 1;
    MathError::Syntax {
        column,
        text: text.to_string(),
        message: message.into(),
    }
}

fn lex(text: &str) -> Result<Vec<Token>, MathError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = |a: u8, b: u8| c == a && bytes.get(i + 1) == Some(&b);
        let (tok, len) = if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'.' {
                j += 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
            }
            // An exponent only when digits follow, so `2e` stays a number then a name.
            if j < bytes.len() && (bytes[j] == b'e' || bytes[j] == b'E') {
                let mut k = j + 1;
                if k < bytes.len() && (bytes[k] == b'+' || bytes[k] == b'-') {
                    k += 1;
                }
                if k < bytes.len() && bytes[k].is_ascii_digit() {
                    while k < bytes.len() && bytes[k].is_ascii_digit() {
                        k += 1;
                    }
                    j = k;
                }
            }
            let literal = &text[i..j];
            let v = literal
                .parse::<f64>()
                .map_err(|_| syntax(text, i, format!("`{literal}` is not a number")))?;
            (Tok::Num(v), j - i)
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            let word = &text[i..j];
            let tok = match word {
                "INF" => Tok::Num(f64::INFINITY),
                "NaN" => Tok::Num(f64::NAN),
                _ => Tok::Ident(word.to_string()),
            };
            (tok, j - i)
        } else if c == b'`' {
            let Some(len) = text[i + 1..].find('`') else {
                return Err(syntax(text, i, "a backquote that is never closed"));
            };
            let name = &text[i + 1..i + 1 + len];
            if name.is_empty() {
                return Err(syntax(text, i, "an empty name in backquotes"));
            }
            (Tok::Quoted(name.to_string()), len + 2)
        } else if two(b'<', b'=') {
            (Tok::Le, 2)
        } else if two(b'>', b'=') {
            (Tok::Ge, 2)
        } else if two(b'=', b'=') {
            (Tok::EqEq, 2)
        } else if two(b'!', b'=') {
            (Tok::Ne, 2)
        } else if two(b'&', b'&') {
            (Tok::AndAnd, 2)
        } else if two(b'|', b'|') {
            (Tok::OrOr, 2)
        } else {
            let tok = match c {
                b'+' => Tok::Plus,
                b'-' => Tok::Minus,
                b'*' => Tok::Star,
                b'/' => Tok::Slash,
                b'^' => Tok::Caret,
                b'(' => Tok::LParen,
                b')' => Tok::RParen,
                b',' => Tok::Comma,
                b'<' => Tok::Lt,
                b'>' => Tok::Gt,
                b'!' => Tok::Bang,
                b'=' => {
                    return Err(syntax(
                        text,
                        i,
                        "`=` is not an operator here; write `==` to compare",
                    ))
                }
                _ => {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    return Err(syntax(text, i, format!("unexpected character `{ch}`")));
                }
            };
            (tok, 1)
        };
        out.push(Token { tok, at: start });
        i += len;
    }
    out.push(Token {
        tok: Tok::End,
        at: text.len(),
    });
    Ok(out)
}

/// Reads infix text such as `kcat * E * S / (Km + S)`.
pub fn parse(text: &str) -> Result<Expr, MathError> {
    let tokens = lex(text)?;
    let mut p = Parser {
        text,
        tokens,
        i: 0,
        depth: 0,
    };
    if p.peek() == &Tok::End {
        return Err(syntax(text, 0, "empty expression"));
    }
    let e = p.expr()?;
    if p.peek() != &Tok::End {
        return Err(p.unexpected("an operator or the end of the text"));
    }
    Ok(e)
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, k: usize) -> &Tok {
        // The last token is End, so running past it stays there.
        let last = self.tokens.len() - 1;
        &self.tokens[(self.i + k).min(last)].tok
    }

    fn at(&self) -> usize {
        self.tokens[self.i.min(self.tokens.len() - 1)].at
    }

    fn advance(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.tokens.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn unexpected(&self, wanted: &str) -> MathError {
        syntax(
            self.text,
            self.at(),
            format!("expected {wanted}, found {}", self.peek().describe()),
        )
    }

    fn expect(&mut self, tok: Tok, wanted: &str) -> Result<(), MathError> {
        if *self.peek() == tok {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    /// Counts one level of nesting, refusing text nested too deep for the recursive walks.
    fn enter(&mut self) -> Result<(), MathError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax(
                self.text,
                self.at(),
                format!("expression nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    /// Binary operators by operator precedence, with explicit stacks rather than one
    /// recursive function per level, so that each parenthesis costs few stack frames.
    fn expr(&mut self) -> Result<Expr, MathError> {
        self.enter()?;
        let mut operands = vec![Operand {
            expr: self.unary()?,
            open: None,
        }];
        let mut operators: Vec<Infix> = Vec::new();
        while let Some(op) = Infix::of(self.peek()) {
            self.advance();
            // Every binary operator here is left-associative: reduce the equal and tighter
            // ones waiting on the stack first.
            while operators
                .last()
                .is_some_and(|top| top.level() >= op.level())
            {
                reduce(&mut operands, &mut operators);
            }
            operators.push(op);
            operands.push(Operand {
                expr: self.unary()?,
                open: None,
            });
        }
        while !operators.is_empty() {
            reduce(&mut operands, &mut operators);
        }
        self.depth -= 1;
        Ok(operands
            .pop()
            .map(|o| o.expr)
            .unwrap_or(Expr::Number(f64::NAN)))
    }

    fn unary(&mut self) -> Result<Expr, MathError> {
        let op = match self.peek() {
            Tok::Minus => {
                // `-2` is the literal -2, unless a power follows: `-2^2` is -(2^2).
                if let Tok::Num(v) = *self.peek_at(1) {
                    if *self.peek_at(2) != Tok::Caret {
                        self.advance();
                        self.advance();
                        return Ok(Expr::Number(-v));
                    }
                }
                UnaryOp::Neg
            }
            Tok::Bang => UnaryOp::Not,
            Tok::Plus => {
                self.advance();
                return self.unary();
            }
            _ => return self.power(),
        };
        self.advance();
        self.enter()?;
        let operand = self.unary()?;
        self.depth -= 1;
        Ok(Expr::unary(op, operand))
    }

    fn power(&mut self) -> Result<Expr, MathError> {
        let base = self.primary()?;
        if *self.peek() == Tok::Caret {
            self.advance();
            // The exponent may itself be signed or a power: right-associative.
            self.enter()?;
            let exponent = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::binary(BinaryOp::Power, base, exponent));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Expr, MathError> {
        match self.peek() {
            Tok::Num(v) => {
                let v = *v;
                self.advance();
                Ok(Expr::Number(v))
            }
            Tok::LParen => {
                self.advance();
                let e = self.expr()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(e)
            }
            Tok::Quoted(_) | Tok::Ident(_) => self.name(),
            _ => Err(self.unexpected("a number, a name or `(`")),
        }
    }

    /// A name: a call when `(` follows, else a constant, csymbol or symbol.
    fn name(&mut self) -> Result<Expr, MathError> {
        let at = self.at();
        let (name, quoted) = match self.advance() {
            Tok::Quoted(name) => (name, true),
            Tok::Ident(name) => (name, false),
            _ => return Err(self.unexpected("a name")),
        };
        if *self.peek() == Tok::LParen {
            let args = self.arguments()?;
            return if quoted {
                Ok(Expr::Call(name, args))
            } else {
                self.call(&name, args, at)
            };
        }
        if quoted {
            return Ok(Expr::Symbol(name));
        }
        Ok(match name.as_str() {
            "time" => Expr::Time,
            "avogadro" => Expr::Avogadro,
            "pi" => Expr::Pi,
            "exponentiale" => Expr::ExponentialE,
            "true" => Expr::Boolean(true),
            "false" => Expr::Boolean(false),
            _ => Expr::Symbol(name),
        })
    }

    fn arguments(&mut self) -> Result<Vec<Expr>, MathError> {
        self.expect(Tok::LParen, "`(`")?;
        let mut args = Vec::new();
        if *self.peek() == Tok::RParen {
            self.advance();
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            match self.peek() {
                Tok::Comma => {
                    self.advance();
                }
                Tok::RParen => {
                    self.advance();
                    return Ok(args);
                }
                _ => return Err(self.unexpected("`,` or `)`")),
            }
        }
    }

    /// A builtin by name, else a user-function call.
    fn call(&self, name: &str, mut args: Vec<Expr>, at: usize) -> Result<Expr, MathError> {
        let n = args.len();
        let arity = |expected: &str| {
            syntax(
                self.text,
                at,
                format!("`{name}` takes {expected}, given {n}"),
            )
        };
        let two = |args: &mut Vec<Expr>| -> Result<(Expr, Expr), MathError> {
            if args.len() != 2 {
                return Err(arity("2 arguments"));
            }
            let b = args.pop().unwrap_or(Expr::Number(f64::NAN));
            let a = args.pop().unwrap_or(Expr::Number(f64::NAN));
            Ok((a, b))
        };
        if let Some(op) = unary_by_name(name) {
            return match args.pop() {
                Some(a) if n == 1 => Ok(Expr::unary(op, a)),
                _ => Err(arity("1 argument")),
            };
        }
        let binary = |op: BinaryOp, (a, b): (Expr, Expr)| Ok(Expr::binary(op, a, b));
        match name {
            "sqrt" => match args.pop() {
                Some(a) if n == 1 => Ok(Expr::binary(BinaryOp::Root, Expr::Number(2.0), a)),
                _ => Err(arity("1 argument")),
            },
            "log10" => match args.pop() {
                Some(a) if n == 1 => Ok(Expr::binary(BinaryOp::Log, Expr::Number(10.0), a)),
                _ => Err(arity("1 argument")),
            },
            "log" if n == 1 => Err(syntax(
                self.text,
                at,
                "`log(x)` is ambiguous: write `ln(x)`, `log10(x)` or `log(base, x)`",
            )),
            "log" => binary(BinaryOp::Log, two(&mut args)?),
            "root" => binary(BinaryOp::Root, two(&mut args)?),
            "pow" | "power" => binary(BinaryOp::Power, two(&mut args)?),
            "divide" => binary(BinaryOp::Divide, two(&mut args)?),
            "quotient" => binary(BinaryOp::Quotient, two(&mut args)?),
            "rem" => binary(BinaryOp::Rem, two(&mut args)?),
            "implies" => binary(BinaryOp::Implies, two(&mut args)?),
            "neq" => binary(BinaryOp::Neq, two(&mut args)?),
            "minus" => match n {
                1 => match args.pop() {
                    Some(a) => Ok(Expr::unary(UnaryOp::Neg, a)),
                    None => Err(arity("1 or 2 arguments")),
                },
                2 => binary(BinaryOp::Minus, two(&mut args)?),
                _ => Err(arity("1 or 2 arguments")),
            },
            "delay" => {
                let (a, b) = two(&mut args)?;
                Ok(Expr::Delay(Box::new(a), Box::new(b)))
            }
            "rateOf" => match args.pop() {
                Some(a) if n == 1 => Ok(Expr::RateOf(Box::new(a))),
                _ => Err(arity("1 argument")),
            },
            "piecewise" => {
                let otherwise = if n % 2 == 1 {
                    args.pop().map(Box::new)
                } else {
                    None
                };
                let mut pieces = Vec::with_capacity(n / 2);
                let mut it = args.into_iter();
                while let (Some(value), Some(condition)) = (it.next(), it.next()) {
                    pieces.push(Piece { value, condition });
                }
                Ok(Expr::Piecewise { pieces, otherwise })
            }
            _ => {
                let Some(nary) = NaryOp::from_mathml_name(name) else {
                    return Ok(Expr::Call(name.to_string(), args));
                };
                Ok(Expr::Nary(nary, args))
            }
        }
    }
}

/// A binary infix operator.
#[derive(Clone, Copy, PartialEq)]
enum Infix {
    Or,
    And,
    Relation(NaryOp),
    Neq,
    Plus,
    Minus,
    Times,
    Divide,
}

impl Infix {
    fn of(tok: &Tok) -> Option<Infix> {
        Some(match tok {
            Tok::OrOr => Infix::Or,
            Tok::AndAnd => Infix::And,
            Tok::EqEq => Infix::Relation(NaryOp::Eq),
            Tok::Lt => Infix::Relation(NaryOp::Lt),
            Tok::Gt => Infix::Relation(NaryOp::Gt),
            Tok::Le => Infix::Relation(NaryOp::Leq),
            Tok::Ge => Infix::Relation(NaryOp::Geq),
            Tok::Ne => Infix::Neq,
            Tok::Plus => Infix::Plus,
            Tok::Minus => Infix::Minus,
            Tok::Star => Infix::Times,
            Tok::Slash => Infix::Divide,
            _ => return None,
        })
    }

    fn level(self) -> u8 {
        match self {
            Infix::Or => OR,
            Infix::And => AND,
            Infix::Relation(_) | Infix::Neq => CMP,
            Infix::Plus | Infix::Minus => SUM,
            Infix::Times | Infix::Divide => PRODUCT,
        }
    }

    /// The n-ary operator a chain of this operator builds.
    fn chain(self) -> Option<NaryOp> {
        match self {
            Infix::Or => Some(NaryOp::Or),
            Infix::And => Some(NaryOp::And),
            Infix::Plus => Some(NaryOp::Plus),
            Infix::Times => Some(NaryOp::Times),
            _ => None,
        }
    }
}

/// An operand and, when it is an n-ary chain built in this same expression (not in
/// parentheses), its operator: so `a + b + c` is one sum while `(a + b) + c` is two.
struct Operand {
    expr: Expr,
    open: Option<NaryOp>,
}

/// Applies the top operator to the top two operands.
fn reduce(operands: &mut Vec<Operand>, operators: &mut Vec<Infix>) {
    let (Some(op), Some(right), Some(left)) = (operators.pop(), operands.pop(), operands.pop())
    else {
        // The parser pushes one operand per operator, so this cannot happen.
        return;
    };
    let right = right.expr;
    let result = match (op.chain(), left) {
        (
            Some(c),
            Operand {
                expr: Expr::Nary(o, mut args),
                open: Some(open),
            },
        ) if open == c && o == c => {
            args.push(right);
            Operand {
                expr: Expr::Nary(c, args),
                open: Some(c),
            }
        }
        (Some(c), left) => Operand {
            expr: Expr::Nary(c, vec![left.expr, right]),
            open: Some(c),
        },
        (None, left) => Operand {
            expr: match op {
                Infix::Relation(r) => Expr::Nary(r, vec![left.expr, right]),
                Infix::Neq => Expr::binary(BinaryOp::Neq, left.expr, right),
                Infix::Minus => Expr::binary(BinaryOp::Minus, left.expr, right),
                _ => Expr::binary(BinaryOp::Divide, left.expr, right),
            },
            open: None,
        },
    };
    operands.push(result);
}

/// The shortest text that reads back as the same `f64`.
fn number_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "INF".into()
    } else if v == f64::NEG_INFINITY {
        "-INF".into()
    } else {
        // `{:?}` is the shortest exact representation; "3.0" reads better as "3".
        let s = format!("{v:?}");
        match s.strip_suffix(".0") {
            Some(t) => t.to_string(),
            None => s,
        }
    }
}

// Display: precedence levels, loosest first. An operand is parenthesized when its level is
// below what its position needs.
const OR: u8 = 1;
const AND: u8 = 2;
const CMP: u8 = 3;
const SUM: u8 = 4;
const PRODUCT: u8 = 5;
const UNARY: u8 = 6;
const POWER: u8 = 7;
const ATOM: u8 = 8;

fn level(e: &Expr) -> u8 {
    match e {
        Expr::Number(v) if v.is_sign_negative() && !v.is_nan() => UNARY,
        Expr::Nary(NaryOp::Or, a) if a.len() >= 2 => OR,
        Expr::Nary(NaryOp::And, a) if a.len() >= 2 => AND,
        Expr::Nary(op, a) if op.is_relation() && a.len() == 2 => CMP,
        Expr::Binary(BinaryOp::Neq, ..) => CMP,
        Expr::Nary(NaryOp::Plus, a) if a.len() >= 2 => SUM,
        Expr::Binary(BinaryOp::Minus, ..) => SUM,
        Expr::Nary(NaryOp::Times, a) if a.len() >= 2 => PRODUCT,
        Expr::Binary(BinaryOp::Divide, ..) => PRODUCT,
        Expr::Unary(UnaryOp::Neg | UnaryOp::Not, _) => UNARY,
        Expr::Binary(BinaryOp::Power, ..) => POWER,
        _ => ATOM,
    }
}

fn is_nary(e: &Expr, op: NaryOp) -> bool {
    matches!(e, Expr::Nary(o, a) if *o == op && a.len() >= 2)
}

fn operand(f: &mut fmt::Formatter<'_>, e: &Expr, parenthesize: bool) -> fmt::Result {
    if parenthesize {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn name_text(name: &str, callee: bool) -> String {
    let special = RESERVED.contains(&name) || (callee && is_builtin(name));
    if is_plain_identifier(name) && !special {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

fn function(f: &mut fmt::Formatter<'_>, name: &str, args: &[&Expr]) -> fmt::Result {
    f.write_str(name)?;
    f.write_char('(')?;
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{a}")?;
    }
    f.write_char(')')
}

fn infix_chain(
    f: &mut fmt::Formatter<'_>,
    args: &[Expr],
    sep: &str,
    min: u8,
    op: NaryOp,
) -> fmt::Result {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        operand(f, a, level(a) < min || is_nary(a, op))?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(v) => f.write_str(&number_text(*v)),
            Expr::Boolean(b) => f.write_str(if *b { "true" } else { "false" }),
            Expr::Pi => f.write_str("pi"),
            Expr::ExponentialE => f.write_str("exponentiale"),
            Expr::Time => f.write_str("time"),
            Expr::Avogadro => f.write_str("avogadro"),
            Expr::Symbol(name) => f.write_str(&name_text(name, false)),
            Expr::Call(name, args) => {
                function(f, &name_text(name, true), &args.iter().collect::<Vec<_>>())
            }
            Expr::Delay(a, b) => function(f, "delay", &[a, b]),
            Expr::RateOf(a) => function(f, "rateOf", &[a]),
            Expr::Piecewise { pieces, otherwise } => {
                let mut args: Vec<&Expr> = Vec::new();
                for p in pieces {
                    args.push(&p.value);
                    args.push(&p.condition);
                }
                if let Some(o) = otherwise {
                    args.push(o);
                }
                function(f, "piecewise", &args)
            }
            Expr::Unary(op @ (UnaryOp::Neg | UnaryOp::Not), a) => {
                f.write_char(if *op == UnaryOp::Neg { '-' } else { '!' })?;
                // `-(2)` keeps the negation of 2 apart from the literal -2.
                let literal = matches!(**a, Expr::Number(v) if !v.is_sign_negative() || v.is_nan());
                operand(f, a, level(a) < UNARY || (*op == UnaryOp::Neg && literal))
            }
            Expr::Unary(op, a) => function(f, op.infix_name(), &[a]),
            Expr::Binary(op, a, b) => match op {
                BinaryOp::Minus => {
                    operand(f, a, level(a) < SUM)?;
                    f.write_str(" - ")?;
                    operand(f, b, level(b) <= SUM)
                }
                BinaryOp::Divide => {
                    operand(f, a, level(a) < PRODUCT)?;
                    f.write_str(" / ")?;
                    operand(f, b, level(b) <= PRODUCT)
                }
                BinaryOp::Power => {
                    operand(f, a, level(a) < ATOM)?;
                    f.write_char('^')?;
                    operand(f, b, level(b) < UNARY)
                }
                BinaryOp::Neq => {
                    operand(f, a, level(a) <= CMP)?;
                    f.write_str(" != ")?;
                    operand(f, b, level(b) <= CMP)
                }
                BinaryOp::Root if matches!(**a, Expr::Number(v) if v.to_bits() == 2f64.to_bits()) => {
                    function(f, "sqrt", &[b])
                }
                BinaryOp::Log if matches!(**a, Expr::Number(v) if v.to_bits() == 10f64.to_bits()) => {
                    function(f, "log10", &[b])
                }
                other => function(f, other.mathml_name(), &[a, b]),
            },
            Expr::Nary(op, args) => {
                let infix =
                    args.len() >= 2 && !matches!(op, NaryOp::Xor | NaryOp::Max | NaryOp::Min);
                let relation = op.is_relation() && args.len() == 2;
                if !infix || (op.is_relation() && !relation) {
                    return function(f, op.mathml_name(), &args.iter().collect::<Vec<_>>());
                }
                match op {
                    // `&&` and `||` each parenthesize the other, so the text means the same
                    // to readers (and libSBML) that give them equal precedence.
                    NaryOp::Or => infix_chain(f, args, " || ", CMP, *op),
                    NaryOp::And => infix_chain(f, args, " && ", CMP, *op),
                    NaryOp::Plus | NaryOp::Times => {
                        let (first_min, rest_min, sep) = if *op == NaryOp::Plus {
                            (SUM, PRODUCT, " + ")
                        } else {
                            (PRODUCT, UNARY, " * ")
                        };
                        for (i, a) in args.iter().enumerate() {
                            let min = if i == 0 {
                                first_min
                            } else {
                                f.write_str(sep)?;
                                rest_min
                            };
                            operand(f, a, level(a) < min || is_nary(a, *op))?;
                        }
                        Ok(())
                    }
                    _ => {
                        let sym = match op {
                            NaryOp::Eq => " == ",
                            NaryOp::Gt => " > ",
                            NaryOp::Lt => " < ",
                            NaryOp::Geq => " >= ",
                            _ => " <= ",
                        };
                        operand(f, &args[0], level(&args[0]) <= CMP)?;
                        f.write_str(sym)?;
                        operand(f, &args[1], level(&args[1]) <= CMP)
                    }
                }
            }
        }
    }
}
