//! What is a logical (Boolean) model? Named nodes, each with an update rule over the others,
//! and, for continuous-time stochastic runs, an up and a down rate per node (MaBoSS's
//! `rate_up` / `rate_down`) over named parameters (`$TransRate`).
//!
//! One expression type, [`Expr`], holds rules and rates alike, because MaBoSS writes both in
//! one language: BoolNet's `&`, `|`, `!` (and MaBoSS's `AND`, `OR`, `NOT`, `XOR`, `^`),
//! arithmetic, comparisons, `cond ? a : b`, `$parameters` and `@logic` (the node's own rule).
//! Booleans are numbers as in C: true is 1, anything non-zero is true.

use std::collections::HashMap;
use std::fmt;

/// An expression over node values (0 or 1) and parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    /// A node, by its index in [`LogicalModel::nodes`].
    Node(usize),
    /// A parameter, by its index in [`LogicalModel::parameters`].
    Param(usize),
    /// `@logic`: the value of the node's own rule (only in rates).
    Logic,
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    /// `condition ? then : otherwise`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// Binary operators, loosest first in [`Op::precedence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Or,
    Xor,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    fn precedence(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::Xor => 2,
            Op::And => 3,
            Op::Eq | Op::Ne => 4,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => 5,
            Op::Add | Op::Sub => 6,
            Op::Mul | Op::Div => 7,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Or => "|",
            Op::Xor => "^",
            Op::And => "&",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
        }
    }

    fn is_boolean(self) -> bool {
        matches!(self, Op::Or | Op::Xor | Op::And)
    }
}

fn truth(x: f64) -> bool {
    x != 0.0
}

