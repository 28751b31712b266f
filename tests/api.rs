//! The HTTP API through the real router: every SPARQL protocol form and result syntax,
//! updates behind the token, limits, health and CORS.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use oxigraph::io::{RdfFormat, RdfParser};
use std::time::Duration;
use twinpath::QueryLimits;

fn sparql_get(query: &str, accept: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(format!("/sparql?query={}", encode(query)));
    if let Some(accept) = accept {
        builder = builder.header("accept", accept);
    }
    builder.body(Body::empty()).expect("request")
}

fn first_binding(reply: &Reply, var: &str) -> String {
    let json = reply.json();
    json["results"]["bindings"][0][var]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no ?{var} in {json}"))
        .to_owned()
}

#[tokio::test]
async fn get_counts_the_bundled_triples() {
    let engine = bundled_engine(limits());
    // Everything but the sample twins' graphs, which a caller without the token never sees.
    let mut expected = engine.store().len().expect("len");
    for graph in engine.store().named_graphs().expect("graphs") {
        if let oxigraph::model::NamedOrBlankNode::NamedNode(g) = graph {
            if twinpath::vocab::is_private(g.as_str()) {
                expected -= engine.store().graph_len(&g).expect("graph");
            }
        }
    }
    let reply = send(&engine, None, sparql_get(COUNT_ALL, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply
        .content_type()
        .starts_with("application/sparql-results+json"));
    assert_eq!(first_binding(&reply, "n"), expected.to_string());
    assert!(expected > 100, "the bundled content is loaded: {expected}");
}

#[tokio::test]
async fn post_form_and_direct_query() {
    let engine = bundled_engine(limits());
    let query = "PREFIX tw: <https://twinpath.org/ns#> SELECT ?s WHERE { ?s tw:symbol \"TP53\" }";
    let form = Request::post("/sparql")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("query={}", encode(query))))
        .expect("request");
    let reply = send(&engine, None, form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        first_binding(&reply, "s"),
        "https://twinpath.org/id/gene/TP53"
    );

    let direct = Request::post("/sparql")
        .header("content-type", "application/sparql-query")
        .body(Body::from(query))
        .expect("request");
    let reply = send(&engine, None, direct).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        first_binding(&reply, "s"),
        "https://twinpath.org/id/gene/TP53"
    );

    let wrong = Request::post("/sparql")
        .header("content-type", "text/plain")
        .body(Body::from(query))
        .expect("request");
    assert_eq!(
        send(&engine, None, wrong).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn select_in_every_results_syntax() {
    let engine = bundled_engine(limits());
    let query = "PREFIX tw: <https://twinpath.org/ns#> SELECT ?symbol WHERE { ?g tw:symbol ?symbol } ORDER BY ?symbol";
    for (accept, media, needle) in [
        (
            "application/sparql-results+json",
            "application/sparql-results+json",
            "\"ABL1\"",
        ),
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            "<literal>ABL1</literal>",
        ),
        ("text/csv", "text/csv", "symbol\r\nABL1\r\n"),
        (
            "text/tab-separated-values",
            "text/tab-separated-values",
            "?symbol\n\"ABL1\"\n",
        ),
        ("text/html;q=0.5, text/csv;q=0.9", "text/csv", "ABL1"),
        ("*/*", "application/sparql-results+json", "ABL1"),
    ] {
        let reply = send(&engine, None, sparql_get(query, Some(accept))).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}: {}", reply.text());
        assert!(
            reply.content_type().starts_with(media),
            "{accept} gave {}",
            reply.content_type()
        );
        assert!(reply.text().contains(needle), "{accept}: {}", reply.text());
    }
    // format= overrides Accept.
    let reply = send(
        &engine,
        None,
        get(&format!("/sparql?query={}&format=csv", encode(query))),
    )
    .await;
    assert!(reply.content_type().starts_with("text/csv"));
    // A syntax nobody can give is refused with 406.
    let reply = send(&engine, None, sparql_get(query, Some("image/png"))).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(reply.json()["error"], "not-acceptable");
}

