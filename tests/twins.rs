//! Patient twins: every FHIR file of `../shared/patients` imports, with facts read from the
//! source JSON; bad records are reported and nothing is half-written; the sample twins
//! personalize the cancer map; runs are recorded and joined to the twins by a named query;
//! and no way of asking without the token reaches a patient's graph.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use twinpath::engine::{RunOptions, TwinScenario};
use twinpath::{Engine, QueryAnswer};

fn patients() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/patients")
}

const TW: &str = "https://twinpath.org/ns#";
const METABOLITE: &str = "https://twinpath.org/id/metabolite/";

/// The inputs of the cancer-map example in docs/logical.md (no growth factor), so that
/// proliferation rests on the twin's own drivers.
const BASELINE: &str = "CASP8=0,FOXA1=0,MAX=1,MDM4=0,NF1=0,NRG1=0,PTEN=1,RPTOR=1,SNAI2=0,TGFB1=0,TSC1=1,TWIST1=0,VHL=1,XIAP=0,nonmutational_epigenetic_reprogramming=0,polymorphic_microbiomes=0,senescent_cells=0,unlocking_phenotypic_plasticity=0,estradiol=0,hypoxia=0,EGF=0";

fn baseline() -> Vec<(String, bool)> {
    BASELINE
        .split(',')
        .map(|p| {
            let (n, v) = p.split_once('=').expect("N=V");
            (n.to_owned(), v == "1")
        })
        .collect()
}

fn scenario(drugs: &[&str]) -> TwinScenario {
    TwinScenario {
        pathway: "pw:cancer-map".into(),
        drugs: drugs.iter().map(|d| d.to_string()).collect(),
        inputs: baseline(),
        options: RunOptions {
            trajectories: Some(2000),
            seed: Some(7),
            threads: Some(2),
            max_time: Some(20.0),
            time_tick: Some(1.0),
        },
        ..TwinScenario::default()
    }
}

fn proliferation(run: &twinpath::twin::RunRecord) -> f64 {
    run.results
        .iter()
        .find(|r| r.node_iri.as_deref() == Some("https://twinpath.org/id/phenotype/proliferation"))
        .and_then(|r| r.probability)
        .expect("a proliferation result")
}

fn rows(answer: QueryAnswer) -> Vec<Vec<Option<oxigraph::model::Term>>> {
    match answer {
        QueryAnswer::Solutions { rows, .. } => rows,
        other => panic!("not solutions: {other:?}"),
    }
}

#[test]
fn every_shared_patient_file_imports_with_its_facts() {
    let engine = bundled_engine(limits());
    let before = engine.twins("test").expect("twins").len();
    assert_eq!(
        before, 5,
        "the five sample twins are loaded with the bundled content"
    );

    // The whole folder in one import: each JSON and NDJSON file is read.
    let report = engine
        .import_twins(&[patients()], false)
        .expect("the shared patients import");
    assert_eq!(report.files, 17, "{report:#?}");
    // The only bad records: Observations with no subject (a lone SNV example and two
    // "grouper" Observations of the Genomics Reporting bundle), reported by resource and path.
    let bad: Vec<(String, String)> = report
        .problems
        .iter()
        .map(|p| (p.resource.clone(), p.path.clone()))
        .collect();
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(
        bad.iter().all(|(_, path)| path == "Observation.subject"),
        "{bad:?}"
    );
    assert!(
        bad.iter().any(|(r, _)| r == "Observation/SNVexample"),
        "{bad:?}"
    );
    // 13 bulk + 4 Synthea bundles + the genomics example patient (known only by its fullUrl,
    // in two bundles) + two single Patient resources.
    let twins = engine.twins("test").expect("twins");
    assert_eq!(twins.len(), before + 20, "{twins:#?}");
    assert!(report.left_out.get("Encounter").is_some_and(|n| *n >= 1215));

    // Synthea bulk: the patient with breast cancer, her birth date, sex and death.
    let view = engine
        .twin("129c6ac7-8d06-89de-ad63-0204a93e76c3", "test")
        .expect("the bulk patient");
    assert_eq!(view.record.birth_date.as_deref(), Some("1927-05-21"));
    assert_eq!(view.record.sex.as_deref(), Some("female"));
    assert_eq!(
        view.record.deceased.as_deref(),
        Some("1989-05-09T20:35:22-04:00")
    );
    assert!(
        view.record.conditions.iter().any(|c| c
            .codes
            .iter()
            .any(|code| code == "http://snomed.info/id/254837009")),
        "malignant neoplasm of breast (SNOMED 254837009) from Condition.000.ndjson"
    );
    assert!(!view.record.medications.is_empty());

    // Genomics Reporting: a patient known only by fullUrl; JAK2 p.Val617Phe, germline.
    let view = engine
        .twin("d0b4affa-91d6-46d1-af01-b30d9f16ef6d", "test")
        .expect("the genomics example patient");
    assert_eq!(view.record.birth_date.as_deref(), Some("1962-12-31"));
    let jak2 = view
        .record
        .variants
        .iter()
        .find(|v| v.symbol.as_deref() == Some("JAK2"))
        .expect("JAK2 variant");
    assert_eq!(jak2.amino_acid_change.as_deref(), Some("p.Val617Phe"));
    assert_eq!(jak2.source.as_deref(), Some("Germline"));
    let symbols: Vec<_> = view
        .record
        .variants
        .iter()
        .filter_map(|v| v.symbol.as_deref())
        .collect();
    assert_eq!(symbols, ["ERBB4", "JAK2", "KDR"]);

    // Early mCODE: STK11 by HGNC id, somatic; an EGFR tumour marker, positive.
    let view = engine
        .twin("mCODEPatientExample01", "test")
        .expect("mCODE patient");
    assert_eq!(view.record.birth_date.as_deref(), Some("1951-01-20"));
    assert_eq!(view.record.name.as_deref(), Some("John B. Anyperson"));
    let stk11 = &view.record.variants[0];
    assert_eq!(stk11.symbol.as_deref(), Some("STK11"));
    assert_eq!(stk11.source.as_deref(), Some("Somatic"));
    let egfr = view
        .record
        .observations
        .iter()
        .find(|o| o.codes.iter().any(|c| c == "https://loinc.org/39004-7"))
        .expect("EGFR marker");
    assert!(egfr
        .value_codes
        .iter()
        .any(|c| c == "http://snomed.info/id/10828004"));

    // Importing the same files again updates the twins; it adds nothing.
    let size = engine.store().len().expect("len");
    let again = engine
        .import_twins(&[patients()], false)
        .expect("re-import");
    assert!(again.twins.iter().all(|t| !t.created));
    assert_eq!(engine.store().len().expect("len"), size);
}

