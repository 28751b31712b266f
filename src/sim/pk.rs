//! What concentration does a dosing regimen give, and how much of a drug's target does it
//! occupy? A drug's curated PK parameters become a one-compartment model (first-order
//! absorption from a gut depot for oral drugs, a bolus into the plasma for intravenous ones,
//! first-order elimination), built as a reaction system that the one ODE compiler
//! (`sim::ode`) runs like any kinetic pathway, one dosing interval at a time: each interval
//! starts from where the last ended plus the dose, so a dose lands exactly at its time (a
//! dose as an event would land wherever the root finder puts the crossing). The regimen is
//! followed to steady state, and the exposure read from its last dosing interval.

use crate::model::math::parse;
use crate::model::reactions::{
    Compartment, InitialAssignment, KineticLaw, Parameter, Reaction, ReactionSystem, Rule, Species,
    SpeciesReference,
};
use crate::sim::ode::{self, Quantity, Tolerances};
use std::fmt;

/// A PK model that cannot be built or run, in words that name the missing or bad parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct PkError(pub String);

impl fmt::Display for PkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PkError {}

/// A curated value with its unit as written (`"L/h"`, `"d"`, `"g/mol"`) and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CuratedValue {
    pub value: f64,
    pub unit: String,
    /// The parameter's IRI, named in errors and in the derivations.
    pub source: String,
}

/// A drug's curated PK parameters, each optional: the model takes what it needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrugPk {
    pub clearance: Option<CuratedValue>,
    pub volume: Option<CuratedValue>,
    pub half_life: Option<CuratedValue>,
    pub elimination_rate: Option<CuratedValue>,
    pub absorption_rate: Option<CuratedValue>,
    pub tmax: Option<CuratedValue>,
    pub bioavailability: Option<CuratedValue>,
    pub protein_binding: Option<CuratedValue>,
    pub molar_mass: Option<CuratedValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    Oral,
    Intravenous,
}

/// Repeated equal doses: `dose_mg` every `interval_h` hours, the first at time 0.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Regimen {
    pub dose_mg: f64,
    pub interval_h: f64,
    pub route: Route,
}

/// The one-compartment model in hours, litres and milligrams.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OneCompartment {
    /// Elimination rate constant (1/h).
    pub ke: f64,
    /// Volume of distribution (L); apparent (V/F) when no bioavailability is curated.
    pub volume: f64,
    /// Absorption rate constant (1/h), for oral doses.
    pub ka: Option<f64>,
    /// Fraction of an oral dose that reaches the plasma (1 when the curated clearance and
    /// volume are apparent, CL/F and V/F, which already carry it).
    pub bioavailability: f64,
    /// How each number was obtained, in words (`ke = CL / V`), for the run's record.
    pub derivations: Vec<String>,
}

/// What a regimen gives at steady state (concentrations in mg/L, times in hours).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Exposure {
    /// Doses simulated: enough to reach steady state (ten half-lives), at least two.
    pub doses: usize,
    /// The end of the simulation: `doses` intervals.
    pub horizon_h: f64,
    /// Highest concentration in the last interval, on the output grid.
    pub cmax: f64,
    /// Concentration at the end of the last interval, just before a next dose (the trough).
    pub cmin: f64,
    /// Mean concentration over the last interval: its AUC over τ.
    pub cavg: f64,
    /// Area under the concentration curve over the last interval (mg·h/L).
    pub auc_interval: f64,
    /// Area under the concentration curve from the first dose to the horizon (mg·h/L).
    pub auc_total: f64,
    /// Concentration at each output time: (hours, mg/L); a dose time appears twice, just
    /// before the dose (the end of an interval) and just after it (the start of the next).
    pub series: Vec<(f64, f64)>,
}

/// Hours in one of `unit`.
fn hours(unit: &str) -> Option<f64> {
    Some(match unit.trim() {
        "h" | "hr" | "hour" | "hours" => 1.0,
        "d" | "day" | "days" => 24.0,
        "min" => 1.0 / 60.0,
        "s" => 1.0 / 3600.0,
        "wk" | "week" | "weeks" => 168.0,
        _ => return None,
    })
}

fn litres(unit: &str) -> Option<f64> {
    Some(match unit.trim() {
        "L" | "l" => 1.0,
        "mL" | "ml" => 1e-3,
        _ => return None,
    })
}

