//! What does a set of perturbations (a patient's variants, drugs) do to the hallmarks, and
//! through which paths? And which altered genes does no drug reach?
//!
//! A perturbation starts a signal at a node: a gain of function or an amplification with `+`,
//! a loss of function (or a drug-like inhibition of a gene) with `-`, a drug with `+` at the
//! drug itself (its targets' edges carry the inhibition). Each simple path to a hallmark
//! pushes it up when the perturbation's sign composed with the path's sign is `+`, down when
//! it is `-`. A hallmark's score per direction is the sum of 1/length over its paths (short
//! paths weigh more); hallmarks pushed both ways are conflicts and are shown with both sides.

use super::paths::paths;
use super::{reach, NodeView, PathView, Stream};
use crate::model::{Network, NodeId, Sign};
use serde::Serialize;
use std::collections::BTreeMap;

/// One perturbation of the network.
#[derive(Debug, Clone)]
pub struct Perturbation {
    pub node: NodeId,
    pub sign: Sign,
    /// How answers name it (`TP53 loss`, `lapatinib`).
    pub name: String,
}

/// A path that explains part of an effect.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explanation {
    /// The perturbation the path starts from.
    pub perturbation: String,
    pub path: PathView,
}

/// What the perturbations do to one hallmark.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HallmarkEffect {
    pub iri: String,
    pub label: String,
    /// `up`, `down`, or `conflict` when paths push it both ways.
    pub effect: &'static str,
    /// Which way the weight of the paths leans: `up`, `down` or `balanced`.
    pub net: &'static str,
    pub score_up: f64,
    pub score_down: f64,
    /// Each perturbation's own effect on this hallmark (`up`, `down`, `conflict`).
    pub by: BTreeMap<String, &'static str>,
    /// The paths that push it up (shortest first, at most the per-hallmark limit).
    pub up: Vec<Explanation>,
    pub down: Vec<Explanation>,
    /// How many paths were found each way (more than shown when the limit cut them).
    pub paths_up: usize,
    pub paths_down: usize,
}

/// The hallmarks a set of perturbations reaches, strongest first.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Impact {
    pub perturbations: Vec<String>,
    pub hallmarks: Vec<HallmarkEffect>,
    /// Hallmarks pushed both ways.
    pub conflicts: usize,
    /// True when some path enumeration stopped at its limit.
    pub truncated: bool,
}

fn effect(up: bool, down: bool) -> &'static str {
    match (up, down) {
        (true, true) => "conflict",
        (true, false) => "up",
        _ => "down",
    }
}

/// The effect of `perturbations` on the `hallmarks` nodes, through simple paths of at most
/// `depth` edges; at most `shown` paths per hallmark and direction are returned, and at most
/// `limit` are enumerated per perturbation and hallmark.
pub fn impact(
    net: &Network,
    perturbations: &[Perturbation],
    hallmarks: &[NodeId],
    depth: usize,
    shown: usize,
    limit: usize,
) -> Impact {
    let mut truncated = false;
    let mut effects = Vec::new();
    for &hallmark in hallmarks {
        let mut up: Vec<Explanation> = Vec::new();
        let mut down: Vec<Explanation> = Vec::new();
        let mut by: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        for p in perturbations {
            if p.node == hallmark {
                continue;
            }
            let found = paths(net, p.node, hallmark, depth, limit);
            truncated |= found.truncated;
            for path in found.paths {
                let path_sign = if path.sign == "+" {
                    Sign::Positive
                } else {
                    Sign::Negative
                };
                let pushes_up = p.sign.then(path_sign) == Sign::Positive;
                let entry = by.entry(p.name.clone()).or_default();
                let explanation = Explanation {
                    perturbation: p.name.clone(),
                    path,
                };
                if pushes_up {
                    entry.0 = true;
                    up.push(explanation);
                } else {
                    entry.1 = true;
                    down.push(explanation);
                }
            }
        }
        if up.is_empty() && down.is_empty() {
            continue;
        }
        let score = |paths: &[Explanation]| {
            paths
                .iter()
                .fold(0.0, |sum, e| sum + 1.0 / e.path.length as f64)
        };
        let (score_up, score_down): (f64, f64) = (score(&up), score(&down));
        for side in [&mut up, &mut down] {
            side.sort_by(|a, b| {
                a.path
                    .length
                    .cmp(&b.path.length)
                    .then_with(|| a.perturbation.cmp(&b.perturbation))
            });
        }
        let (paths_up, paths_down) = (up.len(), down.len());
        up.truncate(shown);
        down.truncate(shown);
        let node = NodeView::of(net, hallmark);
        effects.push(HallmarkEffect {
            iri: node.iri,
            label: node.label,
            effect: effect(paths_up > 0, paths_down > 0),
            net: if (score_up - score_down).abs() < 1e-9 {
                "balanced"
            } else if score_up > score_down {
                "up"
            } else {
                "down"
            },
            score_up,
            score_down,
            by: by
                .into_iter()
                .map(|(k, (u, d))| (k, effect(u, d)))
                .collect(),
            up,
            down,
            paths_up,
            paths_down,
        });
    }
    effects.sort_by(|a, b| {
        let strength = |e: &HallmarkEffect| e.score_up.max(e.score_down);
        strength(b)
            .total_cmp(&strength(a))
            .then_with(|| a.label.cmp(&b.label))
    });
    Impact {
        perturbations: perturbations.iter().map(|p| p.name.clone()).collect(),
        conflicts: effects.iter().filter(|e| e.effect == "conflict").count(),
        hallmarks: effects,
        truncated,
    }
}

