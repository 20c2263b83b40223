"""``collab-env serve`` fails before it listens on a bad configuration, with one line."""

from __future__ import annotations

import pytest

from collab_env.cli import main


@pytest.mark.parametrize(
    ("argv", "says"),
    [(["serve", "NoSuchEnv-v0"], "NoSuchEnv-v0"), (["serve", "CollabDoc-v0", "--mr-window", "-1"], "mr_window"),
     (["serve", "CollabDoc-v0", "--contract", "grpc"], None), (["serve", "CollabDoc-v0", "--max-sessions", "0"], "max_sessions"),
     (["serve", "CollabDoc-v0", "--mr-window", "1", "--mr-policy", "nosuch.module:fn"], "nosuch"),
     (["serve", "CollabDoc-v0", "--max-sessions", "4", "--max-sessions-per-client", "5"], "max_sessions_per_client"),
     (["serve", "CollabDoc-v0", "--threads", "-1"], "threads")],
)  # fmt: skip
def test_a_bad_configuration_fails_before_the_server_listens(argv, says, capsys):
    if says is None:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        return
    assert main(argv) == 2
    assert says in capsys.readouterr().out
