"""Module scopes: the name of the module whose forward pass made a Value, for pictures to group by.

The engine records the scope on every new Value and never reads it. A context variable:
each thread (and each asyncio task) has its own.
"""

from __future__ import annotations

import contextvars

_scope = contextvars.ContextVar("micrograd44_scope", default=None)

# The scope to record on a Value made now.
current_scope = _scope.get

# Module calls enter a scope and leave it again: ``token = enter_scope(s)`` ...
# ``leave_scope(token)``; the context variable's own methods, so each is one C call.
enter_scope = _scope.set
leave_scope = _scope.reset


def set_scope(scope: tuple | None) -> tuple | None:
    """Record ``scope`` on every Value created from now on and return the scope it replaces.

    Scopes let pictures group the nodes a neuron or a layer made; the engine itself never
    reads them. Modules enter theirs around their forward pass (with ``enter_scope`` and
    ``leave_scope``). Restore the previous scope with a second call, as in
    ``previous = set_scope(s)`` ... ``set_scope(previous)``.
    The scope belongs to the current thread (a context variable): graphs built in other
    threads at the same time do not see it.
    """
    previous = _scope.get()
    _scope.set(scope)
    return previous
