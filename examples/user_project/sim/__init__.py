"""Our team's own simulation helpers.

Named ``sim`` on purpose: rwasim installs everything under ``rwasim``, so a project may keep
packages called ``sim`` or ``bridge`` of its own without any clash.
"""
