//! What does a twin's record change in a simulation? Curated rules (held in the store, see
//! `pathways/personalization.ttl`) read the twin's variants, tumour markers and medications
//! and hold nodes on or off or give drugs; every change names the rule and the finding behind
//! it, so `twin show` and a run's scenario can say why.

use super::record::TwinRecord;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum When {
    /// Each variant of this kind (full IRI), on the variant's gene.
    VariantKind(String),
    /// An observation with this code and coded value (concept IRIs), on the rule's gene.
    Observation { code: String, value: String },
    /// Each medication with this status: its drugs are given.
    MedicationStatus(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonalizationRule {
    pub iri: String,
    pub label: String,
    pub when: When,
    /// The gene the rule holds (observation rules); variant rules hold the variant's gene.
    pub gene: Option<String>,
    /// On (true) or off (false); absent for medication rules.
    pub holds: Option<bool>,
}

/// One change a rule makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Change {
    /// Hold the node compiled from `gene` on or off.
    Hold { gene: String, on: bool },
    /// Give `drug`: its targets are held as its action says.
    Give { drug: String },
}

/// A change, the rule behind it and the finding it read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    pub change: Change,
    pub rule: String,
    pub rule_label: String,
    pub finding: String,
    /// The finding in words (`ERBB2 copy number 9`, `anastrozole (active)`).
    pub finding_label: String,
}

/// Everything the rules change for one twin, in rule order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Personalization {
    pub applied: Vec<Applied>,
}

/// Applies `rules` to a twin's record.
pub fn personalize(record: &TwinRecord, rules: &[PersonalizationRule]) -> Personalization {
    let mut applied = Vec::new();
    for rule in rules {
        match &rule.when {
            When::VariantKind(kind) => {
                let Some(on) = rule.holds else { continue };
                for v in &record.variants {
                    if v.kind.as_deref() != Some(kind) {
                        continue;
                    }
                    let Some(gene) = &v.gene else { continue };
                    applied.push(Applied {
                        change: Change::Hold {
                            gene: gene.clone(),
                            on,
                        },
                        rule: rule.iri.clone(),
                        rule_label: rule.label.clone(),
                        finding: v.iri.clone(),
                        finding_label: variant_words(v),
                    });
                }
            }
            When::Observation { code, value } => {
                let (Some(on), Some(gene)) = (rule.holds, &rule.gene) else {
                    continue;
                };
                for o in &record.observations {
                    if o.codes.contains(code) && o.value_codes.contains(value) {
                        applied.push(Applied {
                            change: Change::Hold {
                                gene: gene.clone(),
                                on,
                            },
                            rule: rule.iri.clone(),
                            rule_label: rule.label.clone(),
                            finding: o.iri.clone(),
                            finding_label: format!(
                                "{}: {}",
                                o.label.as_deref().unwrap_or("observation"),
                                o.value_text.as_deref().unwrap_or("?")
                            ),
                        });
                    }
                }
            }
            When::MedicationStatus(status) => {
                for m in &record.medications {
                    if m.status.as_deref() != Some(status) {
                        continue;
                    }
                    for drug in &m.drugs {
                        applied.push(Applied {
                            change: Change::Give { drug: drug.clone() },
                            rule: rule.iri.clone(),
                            rule_label: rule.label.clone(),
                            finding: m.iri.clone(),
                            finding_label: format!(
                                "{} ({status})",
                                m.label.as_deref().unwrap_or("medication")
                            ),
                        });
                    }
                }
            }
        }
    }
    Personalization { applied }
}

fn variant_words(v: &super::record::Variant) -> String {
    let gene = v.symbol.as_deref().unwrap_or("?");
    let mut words = vec![gene.to_owned()];
    if let Some(p) = &v.amino_acid_change {
        words.push(p.clone());
    } else if let Some(c) = &v.dna_change {
        words.push(c.clone());
    }
    if let Some(n) = v.copy_number {
        words.push(format!("copy number {n}"));
    }
    if let Some(f) = v.allele_fraction {
        words.push(format!("VAF {f}"));
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twin::record::{Medication, Observation, Variant};

    #[test]
    fn each_rule_names_the_finding_it_read() {
        let record = TwinRecord {
            variants: vec![Variant {
                iri: "v1".into(),
                gene: Some("gene:ERBB2".into()),
                symbol: Some("ERBB2".into()),
                copy_number: Some(9.0),
                kind: Some("tw:Amplification".into()),
                ..Default::default()
            }],
            observations: vec![Observation {
                iri: "o1".into(),
                codes: vec!["loinc:85337-4".into()],
                value_codes: vec!["loinc:LA6577-6".into()],
                ..Default::default()
            }],
            medications: vec![Medication {
                iri: "m1".into(),
                status: Some("completed".into()),
                drugs: vec!["drug:paclitaxel".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let rules = vec![
            PersonalizationRule {
                iri: "r:amp".into(),
                label: "amp".into(),
                when: When::VariantKind("tw:Amplification".into()),
                gene: None,
                holds: Some(true),
            },
            PersonalizationRule {
                iri: "r:er".into(),
                label: "er".into(),
                when: When::Observation {
                    code: "loinc:85337-4".into(),
                    value: "loinc:LA6577-6".into(),
                },
                gene: Some("gene:ESR1".into()),
                holds: Some(false),
            },
            PersonalizationRule {
                iri: "r:med".into(),
                label: "med".into(),
                when: When::MedicationStatus("active".into()),
                gene: None,
                holds: None,
            },
        ];
        let p = personalize(&record, &rules);
        let changes: Vec<_> = p
            .applied
            .iter()
            .map(|a| (a.change.clone(), a.finding.as_str()))
            .collect();
        assert_eq!(
            changes,
            [
                (
                    Change::Hold {
                        gene: "gene:ERBB2".into(),
                        on: true
                    },
                    "v1"
                ),
                (
                    Change::Hold {
                        gene: "gene:ESR1".into(),
                        on: false
                    },
                    "o1"
                ),
            ]
        );
        assert_eq!(p.applied[0].finding_label, "ERBB2 copy number 9");
    }
}
