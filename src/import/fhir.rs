//! How does a patient's clinical record, as HL7 FHIR R4 JSON, become a twin? Bundles
//! (collection, transaction, batch, searchset, …), single resources and Bulk Data NDJSON are
//! read into the statements of one named graph per patient.
//!
//! The mapping is small on purpose: every resource keeps its FHIR type (`fhir:Observation`),
//! its status and dates, and its codes as concepts that keep their system (LOINC, SNOMED CT,
//! RxNorm, HGNC, NCBI Taxonomy keep their standard IRIs; any other system is kept as
//! `system#code`). What the maps can use is read out as twinpath terms: genomic variants
//! (Genomics Reporting components) as `tw:Variant`s joined to the map's genes through HGNC,
//! medications joined to the store's drugs by ingredient name, and microbiome abundances
//! joined to the store's microbes by NCBI Taxonomy id. Resources that are not part of a
//! patient's record (Encounter, Claim, Practitioner, …) are counted and left out.
//!
//! A bad record (a required element missing, a coding without an absolute system IRI, a
//! subject that is not a patient of the bundle) is reported with its file, place and element
//! path; the caller decides whether the rest is imported (`strict` refuses all).

use super::sig;
use crate::vocab;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

const FHIR: &str = "http://hl7.org/fhir/";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const LOINC: &str = "http://loinc.org";

/// LOINC codes of the Genomics Reporting variant components read into `tw:Variant`.
mod component {
    pub const GENE_STUDIED: &str = "48018-6";
    pub const DNA_CHANGE: &str = "48004-6";
    pub const AMINO_ACID_CHANGE: &str = "48005-3";
    pub const GENOMIC_CHANGE: &str = "81290-9";
    pub const ALLELE_FRACTION: &str = "81258-6";
    pub const COPY_NUMBER: &str = "82155-3";
    pub const GENOMIC_SOURCE: &str = "48002-0";
    pub const AMINO_ACID_CHANGE_TYPE: &str = "48006-1";
    pub const DNA_CHANGE_TYPE: &str = "48019-4";
}
/// LOINC 69548-6, "Genetic variant assessment": the code of a variant Observation.
const VARIANT_ASSESSMENT: &str = "69548-6";

/// What the store knows that a record is joined to: genes by HGNC id and symbol, drugs by
/// name, microbes by NCBI Taxonomy id, and how variants are classified.
#[derive(Debug, Clone, Default)]
pub struct Joins {
    /// `hgnc:NNNN` (lower-case prefix) and upper-case symbols → gene IRI.
    pub genes: HashMap<String, String>,
    /// Lower-case drug names (labels and synonyms) → drug IRI.
    pub drugs: HashMap<String, String>,
    /// NCBI Taxonomy id → microbe IRI.
    pub microbes: HashMap<String, String>,
    pub variant_rules: Vec<VariantRule>,
}

/// A curated rule that says what a variant does to its gene (see `pathways/personalization.ttl`).
#[derive(Debug, Clone, PartialEq)]
pub struct VariantRule {
    pub iri: String,
    pub when: VariantCondition,
    /// `tw:Amplification`, `tw:LossOfFunction` or `tw:GainOfFunction` (full IRI).
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VariantCondition {
    /// Copy number at least `min` (and at most `max` when given).
    CopyNumber { min: f64, max: Option<f64> },
    /// A protein-truncating change (nonsense, frameshift) in any gene.
    Truncating,
    /// One gene's named amino-acid change (HGVS p., three-letter codes).
    Hotspot { gene: String, change: String },
}

/// A record that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordProblem {
    pub file: PathBuf,
    /// The resource (`Observation/SNVexample`), else its place (`entry 4`, `line 12`).
    pub resource: String,
    /// The element at fault, as a FHIRPath-like path (`Observation.subject`).
    pub path: String,
    pub message: String,
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.file.display(),
            self.resource,
            self.path,
            self.message
        )
    }
}

/// One twin's statements from one import, and which resources they replace.
#[derive(Debug, Default)]
pub struct TwinStatements {
    pub quads: Vec<Quad>,
    /// IRIs of the resources read (their earlier statements are replaced).
    pub resources: BTreeSet<String>,
    /// True when the Patient resource itself was read (its demographics are replaced).
    pub has_patient: bool,
}

/// What an import read: statements per twin id, the bad records, and the resource types that
/// are not part of a twin (counted, not read).
#[derive(Debug, Default)]
pub struct FhirBatch {
    pub twins: BTreeMap<String, TwinStatements>,
    pub problems: Vec<RecordProblem>,
    pub left_out: BTreeMap<String, usize>,
    /// Resources read into twins.
    pub resources: usize,
}

/// The IRI of a twin, from its id.
pub fn twin_iri(id: &str) -> String {
    format!("{}twin/{}", vocab::ID, vocab::encode_segment(id))
}

/// The named graph holding a twin's record and nothing else.
pub fn twin_graph(id: &str) -> String {
    format!("{}{}", vocab::TWIN_GRAPH, vocab::encode_segment(id))
}

/// One resource as read from a file, before it is placed in a twin.
struct Entry {
    resource: Value,
    /// `entry 3` or `line 12`, for messages when the resource has no id.
    place: String,
    full_url: Option<String>,
}

