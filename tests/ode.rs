//! Kinetic models: the SBML Test Suite as the judge of the ODE route (import to RDF, read back
//! from the store, compile, solve), and the `simulate` commands.

use crate::common::shared;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use twinpath::engine::{Engine, OdeOptions};
use twinpath::sim::ode::Settings;
use twinpath::store::QueryLimits;

/// One case of the suite, as the manifest lists it.
struct Case {
    id: String,
    tier: String,
    tags: Vec<String>,
    model: PathBuf,
    dir: PathBuf,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut reader = csv::Reader::from_path(root.join("manifest.csv")).expect("manifest.csv");
    let headers = reader.headers().expect("manifest header").clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("manifest.csv has no column {name}"))
    };
    let (id, tier, components, tests, model) = (
        column("case_id"),
        column("tier"),
        column("componentTags"),
        column("testTags"),
        column("chosen_model"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("manifest row");
            let dir = root.join("cases").join(&r[id]);
            let tags = r[components]
                .split(';')
                .chain(r[tests].split(';'))
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            Case {
                id: r[id].to_string(),
                tier: r[tier].to_string(),
                tags,
                model: dir.join(&r[model]),
                dir,
            }
        })
        .collect()
}

fn number(text: &str) -> f64 {
    match text.trim() {
        "INF" | "inf" | "Infinity" => f64::INFINITY,
        "-INF" | "-inf" | "-Infinity" => f64::NEG_INFINITY,
        t => t.parse().unwrap_or(f64::NAN),
    }
}

/// Runs a case through the engine and judges it by the suite's rule; `Err` says why it failed.
fn judge(engine: &Engine, case: &Case) -> Result<(), String> {
    let settings_path = case.dir.join(format!("{}-settings.txt", case.id));
    let settings = Settings::parse(&std::fs::read_to_string(&settings_path).expect("settings"))
        .map_err(|e| format!("settings: {e}"))?;
    let course = engine
        .simulate_sbml_case(&case.model, &settings_path, &OdeOptions::default())
        .map_err(|e| e.to_string())?;
    let mut expected =
        csv::Reader::from_path(case.dir.join(format!("{}-results.csv", case.id))).expect("results");
    let header: Vec<String> = expected
        .headers()
        .expect("results header")
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let rows: Vec<csv::StringRecord> = expected.records().map(|r| r.expect("row")).collect();
    if rows.len() != course.rows.len() {
        return Err(format!(
            "{} rows, expected {}",
            course.rows.len(),
            rows.len()
        ));
    }
    for (name_at, name) in header.iter().enumerate().skip(1) {
        let Some(column) = course.columns.iter().position(|c| c == name) else {
            return Err(format!("no column {name}"));
        };
        for (row, got) in rows.iter().zip(&course.rows) {
            let (want, have) = (number(&row[name_at]), got[column + 1]);
            if !settings.agrees(want, have) {
                return Err(format!(
                    "{name} at t = {}: {have} where the suite has {want}",
                    got[0]
                ));
            }
        }
    }
    Ok(())
}

/// The expected failures: `case  reason` per line.
fn expected_failures() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sbml-expected-failures.txt");
    let text = std::fs::read_to_string(&path).expect("tests/data/sbml-expected-failures.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "sbml-expected-failures.txt: case {id} has no reason"
            );
            (id.to_string(), reason.trim().to_string())
        })
        .collect()
}

