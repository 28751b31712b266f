//! Every named query in queries/ runs here against the bundled content and is compared with
//! its expected answer: facts the curated maps state, checked by hand against the Turtle.

use crate::common::*;
use oxigraph::model::{NamedNode, Term};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use twinpath::store::{LoadOptions, NoProgress};
use twinpath::{Engine, QueryAnswer};

type Row = BTreeMap<String, String>;

fn rows(engine: &Engine, name: &str, params: &[(&str, &str)]) -> Vec<Row> {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match engine
        .run_named_query(name, &params, false)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
    {
        QueryAnswer::Solutions { variables, rows } => rows
            .into_iter()
            .map(|r| {
                variables
                    .iter()
                    .zip(r)
                    .map(|(v, t)| {
                        let text = match t {
                            Some(Term::Literal(l)) => l.value().to_owned(),
                            Some(Term::NamedNode(n)) => n.as_str().to_owned(),
                            Some(other) => other.to_string(),
                            None => String::new(),
                        };
                        (v.as_str().to_owned(), text)
                    })
                    .collect()
            })
            .collect(),
        other => panic!("{name}: {other:?}"),
    }
}

fn values<'a>(rows: &'a [Row], column: &str) -> BTreeSet<&'a str> {
    rows.iter().map(|r| r[column].as_str()).collect()
}

fn has(rows: &[Row], pairs: &[(&str, &str)]) -> bool {
    rows.iter().any(|r| {
        pairs
            .iter()
            .all(|(k, v)| r.get(*k).map(String::as_str) == Some(*v))
    })
}

const GENE: &str = "https://twinpath.org/id/gene/";
const PW: &str = "https://twinpath.org/id/pathway/";
const HALLMARK: &str = "https://twinpath.org/id/hallmark/";
const TW: &str = "https://twinpath.org/ns#";