#[test]
fn bad_records_name_their_place_and_strict_imports_nothing() {
    let engine = bundled_engine(limits());
    let size = engine.store().len().expect("len");
    let strict = engine
        .import_twins(&[patients()], true)
        .expect_err("strict refuses");
    let message = strict.to_string();
    assert!(
        message.contains("Observation/SNVexample: Observation.subject"),
        "{message}"
    );
    assert_eq!(engine.store().len().expect("len"), size, "nothing written");

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","birthDate":"1970-01-01"}},
          {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"urn:uuid:p1"},
            "code":{"coding":[{"system":"SNOMED-CT","code":"254837009"}]}}},
          {"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"urn:uuid:p1"},
            "code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]}}},
          {"resource":{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order",
            "subject":{"reference":"urn:uuid:p1"},"medicationCodeableConcept":{"text":"trametinib"},
            "dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"fortnight"}},
              "doseAndRate":[{"doseQuantity":{"value":-2,"unit":"mg"}}]}]}}]}"#,
    )
    .expect("write");
    let error = engine
        .import_twins(std::slice::from_ref(&file), true)
        .expect_err("strict");
    let message = error.to_string();
    assert!(
        message.contains("Condition/c1: Condition.code.coding: unknown code system \"SNOMED-CT\""),
        "{message}"
    );
    assert!(
        message.contains("Observation/o1: Observation.status: required element missing"),
        "{message}"
    );
    assert!(
        message.contains(
            "MedicationRequest/m1: MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity.value: a dose is a positive number"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "MedicationRequest/m1: MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit"
        ),
        "{message}"
    );
    assert!(!engine.store().twin_record("p1").expect("read").is_some());
    // Without --strict the good records are imported and the bad ones reported.
    let report = engine.import_twins(&[file], false).expect("lenient");
    assert_eq!(report.problems.len(), 4);
    let record = engine.twin("p1", "test").expect("p1");
    assert_eq!(record.record.birth_date.as_deref(), Some("1970-01-01"));
    assert!(record.record.conditions.is_empty());
}

