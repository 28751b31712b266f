//! How is an SBML-qual file read? An SBML Level 3 model with the `qual` package
//! (`http://www.sbml.org/sbml/level3/version1/qual/version1`) becomes a Boolean
//! [`LogicalModel`]:
//!
//! - Each `qualitativeSpecies` is a node named by its `qual:id`, in document order. A species
//!   with `qual:maxLevel` above 1 is refused: multi-valued levels are not supported.
//! - Its rule comes from the `transition` whose one `output` (`assignmentLevel`) names it: with
//!   default level 0 the rule is the OR of the conditions of the function terms of level 1;
//!   with default level 1 it is NOT the OR of those of level 0.
//! - A species that no transition gives function terms is a constant (its `qual:initialLevel`)
//!   when `qual:constant="true"`, else an input (its rule is itself).
//! - Conditions are MathML: `apply` of `and`, `or`, `xor`, `not` and the relations `eq`, `neq`,
//!   `geq`, `gt`, `leq`, `lt` between species levels and numbers, `ci`, `cn`, `true`, `false`.
//!   A relation on a Boolean species becomes the node, its negation or a constant.
//!
//! Annotations, notes, layout and core SBML are ignored. Errors name the file, line and column,
//! and the element or id at fault.

use crate::error::{Error, Position};
use crate::model::logical::{Expr, LogicalModel, LogicalNode, Op};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;
use std::path::Path;

/// Deeper XML than this is refused: rules are walked recursively downstream ([`Expr`]'s
/// methods), and a hostile file must not overflow the stack. BBM's largest model nests 288 deep.
const MAX_DEPTH: usize = 1000;

const SUPPORTED: &str =
    "supported: apply of and, or, xor, not, eq, neq, geq, gt, leq, lt; ci, cn, true, false";

struct Species {
    id: String,
    constant: bool,
    initial: u64,
}

struct Input {
    id: Option<String>,
    species: String,
    threshold: Option<u64>,
    at: Position,
}

struct Output {
    species: String,
    at: Position,
}

struct Term {
    level: u64,
    math: Option<MathNode>,
    at: Position,
}

#[derive(Default)]
struct Transition {
    id: Option<String>,
    at: Option<Position>,
    inputs: Vec<Input>,
    outputs: Vec<Output>,
    /// Whether the transition has a `listOfFunctionTerms` at all (see [`read`] for why it matters).
    has_terms: bool,
    default: Option<(u64, Position)>,
    terms: Vec<Term>,
}

impl Transition {
    fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("transition {id}"),
            None => "a transition without qual:id".to_owned(),
        }
    }
}

/// A MathML element as written, converted once the whole document (every species) is known.
struct MathNode {
    name: String,
    /// The `type` attribute of a `cn`.
    kind: Option<String>,
    text: String,
    children: Vec<MathNode>,
    at: Position,
}

/// Turns byte offsets into line and column, scanning each byte once as the reader advances.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    at: Position,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            offset: 0,
            at: Position { line: 1, column: 1 },
        }
    }

    fn at(&mut self, offset: u64) -> Position {
        let end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if end < self.offset {
            self.offset = 0;
            self.at = Position { line: 1, column: 1 };
        }
        for &b in self.bytes.get(self.offset..end).unwrap_or(&[]) {
            if b == b'\n' {
                self.at = Position {
                    line: self.at.line + 1,
                    column: 1,
                };
            } else if b & 0xC0 != 0x80 {
                // Columns count characters, not the continuation bytes of UTF-8.
                self.at.column += 1;
            }
        }
        self.offset = end;
        self.at
    }
}

fn syntax(file: &Path, at: Position, message: String) -> Error {
    Error::Syntax {
        file: file.to_path_buf(),
        position: Some(at),
        message,
    }
}

fn attributes(
    element: &BytesStart<'_>,
    file: &Path,
    at: Position,
) -> Result<HashMap<String, String>, Error> {
    let mut out = HashMap::new();
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| syntax(file, at, format!("malformed XML: {e}")))?;
        // Local names: `qual:id` and `id` alike, whatever prefix the file binds to the package.
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let value = attribute
            .unescape_value()
            .map_err(|e| syntax(file, at, format!("malformed XML: {e}")))?
            .into_owned();
        out.insert(key, value);
    }
    Ok(out)
}

fn level(
    attrs: &HashMap<String, String>,
    key: &str,
    what: &str,
    file: &Path,
    at: Position,
) -> Result<Option<u64>, Error> {
    match attrs.get(key) {
        None => Ok(None),
        Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
            syntax(
                file,
                at,
                format!("{what} has qual:{key}={v:?}, which is not a non-negative integer"),
            )
        }),
    }
}

/// Whether the open elements end with `path` (innermost last).
fn within(stack: &[String], path: &[&str]) -> bool {
    stack.len() >= path.len()
        && stack
            .iter()
            .rev()
            .zip(path.iter().rev())
            .all(|(a, b)| a == b)
}

/// The operands joined pairwise, level by level: a long n-ary `and` or `or` (or many function
/// terms) gives a tree of logarithmic depth, which the recursive walks over [`Expr`] can take.
/// Up to three operands this is the left fold `a & b & c`.
fn balanced(mut items: Vec<Expr>, join: impl Fn(Expr, Expr) -> Expr) -> Option<Expr> {
    while items.len() > 1 {
        let mut next = Vec::with_capacity(items.len() / 2 + 1);
        let mut pairs = items.into_iter();
        while let Some(a) = pairs.next() {
            next.push(match pairs.next() {
                Some(b) => join(a, b),
                None => a,
            });
        }
        items = next;
    }
    items.pop()
}

