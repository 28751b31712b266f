//! The curated maps and the curator's workflow: shipped content validates and holds what the
//! issue promised; broken content is refused precisely and changes nothing; RDFS entailment
//! and diff work.

use crate::common::{bundled_engine, limits, pathways};
use oxigraph::model::{NamedNode, Term};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use twinpath::store::{Dataset, DiffSide, LoadOptions, NoProgress};
use twinpath::{Engine, Error, QueryAnswer};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The values of the first column of a SELECT.
fn column(engine: &Engine, query: &str) -> Vec<String> {
    match engine
        .query(query, &Dataset::default())
        .expect("query runs")
    {
        QueryAnswer::Solutions { rows, .. } => rows
            .into_iter()
            .map(|r| match r.into_iter().next().flatten() {
                Some(Term::NamedNode(n)) => n.as_str().to_owned(),
                Some(Term::Literal(l)) => l.value().to_owned(),
                Some(other) => other.to_string(),
                None => String::new(),
            })
            .collect(),
        other => panic!("not solutions: {other:?}"),
    }
}

fn count(engine: &Engine, query: &str) -> usize {
    column(engine, query)[0].parse().expect("a count")
}

const PREFIXES: &str = "PREFIX tw: <https://twinpath.org/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX cm: <https://twinpath.org/graph/cancer-map>
";

#[test]
fn shipped_content_validates_against_the_bundled_store() {
    let engine = bundled_engine(limits());
    let report = engine
        .validate(&pathways(), &LoadOptions::default())
        .expect("validation runs");
    assert!(report.is_valid(), "{report}");
    assert!(report.files.len() >= 4, "{:?}", report.files);
}

#[test]
fn the_maps_hold_what_was_promised() {
    let engine = bundled_engine(limits());
    let q = |body: &str| count(&engine, &format!("{PREFIXES}{body}"));
    let genes = q("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/cancer-map> { ?g a tw:Gene ; tw:identifier ?h . FILTER(STRSTARTS(STR(?h), \"https://identifiers.org/hgnc:\")) ?g tw:identifier ?u . FILTER(STRSTARTS(STR(?u), \"https://identifiers.org/uniprot:\")) } }");
    assert!(
        genes >= 80,
        "cancer map genes with HGNC and UniProt: {genes}"
    );
    let signed = q("SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/cancer-map> { VALUES ?k { tw:Activation tw:Inhibition } ?i a ?k ; tw:source ?s ; tw:target ?t ; tw:evidence ?e } }");
    assert!(
        signed >= 200,
        "cited signed interactions in the cancer map: {signed}"
    );
    let hallmarks = column(&engine, &format!("{PREFIXES}SELECT ?h WHERE {{ ?h a tw:Hallmark ; tw:hallmarkKind ?k . FILTER(?k != tw:AgingHallmark) }}"));
    for name in [
        "sustaining-proliferative-signaling",
        "evading-growth-suppressors",
        "resisting-cell-death",
        "enabling-replicative-immortality",
        "inducing-angiogenesis",
        "activating-invasion-and-metastasis",
        "deregulating-cellular-energetics",
        "avoiding-immune-destruction",
        "genome-instability-and-mutation",
        "tumor-promoting-inflammation",
        "unlocking-phenotypic-plasticity",
        "nonmutational-epigenetic-reprogramming",
        "polymorphic-microbiomes",
        "senescent-cells",
    ] {
        let iri = format!("https://twinpath.org/id/hallmark/{name}");
        assert!(hallmarks.contains(&iri), "missing hallmark {iri}");
    }
    // Cancer-map genes drive hallmarks, with evidence. A few have no verifiable hallmark role
    // (docs/knowledge.md names them and says why); every oncogene and tumour suppressor has one.
    let linked = q("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/cancer-map> { ?g a tw:Gene . ?l a tw:HallmarkLink ; tw:source ?g ; tw:evidence ?e } }");
    let all = q("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH <https://twinpath.org/graph/cancer-map> { ?g a tw:Gene } }");
    assert!(
        linked * 100 >= all * 95,
        "{linked} of {all} genes drive a hallmark"
    );
    let idle = column(&engine, &format!("{PREFIXES}SELECT ?g WHERE {{ VALUES ?role {{ tw:Oncogene tw:TumourSuppressor }} ?g a ?role FILTER NOT EXISTS {{ ?l a tw:HallmarkLink ; tw:source ?g ; tw:evidence ?e }} }}"));
    assert!(
        idle.is_empty(),
        "oncogenes or tumour suppressors driving no hallmark: {idle:?}"
    );
    let drugs = q("SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a tw:Drug ; tw:identifier ?c . FILTER(STRSTARTS(STR(?c), \"https://identifiers.org/chembl.compound:CHEMBL\")) }");
    assert!(drugs >= 30, "drugs with ChEMBL ids: {drugs}");
    // Every drug names a target, an action and evidence.
    let untargeted = column(&engine, &format!("{PREFIXES}SELECT ?d WHERE {{ ?d a tw:Drug FILTER NOT EXISTS {{ ?t a tw:DrugTarget ; tw:source ?d ; tw:action ?a ; tw:evidence ?e }} }}"));
    assert!(
        untargeted.is_empty(),
        "drugs without a cited target: {untargeted:?}"
    );
    for module in ["senescence", "microbiota-organs", "drugs"] {
        let n = q(&format!("SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <https://twinpath.org/graph/{module}> {{ ?s ?p ?o }} }}"));
        assert!(n > 100, "graph {module} holds {n} statements");
    }
    // Synonyms reach the right genes.
    for (text, symbol) in [("HER2", "ERBB2"), ("p53", "TP53"), ("p21", "CDKN1A")] {
        let hits = engine
            .search(&twinpath::search::SearchRequest::new(text, 1))
            .expect("search");
        assert_eq!(hits[0].label, symbol, "{text}");
    }
}

