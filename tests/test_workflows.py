"""The GitHub workflows call the project's scripts with the permissions each job needs. CI here
cannot reach GitHub, so the files are only parsed and read; mike's deploy is run for real in
tests/test_versions.py."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text("utf-8"))
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads a bare `on` as true
    return document


def steps(document: dict) -> list[dict]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def test_ci_runs_the_fast_tier_then_the_slow_one_on_push_and_pull_request():
    ci = load("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    runs = {name: [step.get("run", "").strip() for step in job["steps"]] for name, job in ci["jobs"].items()}
    assert "bash .ci/run --fast" in runs["fast"] and "bash .ci/run --slow" in runs["slow"]
    assert ci["jobs"]["slow"]["needs"] == "fast"
    assert (ROOT / ".ci" / "run").is_file()


def test_the_test_command_runs_both_tiers_fast_first():
    script = (ROOT / "scripts" / "test.sh").read_text("utf-8")
    assert "tiers=(fast slow)" in script and '-m "$marker"' in script
    # the fast tier on every core (pytest-xdist), the slow one in one process beside its build's timings
    assert "workers=(-n auto)" in script and "workers=()" in script
    assert script.index("ruff check") < script.index("-m pytest")


def _job(document: dict, name: str) -> tuple[dict, list[str], list[str]]:
    """A job, the commands its steps run and the actions they use (without their versions)."""
    job = document["jobs"][name]
    runs = [step.get("run", "").strip() for step in job["steps"]]
    return job, runs, [step.get("uses", "").split("@")[0] for step in job["steps"]]


def test_release_builds_and_checks_the_sdist_and_the_wheel_of_the_tagged_version():
    release = load("release.yml")
    assert release["on"]["release"]["types"] == ["published"] and "workflow_dispatch" in release["on"]
    assert release["permissions"] == {"contents": "read"}  # each job asks for what it needs
    dist, runs, uses = _job(release, "dist")
    text = "\n".join(runs)
    assert "python -m build" in text and "python -m twine check --strict dist/*" in text
    # the tag must name the package's version, the one the package loads its catalog for
    assert "catalog.__version__" in text and '"${TAG#v}" != "$version"' in text
    assert dist["outputs"]["version"] == "${{ steps.version.outputs.version }}"
    assert "actions/upload-artifact" in uses


def test_release_commits_this_versions_site_beside_the_others_and_serves_the_branch():
    release = load("release.yml")
    site, runs, uses = _job(release, "site")
    assert site["needs"] == "dist" and site["permissions"] == {"contents": "write"}
    assert any("git fetch origin gh-pages:gh-pages" in run for run in runs)
    build = next(step for step in site["steps"] if step.get("run", "").strip() == "bash scripts/site.sh")
    # the browser figures come from a Chrome the runner has, headless; the site goes in as this release
    assert build["env"]["POSEZOO_CHROMIUM"] == "/usr/bin/google-chrome"
    assert build["env"]["POSEZOO_RELEASE"] == "${{ needs.dist.outputs.version }}"
    assert runs.index("bash scripts/site.sh") < runs.index("git push origin gh-pages")
    # Pages serves the whole branch: every release's folder, versions.json, the default's redirect
    assert "git worktree add build/pages gh-pages" in runs
    upload = next(step for step in site["steps"] if step.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "build/pages"
    assert uses.index("actions/configure-pages") < uses.index("actions/upload-pages-artifact")
    deploy, _, deploy_uses = _job(release, "deploy")
    assert deploy["needs"] == "site" and deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"} and "actions/deploy-pages" in deploy_uses


def test_release_attaches_the_catalog_and_the_wheel_to_the_release():
    site, runs, _ = _job(load("release.yml"), "site")
    upload = next(step for step in site["steps"] if "gh release upload" in step.get("run", ""))
    assert upload["if"] == "github.event_name == 'release'"
    command = ["gh", "release", "upload", '"$TAG"', "build/catalog.json", "dist/*.whl", "--clobber"]
    assert upload["run"].split() == command


def test_release_publishes_to_the_index_by_trusted_publishing_only():
    text = (WORKFLOWS / "release.yml").read_text("utf-8")
    assert "secrets." not in text and "password" not in text  # no token anywhere: the OIDC token is the proof
    pypi, _, uses = _job(load("release.yml"), "pypi")
    assert pypi["needs"] == ["dist", "site"] and pypi["if"] == "github.event_name == 'release'"
    assert pypi["permissions"] == {"id-token": "write"} and pypi["environment"]["name"] == "pypi"
    assert uses == ["actions/download-artifact", "pypa/gh-action-pypi-publish"]
    assert not pypi["steps"][-1].get("with")


def test_release_checks_the_site_the_package_loads_its_catalog_from():
    site, runs, _ = _job(load("release.yml"), "site")
    check = next(step for step in site["steps"] if "PUBLISHED_SITE" in step.get("run", ""))
    assert check["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"


def test_the_site_script_builds_the_zoo_then_the_site():
    script = (ROOT / "scripts" / "site.sh").read_text("utf-8")
    assert script.index("scripts/setup.sh") < script.index("posezoo build") < script.index("posezoo site")
    # a release's site goes to the gh-pages branch in its own folder (mike)
    assert 'posezoo release-docs "$POSEZOO_RELEASE" --out build' in script
