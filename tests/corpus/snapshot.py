#!/usr/bin/env python3
"""Snapshots one real repository into tests/corpus/NAME and records what the
judges (cargo and uv) say about it.

    python3 tests/corpus/snapshot.py NAME GIT_DIR --repo OWNER/NAME [--commit REV]
        [--cargo-root DIR] [--python-root DIR] [--skip GLOB]... [--note TEXT]

GIT_DIR is a git directory holding the commit: a bare mirror or a clone's .git.
Run again with only NAME and GIT_DIR to refresh an entry: the options recorded
in tests/corpus/NAME/SOURCE are reused (pass --commit to move to another one).

What it writes in tests/corpus/NAME/:
- the manifests and lockfiles at their original paths: every Cargo.toml and
  pyproject.toml (except those under --skip globs), Cargo.lock and uv.lock at
  the workspace roots (not when over 1 MB), files that hold dynamic Python
  versions ([tool.hatch.version] path, [tool.pdm.version] path,
  [tool.setuptools.dynamic] version attr/file), and the root .gitignore saved
  as `gitignore` (a dotfile here would apply to this repository); a uv.lock
  over 1 MB is kept trimmed to its header and the workspace members' own
  entries (what discovery reads: `[package.metadata] requires-dist` of members
  whose dependencies are dynamic), and SOURCE says so (`trimmed`);
- SOURCE: repository, commit and the options, as TOML;
- expected-cargo.json: `cargo metadata --no-deps --offline` on a full
  checkout of the commit, reduced to members (name, version, manifest,
  publish) and internal edges (from, to, kind); when the root manifest has a
  `[patch.<registry>]` entry with a path, also the edges cargo's resolver
  makes through it (`cargo metadata --all-features` with the resolve, offline
  when the cache allows, else from the registry: a dependency a patch
  resolves to a member is internal; `"via": "resolve"`), and SOURCE says so
  (`cargo-edges`);
- expected-uv.json: uv's view from the committed uv.lock at the Python root,
  or from a fresh `uv lock` there when none is committed (needs PyPI):
  members (name, version or null when dynamic, virtual) and internal edges
  (from, to, kind: normal, optional with its extra, dev with its group).
"""

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path, PurePosixPath

CORPUS = Path(__file__).resolve().parent
MAX_LOCK = 1_000_000


def git(git_dir, *args, binary=False):
    out = subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True).stdout
    return out if binary else out.decode()


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def join(base, rel):
    parts = [] if base in (".", "") else base.split("/")
    for c in PurePosixPath(rel).parts:
        if c == "..":
            parts and parts.pop()
        elif c not in (".", "/"):
            parts.append(c)
    return "/".join(parts) or "."


def read_source(path):
    if not path.exists():
        return {}
    with open(path, "rb") as f:
        return tomllib.load(f)


def toml_value(v):
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v)


def uv_binary():
    for cand in [os.environ.get("UV"), shutil.which("uv"),
                 os.path.expanduser("~/.cache/xtask-release-test-tools/venv/bin/uv")]:
        if cand and os.path.exists(cand):
            return cand
    return None


def dynamic_version_files(member_dir, doc):
    """Files a pyproject's dynamic version may live in, relative to the repository."""
    tool = doc.get("tool", {})
    out = []
    for path in [tool.get("hatch", {}).get("version", {}).get("path"),
                 tool.get("pdm", {}).get("version", {}).get("path")]:
        if isinstance(path, str):
            out.append(join(member_dir, path))
    st = tool.get("setuptools", {}).get("dynamic", {}).get("version", {})
    if isinstance(st, dict):
        if isinstance(st.get("attr"), str) and "." in st["attr"]:
            module = st["attr"].rsplit(".", 1)[0].replace(".", "/")
            for f in [f"src/{module}/__init__.py", f"{module}/__init__.py", f"src/{module}.py", f"{module}.py"]:
                out.append(join(member_dir, f))
        files = st.get("file")
        for f in [files] if isinstance(files, str) else files or []:
            out.append(join(member_dir, f))
    return out