impl FhirBatch {
    /// Reads one file (a Bundle, a single resource, or NDJSON with one resource per line).
    pub fn read_file(&mut self, bytes: &[u8], file: &Path, joins: &Joins) {
        let problem = |message: String| RecordProblem {
            file: file.to_path_buf(),
            resource: "file".into(),
            path: "$".into(),
            message,
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => return self.problems.push(problem(format!("not UTF-8 text: {e}"))),
        };
        let mut entries = Vec::new();
        let ndjson = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ndjson"));
        if ndjson {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(resource) => entries.push(Entry {
                        resource,
                        place: format!("line {}", i + 1),
                        full_url: None,
                    }),
                    Err(e) => self.problems.push(RecordProblem {
                        resource: format!("line {}", i + 1),
                        ..problem(format!("not JSON: {e}"))
                    }),
                }
            }
        } else {
            let value: Value = match serde_json::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    return self.problems.push(problem(format!(
                        "not JSON (line {}, column {}): {e}",
                        e.line(),
                        e.column()
                    )))
                }
            };
            if value.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
                let Some(list) = value.get("entry").and_then(Value::as_array) else {
                    return; // an empty Bundle holds nothing to import
                };
                for (i, entry) in list.iter().enumerate() {
                    match entry.get("resource") {
                        Some(resource) => entries.push(Entry {
                            resource: resource.clone(),
                            place: format!("entry {i}"),
                            full_url: entry
                                .get("fullUrl")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                        }),
                        // A transaction's DELETE entries carry no resource: nothing to read.
                        None => continue,
                    }
                }
            } else {
                entries.push(Entry {
                    resource: value,
                    place: "resource".into(),
                    full_url: None,
                });
            }
        }
        self.read_entries(&entries, file, joins);
    }

    fn read_entries(&mut self, entries: &[Entry], file: &Path, joins: &Joins) {
        // fullUrl → (type, id) of this file's resources, so `urn:uuid:` references resolve.
        let mut by_url: HashMap<&str, (String, String)> = HashMap::new();
        let mut ids = Vec::with_capacity(entries.len());
        for entry in entries {
            let kind = entry
                .resource
                .get("resourceType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let id = resource_id(entry);
            if let Some(url) = &entry.full_url {
                by_url.insert(url.as_str(), (kind.clone(), id.clone()));
            }
            ids.push((kind, id));
        }
        for (entry, (kind, id)) in entries.iter().zip(ids) {
            let mut reader = ResourceReader {
                file,
                entry,
                kind: &kind,
                id: &id,
                by_url: &by_url,
                joins,
                problems: Vec::new(),
            };
            match reader.read() {
                Outcome::Read { twin, statements } => {
                    if reader.problems.is_empty() {
                        self.resources += 1;
                        let into = self.twins.entry(twin).or_default();
                        // The same resource read twice in one import: the later one wins, as
                        // it would had the files been imported one after the other.
                        for resource in &statements.resources {
                            if into.resources.contains(resource) {
                                into.quads.retain(|q| match &q.subject {
                                    NamedOrBlankNode::NamedNode(n) => n.as_str() != resource,
                                    _ => true,
                                });
                            }
                        }
                        into.has_patient |= statements.has_patient;
                        into.resources.extend(statements.resources);
                        into.quads.extend(statements.quads);
                    }
                }
                Outcome::LeftOut => *self.left_out.entry(kind.clone()).or_default() += 1,
                Outcome::Bad => {}
            }
            self.problems.extend(reader.problems);
        }
    }
}

