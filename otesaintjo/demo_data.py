"""Demo town for ``otesaintjo seed``: twelve fictional shops of Saint-Joseph (97480).

Pure data: nothing here touches the database or imports the rest of the project.
Shop names, people, SIRETs, phone numbers and websites are invented; any resemblance to an
existing business is accidental. Prices are tax included, in euro cents.

VAT rates used (La Réunion, art. 296 CGI): 850 = normal 8.5 %, 210 = reduced 2.1 % (food,
take-away drinks, books, non-reimbursed medicines), 105 = 1.05 % (reimbursable medicines, press).

Pillow is only needed by :func:`draw_product_picture` and is imported lazily there, so the data
can be imported without it.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

VAT_NORMAL = 850
VAT_REDUCED = 210
VAT_SUPER_REDUCED = 105

SHOP_CATEGORIES: tuple[str, ...] = (
    "boulangerie",
    "epicerie",
    "boucherie",
    "fleuriste",
    "librairie",
    "quincaillerie",
    "poissonnerie",
    "pharmacie",
    "vetements",
    "cafe",
    "artisanat",
    "velos",
)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DemoProduct:
    name: str
    description: str
    price_cents: int
    vat_bp: int
    category: str
    stock: int = 100
    deliverable: bool = True
    colour: tuple[int, int, int] = (200, 120, 60)


@dataclass(frozen=True)
class DemoPromotion:
    name: str
    percent_off_bp: int | None
    amount_off_cents: int | None
    product_names: tuple[str, ...] | None
    days_left: int


@dataclass(frozen=True)
class DemoShop:
    slug: str
    name: str
    category: str
    description: str
    manager_first_name: str
    manager_last_name: str
    street: str
    postcode: str
    town: str
    latitude: float
    longitude: float
    email: str
    phone: str
    siret: str
    website: str | None
    pickup_hours: dict[str, list[tuple[str, str]]]
    delivery: dict
    products: tuple[DemoProduct, ...] = ()
    promotions: tuple[DemoPromotion, ...] = ()


def _p(
    name: str,
    price_cents: int,
    vat_bp: int,
    category: str,
    colour: tuple[int, int, int],
    description: str,
    *,
    stock: int = 100,
    deliverable: bool = True,
) -> DemoProduct:
    return DemoProduct(
        name=name,
        description=description,
        price_cents=price_cents,
        vat_bp=vat_bp,
        category=category,
        stock=stock,
        deliverable=deliverable,
        colour=colour,
    )


_Ranges = list[tuple[str, str]]


def _hours(
    *,
    mon: _Ranges | None = None,
    tue: _Ranges | None = None,
    wed: _Ranges | None = None,
    thu: _Ranges | None = None,
    fri: _Ranges | None = None,
    sat: _Ranges | None = None,
    sun: _Ranges | None = None,
) -> dict[str, list[tuple[str, str]]]:
    """Opening ranges per weekday; a day left out is closed (``[]``)."""
    given = {"mon": mon, "tue": tue, "wed": wed, "thu": thu, "fri": fri, "sat": sat, "sun": sun}
    return {day: list(given[day] or []) for day in WEEKDAYS}


def _delivery(
    *,
    postcodes: list[str] | None = None,
    fee_cents: int | None = None,
    free_over_cents: int | None = None,
    free_always: bool = False,
    colissimo_fee_cents: int | None = None,
) -> dict:
    merchant = None
    if postcodes is not None:
        merchant = {"postcodes": list(postcodes), "fee_cents": fee_cents or 0}
    return {
        "merchant_delivery": merchant,
        "free_delivery_over_cents": free_over_cents,
        "free_delivery_always": free_always,
        "colissimo_fee_cents": colissimo_fee_cents,
    }


R = VAT_REDUCED
N = VAT_NORMAL
S = VAT_SUPER_REDUCED

# --------------------------------------------------------------------------------------------
# 1. Boulangerie
# --------------------------------------------------------------------------------------------
_BOULANGERIE = DemoShop(
    slug="fournil-des-remparts",
    name="Le Fournil des Remparts",
    category="boulangerie",
    description=(
        "Boulangerie-pâtisserie du centre-ville, à deux pas de la Rivière des Remparts. "
        "Le four chauffe dès 4 heures pour les baguettes de tradition, les macatias et les "
        "pâtés créoles. Gâteaux péi du dimanche : patate, manioc et tarte coco."
    ),
    manager_first_name="Sandrine",
    manager_last_name="Hoarau",
    street="18 rue Raphaël Babet",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3779,
    longitude=55.6190,
    email="fournil-des-remparts@demo.otesaintjo.re",
    phone="+262692418305",
    siret="53279430200028",
    website="https://fournil-des-remparts.example",
    pickup_hours=_hours(
        mon=[("06:00", "12:30")],
        tue=[("06:00", "12:30"), ("15:00", "19:00")],
        wed=[("06:00", "12:30"), ("15:00", "19:00")],
        thu=[("06:00", "12:30"), ("15:00", "19:00")],
        fri=[("06:00", "12:30"), ("15:00", "19:00")],
        sat=[("06:00", "13:00"), ("15:00", "19:00")],
        sun=[("06:00", "12:00")],
    ),
    delivery=_delivery(postcodes=["97480"], fee_cents=250, free_over_cents=2500),
    products=(
        _p(
            "Baguette de tradition 250 g",
            130,
            R,
            "pains",
            (214, 160, 90),
            "Baguette de tradition pétrie lentement et cuite sur sole : croûte craquante, "
            "mie alvéolée.",
        ),
        _p(
            "Pain au levain 500 g",
            390,
            R,
            "pains",
            (170, 120, 70),
            "Pain au levain naturel, fermentation longue de 18 heures. Se garde trois jours "
            "dans un torchon.",
        ),
        _p(
            "Pain complet 400 g",
            290,
            R,
            "pains",
            (150, 100, 60),
            "Farine complète, eau et sel. Parfait avec un carry ou une assiette de grains.",
        ),
        _p(
            "Pain aux céréales 400 g",
            320,
            R,
            "pains",
            (160, 115, 65),
            "Pain garni de graines de tournesol, de lin et de sésame grillé.",
        ),
        _p(
            "Pain de mie maison 500 g",
            350,
            R,
            "pains",
            (235, 200, 150),
            "Pain de mie moelleux tranché à la demande, idéal pour les tartines du goûter.",
        ),
        _p(
            "Pain bouchon (lot de 6)",
            240,
            R,
            "pains",
            (220, 170, 100),
            "Petits pains ronds et moelleux, parfaits pour un sandwich rougail saucisses "
            "ou un pain-bouchons.",
        ),
        _p(
            "Croissant au beurre",
            130,
            R,
            "viennoiseries",
            (225, 160, 70),
            "Croissant feuilleté pur beurre, doré au four chaque matin.",
        ),
        _p(
            "Pain au chocolat",
            150,
            R,
            "viennoiseries",
            (200, 140, 70),
            "Pâte feuilletée pur beurre et deux barres de chocolat noir.",
        ),
        _p(
            "Chausson aux pommes",
            180,
            R,
            "viennoiseries",
            (230, 180, 90),
            "Feuilleté garni d'une compote de pommes maison à la cannelle.",
        ),
        _p(
            "Macatia nature (lot de 4)",
            300,
            R,
            "viennoiseries",
            (230, 190, 120),
            "Le petit pain brioché réunionnais, légèrement sucré. Un incontournable du "
            "petit-déjeuner avec un café.",
        ),
        _p(
            "Macatia coco (lot de 4)",
            380,
            R,
            "viennoiseries",
            (240, 215, 170),
            "Macatias garnis de noix de coco râpée caramélisée au sucre de canne.",
        ),
        _p(
            "Brioche à la vanille Bourbon 400 g",
            550,
            R,
            "viennoiseries",
            (240, 200, 110),
            "Brioche tressée parfumée à la vanille Bourbon de l'île.",
        ),
        _p(
            "Pâté créole au poulet",
            280,
            R,
            "snacking",
            (200, 130, 60),
            "Chausson en pâte sablée garni de poulet au massalé, à déguster tiède.",
        ),
        _p(
            "Sandwich thon-crudités",
            450,
            R,
            "snacking",
            (210, 160, 100),
            "Demi-baguette, thon, salade, tomate et œuf dur, préparé le matin même.",
        ),
        _p(
            "Quiche au chouchou (4 parts)",
            950,
            R,
            "snacking",
            (150, 190, 90),
            "Quiche fondante au chouchou et au fromage, une recette des hauts de Saint-Joseph.",
        ),
        _p(
            "Gâteau patate (6 parts)",
            1200,
            R,
            "patisseries",
            (200, 110, 80),
            "Gâteau de patate douce à la vanille et à la cannelle, comme chez grand-mère.",
        ),
        _p(
            "Gâteau manioc (6 parts)",
            1200,
            R,
            "patisseries",
            (230, 200, 140),
            "Gâteau dense au manioc râpé et au lait de coco.",
        ),
        _p(
            "Tarte coco (6 parts)",
            1350,
            R,
            "patisseries",
            (245, 230, 200),
            "Pâte sablée et garniture généreuse de noix de coco fraîche.",
        ),
        _p(
            "Flan coco (part)",
            250,
            R,
            "patisseries",
            (240, 220, 170),
            "Flan pâtissier au lait de coco, servi à la part.",
        ),
        _p(
            "Bonbons miel (lot de 6)",
            300,
            R,
            "patisseries",
            (210, 150, 40),
            "Beignets croustillants nappés de sirop de sucre de canne, une douceur lontan.",
        ),
        _p(
            "Éclair au café",
            280,
            R,
            "patisseries",
            (140, 90, 50),
            "Pâte à choux garnie d'une crème au café des hauts et glaçage fondant.",
        ),
        _p(
            "Gâteau d'anniversaire chocolat-letchi (8 parts)",
            2800,
            R,
            "patisseries",
            (110, 60, 40),
            "Génoise au chocolat, crème légère et letchis frais. Fragile : à retirer en "
            "boutique, sur commande la veille.",
            stock=3,
            deliverable=False,
        ),
    ),
    promotions=(
        DemoPromotion(
            name="Matinées macatia",
            percent_off_bp=2000,
            amount_off_cents=None,
            product_names=("Macatia nature (lot de 4)", "Macatia coco (lot de 4)"),
            days_left=7,
        ),
        DemoPromotion(
            name="Semaine des gâteaux péi",
            percent_off_bp=None,
            amount_off_cents=200,
            product_names=(
                "Gâteau patate (6 parts)",
                "Gâteau manioc (6 parts)",
                "Tarte coco (6 parts)",
            ),
            days_left=5,
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 2. Épicerie
# --------------------------------------------------------------------------------------------
_EPICERIE = DemoShop(
    slug="epicerie-de-manapany",
    name="L'Épicerie de Manapany",
    category="epicerie",
    description=(
        "Épicerie de quartier au-dessus de l'anse de Manapany-les-Bains. Fruits et légumes "
        "des planteurs de Saint-Joseph, curcuma des hauts, lentilles de Cilaos et tout le "
        "nécessaire pour un bon cari du dimanche."
    ),
    manager_first_name="Jean-Marc",
    manager_last_name="Payet",
    street="42 chemin de Manapany-les-Bains",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3735,
    longitude=55.5905,
    email="epicerie-de-manapany@demo.otesaintjo.re",
    phone="+262693207714",
    siret="95762357200030",
    website=None,
    pickup_hours=_hours(
        mon=[("07:30", "12:30"), ("14:30", "19:00")],
        tue=[("07:30", "12:30"), ("14:30", "19:00")],
        wed=[("07:30", "12:30"), ("14:30", "19:00")],
        thu=[("07:30", "12:30"), ("14:30", "19:00")],
        fri=[("07:30", "12:30"), ("14:30", "19:00")],
        sat=[("07:30", "19:00")],
        sun=[("07:30", "12:00")],
    ),
    delivery=_delivery(postcodes=["97480", "97429"], fee_cents=350, free_over_cents=4000),
    products=(
        _p(
            "Letchis 1 kg",
            590,
            R,
            "fruits-legumes",
            (200, 40, 60),
            "Letchis de Saint-Joseph cueillis la veille, bien sucrés. En saison de novembre à "
            "janvier.",
            stock=40,
        ),
        _p(
            "Mangues José 1 kg",
            650,
            R,
            "fruits-legumes",
            (240, 170, 40),
            "La mangue José, petite, juteuse et parfumée : la variété préférée des Réunionnais.",
        ),
        _p(
            "Ananas Victoria (pièce)",
            350,
            R,
            "fruits-legumes",
            (230, 190, 50),
            "Petit ananas Victoria très sucré, cultivé dans le Sud de l'île.",
        ),
        _p(
            "Bananes figues 1 kg",
            350,
            R,
            "fruits-legumes",
            (240, 210, 60),
            "Petites bananes douces et fondantes, idéales pour le goûter des enfants.",
        ),
        _p(
            "Fruits de la passion 500 g",
            450,
            R,
            "fruits-legumes",
            (120, 50, 90),
            "Fruits de la passion bien fripés, donc bien mûrs. Parfaits en jus ou en coulis.",
        ),
        _p(
            "Goyaviers 500 g",
            400,
            R,
            "fruits-legumes",
            (170, 30, 50),
            "Petites goyaves rouges ramassées dans les hauts. Saison courte : mars à mai.",
            stock=0,
        ),
        _p(
            "Citrons galets 500 g",
            300,
            R,
            "fruits-legumes",
            (150, 190, 50),
            "Petits citrons ronds très parfumés, pour les achards, les rougails et les jus maison.",
        ),
        _p(
            "Chouchous 1 kg",
            290,
            R,
            "fruits-legumes",
            (140, 190, 100),
            "Chouchous tendres à cuisiner en gratin, en cari ou en salade.",
        ),
        _p(
            "Brèdes chouchou (botte)",
            200,
            R,
            "fruits-legumes",
            (60, 140, 60),
            "Jeunes pousses de chouchou à faire revenir à l'ail et au gingembre.",
        ),
        _p(
            "Tomates péi 1 kg",
            450,
            R,
            "fruits-legumes",
            (220, 50, 40),
            "Tomates de plein champ, indispensables pour le rougail.",
        ),
        _p(
            "Cives (botte)",
            150,
            R,
            "fruits-legumes",
            (80, 160, 70),
            "Oignons verts frais pour relever caris et rougails.",
        ),
        _p(
            "Gingembre frais 250 g",
            250,
            R,
            "fruits-legumes",
            (210, 180, 110),
            "Gingembre local, juteux et piquant.",
        ),
        _p(
            "Piments oiseau 100 g",
            300,
            R,
            "fruits-legumes",
            (220, 30, 30),
            "Petits piments très forts du jardin. À manier avec précaution !",
        ),
        _p(
            "Curcuma de Saint-Joseph en poudre 100 g",
            490,
            R,
            "epices",
            (230, 160, 20),
            "Le « safran péi » cultivé et moulu dans les hauts de Saint-Joseph, fierté de la "
            "commune.",
        ),
        _p(
            "Massalé 100 g",
            350,
            R,
            "epices",
            (160, 80, 40),
            "Mélange d'épices tamoul pour le cabri et le poulet massalé.",
        ),
        _p(
            "Vanille Bourbon (2 gousses)",
            690,
            R,
            "epices",
            (60, 40, 30),
            "Gousses de vanille Bourbon charnues, préparées dans le Sud sauvage.",
            stock=4,
        ),
        _p(
            "Lentilles de Cilaos 500 g",
            790,
            R,
            "epicerie-salee",
            (140, 110, 80),
            "Les célèbres petites lentilles du cirque de Cilaos, fines et savoureuses.",
        ),
        _p(
            "Grains rouges 500 g",
            290,
            R,
            "epicerie-salee",
            (150, 40, 40),
            "Haricots rouges secs pour accompagner le riz et le cari.",
        ),
        _p(
            "Pois du Cap 500 g",
            450,
            R,
            "epicerie-salee",
            (230, 220, 190),
            "Gros haricots blancs fondants, une tradition créole.",
        ),
        _p(
            "Riz blanc long grain 2 kg",
            550,
            R,
            "epicerie-salee",
            (240, 240, 230),
            "Riz long grain pour le riz-cari de tous les jours.",
        ),
        _p(
            "Achards de légumes 350 g",
            590,
            R,
            "epicerie-salee",
            (220, 190, 60),
            "Chou, carotte et haricot au curcuma et au vinaigre, préparés maison.",
        ),
        _p(
            "Confit de piments 90 g",
            490,
            R,
            "epicerie-salee",
            (200, 40, 30),
            "Piments confits à l'huile, pour ceux qui aiment quand ça pique.",
        ),
        _p(
            "Lait de coco 400 ml",
            230,
            R,
            "epicerie-salee",
            (245, 245, 235),
            "Lait de coco onctueux pour les caris et les desserts.",
        ),
        _p(
            "Sucre roux de canne 1 kg",
            230,
            R,
            "epicerie-sucree",
            (190, 130, 60),
            "Sucre roux issu des cannes de l'île.",
        ),
        _p(
            "Confiture de goyaves 350 g",
            520,
            R,
            "epicerie-sucree",
            (210, 80, 90),
            "Confiture artisanale de goyaves roses, cuite au chaudron.",
        ),
        _p(
            "Miel de baies roses 250 g",
            890,
            R,
            "epicerie-sucree",
            (230, 150, 40),
            "Miel clair et doux des ruchers de Vincendo, butiné sur les fleurs de baies roses.",
        ),
        _p(
            "Thé noir à la vanille 100 g",
            650,
            R,
            "epicerie-sucree",
            (90, 60, 40),
            "Thé noir parfumé à la vanille Bourbon, en vrac.",
        ),
        _p(
            "Œufs frais plein air (x12)",
            550,
            R,
            "cremerie",
            (240, 220, 180),
            "Œufs de poules élevées en plein air à Jean-Petit.",
        ),
        _p(
            "Nectar de goyavier 1 L",
            390,
            R,
            "boissons",
            (200, 60, 80),
            "Nectar de goyaviers des hauts, sans colorant.",
        ),
        _p(
            "Eau de source (6 x 1,5 L)",
            450,
            R,
            "boissons",
            (120, 180, 230),
            "Pack de six bouteilles d'eau de source de l'île.",
        ),
    ),
    promotions=(
        DemoPromotion(
            name="Semaine du letchi",
            percent_off_bp=1500,
            amount_off_cents=None,
            product_names=("Letchis 1 kg",),
            days_left=10,
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 3. Boucherie
# --------------------------------------------------------------------------------------------
_BOUCHERIE = DemoShop(
    slug="boucherie-de-vincendo",
    name="Boucherie-charcuterie de Vincendo",
    category="boucherie",
    description=(
        "Boucherie artisanale sur la route de Vincendo. Saucisses fumées et boucané au feu de "
        "bois maison, volailles et cabris d'éleveurs du Sud. Plats cuisinés à emporter le "
        "week-end."
    ),
    manager_first_name="Didier",
    manager_last_name="Grondin",
    street="11 chemin de la Marine, Vincendo",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3780,
    longitude=55.6690,
    email="boucherie-de-vincendo@demo.otesaintjo.re",
    phone="+262692556021",
    siret="39467627400027",
    website="https://boucherie-de-vincendo.example",
    pickup_hours=_hours(
        tue=[("07:00", "12:30"), ("15:30", "18:30")],
        wed=[("07:00", "12:30"), ("15:30", "18:30")],
        thu=[("07:00", "12:30"), ("15:30", "18:30")],
        fri=[("07:00", "12:30"), ("15:30", "18:30")],
        sat=[("07:00", "12:30"), ("15:00", "18:30")],
        sun=[("07:00", "12:00")],
    ),
    delivery=_delivery(postcodes=["97480"], fee_cents=300, free_over_cents=5000),
    products=(
        _p(
            "Saucisses fumées 1 kg",
            1490,
            R,
            "charcuterie",
            (150, 60, 40),
            "Saucisses de porc fumées au bois de goyavier, pour le rougail saucisses.",
        ),
        _p(
            "Saucisses créoles fraîches 1 kg",
            1290,
            R,
            "charcuterie",
            (190, 80, 70),
            "Saucisses fraîches pimentées, à griller ou à cuisiner.",
        ),
        _p(
            "Boucané 500 g",
            990,
            R,
            "charcuterie",
            (120, 50, 30),
            "Poitrine de porc fumée maison, pour le boucané-chouchou ou les grains.",
        ),
        _p(
            "Boudin créole 500 g",
            990,
            R,
            "charcuterie",
            (110, 30, 30),
            "Boudin pimenté à la réunionnaise, à poêler doucement.",
        ),
        _p(
            "Lardons fumés 200 g",
            390,
            R,
            "charcuterie",
            (200, 110, 90),
            "Lardons fumés coupés maison.",
        ),
        _p(
            "Poulet péi entier (env. 1,8 kg)",
            1890,
            R,
            "volaille",
            (230, 190, 140),
            "Poulet élevé en plein air dans les hauts de Saint-Joseph.",
        ),
        _p(
            "Cuisses de poulet 1 kg",
            790,
            R,
            "volaille",
            (225, 170, 130),
            "Cuisses de poulet péi, parfaites pour un cari.",
        ),
        _p(
            "Filets de poulet 1 kg",
            1390,
            R,
            "volaille",
            (240, 200, 170),
            "Filets de poulet sans peau, tendres et maigres.",
        ),
        _p(
            "Brochettes de poulet marinées (x4)",
            850,
            R,
            "volaille",
            (210, 140, 60),
            "Brochettes marinées au curcuma, à l'ail et au gingembre.",
        ),
        _p(
            "Côtes de porc 1 kg",
            1190,
            R,
            "porc",
            (220, 140, 130),
            "Côtes de porc d'éleveurs réunionnais.",
        ),
        _p(
            "Rôti de porc 1 kg",
            1290,
            R,
            "porc",
            (210, 130, 120),
            "Rôti ficelé, à cuire au four ou en cocotte.",
        ),
        _p(
            "Entrecôte de bœuf 300 g",
            1190,
            R,
            "boeuf",
            (170, 40, 40),
            "Entrecôte de bœuf péi persillée, maturée sept jours.",
        ),
        _p(
            "Steaks hachés (4 x 125 g)",
            890,
            R,
            "boeuf",
            (160, 50, 50),
            "Steaks hachés 15 % de matières grasses, préparés à la commande.",
        ),
        _p(
            "Merguez 500 g",
            790,
            R,
            "boeuf",
            (180, 60, 40),
            "Merguez bœuf et mouton, épicées juste ce qu'il faut.",
        ),
        _p(
            "Gigot de cabri 1 kg",
            2590,
            R,
            "cabri",
            (150, 70, 60),
            "Cabri d'élevage local, à préparer en massalé. Quantités limitées selon l'abattage "
            "de la semaine.",
            stock=3,
        ),
        _p(
            "Rougail saucisses cuisiné (2 parts)",
            1190,
            R,
            "plats-cuisines",
            (190, 70, 40),
            "Rougail saucisses mijoté avec tomates et piments. Riz et grains non compris.",
        ),
        _p(
            "Cari poulet cuisiné (2 parts)",
            1050,
            R,
            "plats-cuisines",
            (220, 150, 40),
            "Cari poulet au curcuma de Saint-Joseph, comme à la maison.",
        ),
        _p(
            "Cabri massalé cuisiné (2 parts)",
            1490,
            R,
            "plats-cuisines",
            (150, 80, 40),
            "Cabri mijoté longuement au massalé et au gingembre.",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 4. Fleuriste
# --------------------------------------------------------------------------------------------
_FLEURISTE = DemoShop(
    slug="fleurs-des-lianes",
    name="Fleurs des Lianes",
    category="fleuriste",
    description=(
        "Fleuriste installée aux Lianes, au milieu des champs d'anthuriums. Bouquets tropicaux, "
        "orchidées et plantes en pot, composés à la demande pour les mariages et les fêtes. "
        "Livraison dans tout le Sud."
    ),
    manager_first_name="Marie-Claire",
    manager_last_name="Técher",
    street="28 chemin des Lianes",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3475,
    longitude=55.6155,
    email="fleurs-des-lianes@demo.otesaintjo.re",
    phone="+262693641187",
    siret="72583502900036",
    website="https://fleurs-des-lianes.example",
    pickup_hours=_hours(
        tue=[("08:30", "12:30"), ("14:00", "18:30")],
        wed=[("08:30", "12:30"), ("14:00", "18:30")],
        thu=[("08:30", "12:30"), ("14:00", "18:30")],
        fri=[("08:30", "12:30"), ("14:00", "18:30")],
        sat=[("08:00", "18:30")],
        sun=[("08:00", "12:30")],
    ),
    delivery=_delivery(postcodes=["97480", "97410", "97429"], fee_cents=590),
    products=(
        _p(
            "Bouquet d'anthuriums (5 tiges)",
            2900,
            N,
            "bouquets",
            (210, 30, 50),
            "Anthuriums rouges cultivés aux Lianes, tenue de plus de deux semaines en vase.",
        ),
        _p(
            "Bouquet de roses rouges (12 tiges)",
            4500,
            N,
            "bouquets",
            (190, 20, 40),
            "Douze roses rouges et leur feuillage, noué à la main.",
        ),
        _p(
            "Bouquet champêtre de saison",
            2500,
            N,
            "bouquets",
            (230, 150, 180),
            "Composition libre selon les fleurs du jour.",
        ),
        _p(
            "Grand bouquet tropical",
            6500,
            N,
            "bouquets",
            (240, 100, 40),
            "Oiseaux de paradis, alpinias, anthuriums et feuillages : un bouquet spectaculaire. "
            "Trop grand pour la livraison, à retirer en boutique.",
            deliverable=False,
        ),
        _p(
            "Oiseaux de paradis (3 tiges)",
            1800,
            N,
            "fleurs-coupees",
            (250, 140, 30),
            "Strelitzias orange et bleu, la fleur graphique par excellence.",
        ),
        _p(
            "Roses de porcelaine (3 tiges)",
            2100,
            N,
            "fleurs-coupees",
            (230, 70, 110),
            "Fleurs d'Etlingera, roses et cireuses, typiques des jardins créoles.",
        ),
        _p(
            "Orchidée Phalaenopsis en pot",
            2990,
            N,
            "plantes",
            (200, 120, 200),
            "Orchidée à deux hampes, facile d'entretien à l'intérieur.",
        ),
        _p(
            "Anthurium en pot",
            2490,
            N,
            "plantes",
            (220, 40, 60),
            "Anthurium rouge en pot de 14 cm, fleurit toute l'année à mi-ombre.",
        ),
        _p(
            "Bouture de vanillier en pot",
            1490,
            N,
            "plantes",
            (80, 150, 70),
            "Liane de vanillier enracinée, pour tenter l'aventure de la vanille Bourbon chez soi.",
        ),
        _p(
            "Bougainvillier en pot 10 L",
            3490,
            N,
            "plantes",
            (200, 40, 150),
            "Bougainvillier fuchsia déjà formé. Volumineux : à retirer en boutique.",
            deliverable=False,
        ),
        _p(
            "Pothos en pot 14 cm",
            1290,
            N,
            "plantes",
            (70, 160, 80),
            "Plante verte retombante, increvable.",
        ),
        _p(
            "Frangipanier (bouture racinée)",
            1590,
            N,
            "plantes",
            (245, 220, 150),
            "Bouture de frangipanier blanc au cœur jaune, très parfumé.",
        ),
        _p(
            "Plants d'aromatiques (x3)",
            750,
            N,
            "plantes",
            (100, 170, 80),
            "Thym, persil et cives en godets, pour le jardin ou le balcon.",
        ),
        _p(
            "Vase en verre soufflé",
            2200,
            N,
            "accessoires",
            (120, 190, 210),
            "Vase artisanal en verre soufflé, 25 cm de haut.",
            stock=2,
        ),
        _p(
            "Terreau universel 20 L",
            990,
            N,
            "accessoires",
            (90, 60, 40),
            "Terreau pour plantes en pot et rempotage.",
        ),
        _p(
            "Carte message personnalisée",
            350,
            N,
            "accessoires",
            (240, 200, 210),
            "Carte illustrée avec votre message écrit à la main.",
        ),
    ),
    promotions=(
        DemoPromotion(
            name="Fête des mères",
            percent_off_bp=None,
            amount_off_cents=500,
            product_names=(
                "Bouquet de roses rouges (12 tiges)",
                "Grand bouquet tropical",
                "Orchidée Phalaenopsis en pot",
            ),
            days_left=14,
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 5. Librairie
# --------------------------------------------------------------------------------------------
_LIBRAIRIE = DemoShop(
    slug="la-case-a-lire",
    name="La Case à Lire",
    category="librairie",
    description=(
        "Librairie-papeterie indépendante du centre de Saint-Joseph. Un grand rayon d'auteurs "
        "réunionnais, de contes créoles et de guides de randonnée pour le Sud sauvage. "
        "Fournitures scolaires et presse du jour."
    ),
    manager_first_name="Olivier",
    manager_last_name="Fontaine",
    street="64 rue Jean Jaurès",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3768,
    longitude=55.6208,
    email="la-case-a-lire@demo.otesaintjo.re",
    phone="+262692733409",
    siret="40416319800033",
    website="https://la-case-a-lire.example",
    pickup_hours=_hours(
        mon=[("08:30", "12:00"), ("14:00", "18:00")],
        tue=[("08:30", "12:00"), ("14:00", "18:00")],
        wed=[("08:30", "12:00"), ("14:00", "18:00")],
        thu=[("08:30", "12:00"), ("14:00", "18:00")],
        fri=[("08:30", "12:00"), ("14:00", "18:00")],
        sat=[("09:00", "17:00")],
    ),
    delivery=_delivery(free_over_cents=3500, colissimo_fee_cents=590),
    products=(
        _p(
            "Contes de Grand-Mère Kal (recueil illustré)",
            1890,
            R,
            "livres-jeunesse",
            (60, 40, 90),
            "Les histoires de Grand-Mère Kal et de Ti Jean racontées aux enfants, illustrées "
            "à l'aquarelle.",
        ),
        _p(
            "Imagier bilingue créole-français",
            1290,
            R,
            "livres-jeunesse",
            (240, 150, 50),
            "Cent mots du quotidien en créole réunionnais et en français, pour les tout-petits.",
        ),
        _p(
            "Bande dessinée « Ti Jean et le Grand Diable »",
            1590,
            R,
            "livres-jeunesse",
            (200, 60, 50),
            "Une aventure de Ti Jean, héros malin des contes créoles, en bande dessinée.",
        ),
        _p(
            "Cahier d'activités CP",
            890,
            R,
            "livres-jeunesse",
            (80, 170, 220),
            "Lecture, écriture et calcul : un an d'exercices pour le CP.",
        ),
        _p(
            "Dictionnaire créole réunionnais-français",
            2500,
            R,
            "livres",
            (40, 90, 150),
            "Plus de 8 000 entrées avec exemples d'usage et expressions.",
        ),
        _p(
            "Guide des sentiers du Sud sauvage",
            1990,
            R,
            "livres",
            (60, 130, 70),
            "Quarante randonnées de Manapany au Grand Coude, avec cartes et dénivelés.",
        ),
        _p(
            "Roman « La case sous le tamarin »",
            2100,
            R,
            "livres",
            (150, 100, 60),
            "Une saga familiale dans les hauts de Saint-Joseph, des champs de géranium à nos "
            "jours.",
        ),
        _p(
            "Cuisine lontan du Sud (livre de recettes)",
            2490,
            R,
            "livres",
            (210, 110, 40),
            "Caris, rougails, achards et gâteaux péi : 120 recettes transmises par les "
            "familles du Sud.",
        ),
        _p(
            "Beau livre « Saint-Joseph, de la mer aux volcans »",
            3500,
            R,
            "livres",
            (30, 110, 140),
            "Photographies de la commune, de la Rivière des Remparts aux plages de galets.",
        ),
        _p(
            "Journal quotidien régional",
            140,
            S,
            "presse",
            (120, 120, 120),
            "L'édition du jour de la presse quotidienne régionale.",
        ),
        _p(
            "Magazine « Nature & Randonnée Réunion »",
            590,
            S,
            "presse",
            (80, 150, 90),
            "Le mensuel des randonneurs de l'île : itinéraires, faune et flore.",
        ),
        _p(
            "Cahier grand format 96 pages",
            290,
            N,
            "papeterie",
            (70, 120, 200),
            "Cahier 24 × 32 cm, grands carreaux, couverture polypro.",
        ),
        _p(
            "Stylos à bille (lot de 4)",
            350,
            N,
            "papeterie",
            (40, 60, 160),
            "Bleu, noir, rouge et vert, pointe moyenne.",
        ),
        _p(
            "Agenda scolaire",
            890,
            N,
            "papeterie",
            (220, 80, 120),
            "Agenda un jour par page, de la rentrée d'août aux vacances de juillet.",
        ),
        _p(
            "Calculatrice collège",
            1990,
            N,
            "papeterie",
            (50, 50, 60),
            "Calculatrice scientifique recommandée du collège à la seconde.",
        ),
        _p(
            "Trousse garnie",
            1490,
            N,
            "papeterie",
            (250, 170, 40),
            "Trousse avec crayons, gomme, règle, taille-crayon et feutres.",
        ),
        _p(
            "Cartable enfant",
            3990,
            N,
            "papeterie",
            (40, 150, 140),
            "Cartable léger et résistant, avec bandes réfléchissantes.",
        ),
        _p(
            "Cartes postales de Manapany (lot de 5)",
            500,
            N,
            "papeterie",
            (60, 160, 200),
            "Le bassin de Manapany, les baleines et les vacoas en cartes postales.",
        ),
        _p(
            "Puzzle 1000 pièces « Piton de la Fournaise »",
            1790,
            N,
            "jeux",
            (200, 70, 30),
            "Le volcan en éruption, vu depuis le Grand Brûlé.",
        ),
        _p(
            "Jeu des 7 familles « Oiseaux de La Réunion »",
            1290,
            N,
            "jeux",
            (90, 170, 120),
            "Tec-tec, papangue, paille-en-queue et leurs cousins à réunir en familles.",
        ),
    ),
    promotions=(
        DemoPromotion(
            name="Rentrée scolaire",
            percent_off_bp=1000,
            amount_off_cents=None,
            product_names=None,
            days_left=21,
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 6. Quincaillerie
# --------------------------------------------------------------------------------------------
_QUINCAILLERIE = DemoShop(
    slug="quincaillerie-du-grand-pre",
    name="Quincaillerie du Grand Pré",
    category="quincaillerie",
    description=(
        "Quincaillerie familiale à l'entrée est de la ville, sur la route de Langevin. "
        "Outillage, jardin, électricité et tout le matériel pour préparer la saison des "
        "cyclones. Conseils de pro et gaz en recharge."
    ),
    manager_first_name="Patrick",
    manager_last_name="Boyer",
    street="120 avenue du Général de Gaulle",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3805,
    longitude=55.6262,
    email="quincaillerie-du-grand-pre@demo.otesaintjo.re",
    phone="+262692380562",
    siret="42699914000020",
    website=None,
    pickup_hours=_hours(
        mon=[("07:00", "12:00"), ("13:30", "17:30")],
        tue=[("07:00", "12:00"), ("13:30", "17:30")],
        wed=[("07:00", "12:00"), ("13:30", "17:30")],
        thu=[("07:00", "12:00"), ("13:30", "17:30")],
        fri=[("07:00", "12:00"), ("13:30", "17:30")],
        sat=[("07:00", "12:00")],
    ),
    delivery=_delivery(
        postcodes=["97480", "97410", "97430", "97429"],
        fee_cents=1200,
        free_over_cents=15000,
        colissimo_fee_cents=1290,
    ),
    products=(
        _p(
            "Bouteille de gaz butane 13 kg (recharge)",
            1990,
            N,
            "energie",
            (60, 110, 190),
            "Échange de bouteille de gaz butane 13 kg, consigne non comprise. Retrait au dépôt "
            "uniquement.",
            deliverable=False,
        ),
        _p(
            "Bâche de protection 4 x 5 m",
            1490,
            N,
            "cyclone",
            (40, 90, 160),
            "Bâche renforcée à œillets pour protéger toitures et mobilier pendant les cyclones.",
        ),
        _p(
            "Ruban adhésif toilé 50 m",
            690,
            N,
            "cyclone",
            (150, 150, 150),
            "Adhésif très résistant pour renforcer vitres et bâches.",
        ),
        _p(
            "Lampe torche LED étanche",
            1590,
            N,
            "cyclone",
            (240, 180, 30),
            "Torche étanche 300 lumens, indispensable en cas de coupure de courant.",
        ),
        _p(
            "Piles alcalines AA (x8)",
            790,
            N,
            "electricite",
            (200, 160, 50),
            "Piles longue durée pour lampes et radios.",
        ),
        _p(
            "Ampoule LED E27 9 W",
            490,
            N,
            "electricite",
            (250, 220, 120),
            "Équivalent 60 W, lumière blanche chaude.",
        ),
        _p(
            "Rallonge électrique 10 m",
            1490,
            N,
            "electricite",
            (230, 120, 30),
            "Rallonge trois prises avec terre, câble souple.",
        ),
        _p(
            "Brouette 90 L",
            6990,
            N,
            "jardin",
            (40, 120, 60),
            "Brouette à cuve acier galvanisé et roue gonflable. Volumineuse : retrait sur place.",
            deliverable=False,
        ),
        _p(
            "Pelle ronde manche bois",
            2290,
            N,
            "jardin",
            (140, 100, 60),
            "Pelle de terrassement robuste, manche en frêne.",
        ),
        _p(
            "Pioche 2,5 kg",
            2990,
            N,
            "jardin",
            (100, 90, 80),
            "Pioche forgée pour les terrains caillouteux des hauts.",
        ),
        _p(
            "Tuyau d'arrosage 25 m",
            2990,
            N,
            "jardin",
            (60, 170, 70),
            "Tuyau anti-torsion avec raccords et lance.",
        ),
        _p(
            "Gants de jardinage renforcés",
            690,
            N,
            "jardin",
            (180, 140, 60),
            "Gants en cuir et toile, résistants aux épines de bougainvillier.",
        ),
        _p(
            "Sac de ciment 25 kg",
            1290,
            N,
            "materiaux",
            (170, 170, 165),
            "Ciment gris pour travaux de maçonnerie courants. Retrait au dépôt.",
            deliverable=False,
        ),
        _p(
            "Tôle ondulée galvanisée 2 m",
            2490,
            N,
            "materiaux",
            (160, 170, 180),
            "Tôle ondulée pour abris et toitures de cases. Retrait au dépôt.",
            deliverable=False,
        ),
        _p(
            "Vis à bois assorties (boîte de 200)",
            890,
            N,
            "visserie",
            (190, 170, 120),
            "Assortiment de vis à bois zinguées, tailles courantes.",
        ),
        _p(
            "Chevilles universelles (x100)",
            590,
            N,
            "visserie",
            (220, 220, 200),
            "Chevilles nylon pour béton, brique et plaque de plâtre.",
        ),
        _p(
            "Perceuse-visseuse sans fil 18 V",
            8990,
            N,
            "outillage",
            (40, 160, 150),
            "Livrée avec deux batteries, un chargeur et un coffret.",
        ),
        _p(
            "Clé à molette 250 mm",
            1490,
            N,
            "outillage",
            (120, 120, 130),
            "Clé à molette en acier chrome-vanadium.",
        ),
        _p(
            "Mètre ruban 5 m",
            890,
            N,
            "outillage",
            (240, 200, 40),
            "Mètre ruban à blocage automatique et crochet magnétique.",
        ),
        _p(
            "Cadenas laiton 40 mm",
            1190,
            N,
            "outillage",
            (200, 160, 60),
            "Cadenas en laiton massif avec trois clés, résiste à l'air salin.",
        ),
        _p(
            "Corde polypropylène 20 m",
            990,
            N,
            "outillage",
            (230, 90, 40),
            "Corde tressée de 8 mm, pour arrimer bâches et chargements.",
        ),
        _p(
            "Peinture acrylique blanche 2,5 L",
            3490,
            N,
            "peinture",
            (235, 235, 230),
            "Peinture murale intérieure et extérieure, résiste à l'humidité.",
        ),
        _p(
            "Pinceau plat 50 mm",
            450,
            N,
            "peinture",
            (170, 120, 70),
            "Pinceau à soies synthétiques pour peintures à l'eau.",
        ),
        _p(
            "Mastic silicone transparent 280 ml",
            790,
            N,
            "peinture",
            (200, 220, 230),
            "Silicone sanitaire anti-moisissures.",
        ),
        _p(
            "Moustiquaire de fenêtre adaptable",
            1290,
            N,
            "maison",
            (100, 110, 120),
            "Moustiquaire à scratch, se pose sans perçage.",
        ),
        _p(
            "Spirales anti-moustiques (x10)",
            390,
            N,
            "maison",
            (60, 130, 80),
            "Spirales pour la terrasse, contre les moustiques et les moucherons.",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 7. Poissonnerie
# --------------------------------------------------------------------------------------------
_POISSONNERIE = DemoShop(
    slug="maree-de-langevin",
    name="La Marée de Langevin",
    category="poissonnerie",
    description=(
        "Poissonnerie tenue par une famille de pêcheurs de la marine de Langevin. Thon, "
        "dorade coryphène et espadon débarqués le matin même, bichiques et camarons selon les "
        "arrivages. Plats créoles de la mer à emporter."
    ),
    manager_first_name="Jean-Luc",
    manager_last_name="Maillot",
    street="2 chemin de la Marine, Langevin",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3835,
    longitude=55.6455,
    email="maree-de-langevin@demo.otesaintjo.re",
    phone="+262692158840",
    siret="97060293400030",
    website=None,
    pickup_hours=_hours(
        tue=[("06:30", "12:30")],
        wed=[("06:30", "12:30")],
        thu=[("06:30", "12:30")],
        fri=[("06:30", "12:30"), ("16:00", "18:30")],
        sat=[("06:30", "12:30")],
        sun=[("06:30", "12:00")],
    ),
    delivery=_delivery(postcodes=["97480"], fee_cents=400),
    products=(
        _p(
            "Longe de thon jaune 1 kg",
            2290,
            R,
            "poissons-frais",
            (180, 50, 60),
            "Thon jaune pêché à la palangre au large de Saint-Joseph, parfait en tataki.",
        ),
        _p(
            "Darnes d'espadon 1 kg",
            2490,
            R,
            "poissons-frais",
            (230, 200, 190),
            "Espadon en darnes de 2 cm, à griller à la plancha.",
        ),
        _p(
            "Filet de dorade coryphène 1 kg",
            2590,
            R,
            "poissons-frais",
            (90, 170, 110),
            "Chair blanche et ferme, idéale en cari ou en papillote.",
        ),
        _p(
            "Filet de capitaine 500 g",
            1590,
            R,
            "poissons-frais",
            (220, 190, 170),
            "Poisson de roche très fin, à cuire simplement au beurre citronné.",
        ),
        _p(
            "Filets de bonite 1 kg",
            1390,
            R,
            "poissons-frais",
            (120, 60, 70),
            "Bonite en filets, économique et savoureuse en rougail.",
        ),
        _p(
            "Vivaneau entier (env. 1 kg)",
            1990,
            R,
            "poissons-frais",
            (220, 70, 60),
            "Vivaneau rouge entier, écaillé et vidé sur demande. Fragile : à retirer sur place.",
            deliverable=False,
        ),
        _p(
            "Zourites 1 kg",
            1690,
            R,
            "fruits-de-mer",
            (170, 110, 130),
            "Poulpe du lagon déjà attendri, pour le civet ou le cari zourite.",
        ),
        _p(
            "Bichiques 250 g",
            1750,
            R,
            "fruits-de-mer",
            (230, 220, 200),
            "Alevins pêchés à l'embouchure des rivières du Sud. Très rares, selon arrivage.",
            stock=2,
        ),
        _p(
            "Camarons 500 g",
            2250,
            R,
            "fruits-de-mer",
            (220, 110, 70),
            "Grosses crevettes d'eau douce, le luxe de la cuisine créole.",
        ),
        _p(
            "Marlin fumé 200 g",
            990,
            R,
            "fumes",
            (210, 120, 100),
            "Marlin fumé à froid en fines tranches.",
        ),
        _p(
            "Thon fumé 200 g",
            890,
            R,
            "fumes",
            (190, 90, 80),
            "Thon fumé maison au bois de goyavier.",
        ),
        _p(
            "Rillettes de thon 150 g",
            590,
            R,
            "fumes",
            (220, 180, 150),
            "Rillettes au thon et au combava, à tartiner.",
        ),
        _p(
            "Rougail morue (2 parts)",
            1190,
            R,
            "plats-cuisines",
            (200, 90, 50),
            "Morue dessalée, tomates, oignons et piments, mijotés longuement.",
        ),
        _p(
            "Cari zourites (2 parts)",
            1390,
            R,
            "plats-cuisines",
            (190, 110, 60),
            "Poulpe mijoté au curcuma et au thym, servi avec son riz.",
        ),
        _p(
            "Samoussas au thon (x6)",
            450,
            R,
            "plats-cuisines",
            (220, 160, 70),
            "Samoussas croustillants au thon et aux oignons verts.",
        ),
        _p(
            "Filet de thon surgelé 1 kg",
            1690,
            R,
            "surgeles",
            (150, 190, 220),
            "Filets de thon surgelés à bord. Produit surgelé : retrait en boutique uniquement.",
            deliverable=False,
        ),
        _p(
            "Crevettes entières surgelées 1 kg",
            1890,
            R,
            "surgeles",
            (230, 140, 120),
            "Crevettes crues surgelées. Produit surgelé : retrait en boutique uniquement.",
            deliverable=False,
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 8. Pharmacie
# --------------------------------------------------------------------------------------------
_MED_NOTICE = "Médicament : lisez attentivement la notice et demandez conseil à votre pharmacien."

_PHARMACIE = DemoShop(
    slug="pharmacie-des-goyaviers",
    name="Pharmacie des Goyaviers",
    category="pharmacie",
    description=(
        "Pharmacie du centre-ville, ouverte le samedi matin. Conseils santé, protection solaire "
        "et anti-moustiques adaptés au climat tropical, tisanes péi. Livraison offerte "
        "partout à Saint-Joseph."
    ),
    manager_first_name="Nathalie",
    manager_last_name="Lebon",
    street="9 rue Leconte de Lisle",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3758,
    longitude=55.6215,
    email="pharmacie-des-goyaviers@demo.otesaintjo.re",
    phone="+262692904476",
    siret="36949033900024",
    website="https://pharmacie-des-goyaviers.example",
    pickup_hours=_hours(
        mon=[("08:00", "12:30"), ("14:00", "19:00")],
        tue=[("08:00", "12:30"), ("14:00", "19:00")],
        wed=[("08:00", "12:30"), ("14:00", "19:00")],
        thu=[("08:00", "12:30"), ("14:00", "19:00")],
        fri=[("08:00", "12:30"), ("14:00", "19:00")],
        sat=[("08:00", "12:30")],
    ),
    delivery=_delivery(postcodes=["97480"], fee_cents=0, free_always=True),
    products=(
        _p(
            "Paracétamol 500 mg (16 gélules)",
            140,
            S,
            "medicaments",
            (240, 240, 245),
            "Douleurs et fièvre de l'adulte et de l'enfant de plus de 27 kg. " + _MED_NOTICE,
        ),
        _p(
            "Paracétamol 1 g (8 comprimés)",
            140,
            S,
            "medicaments",
            (230, 235, 245),
            "Douleurs et fièvre de l'adulte de plus de 50 kg. " + _MED_NOTICE,
        ),
        _p(
            "Ibuprofène 200 mg (20 comprimés)",
            390,
            R,
            "medicaments",
            (240, 180, 190),
            "Douleurs légères à modérées et états fébriles. " + _MED_NOTICE,
        ),
        _p(
            "Sirop contre la toux sèche 150 ml",
            690,
            R,
            "medicaments",
            (150, 90, 160),
            "Toux sèche et d'irritation de l'adulte. " + _MED_NOTICE,
        ),
        _p(
            "Pastilles gorge miel-citron (x24)",
            590,
            R,
            "medicaments",
            (240, 200, 60),
            "Maux de gorge peu intenses sans fièvre. " + _MED_NOTICE,
        ),
        _p(
            "Gel d'arnica 45 g",
            650,
            R,
            "medicaments",
            (240, 190, 40),
            "Bosses, coups et petites contusions. " + _MED_NOTICE,
        ),
        _p(
            "Solution de réhydratation orale (10 sachets)",
            590,
            R,
            "sante",
            (120, 190, 230),
            "À diluer dans l'eau en cas de diarrhée ou de forte chaleur, dès le nourrisson.",
        ),
        _p(
            "Vitamine C 1000 mg (20 comprimés effervescents)",
            490,
            R,
            "sante",
            (250, 150, 40),
            "Complément alimentaire pour lutter contre la fatigue passagère.",
        ),
        _p(
            "Tisane d'ayapana (20 sachets)",
            450,
            R,
            "sante",
            (110, 160, 90),
            "La plante médicinale réunionnaise traditionnelle, pour une digestion apaisée.",
        ),
        _p(
            "Lait infantile 1er âge 800 g",
            1890,
            R,
            "bebe",
            (180, 210, 240),
            "Lait pour nourrissons de 0 à 6 mois, lorsqu'ils ne sont pas allaités.",
        ),
        _p(
            "Couches bébé taille 4 (x44)",
            1690,
            N,
            "bebe",
            (140, 200, 230),
            "Couches 7 à 18 kg, absorption 12 heures.",
        ),
        _p(
            "Crème solaire SPF 50+ 200 ml",
            1790,
            N,
            "soleil",
            (250, 170, 40),
            "Très haute protection, résistante à l'eau. Le soleil de Manapany ne pardonne pas.",
        ),
        _p(
            "Gel apaisant à l'aloe vera 200 ml",
            890,
            N,
            "soleil",
            (120, 200, 120),
            "Après-soleil rafraîchissant et hydratant.",
        ),
        _p(
            "Répulsif anti-moustiques zones tropicales 100 ml",
            1190,
            N,
            "anti-moustiques",
            (60, 150, 110),
            "Protection jusqu'à 8 heures contre le moustique tigre, vecteur de la dengue et du "
            "chikungunya.",
        ),
        _p(
            "Solution hydroalcoolique 100 ml",
            290,
            N,
            "hygiene",
            (150, 210, 230),
            "Gel pour les mains sans rinçage, format de poche.",
        ),
        _p(
            "Pansements assortis (boîte de 30)",
            390,
            N,
            "premiers-soins",
            (230, 190, 160),
            "Pansements microporeux de toutes tailles.",
        ),
        _p(
            "Sérum physiologique (30 unidoses)",
            390,
            N,
            "premiers-soins",
            (200, 220, 240),
            "Pour le nettoyage du nez et des yeux, dès la naissance.",
        ),
        _p(
            "Spray nasal à l'eau de mer 100 ml",
            590,
            N,
            "premiers-soins",
            (70, 150, 210),
            "Hygiène nasale quotidienne, eau de mer isotonique.",
        ),
        _p(
            "Thermomètre digital",
            890,
            N,
            "materiel-medical",
            (90, 160, 200),
            "Thermomètre flexible, résultat en 10 secondes.",
        ),
        _p(
            "Tensiomètre au bras",
            3990,
            N,
            "materiel-medical",
            (80, 90, 110),
            "Tensiomètre automatique avec mémoire de 60 mesures.",
        ),
        _p(
            "Huile essentielle de géranium Bourbon 10 ml",
            990,
            N,
            "bien-etre",
            (200, 100, 150),
            "Distillée dans les hauts de l'île. Usage externe, ne pas utiliser chez l'enfant.",
        ),
        _p(
            "Dentifrice au fluor 75 ml",
            350,
            N,
            "hygiene",
            (80, 160, 220),
            "Protection anti-caries, goût menthe douce.",
        ),
        _p(
            "Brosse à dents souple",
            290,
            N,
            "hygiene",
            (60, 190, 180),
            "Brosse à dents à poils souples pour gencives sensibles.",
        ),
        _p(
            "Shampooing doux usage fréquent 250 ml",
            590,
            N,
            "hygiene",
            (200, 170, 220),
            "Shampooing sans silicone pour toute la famille.",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 9. Vêtements
# --------------------------------------------------------------------------------------------
_VETEMENTS = DemoShop(
    slug="kaz-mode-sud",
    name="Kaz Mode Sud",
    category="vetements",
    description=(
        "Boutique de prêt-à-porter rue Raphaël Babet : lin, coton et imprimés tropicaux pour "
        "toute la famille. T-shirts sérigraphiés à Saint-Joseph et robes créoles brodées à la "
        "main. Sans oublier le coupe-vent pour les matins frais du Grand Coude."
    ),
    manager_first_name="Émilie",
    manager_last_name="Rivière",
    street="31 rue Raphaël Babet",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3772,
    longitude=55.6198,
    email="kaz-mode-sud@demo.otesaintjo.re",
    phone="+262693472918",
    siret="84931229300038",
    website="https://kaz-mode-sud.example",
    pickup_hours=_hours(
        mon=[("14:00", "18:30")],
        tue=[("09:00", "12:30"), ("14:00", "18:30")],
        wed=[("09:00", "12:30"), ("14:00", "18:30")],
        thu=[("09:00", "12:30"), ("14:00", "18:30")],
        fri=[("09:00", "12:30"), ("14:00", "18:30")],
        sat=[("09:00", "18:00")],
    ),
    delivery=_delivery(free_over_cents=6000, colissimo_fee_cents=690),
    products=(
        _p(
            "T-shirt « Saint-Jo » coton bio",
            2200,
            N,
            "hauts",
            (30, 110, 150),
            "T-shirt unisexe en coton biologique, sérigraphié à Saint-Joseph.",
        ),
        _p(
            "T-shirt enfant « Ti Sud »",
            1500,
            N,
            "enfant",
            (250, 150, 60),
            "T-shirt enfant en coton, du 2 au 12 ans.",
        ),
        _p(
            "Robe d'été enfant fleurie",
            2500,
            N,
            "enfant",
            (240, 120, 160),
            "Robe légère à bretelles, imprimé hibiscus.",
        ),
        _p(
            "Chemise en lin homme",
            4900,
            N,
            "hauts",
            (230, 220, 200),
            "Chemise en lin lavé, manches longues à retrousser.",
        ),
        _p(
            "Débardeur sport",
            1500,
            N,
            "hauts",
            (60, 60, 70),
            "Débardeur respirant pour le sport ou la plage.",
        ),
        _p(
            "Sweat à capuche « Les Hauts »",
            4500,
            N,
            "hauts",
            (90, 100, 80),
            "Molleton doux pour les soirées fraîches des hauts de Saint-Joseph.",
        ),
        _p(
            "Coupe-vent imperméable",
            3900,
            N,
            "hauts",
            (230, 80, 40),
            "Coupe-vent déperlant qui se replie dans sa poche, pour la randonnée au Grand Coude.",
        ),
        _p(
            "Robe créole brodée",
            6900,
            N,
            "robes",
            (250, 250, 245),
            "Robe blanche en coton brodée à la main, style tradition. Pièce unique par taille.",
        ),
        _p(
            "Robe d'été fleurie",
            3900,
            N,
            "robes",
            (220, 80, 110),
            "Robe fluide en viscose, imprimé fleurs de frangipanier.",
        ),
        _p(
            "Paréo imprimé letchis",
            2500,
            N,
            "plage",
            (200, 50, 70),
            "Paréo en voile de coton, 100 x 180 cm.",
        ),
        _p(
            "Short de bain homme",
            2900,
            N,
            "plage",
            (40, 130, 200),
            "Short de bain séchage rapide, imprimé vagues.",
        ),
        _p(
            "Maillot de bain une pièce",
            3900,
            N,
            "plage",
            (20, 60, 110),
            "Maillot une pièce anti-UV, tenue parfaite dans les vagues.",
        ),
        _p(
            "Tongs",
            1290,
            N,
            "chaussures",
            (250, 200, 40),
            "Tongs confortables à semelle en caoutchouc naturel.",
        ),
        _p(
            "Sandales en cuir",
            4500,
            N,
            "chaussures",
            (150, 90, 50),
            "Sandales en cuir tanné végétal, semelle anti-dérapante.",
        ),
        _p(
            "Jean coupe droite",
            5900,
            N,
            "bas",
            (50, 70, 120),
            "Jean brut coupe droite en denim 12 oz.",
        ),
        _p(
            "Bermuda en toile",
            3500,
            N,
            "bas",
            (180, 160, 120),
            "Bermuda chino en toile de coton.",
        ),
        _p(
            "Chapeau de paille tressée",
            2500,
            N,
            "accessoires",
            (220, 190, 120),
            "Chapeau à larges bords pour le marché du samedi.",
        ),
        _p(
            "Casquette brodée Manapany",
            1900,
            N,
            "accessoires",
            (30, 80, 60),
            "Casquette réglable brodée d'une baleine à bosse.",
        ),
        _p(
            "Chaussettes en coton (lot de 3)",
            990,
            N,
            "accessoires",
            (120, 120, 140),
            "Chaussettes en coton peigné, tailles 36 à 46.",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 10. Café
# --------------------------------------------------------------------------------------------
_CAFE = DemoShop(
    slug="ti-kafe-du-marche",
    name="Ti Kafé du Marché",
    category="cafe",
    description=(
        "Le petit café à côté du marché couvert, où l'on prend un café Bourbon pointu en "
        "lisant le journal. Samoussas, bouchons et bonbons piment frits à la minute, jus de "
        "letchis et de canne pressés sur place. Fermé le dimanche après-midi."
    ),
    manager_first_name="Sandrine",
    manager_last_name="Hoarau",
    street="3 rue Leconte de Lisle",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3786,
    longitude=55.6176,
    email="ti-kafe-du-marche@demo.otesaintjo.re",
    phone="+262692418306",
    siret="91620700400018",
    website=None,
    pickup_hours=_hours(
        mon=[("06:30", "17:30")],
        tue=[("06:30", "17:30")],
        wed=[("06:30", "17:30")],
        thu=[("06:30", "17:30")],
        fri=[("06:30", "18:30")],
        sat=[("07:00", "18:30")],
        sun=[("07:30", "12:00")],
    ),
    delivery=_delivery(postcodes=["97480"], fee_cents=200, free_over_cents=2000),
    products=(
        _p(
            "Café expresso",
            150,
            R,
            "boissons-chaudes",
            (90, 50, 30),
            "Expresso serré à emporter, torréfaction locale.",
        ),
        _p(
            "Café crème",
            220,
            R,
            "boissons-chaudes",
            (190, 140, 100),
            "Expresso allongé et lait mousseux, à emporter.",
        ),
        _p(
            "Tasse de café Bourbon pointu",
            450,
            R,
            "boissons-chaudes",
            (110, 70, 40),
            "Le café rare de La Réunion, doux et peu caféiné, préparé à la chemex.",
        ),
        _p(
            "Thé à la vanille",
            200,
            R,
            "boissons-chaudes",
            (160, 100, 50),
            "Thé noir infusé avec une demi-gousse de vanille Bourbon.",
        ),
        _p(
            "Tisane de citronnelle",
            200,
            R,
            "boissons-chaudes",
            (190, 200, 100),
            "Citronnelle fraîche du jardin, infusée à la demande.",
        ),
        _p(
            "Jus de letchis frais 33 cl",
            380,
            R,
            "boissons-fraiches",
            (240, 200, 200),
            "Letchis pressés du jour, sans sucre ajouté.",
        ),
        _p(
            "Jus de canne pressé 33 cl",
            350,
            R,
            "boissons-fraiches",
            (200, 210, 120),
            "Canne passée au moulin devant vous, avec un trait de citron galet.",
        ),
        _p(
            "Citronnade au gingembre 33 cl",
            350,
            R,
            "boissons-fraiches",
            (240, 230, 130),
            "Citrons galets, gingembre frais et sucre de canne.",
        ),
        _p(
            "Smoothie mangue-passion 33 cl",
            450,
            R,
            "boissons-fraiches",
            (250, 160, 40),
            "Mangue José et fruit de la passion mixés, rien d'autre.",
        ),
        _p(
            "Samoussas au poulet (x4)",
            280,
            R,
            "snacking",
            (220, 160, 70),
            "Samoussas croustillants au poulet massalé.",
        ),
        _p(
            "Samoussas au fromage (x4)",
            280,
            R,
            "snacking",
            (235, 190, 90),
            "Samoussas au fromage fondant, les préférés des enfants.",
        ),
        _p(
            "Bouchons vapeur (x6)",
            360,
            R,
            "snacking",
            (240, 225, 200),
            "Bouchons au porc cuits à la vapeur, servis avec sauce soja et piment.",
        ),
        _p(
            "Bonbons piment (x6)",
            250,
            R,
            "snacking",
            (200, 130, 50),
            "Beignets de pois du Cap relevés au piment et aux cives.",
        ),
        _p(
            "Sandwich saucisses-rougail",
            450,
            R,
            "snacking",
            (180, 80, 50),
            "Pain bouchon garni de rougail saucisses chaud.",
        ),
        _p(
            "Cari poulet à emporter",
            850,
            R,
            "plats",
            (220, 150, 40),
            "Cari poulet, riz blanc, grains et rougail tomate.",
        ),
        _p(
            "Rougail saucisses à emporter",
            900,
            R,
            "plats",
            (190, 70, 40),
            "Rougail saucisses, riz blanc, grains rouges et achards.",
        ),
        _p(
            "Salade de palmiste",
            750,
            R,
            "plats",
            (240, 235, 210),
            "Cœur de palmiste frais émincé, vinaigrette au citron galet.",
        ),
        _p(
            "Part de gâteau patate",
            220,
            R,
            "douceurs",
            (200, 110, 80),
            "Une part du gâteau patate de la boulangerie voisine.",
        ),
        _p(
            "Glace coco artisanale 500 ml",
            750,
            R,
            "douceurs",
            (250, 250, 240),
            "Glace au lait de coco et à la vanille. Produit surgelé : retrait sur place.",
            deliverable=False,
        ),
        _p(
            "Café Bourbon pointu moulu 125 g",
            2400,
            R,
            "epicerie-fine",
            (100, 60, 35),
            "Café Bourbon pointu des hauts de l'île, torréfié et moulu pour le filtre. "
            "Petite récolte, stock limité.",
            stock=4,
        ),
        _p(
            "Mug émaillé « Ti Kafé »",
            1200,
            N,
            "objets",
            (230, 230, 220),
            "Mug en métal émaillé, pour le café du matin sous la varangue.",
        ),
    ),
    promotions=(
        DemoPromotion(
            name="Pause kafé",
            percent_off_bp=None,
            amount_off_cents=50,
            product_names=("Café expresso", "Café crème"),
            days_left=3,
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 11. Artisanat
# --------------------------------------------------------------------------------------------
_ARTISANAT = DemoShop(
    slug="atelier-vacoa",
    name="L'Atelier Vacoa",
    category="artisanat",
    description=(
        "Atelier-boutique de Jean-Petit où l'on tresse encore le vacoa comme autrefois. "
        "Bertels, paniers et chapeaux faits main, vanille et curcuma de petits producteurs de "
        "Saint-Joseph, œuvres d'artistes du Sud sauvage."
    ),
    manager_first_name="Joséphine",
    manager_last_name="Dijoux",
    street="24 chemin Jean-Petit",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3540,
    longitude=55.6290,
    email="atelier-vacoa@demo.otesaintjo.re",
    phone="+262693825063",
    siret="42918367600015",
    website="https://atelier-vacoa.example",
    pickup_hours=_hours(
        wed=[("09:00", "17:00")],
        thu=[("09:00", "17:00")],
        fri=[("09:00", "17:00")],
        sat=[("09:00", "17:00")],
        sun=[("09:00", "13:00")],
    ),
    delivery=_delivery(colissimo_fee_cents=990),
    products=(
        _p(
            "Bertel en vacoa",
            6500,
            N,
            "vannerie",
            (200, 170, 110),
            "Le sac à dos traditionnel des hauts, tressé à la main en feuilles de vacoa.",
        ),
        _p(
            "Panier tressé en vacoa",
            3500,
            N,
            "vannerie",
            (210, 180, 120),
            "Panier à anses pour le marché, solide et léger.",
        ),
        _p(
            "Chapeau en vacoa",
            3200,
            N,
            "vannerie",
            (220, 190, 130),
            "Chapeau tressé finement, le compagnon des journées au soleil.",
        ),
        _p(
            "Set de table en vacoa (x4)",
            2800,
            N,
            "vannerie",
            (190, 160, 100),
            "Quatre sets ronds tressés, 35 cm de diamètre.",
        ),
        _p(
            "Sculpture en bois de tamarin",
            12000,
            N,
            "art",
            (120, 70, 40),
            "Pièce unique sculptée dans du tamarin des hauts. Fragile : à retirer à l'atelier.",
            stock=1,
            deliverable=False,
        ),
        _p(
            "Tableau « Baie de Manapany » 40 x 30 cm",
            18000,
            N,
            "art",
            (30, 120, 170),
            "Acrylique sur toile d'une artiste de Saint-Joseph, signée au dos. Retrait à "
            "l'atelier.",
            stock=1,
            deliverable=False,
        ),
        _p(
            "Carte de La Réunion en bois gravé",
            3900,
            N,
            "art",
            (160, 110, 60),
            "Carte de l'île gravée au laser sur bois de cryptomeria, 30 cm.",
        ),
        _p(
            "Collier en graines de Job",
            2200,
            N,
            "bijoux",
            (180, 180, 170),
            "Collier de larmes de Job, graines grises et brillantes, enfilées à la main.",
        ),
        _p(
            "Savon artisanal au géranium 100 g",
            650,
            N,
            "bien-etre",
            (210, 130, 170),
            "Savon saponifié à froid à l'huile essentielle de géranium Bourbon.",
        ),
        _p(
            "Bougie parfumée à la vanille",
            1800,
            N,
            "bien-etre",
            (240, 220, 170),
            "Cire végétale et vanille Bourbon, 40 heures de combustion.",
        ),
        _p(
            "Vanille Bourbon (5 gousses)",
            1500,
            R,
            "produits-du-terroir",
            (60, 40, 30),
            "Gousses de vanille préparées à Saint-Joseph, souples et givrées.",
        ),
        _p(
            "Curcuma de Saint-Joseph 100 g",
            550,
            R,
            "produits-du-terroir",
            (230, 160, 20),
            "Safran péi séché et moulu à la meule par un planteur de la Plaine des Grègues.",
        ),
        _p(
            "Confiture de letchis 220 g",
            590,
            R,
            "produits-du-terroir",
            (220, 150, 160),
            "Letchis de Saint-Joseph cuits au sucre de canne.",
        ),
        _p(
            "Miel de letchi 250 g",
            1100,
            R,
            "produits-du-terroir",
            (220, 140, 30),
            "Miel ambré récolté pendant la floraison des letchis.",
        ),
        _p(
            "Sucre vanillé artisanal 100 g",
            450,
            R,
            "produits-du-terroir",
            (245, 235, 210),
            "Sucre de canne parfumé aux gousses de vanille Bourbon.",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# 12. Vélos
# --------------------------------------------------------------------------------------------
_VELOS = DemoShop(
    slug="cycles-du-sud-sauvage",
    name="Cycles du Sud Sauvage",
    category="velos",
    description=(
        "Vente, réparation et entretien de vélos sur la route de Langevin. VTT pour les "
        "sentiers de la Rivière des Remparts, vélos électriques pour grimper aux Lianes sans "
        "souffrir. Atelier de réparation sur rendez-vous."
    ),
    manager_first_name="Fabrice",
    manager_last_name="Nativel",
    street="47 avenue du Général de Gaulle",
    postcode="97480",
    town="Saint-Joseph",
    latitude=-21.3812,
    longitude=55.6295,
    email="cycles-du-sud-sauvage@demo.otesaintjo.re",
    phone="+262692091254",
    siret="68069338900032",
    website="https://cycles-du-sud-sauvage.example",
    pickup_hours=_hours(
        tue=[("08:30", "12:00"), ("13:30", "18:00")],
        wed=[("08:30", "12:00"), ("13:30", "18:00")],
        thu=[("08:30", "12:00"), ("13:30", "18:00")],
        fri=[("08:30", "12:00"), ("13:30", "18:00")],
        sat=[("08:30", "17:00")],
    ),
    delivery=_delivery(
        postcodes=["97480", "97410", "97442"],
        fee_cents=1500,
        free_over_cents=10000,
        colissimo_fee_cents=890,
    ),
    products=(
        _p(
            "VTT semi-rigide 29 pouces",
            79900,
            N,
            "velos",
            (200, 40, 40),
            "Cadre aluminium, fourche suspendue 100 mm, freins à disque hydrauliques. Réglé et "
            "remis en main propre à l'atelier.",
            deliverable=False,
        ),
        _p(
            "Vélo électrique de ville",
            189900,
            N,
            "velos",
            (40, 90, 140),
            "Moteur central, batterie 500 Wh, autonomie 80 km : les côtes des Lianes deviennent "
            "faciles. Remis en main propre à l'atelier.",
            stock=2,
            deliverable=False,
        ),
        _p(
            "Vélo enfant 16 pouces",
            21900,
            N,
            "velos",
            (250, 150, 40),
            "Pour les 4 à 6 ans, avec stabilisateurs amovibles. Monté et réglé à l'atelier.",
            deliverable=False,
        ),
        _p(
            "Casque vélo adulte",
            4990,
            N,
            "equipement",
            (30, 30, 40),
            "Casque ventilé avec visière et éclairage arrière intégré.",
        ),
        _p(
            "Casque vélo enfant",
            2990,
            N,
            "equipement",
            (80, 200, 180),
            "Casque enfant réglable, 48 à 54 cm.",
        ),
        _p(
            "Gants de vélo courts",
            1990,
            N,
            "equipement",
            (60, 60, 60),
            "Gants à paume rembourrée en gel.",
        ),
        _p(
            "Cuissard à bretelles",
            5990,
            N,
            "equipement",
            (20, 20, 30),
            "Cuissard avec peau de chamois pour les longues sorties.",
        ),
        _p(
            "Maillot vélo manches courtes",
            3990,
            N,
            "equipement",
            (230, 60, 60),
            "Maillot respirant avec trois poches dorsales.",
        ),
        _p(
            "Chambre à air 29 pouces",
            890,
            N,
            "pieces",
            (40, 40, 40),
            "Chambre à air valve Presta, 29 x 1,9 à 2,35.",
        ),
        _p(
            "Pneu VTT 29 x 2,25",
            3990,
            N,
            "pieces",
            (50, 50, 50),
            "Pneu tubeless ready à crampons, accroche parfaite sur la terre rouge.",
        ),
        _p(
            "Chaîne 11 vitesses",
            3490,
            N,
            "pieces",
            (150, 150, 160),
            "Chaîne avec maillon rapide.",
        ),
        _p(
            "Plaquettes de frein à disque",
            1990,
            N,
            "pieces",
            (120, 110, 100),
            "Plaquettes semi-métalliques, endurantes dans les descentes des hauts.",
        ),
        _p(
            "Pompe à pied avec manomètre",
            2990,
            N,
            "accessoires",
            (220, 50, 40),
            "Pompe à pied compatible valves Presta et Schrader.",
        ),
        _p(
            "Antivol en U",
            3490,
            N,
            "accessoires",
            (240, 180, 30),
            "Antivol en U en acier trempé avec support de cadre.",
        ),
        _p(
            "Kit d'éclairage USB avant-arrière",
            2490,
            N,
            "accessoires",
            (240, 240, 120),
            "Feux rechargeables par USB, visibles à 500 m.",
        ),
        _p(
            "Gourde isotherme 750 ml",
            1990,
            N,
            "accessoires",
            (60, 160, 200),
            "Garde l'eau fraîche même en plein soleil à Vincendo.",
        ),
        _p(
            "Porte-bidon aluminium",
            990,
            N,
            "accessoires",
            (170, 170, 180),
            "Porte-bidon léger, fixation par deux vis.",
        ),
        _p(
            "Kit de réparation crevaison",
            690,
            N,
            "accessoires",
            (200, 80, 60),
            "Rustines, colle, démonte-pneus et papier de verre.",
        ),
        _p(
            "Sacoche de guidon",
            3490,
            N,
            "accessoires",
            (70, 90, 60),
            "Sacoche étanche de 3 litres avec porte-carte.",
        ),
        _p(
            "Lubrifiant chaîne conditions humides 100 ml",
            890,
            N,
            "entretien",
            (40, 110, 190),
            "Lubrifiant résistant à la pluie et à l'air salin.",
        ),
        _p(
            "Béquille latérale réglable",
            1590,
            N,
            "accessoires",
            (90, 90, 100),
            "Béquille en aluminium pour roues de 24 à 29 pouces.",
        ),
        _p(
            "Siège enfant arrière",
            8990,
            N,
            "accessoires",
            (240, 120, 40),
            "Siège enfant jusqu'à 22 kg, fixation sur porte-bagages. Réassort en cours.",
            stock=0,
        ),
        _p(
            "Sonnette en laiton",
            990,
            N,
            "accessoires",
            (210, 170, 70),
            "Sonnette au son clair, pour saluer les marcheurs sur le front de mer.",
        ),
    ),
    promotions=(
        DemoPromotion(
            name="Mois du vélo",
            percent_off_bp=1000,
            amount_off_cents=None,
            product_names=(
                "VTT semi-rigide 29 pouces",
                "Vélo électrique de ville",
                "Vélo enfant 16 pouces",
            ),
            days_left=21,
        ),
        DemoPromotion(
            name="La sécurité d'abord",
            percent_off_bp=None,
            amount_off_cents=500,
            product_names=("Casque vélo adulte", "Casque vélo enfant", "Antivol en U"),
            days_left=9,
        ),
    ),
)

SHOPS: tuple[DemoShop, ...] = (
    _BOULANGERIE,
    _EPICERIE,
    _BOUCHERIE,
    _FLEURISTE,
    _LIBRAIRIE,
    _QUINCAILLERIE,
    _POISSONNERIE,
    _PHARMACIE,
    _VETEMENTS,
    _CAFE,
    _ARTISANAT,
    _VELOS,
)

# The demo merchant account (Sandrine Hoarau) owns the bakery and the café next to the market.
DEMO_MERCHANT_SHOP_SLUGS: tuple[str, ...] = ("fournil-des-remparts", "ti-kafe-du-marche")

del R, N, S

# --------------------------------------------------------------------------------------------
# Product pictures
# --------------------------------------------------------------------------------------------
_SHAPES: tuple[str, ...] = ("round", "box", "stack", "jar", "bag")
_SMALL_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "au", "aux", "a", "en", "et", "pour", "sur", "avec"}
    | {"kg", "ml", "cl", "mm", "lot", "env", "pouces", "parts", "part", "pot", "x"}
)
_SUPERSAMPLE = 2


# Pillow's embedded default font has no precomposed accented letters: fold them for drawing.
_FOLD = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "–": "-", "—": "-", "×": "x", "’": "'"}
    | {"\u00a0": " ", "\u202f": " ", "…": "..."}
)


def _drawable(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _initials(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[A-Za-z]+", plain)
    significant = [w for w in words if len(w) > 1 and w.lower() not in _SMALL_WORDS]
    chosen = significant or words or ["?"]
    return "".join(w[0] for w in chosen[:2]).upper()


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    """Blend ``a`` toward ``b`` by ``t`` (0 = a, 1 = b)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _is_dark(colour: tuple[int, int, int]) -> bool:
    r, g, b = colour
    return 0.299 * r + 0.587 * g + 0.114 * b < 150


