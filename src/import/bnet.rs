//! How is a BoolNet `.bnet` file read? One `node, rule` line per node after an optional
//! `targets, factors` header; `#` starts a comment; a node that is read but never defined is an
//! input. Errors name the file, line and column.

use crate::error::{Error, Position, Result};
use crate::model::logical::LogicalModel;
use std::path::Path;

pub fn read(text: &str, file: &Path) -> Result<LogicalModel> {
    let error = |line: usize, column: usize, message: String| Error::Syntax {
        file: file.to_path_buf(),
        position: Some(Position {
            line: line as u64,
            column: column as u64,
        }),
        message,
    };
    // (name, rule, line, column where the rule starts)
    let mut rules: Vec<(String, String)> = Vec::new();
    let mut places: Vec<(usize, usize)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        if line.trim().is_empty() {
            continue;
        }
        let Some((name, rule)) = line.split_once(',') else {
            return Err(error(index + 1, 1, "a .bnet line is `node, rule`".into()));
        };
        let (name, rule_start) = (
            name.trim(),
            name.len() + 1 + (rule.len() - rule.trim_start().len()),
        );
        let rule = rule.trim();
        if name.eq_ignore_ascii_case("targets") && rule.eq_ignore_ascii_case("factors") {
            continue;
        }
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(error(
                index + 1,
                1,
                format!("{name:?} is not a node name (letters, digits and _)"),
            ));
        }
        if rule.is_empty() {
            return Err(error(
                index + 1,
                rule_start + 1,
                format!("{name} has no rule"),
            ));
        }
        if rules.iter().any(|(n, _)| n == name) {
            return Err(error(index + 1, 1, format!("{name} has a second rule")));
        }
        rules.push((name.to_owned(), rule.to_owned()));
        places.push((index + 1, rule_start));
    }
    if rules.is_empty() {
        return Err(Error::BadInput(format!(
            "{}: no node in the model",
            file.display()
        )));
    }
    // BoolNet files often leave inputs out (BioModels' BBM files do): a name a rule reads but
    // no line defines is an input, as BoolNet and pyboolnet read it.
    let declared = rules.len();
    for i in 0..declared {
        let rule = rules[i].1.clone();
        for word in rule.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            let keyword = matches!(
                word.to_ascii_lowercase().as_str(),
                "and" | "or" | "xor" | "not" | "true" | "false"
            );
            let name = word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            if name && !keyword && !rules.iter().any(|(n, _)| n == word) {
                rules.push((word.to_owned(), word.to_owned()));
            }
        }
    }
    LogicalModel::from_rules(&rules).map_err(|(i, e)| {
        let (line, start) = places[i];
        error(
            line,
            start + e.column,
            format!("the rule of {}: {}", rules[i].0, e.message),
        )
    })
}
