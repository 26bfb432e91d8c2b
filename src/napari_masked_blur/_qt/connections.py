"""Connections that are undone together, and the widget's end of life.

Every connection the widget and its session make to napari's events is made
through a :class:`Connections`, so closing undoes each one and a closed
widget never hears from the viewer again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QEvent, QObject


class Connections:
    """Connects callbacks to emitters and remembers them, to undo them all."""

    def __init__(self) -> None:
        self._made: list[tuple[Any, Callable]] = []

    def connect(self, emitter: Any, callback: Callable) -> None:
        """``emitter.connect(callback)``, undone by :meth:`disconnect_all`."""
        emitter.connect(callback)
        self._made.append((emitter, callback))

    def disconnect_all(self) -> None:
        """Undo every connection made; safe to call twice."""
        made, self._made = self._made, []
        for emitter, callback in made:
            emitter.disconnect(callback)


class CloseWatcher(QObject):
    """Calls back when the widget is closed or taken out of its dock."""

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__()
        self._callback = callback

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        closed = event.type() == QEvent.Type.Close
        undocked = event.type() == QEvent.Type.ParentChange and obj.parent() is None
        if closed or undocked:
            self._callback()
        return False
