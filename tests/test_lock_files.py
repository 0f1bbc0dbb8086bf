"""The lock files: every package pinned with hashes, in step with pyproject.toml.

`requirements/check_lock.py` runs in `make test` (make check-lock); these tests show that it
passes on the committed files and fails on each way they can drift from pyproject.toml.
"""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK_FILES = ("prod.txt", "dev.txt", "bench.txt", "uv.txt")


def load_checker():
    spec = importlib.util.spec_from_file_location(
        "check_lock", REPO_ROOT / "requirements" / "check_lock.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_lock"] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


check_lock = load_checker()


@pytest.fixture
def project(tmp_path):
    """A copy of pyproject.toml and the lock files, to spoil one way or another."""
    (tmp_path / "requirements").mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name in LOCK_FILES:
        shutil.copy(REPO_ROOT / "requirements" / name, tmp_path / "requirements" / name)
    return tmp_path


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, count))


def pinned_version(lock: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==([^ ;\\]+)", lock, re.MULTILINE)
    assert match, f"{name} is not pinned"
    return match[1]


def test_the_committed_lock_files_agree_with_pyproject():
    assert check_lock.check(REPO_ROOT) == []


def test_the_check_runs_as_a_script_and_says_so():
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "requirements" / "check_lock.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "agree with pyproject.toml" in result.stdout


def test_every_lock_pins_each_package_exactly_with_hashes_and_names_no_index():
    for name in LOCK_FILES:
        text = (REPO_ROOT / "requirements" / name).read_text()
        pins, problems = check_lock.parse_lock(text)
        assert problems == [], name
        assert pins, name
        assert all(pin.hashes for pin in pins.values()), name
        assert "index-url" not in text and "find-links" not in text and "://" not in text


def test_the_production_lock_holds_no_test_tools():
    pins, _ = check_lock.parse_lock((REPO_ROOT / "requirements" / "prod.txt").read_text())
    assert "django" in pins and "django-allauth" in pins
    assert not {"pytest", "ruff", "playwright", "locust", "uv"} & set(pins)


def test_it_fails_when_pyproject_asks_for_a_package_the_lock_lacks(project):
    edit(project / "pyproject.toml", '"tqdm>=4.66,<5",', '"tqdm>=4.66,<5",\n    "attrs>=23",')

    problems = check_lock.check(project)

    assert any("does not pin attrs" in p and "prod.txt" in p for p in problems), problems
    assert check_lock.main(["check_lock.py", str(project)]) == 1


def test_it_fails_when_a_range_no_longer_admits_the_locked_version(project):
    locked = pinned_version((project / "requirements" / "prod.txt").read_text(), "django")
    edit(project / "pyproject.toml", '"django>=5.2,<6",', f'"django>5.2,!={locked}",')

    problems = check_lock.check(project)

    assert any(f"django=={locked}, outside" in p for p in problems), problems


def test_it_fails_when_pyproject_no_longer_asks_for_a_locked_package(project):
    edit(project / "pyproject.toml", '    "tqdm>=4.66,<5",\n', "")

    problems = check_lock.check(project)

    assert any("pins tqdm for pyproject.toml, which no longer asks" in p for p in problems)


def test_it_fails_on_a_pin_without_a_hash(project):
    lock = project / "requirements" / "prod.txt"
    text = lock.read_text()
    version = pinned_version(text, "segno")
    start = text.index(f"segno=={version}")
    end = text.index("# via", start)
    lock.write_text(text[:start] + f"segno=={version}\n    " + text[end:])

    problems = check_lock.check(project)

    assert any(f"segno=={version} has no sha256 hash" in p for p in problems), problems


def test_it_fails_on_an_index_url_or_a_loose_pin(project):
    lock = project / "requirements" / "dev.txt"
    lock.write_text("--index-url https://mirror.example/simple\nidna>=3\n" + lock.read_text())

    problems = check_lock.check(project)

    assert any("index or link option" in p for p in problems), problems
    assert any("not an exact pin" in p and "idna>=3" in p for p in problems), problems


def test_it_fails_when_two_lock_files_pin_different_versions(project):
    lock = project / "requirements" / "dev.txt"
    version = pinned_version(lock.read_text(), "pytest")
    edit(lock, f"pytest=={version}", "pytest==0.0.1")

    problems = check_lock.check(project)

    assert any(f"pytest is {version} in requirements/bench.txt but 0.0.1" in p for p in problems)


def test_the_bootstrap_file_pins_the_uv_of_the_dev_lock(project):
    dev_uv = pinned_version((project / "requirements" / "dev.txt").read_text(), "uv")
    assert pinned_version((project / "requirements" / "uv.txt").read_text(), "uv") == dev_uv

    edit(project / "requirements" / "uv.txt", f"uv=={dev_uv}", "uv==0.0.1")

    assert any("uv is" in p for p in check_lock.check(project))


def test_the_makefile_installs_only_from_the_lock_files_with_hashes():
    makefile = (REPO_ROOT / "Makefile").read_text()
    installs = [
        line
        for line in makefile.replace("\\\n", " ").splitlines()
        if re.search(r"(pip|uv pip) (install|sync)\b", line)
    ]
    assert installs, "the Makefile installs nothing?"
    for line in installs:
        assert "--require-hashes" in line and "requirements/" in line.replace(
            "$(LOCK_DIR)", "requirements"
        ), line


def test_the_vendored_bootstrap_is_the_version_package_lock_names():
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/bootstrap"]["version"]
    assert "resolved" not in json.dumps(lock), "package-lock.json names a registry URL"
    vendored = REPO_ROOT / "static" / "vendor" / "bootstrap"
    css = (vendored / "css" / "bootstrap.min.css").read_text()
    js = (vendored / "js" / "bootstrap.bundle.min.js").read_text()
    assert f"Bootstrap  v{version} " in css[:200]
    assert f"Bootstrap v{version} " in js[:200]
    # The source maps the minified files name are there too (the manifest storage needs them).
    assert (vendored / "css" / "bootstrap.min.css.map").exists()
    assert (vendored / "js" / "bootstrap.bundle.min.js.map").exists()
