"""The Hugging Face libraries' bars are off inside ``no_progress_bars`` and as they were after it."""

from __future__ import annotations

import threading

import pytest

from collab_env.hf_progress import no_progress_bars

datasets = pytest.importorskip("datasets")
hub = pytest.importorskip("huggingface_hub.utils")
tf_logging = pytest.importorskip("transformers.utils.logging")


def _state() -> tuple[bool, bool, bool]:
    """(transformers', huggingface_hub's, datasets') bars on."""
    return (
        tf_logging.is_progress_bar_enabled(),
        not hub.are_progress_bars_disabled(),
        not datasets.are_progress_bars_disabled(),
    )


@pytest.fixture
def bars_on():
    before = _state()
    tf_logging.enable_progress_bar()
    datasets.enable_progress_bars()
    yield
    for on, enable, disable in zip(
        before,
        (tf_logging.enable_progress_bar, hub.enable_progress_bars, datasets.enable_progress_bars),
        (tf_logging.disable_progress_bar, hub.disable_progress_bars, datasets.disable_progress_bars),
        strict=True,
    ):
        (enable if on else disable)()


def test_bars_are_off_inside_and_back_after(bars_on):
    with no_progress_bars("transformers", "datasets"):
        assert _state() == (False, False, False)
        with no_progress_bars("datasets"):  # nested: the outer scope's end restores
            pass
        assert _state() == (False, False, False)
    assert _state() == (True, True, True)


def test_a_callers_own_choice_is_kept(bars_on):
    datasets.disable_progress_bars()
    hub.disable_progress_bars()  # transformers' on, the hub's off: as the caller set them
    with no_progress_bars("transformers", "datasets"):
        assert _state() == (False, False, False)
    assert _state() == (True, False, False)


def test_concurrent_scopes_restore_when_the_last_ends(bars_on):
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with no_progress_bars("datasets"):
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    with no_progress_bars("datasets"):
        pass
    assert datasets.are_progress_bars_disabled()  # the other thread's scope is still open
    leave.set()
    thread.join()
    assert not datasets.are_progress_bars_disabled()


def test_an_unknown_library_is_refused():
    with pytest.raises(ValueError, match="tqdm"), no_progress_bars("tqdm"):
        pass
