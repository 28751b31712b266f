//! Search over the store: ranking on the bundled content, and the index kept in step with
//! loads, failed loads, updates and drops.

use crate::common::*;
use axum::http::StatusCode;
use twinpath::search::SearchRequest;
use twinpath::store::{LoadOptions, NoProgress};
use twinpath::Engine;

fn first(engine: &Engine, text: &str) -> Option<String> {
    engine
        .search(&SearchRequest::new(text, 5))
        .expect("search")
        .first()
        .map(|h| h.iri.clone())
}

fn load(
    engine: &Engine,
    file: &std::path::Path,
) -> twinpath::Result<twinpath::engine::LoadSummary> {
    engine.load_paths(&[file.to_path_buf()], &LoadOptions::default(), &NoProgress)
}

/// A gene the shipped maps lack (PPM1D, the p53-induced phosphatase WIP1), written as a curator would.
const WIP1: &str = "@prefix tw: <https://twinpath.org/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://twinpath.org/id/gene/PPM1D> a tw:Gene, tw:Protein ; tw:symbol \"PPM1D\" ; rdfs:label \"PPM1D\" ;
    skos:altLabel \"WIP1\", \"PP2C-delta\" ;
    tw:identifier <https://identifiers.org/hgnc:9277>, <https://identifiers.org/uniprot:O15297> .
";

#[tokio::test]
async fn search_over_http_ranks_as_a_biologist_expects() {
    let engine = bundled_engine(limits());
    let reply = send(&engine, None, get("/search?q=p53")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let hits = reply.json();
    assert_eq!(hits[0]["iri"], "https://twinpath.org/id/gene/TP53");
    assert_eq!(hits[0]["matched"], "synonym");
    assert_eq!(hits[0]["type"], "tw:Gene");
    assert!(hits[0]["score"].as_f64().is_some());
    assert_eq!(hits[0]["label"], "TP53");

    for (text, expected) in [
        ("p21", "https://twinpath.org/id/gene/CDKN1A"),
        ("WAF1", "https://twinpath.org/id/gene/CDKN1A"),
        ("tp35", "https://twinpath.org/id/gene/TP53"),
        ("hgnc:6973", "https://twinpath.org/id/gene/MDM2"),
        ("P38936", "https://twinpath.org/id/gene/CDKN1A"),
    ] {
        let reply = send(&engine, None, get(&format!("/search?q={}", encode(text)))).await;
        assert_eq!(reply.json()[0]["iri"], expected, "{text}: {}", reply.text());
    }
    let reply = send(&engine, None, get("/search?q=p53&type=Pathway&limit=3")).await;
    let hits = reply.json();
    assert!(
        hits.as_array()
            .expect("array")
            .iter()
            .all(|h| h["type"] == "tw:Pathway"),
        "{hits}"
    );
    assert_eq!(hits[0]["iri"], "https://twinpath.org/id/pathway/p53-mdm2");
    let reply = send(&engine, None, get("/search?q=p53&limit=100000")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = send(&engine, None, get("/search")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "q is required");
}

#[test]
fn the_index_follows_loads_updates_and_drops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = bundled_engine(limits());
    assert_eq!(
        first(&engine, "p53").as_deref(),
        Some("https://twinpath.org/id/gene/TP53")
    );
    // Before the load, WIP1 is at best a typo of p21's synonym CIP1.
    let ppm1d = Some("https://twinpath.org/id/gene/PPM1D");
    assert_ne!(first(&engine, "WIP1").as_deref(), ppm1d);

    let file = write(dir.path(), "wip1.ttl", WIP1);
    load(&engine, &file).expect("loads");
    assert_eq!(
        first(&engine, "WIP1").as_deref(),
        Some("https://twinpath.org/id/gene/PPM1D")
    );
    assert_eq!(
        first(&engine, "PPM1E").as_deref(),
        Some("https://twinpath.org/id/gene/PPM1D"),
        "one typo"
    );

    // A failed load leaves the index as it was.
    std::fs::write(&file, "<broken").expect("write");
    assert!(load(&engine, &file).is_err());
    assert_eq!(
        first(&engine, "WIP1").as_deref(),
        Some("https://twinpath.org/id/gene/PPM1D")
    );

    // A reload without the synonym drops it.
    std::fs::write(&file, WIP1.replace("\"WIP1\", ", "")).expect("write");
    load(&engine, &file).expect("loads");
    assert_ne!(first(&engine, "WIP1").as_deref(), ppm1d);

    engine
        .update("INSERT DATA { GRAPH <https://example.org/notes> { <https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> \"zebrafish note\" } }")
        .expect("update");
    assert_eq!(
        first(&engine, "zebrafish note").as_deref(),
        Some("https://example.org/x")
    );
    engine
        .drop_graph(
            &oxigraph::model::NamedNode::new("https://twinpath.org/graph/wip1").expect("iri"),
        )
        .expect("drop");
    let after_drop = engine
        .search(&SearchRequest::new("PPM1D", 10))
        .expect("search");
    assert!(
        after_drop
            .iter()
            .all(|h| h.iri != "https://twinpath.org/id/gene/PPM1D"),
        "{after_drop:?}"
    );
    // The catalog is not searchable.
    assert!(engine
        .search(&SearchRequest {
            text: "wip1.ttl",
            kind: None,
            limit: 5,
            offset: 0
        })
        .expect("search")
        .iter()
        .all(|h| !h.iri.starts_with("https://twinpath.org/id/load/")));
}
