"""The default install is small and a command that needs more says which extra, in one line; the
extras are read from the installed metadata (pyproject.toml), so they are named in one place."""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib
from importlib.util import find_spec
from pathlib import Path

import pytest

from catalog import extras
from catalog.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]


def test_the_default_install_is_what_loading_and_running_need():
    default = {requirement.split(">")[0].split("=")[0].split("<")[0] for requirement in PROJECT["dependencies"]}
    assert {"numpy", "onnxruntime", "pandas", "pydantic", "pooch"} <= default
    heavy = {"tensorflow-cpu", "tf2onnx", "mkdocs-material", "streamlit", "playwright", "onnx", "torch"}
    assert not default & heavy
    extra = PROJECT["optional-dependencies"]
    assert "onnx>=1.16" in extra["inspect"] and "posezoo[inspect,convert]" in extra["build"]
    assert any(r.startswith("mike") for r in extra["docs"]) and any(r.startswith("twine") for r in extra["release"])


def test_each_extra_names_modules_that_import_where_all_are_installed():
    # the dev install has every extra: a module name mapped wrongly from its distribution is not found
    for extra in importlib.metadata.metadata("posezoo").get_all("Provides-Extra"):
        for module in extras.modules_of(extra):
            assert find_spec(module) is not None, f"posezoo[{extra}] brings {module}?"
    assert extras.modules_of("inspect") == ["onnx", "ai_edge_litert"]
    assert {"tensorflow", "tf2onnx", "onnx", "ai_edge_litert", "pycocotools"} == set(extras.modules_of("build"))
    assert extras.extra_of("streamlit") == "app" and extras.extra_of("numpy") is None


def test_a_command_without_its_extra_says_which_in_one_line(monkeypatch, capsys, tmp_path):
    real = extras.find_spec
    monkeypatch.setattr(extras, "find_spec", lambda name: None if name == "onnx" else real(name))
    monkeypatch.setattr(sys, "argv", ["posezoo", "inspect", str(tmp_path / "model.onnx")])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "posezoo: error: posezoo inspect: needs onnx, which this install lacks: pip install 'posezoo[inspect]'"
    )


def test_the_library_reader_says_so_too(monkeypatch, tmp_path):
    import catalog

    monkeypatch.setattr(extras, "find_spec", lambda name: None)
    with pytest.raises(extras.MissingExtra, match=r"^catalog.inspect: needs onnx, .*'posezoo\[inspect\]'$"):
        catalog.inspect(tmp_path / "model.onnx")
