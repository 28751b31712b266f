//! Reasoning over the interaction network: answers checked against the source files they come
//! from (WikiPathways ErbB signalling, the OmniPath-derived signed network) and the curated maps.

use crate::common::{bundled_engine, get, limits, send, shared, write};
use axum::http::StatusCode;
use std::collections::BTreeMap;
use std::process::Command;
use twinpath::engine::{PerturbationKind, Scope};
use twinpath::reason::Stream;
use twinpath::store::{LoadOptions, NoProgress};
use twinpath::Engine;

fn signs(answer: &twinpath::engine::Neighbours) -> BTreeMap<String, (usize, String)> {
    answer
        .nodes
        .iter()
        .map(|n| (n.label.clone(), (n.distance, n.sign.to_owned())))
        .collect()
}

/// The bundled maps plus `path`, loaded as a user would (format from the extension).
fn maps_with(path: std::path::PathBuf) -> std::sync::Arc<Engine> {
    let engine = bundled_engine(limits());
    engine
        .load_paths(&[path], &LoadOptions::default(), &NoProgress)
        .expect("the file loads");
    engine
}

fn scope(graph: &str) -> Scope {
    Scope {
        graph: Some(graph.to_owned()),
    }
}

#[test]
fn downstream_of_erbb2_in_the_wikipathways_erbb_file() {
    let Some(file) = shared("kg/wikipathways/gpml/WP673.gpml") else {
        return;
    };
    let engine = maps_with(file);
    // Read off WP673 (r140481): ERBB2's arrows go to GRB2 and to the SHC1–4 group; GRB2's go
    // to GAB1 and the SOS1/SOS2 group. All arrows are plain activations.
    let answer = engine
        .reach("HER2", 2, Stream::Downstream, &scope("twg:WP673"))
        .expect("reach");
    let expected: BTreeMap<String, (usize, String)> = [
        ("GRB2", 1),
        ("SHC1", 1),
        ("SHC2", 1),
        ("SHC3", 1),
        ("SHC4", 1),
        ("GAB1", 2),
        ("SOS1", 2),
        ("SOS2", 2),
    ]
    .into_iter()
    .map(|(n, d)| (n.to_owned(), (d, "+".to_owned())))
    .collect();
    assert_eq!(signs(&answer), expected);
    // Identity by identifier: the drawing's ERBB2 (Entrez 2064) is the map's ERBB2, and its
    // SOS1 is the map's SOS1, so the answer names the curated IRIs.
    assert_eq!(answer.start.iri, "https://twinpath.org/id/gene/ERBB2");
    let sos1 = answer
        .nodes
        .iter()
        .find(|n| n.label == "SOS1")
        .expect("SOS1");
    assert_eq!(sos1.iri, "https://twinpath.org/id/gene/SOS1");
    assert_eq!(sos1.paths[0].nodes, ["ERBB2", "GRB2", "SOS1"]);
    assert!(sos1.paths[0]
        .edges
        .iter()
        .all(|e| e.graph == "https://twinpath.org/graph/WP673"));
}

#[test]
fn every_wikipathways_file_imports_and_reaction_lines_become_edges() {
    let Some(dir) = shared("kg/wikipathways/gpml") else {
        return;
    };
    let engine = Engine::in_memory(limits()).expect("engine");
    let summary = engine
        .load_paths(&[dir], &LoadOptions::default(), &NoProgress)
        .expect("all GPML files import");
    assert_eq!(summary.loaded.len(), 17);
    // WP3391 (Reactome-converted) draws reactions as free lines with anchors: they still
    // give edges, e.g. CEBPB drives CDKN2B transcription.
    let net = engine.network().expect("network");
    let wp3391 = net.edges().filter(|e| e.graph.ends_with("/WP3391")).count();
    assert!(wp3391 > 50, "WP3391 gives {wp3391} signed edges");
}

