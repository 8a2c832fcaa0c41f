"""Query documents executed along a plan compiled once per document.

graphql-core interprets a document field by field: for each of the ~200 fields of a listing
page it looks the field up, builds a ``Path`` and a ``GraphQLResolveInfo``, coerces the
arguments, then walks the return type (non-null? list? leaf? abstract? object?) and collects
the sub-selection again (py-spy: ~18 % of an uncached page). A document's shape never
changes between requests, so ``Plan`` does that walk once: each selection becomes a list of
``Step`` (field definition, resolver, nodes, and a completion function specialised for the
return type), kept with the parsed document. A request then calls the resolvers and
completes their values, building a ``GraphQLResolveInfo`` only for resolvers that use it
(``direct_resolvers``: plain attributes and ``self``-only methods get the source alone).

The plan covers the happy path of queries only. Anything else — an exception in a resolver,
a null in a non-null field, a value of the wrong type — makes the whole operation run again
through graphql-core's interpreter, which produces the data and errors the specification
asks for (a query reads: running it twice changes nothing). Every awaitable the plan
started is settled before that. Documents with directives (``@skip``/``@include`` depend
on variables, ``@defer``…), fragment arguments, mutations and subscriptions are not
compiled. The interpreter stays the reference: the tests run documents both ways and
compare the bytes.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.language import BREAK, Visitor
from graphql.pyutils import Path, is_iterable

from otesaintjo.schema.direct_resolvers import source_only
from otesaintjo.schema.schema_caches import cache_of

PLANS_KEPT = 512  # as many as the parser keeps documents (graphql_schema: ParserCache)

Complete = Callable[["Run", Any, Path, GraphQLResolveInfo | None], Any]


class Fallback(Exception):
    """Leave the plan: the interpreter runs the operation instead."""


def _is_awaitable(value: Any) -> bool:
    return hasattr(value, "__await__")


class Run:
    """One execution of a plan: the executor (schema, variables, context) and the arguments
    coerced for this request's variables, once per field whatever the number of items."""

    __slots__ = ("arguments", "executor", "info_class", "info_tail")

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        self.arguments: dict[int, dict[str, Any]] = {}
        self.info_class: type | None = None
        self.info_tail: tuple[Any, ...] = ()

    def arguments_of(self, step: Step) -> dict[str, Any]:
        found = self.arguments.get(id(step))
        if found is None:
            first = step.details[0]
            found = get_argument_values(
                step.field_def,
                first.node,
                self.executor.variable_values,
                first.fragment_variable_values,
                self.executor.hide_suggestions,
            )
            self.arguments[id(step)] = found
        return found

    def info(self, step: Step, path: Path) -> GraphQLResolveInfo:
        """The executor's resolve info (a named tuple: the field's five first values, then the
        request's). The first is built by the executor; the others with the same class and
        the same request values, without rebuilding them for each field (~1 % of a page)."""
        if self.info_class is not None:
            head = (step.name, step.nodes, step.field_def.type, step.parent_type, path)
            return tuple.__new__(self.info_class, head + self.info_tail)  # type: ignore[no-any-return]
        info = self.executor.build_resolve_info(step.field_def, step.nodes, step.parent_type, path)
        if type(info)._fields[:5] == _INFO_HEAD:  # else keep asking the executor
            self.info_class, self.info_tail = type(info), tuple(info[5:])
        return info  # type: ignore[no-any-return]


_INFO_HEAD = ("field_name", "field_nodes", "return_type", "parent_type", "path")


