//! What was loaded, from where, when, and is it still what the file says?
//!
//! Every load adds one `tw:Load` (a `prov:Activity`) to the catalog graph, in the same atomic
//! step as the data it describes, so the catalog never names content that is not there.

use super::Store;
use crate::error::Result;
use crate::vocab::{self, catalog as cat};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// One load, as the catalog records it.
#[derive(Debug, Clone)]
pub struct LoadRecord {
    pub iri: NamedNode,
    /// The graph the source's triples went to.
    pub source_graph: NamedNode,
    /// Every graph the load wrote (the source graph and, for quad syntaxes, the file's own).
    pub graphs: Vec<NamedNode>,
    pub source_path: String,
    pub sha256: String,
    pub triples: u64,
    pub bytes: u64,
    pub media_type: String,
    pub started_at: OffsetDateTime,
    pub ended_at: OffsetDateTime,
}

/// A named graph with its size and the load that last wrote it (none for graphs made by SPARQL Update).
#[derive(Debug, Clone, serde::Serialize)]
pub struct GraphInfo {
    pub graph: String,
    pub triples: usize,
    pub source: Option<String>,
    pub sha256: Option<String>,
    pub loaded_at: Option<String>,
    pub load: Option<String>,
}

pub(super) fn new_load_iri(at: OffsetDateTime) -> NamedNode {
    // Nanoseconds keep two loads apart even within one second; the writer lock orders them.
    NamedNode::new_unchecked(format!("{}load/{}", vocab::ID, at.unix_timestamp_nanos()))
}

fn date_time(at: OffsetDateTime) -> Literal {
    let text = at
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string());
    Literal::new_typed_literal(text, xsd::DATE_TIME)
}

/// The catalog triples of one load.
pub(super) fn quads(record: &LoadRecord) -> Vec<Quad> {
    let g = GraphNameRef::NamedNode(vocab::CATALOG_GRAPH).into_owned();
    let s = NamedOrBlankNode::from(record.iri.clone());
    let mut quads = vec![
        (rdf::TYPE.into_owned(), Term::from(cat::LOAD.into_owned())),
        (
            rdf::TYPE.into_owned(),
            cat::PROV_ACTIVITY.into_owned().into(),
        ),
        (
            cat::SOURCE_GRAPH.into_owned(),
            record.source_graph.clone().into(),
        ),
        (
            cat::SOURCE_PATH.into_owned(),
            Literal::from(record.source_path.as_str()).into(),
        ),
        (
            cat::SHA256.into_owned(),
            Literal::from(record.sha256.as_str()).into(),
        ),
        (
            cat::TRIPLE_COUNT.into_owned(),
            Literal::from(record.triples as i64).into(),
        ),
        (
            cat::BYTE_COUNT.into_owned(),
            Literal::from(record.bytes as i64).into(),
        ),
        (
            cat::MEDIA_TYPE.into_owned(),
            Literal::from(record.media_type.as_str()).into(),
        ),
        (
            cat::STARTED_AT.into_owned(),
            date_time(record.started_at).into(),
        ),
        (
            cat::ENDED_AT.into_owned(),
            date_time(record.ended_at).into(),
        ),
        (
            cat::SOFTWARE_VERSION.into_owned(),
            Literal::from(concat!("twinpath ", env!("CARGO_PKG_VERSION"))).into(),
        ),
    ]
    .into_iter()
    .map(|(p, o)| Quad::new(s.clone(), p, o, g.clone()))
    .collect::<Vec<_>>();
    for graph in &record.graphs {
        quads.push(Quad::new(
            s.clone(),
            cat::GRAPH.into_owned(),
            graph.clone(),
            g.clone(),
        ));
    }
    quads
}

/// The graphs that the latest load into `source_graph` wrote.
pub(super) fn graphs_of_latest_load(
    store: &oxigraph::store::Store,
    source_graph: &NamedNode,
) -> Result<Vec<NamedNode>> {
    let query = format!(
        "PREFIX tw: <{tw}> PREFIX prov: <{prov}>
         SELECT ?g WHERE {{ GRAPH <{catalog}> {{
           {{ SELECT ?load WHERE {{ ?load tw:sourceGraph <{source}> ; prov:endedAtTime ?t }} ORDER BY DESC(?t) LIMIT 1 }}
           ?load tw:graph ?g }} }}",
        tw = vocab::TW,
        prov = vocab::PROV,
        catalog = vocab::CATALOG_GRAPH.as_str(),
        source = source_graph.as_str()
    );
    let mut graphs = Vec::new();
    if let QueryResults::Solutions(solutions) = SparqlEvaluator::new()
        .parse_query(&query)?
        .on_store(store)
        .execute()?
    {
        for solution in solutions {
            if let Some(Term::NamedNode(g)) = solution?.get("g") {
                graphs.push(g.clone());
            }
        }
    }
    Ok(graphs)
}

impl Store {
    /// Every named graph with its live triple count and the load that last wrote it.
    pub fn graphs(&self) -> Result<Vec<GraphInfo>> {
        let query = format!(
            "PREFIX tw: <{tw}> PREFIX prov: <{prov}>
             SELECT ?g ?load ?source ?sha ?t WHERE {{ GRAPH <{catalog}> {{
               ?load tw:graph ?g ; tw:sourcePath ?source ; tw:sha256 ?sha ; prov:endedAtTime ?t }} }}
             ORDER BY ?g DESC(?t)",
            tw = vocab::TW,
            prov = vocab::PROV,
            catalog = vocab::CATALOG_GRAPH.as_str(),
        );
        let mut latest = std::collections::HashMap::<String, [String; 4]>::new();
        if let QueryResults::Solutions(solutions) = SparqlEvaluator::new()
            .parse_query(&query)?
            .on_store(&self.inner)
            .execute()?
        {
            for solution in solutions {
                let solution = solution?;
                let text = |v: &str| match solution.get(v) {
                    Some(Term::NamedNode(n)) => n.as_str().to_owned(),
                    Some(Term::Literal(l)) => l.value().to_owned(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                // Ordered newest first per graph: the first row seen is the latest load.
                latest
                    .entry(text("g"))
                    .or_insert_with(|| [text("load"), text("source"), text("sha"), text("t")]);
            }
        }
        let mut out = Vec::new();
        for graph in self.named_graphs()? {
            let name = match &graph {
                NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
                other => other.to_string(),
            };
            let triples = match &graph {
                NamedOrBlankNode::NamedNode(n) => self.graph_len(n)?,
                NamedOrBlankNode::BlankNode(_) => 0,
            };
            let load = latest.remove(&name);
            out.push(GraphInfo {
                graph: name,
                triples,
                load: load.as_ref().map(|l| l[0].clone()),
                source: load.as_ref().map(|l| l[1].clone()),
                sha256: load.as_ref().map(|l| l[2].clone()),
                loaded_at: load.map(|l| l[3].clone()),
            });
        }
        Ok(out)
    }
}
