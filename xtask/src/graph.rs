//! The internal dependency graph (petgraph): cycles, levels, release order,
//! dependency and dependent closures, and the `graph` command's renderings.
//!
//! Edges go from a package to what it depends on (`app -> core`). Only normal
//! and build dependencies are edges: dev-dependencies do not order publishing
//! (cargo strips them; Python dependency groups are not published).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::error::{fail, Code};
use crate::workspace::{DepKind, Workspace};

pub struct Graph {
    g: DiGraph<usize, ()>,
    names: Vec<String>,
    /// Topological level: 0 = no internal dependencies.
    pub levels: Vec<usize>,
    /// Package indices in release order: by level, then by name.
    pub order: Vec<usize>,
    /// Edges that come only from optional dependencies (extras).
    pub optional: BTreeSet<(usize, usize)>,
    /// Optional edges left out because they would close a cycle: the
    /// dependency is published after the package whose extra names it.
    pub dropped: Vec<(usize, usize)>,
}

impl Graph {
    /// Builds the graph; fails on self-dependencies and cycles of required
    /// (normal and build) dependencies. Optional dependencies (extras) are
    /// added afterwards, in name order, each unless it would close a cycle;
    /// those are recorded in `dropped`.
    pub fn new(ws: &Workspace) -> anyhow::Result<Graph> {
        let names: Vec<String> = (0..ws.packages.len()).map(|i| ws.id(i)).collect();
        let mut g = DiGraph::new();
        for i in 0..names.len() {
            g.add_node(i);
        }
        let mut optional_wanted: BTreeSet<(usize, usize)> = BTreeSet::new();
        let mut required: BTreeSet<(usize, usize)> = BTreeSet::new();
        for (i, p) in ws.packages.iter().enumerate() {
            for d in p.deps.iter().filter(|d| d.kind != DepKind::Dev) {
                let Some(j) = ws.dep_index(p, d) else {
                    continue;
                };
                if i == j && d.optional {
                    continue; // an extra naming the package's own extras
                }
                if i == j {
                    return Err(fail(
                        Code::SelfDependency,
                        format!("{} depends on itself ({})", p.name, p.manifest),
                        format!("remove the dependency on `{}` from {}", p.name, p.manifest),
                    ));
                }
                if d.optional {
                    optional_wanted.insert((i, j));
                } else if required.insert((i, j)) {
                    g.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
                }
            }
        }
        let mut graph = Graph { g, names, levels: vec![], order: vec![], optional: BTreeSet::new(), dropped: vec![] };
        if let Some(cycle) = graph.find_cycle() {
            return Err(fail(
                Code::Cycle,
                format!("dependency cycle: {}", cycle.join(" -> ")),
                "break the cycle (dev-dependencies are allowed to point back; normal and build ones are not)",
            ));
        }
        let mut optional: Vec<(usize, usize)> = optional_wanted.into_iter().filter(|e| !required.contains(e)).collect();
        optional.sort_by(|a, b| (&graph.names[a.0], &graph.names[a.1]).cmp(&(&graph.names[b.0], &graph.names[b.1])));
        for (i, j) in optional {
            if petgraph::algo::has_path_connecting(&graph.g, NodeIndex::new(j), NodeIndex::new(i), None) {
                graph.dropped.push((i, j));
            } else {
                graph.g.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
                graph.optional.insert((i, j));
            }
        }
        graph.levels = graph.compute_levels();
        let mut order: Vec<usize> = (0..graph.names.len()).collect();
        order.sort_by(|&a, &b| graph.levels[a].cmp(&graph.levels[b]).then_with(|| graph.names[a].cmp(&graph.names[b])));
        graph.order = order;
        Ok(graph)
    }

