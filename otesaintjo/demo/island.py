"""The island for ``otesaintjo seed --scale N --towns``: the 24 communes of La Réunion.

Pure data, like the rest of :mod:`otesaintjo.demo`. Each commune has its postcodes (the first is
the town hall's; the others serve outlying villages), its municipal population (INSEE 2021,
rounded to the hundred: it only sets the proportions), the coordinates of its centre and a few
of its quarters and villages, which shop names and addresses borrow.

:func:`shops_per_commune` shares N shops among the communes in proportion to population
(largest remainders), each commune getting at least one shop once N reaches 24.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Commune:
    name: str
    postcodes: tuple[str, ...]
    population: int
    latitude: float
    longitude: float
    quarters: tuple[str, ...]

    @property
    def postcode(self) -> str:
        return self.postcodes[0]


COMMUNES: tuple[Commune, ...] = (
    Commune(
        "Saint-Denis",
        ("97400", "97490", "97417"),
        153_800,
        -20.8823,
        55.4504,
        ("Sainte-Clotilde", "Le Chaudron", "Bellepierre", "La Montagne", "Le Moufia", "Le Butor"),
    ),
    Commune(
        "Saint-Paul",
        ("97460", "97411", "97422", "97423", "97434", "97435"),
        105_200,
        -21.0096,
        55.2707,
        (
            "Saint-Gilles",
            "L'Hermitage",
            "La Saline",
            "Le Guillaume",
            "Bois-de-Nèfles",
            "Plateau Caillou",
        ),
    ),
    Commune(
        "Saint-Pierre",
        ("97410", "97432"),
        85_000,
        -21.3393,
        55.4781,
        ("Terre-Sainte", "Ravine des Cabris", "Basse-Terre", "Ligne Paradis", "Mont-Vert"),
    ),
    Commune(
        "Le Tampon",
        ("97430", "97418"),
        80_100,
        -21.2779,
        55.5177,
        ("Trois-Mares", "Bérive", "La Plaine des Cafres", "Bourg-Murat", "Pont d'Yves"),
    ),
    Commune(
        "Saint-André",
        ("97440",),
        57_200,
        -20.9633,
        55.6503,
        ("Cambuston", "Champ-Borne", "Bras des Chevrettes", "La Cressonnière"),
    ),
    Commune(
        "Saint-Louis",
        ("97450", "97421"),
        53_900,
        -21.2861,
        55.4112,
        ("La Rivière", "Les Makes", "Le Gol", "Bellevue"),
    ),
    Commune(
        "Saint-Joseph",
        ("97480",),
        38_100,
        -21.3779,
        55.6169,
        ("Vincendo", "Langevin", "Manapany", "Les Lianes", "Jean-Petit", "Les Jacques"),
    ),
    Commune(
        "Saint-Benoît",
        ("97470",),
        37_800,
        -21.0339,
        55.7128,
        ("Beaulieu", "Sainte-Anne", "Bras-Fusil", "La Confiance"),
    ),
    Commune(
        "Saint-Leu",
        ("97436", "97416", "97424"),
        34_800,
        -21.1707,
        55.2886,
        ("La Chaloupe", "Piton Saint-Leu", "Le Plate", "Stella"),
    ),
    Commune(
        "Sainte-Marie",
        ("97438",),
        34_600,
        -20.8969,
        55.5490,
        ("La Mare", "Beaufonds", "Rivière des Pluies", "Gillot"),
    ),
    Commune(
        "La Possession",
        ("97419",),
        33_500,
        -20.9253,
        55.3358,
        ("Sainte-Thérèse", "Dos d'Âne", "Pichette", "Moulin Joli"),
    ),
    Commune(
        "Le Port",
        ("97420",),
        32_400,
        -20.9373,
        55.2919,
        ("Rivière des Galets", "La Pointe des Galets", "Say Piscine"),
    ),
    Commune(
        "Sainte-Suzanne",
        ("97441",),
        24_200,
        -20.9063,
        55.6079,
        ("Quartier Français", "Bagatelle", "Deux-Rives"),
    ),
    Commune(
        "L'Étang-Salé",
        ("97427",),
        14_100,
        -21.2636,
        55.3653,
        ("Étang-Salé-les-Bains", "Le Maniron", "Les Canots"),
    ),
    Commune(
        "Bras-Panon",
        ("97412",),
        13_400,
        -20.9982,
        55.6777,
        ("Rivière du Mât", "Bellevue-les-Hauts"),
    ),
    Commune(
        "Petite-Île",
        ("97429",),
        12_400,
        -21.3539,
        55.5644,
        ("Manapany-les-Bains", "Piton Bloc", "Anse des Cascades"),
    ),
    Commune(
        "Les Avirons",
        ("97425",),
        11_600,
        -21.2411,
        55.3390,
        ("Le Tévelave", "Ravine Sèche"),
    ),
    Commune(
        "Salazie",
        ("97433",),
        7_300,
        -21.0271,
        55.5391,
        ("Hell-Bourg", "Grand Îlet", "Mare à Vieille Place"),
    ),
    Commune(
        "Les Trois-Bassins",
        ("97426",),
        7_100,
        -21.1038,
        55.2985,
        ("Souris Blanche", "Bras Canot"),
    ),
    Commune(
        "L'Entre-Deux",
        ("97414",),
        7_000,
        -21.2469,
        55.4718,
        ("Le Dimitile", "Ravine des Citrons"),
    ),
    Commune(
        "La Plaine-des-Palmistes",
        ("97431",),
        6_800,
        -21.1336,
        55.6284,
        ("Premier Village", "Petite Plaine"),
    ),
    Commune(
        "Sainte-Rose",
        ("97439",),
        6_300,
        -21.1279,
        55.7935,
        ("Piton Sainte-Rose", "Bois Blanc", "La Marine"),
    ),
    Commune(
        "Cilaos",
        ("97413",),
        5_500,
        -21.1340,
        55.4717,
        ("Palmiste Rouge", "Bras-Sec", "Îlet à Cordes"),
    ),
    Commune(
        "Saint-Philippe",
        ("97442",),
        5_200,
        -21.3590,
        55.7667,
        ("Le Baril", "Basse-Vallée", "Mare Longue"),
    ),
)


def shops_per_commune(total: int) -> list[int]:
    """How many of ``total`` shops each commune of :data:`COMMUNES` gets (same order).

    Proportional to population, rounded by largest remainders so the counts add up to
    ``total``; with ``total >= 24`` every commune has at least one shop (taken from the
    largest communes, which hardly notice).
    """
    if total < 0:
        raise ValueError("a number of shops is never negative")
    population = sum(c.population for c in COMMUNES)
    exact = [total * c.population / population for c in COMMUNES]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(COMMUNES)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    if total >= len(COMMUNES):
        for i, count in enumerate(counts):
            if count == 0:
                counts[i] = 1
                counts[max(range(len(counts)), key=counts.__getitem__)] -= 1
    return counts
