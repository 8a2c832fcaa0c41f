"""What a request may cost, decided before any work.

1. ``DocumentGuard`` (before validation): the fields of the operation, fragments expanded and
   repeats counted, at most ``MAX_SELECTIONS``. Validation's overlapping-fields rule is
   quadratic: a field repeated 1,000 times cost up to a second of CPU before; this count is
   linear and refuses it in well under a millisecond.
2. ``CostLimit`` (after validation, before execution): the nodes the operation may return,
   estimated as GitHub does — each field costs the product of the list sizes above it: a
   connection its ``first`` (20 by default, 100 at most), a plain list ``LIST_ESTIMATE``,
   ``nodes(ids)`` the number of ids. Above ``MAX_COST`` it is refused.
3. Then the client pays that cost from a token bucket (``rate_limits``): per signed-in user,
   else per client address; by default 60,000 nodes at once (3 of the most expensive
   operations), refilled at 2,000 a second (``OTESAINTJO_COST_BUDGET``,
   ``OTESAINTJO_COST_REFILL_PER_SECOND``). An empty bucket answers ``THROTTLED`` with the
   seconds to wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    get_named_type,
    visit,
)
from strawberry.extensions import SchemaExtension

from otesaintjo.rate_limits import Bucket, Buckets, seconds_to_wait
from otesaintjo.schema.errors import ClientError
from otesaintjo.schema.per_document import PerDocument

MAX_SELECTIONS = 500  # the merchant board's heaviest document has ~110, a storefront page ~60
MAX_COST = 20_000  # nodes; a storefront page ~400, the merchant board (3 × 50 orders) ~17,600
LIST_ESTIMATE = 10  # a plain list field: an order's lines, a product's photos…
DEFAULT_FIRST, MAX_FIRST = 20, 100
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def _operations(document: Any) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def _fragments(document: Any) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def count_selections(document: Any, limit: int) -> int:
    """Fields of every operation, fragments expanded, stopping once past ``limit``."""
    fragments = _fragments(document)
    total = 0
    pending: list[tuple[SelectionSetNode, int]] = [
        (op.selection_set, 0) for op in _operations(document)
    ]
    while pending and total <= limit:
        selection_set, depth = pending.pop()
        if depth > 50:  # fragment cycles are a validation error; never loop here
            break
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += 1
                if selection.selection_set is not None:
                    pending.append((selection.selection_set, depth + 1))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, depth + 1))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append((fragment.selection_set, depth + 1))
    return total


_SELECTIONS: PerDocument[int] = PerDocument(
    lambda document: count_selections(document, MAX_SELECTIONS)
)


class DocumentGuard(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None and _SELECTIONS.get((document,)) > MAX_SELECTIONS:
            raise ClientError(
                f"Document trop gros : plus de {MAX_SELECTIONS} champs (fragments dépliés).",
                VALIDATION_FAILED,
            )
        yield


def _int_argument(node: FieldNode, name: str, variables: dict[str, Any]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            found = variables.get(value.name.value)
            return found if isinstance(found, int) else None
    return None


def _list_argument_size(node: FieldNode, name: str, variables: dict[str, Any]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode):
            found = variables.get(value.name.value)
            return len(found) if isinstance(found, list) else None
    return None


def _size(field: GraphQLField, node: FieldNode, variables: dict[str, Any]) -> int:
    """How many items this field may return (1 unless it is a list or a connection)."""
    named = get_named_type(field.type)
    if named.name.endswith("Connection") and "first" in field.args:
        first = _int_argument(node, "first", variables)
        if first is None:
            default = field.args["first"].default_value
            first = default if isinstance(default, int) else DEFAULT_FIRST
        return max(0, min(first, MAX_FIRST))
    unwrapped = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if isinstance(unwrapped, GraphQLList):
        given = _list_argument_size(node, "ids", variables)
        return given if given is not None else LIST_ESTIMATE
    return 1


def estimate(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: dict[str, Any],
) -> int:
    """The nodes an operation may return, before running it."""
    operations = _operations(document)
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if not operations:
        return 0
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    fragments = _fragments(document)
    cost = 0
    pending: list[tuple[SelectionSetNode, Any, int, int]] = [(operation.selection_set, root, 1, 0)]
    while pending:
        selection_set, parent, multiplier, depth = pending.pop()
        if depth > 50 or cost > MAX_COST * 10:
            break
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = (
                    parent.fields
                    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
                    else {}
                )
                field = fields.get(selection.name.value)
                if field is None:  # __typename and the like
                    continue
                nodes = multiplier * _size(field, selection, variables)
                # A connection's edges and node are the items its ``first`` already counted.
                if parent.name.endswith("Connection") or parent.name.endswith("Edge"):
                    nodes = multiplier
                cost += nodes
                if selection.selection_set is not None:
                    pending.append(
                        (selection.selection_set, get_named_type(field.type), nodes, depth + 1)
                    )
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                pending.append((selection.selection_set, target, multiplier, depth + 1))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    target = schema.get_type(fragment.type_condition.name.value)
                    pending.append((fragment.selection_set, target, multiplier, depth + 1))
    return cost


def _size_variables(document: DocumentNode) -> tuple[tuple[str, bool], ...]:
    """The variables ``estimate`` reads: those given to ``first`` (a number) and ``ids`` (a
    list, by its length), as (name, is a list)."""
    found: dict[tuple[str, bool], None] = {}

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
            if node.name.value in ("first", "ids") and isinstance(node.value, VariableNode):
                found[node.value.name.value, node.name.value == "ids"] = None

    visit(document, Arguments())
    return tuple(found)


_SIZE_VARIABLES: PerDocument[tuple[tuple[str, bool], ...]] = PerDocument(_size_variables)


def _estimate_for_sizes(
    schema: GraphQLSchema, document: Any, operation_name: str | None, sizes: tuple[Any, ...]
) -> int:
    names = _SIZE_VARIABLES.get((document,))
    variables = {
        name: [None] * size if is_list else size
        for (name, is_list), size in zip(names, sizes, strict=True)
        if size is not None
    }
    return estimate(schema, document, operation_name, variables)


_ESTIMATES: PerDocument[int] = PerDocument(_estimate_for_sizes)


def known_estimate(
    schema: GraphQLSchema, document: Any, operation_name: str | None, variables: dict[str, Any]
) -> int:
    """``estimate``, computed once per document, operation and list sizes given."""
    names = _SIZE_VARIABLES.get((document,))
    if len({name for name, _ in names}) < len(names):  # one variable as a number and a list
        return estimate(schema, document, operation_name, variables)
    sizes = tuple(
        (len(value) if isinstance(value, list) else None)
        if is_list
        else (value if isinstance(value, int) else None)
        for name, is_list in names
        for value in (variables.get(name),)
    )
    return _ESTIMATES.get((schema, document), operation_name, sizes)


class CostLimit(SchemaExtension):
    """Refuse an operation that may return too much, then charge the client for it."""

    def __init__(self, *, buckets: Buckets | None = None, budget: Bucket | None = None) -> None:
        self.buckets, self.budget = buckets, budget

    async def on_execute(self):  # type: ignore[override]
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            cost = known_estimate(
                context.schema._schema, document, context.operation_name, context.variables or {}
            )
            if cost > MAX_COST:
                raise ClientError(
                    f"Requête trop coûteuse : jusqu'à {cost} éléments (au plus {MAX_COST}) ;"
                    " demandez moins d'éléments par liste (first).",
                    VALIDATION_FAILED,
                    cost=cost,
                    maxCost=MAX_COST,
                )
            await self._charge(cost)
        yield

    async def _charge(self, cost: int) -> None:
        request_context = self.execution_context.context
        if self.buckets is None or self.budget is None or request_context is None or cost == 0:
            return
        wait = await self.buckets.take(request_context.client_key, self.budget, cost)
        if wait:
            seconds = seconds_to_wait(wait)
            raise ClientError(
                f"Trop de requêtes : réessayez dans {seconds} s.",
                "THROTTLED",
                retryAfter=seconds,
                cost=cost,
            )
