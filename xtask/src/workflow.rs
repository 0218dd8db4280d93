//! `cargo xtask ci`: releasing from GitHub Actions. `ci --github` writes
//! `.github/workflows/release.yml` from what the repository holds (its
//! ecosystems, its release branches); `ci --next` is the workflow's first
//! step: what this push should do (`release-pr`, `release` or nothing),
//! written to `$GITHUB_OUTPUT` for the jobs after it.
//!
//! The workflow is the user's file once written: a run that would replace an
//! edited one refuses without `--yes`, a dry run prints the difference, and
//! a second run on an unchanged repository changes nothing.

use std::fmt::Write as _;
use std::path::Path;

use xshell::Shell;

use crate::error::{fail, Code};
use crate::plan::Plan;
use crate::repo::Repo;
use crate::shell::{Ctx, Mode};
use crate::version::Ecosystem;

/// Where the workflow is written, from the repository's root.
pub const WORKFLOW: &str = ".github/workflows/release.yml";

#[derive(Debug)]
pub enum Options {
    /// `ci --github [--dry-run] [--yes]`.
    Github { mode: Mode, yes: bool },
    /// `ci --next`.
    Next,
}

pub fn run(sh: &Shell, repo: &Repo, opts: &Options) -> anyhow::Result<()> {
    match opts {
        Options::Github { mode, yes } => write_workflow(repo, *mode, *yes),
        Options::Next => next(sh, repo),
    }
}

/// What shapes the workflow: which tools the jobs set up, which branches
/// release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// A publishable Python package: the jobs set up uv.
    pub python: bool,
    /// The branches a push to which releases (`[release] allow-branches`).
    pub branches: Vec<String>,
    /// The release pull request's branch (`[release] pr-branch`): never a
    /// release branch, even when an allowed pattern matches it.
    pub pr_branch: String,
    /// Native Python packages (`[matrix] packages`): a matrix job builds
    /// their artifacts, and the release publishes them (`--artifacts`).
    pub matrix: bool,
}

impl Shape {
    pub fn of(repo: &Repo) -> anyhow::Result<Shape> {
        let python = repo.ws.packages.iter().any(|p| p.ecosystem == Ecosystem::Python && p.unpublishable.is_none());
        Ok(Shape {
            python,
            branches: repo.config.allow_branches.clone(),
            pr_branch: repo.config.pr_branch.clone(),
            matrix: !crate::release::record::matrix_packages(repo)?.is_empty(),
        })
    }
}

/// `ci --github`: the workflow, written unless it is already so; an edited
/// one only with `--yes`.
fn write_workflow(repo: &Repo, mode: Mode, yes: bool) -> anyhow::Result<()> {
    let path = repo.root.join(WORKFLOW);
    let new = render(&Shape::of(repo)?);
    let old = std::fs::read_to_string(&path).ok();
    if old.as_deref() == Some(new.as_str()) {
        println!("nothing to change: {WORKFLOW} is up to date");
        return Ok(());
    }
    if old.is_some() && !yes {
        return Err(fail(
            Code::WorkflowOverwrite,
            format!("{WORKFLOW} exists and differs from the workflow `ci --github` writes"),
            "see the difference with `cargo xtask ci --github --dry-run`, then replace it with --yes",
        ));
    }
    let ctx = Ctx::new(mode, repo.root.clone());
    print!("{}", mode.pick_with(|| crate::init::unified(WORKFLOW, old.as_deref(), &new), String::new));
    ctx.create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    ctx.write(&path, new.as_bytes(), "the release workflow")?;
    let done =
        format!("wrote {WORKFLOW}: commit it (README.md, \"Release from GitHub Actions\", says what else to set up)\n");
    print!("{}", mode.pick(String::new(), done));
    Ok(())
}

/// What a push should do, by the plan of its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Changes to release: open or update the release pull request.
    ReleasePr,
    /// The commit records a release not made yet: make it.
    Release,
    /// Nothing to release.
    Nothing,
}

