//! How is an expression evaluated millions of times fast? Compiled once into flat stack
//! bytecode, with every symbol resolved to a slot in a value array: evaluation is one loop
//! over a `Vec` of small instructions, with no allocation, no name lookup and no recursion.
//!
//! The arithmetic is the evaluator's own (`super::eval`) and n-ary operators fold in the
//! same order, so a program gives bit-for-bit the value [`Expr::eval`] gives.

use super::eval;
use super::{BinaryOp, Expr, MathError, NaryOp, Piece, UnaryOp, AVOGADRO};
use std::cell::RefCell;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Instr {
    Const(f64),
    Load(u32),
    Time,
    Add,
    Sub,
    Mul,
    Div,
    // An operation whose right operand is a slot or a constant: the common `k * A * B`
    // shape then takes one instruction per factor.
    AddLoad(u32),
    SubLoad(u32),
    MulLoad(u32),
    DivLoad(u32),
    AddConst(f64),
    SubConst(f64),
    MulConst(f64),
    DivConst(f64),
    /// Pushes `values[a] * values[b]`: the `k * A` that starts a mass-action term.
    LoadMul(u32, u32),
    Neg,
    Pow,
    Unary(UnaryOp),
    Binary(BinaryOp),
    Max,
    Min,
    /// Pops this many values and pushes the relation's or connective's truth value.
    Nary(NaryOp, u32),
    /// Pops a condition; jumps when it is false.
    JumpIfFalse(u32),
    Jump(u32),
}

/// An expression compiled against slot numbers; see the module notes.
#[derive(Clone, Debug)]
pub struct Program {
    code: Vec<Instr>,
    /// The deepest the value stack gets.
    stack: usize,
    /// One more than the largest slot read: `values` must be at least this long.
    slots: usize,
}

/// Programs up to this stack depth evaluate on a stack array; deeper ones (rare) on a
/// per-thread scratch vector.
const INLINE_STACK: usize = 16;

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

struct Compiler<'r> {
    resolve: &'r dyn Fn(&str) -> Option<usize>,
    code: Vec<Instr>,
    depth: usize,
    max_depth: usize,
    slots: usize,
    /// The latest jump target: no fusion may swallow the instruction a jump lands on.
    last_target: usize,
}

