//! What does the store know about giving a drug? Its curated PK parameters, its standard
//! regimen (dose, route, interval) and the potency at each of its targets, read from the
//! drugs' graph for the PK model (`sim::pk`).

use super::twins::{number, text};
use super::Store;
use crate::error::Result;
use crate::sim::pk::{CuratedValue, DrugPk, Route};

/// A drug's standard dose as curated: the amount per dose (`mg` or `mg/kg`) and its route.
#[derive(Debug, Clone, PartialEq)]
pub struct CuratedDose {
    pub value: CuratedValue,
    pub route: Option<Route>,
}

/// A target's potency in nM (an IC50 or a Kd), and the interaction that states it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TargetPotency {
    pub target: String,
    pub interaction: String,
    /// `IC50` or `Kd`.
    pub measure: String,
    pub nanomolar: f64,
}

/// What a PK model of the drug is built from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrugFacts {
    pub iri: String,
    pub label: Option<String>,
    pub pk: DrugPk,
    pub dose: Option<CuratedDose>,
    pub interval: Option<CuratedValue>,
    pub potencies: Vec<TargetPotency>,
}

/// nM in one of a potency unit.
fn nanomolar_per(unit: &str) -> Option<f64> {
    Some(match unit.trim() {
        "nM" | "nmol/L" => 1.0,
        "pM" => 1e-3,
        "uM" | "µM" | "μM" => 1e3,
        "mM" => 1e6,
        "M" => 1e9,
        _ => return None,
    })
}

impl Store {
    /// The curated facts about `drug` (a full IRI) that its PK model needs.
    pub fn drug_facts(&self, drug: &str) -> Result<DrugFacts> {
        let tw = crate::vocab::TW;
        let mut facts = DrugFacts {
            iri: drug.to_owned(),
            ..Default::default()
        };
        let label = self.select(&format!(
            "SELECT ?l WHERE {{ <{drug}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} LIMIT 1"
        ))?;
        facts.label = label.first().and_then(|r| text(r, "l"));
        for row in self.select(&format!(
            "PREFIX tw: <{tw}>
             SELECT ?p ?kind ?value ?unit ?route WHERE {{
               <{drug}> tw:parameter ?p . ?p tw:parameterKind ?kind ; tw:value ?value ; tw:unit ?unit .
               OPTIONAL {{ ?p tw:route ?route }} }} ORDER BY ?p"
        ))? {
            let (Some(p), Some(kind), Some(value), Some(unit)) = (
                text(&row, "p"),
                text(&row, "kind"),
                number(&row, "value"),
                text(&row, "unit"),
            ) else {
                continue;
            };
            let value = CuratedValue {
                value,
                unit,
                source: p,
            };
            let slot = match kind.strip_prefix(tw).unwrap_or("") {
                "Clearance" => &mut facts.pk.clearance,
                "VolumeOfDistribution" => &mut facts.pk.volume,
                "HalfLife" => &mut facts.pk.half_life,
                "EliminationRate" => &mut facts.pk.elimination_rate,
                "AbsorptionRate" => &mut facts.pk.absorption_rate,
                "Tmax" => &mut facts.pk.tmax,
                "Bioavailability" => &mut facts.pk.bioavailability,
                "ProteinBinding" => &mut facts.pk.protein_binding,
                "MolarMass" => &mut facts.pk.molar_mass,
                "DosingInterval" => &mut facts.interval,
                "Dose" => {
                    let route = match text(&row, "route").as_deref().and_then(|r| r.strip_prefix(tw)) {
                        Some("Oral") => Some(Route::Oral),
                        Some("Intravenous") => Some(Route::Intravenous),
                        _ => None,
                    };
                    // The first curated dose is the regimen's (the parameters come in IRI order).
                    if facts.dose.is_none() {
                        facts.dose = Some(CuratedDose { value, route });
                    }
                    continue;
                }
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value);
            }
        }
        for row in self.select(&format!(
            "PREFIX tw: <{tw}>
             SELECT ?ix ?target ?ic50 ?kd ?unit WHERE {{
               ?ix a tw:DrugTarget ; tw:source <{drug}> ; tw:target ?target .
               OPTIONAL {{ ?ix tw:ic50 ?ic50 }} OPTIONAL {{ ?ix tw:kd ?kd }} OPTIONAL {{ ?ix tw:unit ?unit }}
             }} ORDER BY ?ix"
        ))? {
            let (Some(ix), Some(target)) = (text(&row, "ix"), text(&row, "target")) else {
                continue;
            };
            // A binding constant says occupancy directly; an IC50 stands in for it.
            let (measure, value) = match (number(&row, "kd"), number(&row, "ic50")) {
                (Some(kd), _) => ("Kd", kd),
                (None, Some(ic50)) => ("IC50", ic50),
                _ => continue,
            };
            let Some(per) = text(&row, "unit").as_deref().and_then(nanomolar_per) else {
                continue;
            };
            if value > 0.0 && value.is_finite() {
                facts.potencies.push(TargetPotency {
                    target,
                    interaction: ix,
                    measure: measure.to_owned(),
                    nanomolar: value * per,
                });
            }
        }
        Ok(facts)
    }
}