fn number(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

impl Expr {
    pub fn constant(value: bool) -> Expr {
        Expr::Num(number(value))
    }

    pub fn and(a: Expr, b: Expr) -> Expr {
        Expr::Binary(Op::And, Box::new(a), Box::new(b))
    }

    pub fn or(a: Expr, b: Expr) -> Expr {
        Expr::Binary(Op::Or, Box::new(a), Box::new(b))
    }

    pub fn not(a: Expr) -> Expr {
        Expr::Not(Box::new(a))
    }

    /// The value in a state: `node(i)` is node i's value, `params` the parameters' values,
    /// `logic` the value of `@logic`.
    pub fn eval(&self, node: &impl Fn(usize) -> bool, params: &[f64], logic: bool) -> f64 {
        match self {
            Expr::Num(x) => *x,
            Expr::Node(i) => number(node(*i)),
            Expr::Param(i) => params.get(*i).copied().unwrap_or(f64::NAN),
            Expr::Logic => number(logic),
            Expr::Not(a) => number(!truth(a.eval(node, params, logic))),
            Expr::Neg(a) => -a.eval(node, params, logic),
            Expr::Binary(op, a, b) => {
                let x = a.eval(node, params, logic);
                // Short-circuit the Boolean operators: rules are evaluated millions of times.
                match op {
                    Op::And if !truth(x) => return 0.0,
                    Op::Or if truth(x) => return 1.0,
                    _ => {}
                }
                let y = b.eval(node, params, logic);
                match op {
                    Op::Or | Op::And => number(truth(y)),
                    Op::Xor => number(truth(x) != truth(y)),
                    Op::Eq => number(x == y),
                    Op::Ne => number(x != y),
                    Op::Lt => number(x < y),
                    Op::Le => number(x <= y),
                    Op::Gt => number(x > y),
                    Op::Ge => number(x >= y),
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div => x / y,
                }
            }
            Expr::Cond(c, a, b) => {
                if truth(c.eval(node, params, logic)) {
                    a.eval(node, params, logic)
                } else {
                    b.eval(node, params, logic)
                }
            }
        }
    }

    /// The rule's truth value in a state.
    pub fn holds(&self, node: &impl Fn(usize) -> bool) -> bool {
        truth(self.eval(node, &[], false))
    }

    /// Every node the expression reads, each once, in order of first use.
    pub fn nodes(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Node(i) = e {
                if !out.contains(i) {
                    out.push(*i);
                }
            }
        });
        out
    }

    fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Not(a) | Expr::Neg(a) => a.visit(f),
            Expr::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Cond(c, a, b) => {
                c.visit(f);
                a.visit(f);
                b.visit(f);
            }
            _ => {}
        }
    }

    /// Whether the expression is a plain Boolean rule (nodes, constants 0 and 1, not, and,
    /// or, xor): what attractor analysis can take.
    pub fn is_boolean(&self) -> bool {
        match self {
            Expr::Num(x) => *x == 0.0 || *x == 1.0,
            Expr::Node(_) => true,
            Expr::Not(a) => a.is_boolean(),
            Expr::Binary(op, a, b) => op.is_boolean() && a.is_boolean() && b.is_boolean(),
            _ => false,
        }
    }

    /// The constant this expression is, if it is one.
    pub fn as_constant(&self) -> Option<bool> {
        match self {
            Expr::Num(x) => Some(truth(*x)),
            _ => None,
        }
    }

    /// The rule with some nodes replaced by constants (`known[i] = Some(v)`), simplified:
    /// what percolating fixed values through a network does to each rule.
    pub fn substitute(&self, known: &[Option<bool>]) -> Expr {
        match self {
            Expr::Node(i) => match known.get(*i).copied().flatten() {
                Some(v) => Expr::constant(v),
                None => self.clone(),
            },
            Expr::Not(a) => match a.substitute(known) {
                Expr::Num(x) => Expr::constant(!truth(x)),
                Expr::Not(inner) => *inner,
                other => Expr::not(other),
            },
            Expr::Neg(a) => match a.substitute(known) {
                Expr::Num(x) => Expr::Num(-x),
                other => Expr::Neg(Box::new(other)),
            },
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.substitute(known), b.substitute(known));
                match (op, a.as_constant(), b.as_constant()) {
                    (Op::And, Some(false), _) | (Op::And, _, Some(false)) => Expr::constant(false),
                    (Op::Or, Some(true), _) | (Op::Or, _, Some(true)) => Expr::constant(true),
                    (Op::And, Some(true), _) | (Op::Or, Some(false), _) => b,
                    (Op::And, _, Some(true)) | (Op::Or, _, Some(false)) => a,
                    (Op::Xor, Some(x), _) => {
                        if x {
                            Expr::not(b)
                        } else {
                            b
                        }
                    }
                    (Op::Xor, _, Some(y)) => {
                        if y {
                            Expr::not(a)
                        } else {
                            a
                        }
                    }
                    _ => match (&a, &b) {
                        (Expr::Num(_), Expr::Num(_)) => Expr::Num(
                            Expr::Binary(*op, Box::new(a.clone()), Box::new(b.clone())).eval(
                                &|_| false,
                                &[],
                                false,
                            ),
                        ),
                        _ => Expr::Binary(*op, Box::new(a), Box::new(b)),
                    },
                }
            }
            Expr::Cond(c, a, b) => {
                let c = c.substitute(known);
                match c.as_constant() {
                    Some(true) => a.substitute(known),
                    Some(false) => b.substitute(known),
                    None => Expr::Cond(
                        Box::new(c),
                        Box::new(a.substitute(known)),
                        Box::new(b.substitute(known)),
                    ),
                }
            }
            _ => self.clone(),
        }
    }

    /// The expression as text, naming nodes and parameters as `model` does.
    pub fn display<'a>(&'a self, model: &'a LogicalModel) -> impl fmt::Display + 'a {
        Shown { expr: self, model }
    }

    /// Parses `text`, resolving node names with `nodes` and parameter names (`$name`)
    /// with `params`, which assigns a new index to a parameter seen for the first time.
    pub fn parse(
        text: &str,
        nodes: &HashMap<String, usize>,
        params: &mut dyn FnMut(&str) -> usize,
    ) -> Result<Expr, ParseError> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            at: 0,
            nodes,
            params,
            depth: 0,
        };
        let expr = parser.conditional()?;
        match parser.tokens.get(parser.at) {
            None => Ok(expr),
            Some((token, column)) => Err(ParseError {
                column: *column,
                message: format!("unexpected {token} after a complete expression"),
            }),
        }
    }
}

