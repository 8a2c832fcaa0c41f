"""SQLModel tables only (no strawberry, no stripe). Importing this registers every table."""

from otesaintjo.models.accounts import (
    AuthSession,
    LoginThrottle,
    NewsletterStatus,
    NewsletterSubscription,
    PasswordResetToken,
    RefreshToken,
    User,
)
from otesaintjo.models.base import metadata
from otesaintjo.models.cart import Cart, CartFulfilment, CartItem, FulfilmentMode
from otesaintjo.models.catalogue import (
    DEFAULT_STOCK,
    CatalogueState,
    Product,
    ProductImage,
    Promotion,
    PromotionKind,
    PromotionProduct,
)
from otesaintjo.models.jobs import Job
from otesaintjo.models.orders import (
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
    Purchase,
    PurchaseStatus,
    Refund,
    ShopEventCounter,
    ShopTransfer,
    StripeEvent,
    TransferStatus,
)
from otesaintjo.models.shops import Shop, ShopCategory, ShopMember, ShopRole

__all__ = [
    "DEFAULT_STOCK",
    "AuthSession",
    "Cart",
    "CartFulfilment",
    "CartItem",
    "CatalogueState",
    "FulfilmentMode",
    "Job",
    "LoginThrottle",
    "NewsletterStatus",
    "NewsletterSubscription",
    "Order",
    "OrderEvent",
    "OrderEventKind",
    "OrderLine",
    "OrderStatus",
    "PasswordResetToken",
    "Product",
    "ProductImage",
    "Promotion",
    "PromotionKind",
    "PromotionProduct",
    "Purchase",
    "PurchaseStatus",
    "RefreshToken",
    "Refund",
    "Shop",
    "ShopCategory",
    "ShopEventCounter",
    "ShopMember",
    "ShopRole",
    "ShopTransfer",
    "StripeEvent",
    "TransferStatus",
    "User",
    "metadata",
]