fn bad_unit(q: &CuratedValue, what: &str) -> PkError {
    PkError(format!(
        "{}: unit {:?} is not a unit of {what}",
        q.source, q.unit
    ))
}

fn positive(q: &CuratedValue, what: &str) -> Result<f64, PkError> {
    if q.value.is_finite() && q.value > 0.0 {
        Ok(q.value)
    } else {
        Err(PkError(format!(
            "{}: the {what} must be a positive number, not {}",
            q.source, q.value
        )))
    }
}

/// A time in hours.
pub fn time_h(q: &CuratedValue, what: &str) -> Result<f64, PkError> {
    let factor = hours(&q.unit).ok_or_else(|| bad_unit(q, "time"))?;
    Ok(positive(q, what)? * factor)
}

/// A volume in litres.
fn volume_l(q: &CuratedValue) -> Result<f64, PkError> {
    let factor = litres(&q.unit).ok_or_else(|| bad_unit(q, "volume"))?;
    Ok(positive(q, "volume of distribution")? * factor)
}

/// A clearance in L/h (`L/h`, `L/d`, `mL/min`, …: a volume over a time).
fn clearance_l_per_h(q: &CuratedValue) -> Result<f64, PkError> {
    let (v, t) = q
        .unit
        .split_once('/')
        .ok_or_else(|| bad_unit(q, "clearance"))?;
    let (Some(v), Some(t)) = (litres(v), hours(t)) else {
        return Err(bad_unit(q, "clearance"));
    };
    Ok(positive(q, "clearance")? * v / t)
}

/// A first-order rate constant in 1/h.
fn rate_per_h(q: &CuratedValue, what: &str) -> Result<f64, PkError> {
    let t = q
        .unit
        .strip_prefix("1/")
        .and_then(hours)
        .ok_or_else(|| bad_unit(q, "a first-order rate"))?;
    Ok(positive(q, what)? / t)
}

/// A fraction between 0 and 1 (unit `1` or `%`).
fn fraction(q: &CuratedValue, what: &str) -> Result<f64, PkError> {
    let v = match q.unit.trim() {
        "1" | "" => q.value,
        "%" => q.value / 100.0,
        _ => return Err(bad_unit(q, "a fraction")),
    };
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(PkError(format!(
            "{}: the {what} must lie between 0 and 1, not {v}",
            q.source
        )))
    }
}

/// The molar mass in g/mol (`g/mol`, `Da`, `kDa`).
pub fn molar_mass_g_per_mol(q: &CuratedValue) -> Result<f64, PkError> {
    let factor = match q.unit.trim() {
        "g/mol" | "Da" => 1.0,
        "kg/mol" | "kDa" => 1000.0,
        _ => return Err(bad_unit(q, "molar mass")),
    };
    Ok(positive(q, "molar mass")? * factor)
}

/// The fraction of a drug's plasma concentration that is unbound (1 when no binding is
/// curated): only free drug reaches its target.
pub fn unbound_fraction(pk: &DrugPk) -> Result<f64, PkError> {
    match &pk.protein_binding {
        Some(q) => Ok(1.0 - fraction(q, "protein binding")?),
        None => Ok(1.0),
    }
}

