//! Loading: atomicity, replacement, the catalog, every syntax, and durability on RocksDB.

use crate::common::*;
use oxigraph::model::NamedNode;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use twinpath::store::{LoadOptions, LoadSource, NoProgress, Store};
use twinpath::{Engine, Error};

const V1: &str =
    "@prefix ex: <https://example.org/> .\nex:a ex:p ex:b .\nex:b ex:p ex:c .\nex:c ex:p ex:a .\n";
const V2: &str = "@prefix ex: <https://example.org/> .\nex:a ex:q ex:z .\nex:z ex:q ex:a .\n";
const BROKEN: &str =
    "@prefix ex: <https://example.org/> .\nex:a ex:p ex:b .\nex:b ex:p \"unterminated .\n";

fn graph(name: &str) -> NamedNode {
    NamedNode::new(format!("https://twinpath.org/graph/{name}")).expect("iri")
}

fn load(engine: &Engine, path: &std::path::Path) -> twinpath::Result<twinpath::store::LoadReport> {
    engine.store().load(
        &LoadSource::File(path),
        &LoadOptions::default(),
        &NoProgress,
    )
}

fn dump(store: &Store) -> Vec<String> {
    let mut quads: Vec<String> = store
        .query(
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
            &Default::default(),
            &[],
            limits(),
            &[],
        )
        .map(|a| match a {
            twinpath::QueryAnswer::Graph(t) => t.iter().map(|t| t.to_string()).collect(),
            _ => vec![],
        })
        .expect("dump");
    quads.sort();
    quads
}

#[test]
fn a_malformed_file_changes_nothing_and_says_where() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = bundled_engine(limits());
    let before = dump(engine.store());

    // Into a new graph (the bulk path) …
    let broken = write(dir.path(), "broken.ttl", BROKEN);
    let error = load(&engine, &broken).expect_err("a syntax error");
    match &error {
        Error::Syntax {
            file,
            position: Some(p),
            ..
        } => {
            assert_eq!(file, &broken);
            assert_eq!(p.line, 3, "{error}");
            assert!(p.column > 1, "{error}");
        }
        other => panic!("not a syntax error with a position: {other}"),
    }
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}:3:", broken.display())),
        "{error}"
    );
    assert!(error.is_bad_input());
    assert_eq!(
        dump(engine.store()),
        before,
        "count and content before = after"
    );

    // … and over an existing graph (the transaction path).
    let good = write(dir.path(), "data.ttl", V1);
    load(&engine, &good).expect("loads");
    let before = dump(engine.store());
    std::fs::write(&good, BROKEN).expect("write");
    load(&engine, &good).expect_err("a syntax error");
    assert_eq!(dump(engine.store()), before, "the old graph is untouched");
}

