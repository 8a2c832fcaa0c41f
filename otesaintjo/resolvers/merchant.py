"""Merchant mutations: open and set up a shop, list products, photos, promotions."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from otesaintjo import images
from otesaintjo.resolvers.common import payload_of, read_upload, run_service
from otesaintjo.schema import merchant_inputs as inputs
from otesaintjo.schema.catalogue import ProductImageType, ProductType, PromotionType
from otesaintjo.schema.ids import decode_id
from otesaintjo.schema.permissions import IsAuthenticated
from otesaintjo.schema.shops import ShopType
from otesaintjo.services import catalogue, promotions, shop_identity, shops

CLEAR = -1  # in DeliveryOptionsInput: remove the threshold / the Colissimo offer


def shop_changes(data: inputs.UpdateShopInput) -> shops.ShopChanges:
    address, delivery = data.address, data.delivery
    own = delivery.merchant_delivery if delivery else None
    over = delivery.free_delivery_over_cents if delivery else None
    colissimo = delivery.colissimo_fee_cents if delivery else None
    return shops.ShopChanges(
        name=data.name,
        description=data.description,
        website=data.website,
        email=data.email,
        phone=data.phone,
        street=address.street if address else None,
        postcode=address.postcode if address else None,
        town=address.town if address else None,
        latitude=address.latitude if address else None,
        longitude=address.longitude if address else None,
        categories=data.categories,
        pickup_hours=[(r.day.value, r.opens, r.closes) for r in data.pickup_hours]
        if data.pickup_hours is not None
        else None,
        closures=[(c.date, c.reason) for c in data.closures] if data.closures is not None else None,
        delivery_postcodes=own.postcodes if own else None,
        delivery_fee_cents=own.fee_cents if own else None,
        free_delivery_always=delivery.free_delivery_always if delivery else None,
        free_delivery_over_cents=None if over == CLEAR else over,
        clear_free_delivery_over=over == CLEAR,
        colissimo_fee_cents=None if colissimo == CLEAR else colissimo,
        clear_colissimo=colissimo == CLEAR,
    )


def exclusion_given(value: Any, absent: str) -> str | None:
    """``withdrawalExclusion``: absent (``absent``), null (returnable) or a reason."""
    if value is strawberry.UNSET:
        return absent
    return value.value if value is not None else None


@strawberry.type
class MerchantMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ouvrir une boutique (devenir commerçant) ; l'appelant en devient le gérant.",
    )
    async def create_shop(
        self,
        info: Info,
        input: Annotated[
            inputs.CreateShopInput, strawberry.argument(description="La boutique à ouvrir.")
        ],
    ) -> inputs.CreateShopPayload:
        user = info.context.viewer.user
        data = shops.NewShop(
            name=input.name,
            manager_first_name=input.manager_first_name,
            manager_last_name=input.manager_last_name,
            street=input.address.street,
            postcode=input.address.postcode,
            town=input.address.town,
            latitude=input.address.latitude,
            longitude=input.address.longitude,
            email=input.email,
            phone=input.phone,
            siret=input.siret,
            description=input.description,
            website=input.website,
            categories=input.categories,
            legal_identity=input.legal_identity.changes() if input.legal_identity else None,
        )
        shop, errors = await run_service(info, lambda s: shops.create_shop(s, user, data))
        return payload_of(inputs.CreateShopPayload, "shop", shop, errors, ShopType.from_row)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Modifier sa boutique.")
    async def update_shop(
        self,
        info: Info,
        input: Annotated[
            inputs.UpdateShopInput,
            strawberry.argument(description="La boutique et les champs à changer."),
        ],
    ) -> inputs.UpdateShopPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            return await shops.update_shop(
                session, user, shop_id, shop_changes(input), info.context.now
            )

        shop, errors = await run_service(info, work)
        return payload_of(inputs.UpdateShopPayload, "shop", shop, errors, ShopType.from_row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Donner ou corriger l'identité légale du vendeur (ses commerçants, le"
        " personnel) : dénomination, forme juridique, immatriculation, numéro de TVA ou"
        " franchise en base (art. 242 nonies A et 293 B du CGI). Une identité complète peut"
        " être corrigée, pas rendue incomplète (INVALID_INPUT). Dès qu'elle est complète, les"
        " factures et avoirs en attente sont émis et envoyés aux clients.",
    )
    async def update_shop_legal_identity(
        self,
        info: Info,
        input: Annotated[
            inputs.UpdateShopLegalIdentityInput,
            strawberry.argument(description="La boutique et son identité légale."),
        ],
    ) -> inputs.UpdateShopLegalIdentityPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            return await shop_identity.update_legal_identity(
                session, user, shop_id, input.legal_identity.changes(), info.context.now
            )

        shop, errors = await run_service(info, work)
        return payload_of(
            inputs.UpdateShopLegalIdentityPayload, "shop", shop, errors, ShopType.from_row
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Changer la photo de couverture."
    )
    async def set_shop_cover_photo(
        self,
        info: Info,
        input: Annotated[
            inputs.SetShopCoverPhotoInput,
            strawberry.argument(description="La boutique et la photo (envoi multipart)."),
        ],
    ) -> inputs.SetShopCoverPhotoPayload:
        user, store = info.context.viewer.user, info.context.store
        data = await read_upload(input.file, images.MAX_IMAGE_BYTES)

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            return await catalogue.set_shop_cover_photo(session, user, store, shop_id, data)

        shop, errors = await run_service(info, work)
        return payload_of(inputs.SetShopCoverPhotoPayload, "shop", shop, errors, ShopType.from_row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ajouter un produit (stock 100 par défaut, en ligne tout de suite).",
    )
    async def create_product(
        self,
        info: Info,
        input: Annotated[
            inputs.CreateProductInput, strawberry.argument(description="Le produit à ajouter.")
        ],
    ) -> inputs.CreateProductPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            data = catalogue.NewProduct(
                name=input.name,
                price_cents=input.price_cents,
                vat_bp=input.vat_rate.value,
                description=input.description,
                category=input.category,
                deliverable=input.deliverable,
                stock=input.stock,
                online=input.online,
                low_stock_threshold=input.low_stock_threshold,
                offline_at_zero=input.offline_at_zero,
                withdrawal_exclusion=exclusion_given(
                    input.withdrawal_exclusion, catalogue.BY_CATEGORY
                ),
            )
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            return await catalogue.create_product(session, user, shop_id, data, info.context.now)

        product, errors = await run_service(info, work)
        return payload_of(
            inputs.CreateProductPayload, "product", product, errors, ProductType.from_row
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Modifier un produit.")
    async def update_product(
        self,
        info: Info,
        input: Annotated[
            inputs.UpdateProductInput,
            strawberry.argument(description="Le produit et les champs à changer."),
        ],
    ) -> inputs.UpdateProductPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            changes = catalogue.ProductChanges(
                name=input.name,
                description=input.description,
                price_cents=input.price_cents,
                vat_bp=input.vat_rate.value if input.vat_rate else None,
                category=input.category,
                deliverable=input.deliverable,
                stock=input.stock,
                withdrawal_exclusion=exclusion_given(
                    input.withdrawal_exclusion, catalogue.UNCHANGED_EXCLUSION
                ),
                low_stock_threshold=catalogue.UNCHANGED
                if input.low_stock_threshold is strawberry.UNSET
                else input.low_stock_threshold,
                offline_at_zero=input.offline_at_zero,
            )
            product_id = decode_id(input.product_id, "Product", ["productId"])
            return await catalogue.update_product(
                session, user, product_id, changes, info.context.now
            )

        product, errors = await run_service(info, work)
        return payload_of(
            inputs.UpdateProductPayload, "product", product, errors, ProductType.from_row
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Mettre en ligne ou retirer un produit."
    )
    async def set_product_online(
        self,
        info: Info,
        input: Annotated[
            inputs.SetProductOnlineInput,
            strawberry.argument(description="Le produit et son nouvel état."),
        ],
    ) -> inputs.SetProductOnlinePayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            product_id = decode_id(input.product_id, "Product", ["productId"])
            return await catalogue.set_product_online(
                session, user, product_id, input.online, info.context.now
            )

        product, errors = await run_service(info, work)
        return payload_of(
            inputs.SetProductOnlinePayload, "product", product, errors, ProductType.from_row
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ajouter une photo (envoi multipart, en-tête Apollo-Require-Preflight).",
    )
    async def add_product_image(
        self,
        info: Info,
        input: Annotated[
            inputs.AddProductImageInput,
            strawberry.argument(description="Le produit et la photo (envoi multipart)."),
        ],
    ) -> inputs.AddProductImagePayload:
        user, store = info.context.viewer.user, info.context.store
        data = await read_upload(input.file, images.MAX_IMAGE_BYTES)

        async def work(session: AsyncSession):
            product_id = decode_id(input.product_id, "Product", ["productId"])
            return await catalogue.add_product_image(session, user, store, product_id, data)

        result, errors = await run_service(info, work)
        if result is None:
            return inputs.AddProductImagePayload(user_errors=errors)
        image, product = result
        return inputs.AddProductImagePayload(
            image=ProductImageType.from_row(image, info), product=ProductType.from_row(product)
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Retirer une photo.")
    async def remove_product_image(
        self,
        info: Info,
        input: Annotated[
            inputs.RemoveProductImageInput, strawberry.argument(description="La photo à retirer.")
        ],
    ) -> inputs.RemoveProductImagePayload:
        user, store = info.context.viewer.user, info.context.store

        async def work(session: AsyncSession):
            image_id = decode_id(input.image_id, "ProductImage", ["imageId"])
            return await catalogue.remove_product_image(session, user, store, image_id)

        product, errors = await run_service(info, work)
        return payload_of(
            inputs.RemoveProductImagePayload, "product", product, errors, ProductType.from_row
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ordonner les photos (la première en vitrine).",
    )
    async def reorder_product_images(
        self,
        info: Info,
        input: Annotated[
            inputs.ReorderProductImagesInput,
            strawberry.argument(description="Le produit et ses photos dans le nouvel ordre."),
        ],
    ) -> inputs.ReorderProductImagesPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            product_id = decode_id(input.product_id, "Product", ["productId"])
            ids = [decode_id(i, "ProductImage", ["imageIds"]) for i in input.image_ids[:100]]
            return await catalogue.reorder_product_images(session, user, product_id, ids)

        product, errors = await run_service(info, work)
        return payload_of(
            inputs.ReorderProductImagesPayload, "product", product, errors, ProductType.from_row
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Baisser les prix jusqu'à une date de fin, après laquelle le prix habituel"
        " revient de lui-même.",
    )
    async def create_promotion(
        self,
        info: Info,
        input: Annotated[
            inputs.CreatePromotionInput, strawberry.argument(description="La promotion à créer.")
        ],
    ) -> inputs.CreatePromotionPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            shop_id = decode_id(input.shop_id, "Shop", ["shopId"])
            product_ids = (
                [decode_id(i, "Product", ["productIds"]) for i in input.product_ids[:101]]
                if input.product_ids is not None
                else None
            )
            data = promotions.NewPromotion(
                name=input.name,
                kind=input.kind.value,
                value=input.value,
                ends_at=input.ends_at,
                starts_at=input.starts_at,
                product_ids=product_ids,
            )
            return await promotions.create_promotion(session, user, shop_id, data, info.context.now)

        promotion, errors = await run_service(info, work)
        return payload_of(
            inputs.CreatePromotionPayload, "promotion", promotion, errors, PromotionType.from_row
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Arrêter une promotion.")
    async def end_promotion(
        self,
        info: Info,
        input: Annotated[
            inputs.EndPromotionInput, strawberry.argument(description="La promotion à arrêter.")
        ],
    ) -> inputs.EndPromotionPayload:
        user = info.context.viewer.user

        async def work(session: AsyncSession):
            promotion_id = decode_id(input.promotion_id, "Promotion", ["promotionId"])
            return await promotions.end_promotion(session, user, promotion_id, info.context.now)

        promotion, errors = await run_service(info, work)
        return payload_of(
            inputs.EndPromotionPayload, "promotion", promotion, errors, PromotionType.from_row
        )