impl OneCompartment {
    /// The model a drug's parameters define for `route`: any two of clearance, volume and
    /// half-life (or an elimination rate), and for oral doses an absorption rate or a tmax.
    pub fn from_parameters(pk: &DrugPk, route: Route) -> Result<OneCompartment, PkError> {
        let mut derivations = Vec::new();
        let cl = pk.clearance.as_ref().map(clearance_l_per_h).transpose()?;
        let v = pk.volume.as_ref().map(volume_l).transpose()?;
        let half = pk
            .half_life
            .as_ref()
            .map(|q| time_h(q, "half-life"))
            .transpose()?;
        let k = pk
            .elimination_rate
            .as_ref()
            .map(|q| rate_per_h(q, "elimination rate"))
            .transpose()?;
        let ln2 = std::f64::consts::LN_2;
        // With clearance and a terminal half-life both curated, they win over a (central)
        // volume: for a drug with more than one compartment, CL and the terminal half-life
        // set accumulation and troughs, and V = CL·t½/ln 2 is the terminal-phase volume.
        let (ke, volume) = match (k, cl, v, half) {
            (Some(ke), _, Some(v), _) => (ke, v),
            (None, Some(cl), Some(_), Some(half)) => {
                derivations.push("ke = ln 2 / t½".to_owned());
                derivations.push(
                    "V = CL · t½ / ln 2 (the terminal-phase volume, in place of the curated volume)"
                        .to_owned(),
                );
                (ln2 / half, cl * half / ln2)
            }
            (Some(ke), Some(cl), None, _) => {
                derivations.push("V = CL / ke".to_owned());
                (ke, cl / ke)
            }
            (None, Some(cl), Some(v), _) => {
                derivations.push("ke = CL / V".to_owned());
                (cl / v, v)
            }
            (None, Some(cl), None, Some(half)) => {
                derivations.push("ke = ln 2 / t½".to_owned());
                derivations.push("V = CL · t½ / ln 2".to_owned());
                (ln2 / half, cl * half / ln2)
            }
            (None, None, Some(v), Some(half)) => {
                derivations.push("ke = ln 2 / t½".to_owned());
                (ln2 / half, v)
            }
            _ => {
                let mut have = Vec::new();
                if cl.is_some() {
                    have.push("clearance");
                }
                if v.is_some() {
                    have.push("volume of distribution");
                }
                if half.is_some() {
                    have.push("half-life");
                }
                if k.is_some() {
                    have.push("elimination rate");
                }
                return Err(PkError(format!(
                    "a one-compartment model needs two of clearance, volume of distribution and half-life (or an elimination rate with one of the first two); the drug has {}",
                    if have.is_empty() { "none".to_owned() } else { have.join(", ") }
                )));
            }
        };
        let (ka, bioavailability) = match route {
            Route::Intravenous => (None, 1.0),
            Route::Oral => {
                let ka = match (&pk.absorption_rate, &pk.tmax) {
                    (Some(q), _) => rate_per_h(q, "absorption rate")?,
                    (None, Some(q)) => {
                        let tmax = time_h(q, "tmax")?;
                        derivations.push("ka from tmax = ln(ka/ke) / (ka − ke)".to_owned());
                        absorption_from_tmax(tmax, ke).ok_or_else(|| {
                            PkError(format!(
                                "{}: a tmax of {tmax} h is not reached by any absorption faster than an elimination of {ke:.4}/h (tmax must be below 1/ke = {:.1} h)",
                                q.source,
                                1.0 / ke
                            ))
                        })?
                    }
                    (None, None) => {
                        return Err(PkError(
                            "an oral dose needs an absorption rate or a tmax; the drug has neither"
                                .into(),
                        ))
                    }
                };
                let f = match &pk.bioavailability {
                    Some(q) => fraction(q, "bioavailability")?,
                    None => {
                        derivations.push(
                            "F = 1: clearance and volume read as apparent (CL/F, V/F)".to_owned(),
                        );
                        1.0
                    }
                };
                (Some(ka), f)
            }
        };
        Ok(OneCompartment {
            ke,
            volume,
            ka,
            bioavailability,
            derivations,
        })
    }

