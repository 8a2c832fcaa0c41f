"""Query documents run along a compiled plan answer what graphql-core's interpreter answers,
byte for byte (``schema/compiled.py``), and fall back to it for everything else."""

from __future__ import annotations

import base64

import pytest
from graphql import GraphQLObjectType
from sqlalchemy import select
from strawberry.schema.schema_converter import GraphQLCoreConverter

from otesaintjo.graphql_schema import build_schema
from otesaintjo.models import Product, Shop
from otesaintjo.schema.compiled import Plans
from otesaintjo.schema.direct_resolvers import source_only
from otesaintjo.schema.execution import AcyclicExecutionContext
from otesaintjo.seed import seed
from otesaintjo.storage import MemoryStore

CARD = "id name price { formatted } stock shop { id name } images { url }"
DOCUMENTS = [
    # The benchmark's mix (bench/mix.py): lists of objects, connections, abstract `node`.
    "query($after: String) { products(first: 20, after: $after) {"
    f" edges {{ cursor node {{ {CARD} }} }} pageInfo {{ hasNextPage endCursor }} }} }}",
    f'{{ products(first: 5, search: "rhum") {{ totalCount edges {{ node {{ {CARD} }} }} }} }}',
    "query($slug: String!) { shop(slug: $slug) { id slug name address { street postcode town }"
    " categories about { description website } products(first: 20) {"
    " edges { node { id name price { formatted } stock images { url } } } } } }",
    "query($id: ID!) { node(id: $id) { __typename id ... on Product { name description"
    " category deliverable stock available price { formatted } compareAtPrice { formatted }"
    " promotionEndsAt regularPrice { formatted } vatRate shop { id slug name } images { url }"
    " } } }",
    # Aliases, fragments (named and inline, on the interface and the type), __typename
    # everywhere, the same field selected twice and merged.
    "fragment Card on Product { __typename id name shop { __typename name } }"
    " query($ids: [ID!]!, $id: ID!) { first: nodes(ids: $ids) { ...Card ... on Node { id } }"
    " again: node(id: $id) { ... on Product { ...Card name stock } } __typename }",
    # Introspection (graphql-core's own resolvers, with arguments).
    "{ __schema { queryType { name } types { kind name fields(includeDeprecated: true) {"
    " name args { name defaultValue type { kind name ofType { kind name } } } } } } }",
    "{ shops(first: 3) { totalCount edges { node { name products(first: 2) {"
    " edges { node { name price { cents currency formatted } } } } } } } }",
]


async def _variables(session_factory) -> dict:
    async with session_factory() as session:
        product = await session.scalar(select(Product).order_by(Product.id).limit(1))
        others = (await session.scalars(select(Product.id).order_by(Product.id).limit(4))).all()
        shop = await session.scalar(select(Shop).order_by(Shop.id).limit(1))
    assert product is not None and shop is not None

    def global_id(pk: int) -> str:
        return base64.b64encode(f"Product:{pk}".encode()).decode()

    return {
        "after": None,
        "slug": shop.slug,
        "id": global_id(product.id),
        "ids": [global_id(pk) for pk in others],
    }


@pytest.fixture
def plans(app, monkeypatch) -> Plans:
    """Fresh counters, and every request executed (the response cache would answer the
    second run of a document without executing it)."""
    app.state.runtime.response_cache = None
    fresh = Plans()
    monkeypatch.setattr(AcyclicExecutionContext, "plans", fresh)
    return fresh


async def _answer(client, document: str, variables: dict) -> bytes:
    response = await client.http.post("/graphql", json={"query": document, "variables": variables})
    return response.content


async def test_a_plan_answers_the_interpreters_bytes(
    client, session_factory, plans, monkeypatch
) -> None:
    await seed(session_factory, MemoryStore())
    variables = await _variables(session_factory)
    compiled: dict[str, bytes] = {}
    for document in DOCUMENTS:
        used = {name: variables[name] for name in variables if f"${name}" in document}
        compiled[document] = await _answer(client, document, used)
        assert b'"errors"' not in compiled[document], compiled[document]
        assert b'"data":{' in compiled[document]
    assert plans.compiled == plans.ran == len(DOCUMENTS) and plans.fell_back == 0

    monkeypatch.setattr(AcyclicExecutionContext, "plans", None)
    for document in DOCUMENTS:
        used = {name: variables[name] for name in variables if f"${name}" in document}
        assert await _answer(client, document, used) == compiled[document], document


