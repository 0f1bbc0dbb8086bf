"""Fail when pyproject.toml and the lock files in requirements/ disagree.

Offline: it reads the files, it resolves nothing. For each lock file it checks that

- every requirement of pyproject.toml that the file is for (the runtime dependencies, then
  the `dev` extra, then the `bench` extra) is pinned there, at a version its range allows;
- the packages pinned because pyproject.toml asks for them (uv's `# via paddock
  (pyproject.toml)`) are exactly those requirements: a dependency removed from pyproject.toml
  must leave the lock as well;
- every package is pinned with `==` and carries sha256 hashes, and no line names an index,
  a link or a URL (a clone installs from whatever registry its pip or uv is set up for);
- a package pinned in several files has the same version and the same hashes in each.

`make lock` writes files that pass. Run: python requirements/check_lock.py [ROOT]
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PROJECT_VIA = "paddock (pyproject.toml)"
# Each lock file and the parts of pyproject.toml it is compiled from.
LOCKS = {
    "prod.txt": ("dependencies",),
    "dev.txt": ("dependencies", "dev"),
    "bench.txt": ("dependencies", "dev", "bench"),
}
BOOTSTRAP = "uv.txt"  # uv alone, which make installs first and uses to install the rest
FORBIDDEN_OPTIONS = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-e")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^ ;\\]+)\s*(?P<rest>.*)$")
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass
class Pin:
    name: str
    version: str
    marker: str
    hashes: set[str] = field(default_factory=set)
    via: set[str] = field(default_factory=set)


def parse_lock(text: str) -> tuple[dict[str, Pin], list[str]]:
    """The pins of a `uv pip compile` file, and what is wrong with its lines."""
    pins: dict[str, Pin] = {}
    problems: list[str] = []
    current: Pin | None = None
    in_via = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comment = line.lstrip("#").strip()
            if current is not None and comment.startswith("via"):
                in_via = True
                rest = comment[3:].strip()
                if rest:
                    current.via.add(rest)
            elif current is not None and in_via and comment:
                current.via.add(comment)
            continue
        in_via = False
        if line.startswith("--hash="):
            if current is None:
                problems.append(f"line {number}: a hash that belongs to no package")
                continue
            found = HASH.findall(line)
            if not found:
                problems.append(f"line {number}: only sha256 hashes are accepted")
            current.hashes.update(found)
            continue
        if line.startswith("-") or "://" in line or " @ " in line:
            option = line.split()[0].split("=")[0]
            what = "an index or link option" if option in FORBIDDEN_OPTIONS else "an option"
            problems.append(f"line {number}: {what} or URL is not allowed in a lock: {line}")
            current = None
            continue
        match = PIN.match(line)
        if not match:
            problems.append(f"line {number}: not an exact pin (name==version): {line}")
            current = None
            continue
        marker = match["rest"].rstrip("\\").strip().lstrip(";").strip()
        name = canonicalize_name(match["name"])
        current = Pin(name=name, version=match["version"], marker=marker)
        if name in pins:
            problems.append(f"line {number}: {name} is pinned twice")
        pins[name] = current
        if "--hash=" in match["rest"]:
            current.hashes.update(HASH.findall(match["rest"]))
    for pin in pins.values():
        if not pin.hashes:
            problems.append(f"{pin.name}=={pin.version} has no sha256 hash")
    return pins, problems


def project_requirements(pyproject: dict) -> dict[str, list[Requirement]]:
    project = pyproject["project"]
    parts = {"dependencies": [Requirement(r) for r in project.get("dependencies", [])]}
    for extra, reqs in project.get("optional-dependencies", {}).items():
        parts[extra] = [Requirement(r) for r in reqs]
    return parts


def check(root: Path) -> list[str]:
    """Everything that disagrees, as sentences; empty when the locks are sound."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    parts = project_requirements(pyproject)
    problems: list[str] = []
    every: dict[str, dict[str, Pin]] = {}
    for filename, names in [*LOCKS.items(), (BOOTSTRAP, ())]:
        path = root / "requirements" / filename
        if not path.exists():
            problems.append(f"requirements/{filename} is missing: run make lock")
            continue
        pins, found = parse_lock(path.read_text())
        problems += [f"requirements/{filename}: {p}" for p in found]
        every[filename] = pins
        if filename == BOOTSTRAP:
            wanted = [r for r in parts.get("dev", []) if canonicalize_name(r.name) == "uv"]
            if not wanted:
                problems.append(
                    "pyproject.toml: the dev extra must name uv (make installs with it)"
                )
            if set(pins) != {"uv"}:
                problems.append(f"requirements/{filename} must pin uv and nothing else")
        else:
            wanted = [req for part in names for req in parts.get(part, [])]
            missing_part = [part for part in names if part not in parts]
            problems += [f"pyproject.toml has no '{part}' extra" for part in missing_part]
            direct = {name for name, pin in pins.items() if PROJECT_VIA in pin.via}
            wanted_names = {canonicalize_name(req.name) for req in wanted}
            for name in sorted(direct - wanted_names):
                problems.append(
                    f"requirements/{filename} pins {name} for pyproject.toml, "
                    "which no longer asks for it: run make lock"
                )
        for req in wanted:
            name = canonicalize_name(req.name)
            pin = pins.get(name)
            if pin is None:
                problems.append(
                    f"requirements/{filename} does not pin {req.name}, which pyproject.toml "
                    f"asks for ({req}): run make lock"
                )
            elif not req.specifier.contains(Version(pin.version), prereleases=True):
                problems.append(
                    f"requirements/{filename} pins {name}=={pin.version}, outside "
                    f"pyproject.toml's range {req}: run make lock"
                )
    # One version of a package everywhere, with the same files: bench.txt, the widest, is
    # the one the others are compiled within.
    seen: dict[str, tuple[str, Pin]] = {}
    for filename, pins in sorted(every.items(), key=lambda item: item[0] != "bench.txt"):
        for name, pin in pins.items():
            if name not in seen:
                seen[name] = (filename, pin)
                continue
            first_file, first = seen[name]
            if (first.version, first.hashes) != (pin.version, pin.hashes):
                problems.append(
                    f"{name} is {first.version} in requirements/{first_file} but "
                    f"{pin.version} in requirements/{filename} (or its hashes differ): "
                    "run make lock"
                )
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): pyproject.toml and the lock files disagree.")
        return 1
    print("The lock files agree with pyproject.toml.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
