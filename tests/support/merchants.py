"""Shared steps of the merchant tests: open a shop, add products, upload a photo."""

from __future__ import annotations

from typing import Any

from tests.support.graphql import GraphQLClient

VALID_SIRET = "73282932000074"
LA_POSTE_SIRET = "35600000000001"  # Luhn fails, digit sum divisible by 5: INSEE's exception

CREATE_SHOP = """
mutation($input: CreateShopInput!) {
  createShop(input: $input) {
    shop { id slug name address { postcode town } merchantDetails { phone siret } }
    userErrors { field code message }
  }
}"""

CREATE_PRODUCT = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) {
    product { id name stock isOnline available price { cents formatted } vatRate }
    userErrors { field code }
  }
}"""


def vat_number_for(siret: str) -> str:
    """The French VAT number of the SIRET's SIREN (key = (12 + 3 × (SIREN mod 97)) mod 97)."""
    siren = siret.replace(" ", "")[:9]
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def legal_identity_input(siret: str = VALID_SIRET, **overrides: Any) -> dict[str, Any]:
    """A company's complete legal identity: its invoices are issued at payment."""
    data: dict[str, Any] = {
        "legalName": "Boulangerie Payet",
        "legalForm": "SAS",
        "registration": "RCS",
        "registrationCity": "Saint-Pierre",
        "vatNumber": vat_number_for(siret),
        "shareCapitalCents": 1_000_000,
    }
    data.update(overrides)
    return data


def shop_input(**overrides: Any) -> dict[str, Any]:
    """A shop with a complete legal identity unless ``legalIdentity`` says otherwise (None:
    none given, its invoices are held)."""
    data: dict[str, Any] = {
        "name": "Boulangerie du Centre",
        "managerFirstName": "Jean-Luc",
        "managerLastName": "Payet",
        "address": {
            "street": "12 rue Raphaël Babet",
            "postcode": "97480",
            "town": "Saint-Joseph",
            "latitude": -21.377,
            "longitude": 55.619,
        },
        "email": "boulangerie@example.re",
        "phone": "0692 11 22 33",
        "siret": VALID_SIRET,
        "categories": ["boulangerie"],
    }
    data.update(overrides)
    if "legalIdentity" not in overrides:
        data["legalIdentity"] = legal_identity_input(data["siret"])
    elif overrides["legalIdentity"] is None:
        del data["legalIdentity"]
    return data


async def open_shop(client: GraphQLClient, token: str, **overrides: Any) -> dict[str, Any]:
    body = await client(CREATE_SHOP, {"input": shop_input(**overrides)}, token=token)
    payload = body["data"]["createShop"]
    assert payload["userErrors"] == [], payload
    return payload["shop"]


async def add_product(
    client: GraphQLClient, token: str, shop_id: str, **fields: Any
) -> dict[str, Any]:
    data = {"shopId": shop_id, "name": "Pain au levain", "priceCents": 350}
    data.update(fields)
    body = await client(CREATE_PRODUCT, {"input": data}, token=token)
    payload = body["data"]["createProduct"]
    assert payload["userErrors"] == [], payload
    return payload["product"]


async def merchant(client: GraphQLClient, email: str = "jl@example.re", **shop: Any):
    """A signed-in merchant with one shop: (token, shop)."""
    token = (await client.register(email))["accessToken"]
    return token, await open_shop(client, token, **shop)


ADD_IMAGE = """
mutation($input: AddProductImageInput!) {
  addProductImage(input: $input) {
    image { id url position } product { images { url } }
    userErrors { field code message }
  }
}"""


async def upload(
    client: GraphQLClient,
    token: str,
    query: str,
    variables: dict[str, Any],
    file_path: str,
    content: bytes,
    filename: str = "photo.png",
    content_type: str = "image/png",
    preflight: bool = True,
):
    """A GraphQL multipart request (the spec frontends use): operations, map, then the file."""
    import json

    headers = {"Authorization": f"Bearer {token}"}
    if preflight:
        headers["Apollo-Require-Preflight"] = "true"
    return await client.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps({"0": [file_path]}),
        },
        files={"0": (filename, content, content_type)},
        headers=headers,
    )
