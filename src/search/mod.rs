//! Which entity does a person mean by `HER2`, `p21` or `tp35`? A tantivy index of every
//! labelled entity, ranked as a biologist expects: an exact symbol, label, synonym or
//! identifier first, then names that start with the text, then names one typo away (only when
//! nothing matched exactly or by prefix: a typo tier rescues, it does not pad), then matches
//! in descriptions.
//!
//! The index knows nothing of the store: it is fed [`Entity`] values (read out of the store by
//! `store::extract`) one graph at a time, so a load replaces exactly its graph's documents.

use std::collections::HashMap;
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, NgramTokenizer, RawTokenizer, SimpleTokenizer, TextAnalyzer};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// One labelled thing in one graph, as the index sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entity {
    pub iri: String,
    /// The graph it was read from; a reload of that graph replaces its documents.
    pub graph: String,
    /// The name shown first: a symbol, else a label.
    pub label: String,
    /// Other names: labels in other languages, preferred and alternative labels.
    pub synonyms: Vec<String>,
    /// Identifiers: the entity's IRI, identifiers.org IRIs, CURIEs and accessions.
    pub identifiers: Vec<String>,
    pub description: Option<String>,
    /// Types as compact names (`tw:Gene`).
    pub types: Vec<String>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub iri: String,
    pub label: String,
    /// The first type, compact (`tw:Gene`); empty when the entity has none.
    #[serde(rename = "type")]
    pub kind: String,
    pub types: Vec<String>,
    /// The field that matched: `label`, `synonym`, `identifier` or `description`.
    pub matched: &'static str,
    /// How it matched: `exact`, `prefix`, `fuzzy` or `text`.
    pub how: &'static str,
    pub score: f32,
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub text: &'a str,
    /// Only entities of this type (`Gene`, `tw:Gene` or a full IRI).
    pub kind: Option<&'a str>,
    pub limit: usize,
    pub offset: usize,
}

