"""The Hugging Face libraries' own progress bars, off while the library does their work for you.

Loading a checkpoint (``Loading weights``), saving one (``Writing model shards``), reading a JSON
Lines file into a data set (``Generating train split``) and TRL's preparation of it (``Tokenizing
train dataset``...) each draw a tqdm bar on stderr. Where collab-env runs those steps inside one
of its own calls (:class:`~collab_env.llm.HFChat` loading its checkpoint, the fine-tuning
functions, the tiny test model), a wall of bars reads as noise; :func:`no_progress_bars` turns
them off for the call and puts back what was there, so a caller's own choice
(``datasets.disable_progress_bars()``...) is kept. Nested and concurrent scopes count: the bars
come back when the last one ends. A library that is not installed is skipped.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LIBRARIES = ("transformers", "datasets")
_lock = threading.Lock()
_depth: dict[str, int] = {}
_restore: dict[str, Callable[[], None]] = {}


@contextmanager
def no_progress_bars(*libraries: str) -> Iterator[None]:
    """Turn off the progress bars of ``libraries`` while the block runs, then restore them.

    Args:
        *libraries: ``"transformers"`` (its bars and huggingface_hub's, which it switches along)
            and/or ``"datasets"``.

    Raises:
        ValueError: for a library not in :data:`LIBRARIES`.

    >>> with no_progress_bars("datasets"):
    ...     pass
    """
    unknown = [lib for lib in libraries if lib not in LIBRARIES]
    if unknown:
        raise ValueError(f"no_progress_bars knows {LIBRARIES}, got {unknown}")
    with _lock:
        for lib in libraries:
            if not _depth.get(lib):
                _restore[lib] = _SWITCH_OFF[lib]()
            _depth[lib] = _depth.get(lib, 0) + 1
    try:
        yield
    finally:
        with _lock:
            for lib in libraries:
                _depth[lib] -= 1
                if not _depth[lib]:
                    _quietly(_restore.pop(lib))


def _transformers_off() -> Callable[[], None]:
    """Switch transformers' and huggingface_hub's bars off; return what puts them back."""
    try:
        import huggingface_hub.utils as hub
        from transformers.utils import logging
    except ImportError:
        return lambda: None
    was_on, hub_was_on = logging.is_progress_bar_enabled(), not hub.are_progress_bars_disabled()
    _quietly(logging.disable_progress_bar)  # hub's too

    def restore() -> None:
        if was_on:
            logging.enable_progress_bar()  # hub's too
        if hub_was_on == hub.are_progress_bars_disabled():
            (hub.enable_progress_bars if hub_was_on else hub.disable_progress_bars)()

    return restore


def _datasets_off() -> Callable[[], None]:
    """Switch datasets' bars off; return what puts them back."""
    try:
        import datasets
    except ImportError:
        return lambda: None
    was_on = not datasets.are_progress_bars_disabled()
    _quietly(datasets.disable_progress_bars)
    return datasets.enable_progress_bars if was_on else lambda: None


def _quietly(switch: Callable[[], None]) -> None:
    """Call ``switch`` without the warning the libraries give when an environment variable
    (``HF_HUB_DISABLE_PROGRESS_BARS``, ``HF_DATASETS_DISABLE_PROGRESS_BARS``) overrides it:
    the variable wins, as its user meant."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        switch()


_SWITCH_OFF: dict[str, Callable[[], Callable[[], None]]] = {
    "transformers": _transformers_off,
    "datasets": _datasets_off,
}
