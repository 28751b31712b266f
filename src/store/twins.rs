//! Which twins does the store hold, what does each one's record say, and how does a FHIR
//! import or a simulation run land in their private graphs atomically?

use super::query::{Dataset, QueryAnswer, QueryLimits};
use super::Store;
use crate::error::{Error, Result};
use crate::import::fhir::{self, FhirBatch, Joins, VariantCondition, VariantRule};
use crate::vocab;
use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, Quad, Term};
use std::collections::{BTreeMap, HashMap};

/// One twin an import created or updated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TwinImported {
    pub id: String,
    pub iri: String,
    pub created: bool,
    /// Resources read into the twin.
    pub resources: usize,
}

/// A twin as `twin list` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TwinSummary {
    pub id: String,
    pub iri: String,
    pub name: Option<String>,
    #[serde(rename = "birthDate")]
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub variants: usize,
    pub runs: usize,
}

/// One solution of a SELECT: variable name → value.
pub(crate) type Row = HashMap<String, Term>;

/// A value of a row as plain text (an IRI's string, a literal's lexical form).
pub(crate) fn text(row: &Row, name: &str) -> Option<String> {
    row.get(name).map(|t| match t {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    })
}

pub(crate) fn number(row: &Row, name: &str) -> Option<f64> {
    text(row, name).and_then(|t| t.parse().ok())
}

const DEMOGRAPHICS: [&str; 6] = [
    "http://www.w3.org/2000/01/rdf-schema#label",
    "https://twinpath.org/ns#gender",
    "https://twinpath.org/ns#birthDate",
    "https://twinpath.org/ns#deceased",
    "https://twinpath.org/ns#fhirPatient",
    "https://twinpath.org/ns#twinId",
];

impl Store {
    /// Runs an internal SELECT over every graph (patients' included) and returns its rows.
    pub(crate) fn select(&self, query: &str) -> Result<Vec<Row>> {
        let limits = QueryLimits {
            timeout: std::time::Duration::from_secs(120),
            max_results: usize::MAX,
        };
        match self.query(query, &Dataset::default(), &[], limits, &[])? {
            QueryAnswer::Solutions { variables, rows } => Ok(rows
                .into_iter()
                .map(|row| {
                    variables
                        .iter()
                        .zip(row)
                        .filter_map(|(v, t)| Some((v.as_str().to_owned(), t?)))
                        .collect()
                })
                .collect()),
            _ => Err(Error::BadInput("internal query is not a SELECT".into())),
        }
    }

