"""Demo town for ``otesaintjo seed``: twelve fictional shops of Saint-Joseph and their pictures.

Split by meaning — :mod:`.model` (dataclasses, VAT rates), :mod:`.shops` (one module per shop)
and :mod:`.pictures` (Pillow drawing) — and re-exported here as the names ``seed`` uses.
"""

from otesaintjo.demo.model import DemoShop
from otesaintjo.demo.pictures import draw_product_picture
from otesaintjo.demo.shops import DEMO_MERCHANT_SHOP_SLUGS, SHOPS

__all__ = ["DEMO_MERCHANT_SHOP_SLUGS", "SHOPS", "DemoShop", "draw_product_picture"]