    /// A cycle as a list of names that starts and ends with the same package.
    fn find_cycle(&self) -> Option<Vec<String>> {
        let mut sccs: Vec<Vec<NodeIndex>> = tarjan_scc(&self.g).into_iter().filter(|c| c.len() > 1).collect();
        for c in &mut sccs {
            c.sort_by(|a, b| self.names[a.index()].cmp(&self.names[b.index()]));
        }
        sccs.sort_by(|a, b| self.names[a[0].index()].cmp(&self.names[b[0].index()]));
        let scc = sccs.first()?;
        let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
        let start = scc[0];
        // breadth-first search inside the component for the shortest way back to `start`
        let mut prev: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            let mut next: Vec<NodeIndex> = self.g.neighbors(n).filter(|m| members.contains(m)).collect();
            next.sort_by(|a, b| self.names[a.index()].cmp(&self.names[b.index()]));
            for m in next {
                if m == start {
                    let mut path = vec![start];
                    let mut cur = n;
                    while cur != start {
                        path.push(cur);
                        cur = prev[&cur];
                    }
                    path.push(start);
                    let last = path.len() - 1;
                    path[1..last].reverse();
                    return Some(path.iter().map(|i| self.names[i.index()].clone()).collect());
                }
                if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(m) {
                    e.insert(n);
                    queue.push_back(m);
                }
            }
        }
        None
    }

    fn compute_levels(&self) -> Vec<usize> {
        let mut levels = vec![usize::MAX; self.names.len()];
        fn visit(g: &DiGraph<usize, ()>, n: NodeIndex, levels: &mut Vec<usize>) -> usize {
            if levels[n.index()] != usize::MAX {
                return levels[n.index()];
            }
            let deps: Vec<NodeIndex> = g.neighbors(n).collect();
            let l = deps.into_iter().map(|d| visit(g, d, levels) + 1).max().unwrap_or(0);
            levels[n.index()] = l;
            l
        }
        for i in 0..self.names.len() {
            visit(&self.g, NodeIndex::new(i), &mut levels);
        }
        levels
    }

    /// Direct internal (normal and build) dependencies of package `i`, sorted by name.
    pub fn deps(&self, i: usize) -> Vec<usize> {
        self.sorted(self.g.neighbors_directed(NodeIndex::new(i), Direction::Outgoing).map(|n| n.index()))
    }

    /// Direct dependents of package `i`, sorted by name.
    pub fn rdeps(&self, i: usize) -> Vec<usize> {
        self.sorted(self.g.neighbors_directed(NodeIndex::new(i), Direction::Incoming).map(|n| n.index()))
    }

    /// `i` and everything it needs, transitively.
    pub fn deps_closure(&self, i: usize) -> BTreeSet<usize> {
        self.closure(i, Direction::Outgoing)
    }

    /// `i` and everything that needs it, transitively.
    pub fn rdeps_closure(&self, i: usize) -> BTreeSet<usize> {
        self.closure(i, Direction::Incoming)
    }

    fn closure(&self, i: usize, dir: Direction) -> BTreeSet<usize> {
        let mut seen = BTreeSet::from([i]);
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            for m in self.g.neighbors_directed(NodeIndex::new(n), dir) {
                if seen.insert(m.index()) {
                    stack.push(m.index());
                }
            }
        }
        seen
    }

    fn sorted(&self, it: impl Iterator<Item = usize>) -> Vec<usize> {
        let mut v: Vec<usize> = it.collect();
        v.sort_by(|a, b| self.names[*a].cmp(&self.names[*b]));
        v.dedup();
        v
    }

    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut e: Vec<(usize, usize)> =
            self.g.edge_references().map(|e| (e.source().index(), e.target().index())).collect();
        e.sort_by(|a, b| (self.name(a.0), self.name(a.1)).cmp(&(self.name(b.0), self.name(b.1))));
        e
    }
}

/// How `graph` draws the graph (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Levels,
    Ascii,
    Dot,
    Mermaid,
    Json,
}

/// What the `graph` command prints, for the packages in `show` (release order kept).
pub fn render(ws: &Workspace, graph: &Graph, show: &BTreeSet<usize>, format: Format) -> String {
    let view = View::new(ws, graph, show);
    match format {
        Format::Levels => view.levels(),
        Format::Ascii => view.ascii(),
        Format::Dot => view.dot(),
        Format::Mermaid => view.mermaid(),
        Format::Json => view.json(),
    }
}

/// The part of the graph `render` draws: the packages in `show` and the edges
/// between two of them.
struct View<'a> {
    ws: &'a Workspace,
    graph: &'a Graph,
    show: &'a BTreeSet<usize>,
    /// The packages shown, in release order.
    order: Vec<usize>,
    /// maturin: the Python package and the crate it is built from (not an
    /// order: the build compiles the crate).
    pairs: Vec<(usize, usize)>,
    edges: Vec<(usize, usize)>,
    dropped: Vec<(usize, usize)>,
}