/// The hallmarks one drug or a combination reaches: [`impact`] with each drug as a
/// perturbation, so each hallmark says which drug pushes it which way (`by`).
pub type DrugReach = Impact;

pub fn drug_reach(
    net: &Network,
    drugs: &[NodeId],
    hallmarks: &[NodeId],
    depth: usize,
    shown: usize,
    limit: usize,
) -> DrugReach {
    let perturbations: Vec<Perturbation> = drugs
        .iter()
        .map(|d| Perturbation {
            node: *d,
            sign: Sign::Positive,
            name: net.node(*d).label.clone(),
        })
        .collect();
    impact(net, &perturbations, hallmarks, depth, shown, limit)
}

/// A gene and the drugs that reach it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GeneReach {
    pub gene: NodeView,
    /// Every drug that reaches the gene within the bound, nearest first, with its sign.
    pub drugs: Vec<ReachingDrug>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReachingDrug {
    pub iri: String,
    pub label: String,
    pub distance: usize,
    pub sign: &'static str,
    pub path: PathView,
}

/// For each gene, the drugs that reach it within `depth` steps; a gene with an empty list is
/// one no drug in the network reaches.
pub fn unreached(
    net: &Network,
    genes: &[NodeId],
    drugs: &[NodeId],
    depth: usize,
) -> Vec<GeneReach> {
    let mut out: Vec<GeneReach> = genes
        .iter()
        .map(|g| GeneReach {
            gene: NodeView::of(net, *g),
            drugs: Vec::new(),
        })
        .collect();
    for &drug in drugs {
        for r in reach(net, drug, depth, Stream::Downstream) {
            for (i, g) in genes.iter().enumerate() {
                if net.node(*g).iri == r.iri {
                    out[i].drugs.push(ReachingDrug {
                        iri: net.node(drug).iri.clone(),
                        label: net.node(drug).label.clone(),
                        distance: r.distance,
                        sign: r.sign,
                        path: r.paths[0].clone(),
                    });
                }
            }
        }
    }
    for g in &mut out {
        g.drugs.sort_by(|a, b| {
            a.distance
                .cmp(&b.distance)
                .then_with(|| a.label.cmp(&b.label))
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::toy;
    use super::*;

    #[test]
    fn loss_and_gain_push_the_hallmark_opposite_ways() {
        let net = toy();
        let id = |s| net.find(s).unwrap();
        let h = [id("h")];
        let loss = impact(
            &net,
            &[Perturbation {
                node: id("b"),
                sign: Sign::Negative,
                name: "b loss".into(),
            }],
            &h,
            4,
            5,
            100,
        );
        assert_eq!(loss.hallmarks.len(), 1);
        assert_eq!(loss.hallmarks[0].effect, "down");
        assert_eq!(loss.hallmarks[0].down[0].path.nodes, ["b", "c", "H"]);
        assert!(!loss.hallmarks[0].down[0].path.evidence().is_empty());
        let both = impact(
            &net,
            &[
                Perturbation {
                    node: id("b"),
                    sign: Sign::Negative,
                    name: "b loss".into(),
                },
                Perturbation {
                    node: id("c"),
                    sign: Sign::Positive,
                    name: "c gain".into(),
                },
            ],
            &h,
            4,
            5,
            100,
        );
        assert_eq!(both.hallmarks[0].effect, "conflict");
        assert_eq!(both.conflicts, 1);
        assert_eq!(both.hallmarks[0].by["c gain"], "up");
        assert_eq!(both.hallmarks[0].by["b loss"], "down");
    }

    #[test]
    fn genes_no_drug_reaches() {
        let net = toy();
        let id = |s| net.find(s).unwrap();
        let r = unreached(&net, &[id("c"), id("a")], &[id("b")], 1);
        assert_eq!(r[0].drugs.len(), 1);
        assert_eq!(r[0].drugs[0].sign, "+");
        assert!(r[1].drugs.is_empty());
    }
}
