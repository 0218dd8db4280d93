//! Unit tests of Cargo discovery: implicit members, paths outside the workspace.

use std::path::Path;

use crate::config::Config;
use crate::workspace::{DepKind, Workspace};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn krate(name: &str, deps: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n{deps}")
}

fn edges(ws: &Workspace) -> Vec<String> {
    let mut out: Vec<String> = ws
        .packages
        .iter()
        .flat_map(|p| p.deps.iter().map(move |d| format!("{} -> {} {:?}", p.name, d.name, d.kind)))
        .collect();
    out.sort();
    out
}

/// Checked against `cargo metadata --no-deps` on the same files.
#[test]
fn path_dependencies_inside_the_workspace_are_members() {
    let tmp = crate::test_support::TempDir::new("implicit-members");
    let root = &tmp.0;
    write(
        root,
        "Cargo.toml",
        r#"[workspace]
members = ["crates/app", "crates/skipped/kept"]
default-members = ["crates/app"]
exclude = ["crates/skipped"]

[workspace.dependencies]
shared = { path = "crates/shared", version = "1" }
"#,
    );
    write(
        root,
        "crates/app/Cargo.toml",
        &krate(
            "app",
            r#"[dependencies]
app-macros = { path = "macros", version = "1" }
shared.workspace = true
skipped = { path = "../skipped", version = "1" }
inner = { path = "../skipped/inner", version = "1" }

[build-dependencies]
gen = { path = "../../tools/gen", version = "1" }

[target.'cfg(unix)'.dev-dependencies]
devonly = { path = "../devonly" }
"#,
        ),
    );
    write(
        root,
        "crates/app/macros/Cargo.toml",
        &krate("app-macros", "[dependencies]\ndeep = { path = \"../../../deep\" }\n"),
    );
    write(root, "crates/shared/Cargo.toml", &krate("shared", ""));
    write(root, "crates/devonly/Cargo.toml", &krate("devonly", ""));
    write(root, "tools/gen/Cargo.toml", &krate("gen", ""));
    write(root, "deep/Cargo.toml", &krate("deep", ""));
    write(root, "crates/skipped/Cargo.toml", &krate("skipped", ""));
    write(root, "crates/skipped/inner/Cargo.toml", &krate("inner", ""));
    write(
        root,
        "crates/skipped/kept/Cargo.toml",
        &krate("kept", "[dependencies]\nskipped = { path = \"..\", version = \"1\" }\n"),
    );

    let ws = Workspace::discover(root, &Config::default()).unwrap();
    let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["app", "app-macros", "deep", "devonly", "gen", "kept", "shared"]);
    assert_eq!(ws.packages[1].manifest, "crates/app/macros/Cargo.toml");
    assert_eq!(
        edges(&ws),
        [
            "app -> app-macros Normal",
            "app -> devonly Dev",
            "app -> gen Build",
            "app -> shared Normal",
            "app-macros -> deep Normal",
        ]
    );
    // excluded crates are dependencies from elsewhere, not problems
    assert!(ws.issues.is_empty(), "{:?}", ws.issues);
    assert!(ws.packages.iter().all(|p| p.deps.iter().all(|d| d.kind != DepKind::Normal || d.name != "skipped")));
}

#[test]
fn path_dependencies_outside_the_workspace_folder_are_not_members() {
    let tmp = crate::test_support::TempDir::new("outside-members");
    let root = &tmp.0;
    write(root, "ws/Cargo.toml", "[workspace]\nmembers = [\"app\"]\n");
    write(
        root,
        "ws/app/Cargo.toml",
        &krate(
            "app",
            "[dependencies]\nlib = { path = \"../../lib\", version = \"1\" }\nnover = { path = \"../../nover\" }\n",
        ),
    );
    write(root, "lib/Cargo.toml", &krate("lib", ""));
    write(root, "nover/Cargo.toml", &krate("nover", ""));
    // a package without [workspace] is alone in its workspace
    write(root, "solo/Cargo.toml", &krate("solo", "[dependencies]\nlib = { path = \"../lib\" }\n"));
    let config = Config { cargo_root: "ws".into(), ..Config::default() };
    let ws = Workspace::discover(root, &config).unwrap();
    let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["app"]);
    assert!(ws.packages[0].deps.is_empty());
    // without a version the dependent cannot be published: that one is reported
    assert_eq!(ws.issues.len(), 1, "{:?}", ws.issues);
    assert!(ws.issues[0].message.contains("path `nover`"), "{}", ws.issues[0].message);

    let config = Config { cargo_root: "solo".into(), ..Config::default() };
    let ws = Workspace::discover(root, &config).unwrap();
    let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["solo"]);
}
