//! What does a twin's record say? Demographics, diagnoses, observations (tumour markers,
//! labs), variants, microbiome, medications, procedures and the runs made on it.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct TwinRecord {
    pub id: String,
    pub iri: String,
    pub name: Option<String>,
    #[serde(rename = "birthDate")]
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub deceased: Option<String>,
    pub conditions: Vec<Finding>,
    pub observations: Vec<Observation>,
    pub variants: Vec<Variant>,
    pub microbiome: Vec<Abundance>,
    pub medications: Vec<Medication>,
    pub procedures: Vec<Finding>,
    pub runs: Vec<RunSummary>,
}

/// A coded record: a diagnosis or a procedure.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Finding {
    pub iri: String,
    pub label: Option<String>,
    /// Concept IRIs of its codes.
    pub codes: Vec<String>,
    pub date: Option<String>,
    pub status: Option<String>,
}

/// An observation that is neither a variant nor an abundance (tumour markers, labs, vitals).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Observation {
    pub iri: String,
    pub label: Option<String>,
    pub codes: Vec<String>,
    /// Concept IRIs of a coded value (LOINC LA6576-8, Positive).
    pub value_codes: Vec<String>,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub value_text: Option<String>,
    pub date: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Variant {
    pub iri: String,
    /// The map's gene, when the record's HGNC id or symbol names one.
    pub gene: Option<String>,
    pub symbol: Option<String>,
    pub dna_change: Option<String>,
    pub amino_acid_change: Option<String>,
    pub allele_fraction: Option<f64>,
    pub copy_number: Option<f64>,
    /// `tw:Amplification`, `tw:LossOfFunction`, `tw:GainOfFunction` (full IRI).
    pub kind: Option<String>,
    /// The variant rule that gave the kind.
    pub classified_by: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Abundance {
    pub iri: String,
    pub taxon: Option<String>,
    pub label: Option<String>,
    pub fraction: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Medication {
    pub iri: String,
    pub label: Option<String>,
    pub status: Option<String>,
    /// The store's drugs it gives.
    pub drugs: Vec<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    /// The structured dose, its unit (UCUM) and the interval between doses (hours).
    pub dose: Option<f64>,
    pub dose_unit: Option<String>,
    pub interval_hours: Option<f64>,
    /// The route's IRI (`tw:Oral`, `tw:Intravenous`).
    pub route: Option<String>,
    /// The dosage as written.
    pub dosage_text: Option<String>,
    /// Some of dose, interval and route were read from `dosage_text`.
    pub dosage_read_from_text: bool,
    /// The dose was counted in tablets or capsules and multiplied by the named strength.
    pub dose_from_strength: bool,
}

/// A run made on the twin, as its record lists it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub id: String,
    pub iri: String,
    pub pathway: Option<String>,
    pub started: Option<String>,
    pub drugs: Vec<String>,
    /// (node name, value at the end) for the nodes or species that stand for phenotypes: a
    /// logical run's probability of being on, a kinetic run's value.
    pub results: Vec<(String, f64)>,
}