/// Why a rule does not parse, and where (1-based column within the rule's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(f64),
    Name(String),
    Param(String),
    Logic,
    Op(Op),
    Not,
    Minus,
    Plus,
    Question,
    Colon,
    Open,
    Close,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Num(x) => write!(f, "{x}"),
            Token::Name(n) => write!(f, "{n:?}"),
            Token::Param(n) => write!(f, "${n}"),
            Token::Logic => write!(f, "@logic"),
            Token::Op(op) => write!(f, "{:?}", op.symbol()),
            Token::Not => write!(f, "\"!\""),
            Token::Minus => write!(f, "\"-\""),
            Token::Plus => write!(f, "\"+\""),
            Token::Question => write!(f, "\"?\""),
            Token::Colon => write!(f, "\":\""),
            Token::Open => write!(f, "\"(\""),
            Token::Close => write!(f, "\")\""),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let next = chars.get(i + 1).copied();
        let (token, width) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '&' if next == Some('&') => (Token::Op(Op::And), 2),
            '|' if next == Some('|') => (Token::Op(Op::Or), 2),
            '=' if next == Some('=') => (Token::Op(Op::Eq), 2),
            '!' if next == Some('=') => (Token::Op(Op::Ne), 2),
            '<' if next == Some('=') => (Token::Op(Op::Le), 2),
            '>' if next == Some('=') => (Token::Op(Op::Ge), 2),
            '&' => (Token::Op(Op::And), 1),
            '|' => (Token::Op(Op::Or), 1),
            '^' => (Token::Op(Op::Xor), 1),
            '<' => (Token::Op(Op::Lt), 1),
            '>' => (Token::Op(Op::Gt), 1),
            '*' => (Token::Op(Op::Mul), 1),
            '/' => (Token::Op(Op::Div), 1),
            '!' => (Token::Not, 1),
            '-' => (Token::Minus, 1),
            '+' => (Token::Plus, 1),
            '?' => (Token::Question, 1),
            ':' => (Token::Colon, 1),
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            '$' | '@' => {
                let end = (i + 1..chars.len())
                    .find(|&j| !is_name_char(chars[j]))
                    .unwrap_or(chars.len());
                let name: String = chars[i + 1..end].iter().collect();
                if name.is_empty() {
                    return Err(ParseError {
                        column,
                        message: format!("{c} must be followed by a name"),
                    });
                }
                let token = if c == '$' {
                    Token::Param(name)
                } else if name == "logic" {
                    Token::Logic
                } else {
                    return Err(ParseError {
                        column,
                        message: format!("@{name} is not known (only @logic is)"),
                    });
                };
                (token, end - i)
            }
            c if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let mut end = i;
                while end < chars.len()
                    && (chars[end].is_ascii_digit()
                        || chars[end] == '.'
                        || ((chars[end] == 'e' || chars[end] == 'E') && end > i)
                        || ((chars[end] == '-' || chars[end] == '+')
                            && end > i
                            && (chars[end - 1] == 'e' || chars[end - 1] == 'E')))
                {
                    end += 1;
                }
                // A name that starts with digits (rare, but legal in some files) stays a name.
                if end < chars.len() && is_name_char(chars[end]) {
                    let stop = (end..chars.len())
                        .find(|&j| !is_name_char(chars[j]))
                        .unwrap_or(chars.len());
                    (Token::Name(chars[i..stop].iter().collect()), stop - i)
                } else {
                    let text: String = chars[i..end].iter().collect();
                    let value = text.parse::<f64>().map_err(|_| ParseError {
                        column,
                        message: format!("{text:?} is not a number"),
                    })?;
                    (Token::Num(value), end - i)
                }
            }
            c if is_name_char(c) => {
                let end = (i..chars.len())
                    .find(|&j| !is_name_char(chars[j]))
                    .unwrap_or(chars.len());
                let name: String = chars[i..end].iter().collect();
                let token = match name.as_str() {
                    "AND" | "and" => Token::Op(Op::And),
                    "OR" | "or" => Token::Op(Op::Or),
                    "XOR" | "xor" => Token::Op(Op::Xor),
                    "NOT" | "not" => Token::Not,
                    "true" | "TRUE" | "True" => Token::Num(1.0),
                    "false" | "FALSE" | "False" => Token::Num(0.0),
                    _ => Token::Name(name),
                };
                (token, end - i)
            }
            other => {
                return Err(ParseError {
                    column,
                    message: format!("unexpected character {other:?}"),
                })
            }
        };
        tokens.push((token, column));
        i += width;
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<(Token, usize)>,
    at: usize,
    nodes: &'a HashMap<String, usize>,
    params: &'a mut dyn FnMut(&str) -> usize,
    /// How deep the recursion is: a hostile rule must not overflow the stack.
    depth: usize,
}

