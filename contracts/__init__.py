"""rwasim's Solidity sources, the pinned compiler's lock file and the committed build artifacts.

A package only so that the wheel ships these files and :mod:`importlib.resources` finds them.
"""
