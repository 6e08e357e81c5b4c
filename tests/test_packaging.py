"""The distribution lists every package of the source tree, so a wheel never lacks one."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_in_the_distribution():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = config["package-dir"]  # distribution name -> folder
    listed = set(config["packages"])
    found = set()
    for name, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base)
            if "node_modules" in relative.parts or any(part.startswith(".") for part in relative.parts):
                continue
            found.add(".".join((name, *relative.parts)))
    assert found - listed == set(), f"packages missing from pyproject.toml: {sorted(found - listed)}"