/// Deepest nesting of parentheses and prefix operators a rule may have (published models
/// nest a few hundred deep at most).
const MAX_DEPTH: usize = 1000;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.at)
            .map(|(_, c)| *c)
            .or_else(|| self.tokens.last().map(|(_, c)| c + 1))
            .unwrap_or(1)
    }

    fn error<T>(&self, message: String) -> Result<T, ParseError> {
        Err(ParseError {
            column: self.column(),
            message,
        })
    }

    fn expect(&mut self, token: Token) -> Result<(), ParseError> {
        if self.peek() == Some(&token) {
            self.at += 1;
            Ok(())
        } else {
            let found = self.peek().map_or("the end".to_owned(), |t| t.to_string());
            self.error(format!("expected {token}, found {found}"))
        }
    }

    fn conditional(&mut self) -> Result<Expr, ParseError> {
        let condition = self.binary(1)?;
        if self.peek() != Some(&Token::Question) {
            return Ok(condition);
        }
        self.at += 1;
        let then = self.conditional()?;
        self.expect(Token::Colon)?;
        let otherwise = self.conditional()?;
        Ok(Expr::Cond(
            Box::new(condition),
            Box::new(then),
            Box::new(otherwise),
        ))
    }

    /// Precedence climbing over the binary operators; `+` and `-` are tokens of their own
    /// because they are also unary.
    fn binary(&mut self, min: u8) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Token::Op(op)) => *op,
                Some(Token::Plus) => Op::Add,
                Some(Token::Minus) => Op::Sub,
                _ => return Ok(left),
            };
            if op.precedence() < min {
                return Ok(left);
            }
            self.at += 1;
            let right = self.binary(op.precedence() + 1)?;
            if matches!(op, Op::And | Op::Or) {
                // A long chain `a | b | c | …` becomes a balanced tree, not a list thousands
                // deep that every recursive walk would have to descend.
                let mut operands = vec![left, right];
                while self.peek() == Some(&Token::Op(op)) {
                    self.at += 1;
                    operands.push(self.binary(op.precedence() + 1)?);
                }
                left = balanced(op, operands);
                continue;
            }
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.depth >= MAX_DEPTH {
            return self.error(format!("the rule nests deeper than {MAX_DEPTH} levels"));
        }
        self.depth += 1;
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Some(Token::Not) => {
                self.at += 1;
                Ok(Expr::not(self.unary()?))
            }
            Some(Token::Minus) => {
                self.at += 1;
                Ok(match self.unary()? {
                    Expr::Num(x) => Expr::Num(-x),
                    other => Expr::Neg(Box::new(other)),
                })
            }
            Some(Token::Plus) => {
                self.at += 1;
                self.unary()
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(token) = self.peek().cloned() else {
            return self.error("the expression ends too early".into());
        };
        let expr = match token {
            Token::Num(x) => Expr::Num(x),
            Token::Logic => Expr::Logic,
            Token::Param(name) => Expr::Param((self.params)(&name)),
            Token::Name(name) => match self.nodes.get(&name) {
                Some(i) => Expr::Node(*i),
                None => return self.error(format!("{name:?} is not a node of the model")),
            },
            Token::Open => {
                self.at += 1;
                let inner = self.conditional()?;
                self.expect(Token::Close)?;
                return Ok(inner);
            }
            other => return self.error(format!("unexpected {other}")),
        };
        self.at += 1;
        Ok(expr)
    }
}

/// `operands` joined by an associative operator as a balanced tree.
fn balanced(op: Op, mut operands: Vec<Expr>) -> Expr {
    while operands.len() > 1 {
        let mut next = Vec::with_capacity(operands.len().div_ceil(2));
        let mut items = operands.into_iter();
        while let Some(a) = items.next() {
            next.push(match items.next() {
                Some(b) => Expr::Binary(op, Box::new(a), Box::new(b)),
                None => a,
            });
        }
        operands = next;
    }
    operands.pop().unwrap_or(Expr::constant(op == Op::And))
}

struct Shown<'a> {
    expr: &'a Expr,
    model: &'a LogicalModel,
}

