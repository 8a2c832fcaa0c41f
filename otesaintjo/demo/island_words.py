"""The words the island's generated shops are made of: people, streets, shop names, texts.

Pure data and two grammar helpers (« au Tampon », « du Port »), used by
:mod:`otesaintjo.seeding`. Names are common on La Réunion; any shop they make that resembles a
real business does so by accident.
"""

from __future__ import annotations

import unicodedata

SURNAMES: tuple[str, ...] = (
    "Payet", "Hoarau", "Grondin", "Fontaine", "Técher", "Rivière", "Lebon", "Boyer",
    "Robert", "Morel", "Dijoux", "Nativel", "Maillot", "Turpin", "Ethève", "Baillif",
    "Clain", "Lauret", "Séry", "Cadet", "Gonthier", "Huet", "Thomas", "Damour",
    "Mussard", "Parny", "Vitry", "Bègue", "Maunier", "Lebreton", "Picard", "Mondon",
    "Ramassamy", "Vellayoudom", "Govindin", "Moutoussamy", "Virapoullé", "Latchimy",
    "Ibrahim", "Omarjee", "Patel", "Kichenin", "Ah-Hot", "Ah-Fat", "Law-Yen", "Chane-Kune",
    "Dalleau", "Gauvin", "Sautron", "Bénard", "Cazal", "Hoareau", "Lallemand", "Ollivier",
    "Vienne", "Aubry", "Bertil", "Boucher", "Cerveaux", "Corré", "Cuvelier", "Dambreville",
    "Domitile", "Fock-Yee", "Gigan", "Grosset", "Guichard", "Hibon", "Jacquemart", "K/Bidi",
    "Lauratet", "Lebeau", "Lefèvre", "Legros", "Loricourt", "Lucas", "Mariama", "Minatchy",
    "Narayanin", "Nourry", "Pothin", "Sinama", "Soubou", "Tayllamin", "Valy",
)  # fmt: skip

FIRST_NAMES: tuple[str, ...] = (
    "Jean-Luc", "Marie-Claude", "Sandrine", "Didier", "Nathalie", "Jean-Marc", "Sophie",
    "Mickaël", "Christelle", "Johnny", "Priscilla", "Jérôme", "Valérie", "Frédéric",
    "Laetitia", "Giovanni", "Émilie", "Teddy", "Jessica", "Patrice", "Rose-May", "Jean-Paul",
    "Marie-Laure", "Kévin", "Mélissa", "Dimitri", "Aurélie", "Thierry", "Cindy", "Ludovic",
    "Stéphanie", "Fabrice", "Julie", "Yannick", "Sabrina", "Gilbert", "Josiane", "Raymond",
    "Lucette", "Noa", "Lina", "Enzo", "Jade", "Léo", "Inès", "Nolan", "Maëlys", "Ethan",
    "Clarisse", "Rudy", "Nadia", "Hervé", "Pascaline", "Gérard", "Annick", "Willy", "Océane",
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "rue du Général de Gaulle", "rue de Paris", "rue Jean Chatel", "rue Maréchal Leclerc",
    "rue de la République", "chemin de la Ravine", "rue Roland Garros", "rue Juliette Dodu",
    "rue Marius et Ary Leblond", "rue Raphaël Babet", "rue François de Mahy",
    "rue des Bougainvilliers", "allée des Flamboyants", "chemin des Letchis",
    "rue des Goyaviers", "route Hubert Delisle", "rue Auguste Babet", "rue de la Compagnie",
    "avenue de la Victoire", "rue Évariste de Parny", "rue Leconte de Lisle",
    "boulevard du Front de Mer", "rue Sarda Garriga", "rue Hippolyte Foucque",
    "rue des Tamarins", "chemin des Filaos", "rue des Vacoas", "rue du Stade",
    "rue de l'Église", "place du Marché", "rue des Jacarandas", "chemin Bois de Pomme",
)  # fmt: skip

