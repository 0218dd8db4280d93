//! Error codes: every failure the tool reports on purpose has a code, a one-line
//! cause and a `help:` line with the next step. `cargo xtask explain CODE`
//! prints the long text kept here, next to the code itself.

use std::fmt;

/// A failure meant for a person: `error[CODE]: cause` and `help: next step`.
#[derive(Debug)]
pub struct Failure {
    pub code: Code,
    pub cause: String,
    pub help: String,
    /// What the program printed, for a command that failed (`shell`): for
    /// code that tells causes apart (the smoke test's missing dependency);
    /// never rendered (the runner shows its tail as it fails).
    pub output: Option<String>,
}

impl Failure {
    pub fn new(code: Code, cause: impl Into<String>, help: impl Into<String>) -> Failure {
        Failure { code, cause: cause.into(), help: help.into(), output: None }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code.id(), self.cause)
    }
}

impl std::error::Error for Failure {}

/// `bail!`-like helper: `return Err(fail(Code::X, "cause", "help"))`.
pub fn fail(code: Code, cause: impl Into<String>, help: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure::new(code, cause, help))
}

macro_rules! codes {
    ($( $name:ident = $id:literal, $title:literal, $text:literal; )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($name,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];
            pub fn id(self) -> &'static str { match self { $(Code::$name => $id,)* } }
            pub fn title(self) -> &'static str { match self { $(Code::$name => $title,)* } }
            pub fn text(self) -> &'static str { match self { $(Code::$name => $text,)* } }
        }
    };
}

