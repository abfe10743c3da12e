//! The stack of top-level modules (see `src/lib.rs`): derives which module uses which from the
//! `crate::` paths of non-test code and fails on a cycle, or on a module using one of a higher
//! layer. A new top-level module must be given a layer here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of the library and its layer, bottom (1) to top (7); `main.rs` and
/// `src/cli/` sit above all of them and use the library only through its public paths.
const LAYERS: &[(&str, u8)] = &[
    ("api", 1),
    ("go", 1),
    ("field", 1),
    ("crypto", 1),
    ("throttle", 1),
    ("samples", 1),
    ("authz", 2),
    ("metrics", 2),
    ("health", 2),
    ("cel", 3),
    ("config", 3),
    ("review", 3),
    ("authorizers", 4),
    ("state", 5),
    ("build", 6),
    ("server", 7),
    ("batch", 7),
    ("questions", 7),
    ("shadow", 7),
    ("replay", 7),
    ("loadgen", 7),
    ("questions", 7),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text of `file` without its test code: whole test files, and everything from a
/// `#[cfg(test)]` item on (test modules sit at the end of a file by this repository's custom).
fn non_test_code(file: &Path) -> Option<String> {
    let name = file.file_name()?.to_str()?;
    if name == "tests.rs"
        || name.ends_with("_tests.rs")
        || file.components().any(|c| c.as_os_str() == "tests")
    {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    Some(match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_owned(),
        None => text,
    })
}

/// The top-level module a file of `src/` belongs to.
fn owner(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_owned())
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = owner(&src, &file) else {
            continue;
        };
        if matches!(module.as_str(), "main" | "cli" | "lib") {
            continue;
        }
        assert!(
            known.contains(module.as_str()),
            "src/{module} has no layer in tests/module_layers.rs"
        );
        let Some(code) = non_test_code(&file) else {
            continue;
        };
        let uses = graph.entry(module.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let target: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `$crate::` inside a macro, and macros exported at the root, are not modules.
            if known.contains(target.as_str()) && target != module {
                uses.insert(target);
            }
        }
    }
    graph
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = module_graph();
    assert!(
        graph.contains_key("server") && graph.contains_key("authz"),
        "{graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("top-level modules form a cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn each_module_uses_only_its_layer_and_those_below() {
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut upward = Vec::new();
    for (module, uses) in module_graph() {
        for used in uses {
            if layer[used.as_str()] > layer[module.as_str()] {
                upward.push(format!(
                    "{module} (layer {}) uses {used} (layer {})",
                    layer[module.as_str()],
                    layer[used.as_str()]
                ));
            }
        }
    }
    assert!(upward.is_empty(), "{upward:#?}");
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