#[test]
fn every_curated_node_is_labelled_cited_and_resolved() {
    let engine = bundled_engine(limits());
    // Curated graphs: not the catalog, the inferences, or patients' records and runs.
    let curated = "FILTER(STRSTARTS(STR(?g), \"https://twinpath.org/graph/\") && ?g != <https://twinpath.org/graph/catalog> && ?g != <https://twinpath.org/graph/inferred> && !STRSTARTS(STR(?g), \"https://twinpath.org/graph/twin/\") && !STRSTARTS(STR(?g), \"https://twinpath.org/graph/run/\"))";
    let unlabelled = column(&engine, &format!("{PREFIXES}SELECT DISTINCT ?x WHERE {{ GRAPH ?g {{ ?x ?p ?o }} {curated} FILTER(STRSTARTS(STR(?x), \"https://twinpath.org/id/\")) FILTER NOT EXISTS {{ ?x rdfs:label ?l }} }}"));
    assert!(unlabelled.is_empty(), "without a label: {unlabelled:?}");
    let uncited = column(&engine, &format!("{PREFIXES}SELECT DISTINCT ?i WHERE {{ ?i a/rdfs:subClassOf* tw:Interaction FILTER NOT EXISTS {{ ?i tw:evidence ?e }} }}"));
    assert!(uncited.is_empty(), "without evidence: {uncited:?}");
    let dangling = column(&engine, &format!("{PREFIXES}SELECT DISTINCT ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {curated} FILTER(?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) FILTER(isIRI(?o) && STRSTARTS(STR(?o), \"https://twinpath.org/id/\")) FILTER NOT EXISTS {{ ?o a ?t }} }}"));
    assert!(
        dangling.is_empty(),
        "referenced but defined nowhere: {dangling:?}"
    );
}