#[tokio::test]
async fn ask_answers_a_boolean() {
    let engine = bundled_engine(limits());
    let reply = send(
        &engine,
        None,
        sparql_get("ASK { <https://twinpath.org/id/gene/MDM2> ?p ?o }", None),
    )
    .await;
    assert_eq!(reply.json()["boolean"], true);
    let reply = send(
        &engine,
        None,
        sparql_get(
            "ASK { <https://twinpath.org/id/gene/MDM2> ?p ?o }",
            Some("application/sparql-results+xml"),
        ),
    )
    .await;
    assert!(
        reply.text().contains("<boolean>true</boolean>"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn construct_and_describe_in_every_rdf_syntax() {
    let engine = bundled_engine(limits());
    let construct = "PREFIX tw: <https://twinpath.org/ns#> PREFIX ix: <https://twinpath.org/id/interaction/> CONSTRUCT { ?i tw:source ?s ; tw:target ?t } WHERE { VALUES ?i { ix:TP53-activates-MDM2 ix:MDM2-inhibits-TP53 ix:TP53-activates-CDKN1A ix:CDKN1A-inhibits-CDK2 } ?i tw:source ?s ; tw:target ?t }";
    for (accept, format) in [
        ("text/turtle", RdfFormat::Turtle),
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
        ),
    ] {
        let reply = send(&engine, None, sparql_get(construct, Some(accept))).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}: {}", reply.text());
        assert!(
            reply.content_type().starts_with(accept),
            "{accept} gave {}",
            reply.content_type()
        );
        let triples = RdfParser::from_format(format)
            .for_slice(&reply.body)
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("{accept} does not parse back: {e}\n{}", reply.text()));
        assert_eq!(
            triples.len(),
            8,
            "{accept}: 4 interactions × (source, target)"
        );
    }
    let describe = send(
        &engine,
        None,
        sparql_get(
            "DESCRIBE <https://twinpath.org/id/gene/CDKN1A>",
            Some("text/turtle"),
        ),
    )
    .await;
    assert_eq!(describe.status, StatusCode::OK);
    assert!(describe.text().contains("WAF1"), "{}", describe.text());
    // A graph answer asked for as SPARQL JSON results cannot be given.
    let reply = send(
        &engine,
        None,
        sparql_get(construct, Some("application/sparql-results+json")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn protocol_dataset_parameters_are_honoured() {
    let engine = bundled_engine(limits());
    let graph = "https://twinpath.org/graph/cancer-map";
    let in_graph = engine
        .store()
        .graph_len(&oxigraph::model::NamedNode::new(graph).expect("iri"))
        .expect("len");
    // default-graph-uri makes one graph the default graph.
    let uri = format!(
        "/sparql?query={}&default-graph-uri={}",
        encode("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        encode(graph)
    );
    let reply = send(&engine, None, get(&uri)).await;
    assert_eq!(first_binding(&reply, "n"), in_graph.to_string());
    // named-graph-uri limits what GRAPH ?g sees.
    let uri = format!(
        "/sparql?query={}&named-graph-uri={}",
        encode("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
        encode(graph)
    );
    let reply = send(&engine, None, get(&uri)).await;
    let bindings = reply.json()["results"]["bindings"]
        .as_array()
        .expect("rows")
        .clone();
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    assert_eq!(bindings[0]["g"]["value"], graph);
    // Without them, the default graph is the union of all graphs.
    let reply = send(
        &engine,
        None,
        sparql_get("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", None),
    )
    .await;
    let union: usize = first_binding(&reply, "n").parse().expect("int");
    assert!(union > in_graph);
    // A bad IRI is a bad request.
    let reply = send(
        &engine,
        None,
        get(&format!(
            "/sparql?query={}&default-graph-uri=not%20an%20iri",
            encode("ASK {}")
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn query_errors_are_json() {
    let engine = bundled_engine(limits());
    let reply = send(&engine, None, sparql_get("SELECT WHERE {", None)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"], "query-syntax");
    assert!(reply.json()["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    let reply = send(&engine, None, get("/sparql")).await;
    // No query: the page is shown to a browser.
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type().starts_with("text/html"));
}

fn update_request(update: &str, authorization: Option<&str>) -> Request<Body> {
    let mut builder = Request::post("/update").header("content-type", "application/sparql-update");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder
        .body(Body::from(update.to_owned()))
        .expect("request")
}

#[tokio::test]
async fn updates_need_the_right_token() {
    let engine = bundled_engine(limits());
    let insert = "INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/s> <https://example.org/p> 1 } }";
    let before = engine.store().len().expect("len");

    // No token configured: updates are refused and the message says how to enable them.
    let reply = send(
        &engine,
        None,
        update_request(insert, Some("Bearer anything")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.json()["message"]
        .as_str()
        .unwrap_or_default()
        .contains("--token"));

    // Token configured: none, a wrong one, then the right one.
    let reply = send(&engine, Some("s3cret"), update_request(insert, None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.headers.contains_key("www-authenticate"));
    let reply = send(
        &engine,
        Some("s3cret"),
        update_request(insert, Some("Bearer wrong")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        engine.store().len().expect("len"),
        before,
        "refused updates change nothing"
    );

    let reply = send(
        &engine,
        Some("s3cret"),
        update_request(insert, Some("Bearer s3cret")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_eq!(engine.store().len().expect("len"), before + 1);

    // The form encoding works too.
    let form = Request::post("/update")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Bearer s3cret")
        .body(Body::from(format!(
            "update={}",
            encode("DROP GRAPH <https://example.org/g>")
        )))
        .expect("request");
    assert_eq!(
        send(&engine, Some("s3cret"), form).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(engine.store().len().expect("len"), before);

    // A malformed update is a bad request and changes nothing.
    let reply = send(
        &engine,
        Some("s3cret"),
        update_request("INSERT DATA {", Some("Bearer s3cret")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(engine.store().len().expect("len"), before);
}

#[tokio::test]
async fn a_slow_query_times_out_and_the_server_keeps_serving() {
    // A store of 500 triples: cross products over it are far more than 300 ms of work, yet
    // small enough that the evaluation thread left behind ends soon after the answer.
    let engine = std::sync::Arc::new(
        twinpath::Engine::in_memory(QueryLimits {
            timeout: Duration::from_millis(300),
            max_results: 100_000,
        })
        .expect("engine"),
    );
    let triples: String = (0..500)
        .map(|i| format!("<https://example.org/s{i}> <https://example.org/p> \"{i}\" .\n"))
        .collect();
    engine
        .load_bytes(
            "cross.nt",
            triples.as_bytes(),
            &twinpath::store::LoadOptions {
                graph: Some(
                    oxigraph::model::NamedNode::new("https://example.org/cross").expect("iri"),
                ),
                format: twinpath::store::SourceFormat::from_name("ntriples"),
                ..Default::default()
            },
        )
        .expect("loads");
    // Cross products: far more than 300 ms of work. The three-way one
    // is cancelled inside oxigraph; the four-way one spends its time in an in-memory join that
    // checks the cancellation rarely, and the response must not wait for it.
    for slow in [
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    ] {
        let started = std::time::Instant::now();
        let reply = send(&engine, None, sparql_get(slow, None)).await;
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            reply.text()
        );
        assert_eq!(reply.json()["error"], "query-timeout");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "answered at the deadline, not at the end"
        );
    }
    let reply = send(&engine, None, sparql_get("ASK { ?s ?p ?o }", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_result_over_the_limit_is_refused() {
    let engine = bundled_engine(QueryLimits {
        timeout: Duration::from_secs(30),
        max_results: 5,
    });
    let reply = send(
        &engine,
        None,
        sparql_get("SELECT * WHERE { ?s ?p ?o }", None),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["error"], "result-too-large");
    let reply = send(
        &engine,
        None,
        sparql_get("SELECT * WHERE { ?s ?p ?o } LIMIT 5", None),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn health_graphs_queries_page_and_cors() {
    let engine = bundled_engine(limits());
    let reply = send(&engine, None, get("/health")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "ok");

    let reply = send(&engine, None, get("/graphs")).await;
    let graphs = reply.json();
    let p53 = graphs
        .as_array()
        .expect("array")
        .iter()
        .find(|g| g["graph"] == "https://twinpath.org/graph/cancer-map")
        .expect("the cancer map's graph is listed");
    assert_eq!(p53["source"], "bundled:pathways/cancer-map.ttl");
    assert_eq!(p53["sha256"].as_str().map(str::len), Some(64));

    let reply = send(&engine, None, get("/queries")).await;
    assert!(reply
        .json()
        .as_array()
        .expect("array")
        .iter()
        .any(|q| q["name"] == "interactions"));
    let reply = send(&engine, None, get("/queries/interactions?format=csv")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.text().lines().count() > 200, "{}", reply.text());
    let reply = send(&engine, None, get("/queries/nope")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    let reply = send(&engine, None, get("/")).await;
    assert!(reply.text().contains("<form"));

    let request = Request::get("/health")
        .header("origin", "https://example.org")
        .body(Body::empty())
        .expect("request");
    let reply = send(&engine, None, request).await;
    assert_eq!(
        reply
            .headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
}

#[tokio::test]
async fn graph_store_protocol_reads_replaces_and_drops() {
    let engine = bundled_engine(limits());
    let uri = format!("/store?graph={}", encode("https://example.org/graph/notes"));
    let put = |body: &str, token: Option<&str>| {
        let mut builder = Request::put(&uri).header("content-type", "text/turtle");
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder.body(Body::from(body.to_owned())).expect("request")
    };
    let v1 = "<https://example.org/a> <https://example.org/p> 1 , 2 , 3 .";
    let reply = send(&engine, Some("t"), put(v1, None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    let reply = send(&engine, Some("t"), put(v1, Some("t"))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json()["triples"], 3);

    let reply = send(
        &engine,
        None,
        Request::get(&uri)
            .header("accept", "application/n-triples")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text().lines().count(), 3, "{}", reply.text());

    let before = engine.store().len().expect("len");
    let reply = send(
        &engine,
        Some("t"),
        put(
            "<https://example.org/a> <https://example.org/p> .",
            Some("t"),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"], "rdf-syntax");
    assert_eq!(
        engine.store().len().expect("len"),
        before,
        "a bad upload changes nothing"
    );

    let reply = send(
        &engine,
        Some("t"),
        put(
            "<https://example.org/a> <https://example.org/p> 9 .",
            Some("t"),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "replaced: {}", reply.text());

    let delete = |token: &str| {
        Request::delete(&uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request")
    };
    assert_eq!(
        send(&engine, Some("t"), delete("t")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&engine, Some("t"), delete("t")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&engine, None, get(&uri)).await.status,
        StatusCode::NOT_FOUND
    );
}