def trim_uv_lock(text):
    """A uv.lock reduced to its header and the workspace members' entries
    (source editable or virtual): the rest is third-party packages."""
    blocks = text.split("\n[[package]]\n")
    kept = [blocks[0]]
    for b in blocks[1:]:
        head = b.split("\n\n", 1)[0]
        if re.search(r'^source = \{ (editable|virtual) = ', head, re.M):
            kept.append(b)
    return "\n[[package]]\n".join(kept)


def extract(git_dir, files, dest):
    """Writes every blob of the commit under `dest` (a full checkout, without
    git archive, which stops at the first blob the mirror lacks). Returns how
    many blobs were absent."""
    paths = sorted(p for p, (_, size) in files.items() if size is not None)
    batch = "".join(files[p][0] + "\n" for p in paths).encode()
    out = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                         input=batch, check=True, capture_output=True).stdout
    pos = 0
    for p in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        target = dest / p
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(out[pos:pos + size])
        pos += size + 1
    return sum(1 for _, size in files.values() if size is None)


def cargo_expected(checkout, cargo_root):
    env = dict(os.environ, RUSTUP_TOOLCHAIN=os.environ.get("RUSTUP_TOOLCHAIN", "stable"))
    manifest = checkout / cargo_root / "Cargo.toml"
    run = subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline",
                          "--manifest-path", str(manifest)], capture_output=True, env=env, cwd=checkout)
    if run.returncode != 0:
        raise SystemExit(f"cargo metadata failed:\n{run.stderr.decode()}")
    meta = json.loads(run.stdout)
    version = subprocess.run(["cargo", "--version"], capture_output=True, env=env, text=True).stdout.strip()
    root = str(checkout.resolve())

    def rel(p):
        return os.path.relpath(os.path.realpath(p), root).replace(os.sep, "/")

    ids = set(meta["workspace_members"])
    members = [p for p in meta["packages"] if p["id"] in ids]
    by_dir = {rel(os.path.dirname(p["manifest_path"])): p["name"] for p in members}
    out_members, edges = [], []
    for p in sorted(members, key=lambda p: p["name"]):
        publish = p["publish"]
        out_members.append({
            "name": p["name"],
            "version": p["version"],
            "manifest": rel(p["manifest_path"]),
            "publish": True if publish is None else (False if publish == [] else publish),
        })
        for d in p["dependencies"]:
            if not d.get("path"):
                continue
            to = by_dir.get(rel(d["path"]))
            if to is None:
                continue
            edge = {"from": p["name"], "to": to, "kind": d["kind"] or "normal"}
            if d.get("target"):
                edge["target"] = d["target"]
            if d.get("rename"):
                edge["rename"] = d["rename"]
            if edge not in edges:
                edges.append(edge)
    resolved = None
    if has_path_patch(manifest):
        resolved = "resolve (cargo metadata --all-features): the edges [patch] entries make"
        seen = {(e["from"], e["to"], e["kind"], e.get("target")) for e in edges}
        from_resolve = resolve_edges(manifest, env, checkout)
        for key in seen - {(e["from"], e["to"], e["kind"], e.get("target")) for e in from_resolve}:
            raise SystemExit(f"the resolve lacks the path edge {key}")
        for e in from_resolve:
            if (e["from"], e["to"], e["kind"], e.get("target")) not in seen:
                edges.append(dict(e, via="resolve"))
    edges.sort(key=lambda e: (e["from"], e["to"], e["kind"], e.get("target", "")))
    return {"judge": version, "members": out_members, "edges": edges, "resolved": resolved}


def has_path_patch(manifest):
    """Whether the workspace root has a `[patch.<registry>]` entry with a path
    (one that may point at a member)."""
    with open(manifest, "rb") as f:
        doc = tomllib.load(f)
    return any(isinstance(spec, dict) and "path" in spec
               for table in doc.get("patch", {}).values() for spec in table.values())


