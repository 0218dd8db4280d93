//! Repositories the tests share.

use crate::support::Repo;

pub fn crate_manifest(name: &str, version: &str, deps: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\ndescription = \"{name} crate\"\nlicense = \"MIT\"\n\n[dependencies]\n{deps}"
    )
}

pub fn py_manifest(name: &str, version: &str, deps: &[&str], sources: &[&str]) -> String {
    let deps: Vec<String> = deps.iter().map(|d| format!("{d:?}")).collect();
    let mut s = format!(
        "[project]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"{name} package\"\nlicense = \"MIT\"\nrequires-python = \">=3.9\"\ndependencies = [{}]\n",
        deps.join(", ")
    );
    if !sources.is_empty() {
        s.push_str("\n[tool.uv.sources]\n");
        for src in sources {
            s.push_str(&format!("{src} = {{ workspace = true }}\n"));
        }
    }
    s.push_str("\n[build-system]\nrequires = [\"uv_build>=0.8.0,<0.14\"]\nbuild-backend = \"uv_build\"\n");
    s
}

/// Three crates at the root, three Python packages in a uv workspace in `py/`.
pub fn mixed_files(repo: &Repo) {
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n")
        .write("crates/core/Cargo.toml", &crate_manifest("core", "1.0.0", ""))
        .write("crates/core/src/lib.rs", "pub fn core() {}\n")
        .write(
            "crates/net/Cargo.toml",
            &crate_manifest("net", "0.3.0", "core = { version = \"1.0\", path = \"../core\" }\n"),
        )
        .write("crates/net/src/lib.rs", "pub fn net() {}\n")
        .write(
            "crates/app/Cargo.toml",
            &format!(
                "{}\n[dev-dependencies]\ncore = {{ path = \"../core\" }}\n",
                crate_manifest("app", "0.1.0", "net = { version = \"0.3\", path = \"../net\" }\n")
            ),
        )
        .write("crates/app/src/main.rs", "fn main() {}\n")
        .write("py/pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n")
        .write(
            "py/packages/models/pyproject.toml",
            &py_manifest("models", "1.2.0", &[], &[])
                .replace("dependencies = []\n", "dependencies = []\n\n[project.optional-dependencies]\nspeed = []\n"),
        )
        .write("py/packages/models/src/models/__init__.py", "__version__ = \"1.2.0\"\n")
        .write(
            "py/packages/client/pyproject.toml",
            &py_manifest("client", "0.5.0", &["models[speed]>=1.2,<2; python_version >= '3.9'"], &["models"]),
        )
        .write("py/packages/client/src/client/__init__.py", "")
        .write("py/packages/cli-tool/pyproject.toml", &py_manifest("cli-tool", "0.1.0", &["client>=0.5"], &["client"]))
        .write("py/packages/cli-tool/src/cli_tool/__init__.py", "")
        .write("xtask-release.toml", "[python]\nroot = \"py\"\n");
}

/// The mixed repository with the history of the foundation issue's acceptance:
/// a feat in `core`, a `BREAKING CHANGE:` body in `models`, only a chore in
/// `net`, and no tag at all for `cli-tool`.
pub fn mixed() -> Repo {
    let repo = Repo::new("mixed");
    mixed_files(&repo);
    repo.commit("chore: initial import");
    for t in ["core-v1.0.0", "net-v0.3.0", "app-v0.1.0", "models-v1.2.0", "client-v0.5.0"] {
        repo.tag(t);
    }
    repo.change("crates/core/src/lib.rs", "feat(core): add a parser");
    repo.change(
        "py/packages/models/src/models/__init__.py",
        "fix(models): ids are strings\n\nThey overflowed.\n\nBREAKING CHANGE: Model.id is a str",
    );
    repo.change("crates/net/src/lib.rs", "chore(net): tidy");
    repo
}