class Step:
    """One field of a selection: resolve it on a source, complete its value."""

    __slots__ = (
        "complete",
        "details",
        "direct",
        "field_def",
        "has_arguments",
        "key",
        "leaf",
        "name",
        "needs_info",
        "nodes",
        "parent_type",
        "plan",
        "resolve",
        "typename",
    )

    def __init__(
        self,
        plan: Plan,
        key: str,
        parent_type: GraphQLObjectType,
        field_def: GraphQLField,
        details: list[FieldDetails],
    ) -> None:
        self.plan, self.key, self.parent_type, self.field_def = plan, key, parent_type, field_def
        self.details = details
        self.nodes: list[FieldNode] = [d.node for d in details]
        self.resolve = field_def.resolve or plan.field_resolver
        self.has_arguments = bool(field_def.args or details[0].node.arguments)
        self.direct = None if self.has_arguments else source_only(field_def.resolve)
        self.needs_info = self.direct is None or _completion_needs_info(field_def.type)
        self.typename = parent_type.name
        self.name = details[0].node.name.value
        self.leaf = _leaf_value(field_def.type) if self.direct is not None else None
        self.complete: Complete = plan.completion(field_def.type, self)

    def execute(self, run: Run, source: Any, parent: Path | None) -> Any:
        if self.direct is not None:
            value = self.direct(source)
            if self.leaf is not None and not hasattr(value, "__await__"):
                return self.leaf(value)  # a scalar read from its source: no path, no info
            path = _path(parent, self.key, self.typename)
            info = run.info(self, path) if self.needs_info else None
        else:
            path = _path(parent, self.key, self.typename)
            info = run.info(self, path)
            if self.has_arguments:
                value = self.resolve(source, info, **run.arguments_of(self))
            else:
                value = self.resolve(source, info)
        if _is_awaitable(value):
            return _complete_later(self.complete, run, value, path, info)
        return self.complete(run, value, path, info)


def _path(parent: Path | None, key: str | int, typename: str | None) -> Path:
    """``Path(parent, key, typename)`` without the named tuple's Python-level ``__new__``."""
    return tuple.__new__(Path, (parent, key, typename))


def _leaf_value(type_: GraphQLOutputType) -> Callable[[Any], Any] | None:
    """For a scalar or enum field (maybe non-null, not a list): a value's completion, as
    ``_non_null(_leaf(...))`` or ``_leaf(...)`` completes it, needing no path; else None."""
    non_null = isinstance(type_, GraphQLNonNull)
    named = type_.of_type if non_null else type_
    if not is_leaf_type(named):
        return None
    coerce = named.coerce_output_value

    def complete(value: Any) -> Any:
        if value is None or value is Undefined:
            if non_null:
                raise Fallback("null in a non-null field")
            return None
        if isinstance(value, Exception):
            raise Fallback from value
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Fallback("a leaf value that does not coerce")
        return coerced

    return complete


async def _complete_later(
    complete: Complete, run: Run, value: Awaitable[Any], path: Path, info: Any
) -> Any:
    completed = complete(run, await value, path, info)
    return await completed if _is_awaitable(completed) else completed


def _completion_needs_info(type_: GraphQLOutputType) -> bool:
    """Whether completing a value of ``type_`` reads the resolve info: a leaf never does,
    nor an object type without ``is_type_of`` or with strawberry's (an ``isinstance``; its
    info parameter is unused); an abstract type's ``resolve_type`` may."""
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    if is_leaf_type(type_):
        return False
    if isinstance(type_, GraphQLObjectType):
        check = type_.is_type_of
        return check is not None and not (
            check.__module__ == "strawberry.schema.schema_converter"
            and check.__qualname__.endswith(_STRAWBERRY_IS_TYPE_OF)
        )
    return True


_STRAWBERRY_IS_TYPE_OF = "_get_is_type_of.<locals>.is_type_of"


async def _settle(awaitables: list[Any]) -> list[Any]:
    """Await them all (a failure does not leave the others running), then fail if one did."""
    if len(awaitables) == 1:
        try:
            return [await awaitables[0]]
        except Exception as exc:
            raise Fallback from exc
    values = await asyncio.gather(*awaitables, return_exceptions=True)
    for value in values:
        if isinstance(value, BaseException):
            raise Fallback from value
    return values