/// Reads an SBML-qual document into a Boolean network.
pub fn read(bytes: &[u8], file: &Path) -> Result<LogicalModel, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = Lines::new(bytes).at(e.valid_up_to() as u64);
        syntax(file, at, format!("not UTF-8 text: {e}"))
    })?;
    let mut lines = Lines::new(text.as_bytes());
    let mut reader = Reader::from_str(text);
    // Whitespace is kept as text events so that the position before each event is exactly
    // where its element starts.
    reader.config_mut().trim_text(false);

    let mut species: Vec<Species> = Vec::new();
    let mut transitions: Vec<Transition> = Vec::new();
    let mut parameters: HashMap<String, f64> = HashMap::new();
    let mut qual_list: Option<Position> = None;
    let mut model_at: Option<Position> = None;
    let mut root_at: Option<Position> = None;

    let mut stack: Vec<String> = Vec::new();
    // The open MathML elements of the function term being read, `math` first.
    let mut math: Vec<MathNode> = Vec::new();
    loop {
        let at = lines.at(reader.buffer_position());
        let event = reader.read_event().map_err(|e| {
            syntax(
                file,
                lines.at(reader.error_position()),
                format!("malformed XML: {e}"),
            )
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if stack.len() >= MAX_DEPTH {
                    return Err(syntax(
                        file,
                        at,
                        format!("<{name}> is nested more than {MAX_DEPTH} elements deep"),
                    ));
                }
                if !math.is_empty() {
                    let kind = if name == "cn" {
                        attributes(e, file, at)?.remove("type")
                    } else {
                        None
                    };
                    let node = MathNode {
                        name: name.clone(),
                        kind,
                        text: String::new(),
                        children: Vec::new(),
                        at,
                    };
                    match (empty, math.last_mut()) {
                        (true, Some(parent)) => parent.children.push(node),
                        _ => math.push(node),
                    }
                } else {
                    element(
                        &name,
                        e,
                        empty,
                        at,
                        &stack,
                        file,
                        &mut Found {
                            species: &mut species,
                            transitions: &mut transitions,
                            parameters: &mut parameters,
                            qual_list: &mut qual_list,
                            model_at: &mut model_at,
                            root_at: &mut root_at,
                            math: &mut math,
                        },
                    )?;
                }
                if !empty {
                    stack.push(name);
                }
            }
            Event::Text(ref t) if !math.is_empty() => {
                let value = t
                    .unescape()
                    .map_err(|e| syntax(file, at, format!("malformed XML: {e}")))?;
                if let Some(open) = math.last_mut() {
                    open.text.push_str(&value);
                }
            }
            Event::CData(ref t) if !math.is_empty() => {
                if let Some(open) = math.last_mut() {
                    open.text.push_str(&String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::End(_) => {
                stack.pop();
                if let Some(done) = math.pop() {
                    match math.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => attach_math(done, &mut transitions, file)?,
                    }
                }
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    return Err(syntax(
                        file,
                        at,
                        format!("malformed XML: the document ends before <{open}> is closed"),
                    ));
                }
                break;
            }
            _ => {}
        }
    }

    let Some(root) = root_at else {
        return Err(syntax(
            file,
            Position { line: 1, column: 1 },
            "not an SBML document: it has no root element".to_owned(),
        ));
    };
    let Some(list_at) = qual_list else {
        return Err(syntax(
            file,
            model_at.unwrap_or(root),
            "not an SBML-qual model: there is no qual:listOfQualitativeSpecies in the model"
                .to_owned(),
        ));
    };
    if species.is_empty() {
        return Err(syntax(
            file,
            list_at,
            "the model has no qual:qualitativeSpecies".to_owned(),
        ));
    }
    build(&species, &transitions, &parameters, file)
}

/// What the document has said so far, outside MathML.
struct Found<'a> {
    species: &'a mut Vec<Species>,
    transitions: &'a mut Vec<Transition>,
    parameters: &'a mut HashMap<String, f64>,
    qual_list: &'a mut Option<Position>,
    model_at: &'a mut Option<Position>,
    root_at: &'a mut Option<Position>,
    math: &'a mut Vec<MathNode>,
}