impl Shown<'_> {
    fn write(&self, e: &Expr, f: &mut fmt::Formatter<'_>, outer: u8) -> fmt::Result {
        match e {
            Expr::Num(x) => write!(f, "{x}"),
            Expr::Node(i) => match self.model.nodes.get(*i) {
                Some(n) => f.write_str(&n.name),
                None => write!(f, "#{i}"),
            },
            Expr::Param(i) => match self.model.parameters.get(*i) {
                Some(p) => write!(f, "${}", p.name),
                None => write!(f, "$#{i}"),
            },
            Expr::Logic => f.write_str("@logic"),
            Expr::Not(a) => {
                f.write_str("!")?;
                self.write(a, f, 8)
            }
            Expr::Neg(a) => {
                f.write_str("-")?;
                self.write(a, f, 8)
            }
            Expr::Binary(op, a, b) => {
                let p = op.precedence();
                if p < outer {
                    f.write_str("(")?;
                }
                self.write(a, f, p)?;
                write!(f, " {} ", op.symbol())?;
                // Left-associative: the right operand binds tighter, except for `&` and `|`,
                // which are associative (chains are read as balanced trees).
                let right = if matches!(op, Op::And | Op::Or) {
                    p
                } else {
                    p + 1
                };
                self.write(b, f, right)?;
                if p < outer {
                    f.write_str(")")?;
                }
                Ok(())
            }
            Expr::Cond(c, a, b) => {
                if outer > 0 {
                    f.write_str("(")?;
                }
                self.write(c, f, 1)?;
                f.write_str(" ? ")?;
                self.write(a, f, 0)?;
                f.write_str(" : ")?;
                self.write(b, f, 0)?;
                if outer > 0 {
                    f.write_str(")")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(self.expr, f, 0)
    }
}

/// One node: its update rule and, when the model says, its up and down rates.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalNode {
    pub name: String,
    pub rule: Expr,
    /// The rate at which the node turns on (default: 1 when the rule holds, else 0).
    pub rate_up: Option<Expr>,
    /// The rate at which the node turns off (default: 1 when the rule fails, else 0).
    pub rate_down: Option<Expr>,
}

/// How a node's rates change (see [`LogicalModel::with_rates_scaled`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RateScale {
    /// The factor on the up rate.
    pub up: f64,
    /// The part of the (unscaled) up rate added to the down rate.
    pub off: f64,
}

/// A named parameter and its value (`$TransRate = 1/24`).
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub value: f64,
}

/// A Boolean network: nodes in the order they were given, and the parameters of its rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogicalModel {
    pub nodes: Vec<LogicalNode>,
    pub parameters: Vec<Parameter>,
}

