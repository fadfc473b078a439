"""Moved to ``micrograd44.expr``: the eager optimizers print their updates with it too.

Kept only because ``native`` imports this module for its generator digest; once that digest
reads ``micrograd44.expr`` and ``micrograd44.statements`` instead, this file goes.
"""
