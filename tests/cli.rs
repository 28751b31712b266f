//! The command line as scripts use it: exit codes, messages, named queries with their answers.

use crate::common::*;
use std::process::{Command, Output};

pub(crate) fn twinpath(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_twinpath"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("run twinpath")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn init_load_query_graphs_and_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");

    let out = twinpath(&data, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("cancer-map"), "{}", stdout(&out));

    let good = write(
        dir.path(),
        "mini.ttl",
        "<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n",
    );
    let out = twinpath(&data, &["load", good.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("https://twinpath.org/graph/mini"),
        "{}",
        stdout(&out)
    );

    // A syntax error: exit 2, the message names file, line and column.
    let bad = write(
        dir.path(),
        "bad.ttl",
        "<https://example.org/a> <https://example.org/p>\n  <https://example.org/b> <oops .\n",
    );
    let out = twinpath(&data, &["load", bad.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{}:2:", bad.display())),
        "{}",
        stderr(&out)
    );

    // A missing file is bad input too; a query error is a failure of the work.
    let out = twinpath(&data, &["load", "/no/such/file.ttl"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = twinpath(&data, &["query", "SELECT WHERE {"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = twinpath(&data, &["query"]);
    assert_eq!(out.status.code(), Some(2), "usage error: {}", stderr(&out));

    let out = twinpath(
        &data,
        &[
            "query",
            "--format",
            "csv",
            "SELECT ?o WHERE { GRAPH <https://twinpath.org/graph/mini> { ?s ?p ?o } }",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "o\r\nhttps://example.org/b\r\n");

    let out = twinpath(
        &data,
        &[
            "query",
            "--named",
            "interactions",
            "--param",
            "pathway=https://twinpath.org/id/pathway/p53-mdm2",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    for row in ["TP53,MDM2,+", "MDM2,TP53,-", "TP53,CDKN1A,+"] {
        assert!(
            csv.lines().any(|l| l.contains(row)),
            "{row} in the p53–MDM2 module: {csv}"
        );
    }
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.starts_with("https://twinpath.org/id/pathway/p53-mdm2,")),
        "{csv}"
    );
    let out = twinpath(
        &data,
        &["query", "--named", "interactions", "--param", "nope=1"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown parameter is bad input: {}",
        stderr(&out)
    );
    let file = write(
        dir.path(),
        "q.rq",
        "ASK { GRAPH <https://twinpath.org/graph/mini> { ?s ?p ?o } }",
    );
    let out = twinpath(
        &data,
        &[
            "query",
            "--file",
            file.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
    );
    assert!(
        stdout(&out).contains("\"boolean\":true"),
        "{}",
        stdout(&out)
    );
    let out = twinpath(&data, &["search", "p53", "--format", "json"]);
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(hits[0]["iri"], "https://twinpath.org/id/gene/TP53");

    let out = twinpath(&data, &["graphs", "--format", "json"]);
    let graphs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mini = graphs
        .as_array()
        .expect("array")
        .iter()
        .find(|g| g["graph"] == "https://twinpath.org/graph/mini")
        .expect("listed");
    assert_eq!(mini["triples"], 1);

    let out = twinpath(
        &data,
        &[
            "validate",
            good.to_str().expect("utf-8"),
            bad.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));

    // A dump of the whole store holds every quad; a backup is a store of its own with the same content.
    let dump = dir.path().join("all.nq");
    let out = twinpath(&data, &["dump", "--out", dump.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dumped = std::fs::read_to_string(&dump).expect("read dump");
    let copy = dir.path().join("copy");
    let out = twinpath(&data, &["backup", copy.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = twinpath(&copy, &["dump"]);
    assert_eq!(stdout(&out).lines().count(), dumped.lines().count());
    let store = twinpath::store::Store::open(&copy).expect("the backup opens as a store");
    assert_eq!(store.len().expect("len"), dumped.lines().count());
    drop(store);
    let out = twinpath(
        &data,
        &[
            "dump",
            "--graph",
            "https://twinpath.org/graph/mini",
            "--format",
            "ntriples",
        ],
    );
    assert_eq!(
        stdout(&out),
        "<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n"
    );
    let out = twinpath(&data, &["dump", "--format", "turtle"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the whole store needs a quad syntax"
    );

    let out = twinpath(&data, &["load", "--help"]);
    assert!(stdout(&out).contains("replaces its graph"));
}

/// `serve` on a free port: answers over real TCP, and on SIGTERM finishes the request in flight
/// before it exits.
#[test]
fn serve_finishes_requests_in_flight_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_twinpath"))
        .arg("--data")
        .arg(dir.path().join("store"))
        .args(["serve", "--bind", "127.0.0.1:0", "--query-timeout", "120"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut log = BufReader::new(server.stderr.take().expect("stderr"));
    let mut address = None;
    let mut line = String::new();
    while address.is_none() && log.read_line(&mut line).expect("read log") > 0 {
        address = line
            .split("listening on http://")
            .nth(1)
            .map(|a| a.trim().to_owned());
        line.clear();
    }
    let address = address.expect("serve prints its address");
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in log.lines() {});

    // A query that takes a second or two: a cross product of the vocabulary with itself and the example pathway.
    let query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/twin> { ?a ?b ?c . ?d ?e ?f } GRAPH <https://twinpath.org/graph/p53-mdm2-p21> { ?g ?h ?i } }";
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    write!(
        stream,
        "GET /sparql?query={} HTTP/1.1\r\nHost: {address}\r\nAccept: text/csv\r\nConnection: close\r\n\r\n",
        encode(query)
    )
    .expect("send");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());

    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\r\nn\r\n"), "{response}");
    let exit = server.wait().expect("server exits");
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
    eprintln!(
        "the request in flight finished {:?} after SIGTERM",
        started.elapsed()
    );
}

/// The curator's commands: `validate` reports each problem on its line and exits 2, `load`
/// refuses the same file unless `--no-validate`, `diff` lists what changed by subject.
#[test]
fn validate_load_and_diff_for_curators() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");
    let fixture = |name: &str| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
            .to_string_lossy()
            .into_owned()
    };
    let broken = fixture("broken-curation.ttl");
    let good = fixture("good-curation.ttl");

    // No store yet: validation runs against the bundled maps (TP53 and CHEK1 resolve).
    let out = twinpath(&data, &["validate", &good, &broken]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("good-curation.ttl: ok"), "{text}");
    assert!(
        text.contains("broken-curation.ttl:13: ix:PPM1D-inhibits-CHEK1: an interaction needs at least one tw:evidence"),
        "{text}"
    );
    assert!(text.contains("broken-curation.ttl:18: ix:TP53-activates-NOTAGENE: tw:target refers to gene:NOTAGENE, which is defined nowhere"), "{text}");
    assert!(text.contains("broken-curation.ttl:24: ix:MDM2-downregulates-TP53: rdf:type tw:Downregulation is not a term"), "{text}");
    assert!(text.contains("3 problems in 1 of 2 files"), "{text}");
    assert!(!data.exists(), "validate does not create a store");
    let out = twinpath(&data, &["validate", "--output", "json", &broken]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        report["files"][0]["problems"].as_array().map(Vec::len),
        Some(3)
    );

    let out = twinpath(&data, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let graphs_before = stdout(&twinpath(&data, &["graphs"]));
    let out = twinpath(&data, &["load", &broken]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("3 problems in curated content"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        stdout(&twinpath(&data, &["graphs"])),
        graphs_before,
        "a refused load changes nothing"
    );
    let out = twinpath(&data, &["load", "--no-validate", &broken]);
    assert!(out.status.success(), "{}", stderr(&out));

    // diff: a file against its edited copy, and a graph of the store against a file.
    let edited = dir.path().join("good-edited.ttl");
    std::fs::write(
        &edited,
        std::fs::read_to_string(&good).expect("read").replace(
            "skos:altLabel \"WIP1\"",
            "skos:altLabel \"WIP1\", \"PP2C-delta\"",
        ),
    )
    .expect("write");
    let out = twinpath(&data, &["diff", &good, edited.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "gene:PPM1D\n  + skos:altLabel \"PP2C-delta\"\n1 added, 0 removed, 1 subject changed\n"
    );
    let out = twinpath(&data, &["load", &good]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = twinpath(
        &data,
        &[
            "diff",
            "https://twinpath.org/graph/good-curation",
            edited.to_str().expect("utf-8"),
        ],
    );
    assert!(
        stdout(&out).contains("1 added, 0 removed"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn twins_from_the_command_line_with_runs_and_the_audit_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    assert!(twinpath(&data, &["init"]).status.success());

    // JSON list: at least id, name, birthDate and sex.
    let out = twinpath(&data, &["twin", "list", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let her2 = list
        .as_array()
        .expect("array")
        .iter()
        .find(|t| t["id"] == "her2-amplified-breast")
        .expect("sample twin");
    assert_eq!(her2["birthDate"], "1974-03-14");
    assert_eq!(her2["sex"], "female");
    assert_eq!(her2["name"], "Alpha Testpatient");

    // Import prints each twin's id; a bad file exits 2 naming the record.
    let bulk = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/patients/synthea_bulk_ndjson_10pt/Patient.000.ndjson");
    let bulk = bulk.to_str().expect("path");
    let out = twinpath(&data, &["twin", "import", bulk]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("129c6ac7-8d06-89de-ad63-0204a93e76c3\tcreated"),
        "{}",
        stdout(&out)
    );
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(&bad, "{\"resourceType\":\"Observation\",\"id\":\"x\",\"status\":\"final\",\"code\":{\"text\":\"t\"}}\n").expect("write");
    let out = twinpath(
        &data,
        &["twin", "import", "--strict", bad.to_str().expect("path")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("line 1") || stderr(&out).contains("Observation/x"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("Observation.subject"),
        "{}",
        stderr(&out)
    );

    // The text view names the variants with gene, change and allele fraction.
    let out = twinpath(&data, &["twin", "show", "her2-amplified-breast"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("TP53 NM_000546.6:c.818G>A p.Arg273His VAF 0.41"),
        "{text}"
    );
    assert!(text.contains("rule:amplification-holds-on"), "{text}");
    let out = twinpath(&data, &["twin", "show", "nobody"]);
    assert!(!out.status.success());

    // A twin's run and a pathway's recorded run, each readable back.
    let out = twinpath(
        &data,
        &[
            "twin",
            "simulate",
            "braf-melanoma",
            "--trajectories",
            "200",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let run: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let braf = run["holds"]
        .as_array()
        .expect("holds")
        .iter()
        .find(|h| h["node"] == "BRAF")
        .expect("BRAF held");
    assert_eq!(braf["on"], true);
    assert_eq!(
        braf["because"],
        "https://twinpath.org/id/rule/gain-of-function-holds-on"
    );
    let id = run["id"].as_str().expect("id");
    let out = twinpath(&data, &["run", id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(summary["twinId"], "braf-melanoma");
    let out = twinpath(&data, &["run", id, "--series"]);
    assert!(stdout(&out).starts_with("time"), "{}", stdout(&out));

    let out = twinpath(
        &data,
        &[
            "logical",
            "simulate",
            "--pathway",
            "pw:cancer-map",
            "--fix",
            "TP53=0",
            "--trajectories",
            "100",
            "--max-time",
            "5",
            "--record",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stderr(&out);
    let id = line
        .split_whitespace()
        .skip_while(|w| *w != "run")
        .nth(1)
        .expect("recorded run id")
        .to_owned();
    let out = twinpath(&data, &["run", &id]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(summary["twin"].is_null());
    assert_eq!(summary["scenario"]["holds"][0]["node"], "TP53");
    assert_eq!(
        summary["pathway"],
        "https://twinpath.org/id/pathway/cancer-map"
    );

    // Every read is in the audit log, by the local user.
    let log = std::fs::read_to_string(data.join("audit.log")).expect("audit log");
    assert!(
        log.lines()
            .any(|l| l.contains("\"action\":\"read\"") && l.contains("her2-amplified-breast")),
        "{log}"
    );
    assert!(log.lines().all(|l| l.contains("\"who\":\"cli:")), "{log}");
}