impl LogicalModel {
    pub fn index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    pub fn node(&self, name: &str) -> Option<&LogicalNode> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Node names to indices, for parsing rules.
    pub fn names(&self) -> HashMap<String, usize> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect()
    }

    /// The inputs: nodes whose rule is the node itself.
    pub fn inputs(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].rule == Expr::Node(i))
            .collect()
    }

    /// The same model with some nodes held at a value (an input set, a mutation, a drug's
    /// target switched off): their rules become constants and, in stochastic runs, they
    /// neither turn on nor off.
    pub fn with_fixed(&self, fixed: &[(String, bool)]) -> Result<LogicalModel, String> {
        let mut model = self.clone();
        for (name, value) in fixed {
            let node = model
                .nodes
                .iter_mut()
                .find(|n| n.name == *name)
                .ok_or_else(|| format!("the model has no node {name:?}"))?;
            node.rule = Expr::constant(*value);
            node.rate_up = None;
            node.rate_down = None;
        }
        Ok(model)
    }

    /// The same model with some nodes' rates scaled, as a drug's partial occupancy or a
    /// twin's age or microbiome asks: each `(node, scale)` turns the node's up rate `u` into
    /// `scale.up · u` and its down rate `d` into `d + scale.off · u`. With `up = 1 − f` and
    /// `off = f`, a node whose rule holds is on a fraction `1 − f` of the time (the unbound
    /// fraction of a target at occupancy `f`); applied twice, the fractions multiply, as for
    /// independent binding. A held node (see [`with_fixed`](Self::with_fixed)) is scaled too.
    pub fn with_rates_scaled(
        &self,
        scales: &[(String, RateScale)],
    ) -> Result<LogicalModel, String> {
        let mut model = self.clone();
        let times = |a: f64, e: Expr| Expr::Binary(Op::Mul, Box::new(Expr::Num(a)), Box::new(e));
        for (name, scale) in scales {
            if !(scale.up.is_finite()
                && scale.up >= 0.0
                && scale.off.is_finite()
                && scale.off >= 0.0)
            {
                return Err(format!(
                    "the rate scale of {name:?} must be finite and not negative (up {}, off {})",
                    scale.up, scale.off
                ));
            }
            let node = model
                .nodes
                .iter_mut()
                .find(|n| n.name == *name)
                .ok_or_else(|| format!("the model has no node {name:?}"))?;
            // MaBoSS's defaults, written out: up at 1 when the rule holds, down at 1 when not.
            let up = node.rate_up.take().unwrap_or_else(|| {
                Expr::Cond(
                    Box::new(Expr::Logic),
                    Box::new(Expr::Num(1.0)),
                    Box::new(Expr::Num(0.0)),
                )
            });
            let down = node.rate_down.take().unwrap_or_else(|| {
                Expr::Cond(
                    Box::new(Expr::Logic),
                    Box::new(Expr::Num(0.0)),
                    Box::new(Expr::Num(1.0)),
                )
            });
            node.rate_down = Some(if scale.off > 0.0 {
                Expr::Binary(
                    Op::Add,
                    Box::new(down),
                    Box::new(times(scale.off, up.clone())),
                )
            } else {
                down
            });
            node.rate_up = Some(times(scale.up, up));
        }
        Ok(model)
    }

    /// A model from `(node, rule)` pairs in BoolNet syntax; `Err` gives the index of the pair
    /// whose rule does not parse, and why.
    pub fn from_rules<S: AsRef<str>>(
        rules: &[(S, S)],
    ) -> Result<LogicalModel, (usize, ParseError)> {
        let mut model = LogicalModel {
            nodes: rules
                .iter()
                .map(|(name, _)| LogicalNode {
                    name: name.as_ref().to_owned(),
                    rule: Expr::Num(0.0),
                    rate_up: None,
                    rate_down: None,
                })
                .collect(),
            parameters: Vec::new(),
        };
        let names = model.names();
        let mut parameters = Vec::new();
        for (i, (_, rule)) in rules.iter().enumerate() {
            let mut intern = |p: &str| {
                parameters.push(p.to_owned());
                parameters.len() - 1
            };
            model.nodes[i].rule =
                Expr::parse(rule.as_ref(), &names, &mut intern).map_err(|e| (i, e))?;
            if let Some(p) = parameters.first() {
                let message = format!("${p}: a Boolean rule has no parameters");
                return Err((i, ParseError { column: 1, message }));
            }
        }
        Ok(model)
    }

    /// A parameter's index, adding it (with no value yet, NaN) when it is new.
    pub fn parameter(&mut self, name: &str) -> usize {
        match self.parameters.iter().position(|p| p.name == name) {
            Some(i) => i,
            None => {
                self.parameters.push(Parameter {
                    name: name.to_owned(),
                    value: f64::NAN,
                });
                self.parameters.len() - 1
            }
        }
    }

    /// The rule of node `i` as text.
    pub fn rule_text(&self, i: usize) -> String {
        self.nodes[i].rule.display(self).to_string()
    }

    /// The model in BoolNet's `.bnet` syntax; `Err` names a node whose rule is not Boolean.
    pub fn to_bnet(&self) -> Result<String, String> {
        let mut text = String::from("targets, factors\n");
        for (i, n) in self.nodes.iter().enumerate() {
            if !n.rule.is_boolean() {
                return Err(format!(
                    "the rule of {} is not Boolean (it uses arithmetic, comparisons or parameters): {}",
                    n.name,
                    self.rule_text(i)
                ));
            }
            let rule = match n.rule.as_constant() {
                Some(v) => if v { "true" } else { "false" }.to_owned(),
                None => self.rule_text(i),
            };
            text.push_str(&format!("{}, {}\n", n.name, rule));
        }
        Ok(text)
    }
}

/// A joint initial distribution over some nodes: each choice is a probability (weights are
/// normalised) and the nodes' values.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialState {
    pub nodes: Vec<usize>,
    pub choices: Vec<(f64, Vec<bool>)>,
}

/// How a continuous-time stochastic run is set up (MaBoSS's `.cfg`).
#[derive(Debug, Clone, PartialEq)]
pub struct StochasticSettings {
    pub max_time: f64,
    /// The width of the windows over which probabilities are averaged.
    pub time_tick: f64,
    /// Trajectories.
    pub sample_count: usize,
    pub seed: u64,
    /// Worker threads; the numbers do not depend on it.
    pub threads: usize,
    /// Unit time steps instead of exponential waiting times.
    pub discrete_time: bool,
    /// Per node: hidden from the reported states (still simulated).
    pub internal: Vec<bool>,
    /// Per node: the reference value for Hamming distances, if any.
    pub refstate: Vec<Option<bool>>,
    /// Initial distributions; a node in none starts at 0 or 1 with equal probability, as in
    /// MaBoSS.
    pub initial: Vec<InitialState>,
}

