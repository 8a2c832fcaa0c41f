"""The one GraphQL schema: root types (queries, mutations, subscriptions from `resolvers/`),
node lookup, limits, error codes and masking, and the default-deny check. It sits above
`schema/` (types) and `resolvers/` (fields): neither imports it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import partial
from typing import Annotated

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.permission import PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from otesaintjo.metrics import GraphQLMetrics, Metrics
from otesaintjo.rate_limits import Bucket, Buckets
from otesaintjo.resolvers.accounts import AccountMutations, AccountQueries
from otesaintjo.resolvers.after_sale import AfterSaleMutations, AfterSaleQueries
from otesaintjo.resolvers.browse import BrowseQueries
from otesaintjo.resolvers.cart import CartMutations, CartQueries
from otesaintjo.resolvers.delivery_slots import DeliverySlotMutations
from otesaintjo.resolvers.jobs import JobMutations, JobQueries
from otesaintjo.resolvers.live import LiveQueries, LiveSubscriptions
from otesaintjo.resolvers.merchant import MerchantMutations
from otesaintjo.resolvers.orders import OrderMutations, OrderQueries
from otesaintjo.resolvers.personal_data import PersonalDataMutations
from otesaintjo.resolvers.returns import ReturnMutations
from otesaintjo.resolvers.shop_team import ShopTeamMutations
from otesaintjo.schema.common import Money
from otesaintjo.schema.cost import CostLimit, DocumentGuard
from otesaintjo.schema.direct_resolvers import call_resolvers_directly
from otesaintjo.schema.errors import bad_input
from otesaintjo.schema.execution import AcyclicExecutionContext
from otesaintjo.schema.extensions import (
    CodedMaskErrors,
    ErrorCodes,
    OperationNameRequired,
    TrustedDocumentsOnly,
    should_mask,
)
from otesaintjo.schema.per_document import ValidatedOnce
from otesaintjo.schema.permissions import Public
from otesaintjo.schema.scalars import DateTime
from otesaintjo.schema.text_inputs import TextInputs

MAX_DEPTH = 10  # counted like graphql-depth-limit: root fields are at depth 0
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_NODE_IDS = 100
INTERNAL_ERROR = "Erreur interne"


@strawberry.type(description="Point d'entrée des lectures.")
class Query(
    AccountQueries,
    BrowseQueries,
    CartQueries,
    OrderQueries,
    LiveQueries,
    AfterSaleQueries,
    JobQueries,
):
    @strawberry.field(
        permission_classes=[Public],
        description="Un objet par son identifiant global, s'il est visible par l'appelant.",
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="L'identifiant global (champ « id »).")
        ],
    ) -> relay.Node | None:
        return (await resolve_global_ids(info, [id]))[0]

    @strawberry.field(
        permission_classes=[Public],
        description=f"Plusieurs objets par identifiant global (au plus {MAX_NODE_IDS}).",
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(
                description=f"Les identifiants globaux, {MAX_NODE_IDS} au plus ; la réponse"
                " suit leur ordre, avec null pour un identifiant introuvable ou invisible."
            ),
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_NODE_IDS:
            raise bad_input(f"Au plus {MAX_NODE_IDS} identifiants.")
        return await resolve_global_ids(info, ids)


@strawberry.type(description="Point d'entrée des écritures.")
class Mutation(
    AccountMutations,
    MerchantMutations,
    DeliverySlotMutations,
    ShopTeamMutations,
    CartMutations,
    OrderMutations,
    ReturnMutations,
    AfterSaleMutations,
    JobMutations,
    PersonalDataMutations,
):
    pass


@strawberry.type(description="Abonnements (WebSocket, protocole graphql-transport-ws).")
class Subscription(LiveSubscriptions):
    pass


async def resolve_global_ids(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
    """Batch per type; unknown, malformed or invisible ids all give null (nothing leaks)."""
    wanted: dict[type[relay.Node], list[tuple[int, str]]] = defaultdict(list)
    for position, raw in enumerate(ids):
        try:
            global_id = relay.GlobalID.from_id(raw)
        except Exception:  # noqa: S112 - any malformed id is simply not found
            continue
        node_type = _node_type(info, global_id.type_name)
        if node_type is not None:
            wanted[node_type].append((position, global_id.node_id))
    results: list[relay.Node | None] = [None] * len(ids)
    for node_type, entries in wanted.items():
        found = await node_type.resolve_nodes(info=info, node_ids=[n for _, n in entries])
        for (position, _), node in zip(entries, found, strict=True):
            results[position] = node
    return results


def _node_type(info: Info, type_name: str) -> type[relay.Node] | None:
    definition = info.schema.get_type_by_name(type_name)
    cls = getattr(definition, "origin", None)
    return cls if isinstance(cls, type) and issubclass(cls, relay.Node) else None


def assert_permissions_declared(schema: strawberry.Schema) -> None:
    """Default deny: every root field must declare who may call it (``Public`` included)."""
    missing = []
    for root in (schema.query, schema.mutation, schema.subscription):
        definition = get_object_definition(root) if root else None
        for field in definition.fields if definition else []:
            if not any(isinstance(ext, PermissionExtension) for ext in field.extensions):
                missing.append(f"{definition.name}.{field.python_name}")
    if missing:
        raise TypeError(f"root fields without permission_classes: {', '.join(missing)}")


def build_schema(
    *,
    production: bool = False,
    trusted_documents: frozenset[str] | None = None,
    buckets: Buckets | None = None,
    budget: Bucket | None = None,
    metrics: Metrics | None = None,
) -> strawberry.Schema:
    """The schema; ``trusted_documents`` (SHA-256 of each) makes it run nothing else."""
    # The limiters build a new rule class per instance: created per request, they would make
    # every document look new to ValidatedOnce. Build the rules once and share them.
    limit_rules = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    if production:
        limit_rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list = [
        DocumentGuard,  # first: a linear count refuses a huge document before validation
        OperationNameRequired,
        TextInputs,
        partial(CostLimit, buckets=buckets, budget=budget),
        partial(AddValidationRules, limit_rules),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(ParserCache, maxsize=512),
        ValidatedOnce,
    ]
    if trusted_documents is not None:
        extensions.insert(0, partial(TrustedDocumentsOnly, trusted=trusted_documents))
    if metrics is not None:  # first: it sees every error, with the code it finally gets
        extensions.insert(0, partial(GraphQLMetrics, metrics=metrics))
    if production:
        extensions.append(
            partial(CodedMaskErrors, should_mask_error=should_mask, error_message=INTERNAL_ERROR)
        )
    extensions.append(ErrorCodes)  # last: it names the errors before masking reads the names
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Money],
        extensions=extensions,
        execution_context_class=AcyclicExecutionContext,
        config=StrawberryConfig(
            disable_field_suggestions=production, scalar_map={datetime: DateTime}
        ),
    )
    assert_permissions_declared(schema)
    call_resolvers_directly(schema)
    return schema
