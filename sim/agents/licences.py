"""Licences and the activities they permit.

A licensed issuer in Hong Kong holds SFC licences by regulated-activity type (Type 1 dealing
in securities, Type 4 advising on securities, Type 9 asset management) and, to deal in
virtual assets or put units on a public chain, a virtual-asset licence. Each activity of the
simulation names the licences that permit it in a jurisdiction; an agent asked to do
something its licences do not cover refuses, and says which licence is missing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    """One licence: who granted it, its type, where it applies."""

    regulator: str  # e.g. "SFC"
    kind: str  # e.g. "type-1", "type-4", "type-9", "virtual-asset"
    jurisdiction: str  # ISO 3166 alpha-2, e.g. "HK"

    def __str__(self) -> str:
        return f"{self.regulator} {self.kind} ({self.jurisdiction})"


# activity -> licence kinds, all of which are needed (in the jurisdiction the activity is done in)
ACTIVITIES: dict[str, tuple[str, ...]] = {
    "onboard_investor": ("type-1",),
    "register_product": ("type-1",),
    "issue_security_token": ("type-1",),
    "advise_on_product": ("type-4",),
    "manage_fund_assets": ("type-9",),
    "run_lifecycle": ("type-1",),
    "bridge_to_public_chain": ("type-1", "virtual-asset"),
    "deal_in_virtual_assets": ("virtual-asset",),
}


class LicenceError(PermissionError):
    """An activity the agent's licences do not cover; the message names what is missing."""


class Licences:
    """The licences an agent holds, and the check every regulated action makes first.

    Parameters
    ----------
    licences : iterable of Licence
    regulator : str
        The regulator whose licences count (default "SFC").
    """

    def __init__(self, licences, regulator: str = "SFC") -> None:
        self.held = tuple(sorted(licences, key=lambda lic: (lic.jurisdiction, lic.kind)))
        self.regulator = regulator

    @classmethod
    def hong_kong_broker(cls, virtual_assets: bool = True) -> Licences:
        """Types 1, 4 and 9 in Hong Kong, plus a virtual-asset licence unless told otherwise."""
        kinds = ["type-1", "type-4", "type-9"] + (["virtual-asset"] if virtual_assets else [])
        return cls(Licence("SFC", kind, "HK") for kind in kinds)

    def missing(self, activity: str, jurisdiction: str = "HK") -> list[str]:
        """Licence kinds the activity needs in ``jurisdiction`` that are not held."""
        if activity not in ACTIVITIES:
            raise ValueError(f"unknown activity {activity!r}; known: {', '.join(sorted(ACTIVITIES))}")
        held = {lic.kind for lic in self.held if lic.jurisdiction == jurisdiction and lic.regulator == self.regulator}
        return [kind for kind in ACTIVITIES[activity] if kind not in held]

    def require(self, activity: str, jurisdiction: str = "HK") -> None:
        """Raise LicenceError naming the missing licences, unless the activity is covered."""
        missing = self.missing(activity, jurisdiction)
        if missing:
            raise LicenceError(
                f"{activity} in {jurisdiction} needs {self.regulator} "
                f"{' and '.join(missing)} licence(s), which are not held"
            )

    def to_json(self) -> list[str]:
        return [str(lic) for lic in self.held]
