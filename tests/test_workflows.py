"""The GitHub workflows call the project's scripts with the permissions Pages needs. CI here
cannot reach GitHub, so the files are only parsed and read."""

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
    assert script.index("ruff check") < script.index("-m pytest")


def test_release_builds_the_site_and_deploys_it_to_pages():
    release = load("release.yml")
    assert release["on"]["release"]["types"] == ["published"] and "workflow_dispatch" in release["on"]
    assert release["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    all_steps = steps(release)
    runs = [step.get("run", "").strip() for step in all_steps]
    uses = [step.get("uses", "").split("@")[0] for step in all_steps]
    assert "bash scripts/site.sh" in runs and (ROOT / "scripts" / "site.sh").is_file()
    # the browser figures come from a Chrome the runner has, headless
    build = next(step for step in all_steps if step.get("run", "").strip() == "bash scripts/site.sh")
    assert build["env"]["POSEZOO_CHROMIUM"] == "/usr/bin/google-chrome"
    upload = next(step for step in all_steps if step.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "build/site"
    assert uses.index("actions/upload-pages-artifact") < uses.index("actions/deploy-pages")
    deploy_job = next(
        job for job in release["jobs"].values() if any("deploy-pages" in s.get("uses", "") for s in job["steps"])
    )
    assert deploy_job["environment"]["name"] == "github-pages"


def test_the_site_script_builds_the_zoo_then_the_site():
    script = (ROOT / "scripts" / "site.sh").read_text("utf-8")
    assert script.index("scripts/setup.sh") < script.index("posezoo build") < script.index("posezoo site")