impl Compiler<'_> {
    fn push(&mut self, i: Instr) {
        self.code.push(i);
    }

    /// Records the stack effect of an instruction just emitted.
    fn grow(&mut self, by: isize) {
        self.depth = self.depth.saturating_add_signed(by);
        self.max_depth = self.max_depth.max(self.depth);
    }

    fn value(&mut self, i: Instr) {
        self.push(i);
        self.grow(1);
    }

    /// Emits `right` and then the binary arithmetic `op`, fusing a lone load or constant
    /// right operand into the operation.
    fn arith(&mut self, op: Instr, right: &Expr) -> Result<(), MathError> {
        let start = self.code.len();
        self.emit(right)?;
        if self.code.len() == start + 1 {
            let fused = match (op, self.code[start]) {
                (Instr::Add, Instr::Load(s)) => Some(Instr::AddLoad(s)),
                (Instr::Sub, Instr::Load(s)) => Some(Instr::SubLoad(s)),
                (Instr::Mul, Instr::Load(s)) => Some(Instr::MulLoad(s)),
                (Instr::Div, Instr::Load(s)) => Some(Instr::DivLoad(s)),
                (Instr::Add, Instr::Const(c)) => Some(Instr::AddConst(c)),
                (Instr::Sub, Instr::Const(c)) => Some(Instr::SubConst(c)),
                (Instr::Mul, Instr::Const(c)) => Some(Instr::MulConst(c)),
                (Instr::Div, Instr::Const(c)) => Some(Instr::DivConst(c)),
                _ => None,
            };
            if let Some(f) = fused {
                self.code[start] = f;
                self.grow(-1);
                // `Load a; MulLoad b` becomes one instruction, unless a jump lands between.
                if let (Instr::MulLoad(b), Some(&Instr::Load(a))) =
                    (f, start.checked_sub(1).and_then(|i| self.code.get(i)))
                {
                    if self.last_target != start {
                        self.code.pop();
                        self.code[start - 1] = Instr::LoadMul(a, b);
                    }
                }
                return Ok(());
            }
        }
        self.push(op);
        self.grow(-1);
        Ok(())
    }

    fn unsupported(what: String) -> MathError {
        MathError::Unsupported {
            operation: "compile",
            construct: what,
        }
    }

    /// Emits code that leaves `e`'s value on the stack. Each kind of node has its own
    /// function so that the frames on the recursion path stay small.
    fn emit(&mut self, e: &Expr) -> Result<(), MathError> {
        match e {
            Expr::Unary(op, a) => self.emit_unary(*op, a),
            Expr::Binary(op, a, b) => self.emit_binary(*op, a, b),
            Expr::Nary(op, args) => self.emit_nary(*op, args),
            Expr::Piecewise { pieces, otherwise } => self.emit_piecewise(pieces, otherwise),
            _ => self.emit_leaf(e),
        }
    }

    fn emit_leaf(&mut self, e: &Expr) -> Result<(), MathError> {
        match e {
            Expr::Number(v) => self.value(Instr::Const(*v)),
            Expr::Boolean(b) => self.value(Instr::Const(eval::from_bool(*b))),
            Expr::Pi => self.value(Instr::Const(std::f64::consts::PI)),
            Expr::ExponentialE => self.value(Instr::Const(std::f64::consts::E)),
            Expr::Avogadro => self.value(Instr::Const(AVOGADRO)),
            Expr::Time => self.value(Instr::Time),
            Expr::Symbol(name) => {
                let slot =
                    (self.resolve)(name).ok_or_else(|| MathError::UnknownSymbol(name.clone()))?;
                let slot32 = u32::try_from(slot).map_err(|_| {
                    Self::unsupported(format!("slot {slot} of `{name}` (too large)"))
                })?;
                self.slots = self.slots.max(slot + 1);
                self.value(Instr::Load(slot32));
            }
            Expr::Call(name, _) => {
                return Err(Self::unsupported(format!(
                    "a call of user function `{name}` (inline it first)"
                )))
            }
            Expr::Delay(..) => return Err(Self::unsupported("delay".into())),
            Expr::RateOf(_) => return Err(Self::unsupported("rateOf".into())),
            Expr::Unary(..) | Expr::Binary(..) | Expr::Nary(..) | Expr::Piecewise { .. } => {
                return self.emit(e)
            }
        }
        Ok(())
    }

    fn emit_unary(&mut self, op: UnaryOp, a: &Expr) -> Result<(), MathError> {
        self.emit(a)?;
        self.push(match op {
            UnaryOp::Neg => Instr::Neg,
            other => Instr::Unary(other),
        });
        Ok(())
    }

    fn emit_binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr) -> Result<(), MathError> {
        self.emit(a)?;
        match op {
            BinaryOp::Minus => self.arith(Instr::Sub, b),
            BinaryOp::Divide => self.arith(Instr::Div, b),
            _ => {
                self.emit(b)?;
                self.push(match op {
                    BinaryOp::Power => Instr::Pow,
                    other => Instr::Binary(other),
                });
                self.grow(-1);
                Ok(())
            }
        }
    }

    fn emit_nary(&mut self, op: NaryOp, args: &[Expr]) -> Result<(), MathError> {
        if !matches!(op, NaryOp::Plus | NaryOp::Times | NaryOp::Max | NaryOp::Min) {
            for a in args {
                self.emit(a)?;
            }
            let n = u32::try_from(args.len())
                .map_err(|_| Self::unsupported("an operator with too many arguments".into()))?;
            self.push(Instr::Nary(op, n));
            // Pops n, pushes one.
            self.grow(1 - args.len() as isize);
            return Ok(());
        }
        let Some((first, rest)) = args.split_first() else {
            self.value(Instr::Const(match op {
                NaryOp::Plus => 0.0,
                NaryOp::Times => 1.0,
                _ => f64::NAN,
            }));
            return Ok(());
        };
        // A left fold, the order Expr::eval uses.
        self.emit(first)?;
        for a in rest {
            match op {
                NaryOp::Plus => self.arith(Instr::Add, a)?,
                NaryOp::Times => self.arith(Instr::Mul, a)?,
                _ => {
                    self.emit(a)?;
                    self.push(if op == NaryOp::Max {
                        Instr::Max
                    } else {
                        Instr::Min
                    });
                    self.grow(-1);
                }
            }
        }
        Ok(())
    }

    /// cond_1; JumpIfFalse next_1; value_1; Jump end; next_1: cond_2; ...; otherwise (or
    /// NaN); end:
    fn emit_piecewise(
        &mut self,
        pieces: &[Piece],
        otherwise: &Option<Box<Expr>>,
    ) -> Result<(), MathError> {
        let mut to_end = Vec::with_capacity(pieces.len());
        for p in pieces {
            self.emit(&p.condition)?;
            let jump_if = self.code.len();
            self.push(Instr::JumpIfFalse(0));
            self.grow(-1);
            self.emit(&p.value)?;
            to_end.push(self.code.len());
            self.push(Instr::Jump(0));
            // Only one branch's value stays on the stack.
            self.grow(-1);
            let next = self.target()?;
            self.code[jump_if] = Instr::JumpIfFalse(next);
        }
        match otherwise {
            Some(o) => self.emit(o)?,
            None => self.value(Instr::Const(f64::NAN)),
        }
        let end = self.target()?;
        for at in to_end {
            self.code[at] = Instr::Jump(end);
        }
        Ok(())
    }

    fn target(&mut self) -> Result<u32, MathError> {
        self.last_target = self.code.len();
        u32::try_from(self.code.len())
            .map_err(|_| Self::unsupported("an expression this large".into()))
    }
}

