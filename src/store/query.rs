//! What does the store answer to a SPARQL query, within the time and size it may take?
//!
//! A query is evaluated completely (under a cancellation deadline and a result cap) before
//! anything is written out, so a failure is always reported as a whole error, never as a
//! truncated document; rendering to any of the SPARQL/RDF syntaxes is a separate step.

use super::Store;
use crate::error::{Error, Result};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Term, Triple, Variable};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

/// Limits every query runs under.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub timeout: Duration,
    /// Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) a result may hold.
    pub max_results: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_results: 1_000_000,
        }
    }
}

/// The RDF dataset a query runs over, as the SPARQL protocol's `default-graph-uri` and
/// `named-graph-uri` give it. When both are empty the query's own FROM / FROM NAMED apply,
/// and without those the default graph is the union of all graphs.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub default_graphs: Vec<NamedNode>,
    pub named_graphs: Vec<NamedNode>,
    /// The caller may not see patients' graphs or their runs (see [`crate::vocab::is_private`]):
    /// the dataset itself is cut down to the other graphs before the query runs, so no form of
    /// query (`GRAPH ?g`, `FROM`, `FROM NAMED`, property paths) can reach them.
    pub public_only: bool,
}

/// A query's whole answer, held in memory (bounded by [`QueryLimits::max_results`]).
#[derive(Debug, Clone, PartialEq)]
pub enum QueryAnswer {
    Solutions {
        variables: Vec<Variable>,
        rows: Vec<Vec<Option<Term>>>,
    },
    Boolean(bool),
    Graph(Vec<Triple>),
}

/// The syntaxes an answer can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    /// SPARQL results (SELECT, ASK).
    Results(QueryResultsFormat),
    /// An RDF syntax (CONSTRUCT, DESCRIBE).
    Rdf(RdfFormat),
}

impl ResultFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            ResultFormat::Results(f) => f.media_type(),
            ResultFormat::Rdf(f) => f.media_type(),
        }
    }

    /// The SPARQL-results syntaxes, best default first.
    pub const RESULTS: [QueryResultsFormat; 4] = [
        QueryResultsFormat::Json,
        QueryResultsFormat::Xml,
        QueryResultsFormat::Csv,
        QueryResultsFormat::Tsv,
    ];

    /// The RDF syntaxes for graph answers, best default first.
    pub const GRAPHS: [RdfFormat; 6] = [
        RdfFormat::Turtle,
        RdfFormat::NTriples,
        RdfFormat::RdfXml,
        RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
        RdfFormat::NQuads,
        RdfFormat::TriG,
    ];

    /// The syntax for `answer` named by a short name (`json`, `xml`, `csv`, `tsv`, `turtle`,
    /// `ntriples`, `rdfxml`, `jsonld`, …) or a media type; `xml` and `json` mean SPARQL results
    /// for SELECT/ASK and RDF/XML / JSON-LD for graphs.
    pub fn for_answer(name: &str, answer: &QueryAnswer) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        if answer.is_graph() {
            let short = match name.as_str() {
                "turtle" | "ttl" => Some(RdfFormat::Turtle),
                "ntriples" | "nt" | "n-triples" => Some(RdfFormat::NTriples),
                "rdfxml" | "rdf" | "xml" => Some(RdfFormat::RdfXml),
                "jsonld" | "json-ld" | "json" => Some(RdfFormat::JsonLd {
                    profile: JsonLdProfileSet::empty(),
                }),
                "nquads" | "nq" => Some(RdfFormat::NQuads),
                "trig" => Some(RdfFormat::TriG),
                _ => None,
            };
            short
                .or_else(|| match name.as_str() {
                    "application/json" => RdfFormat::from_media_type("application/ld+json"),
                    "application/xml" | "text/xml" => Some(RdfFormat::RdfXml),
                    _ => RdfFormat::from_media_type(&name),
                })
                .filter(|f| {
                    Self::GRAPHS
                        .iter()
                        .any(|g| g.media_type() == f.media_type())
                })
                .map(ResultFormat::Rdf)
        } else {
            QueryResultsFormat::from_extension(&name)
                .or_else(|| QueryResultsFormat::from_media_type(&name))
                .or(match name.as_str() {
                    "application/json" => Some(QueryResultsFormat::Json),
                    "application/xml" | "text/xml" => Some(QueryResultsFormat::Xml),
                    _ => None,
                })
                .map(ResultFormat::Results)
        }
    }

    /// The default syntax for `answer`: SPARQL JSON for results, Turtle for graphs.
    pub fn default_for(answer: &QueryAnswer) -> Self {
        if answer.is_graph() {
            ResultFormat::Rdf(RdfFormat::Turtle)
        } else {
            ResultFormat::Results(QueryResultsFormat::Json)
        }
    }
}