#[test]
fn a_broken_curator_file_is_refused_with_one_message_per_problem() {
    let engine = bundled_engine(limits());
    let before = engine.store().len().expect("len");
    let file = data("broken-curation.ttl");
    let error = engine
        .load_paths(
            std::slice::from_ref(&file),
            &LoadOptions::default(),
            &NoProgress,
        )
        .expect_err("refused");
    let Error::Invalid(report) = &error else {
        panic!("not a validation error: {error}");
    };
    let problems: Vec<_> = report.problems().collect();
    let text = error.to_string();
    assert_eq!(problems.len(), 3, "{text}");
    let find = |subject: &str| {
        problems
            .iter()
            .find(|p| p.subject.as_deref() == Some(subject))
            .unwrap_or_else(|| panic!("no problem for {subject}: {text}"))
    };
    let missing = find("https://twinpath.org/id/interaction/PPM1D-inhibits-CHEK1");
    assert_eq!(missing.line, Some(13), "{text}");
    assert!(missing.message.contains("evidence"), "{text}");
    let unknown = find("https://twinpath.org/id/interaction/TP53-activates-NOTAGENE");
    assert_eq!(unknown.line, Some(18), "{text}");
    assert!(
        unknown.message.contains("gene:NOTAGENE") && unknown.message.contains("defined nowhere"),
        "{text}"
    );
    let sign = find("https://twinpath.org/id/interaction/MDM2-downregulates-TP53");
    assert_eq!(sign.line, Some(24), "{text}");
    assert!(
        sign.message.contains("tw:Downregulation") && sign.message.contains("not a term"),
        "{text}"
    );
    assert!(problems.iter().all(|p| p.file == file));
    assert!(
        text.contains("broken-curation.ttl:13: ix:PPM1D-inhibits-CHEK1:"),
        "{text}"
    );
    assert_eq!(
        engine.store().len().expect("len"),
        before,
        "a refused load changed the store"
    );
    assert!(error.is_bad_input());

    // The same file loads when the curator insists.
    let options = LoadOptions {
        skip_validation: true,
        ..LoadOptions::default()
    };
    engine
        .load_paths(std::slice::from_ref(&file), &options, &NoProgress)
        .expect("--no-validate loads it");
}

#[test]
fn duplicates_and_contradicting_signs_are_found_against_the_store() {
    let engine = bundled_engine(limits());
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("twice.ttl");
    std::fs::write(
        &file,
        "@prefix tw: <https://twinpath.org/ns#> .
@prefix gene: <https://twinpath.org/id/gene/> .
@prefix ix: <https://twinpath.org/id/interaction/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ix:p53-induces-mdm2 a tw:Activation ; rdfs:label \"p53 → MDM2\" ;
    tw:source gene:TP53 ; tw:target gene:MDM2 ; tw:evidence <https://doi.org/10.1101/gad.7.7a.1126> .
ix:mdm2-activates-p53 a tw:Activation ; rdfs:label \"MDM2 → p53\" ;
    tw:source gene:MDM2 ; tw:target gene:TP53 ; tw:evidence <https://doi.org/10.1038/387296a0> .
gene:TP53X a tw:Gene ; tw:symbol \"TP53X\" ; rdfs:label \"TP53X\" ;
    tw:identifier <https://identifiers.org/hgnc:11998>, <https://identifiers.org/nonsense:1> .
",
    )
    .expect("write");
    // A second file of the batch names a gene by a blank node: reported in that file.
    let blank = dir.path().join("blank.ttl");
    std::fs::write(
        &blank,
        "@prefix tw: <https://twinpath.org/ns#> .\n[] a tw:Gene ; tw:symbol \"X\" ; <http://www.w3.org/2000/01/rdf-schema#label> \"X\" ;\n  tw:identifier <https://identifiers.org/hgnc:1> .\n",
    )
    .expect("write");
    let report = engine
        .validate(&[file.clone(), blank.clone()], &LoadOptions::default())
        .expect("validation runs");
    let text = report.to_string();
    assert!(
        report
            .problems()
            .any(|p| p.file == blank && p.message.contains("named by IRIs")),
        "{text}"
    );
    let messages: Vec<&str> = report.problems().map(|p| p.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.starts_with("duplicated activation") && m.contains("ix:TP53-activates-MDM2")),
        "{text}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("contradicting signs") && m.contains("ix:MDM2-inhibits-TP53")),
        "{text}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("hgnc:11998 also identifies gene:TP53")),
        "{text}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("names no known registry (nonsense)")),
        "{text}"
    );
}