impl Next {
    pub fn word(self) -> &'static str {
        match self {
            Next::ReleasePr => "release-pr",
            Next::Release => "release",
            Next::Nothing => "nothing",
        }
    }

    /// What this commit calls for: a recorded release not made yet (a merged
    /// release pull request), else its plan's releases.
    pub fn of(recorded: bool, plan: &Plan) -> Next {
        if recorded {
            Next::Release
        } else if plan.releases().next().is_none() {
            Next::Nothing
        } else {
            Next::ReleasePr
        }
    }
}

/// `ci --next`: one line saying what to do, and `next=WORD` in
/// `$GITHUB_OUTPUT` (the job's outputs file) when the runner names one.
fn next(sh: &Shell, repo: &Repo) -> anyhow::Result<()> {
    let active = crate::release::record::active(sh, repo)?;
    let plan = match &active {
        Some(a) => a.record.plan.clone(),
        None => repo.plan(sh, &crate::plan::Options::default())?.1,
    };
    let next = Next::of(active.is_some(), &plan);
    let count = plan.releases().count();
    match next {
        Next::ReleasePr => println!("next: release-pr ({count} package(s) to release)"),
        Next::Release => println!("next: release (this commit records the release of {count} package(s))"),
        Next::Nothing => println!("next: nothing (no package has changes to release)"),
    }
    let artifacts = active.as_ref().map_or(&[][..], |a| &a.record.artifacts[..]);
    if !artifacts.is_empty() {
        println!("the CI matrix builds {} artifact(s) first", artifacts.len());
    }
    if let Some(file) = std::env::var_os("GITHUB_OUTPUT").filter(|f| !f.is_empty()) {
        let matrix = matrix_json(artifacts);
        append_output(Path::new(&file), &format!("next={}\nmatrix={matrix}\n", next.word()))?;
    }
    Ok(())
}

/// The wheels job's matrix (`strategy.matrix`, `{"include": [...]}`) for the
/// recorded artifacts; empty when there are none (the job is skipped).
pub fn matrix_json(artifacts: &[crate::release::record::Expected]) -> String {
    if artifacts.is_empty() {
        return String::new();
    }
    let include: Vec<serde_json::Value> = artifacts
        .iter()
        .map(|x| {
            let runner = crate::matrix::runner(&x.platform).unwrap_or(crate::matrix::Runner {
                os: "ubuntu-latest",
                target: "",
                manylinux: None,
            });
            serde_json::json!({
                "package": x.package,
                "dir": x.dir,
                "platform": x.platform,
                "builder": x.builder,
                "runner": runner.os,
                "target": runner.target,
                "manylinux": runner.manylinux.unwrap_or_default(),
                "cibw": crate::matrix::cibuildwheel_build(&x.platform),
            })
        })
        .collect();
    serde_json::json!({ "include": include }).to_string()
}

/// Appends to the runner's outputs file (which the runner owns: not ours
/// to replace, so not through `Ctx`'s atomic write).
fn append_output(file: &Path, line: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let open = std::fs::OpenOptions::new().append(true).create(true).open(file);
    open.and_then(|mut f| f.write_all(line.as_bytes())).map_err(|e| {
        fail(Code::Io, format!("writing {}: {e}", file.display()), "check GITHUB_OUTPUT names a writable file")
    })
}

/// The workflow's text.
pub fn render(shape: &Shape) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    let _ = writeln!(out, "on:\n  push:\n    branches: [{}]\n  workflow_dispatch:\n", branch_list(shape));
    out.push_str(PERMISSIONS_AND_CONCURRENCY);
    out.push_str("jobs:\n");
    out.push_str(&next_job());
    out.push_str(&release_pr_job(shape));
    if shape.matrix {
        out.push_str(WHEELS_JOB);
    }
    out.push_str(&release_job(shape));
    out
}

/// The release branches, less the pull request's branch when a pattern
/// matches it (`"!release/next"`: its pushes are the pull request's).
fn branch_list(shape: &Shape) -> String {
    let mut list = shape.branches.clone();
    if list.iter().any(|b| glob::Pattern::new(b).is_ok_and(|p| p.matches(&shape.pr_branch))) {
        list.push(format!("!{}", shape.pr_branch));
    }
    let quoted: Vec<String> = list.iter().map(|b| format!("\"{}\"", b.replace('"', "\\\""))).collect();
    quoted.join(", ")
}