/// Takes in one element outside MathML, by where it sits: elements elsewhere (annotations,
/// layout, notes) are ignored.
fn element(
    name: &str,
    e: &BytesStart<'_>,
    empty: bool,
    at: Position,
    stack: &[String],
    file: &Path,
    found: &mut Found<'_>,
) -> Result<(), Error> {
    let in_transition = |list: &str| within(stack, &["listOfTransitions", "transition", list]);
    match (stack.last().map(String::as_str), name) {
        (None, _) if found.root_at.is_some() => {
            return Err(syntax(
                file,
                at,
                format!("malformed XML: <{name}> after the root element"),
            ))
        }
        (None, "sbml") => *found.root_at = Some(at),
        (None, other) => {
            return Err(syntax(
                file,
                at,
                format!("not an SBML document: the root element is <{other}>, not <sbml>"),
            ))
        }
        (Some("sbml"), "model") => *found.model_at = Some(at),
        (Some("model"), "listOfQualitativeSpecies") => *found.qual_list = Some(at),
        (Some("listOfQualitativeSpecies"), "qualitativeSpecies")
            if within(stack, &["model", "listOfQualitativeSpecies"]) =>
        {
            let attrs = attributes(e, file, at)?;
            let Some(id) = attrs.get("id").cloned() else {
                return Err(syntax(
                    file,
                    at,
                    "a qual:qualitativeSpecies has no qual:id".to_owned(),
                ));
            };
            let what = format!("species {id}");
            if let Some(max) = level(&attrs, "maxLevel", &what, file, at)? {
                if max > 1 {
                    return Err(syntax(
                        file,
                        at,
                        format!(
                            "species {id} has qual:maxLevel=\"{max}\": multi-valued levels are not supported; \
                             use a Booleanized version of the model (such as its .bnet export, one node per level)"
                        ),
                    ));
                }
            }
            let constant = match attrs.get("constant").map(|v| v.trim()) {
                None | Some("false") | Some("0") => false,
                Some("true") | Some("1") => true,
                Some(other) => {
                    return Err(syntax(
                        file,
                        at,
                        format!("{what} has qual:constant={other:?}, not true or false"),
                    ))
                }
            };
            let initial = level(&attrs, "initialLevel", &what, file, at)?.unwrap_or(0);
            if initial > 1 {
                return Err(syntax(
                    file,
                    at,
                    format!("{what} has qual:initialLevel=\"{initial}\", above its level 1"),
                ));
            }
            if found.species.iter().any(|s| s.id == id) {
                return Err(syntax(
                    file,
                    at,
                    format!("a second qual:qualitativeSpecies has the id {id}"),
                ));
            }
            found.species.push(Species {
                id,
                constant,
                initial,
            });
        }
        (Some("listOfParameters"), "parameter")
            if within(stack, &["model", "listOfParameters"]) =>
        {
            // Core parameters may stand for numbers in conditions (`<ci>threshold</ci>`).
            let attrs = attributes(e, file, at)?;
            if let (Some(id), Some(value)) = (attrs.get("id"), attrs.get("value")) {
                if let Ok(value) = value.trim().parse::<f64>() {
                    found.parameters.insert(id.clone(), value);
                }
            }
        }
        (Some("listOfTransitions"), "transition")
            if within(stack, &["model", "listOfTransitions"]) =>
        {
            let attrs = attributes(e, file, at)?;
            found.transitions.push(Transition {
                id: attrs.get("id").cloned(),
                at: Some(at),
                ..Default::default()
            });
        }
        (Some("listOfInputs"), "input") if in_transition("listOfInputs") => {
            let attrs = attributes(e, file, at)?;
            let Some(t) = found.transitions.last_mut() else {
                return Ok(());
            };
            let Some(species) = attrs.get("qualitativeSpecies").cloned() else {
                return Err(syntax(
                    file,
                    at,
                    format!("an input of {} has no qual:qualitativeSpecies", t.label()),
                ));
            };
            let threshold = level(
                &attrs,
                "thresholdLevel",
                &format!("the input on {species}"),
                file,
                at,
            )?;
            t.inputs.push(Input {
                id: attrs.get("id").cloned(),
                species,
                threshold,
                at,
            });
        }
        (Some("listOfOutputs"), "output") if in_transition("listOfOutputs") => {
            let attrs = attributes(e, file, at)?;
            let Some(t) = found.transitions.last_mut() else {
                return Ok(());
            };
            let Some(species) = attrs.get("qualitativeSpecies").cloned() else {
                return Err(syntax(
                    file,
                    at,
                    format!("an output of {} has no qual:qualitativeSpecies", t.label()),
                ));
            };
            // `production` is the only other effect, and it must be written out.
            match attrs.get("transitionEffect").map(|v| v.trim()) {
                None | Some("assignmentLevel") => {}
                Some(other) => {
                    return Err(syntax(
                        file,
                        at,
                        format!(
                            "the output {species} of {} has qual:transitionEffect=\"{other}\": \
                             only assignmentLevel is supported",
                            t.label()
                        ),
                    ))
                }
            }
            t.outputs.push(Output { species, at });
        }
        (Some("transition"), "listOfFunctionTerms")
            if within(stack, &["listOfTransitions", "transition"]) =>
        {
            if let Some(t) = found.transitions.last_mut() {
                t.has_terms = true;
            }
        }
        (Some("listOfFunctionTerms"), "defaultTerm" | "functionTerm")
            if in_transition("listOfFunctionTerms") =>
        {
            let attrs = attributes(e, file, at)?;
            let Some(t) = found.transitions.last_mut() else {
                return Ok(());
            };
            let Some(value) = level(
                &attrs,
                "resultLevel",
                &format!("a qual:{name} of {}", t.label()),
                file,
                at,
            )?
            else {
                return Err(syntax(
                    file,
                    at,
                    format!("a qual:{name} of {} has no qual:resultLevel", t.label()),
                ));
            };
            if name == "defaultTerm" {
                if t.default.is_some() {
                    return Err(syntax(
                        file,
                        at,
                        format!("{} has a second qual:defaultTerm", t.label()),
                    ));
                }
                t.default = Some((value, at));
            } else {
                t.terms.push(Term {
                    level: value,
                    math: None,
                    at,
                });
            }
        }
        (Some("functionTerm"), "math")
            if within(
                stack,
                &["transition", "listOfFunctionTerms", "functionTerm"],
            ) =>
        {
            let node = MathNode {
                name: name.to_owned(),
                kind: None,
                text: String::new(),
                children: Vec::new(),
                at,
            };
            if empty {
                attach_math(node, found.transitions, file)?;
            } else {
                found.math.push(node);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Gives a finished `<math>` to the function term it belongs to.
fn attach_math(node: MathNode, transitions: &mut [Transition], file: &Path) -> Result<(), Error> {
    let Some(t) = transitions.last_mut() else {
        return Ok(());
    };
    let label = t.label();
    if let Some(term) = t.terms.last_mut() {
        if term.math.is_some() {
            return Err(syntax(
                file,
                node.at,
                format!("a qual:functionTerm of {label} has a second <math>"),
            ));
        }
        term.math = Some(node);
    }
    Ok(())
}

/// What a `ci` or `cn` stands for in a relation.
#[derive(Clone, Copy)]
enum Operand<'a> {
    /// A species' level.
    Level(usize),
    Number(f64),
    /// An input's id: its species' level or, compared with a level, its threshold.
    Input {
        species: usize,
        threshold: Option<u64>,
        id: &'a str,
    },
}

/// The names a condition of one transition can use.
struct Scope<'a> {
    species: &'a HashMap<&'a str, usize>,
    inputs: HashMap<&'a str, (usize, Option<u64>)>,
    parameters: &'a HashMap<String, f64>,
    transition: String,
    file: &'a Path,
}

impl Scope<'_> {
    fn error(&self, at: Position, message: String) -> Error {
        syntax(self.file, at, message)
    }

    fn name<'n>(&self, node: &'n MathNode) -> Result<Operand<'n>, Error> {
        let id = node.text.trim();
        if let Some(i) = self.species.get(id) {
            Ok(Operand::Level(*i))
        } else if let Some((species, threshold)) = self.inputs.get(id) {
            Ok(Operand::Input {
                species: *species,
                threshold: *threshold,
                id,
            })
        } else if let Some(value) = self.parameters.get(id) {
            Ok(Operand::Number(*value))
        } else {
            Err(self.error(
                node.at,
                format!(
                    "<ci>{id}</ci> in {} names no qualitative species, input or parameter",
                    self.transition
                ),
            ))
        }
    }

    fn number(&self, node: &MathNode) -> Result<f64, Error> {
        let text = node.text.trim();
        let value = match node.kind.as_deref().map(str::trim) {
            Some("integer") => text.parse::<i64>().ok().map(|v| v as f64),
            None | Some("real") => text.parse::<f64>().ok().filter(|v| v.is_finite()),
            Some(other) => {
                return Err(self.error(
                    node.at,
                    format!(
                        "<cn type=\"{other}\"> in {} is not supported (only integer and real)",
                        self.transition
                    ),
                ))
            }
        };
        match value {
            Some(v) if node.children.is_empty() => Ok(v),
            _ => Err(self.error(
                node.at,
                format!("<cn>{text}</cn> in {} is not a number", self.transition),
            )),
        }
    }

    fn operand<'n>(&self, node: &'n MathNode, relation: &str) -> Result<Operand<'n>, Error> {
        match node.name.as_str() {
            "ci" => self.name(node),
            "cn" => Ok(Operand::Number(self.number(node)?)),
            other => Err(self.error(
                node.at,
                format!(
                    "<{other}> as an operand of <{relation}/> in {}: only <ci> and <cn> can be compared",
                    self.transition
                ),
            )),
        }
    }

    /// The Boolean expression a MathML condition stands for.
    ///
    /// The walk keeps its own stacks rather than recursing: MathML can nest deeper than a
    /// thread's stack allows.
    fn condition(&self, root: &MathNode) -> Result<Expr, Error> {
        enum Step<'n> {
            Visit(&'n MathNode),
            /// Joins the last `count` results with the operator of this `apply`.
            Join(&'n MathNode, usize),
        }
        let mut todo = vec![Step::Visit(root)];
        let mut done: Vec<Expr> = Vec::new();
        while let Some(step) = todo.pop() {
            match step {
                Step::Visit(node) if node.name == "apply" => {
                    let Some((operator, args)) = node.children.split_first() else {
                        return Err(
                            self.error(node.at, format!("an empty <apply> in {}", self.transition))
                        );
                    };
                    let op = operator.name.as_str();
                    match (op, args) {
                        ("and" | "or" | "xor", _) | ("not", [_]) => {
                            todo.push(Step::Join(node, args.len()));
                            // Reversed, so that the operands are done left to right.
                            todo.extend(args.iter().rev().map(Step::Visit));
                        }
                        ("eq" | "neq" | "geq" | "gt" | "leq" | "lt", [a, b]) => {
                            done.push(self.relation(op, a, b)?)
                        }
                        ("not", _) => return Err(self.arity(node, op, 1, args.len())),
                        ("eq" | "neq" | "geq" | "gt" | "leq" | "lt", _) => {
                            return Err(self.arity(node, op, 2, args.len()))
                        }
                        _ => return Err(self.unsupported(operator, "operator", "/")),
                    }
                }
                Step::Visit(node) => done.push(self.leaf(node)?),
                Step::Join(node, count) => {
                    let operands = done.split_off(done.len().saturating_sub(count));
                    let op = node.children.first().map_or("", |o| o.name.as_str());
                    let joined = match op {
                        "not" => operands.into_iter().next().map(Expr::not),
                        "and" => balanced(operands, Expr::and),
                        "or" => balanced(operands, Expr::or),
                        _ => balanced(operands, |a, b| {
                            Expr::Binary(Op::Xor, Box::new(a), Box::new(b))
                        }),
                    };
                    // No operands: and() is true, or() and xor() are false.
                    done.push(joined.unwrap_or(Expr::constant(op == "and")));
                }
            }
        }
        done.pop().ok_or_else(|| {
            self.error(
                root.at,
                format!("an empty condition in {}", self.transition),
            )
        })
    }

    /// A condition that is not an `apply`.
    fn leaf(&self, node: &MathNode) -> Result<Expr, Error> {
        match node.name.as_str() {
            // A species (or input) alone is true when its level is at least 1.
            "ci" => match self.name(node)? {
                Operand::Level(i) | Operand::Input { species: i, .. } => Ok(Expr::Node(i)),
                Operand::Number(v) => Ok(Expr::constant(v != 0.0)),
            },
            "cn" => Ok(Expr::constant(self.number(node)? != 0.0)),
            "true" => Ok(Expr::constant(true)),
            "false" => Ok(Expr::constant(false)),
            _ => Err(self.unsupported(node, "element", "")),
        }
    }

    #[inline(never)]
    fn unsupported(&self, node: &MathNode, what: &str, slash: &str) -> Error {
        let message = format!(
            "unsupported MathML {what} <{}{slash}> in {} ({SUPPORTED})",
            node.name, self.transition
        );
        self.error(node.at, message)
    }

    #[inline(never)]
    fn arity(&self, node: &MathNode, op: &str, wanted: usize, found: usize) -> Error {
        let message = format!(
            "<{op}/> in {} takes {wanted} operand(s), not {found}",
            self.transition
        );
        self.error(node.at, message)
    }

    fn relation(&self, op: &str, a: &MathNode, b: &MathNode) -> Result<Expr, Error> {
        let (x, y) = (self.operand(a, op)?, self.operand(b, op)?);
        let threshold = |operand: Operand<'_>, at: Position| -> Result<f64, Error> {
            match operand {
                Operand::Input { threshold: Some(t), .. } => Ok(t as f64),
                Operand::Input { id, .. } => Err(self.error(
                    at,
                    format!(
                        "<ci>{id}</ci> in {} compares a level with input {id}, which has no qual:thresholdLevel",
                        self.transition
                    ),
                )),
                Operand::Number(v) => Ok(v),
                Operand::Level(_) => Ok(0.0),
            }
        };
        // An input's id is its species' level, except opposite a level, where it is its
        // threshold (GINsim writes `<ci>A</ci> >= <ci>input_on_A</ci>`).
        let (x, y) = match (x, y) {
            (Operand::Input { species, .. }, Operand::Number(_)) => (Operand::Level(species), y),
            (Operand::Number(_), Operand::Input { species, .. }) => (x, Operand::Level(species)),
            (Operand::Level(_) | Operand::Input { .. }, Operand::Input { .. }) => {
                let x = match x {
                    Operand::Input { species, .. } => Operand::Level(species),
                    other => other,
                };
                (x, Operand::Number(threshold(y, b.at)?))
            }
            (Operand::Input { .. }, Operand::Level(_)) => (Operand::Number(threshold(x, a.at)?), y),
            _ => (x, y),
        };
        let compare = |l: f64, r: f64| match op {
            "eq" => l == r,
            "neq" => l != r,
            "geq" => l >= r,
            "gt" => l > r,
            "leq" => l <= r,
            _ => l < r,
        };
        // Boolean species have levels 0 and 1: a relation is the truth table over those.
        let one = |node: usize, when_0: bool, when_1: bool| match (when_0, when_1) {
            (false, true) => Expr::Node(node),
            (true, false) => Expr::not(Expr::Node(node)),
            (v, _) => Expr::constant(v),
        };
        Ok(match (x, y) {
            (Operand::Level(i), Operand::Number(n)) => one(i, compare(0.0, n), compare(1.0, n)),
            (Operand::Number(n), Operand::Level(i)) => one(i, compare(n, 0.0), compare(n, 1.0)),
            (Operand::Level(i), Operand::Level(j)) if i == j => {
                one(i, compare(0.0, 0.0), compare(1.0, 1.0))
            }
            (Operand::Level(i), Operand::Level(j)) => {
                let mut terms = Vec::new();
                for (vi, vj) in [(false, false), (false, true), (true, false), (true, true)] {
                    if compare(f64::from(u8::from(vi)), f64::from(u8::from(vj))) {
                        let literal = |n: usize, v: bool| {
                            if v {
                                Expr::Node(n)
                            } else {
                                Expr::not(Expr::Node(n))
                            }
                        };
                        terms.push(Expr::and(literal(i, vi), literal(j, vj)));
                    }
                }
                match terms.len() {
                    0 => Expr::constant(false),
                    4 => Expr::constant(true),
                    _ => terms
                        .into_iter()
                        .reduce(Expr::or)
                        .unwrap_or(Expr::constant(false)),
                }
            }
            (Operand::Number(l), Operand::Number(r)) => Expr::constant(compare(l, r)),
            // Inputs were all resolved above.
            _ => Expr::constant(false),
        })
    }
}