def resolve_edges(manifest, env, checkout):
    """Member -> member edges of cargo's resolve, every feature on (optional
    dependencies too), every target: what the resolver makes of path
    dependencies and of registry requirements a [patch] entry redirects."""
    base = ["cargo", "metadata", "--all-features", "--format-version", "1", "--manifest-path", str(manifest)]
    run = subprocess.run(base + ["--offline"], capture_output=True, env=env, cwd=checkout)
    if run.returncode != 0:  # the cache lacks some index entries: ask the registry
        run = subprocess.run(base, capture_output=True, env=env, cwd=checkout)
    if run.returncode != 0:
        raise SystemExit(f"cargo metadata (with the resolve) failed:\n{run.stderr.decode()}")
    meta = json.loads(run.stdout)
    ids = set(meta["workspace_members"])
    names = {p["id"]: p["name"] for p in meta["packages"]}
    edges = []
    for node in meta["resolve"]["nodes"]:
        if node["id"] not in ids:
            continue
        for d in node["deps"]:
            if d["pkg"] not in ids:
                continue
            for k in d["dep_kinds"]:
                edge = {"from": names[node["id"]], "to": names[d["pkg"]], "kind": k["kind"] or "normal"}
                if k.get("target"):
                    edge["target"] = k["target"]
                if edge not in edges:
                    edges.append(edge)
    return edges