    /// What a FHIR record is joined to: the maps' genes, drugs and microbes, and the variant
    /// rules, read from the curated (non-private) graphs.
    pub fn twin_joins(&self) -> Result<Joins> {
        let mut joins = Joins::default();
        for row in self.select(
            "PREFIX tw: <https://twinpath.org/ns#>
             SELECT ?g ?symbol ?id WHERE { ?g a tw:Gene ; tw:symbol ?symbol .
               OPTIONAL { ?g tw:identifier ?id FILTER(STRSTARTS(STR(?id), \"https://identifiers.org/hgnc:\")) } }",
        )? {
            let (Some(gene), Some(symbol)) = (text(&row, "g"), text(&row, "symbol")) else {
                continue;
            };
            if let Some(id) = text(&row, "id") {
                let n = id.trim_start_matches("https://identifiers.org/hgnc:");
                joins.genes.insert(format!("hgnc:{n}"), gene.clone());
            }
            joins.genes.insert(symbol.to_ascii_uppercase(), gene);
        }
        for row in self.select(
            "PREFIX tw: <https://twinpath.org/ns#>
             PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
             PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
             SELECT ?d ?name WHERE { ?d a tw:Drug . { ?d rdfs:label ?name } UNION { ?d skos:altLabel ?name } }",
        )? {
            if let (Some(drug), Some(name)) = (text(&row, "d"), text(&row, "name")) {
                // Only one-word names: medications are matched word by word.
                if !name.contains(char::is_whitespace) {
                    joins.drugs.insert(name.to_lowercase(), drug);
                }
            }
        }
        for row in self.select(
            "PREFIX tw: <https://twinpath.org/ns#>
             SELECT ?m ?id WHERE { ?m a tw:Microbe ; tw:identifier ?id
               FILTER(STRSTARTS(STR(?id), \"https://identifiers.org/taxonomy:\")) }",
        )? {
            if let (Some(microbe), Some(id)) = (text(&row, "m"), text(&row, "id")) {
                let taxid = id.trim_start_matches("https://identifiers.org/taxonomy:");
                joins.microbes.insert(taxid.to_owned(), microbe);
            }
        }
        joins.variant_rules = self.variant_rules()?;
        Ok(joins)
    }

    fn variant_rules(&self) -> Result<Vec<VariantRule>> {
        let mut rules = Vec::new();
        for row in self.select(
            "PREFIX tw: <https://twinpath.org/ns#>
             SELECT ?r ?kind ?priority ?gene ?change ?min ?max ?truncating WHERE {
               ?r a tw:VariantRule ; tw:variantKind ?kind .
               OPTIONAL { ?r tw:priority ?priority } OPTIONAL { ?r tw:gene ?gene }
               OPTIONAL { ?r tw:aminoAcidChange ?change } OPTIONAL { ?r tw:minCopyNumber ?min }
               OPTIONAL { ?r tw:maxCopyNumber ?max } OPTIONAL { ?r tw:truncating ?truncating }
             } ORDER BY ?priority ?r",
        )? {
            let (Some(iri), Some(kind)) = (text(&row, "r"), text(&row, "kind")) else {
                continue;
            };
            let when =
                if let (Some(gene), Some(change)) = (text(&row, "gene"), text(&row, "change")) {
                    VariantCondition::Hotspot { gene, change }
                } else if let Some(min) = number(&row, "min") {
                    VariantCondition::CopyNumber {
                        min,
                        max: number(&row, "max"),
                    }
                } else if text(&row, "truncating").as_deref() == Some("true") {
                    VariantCondition::Truncating
                } else {
                    continue;
                };
            rules.push(VariantRule { iri, when, kind });
        }
        Ok(rules)
    }

    /// Writes what an import read, all twins in one transaction: each resource read replaces
    /// its earlier statements (a re-import updates, never duplicates); a Patient replaces the
    /// twin's demographics. Nothing is written when anything fails.
    pub fn import_twins(&self, batch: &FhirBatch) -> Result<Vec<TwinImported>> {
        let _writer = self.lock_writer();
        // Twins that are all new go through the bulk loader (as loads into new graphs do): it
        // commits all or nothing too, without holding the whole import in a transaction's index.
        let mut any_known = false;
        for id in batch.twins.keys() {
            any_known |= self.has_twin(id)?;
        }
        if !any_known {
            return self.import_new_twins(batch);
        }
        let mut transaction = self.inner.start_transaction()?;
        let mut out = Vec::new();
        for (id, statements) in &batch.twins {
            let graph = NamedNode::new(fhir::twin_graph(id))
                .map_err(|e| Error::BadInput(format!("twin id {id:?}: {e}")))?;
            let twin = NamedNode::new_unchecked(fhir::twin_iri(id));
            let g = GraphNameRef::NamedNode(graph.as_ref());
            let created = !transaction
                .quads_for_pattern(Some(twin.as_ref().into()), None, None, Some(g))
                .next()
                .is_some();
            let mut stale = Vec::new();
            for resource in &statements.resources {
                let r = NamedNodeRef::new_unchecked(resource);
                for q in transaction.quads_for_pattern(Some(r.into()), None, None, Some(g)) {
                    stale.push(q?);
                }
                for q in transaction.quads_for_pattern(None, None, Some(r.into()), Some(g)) {
                    stale.push(q?);
                }
            }
            if statements.has_patient {
                for p in DEMOGRAPHICS {
                    let p = NamedNodeRef::new_unchecked(p);
                    for q in transaction.quads_for_pattern(
                        Some(twin.as_ref().into()),
                        Some(p),
                        None,
                        Some(g),
                    ) {
                        stale.push(q?);
                    }
                }
            }
            // Replace by difference: a re-import of unchanged records writes nothing, so the
            // transaction (held in memory until commit) stays small.
            let header = Self::twin_header(&twin, id, &graph);
            let incoming: std::collections::HashSet<&Quad> =
                statements.quads.iter().chain(header.iter()).collect();
            let existing: std::collections::HashSet<Quad> = stale.into_iter().collect();
            for quad in existing.iter().filter(|q| !incoming.contains(q)) {
                transaction.remove(quad);
            }
            for quad in incoming {
                if !existing.contains(quad) {
                    transaction.insert(quad);
                }
            }
            out.push(TwinImported {
                id: id.clone(),
                iri: twin.as_str().to_owned(),
                created,
                resources: statements.resources.len(),
            });
        }
        transaction.commit()?;
        Ok(out)
    }

    fn import_new_twins(&self, batch: &FhirBatch) -> Result<Vec<TwinImported>> {
        let mut loader = self.inner.bulk_loader();
        let mut out = Vec::new();
        for (id, statements) in &batch.twins {
            let graph = NamedNode::new(fhir::twin_graph(id))
                .map_err(|e| Error::BadInput(format!("twin id {id:?}: {e}")))?;
            let twin = NamedNode::new_unchecked(fhir::twin_iri(id));
            loader.load_quads(Self::twin_header(&twin, id, &graph))?;
            loader.load_quads(statements.quads.iter().cloned())?;
            out.push(TwinImported {
                id: id.clone(),
                iri: twin.as_str().to_owned(),
                created: true,
                resources: statements.resources.len(),
            });
        }
        loader.commit()?;
        Ok(out)
    }

    /// Every twin is typed and carries its id, even one whose Patient comes in a later file.
    fn twin_header(twin: &NamedNode, id: &str, graph: &NamedNode) -> [Quad; 2] {
        [
            Quad::new(
                twin.clone(),
                NamedNode::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                NamedNode::new_unchecked(format!("{}PatientTwin", vocab::TW)),
                graph.clone(),
            ),
            Quad::new(
                twin.clone(),
                NamedNode::new_unchecked(format!("{}twinId", vocab::TW)),
                oxigraph::model::Literal::new_simple_literal(id),
                graph.clone(),
            ),
        ]
    }

    /// Every twin, by id.
    pub fn twins(&self) -> Result<Vec<TwinSummary>> {
        let rows = self.select(
            "PREFIX tw: <https://twinpath.org/ns#>
             PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
             SELECT ?t ?id (SAMPLE(?n) AS ?name) (SAMPLE(?b) AS ?birth) (SAMPLE(?s) AS ?sex)
                    (COUNT(DISTINCT ?v) AS ?variants) (COUNT(DISTINCT ?run) AS ?runs) WHERE {
               GRAPH ?g { ?t a tw:PatientTwin ; tw:twinId ?id .
                 OPTIONAL { ?t rdfs:label ?n } OPTIONAL { ?t tw:birthDate ?b }
                 OPTIONAL { ?t tw:gender ?s } OPTIONAL { ?t tw:hasVariant ?v } }
               FILTER(STRSTARTS(STR(?g), \"https://twinpath.org/graph/twin/\"))
               OPTIONAL { GRAPH ?rg { ?run a tw:SimulationRun ; tw:twin ?t } }
             } GROUP BY ?t ?id ORDER BY ?id",
        )?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                Some(TwinSummary {
                    id: text(row, "id")?,
                    iri: text(row, "t")?,
                    name: text(row, "name"),
                    birth_date: text(row, "birth"),
                    sex: text(row, "sex"),
                    variants: number(row, "variants").unwrap_or(0.0) as usize,
                    runs: number(row, "runs").unwrap_or(0.0) as usize,
                })
            })
            .collect())
    }

    /// True when the store holds a twin with this id.
    pub fn has_twin(&self, id: &str) -> Result<bool> {
        let graph = NamedNode::new(fhir::twin_graph(id))
            .map_err(|e| Error::BadInput(format!("twin id {id:?}: {e}")))?;
        let twin = NamedNode::new_unchecked(fhir::twin_iri(id));
        Ok(self
            .inner
            .quads_for_pattern(
                Some(twin.as_ref().into()),
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .next()
            .is_some())
    }

    /// Writes a run's statements into their own graph, in one step.
    pub fn record_run(&self, quads: &[Quad]) -> Result<()> {
        let _writer = self.lock_writer();
        let mut transaction = self.inner.start_transaction()?;
        transaction.extend(quads);
        transaction.commit()?;
        Ok(())
    }

    /// The SHA-256 of a graph's content: its triples as sorted N-Triples lines, so the same
    /// content gives the same hash whatever order it was loaded in.
    pub fn graph_hash(&self, graph: &NamedNode) -> Result<String> {
        use sha2::{Digest, Sha256};
        let mut lines = Vec::new();
        for quad in self.inner.quads_for_pattern(
            None,
            None,
            None,
            Some(GraphNameRef::NamedNode(graph.as_ref())),
        ) {
            let q = quad?;
            lines.push(format!("{} {} {} .\n", q.subject, q.predicate, q.object));
        }
        lines.sort_unstable();
        let mut hasher = Sha256::new();
        for line in &lines {
            hasher.update(line.as_bytes());
        }
        Ok(hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    /// The named graphs that hold statements about `subject` (where a pathway is defined).
    pub fn graphs_about(&self, subject: &str) -> Result<Vec<NamedNode>> {
        let Ok(s) = NamedNode::new(subject) else {
            return Ok(Vec::new());
        };
        let mut graphs = BTreeMap::new();
        for quad in self
            .inner
            .quads_for_pattern(Some(s.as_ref().into()), None, None, None)
        {
            if let oxigraph::model::GraphName::NamedNode(g) = quad?.graph_name {
                if !vocab::is_derived_or_private(g.as_str()) {
                    graphs.insert(g.as_str().to_owned(), g);
                }
            }
        }
        Ok(graphs.into_values().collect())
    }
}

impl Store {
    /// A twin's whole record, or `None` when there is no such twin.
    pub fn twin_record(&self, id: &str) -> Result<Option<crate::twin::TwinRecord>> {
        use crate::twin::record::*;
        if !self.has_twin(id)? {
            return Ok(None);
        }
        let twin = fhir::twin_iri(id);
        let graph = fhir::twin_graph(id);
        let head = format!(
            "PREFIX tw: <https://twinpath.org/ns#>
             PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
             PREFIX fhir: <http://hl7.org/fhir/>"
        );
        let mut record = TwinRecord {
            id: id.to_owned(),
            iri: twin.clone(),
            ..Default::default()
        };
        for row in self.select(&format!(
            "{head} SELECT ?name ?birth ?sex ?deceased WHERE {{ GRAPH <{graph}> {{
               OPTIONAL {{ <{twin}> rdfs:label ?name }} OPTIONAL {{ <{twin}> tw:birthDate ?birth }}
               OPTIONAL {{ <{twin}> tw:gender ?sex }} OPTIONAL {{ <{twin}> tw:deceased ?deceased }} }} }} LIMIT 1"
        ))? {
            record.name = text(&row, "name");
            record.birth_date = text(&row, "birth");
            record.sex = text(&row, "sex");
            record.deceased = text(&row, "deceased");
        }
        // Records of one kind with their labels, codes, dates and statuses, grouped by record.
        let findings = |link: &str| -> Result<Vec<Finding>> {
            let mut out: BTreeMap<String, Finding> = BTreeMap::new();
            for row in self.select(&format!(
                "{head} SELECT ?r ?label ?code ?date ?status WHERE {{ GRAPH <{graph}> {{
                   <{twin}> tw:{link} ?r .
                   OPTIONAL {{ ?r rdfs:label ?label }} OPTIONAL {{ ?r tw:code ?code }}
                   OPTIONAL {{ ?r tw:effective ?date }}
                   OPTIONAL {{ ?r tw:clinicalStatus|tw:status ?status }} }} }}"
            ))? {
                let Some(iri) = text(&row, "r") else { continue };
                let f = out.entry(iri.clone()).or_insert_with(|| Finding {
                    iri,
                    ..Default::default()
                });
                f.label = f.label.take().or(text(&row, "label"));
                f.date = f.date.take().or(text(&row, "date"));
                f.status = f.status.take().or(text(&row, "status"));
                if let Some(code) = text(&row, "code") {
                    if !f.codes.contains(&code) {
                        f.codes.push(code);
                    }
                }
            }
            let mut v: Vec<Finding> = out.into_values().collect();
            v.sort_by(|a, b| (&a.date, &a.label).cmp(&(&b.date, &b.label)));
            Ok(v)
        };
        record.conditions = findings("hasCondition")?;
        record.procedures = findings("hasProcedure")?;

        let mut observations: BTreeMap<String, Observation> = BTreeMap::new();
        for row in self.select(&format!(
            "{head} SELECT ?r ?label ?code ?vcode ?value ?unit ?vtext ?date WHERE {{ GRAPH <{graph}> {{
               <{twin}> tw:hasObservation ?r .
               FILTER NOT EXISTS {{ ?r a tw:Variant }} FILTER NOT EXISTS {{ ?r a tw:TaxonAbundance }}
               OPTIONAL {{ ?r rdfs:label ?label }} OPTIONAL {{ ?r tw:code ?code }}
               OPTIONAL {{ ?r tw:valueCode ?vcode }} OPTIONAL {{ ?r tw:value ?value }}
               OPTIONAL {{ ?r tw:unit ?unit }} OPTIONAL {{ ?r tw:valueText ?vtext }}
               OPTIONAL {{ ?r tw:effective ?date }} }} }}"
        ))? {
            let Some(iri) = text(&row, "r") else { continue };
            let o = observations.entry(iri.clone()).or_insert_with(|| Observation {
                iri,
                ..Default::default()
            });
            o.label = o.label.take().or(text(&row, "label"));
            o.value = o.value.or(number(&row, "value"));
            o.unit = o.unit.take().or(text(&row, "unit"));
            o.value_text = o.value_text.take().or(text(&row, "vtext"));
            o.date = o.date.take().or(text(&row, "date"));
            for (name, list) in [("code", &mut o.codes), ("vcode", &mut o.value_codes)] {
                if let Some(c) = text(&row, name) {
                    if !list.contains(&c) {
                        list.push(c);
                    }
                }
            }
        }
        record.observations = observations.into_values().collect();
        record
            .observations
            .sort_by(|a, b| (&a.date, &a.label).cmp(&(&b.date, &b.label)));

        for row in self.select(&format!(
            "{head} SELECT ?r ?gene ?symbol ?dna ?protein ?vaf ?copies ?kind ?rule ?source WHERE {{ GRAPH <{graph}> {{
               <{twin}> tw:hasVariant ?r .
               OPTIONAL {{ ?r tw:gene ?gene }} OPTIONAL {{ ?r tw:geneSymbol ?symbol }}
               OPTIONAL {{ ?r tw:dnaChange ?dna }} OPTIONAL {{ ?r tw:aminoAcidChange ?protein }}
               OPTIONAL {{ ?r tw:alleleFraction ?vaf }} OPTIONAL {{ ?r tw:copyNumber ?copies }}
               OPTIONAL {{ ?r tw:variantKind ?kind }} OPTIONAL {{ ?r tw:classifiedBy ?rule }}
               OPTIONAL {{ ?r tw:genomicSource ?source }} }} }} ORDER BY ?symbol ?r"
        ))? {
            let Some(iri) = text(&row, "r") else { continue };
            if record.variants.iter().any(|v| v.iri == iri) {
                continue;
            }
            record.variants.push(Variant {
                iri,
                gene: text(&row, "gene"),
                symbol: text(&row, "symbol").or_else(|| {
                    text(&row, "gene").map(|g| g.rsplit('/').next().unwrap_or_default().to_owned())
                }),
                dna_change: text(&row, "dna"),
                amino_acid_change: text(&row, "protein"),
                allele_fraction: number(&row, "vaf"),
                copy_number: number(&row, "copies"),
                kind: text(&row, "kind"),
                classified_by: text(&row, "rule"),
                source: text(&row, "source"),
            });
        }

        for row in self.select(&format!(
            "{head} SELECT ?r ?taxon ?label ?fraction WHERE {{ GRAPH <{graph}> {{
               <{twin}> tw:microbiomeProfile ?r .
               OPTIONAL {{ ?r tw:taxon ?taxon }} OPTIONAL {{ ?r rdfs:label ?label }}
               OPTIONAL {{ ?r tw:relativeAbundance ?fraction }} }} }} ORDER BY DESC(?fraction)"
        ))? {
            let Some(iri) = text(&row, "r") else { continue };
            if record.microbiome.iter().any(|a| a.iri == iri) {
                continue;
            }
            record.microbiome.push(Abundance {
                iri,
                taxon: text(&row, "taxon"),
                label: text(&row, "label"),
                fraction: number(&row, "fraction"),
            });
        }

        let mut medications: BTreeMap<String, Medication> = BTreeMap::new();
        for row in self.select(&format!(
            "{head} SELECT ?r ?label ?status ?drug ?start ?end ?dose ?unit ?interval ?route ?text
                      ?fromText ?fromStrength
               WHERE {{ GRAPH <{graph}> {{
               <{twin}> tw:hasMedication ?r .
               OPTIONAL {{ ?r rdfs:label ?label }} OPTIONAL {{ ?r tw:status ?status }}
               OPTIONAL {{ ?r tw:drug ?drug }} OPTIONAL {{ ?r tw:effective ?start }}
               OPTIONAL {{ ?r tw:effectiveEnd ?end }} OPTIONAL {{ ?r tw:doseValue ?dose }}
               OPTIONAL {{ ?r tw:doseUnit ?unit }} OPTIONAL {{ ?r tw:dosingIntervalHours ?interval }}
               OPTIONAL {{ ?r tw:route ?route }} OPTIONAL {{ ?r tw:dosage ?text }}
               OPTIONAL {{ ?r tw:dosageReadFromText ?fromText }}
               OPTIONAL {{ ?r tw:doseFromStrength ?fromStrength }} }} }}"
        ))? {
            let Some(iri) = text(&row, "r") else { continue };
            let m = medications
                .entry(iri.clone())
                .or_insert_with(|| Medication {
                    iri,
                    ..Default::default()
                });
            m.label = m.label.take().or(text(&row, "label"));
            m.status = m.status.take().or(text(&row, "status"));
            m.start = m.start.take().or(text(&row, "start"));
            m.end = m.end.take().or(text(&row, "end"));
            m.dose = m.dose.or(number(&row, "dose"));
            m.dose_unit = m.dose_unit.take().or(text(&row, "unit"));
            m.interval_hours = m.interval_hours.or(number(&row, "interval"));
            m.route = m.route.take().or(text(&row, "route"));
            m.dosage_text = m.dosage_text.take().or(text(&row, "text"));
            m.dosage_read_from_text |= text(&row, "fromText").as_deref() == Some("true");
            m.dose_from_strength |= text(&row, "fromStrength").as_deref() == Some("true");
            if let Some(d) = text(&row, "drug") {
                if !m.drugs.contains(&d) {
                    m.drugs.push(d);
                }
            }
        }
        record.medications = medications.into_values().collect();
        record
            .medications
            .sort_by(|a, b| (&a.start, &a.label).cmp(&(&b.start, &b.label)));
        record.runs = self.runs_of(&twin)?;
        Ok(Some(record))
    }

    /// The runs made on a twin, newest first, with their phenotype results.
    pub fn runs_of(&self, twin: &str) -> Result<Vec<crate::twin::RunSummary>> {
        let mut runs: BTreeMap<String, crate::twin::RunSummary> = BTreeMap::new();
        for row in self.select(&format!(
            "PREFIX tw: <https://twinpath.org/ns#>
             PREFIX prov: <http://www.w3.org/ns/prov#>
             SELECT ?run ?pathway ?started ?drug ?node ?p WHERE {{ GRAPH ?g {{
               ?run a tw:SimulationRun ; tw:twin <{twin}> ; tw:pathway ?pathway ;
                    prov:startedAtTime ?started ; tw:scenario ?s .
               OPTIONAL {{ ?s tw:drug ?drug }}
               OPTIONAL {{ ?run prov:generated ?r . ?r tw:nodeName ?node ; tw:node ?n
                          FILTER(STRSTARTS(STR(?n), \"https://twinpath.org/id/phenotype/\"))
                          {{ ?r tw:probability ?p }} UNION {{ ?r tw:simulatedValue ?p }} }} }}
               FILTER(STRSTARTS(STR(?g), \"{}\")) }}",
            vocab::RUN_GRAPH
        ))? {
            let Some(iri) = text(&row, "run") else {
                continue;
            };
            let run = runs
                .entry(iri.clone())
                .or_insert_with(|| crate::twin::RunSummary {
                    id: iri.rsplit('/').next().unwrap_or_default().to_owned(),
                    iri,
                    pathway: text(&row, "pathway"),
                    started: text(&row, "started"),
                    ..Default::default()
                });
            if let Some(d) = text(&row, "drug") {
                if !run.drugs.contains(&d) {
                    run.drugs.push(d);
                }
            }
            if let (Some(node), Some(p)) = (text(&row, "node"), number(&row, "p")) {
                if !run.results.iter().any(|(n, _)| *n == node) {
                    run.results.push((node, p));
                }
            }
        }
        let mut out: Vec<_> = runs.into_values().collect();
        for r in &mut out {
            r.drugs.sort();
            r.results.sort_by(|a, b| a.0.cmp(&b.0));
        }
        out.sort_by(|a, b| b.started.cmp(&a.started));
        Ok(out)
    }

    /// The personalization rules, in rule order (by IRI).
    pub fn personalization_rules(&self) -> Result<Vec<crate::twin::PersonalizationRule>> {
        use crate::twin::{PersonalizationRule, When};
        let mut rules = Vec::new();
        for row in self.select(
            "PREFIX tw: <https://twinpath.org/ns#>
             PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
             SELECT ?r (SAMPLE(?l) AS ?label) (SAMPLE(?k) AS ?kind) (SAMPLE(?c) AS ?code)
                    (SAMPLE(?v) AS ?value) (SAMPLE(?s) AS ?status) (SAMPLE(?g) AS ?gene)
                    (SAMPLE(?h) AS ?holds) (SAMPLE(?ra) AS ?referenceAge)
                    (SAMPLE(?su) AS ?scales) (SAMPLE(?wm) AS ?microbiome) WHERE {
               ?r a tw:PersonalizationRule .
               OPTIONAL { ?r rdfs:label ?l } OPTIONAL { ?r tw:whenVariantKind ?k }
               OPTIONAL { ?r tw:whenCode ?c } OPTIONAL { ?r tw:whenValue ?v }
               OPTIONAL { ?r tw:whenMedicationStatus ?s } OPTIONAL { ?r tw:gene ?g }
               OPTIONAL { ?r tw:holds ?h }
               OPTIONAL { ?r tw:referenceAge ?ra } OPTIONAL { ?r tw:scalesUpRateOf ?su }
               OPTIONAL { ?r tw:whenMicrobiome ?wm } } GROUP BY ?r ORDER BY ?r",
        )? {
            let Some(iri) = text(&row, "r") else { continue };
            let when = if let (Some(reference_age), Some(entity)) =
                (number(&row, "referenceAge"), text(&row, "scales"))
            {
                When::Age {
                    reference_age,
                    entity,
                }
            } else if text(&row, "microbiome").is_some_and(|m| m == "true" || m == "1") {
                self.microbe_productions()?
            } else if let Some(kind) = text(&row, "kind") {
                When::VariantKind(kind)
            } else if let (Some(code), Some(value)) = (text(&row, "code"), text(&row, "value")) {
                When::Observation { code, value }
            } else if let Some(status) = text(&row, "status") {
                When::MedicationStatus(status)
            } else {
                continue;
            };
            rules.push(PersonalizationRule {
                label: text(&row, "label").unwrap_or_else(|| iri.clone()),
                iri,
                when,
                gene: text(&row, "gene"),
                holds: text(&row, "holds").map(|h| h == "true" || h == "1"),
            });
        }
        Ok(rules)
    }
}

impl Store {
    /// What the microbiome rule reads: every curated production by a microbe, and each
    /// microbe's reference abundance.
    fn microbe_productions(&self) -> Result<crate::twin::When> {
        let head = "PREFIX tw: <https://twinpath.org/ns#>";
        let mut productions = Vec::new();
        for row in self.select(&format!(
            "{head} SELECT DISTINCT ?m ?x WHERE {{ ?p a tw:Production ; tw:source ?m ; tw:target ?x .
               ?m a tw:Microbe }} ORDER BY ?m ?x"
        ))? {
            if let (Some(m), Some(x)) = (text(&row, "m"), text(&row, "x")) {
                productions.push((m, x));
            }
        }
        let mut references = Vec::new();
        for row in self.select(&format!(
            "{head} SELECT ?m (SAMPLE(?v) AS ?value) (SAMPLE(?p) AS ?param) WHERE {{
               ?m a tw:Microbe ; tw:parameter ?p . ?p tw:parameterKind tw:ReferenceAbundance ; tw:value ?v
             }} GROUP BY ?m ORDER BY ?m"
        ))? {
            if let (Some(m), Some(v), Some(p)) =
                (text(&row, "m"), number(&row, "value"), text(&row, "param"))
            {
                if v > 0.0 && v.is_finite() {
                    references.push((m, v, p));
                }
            }
        }
        Ok(crate::twin::When::Microbiome {
            productions,
            references,
        })
    }

    /// A recorded run as JSON, with the id of its twin; `None` when there is no such run.
    pub fn run_summary(&self, id: &str) -> Result<Option<(serde_json::Value, String)>> {
        use serde_json::{json, Value};
        let graph = crate::twin::provenance::run_graph(id);
        let run = crate::twin::provenance::run_iri(id);
        let Ok(g) = NamedNode::new(&graph) else {
            return Ok(None);
        };
        if !self.inner.contains_named_graph(&g)? {
            return Ok(None);
        }
        let head =
            "PREFIX tw: <https://twinpath.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#>";
        let rows = self.select(&format!(
            "{head} SELECT ?twin ?pathway ?started ?ended ?who ?seed ?n ?maxTime ?version ?kind ?series WHERE {{
               GRAPH <{graph}> {{ <{run}> tw:pathway ?pathway ; prov:startedAtTime ?started ;
                 prov:endedAtTime ?ended ; tw:requestedBy ?who ;
                 tw:maxTime ?maxTime ; tw:softwareVersion ?version ; tw:simulationKind ?kind .
                 OPTIONAL {{ <{run}> tw:seed ?seed }} OPTIONAL {{ <{run}> tw:trajectories ?n }}
                 OPTIONAL {{ <{run}> tw:twin ?twin }}
                 OPTIONAL {{ <{run}> prov:generated ?s . ?s tw:seriesFile ?series }} }}
               }} LIMIT 1"
        ))?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let graphs: Vec<Value> = self
            .select(&format!(
                "{head} SELECT ?g ?hash WHERE {{ GRAPH <{graph}> {{ <{run}> prov:used ?u .
                   ?u tw:pathwayGraph ?g ; tw:contentHash ?hash }} }} ORDER BY ?g"
            ))?
            .iter()
            .map(|r| json!({"graph": text(r, "g"), "contentHash": text(r, "hash")}))
            .collect();
        let holds: Vec<Value> = self
            .select(&format!(
                "{head} SELECT ?node ?holds ?because ?finding ?drug ?none WHERE {{ GRAPH <{graph}> {{
                   <{run}> tw:scenario ?s . ?s tw:hold ?h . ?h tw:because ?because .
                   OPTIONAL {{ ?h tw:nodeName ?node }} OPTIONAL {{ ?h tw:holds ?holds }}
                   OPTIONAL {{ ?h tw:drug ?drug }} OPTIONAL {{ ?h tw:finding ?finding }}
                   OPTIONAL {{ ?h tw:noExposure ?none }} }} }}
                 ORDER BY ?drug ?node"
            ))?
            .iter()
            .map(|r| {
                let mut v = json!({"because": text(r, "because"), "finding": text(r, "finding")});
                if let Some(drug) = text(r, "drug") {
                    v["drug"] = json!(drug);
                    if let Some(why) = text(r, "none") {
                        v["noExposure"] = json!(why);
                    }
                } else {
                    v["node"] = json!(text(r, "node"));
                    v["holds"] = json!(text(r, "holds").as_deref() == Some("true"));
                }
                v
            })
            .collect();
        let inputs: Vec<Value> = self
            .select(&format!(
                "{head} SELECT ?node ?holds WHERE {{ GRAPH <{graph}> {{
                   <{run}> tw:scenario ?s . ?s tw:input ?i . ?i tw:nodeName ?node ; tw:holds ?holds }} }}
                 ORDER BY ?node"
            ))?
            .iter()
            .map(|r| json!({"node": text(r, "node"), "value": text(r, "holds").as_deref() == Some("true")}))
            .collect();
        let results: Vec<Value> = self
            .select(&format!(
                "{head} SELECT ?node ?iri ?p ?e ?v ?t WHERE {{ GRAPH <{graph}> {{
                   <{run}> prov:generated ?r . ?r a tw:Result ; tw:nodeName ?node ; tw:atTime ?t .
                   OPTIONAL {{ ?r tw:probability ?p }} OPTIONAL {{ ?r tw:standardError ?e }}
                   OPTIONAL {{ ?r tw:simulatedValue ?v }}
                   OPTIONAL {{ ?r tw:node ?iri }} }} }} ORDER BY ?node"
            ))?
            .iter()
            .map(|r| {
                let mut v = json!({"node": text(r, "node"), "entity": text(r, "iri"), "atTime": number(r, "t")});
                if let Some(p) = number(r, "p") {
                    v["probability"] = json!(p);
                    v["standardError"] = json!(number(r, "e"));
                }
                if let Some(x) = number(r, "v") {
                    v["value"] = json!(x);
                }
                v
            })
            .collect();
        let scales: Vec<Value> = self
            .select(&format!(
                "{head} SELECT ?node ?iri ?up ?off ?because ?finding ?note WHERE {{ GRAPH <{graph}> {{
                   <{run}> tw:scenario ?s . ?s tw:scale ?x . ?x tw:nodeName ?node ;
                   tw:upRateFactor ?up ; tw:offRateFromUp ?off ; tw:because ?because .
                   OPTIONAL {{ ?x tw:node ?iri }} OPTIONAL {{ ?x tw:finding ?finding }}
                   OPTIONAL {{ ?x <http://www.w3.org/2000/01/rdf-schema#comment> ?note }} }} }}
                 ORDER BY ?node ?because"
            ))?
            .iter()
            .map(|r| {
                json!({"node": text(r, "node"), "entity": text(r, "iri"), "upRateFactor": number(r, "up"),
                       "offRateFromUp": number(r, "off"), "because": text(r, "because"),
                       "finding": text(r, "finding"), "note": text(r, "note")})
            })
            .collect();
        let mut exposures: Vec<Value> = Vec::new();
        for r in self.select(&format!(
            "{head} SELECT ?x ?drug ?route ?dose ?interval ?source ?cmax ?cmin ?cavg ?auc ?nm WHERE {{ GRAPH <{graph}> {{
               <{run}> prov:generated ?x . ?x a tw:DrugExposure ; tw:drug ?drug ; tw:route ?route ;
               tw:doseMg ?dose ; tw:intervalHours ?interval ; tw:regimenSource ?source ;
               tw:cmax ?cmax ; tw:cmin ?cmin ; tw:cavg ?cavg ; tw:auc ?auc .
               OPTIONAL {{ ?x tw:unboundCavgNanomolar ?nm }} }} }} ORDER BY ?x"
        ))? {
            let Some(x) = text(&r, "x") else { continue };
            let occupancy: Vec<Value> = self
                .select(&format!(
                    "{head} SELECT ?target ?f ?potency WHERE {{ GRAPH <{graph}> {{
                       <{x}> tw:occupancy ?o . ?o tw:target ?target ; tw:fraction ?f ; tw:potencyOf ?potency }} }}
                     ORDER BY ?target"
                ))?
                .iter()
                .map(|o| json!({"target": text(o, "target"), "fraction": number(o, "f"), "potencyOf": text(o, "potency")}))
                .collect();
            exposures.push(json!({
                "drug": text(&r, "drug"), "route": text(&r, "route"), "doseMg": number(&r, "dose"),
                "intervalHours": number(&r, "interval"), "regimenSource": text(&r, "source"),
                "cmax": number(&r, "cmax"), "cmin": number(&r, "cmin"), "cavg": number(&r, "cavg"),
                "auc": number(&r, "auc"), "unboundCavgNanomolar": number(&r, "nm"), "occupancy": occupancy,
            }));
        }
        let twin_id = match text(row, "twin") {
            Some(twin) => self
                .select(&format!(
                    "{head} SELECT ?id WHERE {{ GRAPH ?g {{ <{twin}> tw:twinId ?id }} }} LIMIT 1"
                ))?
                .first()
                .and_then(|r| text(r, "id"))
                .unwrap_or_default(),
            None => String::new(),
        };
        let summary = json!({
            "id": id,
            "iri": run,
            "twin": text(row, "twin"),
            "twinId": twin_id,
            "kind": text(row, "kind"),
            "pathway": text(row, "pathway"),
            "started": text(row, "started"),
            "ended": text(row, "ended"),
            "requestedBy": text(row, "who"),
            "seed": number(row, "seed"),
            "trajectories": number(row, "n"),
            "maxTime": number(row, "maxTime"),
            "softwareVersion": text(row, "version"),
            "graphs": graphs,
            "scenario": {"holds": holds, "scales": scales, "inputs": inputs},
            "results": results,
            "exposures": exposures,
            "series": text(row, "series"),
        });
        Ok(Some((summary, twin_id)))
    }
}