#[test]
fn reloading_a_file_replaces_its_graph() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = bundled_engine(limits());
    let path = write(dir.path(), "data.ttl", V1);
    let first = load(&engine, &path).expect("loads");
    assert!(!first.replaced);
    assert_eq!(engine.store().graph_len(&graph("data")).expect("len"), 3);
    let total = engine.store().len().expect("len");

    let again = load(&engine, &path).expect("loads again");
    assert!(again.replaced);
    assert_eq!(
        engine.store().graph_len(&graph("data")).expect("len"),
        3,
        "nothing duplicated"
    );

    std::fs::write(&path, V2).expect("write");
    load(&engine, &path).expect("loads v2");
    assert_eq!(engine.store().graph_len(&graph("data")).expect("len"), 2);
    assert_eq!(
        count(&engine, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/data> { ?s <https://example.org/p> ?o } }"),
        0,
        "v1's triples are gone"
    );
    // An edit that keeps some triples, drops one and adds one leaves exactly the new version.
    std::fs::write(
        &path,
        "@prefix ex: <https://example.org/> .\nex:a ex:q ex:z .\nex:n ex:q ex:a .\n",
    )
    .expect("write");
    load(&engine, &path).expect("loads the edit");
    let triples = count(&engine, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/data> { { <https://example.org/a> <https://example.org/q> <https://example.org/z> } UNION { <https://example.org/n> <https://example.org/q> <https://example.org/a> } } }");
    assert_eq!(triples, 2);
    assert_eq!(engine.store().graph_len(&graph("data")).expect("len"), 2);
    std::fs::write(&path, V2).expect("write");
    load(&engine, &path).expect("loads v2 again");

    // Besides the data, each load adds one catalog record of 12 triples.
    let growth = engine.store().len().expect("len") as i64 - total as i64;
    assert_eq!(
        growth,
        4 * 12 + (2 - 3),
        "four catalog records added, data went from 3 to 2 triples"
    );
}

/// The store keeps some literals in a normal form (`2.0` reads back as `2`); a reload must not
/// take such a statement for stale and drop it.
#[test]
fn numbers_survive_a_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = bundled_engine(limits());
    let path = write(
        dir.path(),
        "numbers.ttl",
        "@prefix ex: <https://example.org/> .\nex:a ex:p 2.0, 20.0, 2.0e0, 2.5, 2, \"02\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n",
    );
    load(&engine, &path).expect("loads");
    let first = engine.store().graph_len(&graph("numbers")).expect("len");
    load(&engine, &path).expect("loads again");
    assert_eq!(
        engine.store().graph_len(&graph("numbers")).expect("len"),
        first
    );
    assert_eq!(
        count(&engine, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/numbers> { <https://example.org/a> <https://example.org/p> 2.0e0 } }"),
        1,
        "the double two is still there"
    );
}

#[test]
fn blank_nodes_do_not_pile_up_on_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = bundled_engine(limits());
    let path = write(
        dir.path(),
        "bnodes.ttl",
        "<https://example.org/s> <https://example.org/p> [ <https://example.org/q> 1 ] .\n",
    );
    load(&engine, &path).expect("loads");
    load(&engine, &path).expect("loads again");
    assert_eq!(engine.store().graph_len(&graph("bnodes")).expect("len"), 2);
}

#[test]
fn the_catalog_records_every_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = bundled_engine(limits());
    let path = write(dir.path(), "data.ttl", V1);
    load(&engine, &path).expect("loads");
    std::fs::write(&path, V2).expect("write");
    let report = load(&engine, &path).expect("loads v2");
    let sha = format!("{:x}", Sha256::digest(V2.as_bytes()));
    assert_eq!(report.sha256, sha);
    assert_eq!(report.triples, 2);

    let loads = count(
        &engine,
        "PREFIX tw: <https://twinpath.org/ns#> SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/catalog> { ?l a tw:Load ; tw:sourceGraph <https://twinpath.org/graph/data> } }",
    );
    assert_eq!(loads, 2, "one record per load");
    let latest = count(
        &engine,
        &format!(
            "PREFIX tw: <https://twinpath.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#>
             SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <https://twinpath.org/graph/catalog> {{
               ?l tw:graph <https://twinpath.org/graph/data> ; tw:sha256 \"{sha}\" ; tw:tripleCount 2 ;
                  tw:sourcePath \"{}\" ; prov:endedAtTime ?t ; tw:mediaType \"text/turtle\" }} }}",
            path.display()
        ),
    );
    assert_eq!(latest, 1);

    let graphs = engine.graphs().expect("graphs");
    let data = graphs
        .iter()
        .find(|g| g.graph == graph("data").as_str())
        .expect("listed");
    assert_eq!(data.triples, 2);
    assert_eq!(data.sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(
        data.source.as_deref(),
        Some(path.to_string_lossy().as_ref())
    );
    assert!(graphs
        .iter()
        .any(|g| g.graph == "https://twinpath.org/graph/catalog"));
}

#[test]
fn every_rdf_syntax_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::in_memory(limits()).expect("engine");
    let files = [
        ("a.ttl", V1.to_owned()),
        ("b.nt", "<https://example.org/a> <https://example.org/p> \"x\" .\n".to_owned()),
        ("c.rdf", r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/"><rdf:Description rdf:about="https://example.org/a"><ex:p>x</ex:p></rdf:Description></rdf:RDF>"#.to_owned()),
        ("d.jsonld", r#"{"@context":{"ex":"https://example.org/"},"@id":"ex:a","ex:p":"x"}"#.to_owned()),
        ("e.nq", "<https://example.org/a> <https://example.org/p> \"x\" <https://example.org/g1> .\n<https://example.org/a> <https://example.org/p> \"y\" .\n".to_owned()),
        ("f.trig", "@prefix ex: <https://example.org/> .\nex:g2 { ex:a ex:p \"x\" }\nex:a ex:p \"z\" .\n".to_owned()),
    ];
    for (name, text) in &files {
        let path = write(dir.path(), name, text);
        let report = load(&engine, &path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.triples >= 1, "{name}");
    }
    for (name, expected) in [("a", 3), ("b", 1), ("c", 1), ("d", 1), ("e", 1), ("f", 1)] {
        assert_eq!(
            engine.store().graph_len(&graph(name)).expect("len"),
            expected,
            "{name}"
        );
    }
    // Quad syntaxes keep their own graphs, recorded in the catalog …
    let g1 = NamedNode::new("https://example.org/g1").expect("iri");
    assert_eq!(engine.store().graph_len(&g1).expect("len"), 1);
    // … and a new version of the file that drops a graph removes it.
    write(
        dir.path(),
        "e.nq",
        "<https://example.org/a> <https://example.org/p> \"y\" .\n",
    );
    load(&engine, &dir.path().join("e.nq")).expect("reloads");
    assert_eq!(engine.store().graph_len(&g1).expect("len"), 0);
    assert_eq!(engine.store().graph_len(&graph("e")).expect("len"), 1);
}

#[test]
fn a_folder_with_one_bad_file_loads_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.ttl", V1);
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    write(&dir.path().join("sub"), "b.ttl", V2);
    write(&dir.path().join("sub"), "notes.md", "not RDF");
    let engine = Engine::in_memory(limits()).expect("engine");
    let summary = engine
        .load_paths(
            &[dir.path().to_path_buf()],
            &LoadOptions::default(),
            &NoProgress,
        )
        .expect("loads the folder");
    assert_eq!(summary.loaded.len(), 2);
    assert_eq!(summary.skipped.len(), 1);

    write(&dir.path().join("sub"), "c.ttl", BROKEN);
    let before = engine.store().len().expect("len");
    let error = engine
        .load_paths(
            &[dir.path().to_path_buf()],
            &LoadOptions::default(),
            &NoProgress,
        )
        .expect_err("one file is broken");
    assert!(error.to_string().contains("c.ttl:3:"), "{error}");
    assert_eq!(engine.store().len().expect("len"), before);
}

#[test]
fn data_survives_closing_and_reopening_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");
    let file = write(dir.path(), "data.ttl", V1);
    let before = {
        let engine = Engine::open(&data, limits()).expect("opens");
        engine.load_bundled(&NoProgress).expect("bundled");
        load(&engine, &file).expect("loads");
        dump(engine.store())
    };
    let engine = Engine::open(&data, limits()).expect("reopens");
    assert_eq!(dump(engine.store()), before);
    assert!(!engine.store().never_loaded().expect("catalog"));
}

/// N-Triples with `n` distinct triples tagged `tag`.
fn big_file(dir: &std::path::Path, name: &str, tag: &str, n: usize) -> PathBuf {
    use std::io::Write;
    let path = dir.join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    for i in 0..n {
        writeln!(
            out,
            "<https://example.org/{tag}/s{i}> <https://example.org/p{}> \"{tag} value {i}\" .",
            i % 17
        )
        .expect("write");
    }
    out.flush().expect("flush");
    path
}

#[test]
fn a_load_killed_midway_leaves_the_old_graph_or_the_new_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");
    let target = NamedNode::new("https://example.org/graph/big").expect("iri");
    let old = big_file(dir.path(), "old.nt", "old", 1_000);
    let new = big_file(dir.path(), "new.nt", "new", 400_000);
    let binary = env!("CARGO_BIN_EXE_twinpath");
    let run_load = |file: &PathBuf, graph: &NamedNode| {
        Command::new(binary)
            .args(["load", "--data"])
            .arg(&data)
            .args(["--graph", graph.as_str()])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn twinpath")
    };
    let status = run_load(&old, &target).wait().expect("wait");
    assert!(status.success());

    let mut killed_midway = 0;
    for (attempt, delay_ms) in [150u64, 400, 900, 1500, 2500].into_iter().enumerate() {
        // A replacement (transaction path) and a first load of a new graph (bulk path).
        for graph in [
            target.clone(),
            NamedNode::new(format!("https://example.org/graph/fresh{attempt}")).expect("iri"),
        ] {
            let mut child = run_load(&new, &graph);
            std::thread::sleep(Duration::from_millis(delay_ms));
            if child.try_wait().expect("poll").is_none() {
                killed_midway += 1;
            }
            let _ = child.kill();
            let _ = child.wait();

            let store = Store::open(&data).expect("reopens after the kill");
            let n = store.graph_len(&graph).expect("len");
            let allowed: &[usize] = if graph == target {
                &[1_000, 400_000]
            } else {
                &[0, 400_000]
            };
            assert!(
                allowed.contains(&n),
                "{} holds {n} triples after a kill at {delay_ms} ms",
                graph.as_str()
            );
            if n == 400_000 && graph == target {
                // Once replaced, the next attempt replaces the new version by itself; reset it.
                drop(store);
                assert!(run_load(&old, &target).wait().expect("wait").success());
            }
        }
    }
    eprintln!("{killed_midway} of 10 kills landed while a load was running");
    assert!(killed_midway > 0, "at least one kill landed during a load");
}

#[test]
fn readers_see_the_old_graph_or_the_new_one_never_half() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine =
        std::sync::Arc::new(Engine::open(&dir.path().join("store"), limits()).expect("opens"));
    let target = NamedNode::new("https://example.org/graph/swap").expect("iri");
    let old = big_file(dir.path(), "old.nt", "old", 20_000);
    let new = big_file(dir.path(), "new.nt", "new", 25_000);
    let options = LoadOptions {
        graph: Some(target.clone()),
        ..LoadOptions::default()
    };
    engine
        .store()
        .load(&LoadSource::File(&old), &options, &NoProgress)
        .expect("loads v1");

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (engine, done) = (engine.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen = std::collections::BTreeSet::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                seen.insert(count(&engine, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://example.org/graph/swap> { ?s ?p ?o } }"));
            }
            seen
        })
    };
    for file in [&new, &old, &new] {
        engine
            .store()
            .load(&LoadSource::File(file), &options, &NoProgress)
            .expect("replaces");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.join().expect("reader thread");
    eprintln!("readers saw graph sizes {seen:?}");
    assert!(
        seen.iter().all(|n| *n == 20_000 || *n == 25_000),
        "a reader saw a half-written graph: {seen:?}"
    );
}
