//! Which simple paths lead from one node to another, and which feedback loops pass through a
//! node? Bounded depth-first enumeration, pruned by breadth-first distances to the goal so
//! that only branches that can still arrive in time are explored.

use super::{distances, PathView};
use crate::model::network::Step;
use crate::model::{Network, NodeId, Sign};
use petgraph::graph::EdgeIndex;
use serde::Serialize;

/// The paths from one node to another.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PathsAnswer {
    /// Simple paths of at most the bound's length, shortest first (the first is a shortest path).
    pub paths: Vec<PathView>,
    /// True when there were more paths than the limit allowed.
    pub truncated: bool,
    /// The net signs found: `+`, `-`, `±`, or empty when no path exists.
    pub sign: &'static str,
}

/// Enumerates simple paths (or cycles, when `start == goal`) of at most `max_length` edges,
/// visiting only nodes from which `goal` is still reachable in the steps left. Stops after
/// `limit` paths; returns whether it stopped early.
fn simple_paths(
    net: &Network,
    start: NodeId,
    goal: NodeId,
    max_length: usize,
    limit: usize,
    allowed: &dyn Fn(NodeId) -> bool,
    out: &mut Vec<Vec<EdgeIndex>>,
) -> bool {
    let to_goal = distances(net, &[goal], max_length, &[false]);
    let mut on_path = vec![false; net.node_count()];
    let mut path: Vec<EdgeIndex> = Vec::new();
    // An explicit stack of edge iterators: deep bounds must not overflow the call stack.
    let mut stack: Vec<std::slice::Iter<'_, Step>> = Vec::new();
    let steps = |n: NodeId| net.adjacent(n, true).iter();
    on_path[start.index()] = true;
    stack.push(steps(start));
    while let Some(frame) = stack.last_mut() {
        let Some(&Step {
            edge, node: next, ..
        }) = frame.next()
        else {
            stack.pop();
            if let Some(e) = path.pop() {
                on_path[net.endpoints(e).1.index()] = false;
            }
            continue;
        };
        let length = path.len() + 1;
        if next == goal {
            if length <= max_length {
                let mut found = path.clone();
                found.push(edge);
                out.push(found);
                if out.len() >= limit {
                    return true;
                }
            }
            continue;
        }
        let rest = to_goal[next.index()];
        if on_path[next.index()]
            || !allowed(next)
            || rest == u32::MAX
            || length + rest as usize > max_length
        {
            continue;
        }
        on_path[next.index()] = true;
        path.push(edge);
        stack.push(steps(next));
    }
    false
}

fn answer(net: &Network, mut found: Vec<Vec<EdgeIndex>>, truncated: bool) -> PathsAnswer {
    found.sort_by_key(|p| p.len());
    let paths: Vec<PathView> = found.iter().map(|p| PathView::of(net, p)).collect();
    let positive = paths.iter().any(|p| p.sign == Sign::Positive.symbol());
    let negative = paths.iter().any(|p| p.sign == Sign::Negative.symbol());
    PathsAnswer {
        sign: if paths.is_empty() {
            ""
        } else {
            super::signs_symbol(positive, negative)
        },
        paths,
        truncated,
    }
}

/// The simple paths from `from` to `to` of at most `max_length` edges, shortest first, at most
/// `limit` of them.
pub fn paths(
    net: &Network,
    from: NodeId,
    to: NodeId,
    max_length: usize,
    limit: usize,
) -> PathsAnswer {
    let mut found = Vec::new();
    let truncated = if from == to {
        false
    } else {
        simple_paths(net, from, to, max_length, limit, &|_| true, &mut found)
    };
    answer(net, found, truncated)
}

/// The feedback loops through `node`: elementary cycles of at most `max_length` edges, each
/// positive or negative by the product of its signs.
pub fn loops(net: &Network, node: NodeId, max_length: usize, limit: usize) -> PathsAnswer {
    let mut found = Vec::new();
    let truncated = simple_paths(net, node, node, max_length, limit, &|_| true, &mut found);
    answer(net, found, truncated)
}

/// Every elementary cycle of at most `max_length` edges in `net` (restrict the network first
/// to look inside one pathway), each once: it is enumerated from its lowest-numbered node.
pub fn loops_within(net: &Network, max_length: usize, limit: usize) -> PathsAnswer {
    let mut found = Vec::new();
    let mut truncated = false;
    for start in net.nodes() {
        let left = limit - found.len();
        let allowed = |n: NodeId| n.index() > start.index();
        if simple_paths(net, start, start, max_length, left, &allowed, &mut found) {
            truncated = true;
            break;
        }
    }
    answer(net, found, truncated)
}

#[cfg(test)]
mod tests {
    use super::super::tests::toy;
    use super::*;

    #[test]
    fn simple_paths_shortest_first_with_signs() {
        let net = toy();
        let id = |s| net.find(s).unwrap();
        let p = paths(&net, id("a"), id("d"), 3, 10);
        assert_eq!(p.paths.len(), 2);
        assert_eq!(p.paths[0].nodes, ["a", "b", "d"]);
        assert_eq!(p.paths[1].nodes, ["a", "b", "c", "d"]);
        assert_eq!(p.sign, "-");
        assert!(!p.truncated);
        let cut = paths(&net, id("a"), id("d"), 3, 1);
        assert!(cut.truncated);
        assert!(paths(&net, id("h"), id("a"), 5, 10).paths.is_empty());
    }

    #[test]
    fn loops_through_a_node_and_within_the_network() {
        let net = toy();
        let a = net.find("a").unwrap();
        let l = loops(&net, a, 4, 10);
        assert_eq!(l.paths.len(), 2); // a → b ⊣ d → a and a → b → c ⊣ d → a
        assert!(l.paths.iter().all(|p| p.sign == "-"));
        assert_eq!(l.paths[0].nodes, ["a", "b", "d", "a"]);
        let all = loops_within(&net, 4, 10);
        assert_eq!(all.paths.len(), 2);
        assert_eq!(loops(&net, a, 2, 10).paths.len(), 0);
    }
}
