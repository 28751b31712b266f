//! How is a whole model's math evaluated in one go, fast? Many expressions (every assignment
//! rule, reaction rate and derivative of a model, or every entry of its Jacobian) compiled
//! together into one [`Tape`]: a flat list of three-address instructions over one register
//! array, whose first registers are the caller's value slots.
//!
//! Compared with one [`super::Program`] per expression this saves, per evaluation: a call, a
//! bounds check and a stack per expression; the loads (operands are registers, constants
//! included, so `k * A * B` is two instructions); repeated work (identical subexpressions,
//! such as the shared factors of Jacobian entries, are computed once); and constant
//! arithmetic (folded when the tape is built). Temporaries share registers once they are no
//! longer needed, so the array stays small enough for the cache.
//!
//! The arithmetic is the evaluator's own (`super::eval`), each operation is the one
//! [`Expr::eval`] performs, in the same order, and folding uses the same functions: a tape
//! gives bit for bit the values [`Expr::eval`] gives (NaN payloads aside). Only rewrites exact
//! in IEEE arithmetic are made (`x·1 = x`, `−1·x = −x`, `a + (−b) = a − b`).

use std::collections::HashMap;

use super::eval;
use super::{BinaryOp, Expr, MathError, NaryOp, Piece, UnaryOp, AVOGADRO};

/// A register: an index into the array a tape runs over.
type Reg = u32;

