"""ORM queries compiled to SQL once per process, for the busiest pages.

Turning a queryset into SQL (joins, the select list, ordering) costs the interview
page more CPU than the database spends running the query. A ``PreparedJoin`` compiles
its queryset once per database alias and afterwards only runs the SQL with a new
value, applying the same field converters (JSON, dates) the ORM would.

The ORM still writes the SQL: only the compiling is remembered, so a model change
reaches the query the next time the process starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import Model, QuerySet

# Stands in for the real value while compiling, so its place among the parameters can
# be found; no id in this project gets anywhere near it.
_PLACEHOLDER = -7_316_904_255_118


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple
    slot: int  # where the value goes in ``params``
    converters: list  # (column position, (converter functions, expression)), as the ORM has them
    child: type[Model]
    attnames: list[str]  # the child's columns
    parent: type[Model]
    parent_attnames: list[str]


class PreparedJoin:
    """Rows of one model, each with its parent row through a foreign key, for one value.

    ``build(value)`` returns the queryset of the children (filter and ordering);
    ``parent`` names the foreign key. ``fetch(value)`` returns the children in the
    queryset's order, all sharing one parent instance (set as the cached related
    object, so reading ``child.<parent>`` runs no query).
    """

    def __init__(self, build: Callable[[object], QuerySet], parent: str) -> None:
        self.build = build
        self.parent = parent
        self._plans: dict[str, _Plan] = {}

    def fetch(self, value, using: str = "default") -> list[Model]:
        plan = self._plans.get(using) or self._compile(using)
        params = list(plan.params)
        params[plan.slot] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = [_convert(row, plan.converters, connection) for row in rows]
        return self._instances(plan, rows, using)

    def _compile(self, using: str) -> _Plan:
        queryset = self.build(_PLACEHOLDER)
        child = queryset.model
        parent = child._meta.get_field(self.parent).related_model
        attnames = [f.attname for f in child._meta.concrete_fields]
        parent_attnames = [f.attname for f in parent._meta.concrete_fields]
        joined = [f"{self.parent}__{name}" for name in parent_attnames]
        queryset = queryset.values_list(*attnames, *joined)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = [i for i, p in enumerate(params) if p == _PLACEHOLDER]
        if len(slots) != 1:
            raise ValueError("the prepared queryset must use its value exactly once")
        columns = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        plan = self._plans[using] = _Plan(
            sql, tuple(params), slots[0], converters, child, attnames, parent, parent_attnames
        )
        return plan

    def _instances(self, plan: _Plan, rows: list, using: str) -> list[Model]:
        if not rows:
            return []
        split = len(plan.attnames)
        shared = plan.parent.from_db(using, plan.parent_attnames, rows[0][split:])
        cache_parent = plan.child._meta.get_field(self.parent).set_cached_value
        children = []
        for row in rows:
            instance = plan.child.from_db(using, plan.attnames, row[:split])
            cache_parent(instance, shared)
            children.append(instance)
        return children


def _convert(row: tuple, converters: list, connection) -> list:
    values = list(row)
    for position, (functions, expression) in converters:
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return values