# Shop names per trade: {surname}, {first}, {of_first} (the merchant: « d'Annick »), {of} (a
# place: « de Vincendo », « du Port »).
SHOP_NAMES: dict[str, tuple[str, ...]] = {
    "boulangerie": (
        "Boulangerie {surname}", "Le Fournil {of}", "Au Pain {of}", "La Mie {of}",
        "Boulangerie-Pâtisserie {surname}", "Pains et Gâteaux {surname}", "Le Four {of}",
    ),
    "epicerie": (
        "Épicerie {surname}", "Boutik {surname}", "Ti Boutik {of}", "Le Panier {of}",
        "Épicerie fine {surname}", "Le Comptoir {of}", "Alimentation {surname}",
    ),
    "boucherie": (
        "Boucherie {surname}", "Boucherie-Charcuterie {of}", "Le Boucané {of}",
        "Maison {surname}, boucher", "L'Étal {of}", "Viandes {surname}",
    ),
    "fleuriste": (
        "Fleurs {surname}", "Les Fleurs {of}", "L'Anthurium {of}", "Atelier floral {surname}",
        "Bouquets {of_first}", "Le Jardin {of}",
    ),
    "librairie": (
        "Librairie {surname}", "Le Marque-Page {of}", "Papeterie {surname}",
        "Livres et Papiers {of}", "La Case à Lire {of}", "L'Encre {of}",
    ),
    "quincaillerie": (
        "Quincaillerie {surname}", "Bricolage {surname}", "La Quincaillerie {of}",
        "Outils et Jardin {of}", "Le Clou {of}", "Matériaux {surname}",
    ),
    "poissonnerie": (
        "Poissonnerie {surname}", "La Marée {of}", "Pêche {surname}", "Le Vivier {of}",
        "Les Filets {of}", "Poissons {surname}",
    ),
    "pharmacie": (
        "Pharmacie {surname}", "Pharmacie {of}", "Grande Pharmacie {of}",
        "Pharmacie du Centre {of}", "Pharmacie des Hauts {of}",
    ),
    "vetements": (
        "Kaz Mode {surname}", "Boutique {first}", "La Penderie {of}", "Mode {surname}",
        "Le Dressing {of_first}", "Tissus et Mode {of}",
    ),
    "cafe": (
        "Ti Kafé {surname}", "Le Café {of}", "Snack {first}", "Le Comptoir à café {of}",
        "Kafé {first}", "La Varangue {of}",
    ),
    "artisanat": (
        "Atelier {surname}", "L'Atelier Vacoa {of}", "Artisanat Péi {surname}",
        "Les Mains {of}", "Créations {first}", "La Case Artisanale {of}",
    ),
    "velos": (
        "Cycles {surname}", "Vélo Péi {of}", "L'Atelier Vélo {of}", "Cycles et Sports {surname}",
        "Roue Libre {of}",
    ),
}  # fmt: skip

# Extra words when a name is taken (« Boulangerie Payet » of Saint-Paul after Saint-Pierre's).
NAME_SUFFIXES: tuple[str, ...] = (
    "& Fils",
    "& Filles",
    "Frères",
    "et Cie",
    "Sœurs",
    "Père et Fils",
    "la Famille",
)

SHOP_LEADS: dict[str, tuple[str, ...]] = {
    "boulangerie": ("Boulangerie artisanale", "Boulangerie-pâtisserie de quartier"),
    "epicerie": ("Épicerie de proximité", "Épicerie et produits péi"),
    "boucherie": ("Boucherie traditionnelle", "Boucherie-charcuterie familiale"),
    "fleuriste": ("Fleuriste et pépiniériste", "Artisan fleuriste"),
    "librairie": ("Librairie-papeterie indépendante", "Librairie générale et jeunesse"),
    "quincaillerie": ("Quincaillerie et bricolage", "Quincaillerie de quartier"),
    "poissonnerie": ("Poissonnerie du large", "Poissonnerie et fruits de mer"),
    "pharmacie": ("Pharmacie d'officine", "Pharmacie et parapharmacie"),
    "vetements": ("Boutique de vêtements", "Prêt-à-porter et accessoires"),
    "cafe": ("Café-snack", "Petit café de quartier"),
    "artisanat": ("Atelier d'artisanat réunionnais", "Créations artisanales péi"),
    "velos": ("Magasin de cycles et atelier de réparation", "Vélos, pièces et entretien"),
}

SHOP_SPECIALITIES: dict[str, tuple[str, ...]] = {
    "boulangerie": (
        "Baguettes de tradition, pains au levain et macatias sortent du four dès l'aube.",
        "Gâteaux péi du dimanche : patate, manioc, tarte coco.",
    ),
    "epicerie": (
        "Grains, épices, fruits et légumes des petits producteurs des Hauts.",
        "Rayon vrac, rhums arrangés et confitures péi.",
    ),
    "boucherie": (
        "Bœuf et cabri de l'île, boucané fumé sur place, saucisses maison.",
        "Viandes d'éleveurs réunionnais et plats cuisinés du jour.",
    ),
    "fleuriste": (
        "Anthuriums, orchidées et bouquets de saison composés à la demande.",
        "Plantes vertes, fleurs coupées et compositions pour les cérémonies.",
    ),
    "librairie": (
        "Auteurs de l'océan Indien, bandes dessinées et fournitures scolaires.",
        "Romans, livres jeunesse, presse et papeterie de bureau.",
    ),
    "quincaillerie": (
        "Outillage, visserie, peinture et tout le nécessaire avant la saison cyclonique.",
        "Matériel de jardin, électricité et conseils de bricolage.",
    ),
    "poissonnerie": (
        "Thon, espadon et légine débarqués le matin même.",
        "Poissons frais de la pêche locale, fumés maison et plats à emporter.",
    ),
    "pharmacie": (
        "Conseil, parapharmacie, produits solaires et anti-moustiques.",
        "Matériel médical, hygiène et soins pour bébé.",
    ),
    "vetements": (
        "Tenues légères, maillots de bain et sandales pour toute la famille.",
        "Créations en tissu madras et collections d'été toute l'année.",
    ),
    "cafe": (
        "Café Bourbon pointu, jus frais, samoussas et bouchons du jour.",
        "Petits déjeuners, sandwichs et douceurs à emporter.",
    ),
    "artisanat": (
        "Vannerie en vacoa, bijoux et objets en bois tourné de créateurs locaux.",
        "Produits du terroir, savons et objets décoratifs faits main.",
    ),
    "velos": (
        "Vélos de ville, VTT et vélos à assistance électrique, révisions en 48 heures.",
        "Pièces détachées, équipement et conseils pour les routes des Hauts.",
    ),
}

