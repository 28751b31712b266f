//! What does a twin's record change in a simulation? Curated rules (held in the store, see
//! `pathways/personalization.ttl`) read the twin's variants, tumour markers, medications, age
//! and microbiome, and hold nodes on or off, give drugs, or scale the rate at which a node
//! turns on; every change names the rule and the finding behind it, so `twin show` and a
//! run's scenario can say why.

use super::record::{Abundance, TwinRecord};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum When {
    /// Each variant of this kind (full IRI), on the variant's gene.
    VariantKind(String),
    /// An observation with this code and coded value (concept IRIs), on the rule's gene.
    Observation { code: String, value: String },
    /// Each medication with this status: its drugs are given.
    MedicationStatus(String),
    /// The twin's age: the up rate of `entity`'s node is scaled by `age / reference_age`.
    Age { reference_age: f64, entity: String },
    /// The twin's microbiome: each metabolite a measured microbe produces has its up rate
    /// scaled by the mean, over the metabolite's curated producers, of each producer's
    /// abundance over its reference abundance (1 for a producer not measured or without a
    /// reference), as if every producer contributed equally at its reference abundance.
    Microbiome {
        /// (microbe, metabolite) for every curated production.
        productions: Vec<(String, String)>,
        /// (microbe, reference abundance 0–1, the parameter that states it).
        references: Vec<(String, f64, String)>,
    },
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
    /// Give `drug`: its targets are held as its action says, or their rates scaled by the
    /// occupancy its regimen gives.
    Give { drug: String },
    /// Multiply the rate at which the node compiled from `entity` turns on by `factor`.
    Scale { entity: String, factor: f64 },
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

/// Whole years from `birth` to `on` (both `YYYY-MM-DD…`); `None` when either is unreadable.
pub fn age_in_years(birth: &str, on: &str) -> Option<f64> {
    let ymd = |d: &str| -> Option<(i32, u32, u32)> {
        let mut parts = d.get(..10)?.split('-');
        Some((
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        ))
    };
    let (by, bm, bd) = ymd(birth)?;
    let (y, m, d) = ymd(on)?;
    let mut age = y - by;
    if (m, d) < (bm, bd) {
        age -= 1;
    }
    (age >= 0).then_some(f64::from(age))
}

/// Applies `rules` to a twin's record; `today` (`YYYY-MM-DD`) dates the age of a living twin.
pub fn personalize(
    record: &TwinRecord,
    rules: &[PersonalizationRule],
    today: &str,
) -> Personalization {
    let mut applied = Vec::new();
    for rule in rules {
        match &rule.when {
            When::Age {
                reference_age,
                entity,
            } => {
                // A deceased twin is simulated at the age it reached.
                let on = record
                    .deceased
                    .as_deref()
                    .filter(|d| d.len() >= 10)
                    .unwrap_or(today);
                let Some(age) = record
                    .birth_date
                    .as_deref()
                    .and_then(|b| age_in_years(b, on))
                else {
                    continue;
                };
                if !(*reference_age > 0.0) || age <= 0.0 {
                    continue;
                }
                applied.push(Applied {
                    change: Change::Scale {
                        entity: entity.clone(),
                        factor: age / reference_age,
                    },
                    rule: rule.iri.clone(),
                    rule_label: rule.label.clone(),
                    finding: record.iri.clone(),
                    finding_label: format!("age {age} (reference {reference_age})"),
                });
            }
            When::Microbiome {
                productions,
                references,
            } => {
                let ratio = |microbe: &str| -> Option<(f64, &Abundance)> {
                    let (_, reference, _) = references.iter().find(|(m, _, _)| m == microbe)?;
                    let measured = record
                        .microbiome
                        .iter()
                        .find(|a| a.taxon.as_deref() == Some(microbe) && a.fraction.is_some())?;
                    Some((measured.fraction? / reference, measured))
                };
                let mut metabolites: Vec<&str> =
                    productions.iter().map(|(_, m)| m.as_str()).collect();
                metabolites.sort_unstable();
                metabolites.dedup();
                for metabolite in metabolites {
                    let producers: Vec<&str> = productions
                        .iter()
                        .filter(|(_, m)| m == metabolite)
                        .map(|(p, _)| p.as_str())
                        .collect();
                    let ratios: Vec<Option<(f64, &Abundance)>> =
                        producers.iter().map(|p| ratio(p)).collect();
                    let measured: Vec<&(f64, &Abundance)> = ratios.iter().flatten().collect();
                    if measured.is_empty() {
                        continue;
                    }
                    let factor = ratios
                        .iter()
                        .map(|r| r.map_or(1.0, |(x, _)| x))
                        .sum::<f64>()
                        / producers.len() as f64;
                    let words: Vec<String> = measured
                        .iter()
                        .map(|(x, a)| {
                            format!(
                                "{} {:.4} ({:.2}× reference)",
                                a.label.as_deref().unwrap_or("microbe"),
                                a.fraction.unwrap_or_default(),
                                x
                            )
                        })
                        .collect();
                    applied.push(Applied {
                        change: Change::Scale {
                            entity: metabolite.to_owned(),
                            factor,
                        },
                        rule: rule.iri.clone(),
                        rule_label: rule.label.clone(),
                        finding: measured[0].1.iri.clone(),
                        finding_label: format!(
                            "{} of {} producer{}",
                            words.join(", "),
                            producers.len(),
                            if producers.len() == 1 { "" } else { "s" }
                        ),
                    });
                }
            }
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
        let p = personalize(&record, &rules, "2026-01-01");
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
