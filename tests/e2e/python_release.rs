//! Releasing Python packages as real repositories build them (issue 18): the folder uv runs in, what
//! the smoke test imports, build errors, platform tags. Real uv, real pypiserver; the packages are
//! built by `stamp_backend.py`, a small PEP 517 backend that stands in for hatchling and maturin (not
//! among the test tools: they would come from the real PyPI), so that a wheel can ship a namespace
//! package, a module under another name than the distribution, a platform tag, or fail to build.

use std::path::Path;
use std::process::Command;

use crate::registries::Registries;
use crate::release::release;
use crate::support::{to_run, xtask_bin, Repo, Run, TempDir};

pub const STAMP_BACKEND: &str = include_str!("stamp_backend.py");

/// A package of a test workspace: its folder under `py/packages/`, manifest and files.
pub struct Pkg {
    pub dir: String,
    pub manifest: String,
    pub files: Vec<(String, String)>,
}

impl Pkg {
    /// A package built by the in-tree stamp backend; `stamp` is its `[tool.stamp]` table.
    pub fn stamp(name: &str, version: &str, stamp: &str, files: &[(&str, &str)]) -> Pkg {
        let mut all: Vec<(String, String)> = files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        all.push(("stamp_backend.py".into(), STAMP_BACKEND.into()));
        Pkg {
            dir: name.into(),
            manifest: format!(
                "{}\n[tool.stamp]\n{stamp}\n\n[build-system]\nrequires = []\nbuild-backend = \"stamp_backend\"\nbackend-path = [\".\"]\n",
                project(name, version)
            ),
            files: all,
        }
    }
}

fn project(name: &str, version: &str) -> String {
    format!("[project]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"{name} package\"\nlicense = \"MIT\"\nrequires-python = \">=3.9\"\ndependencies = []\n")
}

/// A uv workspace in `py/` with `packages`, set up to release to `reg` (`extra` is appended to
/// xtask-release.toml, `workspace` to py/pyproject.toml); `origin` is the bare remote.
pub fn py_repo(reg: &Registries, packages: &[Pkg], workspace: &str, extra: &str) -> Repo {
    let repo = Repo::new("py-release");
    repo.write("py/pyproject.toml", &format!("[tool.uv.workspace]\nmembers = [\"packages/*\"]\n{workspace}"));
    for p in packages {
        repo.write(&format!("py/packages/{}/pyproject.toml", p.dir), &p.manifest);
        for (path, text) in &p.files {
            repo.write(&format!("py/packages/{}/{path}", p.dir), text);
        }
    }
    repo.write("xtask-release.toml", &format!("{}{extra}", reg.config()));
    repo.write(".gitignore", ".venv/\n__pycache__/\n");
    repo.commit("chore: initial import");
    repo.git(&["remote", "add", "origin", &reg.remote().display().to_string()]);
    repo.git(&["push", "-q", "origin", "main"]);
    repo
}