#[test]
fn sample_twins_carry_their_findings_and_the_rules_read_them() {
    let engine = bundled_engine(limits());
    let her2 = engine
        .twin("her2-amplified-breast", "test")
        .expect("her2 twin");
    let erbb2 = her2
        .record
        .variants
        .iter()
        .find(|v| v.symbol.as_deref() == Some("ERBB2"))
        .expect("ERBB2");
    assert_eq!(erbb2.copy_number, Some(9.0));
    assert_eq!(
        erbb2.gene.as_deref(),
        Some("https://twinpath.org/id/gene/ERBB2")
    );
    assert_eq!(erbb2.kind.as_deref(), Some(&*format!("{TW}Amplification")));
    assert_eq!(
        erbb2.classified_by.as_deref(),
        Some("https://twinpath.org/id/rule/amplification")
    );
    let tp53 = her2
        .record
        .variants
        .iter()
        .find(|v| v.symbol.as_deref() == Some("TP53"))
        .expect("TP53");
    assert_eq!(tp53.allele_fraction, Some(0.41));
    assert_eq!(tp53.kind.as_deref(), Some(&*format!("{TW}LossOfFunction")));
    let er = her2
        .record
        .observations
        .iter()
        .find(|o| o.codes.iter().any(|c| c == "https://loinc.org/85337-4"))
        .expect("ER status");
    assert_eq!(er.value_text.as_deref(), Some("Negative"));
    let changes: Vec<(String, String)> = her2
        .personalization
        .applied
        .iter()
        .map(|a| {
            (
                format!("{:?}", a.change),
                a.rule.rsplit('/').next().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        changes.iter().any(|(c, r)| c.contains("ESR1")
            && c.contains("false")
            && r == "ER-negative-holds-ESR1-off"),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|(c, r)| c.contains("ERBB2")
            && c.contains("true")
            && r == "amplification-holds-on"),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|(c, r)| c.contains("TP53")
            && c.contains("false")
            && r == "loss-of-function-holds-off"),
        "{changes:?}"
    );

    let braf = engine.twin("braf-melanoma", "test").expect("melanoma twin");
    let v = &braf.record.variants[0];
    assert_eq!(
        (v.symbol.as_deref(), v.allele_fraction),
        (Some("BRAF"), Some(0.38))
    );
    assert_eq!(
        v.classified_by.as_deref(),
        Some("https://twinpath.org/id/rule/BRAF-V600E")
    );

    // The melanoma twin takes trametinib 2 mg orally once daily, a structured FHIR dosage.
    let trametinib = braf
        .record
        .medications
        .iter()
        .find(|m| m.drugs.iter().any(|d| d.ends_with("/drug/trametinib")))
        .expect("trametinib, matched by its name");
    assert_eq!(
        (
            trametinib.dose,
            trametinib.dose_unit.as_deref(),
            trametinib.interval_hours
        ),
        (Some(2.0), Some("mg"), Some(24.0))
    );
    assert_eq!(trametinib.route.as_deref(), Some(&*format!("{TW}Oral")));

    let er_pos = engine.twin("er-positive-breast", "test").expect("ER+ twin");
    let palb2 = &er_pos.record.variants[0];
    assert_eq!(
        palb2.kind.as_deref(),
        Some(&*format!("{TW}LossOfFunction")),
        "p.Tyr1183Ter truncates"
    );
    assert!(er_pos
        .record
        .medications
        .iter()
        .any(|m| m.drugs.iter().any(|d| d.ends_with("/drug/anastrozole"))));

    let gut = engine
        .twin("gut-microbiome", "test")
        .expect("microbiome twin");
    let fp = gut
        .record
        .microbiome
        .iter()
        .find(|a| {
            a.taxon.as_deref()
                == Some("https://twinpath.org/id/microbe/Faecalibacterium_prausnitzii")
        })
        .expect("F. prausnitzii joined to the map's microbe by NCBI Taxonomy id");
    assert!((fp.fraction.expect("abundance") - 0.012).abs() < 1e-12);
    assert_eq!(gut.record.microbiome.len(), 6);

    let older = engine.twin("older-senescence", "test").expect("older twin");
    assert_eq!(older.record.birth_date.as_deref(), Some("1945-02-27"));
    assert_eq!(older.record.conditions.len(), 2);

    // Age scales the rate of entering senescence by age / 25 (Karin et al. 2019).
    let scale_of = |view: &twinpath::engine::TwinView, entity: &str| -> Vec<f64> {
        view.personalization
            .applied
            .iter()
            .filter_map(|a| match &a.change {
                twinpath::twin::Change::Scale { entity: e, factor } if e.ends_with(entity) => {
                    Some(*factor)
                }
                _ => None,
            })
            .collect()
    };
    let today = time::OffsetDateTime::now_utc().date();
    let age = today.year() - 1945 - i32::from((today.month() as u8, today.day()) < (2, 27));
    assert_eq!(
        scale_of(&older, "/phenotype/cellular-senescence"),
        [f64::from(age) / 25.0]
    );
    // The microbiome: butyrate's producers are F. prausnitzii (1.2% against 5%) and
    // E. rectale (2.5% against 7%); propionate's are Bacteroides (38% against 8.5%) and
    // A. muciniphila, which has no reference abundance and counts as at its reference.
    let butyrate = (0.012 / 0.05 + 0.025 / 0.07) / 2.0;
    let propionate = (0.38 / 0.085 + 1.0) / 2.0;
    let b = scale_of(&gut, "/metabolite/butyrate");
    let p = scale_of(&gut, "/metabolite/propionate");
    assert!(b.len() == 1 && (b[0] - butyrate).abs() < 1e-12, "{b:?}");
    assert!(p.len() == 1 && (p[0] - propionate).abs() < 1e-12, "{p:?}");
}

/// Simulates the two breast-cancer twins with and without trastuzumab.
fn four_runs(engine: &Engine) -> [twinpath::twin::RunRecord; 4] {
    let run = |twin: &str, drugs: &[&str]| {
        engine
            .simulate_twin(twin, &scenario(drugs), "test")
            .expect("simulate")
    };
    [
        run("her2-amplified-breast", &[]),
        run("her2-amplified-breast", &["trastuzumab"]),
        run("er-positive-breast", &[]),
        run("er-positive-breast", &["trastuzumab"]),
    ]
}

