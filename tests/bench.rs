//! Benchmarks, run on demand (ignored by a plain `cargo test`); they print figures and assert
//! nothing about time. Reproduce with:
//!
//! ```text
//! cargo test --release -- --ignored --nocapture bench_
//! ```

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName, NamedNode};
use std::io::Write;
use std::path::Path;
use std::time::Instant;
use twinpath::store::{LoadOptions, LoadSource, NoProgress, Store};

/// One million N-Triples shaped like curated biology: entities with types, labels, numbers
/// and links between them.
fn generate(path: &Path, triples: usize, version: &str) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let entities = triples / 5;
    for i in 0..entities {
        let s = format!("<https://twinpath.org/id/bench/e{i}>");
        writeln!(out, "{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://twinpath.org/ns#Gene{}> .", i % 50).expect("write");
        writeln!(out, "{s} <http://www.w3.org/2000/01/rdf-schema#label> \"entity number {i} ({version})\"@en .").expect("write");
        writeln!(out, "{s} <https://twinpath.org/ns#value> \"{}\"^^<http://www.w3.org/2001/XMLSchema#double> .", i as f64 * 0.37).expect("write");
        writeln!(out, "{s} <https://twinpath.org/ns#source> <https://twinpath.org/id/bench/e{}> .", (i * 7919) % entities).expect("write");
        writeln!(out, "{s} <https://twinpath.org/ns#evidence> <https://identifiers.org/pubmed:{}> .", 1_000_000 + i % 5000).expect("write");
    }
    out.flush().expect("flush");
}

fn rate(n: usize, started: Instant) -> f64 {
    n as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_load_rate_against_oxigraph() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 1_000_000;
    let v1 = dir.path().join("v1.nt");
    let v2 = dir.path().join("v2.nt");
    generate(&v1, n, "v1");
    // v2 differs from v1 in one triple of every five (the labels): a heavy edit.
    generate(&v2, n, "v2");
    let graph = NamedNode::new("https://twinpath.org/graph/bench").expect("iri");
    let rounds = 3;
    let mut rows: Vec<[f64; 5]> = Vec::new();
    for round in 0..rounds {
        // oxigraph's bulk loader straight into a fresh RocksDB store.
        let plain_dir = dir.path().join(format!("plain{round}"));
        let started = Instant::now();
        {
            let store = oxigraph::store::Store::open(&plain_dir).expect("open");
            let mut loader = store.bulk_loader();
            loader
                .load_from_reader(
                    RdfParser::from_format(RdfFormat::NTriples).with_default_graph(GraphName::NamedNode(graph.clone())),
                    std::io::BufReader::new(std::fs::File::open(&v1).expect("open")),
                )
                .expect("load");
            loader.commit().expect("commit");
            assert_eq!(store.len().expect("len"), n);
        }
        let plain_bulk = rate(n, started);
        let _ = std::fs::remove_dir_all(&plain_dir);

        // oxigraph's transactional load (atomic, the reference for replacing a graph).
        let started = Instant::now();
        {
            let store = oxigraph::store::Store::open(&plain_dir).expect("open");
            store
                .load_from_reader(
                    RdfParser::from_format(RdfFormat::NTriples).with_default_graph(GraphName::NamedNode(graph.clone())),
                    std::io::BufReader::new(std::fs::File::open(&v1).expect("open")),
                )
                .expect("load");
            assert_eq!(store.len().expect("len"), n);
        }
        let plain_transaction = rate(n, started);
        let _ = std::fs::remove_dir_all(&plain_dir);

        // twinpath: a first load (bulk path), a reload of the same file, then a new version.
        let ours_dir = dir.path().join(format!("ours{round}"));
        let store = Store::open(&ours_dir).expect("open");
        let options = LoadOptions {
            graph: Some(graph.clone()),
            ..LoadOptions::default()
        };
        let first = store.load(&LoadSource::File(&v1), &options, &NoProgress).expect("load");
        let same = store.load(&LoadSource::File(&v1), &options, &NoProgress).expect("reload");
        let edited = store.load(&LoadSource::File(&v2), &options, &NoProgress).expect("replace");
        assert!(same.replaced && edited.replaced);
        assert_eq!(store.graph_len(&graph).expect("len"), n);
        drop(store);
        let _ = std::fs::remove_dir_all(&ours_dir);

        let row = [plain_bulk, plain_transaction, first.rate(), same.rate(), edited.rate()];
        println!("round {round}: {row:.0?}");
        rows.push(row);
    }
    let m: Vec<f64> = (0..5).map(|i| median(rows.iter().map(|r| r[i]).collect())).collect();
    println!("median of {rounds} rounds, {n} triples (N-Triples, {} MB):", std::fs::metadata(&v1).map(|m| m.len() >> 20).unwrap_or(0));
    println!("| load | triples/s | ratio to oxigraph bulk loader |");
    println!("|---|---|---|");
    for (name, value) in [
        ("oxigraph bulk loader, new store", m[0]),
        ("oxigraph transactional load (`Store::load_from_reader`), new store", m[1]),
        ("twinpath load, new graph (bulk loader + catalog, one atomic ingest)", m[2]),
        ("twinpath reload of the same file (replace by difference, one transaction)", m[3]),
        ("twinpath load of an edited version, 20% of triples changed (one transaction)", m[4]),
    ] {
        println!("| {name} | {value:.0} | {:.2} |", value / m[0]);
    }
}
