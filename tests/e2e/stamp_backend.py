"""A small PEP 517 build backend for the e2e tests, standing in for hatchling and maturin, which are not
among the test tools (they would have to come from the real PyPI). It builds the shapes real backends
build and uv_build does not:

- [tool.stamp] packages: the folders (or single modules) the wheel ships, each under its own name, as
  hatch's `packages` does (`src/pydantic_ai` ships `pydantic_ai/` for the distribution
  `pydantic-ai-slim`); a folder without `__init__.py` is a namespace package (`genkit/plugins/x`).
  Default: `src/<normalized name>`.
- [tool.stamp] tag: the wheel's tag (`cp311-cp311-linux_x86_64`, what a plain maturin build gives);
  the build's config setting `tag` (`uv build -C tag=cp39-abi3-macosx_11_0_arm64`) overrides it, as
  maturin's `--target` and cibuildwheel's platform pick one CI runner's wheel.
- [tool.stamp] fail: the build fails with this message on stderr, as a backend's traceback.

The wheel's WHEEL file names the backend's version (`Generator: stampback VERSION`), so a test sees
which version of a backend that was resolved from an index built it. Builds are byte-reproducible.
"""

import base64
import gzip
import hashlib
import io
import os
import re
import tarfile
import tomllib
import zipfile

VERSION = "0"
EPOCH = (1980, 1, 1, 0, 0, 0)


def _read():
    with open("pyproject.toml", "rb") as f:
        data = tomllib.load(f)
    stamp = data.get("tool", {}).get("stamp", {})
    if "fail" in stamp:
        raise RuntimeError(stamp["fail"])
    return data["project"], stamp


def _stem(project):
    return re.sub(r"[-_.]+", "_", project["name"]).lower() + "-" + project["version"]


def _metadata(project):
    lines = ["Metadata-Version: 2.1", "Name: " + project["name"], "Version: " + project["version"]]
    lines += ["Requires-Dist: " + d for d in project.get("dependencies", [])]
    return ("\n".join(lines) + "\n").encode()


def _files(stamp, project):
    """(path on disk, path in the wheel) of every file the wheel ships."""
    default = "src/" + re.sub(r"[-_.]+", "_", project["name"]).lower()
    out = []
    for entry in stamp.get("packages", [default]):
        base = os.path.dirname(entry.rstrip("/"))
        if os.path.isfile(entry):
            out.append((entry, os.path.relpath(entry, base or ".")))
            continue
        for folder, dirs, names in os.walk(entry):
            dirs.sort()
            for n in sorted(names):
                if not n.endswith(".pyc"):
                    path = os.path.join(folder, n)
                    out.append((path, os.path.relpath(path, base or ".")))
    return out


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_sdist(sdist_directory, config_settings=None):
    project, _ = _read()
    stem = _stem(project)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(name, data):
            info = tarfile.TarInfo(stem + "/" + name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))

        add("PKG-INFO", _metadata(project))
        for folder, dirs, names in sorted(os.walk(".")):
            dirs[:] = sorted(d for d in dirs if d not in ("dist", "__pycache__", ".venv"))
            for n in sorted(names):
                path = os.path.join(folder, n)
                with open(path, "rb") as f:
                    add(os.path.relpath(path, "."), f.read())
    name = stem + ".tar.gz"
    with open(os.path.join(sdist_directory, name), "wb") as out:
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
            gz.write(raw.getvalue())
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project, stamp = _read()
    stem = _stem(project)
    tag = (config_settings or {}).get("tag") or stamp.get("tag", "py3-none-any")
    info = stem + ".dist-info"
    members = []
    for path, arc in _files(stamp, project):
        with open(path, "rb") as f:
            members.append((arc.replace(os.sep, "/"), f.read()))
    purelib = "true" if tag.endswith("-any") else "false"
    wheel = "Wheel-Version: 1.0\nGenerator: stampback " + VERSION + "\nRoot-Is-Purelib: " + purelib + "\nTag: " + tag + "\n"
    members.append((info + "/METADATA", _metadata(project)))
    members.append((info + "/WHEEL", wheel.encode()))
    record = ""
    for arc, data in members:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += arc + ",sha256=" + digest + "," + str(len(data)) + "\n"
    record += info + "/RECORD,,\n"
    members.append((info + "/RECORD", record.encode()))
    name = stem + "-" + tag + ".whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in members:
            z.writestr(zipfile.ZipInfo(arc, EPOCH), data, zipfile.ZIP_DEFLATED)
    return name