codes! {
    Usage = "XR001", "bad command line",
        "A command, flag or value on the command line was not understood. The message names the \
         word. Run `cargo xtask help` or `cargo xtask COMMAND --help` for the accepted forms. \
         Usage errors exit with status 2; every other error exits with status 1.";
    NotARepo = "XR002", "not a git repository",
        "The folder given with --root (or the repository that contains the xtask) is not the top of \
         a git work tree. xtask-release reads history and tags from git, so it needs one. Pass the \
         repository's top folder with --root, or run `git init` there.";
    Io = "XR003", "file could not be read or written",
        "A file the tool needs could not be read (missing, unreadable, not UTF-8) or written. The \
         message names the file and the operating system's reason. Fix the permissions or the \
         file, then run the command again.";
    Tool = "XR004", "a required program failed or is missing",
        "A program the tool runs (git, cargo, uv) is not installed or exited with an error. The \
         message shows the command. Install the program or fix what it reports, then retry.";
    ConfigSyntax = "XR010", "xtask-release.toml is not valid TOML",
        "The configuration file could not be parsed. The message gives the line and column. Fix \
         the syntax; every key in the file is optional, so an empty file is valid.";
    ConfigUnknownKey = "XR011", "unknown key in xtask-release.toml",
        "The configuration file has a key this version does not know. Unknown keys are errors so \
         that a typo never silently changes nothing. The message suggests the closest known key; \
         the README lists them all.";
    ConfigValue = "XR012", "invalid value in xtask-release.toml",
        "A configuration key has a value of the wrong type or an unusable value (for example a \
         tag template without {version}, or a group naming an unknown package). Fix the value as \
         the message says.";
    ManifestSyntax = "XR020", "a manifest is not valid TOML",
        "A Cargo.toml or pyproject.toml could not be parsed. The message names the file, line and \
         column. Fix the file; `cargo metadata` or `uv lock` would fail on it too.";
    MemberGlob = "XR021", "a workspace member pattern matches nothing",
        "A `members` entry of [workspace] (Cargo) matches no folder with a Cargo.toml, or a member \
         folder (Cargo or uv) has no manifest. Cargo rejects such workspaces too. Fix or remove the \
         pattern. A [tool.uv.workspace] members entry that matches nothing is only a warning of \
         `check`, since uv ignores it.";
    MissingVersion = "XR022", "a package has no version",
        "A package that is to be released declares no version: [project] version for Python, \
         `version` or `version.workspace = true` for a crate. Add one.";
    DynamicVersion = "XR023", "a dynamic version could not be located",
        "A pyproject.toml says `dynamic = [\"version\"]` but the tool could not find the version. It \
         reads: a version file ([tool.hatch.version] path with hatch's default pattern `__version__ = \
         \"...\"` / `VERSION = \"...\"`, or its custom `pattern`; [tool.pdm.version] path; \
         [tool.setuptools.dynamic] version attr or file); the crate's Cargo.toml for maturin \
         ([tool.maturin] manifest-path); git tags for hatch-vcs, setuptools-scm, uv-dynamic-versioning \
         and pdm scm. The message says which of these was tried and what is missing. Make the version \
         static in [project], or fix the named key or file.";
    MissingMetadata = "XR036", "a package lacks metadata its registry requires",
        "crates.io refuses a crate without a `description` and a `license` (or `license-file`); PyPI \
         shows a project without a description as empty and tools treat a missing license as unknown. \
         `check` names the manifest: add a one-line `description` and the license there. A package \
         that is never published (`publish = false`, a private classifier) is not checked.";
    UnversionedPathDependency = "XR037", "a path dependency has no version, so cargo cannot publish it",
        "`cargo publish` refuses a crate whose dependency on another crate of the workspace is a \
         `path` alone: the published crate must name a version of it on the registry. Add \
         `version = \"X.Y.Z\"` next to the path (the release keeps it up to date), or mark the \
         dependent `publish = false` if it is never published.";
    InvalidVersion = "XR024", "a version is not valid for its ecosystem",
        "Crate versions must be SemVer 2.0 (`1.2.0`, `1.2.0-rc.1`); Python versions must be PEP 440 \
         (`1.2.0`, `1.2.0rc1`, `1.2.0.post1`). Fix the version in the named manifest or on the \
         command line.";
    DuplicateName = "XR025", "two packages have the same name",
        "Package names must be unique across the repository (Python names compared after PEP 503 \
         normalization). Tags and the plan are keyed by name. Rename one of the packages.";
    NoPackages = "XR026", "no packages found",
        "Neither a Cargo workspace (Cargo.toml at the root) nor a uv workspace or project \
         (pyproject.toml at the root or at [python] root) was found. Pass the right --root, or set \
         [python] root in xtask-release.toml.";
    RootMissing = "XR027", "a configured workspace root does not exist",
        "[python] root or [cargo] root in xtask-release.toml names a folder that does not exist. \
         Without this error the ecosystem would silently have no packages. Fix the path (relative to \
         the repository root) or remove the key to use the root.";
    DynamicDependencies = "XR028", "dynamic dependencies are not recorded in uv.lock",
        "A pyproject.toml says `dynamic = [\"dependencies\"]` (or optional-dependencies): a build \
         hook fills them in, so [project] does not say what the package depends on. The tool reads \
         them the way uv does, from the member's `[package.metadata] requires-dist` in uv.lock; \
         there is no uv.lock at the Python root, or it has no entry for this member. Run `uv lock` \
         and commit uv.lock (the tool never guesses an order from missing dependencies).";
    VersionPattern = "XR029", "a version pattern cannot be honored",
        "[tool.hatch.version] pattern is a Python regular expression with a `version` named group. \
         The tool reads a subset of it without a regex engine: literal text (with `\\` escapes), \
         `^`, `(?i)`, `\\s*`, `\\s+`, ` *`, ` +`, quote classes like `[\\'\"]` and a back-reference \
         to one, and the group `(?P<version>...)` followed by literal text or a quote. Simplify the \
         pattern to that subset, or use hatch's default (`__version__ = \"...\"` / `VERSION = \"...\"`).";
    Cycle = "XR030", "dependency cycle",
        "Internal dependencies (normal and build; dev-dependencies do not count, as in cargo) form \
         a cycle, so there is no order to publish in. The message prints the cycle as a path. \
         Break it, for example by moving shared code into a new package both depend on.";
    SelfDependency = "XR031", "a package depends on itself",
        "A package lists itself as a dependency. Remove the entry.";
    UnknownPackage = "XR032", "unknown package name",
        "A name given with --package, --exclude, --deps, --rdeps or in a [[groups]] entry is not a \
         package of this repository. `cargo xtask plan` lists them all.";
    UnknownMember = "XR033", "dependency on a workspace member that does not exist",
        "A dependency points at a workspace member (a `path` for a crate, `{ workspace = true }` \
         source for uv) that is not part of the workspace. Add the member or fix the dependency. \
         A `{ workspace = true }` source that no member requires is only a warning (`check` lists it \
         under membership; uv accepts it).";
    VersionForm = "XR035", "a shared version has no form in the other ecosystem",
        "A synchronized group that spans crates and Python packages (a maturin package and the crate it \
         is built from, or a [[groups]] entry) shares one version, written in each ecosystem's form the \
         way maturin maps them: the crate's SemVer version read as PEP 440 (`1.2.0-rc.1` is `1.2.0rc1`, \
         `0.23.2-dev.0` is `0.23.2.dev0`) and back. A SemVer pre-release label PEP 440 does not know \
         (`-foo.1`; maturin refuses it too) has no Python form, and a PEP 440 epoch, post-release or \
         fourth release number has no SemVer form. Use a pre-release PEP 440 knows (`-alpha.N`, \
         `-beta.N`, `-rc.N`, `-dev.N`), or take the package out of the group.";
    ManifestBehindTag = "XR038", "a manifest is behind its last tag",
        "A warning: a package's version (in its manifest, or wherever it is written) is below the \
         version of its last tag in HEAD's history: the project went back (genkit's manifests say \
         0.5.2 after `py/genkit-v0.6.0`). The plan starts from the higher of the two, the tag's, so \
         it never proposes a version that was released already, and its reason says so; the release \
         writes the new version over the manifest's. `check` lists each such package without \
         failing. To silence it, set the version to the tag's (what the next release starts from).";
    TagExists = "XR039", "the planned version's tag already exists",
        "The tag of a version the plan would release exists already. The plan starts above the last \
         tag in HEAD's history, so this tag is on a commit outside it: the version was released from \
         another branch (a maintenance or release branch). Merge that branch so that its tag is read, \
         or plan a version above it with `--bump VERSION`, or leave the package out with \
         `--exclude`. A tag that was never a release can be deleted (`git tag -d TAG`).";
    Git = "XR040", "git failed",
        "A git command failed. The message shows the command and what git said. A repository with \
         no commits has no history to plan from: make a first commit.";
    TagFormat = "XR041", "the tag format produces an invalid tag",
        "A tag template in [tags] produced a name git refuses as a ref (spaces, `..`, `~`, `^`, `:`, \
         `?`, `*`, `[`, `\\`, a leading `-`, a trailing `.lock` ...). Tag names are checked before \
         anything is written. Change the template; it must contain {version}, and {name} for \
         per-package tags.";
    BadBump = "XR050", "the requested version cannot be used",
        "--bump VERSION must be a valid version for each selected package's ecosystem and greater \
         than its current version; --pre must be rc, alpha or beta and cannot go backwards (rc to \
         alpha). Pick another version or select packages with --package.";
    LocalVersion = "XR051", "a local version cannot be uploaded",
        "A Python version with a local part (`1.2.0+dev`, PEP 440) is refused by PyPI and by most \
         indexes, so it is never uploaded. A package whose version has one is excluded from the plan \
         (the reason says so, and `check` reports it); a release to a version with one (`--bump \
         1.3.0+x`) is refused with this code before anything is written. Remove the `+...` part \
         from the version to release the public version.";
    CheckFailed = "XR060", "health checks failed",
        "`cargo xtask check` found problems. Each is listed with the package and the fix. The \
         command exits 1 until all are fixed.";
    PreflightFailed = "XR100", "preflight found problems",
        "Before changing anything, `release` checks the work tree is clean, the branch is allowed, \
         HEAD is not behind the remote, the clone is not shallow, lockfiles are in sync, no version \
         literal disagrees with its manifest, no planned tag exists, no planned version is on its \
         registry, credentials are set and uv/cargo/git are installed. Every problem is listed with its \
         fix; nothing was changed. The failure takes the code of the most specific problem (XR121, \
         XR122, XR136) when there is one.";
    Confirmation = "XR101", "the release was not confirmed",
        "`release` asks for confirmation on a terminal. When standard input is not a terminal (CI, \
         scripts) it never asks: pass --yes to confirm in advance. Answering anything but `y` stops \
         the release before anything is written.";
    BuildFailed = "XR102", "a package failed to build",
        "`uv build` or `cargo package` failed for a package, from the release commit. Nothing of that \
         package was published. The build's own output is shown above the message (all of it for uv: \
         the build backend's error). `--resume` builds the same release commit again: a cause outside \
         the source (a missing tool, the network) is fixed, then resumed; a bug in the source fails \
         again on every resume, while the packages that do not wait for this one go on publishing. \
         For a bug in the source: `cargo xtask release --abandon`, fix it, commit, and release again.";
    ArtifactInvalid = "XR103", "a built artifact is not what the plan says",
        "The files a build produced do not have the expected names, or the version written inside \
         them differs from the planned one (or an internal requirement is not pinned). Nothing was \
         published for that package. This usually means a dynamic version or a build backend \
         rewrote something: check the package's build configuration.";
    PublishFailed = "XR104", "publishing a package failed",
        "`uv publish` or `cargo publish` exited with an error, or the cargo registry's publish API \
         refused the upload of the verified `.crate`. A failed upload is always an error, \
         never a timeout later. The message shows what the tool or the registry said (credentials, \
         a rejected file or metadata, a registry error). Fix it and continue with `cargo xtask release --resume`.";
    RegistryTimeout = "XR105", "the registry did not serve the new version in time",
        "After publishing, the tool polls the registry until it serves the version. It did not \
         within the timeout. The upload may still appear: `cargo xtask release --resume` checks \
         again and continues without publishing twice.";
    ChecksumMismatch = "XR106", "the registry's checksum differs from ours",
        "The registry serves a file (or crate) for this version whose SHA-256 differs from the \
         artifact built from the release commit. Either another build was published under this \
         version before, or the upload was altered. The version cannot be published again: release \
         a new version.";
    SmokeTestFailed = "XR107", "the smoke test of a published package failed",
        "After publishing, the package is installed from the registry into a fresh environment \
         (Python: a new venv, from a folder where no project's uv settings apply, and an import of the \
         modules its wheel ships, or what its [[smoke-tests]] entry says to import or run; crates: a \
         throwaway crate that depends on the exact version). That failed. The version is public: fix the problem and release a patch; \
         yanking the broken version may be wise.";
    SmokeDependencyMissing = "XR118", "the smoke test cannot install a dependency: it is not on the index",
        "After publishing, the smoke test installs the package from the index into a fresh \
         environment, and the installer found no release of one of its dependencies there. The \
         package itself may well be fine: the index it was published to lacks what it depends on \
         (a private or local index that does not fall back to PyPI, a dependency not published \
         there yet, a typo in a requirement). Publish the dependency to that index, or set [python] \
         index-url to an index that serves it too, then `cargo xtask release --resume`: the smoke \
         test runs again; nothing is published twice. A misspelled requirement needs a patch release.";
    PushFailed = "XR108", "pushing the release commit and tags failed",
        "The atomic push of the release commit and its tags was rejected, or a tag did not arrive \
         on the remote. The packages are already published. Usually the remote branch moved on: \
         pull (rebase) the release commit onto it and push the commit and the tags yourself, or run \
         `cargo xtask release --resume`.";
    RegistryUnreachable = "XR109", "a registry could not be reached",
        "Requests to a package index failed after retries with backoff (connection refused, HTTP \
         429 or 5xx). Check the URL and the network, then retry; an interrupted release continues \
         with `cargo xtask release --resume`.";
    UnknownRegistry = "XR110", "the cargo registry is not configured",
        "[cargo] registry names a registry cargo does not know, or its index cannot be read. Define \
         it in .cargo/config.toml ([registries.NAME] index = \"sparse+https://...\") or with \
         CARGO_REGISTRIES_<NAME>_INDEX.";
    JournalInvalid = "XR111", "the release journal cannot be read",
        "`.git/xtask-release/journal.json` records an unfinished release, but this version cannot \
         read it (damaged, or written by another format). Finish or abandon the release with the \
         xtask version that started it, or move the file away after checking what is public.";
    Locked = "XR112", "another release holds the lock",
        "A release takes `.git/xtask-release/lock.json` (PID, host, start time) so that two releases \
         never run in one repository. A lock of a running process is an error that names it. A lock \
         whose process is gone (same host, dead PID) is stale: pass --clear-stale-lock to take it \
         over, usually together with --resume.";
    Unfinished = "XR113", "an unfinished release is recorded",
        "An earlier release stopped before it finished (a failure or a crash); the journal says what \
         is done. `cargo xtask release --resume` continues it from there without publishing anything \
         twice; `cargo xtask release --abandon` drops the journal and prints what is already public.";
    ResumeMismatch = "XR114", "the repository is not where the journal says",
        "`--resume` checks that HEAD is the release commit (or the commit the release started from, \
         when the crash came before the commit), that the tags point at it and that the work tree \
         holds no changes the release did not make. Something else changed: restore it, or \
         `--abandon` the release.";
    NothingToResume = "XR115", "there is no release to resume",
        "`--resume` and `--abandon` need an unfinished release journal \
         (.git/xtask-release/journal.json); there is none. Start a release with `cargo xtask release`.";
    RollbackIncomplete = "XR116", "rollback left steps for a person",
        "`rollback` deleted what it could (tags, locally and on the remote; the forge releases it made) \
         but some steps need a person: a registry that cannot yank (Python indexes have no yank API; \
         some cargo registries refuse), or a forge release without a token. Each is listed with what to do.";
    TagConflict = "XR042", "a tag of the release points at another commit",
        "A tag the release creates already exists and points at a commit other than the release \
         commit. The release never moves a tag. If the tag is stale (left by an abandoned attempt), \
         delete it (`git tag -d TAG`) and resume; otherwise plan another version.";
    LockfileUpdate = "XR117", "a lockfile could not be updated",
        "After writing the new versions, the release updates the tracked lockfiles (`cargo update \
         --workspace`, `uv lock`). That failed; the message shows what the tool said. Fix it, then \
         `cargo xtask release --resume` restores the half-written files and writes them again.";
    NoRelease = "XR119", "no release is recorded",
        "`rollback` reads the last release from .git/xtask-release (last-release.json, or the \
         unfinished journal.json). There is none: no release was made from this clone, or it was \
         rolled back already. Delete tags by hand with `git tag -d TAG` and `git push REMOTE \
         --delete refs/tags/TAG`.";
    YankFailed = "XR120", "a registry refused to yank a version",
        "`rollback --yank` asked the registry to yank a version and it refused (or the registry has \
         no yank API). The message shows the answer. Yank it where the registry allows (its web \
         interface), or ask its operators.";
    DependencyNotPublished = "XR121", "an internal dependency is not on its registry",
        "A package of this release depends on a package of the repository that this release does \
         not release (unchanged, skipped or excluded), and the registry has no version of it that \
         the requirement admits, so the package could not be built or installed from the registry. \
         Preflight lists every such dependency before anything is written. Publish the dependency \
         first, or include it in this release.";
    CertificateUntrusted = "XR122", "an HTTPS server's certificate is not trusted",
        "A registry or forge answered HTTPS with a certificate that no trusted CA vouches for (or one \
         for another name, or expired). Trusted are the platform's certificates (the system bundle on \
         Linux, the keychain on macOS, the Windows store) or, when SSL_CERT_FILE or SSL_CERT_DIR is set, \
         the certificates there instead, as for curl, uv, cargo and pip; and the built-in web roots. \
         Behind a TLS-intercepting proxy, install its CA in the system's store or point SSL_CERT_FILE \
         at a PEM file that holds it. The message names the URL that failed; a certificate error is \
         final, never retried.";
    SmokeImportMissing = "XR123", "the smoke test imports a module the wheel does not ship",
        "After publishing, the smoke test installs the package into a fresh environment and imports \
         the modules its wheel ships (read from the wheel's RECORD: its top-level packages and modules, \
         and inside a namespace package such as `genkit.plugins.x` the first regular package), or what \
         the package's [[smoke-tests]] entry says to import. A configured module the wheel does not \
         ship would fail only after the version is public, so it is refused before anything of the \
         package is uploaded. Fix `import` in xtask-release.toml, or what the build packages.";
    PlatformRefused = "XR124", "the index refuses a wheel's platform tag",
        "A built wheel has a platform tag the target index does not accept, so its upload would fail \
         (or, after other files, leave a half-published version). PyPI (and TestPyPI) accept `any`, \
         `manylinux*`, `musllinux_*`, `macosx_*`, `win*`, `ios_*`, `android_*`, and refuse `linux_*` \
         (what a plain local maturin or setuptools build of an extension gives). The rule applies when \
         [python] publish-url is PyPI's or TestPyPI's, or when [python] platform-tags = \"pypi\"; \
         other indexes take every tag (platform-tags = \"any\"). Build the accepted wheels: maturin or \
         cibuildwheel in manylinux containers, usually the CI matrix release; nothing was uploaded.";
    Internal = "XR099", "unexpected error",
        "Something failed that the tool has no specific code for. The message carries the chain \
         of causes. If it looks like a bug, report it with the command you ran.";
    ChangelogInvalid = "XR130", "a changelog does not parse",
        "A package's changelog (or the workspace changelog) is not in the Keep a Changelog shape the \
         tool reads and writes: a `# ` title, then `## [VERSION] - DATE` sections (`## [Unreleased]` \
         is allowed), newest first. The message names the file and the line. Fix the heading, or set \
         [changelog] path to another file.";
    ChangelogUnplaceable = "XR137", "a changelog has no place for the new section",
        "A release puts each package's new section above the newest version in its changelog, in the \
         file's own style (Keep a Changelog's `## [1.2.0] - 2026-01-02`, `## v1.2.0 (2026-01-02)`, \
         tokio's `# 1.2.0 (January 2nd, 2026)`). Here it found no right place: the file does not parse \
         as a changelog (a heading at the versions' level that is not a version), its versions are not \
         newest first, or every version in it is newer than the one released. Preflight stops the \
         release before anything is written, and the write step refuses too. Fix the file (`cargo \
         xtask check` names the heading), or point [changelog] path at another file.";
    ChangelogVersion = "XR134", "a changelog's newest section is not the manifest's version",
        "`check` compares each package's changelog with its manifest: the newest `## [VERSION]` \
         section must be the version the manifest holds (the release writes both in one commit). \
         They differ when a version was bumped by hand without a changelog entry, or the changelog \
         was edited after a release. Add the missing section (`cargo xtask changelog` shows what \
         the next release writes), or set the manifest to the released version.";
    VersionFileNoMatch = "XR135", "a configured version file does not hold the version",
        "A `[[version-files]]` entry names files where a package's version is written, and a \
         template (the text with the current version) or a pattern (`{version}` for any version). \
         Its glob matched no file, or the text was not found in a file it matched, so the release \
         could not move that version. Nothing was written. Fix the path, template or pattern (`cargo \
         xtask check` lists the places whose version disagrees), or remove the entry.";
    VersionLiteralDiffers = "XR136", "a version literal disagrees with the manifest",
        "A Python package's `__version__ = \"…\"` (or `VERSION = \"…\"`) in its import package is not \
         the version its manifest says. The release moves a literal only when it equals the \
         manifest's version, so this one would stay behind and the published package would report \
         another version. `check` reports it, and `release` refuses it in preflight (nothing is \
         written). Set it to the manifest's version (the release then keeps both in step), or read \
         the version at run time (`importlib.metadata.version`).";
    ForgeAuth = "XR131", "the forge refused the token",
        "The forge's API answered 401 (the token is missing, wrong or expired) or 403 without a rate \
         limit (the token may not write releases: a GitHub token needs `contents: write`, a GitLab \
         token the `api` scope and the Developer role, a Gitea token `write:repository`). Set a valid \
         token in GITHUB_TOKEN (or GH_TOKEN), GITLAB_TOKEN or GITEA_TOKEN and run the command again; \
         the tags and packages are not affected.";
    ForgeRejected = "XR132", "the forge rejected the release",
        "The forge's API refused to create or delete a release (HTTP 404: the repository is not \
         there or the token cannot see it; 422/409/400: invalid, for example a tag the forge does \
         not have yet). A release that already exists for the tag is not an error: it is left \
         alone. The message shows the forge's own words; check [forge] repository and that the tag \
         was pushed.";
    ForgeUnreachable = "XR133", "the forge could not be reached",
        "Requests to the forge's API failed after bounded retries: no connection, HTTP 5xx, or a \
         rate limit that did not clear in time (HTTP 403/429 with retry-after or \
         x-ratelimit-remaining: 0). Nothing was created twice; run the command again later, or \
         create the release by hand from the changelog.";
    AmbiguousPackage = "XR034", "a package name is ambiguous",
        "A name given with --package, --exclude, --deps, --rdeps or in a [[groups]] entry is the name of \
         a crate and of a Python package (a mixed repository often has both: the crate and the Python \
         package built from it). Name one with its ecosystem: `python:NAME` or `cargo:NAME`.";
    TagCollision = "XR043", "two packages would get the same tag",
        "A crate and a Python package with the same name would be tagged alike by [tags] package. Give \
         one ecosystem its own template, e.g. `[tags] python = \"py-{name}-v{version}\"` or \
         `cargo = \"{name}-crate-v{version}\"`; per-ecosystem keys override `package` for that ecosystem.";
    TagsUnread = "XR044", "tags look like releases, but none is read",
        "A warning: the repository has tags that look like releases (a version at their end, like \
         `v0.35.4`, `0.16.4` or `name@1.7.0`), but none matches the tag templates of any package, so \
         every package is planned as a first release of its whole history (and a changelog gets a \
         section for a version it already has). `cargo xtask init` reads the tags against the \
         packages and writes the templates they follow, printing each package's last release \
         before it writes anything; or set [tags] in xtask-release.toml by hand.";
    UmbrellaVersions = "XR045", "packages under one umbrella tag are not at one version",
        "`[tags] python` or `[tags] cargo` without `{name}` (`rs-{version}`) releases every package \
         of that ecosystem under one tag, so they share one version, like a [[groups]] with a \
         `tag`. The message names the packages at another version: list them in `[tags] separate` \
         (they keep tags of their own: the ecosystem's template with `{name}`, else \
         `[tags] package`), put them in a [[groups]] of their own, or give them the umbrella's \
         version. A maturin package and the crate it is built from share one version, so they \
         cannot be released apart: put both in one [[groups]] with a `tag`.";
    ShallowClone = "XR048", "the clone is shallow: its history and tags are cut off",
        "A shallow clone (`git clone --depth N`, and actions/checkout's default `fetch-depth: 1`) \
         holds only the last commits and none of the older tags, so a plan made there would read \
         no last release and propose every package as a first release of its whole history. \
         `plan`, `changelog` and `release` stop instead. Fetch the rest: `git fetch --unshallow \
         --tags`, or in GitHub Actions check out with `fetch-depth: 0` (actions/checkout), in \
         GitLab CI set `GIT_DEPTH: 0`.";
    TagsNotFetched = "XR049", "the remote has release tags that the clone lacks",
        "The clone has no tags, but the remote it came from has tags that are this repository's \
         releases (they match the packages' tag templates). Without them a plan reads no last \
         release and proposes every package as a first release, and a release would try to make \
         tags that exist on the remote. Fetch them: `git fetch --tags` (actions/checkout: \
         `fetch-depth: 0`, or `fetch-tags: true`). A remote that cannot be reached is not \
         checked.";
    RecordMismatch = "XR160", "the manifests disagree with the recorded release",
        "HEAD's tree carries a recorded release (`.xtask-release/plan.json`, written by `cargo xtask \
         release-pr` into the release commit) whose tags do not exist yet, so `release` publishes \
         exactly the versions it records. A manifest in the tree says another version, or a \
         recorded package is no longer in the workspace: the branch was changed after the release \
         commit (a merge that touched a manifest, a version edited by hand). Nothing is tagged or \
         published on a guess. Run `cargo xtask release-pr` again to record a new release, or put \
         the recorded versions back.";
    RecordUnreadable = "XR161", "the recorded release cannot be read",
        "`.xtask-release/plan.json` in HEAD's tree is the release commit's record of its plan \
         (packages, versions, tags, the changelog sections; a `format` number). It does not parse, \
         or it has a format this xtask does not know (written by a newer one). Update the xtask, \
         or run `cargo xtask release-pr` again to write the record anew.";
    ReleasePrDirty = "XR162", "release-pr needs a clean work tree",
        "`cargo xtask release-pr` makes the release commit from HEAD in a temporary worktree and \
         leaves your checkout as it is. The plan and the edits are computed from the files of the \
         checkout, so uncommitted changes would go into the release pull request unseen. Commit \
         or stash them, then run it again.";
    ReleasePrPush = "XR163", "the release branch could not be pushed",
        "release-pr force-pushes the release branch with a lease: the push is refused when the \
         remote branch moved since release-pr read it (another release-pr running at the same \
         time, or a person pushing to the release branch). Nothing else changed: run it again, \
         which reads the branch anew. Check also that the remote exists and that you may push to \
         the branch.";
    ReleasePrForge = "XR164", "release-pr cannot reach the pull requests of the forge",
        "A release pull request is opened through the forge's API: the forge comes from [forge] \
         in xtask-release.toml or the remote's URL (GitHub, Gitea/Forgejo, GitLab), the token from \
         its usual variable (GH_TOKEN or GITHUB_TOKEN; GITEA_TOKEN or FORGEJO_TOKEN; GITLAB_TOKEN). \
         One of them is missing. In GitHub Actions give the job `pull-requests: write` and \
         `contents: write` and pass GITHUB_TOKEN.";
    InitDirty = "XR140", "the repository init would change has uncommitted changes",
        "`cargo xtask init` changes files of a repository (the configuration, and with --into the \
         xtask's source, the workspace manifest, .cargo/config.toml, .gitignore). It refuses to \
         mix that with work in progress, so that what it writes can be looked at, committed or \
         undone on its own. Commit or stash the changes, then run it again; --dry-run shows what \
         it would write whatever the state of the work tree.";
    InitOverwrite = "XR141", "init would replace a file that is already there",
        "An xtask-release.toml (or, with --into, a file of an xtask already copied there) exists \
         and differs from what init would write. init never replaces it silently: run it with \
         --dry-run to see the difference, then again with --yes to replace it. Running init \
         again on a repository it set up changes nothing.";
    InitSource = "XR142", "the xtask's own source cannot be found",
        "`cargo xtask init --into DIR` copies the xtask's own source (the xtask/ folder it was \
         built from) into DIR. The binary was built somewhere that no longer holds that folder. \
         Run init through `cargo xtask` in a repository that has the xtask/ folder.";
    RateLimited = "XR171", "the registry's rate limit refuses uploads for longer than the release waits",
        "The registry answered 429 (Too Many Requests) and names a time to try again that is further \
         away than the release waits (XTASK_MAX_RATE_WAIT, 15 minutes by default). crates.io allows 5 \
         new crates at once, then 1 every 10 minutes, and 30 new versions at once, then 1 a minute; \
         another release from the same account spends the same allowance. Nothing is lost: what was \
         published is journaled. Run `cargo xtask release --resume` after the time given, or ask the \
         registry for a higher limit and set it in [cargo.rate-limit].";
    ArtifactMissing = "XR180", "an artifact the CI matrix should have built is not in --artifacts DIR",
        "`cargo xtask release --artifacts DIR` publishes a staged release whose native packages were \
         built on a CI matrix. The record in the release commit (`.xtask-release/plan.json`, its \
         `artifacts` list) names each file expected: the sdist of each such package and at least one \
         wheel per platform of `[matrix] platforms`. One is not in DIR (or DIR does not exist): a \
         matrix job failed or was skipped, or the artifacts were downloaded elsewhere. Nothing was \
         published. Let every matrix job finish, download all their artifacts into DIR (any depth), \
         and run the command again.";
    ArtifactMismatch = "XR181", "an artifact in --artifacts DIR is not the recorded package or version",
        "A file in DIR belongs to a package the CI matrix builds, but its name or what it carries \
         inside (the wheel's METADATA and WHEEL tags, the sdist's PKG-INFO) says another package, \
         another version or other tags than the record of the release commit. It was built from \
         another commit (the matrix must check out the staged release commit), or an older build was \
         left in the folder. Nothing was published. Rebuild from the release commit and leave other \
         builds out of DIR.";
    NotStaged = "XR182", "--artifacts needs a staged release, and HEAD carries none",
        "`release --artifacts DIR` publishes the release recorded in HEAD's tree \
         (`.xtask-release/plan.json`, written by `cargo xtask release --stage` or by a merged \
         release pull request) whose tags do not exist yet. HEAD carries no such record: check out \
         the staged commit (the one the matrix built from), or stage a release first with \
         `cargo xtask release --stage`.";
    WorkflowOverwrite = "XR170", "ci --github would replace an edited workflow",
        "`cargo xtask ci --github` writes .github/workflows/release.yml. The file is there and differs \
         from what the command writes (someone edited it, or an older xtask wrote it). It is never \
         replaced silently: run `cargo xtask ci --github --dry-run` to see the difference, then again \
         with --yes to replace it, or keep your edits. Running the command again on an unchanged \
         repository changes nothing.";
    TrustedUnavailable = "XR150", "trusted publishing is required but no OIDC token is available",
        "`[release] trusted-publishing = \"always\"` (or a CI job with no registry token) needs \
         the job's OIDC token, and there is none. In GitHub Actions the job needs \
         `permissions: id-token: write`, which gives it ACTIONS_ID_TOKEN_REQUEST_URL and \
         ACTIONS_ID_TOKEN_REQUEST_TOKEN; in GitLab CI it needs an `id_tokens:` entry whose \
         variable is `[cargo]`/`[python]` `id-token-variable` (CRATES_IO_ID_TOKEN, PYPI_ID_TOKEN), \
         with the registry's audience. Or configure a token and set trusted-publishing = \"auto\".";
    TrustedNewCrate = "XR151", "a crate's first release cannot be made with trusted publishing",
        "crates.io refuses to create a crate with a trusted-publishing token (\"Trusted Publishing \
         tokens do not support creating new crates\"), and a trusted publisher can only be \
         configured for a crate that exists. Publish the first version with a token \
         (CARGO_REGISTRY_TOKEN, or `cargo publish` from your machine), add the trusted publisher \
         on the crate's settings page on crates.io, then release from CI.";
    TrustedOidc = "XR152", "the CI job's OIDC token could not be had",
        "The xtask asks the CI for an OIDC token (a JWT) for the registry's audience before each \
         exchange: GitHub Actions' token service (ACTIONS_ID_TOKEN_REQUEST_URL) or, in GitLab, the \
         job variable. The request failed or the answer had no token. Check the workflow's \
         `permissions: id-token: write` and that the job runs on a trusted event.";
    TrustedExchange = "XR153", "the registry refused the trusted-publishing exchange",
        "The registry did not give a token for the job's OIDC token: no trusted publisher matches \
         the repository, workflow and environment the token names (crates.io: the crate's \
         Settings → Trusted Publishing; PyPI: the project's publishing settings, or a pending \
         publisher for a new project), or the trigger is one the registry refuses \
         (crates.io refuses pull_request_target and workflow_run). The registry's own words \
         are in the message.";
}