impl<'a> SearchRequest<'a> {
    /// The first `limit` matches of `text`, of any type.
    pub fn new(text: &'a str, limit: usize) -> Self {
        Self {
            text,
            kind: None,
            limit,
            offset: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct SearchError(#[from] tantivy::TantivyError);

struct Fields {
    iri: Field,
    graph: Field,
    label: Field,
    synonym: Field,
    identifier: Field,
    /// Labels and synonyms, lowercased whole: exact and typo matches.
    names: Field,
    /// Identifiers, lowercased whole: exact matches only (a typo in an accession is another accession).
    ids: Field,
    /// Every prefix of every name and identifier.
    prefixes: Field,
    description: Field,
    kind: Field,
}

/// The in-memory search index.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

const KEYWORD: &str = "keyword_lower";
const PREFIX: &str = "prefix_lower";
const LONGEST_PREFIX: usize = 24;

/// The tiers of a match, best first, with the score floor that keeps them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    Exact,
    Prefix,
    Fuzzy,
    Text,
}

impl Tier {
    fn floor(self) -> f32 {
        match self {
            Tier::Exact => 3000.0,
            Tier::Prefix => 2000.0,
            Tier::Fuzzy => 1000.0,
            Tier::Text => 0.0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Tier::Exact => "exact",
            Tier::Prefix => "prefix",
            Tier::Fuzzy => "fuzzy",
            Tier::Text => "text",
        }
    }
}

impl SearchIndex {
    pub fn new() -> Result<Self, SearchError> {
        let mut schema = Schema::builder();
        let keyword = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KEYWORD)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let prefix = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(PREFIX)
                .set_index_option(IndexRecordOption::Basic),
        );
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            iri: schema.add_text_field("iri", STRING | STORED),
            graph: schema.add_text_field("graph", STRING),
            label: schema.add_text_field("label", STORED),
            synonym: schema.add_text_field("synonym", STORED),
            identifier: schema.add_text_field("identifier", STORED),
            names: schema.add_text_field("names", keyword.clone()),
            ids: schema.add_text_field("ids", keyword),
            prefixes: schema.add_text_field("prefixes", prefix),
            description: schema.add_text_field("description", text),
            kind: schema.add_text_field("type", STRING | STORED),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(
            KEYWORD,
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .build(),
        );
        index.tokenizers().register(
            PREFIX,
            TextAnalyzer::builder(NgramTokenizer::prefix_only(1, LONGEST_PREFIX)?)
                .filter(LowerCaser)
                .build(),
        );
        index.tokenizers().register(
            "default",
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .build(),
        );
        // One indexing thread: indexing is rare and small next to queries, and keeps memory low.
        let writer = index.writer_with_num_threads(1, 64 << 20)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
        })
    }

    /// Replaces the documents of each graph in `graphs` by `entities` (which belong to those graphs).
    pub fn replace_graphs(
        &self,
        graphs: &[String],
        entities: impl IntoIterator<Item = Entity>,
    ) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for graph in graphs {
            writer.delete_term(Term::from_field_text(self.fields.graph, graph));
        }
        self.add(&writer, entities)?;
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Replaces the whole index by `entities`.
    pub fn rebuild(&self, entities: impl IntoIterator<Item = Entity>) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        writer.delete_all_documents()?;
        self.add(&writer, entities)?;
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn add(
        &self,
        writer: &IndexWriter,
        entities: impl IntoIterator<Item = Entity>,
    ) -> Result<(), SearchError> {
        let f = &self.fields;
        for entity in entities {
            let mut document = doc!(f.iri => entity.iri.as_str(), f.graph => entity.graph.as_str(), f.label => entity.label.as_str());
            for name in std::iter::once(&entity.label).chain(&entity.synonyms) {
                document.add_text(f.names, name);
                document.add_text(f.prefixes, name);
            }
            for identifier in &entity.identifiers {
                document.add_text(f.ids, identifier);
                document.add_text(f.prefixes, identifier);
            }
            for synonym in &entity.synonyms {
                document.add_text(f.synonym, synonym);
            }
            for identifier in &entity.identifiers {
                document.add_text(f.identifier, identifier);
            }
            if let Some(description) = &entity.description {
                document.add_text(f.description, description);
            }
            for kind in &entity.types {
                document.add_text(f.kind, kind);
            }
            writer.add_document(document)?;
        }
        Ok(())
    }

    /// Number of documents (one per entity and graph).
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best matches for `request`, best first, one per entity IRI.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<Vec<Hit>, SearchError> {
        let text = request.text.trim();
        if text.is_empty() || request.limit == 0 {
            return Ok(Vec::new());
        }
        let lower = text.to_lowercase();
        let wanted = request.offset + request.limit;
        let searcher = self.reader.searcher();
        let kind = request.kind.map(compact_type);
        let filtered = |query: Box<dyn Query>| -> Box<dyn Query> {
            match &kind {
                Some(kind) => Box::new(BooleanQuery::new(vec![
                    (Occur::Must, query),
                    (
                        Occur::Must,
                        Box::new(TermQuery::new(
                            Term::from_field_text(self.fields.kind, kind),
                            IndexRecordOption::Basic,
                        )),
                    ),
                ])),
                None => query,
            }
        };
        let mut best: HashMap<String, Candidate> = HashMap::new();
        let tiers: [(Tier, Option<Box<dyn Query>>); 4] = [
            (
                Tier::Exact,
                Some(Box::new(BooleanQuery::new(
                    [self.fields.names, self.fields.ids]
                        .into_iter()
                        .map(|field| -> (Occur, Box<dyn Query>) {
                            (
                                Occur::Should,
                                Box::new(TermQuery::new(
                                    Term::from_field_text(field, &lower),
                                    IndexRecordOption::WithFreqs,
                                )),
                            )
                        })
                        .collect(),
                ))),
            ),
            (
                Tier::Prefix,
                (lower.chars().count() <= LONGEST_PREFIX).then(|| -> Box<dyn Query> {
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.prefixes, &lower),
                        IndexRecordOption::Basic,
                    ))
                }),
            ),
            (
                Tier::Fuzzy,
                // One typo in a two-letter name matches almost anything: only from three letters on.
                (lower.chars().count() >= 3).then(|| -> Box<dyn Query> {
                    Box::new(FuzzyTermQuery::new(
                        Term::from_field_text(self.fields.names, &lower),
                        1,
                        true,
                    ))
                }),
            ),
            (Tier::Text, {
                let mut parser = QueryParser::for_index(&self.index, vec![self.fields.description]);
                parser.set_conjunction_by_default();
                let (query, _errors) = parser.parse_query_lenient(&lower);
                Some(query)
            }),
        ];
        for (tier, query) in tiers {
            // Later tiers only fill what earlier ones left: a common query stops at the exact tier.
            if best.len() >= wanted {
                break;
            }
            // Typo tolerance rescues a name that matched nothing; it does not pad good answers.
            if tier == Tier::Fuzzy && !best.is_empty() {
                continue;
            }
            let Some(query) = query else { continue };
            let query = filtered(query);
            // Among prefix matches the shortest name wins (`CDKN1` means CDKN1A before
            // "CDKN1A ⊣ CDK2"), which BM25 does not know: take more candidates and re-rank.
            let candidates = if tier == Tier::Prefix {
                (wanted * 3).max(30)
            } else {
                wanted
            };
            let top =
                searcher.search(&*query, &TopDocs::with_limit(candidates).order_by_score())?;
            for (score, address) in top {
                let document: TantivyDocument = searcher.doc(address)?;
                let iri = first(&document, self.fields.iri);
                let score = match tier {
                    Tier::Prefix => {
                        let shortest = self
                            .names(&document)
                            .iter()
                            .map(|n| n.to_lowercase())
                            .filter(|n| n.starts_with(&lower))
                            .map(|n| n.chars().count())
                            .min()
                            .unwrap_or(LONGEST_PREFIX * 10);
                        // Closeness decides; BM25 only breaks ties (it stays far below one step).
                        tier.floor() + 500.0 / shortest as f32 + score / 100.0
                    }
                    _ => tier.floor() + score,
                };
                let candidate = Candidate {
                    score,
                    address,
                    tier,
                };
                if best
                    .get(&iri)
                    .is_none_or(|known| candidate.score > known.score)
                {
                    best.insert(iri, candidate);
                }
            }
        }
        let mut ranked: Vec<(String, Candidate)> = best.into_iter().collect();
        ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .map(
                |(
                    iri,
                    Candidate {
                        tier,
                        score,
                        address,
                        ..
                    },
                )| {
                    let document: TantivyDocument = searcher.doc(address)?;
                    let types = all(&document, self.fields.kind);
                    Ok(Hit {
                        label: first(&document, self.fields.label),
                        kind: types.first().cloned().unwrap_or_default(),
                        matched: self.matched_field(&document, tier, &lower),
                        how: tier.name(),
                        types,
                        score,
                        iri,
                    })
                },
            )
            .collect()
    }

    /// Every name a document is found by: label, synonyms, identifiers.
    fn names(&self, document: &TantivyDocument) -> Vec<String> {
        let mut names = vec![first(document, self.fields.label)];
        names.extend(all(document, self.fields.synonym));
        names.extend(all(document, self.fields.identifier));
        names
    }

    /// Which stored field made a document match at `tier`.
    fn matched_field(&self, document: &TantivyDocument, tier: Tier, lower: &str) -> &'static str {
        let fits = |name: &str| {
            let name = name.to_lowercase();
            match tier {
                Tier::Exact => name == lower,
                Tier::Prefix => name.starts_with(lower),
                Tier::Fuzzy => within_one_edit(&name, lower),
                Tier::Text => false,
            }
        };
        if tier == Tier::Text {
            "description"
        } else if fits(&first(document, self.fields.label)) {
            "label"
        } else if all(document, self.fields.synonym).iter().any(|s| fits(s)) {
            "synonym"
        } else {
            "identifier"
        }
    }
}