impl<'a> View<'a> {
    fn new(ws: &'a Workspace, graph: &'a Graph, show: &'a BTreeSet<usize>) -> View<'a> {
        let order: Vec<usize> = graph.order.iter().copied().filter(|i| show.contains(i)).collect();
        let pairs: Vec<(usize, usize)> =
            order.iter().filter_map(|&i| Some((i, ws.maturin_crate(i)?))).filter(|(_, j)| show.contains(j)).collect();
        let edges: Vec<(usize, usize)> =
            graph.edges().into_iter().filter(|(a, b)| show.contains(a) && show.contains(b)).collect();
        let dropped: Vec<(usize, usize)> =
            graph.dropped.iter().copied().filter(|(a, b)| show.contains(a) && show.contains(b)).collect();
        View { ws, graph, show, order, pairs, edges, dropped }
    }

    /// A package's line: name, version, ecosystem, and the crate it is built from.
    fn label(&self, i: usize) -> String {
        let ws = self.ws;
        let p = &ws.packages[i];
        let outside = p.built_from.as_ref().filter(|b| !b.member && !b.name.is_empty());
        let from = match (built_from(ws, i), outside) {
            (Some(c), _) => format!(", built from crate {c}"),
            (None, Some(b)) => format!(", built from crate {} outside the Cargo root", b.name),
            (None, None) => String::new(),
        };
        format!("{} {} ({}{from})", p.name, shown_version(p), p.ecosystem.as_str())
    }

    /// The note under the text formats on optional edges left out of the order.
    fn dropped_text(&self) -> String {
        let graph = self.graph;
        let mut s = String::new();
        if !self.dropped.is_empty() {
            s.push_str("\noptional dependencies left out of the order (they would close a cycle):\n");
            for (a, b) in &self.dropped {
                let _ = writeln!(
                    s,
                    "  {} -> {} (extra; {} is published after {})",
                    graph.name(*a),
                    graph.name(*b),
                    graph.name(*b),
                    graph.name(*a)
                );
            }
        }
        s
    }

    /// `--format levels`: the packages by topological level.
    fn levels(&self) -> String {
        let levels = &self.graph.levels;
        let mut out = String::new();
        let max = self.order.iter().map(|&i| levels[i]).max().unwrap_or(0);
        for level in 0..=max {
            let at: Vec<String> = self.order.iter().filter(|&&i| levels[i] == level).map(|&i| self.label(i)).collect();
            if at.is_empty() {
                continue;
            }
            let _ = writeln!(out, "level {level}:");
            for l in at {
                let _ = writeln!(out, "  {l}");
            }
        }
        out.push_str(&self.dropped_text());
        out
    }

    /// `--format ascii`: each package that nothing shown depends on is a root;
    /// its dependencies hang below it.
    fn ascii(&self) -> String {
        let graph = self.graph;
        let mut out = String::new();
        let mut roots: Vec<usize> =
            self.order.iter().copied().filter(|&i| !self.edges.iter().any(|&(_, b)| b == i)).collect();
        roots.sort_by(|a, b| graph.name(*a).cmp(graph.name(*b)));
        let mut printed = BTreeSet::new();
        for r in roots {
            let _ = writeln!(out, "{}", self.label(r));
            tree(self.ws, graph, self.show, r, "", &mut printed, &mut out);
        }
        out.push_str(&self.dropped_text());
        out
    }

    /// `--format dot`: Graphviz, dependencies below their dependents.
    fn dot(&self) -> String {
        let graph = self.graph;
        let mut out = String::from("digraph dependencies {\n  rankdir=BT;\n  node [shape=box];\n");
        for &i in &self.order {
            let p = &self.ws.packages[i];
            let shape = if p.ecosystem.as_str() == "cargo" { "box" } else { "ellipse" };
            let _ =
                writeln!(out, "  \"{}\" [label=\"{}\\n{}\", shape={shape}];", graph.name(i), p.name, shown_version(p));
        }
        for (a, b) in &self.edges {
            let style = if graph.optional.contains(&(*a, *b)) { " [style=dashed, label=\"optional\"]" } else { "" };
            let _ = writeln!(out, "  \"{}\" -> \"{}\"{style};", graph.name(*a), graph.name(*b));
        }
        for (a, b) in &self.dropped {
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\" [style=dotted, constraint=false, label=\"optional, dropped: cycle\"];",
                graph.name(*a),
                graph.name(*b)
            );
        }
        for (a, b) in &self.pairs {
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\" [style=dashed, constraint=false, label=\"built from\"];",
                graph.name(*a),
                graph.name(*b)
            );
        }
        out.push_str("}\n");
        out
    }

    /// `--format mermaid`: a Mermaid flowchart, dependencies below their dependents.
    fn mermaid(&self) -> String {
        let mut out = String::from("graph BT\n");
        let id = |i: usize| format!("n{i}");
        for &i in &self.order {
            let p = &self.ws.packages[i];
            let _ = writeln!(out, "  {}[\"{} {}\"]", id(i), p.name, shown_version(p));
        }
        for (a, b) in &self.edges {
            if self.graph.optional.contains(&(*a, *b)) {
                let _ = writeln!(out, "  {} -. optional .-> {}", id(*a), id(*b));
            } else {
                let _ = writeln!(out, "  {} --> {}", id(*a), id(*b));
            }
        }
        for (a, b) in &self.dropped {
            let _ = writeln!(out, "  {} -. dropped .-> {}", id(*a), id(*b));
        }
        for (a, b) in &self.pairs {
            let _ = writeln!(out, "  {} -. built from .-> {}", id(*a), id(*b));
        }
        out
    }

    /// `--format json`: packages, edges, and (when there are any) maturin pairs
    /// and dropped edges.
    fn json(&self) -> String {
        let graph = self.graph;
        let packages: Vec<serde_json::Value> = self.order.iter().map(|&i| self.package_json(i)).collect();
        let edge = |a: usize, b: usize| serde_json::json!({"from": graph.name(a), "to": graph.name(b)});
        let edges: Vec<serde_json::Value> = (self.edges.iter())
            .map(|&(a, b)| {
                let mut e = edge(a, b);
                if graph.optional.contains(&(a, b)) {
                    e["optional"] = true.into();
                }
                e
            })
            .collect();
        let mut doc = serde_json::json!({"packages": packages, "edges": edges});
        if !self.pairs.is_empty() {
            doc["built_from"] = (self.pairs.iter())
                .map(|&(a, b)| serde_json::json!({"python": graph.name(a), "crate": graph.name(b), "via": "maturin"}))
                .collect();
        }
        if !self.dropped.is_empty() {
            doc["dropped_edges"] = (self.dropped.iter())
                .map(|&(a, b)| {
                    let mut e = edge(a, b);
                    e["optional"] = true.into();
                    e["reason"] = "an optional dependency that would close a cycle: published after".into();
                    e
                })
                .collect();
        }
        let mut out = serde_json::to_string_pretty(&doc).expect("JSON of strings");
        out.push('\n');
        out
    }

    /// One package of `--format json`, its dependencies and dependents among those shown.
    fn package_json(&self, i: usize) -> serde_json::Value {
        let (graph, show) = (self.graph, self.show);
        let p = &self.ws.packages[i];
        let dev: BTreeSet<&str> = p.deps.iter().filter(|d| d.kind == DepKind::Dev).map(|d| d.name.as_str()).collect();
        serde_json::json!({
            "name": p.name,
            "ecosystem": p.ecosystem,
            "version": shown_version(p),
            "path": p.dir,
            "level": graph.levels[i],
            "dependencies": graph.deps(i).iter().filter(|d| show.contains(d)).map(|&d| graph.name(d)).collect::<Vec<_>>(),
            "dependents": graph.rdeps(i).iter().filter(|d| show.contains(d)).map(|&d| graph.name(d)).collect::<Vec<_>>(),
            "dev_dependencies": dev,
        })
    }
}

