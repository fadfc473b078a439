"""Training: one loop for any model and data, the History it fills, and the course recipe over it.

The general layer is exported here: ``fit`` and ``Trainer`` (``training.loop``), the
``History`` with its ``Column``s and ``Snapshot``s (``training.history``), and the stop
signals (``training.signals``). The course's 44-parameter XOR recipe is a preset over the
loop in ``micrograd44.training.course`` (``Recipe``, ``run``), and ``Session`` in
``micrograd44.training.session`` trains a recipe a few epochs at a time; nothing in this
layer imports them.
"""

from .history import Column, History, Snapshot, block_means
from .loop import CHUNK_EPOCHS, ENGINES, SAMPLINGS, Trainer, TrainingDiverged, fit
from .signals import StopRequested, TrainingInterrupted, stop_on_signal

__all__ = [
    "CHUNK_EPOCHS",
    "ENGINES",
    "SAMPLINGS",
    "Column",
    "History",
    "Snapshot",
    "StopRequested",
    "Trainer",
    "TrainingDiverged",
    "TrainingInterrupted",
    "block_means",
    "fit",
    "stop_on_signal",
]