def uv_expected(lock_path):
    with open(lock_path, "rb") as f:
        lock = tomllib.load(f)
    packages = lock.get("package", [])
    listed = {normalize(m) for m in lock.get("manifest", {}).get("members", [])}

    def local(p):
        src = p.get("source", {})
        return "editable" in src or "virtual" in src

    if listed:
        members = [p for p in packages if normalize(p["name"]) in listed and local(p)]
    else:  # a single project: the package at "."
        members = [p for p in packages if p.get("source", {}).get("editable") == "."
                   or p.get("source", {}).get("virtual") == "."]
    names = {normalize(p["name"]): p["name"] for p in members}
    out_members, edges = [], []
    for p in sorted(members, key=lambda p: normalize(p["name"])):
        out_members.append({
            "name": p["name"],
            "version": p.get("version"),
            "virtual": "virtual" in p.get("source", {}),
        })

        def add(dep, kind, label=None):
            to = names.get(normalize(dep["name"]))
            if to is None:
                return
            edge = {"from": p["name"], "to": to, "kind": kind}
            if label is not None:
                edge["extra" if kind == "optional" else "group"] = label
            if dep.get("extra"):
                edge["features"] = sorted(dep["extra"])
            if edge not in edges:
                edges.append(edge)

        for d in p.get("dependencies", []):
            add(d, "normal")
        for extra, deps in sorted(p.get("optional-dependencies", {}).items()):
            for d in deps:
                add(d, "optional", extra)
        for group, deps in sorted(p.get("dev-dependencies", {}).items()):
            for d in deps:
                add(d, "dev", group)
    edges.sort(key=lambda e: (normalize(e["from"]), normalize(e["to"]), e["kind"], e.get("extra", e.get("group", ""))))
    return {"members": out_members, "edges": edges}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name")
    ap.add_argument("git_dir")
    ap.add_argument("--repo")
    ap.add_argument("--commit")
    ap.add_argument("--cargo-root")
    ap.add_argument("--python-root")
    ap.add_argument("--skip", action="append")
    ap.add_argument("--note", action="append")
    a = ap.parse_args()

    dest = CORPUS / a.name
    old = read_source(dest / "SOURCE")
    repo = a.repo or old.get("repo") or sys.exit("--repo OWNER/NAME is required for a new entry")
    rev = a.commit or "HEAD"
    commit = git(a.git_dir, "rev-parse", f"{rev}^{{commit}}").strip()
    skip = a.skip if a.skip is not None else old.get("skip", [])
    notes = a.note if a.note is not None else old.get("notes", [])
    files = {}
    for line in git(a.git_dir, "ls-tree", "-r", "-l", "-z", commit).split("\0"):
        if not line:
            continue
        meta, path = line.split("\t", 1)
        mode, kind, obj, size = meta.split()
        if kind == "blob" and mode != "120000":
            # a mirror may lack its largest blobs (size "BAD"): they are left out
            files[path] = (obj, int(size) if size.isdigit() else None)

    def top(name):
        return name in files

    cargo_root = a.cargo_root or old.get("cargo-root")
    if cargo_root is None and top("Cargo.toml"):
        cargo_root = "."
    python_root = a.python_root or old.get("python-root")
    if python_root is None and top("pyproject.toml"):
        python_root = "."

    def skipped(path):
        return any(fnmatch.fnmatch(path, g) or path.startswith(g.rstrip("/") + "/") for g in skip)

    chosen, left_out, trimmed = set(), [], []
    for path, (_, size) in files.items():
        base = path.rsplit("/", 1)[-1]
        if base in ("Cargo.toml", "pyproject.toml") and not skipped(path):
            if size is None:
                sys.exit(f"{path} is absent from {a.git_dir}: fetch a complete clone")
            chosen.add(path)
    for root, lock in [(cargo_root, "Cargo.lock"), (python_root, "uv.lock")]:
        if root is None:
            continue
        path = join(root, lock)
        if path in files:
            if files[path][1] is not None and files[path][1] > MAX_LOCK and lock == "uv.lock":
                trimmed.append(path)
            elif files[path][1] is None or files[path][1] > MAX_LOCK:
                left_out.append(f"{path} ({files[path][1]} bytes)")
            else:
                chosen.add(path)
    for path in sorted(p for p in chosen if p.endswith("pyproject.toml")):
        doc = tomllib.loads(git(a.git_dir, "show", f"{commit}:{path}"))
        member_dir = path.rsplit("/", 1)[0] if "/" in path else "."
        for f in dynamic_version_files(member_dir, doc):
            if f in files:
                chosen.add(f)

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in sorted(chosen):
        out = dest / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(git(a.git_dir, "show", f"{commit}:{path}", binary=True))
    for path in trimmed:
        out = dest / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(trim_uv_lock(git(a.git_dir, "show", f"{commit}:{path}")))
    if top(".gitignore"):
        (dest / "gitignore").write_bytes(git(a.git_dir, "show", f"{commit}:.gitignore", binary=True))

    source = {"repo": repo, "commit": commit}
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        checkout = Path(tmp)
        absent = extract(a.git_dir, files, checkout)
        if absent:
            source["absent-from-checkout"] = absent
        if cargo_root is not None:
            source["cargo-root"] = cargo_root
            expected = cargo_expected(checkout, cargo_root)
            source["cargo-judge"] = expected.pop("judge")
            resolved = expected.pop("resolved")
            if resolved:
                source["cargo-edges"] = resolved
            (dest / "expected-cargo.json").write_text(json.dumps(expected, indent=1) + "\n")
        if python_root is not None:
            source["python-root"] = python_root
            lock = checkout / python_root / "uv.lock"
            if lock.exists():
                source["uv-judge"] = "committed uv.lock"
            else:
                uv = uv_binary() or sys.exit("no uv: set UV=/path/to/uv")
                run = subprocess.run([uv, "lock", "--directory", str(checkout / python_root)],
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    sys.exit(f"uv lock failed:\n{run.stderr}")
                ver = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()
                source["uv-judge"] = f"fresh `uv lock` ({ver})"
            (dest / "expected-uv.json").write_text(json.dumps(uv_expected(lock), indent=1) + "\n")
    if skip:
        source["skip"] = skip
    if left_out:
        source["left-out"] = left_out
    if trimmed:
        source["trimmed"] = [f"{p} ({files[p][1]} bytes): header and workspace members only" for p in trimmed]
    if notes:
        source["notes"] = notes
    text = "".join(f"{k} = {toml_value(v)}\n" for k, v in source.items())
    (dest / "SOURCE").write_text(text)
    total = sum(f.stat().st_size for f in dest.rglob("*") if f.is_file())
    print(f"{a.name}: {len(chosen)} files, {total} bytes, commit {commit[:12]}")


if __name__ == "__main__":
    main()