/// One document's place in the ranking: its tier's floor plus its rank within the tier.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    score: f32,
    address: tantivy::DocAddress,
    tier: Tier,
}

fn first(document: &TantivyDocument, field: Field) -> String {
    document
        .get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn all(document: &TantivyDocument, field: Field) -> Vec<String> {
    document
        .get_all(field)
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// `Gene`, `tw:Gene` and `https://twinpath.org/ns#Gene` all name `tw:Gene`.
pub fn compact_type(text: &str) -> String {
    for (prefix, namespace) in crate::vocab::PREFIXES {
        if let Some(local) = text.strip_prefix(namespace) {
            return format!("{prefix}:{local}");
        }
    }
    if text.contains(':') {
        text.to_owned()
    } else {
        format!("tw:{text}")
    }
}

/// Damerau–Levenshtein distance at most one (one insertion, deletion, substitution or swap).
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let start = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        let rest = |from: usize| short[from..] == long[from..];
        rest(start + 1)
            || (start + 1 < short.len()
                && short[start] == long[start + 1]
                && short[start + 1] == long[start]
                && rest(start + 2))
    } else {
        short[start..] == long[start + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gene(symbol: &str, synonyms: &[&str], description: &str) -> Entity {
        Entity {
            iri: format!("https://twinpath.org/id/gene/{symbol}"),
            graph: "https://twinpath.org/graph/test".into(),
            label: symbol.into(),
            synonyms: synonyms.iter().map(|s| s.to_string()).collect(),
            identifiers: vec![],
            description: Some(description.into()),
            types: vec!["tw:Gene".into()],
        }
    }

    #[test]
    fn exact_then_prefix_then_typo_then_description() {
        let index = SearchIndex::new().expect("index");
        index
            .rebuild([
                gene("TP53", &["p53"], "tumour suppressor guarding the genome"),
                gene("TP53BP1", &["53BP1"], "binds p53"),
                gene("CDKN1A", &["p21", "WAF1"], "CDK inhibitor induced by p53"),
                gene("ERBB2", &["HER2", "NEU"], "receptor tyrosine kinase"),
            ])
            .expect("indexed");
        let search = |text: &str| index.search(&SearchRequest::new(text, 10)).expect("search");
        let hits = search("p53");
        assert_eq!(hits[0].label, "TP53");
        assert_eq!((hits[0].matched, hits[0].how), ("synonym", "exact"));
        assert!(hits
            .iter()
            .any(|h| h.label == "CDKN1A" && h.matched == "description"));
        assert_eq!(search("HER2")[0].label, "ERBB2");
        assert_eq!(search("her2")[0].label, "ERBB2");
        assert_eq!(search("p21")[0].label, "CDKN1A");
        let prefix = search("TP53B");
        assert_eq!(
            (prefix[0].label.as_str(), prefix[0].how),
            ("TP53BP1", "prefix")
        );
        let typo = search("ERBB3");
        assert_eq!((typo[0].label.as_str(), typo[0].how), ("ERBB2", "fuzzy"));
        assert_eq!(
            search("tp35")[0].label,
            "TP53",
            "a swapped pair is one typo"
        );
        assert!(search("").is_empty());
        let second = index
            .search(&SearchRequest {
                text: "p53",
                kind: Some("Gene"),
                limit: 1,
                offset: 1,
            })
            .expect("search");
        assert_eq!(second.len(), 1);
        assert_ne!(second[0].label, "TP53");
        let none = index
            .search(&SearchRequest {
                text: "p53",
                kind: Some("tw:Drug"),
                limit: 5,
                offset: 0,
            })
            .expect("search");
        assert!(none.is_empty());
    }

    #[test]
    fn replacing_a_graph_replaces_only_its_documents() {
        let index = SearchIndex::new().expect("index");
        let mut other = gene("MDM2", &[], "E3 ligase");
        other.graph = "https://twinpath.org/graph/other".into();
        index
            .rebuild([gene("TP53", &[], ""), other])
            .expect("indexed");
        index
            .replace_graphs(
                &["https://twinpath.org/graph/test".into()],
                [gene("CDK2", &[], "")],
            )
            .expect("replaced");
        assert_eq!(index.len(), 2);
        let find = |text: &str| index.search(&SearchRequest::new(text, 5)).expect("search");
        assert!(find("TP53").iter().all(|h| h.label != "TP53"));
        assert_eq!(find("MDM2")[0].label, "MDM2");
        assert_eq!(find("CDK2")[0].label, "CDK2");
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("erbb2", "erbb3"));
        assert!(within_one_edit("tp53", "tp35"));
        assert!(within_one_edit("tp53", "tp5"));
        assert!(within_one_edit("tp53", "tp533"));
        assert!(!within_one_edit("tp53", "pt35"));
        assert!(!within_one_edit("abc", "abcde"));
    }
}