impl StochasticSettings {
    /// MaBoSS's defaults for a model of `nodes` nodes.
    pub fn for_nodes(nodes: usize) -> StochasticSettings {
        StochasticSettings {
            max_time: 10.0,
            time_tick: 1.0,
            sample_count: 10_000,
            seed: 0,
            threads: 1,
            discrete_time: false,
            internal: vec![false; nodes],
            refstate: vec![None; nodes],
            initial: Vec::new(),
        }
    }

    /// Sets the initial distribution of some nodes, replacing what was said of them before.
    pub fn set_initial(&mut self, state: InitialState) {
        self.initial
            .retain(|s| !s.nodes.iter().any(|n| state.nodes.contains(n)));
        self.initial.push(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> HashMap<String, usize> {
        list.iter()
            .enumerate()
            .map(|(i, n)| ((*n).to_owned(), i))
            .collect()
    }

    #[test]
    fn rules_and_rates_parse_evaluate_and_print_back() {
        let nodes = names(&["A", "B", "C"]);
        let mut params = Vec::new();
        let mut intern = |p: &str| {
            params.push(p.to_owned());
            params.len() - 1
        };
        let rule = Expr::parse("A & !B | C AND NOT A", &nodes, &mut intern).expect("parses");
        let state = [true, false, false];
        assert!(rule.holds(&|i| state[i]));
        let rate = Expr::parse("@logic ? $u_A * 2 : (0)", &nodes, &mut intern).expect("parses");
        assert_eq!(rate.eval(&|_| false, &[1.5], true), 3.0);
        assert_eq!(rate.eval(&|_| false, &[1.5], false), 0.0);
        let model = LogicalModel {
            nodes: ["A", "B", "C"]
                .iter()
                .map(|n| LogicalNode {
                    name: (*n).into(),
                    rule: Expr::Num(0.0),
                    rate_up: None,
                    rate_down: None,
                })
                .collect(),
            parameters: vec![Parameter {
                name: "u_A".into(),
                value: 1.5,
            }],
        };
        assert_eq!(rule.display(&model).to_string(), "A & !B | C & !A");
        let grouped = Expr::parse("(A | B) & C", &nodes, &mut intern).expect("parses");
        assert_eq!(grouped.display(&model).to_string(), "(A | B) & C");
        assert_eq!(rate.display(&model).to_string(), "@logic ? $u_A * 2 : 0");
        let err = Expr::parse("A & D", &nodes, &mut intern).expect_err("D is unknown");
        assert_eq!(err.column, 5);
        assert!(Expr::parse("A & (B", &nodes, &mut intern).is_err());
        assert!(
            Expr::parse("1/24", &nodes, &mut intern)
                .expect("number")
                .eval(&|_| false, &[], false)
                > 0.04
        );
    }

    #[test]
    fn long_chains_stay_shallow_and_deep_nesting_is_refused() {
        let names: Vec<String> = (0..5000).map(|i| format!("n{i}")).collect();
        let index: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let chain = names.join(" | ");
        let rule = Expr::parse(&chain, &index, &mut |_| 0).expect("parses");
        assert!(rule.holds(&|i| i == 4999));
        assert!(!rule.holds(&|_| false));
        let deep = format!("{}n0{}", "(".repeat(5000), ")".repeat(5000));
        let err = Expr::parse(&deep, &index, &mut |_| 0).expect_err("too deep");
        assert!(err.message.contains("deeper"), "{err}");
        assert!(Expr::parse(&"!".repeat(5000), &index, &mut |_| 0).is_err());
    }

    #[test]
    fn substitution_percolates_constants() {
        let nodes = names(&["A", "B", "C"]);
        let rule = Expr::parse("A & !B | C", &nodes, &mut |_| 0).expect("parses");
        assert_eq!(rule.substitute(&[Some(false), None, None]), Expr::Node(2));
        assert_eq!(
            rule.substitute(&[None, None, Some(true)]),
            Expr::constant(true)
        );
    }
}
