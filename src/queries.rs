//! Which named queries ship with twinpath, and what does each ask?
//!
//! A named query is a `queries/NAME.rq` file whose header comments give its title, a
//! description and its parameters:
//!
//! ```text
//! # title: Interactions of a pathway
//! # description: Every signed interaction with its source, target and evidence.
//! # param: pathway  IRI of the pathway (default: all pathways)
//! ```
//!
//! A parameter `p` is the query variable `?p`, which the query must select (oxigraph binds it
//! like an initial `VALUES`, so it also appears as a column); a value given for it is bound
//! before the query runs (`<IRI>` or an `http(s)://` value binds an IRI, anything else a
//! string literal).

use crate::error::{Error, Result};
use oxigraph::model::{Literal, NamedNode, Term, Variable};

/// One named query.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NamedQuery {
    pub name: String,
    pub title: String,
    pub description: String,
    pub params: Vec<QueryParam>,
    pub text: String,
}

/// A parameter of a named query.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryParam {
    pub name: String,
    pub description: String,
}

impl NamedQuery {
    fn parse(name: &str, text: &str) -> Self {
        let mut query = NamedQuery {
            name: name.to_owned(),
            title: name.to_owned(),
            description: String::new(),
            params: Vec::new(),
            text: text.to_owned(),
        };
        for line in text
            .lines()
            .map(str::trim)
            .take_while(|l| l.starts_with('#'))
        {
            let line = line.trim_start_matches('#').trim();
            if let Some(title) = line.strip_prefix("title:") {
                query.title = title.trim().to_owned();
            } else if let Some(description) = line.strip_prefix("description:") {
                if !query.description.is_empty() {
                    query.description.push(' ');
                }
                query.description.push_str(description.trim());
            } else if let Some(param) = line.strip_prefix("param:") {
                let param = param.trim();
                let (name, description) =
                    param.split_once(char::is_whitespace).unwrap_or((param, ""));
                query.params.push(QueryParam {
                    name: name.trim_start_matches('?').to_owned(),
                    description: description.trim().to_owned(),
                });
            }
        }
        query
    }

    /// Turns `name=value` pairs into variable bindings, refusing parameters the query does not declare.
    pub fn bindings(&self, values: &[(String, String)]) -> Result<Vec<(Variable, Term)>> {
        values
            .iter()
            .map(|(name, value)| {
                if !self.params.iter().any(|p| &p.name == name) {
                    let known: Vec<_> = self.params.iter().map(|p| p.name.as_str()).collect();
                    return Err(Error::BadInput(format!(
                        "query {} has no parameter {name:?} (parameters: {})",
                        self.name,
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    )));
                }
                let variable = Variable::new(name)
                    .map_err(|e| Error::BadInput(format!("parameter {name:?}: {e}")))?;
                Ok((variable, parse_value(value)?))
            })
            .collect()
    }
}

fn parse_value(value: &str) -> Result<Term> {
    let iri = value
        .strip_prefix('<')
        .and_then(|v| v.strip_suffix('>'))
        .or_else(|| {
            (value.starts_with("http://") || value.starts_with("https://")).then_some(value)
        });
    Ok(match iri {
        Some(iri) => NamedNode::new(iri)
            .map_err(|e| Error::BadInput(format!("{value:?} is not a valid IRI: {e}")))?
            .into(),
        None => Literal::from(value).into(),
    })
}

/// All named queries bundled with the binary, by name.
pub fn all() -> Vec<NamedQuery> {
    crate::engine::bundled_files("queries/")
        .filter_map(|(path, bytes)| {
            let name = path.strip_prefix("queries/")?.strip_suffix(".rq")?;
            Some(NamedQuery::parse(name, std::str::from_utf8(bytes).ok()?))
        })
        .collect()
}

/// The named query `name`.
pub fn get(name: &str) -> Result<NamedQuery> {
    let queries = all();
    queries
        .iter()
        .find(|q| q.name == name)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<_> = queries.iter().map(|q| q.name.as_str()).collect();
            Error::NotFound(format!(
                "no named query {name:?}; known: {}",
                names.join(", ")
            ))
        })
}
