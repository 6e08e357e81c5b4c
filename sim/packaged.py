"""Files that ship inside the ``rwasim`` distribution, found with :mod:`importlib.resources`.

The repository keeps ``scenarios/`` and ``contracts/`` at its top level; the distribution
installs them as the packages ``rwasim.scenarios`` and ``rwasim.contracts``. Looking them up
by package (never by walking up from ``__file__``) gives the same answer in a checkout, an
editable install and a wheel.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_folder(package: str) -> Path:
    """The folder on disk that holds ``package``'s files.

    rwasim runs scenario files and the compiler from real paths, so a package installed
    inside a zip archive is refused with a clear error instead of failing later.
    """
    root = files(package)
    path = Path(str(root))
    if not path.is_dir():
        raise RuntimeError(f"{package} is not installed as a folder on disk ({root}); reinstall rwasim from its wheel")
    return path


def scenarios_folder() -> Path:
    """rwasim's own scenario scripts."""
    return package_folder("rwasim.scenarios")


def contracts_folder() -> Path:
    """rwasim's Solidity sources, compiler lock file and (under ``build/``) artifacts."""
    return package_folder("rwasim.contracts")


def artifacts_folder() -> Path:
    """rwasim's committed contract artifacts (``<Name>.json``)."""
    return contracts_folder() / "build"
