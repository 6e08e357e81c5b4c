"""Suite-wide: ``pytester`` runs rwasim's pytest plugin as a user's CI would."""

pytest_plugins = ["pytester"]