def execute_selection(run: Run, steps: list[Step], source: Any, path: Path | None) -> Any:
    """A dict of the selection's values, or an awaitable of it."""
    results: dict[str, Any] = {}
    pending: list[str] = []
    try:
        for step in steps:
            value = step.execute(run, source, path)
            results[step.key] = value
            if _is_awaitable(value):
                pending.append(step.key)
    except Exception as exc:
        return _failed([results[key] for key in pending], exc)
    if not pending:
        return results
    return _gather_into(results, pending)


def _failed(started: list[Any], cause: Exception) -> Any:
    """After a failure mid-selection: settle what had started, then leave the plan."""
    if not started:
        raise Fallback from cause
    return _settle_then_fail(started, cause)


async def _settle_then_fail(started: list[Any], cause: Exception) -> Any:
    await asyncio.gather(*started, return_exceptions=True)
    raise Fallback from cause


async def _gather_into(results: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    values = await _settle([results[key] for key in keys])
    results.update(zip(keys, values, strict=True))
    return results


class Plan:
    """The compiled form of one query operation."""

    def __init__(self, executor: Any, root_type: GraphQLObjectType, grouped: Mapping) -> None:
        self.schema = executor.schema
        self.fragments = executor.fragments
        self.operation = executor.operation
        self.hide_suggestions = executor.hide_suggestions
        self.variable_values = executor.variable_values  # read only for skip/include: none
        self.field_resolver = executor.field_resolver
        self.type_resolver = executor.type_resolver
        self.root_steps = self.steps(root_type, grouped)

    def steps(self, parent_type: GraphQLObjectType, grouped: Mapping) -> list[Step]:
        steps = []
        for key, details in grouped.items():
            field_def = self.schema.get_field(parent_type, details[0].node.name.value)
            if field_def is None:
                continue  # as graphql-core: an unknown field is left out (validation refuses it)
            steps.append(Step(self, key, parent_type, field_def, list(details)))
        return steps

    def subselection(self, object_type: GraphQLObjectType, step: Step) -> list[Step]:
        grouped, _defers, _forbidden = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            object_type,
            step.details,
            self.hide_suggestions,
        )
        return self.steps(object_type, grouped)

    def completion(self, type_: GraphQLOutputType, step: Step) -> Complete:
        """A function completing values of ``type_`` (built once, recursively)."""
        if is_non_null_type(type_):
            return _non_null(self.completion(type_.of_type, step))
        if is_list_type(type_):
            return _list_of(self.completion(type_.of_type, step))
        if is_leaf_type(type_):
            return _leaf(type_)
        if is_abstract_type(type_):
            return _abstract(self, type_, step)
        if is_object_type(type_):
            return _object(self, type_, step)
        raise Fallback(f"unexpected output type {type_}")


def _non_null(inner: Complete) -> Complete:
    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        completed = inner(run, value, path, info)
        if _is_awaitable(completed):
            return _not_null_later(completed)
        if completed is None:
            raise Fallback("null in a non-null field")
        return completed

    return complete


async def _not_null_later(completed: Awaitable[Any]) -> Any:
    value = await completed
    if value is None:
        raise Fallback("null in a non-null field")
    return value


def _list_of(item: Complete) -> Complete:
    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise Fallback from value
        if not is_iterable(value) or hasattr(value, "__aiter__"):
            raise Fallback("not a list")
        completed: list[Any] = []
        pending: list[int] = []
        try:
            for index, entry in enumerate(value):
                item_path = _path(path, index, None)
                if _is_awaitable(entry):
                    done = _complete_later(item, run, entry, item_path, info)
                else:
                    done = item(run, entry, item_path, info)
                if _is_awaitable(done):
                    pending.append(index)
                completed.append(done)
        except Exception as exc:
            return _failed([completed[i] for i in pending], exc)
        if not pending:
            return completed
        return _gather_items(completed, pending)

    return complete


async def _gather_items(completed: list[Any], indexes: list[int]) -> list[Any]:
    values = await _settle([completed[i] for i in indexes])
    for index, value in zip(indexes, values, strict=True):
        completed[index] = value
    return completed


