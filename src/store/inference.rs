//! What follows from the curated graphs under RDFS subclass and subproperty entailment?
//!
//! twinpath materializes the answer in one graph, `https://twinpath.org/graph/inferred`,
//! recomputed after every write, rather than rewriting queries: every SPARQL feature and every
//! client (property paths, the Graph Store Protocol, federated tools) then sees the entailed
//! statements through the union default graph at no query-time cost, and the vocabulary is small
//! enough that the closure stays a few thousand statements.
//!
//! The rules are rdfs5 and rdfs11 (transitivity of `rdfs:subPropertyOf` and `rdfs:subClassOf`),
//! rdfs7 (a statement with a subproperty also holds with its superproperties) and rdfs9 (an
//! instance of a class is an instance of its superclasses). Domains and ranges (rdfs2, rdfs3)
//! are left out on purpose: in `twin.ttl` they document intended use, and inferring types from
//! them would turn a curator's mistake (a drug given as a `tw:gene`) into a silent new type
//! instead of a validation error. Patient graphs never feed the shared inference graph, and
//! statements that already hold explicitly are not repeated.

use super::Store;
use crate::error::Result;
use crate::vocab;
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, TermRef,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// What a refresh changed in the inference graph.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct InferenceChange {
    pub added: usize,
    pub removed: usize,
    /// Statements in the inference graph afterwards.
    pub total: usize,
}

/// Whether statements of `graph` count as premises: the curated and loaded graphs, not the
/// catalog, not the inference graph itself, not a patient's graph.
fn premise_graph(graph: &GraphName) -> bool {
    match graph {
        GraphName::NamedNode(g) => !vocab::is_derived_or_private(g.as_str()),
        GraphName::DefaultGraph => true,
        GraphName::BlankNode(_) => false,
    }
}

/// The transitive closure of a relation given as edges, without reflexive pairs.
fn closure(
    edges: &BTreeMap<NamedNode, BTreeSet<NamedNode>>,
) -> BTreeMap<NamedNode, BTreeSet<NamedNode>> {
    let mut out = BTreeMap::new();
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&NamedNode> = edges[start].iter().collect();
        while let Some(next) = stack.pop() {
            if next != start && seen.insert(next.clone()) {
                if let Some(more) = edges.get(next) {
                    stack.extend(more.iter());
                }
            }
        }
        out.insert(start.clone(), seen);
    }
    out
}

impl Store {
    /// The statements of the premise graphs with `predicate` (and `object`, when given).
    fn premises(
        &self,
        predicate: NamedNodeRef<'_>,
        object: Option<TermRef<'_>>,
    ) -> Result<Vec<Quad>> {
        let mut out = Vec::new();
        for quad in self
            .inner
            .quads_for_pattern(None, Some(predicate), object, None)
        {
            let quad = quad?;
            if premise_graph(&quad.graph_name) {
                out.push(quad);
            }
        }
        Ok(out)
    }

    fn hierarchy(
        &self,
        predicate: NamedNodeRef<'_>,
    ) -> Result<BTreeMap<NamedNode, BTreeSet<NamedNode>>> {
        let mut edges: BTreeMap<NamedNode, BTreeSet<NamedNode>> = BTreeMap::new();
        for quad in self
            .inner
            .quads_for_pattern(None, Some(predicate), None, None)
        {
            let quad = quad?;
            if !premise_graph(&quad.graph_name) {
                continue;
            }
            if let (NamedOrBlankNode::NamedNode(sub), Term::NamedNode(sup)) =
                (quad.subject, quad.object)
            {
                edges.entry(sub).or_default().insert(sup);
            }
        }
        Ok(closure(&edges))
    }

    /// Whether `quad`'s triple is stated in a premise graph (so need not be inferred).
    fn stated(
        &self,
        subject: &NamedOrBlankNode,
        predicate: &NamedNode,
        object: &Term,
    ) -> Result<bool> {
        for quad in self.inner.quads_for_pattern(
            Some(subject.as_ref()),
            Some(predicate.as_ref()),
            Some(object.as_ref()),
            None,
        ) {
            if premise_graph(&quad?.graph_name) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Recomputes the inference graph from the premise graphs and writes the difference in one
    /// transaction.
    pub fn refresh_inferences(&self) -> Result<InferenceChange> {
        let _writer = self.lock_writer();
        let inferred = GraphNameRef::NamedNode(vocab::INFERRED_GRAPH);
        let mut wanted: HashSet<Quad> = HashSet::new();
        let entail = |s: NamedOrBlankNode,
                      p: NamedNode,
                      o: Term,
                      wanted: &mut HashSet<Quad>|
         -> Result<()> {
            if !self.stated(&s, &p, &o)? {
                wanted.insert(Quad::new(s, p, o, inferred));
            }
            Ok(())
        };

        let classes = self.hierarchy(rdfs::SUB_CLASS_OF)?;
        let properties = self.hierarchy(rdfs::SUB_PROPERTY_OF)?;
        // rdfs11 and rdfs5: the hierarchies themselves are transitive.
        for (relation, hierarchy) in [
            (rdfs::SUB_CLASS_OF, &classes),
            (rdfs::SUB_PROPERTY_OF, &properties),
        ] {
            for (sub, sups) in hierarchy {
                for sup in sups {
                    entail(
                        sub.clone().into(),
                        relation.into_owned(),
                        sup.clone().into(),
                        &mut wanted,
                    )?;
                }
            }
        }
        // rdfs9: instances of a class are instances of its superclasses.
        for (class, sups) in classes.iter().filter(|(_, sups)| !sups.is_empty()) {
            for quad in self.premises(rdf::TYPE, Some(class.as_ref().into()))? {
                for sup in sups {
                    let object = sup.clone().into();
                    entail(
                        quad.subject.clone(),
                        rdf::TYPE.into_owned(),
                        object,
                        &mut wanted,
                    )?;
                }
            }
        }
        // rdfs7: statements with a subproperty hold with its superproperties.
        for (property, sups) in properties.iter().filter(|(_, sups)| !sups.is_empty()) {
            for quad in self.premises(property.as_ref(), None)? {
                for sup in sups {
                    entail(
                        quad.subject.clone(),
                        sup.clone(),
                        quad.object.clone(),
                        &mut wanted,
                    )?;
                }
            }
        }

        let mut transaction = self.inner.start_transaction()?;
        let current = transaction
            .quads_for_pattern(None, None, None, Some(inferred))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut change = InferenceChange::default();
        for quad in &current {
            if !wanted.remove(quad) {
                transaction.remove(quad);
                change.removed += 1;
            }
        }
        change.added = wanted.len();
        change.total = current.len() - change.removed + change.added;
        for quad in &wanted {
            transaction.insert(quad);
        }
        transaction.commit()?;
        Ok(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_is_transitive_and_survives_cycles() {
        let n = |s: &str| NamedNode::new_unchecked(format!("https://example.org/{s}"));
        let mut edges = BTreeMap::new();
        edges.insert(n("a"), BTreeSet::from([n("b")]));
        edges.insert(n("b"), BTreeSet::from([n("c")]));
        edges.insert(n("c"), BTreeSet::from([n("a")]));
        let c = closure(&edges);
        assert_eq!(c[&n("a")], BTreeSet::from([n("b"), n("c")]));
        assert_eq!(c[&n("c")], BTreeSet::from([n("a"), n("b")]));
    }
}