@functools.lru_cache(maxsize=16)
def _font(size: int):  # returns a Pillow FreeTypeFont
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _fit_text(draw, text: str, font, max_width: float) -> str:
    if draw.textlength(text, font=font) <= max_width:
        return text
    while len(text) > 1 and draw.textlength(text + "...", font=font) > max_width:
        text = text[:-1]
    return text.rstrip() + "..."


def _centered_text(draw, xy: tuple[float, float], text: str, font, fill) -> None:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = xy[0] - (left + right) / 2
    y = xy[1] - (top + bottom) / 2
    draw.text((x, y), text, font=font, fill=fill)


def draw_product_picture(product: DemoProduct, *, seed: int = 0) -> bytes:
    """A PNG (not square: e.g. 640×480 or 480×640 depending on seed) with a light background,
    a simple drawn object in the product's colour (ellipse/rounded rectangle/stacked shapes chosen
    deterministically from the name), and the product's initials; deterministic for a given
    (product, seed); uses only Pillow's built-in default font (ImageFont.load_default(size=...))
    — no font files, no network."""
    import io

    from PIL import Image, ImageDraw

    landscape = seed % 2 == 0
    out_w, out_h = (640, 480) if landscape else (480, 640)
    k = _SUPERSAMPLE
    w, h = out_w * k, out_h * k

    jitter = hashlib.blake2b(f"{product.name}\x00{seed}".encode(), digest_size=16).digest()
    shape = _SHAPES[zlib.crc32(product.name.encode()) % len(_SHAPES)]

    white = (255, 255, 255)
    black = (0, 0, 0)
    colour = tuple(max(0, min(255, int(c))) for c in product.colour)
    dark = _mix(colour, black, 0.35)
    light = _mix(colour, white, 0.45)
    bg_top = _mix(colour, white, 0.93)
    bg_bottom = _mix(colour, white, 0.80)

    img = Image.new("RGB", (w, h), bg_top)
    draw = ImageDraw.Draw(img)

    # Vertical gradient, drawn as thin bands (much cheaper than a per-pixel gradient).
    bands = 48
    for i in range(bands):
        y0 = h * i // bands
        y1 = h * (i + 1) // bands
        draw.rectangle((0, y0, w, y1), fill=_mix(bg_top, bg_bottom, i / (bands - 1)))

    # A few soft confetti circles in the background.
    for i in range(4):
        cx = jitter[i] / 255 * w
        cy = jitter[i + 4] / 255 * h
        r = (0.05 + jitter[i + 8] / 255 * 0.10) * min(w, h)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_mix(bg_top, colour, 0.10))

    base = min(w, h) * 0.46
    cx = w / 2 + (jitter[12] - 128) / 128 * w * 0.03
    cy = h * 0.46 + (jitter[13] - 128) / 128 * h * 0.02
    outline_w = max(2, round(base * 0.018))

    # Shadow under the object, touching its bottom edge.
    bottom_factor = {"round": 0.5, "box": 0.425, "stack": 0.48, "jar": 0.475, "bag": 0.45}
    shadow = _mix(bg_bottom, black, 0.12)
    sy = cy + base * (bottom_factor[shape] + 0.02)
    draw.ellipse((cx - base * 0.62, sy - base * 0.08, cx + base * 0.62, sy + base * 0.08), shadow)

    text_fill = white if _is_dark(colour) else _mix(colour, black, 0.6)
    text_cy = cy

    if shape == "round":
        rx, ry = base * 0.6, base * 0.5
        draw.ellipse(
            (cx - rx, cy - ry, cx + rx, cy + ry), fill=colour, outline=dark, width=outline_w
        )
        hx, hy = cx - rx * 0.45, cy - ry * 0.5
        draw.ellipse((hx - rx * 0.22, hy - ry * 0.14, hx + rx * 0.22, hy + ry * 0.14), fill=light)
        leaf = (70, 150, 70)
        draw.line((cx, cy - ry, cx + rx * 0.05, cy - ry - base * 0.1), fill=dark, width=outline_w)
        lx, ly = cx + rx * 0.2, cy - ry - base * 0.08
        draw.ellipse((lx - base * 0.12, ly - base * 0.05, lx + base * 0.12, ly + base * 0.05), leaf)
    elif shape == "box":
        bw, bh = base * 1.2, base * 0.85
        x0, y0, x1, y1 = cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2
        rad = base * 0.08
        draw.rounded_rectangle((x0, y0, x1, y1), rad, fill=colour, outline=dark, width=outline_w)
        draw.rounded_rectangle((x0, y0, x1, y0 + bh * 0.2), rad, fill=dark)
        draw.rounded_rectangle(
            (cx - bw * 0.3, cy - bh * 0.18, cx + bw * 0.3, cy + bh * 0.32),
            rad,
            fill=_mix(colour, white, 0.85),
        )
        text_fill = _mix(colour, black, 0.55)
        text_cy = cy + bh * 0.07
    elif shape == "stack":
        layer_h = base * 0.3
        widths = (1.25, 1.05, 0.85)
        shades = (_mix(colour, black, 0.15), colour, _mix(colour, white, 0.2))
        for i, (factor, fill) in enumerate(zip(widths, shades, strict=True)):
            lw = base * factor
            ly1 = cy + base * 0.48 - i * layer_h * 0.92
            ly0 = ly1 - layer_h
            draw.rounded_rectangle(
                (cx - lw / 2, ly0, cx + lw / 2, ly1),
                layer_h / 2,
                fill=fill,
                outline=dark,
                width=outline_w,
            )
        text_cy = cy + base * 0.48 - layer_h * 1.4
        text_fill = white if _is_dark(colour) else _mix(colour, black, 0.6)
    elif shape == "jar":
        jw, jh = base * 0.85, base * 0.95
        x0, y0, x1, y1 = cx - jw / 2, cy - jh / 2 + base * 0.06, cx + jw / 2, cy + jh / 2
        draw.rounded_rectangle(
            (x0, y0, x1, y1), base * 0.14, fill=colour, outline=dark, width=outline_w
        )
        lid_w = jw * 0.8
        draw.rounded_rectangle(
            (cx - lid_w / 2, y0 - base * 0.16, cx + lid_w / 2, y0 + base * 0.04),
            base * 0.04,
            fill=dark,
        )
        draw.rectangle(
            (x0 + outline_w, cy - jh * 0.16, x1 - outline_w, cy + jh * 0.3),
            fill=_mix(colour, white, 0.85),
        )
        text_fill = _mix(colour, black, 0.55)
        text_cy = cy + jh * 0.07
    else:  # "bag"
        bw, bh = base * 1.0, base * 0.9
        x0, y0, x1, y1 = cx - bw / 2, cy - bh / 2 + base * 0.08, cx + bw / 2, cy + bh / 2
        hr = bw * 0.22
        draw.arc(
            (cx - hr, y0 - hr * 1.1, cx + hr, y0 + hr * 0.9),
            180,
            360,
            fill=dark,
            width=outline_w * 3,
        )
        draw.polygon(
            [(x0 + bw * 0.06, y0), (x1 - bw * 0.06, y0), (x1, y1), (x0, y1)],
            fill=colour,
            outline=dark,
            width=outline_w,
        )
        text_cy = (y0 + y1) / 2

    # Initials on the object.
    initials = _initials(product.name)
    _centered_text(draw, (cx, text_cy), initials, _font(round(base * 0.3)), text_fill)

    # Category pill (top left) and product name caption (bottom).
    small = _font(round(min(w, h) * 0.045))
    pad = min(w, h) * 0.03
    cat = _drawable(product.category.replace("-", " "))
    left, top, right, bottom = draw.textbbox((0, 0), cat, font=small)
    pill_w = right - left + pad * 1.6
    pill_h = bottom - top + pad * 0.9
    draw.rounded_rectangle((pad, pad, pad + pill_w, pad + pill_h), pill_h / 2, fill=colour)
    pill_text = white if _is_dark(colour) else _mix(colour, black, 0.65)
    _centered_text(draw, (pad + pill_w / 2, pad + pill_h / 2), cat, small, pill_text)

    caption_font = _font(round(min(w, h) * 0.055))
    caption = _fit_text(draw, _drawable(product.name), caption_font, w - 4 * pad)
    _centered_text(draw, (w / 2, h - pad * 2.6), caption, caption_font, (45, 45, 50))

    img = img.reduce(k)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=3)
    return buf.getvalue()