    /// The model as a reaction system: amounts in mg (`depot`, `central`), the plasma
    /// concentration `C` (mg/L) and its running integral `AUC` as rules, all starting from the
    /// parameters `depot0`, `central0` and `AUC0`, which each dosing interval sets.
    pub fn reaction_system(&self, route: Route) -> ReactionSystem {
        let species = |id: &str| Species {
            id: id.to_owned(),
            name: None,
            compartment: "body".into(),
            initial_amount: Some(0.0),
            initial_concentration: None,
            has_only_substance_units: true,
            boundary_condition: false,
            constant: false,
            conversion_factor: None,
            substance_units: Some("mg".into()),
        };
        let parameter = |id: &str, value: f64, constant: bool| Parameter {
            id: id.to_owned(),
            name: None,
            value: Some(value),
            constant,
            units: None,
        };
        // The texts below are fixed and parse; falling back to 0 keeps a typo from panicking
        // (the closed-form tests would catch it).
        let math = |text: &str| parse(text).unwrap_or(crate::model::math::Expr::number(0.0));
        let reference = |species: &str| SpeciesReference {
            species: species.to_owned(),
            id: None,
            stoichiometry: Some(1.0),
            constant: true,
            stoichiometry_math: None,
        };
        let reaction = |id: &str, from: &str, to: Option<&str>, rate: &str| Reaction {
            id: id.to_owned(),
            name: None,
            reversible: false,
            fast: false,
            reactants: vec![reference(from)],
            products: to.map(reference).into_iter().collect(),
            modifiers: Vec::new(),
            kinetic_law: Some(KineticLaw {
                math: Some(math(rate)),
                local_parameters: Vec::new(),
            }),
            compartment: Some("body".into()),
        };
        let start = |symbol: &str, from: &str| InitialAssignment {
            symbol: symbol.to_owned(),
            math: math(from),
        };
        let mut system = ReactionSystem {
            id: "one_compartment_pk".into(),
            name: Some("one-compartment PK".into()),
            compartments: vec![Compartment {
                id: "body".into(),
                name: None,
                size: Some(1.0),
                constant: true,
                spatial_dimensions: Some(3.0),
                units: None,
            }],
            species: vec![species("depot"), species("central")],
            parameters: vec![
                parameter("ke", self.ke, true),
                parameter("ka", self.ka.unwrap_or(0.0), true),
                parameter("V", self.volume, true),
                parameter("depot0", 0.0, true),
                parameter("central0", 0.0, true),
                parameter("AUC0", 0.0, true),
                parameter("C", 0.0, false),
                parameter("AUC", 0.0, false),
            ],
            reactions: vec![reaction("elimination", "central", None, "ke * central")],
            rules: vec![
                Rule::Assignment {
                    variable: "C".into(),
                    math: math("central / V"),
                },
                Rule::Rate {
                    variable: "AUC".into(),
                    math: math("C"),
                },
            ],
            initial_assignments: vec![
                start("depot", "depot0"),
                start("central", "central0"),
                start("AUC", "AUC0"),
            ],
            ..Default::default()
        };
        if route == Route::Oral {
            system.reactions.push(reaction(
                "absorption",
                "depot",
                Some("central"),
                "ka * depot",
            ));
        }
        system
    }

    /// The number of doses that reaches steady state: ten half-lives of the slower of
    /// absorption and elimination (within 0.1% of it), and one interval more to read it,
    /// between 2 and `limit`.
    pub fn doses_to_steady_state(&self, interval_h: f64, limit: usize) -> usize {
        let slowest = self.ka.map_or(self.ke, |ka| ka.min(self.ke));
        let span = 10.0 * std::f64::consts::LN_2 / slowest;
        let n = (span / interval_h).ceil() + 1.0;
        if n.is_finite() {
            (n as usize).clamp(2, limit.max(2))
        } else {
            limit.max(2)
        }
    }

