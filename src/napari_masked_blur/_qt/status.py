"""The status line and the Run button: what they say is always true.

:class:`StatusLine` is told what happens (layers missing, settings refused,
a computation started, done or failed, the settings changed while "live
update" is off) and says it in one line that wraps instead of widening the
dock, the whole text also in its tooltip.  The Run button reads "Run" when
the result is out of date and "Run again" when it is up to date; it is
disabled while there is nothing to run.  A mask with no painted pixel (or
none of the chosen ids) adds "paint a mask, or pick labels".
"""

from __future__ import annotations

import contextlib

from magicgui.widgets import Label, PushButton
from napari.utils.notifications import show_warning
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QSizePolicy

from napari_masked_blur._math.filter import Filter

EMPTY_MASK = "the mask is empty: paint a mask, or pick labels"
BUSY_SAY_MS = 250  # while work runs, the status changes at most this often
OUT_OF_DATE = "out of date: press Run"


def wrapping(label: Label) -> Label:
    """Make ``label`` wrap its text and never set the dock's width."""
    native = label.native
    native.setWordWrap(True)
    # Ignored: the label's text never asks for width; it takes what the
    # dock gives and wraps in it.
    native.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    native.setMinimumWidth(1)
    return label


class StatusLine:
    """The status label and the Run button of the widget.

    Parameters
    ----------
    label : Label
        The status line (made to wrap here).
    run : PushButton
        The Run button.
    """

    def __init__(self, label: Label, run: PushButton) -> None:
        self._label = wrapping(label)
        self._run = run
        self._note = ""  # e.g. EMPTY_MASK, added to what is said
        self._said, self._with_note = "", False
        self._warned = ""  # the last refusal notified
        self._pending = ""  # a "running" text to say once the timer fires
        # No Qt parent: it must outlive the widget's native widget at close.
        self._timer = QTimer(singleShot=True)
        self._timer.setInterval(BUSY_SAY_MS)
        self._timer.timeout.connect(self._say_pending)

    @property
    def text(self) -> str:
        """What the status line says now."""
        return self._label.value

    def missing(self, hint: str) -> None:
        """An input layer is missing: say which to add; nothing to run."""
        self._say(hint)
        self._run.enabled = False
        self._run.text = "Run"

    def refused(self, message: str, notify: bool = False) -> None:
        """The settings do not fit the layers.

        With ``notify``, also a napari notification, once per distinct
        message (until :meth:`accepted`).
        """
        self._say(message)
        self._run.enabled = True
        self._run.text = "Run"
        if notify and message != self._warned:
            self._warned = message
            show_warning(f"Masked blur: {message}")

    def accepted(self) -> None:
        """The settings fit: a refusal said again is notified again."""
        self._warned = ""

    def report(self, text: str) -> None:
        """The session's line: done (what and how long), or "failed: ..."."""
        if text.startswith("failed"):
            self.failed(text)
        else:
            self.done(text)

    def out_of_date(self) -> None:
        """The settings or layers changed since the result, and live is off."""
        self._say(OUT_OF_DATE, note=True)
        self._run.enabled = True
        self._run.text = "Run"

    def running(self, description: str, flt: Filter, busy: bool = False) -> None:
        """A computation of ``flt`` of ``description`` started.

        With ``busy`` (a slider dragged while work runs) the text is said
        once :data:`BUSY_SAY_MS` have passed, the newest only: each new text
        lays the dock out again, and that repaint holds the interpreter the
        worker needs (measured: 3 instead of 5 plane updates a second when
        every tick was said).
        """
        verb = "blurring" if flt.name == "gaussian" else f"{flt.title} of"
        self._pending = f"{verb} {description} …"
        if not busy:
            self._say_pending()
        elif not self._timer.isActive():
            self._timer.start()
        self._run.enabled = True
        self._run.text = "Run again"

    def done(self, text: str) -> None:
        """The result is complete (``text`` says what and how long)."""
        self._say(text, note=True)
        self._run.enabled = True
        self._run.text = "Run again"

    def failed(self, text: str) -> None:
        """The computation failed (the session also sent a notification)."""
        self._say(text)
        self._run.enabled = True
        self._run.text = "Run"

    def note(self, note: str) -> None:
        """Add ``note`` to what is said ("" removes it)."""
        if note != self._note:
            self._note = note
            self._say(self._said, note=self._with_note)

    def close(self) -> None:
        """Say nothing more (the widget is closing)."""
        self._pending = ""
        with contextlib.suppress(RuntimeError):  # Qt may be gone at exit
            self._timer.stop()

    def _say_pending(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self._say(text, note=True)
            self._run.enabled = True
            self._run.text = "Run again"

    def _say(self, text: str, note: bool = False) -> None:
        self._pending = ""  # what is said now is newer
        self._said, self._with_note = text, note
        full = f"{text} · {self._note}" if note and self._note else text
        self._label.value = full
        self._label.tooltip = full


def describe(name: str, options, unit_of) -> str:
    """``'cells', sigma 3 px``: the image and the sigma of a computation.

    ``unit_of(axis)`` is the unit sigma is shown in along a data axis; a
    time axis smoothed is in frames.
    """
    smoothed = [
        (a, s) for a, s in enumerate(options.sigma) if a not in options.frame_axes
    ]
    values = {round(s, 2) for _, s in smoothed}
    if len(values) == 1:
        sigma = f"{values.pop():g}"
    else:
        sigma = "(" + ", ".join(f"{s:.2f}".rstrip("0").rstrip(".") for _, s in smoothed)
        sigma += ")"
    units = {"frames" if unit_of(a) == "frames" else "px" for a, _ in smoothed}
    return f"{name!r}, sigma {sigma} {'/'.join(sorted(units))}"
