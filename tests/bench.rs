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
        writeln!(
            out,
            "{s} <https://twinpath.org/ns#source> <https://twinpath.org/id/bench/e{}> .",
            (i * 7919) % entities
        )
        .expect("write");
        writeln!(
            out,
            "{s} <https://twinpath.org/ns#evidence> <https://identifiers.org/pubmed:{}> .",
            1_000_000 + i % 5000
        )
        .expect("write");
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
                    RdfParser::from_format(RdfFormat::NTriples)
                        .with_default_graph(GraphName::NamedNode(graph.clone())),
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
                    RdfParser::from_format(RdfFormat::NTriples)
                        .with_default_graph(GraphName::NamedNode(graph.clone())),
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
        let first = store
            .load(&LoadSource::File(&v1), &options, &NoProgress)
            .expect("load");
        let same = store
            .load(&LoadSource::File(&v1), &options, &NoProgress)
            .expect("reload");
        let edited = store
            .load(&LoadSource::File(&v2), &options, &NoProgress)
            .expect("replace");
        assert!(same.replaced && edited.replaced);
        assert_eq!(store.graph_len(&graph).expect("len"), n);
        drop(store);
        let _ = std::fs::remove_dir_all(&ours_dir);

        let row = [
            plain_bulk,
            plain_transaction,
            first.rate(),
            same.rate(),
            edited.rate(),
        ];
        println!("round {round}: {row:.0?}");
        rows.push(row);
    }
    let m: Vec<f64> = (0..5)
        .map(|i| median(rows.iter().map(|r| r[i]).collect()))
        .collect();
    println!(
        "median of {rounds} rounds, {n} triples (N-Triples, {} MB):",
        std::fs::metadata(&v1).map(|m| m.len() >> 20).unwrap_or(0)
    );
    println!("| load | triples/s | ratio to oxigraph bulk loader |");
    println!("|---|---|---|");
    for (name, value) in [
        ("oxigraph bulk loader, new store", m[0]),
        (
            "oxigraph transactional load (`Store::load_from_reader`), new store",
            m[1],
        ),
        (
            "twinpath load, new graph (bulk loader + catalog, one atomic ingest)",
            m[2],
        ),
        (
            "twinpath reload of the same file (replace by difference, one transaction)",
            m[3],
        ),
        (
            "twinpath load of an edited version, 20% of triples changed (one transaction)",
            m[4],
        ),
    ] {
        println!("| {name} | {value:.0} | {:.2} |", value / m[0]);
    }
}

