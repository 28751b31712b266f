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

const ERBB2: &str = "@prefix tw: <https://twinpath.org/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://twinpath.org/id/gene/ERBB2> a tw:Gene ; tw:symbol \"ERBB2\" ; skos:altLabel \"HER2\", \"NEU\" ;
    tw:identifier <https://identifiers.org/hgnc:3430> .
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
        ("cdkn1", "https://twinpath.org/id/gene/CDKN1A"),
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
    assert_eq!(
        hits[0]["iri"],
        "https://twinpath.org/id/pathway/p53-mdm2-p21"
    );
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
    assert_eq!(first(&engine, "HER2"), None);

    let file = write(dir.path(), "erbb.ttl", ERBB2);
    load(&engine, &file).expect("loads");
    assert_eq!(
        first(&engine, "HER2").as_deref(),
        Some("https://twinpath.org/id/gene/ERBB2")
    );
    assert_eq!(
        first(&engine, "ERBB3").as_deref(),
        Some("https://twinpath.org/id/gene/ERBB2"),
        "one typo"
    );

    // A failed load leaves the index as it was.
    std::fs::write(&file, "<broken").expect("write");
    assert!(load(&engine, &file).is_err());
    assert_eq!(
        first(&engine, "HER2").as_deref(),
        Some("https://twinpath.org/id/gene/ERBB2")
    );

    // A reload without the synonym drops it.
    std::fs::write(&file, ERBB2.replace("\"HER2\", ", "")).expect("write");
    load(&engine, &file).expect("loads");
    assert_eq!(first(&engine, "HER2"), None);

    engine
        .update("INSERT DATA { GRAPH <https://example.org/notes> { <https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> \"zebrafish note\" } }")
        .expect("update");
    assert_eq!(
        first(&engine, "zebrafish note").as_deref(),
        Some("https://example.org/x")
    );
    engine
        .drop_graph(
            &oxigraph::model::NamedNode::new("https://twinpath.org/graph/erbb").expect("iri"),
        )
        .expect("drop");
    let after_drop = engine
        .search(&SearchRequest::new("ERBB2", 10))
        .expect("search");
    assert!(
        after_drop
            .iter()
            .all(|h| h.iri != "https://twinpath.org/id/gene/ERBB2"),
        "{after_drop:?}"
    );
    // What is left is a mention in a description (tw:logicRule's example), not a name.
    assert!(
        after_drop.iter().all(|h| h.matched == "description"),
        "{after_drop:?}"
    );
    // The catalog is not searchable.
    assert!(engine
        .search(&SearchRequest {
            text: "erbb.ttl",
            kind: None,
            limit: 5,
            offset: 0
        })
        .expect("search")
        .iter()
        .all(|h| !h.iri.starts_with("https://twinpath.org/id/load/")));
}
