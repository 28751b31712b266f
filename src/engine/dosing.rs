//! How much of its targets does a drug occupy on its regimen? The drug's curated PK
//! parameters and the twin's prescribed (or the curated standard) dose become a one-compartment model (`sim::pk`), run to steady
//! state by the ODE route; its unbound mean concentration and the curated potencies give
//! the occupancy of each target, which a logical run turns into scaled rates.

use super::Engine;
use crate::error::Result;
use crate::sim::pk::{self, OneCompartment, Regimen, Route};
use crate::twin::provenance::{DrugExposure, Occupancy};
use crate::twin::{Medication, TwinRecord};

/// Doses simulated at most: a drug with a half-life far beyond its interval is read before
/// steady state rather than run for ever.
const MAX_DOSES: usize = 400;
/// Output points per dosing interval (the grid Cmax is read on).
const POINTS_PER_INTERVAL: usize = 48;

/// What a per-kilogram or per-square-metre dose needs of the twin: the latest body weight
/// (LOINC 29463-7) and height (LOINC 8302-2).
#[derive(Debug, Clone, Copy, Default)]
pub struct Body {
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
}

impl Body {
    pub fn of(record: &TwinRecord) -> Body {
        Body {
            weight_kg: latest(record, "https://loinc.org/29463-7", |v, unit| match unit {
                Some("kg") | None => Some(v),
                Some("g") => Some(v / 1000.0),
                Some("[lb_av]") | Some("lb") => Some(v * 0.453_592_37),
                Some(_) => None,
            }),
            height_cm: latest(record, "https://loinc.org/8302-2", |v, unit| match unit {
                Some("cm") | None => Some(v),
                Some("m") => Some(v * 100.0),
                Some("[in_i]") | Some("in") => Some(v * 2.54),
                Some(_) => None,
            }),
        }
    }

    /// Body surface area by Mosteller's formula, √(height cm × weight kg / 3600)
    /// (Mosteller 1987, doi:10.1056/NEJM198710223171717), the one oncology dosing uses.
    pub fn surface_area_m2(&self) -> Option<f64> {
        Some((self.height_cm? * self.weight_kg? / 3600.0).sqrt())
    }
}