/// One instruction: `d` is written, `a`, `b`, `c` are read.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Copy {
        d: Reg,
        a: Reg,
    },
    Add {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Sub {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Mul {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Div {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    /// `a + b·c`, rounded twice, as a sum with a product term evaluates: the shape of every
    /// mass-balance term.
    MulAdd {
        d: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// `a − b·c`.
    MulSub {
        d: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
    },
    Neg {
        d: Reg,
        a: Reg,
    },
    Pow {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Unary {
        op: UnaryOp,
        d: Reg,
        a: Reg,
    },
    Binary {
        op: BinaryOp,
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Max {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Min {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Eq {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Gt {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Lt {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Geq {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Leq {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    And {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Or {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Xor {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    /// `±t₁ ± t₂ ± …`, a left fold over `terms[start..start + len]` (register, ±1): a mass
    /// balance in one instruction. `acc + (−1)·x` is `acc − x` exactly.
    Sum {
        d: Reg,
        start: u32,
        len: u32,
    },
    /// Jumps to `to` when `a` is false (0).
    JumpIfFalse {
        a: Reg,
        to: u32,
    },
    Jump {
        to: u32,
    },
}

impl Op {
    /// The register written, if any.
    fn dst(&self) -> Option<Reg> {
        use Op::*;
        match *self {
            Copy { d, .. } | Neg { d, .. } | Unary { d, .. } => Some(d),
            Add { d, .. } | Sub { d, .. } | Mul { d, .. } | Div { d, .. } | Pow { d, .. } => {
                Some(d)
            }
            MulAdd { d, .. } | MulSub { d, .. } | Binary { d, .. } | Max { d, .. } => Some(d),
            Min { d, .. } | Eq { d, .. } | Gt { d, .. } | Lt { d, .. } | Geq { d, .. } => Some(d),
            Leq { d, .. } | And { d, .. } | Or { d, .. } | Xor { d, .. } => Some(d),
            Sum { d, .. } => Some(d),
            JumpIfFalse { .. } | Jump { .. } => None,
        }
    }

    /// Applies `f` to every register read (a sum's in `terms`), then `g` to the register
    /// written.
    fn map(
        &mut self,
        terms: &mut [(Reg, f64)],
        f: &mut dyn FnMut(Reg) -> Reg,
        g: &mut dyn FnMut(Reg) -> Reg,
    ) {
        use Op::*;
        match self {
            Sum { d, start, len } => {
                let (start, len) = (*start as usize, *len as usize);
                for t in terms.iter_mut().skip(start).take(len) {
                    t.0 = f(t.0);
                }
                *d = g(*d);
            }
            Copy { d, a } | Neg { d, a } | Unary { d, a, .. } => {
                *a = f(*a);
                *d = g(*d);
            }
            Add { d, a, b }
            | Sub { d, a, b }
            | Mul { d, a, b }
            | Div { d, a, b }
            | Pow { d, a, b }
            | Binary { d, a, b, .. }
            | Max { d, a, b }
            | Min { d, a, b }
            | Eq { d, a, b }
            | Gt { d, a, b }
            | Lt { d, a, b }
            | Geq { d, a, b }
            | Leq { d, a, b }
            | And { d, a, b }
            | Or { d, a, b }
            | Xor { d, a, b } => {
                *a = f(*a);
                *b = f(*b);
                *d = g(*d);
            }
            MulAdd { d, a, b, c } | MulSub { d, a, b, c } => {
                *a = f(*a);
                *b = f(*b);
                *c = f(*c);
                *d = g(*d);
            }
            JumpIfFalse { a, .. } => *a = f(*a),
            Jump { .. } => {}
        }
    }
}

/// Many expressions compiled together; see the module notes.
#[derive(Clone, Debug)]
pub struct Tape {
    code: Vec<Op>,
    /// The terms of the `Sum` instructions.
    terms: Vec<(Reg, f64)>,
    /// The caller's value slots: registers `0..slots`.
    slots: usize,
    /// The register holding the time.
    time: usize,
    /// Registers `time + 1..` hold these constants.
    constants: Vec<f64>,
    /// How long the register array must be.
    registers: usize,
    /// (output index, register) for [`Tape::run`]'s `out`.
    outputs: Vec<(usize, Reg)>,
    /// One more than the largest output index.
    n_outputs: usize,
}

/// What a virtual register of a tape being built stands for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    /// A caller's slot (its number is the register's).
    Slot,
    Time,
    Constant(f64),
    /// Computed by the tape: held in a temporary register, or in `home` when it is what a
    /// slot is assigned.
    Temporary {
        home: Option<Reg>,
    },
}

/// An instruction's identity for sharing: what it computes from which registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    kind: u8,
    sub: u8,
    a: Reg,
    b: Reg,
    c: Reg,
}

/// A term of a sum being compiled.
#[derive(Clone, Copy)]
enum Term {
    /// ±register
    Value(Reg, f64),
    /// ±a·b, not yet multiplied
    Product(Reg, Reg, f64),
}

/// Builds a [`Tape`]: expressions are added in the order they are to be evaluated.
pub struct TapeBuilder {
    slots: usize,
    /// Virtual registers `slots + 1 + i`: `values[i]`. (`0..slots` are slots, `slots` time.)
    values: Vec<Value>,
    constants: HashMap<u64, Reg>,
    code: Vec<Op>,
    terms: Vec<(Reg, f64)>,
    /// Instructions already emitted, by what they compute: identical subexpressions share one.
    shared: HashMap<Key, Reg>,
    /// The entries added to `shared` inside each branch being emitted: a branch may not run,
    /// so what it computed is forgotten when it ends.
    scopes: Vec<Vec<Key>>,
    /// Slots some shared instruction reads: assigning one of them makes those stale.
    read_by_shared: Vec<bool>,
    /// Slots assigned so far.
    assigned: Vec<bool>,
    /// Per slot, the last instruction that reads it.
    last_slot_read: Vec<Option<usize>>,
    /// Per value (as `values`), the first instruction that writes it.
    defined_at: Vec<usize>,
    /// Per slot, the register later reads of it go to: a slot assigned a register's value
    /// as it is (a species' amount as its value) is read from that register.
    alias: Vec<Option<Reg>>,
    /// Whether assigned slots must hold their values after a run (else they are scratch,
    /// and a slot merely assigned another register's value is not written at all).
    keep_slots: bool,
    outputs: Vec<(usize, Reg)>,
}

fn unsupported(what: String) -> MathError {
    MathError::Unsupported {
        operation: "compile",
        construct: what,
    }
}

fn reg(index: usize) -> Result<Reg, MathError> {
    Reg::try_from(index).map_err(|_| unsupported("an expression this large".into()))
}

/// The kinds of instruction that compute one value from registers (for `Key::kind`).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Add,
    Sub,
    Mul,
    Div,
    MulAdd,
    MulSub,
    Neg,
    Pow,
    Unary(UnaryOp),
    Binary(BinaryOp),
    Max,
    Min,
    Eq,
    Gt,
    Lt,
    Geq,
    Leq,
    And,
    Or,
    Xor,
}

impl Kind {
    fn key(self, a: Reg, b: Reg, c: Reg) -> Key {
        let (kind, sub) = match self {
            Kind::Add => (0, 0),
            Kind::Sub => (1, 0),
            Kind::Mul => (2, 0),
            Kind::Div => (3, 0),
            Kind::MulAdd => (4, 0),
            Kind::MulSub => (5, 0),
            Kind::Neg => (6, 0),
            Kind::Pow => (7, 0),
            Kind::Unary(op) => (8, op as u8),
            Kind::Binary(op) => (9, op as u8),
            Kind::Max => (10, 0),
            Kind::Min => (11, 0),
            Kind::Eq => (12, 0),
            Kind::Gt => (13, 0),
            Kind::Lt => (14, 0),
            Kind::Geq => (15, 0),
            Kind::Leq => (16, 0),
            Kind::And => (17, 0),
            Kind::Or => (18, 0),
            Kind::Xor => (19, 0),
        };
        // IEEE addition and multiplication commute exactly, and so do these: one order.
        let (a, b) = match self {
            Kind::Add | Kind::Mul | Kind::Eq | Kind::And | Kind::Or | Kind::Xor if b < a => (b, a),
            _ => (a, b),
        };
        Key { kind, sub, a, b, c }
    }

    fn op(self, d: Reg, a: Reg, b: Reg, c: Reg) -> Op {
        match self {
            Kind::Add => Op::Add { d, a, b },
            Kind::Sub => Op::Sub { d, a, b },
            Kind::Mul => Op::Mul { d, a, b },
            Kind::Div => Op::Div { d, a, b },
            Kind::MulAdd => Op::MulAdd { d, a, b, c },
            Kind::MulSub => Op::MulSub { d, a, b, c },
            Kind::Neg => Op::Neg { d, a },
            Kind::Pow => Op::Pow { d, a, b },
            Kind::Unary(op) => Op::Unary { op, d, a },
            Kind::Binary(op) => Op::Binary { op, d, a, b },
            Kind::Max => Op::Max { d, a, b },
            Kind::Min => Op::Min { d, a, b },
            Kind::Eq => Op::Eq { d, a, b },
            Kind::Gt => Op::Gt { d, a, b },
            Kind::Lt => Op::Lt { d, a, b },
            Kind::Geq => Op::Geq { d, a, b },
            Kind::Leq => Op::Leq { d, a, b },
            Kind::And => Op::And { d, a, b },
            Kind::Or => Op::Or { d, a, b },
            Kind::Xor => Op::Xor { d, a, b },
        }
    }

    /// The value, for constant operands: the evaluator's arithmetic.
    fn fold(self, a: f64, b: f64, c: f64) -> f64 {
        let truth = eval::truth;
        let from_bool = eval::from_bool;
        match self {
            Kind::Add => a + b,
            Kind::Sub => a - b,
            Kind::Mul => a * b,
            Kind::Div => a / b,
            Kind::MulAdd => a + b * c,
            Kind::MulSub => a - b * c,
            Kind::Neg => -a,
            Kind::Pow => a.powf(b),
            Kind::Unary(op) => eval::unary(op, a),
            Kind::Binary(op) => eval::binary(op, a, b),
            Kind::Max => eval::max2(a, b),
            Kind::Min => eval::min2(a, b),
            Kind::Eq => from_bool(a == b),
            Kind::Gt => from_bool(a > b),
            Kind::Lt => from_bool(a < b),
            Kind::Geq => from_bool(a >= b),
            Kind::Leq => from_bool(a <= b),
            Kind::And => from_bool(truth(a) && truth(b)),
            Kind::Or => from_bool(truth(a) || truth(b)),
            Kind::Xor => from_bool(truth(a) != truth(b)),
        }
    }
}

impl TapeBuilder {
    /// A tape over `slots` value slots (the registers `0..slots` of the array it runs over).
    pub fn new(slots: usize) -> Self {
        TapeBuilder {
            slots,
            values: Vec::new(),
            constants: HashMap::new(),
            code: Vec::new(),
            terms: Vec::new(),
            shared: HashMap::new(),
            scopes: Vec::new(),
            read_by_shared: vec![false; slots],
            assigned: vec![false; slots],
            last_slot_read: vec![None; slots],
            defined_at: Vec::new(),
            alias: vec![None; slots],
            keep_slots: true,
            outputs: Vec::new(),
        }
    }

    /// A tape whose assigned slots are scratch: after a run they need not hold their
    /// values (a caller that wants only the outputs).
    pub fn scratch(slots: usize) -> Self {
        TapeBuilder {
            keep_slots: false,
            ..TapeBuilder::new(slots)
        }
    }

    /// Evaluates `expr` into `slot`, where later expressions read it. `resolve` gives each
    /// symbol's slot. Errors as [`super::Program::compile`] does.
    pub fn assign(
        &mut self,
        slot: usize,
        expr: &Expr,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<(), MathError> {
        if slot >= self.slots {
            return Err(unsupported(format!("an assignment to slot {slot}")));
        }
        let v = self.expr(expr, resolve)?;
        let target = reg(slot)?;
        if self.read_by_shared[slot] {
            // Shared instructions read the slot's earlier value: they no longer stand for
            // what they computed. (Definitions in dependency order never get here.)
            self.shared.clear();
            for s in self.scopes.iter_mut() {
                s.clear();
            }
            self.read_by_shared.iter_mut().for_each(|r| *r = false);
        }
        let i = (v as usize).wrapping_sub(self.slots + 1);
        if !matches!(self.value(v), Value::Temporary { .. }) && !self.assigned[slot] {
            // a slot, the time or a constant: read from where it is
            self.alias[slot] = Some(v);
            self.assigned[slot] = true;
            if self.keep_slots {
                self.emit(Op::Copy { d: target, a: v });
            }
            return Ok(());
        }
        // The instruction that computed the value can write the slot directly, unless the
        // slot's earlier value is still read after it.
        let direct = matches!(self.value(v), Value::Temporary { home: None })
            && !self.assigned[slot]
            && self.last_slot_read[slot].is_none_or(|at| at < self.defined_at[i]);
        if direct {
            self.values[i] = Value::Temporary { home: Some(target) };
        } else {
            self.emit(Op::Copy { d: target, a: v });
        }
        self.assigned[slot] = true;
        Ok(())
    }

    /// Evaluates `expr` into [`Tape::run`]'s `out[index]`.
    pub fn output(
        &mut self,
        index: usize,
        expr: &Expr,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<(), MathError> {
        let v = self.expr(expr, resolve)?;
        self.outputs.push((index, v));
        Ok(())
    }

    fn value(&self, v: Reg) -> Value {
        let v = v as usize;
        if v < self.slots {
            Value::Slot
        } else if v == self.slots {
            Value::Time
        } else {
            self.values[v - self.slots - 1]
        }
    }

    fn constant_of(&self, v: Reg) -> Option<f64> {
        match self.value(v) {
            Value::Constant(c) => Some(c),
            _ => None,
        }
    }

    fn new_value(&mut self, value: Value) -> Result<Reg, MathError> {
        let r = reg(self.slots + 1 + self.values.len())?;
        self.values.push(value);
        // a temporary is written by the next instruction (a piecewise's result, by the first
        // branch's, later)
        self.defined_at.push(self.code.len());
        Ok(r)
    }

    /// Emits `op`, noting the slots it reads.
    fn emit(&mut self, op: Op) {
        let at = self.code.len();
        let mut op2 = op;
        let slots = self.slots;
        let reads = &mut self.last_slot_read;
        op2.map(
            &mut self.terms,
            &mut |r| {
                if (r as usize) < slots {
                    reads[r as usize] = Some(at);
                }
                r
            },
            &mut |r| r,
        );
        self.code.push(op);
    }

    fn constant(&mut self, c: f64) -> Result<Reg, MathError> {
        if let Some(&r) = self.constants.get(&c.to_bits()) {
            return Ok(r);
        }
        let r = self.new_value(Value::Constant(c))?;
        self.constants.insert(c.to_bits(), r);
        Ok(r)
    }

    fn time(&self) -> Result<Reg, MathError> {
        reg(self.slots)
    }

    /// The register holding `kind` of `a`, `b`, `c`: folded, shared, or newly computed.
    fn compute(&mut self, kind: Kind, a: Reg, b: Reg, c: Reg) -> Result<Reg, MathError> {
        let (ca, cb, cc) = (
            self.constant_of(a),
            self.constant_of(b),
            self.constant_of(c),
        );
        let unary = matches!(kind, Kind::Neg | Kind::Unary(_));
        let ternary = matches!(kind, Kind::MulAdd | Kind::MulSub);
        let all_constant = ca.is_some() && (unary || cb.is_some()) && (!ternary || cc.is_some());
        if all_constant {
            let folded = kind.fold(ca.unwrap_or(0.0), cb.unwrap_or(0.0), cc.unwrap_or(0.0));
            return self.constant(folded);
        }
        // Exact identities only.
        match kind {
            Kind::Mul if cb == Some(1.0) => return Ok(a),
            Kind::Mul if ca == Some(1.0) => return Ok(b),
            Kind::Mul if cb == Some(-1.0) => return self.compute(Kind::Neg, a, 0, 0),
            Kind::Mul if ca == Some(-1.0) => return self.compute(Kind::Neg, b, 0, 0),
            Kind::Div if cb == Some(1.0) => return Ok(a),
            _ => {}
        }
        let (b, c) = if unary {
            (0, 0)
        } else {
            (b, if ternary { c } else { 0 })
        };
        let key = kind.key(a, b, c);
        if let Some(&r) = self.shared.get(&key) {
            return Ok(r);
        }
        let d = self.new_value(Value::Temporary { home: None })?;
        self.emit(kind.op(d, a, b, c));
        self.shared.insert(key, d);
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(key);
        }
        let operands = if unary {
            1
        } else if ternary {
            3
        } else {
            2
        };
        for &r in &[a, b, c][..operands] {
            if let Some(flag) = self.read_by_shared.get_mut(r as usize) {
                *flag = true;
            }
        }
        Ok(d)
    }

    fn expr(
        &mut self,
        e: &Expr,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Reg, MathError> {
        match e {
            Expr::Number(v) => self.constant(*v),
            Expr::Boolean(b) => self.constant(eval::from_bool(*b)),
            Expr::Pi => self.constant(std::f64::consts::PI),
            Expr::ExponentialE => self.constant(std::f64::consts::E),
            Expr::Avogadro => self.constant(AVOGADRO),
            Expr::Time => self.time(),
            Expr::Symbol(name) => {
                let slot = resolve(name).ok_or_else(|| MathError::UnknownSymbol(name.clone()))?;
                match self.alias.get(slot) {
                    Some(Some(r)) => Ok(*r),
                    Some(None) => reg(slot),
                    None => Err(unsupported(format!(
                        "slot {slot} of `{name}` (beyond the tape's {} slots)",
                        self.slots
                    ))),
                }
            }
            Expr::Call(name, _) => Err(unsupported(format!(
                "a call of user function `{name}` (inline it first)"
            ))),
            Expr::Delay(..) => Err(unsupported("delay".into())),
            Expr::RateOf(_) => Err(unsupported("rateOf".into())),
            Expr::Unary(op, a) => {
                let a = self.expr(a, resolve)?;
                let kind = match op {
                    UnaryOp::Neg => Kind::Neg,
                    other => Kind::Unary(*other),
                };
                self.compute(kind, a, 0, 0)
            }
            Expr::Binary(BinaryOp::Minus, a, b) => {
                // a − y·z in one instruction
                let a = self.expr(a, resolve)?;
                match self.term(b, resolve)? {
                    Term::Product(y, z, sign) if sign > 0.0 => self.compute(Kind::MulSub, a, y, z),
                    // a − (−y·z) = a + y·z exactly
                    Term::Product(y, z, _) => self.compute(Kind::MulAdd, a, y, z),
                    Term::Value(y, sign) if sign > 0.0 => self.compute(Kind::Sub, a, y, 0),
                    // a − (−y) = a + y exactly
                    Term::Value(y, _) => self.compute(Kind::Add, a, y, 0),
                }
            }
            Expr::Binary(op, a, b) => {
                let a = self.expr(a, resolve)?;
                let b = self.expr(b, resolve)?;
                let kind = match op {
                    BinaryOp::Minus => Kind::Sub,
                    BinaryOp::Divide => Kind::Div,
                    BinaryOp::Power => Kind::Pow,
                    other => Kind::Binary(*other),
                };
                self.compute(kind, a, b, 0)
            }
            Expr::Nary(op, args) => self.nary(*op, args, resolve),
            Expr::Piecewise { pieces, otherwise } => {
                self.piecewise(pieces, otherwise.as_deref(), resolve)
            }
        }
    }

    fn nary(
        &mut self,
        op: NaryOp,
        args: &[Expr],
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Reg, MathError> {
        let Some((first, rest)) = args.split_first() else {
            return self.constant(match op {
                NaryOp::Plus | NaryOp::Or | NaryOp::Xor => 0.0,
                NaryOp::Times => 1.0,
                NaryOp::Max | NaryOp::Min => f64::NAN,
                // and, and relations of fewer than two arguments, hold vacuously
                _ => 1.0,
            });
        };
        match op {
            NaryOp::Plus => {
                // A left fold, the order Expr::eval uses, of the terms as ±registers.
                if args.len() <= 2 {
                    let mut terms = Vec::with_capacity(args.len());
                    for a in args {
                        terms.push(self.term(a, resolve)?);
                    }
                    return self.sum(terms);
                }
                let mut terms = Vec::with_capacity(args.len());
                for a in args {
                    let t = self.term(a, resolve)?;
                    terms.push(self.materialize(t)?);
                }
                self.long_sum(terms)
            }
            NaryOp::Times | NaryOp::Max | NaryOp::Min => {
                let kind = match op {
                    NaryOp::Times => Kind::Mul,
                    NaryOp::Max => Kind::Max,
                    _ => Kind::Min,
                };
                let mut acc = self.expr(first, resolve)?;
                for a in rest {
                    let v = self.expr(a, resolve)?;
                    acc = self.compute(kind, acc, v, 0)?;
                }
                Ok(acc)
            }
            NaryOp::And | NaryOp::Or | NaryOp::Xor => {
                // Every argument is evaluated (as Expr::eval does); the truth values combine
                // pairwise, which gives the same as all / any / odd count.
                let kind = match op {
                    NaryOp::And => Kind::And,
                    NaryOp::Or => Kind::Or,
                    _ => Kind::Xor,
                };
                let mut acc = self.expr(first, resolve)?;
                if rest.is_empty() {
                    // one argument: its truth value
                    let zero = self.constant(0.0)?;
                    return self.compute(Kind::Binary(BinaryOp::Neq), acc, zero, 0);
                }
                for a in rest {
                    let v = self.expr(a, resolve)?;
                    acc = self.compute(kind, acc, v, 0)?;
                }
                Ok(acc)
            }
            _ => {
                // A relation holds when every neighbour pair does.
                let kind = match op {
                    NaryOp::Eq => Kind::Eq,
                    NaryOp::Gt => Kind::Gt,
                    NaryOp::Lt => Kind::Lt,
                    NaryOp::Geq => Kind::Geq,
                    _ => Kind::Leq,
                };
                let mut left = self.expr(first, resolve)?;
                if rest.is_empty() {
                    return self.constant(1.0);
                }
                let mut acc: Option<Reg> = None;
                for a in rest {
                    let right = self.expr(a, resolve)?;
                    let holds = self.compute(kind, left, right, 0)?;
                    acc = Some(match acc {
                        None => holds,
                        Some(before) => self.compute(Kind::And, before, holds, 0)?,
                    });
                    left = right;
                }
                acc.map_or_else(|| self.constant(1.0), Ok)
            }
        }
    }

    /// A term of a sum: `(−1)·y` and `−y` as y subtracted, `(−x)·y` as x·y subtracted
    /// (exactly the same value), a product left unmultiplied.
    fn term(
        &mut self,
        term: &Expr,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Term, MathError> {
        let start = self.code.len();
        match term {
            Expr::Nary(NaryOp::Times, factors) if factors.len() >= 2 => {
                let (last, init) = factors.split_last().unwrap_or((term, &[]));
                // the product of all but the last factor, left to right, times the last
                let mut prefix = self.expr(&init[0], resolve)?;
                for f in &init[1..] {
                    let v = self.expr(f, resolve)?;
                    prefix = self.compute(Kind::Mul, prefix, v, 0)?;
                }
                let negated_prefix = self.take_negation(prefix, start);
                let last = self.expr(last, resolve)?;
                if let Some(x) = negated_prefix {
                    return Ok(Term::Product(x, last, -1.0));
                }
                let constant_last = self.constant_of(last).is_some();
                Ok(match self.constant_of(prefix) {
                    Some(c) if c == 1.0 && !constant_last => Term::Value(last, 1.0),
                    Some(c) if c == -1.0 && !constant_last => Term::Value(last, -1.0),
                    Some(_) if constant_last => {
                        Term::Value(self.compute(Kind::Mul, prefix, last, 0)?, 1.0)
                    }
                    _ => Term::Product(prefix, last, 1.0),
                })
            }
            _ => {
                let v = self.expr(term, resolve)?;
                Ok(match self.take_negation(v, start) {
                    Some(x) => Term::Value(x, -1.0),
                    None => Term::Value(v, 1.0),
                })
            }
        }
    }

    /// A term as (register, ±1), its product computed.
    fn materialize(&mut self, t: Term) -> Result<(Reg, f64), MathError> {
        match t {
            Term::Value(r, sign) => Ok((r, sign)),
            Term::Product(a, b, sign) => Ok((self.compute(Kind::Mul, a, b, 0)?, sign)),
        }
    }

    /// The left fold of `terms`: one or two as additions, more as one `Sum`.
    fn sum(&mut self, terms: Vec<Term>) -> Result<Reg, MathError> {
        let mut terms = terms.into_iter();
        let (Some(first), second, None) = (terms.next(), terms.next(), terms.next()) else {
            return Err(unsupported("internal: a sum of more than two terms".into()));
        };
        let (x, sign) = self.materialize(first)?;
        let Some(second) = second else {
            return if sign < 0.0 {
                self.compute(Kind::Neg, x, 0, 0)
            } else {
                Ok(x)
            };
        };
        match (sign < 0.0, second) {
            // x ± y·z
            (false, Term::Product(a, b, s)) if s > 0.0 => self.compute(Kind::MulAdd, x, a, b),
            (false, Term::Product(a, b, _)) => self.compute(Kind::MulSub, x, a, b),
            (false, Term::Value(y, s)) if s > 0.0 => self.compute(Kind::Add, x, y, 0),
            (false, Term::Value(y, _)) => self.compute(Kind::Sub, x, y, 0),
            // −x + y is y − x exactly
            (true, second) => {
                let (y, s) = self.materialize(second)?;
                if s > 0.0 {
                    self.compute(Kind::Sub, y, x, 0)
                } else {
                    let nx = self.compute(Kind::Neg, x, 0, 0)?;
                    self.compute(Kind::Sub, nx, y, 0)
                }
            }
        }
    }

    /// The left fold of three or more terms, as one `Sum` (folded when all are constants).
    fn long_sum(&mut self, terms: Vec<(Reg, f64)>) -> Result<Reg, MathError> {
        if terms.iter().all(|&(r, _)| self.constant_of(r).is_some()) {
            let mut acc: Option<Reg> = None;
            for (r, sign) in terms {
                acc = Some(match (acc, sign < 0.0) {
                    (None, false) => r,
                    (None, true) => self.compute(Kind::Neg, r, 0, 0)?,
                    (Some(a), false) => self.compute(Kind::Add, a, r, 0)?,
                    (Some(a), true) => self.compute(Kind::Sub, a, r, 0)?,
                });
            }
            return acc.map_or_else(|| self.constant(0.0), Ok);
        }
        let d = self.new_value(Value::Temporary { home: None })?;
        let start = reg(self.terms.len())?;
        let len = reg(terms.len())?;
        self.terms.extend(terms);
        self.emit(Op::Sum { d, start, len });
        Ok(d)
    }

    /// `x` when `v` was computed as `−x` by the last instruction, emitted at `start` or
    /// later (by the term just compiled, not found in the sharing table), which is then
    /// dropped: nothing but the table knows of it yet.
    fn take_negation(&mut self, v: Reg, start: usize) -> Option<Reg> {
        let Some(&Op::Neg { d, a }) = self.code.last() else {
            return None;
        };
        if d != v || self.code.len() - 1 < start {
            return None;
        }
        self.code.pop();
        self.shared.remove(&Kind::Neg.key(a, 0, 0));
        Some(a)
    }

    /// cond₁; JumpIfFalse next₁; value₁ → result; Jump end; next₁: cond₂; ...; otherwise (or
    /// NaN) → result; end:
    fn piecewise(
        &mut self,
        pieces: &[Piece],
        otherwise: Option<&Expr>,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Reg, MathError> {
        let result = self.new_value(Value::Temporary { home: None })?;
        let mut to_end = Vec::new();
        // Code after the first condition runs only on some paths: what it computes is not
        // shared beyond the piecewise.
        let mut opened = false;
        let mut decided = false;
        for p in pieces {
            let condition = self.expr(&p.condition, resolve)?;
            match self.constant_of(condition) {
                // never selected: its value is not evaluated (as in Expr::eval)
                Some(c) if !eval::truth(c) => continue,
                // always selected from here: the later pieces are unreachable
                Some(_) => {
                    let v = self.expr(&p.value, resolve)?;
                    self.emit(Op::Copy { d: result, a: v });
                    decided = true;
                    break;
                }
                None => {}
            }
            let jump_if = self.code.len();
            self.emit(Op::JumpIfFalse {
                a: condition,
                to: 0,
            });
            if !opened {
                self.scopes.push(Vec::new());
                opened = true;
            }
            self.scopes.push(Vec::new());
            let v = self.expr(&p.value, resolve)?;
            self.emit(Op::Copy { d: result, a: v });
            self.close_scope();
            to_end.push(self.code.len());
            self.code.push(Op::Jump { to: 0 });
            let next = reg(self.code.len())?;
            self.code[jump_if] = Op::JumpIfFalse {
                a: condition,
                to: next,
            };
        }
        if !decided {
            let v = match otherwise {
                Some(o) => self.expr(o, resolve)?,
                None => self.constant(f64::NAN)?,
            };
            self.emit(Op::Copy { d: result, a: v });
        }
        if opened {
            self.close_scope();
        }
        let end = reg(self.code.len())?;
        for at in to_end {
            self.code[at] = Op::Jump { to: end };
        }
        Ok(result)
    }

    fn close_scope(&mut self) {
        if let Some(keys) = self.scopes.pop() {
            for k in keys {
                self.shared.remove(&k);
            }
        }
    }

    /// The tape, with temporaries in as few registers as their lifetimes allow.
    pub fn finish(self) -> Result<Tape, MathError> {
        let slots = self.slots;
        let first = slots + 1;
        let n_values = self.values.len();
        // constants right after time, temporaries after them
        let mut place: Vec<Option<Reg>> = vec![None; n_values];
        let mut constants = Vec::new();
        for (i, v) in self.values.iter().enumerate() {
            match v {
                Value::Constant(c) => {
                    place[i] = Some(reg(first + constants.len())?);
                    constants.push(*c);
                }
                Value::Temporary { home: Some(h) } => place[i] = Some(*h),
                _ => {}
            }
        }
        let temporaries = first + constants.len();
        // last read of each value (outputs are read at the end)
        let end = self.code.len();
        let mut last_read: Vec<Option<usize>> = vec![None; n_values];
        let mut terms = self.terms;
        for (pc, op) in self.code.iter().enumerate() {
            let mut op = *op;
            op.map(
                &mut terms,
                &mut |r| {
                    if let Some(i) = (r as usize).checked_sub(first) {
                        last_read[i] = Some(pc);
                    }
                    r
                },
                &mut |r| r,
            );
        }
        for &(_, r) in &self.outputs {
            if let Some(i) = (r as usize).checked_sub(first) {
                last_read[i] = Some(end);
            }
        }
        // Linear scan: jumps only go forward and every value is computed before it is read
        // on every path, so a register is free after the last read in code order.
        let code_len = self.code.len();
        let mut free: Vec<Reg> = Vec::new();
        let mut is_free: Vec<bool> = Vec::new();
        let mut next_free = temporaries;
        let mut code = self.code;
        let values = &self.values;
        let unhomed = |i: usize| matches!(values[i], Value::Temporary { home: None });
        let release = |p: Reg, free: &mut Vec<Reg>, is_free: &mut Vec<bool>| {
            let k = p as usize - temporaries;
            if k >= is_free.len() {
                is_free.resize(k + 1, false);
            }
            if !is_free[k] {
                is_free[k] = true;
                free.push(p);
            }
        };
        let mut dying: Vec<usize> = Vec::new();
        for (pc, op) in code.iter_mut().enumerate() {
            dying.clear();
            let mut unplaced = false;
            op.map(
                &mut terms,
                &mut |r| match (r as usize).checked_sub(first) {
                    Some(i) => {
                        if last_read[i] == Some(pc) {
                            dying.push(i);
                        }
                        place[i].unwrap_or_else(|| {
                            unplaced = true;
                            0
                        })
                    }
                    None => r,
                },
                &mut |r| r,
            );
            if unplaced {
                return Err(unsupported("a value read before it is computed".into()));
            }
            // operands are read before the result is written: a dying operand's register
            // can hold the result
            for &i in &dying {
                if let (true, Some(p)) = (unhomed(i), place[i]) {
                    release(p, &mut free, &mut is_free);
                }
            }
            let Some(i) = op.dst().and_then(|d| (d as usize).checked_sub(first)) else {
                continue;
            };
            let p = match place[i] {
                Some(p) => p,
                None => {
                    let p = match free.pop() {
                        Some(p) => {
                            is_free[p as usize - temporaries] = false;
                            p
                        }
                        None => {
                            next_free += 1;
                            reg(next_free - 1)?
                        }
                    };
                    place[i] = Some(p);
                    p
                }
            };
            op.map(&mut terms, &mut |r| r, &mut |_| p);
            // (a result nothing reads keeps its register: rare, and a piecewise's result may
            // still be written by a later branch)
        }
        let mut outputs = Vec::with_capacity(self.outputs.len());
        for (index, r) in self.outputs {
            let p = match (r as usize).checked_sub(first) {
                Some(i) => {
                    place[i].ok_or_else(|| unsupported("an output never computed".into()))?
                }
                None => r,
            };
            outputs.push((index, p));
        }
        let n_outputs = outputs.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
        // `run` indexes the registers without bounds checks on the strength of this.
        let registers = next_free;
        let in_range = |r: Reg| (r as usize) < registers;
        let mut valid = outputs.iter().all(|&(_, r)| in_range(r));
        for op in &code {
            let mut copy = *op;
            let mut ok = true;
            if let Op::Sum { start, len, .. } = copy {
                ok &= (start as usize)
                    .checked_add(len as usize)
                    .is_some_and(|e| e <= terms.len());
            }
            if let Op::JumpIfFalse { to, .. } | Op::Jump { to } = copy {
                ok &= to as usize <= code_len;
            }
            let (mut reads_ok, mut write_ok) = (true, true);
            if ok {
                copy.map(
                    &mut terms,
                    &mut |r| {
                        reads_ok &= in_range(r);
                        r
                    },
                    &mut |r| {
                        write_ok &= in_range(r);
                        r
                    },
                );
            }
            valid &= ok && reads_ok && write_ok;
        }
        if !valid {
            return Err(unsupported("internal: a register out of range".into()));
        }
        Ok(Tape {
            code,
            terms,
            slots,
            time: slots,
            constants,
            registers,
            outputs,
            n_outputs,
        })
    }
}

impl Tape {
    /// How long the register array given to [`Tape::run`] must be.
    pub fn registers(&self) -> usize {
        self.registers
    }

    /// How many of the registers are the caller's value slots.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The number of instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// How long `out` must be: one more than the largest output index.
    pub fn outputs(&self) -> usize {
        self.n_outputs
    }

    /// Runs the tape at `time` over `registers` (the value slots first; at least
    /// [`Tape::registers`] long), writing assigned slots in place and outputs to `out`.
    ///
    /// # Panics
    /// If `registers` or `out` is too short.
    pub fn run(&self, registers: &mut [f64], time: f64, out: &mut [f64]) {
        assert!(
            registers.len() >= self.registers && out.len() >= self.n_outputs,
            "Tape::run: {} registers and {} outputs given, {} and {} needed",
            registers.len(),
            out.len(),
            self.registers,
            self.n_outputs
        );
        let r = &mut registers[..self.registers];
        // SAFETY: `finish` checked every register the code and the terms name against
        // `self.registers`, which `r` is long (asserted above); `Tape` has no other
        // constructor and its fields are private.
        macro_rules! R {
            ($i:expr) => {
                *unsafe { r.get_unchecked_mut($i as usize) }
            };
        }
        r[self.time] = time;
        r[self.time + 1..self.time + 1 + self.constants.len()].copy_from_slice(&self.constants);
        let code = &self.code[..];
        let mut pc = 0usize;
        while let Some(op) = code.get(pc) {
            pc += 1;
            match *op {
                Op::Copy { d, a } => R!(d) = R!(a),
                Op::Add { d, a, b } => R!(d) = R!(a) + R!(b),
                Op::Sub { d, a, b } => R!(d) = R!(a) - R!(b),
                Op::Mul { d, a, b } => R!(d) = R!(a) * R!(b),
                Op::Div { d, a, b } => R!(d) = R!(a) / R!(b),
                Op::MulAdd { d, a, b, c } => R!(d) = R!(a) + R!(b) * R!(c),
                Op::MulSub { d, a, b, c } => R!(d) = R!(a) - R!(b) * R!(c),
                Op::Neg { d, a } => R!(d) = -R!(a),
                Op::Pow { d, a, b } => R!(d) = R!(a).powf(R!(b)),
                Op::Unary { op, d, a } => R!(d) = eval::unary(op, R!(a)),
                Op::Binary { op, d, a, b } => R!(d) = eval::binary(op, R!(a), R!(b)),
                Op::Max { d, a, b } => R!(d) = eval::max2(R!(a), R!(b)),
                Op::Min { d, a, b } => R!(d) = eval::min2(R!(a), R!(b)),
                Op::Eq { d, a, b } => R!(d) = eval::from_bool(R!(a) == R!(b)),
                Op::Gt { d, a, b } => R!(d) = eval::from_bool(R!(a) > R!(b)),
                Op::Lt { d, a, b } => R!(d) = eval::from_bool(R!(a) < R!(b)),
                Op::Geq { d, a, b } => R!(d) = eval::from_bool(R!(a) >= R!(b)),
                Op::Leq { d, a, b } => R!(d) = eval::from_bool(R!(a) <= R!(b)),
                Op::And { d, a, b } => {
                    R!(d) = eval::from_bool(eval::truth(R!(a)) && eval::truth(R!(b)))
                }
                Op::Or { d, a, b } => {
                    R!(d) = eval::from_bool(eval::truth(R!(a)) || eval::truth(R!(b)))
                }
                Op::Xor { d, a, b } => {
                    R!(d) = eval::from_bool(eval::truth(R!(a)) != eval::truth(R!(b)))
                }
                Op::Sum { d, start, len } => {
                    let terms = &self.terms[start as usize..(start + len) as usize];
                    let mut acc = 0.0;
                    if let Some((&(first, sign), rest)) = terms.split_first() {
                        acc = sign * R!(first);
                        for &(t, sign) in rest {
                            acc += sign * R!(t);
                        }
                    }
                    R!(d) = acc;
                }
                Op::JumpIfFalse { a, to } => {
                    if !eval::truth(R!(a)) {
                        pc = to as usize;
                    }
                }
                Op::Jump { to } => pc = to as usize,
            }
        }
        for &(i, reg) in &self.outputs {
            out[i] = r[reg as usize];
        }
    }
}