    /// Simulates `doses` doses of `regimen` with the ODE route, `per_interval` output points a
    /// dosing interval, and reads the exposure of the last interval.
    pub fn exposure(
        &self,
        regimen: &Regimen,
        doses: usize,
        per_interval: usize,
    ) -> Result<Exposure, PkError> {
        if !(regimen.dose_mg.is_finite() && regimen.dose_mg > 0.0) {
            return Err(PkError(format!(
                "the dose must be a positive number of mg, not {}",
                regimen.dose_mg
            )));
        }
        if !(regimen.interval_h.is_finite() && regimen.interval_h > 0.0) {
            return Err(PkError(format!(
                "the dosing interval must be a positive number of hours, not {}",
                regimen.interval_h
            )));
        }
        let doses = doses.max(2);
        let per_interval = per_interval.max(2);
        let system = self.reaction_system(regimen.route);
        let model = ode::compile(&system, 0.0).map_err(|e| PkError(e.to_string()))?;
        let slot = |name: &str| {
            model
                .index
                .get(name)
                .copied()
                .ok_or_else(|| PkError(format!("the PK model lost its symbol {name}")))
        };
        let (depot0, central0, auc0) = (slot("depot0")?, slot("central0")?, slot("AUC0")?);
        let read = |point: &[f64], name: &str| {
            model
                .value(point, name, Quantity::AsIs)
                .ok_or_else(|| PkError(format!("the PK model lost its symbol {name}")))
        };
        let local: Vec<f64> = (0..=per_interval)
            .map(|j| regimen.interval_h * j as f64 / per_interval as f64)
            .collect();
        let tolerances = Tolerances {
            relative: 1e-8,
            absolute: 1e-12,
        };
        let given = self.bioavailability * regimen.dose_mg;
        let (mut depot, mut central, mut area) = (0.0, 0.0, 0.0);
        // Per interval, (time, C, AUC) from just after its dose to just before the next.
        let mut series = Vec::with_capacity(doses * (per_interval + 1));
        let mut auc = Vec::with_capacity(doses * (per_interval + 1));
        for k in 0..doses {
            match regimen.route {
                Route::Oral => depot += given,
                Route::Intravenous => central += regimen.dose_mg,
            }
            let start = model.initial_with(&[(depot0, depot), (central0, central), (auc0, area)]);
            let trajectory = ode::simulate_from(&model, &start, &local, tolerances)
                .map_err(|e| PkError(format!("the PK model did not simulate: {e}")))?;
            let offset = k as f64 * regimen.interval_h;
            for (t, point) in trajectory.times.iter().zip(&trajectory.points) {
                series.push((offset + t, read(point, "C")?));
                auc.push(read(point, "AUC")?);
            }
            let end = trajectory
                .points
                .last()
                .ok_or_else(|| PkError("the PK model reported no values".into()))?;
            depot = read(end, "depot")?;
            central = read(end, "central")?;
            area = read(end, "AUC")?;
        }
        let horizon = doses as f64 * regimen.interval_h;
        let points = series.len() - 1;
        let last_start = points - per_interval;
        let cmax = series[last_start..]
            .iter()
            .map(|(_, c)| *c)
            .fold(f64::NEG_INFINITY, f64::max);
        let cmin = series[points].1;
        let auc_interval = auc[points] - auc[last_start];
        Ok(Exposure {
            doses,
            horizon_h: horizon,
            cmax,
            cmin,
            cavg: auc_interval / regimen.interval_h,
            auc_interval,
            auc_total: auc[points],
            series,
        })
    }
}