/// A small deterministic generator, so every run indexes the same names.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn symbol(&mut self) -> String {
        const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let len = 3 + (self.next() % 5) as usize;
        let mut s: String = (0..len)
            .map(|_| LETTERS[(self.next() % 26) as usize] as char)
            .collect();
        s.push_str(&(self.next() % 20).to_string());
        s
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_search_latency_against_sparql() {
    use twinpath::search::{Entity, SearchIndex, SearchRequest};
    let n = 1_000_000;
    let words = [
        "kinase",
        "receptor",
        "ligase",
        "factor",
        "protein",
        "transporter",
        "channel",
        "inhibitor",
        "binding",
        "nuclear",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let entities: Vec<Entity> = (0..n)
        .map(|i| Entity {
            iri: format!("https://twinpath.org/id/bench/e{i}"),
            graph: "https://twinpath.org/graph/bench".into(),
            label: rng.symbol(),
            synonyms: vec![rng.symbol(), rng.symbol()],
            identifiers: vec![
                format!("https://identifiers.org/hgnc:{i}"),
                format!("hgnc:{i}"),
            ],
            description: Some(format!("{} {} {i}", words[i % 10], words[(i / 10) % 10])),
            types: vec![if i % 3 == 0 { "tw:Protein" } else { "tw:Gene" }.into()],
        })
        .collect();
    let started = Instant::now();
    let index = SearchIndex::new().expect("index");
    index.rebuild(entities.iter().cloned()).expect("indexed");
    println!(
        "indexed {n} entities in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Single-term queries: exact symbols, synonyms, prefixes, one-typo names, identifiers.
    let mut queries: Vec<(&str, String)> = Vec::new();
    for k in 0..2000usize {
        let e = &entities[(rng.next() % n as u64) as usize];
        let query = match k % 5 {
            0 => ("exact symbol", e.label.to_lowercase()),
            1 => ("synonym", e.synonyms[0].clone()),
            2 => ("prefix", e.label[..3].to_owned()),
            3 => ("typo", {
                let mut chars: Vec<char> = e.label.chars().collect();
                chars.swap(0, 1);
                chars.into_iter().collect()
            }),
            _ => ("identifier", e.identifiers[1].clone()),
        };
        queries.push(query);
    }
    let mut all = Vec::new();
    let mut by_kind: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for (kind, text) in &queries {
        let started = Instant::now();
        let hits = index
            .search(&SearchRequest {
                text,
                kind: None,
                limit: 10,
                offset: 0,
            })
            .expect("search");
        let ms = started.elapsed().as_secs_f64() * 1e3;
        assert!(!hits.is_empty(), "{kind} {text}");
        all.push(ms);
        by_kind.entry(kind).or_default().push(ms);
    }
    all.sort_by(f64::total_cmp);
    println!("| queries | p50 ms | p99 ms |");
    println!("|---|---|---|");
    println!(
        "| all {} | {:.3} | {:.3} |",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99)
    );
    for (kind, mut times) in by_kind {
        times.sort_by(f64::total_cmp);
        println!(
            "| {kind} ({}) | {:.3} | {:.3} |",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }

    // The alternative without a search index: SPARQL over the same names in oxigraph.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = oxigraph::store::Store::open(dir.path()).expect("open");
    let mut loader = store.bulk_loader();
    let graph =
        GraphName::NamedNode(NamedNode::new("https://twinpath.org/graph/bench").expect("iri"));
    let label = NamedNode::new("http://www.w3.org/2000/01/rdf-schema#label").expect("iri");
    let alt = NamedNode::new("http://www.w3.org/2004/02/skos/core#altLabel").expect("iri");
    loader
        .load_quads(entities.iter().flat_map(|e| {
            let s = NamedNode::new(&e.iri).expect("iri");
            let mut quads = vec![oxigraph::model::Quad::new(
                s.clone(),
                label.clone(),
                oxigraph::model::Literal::from(e.label.as_str()),
                graph.clone(),
            )];
            for synonym in &e.synonyms {
                quads.push(oxigraph::model::Quad::new(
                    s.clone(),
                    alt.clone(),
                    oxigraph::model::Literal::from(synonym.as_str()),
                    graph.clone(),
                ));
            }
            quads
        }))
        .expect("load");
    loader.commit().expect("commit");
    let run = |query: &str| {
        let started = Instant::now();
        let results = oxigraph::sparql::SparqlEvaluator::new()
            .parse_query(query)
            .expect("parses")
            .on_store(&store)
            .execute()
            .expect("runs");
        if let oxigraph::sparql::QueryResults::Solutions(solutions) = results {
            assert!(solutions.count() > 0);
        }
        started.elapsed().as_secs_f64() * 1e3
    };
    let mut exact = Vec::new();
    let mut contains = Vec::new();
    for (_, text) in queries.iter().filter(|(k, _)| *k == "synonym").take(200) {
        exact.push(run(&format!(
            "SELECT ?s WHERE {{ GRAPH ?g {{ ?s ?p \"{text}\" }} }} LIMIT 10"
        )));
    }
    for (_, text) in queries.iter().filter(|(k, _)| *k == "prefix").take(5) {
        contains.push(run(&format!(
            "SELECT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?name }} FILTER(STRSTARTS(LCASE(STR(?name)), \"{}\")) }} LIMIT 10",
            text.to_lowercase()
        )));
    }
    exact.sort_by(f64::total_cmp);
    contains.sort_by(f64::total_cmp);
    println!(
        "| SPARQL exact literal lookup, case-sensitive ({}) | {:.3} | {:.3} |",
        exact.len(),
        percentile(&exact, 0.5),
        percentile(&exact, 0.99)
    );
    println!(
        "| SPARQL STRSTARTS(LCASE(...)) prefix scan ({}) | {:.3} | {:.3} |",
        contains.len(),
        percentile(&contains, 0.5),
        percentile(&contains, 0.99)
    );
}

/// `twinpath validate` on the shipped maps against pySHACL (the reference Python SHACL engine)
/// on the same files with the same shapes. pySHACL runs only the shapes; twinpath also runs its
/// store checks (references, duplicates, signs, identifiers), so the ratio favours pySHACL.
/// Needs `pyshacl` on the PATH (`pip install pyshacl`); says so and stops when it is missing.
#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_validation_against_pyshacl() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = crate::common::pathways();
    let merged = tempfile::NamedTempFile::new().expect("temp");
    for file in &files {
        std::fs::OpenOptions::new()
            .append(true)
            .open(merged.path())
            .expect("open")
            .write_all(&std::fs::read(file).expect("read"))
            .expect("write");
    }
    let engine = twinpath::Engine::in_memory(twinpath::QueryLimits::default()).expect("engine");
    engine.load_bundled(&NoProgress).expect("bundled");
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..3 {
        let started = Instant::now();
        let report = engine
            .validate(&files, &LoadOptions::default())
            .expect("validate");
        assert!(report.is_valid(), "{report}");
        ours.push(started.elapsed().as_secs_f64());

        let started = Instant::now();
        let run = std::process::Command::new("pyshacl")
            .arg("-s")
            .arg(root.join("ontologies/twin-shapes.ttl"))
            .arg("-e")
            .arg(root.join("ontologies/twin.ttl"))
            .args(["-df", "turtle"])
            .arg(merged.path())
            .output();
        let Ok(run) = run else {
            println!("pyshacl is not installed (pip install pyshacl): nothing to compare with");
            return;
        };
        assert!(
            String::from_utf8_lossy(&run.stdout).contains("Conforms: True"),
            "pyshacl disagrees: {}",
            String::from_utf8_lossy(&run.stdout)
        );
        theirs.push(started.elapsed().as_secs_f64());
        println!(
            "round {round}: twinpath {:.3} s, pyshacl {:.3} s",
            ours[round], theirs[round]
        );
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "validate {} files: twinpath {ours:.3} s, pyshacl {theirs:.3} s, ratio twinpath/pyshacl {:.2}",
        files.len(),
        ours / theirs
    );
}

/// The networkx side of the reasoning benchmark: reads an edge list (`source target sign`),
/// then times, for the same queries, breadth-first reach within 3 steps and all simple paths
/// up to 5 edges. Prints one JSON object with medians in milliseconds.
const NETWORKX_SCRIPT: &str = r#"
import json, sys, time
import networkx as nx
edges, starts, pairs = sys.argv[1], sys.argv[2], sys.argv[3]
g = nx.DiGraph()
t = time.perf_counter()
with open(edges) as f:
    for line in f:
        s, o, sign = line.split()
        g.add_edge(s, o, sign=int(sign))
build = time.perf_counter() - t
def median(v):
    v = sorted(v); return v[len(v) // 2]
reach = []
for s in open(starts).read().split():
    t = time.perf_counter()
    nx.single_source_shortest_path_length(g, s, cutoff=3)
    reach.append((time.perf_counter() - t) * 1000)
paths, counts = [], []
for line in open(pairs):
    a, b = line.split()
    t = time.perf_counter()
    n = sum(1 for _ in nx.all_simple_paths(g, a, b, cutoff=5))
    paths.append((time.perf_counter() - t) * 1000)
    counts.append(n)
print(json.dumps({"build_s": build, "reach_ms": median(reach), "paths_ms": median(paths), "paths": counts}))
"#;

/// Times `reason::reach` (3 steps, signed, with a path per sign) and `reason::paths` (all
/// simple paths up to 5 edges) on `net` for `starts` and `pairs`, and networkx on the same
/// edge list; prints both and the ratios. Returns nothing: benchmarks assert nothing about time.
fn compare_with_networkx(
    label: &str,
    net: &twinpath::model::Network,
    edge_list: &Path,
    starts: &[twinpath::model::NodeId],
    pairs: &[(twinpath::model::NodeId, twinpath::model::NodeId)],
    name_of: &dyn Fn(twinpath::model::NodeId) -> String,
) {
    use twinpath::reason::{paths, signed_reach, Stream};
    let mut reach_ms = Vec::new();
    let mut explained_ms = Vec::new();
    let mut reached = 0usize;
    for &s in starts {
        let started = Instant::now();
        let r = signed_reach(net, s, 3, Stream::Downstream);
        reach_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        reached += r.nodes.len();
    }
    // The full answer, measured apart: every node's IRI, label and a shortest path per sign
    // with its edges' evidence.
    for &s in starts {
        let r = signed_reach(net, s, 3, Stream::Downstream);
        let started = Instant::now();
        let views = r.views(net);
        explained_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(views.len(), r.nodes.len());
    }
    let mut paths_ms = Vec::new();
    let mut counts = Vec::new();
    for &(a, b) in pairs {
        let started = Instant::now();
        let p = paths(net, a, b, 5, usize::MAX);
        paths_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        counts.push(p.paths.len());
    }
    let mut sorted = reach_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let (ours_reach, ours_paths) = (median(reach_ms), median(paths_ms.clone()));
    println!(
        "{label}: signed reach 3 steps median {ours_reach:.2} ms (p99 {:.2} ms, {:.0} nodes reached on average; \
         writing out every node's paths and evidence adds a median {:.2} ms); \
         all simple paths up to 5 edges median {ours_paths:.2} ms (max {:.2} ms; {:?} paths)",
        percentile(&sorted, 0.99),
        reached as f64 / starts.len() as f64,
        median(explained_ms),
        paths_ms.iter().cloned().fold(0.0, f64::max),
        counts
    );
    let dir = edge_list.parent().expect("dir");
    let starts_file = dir.join("starts.txt");
    let pairs_file = dir.join("pairs.txt");
    std::fs::write(
        &starts_file,
        starts
            .iter()
            .map(|s| name_of(*s))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .expect("write");
    std::fs::write(
        &pairs_file,
        pairs
            .iter()
            .map(|(a, b)| format!("{} {}", name_of(*a), name_of(*b)))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .expect("write");
    let script = dir.join("networkx_bench.py");
    std::fs::write(&script, NETWORKX_SCRIPT).expect("write");
    let run = std::process::Command::new("python3")
        .arg(&script)
        .arg(edge_list)
        .arg(&starts_file)
        .arg(&pairs_file)
        .output();
    match run {
        Ok(out) if out.status.success() => {
            let theirs: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("JSON from the script");
            let (r, p) = (
                theirs["reach_ms"].as_f64().unwrap_or(f64::NAN),
                theirs["paths_ms"].as_f64().unwrap_or(f64::NAN),
            );
            println!(
                "{label}: networkx 3.x reach {r:.2} ms, paths {p:.2} ms ({}); ratio twinpath/networkx: reach {:.3}, paths {:.3}",
                theirs["paths"], ours_reach / r, ours_paths / p
            );
        }
        Ok(out) => println!(
            "networkx did not run (pip install networkx): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("python3 did not run: {e}"),
    }
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_reasoning_against_networkx() {
    use twinpath::model::network::EntityDescription;
    use twinpath::model::{Edge, NetworkBuilder, Sign};
    let dir = tempfile::tempdir().expect("tempdir");

    // A genome-scale prior: 20,000 nodes, 500,000 signed edges, hub-heavy (a third of the
    // edges land on 2,000 hubs), 30% inhibitions.
    let (nodes, edges) = (20_000u64, 500_000usize);
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut builder = NetworkBuilder::new();
    for i in 0..nodes {
        builder.entity(EntityDescription {
            iri: format!("n{i}"),
            label: Some(format!("n{i}")),
            ..Default::default()
        });
    }
    let edge_list = dir.path().join("synthetic.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&edge_list).expect("create"));
    let mut seen = std::collections::HashSet::new();
    while seen.len() < edges {
        let s = rng.next() % nodes;
        let t = if rng.next() % 3 == 0 {
            rng.next() % 2000
        } else {
            rng.next() % nodes
        };
        if s == t || !seen.insert((s, t)) {
            continue;
        }
        let sign = if rng.next() % 10 < 3 {
            Sign::Negative
        } else {
            Sign::Positive
        };
        writeln!(
            out,
            "n{s} n{t} {}",
            if sign == Sign::Positive { 1 } else { -1 }
        )
        .expect("write");
        builder.edge(
            &format!("n{s}"),
            &format!("n{t}"),
            Edge {
                interaction: format!("i{}", seen.len()),
                sign,
                mechanism: None,
                evidence: vec![format!(
                    "https://identifiers.org/pubmed:{}",
                    1_000_000 + seen.len()
                )],
                graph: "bench".into(),
                via: None,
            },
        );
    }
    out.flush().expect("flush");
    let started = Instant::now();
    let net = builder.build();
    println!(
        "built the synthetic network ({} nodes, {} edges) in {:.2} s",
        net.node_count(),
        net.edge_count(),
        started.elapsed().as_secs_f64()
    );
    let pick = |rng: &mut XorShift| net.find(&format!("n{}", rng.next() % nodes)).expect("node");
    let starts: Vec<_> = (0..200).map(|_| pick(&mut rng)).collect();
    let pairs: Vec<_> = (0..8).map(|_| (pick(&mut rng), pick(&mut rng))).collect();
    compare_with_networkx(
        "synthetic 20k/500k",
        &net,
        &edge_list,
        &starts,
        &pairs,
        &|n| net.node(n).iri.clone(),
    );

    // The real OmniPath-derived network, through the store like any loaded file.
    let sif = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/kg/omnipath-signed/Ex2_network_SBV_Omnipath.sif");
    if !sif.exists() {
        println!("../shared/kg/omnipath-signed is missing: the real network is not measured");
        return;
    }
    let engine = twinpath::Engine::in_memory(twinpath::QueryLimits::default()).expect("engine");
    engine
        .load_paths(&[sif.clone()], &LoadOptions::default(), &NoProgress)
        .expect("the SIF imports");
    let started = Instant::now();
    let net = engine.network().expect("network");
    println!(
        "built the OmniPath network from the store ({} nodes, {} edges) in {:.3} s",
        net.node_count(),
        net.edge_count(),
        started.elapsed().as_secs_f64()
    );
    let real_list = dir.path().join("omnipath.txt");
    let text = std::fs::read_to_string(&sif).expect("read");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&real_list).expect("create"));
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        writeln!(out, "{} {} {}", f[0], f[2], f[1]).expect("write");
    }
    out.flush().expect("flush");
    let accession = |n: twinpath::model::NodeId| -> String {
        net.node(n)
            .aliases
            .iter()
            .find_map(|a| {
                a.rsplit('/')
                    .next()
                    .filter(|_| a.contains("/import/"))
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let all: Vec<_> = net.nodes().filter(|n| !accession(*n).is_empty()).collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let starts: Vec<_> = (0..200)
        .map(|_| all[(rng.next() % all.len() as u64) as usize])
        .collect();
    let pairs: Vec<_> = (0..20)
        .map(|_| {
            (
                all[(rng.next() % all.len() as u64) as usize],
                all[(rng.next() % all.len() as u64) as usize],
            )
        })
        .collect();
    compare_with_networkx(
        "OmniPath 9,306 edges",
        &net,
        &real_list,
        &starts,
        &pairs,
        &accession,
    );
}

/// Runs a Python peer script and returns its stdout; panics with its stderr when it fails.
fn python(args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python3 {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The ODE route against libRoadRunner (`pip install libroadrunner`), in one run: the tier 1 and 2
/// cases of the SBML Test Suite (load, compile, simulate and write the CSV, per case), the larger
/// published models of `../shared/sbml-models` (compile and simulate times apart, 1000 output
/// points, PEtab nominal parameters, rtol 1e-6 and atol 1e-12 on both sides), and a virtual
/// population of 1000 members on one and on two threads.
#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_ode_against_libroadrunner() {
    use twinpath::engine::{read_sbml_file, OdeOptions};
    use twinpath::sim::ode::{self, Tolerances};
    let Some(suite) = crate::common::shared("sbml-test-suite") else {
        return;
    };
    let Some(peers) = crate::common::shared("peers") else {
        return;
    };
    let engine = twinpath::Engine::in_memory(crate::common::limits()).expect("engine");
    let scratch = tempfile::tempdir().expect("tempdir");

    // 1. The suite's tiers 1 and 2, one case after another.
    let mut ours = Vec::new();
    let mut reader = csv::Reader::from_path(suite.join("manifest.csv")).expect("manifest");
    let mut passed = 0usize;
    for row in reader.records() {
        let row = row.expect("row");
        if !matches!(&row[1], "tier1" | "tier2") {
            continue;
        }
        let dir = suite.join("cases").join(&row[0]);
        let started = Instant::now();
        let course = engine.simulate_sbml_case(
            &dir.join(&row[12]),
            &dir.join(format!("{}-settings.txt", &row[0])),
            &OdeOptions::default(),
        );
        if let Ok(course) = course {
            std::fs::write(scratch.path().join("out.csv"), course.to_csv()).expect("write");
            passed += 1;
        }
        ours.push(started.elapsed().as_secs_f64());
    }
    let rr_csv = scratch.path().join("rr_suite.csv");
    python(&[
        peers.join("roadrunner_runner.py").to_str().expect("path"),
        "--root",
        suite.to_str().expect("path"),
        "--tiers",
        "tier1,tier2",
        "--out",
        rr_csv.to_str().expect("path"),
    ]);
    let mut theirs = Vec::new();
    let mut rr_passed = 0usize;
    let mut reader = csv::Reader::from_path(&rr_csv).expect("rr results");
    let header = reader.headers().expect("header").clone();
    let col = |n: &str| header.iter().position(|h| h == n).expect(n);
    let (load, sim, status) = (col("load_s"), col("sim_s"), col("status"));
    for row in reader.records() {
        let row = row.expect("row");
        let t: f64 = row[load].parse().unwrap_or(0.0) + row[sim].parse().unwrap_or(0.0);
        theirs.push(t);
        if &row[status] == "pass" {
            rr_passed += 1;
        }
    }
    let (our_total, their_total): (f64, f64) = (ours.iter().sum(), theirs.iter().sum());
    println!(
        "suite tiers 1-2: twinpath {} cases, {passed} pass, total {our_total:.2} s, median {:.2} ms per case (load, compile, simulate, write)",
        ours.len(),
        1e3 * median(ours.clone())
    );
    println!(
        "suite tiers 1-2: libRoadRunner {} cases, {rr_passed} pass, total {their_total:.2} s, median {:.2} ms per case (load, simulate)",
        theirs.len(),
        1e3 * median(theirs.clone())
    );
    println!(
        "suite ratio (twinpath time / libRoadRunner time): total {:.3}, median {:.3}",
        our_total / their_total,
        median(ours) / median(theirs)
    );

    // 2. The larger models.
    let models = [
        ("Chen_MSB2009", 9000.0),
        ("Lang_PLOSComputBiol2024", 136472.0),
        ("Smith_BMCSystBiol2013", 960.0),
        ("SalazarCavazos_MBoC2020", 300.0),
        ("Alkan_SciSignal2018", 48.0),
    ];
    let tolerances = Tolerances {
        relative: 1e-6,
        absolute: 1e-12,
    };
    // Ours and libRoadRunner alternate, round by round, so that a slow spell of the machine
    // (these are shared, noisy hosts) lands on both sides rather than on one.
    struct Prepared {
        name: &'static str,
        states: usize,
        compile_s: f64,
        model: ode::OdeModel,
        initial: Vec<f64>,
        times: Vec<f64>,
    }
    let prepared: Vec<Prepared> = models
        .iter()
        .map(|&(name, end)| {
            let file = peers.join(format!("../sbml-models/model_{name}.xml"));
            let started = Instant::now();
            let system = read_sbml_file(&file).expect("model reads");
            let model = ode::compile(&system, 0.0).expect("model compiles");
            let compile_s = started.elapsed().as_secs_f64();
            let overrides = nominal(
                &peers.join(format!("../sbml-models/parameters_{name}.tsv")),
                &model,
            );
            let initial = model.initial_with(&overrides);
            let times: Vec<f64> = (0..1000).map(|i| end * i as f64 / 999.0).collect();
            Prepared {
                name,
                states: model.states.len(),
                compile_s,
                model,
                initial,
                times,
            }
        })
        .collect();
    let rounds = 3;
    let mut ours: Vec<Vec<f64>> = vec![Vec::new(); prepared.len()];
    let mut theirs: std::collections::HashMap<String, (Vec<f64>, Vec<f64>)> = Default::default();
    for round in 0..rounds {
        let rr_big = scratch.path().join(format!("rr_big_{round}.csv"));
        python(&[
            peers.join("big_timing.py").to_str().expect("path"),
            "--reps",
            "1",
            "--points",
            "1000",
            "--out",
            rr_big.to_str().expect("path"),
        ]);
        let mut reader = csv::Reader::from_path(&rr_big).expect("rr big");
        let header = reader.headers().expect("header").clone();
        let col = |n: &str| header.iter().position(|h| h == n).expect(n);
        let (name_at, load_at, sim_at) = (col("model"), col("load_med_s"), col("sim_bdf_med_s"));
        for r in reader.records() {
            let r = r.expect("row");
            let entry = theirs.entry(r[name_at].to_string()).or_default();
            entry.0.push(r[load_at].parse().unwrap_or(f64::NAN));
            entry.1.push(r[sim_at].parse().unwrap_or(f64::NAN));
        }
        for (p, times) in prepared.iter().zip(ours.iter_mut()) {
            let started = Instant::now();
            ode::simulate_from(&p.model, &p.initial, &p.times, tolerances).expect("simulates");
            times.push(started.elapsed().as_secs_f64());
        }
    }
    println!("| Model | States | twinpath load+compile | twinpath simulate | libRoadRunner load | libRoadRunner simulate | simulate ratio |");
    for (p, sims) in prepared.iter().zip(ours) {
        let sim_s = median(sims);
        let (rr_load, rr_sim) = theirs
            .remove(p.name)
            .map(|(l, s)| (median(l), median(s)))
            .unwrap_or((f64::NAN, f64::NAN));
        println!(
            "| {} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms | {:.2} |",
            p.name,
            p.states,
            1e3 * p.compile_s,
            1e3 * sim_s,
            1e3 * rr_load,
            1e3 * rr_sim,
            sim_s / rr_sim
        );
    }

    // 3. A virtual population: 1000 members of the Alkan model, every constant parameter scaled
    //    by a log-normal factor (sigma 0.2), on one and on two threads. (A member's initial
    //    assignments are recomputed from its parameters.)
    let file = peers.join("../sbml-models/model_Alkan_SciSignal2018.xml");
    let system = read_sbml_file(&file).expect("model reads");
    let model = ode::compile(&system, 0.0).expect("model compiles");
    // Every parameter that is neither a state nor computed by a rule, with a nonzero value.
    let parameters: Vec<usize> = system
        .parameters
        .iter()
        .filter_map(|p| model.index.get(&p.id).copied())
        .filter(|&slot| slot < model.n_named && !model.computed[slot] && model.initial[slot] != 0.0)
        .collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut normal = || {
        // Box–Muller from a splitmix64 stream: no dependency for a benchmark's noise.
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let (u, v) = (next().max(1e-300), next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let members: Vec<ode::Member> = (0..1000)
        .map(|_| {
            parameters
                .iter()
                .map(|&slot| (slot, model.initial[slot] * (0.2 * normal()).exp()))
                .collect()
        })
        .collect();
    let times: Vec<f64> = (0..=100).map(|i| 48.0 * i as f64 / 100.0).collect();
    let mut per_threads = Vec::new();
    for threads in [1, 2] {
        let started = Instant::now();
        let results = ode::simulate_population(&model, &members, &times, tolerances, Some(threads))
            .expect("pool");
        let elapsed = started.elapsed().as_secs_f64();
        let failed = results.iter().filter(|r| r.is_err()).count();
        println!(
            "population: 1000 members of Alkan 2018 ({} parameters varied), {threads} thread(s): {elapsed:.2} s, {:.0} runs/s, {failed} failed",
            parameters.len(),
            1000.0 / elapsed
        );
        per_threads.push(elapsed);
    }
    println!(
        "population speed-up on 2 threads: {:.2}",
        per_threads[0] / per_threads[1]
    );
}

/// PEtab nominal values (linear scale) of the parameters the model has, as buffer overrides.
fn nominal(table: &Path, model: &twinpath::sim::ode::OdeModel) -> Vec<(usize, f64)> {
    let Ok(mut reader) = csv::ReaderBuilder::new().delimiter(b'\t').from_path(table) else {
        return Vec::new();
    };
    let header = reader.headers().expect("header").clone();
    let (Some(id), Some(value)) = (
        header.iter().position(|h| h == "parameterId"),
        header.iter().position(|h| h == "nominalValue"),
    ) else {
        return Vec::new();
    };
    reader
        .records()
        .filter_map(|r| {
            let r = r.ok()?;
            let slot = *model.index.get(&r[id])?;
            Some((slot, r[value].parse().ok()?))
        })
        .collect()
}