/// `release ARGS` started from the folder `cwd` (as a person starts it from wherever they are).
pub fn release_from(cwd: &Path, repo: &Repo, reg: &Registries, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(xtask_bin());
    cmd.current_dir(cwd).arg("release").args(args).arg("--root").arg(repo.path()).env_remove("XTASK_TRACE");
    for (k, v) in reg.env() {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    to_run(cmd.output().unwrap())
}

/// The text of `member` in the wheel `file` on the index.
pub fn wheel_member(reg: &Registries, file: &str, member: &str) -> String {
    let read = "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())";
    let out = Command::new(reg.tools.join("venv/bin/python"))
        .args(["-c", read])
        .arg(reg.pypi_dir().join(file))
        .arg(member)
        .output()
        .unwrap();
    assert!(out.status.success(), "{file}!{member}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The file names the index has for `name`.
fn files(reg: &Registries, name: &str) -> Vec<String> {
    let mut out: Vec<String> = reg.python_files(name).into_iter().map(|(f, _)| f).collect();
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// uv runs where the project's settings apply (builds) or where none do (smoke tests)

/// The build backend `stampback` at `version`, published to the local index (built by uv_build).
fn publish_backend(reg: &Registries, version: &str) {
    let dir = TempDir::new("stampback");
    let pkg = dir.0.join("stampback");
    std::fs::create_dir_all(pkg.join("src/stampback")).unwrap();
    let code = STAMP_BACKEND.replace("VERSION = \"0\"", &format!("VERSION = \"{version}\""));
    std::fs::write(pkg.join("src/stampback/__init__.py"), code).unwrap();
    std::fs::write(
        pkg.join("pyproject.toml"),
        format!(
            "{}\n[build-system]\nrequires = [\"uv_build>=0.8.0,<0.14\"]\nbuild-backend = \"uv_build\"\n",
            project("stampback", version)
        ),
    )
    .unwrap();
    let uv = |args: &[&str]| {
        let mut cmd = Command::new(reg.tools.join("venv/bin/uv"));
        cmd.args(args).current_dir(&dir.0);
        for (k, v) in reg.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "uv {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    uv(&["build", "-q", "--no-sources", "-o", "dist", "stampback"]);
    let publish_url = format!("http://127.0.0.1:{}/", reg.pypi_port);
    uv(&["publish", "-q", "--publish-url", &publish_url, "dist/*"]);
}

/// A package built by `stampback` from the index, with the constraint `stampback<2` in the uv workspace's
/// own settings (as pydantic-ai constrains hatchling): the build honours it however the tool was started.
#[test]
fn builds_run_in_the_release_trees_workspace_and_honour_its_uv_settings() {
    let reg = Registries::start();
    publish_backend(&reg, "1.0.0");
    publish_backend(&reg, "2.0.0");
    let mut pkg = Pkg::stamp("constrained", "0.1.0", "", &[("src/constrained/__init__.py", "")]);
    pkg.manifest = format!(
        "{}\n[build-system]\nrequires = [\"stampback\"]\nbuild-backend = \"stampback\"\n",
        project("constrained", "0.1.0")
    );
    let repo = py_repo(&reg, &[pkg], "\n[tool.uv]\nbuild-constraint-dependencies = [\"stampback<2\"]\n", "");
    // started from a folder that is no project: only the workspace's own settings can constrain the build
    let elsewhere = TempDir::new("elsewhere");
    let index = reg.simple_url();
    release_from(&elsewhere.0, &repo, &reg, &["--yes"], &[("UV_DEFAULT_INDEX", &index)]).ok();
    let wheel = wheel_member(&reg, "constrained-0.1.0-py3-none-any.whl", "constrained-0.1.0.dist-info/WHEEL");
    assert!(wheel.contains("Generator: stampback 1.0.0"), "built by another backend version:\n{wheel}");
}

/// Started from a folder whose uv.toml says `exclude-newer` (pydantic-ai's root says "7 days"), the
/// smoke test still sees the version it just uploaded: it runs where no project's settings apply.
#[test]
fn smoke_tests_ignore_the_uv_settings_of_the_folder_the_tool_was_started_from() {
    let reg = Registries::start();
    let pkg = Pkg::stamp("fresh", "0.1.0", "", &[("src/fresh/__init__.py", "")]);
    let repo = py_repo(&reg, &[pkg], "", "");
    // ... and the repository's own settings do not reach the smoke test either
    repo.write("uv.toml", "exclude-newer = \"2001-01-01T00:00:00Z\"\n");
    repo.commit("chore: settings of the repository");
    repo.git(&["push", "-q", "origin", "main"]);
    let caller = TempDir::new("caller");
    std::fs::write(caller.0.join("uv.toml"), "exclude-newer = \"2001-01-01T00:00:00Z\"\n").unwrap();
    let run = release_from(&caller.0, &repo, &reg, &["--yes"], &[]).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    assert_eq!(files(&reg, "fresh"), ["fresh-0.1.0-py3-none-any.whl", "fresh-0.1.0.tar.gz"]);
}

// ---------------------------------------------------------------------------------------------
// the smoke test imports what the wheel ships

/// A namespace package (genkit's plugins), a module under another name than the distribution
/// (pydantic-ai-slim ships `pydantic_ai`) and a top-level module (genkit's samples ship `main.py`):
/// each smoke test imports what the wheel's RECORD lists.
#[test]
fn the_smoke_test_imports_the_modules_the_wheel_ships() {
    let reg = Registries::start();
    let repo = py_repo(
        &reg,
        &[
            Pkg::stamp(
                "genkit-plugin-anthropic",
                "0.1.0",
                "packages = [\"src/genkit\"]",
                &[("src/genkit/plugins/anthropic/__init__.py", "NAME = 'anthropic'\n")],
            ),
            Pkg::stamp(
                "pydantic-ai-slim",
                "1.0.0",
                "packages = [\"pydantic_ai\"]",
                &[("pydantic_ai/__init__.py", "from .agent import Agent\n"), ("pydantic_ai/agent.py", "Agent = 1\n")],
            ),
            Pkg::stamp("genkit-sample", "0.1.0", "packages = [\"main.py\"]", &[("main.py", "ANSWER = 42\n")]),
        ],
        "",
        "",
    );
    let run = release(&repo, &reg, &["--yes", "--jobs", "1", "--verbose"]).ok();
    assert!(run.stdout.contains("released 3 package(s)"), "{}", run.stdout);
    for import in ["import genkit.plugins.anthropic", "import pydantic_ai", "import main"] {
        assert!(run.stderr.contains(import), "no `{import}` in the trace:\n{}", run.stderr);
    }
    // the dry run says what each smoke test will import, from the configuration or the wheel
    repo.change("py/packages/pydantic-ai-slim/pydantic_ai/agent.py", "fix: agent");
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--dry-run"]).ok();
    assert!(run.stdout.contains("the modules the wheel ships (its RECORD)"), "{}", run.stdout);
}

/// `[[smoke-tests]]` says what to import or run instead; an import the wheel does not ship is
/// refused before anything of that package is uploaded.
#[test]
fn a_configured_smoke_test_runs_and_an_import_the_wheel_lacks_stops_before_the_upload() {
    let reg = Registries::start();
    let marker = TempDir::new("smoke-marker");
    let ran = marker.0.join("ran");
    let sample = Pkg::stamp("genkit-sample", "0.1.0", "packages = [\"main.py\"]", &[("main.py", "ANSWER = 42\n")]);
    let slim = Pkg::stamp(
        "pydantic-ai-slim",
        "1.0.0",
        "packages = [\"pydantic_ai\"]",
        &[("pydantic_ai/__init__.py", ""), ("pydantic_ai/agent.py", "Agent = 1\n")],
    );
    let config = format!(
        "\n[[smoke-tests]]\npackage = \"genkit-sample\"\nimport = []\nrun = [\"python\", \"-c\", \"import main, pathlib; assert main.ANSWER == 42; pathlib.Path(r'{}').write_text('ran')\"]\n\n[[smoke-tests]]\npackage = \"pydantic-ai-slim\"\nimport = [\"pydantic_ai.agent\", \"pydantic_ai.models\"]\n",
        ran.display()
    );
    let repo = py_repo(&reg, &[sample, slim], "", &config);
    let run = release(&repo, &reg, &["--yes", "--jobs", "1"]).fails_with("XR123");
    assert!(
        run.stderr
            .contains("pydantic-ai-slim: the smoke test imports `pydantic_ai.models`, which the wheel does not ship"),
        "{}",
        run.stderr
    );
    assert!(files(&reg, "pydantic-ai-slim").is_empty(), "uploaded: {:?}", files(&reg, "pydantic-ai-slim"));
    assert_eq!(std::fs::read_to_string(&ran).unwrap_or_default(), "ran", "genkit-sample's smoke command ran");
}

// ---------------------------------------------------------------------------------------------
// build errors

/// A build backend's own error (hatchling's traceback) is shown, and the help says what a resume
/// does with a bug in the source: it rebuilds the same commit and fails again.
#[test]
fn a_failed_build_shows_the_backends_own_output_and_what_to_do() {
    let reg = Registries::start();
    let broken = Pkg::stamp(
        "broken",
        "0.1.0",
        "fail = \"License file LICENSE.txt does not exist\"",
        &[("src/broken/__init__.py", "")],
    );
    let fine = Pkg::stamp("fine", "0.1.0", "", &[("src/fine/__init__.py", "")]);
    let repo = py_repo(&reg, &[broken, fine], "", "");
    let run = release(&repo, &reg, &["--yes", "--jobs", "1"]).fails_with("XR102");
    assert!(run.stderr.contains("RuntimeError: License file LICENSE.txt does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("--abandon"), "{}", run.stderr);
    assert!(files(&reg, "broken").is_empty());
    // a resume rebuilds the very same commit: the same error again, and the same advice
    let run = release(&repo, &reg, &["--resume", "--yes", "--jobs", "1"]).fails_with("XR102");
    assert!(run.stderr.contains("RuntimeError: License file LICENSE.txt does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("rebuilds the same commit"), "{}", run.stderr);
    // abandoned, nothing resumes it: its worktree and work folder go, and git forgets the worktree
    let run = release(&repo, &reg, &["--abandon"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let worktrees = repo.git(&["worktree", "list", "--porcelain"]);
    assert_eq!(worktrees.matches("worktree ").count(), 1, "{worktrees}");
    let state = repo.path().join(".git/xtask-release");
    let left: Vec<_> = std::fs::read_dir(&state).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["last-release.json"], "in {}", state.display());
}

// ---------------------------------------------------------------------------------------------
// platform tags

/// A plain maturin build gives one `linux_x86_64` wheel; PyPI refuses that platform. With PyPI's
/// rule (the default for pypi.org and test.pypi.org, here set for the local index) the wheel is
/// refused before anything is uploaded, and the help says how to build the accepted ones.
#[test]
fn a_wheel_whose_platform_pypi_refuses_is_never_uploaded() {
    let reg = Registries::start();
    let native = Pkg::stamp("native", "0.1.0", "tag = \"cp311-cp311-linux_x86_64\"", &[("src/native/__init__.py", "")]);
    let repo = py_repo(&reg, &[native], "", "");
    let config = std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap();
    repo.write("xtask-release.toml", &config.replace("[python]\n", "[python]\nplatform-tags = \"pypi\"\n"));
    repo.commit("chore: the PyPI rule for platform tags");
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--yes"]).fails_with("XR124");
    assert!(run.stderr.contains("native-0.1.0-cp311-cp311-linux_x86_64.whl"), "{}", run.stderr);
    assert!(run.stderr.contains("manylinux"), "{}", run.stderr);
    assert!(files(&reg, "native").is_empty(), "uploaded: {:?}", files(&reg, "native"));
    // without the key, a local index takes any platform (the rule for pypi.org and test.pypi.org is PyPI's)
    let native =
        Pkg::stamp("native-any", "0.1.0", "tag = \"cp311-cp311-linux_x86_64\"", &[("src/native_any/__init__.py", "")]);
    reg.reset_remote();
    let repo = py_repo(&reg, &[native], "", "");
    release(&repo, &reg, &["--yes"]).ok();
    assert_eq!(files(&reg, "native-any"), ["native_any-0.1.0-cp311-cp311-linux_x86_64.whl", "native_any-0.1.0.tar.gz"]);
}

/// A dependency the index does not have (a local index that does not fall back to PyPI) makes the smoke
/// test's install fail after the upload: that is said as such (`XR118`, naming the dependency), not as a
/// broken package (`XR107`); once the dependency is on the index, `--resume` runs the smoke test again and
/// finishes, uploading nothing twice.
#[test]
fn a_dependency_missing_from_the_index_is_named_and_resume_finishes() {
    let reg = Registries::start();
    let mut app = Pkg::stamp("app", "1.0.0", "packages = [\"app\"]", &[("app/__init__.py", "X = 1\n")]);
    app.manifest = app.manifest.replace("dependencies = []", "dependencies = [\"stampback>=1\"]");
    let repo = py_repo(&reg, &[app], "", "");
    let run = release(&repo, &reg, &["--yes"]).fails_with("XR118");
    assert!(run.stderr.contains("its dependency stampback is not on"), "{}", run.stderr);
    assert!(!run.stderr.contains("XR107"), "{}", run.stderr);
    assert_eq!(files(&reg, "app"), ["app-1.0.0-py3-none-any.whl", "app-1.0.0.tar.gz"]);

    publish_backend(&reg, "1.0.0");
    let run = release(&repo, &reg, &["--resume", "--yes"]).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    assert_eq!(files(&reg, "app"), ["app-1.0.0-py3-none-any.whl", "app-1.0.0.tar.gz"]);
}