#[test]
fn downstream_of_erbb2_in_the_omnipath_network() {
    let Some(dir) = shared("kg/omnipath-signed") else {
        return;
    };
    let engine = maps_with(dir);
    // The 16 lines of Ex2_network_SBV_Omnipath.sif that start at P04626 (ERBB2): one -1
    // (to P06493, CDK1), fifteen 1.
    let answer = engine
        .reach(
            "uniprot:P04626",
            1,
            Stream::Downstream,
            &scope("https://twinpath.org/graph/Ex2_network_SBV_Omnipath"),
        )
        .expect("reach");
    assert_eq!(answer.start.label, "ERBB2");
    assert_eq!(answer.nodes.len(), 16);
    let by_label = signs(&answer);
    assert_eq!(by_label["P06493"], (1, "-".to_owned()));
    // Accessions the maps know are the maps' genes (P00533 is EGFR, P42336 PIK3CA).
    for curated in ["EGFR", "PIK3CA", "PIK3R1", "GRB2", "ERBB3", "ESR1"] {
        assert_eq!(by_label[curated], (1, "+".to_owned()), "{curated}");
    }
    assert_eq!(answer.nodes.iter().filter(|n| n.sign == "+").count(), 15);
}

#[test]
fn loss_of_tp53_and_erbb2_amplification_push_hallmarks_with_reasons() {
    let engine = bundled_engine(limits());
    let report = engine
        .impact(
            &[
                ("TP53".into(), PerturbationKind::Loss),
                ("ERBB2".into(), PerturbationKind::Gain),
            ],
            None,
            4,
            3,
            &Scope::default(),
        )
        .expect("impact");
    let hallmark = |label: &str| {
        report
            .impact
            .hallmarks
            .iter()
            .find(|h| h.label == label)
            .unwrap_or_else(|| panic!("{label} is not reached"))
    };
    // TP53's activity opposes resisting cell death (a curated, signed hallmark link): its loss
    // pushes the hallmark up, and the shortest explanation is that one link.
    let death = hallmark("resisting cell death");
    assert_eq!(death.net, "up");
    assert_eq!(death.up[0].perturbation, "TP53 loss");
    assert_eq!(death.up[0].path.nodes, ["TP53", "resisting cell death"]);
    let proliferation = hallmark("sustaining proliferative signaling");
    assert_eq!(proliferation.net, "up");
    assert!(proliferation
        .up
        .iter()
        .any(|e| e.perturbation == "ERBB2 gain" && e.path.length == 1));
    // Every path shown rests on cited edges (the curated maps cite every interaction).
    for h in &report.impact.hallmarks {
        for e in h.up.iter().chain(&h.down) {
            assert!(
                e.path.edges.iter().all(|edge| !edge.evidence.is_empty()),
                "{e:?}"
            );
        }
        // Conflicts are shown as such: both sides listed.
        if h.effect == "conflict" {
            assert!(!h.up.is_empty() && !h.down.is_empty());
        }
    }
    // Strongest first.
    let strengths: Vec<f64> = report
        .impact
        .hallmarks
        .iter()
        .map(|h| h.score_up.max(h.score_down))
        .collect();
    assert!(strengths.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn loops_paths_and_drug_reach_on_the_maps() {
    let engine = bundled_engine(limits());
    // The p53–MDM2 negative feedback loop.
    let loops = engine
        .loops(Some("p53"), 2, 10, &scope("twg:cancer-map"))
        .expect("loops");
    let names: Vec<Vec<String>> = loops.answer.paths.iter().map(|p| p.nodes.clone()).collect();
    assert_eq!(names, [vec!["TP53", "MDM2", "TP53"]]);
    assert_eq!(loops.answer.paths[0].sign, "-");

    let paths = engine
        .paths("ERBB2", "AKT1", 4, 20, &Scope::default())
        .expect("paths");
    assert!(!paths.answer.paths.is_empty());
    let lengths: Vec<usize> = paths.answer.paths.iter().map(|p| p.length).collect();
    assert!(lengths.windows(2).all(|w| w[0] <= w[1]), "{lengths:?}");
    assert_eq!(
        paths.answer.paths[0].nodes.first().map(String::as_str),
        Some("ERBB2")
    );

    // Lapatinib inhibits ERBB2 (and EGFR): proliferative signalling leans down.
    let reach = engine
        .drug_reach(&["lapatinib".into()], 4, 3, &Scope::default())
        .expect("drug reach");
    let proliferation = reach
        .hallmarks
        .iter()
        .find(|h| h.label == "sustaining proliferative signaling")
        .expect("reached");
    assert_eq!(proliferation.net, "down");
    assert_eq!(proliferation.by["lapatinib"], proliferation.effect);
}

#[test]
fn a_twin_s_variants_and_the_genes_no_drug_reaches() {
    let engine = bundled_engine(limits());
    let twin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/twin-example.ttl");
    engine
        .load_paths(
            &[twin],
            &LoadOptions {
                graph: Some(oxigraph::model::NamedNode::new_unchecked(
                    "https://twinpath.org/graph/twin/example",
                )),
                ..LoadOptions::default()
            },
            &NoProgress,
        )
        .expect("twin loads");
    let report = engine
        .impact(&[], Some("example"), 4, 3, &Scope::default())
        .expect("impact of a twin");
    assert!(report
        .impact
        .perturbations
        .contains(&"ERBB2 amplification".to_owned()));
    let genes = report.drug_reach.expect("a twin's answer lists drug reach");
    let erbb2 = genes
        .iter()
        .find(|g| g.gene.label == "ERBB2")
        .expect("ERBB2");
    assert!(erbb2
        .drugs
        .iter()
        .any(|d| d.label == "trastuzumab" && d.sign == "-"));
}

#[test]
fn sparql_functions_reach_and_sign() {
    let engine = bundled_engine(limits());
    let answer = engine
        .query(
            "PREFIX tw: <https://twinpath.org/ns#> PREFIX gene: <https://twinpath.org/id/gene/>
             SELECT (tw:pathSign(gene:ERBB2, gene:PIK3CA, 2) AS ?sign) (tw:reaches(gene:ERBB2, gene:PIK3CA) AS ?r)
                    (tw:reaches(gene:PIK3CA, gene:ERBB2, 1) AS ?back) WHERE {}",
            &Default::default(),
        )
        .expect("query");
    let twinpath::QueryAnswer::Solutions { rows, .. } = answer else {
        panic!("solutions")
    };
    let value = |i: usize| match &rows[0][i] {
        Some(oxigraph::model::Term::Literal(l)) => l.value().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(value(0), "+");
    assert_eq!(value(1), "true");
    assert_eq!(value(2), "false");
}

#[tokio::test]
async fn reasoning_over_http() {
    let engine = bundled_engine(limits());
    let reply = send(&engine, None, get("/reason/downstream?node=HER2&depth=1")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let json = reply.json();
    let nodes = json["nodes"].as_array().expect("nodes");
    let erbb3 = nodes.iter().find(|n| n["label"] == "ERBB3").expect("ERBB3");
    assert_eq!(erbb3["sign"], "+");
    assert_eq!(erbb3["distance"], 1);
    assert!(erbb3["iri"]
        .as_str()
        .is_some_and(|i| i.ends_with("/gene/ERBB3")));

    let reply = send(
        &engine,
        None,
        get("/reason/impact?perturb=TP53%3Dloss&perturb=ERBB2%3Dgain"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(!reply.json()["hallmarks"]
        .as_array()
        .expect("hallmarks")
        .is_empty());

    let reply = send(&engine, None, get("/reason/downstream?node=NOSUCHGENE")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text());
    let reply = send(&engine, None, get("/reason/impact?twin=example")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    assert!(reply.text().contains("patient data"), "{}", reply.text());
    let reply = send(&engine, Some("secret"), get("/reason/impact?twin=example")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
    let reply = send(
        &engine,
        None,
        get("/reason/paths?from=ERBB2&to=AKT1&max_length=99"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
}

#[test]
fn bad_network_files_name_the_file_and_line_and_change_nothing() {
    let engine = bundled_engine(limits());
    let before = crate::common::count(&engine, crate::common::COUNT_ALL);
    let dir = tempfile::tempdir().expect("tempdir");
    let gpml = write(
        dir.path(),
        "broken.gpml",
        "<?xml version=\"1.0\"?>\n<Pathway xmlns=\"http://pathvisio.org/GPML/2013a\" Name=\"x\">\n  <DataNode TextLabel=\"A\" GraphId=\"a\">\n</Pathway>\n",
    );
    let error = engine
        .load_paths(&[gpml], &LoadOptions::default(), &NoProgress)
        .expect_err("mismatched tags are refused")
        .to_string();
    assert!(error.contains("broken.gpml:4:"), "{error}");
    let table = write(
        dir.path(),
        "net.tsv",
        "source\ttarget\tsign\nTP53\tMDM2\t1\nTP53\t\t-1\n",
    );
    let error = engine
        .load_paths(
            &[table],
            &LoadOptions {
                format: twinpath::store::SourceFormat::from_name("tsv"),
                ..LoadOptions::default()
            },
            &NoProgress,
        )
        .expect_err("an empty target is refused")
        .to_string();
    assert!(
        error.contains("net.tsv:3:") && error.contains("target"),
        "{error}"
    );
    assert_eq!(
        crate::common::count(&engine, crate::common::COUNT_ALL),
        before
    );
}

#[test]
fn the_command_line_answers_in_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_twinpath"))
            .arg("--data")
            .arg(&data)
            .args(args)
            .output()
            .expect("runs")
    };
    assert!(run(&["init"]).status.success());
    let out = run(&[
        "reason",
        "downstream",
        "HER2",
        "--depth",
        "2",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let nodes = json["nodes"].as_array().expect("nodes");
    assert!(nodes.iter().all(|n| n["iri"].is_string()
        && n["label"].is_string()
        && n["distance"].is_u64()
        && ["+", "-", "±"].contains(&n["sign"].as_str().unwrap_or(""))));
    assert!(nodes
        .iter()
        .any(|n| n["label"] == "PIK3CA" && n["distance"] == 2));
    let out = run(&["reason", "downstream", "NOSUCHGENE"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A small drawing in GPML 2013a with what the importer must read right (its one reference is
/// Wu et al. 1993, the p53–mdm-2 autoregulatory loop): a `p53` box known by
/// its Entrez id, a family (group), a conversion of two abstract nodes A → B with a catalyst on its
/// anchor, and an inhibition (the drawing tests the format, not biology).
const SMALL_GPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Pathway xmlns="http://pathvisio.org/GPML/2013a" Name="test drawing" Version="WP99999_r1" Organism="Homo sapiens">
  <DataNode TextLabel="p53" GraphId="n1" Type="GeneProduct"><Xref Database="Entrez Gene" ID="7157" /></DataNode>
  <DataNode TextLabel="HDM2" GraphId="n2" Type="GeneProduct"><Xref Database="Ensembl" ID="ENSG00000135679" /></DataNode>
  <DataNode TextLabel="A" GraphId="n3" Type="Metabolite" />
  <DataNode TextLabel="B" GraphId="n4" Type="Metabolite" />
  <DataNode TextLabel="CDK4" GraphId="n5" Type="GeneProduct" GroupRef="g1"><Xref Database="HGNC" ID="CDK4" /></DataNode>
  <DataNode TextLabel="CDK6" GraphId="n6" Type="GeneProduct" GroupRef="g1"><Xref Database="HGNC" ID="CDK6" /></DataNode>
  <Group GroupId="g1" GraphId="grp" Style="Group" />
  <Interaction GraphId="i1">
    <Graphics><Point X="0" Y="0" GraphRef="n1" /><Point X="1" Y="1" GraphRef="n2" ArrowHead="mim-transcription-translation" /></Graphics>
    <BiopaxRef>ref1</BiopaxRef>
  </Interaction>
  <Interaction GraphId="i2">
    <Graphics><Point X="0" Y="0" GraphRef="n2" /><Point X="1" Y="1" GraphRef="n1" ArrowHead="TBar" /></Graphics>
  </Interaction>
  <Interaction GraphId="i3">
    <Graphics><Point X="0" Y="0" GraphRef="n3" /><Point X="1" Y="1" GraphRef="n4" ArrowHead="mim-conversion" /><Anchor Position="0.5" GraphId="anc" /></Graphics>
  </Interaction>
  <Interaction GraphId="i4">
    <Graphics><Point X="0" Y="0" GraphRef="n1" /><Point X="1" Y="1" GraphRef="anc" ArrowHead="mim-catalysis" /></Graphics>
  </Interaction>
  <Interaction GraphId="i5">
    <Graphics><Point X="0" Y="0" GraphRef="grp" /><Point X="1" Y="1" GraphRef="n4" ArrowHead="mim-inhibition" /></Graphics>
  </Interaction>
  <Biopax>
    <bp:PublicationXref xmlns:bp="http://www.biopax.org/release/biopax-level3.owl#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:id="ref1">
      <bp:ID rdf:datatype="http://www.w3.org/2001/XMLSchema#string">8319905</bp:ID>
      <bp:DB rdf:datatype="http://www.w3.org/2001/XMLSchema#string">PubMed</bp:DB>
    </bp:PublicationXref>
  </Biopax>
</Pathway>
"#;

#[test]
fn gpml_rules_identity_groups_anchors_and_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = maps_with(write(dir.path(), "small.gpml", SMALL_GPML));
    let scope = scope("https://twinpath.org/graph/small");
    // `p53` (Entrez 7157) is the map's TP53; `HDM2` (Ensembl) is MDM2.
    let down = engine
        .reach("gene:TP53", 1, Stream::Downstream, &scope)
        .expect("reach");
    let by_label = signs(&down);
    assert_eq!(by_label["MDM2"], (1, "+".to_owned()));
    // The catalyst of A → B acts on B.
    assert_eq!(by_label["B"], (1, "+".to_owned()));
    let mdm2 = down.nodes.iter().find(|n| n.label == "MDM2").expect("MDM2");
    assert_eq!(mdm2.iri, "https://twinpath.org/id/gene/MDM2");
    assert_eq!(
        mdm2.paths[0].edges[0].evidence,
        ["https://identifiers.org/pubmed:8319905"]
    );
    assert_eq!(
        mdm2.paths[0].edges[0].mechanism.as_deref(),
        Some("http://purl.obolibrary.org/obo/SBO_0000183")
    );
    // The p53–MDM2 loop of the drawing, negative.
    let loops = engine.loops(Some("TP53"), 2, 10, &scope).expect("loops");
    assert_eq!(loops.answer.paths.len(), 1);
    assert_eq!(loops.answer.paths[0].sign, "-");
    // An edge from the CDK4/CDK6 group is an edge from each member (HGNC symbols: the map's genes).
    let up = engine
        .reach("B", 1, Stream::Upstream, &scope)
        .expect("upstream");
    let by_label = signs(&up);
    assert_eq!(by_label["CDK4"], (1, "-".to_owned()));
    assert_eq!(by_label["CDK6"], (1, "-".to_owned()));
    assert_eq!(by_label["A"], (1, "+".to_owned()));
    // The drawing is a pathway whose members are its nodes and interactions, as in the maps.
    let members = engine
        .query(
            "PREFIX tw: <https://twinpath.org/ns#> ASK { <https://twinpath.org/id/wikipathways/WP99999> a tw:Pathway ;
               tw:member <https://twinpath.org/id/wikipathways/WP99999/n1>, <https://twinpath.org/id/wikipathways/WP99999/interaction/i1> ;
               tw:version \"WP99999_r1\" ; tw:organism \"Homo sapiens\" }",
            &Default::default(),
        )
        .expect("query");
    assert_eq!(members, twinpath::QueryAnswer::Boolean(true));
    let cdk4 = up.nodes.iter().find(|n| n.label == "CDK4").expect("CDK4");
    assert_eq!(cdk4.iri, "https://twinpath.org/id/gene/CDK4");
    assert!(cdk4.paths[0].edges[0]
        .via
        .as_deref()
        .is_some_and(|v| v.ends_with("/grp")));
}

#[test]
fn omnipath_and_signor_tables_import_with_signs_and_references() {
    let engine = bundled_engine(limits());
    let dir = tempfile::tempdir().expect("tempdir");
    // OmniPath's interaction table layout (a few of its columns, in its order).
    let omnipath = write(
        dir.path(),
        "omnipath.tsv",
        "source\ttarget\tsource_genesymbol\ttarget_genesymbol\tis_directed\tis_stimulation\tis_inhibition\tconsensus_direction\tconsensus_stimulation\tconsensus_inhibition\treferences\n\
         P04626\tP21860\tERBB2\tERBB3\t1\t1\t0\t1\t1\t0\tdoi:10.1073/pnas.1537685100\n\
         Q00987\tP04637\tMDM2\tTP53\t1\t0\t1\t1\t0\t1\tSIGNOR:8319905;HPRD:8319905\n\
         P04637\tQ00987\tTP53\tMDM2\t0\t0\t0\t0\t0\t0\t\n",
    );
    let tsv = twinpath::store::SourceFormat::from_name("tsv");
    engine
        .load_paths(
            &[omnipath],
            &LoadOptions {
                format: tsv,
                ..LoadOptions::default()
            },
            &NoProgress,
        )
        .expect("imports");
    let scope_o = scope("https://twinpath.org/graph/omnipath");
    let down = engine
        .reach("MDM2", 1, Stream::Downstream, &scope_o)
        .expect("reach");
    assert_eq!(signs(&down)["TP53"], (1, "-".to_owned()));
    assert_eq!(
        down.nodes[0].paths[0].edges[0].evidence,
        ["https://identifiers.org/pubmed:8319905"]
    );
    // The undirected row is an association: TP53 reaches nothing in this table.
    assert!(engine
        .reach("TP53", 1, Stream::Downstream, &scope_o)
        .expect("reach")
        .nodes
        .is_empty());

    // SIGNOR's layout: entities with their databases, an effect phrase, PMIDs.
    let signor = write(
        dir.path(),
        "signor.tsv",
        "ENTITYA\tTYPEA\tIDA\tDATABASEA\tENTITYB\tTYPEB\tIDB\tDATABASEB\tEFFECT\tMECHANISM\tPMID\n\
         ERBB2\tprotein\tP04626\tUNIPROT\tERBB3\tprotein\tP21860\tUNIPROT\tup-regulates activity\tphosphorylation\tdoi:10.1073/pnas.1537685100\n\
         PTEN\tprotein\tP60484\tUNIPROT\tAKT1\tprotein\tP31749\tUNIPROT\tdown-regulates activity\tdephosphorylation\t9778245\n",
    );
    engine
        .load_paths(
            &[signor],
            &LoadOptions {
                format: tsv,
                ..LoadOptions::default()
            },
            &NoProgress,
        )
        .expect("imports");
    let down = engine
        .reach(
            "PTEN",
            1,
            Stream::Downstream,
            &scope("https://twinpath.org/graph/signor"),
        )
        .expect("reach");
    assert_eq!(signs(&down)["AKT1"], (1, "-".to_owned()));
    assert_eq!(down.nodes[0].iri, "https://twinpath.org/id/gene/AKT1");

    // A layout the header does not tell is mapped by options; a missing column is named.
    let custom = write(
        dir.path(),
        "custom.csv",
        "from_gene,to_gene,effect_sign,pmid\nERBB2,ERBB3,+,doi:10.1073/pnas.1537685100\n",
    );
    let csv = twinpath::store::SourceFormat::from_name("csv");
    let error = engine
        .load_paths(
            &[custom.clone()],
            &LoadOptions {
                format: csv,
                ..LoadOptions::default()
            },
            &NoProgress,
        )
        .expect_err("no source column")
        .to_string();
    assert!(
        error.contains("custom.csv") && error.contains("--source-column"),
        "{error}"
    );
    engine
        .load_paths(
            &[custom],
            &LoadOptions {
                format: csv,
                columns: twinpath::import::Columns {
                    source: Some("from_gene".into()),
                    target: Some("to_gene".into()),
                    sign: Some("effect_sign".into()),
                    evidence: Some("pmid".into()),
                    namespace: Some("hgnc.symbol".into()),
                },
                ..LoadOptions::default()
            },
            &NoProgress,
        )
        .expect("imports with a mapping");
    let down = engine
        .reach(
            "ERBB2",
            1,
            Stream::Downstream,
            &scope("https://twinpath.org/graph/custom"),
        )
        .expect("reach");
    assert_eq!(signs(&down)["ERBB3"], (1, "+".to_owned()));
}