impl Program {
    /// Compiles `expr`, with `resolve` giving each symbol's slot in the value array.
    ///
    /// Errors name a symbol `resolve` does not know, and refuse `delay`, `rateOf` and user
    /// calls (inline those first).
    pub fn compile(
        expr: &Expr,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Program, MathError> {
        let mut c = Compiler {
            resolve,
            code: Vec::new(),
            depth: 0,
            max_depth: 0,
            slots: 0,
            last_target: usize::MAX,
        };
        c.emit(expr)?;
        Ok(Program {
            code: c.code,
            // One slot more than the deepest stack: the register-held top's first save.
            stack: c.max_depth + 1,
            slots: c.slots,
        })
    }

    /// The number of instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// How long `values` must be: one more than the largest slot read.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Evaluates with `values[slot]` for each symbol and `time` for the time csymbol.
    ///
    /// # Panics
    /// If `values` is shorter than [`Program::slots`].
    pub fn eval(&self, values: &[f64], time: f64) -> f64 {
        if self.stack <= INLINE_STACK {
            let mut stack = [0.0; INLINE_STACK];
            self.run(values, time, &mut stack)
        } else {
            SCRATCH.with(|s| match s.try_borrow_mut() {
                Ok(mut s) => {
                    if s.len() < self.stack {
                        s.resize(self.stack, 0.0);
                    }
                    self.run(values, time, &mut s)
                }
                // Only reachable if evaluation re-entered itself; fall back to a fresh stack.
                Err(_) => self.run(values, time, &mut vec![0.0; self.stack]),
            })
        }
    }

    /// Like [`Program::eval`], on a caller's reusable stack (grown once if too short).
    pub fn eval_with(&self, values: &[f64], time: f64, stack: &mut Vec<f64>) -> f64 {
        if stack.len() < self.stack {
            stack.resize(self.stack, 0.0);
        }
        self.run(values, time, stack)
    }

    /// The interpreter. The top of the stack lives in a register (`top`), the rest in
    /// `stack[..sp]`: a chain like `k * A * B` then never round-trips through memory.
    fn run(&self, values: &[f64], time: f64, stack: &mut [f64]) -> f64 {
        assert!(
            values.len() >= self.slots,
            "Program::eval: {} values given, the program reads slot {}",
            values.len(),
            self.slots.saturating_sub(1)
        );
        let code = &self.code[..];
        let mut top = 0.0f64;
        // Values below the top; `sp` counts them.
        let mut sp = 0usize;
        let mut pc = 0usize;
        // Pushes a new top, saving the old one. The first push saves a dummy, so the stack
        // holds one slot more than the values below the top: `self.stack` covers it.
        macro_rules! push {
            ($v:expr) => {{
                let v = $v;
                stack[sp] = top;
                sp += 1;
                top = v;
            }};
        }
        macro_rules! pop {
            () => {{
                sp -= 1;
                stack[sp]
            }};
        }
        while let Some(&instr) = code.get(pc) {
            pc += 1;
            match instr {
                Instr::Const(c) => push!(c),
                Instr::Load(s) => push!(values[s as usize]),
                Instr::Time => push!(time),
                // IEEE addition and multiplication commute exactly, so `top += left` is
                // `left + top`, the order Expr::eval uses.
                Instr::Add => top += pop!(),
                Instr::Sub => {
                    let left = pop!();
                    top = left - top;
                }
                Instr::Mul => top *= pop!(),
                Instr::Div => {
                    let left = pop!();
                    top = left / top;
                }
                Instr::AddLoad(s) => top += values[s as usize],
                Instr::SubLoad(s) => top -= values[s as usize],
                Instr::MulLoad(s) => top *= values[s as usize],
                Instr::DivLoad(s) => top /= values[s as usize],
                Instr::AddConst(c) => top += c,
                Instr::SubConst(c) => top -= c,
                Instr::MulConst(c) => top *= c,
                Instr::DivConst(c) => top /= c,
                Instr::LoadMul(a, b) => push!(values[a as usize] * values[b as usize]),
                Instr::Neg => top = -top,
                Instr::Pow => {
                    let base = pop!();
                    top = base.powf(top);
                }
                Instr::Unary(op) => top = eval::unary(op, top),
                Instr::Binary(op) => top = eval::binary(op, pop!(), top),
                Instr::Max => top = eval::max2(pop!(), top),
                Instr::Min => top = eval::min2(pop!(), top),
                Instr::Nary(op, n) => {
                    let n = n as usize;
                    if n == 0 {
                        push!(eval::from_bool(op == NaryOp::And || op.is_relation()));
                    } else {
                        // The arguments are stack[sp - n + 1..sp] and top: put top in line.
                        stack[sp] = top;
                        let args = &stack[sp + 1 - n..=sp];
                        top = if op.is_relation() {
                            eval::relation(op, args)
                        } else {
                            eval::logical(op, args)
                        };
                        sp -= n - 1;
                    }
                }
                Instr::JumpIfFalse(target) => {
                    let condition = top;
                    top = pop!();
                    if !eval::truth(condition) {
                        pc = target as usize;
                    }
                }
                Instr::Jump(target) => pc = target as usize,
            }
        }
        top
    }
}
