//! Does every path agree? MathML and text read what they should, text round-trips, the
//! compiled program matches the evaluator to the bit, simplification keeps values, and
//! derivatives match finite differences.

use super::*;
use std::collections::HashMap;

/// A small seeded generator (SplitMix64), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn name<'a>(&mut self, names: &[&'a str]) -> &'a str {
        names[self.below(names.len())]
    }
}

const BINARY_OPS: [BinaryOp; 9] = [
    BinaryOp::Minus,
    BinaryOp::Divide,
    BinaryOp::Power,
    BinaryOp::Root,
    BinaryOp::Log,
    BinaryOp::Quotient,
    BinaryOp::Rem,
    BinaryOp::Implies,
    BinaryOp::Neq,
];

const NARY_OPS: [NaryOp; 12] = [
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

fn any_number(r: &mut Rng) -> f64 {
    match r.below(6) {
        0 => r.below(11) as f64 - 5.0,
        1 => *r.pick(&[
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            -1e-300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            2.0,
            10.0,
            0.1,
            1e21,
            1e-7,
        ]),
        2 => f64::from_bits(r.next()),
        _ => r.range(-10.0, 10.0) * 10f64.powi(r.below(9) as i32 - 4),
    }
}

/// Names that exercise escaping: reserved words, builtin names, non-identifiers.
const NAMES: [&str; 24] = [
    "x",
    "y",
    "k1",
    "S",
    "_a",
    "time",
    "pi",
    "exp",
    "sin",
    "INF",
    "NaN",
    "true",
    "delay",
    "rateOf",
    "log",
    "a b",
    "1x",
    "é",
    "ceil",
    "sqrt",
    "piecewise",
    "minus",
    "e",
    "avogadro",
];

/// Any tree at all, including degenerate arities, for the text round trip.
fn any_expr(r: &mut Rng, depth: usize) -> Expr {
    if depth == 0 || r.below(5) == 0 {
        return match r.below(8) {
            0 | 1 => Expr::Number(any_number(r)),
            2 => Expr::Boolean(r.below(2) == 0),
            3 => r
                .pick(&[Expr::Pi, Expr::ExponentialE, Expr::Time, Expr::Avogadro])
                .clone(),
            _ => Expr::symbol(r.name(&NAMES)),
        };
    }
    let d = depth - 1;
    match r.below(9) {
        0 | 1 => Expr::unary(*r.pick(&UnaryOp::ALL), any_expr(r, d)),
        2 | 3 => Expr::binary(*r.pick(&BINARY_OPS), any_expr(r, d), any_expr(r, d)),
        4 | 5 => {
            let n = r.below(5);
            Expr::Nary(*r.pick(&NARY_OPS), (0..n).map(|_| any_expr(r, d)).collect())
        }
        6 => {
            let n = r.below(3);
            Expr::Piecewise {
                pieces: (0..n)
                    .map(|_| Piece {
                        value: any_expr(r, d),
                        condition: any_expr(r, d),
                    })
                    .collect(),
                otherwise: if r.below(2) == 0 {
                    Some(Box::new(any_expr(r, d)))
                } else {
                    None
                },
            }
        }
        7 => {
            let n = r.below(3);
            Expr::Call(
                r.pick(&NAMES).to_string(),
                (0..n).map(|_| any_expr(r, d)).collect(),
            )
        }
        _ => {
            if r.below(2) == 0 {
                Expr::Delay(Box::new(any_expr(r, d)), Box::new(any_expr(r, d)))
            } else {
                Expr::RateOf(Box::new(any_expr(r, d)))
            }
        }
    }
}

/// A tree that evaluates: symbols x, y, z only, no calls, delays or rateOf.
fn evaluable(r: &mut Rng, depth: usize) -> Expr {
    if depth == 0 || r.below(5) == 0 {
        return match r.below(6) {
            0 => Expr::Number(any_number(r)),
            1 => Expr::Number(r.range(-3.0, 3.0)),
            2 => Expr::Boolean(r.below(2) == 0),
            3 => r
                .pick(&[Expr::Pi, Expr::ExponentialE, Expr::Time, Expr::Avogadro])
                .clone(),
            _ => Expr::symbol(r.name(&["x", "y", "z"])),
        };
    }
    let d = depth - 1;
    match r.below(7) {
        0 | 1 => Expr::unary(*r.pick(&UnaryOp::ALL), evaluable(r, d)),
        2 | 3 => Expr::binary(*r.pick(&BINARY_OPS), evaluable(r, d), evaluable(r, d)),
        4 | 5 => {
            let n = r.below(5);
            Expr::Nary(
                *r.pick(&NARY_OPS),
                (0..n).map(|_| evaluable(r, d)).collect(),
            )
        }
        _ => {
            let n = r.below(3);
            Expr::Piecewise {
                pieces: (0..n)
                    .map(|_| Piece {
                        value: evaluable(r, d),
                        condition: evaluable(r, d),
                    })
                    .collect(),
                otherwise: if r.below(2) == 0 {
                    Some(Box::new(evaluable(r, d)))
                } else {
                    None
                },
            }
        }
    }
}

fn xyz(v: [f64; 3]) -> impl Fn(&str) -> Option<f64> {
    move |s| match s {
        "x" => Some(v[0]),
        "y" => Some(v[1]),
        "z" => Some(v[2]),
        _ => None,
    }
}

fn slot(s: &str) -> Option<usize> {
    ["x", "y", "z"].iter().position(|n| *n == s)
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn mathml(xml: &str) -> Result<Expr, MathError> {
    let text = format!(
        r#"<math xmlns="http://www.w3.org/1998/Math/MathML" xmlns:sbml="http://www.sbml.org/sbml/level3/version2/core">{xml}</math>"#
    );
    let doc = roxmltree::Document::parse(&text).expect("test XML is well formed");
    from_mathml(doc.root_element())
}

fn p(text: &str) -> Expr {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn value(e: &Expr) -> f64 {
    e.eval(&|_| None, 0.0).expect("evaluates")
}

fn sym(s: &str) -> Expr {
    Expr::symbol(s)
}

fn n(v: f64) -> Expr {
    Expr::Number(v)
}

#[test]
fn round_trip_random_trees() {
    let mut r = Rng(1);
    for i in 0..30_000 {
        let e = any_expr(&mut r, 1 + i % 6);
        let text = e.to_string();
        match parse(&text) {
            Ok(back) => assert_eq!(back, e, "case {i}: `{text}`"),
            Err(err) => panic!("case {i}: `{text}` does not parse: {err}\n{e:?}"),
        }
    }
}

#[test]
fn program_matches_eval_bit_for_bit() {
    let mut r = Rng(2);
    for i in 0..20_000 {
        let e = evaluable(&mut r, 1 + i % 6);
        let program = Program::compile(&e, &slot).expect("compiles");
        let mut stack = Vec::new();
        for _ in 0..4 {
            let v = [r.range(-4.0, 4.0), any_number(&mut r), r.range(-1.0, 1.0)];
            let t = r.range(0.0, 10.0);
            let want = e.eval(&xyz(v), t).expect("evaluates");
            let got = program.eval(&v, t);
            assert!(
                same(want, got),
                "case {i}: {e} at {v:?}: eval {want}, program {got}"
            );
            assert!(same(want, program.eval_with(&v, t, &mut stack)));
        }
    }
}

#[test]
fn deep_program_uses_scratch_stack() {
    // Right-nested sums need one stack slot per level.
    let mut e = sym("x");
    for k in 0..40 {
        e = Expr::add(vec![n(k as f64), e]);
    }
    let p = Program::compile(&e, &slot).expect("compiles");
    let want = e.eval(&xyz([1.0, 0.0, 0.0]), 0.0).expect("evaluates");
    assert_eq!(p.eval(&[1.0, 0.0, 0.0], 0.0), want);
    assert_eq!(want, 781.0);
}

#[test]
fn simplify_keeps_finite_values() {
    let mut r = Rng(3);
    let mut checked = 0;
    for i in 0..20_000 {
        let e = evaluable(&mut r, 1 + i % 6);
        let s = e.simplify();
        for _ in 0..3 {
            let v = [r.range(-4.0, 4.0), r.range(-4.0, 4.0), r.range(-1.0, 1.0)];
            let t = r.range(0.0, 10.0);
            let want = e.eval(&xyz(v), t).expect("evaluates");
            // `0 * x = 0` holds only for finite x: skip points where any part of the
            // expression is infinite or NaN.
            let mut finite = true;
            e.visit(&mut |sub| {
                finite = finite && sub.eval(&xyz(v), t).is_ok_and(f64::is_finite);
            });
            if !finite {
                continue;
            }
            let got = s.eval(&xyz(v), t).expect("evaluates");
            assert!(
                want == got,
                "case {i}: {e}\n  simplified {s}\n  at {v:?}: {want} vs {got}"
            );
            checked += 1;
        }
    }
    assert!(checked > 5_000, "only {checked} points checked");
}

/// Smooth expressions in x, y, z (away from rare kinks) for finite-difference checks.
fn smooth(r: &mut Rng, depth: usize) -> Expr {
    if depth == 0 || r.below(4) == 0 {
        return match r.below(4) {
            0 => n(r.range(0.5, 3.0)),
            1 => Expr::Pi,
            _ => sym(r.name(&["x", "y", "z"])),
        };
    }
    let d = depth - 1;
    let mut s = || smooth(r, d);
    let pos = |e: Expr| Expr::add(vec![n(1.0), Expr::pow(e, n(2.0))]);
    let a = s();
    let b = s();
    match r.below(40) {
        0..=3 => Expr::add(vec![a, b]),
        4..=6 => Expr::sub(a, b),
        7..=10 => Expr::mul(a, b),
        11 => Expr::product(vec![a, b, sym("x")]),
        12 | 13 => Expr::div(a, pos(b)),
        14 => Expr::pow(a, n(3.0)),
        15 => Expr::pow(pos(a), Expr::unary(UnaryOp::Sin, b)),
        16 => Expr::pow(n(1.5), Expr::unary(UnaryOp::Sin, a)),
        17 => Expr::binary(BinaryOp::Root, n(2.0), pos(a)),
        18 => Expr::binary(BinaryOp::Root, n(3.0), pos(a)),
        19 => Expr::binary(BinaryOp::Log, n(2.0), pos(a)),
        20 => Expr::binary(BinaryOp::Log, pos(b), pos(a)),
        21 => Expr::unary(UnaryOp::Exp, Expr::unary(UnaryOp::Sin, a)),
        22 => Expr::unary(UnaryOp::Ln, pos(a)),
        23 => Expr::Nary(NaryOp::Max, vec![a, b, sym("y")]),
        24 => Expr::Nary(NaryOp::Min, vec![a, b]),
        25 => Expr::Piecewise {
            pieces: vec![Piece {
                value: a,
                condition: Expr::Nary(NaryOp::Gt, vec![sym("x"), n(0.3)]),
            }],
            otherwise: Some(Box::new(b)),
        },
        26 => Expr::unary(UnaryOp::Abs, a),
        27 => Expr::binary(BinaryOp::Rem, a, n(0.7)),
        28 => Expr::unary(UnaryOp::Neg, a),
        29 => Expr::binary(BinaryOp::Root, Expr::add(vec![n(2.0), pos(b)]), pos(a)),
        _ => {
            // A unary function inside its domain.
            use UnaryOp::*;
            let bounded = Expr::unary(Tanh, a); // in (-1, 1)
            let over_one = Expr::add(vec![n(1.5), Expr::pow(b, n(2.0))]); // >= 1.5
            let unit = Expr::mul(
                n(0.5),
                Expr::add(vec![n(1.0), Expr::mul(n(0.9), bounded.clone())]),
            ); // in (0.05, 0.95)
            match r.below(26) {
                0 => Expr::unary(Sin, bounded),
                1 => Expr::unary(Cos, bounded),
                2 => Expr::unary(Tan, bounded),
                3 => Expr::unary(Sec, bounded),
                4 => Expr::unary(Csc, unit),
                5 => Expr::unary(Cot, unit),
                6 => Expr::unary(Sinh, bounded),
                7 => Expr::unary(Cosh, bounded),
                8 => Expr::unary(Tanh, bounded),
                9 => Expr::unary(Sech, bounded),
                10 => Expr::unary(Csch, over_one),
                11 => Expr::unary(Coth, over_one),
                12 => Expr::unary(Arcsin, Expr::mul(n(0.9), bounded)),
                13 => Expr::unary(Arccos, Expr::mul(n(0.9), bounded)),
                14 => Expr::unary(Arctan, bounded),
                15 => Expr::unary(Arcsec, over_one),
                16 => Expr::unary(Arccsc, Expr::neg(over_one)),
                17 => Expr::unary(Arccot, over_one),
                18 => Expr::unary(Arcsinh, bounded),
                19 => Expr::unary(Arccosh, over_one),
                20 => Expr::unary(Arctanh, Expr::mul(n(0.9), bounded)),
                21 => Expr::unary(Arcsech, unit),
                22 => Expr::unary(Arccsch, over_one),
                23 => Expr::unary(Arccoth, over_one),
                24 => Expr::unary(Floor, bounded),
                _ => Expr::unary(Ceiling, bounded),
            }
        }
    }
}

#[test]
fn derivatives_match_finite_differences() {
    let mut r = Rng(4);
    let mut checked = 0;
    for i in 0..600 {
        let e = smooth(&mut r, 1 + i % 5);
        let wrt = *r.pick(&["x", "y", "z"]);
        let d = e.derivative(wrt).unwrap_or_else(|err| panic!("{e}: {err}"));
        for _ in 0..4 {
            let v = [r.range(-2.0, 2.0), r.range(-2.0, 2.0), r.range(-2.0, 2.0)];
            let k = slot(wrt).unwrap_or(0);
            let at = |dx: f64| {
                let mut w = v;
                w[k] += dx;
                e.eval(&xyz(w), 0.0).expect("evaluates")
            };
            let fd = |h: f64| (at(h) - at(-h)) / (2.0 * h);
            let (f1, f2) = (fd(1e-5), fd(5e-6));
            let exact = d.eval(&xyz(v), 0.0).expect("evaluates");
            if !f1.is_finite() || !exact.is_finite() || at(0.0).abs() > 1e6 {
                continue;
            }
            // Two step sizes that disagree mean a kink nearby: no verdict there.
            if (f1 - f2).abs() > 1e-4 * (1.0 + f1.abs()) {
                continue;
            }
            assert!(
                (exact - f1).abs() <= 1e-5 * (1.0 + f1.abs()),
                "d/d{wrt} of {e}\n  = {d}\n  at {v:?}: exact {exact}, finite difference {f1}"
            );
            checked += 1;
        }
    }
    assert!(checked > 1500, "only {checked} points checked");
}

#[test]
fn mass_action_jacobian_is_small() {
    let law = p("k1 * A * B - k2 * C");
    assert_eq!(law.derivative("A").unwrap(), p("k1 * B"));
    assert_eq!(law.derivative("C").unwrap(), p("-k2"));
    assert_eq!(law.derivative("D").unwrap(), n(0.0));
    let mm = p("kcat * E * S / (Km + S)");
    assert_eq!(mm.derivative("E").unwrap(), p("kcat * S / (Km + S)"));
    assert_eq!(p("x^2").derivative("x").unwrap(), p("2 * x"));
    assert_eq!(p("x^3").derivative("x").unwrap(), p("3 * x^2"));
    assert_eq!(p("exp(x)").derivative("x").unwrap(), p("exp(x)"));
    assert_eq!(p("x < 3 && y").derivative("x").unwrap(), n(0.0));
    assert!(p("2 * x - 2 * x")
        .derivative("y")
        .unwrap()
        .is_constant_zero());
    assert!(p("factorial(x)").derivative("x").is_err());
    assert_eq!(
        p("factorial(y) * x").derivative("x").unwrap(),
        p("factorial(y)")
    );
    assert!(p("delay(x, 1)").derivative("x").is_err());
    assert!(p("rateOf(x)").derivative("x").is_err());
    assert!(p("f(x)").derivative("x").is_err());
}

#[test]
fn simplify_identities() {
    let cases = [
        ("0 * x", "0"),
        ("1 * x", "x"),
        ("x * 1", "x"),
        ("x + 0", "x"),
        ("0 + x", "x"),
        ("x - 0", "x"),
        ("0 - x", "-x"),
        ("x^1", "x"),
        ("x^0", "1"),
        ("x / 1", "x"),
        ("--x", "x"),
        ("2 * 3 * x", "6 * x"),
        ("-1 * x", "-x"),
        ("x * -1 * y", "-(x * y)"),
        ("-2 * x", "-2 * x"),
        ("1 + 2 + x", "3 + x"),
        ("x + -y", "x - y"),
        ("x - -y", "x + y"),
        ("piecewise(1, false, 2, true, 3)", "2"),
        ("piecewise(x, y > 0, x)", "x"),
        ("piecewise(1, 2 < 1)", "NaN"),
        ("true && x > 1", "x > 1"),
        ("false || x > 1", "x > 1"),
        ("x > 1 && false", "false"),
        ("and(x)", "and(x)"),
        ("1 < 2", "true"),
        ("exp(0)", "1"),
        ("sqrt(16)", "4"),
        ("log10(1000)", "3"),
    ];
    for (input, want) in cases {
        assert_eq!(p(input).simplify(), p(want), "{input}");
    }
    assert!(p("0 * (x + y)").is_constant_zero());
    assert!(!p("x - x").is_constant_zero());
    // 0 * INF is NaN, not 0.
    assert!(value(&p("0 * INF").simplify()).is_nan());
}

#[test]
fn infix_precedence_and_forms() {
    let x = || sym("x");
    assert_eq!(p("-x^2"), Expr::neg(Expr::pow(x(), n(2.0))));
    assert_eq!(p("-2^2"), Expr::neg(Expr::pow(n(2.0), n(2.0))));
    assert_eq!(value(&p("-2^2")), -4.0);
    assert_eq!(value(&p("2^3^2")), 512.0);
    assert_eq!(p("2^-1"), Expr::pow(n(2.0), n(-1.0)));
    assert_eq!(p("-2"), n(-2.0));
    assert_eq!(p("-(2)"), Expr::neg(n(2.0)));
    assert_eq!(
        p("a - b - c"),
        Expr::sub(Expr::sub(sym("a"), sym("b")), sym("c"))
    );
    assert_eq!(
        p("a + b + c"),
        Expr::add(vec![sym("a"), sym("b"), sym("c")])
    );
    assert_eq!(
        p("a / b * c"),
        Expr::mul(Expr::div(sym("a"), sym("b")), sym("c"))
    );
    assert_eq!(value(&p("1 + 2 * 3 > 6 && !(1 == 2) || false")), 1.0);
    assert_eq!(p("sqrt(x)"), Expr::binary(BinaryOp::Root, n(2.0), x()));
    assert_eq!(p("log10(x)"), Expr::binary(BinaryOp::Log, n(10.0), x()));
    assert_eq!(p("pow(x, 2)"), p("x^2"));
    assert_eq!(p("ceiling(x)"), p("ceil(x)"));
    assert_eq!(p("minus(x)"), p("-x"));
    assert_eq!(p("time"), Expr::Time);
    assert_eq!(p("`time`"), sym("time"));
    assert_eq!(p("`sin`(x)"), Expr::Call("sin".into(), vec![x()]));
    assert_eq!(p("f(x, 2)"), Expr::Call("f".into(), vec![x(), n(2.0)]));
    assert_eq!(p("exp"), sym("exp"));
    assert_eq!(
        p("piecewise(1, x > 0, 2)").to_string(),
        "piecewise(1, x > 0, 2)"
    );
    assert_eq!(
        p("delay(x, 2)"),
        Expr::Delay(Box::new(x()), Box::new(n(2.0)))
    );
    assert_eq!(p("rateOf(x)"), Expr::RateOf(Box::new(x())));
    assert!(p("INF").eval(&|_| None, 0.0).unwrap().is_infinite());
    assert!(p("NaN").eval(&|_| None, 0.0).unwrap().is_nan());
    assert_eq!(p("1e-3"), n(1e-3));
    assert_eq!(p(".5E+2"), n(50.0));
    assert_eq!("x*y".parse::<Expr>().unwrap(), Expr::mul(x(), sym("y")));
}

#[test]
fn display_is_readable() {
    for text in [
        "kcat * E * S / (Km + S)",
        "k1 * A * B - k2 * C",
        "Vmax * S^n / (K^n + S^n)",
        "-x^2",
        "(-2)^x",
        "x^-2",
        "-(2)",
        "a - (b - c)",
        "(a + b) * c",
        "a < b && (c || d)",
        "(a && b) || c",
        "!(a > b)",
        "`time` * time",
        "`exp`(x) + exp(x)",
        "piecewise(0, x < 0, x)",
        "1e-7 * avogadro",
        "max(a, b, c)",
        "root(3, x)",
        "log(2, x)",
        "-INF",
    ] {
        assert_eq!(p(text).to_string(), text);
    }
    assert_eq!(Expr::add(vec![]).to_string(), "plus()");
    assert_eq!(
        Expr::Nary(NaryOp::Times, vec![sym("x")]).to_string(),
        "times(x)"
    );
    assert_eq!(
        Expr::Nary(NaryOp::Lt, vec![sym("a"), sym("b"), sym("c")]).to_string(),
        "lt(a, b, c)"
    );
    assert_eq!(sym("a b").to_string(), "`a b`");
}

#[test]
fn syntax_errors_name_the_position() {
    let cases = [
        ("k * (A + ", 10, "expected a number"),
        ("k * (A + B", 11, "expected `)`"),
        ("2 3", 3, "expected an operator"),
        ("a = b", 3, "`==`"),
        ("a $ b", 3, "unexpected character"),
        ("sqrt(1, 2)", 1, "`sqrt` takes 1 argument"),
        ("log(x)", 1, "ambiguous"),
        ("`abc", 1, "never closed"),
        ("", 1, "empty"),
        ("f(a,)", 5, "expected a number"),
    ];
    for (text, column, fragment) in cases {
        match parse(text) {
            Err(MathError::Syntax {
                column: c, message, ..
            }) => {
                assert_eq!(c, column, "{text}: {message}");
                assert!(message.contains(fragment), "{text}: {message}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    let deep = format!("{}x{}", "(".repeat(5000), ")".repeat(5000));
    assert!(parse(&deep).is_err());
    let minuses = format!("{}x", "-".repeat(5000));
    assert!(parse(&minuses).is_err());
}

#[test]
fn mathml_numbers() {
    assert_eq!(mathml("<cn> 2.5 </cn>").unwrap(), n(2.5));
    assert_eq!(
        mathml(r#"<cn type="integer" sbml:units="dimensionless"> 7 </cn>"#).unwrap(),
        n(7.0)
    );
    assert_eq!(mathml(r#"<cn type="real">-1e-3</cn>"#).unwrap(), n(-1e-3));
    assert_eq!(
        mathml(r#"<cn type="e-notation"> 1.1 <sep/> -3 </cn>"#).unwrap(),
        n(1.1e-3)
    );
    assert_eq!(
        mathml(r#"<cn type="rational"> 1 <sep/> 4 </cn>"#).unwrap(),
        n(0.25)
    );
    assert!(mathml(r#"<cn type="complex-cartesian">1<sep/>2</cn>"#).is_err());
    assert!(mathml("<cn>abc</cn>").is_err());
    assert!(mathml(r#"<cn type="rational">1</cn>"#).is_err());
}

#[test]
fn mathml_constructs() {
    let ok = |xml: &str, text: &str| {
        let e = mathml(xml).unwrap_or_else(|err| panic!("{xml}: {err}"));
        assert_eq!(e, p(text), "{xml}");
    };
    ok("<ci> S1 </ci>", "S1");
    ok(
        r#"<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time"> t </csymbol>"#,
        "time",
    );
    ok(
        r#"<csymbol definitionURL="http://www.sbml.org/sbml/symbols/avogadro">N</csymbol>"#,
        "avogadro",
    );
    ok(
        r#"<apply><csymbol definitionURL="http://www.sbml.org/sbml/symbols/delay">d</csymbol><ci>x</ci><cn>1</cn></apply>"#,
        "delay(x, 1)",
    );
    ok(
        r#"<apply><csymbol definitionURL="http://www.sbml.org/sbml/symbols/rateOf">r</csymbol><ci>x</ci></apply>"#,
        "rateOf(x)",
    );
    ok("<true/>", "true");
    ok("<pi/>", "pi");
    ok("<exponentiale/>", "exponentiale");
    ok("<infinity/>", "INF");
    ok("<notanumber/>", "NaN");
    ok("<apply><plus/></apply>", "plus()");
    ok("<apply><times/></apply>", "times()");
    ok(
        "<apply><plus/><ci>a</ci><ci>b</ci><ci>c</ci></apply>",
        "a + b + c",
    );
    ok("<apply><minus/><ci>a</ci></apply>", "-a");
    ok("<apply><minus/><cn>2</cn></apply>", "-(2)");
    ok("<apply><minus/><ci>a</ci><ci>b</ci></apply>", "a - b");
    ok("<apply><root/><ci>a</ci></apply>", "sqrt(a)");
    ok(
        "<apply><root/><degree><cn>3</cn></degree><ci>a</ci></apply>",
        "root(3, a)",
    );
    ok("<apply><log/><ci>a</ci></apply>", "log10(a)");
    ok(
        "<apply><log/><logbase><cn>2</cn></logbase><ci>a</ci></apply>",
        "log(2, a)",
    );
    ok("<apply><ln/><ci>a</ci></apply>", "ln(a)");
    ok("<apply><ceiling/><ci>a</ci></apply>", "ceil(a)");
    ok("<apply><arccoth/><ci>a</ci></apply>", "arccoth(a)");
    ok(
        "<apply><gt/><ci>a</ci><ci>b</ci><ci>c</ci></apply>",
        "gt(a, b, c)",
    );
    ok("<apply><neq/><ci>a</ci><ci>b</ci></apply>", "a != b");
    ok("<apply><and/></apply>", "and()");
    ok(
        "<apply><xor/><true/><false/><true/></apply>",
        "xor(true, false, true)",
    );
    ok(
        "<apply><implies/><ci>a</ci><ci>b</ci></apply>",
        "implies(a, b)",
    );
    ok("<apply><max/><ci>a</ci><ci>b</ci></apply>", "max(a, b)");
    ok(
        "<apply><quotient/><ci>a</ci><ci>b</ci></apply>",
        "quotient(a, b)",
    );
    ok("<apply><ci> f </ci><ci>a</ci><cn>1</cn></apply>", "f(a, 1)");
    ok("<apply><ci>f</ci></apply>", "f()");
    ok(
        "<piecewise><piece><cn>1</cn><apply><lt/><ci>x</ci><cn>0</cn></apply></piece><otherwise><cn>2</cn></otherwise></piecewise>",
        "piecewise(1, x < 0, 2)",
    );
    ok(
        "<piecewise><piece><cn>1</cn><true/></piece></piecewise>",
        "piecewise(1, true)",
    );
    ok(
        "<semantics><apply><plus/><ci>a</ci><cn>1</cn></apply><annotation encoding=\"x\">a+1</annotation></semantics>",
        "a + 1",
    );
}

#[test]
fn mathml_errors_name_the_element() {
    let err = |xml: &str, element: &str, fragment: &str| match mathml(xml) {
        Err(e @ MathError::Mathml { .. }) => {
            let MathError::Mathml {
                element: ref el,
                ref message,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(el, element, "{xml}: {e}");
            assert!(message.contains(fragment), "{xml}: {e}");
            assert!(e.to_string().contains(&format!("<{element}>")));
        }
        other => panic!("{xml}: {other:?}"),
    };
    err("<apply><sum/><ci>a</ci></apply>", "sum", "unsupported");
    err("<matrix/>", "matrix", "unsupported");
    err(
        "<apply><divide/><ci>a</ci></apply>",
        "divide",
        "2 arguments",
    );
    err("<apply><minus/></apply>", "minus", "1 or 2");
    err(
        "<apply><sin/><ci>a</ci><ci>b</ci></apply>",
        "sin",
        "1 argument",
    );
    err("<apply/>", "apply", "empty");
    err("<ci>  </ci>", "ci", "empty");
    err(
        r#"<csymbol definitionURL="http://example.org/x">x</csymbol>"#,
        "csymbol",
        "unknown csymbol",
    );
    err(
        r#"<csymbol definitionURL="http://www.sbml.org/sbml/symbols/delay">x</csymbol>"#,
        "csymbol",
        "function",
    );
    err(
        "<apply><plus/><degree><cn>2</cn></degree><ci>a</ci></apply>",
        "degree",
        "does not apply",
    );
    err(
        "<piecewise><piece><cn>1</cn></piece></piecewise>",
        "piece",
        "value and a condition",
    );
    err(
        "<apply><int/><bvar><ci>x</ci></bvar><ci>x</ci></apply>",
        "bvar",
        "qualifier",
    );
    err(
        "<lambda><bvar><ci>x</ci></bvar><ci>x</ci></lambda>",
        "lambda",
        "functionDefinition",
    );
    let two = roxmltree::Document::parse("<math><ci>a</ci><ci>b</ci></math>").unwrap();
    assert!(from_mathml(two.root_element()).is_err());
    // Line and column point at the element.
    let doc = roxmltree::Document::parse("<math>\n  <apply><foo/></apply></math>").unwrap();
    match from_mathml(doc.root_element()) {
        Err(MathError::Mathml { line, column, .. }) => assert_eq!((line, column), (2, 10)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lambdas_and_inlining() {
    let doc = roxmltree::Document::parse(
        r#"<math xmlns="http://www.w3.org/1998/Math/MathML"><lambda><bvar><ci> k </ci></bvar><bvar><ci>s</ci></bvar><apply><times/><ci>k</ci><ci>s</ci></apply></lambda></math>"#,
    )
    .unwrap();
    let f = lambda_from_mathml(doc.root_element()).unwrap();
    assert_eq!(f.params, vec!["k".to_string(), "s".to_string()]);
    assert_eq!(f.body, p("k * s"));
    let doc = roxmltree::Document::parse(
        r#"<math><semantics><lambda><cn>2</cn></lambda></semantics></math>"#,
    )
    .unwrap();
    assert_eq!(
        lambda_from_mathml(doc.root_element()).unwrap().params.len(),
        0
    );

    let mut functions = HashMap::new();
    functions.insert("mass".to_string(), f);
    functions.insert(
        "double_mass".to_string(),
        Function {
            params: vec!["a".into(), "b".into()],
            body: p("2 * mass(a, b)"),
        },
    );
    // Arguments that mention the parameter names must not be substituted again.
    let e = p("double_mass(s, k + 1)").inline_calls(&functions).unwrap();
    assert_eq!(e, p("2 * (s * (k + 1))"));
    assert_eq!(
        p("g(x)").inline_calls(&functions),
        Err(MathError::UnknownFunction("g".into()))
    );
    let arity = p("mass(x)").inline_calls(&functions).unwrap_err();
    assert!(arity
        .to_string()
        .contains("`mass` takes 2 arguments, called with 1"));
    functions.insert(
        "loop".to_string(),
        Function {
            params: vec!["x".into()],
            body: p("loop(x) + 1"),
        },
    );
    assert_eq!(
        p("loop(1)").inline_calls(&functions),
        Err(MathError::Recursion("loop".into()))
    );
    // Nested calls of one function in arguments are not recursion.
    assert_eq!(
        p("mass(mass(1, 2), 3)").inline_calls(&functions).unwrap(),
        p("(1 * 2) * 3")
    );
}

#[test]
fn queries_and_substitution() {
    let e = p("k * S * time + f(x, avogadro) + delay(y, 1) + rateOf(z)");
    let names: Vec<String> = e.symbols().into_iter().collect();
    assert_eq!(names, ["S", "k", "x", "y", "z"]);
    assert_eq!(e.calls().into_iter().collect::<Vec<_>>(), ["f"]);
    assert!(e.has_time() && e.has_delay() && e.has_rate_of());
    assert!(!p("k * S").has_time());
    let s = p("k * S + S").substitute(&|n| (n == "S").then(|| p("S / V")));
    assert_eq!(s, p("k * (S / V) + S / V"));
    let r =
        p("rateOf(x) + rateOf(y)").substitute_rate_of(&|a| (*a == sym("x")).then(|| p("2 * x")));
    assert_eq!(r, p("2 * x + rateOf(y)"));
    assert!(p("x > 1").is_boolean());
    assert!(p("x > 1 && y").is_boolean());
    assert!(p("!x").is_boolean());
    assert!(p("true").is_boolean());
    assert!(p("piecewise(true, x > 0, false)").is_boolean());
    assert!(!p("x + 1").is_boolean());
    assert!(!p("piecewise(1, x > 0, false)").is_boolean());
}

#[test]
fn evaluation_semantics() {
    let cases: &[(&str, f64)] = &[
        ("plus()", 0.0),
        ("times()", 1.0),
        ("and()", 1.0),
        ("or()", 0.0),
        ("xor(1, 1, 1)", 1.0),
        ("xor(1, 1)", 0.0),
        ("eq(2, 2, 2)", 1.0),
        ("eq(2, 2, 3)", 0.0),
        ("gt(3, 2, 1)", 1.0),
        ("gt(3, 2, 2)", 0.0),
        ("geq(3, 2, 2)", 1.0),
        ("implies(0, 0)", 1.0),
        ("implies(1, 0)", 0.0),
        ("2 && 3", 1.0),
        ("0^0", 1.0),
        ("root(3, -8)", -2.0),
        ("root(5, -32)", -2.0),
        ("root(4, 16)", 2.0),
        ("log(2, 8)", 3.0),
        ("log10(1000)", 3.0),
        ("quotient(7, 2)", 3.0),
        ("quotient(-7, 2)", -3.0),
        ("rem(-7, 2)", -1.0),
        ("rem(7, -2)", 1.0),
        ("factorial(5)", 120.0),
        ("factorial(0)", 1.0),
        ("max(1, 3, 2)", 3.0),
        ("min(1, 3, 2)", 1.0),
        ("piecewise(1, false, 2, true, 3)", 2.0),
        ("piecewise(1, false, 3)", 3.0),
        ("floor(-1.5)", -2.0),
        ("ceil(-1.5)", -1.0),
        ("abs(-2)", 2.0),
        ("sec(0)", 1.0),
        ("arccot(1)", std::f64::consts::FRAC_PI_4),
        ("arcsech(1)", 0.0),
        ("avogadro", 6.02214179e23),
        ("exponentiale", std::f64::consts::E),
    ];
    for (text, want) in cases {
        let got = value(&p(text));
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{text}: {got} vs {want}"
        );
    }
    for text in [
        "piecewise(1, false)",
        "ln(-1)",
        "0 / 0",
        "max()",
        "factorial(-1)",
        "max(1, NaN)",
    ] {
        assert!(value(&p(text)).is_nan(), "{text}");
    }
    assert_eq!(value(&p("1 / 0")), f64::INFINITY);
    assert!((value(&p("factorial(0.5)")) - 0.886_226_925_452_758).abs() < 1e-13);
    assert!((eval::gamma(10.5) - 1_133_278.388_948_785_3).abs() / 1.1e6 < 1e-13);
    assert!(eval::factorial(171.0).is_infinite());
    assert_eq!(p("time * 2").eval(&|_| None, 3.0), Ok(6.0));
    assert_eq!(
        p("k * x").eval(&|s| (s == "k").then_some(2.0), 0.0),
        Err(MathError::UnknownSymbol("x".into()))
    );
    assert!(p("delay(x, 1)").eval(&|_| Some(1.0), 0.0).is_err());
    assert!(p("rateOf(x)").eval(&|_| Some(1.0), 0.0).is_err());
    assert!(p("f(1)").eval(&|_| Some(1.0), 0.0).is_err());
}

#[test]
fn program_errors_and_fusion() {
    assert_eq!(
        Program::compile(&p("x + w"), &slot).unwrap_err(),
        MathError::UnknownSymbol("w".into())
    );
    assert!(Program::compile(&p("delay(x, 1)"), &slot).is_err());
    assert!(Program::compile(&p("rateOf(x)"), &slot).is_err());
    assert!(Program::compile(&p("f(x)"), &slot).is_err());
    // k1 * A * B - k2 * C: LoadMul(k1, A), MulLoad(B), LoadMul(k2, C), Sub.
    let resolve = |s: &str| ["k1", "A", "B", "k2", "C"].iter().position(|n| *n == s);
    let prog = Program::compile(&p("k1 * A * B - k2 * C"), &resolve).unwrap();
    assert_eq!(prog.len(), 4);
    assert_eq!(prog.slots(), 5);
    assert_eq!(prog.eval(&[2.0, 3.0, 4.0, 5.0, 6.0], 0.0), 24.0 - 30.0);
    // A jump lands between the otherwise's load and the product: no fusion across it.
    let e = p("piecewise(x, x > 0, y) * z");
    let prog = Program::compile(&e, &slot).unwrap();
    for v in [[1.0, 2.0, 3.0], [-1.0, 2.0, 3.0]] {
        assert_eq!(prog.eval(&v, 0.0), e.eval(&xyz(v), 0.0).unwrap());
    }
}

fn xyzw(v: [f64; 4]) -> impl Fn(&str) -> Option<f64> {
    move |s| {
        ["x", "y", "z", "w"]
            .iter()
            .position(|n| *n == s)
            .map(|i| v[i])
    }
}

#[test]
fn tape_matches_eval_bit_for_bit() {
    let resolve = |s: &str| ["x", "y", "z", "w"].iter().position(|n| *n == s);
    let mut r = Rng(3);
    for i in 0..6_000 {
        let e: Vec<Expr> = (0..4).map(|k| evaluable(&mut r, 1 + (i + k) % 6)).collect();
        // a slot assigned and then read, the same expression twice (shared), and sums of
        // products and negations (fused)
        let reads_w = Expr::add(vec![sym("w"), e[1].clone()]);
        let balance = Expr::add(vec![
            Expr::product(vec![n(-1.0), n(1.0), e[2].clone()]),
            Expr::neg(e[3].clone()),
            Expr::product(vec![n(2.0), sym("w")]),
            Expr::product(vec![Expr::neg(sym("x")), e[1].clone()]),
        ]);
        let outputs = [
            e[1].clone(),
            e[2].clone(),
            e[3].clone(),
            reads_w,
            e[1].clone(),
            balance,
        ];
        let mut b = TapeBuilder::new(4);
        b.assign(3, &e[0], &resolve).expect("compiles");
        for (k, o) in outputs.iter().enumerate() {
            b.output(k, o, &resolve).expect("compiles");
        }
        let tape = b.finish().expect("finishes");
        let mut registers = vec![f64::NAN; tape.registers()];
        let mut out = vec![f64::NAN; tape.outputs()];
        for _ in 0..3 {
            let v = [r.range(-4.0, 4.0), any_number(&mut r), r.range(-1.0, 1.0)];
            let t = r.range(0.0, 10.0);
            registers[..3].copy_from_slice(&v);
            tape.run(&mut registers, t, &mut out);
            let w = e[0].eval(&xyz(v), t).expect("evaluates");
            assert!(
                same(w, registers[3]),
                "case {i}: w = {}: eval {w}, tape {}",
                e[0],
                registers[3]
            );
            for (k, o) in outputs.iter().enumerate() {
                let want = o.eval(&xyzw([v[0], v[1], v[2], w]), t).expect("evaluates");
                assert!(
                    same(want, out[k]),
                    "case {i}: {o}: eval {want}, tape {}",
                    out[k]
                );
            }
        }
    }
}

#[test]
fn tape_shares_and_fuses() {
    let names = ["k1", "k2", "A", "B", "C", "V", "R1", "R2"];
    let resolve = |s: &str| names.iter().position(|n| *n == s);
    let mut b = TapeBuilder::new(names.len());
    // two mass-action rates, the second reading a shared factor of the first
    b.assign(6, &p("k1 * A * B / V"), &resolve).unwrap();
    b.assign(7, &p("k2 * (k1 * A) * C"), &resolve).unwrap();
    // mass balances as the compiler writes them: stoichiometry times rate, summed
    b.output(0, &p("(-1 * 1) * R1 + (1 * 1) * R2"), &resolve)
        .unwrap();
    b.output(1, &p("(1 * 2) * R1 - R2"), &resolve).unwrap();
    let tape = b.finish().unwrap();
    // k1·A, ·B, /V; k2·(k1·A), ·C; R2 − R1; 2·R1, − R2 (the constant product folded)
    assert_eq!(tape.len(), 8, "{tape:?}");
    let mut registers = vec![0.0; tape.registers()];
    registers[..6].copy_from_slice(&[2.0, 3.0, 5.0, 7.0, 11.0, 0.5]);
    let mut out = [0.0; 2];
    tape.run(&mut registers, 0.0, &mut out);
    let (r1, r2) = (2.0 * 5.0 * 7.0 / 0.5, 3.0 * (2.0 * 5.0) * 11.0);
    assert_eq!((registers[6], registers[7]), (r1, r2));
    assert_eq!(out, [-r1 + r2, 2.0 * r1 - r2]);
}

#[test]
fn tape_branches_do_not_share_what_may_not_run() {
    let resolve = |s: &str| ["x", "y"].iter().position(|n| *n == s);
    let mut b = TapeBuilder::new(2);
    // exp(y) is computed only in the second branch: the later output must compute it anew
    b.output(0, &p("piecewise(1, x > 0, exp(y) + 1)"), &resolve)
        .unwrap();
    b.output(1, &p("exp(y) * 2"), &resolve).unwrap();
    let tape = b.finish().unwrap();
    let mut registers = vec![0.0; tape.registers()];
    let mut out = [0.0; 2];
    registers[..2].copy_from_slice(&[1.0, 0.5]);
    tape.run(&mut registers, 0.0, &mut out);
    assert_eq!(out, [1.0, 0.5f64.exp() * 2.0]);
    registers[..2].copy_from_slice(&[-1.0, 0.5]);
    tape.run(&mut registers, 0.0, &mut out);
    assert_eq!(out, [0.5f64.exp() + 1.0, 0.5f64.exp() * 2.0]);
}
