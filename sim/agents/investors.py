"""Seeded investor populations: class, country, appetite and the chain each investor uses."""

from __future__ import annotations

from dataclasses import dataclass

from rwasim.engine import Simulation

CLASSES = ("professional", "accredited", "retail")
COUNTRIES = (344, 702, 156, 840, 826)  # Hong Kong, Singapore, mainland China, United States, United Kingdom


@dataclass(frozen=True)
class InvestorProfile:
    """Who an investor is, as the issuer's KYC sees it.

    Attributes
    ----------
    name : str
    investor_class : {"professional", "accredited", "retail"}
    country : int
        ISO 3166 numeric code.
    appetite : int
        Units the investor would subscribe for.
    chain : {"consortium", "ethereum"}
        Where the investor holds units.
    """

    name: str
    investor_class: str
    country: int
    appetite: int
    chain: str


def draw_investors(
    sim: Simulation,
    n: int,
    *,
    ethereum_share: float = 0.5,
    class_weights: tuple[float, ...] = (0.6, 0.25, 0.15),  # one per class in CLASSES (checked below)
    country_weights: tuple[float, ...] = (0.5, 0.25, 0.1, 0.1, 0.05),
    appetite: tuple[int, int] = (10, 500),
    name: str = "investor",
) -> list[InvestorProfile]:
    """``n`` profiles drawn from the run's seed (stream ``("investors", name)``).

    The same seed and arguments give the same population; another ``name`` draws an
    independent one.
    """
    if n < 0 or not 0 <= ethereum_share <= 1:
        raise ValueError("n must be >= 0 and ethereum_share in [0, 1]")
    if len(class_weights) != len(CLASSES) or len(country_weights) != len(COUNTRIES):
        raise ValueError(f"give {len(CLASSES)} class weights and {len(COUNTRIES)} country weights")
    rng = sim.rng.stream("investors", name)
    width = len(str(max(n - 1, 0)))
    profiles = []
    for i in range(n):
        profiles.append(
            InvestorProfile(
                name=f"{name}-{i:0{width}d}",
                investor_class=rng.choices(CLASSES, class_weights)[0],
                country=rng.choices(COUNTRIES, country_weights)[0],
                appetite=rng.randint(*appetite),
                chain="ethereum" if rng.random() < ethereum_share else "consortium",
            )
        )
    return profiles