def _leaf(type_: GraphQLLeafType) -> Complete:
    leaf_value = _leaf_value(type_)
    assert leaf_value is not None

    def complete(_run: Run, value: Any, _path: Path, _info: Any) -> Any:
        return leaf_value(value)

    return complete


def _object(plan: Plan, type_: GraphQLObjectType, step: Step) -> Complete:
    steps: list[Step] | None = None
    is_type_of = type_.is_type_of

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        nonlocal steps
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise Fallback from value
        if is_type_of is not None:
            matches = is_type_of(value, info)
            if _is_awaitable(matches) or not matches:
                raise Fallback("is_type_of refused the value")
        if steps is None:
            steps = plan.subselection(type_, step)
        return execute_selection(run, steps, value, path)

    return complete


def _abstract(plan: Plan, type_: GraphQLAbstractType, step: Step) -> Complete:
    by_type: dict[str, Complete] = {}
    resolve_type = type_.resolve_type or plan.type_resolver

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise Fallback from value
        name = resolve_type(value, info, type_)
        if not isinstance(name, str):
            raise Fallback("an abstract type resolved to no type name")
        completion = by_type.get(name)
        if completion is None:
            runtime = plan.schema.get_type(name)
            if not is_object_type(runtime) or not plan.schema.is_sub_type(type_, runtime):
                raise Fallback(f"{name} is not a possible type of {type_}")
            completion = by_type.setdefault(name, _object(plan, runtime, step))
        return completion(run, value, path, info)

    return complete


# --- which documents, and where plans are kept ------------------------------------------------


class _FindsDirectives(Visitor):
    found = False

    def enter_directive(self, *_args: Any) -> Any:
        self.found = True
        return BREAK


def compilable(executor: Any) -> bool:
    """A query, run as graphql-core would run it plainly, without directives or fragment
    arguments anywhere (the selections then never depend on the variables)."""
    operation: OperationDefinitionNode = executor.operation
    middleware = executor.middleware_manager
    if operation.operation != OperationType.QUERY or (middleware and middleware.middlewares):
        return False
    if not getattr(executor, "error_propagation", True):
        return False
    for fragment in executor.fragments.values():
        if fragment.variable_signatures:
            return False
    finder = _FindsDirectives()
    nodes: Iterable[Any] = [operation, *(f.definition for f in executor.fragments.values())]
    for node in nodes:
        visit(node, finder)
        if finder.found:
            return False
    return True


class Plans:
    """Plans by operation node. The parser cache hands out the same parsed document for the
    same text, so its operation node names the document; each entry keeps that node alive,
    so its ``id`` is not reused while the entry exists."""

    def __init__(self, size: int = PLANS_KEPT) -> None:
        self.size = size
        self._kept: OrderedDict[int, tuple[OperationDefinitionNode, Plan | None]] = OrderedDict()
        self.compiled = 0  # documents given a plan
        self.ran = 0  # executions along a plan
        self.fell_back = 0  # of which the interpreter answered

    def plan_for(self, executor: Any, root_type: GraphQLObjectType, grouped: Mapping) -> Any:
        operation = executor.operation
        kept = self._kept.get(id(operation))
        if kept is not None and kept[0] is operation and _for_schema(kept[1], executor.schema):
            self._kept.move_to_end(id(operation))
            return kept[1]
        plan = Plan(executor, root_type, grouped) if compilable(executor) else None
        self.compiled += plan is not None
        self._kept[id(operation)] = (operation, plan)
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return plan


def _for_schema(plan: Plan | None, schema: Any) -> bool:
    return plan is None or plan.schema is schema


def plans_of(schema: Any) -> Plans:
    """The plans compiled for ``schema``, kept by the schema itself (``schema_caches``)."""
    return cache_of(schema, Plans, Plans)


def execute_plan(plan: Plan, executor: Any, root_value: Any) -> Any:
    """The root selection's data (or an awaitable of it); raises ``Fallback``."""
    return execute_selection(Run(executor), plan.root_steps, root_value, None)