SHOP_SERVICES: tuple[str, ...] = (
    "Commandez en ligne, retirez en boutique.",
    "Retrait en boutique sous deux heures.",
    "Livraison dans la commune et les quartiers voisins.",
    "Paiement en ligne sécurisé, retrait ou livraison au choix.",
    "",
)

# Product name variants: (words added to the name, price factor).
PRODUCT_VARIANTS: tuple[tuple[str, float], ...] = (
    ("lot de 2", 1.9),
    ("format familial", 1.7),
    ("petit format", 0.6),
    ("bio", 1.25),
    ("édition limitée", 1.15),
    ("sélection du mois", 1.0),
    ("qualité supérieure", 1.3),
    ("prix doux", 0.85),
    ("offre découverte", 0.9),
    ("lot de 3", 2.7),
)

PROMOTION_NAMES: tuple[str, ...] = (
    "Promo du mois", "Semaine péi", "Fête des mères", "Rentrée des classes",
    "Soldes d'hiver austral", "Black Friday", "Fin de série", "Anniversaire de la boutique",
    "Offre de lancement", "Journées créoles", "Fête de la musique", "Spécial cyclone",
    "Vacances de décembre", "Fête des pères", "Dipavali", "Nouvel an chinois",
)  # fmt: skip

REVIEW_COMMENTS: dict[int, tuple[str, ...]] = {
    5: (
        "Accueil chaleureux et produits excellents, je recommande !",
        "Commande prête à l'heure, rien à redire. Merci !",
        "Toujours parfait, c'est devenu ma boutique préférée.",
        "Très bons conseils et des prix honnêtes.",
        "",
    ),
    4: (
        "Très bien, juste un peu d'attente au retrait.",
        "Bons produits, emballage soigné.",
        "Satisfait, je reviendrai.",
        "",
    ),
    3: (
        "Correct sans plus.",
        "Produits bons mais la commande a pris du retard.",
        "Un article manquait, vite remplacé.",
        "",
    ),
    2: (
        "Commande incomplète, le commerçant a corrigé le lendemain.",
        "Retrait compliqué : boutique fermée à l'heure annoncée.",
    ),
    1: (
        "Déçu : produit abîmé à la réception.",
        "Aucune réponse à mes messages.",
    ),
}

REVIEW_REPLIES: tuple[str, ...] = (
    "Merci pour votre avis, à bientôt !",
    "Merci beaucoup, toute l'équipe est ravie.",
    "Désolés pour ce contretemps, nous avons revu notre organisation.",
    "Merci de votre fidélité !",
)

HIDDEN_REASONS: tuple[str, ...] = (
    "Propos injurieux envers le commerçant.",
    "Avis sans rapport avec la boutique.",
)

PLATFORM_COMMENTS: tuple[str, ...] = (
    "Pratique pour commander chez les commerçants de ma commune.",
    "Le retrait en boutique est très simple.",
    "Bonne idée, il manque encore quelques commerces de mon quartier.",
    "Site clair, paiement rapide.",
)

CLOSURE_REASONS: tuple[str, ...] = (
    "Congés annuels",
    "Inventaire",
    "Fermeture exceptionnelle",
    "Travaux dans la boutique",
)


def _starts_with_vowel(word: str) -> bool:
    first = unicodedata.normalize("NFKD", word[:1]).encode("ascii", "ignore").decode().lower()
    return first in {"a", "e", "i", "o", "u", "y"}


def of_place(place: str) -> str:
    """« de Vincendo », « du Tampon », « des Avirons », « de L'Étang-Salé », « d'Îlet à Cordes »."""
    if place.startswith("Le "):
        return "du " + place[3:]
    if place.startswith("Les "):
        return "des " + place[4:]
    if _starts_with_vowel(place):
        return "d'" + place
    return "de " + place


def in_place(place: str) -> str:
    """« à Saint-Paul », « au Port », « aux Avirons »."""
    if place.startswith("Le "):
        return "au " + place[3:]
    if place.startswith("Les "):
        return "aux " + place[4:]
    return "à " + place
