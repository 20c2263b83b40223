"""Atomic file writes: a reader, or a run killed mid-write, never sees half a file.

Each write goes to a temporary file in the same directory, is flushed to disk, and is renamed
over the destination (``os.replace`` is atomic on POSIX): the destination holds either its old
content or the new one. Append-only logs (``episodes.jsonl``) need no such step: a kill there
tears at most the last line, which the reader drops.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; renamed over ``path`` on success.

    >>> with atomic_path(Path(tempfile.mkdtemp()) / "a.txt") as tmp:
    ...     _ = tmp.write_text("whole")
    >>> tmp.exists()
    False

    If the block raises, the temporary file is removed and ``path`` is left as it was. The file
    gets the mode that ``open()`` would give it (``0666`` less the umask).
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600; a results file is as open() would make it
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`); return ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux ``/proc``).

    >>> 0 <= umask() <= 0o777
    True
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    current = os.umask(0o022)  # elsewhere: set and restore (not atomic, but brief)
    os.umask(current)
    return current
