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
fn generate(path: &Path, triples: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let entities = triples / 5;
    for i in 0..entities {
        let s = format!("<https://twinpath.org/id/bench/e{i}>");
        writeln!(out, "{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://twinpath.org/ns#Gene{}> .", i % 50).expect("write");
        writeln!(out, "{s} <http://www.w3.org/2000/01/rdf-schema#label> \"entity number {i}\"@en .").expect("write");
        writeln!(out, "{s} <https://twinpath.org/ns#value> \"{}\"^^<http://www.w3.org/2001/XMLSchema#double> .", i as f64 * 0.37).expect("write");
        writeln!(out, "{s} <https://twinpath.org/ns#source> <https://twinpath.org/id/bench/e{}> .", (i * 7919) % entities).expect("write");
        writeln!(out, "{s} <https://twinpath.org/ns#evidence> <https://identifiers.org/pubmed:{}> .", 1_000_000 + i % 5000).expect("write");
    }
    out.flush().expect("flush");
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_load_rate_against_the_oxigraph_bulk_loader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bench.nt");
    let n = 1_000_000;
    generate(&file, n);
    let graph = NamedNode::new("https://twinpath.org/graph/bench").expect("iri");
    let mut rows = Vec::new();
    for round in 0..3 {
        // Plain oxigraph: its bulk loader straight into a fresh RocksDB store.
        let plain_dir = dir.path().join(format!("plain{round}"));
        let started = Instant::now();
        {
            let store = oxigraph::store::Store::open(&plain_dir).expect("open");
            let mut loader = store.bulk_loader();
            loader
                .load_from_reader(
                    RdfParser::from_format(RdfFormat::NTriples).with_default_graph(GraphName::NamedNode(graph.clone())),
                    std::io::BufReader::new(std::fs::File::open(&file).expect("open")),
                )
                .expect("load");
            loader.commit().expect("commit");
            assert_eq!(store.len().expect("len"), n);
        }
        let plain = n as f64 / started.elapsed().as_secs_f64();

        // twinpath: a first load (bulk path), then a reload over it (transaction path).
        let ours_dir = dir.path().join(format!("ours{round}"));
        let store = Store::open(&ours_dir).expect("open");
        let options = LoadOptions {
            graph: Some(graph.clone()),
            ..LoadOptions::default()
        };
        let first = store.load(&LoadSource::File(&file), &options, &NoProgress).expect("load");
        let reload = store.load(&LoadSource::File(&file), &options, &NoProgress).expect("reload");
        assert!(reload.replaced);
        assert_eq!(store.graph_len(&graph).expect("len"), n);
        rows.push((plain, first.rate(), reload.rate()));
        println!(
            "round {round}: oxigraph bulk {plain:.0} t/s · twinpath first load {:.0} t/s ({:.2}×) · twinpath replace {:.0} t/s ({:.2}×)",
            first.rate(),
            first.rate() / plain,
            reload.rate(),
            reload.rate() / plain
        );
        drop(store);
        let _ = std::fs::remove_dir_all(&plain_dir);
        let _ = std::fs::remove_dir_all(&ours_dir);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let plain = median(rows.iter().map(|r| r.0).collect());
    let first = median(rows.iter().map(|r| r.1).collect());
    let reload = median(rows.iter().map(|r| r.2).collect());
    println!("median of 3 over {n} triples:");
    println!("| loader | triples/s | ratio to oxigraph bulk |");
    println!("|---|---|---|");
    println!("| oxigraph bulk loader (plain) | {plain:.0} | 1.00 |");
    println!("| twinpath load, new graph (bulk + catalog, atomic) | {first:.0} | {:.2} |", first / plain);
    println!("| twinpath load, replacing the graph (one transaction) | {reload:.0} | {:.2} |", reload / plain);
}