/// Every case of the suite; fails only on a case that fails without being listed, with its
/// reason, in `tests/data/sbml-expected-failures.txt`. Writes the report to
/// `docs/conformance.md` when `TWINPATH_WRITE_CONFORMANCE` is set, and otherwise checks that the
/// committed report is the one this run produces.
#[test]
fn sbml_test_suite_conformance() {
    let Some(root) = shared("sbml-test-suite") else {
        return;
    };
    let engine = Engine::in_memory(QueryLimits::default()).expect("engine");
    let cases = cases(&root);
    let outcomes: Vec<Result<(), String>> = cases
        .par_iter()
        .map(|case| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| judge(&engine, case)))
                .unwrap_or_else(|_| Err("panicked".into()))
        })
        .collect();
    let expected = expected_failures();
    let mut regressions = Vec::new();
    let mut fixed = Vec::new();
    // tier → (passed, failed); tag → (passed, failed)
    let mut tiers: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut tags: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (case, outcome) in cases.iter().zip(&outcomes) {
        let pass = outcome.is_ok();
        let t = tiers.entry(&case.tier).or_default();
        if pass {
            t.0 += 1
        } else {
            t.1 += 1
        }
        for tag in &case.tags {
            let t = tags.entry(tag).or_default();
            if pass {
                t.0 += 1
            } else {
                t.1 += 1
            }
        }
        match (outcome, expected.contains_key(&case.id)) {
            (Err(why), false) => regressions.push(format!("{} ({}): {why}", case.id, case.tier)),
            (Ok(()), true) => fixed.push(case.id.clone()),
            _ => {}
        }
    }
    for (tier, (p, f)) in &tiers {
        println!("{tier}: {p} passed, {f} failed");
    }
    if !fixed.is_empty() {
        println!(
            "now passing, remove from the expected failures: {}",
            fixed.join(" ")
        );
    }
    let report = report(&tiers, &tags, &cases, &outcomes, &expected);
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/conformance.md");
    if std::env::var_os("TWINPATH_WRITE_CONFORMANCE").is_some() {
        std::fs::write(&doc, &report).expect("write docs/conformance.md");
    }
    assert!(
        regressions.is_empty(),
        "{} cases fail that are not expected to:\n{}",
        regressions.len(),
        regressions.join("\n")
    );
    let committed = std::fs::read_to_string(&doc).unwrap_or_default();
    assert!(
        committed == report,
        "docs/conformance.md is not this run's report; regenerate it with TWINPATH_WRITE_CONFORMANCE=1 cargo test --release sbml_test_suite"
    );
}