/// A resource's id: its own, else the `fullUrl`'s last part (`urn:uuid:…`), else a hash of
/// its content, so a record without ids still gets the same id on every import.
fn resource_id(entry: &Entry) -> String {
    if let Some(id) = entry.resource.get("id").and_then(Value::as_str) {
        if !id.trim().is_empty() {
            return id.trim().to_owned();
        }
    }
    if let Some(url) = &entry.full_url {
        let tail = url
            .strip_prefix("urn:uuid:")
            .or_else(|| url.strip_prefix("urn:oid:"))
            .unwrap_or_else(|| url.trim_end_matches('/').rsplit('/').next().unwrap_or(url));
        if !tail.is_empty() {
            return tail.to_owned();
        }
    }
    let digest = Sha256::digest(entry.resource.to_string().as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

enum Outcome {
    Read {
        twin: String,
        statements: TwinStatements,
    },
    LeftOut,
    Bad,
}

struct ResourceReader<'a> {
    file: &'a Path,
    entry: &'a Entry,
    kind: &'a str,
    id: &'a str,
    by_url: &'a HashMap<&'a str, (String, String)>,
    joins: &'a Joins,
    problems: Vec<RecordProblem>,
}

/// The statements of one resource being written.
struct Writer {
    graph: GraphName,
    quads: Vec<Quad>,
}

impl Writer {
    fn add(&mut self, s: &NamedNode, p: &str, o: impl Into<Term>) {
        self.quads.push(Quad::new(
            s.clone(),
            NamedNode::new_unchecked(p),
            o.into(),
            self.graph.clone(),
        ));
    }
    fn tw(&mut self, s: &NamedNode, local: &str, o: impl Into<Term>) {
        self.add(s, &format!("{}{local}", vocab::TW), o);
    }
    fn text(&mut self, s: &NamedNode, local: &str, text: &str) {
        self.tw(s, local, Literal::new_simple_literal(text));
    }
}

impl ResourceReader<'_> {
    fn bad(&mut self, path: &str, message: impl Into<String>) {
        let resource = if self.kind.is_empty() {
            self.entry.place.clone()
        } else if self.entry.resource.get("id").is_some() {
            format!("{}/{}", self.kind, self.id)
        } else {
            format!("{} ({})", self.kind, self.entry.place)
        };
        self.problems.push(RecordProblem {
            file: self.file.to_path_buf(),
            resource,
            path: path.into(),
            message: message.into(),
        });
    }

    fn get(&self, element: &str) -> Option<&Value> {
        self.entry.resource.get(element).filter(|v| !v.is_null())
    }

    fn string(&self, element: &str) -> Option<&str> {
        self.get(element)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// A required element: reports it missing.
    fn require(&mut self, element: &str) -> bool {
        if self.get(element).is_none() {
            let path = format!("{}.{element}", self.kind);
            self.bad(&path, "required element missing");
            return false;
        }
        true
    }

    /// The twin id a reference (`Patient/ID`, `urn:uuid:…`, an absolute URL) names.
    fn patient_of(&mut self, element: &str) -> Option<String> {
        let path = format!("{}.{element}", self.kind);
        let Some(reference) = self
            .get(element)
            .and_then(|s| s.get("reference"))
            .and_then(Value::as_str)
            .map(str::trim)
        else {
            self.bad(
                &path,
                "no subject: a record must name the patient it is about",
            );
            return None;
        };
        if let Some((kind, id)) = self.by_url.get(reference) {
            if kind == "Patient" {
                return Some(id.clone());
            }
            self.bad(&path, format!("refers to a {kind}, not a Patient"));
            return None;
        }
        if reference.starts_with("urn:") {
            self.bad(&path, format!("{reference} is not an entry of this bundle"));
            return None;
        }
        let mut parts = reference.trim_end_matches('/').rsplit('/');
        let id = parts.next().unwrap_or_default();
        let kind = parts.next().unwrap_or_default();
        // `Patient/ID/_history/2` names a version of the patient: the patient is the same.
        let (kind, id) = if kind == "_history" {
            let _version = id;
            let id = parts.next().unwrap_or_default();
            (parts.next().unwrap_or_default(), id)
        } else {
            (kind, id)
        };
        if kind != "Patient" || id.is_empty() {
            self.bad(
                &path,
                format!("{reference:?} does not name a Patient (Patient/ID)"),
            );
            return None;
        }
        Some(id.to_owned())
    }

    fn read(&mut self) -> Outcome {
        if self.kind.is_empty() {
            self.bad("resourceType", "required element missing");
            return Outcome::Bad;
        }
        let subject = match self.kind {
            "Patient" => Some(self.id.to_owned()),
            "Condition"
            | "Observation"
            | "MedicationStatement"
            | "MedicationRequest"
            | "MedicationAdministration"
            | "Procedure"
            | "Specimen"
            | "DiagnosticReport" => self.patient_of("subject"),
            _ => return Outcome::LeftOut,
        };
        let Some(twin) = subject else {
            return Outcome::Bad;
        };
        let required: &[&str] = match self.kind {
            "Condition" => &["code"],
            "Observation" => &["status", "code"],
            "MedicationStatement" | "MedicationAdministration" => &["status"],
            "MedicationRequest" => &["status", "intent"],
            "Procedure" => &["status"],
            "DiagnosticReport" => &["status", "code"],
            _ => &[],
        };
        for element in required {
            self.require(element);
        }
        if self.kind.starts_with("Medication")
            && self.get("medicationCodeableConcept").is_none()
            && self.get("medicationReference").is_none()
        {
            let path = format!("{}.medication[x]", self.kind);
            self.bad(&path, "required element missing");
        }
        let entry = self.entry;
        self.check_codings(&entry.resource, self.kind.to_owned());
        let dose = if self.kind.starts_with("Medication") {
            self.structured_dose()
        } else {
            StructuredDose::default()
        };
        if !self.problems.is_empty() {
            return Outcome::Bad;
        }

        let twin_node = NamedNode::new_unchecked(twin_iri(&twin));
        let record = NamedNode::new_unchecked(format!(
            "{}/{}/{}",
            twin_iri(&twin),
            self.kind,
            vocab::encode_segment(self.id)
        ));
        let mut w = Writer {
            graph: NamedNode::new_unchecked(twin_graph(&twin)).into(),
            quads: Vec::new(),
        };
        w.add(
            &record,
            RDF_TYPE,
            NamedNode::new_unchecked(format!("{FHIR}{}", self.kind)),
        );
        w.tw(&record, "twin", twin_node.clone());
        w.text(&record, "fhirId", &format!("{}/{}", self.kind, self.id));
        w.text(&record, "sourcePath", &self.file.display().to_string());
        if let Some(status) = self.string("status") {
            w.text(&record, "status", status);
        }
        let mut statements = TwinStatements::default();
        match self.kind {
            "Patient" => {
                self.patient(&mut w, &twin_node, &record, &twin);
                statements.has_patient = true;
            }
            "Condition" => {
                w.tw(&twin_node, "hasCondition", record.clone());
                self.codes(&mut w, &record, "code", "code");
                for status in ["clinicalStatus", "verificationStatus"] {
                    if let Some(code) = self.get(status).and_then(first_code) {
                        w.text(&record, status, &code);
                    }
                }
                self.date(&mut w, &record, &["onsetDateTime", "recordedDate"]);
            }
            "Observation" => self.observation(&mut w, &twin_node, &record, &twin),
            "MedicationStatement" | "MedicationRequest" | "MedicationAdministration" => {
                w.tw(&twin_node, "hasMedication", record.clone());
                self.codes(&mut w, &record, "medicationCodeableConcept", "code");
                self.medication_drug(&mut w, &record);
                self.date(
                    &mut w,
                    &record,
                    &["effectiveDateTime", "authoredOn", "dateAsserted"],
                );
                if let Some(start) = self
                    .get("effectivePeriod")
                    .and_then(|p| p.get("start"))
                    .and_then(Value::as_str)
                {
                    w.tw(&record, "effective", date_literal(start));
                }
                if let Some(end) = self
                    .get("effectivePeriod")
                    .and_then(|p| p.get("end"))
                    .and_then(Value::as_str)
                {
                    w.tw(&record, "effectiveEnd", date_literal(end));
                }
                let dosage = self
                    .get("dosage")
                    .or_else(|| self.get("dosageInstruction"))
                    .and_then(Value::as_array)
                    .and_then(|d| d.first())
                    .and_then(|d| d.get("text"))
                    .and_then(Value::as_str);
                if let Some(text) = dosage {
                    w.text(&record, "dosage", text);
                }
                if let Some(v) = dose.value {
                    w.tw(&record, "doseValue", Literal::from(v));
                }
                if let Some(u) = &dose.unit {
                    w.text(&record, "doseUnit", u);
                }
                if let Some(h) = dose.interval_h {
                    w.tw(&record, "dosingIntervalHours", Literal::from(h));
                }
                if dose.from_text {
                    w.tw(&record, "dosageReadFromText", Literal::from(true));
                }
                if dose.strength_from_name {
                    w.tw(&record, "doseFromStrength", Literal::from(true));
                }
                if let Some(route) = dose.route {
                    w.tw(
                        &record,
                        "route",
                        NamedNode::new_unchecked(format!("{}{route}", vocab::TW)),
                    );
                }
            }
            "Procedure" => {
                w.tw(&twin_node, "hasProcedure", record.clone());
                self.codes(&mut w, &record, "code", "code");
                self.date(&mut w, &record, &["performedDateTime"]);
                if let Some(start) = self
                    .get("performedPeriod")
                    .and_then(|p| p.get("start"))
                    .and_then(Value::as_str)
                {
                    w.tw(&record, "effective", date_literal(start));
                }
            }
            "Specimen" => {
                w.tw(&twin_node, "hasSpecimen", record.clone());
                self.codes(&mut w, &record, "type", "code");
                if let Some(date) = self
                    .get("collection")
                    .and_then(|c| c.get("collectedDateTime"))
                    .and_then(Value::as_str)
                {
                    w.tw(&record, "effective", date_literal(date));
                }
            }
            "DiagnosticReport" => {
                w.tw(&twin_node, "hasReport", record.clone());
                self.codes(&mut w, &record, "code", "code");
                self.date(&mut w, &record, &["effectiveDateTime", "issued"]);
                let results: Vec<String> = self
                    .get("result")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.get("reference").and_then(Value::as_str))
                    .filter_map(|r| self.resolve(r, &twin))
                    .collect();
                for result in results {
                    w.tw(&record, "result", NamedNode::new_unchecked(result));
                }
            }
            _ => unreachable!("kinds are filtered above"),
        }
        statements.resources.insert(record.as_str().to_owned());
        statements.quads = w.quads;
        Outcome::Read { twin, statements }
    }

    /// The IRI of a resource of this twin that a reference names, when it can be told.
    fn resolve(&self, reference: &str, twin: &str) -> Option<String> {
        let (kind, id) = match self.by_url.get(reference) {
            Some((kind, id)) => (kind.clone(), id.clone()),
            None => {
                let mut parts = reference.rsplit('/');
                let id = parts.next()?.to_owned();
                (parts.next()?.to_owned(), id)
            }
        };
        if kind.is_empty() || id.is_empty() {
            return None;
        }
        Some(format!(
            "{}/{}/{}",
            twin_iri(twin),
            vocab::encode_segment(&kind),
            vocab::encode_segment(&id)
        ))
    }

    /// Every coding anywhere in the resource must name its code system by an absolute IRI;
    /// a code without its system cannot be told apart from another system's code.
    fn check_codings(&mut self, value: &Value, path: String) {
        match value {
            Value::Object(map) => {
                if let Some(codings) = map.get("coding").and_then(Value::as_array) {
                    for coding in codings {
                        let system = coding.get("system").and_then(Value::as_str).unwrap_or("");
                        let code = coding.get("code").and_then(Value::as_str).unwrap_or("");
                        if is_absolute_iri(system)
                            && NamedNode::new(concept_iri(system, code)).is_err()
                        {
                            self.bad(
                                &format!("{path}.coding"),
                                format!("the code system {system:?} is not a valid IRI"),
                            );
                        }
                        if !is_absolute_iri(system) {
                            let code = coding.get("code").and_then(Value::as_str).unwrap_or("");
                            self.bad(
                                &format!("{path}.coding"),
                                if system.is_empty() {
                                    format!("the code {code:?} names no code system")
                                } else {
                                    format!(
                                        "unknown code system {system:?} for code {code:?} (a code system is named by an absolute IRI)"
                                    )
                                },
                            );
                        }
                    }
                }
                for (key, child) in map {
                    if key != "coding" && key != "text" {
                        self.check_codings(child, format!("{path}.{key}"));
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.check_codings(item, path.clone());
                }
            }
            _ => {}
        }
    }

    /// The codings of a CodeableConcept element as concept IRIs (and the text as a label).
    fn codes(&self, w: &mut Writer, record: &NamedNode, element: &str, property: &str) {
        if let Some(concept) = self.get(element) {
            write_concept(w, record, concept, property);
        }
    }

    fn date(&self, w: &mut Writer, record: &NamedNode, elements: &[&str]) {
        if let Some(date) = elements.iter().find_map(|e| self.string(e)) {
            w.tw(record, "effective", date_literal(date));
        }
    }

    fn patient(&self, w: &mut Writer, twin: &NamedNode, record: &NamedNode, id: &str) {
        w.add(
            twin,
            RDF_TYPE,
            NamedNode::new_unchecked(format!("{}PatientTwin", vocab::TW)),
        );
        w.tw(twin, "fhirPatient", record.clone());
        w.text(twin, "twinId", id);
        if let Some(name) = self.get("name").and_then(Value::as_array).and_then(|n| {
            n.iter()
                .find(|n| n.get("use").and_then(Value::as_str) == Some("official"))
                .or(n.first())
        }) {
            let text = name
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    let given = name
                        .get("given")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str);
                    let family = name.get("family").and_then(Value::as_str);
                    given.chain(family).collect::<Vec<_>>().join(" ")
                });
            if !text.trim().is_empty() {
                w.add(twin, RDFS_LABEL, Literal::new_simple_literal(text.trim()));
            }
        }
        if let Some(gender) = self.string("gender") {
            w.text(twin, "gender", gender);
        }
        if let Some(birth) = self.string("birthDate") {
            w.tw(twin, "birthDate", date_literal(birth));
        }
        if let Some(deceased) = self.string("deceasedDateTime") {
            w.tw(twin, "deceased", date_literal(deceased));
        } else if let Some(true) = self.get("deceasedBoolean").and_then(Value::as_bool) {
            w.tw(twin, "deceased", Literal::from(true));
        }
    }

    fn observation(&self, w: &mut Writer, twin: &NamedNode, record: &NamedNode, twin_id: &str) {
        w.tw(twin, "hasObservation", record.clone());
        self.codes(w, record, "code", "code");
        self.codes(w, record, "category", "category");
        self.date(w, record, &["effectiveDateTime", "issued"]);
        write_value(w, record, &self.entry.resource);
        let code = self.get("code");
        let is_variant = code.is_some_and(|c| has_code(c, LOINC, VARIANT_ASSESSMENT))
            || self
                .get("meta")
                .and_then(|m| m.get("profile"))
                .and_then(Value::as_array)
                .is_some_and(|p| {
                    p.iter()
                        .filter_map(Value::as_str)
                        .any(|p| p.ends_with("/variant") || p.contains("GeneticVariant"))
                })
            || self.component(component::GENE_STUDIED).is_some();
        if is_variant {
            self.variant(w, twin, record);
        }
        let taxon = code.and_then(|c| coding_in(c, &["http://www.ncbi.nlm.nih.gov/taxonomy"]));
        if let Some(taxid) = taxon {
            w.tw(twin, "microbiomeProfile", record.clone());
            w.add(
                record,
                RDF_TYPE,
                NamedNode::new_unchecked(format!("{}TaxonAbundance", vocab::TW)),
            );
            if let Some(microbe) = self.joins.microbes.get(&taxid) {
                w.tw(record, "taxon", NamedNode::new_unchecked(microbe));
            }
            if let Some((value, unit)) = quantity(self.get("valueQuantity")) {
                let fraction = if unit.as_deref() == Some("%") {
                    value / 100.0
                } else {
                    value
                };
                w.tw(record, "relativeAbundance", Literal::from(fraction));
            }
        }
        // A grouper's members read like a report's results.
        for (member, property) in [("hasMember", "result"), ("derivedFrom", "derivedFrom")] {
            for reference in self
                .get(member)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("reference").and_then(Value::as_str))
            {
                if let Some(iri) = self.resolve(reference, twin_id) {
                    w.tw(record, property, NamedNode::new_unchecked(iri));
                }
            }
        }
    }

    fn component(&self, loinc: &str) -> Option<&Value> {
        self.get("component")
            .and_then(Value::as_array)?
            .iter()
            .find(|c| {
                c.get("code")
                    .is_some_and(|code| has_code(code, LOINC, loinc))
            })
    }

    /// A component's value as text: its coding's code (or display, or the concept's text), a
    /// string, or a number.
    fn component_text(&self, loinc: &str) -> Option<String> {
        let c = self.component(loinc)?;
        if let Some(concept) = c.get("valueCodeableConcept") {
            let coding = concept
                .get("coding")
                .and_then(Value::as_array)
                .and_then(|c| c.first());
            return coding
                .and_then(|c| c.get("code").or(c.get("display")))
                .or(concept.get("text"))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        c.get("valueString")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn component_display(&self, loinc: &str) -> Option<String> {
        let concept = self.component(loinc)?.get("valueCodeableConcept")?;
        concept
            .get("coding")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
            .and_then(|c| c.get("display"))
            .or(concept.get("text"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn variant(&self, w: &mut Writer, twin: &NamedNode, record: &NamedNode) {
        w.tw(twin, "hasVariant", record.clone());
        w.add(
            record,
            RDF_TYPE,
            NamedNode::new_unchecked(format!("{}Variant", vocab::TW)),
        );
        // The gene: an HGNC coding's id (HGNC:3430) or symbol, as the examples write either.
        let gene = self.component(component::GENE_STUDIED).and_then(|c| {
            let coding = c
                .get("valueCodeableConcept")?
                .get("coding")?
                .as_array()?
                .first()?;
            let code = coding.get("code").and_then(Value::as_str).unwrap_or("");
            let display = coding.get("display").and_then(Value::as_str).unwrap_or("");
            Some((code.trim().to_owned(), display.trim().to_owned()))
        });
        let mut gene_iri = None;
        if let Some((code, display)) = &gene {
            let hgnc_id = code
                .strip_prefix("HGNC:")
                .or_else(|| code.strip_prefix("hgnc:"))
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()));
            let symbol = if hgnc_id.is_some() { display } else { code };
            if let Some(n) = hgnc_id {
                w.tw(
                    record,
                    "hgnc",
                    NamedNode::new_unchecked(format!("https://identifiers.org/hgnc:{n}")),
                );
            }
            if !symbol.is_empty() {
                w.text(record, "geneSymbol", symbol);
            }
            gene_iri = hgnc_id
                .and_then(|n| self.joins.genes.get(&format!("hgnc:{n}")))
                .or_else(|| self.joins.genes.get(&symbol.to_ascii_uppercase()))
                .cloned();
            if let Some(iri) = &gene_iri {
                w.tw(record, "gene", NamedNode::new_unchecked(iri));
            }
        }
        let dna = self.component_text(component::DNA_CHANGE);
        let protein = self.component_text(component::AMINO_ACID_CHANGE);
        for (loinc, property) in [
            (component::DNA_CHANGE, "dnaChange"),
            (component::AMINO_ACID_CHANGE, "aminoAcidChange"),
            (component::GENOMIC_CHANGE, "genomicChange"),
        ] {
            if let Some(text) = self.component_text(loinc) {
                w.text(record, property, &text);
            }
        }
        if let Some(source) = self.component_display(component::GENOMIC_SOURCE) {
            w.text(record, "genomicSource", &source);
        }
        let fraction = self
            .component(component::ALLELE_FRACTION)
            .and_then(|c| quantity(c.get("valueQuantity")))
            .map(|(v, unit)| {
                if unit.as_deref() == Some("%") {
                    v / 100.0
                } else {
                    v
                }
            });
        if let Some(f) = fraction {
            w.tw(record, "alleleFraction", Literal::from(f));
        }
        let copies = self.component(component::COPY_NUMBER).and_then(|c| {
            quantity(c.get("valueQuantity"))
                .map(|(v, _)| v)
                .or_else(|| c.get("valueInteger").and_then(Value::as_f64))
        });
        if let Some(n) = copies {
            w.tw(record, "copyNumber", Literal::from(n));
        }
        let change_types: Vec<String> = [
            component::AMINO_ACID_CHANGE_TYPE,
            component::DNA_CHANGE_TYPE,
        ]
        .iter()
        .filter_map(|c| self.component_display(c))
        .collect();
        let symbol = gene_iri.clone().or_else(|| {
            gene.as_ref().map(|(code, display)| {
                if code.starts_with("HGNC:") {
                    display.clone()
                } else {
                    code.clone()
                }
            })
        });
        let facts = VariantFacts {
            gene: symbol.as_deref(),
            protein: protein.as_deref(),
            dna: dna.as_deref(),
            copies,
            change_types: &change_types,
        };
        if let Some(rule) = classify(&facts, &self.joins.variant_rules) {
            w.tw(record, "variantKind", NamedNode::new_unchecked(&rule.kind));
            w.tw(record, "classifiedBy", NamedNode::new_unchecked(&rule.iri));
        }
    }

    /// The first dosage's amount, interval and route, where they are structured
    /// (`doseAndRate.doseQuantity`, `timing.repeat`, `route` coded in SNOMED CT); a dose or a
    /// period that is not a positive number is a bad record.
    fn structured_dose(&mut self) -> StructuredDose {
        let (element, dosage) = match self.kind {
            "MedicationRequest" => ("dosageInstruction", self.get("dosageInstruction")),
            _ => ("dosage", self.get("dosage")),
        };
        // MedicationAdministration.dosage is one object; the others are lists.
        let (path, dosage) = match dosage {
            Some(Value::Array(list)) => (format!("{}.{element}[0]", self.kind), list.first()),
            Some(other) => (format!("{}.{element}", self.kind), Some(other)),
            None => return StructuredDose::default(),
        };
        let Some(dosage) = dosage.cloned() else {
            return StructuredDose::default();
        };
        let mut dose = StructuredDose::default();
        let (quantity, quantity_path) = match dosage.get("dose") {
            Some(q) => (Some(q.clone()), format!("{path}.dose")),
            None => (
                dosage
                    .get("doseAndRate")
                    .and_then(Value::as_array)
                    .and_then(|d| d.first())
                    .and_then(|d| d.get("doseQuantity"))
                    .cloned(),
                format!("{path}.doseAndRate[0].doseQuantity"),
            ),
        };
        if let Some(q) = quantity {
            match q
                .get("value")
                .map(|v| v.as_f64().filter(|x| *x > 0.0 && x.is_finite()))
            {
                Some(Some(v)) => dose.value = Some(v),
                Some(None) => self.bad(
                    &format!("{quantity_path}.value"),
                    "a dose is a positive number",
                ),
                None => {}
            }
            dose.unit = q
                .get("code")
                .or_else(|| q.get("unit"))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        if let Some(repeat) = dosage.get("timing").and_then(|t| t.get("repeat")) {
            let repeat_path = format!("{path}.timing.repeat");
            let unit_h = match repeat.get("periodUnit").and_then(Value::as_str) {
                Some("s") => Some(1.0 / 3600.0),
                Some("min") => Some(1.0 / 60.0),
                Some("h") => Some(1.0),
                Some("d") => Some(24.0),
                Some("wk") => Some(168.0),
                // UCUM's mean Julian month and year.
                Some("mo") => Some(730.5),
                Some("a") => Some(8766.0),
                Some(other) => {
                    self.bad(
                        &format!("{repeat_path}.periodUnit"),
                        format!("{other:?} is not a FHIR unit of time (s, min, h, d, wk, mo, a)"),
                    );
                    None
                }
                None => None,
            };
            let period = repeat
                .get("period")
                .map(|v| v.as_f64().filter(|x| *x > 0.0 && x.is_finite()));
            let frequency = match repeat.get("frequency") {
                None => Some(1.0),
                Some(v) => v.as_u64().filter(|f| *f > 0).map(|f| f as f64),
            };
            match (period, unit_h, frequency) {
                (Some(Some(p)), Some(u), Some(f)) => dose.interval_h = Some(p * u / f),
                (Some(None), _, _) => self.bad(
                    &format!("{repeat_path}.period"),
                    "a period is a positive number",
                ),
                (_, _, None) => self.bad(
                    &format!("{repeat_path}.frequency"),
                    "a frequency is a positive whole number",
                ),
                _ => {}
            }
        }
        let routes = dosage
            .get("route")
            .and_then(|r| r.get("coding"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|c| c.get("system").and_then(Value::as_str) == Some("http://snomed.info/sct"))
            .filter_map(|c| c.get("code").and_then(Value::as_str));
        for code in routes {
            // SNOMED CT: 26643006 oral route, 47625008 intravenous route.
            dose.route = match code {
                "26643006" => Some("Oral"),
                "47625008" => Some("Intravenous"),
                _ => dose.route,
            };
        }
        // A dose with no unit counts dose forms (Synthea: `doseQuantity {value: 1}` of
        // "lisinopril 10 MG Oral Tablet"): the clinical drug's strength gives it in mg.
        if let (Some(count), None) = (dose.value, &dose.unit) {
            let name = self
                .get("medicationCodeableConcept")
                .and_then(|c| {
                    c.get("text").and_then(Value::as_str).or_else(|| {
                        c.get("coding")
                            .and_then(Value::as_array)
                            .and_then(|l| l.first())
                            .and_then(|c| c.get("display"))
                            .and_then(Value::as_str)
                    })
                })
                .and_then(sig::unit_strength_mg);
            if let Some(mg) = name {
                dose.value = Some(count * mg);
                dose.unit = Some("mg".to_owned());
                dose.strength_from_name = true;
            }
        }
        // What the structure leaves out, the dosage's text may say; the structure wins
        // part by part.
        if let Some(text) = dosage.get("text").and_then(Value::as_str) {
            let said = sig::parse(text);
            if dose.value.is_none() {
                if let Some((v, u)) = said.dose {
                    dose.value = Some(v);
                    dose.unit = Some(u.to_owned());
                    dose.from_text = true;
                }
            }
            if dose.interval_h.is_none() && said.interval_h.is_some() {
                dose.interval_h = said.interval_h;
                dose.from_text = true;
            }
            if dose.route.is_none() && said.route.is_some() {
                dose.route = said.route;
                dose.from_text = true;
            }
        }
        dose
    }

    fn medication_drug(&self, w: &mut Writer, record: &NamedNode) {
        let Some(concept) = self.get("medicationCodeableConcept") else {
            return;
        };
        let mut names: Vec<String> = concept
            .get("text")
            .and_then(Value::as_str)
            .into_iter()
            .map(str::to_owned)
            .collect();
        names.extend(
            concept
                .get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("display").and_then(Value::as_str))
                .map(str::to_owned),
        );
        // RxNorm names start with the ingredient ("paclitaxel 100 MG Injection"): match whole
        // words of the names against the store's drug names.
        let mut found = BTreeSet::new();
        for name in &names {
            for word in name
                .split(|c: char| !c.is_alphanumeric() && c != '-')
                .filter(|w| w.len() > 2)
            {
                if let Some(drug) = self.joins.drugs.get(&word.to_lowercase()) {
                    found.insert(drug.clone());
                }
            }
        }
        for drug in found {
            w.tw(record, "drug", NamedNode::new_unchecked(drug));
        }
    }
}

/// A medication's structured dose (see `ResourceReader::structured_dose`).
#[derive(Debug, Clone, Default)]
struct StructuredDose {
    value: Option<f64>,
    /// The UCUM code (or the unit as written).
    unit: Option<String>,
    interval_h: Option<f64>,
    /// `Oral` or `Intravenous` (local names in the twinpath vocabulary).
    route: Option<&'static str>,
    /// Some part was read from the dosage's text rather than its structure.
    from_text: bool,
    /// The dose was counted in dose forms and multiplied by the drug's named strength.
    strength_from_name: bool,
}

/// What a variant's classification reads.
pub struct VariantFacts<'a> {
    /// The gene's IRI when the map has it, else its symbol.
    pub gene: Option<&'a str>,
    pub protein: Option<&'a str>,
    pub dna: Option<&'a str>,
    pub copies: Option<f64>,
    /// Displays of the amino-acid / DNA change type components ("Nonsense", "Frameshift").
    pub change_types: &'a [String],
}

/// The first rule that applies to a variant, in the order the rules are given.
pub fn classify<'r>(facts: &VariantFacts<'_>, rules: &'r [VariantRule]) -> Option<&'r VariantRule> {
    rules.iter().find(|rule| match &rule.when {
        VariantCondition::CopyNumber { min, max } => facts
            .copies
            .is_some_and(|n| n >= *min && max.map_or(true, |m| n <= m)),
        VariantCondition::Truncating => {
            let protein = facts.protein.unwrap_or("");
            let stop = protein.contains("Ter") || protein.ends_with('*') || protein.contains("*");
            let frameshift = protein.contains("fs");
            let typed = facts.change_types.iter().any(|t| {
                let t = t.to_ascii_lowercase();
                t.contains("nonsense") || t.contains("frameshift") || t.contains("stop gained")
            });
            stop || frameshift || typed
        }
        VariantCondition::Hotspot { gene, change } => {
            let same_gene = facts
                .gene
                .is_some_and(|g| g == gene || gene.rsplit('/').next() == Some(g));
            same_gene
                && facts.protein.is_some_and(|p| {
                    let p = p
                        .trim_start_matches("p.")
                        .trim_matches(|c| c == '(' || c == ')');
                    p == change.trim_start_matches("p.")
                })
        }
    })
}

/// Writes every coding of a CodeableConcept as `record property concept`, with the concept's
/// system, code and display, and its text as the record's label.
fn write_concept(w: &mut Writer, record: &NamedNode, concept: &Value, property: &str) {
    let concepts: Vec<&Value> = match concept {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for concept in concepts {
        for coding in concept
            .get("coding")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(system), Some(code)) = (
                coding.get("system").and_then(Value::as_str),
                coding.get("code").and_then(Value::as_str),
            ) else {
                continue;
            };
            let iri = NamedNode::new_unchecked(concept_iri(system, code));
            w.tw(record, property, iri.clone());
            w.text(&iri, "codeSystem", system);
            w.text(&iri, "notation", code);
            if let Some(display) = coding.get("display").and_then(Value::as_str) {
                w.add(&iri, RDFS_LABEL, Literal::new_simple_literal(display));
            }
        }
        if property == "code" {
            let label = concept.get("text").and_then(Value::as_str).or_else(|| {
                concept
                    .get("coding")?
                    .as_array()?
                    .iter()
                    .find_map(|c| c.get("display").and_then(Value::as_str))
            });
            if let Some(label) = label {
                w.add(record, RDFS_LABEL, Literal::new_simple_literal(label));
            }
        }
    }
}

/// The IRI of a code: the standard one for LOINC, SNOMED CT, RxNorm, HGNC and NCBI Taxonomy,
/// otherwise the system IRI with the code as its fragment.
pub fn concept_iri(system: &str, code: &str) -> String {
    let code = code.trim();
    let enc = vocab::encode_segment(code);
    match system.trim_end_matches('/') {
        "http://loinc.org" => format!("https://loinc.org/{enc}"),
        "http://snomed.info/sct" => format!("http://snomed.info/id/{enc}"),
        "http://www.nlm.nih.gov/research/umls/rxnorm" => {
            format!("http://purl.bioontology.org/ontology/RXNORM/{enc}")
        }
        "http://www.genenames.org/geneId" | "http://www.genenames.org" => {
            match code.strip_prefix("HGNC:") {
                Some(n) => format!("https://identifiers.org/hgnc:{}", vocab::encode_segment(n)),
                None => format!("https://identifiers.org/hgnc.symbol:{enc}"),
            }
        }
        "http://www.ncbi.nlm.nih.gov/taxonomy" => format!("https://identifiers.org/taxonomy:{enc}"),
        other if other.ends_with('#') => format!("{other}{enc}"),
        other => format!("{other}#{enc}"),
    }
}

/// The value of an Observation: a quantity (with its unit), a concept, text, a number or a
/// truth value.
fn write_value(w: &mut Writer, record: &NamedNode, resource: &Value) {
    if let Some((value, unit)) = quantity(resource.get("valueQuantity")) {
        w.tw(record, "value", Literal::from(value));
        if let Some(unit) = unit {
            w.text(record, "unit", &unit);
        }
    }
    if let Some(concept) = resource.get("valueCodeableConcept") {
        write_concept(w, record, concept, "valueCode");
        let text = concept.get("text").and_then(Value::as_str).or_else(|| {
            concept
                .get("coding")?
                .as_array()?
                .iter()
                .find_map(|c| c.get("display").and_then(Value::as_str))
        });
        if let Some(text) = text {
            w.text(record, "valueText", text);
        }
    }
    if let Some(text) = resource.get("valueString").and_then(Value::as_str) {
        w.text(record, "valueText", text);
    }
    if let Some(n) = resource.get("valueInteger").and_then(Value::as_f64) {
        w.tw(record, "value", Literal::from(n));
    }
    if let Some(b) = resource.get("valueBoolean").and_then(Value::as_bool) {
        w.tw(record, "valueBoolean", Literal::from(b));
    }
}

fn quantity(value: Option<&Value>) -> Option<(f64, Option<String>)> {
    let q = value?;
    let v = q.get("value")?.as_f64()?;
    let unit = q
        .get("code")
        .or(q.get("unit"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((v, unit))
}

fn has_code(concept: &Value, system: &str, code: &str) -> bool {
    concept
        .get("coding")
        .and_then(Value::as_array)
        .is_some_and(|codings| {
            codings.iter().any(|c| {
                c.get("system")
                    .and_then(Value::as_str)
                    .map(|s| s.trim_end_matches('/'))
                    == Some(system)
                    && c.get("code").and_then(Value::as_str).map(str::trim) == Some(code)
            })
        })
}

/// The code of the first coding in one of `systems`.
fn coding_in(concept: &Value, systems: &[&str]) -> Option<String> {
    concept
        .get("coding")?
        .as_array()?
        .iter()
        .find(|c| {
            c.get("system")
                .and_then(Value::as_str)
                .is_some_and(|s| systems.contains(&s.trim_end_matches('/')))
        })?
        .get("code")?
        .as_str()
        .map(|s| s.trim().to_owned())
}

fn first_code(concept: &Value) -> Option<String> {
    concept
        .get("coding")?
        .as_array()?
        .first()?
        .get("code")?
        .as_str()
        .map(str::to_owned)
}

fn is_absolute_iri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !text.contains(char::is_whitespace)
}

/// A FHIR date or dateTime as a typed literal (partial dates as `xsd:gYear`/`gYearMonth`).
pub fn date_literal(text: &str) -> Literal {
    let text = text.trim();
    let datatype = match text.len() {
        4 => NamedNode::new_unchecked(format!("{}gYear", vocab::XSD)),
        7 => NamedNode::new_unchecked(format!("{}gYearMonth", vocab::XSD)),
        10 => xsd::DATE.into_owned(),
        _ => xsd::DATE_TIME.into_owned(),
    };
    Literal::new_typed_literal(text, datatype)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> FhirBatch {
        let mut batch = FhirBatch::default();
        batch.read_file(json.as_bytes(), Path::new("t.json"), &Joins::default());
        batch
    }

    #[test]
    fn a_patient_known_only_by_full_url_gets_a_stable_id() {
        let bundle = r#"{"resourceType":"Bundle","type":"transaction","entry":[
          {"fullUrl":"urn:uuid:d0b4affa","resource":{"resourceType":"Patient","gender":"male"}},
          {"fullUrl":"urn:uuid:0bs","resource":{"resourceType":"Observation","status":"final",
            "code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},
            "subject":{"reference":"urn:uuid:d0b4affa"},"valueQuantity":{"value":37.1,"unit":"Cel"}}}]}"#;
        let batch = read(bundle);
        assert!(batch.problems.is_empty(), "{:?}", batch.problems);
        assert_eq!(batch.twins.keys().collect::<Vec<_>>(), ["d0b4affa"]);
        assert_eq!(batch.resources, 2);
    }

    #[test]
    fn an_observation_without_subject_and_an_unknown_system_are_bad_records() {
        let bundle = r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"resource":{"resourceType":"Observation","id":"o1","status":"final",
            "code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]}}},
          {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p"},
            "code":{"coding":[{"system":"SNOMED","code":"254837009"}]}}}]}"#;
        let batch = read(bundle);
        assert_eq!(batch.problems.len(), 2, "{:?}", batch.problems);
        assert_eq!(batch.problems[0].resource, "Observation/o1");
        assert_eq!(batch.problems[0].path, "Observation.subject");
        assert_eq!(batch.problems[1].path, "Condition.code.coding");
        assert!(batch.problems[1].message.contains("unknown code system"));
        assert!(batch.twins.is_empty());

        // A system that looks absolute but cannot stand in an IRI is refused too.
        let bundle = r#"{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p"},
            "code":{"coding":[{"system":"urn:x<y>","code":"1"}]}}"#;
        let batch = read(bundle);
        assert_eq!(batch.problems.len(), 1, "{:?}", batch.problems);
        assert!(batch.problems[0].message.contains("not a valid IRI"));
    }

    #[test]
    fn variants_are_classified_by_the_first_rule_that_applies() {
        let rules = vec![
            VariantRule {
                iri: "r:amp".into(),
                when: VariantCondition::CopyNumber {
                    min: 6.0,
                    max: None,
                },
                kind: "k:Amplification".into(),
            },
            VariantRule {
                iri: "r:braf".into(),
                when: VariantCondition::Hotspot {
                    gene: "https://twinpath.org/id/gene/BRAF".into(),
                    change: "p.Val600Glu".into(),
                },
                kind: "k:GainOfFunction".into(),
            },
            VariantRule {
                iri: "r:trunc".into(),
                when: VariantCondition::Truncating,
                kind: "k:LossOfFunction".into(),
            },
        ];
        let facts = |gene, protein, copies| VariantFacts {
            gene,
            protein,
            dna: None,
            copies,
            change_types: &[],
        };
        let braf = Some("https://twinpath.org/id/gene/BRAF");
        assert_eq!(
            classify(&facts(braf, Some("p.Val600Glu"), None), &rules)
                .unwrap()
                .iri,
            "r:braf"
        );
        assert_eq!(
            classify(&facts(braf, Some("p.(Val600Glu)"), None), &rules)
                .unwrap()
                .iri,
            "r:braf"
        );
        assert!(classify(&facts(braf, Some("p.Val600Lys"), None), &rules).is_none());
        assert_eq!(
            classify(&facts(None, Some("p.Tyr1183Ter"), None), &rules)
                .unwrap()
                .iri,
            "r:trunc"
        );
        assert_eq!(
            classify(&facts(None, None, Some(9.0)), &rules).unwrap().iri,
            "r:amp"
        );
        assert!(classify(&facts(None, None, Some(3.0)), &rules).is_none());
    }
}