/// The latest positive value of an observation coded `loinc`, converted by `to_unit`.
fn latest(
    record: &TwinRecord,
    loinc: &str,
    to_unit: impl Fn(f64, Option<&str>) -> Option<f64>,
) -> Option<f64> {
    record
        .observations
        .iter()
        .filter(|o| o.codes.iter().any(|c| c == loinc))
        .filter_map(|o| {
            let v = to_unit(o.value?, o.unit.as_deref().map(str::trim))?;
            (v > 0.0 && v.is_finite()).then_some((o.date.clone(), v))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v)
}

/// How the twin's record gave a dose that was not all structured.
fn how_read(m: &Medication) -> String {
    let mut how = Vec::new();
    if m.dose_from_strength {
        how.push("tablets or capsules times the named strength");
    }
    if m.dosage_read_from_text {
        how.push("partly read from its dosage text");
    }
    if how.is_empty() {
        String::new()
    } else {
        format!(" ({})", how.join("; "))
    }
}

impl Engine {
    /// The steady-state exposure of `drug` (a full IRI) on the twin's prescribed regimen
    /// (`prescribed`, where its record structures the dose, interval or route) or else the
    /// curated standard one, with the occupancy of each target whose potency is curated. The inner `Err` says, in words,
    /// which curated fact is missing; the outer one is a store failure.
    pub fn drug_exposure(
        &self,
        drug: &str,
        body: Body,
        prescribed: Option<&Medication>,
    ) -> Result<std::result::Result<DrugExposure, String>> {
        let facts = self.store.drug_facts(drug)?;
        let name = facts.label.clone().unwrap_or_else(|| drug.to_owned());
        // The twin's own structured dose wins over the curated standard one, part by part.
        let written = prescribed.and_then(|m| Some((m.dose?, m.dose_unit.clone()?, m)));
        let (amount, unit, dose_from) = match (&written, &facts.dose) {
            (Some((v, u, m)), _) => (
                *v,
                u.clone(),
                format!("the twin's {}{}", m.iri, how_read(m)),
            ),
            (None, Some(d)) => (d.value.value, d.value.unit.clone(), d.value.source.clone()),
            (None, None) => return Ok(Err(format!("{name} has no curated dose"))),
        };
        let route = match prescribed.and_then(|m| m.route.as_deref()) {
            Some(r) if r.ends_with("#Oral") => Some(Route::Oral),
            Some(r) if r.ends_with("#Intravenous") => Some(Route::Intravenous),
            _ => facts.dose.as_ref().and_then(|d| d.route),
        };
        let Some(route) = route else {
            return Ok(Err(format!("the dose of {name} has no route")));
        };
        let (interval_h, interval_from) = match prescribed.and_then(|m| m.interval_hours) {
            Some(h) => (
                h,
                format!(
                    "the twin's record{}",
                    prescribed.map(how_read).unwrap_or_default()
                ),
            ),
            None => match &facts.interval {
                Some(q) => match pk::time_h(q, "dosing interval") {
                    Ok(h) => (h, q.source.clone()),
                    Err(e) => return Ok(Err(e.0)),
                },
                None => return Ok(Err(format!("{name} has no dosing interval"))),
            },
        };
        let (dose_mg, regimen_source) = match unit.trim() {
            "mg" => (amount, dose_from),
            "g" => (amount * 1000.0, dose_from),
            "ug" | "mcg" => (amount / 1000.0, dose_from),
            "mg/kg" => match body.weight_kg {
                Some(kg) => (amount * kg, format!("{dose_from} at a body weight of {kg} kg")),
                None => {
                    return Ok(Err(format!(
                        "the dose of {name} is per kilogram and there is no body weight (LOINC 29463-7)"
                    )))
                }
            },
            "mg/m2" => match body.surface_area_m2() {
                Some(m2) => (
                    amount * m2,
                    format!("{dose_from} at a body surface area of {m2:.2} m² (Mosteller)"),
                ),
                None => {
                    return Ok(Err(format!(
                        "the dose of {name} is per square metre and there is no body height \
                         (LOINC 8302-2) and weight (LOINC 29463-7) to give the body surface area"
                    )))
                }
            },
            other => {
                return Ok(Err(format!(
                    "{dose_from}: dose unit {other:?} is not mg, g, ug, mg/kg or mg/m2"
                )))
            }
        };
        let regimen_source = format!("dose: {regimen_source}; interval: {interval_from}");
        let regimen = Regimen {
            dose_mg,
            interval_h,
            route,
        };
        let mut model = match OneCompartment::from_parameters(&facts.pk, route) {
            Ok(m) => m,
            Err(e) => return Ok(Err(format!("{name}: {e}"))),
        };
        // Small molecules bind plasma proteins (albumin, α1-acid glycoprotein), often above
        // 90 %, so the occupancy on the total concentration can be far above the true one;
        // antibodies (over 10 kg/mol) are not described that way.
        let small_molecule = facts
            .pk
            .molar_mass
            .as_ref()
            .and_then(|q| pk::molar_mass_g_per_mol(q).ok())
            .is_some_and(|m| m < 10_000.0);
        let occupancy_upper_bound =
            facts.pk.protein_binding.is_none() && small_molecule && !facts.potencies.is_empty();
        if occupancy_upper_bound {
            model.derivations.push(
                "no plasma protein binding curated: the total concentration stands for the unbound \
                 one, so each occupancy is an upper bound"
                    .to_owned(),
            );
        }
        let doses = model.doses_to_steady_state(interval_h, MAX_DOSES);
        let exposure = match model.exposure(&regimen, doses, POINTS_PER_INTERVAL) {
            Ok(e) => e,
            Err(e) => return Ok(Err(format!("{name}: {e}"))),
        };
        let unbound = match pk::unbound_fraction(&facts.pk) {
            Ok(f) => f,
            Err(e) => return Ok(Err(e.0)),
        };
        let unbound_cavg_nm = match &facts.pk.molar_mass {
            Some(q) => match pk::molar_mass_g_per_mol(q) {
                Ok(m) => Some(pk::nanomolar(exposure.cavg * unbound, m)),
                Err(e) => return Ok(Err(e.0)),
            },
            None => None,
        };
        let occupancy = unbound_cavg_nm
            .map(|c| {
                facts
                    .potencies
                    .iter()
                    .map(|p| Occupancy {
                        target: p.target.clone(),
                        interaction: p.interaction.clone(),
                        measure: p.measure.clone(),
                        potency_nm: p.nanomolar,
                        fraction: pk::occupancy(c, p.nanomolar),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Ok(DrugExposure {
            regimen,
            regimen_source,
            model,
            doses: exposure.doses,
            cmax: exposure.cmax,
            cmin: exposure.cmin,
            cavg: exposure.cavg,
            auc: exposure.auc_interval,
            unbound_cavg_nm,
            occupancy_upper_bound,
            occupancy,
        }))
    }
}