async def test_a_failing_resolver_falls_back_to_the_interpreter(
    client, session_factory, plans, monkeypatch
) -> None:
    """A page too long makes ``products`` raise: the interpreter answers the error and the
    data around it, exactly as without plans."""
    await seed(session_factory, MemoryStore())
    variables = await _variables(session_factory)
    document = (
        "query($id: ID!) { a: node(id: $id) { id } b: products(first: 101) { totalCount }"
        f" products(first: 3) {{ edges {{ node {{ {CARD} }} }} }} }}"
    )
    compiled = await _answer(client, document, {"id": variables["id"]})
    assert plans.ran == 1 and plans.fell_back == 1
    assert b'"BAD_USER_INPUT"' in compiled and b'"path":["b"]' in compiled
    monkeypatch.setattr(AcyclicExecutionContext, "plans", None)
    assert await _answer(client, document, {"id": variables["id"]}) == compiled


async def test_documents_with_directives_and_mutations_are_interpreted(
    client, session_factory, plans
) -> None:
    await seed(session_factory, MemoryStore())
    skipped = "query($s: Boolean!) { products(first: 2) { totalCount @skip(if: $s) } }"
    answer = await client.http.post("/graphql", json={"query": skipped, "variables": {"s": True}})
    assert answer.json() == {"data": {"products": {}}}
    assert plans.compiled == 0 and plans.ran == 0
    await client.http.post("/graphql", json={"query": "mutation { logout { __typename } }"})
    assert plans.compiled == 0 and plans.ran == 0


async def test_a_plan_is_compiled_once_per_document(client, session_factory, plans) -> None:
    await seed(session_factory, MemoryStore())
    document = DOCUMENTS[0]
    first = await client.http.post("/graphql", json={"query": document})
    after = first.json()["data"]["products"]["pageInfo"]["endCursor"]
    await client.http.post("/graphql", json={"query": document, "variables": {"after": after}})
    assert plans.compiled == 1 and plans.ran == 2 and plans.fell_back == 0


def test_fields_with_permissions_or_arguments_keep_strawberrys_resolver() -> None:
    """``direct_resolvers`` replaces only what strawberry's chain would not change: a field
    with ``permission_classes`` (an extension) or arguments keeps the chain that runs them."""
    schema = build_schema()
    kept, direct = 0, 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = graphql_field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
            if field.extensions or field.arguments:
                assert source_only(graphql_field.resolve) is None
                assert graphql_field.resolve.__qualname__.startswith("GraphQLCoreConverter.")
                kept += 1
            elif source_only(graphql_field.resolve) is not None:
                direct += 1
    assert kept > 50 and direct > 300


def test_completing_an_object_needs_no_info_unless_its_type_check_may_read_it() -> None:
    """strawberry's own ``is_type_of`` is an ``isinstance``: a directly resolved object field
    is completed without building a resolve info; an abstract type's may need one."""
    from otesaintjo.schema.compiled import _completion_needs_info

    graphql = build_schema()._schema
    product, node = graphql.get_type("Product"), graphql.get_type("Node")
    assert isinstance(product, GraphQLObjectType) and product.is_type_of is not None
    assert not _completion_needs_info(product)
    assert _completion_needs_info(node)


async def test_a_plans_resolve_infos_are_the_executors(
    client, session_factory, plans, monkeypatch
) -> None:
    """``Run.info`` builds each info from the request's first one: the same class and values
    as the executor's ``build_resolve_info``."""
    from otesaintjo.schema import compiled

    built = compiled.Run.info
    compared: list[str] = []

    def checked(run, step, path):  # type: ignore[no-untyped-def]
        ours = built(run, step, path)
        theirs = run.executor.build_resolve_info(step.field_def, step.nodes, step.parent_type, path)
        assert type(ours) is type(theirs)
        assert tuple(ours) == tuple(theirs)
        compared.append(ours.field_name)
        return ours

    monkeypatch.setattr(compiled.Run, "info", checked)
    await seed(session_factory, MemoryStore())
    variables = await _variables(session_factory)
    for document in DOCUMENTS[:4]:
        used = {name: variables[name] for name in variables if f"${name}" in document}
        assert b'"errors"' not in await _answer(client, document, used)
    assert len(compared) > 20 and {"price", "images", "products"} <= set(compared)


def test_a_relay_id_resolved_directly_is_the_global_ids_text() -> None:
    """``direct_resolvers._node_id`` answers the text the ID scalar makes of strawberry's
    ``GlobalID``, without building one."""
    from types import SimpleNamespace

    from strawberry import relay

    from otesaintjo.schema.catalogue import ProductType

    graphql = build_schema()._schema
    product_type = graphql.get_type("Product")
    assert isinstance(product_type, GraphQLObjectType)
    row = SimpleNamespace(
        id=4321,
        name="n",
        description="d",
        category="c",
        deliverable=True,
        stock=1,
        is_online=True,
        created_at=None,
    )
    answer = product_type.fields["id"].resolve(ProductType.from_row(row), None)
    expected = relay.GlobalID(type_name="Product", node_id="4321")
    assert answer == product_type.fields["id"].type.of_type.serialize(expected)
    assert answer == base64.b64encode(b"Product:4321").decode()
