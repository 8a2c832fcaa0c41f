"""The twelve fictional shops of Saint-Joseph (97480), one module per trade, in seeding order.

Each module holds one shop's literal (``SHOP``), so a shop can be read and edited on its own.
Shop names, people, SIRETs, phone numbers and websites are invented; any resemblance to an
existing business is accidental.
"""

from otesaintjo.demo.model import DemoShop
from otesaintjo.demo.shops import (
    artisanat,
    boucherie,
    boulangerie,
    cafe,
    epicerie,
    fleuriste,
    librairie,
    pharmacie,
    poissonnerie,
    quincaillerie,
    velos,
    vetements,
)

SHOPS: tuple[DemoShop, ...] = (
    boulangerie.SHOP,
    epicerie.SHOP,
    boucherie.SHOP,
    fleuriste.SHOP,
    librairie.SHOP,
    quincaillerie.SHOP,
    poissonnerie.SHOP,
    pharmacie.SHOP,
    vetements.SHOP,
    cafe.SHOP,
    artisanat.SHOP,
    velos.SHOP,
)

# The demo merchant account (Sandrine Hoarau) owns the bakery and the café next to the market.
DEMO_MERCHANT_SHOP_SLUGS: tuple[str, ...] = ("fournil-des-remparts", "ti-kafe-du-marche")
