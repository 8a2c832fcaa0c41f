"""Resolvers called directly where strawberry's wrapping does nothing.

Strawberry wraps every field that has a resolver in a chain built for the general case: an
``Info`` object, argument conversion, field extensions folded with ``functools.partial``, two
closures per call, and an extra coroutine for ``async`` resolvers. For a field with no
arguments, no extension (no ``permission_classes``) and no exception handler, that chain
ends in ``resolver(source, info=Info(...))`` — with ``~12 µs`` of Python around it, times the
~200 fields of a listing page (py-spy: ~10 % of an uncached page). Such fields get a resolve
function making that same call and nothing else; a field without resolver (a plain attribute)
gets ``getattr``. Every other field keeps strawberry's resolver: permissions, arguments and
extensions run exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Resolve = Callable[..., Any]


def call_resolvers_directly(schema: strawberry.Schema) -> int:
    """Give every field that qualifies its direct resolve function; how many did."""
    if schema.schema_converter._exception_handler_specs:
        return 0  # handlers turn exceptions into results: strawberry's chain does that
    replaced = 0
    info_class = schema.config.info_class
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if isinstance(field, StrawberryField):
                direct = _node_id(schema, graphql_type, field, graphql_field.resolve)
                direct = direct or _direct(field, info_class)
                if direct is not None:
                    graphql_field.resolve = direct
                    replaced += 1
    return replaced


SOURCE_ONLY = "otesaintjo_source_only"
"""The attribute of a direct resolve function that needs no ``info``: the same call, given the
source alone (``schema/compiled.py`` then builds no ``GraphQLResolveInfo`` for the field)."""


def source_only(resolve: Resolve | None) -> Callable[[Any], Any] | None:
    return getattr(resolve, SOURCE_ONLY, None)


def _needing_source_only(resolve: Resolve, call: Callable[[Any], Any]) -> Resolve:
    setattr(resolve, SOURCE_ONLY, call)
    return resolve


def _node_id(
    schema: strawberry.Schema,
    graphql_type: GraphQLObjectType,
    field: StrawberryField,
    general: Resolve | None,
) -> Resolve | None:
    """A Relay ``id`` whose type keeps ``Node``'s ``resolve_id`` and ``resolve_typename``:
    the text of ``GlobalID(<the type's name>, str(<its NodeID attribute>))`` (what the ID
    scalar serialises it to), which ``Node._id`` computes through an ``Info``, two class
    lookups, an ``isawaitable`` and the ``GlobalID`` object (~50 ids a listing page).
    A source of another class (a subclass) goes through strawberry's resolver."""
    resolver = field.base_resolver
    function = getattr(resolver.wrapped_func, "__func__", None) if resolver else None
    if function is None or function is not _NODE_ID or general is None:
        return None
    definition = schema.get_type_by_name(graphql_type.name)
    origin = getattr(definition, "origin", None)
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        return None
    if (
        origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
        or origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    attribute, type_name = origin.resolve_id_attr(), graphql_type.name

    def node_id(source: Any, info: GraphQLResolveInfo) -> Any:
        if source.__class__ is not origin:
            return general(source, info)
        # What the ID scalar makes of ``GlobalID(type_name, str(id))``: its base64 text.
        return to_base64(type_name, str(getattr(source, attribute)))

    return node_id


_NODE_ID = relay.Node.__dict__["_id"].__func__  # the resolver of every Relay `id` field


def _direct(field: StrawberryField, info_class: type) -> Resolve | None:
    if field.extensions or field.arguments or field.is_subscription:
        return None
    resolver = field.base_resolver
    if resolver is None:
        if field.default_resolver is not getattr:
            return None
        name = field.python_name

        def attribute(source: Any, _info: GraphQLResolveInfo) -> Any:
            return getattr(source, name)

        attribute._is_default = True  # type: ignore[attr-defined]  # as strawberry marks it
        return _needing_source_only(attribute, attrgetter(name))
    function = resolver.wrapped_func
    if not callable(function):
        return None
    takes_self = resolver.self_parameter is not None
    # Keyword parameters that receive the source or the Info (strawberry's get_arguments).
    source_names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    if not source_names and info_name is None:
        if takes_self:
            return _needing_source_only(lambda source, _info: function(source), function)
        return _needing_source_only(lambda _source, _info: function(), lambda _source: function())

    def call(source: Any, info: GraphQLResolveInfo) -> Any:
        keywords: dict[str, Any] = dict.fromkeys(source_names, source)
        if info_name is not None:
            keywords[info_name] = info_class(_raw_info=info, _field=field)
        return function(source, **keywords) if takes_self else function(**keywords)

    return call
