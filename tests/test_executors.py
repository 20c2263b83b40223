"""Executors run independent items, keep their order and propagate failures."""

from __future__ import annotations

import threading
import time

import gymnasium as gym
import pytest

from collab_env.agents import make_agent
from collab_env.errors import ConfigError
from collab_env.executors import SerialExecutor, ThreadExecutor, make_executor
from collab_env.wrappers import multiturn_aware_reward


@pytest.mark.parametrize("executor", [SerialExecutor(), ThreadExecutor(4)], ids=repr)
def test_results_keep_the_items_order(executor):
    assert executor.map(lambda x: x * x, range(10)) == [x * x for x in range(10)]


def test_threads_overlap_waiting():
    start = time.perf_counter()
    ThreadExecutor(8).map(lambda _: time.sleep(0.1), range(8))
    assert time.perf_counter() - start < 0.5


def test_no_barrier_between_chains():
    # Chain 0 is slow; the others must finish without waiting for it.
    finished = []
    lock = threading.Lock()

    def chain(i):
        time.sleep(0.3 if i == 0 else 0.01)
        with lock:
            finished.append(i)

    ThreadExecutor(4).map(chain, range(4))
    assert finished[-1] == 0


def test_exceptions_propagate():
    def boom(x):
        raise RuntimeError(f"item {x}")

    with pytest.raises(RuntimeError, match="item"):
        ThreadExecutor(2).map(boom, range(3))


@pytest.mark.parametrize("spec", ["threads:x", "gpu", "serial:2"])
def test_bad_specs_are_config_errors(spec):
    with pytest.raises(ConfigError, match="executor"):
        make_executor(spec)


def _mr_of_episode(seed: int) -> list:
    """MR of two candidates at the opening of episode ``seed`` (one MR call)."""
    env = gym.make("CollabMath-v0", split="test")
    agent = make_agent("clarify", env)
    obs, _ = env.reset(seed=seed)
    candidates = [agent(obs), make_agent("passive", env)(obs)]
    return [r.mean for r in multiturn_aware_reward(env, obs, candidates, agent, 2, 2)]


@pytest.mark.ray
def test_ray_executor_spreads_mr_evaluations_and_gives_the_same_mr_as_local():
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'collab-env[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert make_executor("ray").map(_mr_of_episode, [0, 1]) == [_mr_of_episode(0), _mr_of_episode(1)]
    finally:
        ray.shutdown()