const HEADER: &str = "\
# The release workflow, written by `cargo xtask ci --github` (xtask-release).
# It is yours to edit; `cargo xtask ci --github --dry-run` shows how it differs
# from what the command writes today, and `--yes` writes that over it.
#
# A push to a release branch opens or updates the release pull request
# (`cargo xtask release-pr`). Merging that pull request is the push that
# releases (`cargo xtask release`): the merged commit records the plan, so
# nothing is bumped twice. `workflow_dispatch` does the same on demand.
name: release

";

const PERMISSIONS_AND_CONCURRENCY: &str = "\
# Nothing by default: each job asks for what it uses.
permissions: {}

# Two releases never run at once; a queued run waits, none is cancelled
# half-way through a publish.
concurrency:
  group: xtask-release
  cancel-in-progress: false

env:
  CARGO_TERM_COLOR: always

";

/// The steps every job starts with: the whole history and its tags (each
/// package's last release), the xtask's build cached, uv when there is
/// Python to publish.
fn setup_steps(shape: &Shape, uv: bool) -> String {
    let mut out = String::from(
        "      - uses: actions/checkout@v5
        with:
          fetch-depth: 0 # every package's history since its last tag, and the tags
          persist-credentials: true
      - uses: Swatinem/rust-cache@v2 # the xtask's build, and packaging's
",
    );
    if uv && shape.python {
        out.push_str("      - uses: astral-sh/setup-uv@v6\n");
    }
    out
}

const GIT_IDENTITY: &str = "      - name: Commit as the Actions bot
        run: |
          git config user.name \"github-actions[bot]\"
          git config user.email \"41898282+github-actions[bot]@users.noreply.github.com\"
";

fn next_job() -> String {
    "  next:
    name: What this push releases
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      next: ${{ steps.next.outputs.next }}
      matrix: ${{ steps.next.outputs.matrix }}
    steps:
"
    .to_string()
        + &setup_steps(&Shape { python: false, branches: vec![], pr_branch: String::new(), matrix: false }, false)
        + "      - id: next
        run: cargo xtask ci --next

"
}

/// The release pull request's job. A push or pull request made with the
/// workflow's own `GITHUB_TOKEN` starts no workflow (GitHub's rule against
/// loops), so the pull request's checks run only when the job has another
/// token: `RELEASE_PR_TOKEN` when the repository has that secret.
fn release_pr_job(shape: &Shape) -> String {
    let setup = setup_steps(shape, true).replace(
        "          persist-credentials: true\n",
        "          persist-credentials: true\n          token: ${{ secrets.RELEASE_PR_TOKEN || secrets.GITHUB_TOKEN }}\n",
    );
    "  release-pr:
    name: Open or update the release pull request
    needs: next
    if: needs.next.outputs.next == 'release-pr'
    runs-on: ubuntu-latest
    permissions:
      contents: write # push the release branch
      pull-requests: write # open or update the pull request
    steps:
"
    .to_string()
        + &setup
        + GIT_IDENTITY
        + "      - run: cargo xtask release-pr
        env:
          GITHUB_TOKEN: ${{ secrets.RELEASE_PR_TOKEN || secrets.GITHUB_TOKEN }}

"
}

