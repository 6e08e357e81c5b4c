"""Our team's bridge policy: which lane our note uses and how deep a burn must be buried.

Named ``bridge`` on purpose, next to rwasim's own ``rwasim.bridge``: the two never clash.
"""

LANE = 7
CONFIRMATIONS = 2


def lane_options() -> dict[str, int]:
    """The keyword arguments our scenario and tests pass when they open our note's lane."""
    return {"lane": LANE, "confirmations": CONFIRMATIONS}