fn report(
    tiers: &BTreeMap<&str, (usize, usize)>,
    tags: &BTreeMap<&str, (usize, usize)>,
    cases: &[Case],
    outcomes: &[Result<(), String>],
    expected: &BTreeMap<String, String>,
) -> String {
    let mut out = String::new();
    out.push_str("# SBML Test Suite conformance\n\n");
    out.push_str("Generated by `TWINPATH_WRITE_CONFORMANCE=1 cargo test --release sbml_test_suite` (tests/ode.rs) from the cases in `../shared/sbml-test-suite` (SBML Test Suite 3.3.0, semantic cases), each run the way `twinpath simulate --sbml` runs it: the model is imported into RDF, read back from the store, compiled and solved with the default tolerances, and judged by the suite's rule `|expected − actual| ≤ absolute + relative·|expected|` with the tolerances of its settings file. The test fails on any case that fails and is not listed, with its reason, in `tests/data/sbml-expected-failures.txt`.\n\n");
    out.push_str(
        "## Per tier\n\n| Tier | Cases | Passed | Failed | Pass rate |\n|---|---|---|---|---|\n",
    );
    for (tier, (p, f)) in tiers {
        out.push_str(&format!(
            "| {tier} | {} | {p} | {f} | {:.1}% |\n",
            p + f,
            100.0 * *p as f64 / (p + f).max(1) as f64
        ));
    }
    out.push_str("\n## Per component and test tag\n\nA case counts under each of its tags.\n\n| Tag | Cases | Passed | Failed |\n|---|---|---|---|\n");
    for (tag, (p, f)) in tags {
        out.push_str(&format!("| {tag} | {} | {p} | {f} |\n", p + f));
    }
    out.push_str("\n## Failing cases\n\n");
    let mut by_reason: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (case, outcome) in cases.iter().zip(outcomes) {
        if outcome.is_err() {
            let reason = expected
                .get(&case.id)
                .map(String::as_str)
                .unwrap_or("not yet classified");
            by_reason.entry(reason).or_default().insert(&case.id);
        }
    }
    if by_reason.is_empty() {
        out.push_str("None.\n");
    }
    for (reason, ids) in by_reason {
        out.push_str(&format!(
            "- {reason} ({}): {}\n",
            ids.len(),
            ids.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

/// The suite's values of a case, as rows of numbers under the results header.
fn results(dir: &Path, id: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut reader =
        csv::Reader::from_path(dir.join(format!("{id}-results.csv"))).expect("results");
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row").iter().map(number).collect())
        .collect();
    (header, rows)
}

#[test]
fn simulate_command_runs_a_suite_case_in_its_layout() {
    use crate::cli::{stderr, twinpath};
    let Some(root) = shared("sbml-test-suite") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");
    let case = root.join("cases/00001");
    let out_csv = dir.path().join("00001.csv");
    let model = case.join("00001-sbml-l3v2.xml");
    let settings = case.join("00001-settings.txt");
    let out = twinpath(
        &data,
        &[
            "simulate",
            "--sbml",
            model.to_str().expect("path"),
            "--settings",
            settings.to_str().expect("path"),
            "--out",
            out_csv.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(&out_csv).expect("the CSV");
    let (header, expected) = results(&case, "00001");
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some(header.join(",").as_str()));
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(number).collect()).collect();
    assert_eq!(rows.len(), expected.len());
    let settings = Settings::parse(&std::fs::read_to_string(&settings).expect("settings"))
        .expect("settings parse");
    for (got, want) in rows.iter().zip(&expected) {
        for (g, w) in got.iter().zip(want) {
            assert!(settings.agrees(*w, *g), "{g} where the suite has {w}");
        }
    }

    // Bad input: a file that is not XML names its line; exit code 2.
    let broken = dir.path().join("broken.xml");
    std::fs::write(
        &broken,
        "<sbml level=\"3\" version=\"2\">\n<model>\n</sbml>\n",
    )
    .expect("write");
    let out = twinpath(
        &data,
        &[
            "simulate",
            "--sbml",
            broken.to_str().expect("path"),
            "--settings",
            case.join("00001-settings.txt").to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("broken.xml") && stderr(&out).contains("line"),
        "{}",
        stderr(&out)
    );

    // An unsupported construct fails the work (exit 1) and is named: here a nonlinear
    // algebraic rule, 0 = x·x − p.
    let nonlinear = dir.path().join("nonlinear.xml");
    std::fs::write(
        &nonlinear,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="nonlinear">
    <listOfParameters>
      <parameter id="x" value="1" constant="false"/>
      <parameter id="p" value="4" constant="true"/>
    </listOfParameters>
    <listOfRules>
      <algebraicRule>
        <math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><minus/><apply><times/><ci> x </ci><ci> x </ci></apply><ci> p </ci></apply>
        </math>
      </algebraicRule>
    </listOfRules>
  </model>
</sbml>
"#,
    )
    .expect("write");
    let out = twinpath(
        &data,
        &[
            "simulate",
            "--sbml",
            nonlinear.to_str().expect("path"),
            "--settings",
            case.join("00001-settings.txt").to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("algebraic rule") && stderr(&out).contains("not linear"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_imported_sbml_model_is_a_pathway_that_can_be_queried_and_simulated() {
    use crate::cli::{stderr, stdout, twinpath};
    let Some(model) = shared("sbml-models/model_Alkan_SciSignal2018.xml") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");
    let out = twinpath(&data, &["load", model.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The model is RDF: its species, with their compartment, answer SPARQL.
    let out = twinpath(
        &data,
        &[
            "query",
            "--format",
            "csv",
            "PREFIX tw: <https://twinpath.org/ns#> SELECT (COUNT(?s) AS ?n) WHERE { ?m a tw:KineticModel ; tw:member ?s . ?s a tw:Species ; tw:location ?c }",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let count: usize = stdout(&out)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .expect("a count");
    assert_eq!(count, 36, "{}", stdout(&out));

    let pathway = "https://twinpath.org/id/model/model_Alkan_SciSignal2018";
    let run = |extra: &[&str]| {
        let mut args = vec![
            "simulate",
            "ode",
            "--pathway",
            pathway,
            "--until",
            "48",
            "--points",
            "12",
        ];
        args.extend_from_slice(extra);
        twinpath(&data, &args)
    };
    let out = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header[0], "time");
    assert_eq!(header.len(), 37, "time and 36 species");
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(number).collect()).collect();
    assert_eq!(rows.len(), 13);
    assert!(rows.iter().flatten().all(|v| v.is_finite()));

    // --set changes an initial value; the run differs.
    let species = header[1];
    let out = run(&["--set", &format!("{species}=5")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let changed: Vec<f64> = stdout(&out)
        .lines()
        .nth(1)
        .expect("first row")
        .split(',')
        .map(number)
        .collect();
    assert_eq!(changed[1], 5.0);

    // A virtual population: summaries per variable, the same whatever the thread count.
    let population = |threads: &str| {
        let out = run(&[
            "--population",
            "24",
            "--spread",
            "0.3",
            "--seed",
            "7",
            "--threads",
            threads,
            "--variables",
            species,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let one = population("1");
    assert_eq!(one, population("2"));
    let header = one.lines().next().expect("header");
    assert_eq!(
        header,
        format!("time,{species}_mean,{species}_p05,{species}_p50,{species}_p95")
    );
    let last: Vec<f64> = one
        .lines()
        .last()
        .expect("a row")
        .split(',')
        .map(number)
        .collect();
    assert!(last[2] <= last[3] && last[3] <= last[4], "{last:?}");

    let out = run(&["--set", "no_such_thing=1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no_such_thing"), "{}", stderr(&out));
}
