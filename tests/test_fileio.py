"""Results files are written whole, and with the mode the user's umask asks for."""

from __future__ import annotations

import os
import stat

import pytest

from collab_env.fileio import atomic_write_text, umask


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_results_files_honour_the_umask(tmp_path, mask):
    previous = os.umask(mask)
    try:
        assert umask() == mask
        path = atomic_write_text(tmp_path / "results.json", "{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