#[test]
fn every_named_query_gives_its_expected_answer() {
    let engine = bundled_engine(limits());
    let e = &*engine;
    let mut checked = BTreeSet::new();
    let g = |s: &str| format!("{GENE}{s}");

    // graphs: the live graphs, as Engine::graphs reports them.
    let graphs = rows(e, "graphs", &[]);
    let mut live: Vec<(String, String)> = engine
        .graphs()
        .expect("graphs")
        .into_iter()
        .map(|g| (g.graph, g.triples.to_string()))
        .collect();
    live.sort();
    let mut answered: Vec<(String, String)> = graphs
        .iter()
        .map(|r| (r["graph"].clone(), r["triples"].clone()))
        .collect();
    answered.sort();
    assert_eq!(answered, live);
    checked.insert("graphs");

    // interactions: the p53–MDM2 module keeps the example pathway's four cited interactions.
    let p53 = rows(e, "interactions", &[("pathway", &format!("{PW}p53-mdm2"))]);
    for (s, t, sign) in [
        ("TP53", "MDM2", "+"),
        ("MDM2", "TP53", "-"),
        ("TP53", "CDKN1A", "+"),
        ("CDKN1A", "CDK2", "-"),
    ] {
        assert!(
            has(&p53, &[("source", s), ("target", t), ("sign", sign)]),
            "{s} {sign} {t}"
        );
    }
    assert!(p53
        .iter()
        .all(|r| r["pathway"] == format!("{PW}p53-mdm2") && !r["evidence"].is_empty()));
    assert!(rows(e, "interactions", &[("pathway", &format!("{PW}none"))]).is_empty());
    assert!(engine
        .run_named_query("interactions", &[("nope".into(), "x".into())], false)
        .is_err());
    checked.insert("interactions");

    let vocabulary = rows(e, "vocabulary", &[]);
    for class in [
        "Gene",
        "Hallmark",
        "Activation",
        "Inhibition",
        "HallmarkLink",
        "Stimulus",
        "PatientTwin",
        "Load",
    ] {
        let iri = format!("{TW}{class}");
        assert!(
            vocabulary
                .iter()
                .any(|r| r["class"] == iri && !r["comment"].is_empty()),
            "tw:{class}"
        );
    }
    checked.insert("vocabulary");

    // hallmark-drivers: VEGFA and HIF1A induce angiogenesis; oncogenes sustaining proliferation.
    let angiogenesis = rows(
        e,
        "hallmark-drivers",
        &[("hallmark", &format!("{HALLMARK}inducing-angiogenesis"))],
    );
    let symbols = values(&angiogenesis, "symbol");
    assert!(
        symbols.is_superset(&BTreeSet::from(["VEGFA", "HIF1A", "KDR"])),
        "{symbols:?}"
    );
    let proliferation = rows(
        e,
        "hallmark-drivers",
        &[
            (
                "hallmark",
                &format!("{HALLMARK}sustaining-proliferative-signaling"),
            ),
            ("role", &format!("{TW}Oncogene")),
        ],
    );
    let symbols = values(&proliferation, "symbol");
    assert!(
        symbols.is_superset(&BTreeSet::from(["ERBB2", "EGFR", "KRAS", "BRAF", "PIK3CA"])),
        "{symbols:?}"
    );
    assert!(!symbols.contains("PTEN") && proliferation.iter().all(|r| !r["evidence"].is_empty()));
    checked.insert("hallmark-drivers");

    // downstream-tumour-suppressors: HER2 reaches TSC2 in four steps, through AKT1's inhibitory
    // phosphorylation; AKT1 reaches p53 through MDM2, with a negative sign.
    let her2 = rows(e, "downstream-tumour-suppressors", &[("gene", &g("ERBB2"))]);
    assert!(
        has(
            &her2,
            &[
                ("suppressor", &g("TSC2")),
                ("steps", "4"),
                ("sign", "-"),
                ("path", "ERBB2 > ERBB3 > PIK3CA > AKT1 > TSC2")
            ]
        ),
        "{her2:?}"
    );
    let akt = rows(e, "downstream-tumour-suppressors", &[("gene", &g("AKT1"))]);
    assert!(has(
        &akt,
        &[("suppressor", &g("TSC2")), ("steps", "1"), ("sign", "-")]
    ));
    assert!(has(
        &akt,
        &[
            ("suppressor", &g("TP53")),
            ("steps", "2"),
            ("sign", "-"),
            ("path", "AKT1 > MDM2 > TP53")
        ]
    ));
    checked.insert("downstream-tumour-suppressors");

    // drugs-for-pathway: the PI3K–AKT–mTOR module is hit by alpelisib, capivasertib and everolimus.
    let pi3k = rows(
        e,
        "drugs-for-pathway",
        &[("pathway", &format!("{PW}pi3k-akt-mtor"))],
    );
    for (drug, target) in [
        ("alpelisib", "PIK3CA"),
        ("capivasertib", "AKT1"),
        ("everolimus", "MTOR"),
    ] {
        assert!(
            has(&pi3k, &[("drugLabel", drug), ("targetLabel", target)]),
            "{drug} → {target}"
        );
    }
    let whole = rows(
        e,
        "drugs-for-pathway",
        &[("pathway", &format!("{PW}cancer-map"))],
    );
    assert!(
        values(&whole, "drugLabel").contains("trastuzumab"),
        "modules count for the map"
    );
    assert!(rows(
        e,
        "drugs-for-pathway",
        &[("pathway", &format!("{PW}drugs"))]
    )
    .is_empty());
    checked.insert("drugs-for-pathway");

    // drugs-for-gene: HER2's drugs, with their actions and lapatinib's IC50.
    let her2_drugs = rows(e, "drugs-for-gene", &[("gene", &g("ERBB2"))]);
    let names = values(&her2_drugs, "drugLabel");
    assert!(
        names.is_superset(&BTreeSet::from([
            "trastuzumab",
            "pertuzumab",
            "lapatinib",
            "tucatinib",
            "neratinib"
        ])),
        "{names:?}"
    );
    assert!(has(
        &her2_drugs,
        &[("drugLabel", "trastuzumab"), ("action", "binding antibody")]
    ));
    assert!(
        has(
            &her2_drugs,
            &[
                ("drugLabel", "lapatinib"),
                ("action", "inhibitor"),
                ("ic50", "9")
            ]
        ),
        "{her2_drugs:?}"
    );
    checked.insert("drugs-for-gene");

    // twin-actionable-drugs: nothing for a twin that is not loaded; once loaded, the synthetic
    // ERBB2-amplified twin gets HER2 drugs.
    let example = [("twin", "https://twinpath.org/id/twin/example")];
    assert!(rows(e, "twin-actionable-drugs", &example).is_empty());
    let twin_graph = NamedNode::new("https://twinpath.org/graph/twin/example").expect("iri");
    engine
        .load_paths(
            &[Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/twin-example.ttl")],
            &LoadOptions {
                graph: Some(twin_graph.clone()),
                ..LoadOptions::default()
            },
            &NoProgress,
        )
        .expect("twin loads");
    let actionable = rows(e, "twin-actionable-drugs", &example);
    assert!(has(
        &actionable,
        &[
            ("symbol", "ERBB2"),
            ("variantKind", "amplification"),
            ("drugLabel", "trastuzumab")
        ]
    ));
    assert!(has(
        &actionable,
        &[
            ("symbol", "PIK3CA"),
            ("variantKind", "gain of function"),
            ("drugLabel", "alpelisib")
        ]
    ));
    assert!(
        !values(&actionable, "drugLabel").contains("palbociclib"),
        "CDK4/6 is not altered in this twin"
    );
    engine.drop_graph(&twin_graph).expect("drop");
    checked.insert("twin-actionable-drugs");

    // twins-responding-to-trastuzumab: no runs yet, no answer (tests/twins.rs records runs
    // and checks the answer).
    assert!(rows(e, "twins-responding-to-trastuzumab", &[]).is_empty());
    checked.insert("twins-responding-to-trastuzumab");

    // microbe-metabolites: F. prausnitzii makes butyrate in the colon, which reaches the portal vein.
    let fp = rows(
        e,
        "microbe-metabolites",
        &[(
            "microbe",
            "https://twinpath.org/id/microbe/Faecalibacterium_prausnitzii",
        )],
    );
    assert!(
        has(
            &fp,
            &[("metaboliteLabel", "butyrate"), ("producedIn", "colon")]
        ),
        "{fp:?}"
    );
    assert!(
        values(&fp, "reaches")
            .iter()
            .any(|o| o.contains("portal vein")),
        "{fp:?}"
    );
    let scindens = rows(e, "microbe-metabolites", &[]);
    assert!(
        scindens
            .iter()
            .any(|r| r["microbeLabel"].contains("scindens")
                && r["metaboliteLabel"].contains("deoxycholic")),
        "7α-dehydroxylation by C. scindens"
    );
    checked.insert("microbe-metabolites");

    // senolytic-targets: navitoclax hits BCL-2, BCL-XL and BCL-W; dasatinib hits SRC-family kinases.
    let navitoclax = rows(
        e,
        "senolytic-targets",
        &[("drug", "https://twinpath.org/id/drug/navitoclax")],
    );
    assert!(
        values(&navitoclax, "targetLabel")
            .is_superset(&BTreeSet::from(["BCL2", "BCL2L1", "BCL2L2"])),
        "{navitoclax:?}"
    );
    let all = rows(e, "senolytic-targets", &[]);
    assert!(has(
        &all,
        &[("drugLabel", "dasatinib"), ("targetLabel", "SRC")]
    ));
    assert!(values(&all, "drugLabel").iter().all(|d| [
        "dasatinib",
        "navitoclax",
        "quercetin",
        "fisetin"
    ]
    .contains(d)));
    checked.insert("senolytic-targets");

    // interactions-without-evidence: none in the shipped maps; a draft loaded without validation shows.
    assert!(rows(e, "interactions-without-evidence", &[]).is_empty());
    let draft = NamedNode::new("https://twinpath.org/graph/draft").expect("iri");
    engine
        .load_paths(
            &[Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/broken-curation.ttl")],
            &LoadOptions {
                graph: Some(draft.clone()),
                skip_validation: true,
                ..LoadOptions::default()
            },
            &NoProgress,
        )
        .expect("a draft loads with skip_validation");
    let missing = rows(e, "interactions-without-evidence", &[]);
    assert_eq!(
        missing
            .iter()
            .map(|r| (r["interaction"].as_str(), r["problem"].as_str()))
            .collect::<Vec<_>>(),
        [(
            "https://twinpath.org/id/interaction/PPM1D-inhibits-CHEK1",
            "no evidence"
        )]
    );
    engine.drop_graph(&draft).expect("drop");
    checked.insert("interactions-without-evidence");

    // oncogenes-and-suppressors: the classic ones, each with evidence.
    let suppressors = rows(
        e,
        "oncogenes-and-suppressors",
        &[("role", &format!("{TW}TumourSuppressor"))],
    );
    assert!(values(&suppressors, "symbol").is_superset(&BTreeSet::from([
        "TP53", "RB1", "PTEN", "CDKN2A", "VHL", "NF1"
    ])));
    let oncogenes = rows(
        e,
        "oncogenes-and-suppressors",
        &[("role", &format!("{TW}Oncogene"))],
    );
    assert!(values(&oncogenes, "symbol").is_superset(&BTreeSet::from([
        "ERBB2", "KRAS", "BRAF", "MYC", "PIK3CA", "MDM2"
    ])));
    assert!(suppressors
        .iter()
        .chain(&oncogenes)
        .all(|r| !r["evidence"].is_empty() && r["hallmarks"] != "0"));
    assert!(values(&oncogenes, "symbol").is_disjoint(&values(&suppressors, "symbol")));
    checked.insert("oncogenes-and-suppressors");

    // feedback-loops: p53–MDM2 is negative, HER2–HER3 positive.
    let mdm2 = rows(e, "feedback-loops", &[("gene", &g("MDM2"))]);
    assert!(
        has(
            &mdm2,
            &[
                ("loop", "MDM2 > TP53 > MDM2"),
                ("length", "2"),
                ("sign", "negative")
            ]
        ),
        "{mdm2:?}"
    );
    let her2_loops = rows(e, "feedback-loops", &[("gene", &g("ERBB2"))]);
    assert!(
        has(
            &her2_loops,
            &[("loop", "ERBB2 > ERBB3 > ERBB2"), ("sign", "positive")]
        ),
        "{her2_loops:?}"
    );
    checked.insert("feedback-loops");

    // gene-neighbourhood: p53's regulator MDM2 and its targets.
    let tp53 = rows(e, "gene-neighbourhood", &[("gene", &g("TP53"))]);
    assert!(has(
        &tp53,
        &[
            ("direction", "upstream"),
            ("partnerLabel", "MDM2"),
            ("sign", "-")
        ]
    ));
    assert!(has(
        &tp53,
        &[
            ("direction", "downstream"),
            ("partnerLabel", "CDKN1A"),
            ("sign", "+")
        ]
    ));
    assert!(has(
        &tp53,
        &[
            ("direction", "downstream"),
            ("partnerLabel", "BAX"),
            ("sign", "+")
        ]
    ));
    checked.insert("gene-neighbourhood");

    // hallmark-summary: 6 core, 4 emerging, 4 enabling (2011 and 2022), 12 of aging.
    let summary = rows(e, "hallmark-summary", &[]);
    let per_kind = |kind: &str| {
        summary
            .iter()
            .filter(|r| r["kind"] == format!("{TW}{kind}"))
            .count()
    };
    assert_eq!(
        [
            per_kind("CoreHallmark"),
            per_kind("EmergingHallmark"),
            per_kind("EnablingCharacteristic"),
            per_kind("AgingHallmark")
        ],
        [6, 4, 4, 12]
    );
    assert_eq!(
        rows(
            e,
            "hallmark-summary",
            &[("kind", &format!("{TW}CoreHallmark"))]
        )
        .len(),
        6
    );
    checked.insert("hallmark-summary");

    // drug-pk: trastuzumab's population PK (Bruno et al. 2005).
    let trastuzumab = rows(
        e,
        "drug-pk",
        &[("drug", "https://twinpath.org/id/drug/trastuzumab")],
    );
    assert!(
        has(
            &trastuzumab,
            &[
                ("parameter", "elimination half-life"),
                ("value", "28.5"),
                ("unit", "d")
            ]
        ),
        "{trastuzumab:?}"
    );
    assert!(
        has(
            &trastuzumab,
            &[
                ("parameter", "clearance"),
                ("value", "0.225"),
                ("unit", "L/d")
            ]
        ),
        "{trastuzumab:?}"
    );
    assert!(rows(e, "drug-pk", &[])
        .iter()
        .all(|r| !r["evidence"].is_empty()));
    checked.insert("drug-pk");

    // pathway-members: the apoptosis module.
    let apoptosis = rows(
        e,
        "pathway-members",
        &[("pathway", &format!("{PW}apoptosis"))],
    );
    assert!(
        values(&apoptosis, "label").is_superset(&BTreeSet::from([
            "BCL2",
            "BAX",
            "CASP3",
            "APAF1",
            "apoptosis"
        ])),
        "{apoptosis:?}"
    );
    assert!(apoptosis.iter().all(|r| r["type"] != "interaction"));
    checked.insert("pathway-members");

    // metabolite-routes: butyrate's receptors and its way to the portal vein.
    let butyrate = rows(
        e,
        "metabolite-routes",
        &[("metabolite", "https://twinpath.org/id/metabolite/butyrate")],
    );
    assert!(
        has(
            &butyrate,
            &[("relation", "activates"), ("partner", "FFAR2")]
        ),
        "{butyrate:?}"
    );
    assert!(
        has(
            &butyrate,
            &[("relation", "activates"), ("partner", "HCAR2")]
        ),
        "{butyrate:?}"
    );
    assert!(
        has(&butyrate, &[("relation", "transported"), ("from", "colon")]),
        "{butyrate:?}"
    );
    checked.insert("metabolite-routes");

    // aging-genes: the progeroid genes are aging genes with a GenAge entry.
    let aging = rows(e, "aging-genes", &[]);
    for symbol in ["WRN", "LMNA", "SIRT6"] {
        assert!(
            aging
                .iter()
                .any(|r| r["symbol"] == symbol && r["genage"].ends_with(&format!("hgnc={symbol}"))),
            "{symbol}: {aging:?}"
        );
    }
    checked.insert("aging-genes");

    // phenotype-regulators: NF-κB and C/EBPβ drive the SASP; BCL-2 restrains apoptosis.
    let sasp = rows(
        e,
        "phenotype-regulators",
        &[("phenotype", "https://twinpath.org/id/phenotype/sasp")],
    );
    assert!(
        values(&sasp, "regulatorLabel").is_superset(&BTreeSet::from(["RELA", "CEBPB"])),
        "{sasp:?}"
    );
    let death = rows(
        e,
        "phenotype-regulators",
        &[("phenotype", "https://twinpath.org/id/phenotype/apoptosis")],
    );
    assert!(
        has(&death, &[("regulatorLabel", "BCL2"), ("sign", "-")]),
        "{death:?}"
    );
    checked.insert("phenotype-regulators");

    // citing-statements: Haupt et al. 1997 supports MDM2 ⊣ p53.
    let haupt = rows(
        e,
        "citing-statements",
        &[("evidence", "https://doi.org/10.1038/387296a0")],
    );
    assert!(
        values(&haupt, "statement")
            .contains("https://twinpath.org/id/interaction/MDM2-inhibits-TP53"),
        "{haupt:?}"
    );
    checked.insert("citing-statements");

    // drug-pairs-in-pathway: BRAF with MEK in the MAPK module; HER2 with PI3K in the ErbB module.
    let mapk = rows(
        e,
        "drug-pairs-in-pathway",
        &[("pathway", &format!("{PW}ras-raf-mek-erk"))],
    );
    assert!(
        has(
            &mapk,
            &[
                ("drugA", "dabrafenib"),
                ("targetA", "BRAF"),
                ("drugB", "trametinib"),
                ("targetB", "MAP2K1")
            ]
        ),
        "{mapk:?}"
    );
    let erbb = rows(
        e,
        "drug-pairs-in-pathway",
        &[("pathway", &format!("{PW}erbb-signalling"))],
    );
    assert!(
        has(&erbb, &[("drugA", "alpelisib"), ("drugB", "trastuzumab")]),
        "{erbb:?}"
    );
    assert!(!values(&rows(e, "drug-pairs-in-pathway", &[]), "pathway")
        .contains(format!("{PW}drugs").as_str()));
    checked.insert("drug-pairs-in-pathway");

    // curated-counts: the thresholds the curation promised.
    let counts: BTreeMap<String, usize> = rows(e, "curated-counts", &[])
        .into_iter()
        .map(|r| (r["kind"].clone(), r["count"].parse().expect("count")))
        .collect();
    assert!(
        counts["genes"] >= 80 && counts["drugs"] >= 30 && counts["hallmarks"] == 26,
        "{counts:?}"
    );
    assert!(
        counts["activations"] + counts["inhibitions"] >= 200,
        "{counts:?}"
    );
    assert!(
        counts["oncogenes"] >= 10
            && counts["tumour suppressors"] >= 10
            && counts["senolytics"] == 4,
        "{counts:?}"
    );
    checked.insert("curated-counts");

    let all: Vec<String> = engine.named_queries().into_iter().map(|q| q.name).collect();
    assert!(all.len() >= 20, "{} named queries", all.len());
    for name in &all {
        assert!(
            checked.contains(name.as_str()),
            "queries/{name}.rq has no expected answer in this test"
        );
    }
}