#[test]
fn a_valid_addition_validates_loads_and_is_found() {
    let engine = bundled_engine(limits());
    let file = data("good-curation.ttl");
    let report = engine
        .validate(std::slice::from_ref(&file), &LoadOptions::default())
        .expect("validation runs");
    assert!(report.is_valid(), "{report}");
    engine
        .load_paths(
            std::slice::from_ref(&file),
            &LoadOptions::default(),
            &NoProgress,
        )
        .expect("loads");
    let hits = engine
        .search(&twinpath::search::SearchRequest::new("WIP1", 1))
        .expect("search");
    assert_eq!(hits[0].label, "PPM1D");
}

#[test]
fn rdfs_entailment_reaches_subclasses_and_subproperties_and_follows_changes() {
    let engine = Engine::in_memory(limits()).expect("engine");
    engine.load_bundled(&NoProgress).expect("bundled");
    let graph = "https://twinpath.org/graph/entailment-test";
    let body = "@prefix tw: <https://twinpath.org/ns#> .
<https://twinpath.org/id/gene/EXAMPLE> a tw:TumourSuppressor ; tw:symbol \"EXAMPLE\" .
";
    let options = LoadOptions {
        graph: Some(NamedNode::new(graph).expect("iri")),
        format: twinpath::store::SourceFormat::from_name("turtle"),
        skip_validation: true,
        ..LoadOptions::default()
    };
    engine
        .load_bytes("entailment.ttl", body.as_bytes(), &options)
        .expect("loads");
    let genes = column(
        &engine,
        &format!("{PREFIXES}SELECT ?g WHERE {{ ?g a tw:Gene }}"),
    );
    assert!(genes.contains(&"https://twinpath.org/id/gene/EXAMPLE".to_owned()));
    // tw:symbol ⊑ rdfs:label, so the symbol is a label too.
    let labels = column(
        &engine,
        &format!(
            "{PREFIXES}SELECT ?l WHERE {{ <https://twinpath.org/id/gene/EXAMPLE> rdfs:label ?l }}"
        ),
    );
    assert_eq!(labels, ["EXAMPLE"]);
    // Oncogenes of the shipped map are genes by entailment even in a query that names the class only.
    let oncogenes: BTreeSet<String> = column(
        &engine,
        &format!("{PREFIXES}SELECT ?g WHERE {{ ?g a tw:Oncogene }}"),
    )
    .into_iter()
    .collect();
    let genes: BTreeSet<String> = column(
        &engine,
        &format!("{PREFIXES}SELECT ?g WHERE {{ ?g a tw:Gene }}"),
    )
    .into_iter()
    .collect();
    assert!(!oncogenes.is_empty() && oncogenes.is_subset(&genes));

    engine
        .drop_graph(&NamedNode::new(graph).expect("iri"))
        .expect("drop");
    let genes = column(
        &engine,
        &format!("{PREFIXES}SELECT ?g WHERE {{ ?g a tw:Gene }}"),
    );
    assert!(
        !genes.contains(&"https://twinpath.org/id/gene/EXAMPLE".to_owned()),
        "inference outlived its premise"
    );
}

#[test]
fn diff_groups_added_and_removed_statements_by_subject() {
    let engine = Engine::in_memory(limits()).expect("engine");
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("old.ttl");
    let new = dir.path().join("new.ttl");
    std::fs::write(
        &old,
        "@prefix ex: <https://example.org/> .\nex:a ex:p 1 ; ex:q [ ex:r 2 ] .\nex:b ex:p 3 .\n",
    )
    .expect("write");
    std::fs::write(
        &new,
        "@prefix ex: <https://example.org/> .\nex:b ex:p 3 .\nex:a ex:p 4 ; ex:q [ ex:r 2 ] .\n",
    )
    .expect("write");
    let diff = engine
        .diff(
            &DiffSide::File(old),
            &DiffSide::File(new),
            &LoadOptions::default(),
        )
        .expect("diff");
    assert_eq!((diff.added, diff.removed), (1, 1), "{diff:?}");
    assert_eq!(diff.subjects.len(), 1);
    assert_eq!(diff.subjects[0].subject, "<https://example.org/a>");
    assert_eq!(
        diff.subjects[0].added[0].object,
        "\"4\"^^<http://www.w3.org/2001/XMLSchema#integer>"
    );
}