impl Code {
    pub fn parse(s: &str) -> Option<Code> {
        let s = s.trim();
        Code::ALL.iter().copied().find(|c| c.id().eq_ignore_ascii_case(s))
    }
}

/// Renders a finding that stops nothing: `warning[CODE]: cause` and `help:`.
pub fn render_warning(f: &Failure) -> String {
    format!("warning[{}]: {}\nhelp: {}\n", f.code.id(), f.cause, f.help)
}

/// Renders any error for a person: coded failures as they are, anything else as
/// XR099 with its whole chain of causes.
pub fn render(err: &anyhow::Error) -> (Code, String) {
    if let Some(f) = err.downcast_ref::<Failure>() {
        let mut out = format!("{f}\n");
        for cause in err.chain().skip(1) {
            out.push_str(&format!("  caused by: {cause}\n"));
        }
        out.push_str(&format!("help: {}\n", f.help));
        return (f.code, out);
    }
    let mut out = format!("error[{}]: {err:#}\n", Code::Internal.id());
    out.push_str(&format!("help: run `cargo xtask explain {}`\n", Code::Internal.id()));
    (Code::Internal, out)
}

/// Any error as a GitHub Actions `::error::` annotation (`ci::error_annotation`).
pub fn annotation(err: &anyhow::Error) -> String {
    match err.downcast_ref::<Failure>() {
        Some(f) => crate::ci::error_annotation(f.code.id(), &f.cause, &f.help),
        None => crate::ci::error_annotation(Code::Internal.id(), &format!("{err:#}"), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_explained() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.id()), "duplicate code {}", c.id());
            assert!(c.id().starts_with("XR") && c.id().len() == 5);
            assert!(c.text().len() > 40, "{} needs a real explanation", c.id());
            assert!(!c.title().ends_with('.'));
            assert_eq!(Code::parse(&c.id().to_lowercase()), Some(*c));
        }
    }
}
