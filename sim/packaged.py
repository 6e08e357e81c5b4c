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


def pinned_npm_version(package: str) -> str:
    """The version of ``package`` pinned in rwasim's shipped ``contracts/package.json``.

    The compiler and anvil that rwasim installs into its cache are the same versions a
    checkout gets from ``npm ci --prefix contracts``; the shipped file is the one source.
    """
    import json

    manifest = json.loads((contracts_folder() / "package.json").read_text(encoding="utf-8"))
    for section in ("dependencies", "optionalDependencies"):
        if package in manifest.get(section, {}):
            return str(manifest[section][package])
    raise KeyError(f"{package} is not pinned in rwasim's contracts/package.json")


def cache_folder() -> Path:
    """Where rwasim installs what a wheel does not ship (the npm compiler, anvil), per user.

    ``$RWASIM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/rwasim``, else ``~/.cache/rwasim``.
    Read on every call so a test or a CI job can point it elsewhere.
    """
    import os

    explicit = os.environ.get("RWASIM_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "rwasim"