/// The absorption rate constant `ka > ke` whose Bateman curve peaks at `tmax`:
/// `tmax = ln(ka/ke) / (ka − ke)`, which falls from `1/ke` towards 0 as `ka` grows, so a
/// bisection on `ln ka` finds it when `tmax < 1/ke`.
pub fn absorption_from_tmax(tmax: f64, ke: f64) -> Option<f64> {
    if !(tmax > 0.0 && ke > 0.0 && tmax * ke < 1.0) {
        return None;
    }
    let peak = |ka: f64| (ka / ke).ln() / (ka - ke);
    let (mut lo, mut hi) = (ke * (1.0 + 1e-9), 2.0 * ke);
    // Grow the upper end until its peak comes before tmax.
    while peak(hi) >= tmax {
        hi *= 2.0;
        if !hi.is_finite() {
            return None;
        }
    }
    for _ in 0..200 {
        let mid = (lo * hi).sqrt();
        if peak(mid) > tmax {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi / lo - 1.0 < 1e-13 {
            break;
        }
    }
    Some((lo * hi).sqrt())
}

/// The fraction of a target bound at a free concentration `c_nm` with potency `potency_nm`
/// (an IC50 or Kd): the Hill–Langmuir occupancy with a Hill coefficient of 1.
pub fn occupancy(c_nm: f64, potency_nm: f64) -> f64 {
    if c_nm <= 0.0 || !c_nm.is_finite() || !(potency_nm > 0.0) {
        return 0.0;
    }
    c_nm / (c_nm + potency_nm)
}

/// A concentration in mg/L as nM, for a drug of molar mass `g_per_mol`.
pub fn nanomolar(mg_per_l: f64, g_per_mol: f64) -> f64 {
    mg_per_l / g_per_mol * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(value: f64, unit: &str) -> Option<CuratedValue> {
        Some(CuratedValue {
            value,
            unit: unit.into(),
            source: "test".into(),
        })
    }

    /// Superposition of single-dose curves: the textbook closed forms the ODE route must match.
    fn closed_form(m: &OneCompartment, r: &Regimen, t: f64) -> f64 {
        let mut c = 0.0;
        let mut k = 0.0;
        while k * r.interval_h <= t + 1e-12 {
            let s = t - k * r.interval_h;
            c += match m.ka {
                None => r.dose_mg / m.volume * (-m.ke * s).exp(),
                Some(ka) => {
                    m.bioavailability * r.dose_mg * ka / (m.volume * (ka - m.ke))
                        * ((-m.ke * s).exp() - (-ka * s).exp())
                }
            };
            k += 1.0;
        }
        c
    }

    #[test]
    fn oral_and_intravenous_regimens_match_the_closed_forms() {
        let pk = DrugPk {
            clearance: q(3.0, "L/h"),
            volume: q(60.0, "L"),
            absorption_rate: q(0.9, "1/h"),
            bioavailability: q(0.7, "1"),
            ..Default::default()
        };
        for route in [Route::Oral, Route::Intravenous] {
            let model = OneCompartment::from_parameters(&pk, route).expect("builds");
            assert!((model.ke - 0.05).abs() < 1e-12);
            let regimen = Regimen {
                dose_mg: 100.0,
                interval_h: 12.0,
                route,
            };
            let doses = model.doses_to_steady_state(12.0, 500);
            let exposure = model.exposure(&regimen, doses, 48).expect("simulates");
            for (i, (t, c)) in exposure.series.iter().enumerate() {
                // Each interval ends just before the next dose, at that dose's time.
                let ends_interval = i % 49 == 48;
                let expected = closed_form(
                    &model,
                    &regimen,
                    *t - if ends_interval { 1e-9 } else { 0.0 },
                );
                assert!(
                    (c - expected).abs() <= 1e-6 * expected.abs() + 1e-9,
                    "{route:?} at t = {t}: {c} against {expected}"
                );
            }
            // At steady state the mean concentration is F·dose / (CL·τ).
            let cavg = model.bioavailability * 100.0 / (3.0 * 12.0);
            assert!(
                (exposure.cavg - cavg).abs() < 2e-3 * cavg,
                "{route:?}: cavg {} against {cavg}",
                exposure.cavg
            );
            assert!(exposure.cmax > exposure.cavg && exposure.cavg > exposure.cmin);
        }
    }

    #[test]
    fn missing_and_derived_parameters_are_said() {
        let only_half = DrugPk {
            half_life: q(10.0, "h"),
            ..Default::default()
        };
        let e = OneCompartment::from_parameters(&only_half, Route::Intravenous).unwrap_err();
        assert!(e.0.contains("half-life"), "{e}");
        let no_absorption = DrugPk {
            clearance: q(24.0, "L/d"),
            half_life: q(1.0, "d"),
            ..Default::default()
        };
        let e = OneCompartment::from_parameters(&no_absorption, Route::Oral).unwrap_err();
        assert!(e.0.contains("tmax"), "{e}");
        let m = OneCompartment::from_parameters(&no_absorption, Route::Intravenous).unwrap();
        assert!((m.ke - std::f64::consts::LN_2 / 24.0).abs() < 1e-12);
        assert!((m.volume - 24.0 / std::f64::consts::LN_2).abs() < 1e-9);
        assert!(m.derivations.iter().any(|d| d.contains("CL · t½")));
        let bad = DrugPk {
            clearance: q(1.0, "furlongs"),
            volume: q(1.0, "L"),
            ..Default::default()
        };
        assert!(OneCompartment::from_parameters(&bad, Route::Intravenous)
            .unwrap_err()
            .0
            .contains("furlongs"));
    }

    #[test]
    fn absorption_from_tmax_inverts_the_peak_time() {
        let ke = 0.03;
        for ka in [0.05, 0.5, 3.0, 40.0] {
            let tmax = (ka / ke as f64).ln() / (ka - ke);
            let found = absorption_from_tmax(tmax, ke).expect("solvable");
            assert!((found - ka).abs() < 1e-8 * ka, "{ka} -> {found}");
        }
        assert_eq!(absorption_from_tmax(1.0 / ke, ke), None);
    }

    #[test]
    fn occupancy_is_half_at_the_potency() {
        assert!((occupancy(10.0, 10.0) - 0.5).abs() < 1e-15);
        assert_eq!(occupancy(0.0, 10.0), 0.0);
        // 1 mg/L of a 500 g/mol drug is 2 µM.
        assert!((nanomolar(1.0, 500.0) - 2000.0).abs() < 1e-9);
    }
}
