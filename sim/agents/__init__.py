"""The people and institutions of a run: the licensed issuer, investors, custodian, regulator.

``licences`` says which regulated activity needs which licence; ``investors`` draws seeded
investor profiles; ``issuer`` is the licensed issuer agent that onboards investors on both
chains.
"""

from rwasim.agents.investors import InvestorProfile, draw_investors
from rwasim.agents.issuer import LicensedIssuer, OnboardedInvestor
from rwasim.agents.licences import ACTIVITIES, Licence, LicenceError, Licences

__all__ = [
    "InvestorProfile",
    "draw_investors",
    "LicensedIssuer",
    "OnboardedInvestor",
    "ACTIVITIES",
    "Licence",
    "LicenceError",
    "Licences",
]