#[test]
fn erbb2_amplified_twin_responds_to_trastuzumab_and_the_join_query_finds_it() {
    let engine = bundled_engine(limits());
    let [her2, her2_t, er, er_t] = four_runs(&engine);
    // HER2-positive, ER-negative: proliferation rests on ERBB2, held on by the amplification;
    // trastuzumab at the occupancy of its weekly regimen switches it off nearly all the time
    // and proliferation stops.
    assert!(proliferation(&her2) > 0.9, "{}", proliferation(&her2));
    assert!(proliferation(&her2_t) < 0.1, "{}", proliferation(&her2_t));
    let erbb2 = her2_t
        .scales
        .iter()
        .find(|s| s.node == "ERBB2")
        .expect("ERBB2's rates scaled");
    assert_eq!(erbb2.because, "https://twinpath.org/id/drug/trastuzumab");
    assert!(erbb2.scale.off > 0.99 && (erbb2.scale.up + erbb2.scale.off - 1.0).abs() < 1e-12);
    // The amplification still holds ERBB2's rule on; the drug acts on its rates.
    assert!(her2_t.holds.iter().any(|h| h.node == "ERBB2" && h.on));
    // The exposure: 2 mg/kg weekly at the twin's 64 kg; at steady state the mean
    // concentration is dose / (CL·τ) whatever the model's shape (0.225 L/d, Bruno et al. 2005).
    let exposure = her2_t.drugs[0]
        .exposure
        .as_ref()
        .expect("trastuzumab exposure");
    let cavg = 2.0 * 64.0 / (0.225 * 7.0);
    assert!(
        (exposure.cavg - cavg).abs() < 2e-3 * cavg,
        "{} vs {cavg}",
        exposure.cavg
    );
    assert!(exposure.cmin < exposure.cavg && exposure.cavg < exposure.cmax);
    assert!((exposure.auc - cavg * 168.0).abs() < 2e-3 * cavg * 168.0);
    // The ER+ twin's anastrozole, 1 mg daily with an apparent clearance of 1.54 L/h (Mauras et
    // al. 2009): Cavg = dose / (CL/F · τ). No potency against aromatase is curated, so there is
    // no occupancy and its target is held.
    let anastrozole = er
        .drugs
        .iter()
        .find(|d| d.drug.ends_with("/drug/anastrozole"))
        .expect("the ER+ twin's medication");
    let daily = anastrozole.exposure.as_ref().expect("a PK model");
    let expected = 1.0 / (1.54 * 24.0);
    assert!(
        (daily.cavg - expected).abs() < 2e-3 * expected,
        "{} vs {expected}",
        daily.cavg
    );
    assert!(daily.occupancy.is_empty());
    // ER-positive, HER2-negative: proliferation rests on the oestrogen receptor; trastuzumab
    // changes little.
    assert!(proliferation(&er) > 0.9, "{}", proliferation(&er));
    assert!(proliferation(&er_t) > 0.9, "{}", proliferation(&er_t));
    assert!(!er.holds.iter().any(|h| h.node == "ESR1"));

    // Provenance: the content hash of the cancer map's graph as it is now; the series file.
    let map_graph =
        oxigraph::model::NamedNode::new("https://twinpath.org/graph/cancer-map").expect("iri");
    let hash = engine.store().graph_hash(&map_graph).expect("hash");
    assert!(
        her2.graphs
            .iter()
            .any(|(g, h)| g == map_graph.as_str() && *h == hash),
        "{:?}",
        her2.graphs
    );
    let (summary, series) = engine.run(&her2_t.id, "test").expect("the run");
    assert_eq!(summary["twinId"], "her2-amplified-breast");
    assert_eq!(summary["seed"], 7.0);
    // The exposure is a result of the run in the store, with the occupancy it gave.
    let stored = &summary["exposures"][0];
    assert_eq!(stored["drug"], "https://twinpath.org/id/drug/trastuzumab");
    assert!((stored["cavg"].as_f64().expect("cavg") - exposure.cavg).abs() < 1e-9);
    assert!(
        stored["occupancy"][0]["fraction"]
            .as_f64()
            .expect("occupancy")
            > 0.99
    );
    assert_eq!(summary["scenario"]["scales"][0]["node"], "ERBB2");
    let csv = std::fs::read_to_string(series).expect("series file");
    assert!(csv
        .lines()
        .next()
        .expect("header")
        .contains("cell_proliferation"));
    assert_eq!(csv.lines().count(), 21, "a header and 20 windows");
    let view = engine.twin("her2-amplified-breast", "test").expect("twin");
    assert_eq!(view.record.runs.len(), 2);

    // The join: twins with an ERBB2 amplification whose proliferation halves under trastuzumab.
    let answer = engine
        .run_named_query("twins-responding-to-trastuzumab", &[], false)
        .expect("query");
    let rows = rows(answer);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0][0].as_ref().map(|t| t.to_string()),
        Some("<https://twinpath.org/id/twin/her2-amplified-breast>".to_owned())
    );
    // The same query without the token sees no twin and no run.
    let public = engine
        .run_named_query("twins-responding-to-trastuzumab", &[], true)
        .expect("query");
    assert!(rows_of(public).is_empty());
}

fn rows_of(answer: QueryAnswer) -> Vec<Vec<Option<oxigraph::model::Term>>> {
    rows(answer)
}

fn sparql(query: &str, extra: &str) -> Request<Body> {
    let graph = query.starts_with("CONSTRUCT") || query.starts_with("DESCRIBE");
    Request::get(format!("/sparql?query={}{extra}", encode(query)))
        .header(
            "accept",
            if graph {
                "application/n-triples"
            } else {
                "application/sparql-results+json"
            },
        )
        .body(Body::empty())
        .expect("request")
}

fn with_token(mut request: Request<Body>, token: &str) -> Request<Body> {
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    request
}

/// Nothing of a patient's record or run in a response: no twin IRI, graph or name.
fn no_patient_data(reply: &Reply, what: &str) {
    let text = reply.text();
    for needle in [
        "twinpath.org/id/twin/",
        "twinpath.org/graph/twin/",
        "twinpath.org/graph/run/",
        "twinpath.org/id/run/",
        "Testpatient",
        "Medhurst",
    ] {
        assert!(!text.contains(needle), "{what}: {needle} leaked: {text}");
    }
}

