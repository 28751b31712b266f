//! What does an SBML Test Suite case ask for? Reads a case's settings file (`start`, `duration`,
//! `steps`, `variables`, `absolute`, `relative`, `amount`, `concentration`) and judges results by
//! the suite's rule, `|expected − actual| ≤ absolute + relative·|expected|`.

use std::fmt;

use super::simulate::Quantity;

/// A case's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub start: f64,
    pub duration: f64,
    pub steps: usize,
    pub variables: Vec<String>,
    pub absolute: f64,
    pub relative: f64,
    /// Species reported as amounts.
    pub amount: Vec<String>,
    /// Species reported as concentrations.
    pub concentration: Vec<String>,
}

/// A problem in a settings file, with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SettingsError {}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Settings {
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        let mut s = Settings {
            start: 0.0,
            duration: f64::NAN,
            steps: 0,
            variables: Vec::new(),
            absolute: 0.0,
            relative: 0.0,
            amount: Vec::new(),
            concentration: Vec::new(),
        };
        let mut seen_duration = false;
        let mut seen_steps = false;
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(SettingsError {
                    line: line_no,
                    message: format!("expected `key: value`, found {line:?}"),
                });
            };
            let value = value.trim();
            let number = |v: &str| -> Result<f64, SettingsError> {
                v.parse::<f64>().map_err(|_| SettingsError {
                    line: line_no,
                    message: format!("`{}` is not a number: {v:?}", key.trim()),
                })
            };
            match key.trim() {
                "start" => s.start = number(value)?,
                "duration" => {
                    s.duration = number(value)?;
                    seen_duration = true;
                }
                "steps" => {
                    s.steps = value.parse().map_err(|_| SettingsError {
                        line: line_no,
                        message: format!("`steps` is not a whole number: {value:?}"),
                    })?;
                    seen_steps = true;
                }
                "variables" => s.variables = list(value),
                "absolute" => s.absolute = number(value)?,
                "relative" => s.relative = number(value)?,
                "amount" => s.amount = list(value),
                "concentration" => s.concentration = list(value),
                // Other keys (such as a tolerance name in later suite versions) do not change the run.
                _ => {}
            }
        }
        if !seen_duration || !seen_steps {
            return Err(SettingsError {
                line: 0,
                message: "the settings need both `duration` and `steps`".into(),
            });
        }
        if !(s.duration >= 0.0) || s.steps == 0 {
            return Err(SettingsError {
                line: 0,
                message: "`duration` must be ≥ 0 and `steps` ≥ 1".into(),
            });
        }
        Ok(s)
    }

    /// The output times: `steps + 1` evenly spaced points from `start` to `start + duration`.
    pub fn times(&self) -> Vec<f64> {
        (0..=self.steps)
            .map(|i| self.start + self.duration * i as f64 / self.steps as f64)
            .collect()
    }

    /// How a variable is to be reported.
    pub fn quantity(&self, variable: &str) -> Quantity {
        if self.amount.iter().any(|v| v == variable) {
            Quantity::Amount
        } else if self.concentration.iter().any(|v| v == variable) {
            Quantity::Concentration
        } else {
            Quantity::AsIs
        }
    }

    /// Whether `actual` agrees with `expected` by the suite's rule (NaN agrees with NaN, and an
    /// infinity with the same infinity).
    pub fn agrees(&self, expected: f64, actual: f64) -> bool {
        if expected.is_nan() || actual.is_nan() {
            return expected.is_nan() && actual.is_nan();
        }
        if expected.is_infinite() || actual.is_infinite() {
            return expected == actual;
        }
        (expected - actual).abs() <= self.absolute + self.relative * expected.abs()
    }
}