/// The model from what the document said: one node per species, rules from transitions.
fn build(
    species: &[Species],
    transitions: &[Transition],
    parameters: &HashMap<String, f64>,
    file: &Path,
) -> Result<LogicalModel, Error> {
    let index: HashMap<&str, usize> = species
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut rules: Vec<Option<Expr>> = vec![None; species.len()];
    // Which transition gave each species its rule, to name both when two do.
    let mut ruled_by: Vec<Option<String>> = vec![None; species.len()];
    for t in transitions {
        let label = t.label();
        let at = t.at.unwrap_or(Position { line: 1, column: 1 });
        let output = match t.outputs.as_slice() {
            // A transition that assigns nothing changes no node.
            [] => continue,
            [one] => one,
            many => {
                let names: Vec<&str> = many.iter().map(|o| o.species.as_str()).collect();
                return Err(syntax(
                    file,
                    at,
                    format!(
                        "{label} has {} outputs ({}): only one output per transition is supported",
                        many.len(),
                        names.join(", ")
                    ),
                ));
            }
        };
        let Some(&target) = index.get(output.species.as_str()) else {
            return Err(syntax(
                file,
                output.at,
                format!(
                    "the output of {label} names {}, which is no qualitative species",
                    output.species
                ),
            ));
        };
        let mut inputs = HashMap::new();
        for input in &t.inputs {
            let Some(&i) = index.get(input.species.as_str()) else {
                return Err(syntax(
                    file,
                    input.at,
                    format!(
                        "an input of {label} names {}, which is no qualitative species",
                        input.species
                    ),
                ));
            };
            if let Some(id) = &input.id {
                inputs.insert(id.as_str(), (i, input.threshold));
            }
        }
        if !t.has_terms {
            // BBM (biodivine) writes an input node as a transition with neither inputs nor
            // function terms: the node keeps its value, as when there is no transition.
            if t.inputs.is_empty() {
                continue;
            }
            return Err(syntax(
                file,
                at,
                format!(
                    "{label} has inputs but no qual:listOfFunctionTerms: the rule of {} is not given",
                    output.species
                ),
            ));
        }
        let Some((default, default_at)) = t.default else {
            return Err(syntax(file, at, format!("{label} has no qual:defaultTerm")));
        };
        let (target_id, constant) = species
            .get(target)
            .map_or(("", false), |s| (s.id.as_str(), s.constant));
        if constant {
            return Err(syntax(
                file,
                at,
                format!(
                    "species {target_id} is qual:constant=\"true\" but {label} assigns its level"
                ),
            ));
        }
        if let Some(other) = ruled_by.get(target).cloned().flatten() {
            return Err(syntax(
                file,
                at,
                format!("{label} assigns {target_id}, which {other} assigns already"),
            ));
        }
        let too_high = |level: u64, at: Position| {
            syntax(
                file,
                at,
                format!("{label} gives {target_id} level {level}, above its maximum level 1"),
            )
        };
        if default > 1 {
            return Err(too_high(default, default_at));
        }
        let scope = Scope {
            species: &index,
            inputs,
            parameters,
            transition: label.clone(),
            file,
        };
        // The terms that move the node away from the default level decide the rule.
        let mut away: Vec<Expr> = Vec::new();
        for term in &t.terms {
            if term.level > 1 {
                return Err(too_high(term.level, term.at));
            }
            let Some(math) = &term.math else {
                return Err(syntax(
                    file,
                    term.at,
                    format!("a qual:functionTerm of {label} has no <math>"),
                ));
            };
            let condition = match math.children.as_slice() {
                [one] => scope.condition(one)?,
                _ => {
                    return Err(syntax(
                        file,
                        math.at,
                        format!(
                            "the <math> of a qual:functionTerm of {label} must hold one condition"
                        ),
                    ))
                }
            };
            if term.level != default {
                away.push(condition);
            }
        }
        let away = balanced(away, Expr::or).unwrap_or(Expr::constant(false));
        let rule = if default == 0 { away } else { Expr::not(away) };
        // Substituting nothing folds the constants that always-true or always-false
        // comparisons leave behind.
        if let Some(slot) = rules.get_mut(target) {
            *slot = Some(rule.substitute(&[]));
        }
        if let Some(slot) = ruled_by.get_mut(target) {
            *slot = Some(label);
        }
    }
    let nodes = species
        .iter()
        .zip(rules)
        .enumerate()
        .map(|(i, (s, rule))| LogicalNode {
            name: s.id.clone(),
            rule: rule.unwrap_or(if s.constant {
                Expr::constant(s.initial >= 1)
            } else {
                Expr::Node(i)
            }),
            rate_up: None,
            rate_down: None,
        })
        .collect();
    Ok(LogicalModel {
        nodes,
        parameters: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1"
      xmlns:qual="http://www.sbml.org/sbml/level3/version1/qual/version1" qual:required="true">
<model id="m">"#;

    /// A document with these species (one per line, from line 6) and transitions.
    fn doc(species: &[&str], transitions: &str) -> String {
        format!(
            "{HEAD}\n<qual:listOfQualitativeSpecies>\n{}\n</qual:listOfQualitativeSpecies>\n\
             <qual:listOfTransitions>\n{transitions}\n</qual:listOfTransitions>\n</model>\n</sbml>\n",
            species.join("\n")
        )
    }

    fn species(id: &str) -> String {
        format!(
            r#"<qual:qualitativeSpecies qual:id="{id}" qual:maxLevel="1" qual:constant="false"/>"#
        )
    }

    /// A transition to `output` from `inputs` with default level `default` and `terms`
    /// (level, MathML condition).
    fn transition(output: &str, inputs: &str, default: u8, terms: &[(u8, &str)]) -> String {
        let terms: String = terms
            .iter()
            .map(|(level, math)| {
                format!(
                    "<qual:functionTerm qual:resultLevel=\"{level}\">\
                     <math xmlns=\"http://www.w3.org/1998/Math/MathML\">{math}</math></qual:functionTerm>\n"
                )
            })
            .collect();
        format!(
            "<qual:transition qual:id=\"tr_{output}\">\n<qual:listOfInputs>{inputs}</qual:listOfInputs>\n\
             <qual:listOfOutputs><qual:output qual:qualitativeSpecies=\"{output}\" \
             qual:transitionEffect=\"assignmentLevel\"/></qual:listOfOutputs>\n\
             <qual:listOfFunctionTerms>\n<qual:defaultTerm qual:resultLevel=\"{default}\"/>\n{terms}\
             </qual:listOfFunctionTerms>\n</qual:transition>"
        )
    }

    fn read_str(text: &str) -> Result<LogicalModel, Error> {
        read(text.as_bytes(), Path::new("m.sbml"))
    }

    fn rules(model: &LogicalModel) -> Vec<String> {
        (0..model.nodes.len())
            .map(|i| format!("{} = {}", model.nodes[i].name, model.rule_text(i)))
            .collect()
    }

    /// The line and message of a syntax error.
    fn error(text: &str) -> (u64, String) {
        match read_str(text) {
            Err(Error::Syntax {
                position: Some(p),
                message,
                file,
            }) => {
                assert_eq!(file, Path::new("m.sbml"));
                (p.line, message)
            }
            other => panic!("expected a syntax error with a position, got {other:?}"),
        }
    }

    fn eq(id: &str, value: u8) -> String {
        format!("<apply><eq/><ci> {id} </ci><cn type=\"integer\">{value}</cn></apply>")
    }

    #[test]
    fn rules_come_from_terms_defaults_constants_and_inputs() {
        let b = format!(
            "<apply><and/>{}<apply><not/>{}</apply></apply>",
            eq("A", 1),
            eq("C", 1)
        );
        let text = doc(
            &[
                &species("A"),
                r#"<qual:qualitativeSpecies qual:id="C" qual:constant="true" qual:initialLevel="1"/>"#,
                r#"<qual:qualitativeSpecies qual:id="Z" qual:constant="true"/>"#,
                &species("B"),
                &species("D"),
            ],
            &[
                transition("B", "", 0, &[(1, &b), (0, &eq("Z", 1))]),
                // Default 1: the rule is NOT (the level-0 conditions); a bare <ci> is "level >= 1".
                transition("D", "", 1, &[(0, "<ci>A</ci>"), (0, &eq("B", 1))]),
            ]
            .join("\n"),
        );
        let model = read_str(&text).expect("reads");
        assert_eq!(
            rules(&model),
            ["A = A", "C = 1", "Z = 0", "B = A & !C", "D = !(A | B)"]
        );
        assert_eq!(model.inputs(), [0]);
        assert!(model.parameters.is_empty() && model.nodes.iter().all(|n| n.rate_up.is_none()));
    }

    #[test]
    fn relations_on_a_boolean_species_become_the_node_its_negation_or_a_constant() {
        let cases = [
            ("<geq/><ci>X</ci><cn>1</cn>", "X"),
            ("<eq/><ci>X</ci><cn>0</cn>", "!X"),
            ("<lt/><ci>X</ci><cn type=\"integer\">1</cn>", "!X"),
            ("<gt/><ci>X</ci><cn>0</cn>", "X"),
            ("<neq/><ci>X</ci><cn>1</cn>", "!X"),
            ("<leq/><cn>1</cn><ci>X</ci>", "X"),
            ("<geq/><ci>X</ci><cn type=\"real\">0.0</cn>", "1"),
            ("<gt/><ci>X</ci><cn>1</cn>", "0"),
            ("<eq/><ci>X</ci><cn>2</cn>", "0"),
            ("<eq/><ci>X</ci><ci>X</ci>", "1"),
            ("<eq/><cn>1</cn><cn>1</cn>", "1"),
        ];
        for (relation, expected) in cases {
            let math = format!("<apply>{relation}</apply>");
            let text = doc(
                &[&species("X"), &species("Y")],
                &transition("Y", "", 0, &[(1, &math)]),
            );
            let model = read_str(&text).unwrap_or_else(|e| panic!("{relation}: {e}"));
            assert_eq!(model.rule_text(1), expected, "{relation}");
        }
        // Two species: the truth table of the relation.
        let text = doc(
            &[&species("X"), &species("Y"), &species("Z")],
            &transition(
                "Z",
                "",
                0,
                &[(1, "<apply><eq/><ci>X</ci><ci>Y</ci></apply>")],
            ),
        );
        let model = read_str(&text).expect("reads");
        for (x, y) in [(false, false), (false, true), (true, false), (true, true)] {
            let state = [x, y, false];
            assert_eq!(model.nodes[2].rule.holds(&|i| state[i]), x == y);
        }
    }

    #[test]
    fn input_ids_stand_for_levels_or_thresholds() {
        let inputs = r#"<qual:input qual:id="in_A" qual:qualitativeSpecies="A" qual:thresholdLevel="1"
            qual:transitionEffect="none"/><qual:input qual:id="in_B" qual:qualitativeSpecies="B"
            qual:transitionEffect="none"/>"#;
        let math = "<apply><or/>\
            <apply><geq/><ci>A</ci><ci>in_A</ci></apply>\
            <apply><eq/><ci>in_B</ci><cn>0</cn></apply>\
            <apply><xor/><ci>in_B</ci><true/><false/></apply></apply>";
        let text = doc(
            &[&species("A"), &species("B"), &species("C")],
            &transition("C", inputs, 0, &[(1, math)]),
        );
        let model = read_str(&text).expect("reads");
        // Constant parts fold away: `B xor true xor false` is `!B`.
        assert_eq!(model.rule_text(2), "A | !B | !B");
        // An input without a threshold cannot stand for one.
        let math = "<apply><geq/><ci>A</ci><ci>in_B</ci></apply>";
        let text = doc(
            &[&species("A"), &species("B"), &species("C")],
            &transition("C", inputs, 0, &[(1, math)]),
        );
        let (_, message) = error(&text);
        assert!(
            message.contains("in_B") && message.contains("thresholdLevel"),
            "{message}"
        );
    }

    #[test]
    fn annotations_notes_layout_and_inputs_without_terms_are_fine() {
        let text = format!(
            "{HEAD}<notes><p xmlns=\"http://www.w3.org/1999/xhtml\">a &amp; b <b>bold</b></p></notes>\
             <annotation><x:input xmlns:x=\"urn:x\" id=\"nothing\"/></annotation>\
             <listOfCompartments><compartment id=\"c\" constant=\"true\"/></listOfCompartments>\
             <qual:listOfQualitativeSpecies>{}{}</qual:listOfQualitativeSpecies>\
             <qual:listOfTransitions>\
             <qual:transition qual:id=\"t_in\"><qual:listOfInputs/><qual:listOfOutputs>\
             <qual:output qual:qualitativeSpecies=\"I\" qual:transitionEffect=\"assignmentLevel\"/>\
             </qual:listOfOutputs></qual:transition>{}\
             </qual:listOfTransitions></model></sbml>",
            species("I"),
            species("O"),
            transition("O", "", 0, &[(1, "<apply><not/><ci>I</ci></apply>")]),
        );
        let model = read_str(&text).expect("reads");
        assert_eq!(rules(&model), ["I = I", "O = !I"]);
    }

    #[test]
    fn malformed_xml_names_the_line() {
        let text = doc(
            &[&species("A"), "<qual:qualitativeSpecies qual:id=\"B\">"],
            "",
        );
        let (line, message) = error(&text);
        assert!(message.starts_with("malformed XML"), "{message}");
        assert_eq!(line, 8, "{message}");
        let (_, message) = error(&format!("{HEAD}<qual:listOfQualitativeSpecies>"));
        assert!(message.contains("ends before"), "{message}");
        let (line, message) = error("<sbml>\n<model a=\"1>\n</model></sbml>");
        assert!(
            message.starts_with("malformed XML") && line >= 2,
            "{line} {message}"
        );
        let (line, message) = error("<sbml>\n\u{e9}\n<model/>\n</sbml>\n\u{0}\u{ff}");
        assert!(line >= 1 && !message.is_empty());
        match read(b"<sbml>\n<\xff/></sbml>", Path::new("m.sbml")) {
            Err(Error::Syntax {
                position: Some(p),
                message,
                ..
            }) => assert!(p.line == 2 && message.contains("UTF-8"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unknown_ci_names_itself_its_transition_and_line() {
        let text = doc(
            &[&species("A"), &species("B")],
            &transition("B", "", 0, &[(1, &eq("Nope", 1))]),
        );
        let (line, message) = error(&text);
        assert!(
            message.contains("Nope") && message.contains("tr_B"),
            "{message}"
        );
        let at = text
            .lines()
            .position(|l| l.contains("Nope"))
            .expect("in the text") as u64
            + 1;
        assert_eq!(line, at);
    }

    #[test]
    fn a_missing_result_level_is_refused() {
        let text = doc(&[&species("A")], &transition("A", "", 0, &[(1, "<true/>")])).replace(
            "<qual:defaultTerm qual:resultLevel=\"0\"/>",
            "<qual:defaultTerm/>",
        );
        let (line, message) = error(&text);
        assert!(
            message.contains("defaultTerm")
                && message.contains("resultLevel")
                && message.contains("tr_A")
        );
        assert_eq!(
            line,
            text.lines()
                .position(|l| l.contains("<qual:defaultTerm/>"))
                .expect("there") as u64
                + 1
        );
        let text = doc(&[&species("A")], &transition("A", "", 0, &[(1, "<true/>")])).replace(
            "<qual:functionTerm qual:resultLevel=\"1\">",
            "<qual:functionTerm>",
        );
        let (_, message) = error(&text);
        assert!(
            message.contains("functionTerm") && message.contains("resultLevel"),
            "{message}"
        );
    }

    #[test]
    fn a_file_without_qualitative_species_is_not_sbml_qual() {
        let text =
            format!("{HEAD}\n<listOfSpecies><species id=\"s\"/></listOfSpecies>\n</model></sbml>");
        let (line, message) = error(&text);
        assert!(message.contains("not an SBML-qual model"), "{message}");
        assert_eq!(line, 4);
        let (line, message) = error("<?xml version=\"1.0\"?>\n<Pathway/>");
        assert!(
            message.contains("not an SBML document") && line == 2,
            "{message}"
        );
        let (_, message) = error("");
        assert!(message.contains("no root element"), "{message}");
    }

    #[test]
    fn unsupported_mathml_is_named() {
        for (math, name) in [
            ("<apply><plus/><ci>A</ci><cn>1</cn></apply>", "<plus/>"),
            (
                "<piecewise><otherwise><true/></otherwise></piecewise>",
                "<piecewise>",
            ),
            (
                "<apply><geq/><apply><and/></apply><cn>1</cn></apply>",
                "<apply>",
            ),
            ("<apply><not/><true/><false/></apply>", "<not/>"),
            (
                "<apply><geq/><ci>A</ci><cn type=\"rational\">1<sep/>2</cn></apply>",
                "rational",
            ),
            ("<apply/>", "empty <apply>"),
        ] {
            let text = doc(&[&species("A")], &transition("A", "", 0, &[(1, math)]));
            let (_, message) = error(&text);
            assert!(
                message.contains(name) && message.contains("tr_A"),
                "{math}: {message}"
            );
        }
    }

    #[test]
    fn multi_valued_species_several_outputs_and_production_are_refused() {
        let text = doc(
            &[
                &species("A"),
                r#"<qual:qualitativeSpecies qual:id="M" qual:maxLevel="2"/>"#,
            ],
            "",
        );
        let (line, message) = error(&text);
        assert!(
            message.contains("M") && message.contains("multi-valued") && message.contains(".bnet")
        );
        assert_eq!(line, 7);
        let two = transition("A", "", 0, &[(1, "<true/>")]).replace(
            "</qual:listOfOutputs>",
            "<qual:output qual:qualitativeSpecies=\"B\" qual:transitionEffect=\"assignmentLevel\"/>\
             </qual:listOfOutputs>",
        );
        let (_, message) = error(&doc(&[&species("A"), &species("B")], &two));
        assert!(message.contains("2 outputs (A, B)"), "{message}");
        let production =
            transition("A", "", 0, &[(1, "<true/>")]).replace("assignmentLevel", "production");
        let (_, message) = error(&doc(&[&species("A")], &production));
        assert!(
            message.contains("production") && message.contains("assignmentLevel"),
            "{message}"
        );
        let (_, message) = error(&doc(
            &[&species("A")],
            &transition("A", "", 0, &[(2, "<true/>")]),
        ));
        assert!(message.contains("level 2"), "{message}");
    }

    #[test]
    fn no_input_panics() {
        // Every prefix of a valid document, and every single-byte corruption of it.
        let text = doc(
            &[&species("A"), &species("B")],
            &transition(
                "B",
                r#"<qual:input qual:id="i" qual:qualitativeSpecies="A" qual:thresholdLevel="1"/>"#,
                1,
                &[(0, &eq("A", 1))],
            ),
        );
        let bytes = text.as_bytes();
        for end in 0..bytes.len() {
            let _ = read(&bytes[..end], Path::new("m.sbml"));
        }
        for at in 0..bytes.len() {
            for b in [b'<', b'>', b'"', b'/', b'x', 0xff] {
                let mut changed = bytes.to_vec();
                changed[at] = b;
                let _ = read(&changed, Path::new("m.sbml"));
            }
        }
        // Deep but allowed, and very wide: read without overflowing the stack here or later.
        let math = format!(
            "{}<ci>A</ci>{}",
            "<apply><not/>".repeat(980),
            "</apply>".repeat(980)
        );
        let model = read_str(&doc(
            &[&species("A"), &species("B")],
            &transition("B", "", 0, &[(1, &math)]),
        ));
        assert!(model.expect("reads").nodes[1].rule.holds(&|i| i == 0));
        let math = format!(
            "<apply><or/>{}<ci>A</ci></apply>",
            "<false/>".repeat(100_000)
        );
        let model = read_str(&doc(
            &[&species("A"), &species("B")],
            &transition("B", "", 0, &[(1, &math)]),
        ));
        assert_eq!(model.expect("reads").rule_text(1), "A");
        let deep = format!(
            "<sbml>{}{}</sbml>",
            "<apply>".repeat(5000),
            "</apply>".repeat(5000)
        );
        let (_, message) = error(&deep);
        assert!(message.contains("nested more than"), "{message}");
        assert_eq!(rules(&read_str(&text).expect("reads")), ["A = A", "B = !A"]);
    }
}