/// A package's version as `graph` shows it: versions from git tags are only
/// known to the plan (which reads the tags); a virtual project may have none.
fn shown_version(p: &crate::workspace::Package) -> String {
    match p.version_source {
        crate::workspace::VersionSource::Vcs(v) => format!("(version from git tags, {})", v.plugin()),
        crate::workspace::VersionSource::Missing if p.version_text.is_empty() => "(no version)".into(),
        _ => p.version_text.clone(),
    }
}

/// The crate a maturin package is built from, by name, when it is a member here.
fn built_from(ws: &Workspace, i: usize) -> Option<&str> {
    ws.maturin_crate(i).map(|j| ws.packages[j].name.as_str())
}

fn tree(
    ws: &Workspace,
    graph: &Graph,
    show: &BTreeSet<usize>,
    i: usize,
    prefix: &str,
    printed: &mut BTreeSet<usize>,
    out: &mut String,
) {
    let deps: Vec<usize> = graph.deps(i).into_iter().filter(|d| show.contains(d)).collect();
    let first_time = printed.insert(i);
    for (k, &d) in deps.iter().enumerate() {
        let last = k + 1 == deps.len();
        let p = &ws.packages[d];
        let seen = printed.contains(&d) && !graph.deps(d).is_empty();
        let _ = writeln!(
            out,
            "{prefix}{}{} {}{}{}",
            if last { "└── " } else { "├── " },
            p.name,
            shown_version(p),
            if graph.optional.contains(&(i, d)) { " (optional)" } else { "" },
            if seen { " (*)" } else { "" }
        );
        if !seen && first_time {
            let child = format!("{prefix}{}", if last { "    " } else { "│   " });
            tree(ws, graph, show, d, &child, printed, out);
        }
    }
}