impl QueryAnswer {
    pub fn is_graph(&self) -> bool {
        matches!(self, QueryAnswer::Graph(_))
    }

    /// Writes the answer in `format`, which must suit it (see [`ResultFormat::for_answer`]).
    pub fn write(&self, format: ResultFormat, out: impl Write) -> Result<()> {
        match (self, format) {
            (QueryAnswer::Boolean(value), ResultFormat::Results(f)) => {
                QueryResultsSerializer::from_format(f).serialize_boolean_to_writer(out, *value)?;
            }
            (QueryAnswer::Solutions { variables, rows }, ResultFormat::Results(f)) => {
                let mut writer = QueryResultsSerializer::from_format(f)
                    .serialize_solutions_to_writer(out, variables.clone())?;
                for row in rows {
                    writer.serialize(
                        variables
                            .iter()
                            .zip(row)
                            .filter_map(|(v, t)| Some((v.as_ref(), t.as_ref()?.as_ref()))),
                    )?;
                }
                writer.finish()?;
            }
            (QueryAnswer::Graph(triples), ResultFormat::Rdf(f)) => {
                let mut serializer = RdfSerializer::from_format(f);
                for (prefix, iri) in crate::vocab::PREFIXES {
                    serializer = serializer
                        .with_prefix(*prefix, *iri)
                        .map_err(|e| Error::BadInput(format!("prefix {prefix}: {e}")))?;
                }
                let mut writer = serializer.for_writer(out);
                for triple in triples {
                    writer.serialize_triple(triple)?;
                }
                writer.finish()?;
            }
            _ => {
                return Err(Error::BadInput(format!(
                    "{} cannot hold this kind of answer",
                    format.media_type()
                )))
            }
        }
        Ok(())
    }

    /// The answer as bytes in `format`.
    pub fn to_bytes(&self, format: ResultFormat) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write(format, &mut out)?;
        Ok(out)
    }
}

/// Cancels a query when its time is up, unless dropped first.
struct Deadline {
    _done: mpsc::Sender<()>,
}

impl Deadline {
    fn start(token: CancellationToken, timeout: Duration) -> Self {
        let (done, waiting) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            // The sender is dropped when the query finishes, which wakes this thread early.
            if let Err(mpsc::RecvTimeoutError::Timeout) = waiting.recv_timeout(timeout) {
                token.cancel();
            }
        });
        Deadline { _done: done }
    }
}

/// A SPARQL extension function: its IRI and what it computes from its arguments (`None`
/// leaves the result unbound).
pub type CustomFunction = (
    NamedNode,
    std::sync::Arc<dyn Fn(&[Term]) -> Option<Term> + Send + Sync>,
);