#[tokio::test]
async fn without_the_token_no_query_reaches_a_patient() {
    let engine: Arc<Engine> = bundled_engine(limits());
    let run = engine
        .simulate_twin("her2-amplified-breast", &scenario(&["trastuzumab"]), "test")
        .expect("a run to hide");
    let token = Some("s3cret");
    let twin_graph = "https://twinpath.org/graph/twin/her2-amplified-breast";
    let run_graph = format!("https://twinpath.org/graph/run/{}", run.id);
    let prefix = "PREFIX tw: <https://twinpath.org/ns#> ";
    let queries = [
        format!("{prefix} SELECT * WHERE {{ ?s a tw:PatientTwin }}"),
        format!("{prefix} SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(CONTAINS(STR(?g), \"/twin/\") || CONTAINS(STR(?g), \"/run/\")) }}"),
        format!("{prefix} SELECT * FROM <{twin_graph}> WHERE {{ ?s ?p ?o }}"),
        format!("{prefix} SELECT * FROM NAMED <{twin_graph}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
        format!("{prefix} SELECT * WHERE {{ GRAPH <{twin_graph}> {{ ?s ?p ?o }} }}"),
        format!("{prefix} SELECT * WHERE {{ GRAPH <{run_graph}> {{ ?s ?p ?o }} }}"),
        format!("{prefix} SELECT ?gene WHERE {{ ?t tw:hasVariant/tw:gene ?gene }}"),
        format!("{prefix} SELECT ?x WHERE {{ ?x (tw:twin|^tw:twin)+ ?y }}"),
        format!("{prefix} SELECT * WHERE {{ ?r a tw:SimulationRun ; ?p ?o }}"),
        format!("{prefix} SELECT * WHERE {{ SERVICE <{twin_graph}> {{ ?s ?p ?o }} }}"),
        format!("{prefix} SELECT ?name WHERE {{ ?t <http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER(CONTAINS(?name, \"Testpatient\")) }}"),
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <https://twinpath.org/ns#birthDate> ?o } }".to_owned(),
        format!("{prefix} ASK {{ ?t tw:hasVariant ?v }}"),
        "DESCRIBE <https://twinpath.org/id/twin/her2-amplified-breast>".to_owned(),
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }".to_owned(),
    ];
    for query in &queries {
        for extra in [
            String::new(),
            format!("&default-graph-uri={}", encode(twin_graph)),
            format!("&named-graph-uri={}", encode(twin_graph)),
        ] {
            let reply = send(&engine, token, sparql(query, &extra)).await;
            no_patient_data(&reply, query);
            if query.starts_with(prefix) && query.contains("ASK") && reply.status == StatusCode::OK
            {
                assert_eq!(reply.json()["boolean"], false, "{query}");
            }
        }
    }
    // The whole public store, as the union default graph sees it: no patient triple.
    let reply = send(
        &engine,
        token,
        sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", ""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    no_patient_data(&reply, "the whole default graph");

    let reply = send(
        &engine,
        token,
        get("/queries/twins-responding-to-trastuzumab"),
    )
    .await;
    no_patient_data(&reply, "the named join query");
    let reply = send(&engine, token, get("/graphs")).await;
    assert_eq!(reply.status, StatusCode::OK);
    no_patient_data(&reply, "/graphs");
    for q in [
        "Testpatient",
        "Alpha",
        "ERBB2 amplification",
        "her2-amplified-breast",
    ] {
        let reply = send(&engine, token, get(&format!("/search?q={}", encode(q)))).await;
        no_patient_data(&reply, "/search");
    }
    for uri in [
        format!("/store?graph={}", encode(twin_graph)),
        format!("/store?graph={}", encode(&run_graph)),
        "/twins".to_owned(),
        "/twins/her2-amplified-breast".to_owned(),
        format!("/runs/{}", run.id),
    ] {
        let reply = send(&engine, token, get(&uri)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{uri}: {}",
            reply.text()
        );
        no_patient_data(&reply, &uri);
        // A wrong token is refused too.
        let reply = send(&engine, token, with_token(get(&uri), "guess")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    // A server started without a token serves no patient data at all.
    let reply = send(&engine, None, with_token(get("/twins"), "s3cret")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // The audit log saw none of these as reads.
    assert!(engine
        .audit_log()
        .expect("audit")
        .iter()
        .all(|e| e.who == "test"));
}

#[tokio::test]
async fn with_the_token_twins_are_served_simulated_and_audited() {
    let engine: Arc<Engine> = bundled_engine(limits());
    let token = Some("s3cret");
    let reply = send(&engine, token, with_token(get("/twins"), "s3cret")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let list = reply.json();
    let ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "braf-melanoma",
            "er-positive-breast",
            "gut-microbiome",
            "her2-amplified-breast",
            "older-senescence"
        ]
    );
    assert!(
        list[3].get("birthDate").is_some()
            && list[3].get("sex").is_some()
            && list[3].get("name").is_some()
    );

    let reply = send(
        &engine,
        token,
        with_token(get("/twins/braf-melanoma"), "s3cret"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json()["variants"][0]["amino_acid_change"],
        "p.Val600Glu"
    );

    let body = serde_json::json!({
        "pathway": "pw:cancer-map",
        "drugs": ["trastuzumab"],
        "inputs": baseline().into_iter().map(|(n, v)| (n, u8::from(v))).collect::<std::collections::BTreeMap<_, _>>(),
        "trajectories": 500,
        "seed": 3
    });
    let request = Request::post("/twins/her2-amplified-breast/simulate")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let reply = send(&engine, token, with_token(request, "s3cret")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let run_id = reply.json()["id"].as_str().expect("run id").to_owned();

    let reply = send(
        &engine,
        token,
        with_token(get(&format!("/runs/{run_id}")), "s3cret"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let run = reply.json();
    assert_eq!(run["twinId"], "her2-amplified-breast");
    assert!(run["graphs"]
        .as_array()
        .expect("graphs")
        .iter()
        .any(|g| g["graph"] == "https://twinpath.org/graph/cancer-map"));
    let reply = send(
        &engine,
        token,
        with_token(get(&format!("/runs/{run_id}?format=csv")), "s3cret"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type().starts_with("text/csv"));
    assert!(reply.text().starts_with("time"), "{}", reply.text());

    // A kinetic pathway over HTTP: the horizon is required, then the run is the ODE kind.
    let kinetic = |body: serde_json::Value| {
        Request::post("/twins/older-senescence/simulate")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let body = serde_json::json!({"pathway": "pw:senescent-cell-turnover"});
    let reply = send(&engine, token, with_token(kinetic(body), "s3cret")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(reply.text().contains("horizon"), "{}", reply.text());
    let body = serde_json::json!({"pathway": "pw:senescent-cell-turnover", "maxTime": 365});
    let reply = send(&engine, token, with_token(kinetic(body), "s3cret")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json()["kind"], "ode");
    assert!(reply.json()["results"][0]["value"]
        .as_f64()
        .is_some_and(|x| x > 0.0));

    // With the token SPARQL sees the twins.
    let query = "PREFIX tw: <https://twinpath.org/ns#> SELECT ?t WHERE { ?t a tw:PatientTwin }";
    let reply = send(&engine, token, with_token(sparql(query, ""), "s3cret")).await;
    assert_eq!(
        reply.json()["results"]["bindings"]
            .as_array()
            .expect("rows")
            .len(),
        5
    );

    // Every read is in the audit log, by the token's fingerprint (never the token).
    let log = engine.audit_log().expect("audit");
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.twin.as_str()))
        .collect();
    for expected in [
        ("list", "*"),
        ("read", "braf-melanoma"),
        ("simulate", "her2-amplified-breast"),
        ("read-run", "her2-amplified-breast"),
        ("sparql", "*"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    assert!(
        log.iter()
            .all(|e| e.who.starts_with("token:") && !e.who.contains("s3cret")),
        "{log:?}"
    );

    // A pathway's run recorded over HTTP: with the token only.
    let body = r#"{"pathway": "pw:cancer-map", "fix": {"TP53": 0}, "trajectories": 100, "max_time": 5, "record": true}"#;
    let request = |token: Option<&str>| {
        let r = Request::post("/logical/simulate")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .expect("request");
        match token {
            Some(t) => with_token(r, t),
            None => r,
        }
    };
    let reply = send(&engine, token, request(None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
    let reply = send(&engine, token, request(Some("s3cret"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let run_id = reply.json()["run"]["id"]
        .as_str()
        .expect("recorded")
        .to_owned();
    let (summary, _) = engine.run(&run_id, "test").expect("recorded run");
    assert_eq!(summary["scenario"]["holds"][0]["node"], "TP53");

    // Importing over HTTP: NDJSON, one patient.
    let ndjson = std::fs::read(patients().join("synthea_bulk_ndjson_10pt/Patient.000.ndjson"))
        .expect("file");
    let request = Request::post("/twins")
        .header("content-type", "application/fhir+ndjson")
        .body(Body::from(ndjson))
        .expect("request");
    let reply = send(&engine, token, with_token(request, "s3cret")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json()["twins"].as_array().expect("twins").len(), 13);
}

#[test]
fn a_twins_prescribed_regimen_sets_the_drug_exposure() {
    let engine = bundled_engine(limits());
    let run = engine
        .simulate_twin("braf-melanoma", &scenario(&[]), "test")
        .expect("simulate");
    let trametinib = run
        .drugs
        .iter()
        .find(|d| d.drug.ends_with("/drug/trametinib"))
        .expect("the twin's medication is given");
    let exposure = trametinib.exposure.as_ref().expect("a PK model");
    assert!(
        exposure.regimen_source.contains("the twin's"),
        "{}",
        exposure.regimen_source
    );
    assert_eq!(
        (exposure.regimen.dose_mg, exposure.regimen.interval_h),
        (2.0, 24.0)
    );
    // At steady state Cavg = F·dose / (CL·τ): F 0.723 and CL 3.21 L/h (Leonowens et al. 2014).
    let cavg = 0.723 * 2.0 / (3.21 * 24.0);
    assert!(
        (exposure.cavg - cavg).abs() < 2e-3 * cavg,
        "{} vs {cavg}",
        exposure.cavg
    );
    // No potency of trametinib is curated: its targets are held off, and the run says so by
    // having no occupancy.
    assert!(exposure.occupancy.is_empty());
    assert!(run
        .holds
        .iter()
        .any(|h| h.because.ends_with("/drug/trametinib") && !h.on));
}

/// Palbociclib has the whole chain (population PK, regimen, molar mass, CDK4/6 IC50s) but no
/// curated protein binding: its occupancy is computed on the total concentration and the run
/// says it is an upper bound; trastuzumab, an antibody, is not read that way.
#[test]
fn an_occupancy_without_protein_binding_is_called_an_upper_bound() {
    let engine = bundled_engine(limits());
    let run = engine
        .simulate_twin("er-positive-breast", &scenario(&["palbociclib"]), "test")
        .expect("simulate");
    let palbociclib = run
        .drugs
        .iter()
        .find(|d| d.drug.ends_with("/drug/palbociclib"))
        .and_then(|d| d.exposure.as_ref())
        .expect("an exposure");
    assert!(palbociclib.occupancy_upper_bound);
    // Cavg = F·dose/(CL·τ) with CL/F 60.2 L/h: 125 / (60.2 · 24) mg/L.
    let cavg = 125.0 / (60.2 * 24.0);
    assert!(
        (palbociclib.cavg - cavg).abs() < 2e-3 * cavg,
        "{}",
        palbociclib.cavg
    );
    let cdk4 = run
        .scales
        .iter()
        .find(|s| s.because.ends_with("/drug/palbociclib") && s.node == "CDK4")
        .expect("CDK4 scaled by its occupancy");
    assert!(cdk4.note.contains("at most"), "{}", cdk4.note);
    let her2 = engine
        .simulate_twin("her2-amplified-breast", &scenario(&["trastuzumab"]), "test")
        .expect("simulate");
    let trastuzumab = her2
        .drugs
        .iter()
        .find(|d| d.drug.ends_with("/drug/trastuzumab"))
        .and_then(|d| d.exposure.as_ref())
        .expect("an exposure");
    assert!(!trastuzumab.occupancy_upper_bound);
}

/// A twin's run on a kinetic pathway: the age rule scales senescent-cell production in the
/// saturating-removal model (Karin et al. 2019), the load settles where the paper's equation
/// puts it for the twin's age, and the run is recorded like any other.
#[test]
fn a_twins_age_sets_the_senescent_cell_load_of_the_kinetic_model() {
    let engine = bundled_engine(limits());
    let kinetic = |id: &str, options: RunOptions| {
        engine.simulate_twin(
            id,
            &TwinScenario {
                pathway: "pw:senescent-cell-turnover".into(),
                options,
                ..TwinScenario::default()
            },
            "test",
        )
    };
    let ten_years = RunOptions {
        max_time: Some(3650.0),
        time_tick: Some(365.0),
        ..RunOptions::default()
    };
    let older = kinetic("older-senescence", ten_years.clone()).expect("kinetic run");
    let younger = kinetic("her2-amplified-breast", ten_years.clone()).expect("kinetic run");
    let mut loads = Vec::new();
    for run in [&older, &younger] {
        assert_eq!(run.kind, "ode");
        assert_eq!((run.seed, run.trajectories), (None, None));
        let scale = run
            .scales
            .iter()
            .find(|s| s.because.ends_with("age-scales-senescence"))
            .expect("the age rule scales production");
        // Steady state of dX/dt = η·age − β·X/(κ + X): X = κ·η·age / (β − η·age), with the
        // human η = 0.00135 /day/year, β = 0.15 /day and κ = 0.5 of the paper; the rule's
        // factor is age / 25.
        let age = 25.0 * scale.scale.up;
        let p = 0.00135 * age;
        let expected = 0.5 * p / (0.15 - p);
        let x = run
            .results
            .iter()
            .find(|r| r.node == "X")
            .and_then(|r| r.value)
            .expect("the load X is a result");
        assert!(
            (x - expected).abs() < 1e-3 * expected,
            "age {age}: X {x} vs {expected}"
        );
        loads.push(x);
    }
    // The removal saturates, so a 30 years older twin carries about three times the load.
    assert!(loads[0] > 2.5 * loads[1], "{loads:?}");

    let (summary, series) = engine.run(&older.id, "test").expect("the run is recorded");
    assert_eq!(summary["kind"], "ode");
    assert!(summary["seed"].is_null());
    let x = summary["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["node"] == "X"))
        .expect("X in the summary");
    assert_eq!(
        x["entity"],
        "https://twinpath.org/id/phenotype/cellular-senescence"
    );
    assert!((x["value"].as_f64().unwrap_or_default() - loads[0]).abs() < 1e-12);
    let csv = std::fs::read_to_string(&series).expect("series file");
    assert!(csv.starts_with("time,X\n"), "{csv}");
    assert_eq!(csv.lines().count(), 12, "{csv}");
    let view = engine.twin("older-senescence", "test").expect("twin");
    assert!(view.record.runs.iter().any(|r| r.id == older.id
        && r.results
            .iter()
            .any(|(n, v)| n == "X" && (*v - loads[0]).abs() < 1e-12)));

    // A kinetic model has no Boolean inputs, and its horizon is the caller's to give.
    let mut with_inputs = TwinScenario {
        pathway: "pw:senescent-cell-turnover".into(),
        inputs: vec![("X".into(), true)],
        options: ten_years,
        ..TwinScenario::default()
    };
    let error = engine
        .simulate_twin("older-senescence", &with_inputs, "test")
        .expect_err("inputs refused");
    assert!(error.to_string().contains("kinetic model"), "{error}");
    with_inputs.inputs.clear();
    with_inputs.options.max_time = None;
    let error = engine
        .simulate_twin("older-senescence", &with_inputs, "test")
        .expect_err("no horizon");
    assert!(error.to_string().contains("horizon"), "{error}");
}

/// The microbiome rule on a kinetic pathway: the gut-microbiome twin's butyrate producers
/// (F. prausnitzii and E. rectale, far below their healthy reference abundance) scale butyrate
/// production in the colonic SCFA model, and the luminal butyrate falls to that fraction of
/// the reference steady state, as the model's first-order absorption says it must.
#[test]
fn a_twins_microbiome_sets_colonic_butyrate_in_the_kinetic_model() {
    let engine = bundled_engine(limits());
    let run = engine
        .simulate_twin(
            "gut-microbiome",
            &TwinScenario {
                pathway: "pw:colonic-scfa".into(),
                options: RunOptions {
                    max_time: Some(72.0),
                    time_tick: Some(6.0),
                    ..RunOptions::default()
                },
                ..TwinScenario::default()
            },
            "test",
        )
        .expect("kinetic run");
    assert_eq!(run.kind, "ode");
    let factor = |metabolite: &str| {
        run.scales
            .iter()
            .find(|s| {
                s.because.ends_with("microbiome-scales-production")
                    && s.node_iri.as_deref() == Some(&*format!("{METABOLITE}{metabolite}"))
            })
            .map(|s| s.scale.up)
    };
    let butyrate = factor("butyrate").expect("the microbiome rule scales butyrate");
    // The twin's producers sit well below their reference abundances (1.2 % and 2.5 %).
    assert!(butyrate < 0.5, "{butyrate}");
    let value = |symbol: &str| {
        run.results
            .iter()
            .find(|r| r.node == symbol)
            .and_then(|r| r.value)
            .expect("a result per species")
    };
    // Reference steady state: production / k, with k = total production / total content
    // (Boets 2015 production over 12 h; Duncan 2007 faecal SCFA; Pritchard 2014 colon volume).
    let k = (137.0 + 11.0 + 20.0) / 12.0 / (114.0 * 0.561);
    let reference = 20.0 / 12.0 / k;
    // 72 h is over 20 half-lives of absorption (3.2 h): the new steady state.
    let expected = butyrate * reference;
    assert!(
        (value("B") - expected).abs() < 1e-3 * reference,
        "B {} vs {expected}",
        value("B")
    );
    // Acetate's producer (Bifidobacterium) has no reference abundance: acetate is unscaled.
    assert!(factor("acetate").is_none());
    let acetate = 137.0 / 12.0 / k;
    assert!(
        (value("A") - acetate).abs() < 1e-3 * acetate,
        "A {}",
        value("A")
    );
}

/// A dosage written only as text ("0.5 mg by mouth every other day") gives the regimen where
/// it is unambiguous, and the regimen says it was read from the text; an as-needed dose gives
/// no interval.
#[test]
fn a_dosage_written_as_text_sets_the_regimen() {
    let engine = bundled_engine(limits());
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("text-dosage.json");
    std::fs::write(
        &file,
        r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"urn:uuid:t1","resource":{"resourceType":"Patient","id":"t1","birthDate":"1960-05-01","gender":"female"}},
          {"resource":{"resourceType":"MedicationStatement","id":"ms1","status":"active",
            "subject":{"reference":"urn:uuid:t1"},
            "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857","display":"anastrozole"}],"text":"anastrozole"},
            "dosage":[{"text":"0.5 mg by mouth every other day"}]}},
          {"resource":{"resourceType":"MedicationRequest","id":"mr1","status":"active","intent":"order",
            "subject":{"reference":"urn:uuid:t1"},
            "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"197806","display":"Ibuprofen 400 MG Oral Tablet"}],"text":"Ibuprofen 400 MG Oral Tablet"},
            "dosageInstruction":[{"text":"1 tablet every 6 hours as needed","doseAndRate":[{"doseQuantity":{"value":2}}]}]}}]}"#,
    )
    .expect("write");
    engine.import_twins(&[file], true).expect("imports");
    let view = engine.twin("t1", "test").expect("twin");
    let anastrozole = view
        .record
        .medications
        .iter()
        .find(|m| m.drugs.iter().any(|d| d.ends_with("/drug/anastrozole")))
        .expect("matched to the curated drug");
    assert_eq!(
        (
            anastrozole.dose,
            anastrozole.dose_unit.as_deref(),
            anastrozole.interval_hours
        ),
        (Some(0.5), Some("mg"), Some(48.0))
    );
    assert_eq!(
        anastrozole.route.as_deref(),
        Some("https://twinpath.org/ns#Oral")
    );
    assert!(anastrozole.dosage_read_from_text);
    // Two tablets of 400 mg; "as needed" has no regular interval.
    let ibuprofen = view
        .record
        .medications
        .iter()
        .find(|m| m.iri.ends_with("mr1"))
        .expect("ibuprofen");
    assert_eq!(
        (ibuprofen.dose, ibuprofen.dose_unit.as_deref()),
        (Some(800.0), Some("mg"))
    );
    assert!(ibuprofen.dose_from_strength);
    assert_eq!(ibuprofen.interval_hours, None);

    let run = engine
        .simulate_twin("t1", &scenario(&[]), "test")
        .expect("simulate");
    let exposure = run
        .drugs
        .iter()
        .find(|d| d.drug.ends_with("/drug/anastrozole"))
        .and_then(|d| d.exposure.as_ref())
        .expect("an exposure");
    assert!(
        exposure.regimen_source.contains("dosage text"),
        "{}",
        exposure.regimen_source
    );
    assert_eq!(
        (exposure.regimen.dose_mg, exposure.regimen.interval_h),
        (0.5, 48.0)
    );
    // Cavg = dose / (CL/F · τ), CL/F 1.54 L/h (Mauras et al. 2009).
    let cavg = 0.5 / (1.54 * 48.0);
    assert!(
        (exposure.cavg - cavg).abs() < 2e-3 * cavg,
        "{} vs {cavg}",
        exposure.cavg
    );
}

/// The other rules on a kinetic pathway (a test fixture whose species stand for ESR1 and
/// ERBB2): the ER-negative finding holds the ESR1 species at zero, so nothing it catalyses
/// happens; trastuzumab at its occupancy f scales what the ERBB2 species catalyses by 1 − f.
#[test]
fn a_lost_gene_and_an_inhibited_target_reach_a_kinetic_pathways_reactions() {
    let engine = bundled_engine(limits());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kinetic-targets.ttl");
    engine
        .load_paths(
            &[fixture],
            &twinpath::store::LoadOptions {
                skip_validation: true,
                ..Default::default()
            },
            &twinpath::store::NoProgress,
        )
        .expect("fixture loads");
    let run = |drugs: &[&str]| {
        engine
            .simulate_twin(
                "her2-amplified-breast",
                &TwinScenario {
                    pathway: "pw:kinetic-targets".into(),
                    drugs: drugs.iter().map(|d| d.to_string()).collect(),
                    options: RunOptions {
                        max_time: Some(1.0),
                        ..RunOptions::default()
                    },
                    ..TwinScenario::default()
                },
                "test",
            )
            .expect("kinetic run")
    };
    let value = |run: &twinpath::twin::RunRecord, species: &str| {
        run.results
            .iter()
            .find(|r| r.node == species)
            .and_then(|r| r.value)
            .expect("a species result")
    };
    let (without, with) = (run(&[]), run(&["trastuzumab"]));
    for r in [&without, &with] {
        // ER negative: ESR1's species is held at zero although a reaction makes it.
        assert!(r.holds.iter().any(|h| h.node == "ER" && !h.on));
        assert_eq!((value(r, "ER"), value(r, "ER_signal")), (0.0, 0.0));
        // The amplification holds ERBB2 on, which a kinetic model has no level for.
        assert!(r.holds.iter().any(|h| h.node == "HER2" && h.on));
        assert!((value(r, "HER2") - 1.0).abs() < 1e-9);
    }
    assert!((value(&without, "HER2_signal") - 1.0).abs() < 1e-6);
    let f = with
        .drugs
        .iter()
        .find(|d| d.drug.ends_with("/drug/trastuzumab"))
        .and_then(|d| d.exposure.as_ref())
        .and_then(|e| e.occupancy.first())
        .map(|o| o.fraction)
        .expect("trastuzumab's occupancy of ERBB2");
    assert!(f > 0.99, "{f}");
    let signal = value(&with, "HER2_signal");
    assert!(
        (signal - (1.0 - f)).abs() < 1e-6 * (1.0 - f) + 1e-12,
        "{signal} vs {}",
        1.0 - f
    );
    assert!(with
        .scales
        .iter()
        .any(|s| s.node == "HER2" && s.because.ends_with("/drug/trastuzumab")));
}