/// The artifacts of native packages, one job per package and platform, built
/// from the commit that records the release (`ci --next` reads the matrix
/// from its record: only what this release publishes is built).
const WHEELS_JOB: &str = "  wheels:
    name: Build ${{ matrix.package }} (${{ matrix.platform }})
    needs: next
    if: needs.next.outputs.next == 'release' && needs.next.outputs.matrix != ''
    runs-on: ${{ matrix.runner }}
    permissions:
      contents: read
    strategy:
      fail-fast: true
      matrix: ${{ fromJSON(needs.next.outputs.matrix) }}
    steps:
      - uses: actions/checkout@v5
        with:
          persist-credentials: false
      - name: sdist (maturin)
        if: matrix.builder == 'maturin' && matrix.platform == 'sdist'
        uses: PyO3/maturin-action@v1
        with:
          command: sdist
          args: --out dist
          working-directory: ${{ matrix.dir }}
      - name: wheels (maturin)
        if: matrix.builder == 'maturin' && matrix.platform != 'sdist'
        uses: PyO3/maturin-action@v1
        with:
          target: ${{ matrix.target }}
          manylinux: ${{ matrix.manylinux }}
          args: --release --out dist
          working-directory: ${{ matrix.dir }}
      - uses: astral-sh/setup-uv@v6
        if: matrix.builder == 'build' && matrix.platform == 'sdist'
      - name: sdist (uv build)
        if: matrix.builder == 'build' && matrix.platform == 'sdist'
        run: uv build --sdist --out-dir dist
        working-directory: ${{ matrix.dir }}
      - name: wheels (cibuildwheel)
        if: matrix.builder == 'build' && matrix.platform != 'sdist'
        uses: pypa/cibuildwheel@v3.1
        with:
          package-dir: ${{ matrix.dir }}
          output-dir: ${{ matrix.dir }}/dist
        env:
          CIBW_BUILD: ${{ matrix.cibw }}
          CIBW_ARCHS: all
      - uses: actions/upload-artifact@v6
        with:
          name: wheels-${{ matrix.package }}-${{ matrix.platform }}
          path: ${{ matrix.dir }}/dist/*
          if-no-files-found: error

";

fn release_job(shape: &Shape) -> String {
    let (needs, condition, download, artifacts) = if shape.matrix {
        (
            "[next, wheels]",
            "always() && needs.next.outputs.next == 'release' && \
             (needs.wheels.result == 'success' || needs.wheels.result == 'skipped')",
            DOWNLOAD_ARTIFACTS,
            " ${{ needs.next.outputs.matrix != '' && '--artifacts dist' || '' }}",
        )
    } else {
        ("next", "needs.next.outputs.next == 'release'", "", "")
    };
    let head = format!(
        "  release:
    name: Release the merged plan
    needs: {needs}
    if: {condition}
    runs-on: ubuntu-latest
    # PyPI's trusted publishers can require this environment; add reviewers
    # to it in the repository's settings to approve each release.
    environment: release
    permissions:
      contents: write # push the tags, create the releases
      id-token: write # trusted publishing: short-lived registry tokens, no stored secret
    steps:
"
    );
    let run = format!(
        "      - run: cargo xtask release --yes{artifacts}
        env:
          GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}
"
    );
    head + &setup_steps(shape, true) + GIT_IDENTITY + download + &run
}

/// Every matrix job's files, into `dist/` (a folder per artifact: the release reads any depth).
const DOWNLOAD_ARTIFACTS: &str = "      - uses: actions/download-artifact@v7
        if: needs.next.outputs.matrix != ''
        with:
          pattern: wheels-*
          path: dist
";

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(python: bool) -> Shape {
        Shape {
            python,
            branches: vec!["main".into(), "release/*".into()],
            pr_branch: "release/next".into(),
            matrix: false,
        }
    }

    /// Only the publishing job may mint OIDC tokens, and only the release-PR
    /// job may open pull requests: the permissions are per job.
    #[test]
    fn each_job_asks_for_what_it_uses() {
        let text = render(&shape(true));
        let jobs: Vec<&str> = text.split("\n  release").collect();
        assert!(text.contains("permissions: {}"), "{text}");
        assert_eq!(text.matches("id-token: write").count(), 1, "{text}");
        assert!(jobs.last().unwrap().contains("id-token: write"), "{text}");
        assert_eq!(text.matches("pull-requests: write").count(), 1, "{text}");
        assert!(text.contains("branches: [\"main\", \"release/*\", \"!release/next\"]"), "{text}");
        assert_eq!(text.matches("fetch-depth: 0").count(), 3, "{text}");
        assert!(text.contains("cancel-in-progress: false"), "{text}");
    }

    #[test]
    fn uv_is_set_up_only_where_python_is_published() {
        assert_eq!(render(&shape(true)).matches("astral-sh/setup-uv").count(), 2);
        assert_eq!(render(&shape(false)).matches("astral-sh/setup-uv").count(), 0);
    }
}