impl Store {
    /// Evaluates a SPARQL query over `dataset`, binding `bindings` first (named-query
    /// parameters), under `limits`, with extension `functions`.
    pub fn query(
        &self,
        query: &str,
        dataset: &Dataset,
        bindings: &[(Variable, Term)],
        limits: QueryLimits,
        functions: &[CustomFunction],
    ) -> Result<QueryAnswer> {
        let token = CancellationToken::new();
        let mut evaluator = SparqlEvaluator::new().with_cancellation_token(token.clone());
        for (name, function) in functions {
            let function = function.clone();
            evaluator = evaluator.with_custom_function(name.clone(), move |args| function(args));
        }
        let mut prepared = evaluator.parse_query(query)?;
        let spec = prepared.dataset_mut();
        if !dataset.default_graphs.is_empty() || !dataset.named_graphs.is_empty() {
            spec.set_default_graph(
                dataset
                    .default_graphs
                    .iter()
                    .cloned()
                    .map(GraphName::NamedNode)
                    .collect(),
            );
            spec.set_available_named_graphs(
                dataset
                    .named_graphs
                    .iter()
                    .cloned()
                    .map(NamedOrBlankNode::NamedNode)
                    .collect(),
            );
        } else if spec.is_default_dataset() {
            // Every source lives in its own graph; a query without GRAPH sees all of them.
            spec.set_default_graph_as_union();
        }
        if dataset.public_only {
            let public: Vec<NamedNode> = self
                .inner
                .named_graphs()
                .filter_map(|g| match g {
                    Ok(NamedOrBlankNode::NamedNode(g)) if !crate::vocab::is_private(g.as_str()) => {
                        Some(Ok(g))
                    }
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<_, _>>()?;
            let allowed = |g: &NamedNode| !crate::vocab::is_private(g.as_str());
            // What the query (or the protocol) asked for, less the private graphs; all public
            // graphs where it asked for nothing in particular.
            let default: Vec<GraphName> = match spec.default_graph_graphs() {
                Some(graphs) => graphs
                    .iter()
                    .filter(|g| match g {
                        GraphName::NamedNode(n) => allowed(n),
                        _ => true,
                    })
                    .cloned()
                    .collect(),
                None => std::iter::once(GraphName::DefaultGraph)
                    .chain(public.iter().cloned().map(GraphName::NamedNode))
                    .collect(),
            };
            let named: Vec<NamedOrBlankNode> = match spec.available_named_graphs() {
                Some(graphs) => graphs
                    .iter()
                    .filter(|g| match g {
                        NamedOrBlankNode::NamedNode(n) => allowed(n),
                        _ => false,
                    })
                    .cloned()
                    .collect(),
                None => public
                    .into_iter()
                    .map(NamedOrBlankNode::NamedNode)
                    .collect(),
            };
            spec.set_default_graph(default);
            spec.set_available_named_graphs(named);
        }
        for (variable, value) in bindings {
            prepared = prepared.substitute_variable(variable.clone(), value.clone());
        }
        let _deadline = Deadline::start(token, limits.timeout);
        let cancelled = |e: QueryEvaluationError| match e {
            QueryEvaluationError::Cancelled => Error::QueryTimeout(limits.timeout),
            e => Error::QueryEvaluation(e),
        };
        Ok(
            match prepared
                .on_store(&self.inner)
                .execute()
                .map_err(cancelled)?
            {
                QueryResults::Boolean(value) => QueryAnswer::Boolean(value),
                QueryResults::Solutions(solutions) => {
                    let variables = solutions.variables().to_vec();
                    let mut rows = Vec::new();
                    for solution in solutions {
                        if rows.len() == limits.max_results {
                            return Err(Error::ResultTooLarge(limits.max_results));
                        }
                        rows.push(solution.map_err(cancelled)?.values().to_vec());
                    }
                    QueryAnswer::Solutions { variables, rows }
                }
                QueryResults::Graph(triples) => {
                    let mut out = Vec::new();
                    for triple in triples {
                        if out.len() == limits.max_results {
                            return Err(Error::ResultTooLarge(limits.max_results));
                        }
                        out.push(triple.map_err(cancelled)?);
                    }
                    QueryAnswer::Graph(out)
                }
            },
        )
    }
}
