"""graphql-core's execution context, without the reference cycle it leaves behind, and with
query documents run along a compiled plan (``schema/compiled.py``).

The context keeps bound methods of itself (``async_helpers``): a cycle through which every
request's whole object graph (the result tree, ORM rows, loaders, futures: ~530 objects for a
storefront page) waits for the cyclic garbage collector instead of being freed when the
response is sent. Under signed-in traffic that made generation-1 collections take 130-290 ms
pauses. Nothing needs the helpers once the response is built: drop them there.

It also tells the context what kind of operation starts (``Context.operation_only_reads``,
``operation_writes``): a query keeps the request's read connection to its end, a mutation
gives it back before its fields run (``request_reads``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from otesaintjo.schema.compiled import Fallback, Plans, execute_plan, plans_of


class SchemasOwn:
    """The executed schema's own plans (``plans_of``): plans depend on the document and the
    schema, and die with the schema (the tests build a schema per app)."""


class AcyclicExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # The schema's own plans; a test sets its own ``Plans`` to count, or None: no plans.
    plans: Plans | SchemasOwn | None = SchemasOwn()

    def execute_root_grouped_field_set(
        self,
        root_type: Any,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        position_context: Any,
    ) -> Any:
        def interpret() -> Any:
            return super(AcyclicExecutionContext, self).execute_root_grouped_field_set(
                root_type, root_value, grouped_field_set, serially, position_context
            )

        if serially:  # a mutation (its root fields run one after another)
            writes = getattr(self.context_value, "operation_writes", None)
            if writes is not None:
                return self._after(writes(), interpret)
        else:
            only_reads = getattr(self.context_value, "operation_only_reads", None)
            if only_reads is not None:
                only_reads()
        plans = self.plans
        if isinstance(plans, SchemasOwn):
            plans = plans_of(self.schema)
        plan = None
        if plans is not None and not serially:
            plan = plans.plan_for(self, root_type, grouped_field_set)
        if plans is None or plan is None:
            return interpret()
        plans.ran += 1
        try:
            data = execute_plan(plan, self, root_value)
        except Fallback:
            plans.fell_back += 1
            return interpret()
        if not self.is_awaitable(data):
            return data

        async def finish() -> Any:
            try:
                return await data
            except Fallback:
                plans.fell_back += 1
                result = interpret()
                return await result if self.is_awaitable(result) else result

        return finish()

    async def _after(self, first: Awaitable[None], run: Callable[[], Any]) -> Any:
        await first
        result = run()
        return await result if self.is_awaitable(result) else result

    def build_response(self, data: dict[str, Any] | None) -> Any:
        try:
            return super().build_response(data)
        finally:
            self.async_helpers = None  # type: ignore[assignment]
