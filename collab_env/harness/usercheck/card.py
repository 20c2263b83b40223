"""``collab-env user-check``'s run: the episodes and people's turns of a user-model card, kept as they go.

Each item (an episode, a replayed conversation) is appended to ``OUT/items.jsonl`` as soon as
it is done and ``OUT/card.json`` is rewritten, so an interrupted run keeps what it did; run the
same command with ``--resume`` to play only what is missing (the run's header, ``OUT/run.json``,
must match).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from collab_env.errors import ConfigError
from collab_env.harness.usercheck import fidelity, role
from collab_env.harness.usercheck.checks import drift_kinds
from collab_env.harness.usercheck.episodes import play_episode
from collab_env.harness.usercheck.summary import clean, summarise, verdict

#: Where ``collab-env user-check`` looks for SimulatorArena's document conversations by default.
PEOPLE_DATA = "../shared/data/simarena/doc_conversations.jsonl"


@dataclass
class Plan:
    """What a card plays (the CLI's options, ``--quick`` applied)."""

    envs: tuple[str, ...]
    agents: tuple[str, ...]
    episodes: int
    max_turns: int
    people: int
    people_turns: int
    people_data: str
    seed: int = 0
    #: With ``quick``, the agents take turns over the envs (one episode per env).
    cycle_agents: bool = False
    items: list[str] = field(default_factory=list)

    def episode_keys(self) -> list[tuple[str, str, int]]:
        """``(env, agent, k)`` of every episode, in the order played."""
        if self.cycle_agents:
            return [(e, self.agents[i % len(self.agents)], self.seed) for i, e in enumerate(self.envs)]
        return [(e, a, self.seed + k) for e in self.envs for a in self.agents for k in range(self.episodes)]


def run_card(plan: Plan, make_config: Callable[[str], Any], user: Any, out: Path, resume: bool,
             say: Callable[[str], None]) -> dict[str, Any]:  # fmt: skip
    """Play the plan's episodes and people's turns; the card (also written to ``out``).

    Args:
        plan: What to play.
        make_config: The :class:`~collab_env.config.EnvConfig` of an env id (the user under test).
        user: The user's spec (:class:`~collab_env.parts.UserSpec`).
        out: The folder of ``run.json``, ``items.jsonl`` and ``card.json``.
        resume: Keep the items of an earlier run of the same header and play the rest.
        say: Prints a progress line.
    """
    header = {"user": user.as_dict(), "judge": make_config(plan.envs[0]).judge.as_dict(),
              "plan": {k: v for k, v in asdict(plan).items() if k != "items"}}  # fmt: skip
    done = _resume(out, header, say) if resume else {}
    check, why = role.for_card(plan.people_data)
    say(why)
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").write_text(json.dumps(header, indent=2))
    items = out / "items.jsonl"
    if not resume:
        items.write_text("")
    keys = plan.episode_keys()
    start = time.perf_counter()
    for n, (env_id, agent, k) in enumerate(keys, 1):
        key = f"{env_id}/{agent}/{k}"
        if key in done:
            continue
        say(f"[{n}/{len(keys)}] {key}: playing (up to {plan.max_turns} turns)...")
        record = play_episode(make_config(env_id), agent, k, check)
        done[key] = record
        _append(items, record)
        write_card(out, header, done, plan, (check, why))
        say(f"[{n}/{len(keys)}] {key}: {_episode_line(record)}, {record['seconds']:.0f} s "
            f"(elapsed {(time.perf_counter() - start) / 60:.1f} min)")  # fmt: skip
    people_turns(plan, user, done, items, say)
    return write_card(out, header, done, plan, (check, why))


def people_turns(
    plan: Plan, user: Any, done: dict[str, Any], items: Path, say: Callable[[str], None]
) -> None:
    """Replay people's conversations with the user under test and the scripted user (skipped,
    with a line, when the data is absent)."""
    path = Path(plan.people_data)
    if plan.people <= 0:
        return
    if not path.exists():
        say(f"people's conversations: {path} not found; skipped (give --people-data PATH to "
            "SimulatorArena's doc_conversations.jsonl)")  # fmt: skip
        return
    from collab_env.parts import UserSpec
    from collab_env.tasks.doc.simarena import SimulatorArenaDataset

    task = SimulatorArenaDataset(path)
    sources = {"scripted": UserSpec("scripted"), user.kind: user}
    for instance in task.instances[: plan.people]:
        for name, spec in sources.items():
            key = f"people/{name}/{instance.metadata['id']}"
            if key in done:
                continue
            simulator = spec.build()
            say(f"{key}: replaying up to {plan.people_turns or fidelity.places(instance)} places...")
            turns = fidelity.simulate(simulator, task, instance, plan.seed, plan.people_turns or None,
                                      each=lambda t, k=key: say(f"  {k} place {t.place}: {_turn_line(t)}"))  # fmt: skip
            record = {"key": key, "source": name, "id": instance.metadata["id"], "task_id": instance.task_id,
                      "turns": [asdict(t) for t in turns], "lost": any(t.text is None for t in turns)}  # fmt: skip
            done[key] = record
            _append(items, record)


def people_table(
    plan: Plan, done: dict[str, Any], check: role.RoleCheck | None = None
) -> dict[str, Any] | None:
    """The people-likeness table over the replayed conversations: people, then each simulator;
    and the independent drift check (with the role check ``check`` where given) on the
    simulators' turns."""
    replays = [r for r in done.values() if r["key"].startswith("people/")]
    if not replays:
        return None
    from collab_env.tasks.doc.simarena import SimulatorArenaDataset

    task = SimulatorArenaDataset(Path(plan.people_data))
    by_id = {i.metadata["id"]: i for i in task.instances}
    spell = fidelity.can_spell()
    ids = list(dict.fromkeys(r["id"] for r in replays))
    limit = plan.people_turns or None
    results = {"people": fidelity.summarise([fidelity.measure(by_id[i], fidelity.people(by_id[i])[:limit], spell)
                                            for i in ids])}  # fmt: skip
    drift: dict[str, Any] = {}
    for source in dict.fromkeys(r["source"] for r in replays):
        mine = [r for r in replays if r["source"] == source]
        turns = [(by_id[r["id"]], fidelity.Turn(**t)) for r in mine for t in r["turns"]]
        results[source] = fidelity.summarise([fidelity.measure(by_id[r["id"]], [fidelity.Turn(**t) for t in r["turns"]],
                                                               spell) for r in mine])  # fmt: skip
        flagged = [drift_kinds(t.text, fidelity.history(i, t.place), check) for i, t in turns if t.text]
        drift[source] = {"turns": len(flagged), "drift_turns": sum(bool(f) for f in flagged)}
    return {"results": clean(results), "table": fidelity.table(results), "drift": drift,
            "typos_measured": spell, "places_limit": limit}  # fmt: skip


def write_card(out: Path, header: dict[str, Any], done: dict[str, Any], plan: Plan,
               checked: tuple[role.RoleCheck | None, str] = (None, "role check not run")) -> dict[str, Any]:  # fmt: skip
    """The card of the items done so far, written to ``out/card.json``.

    ``checked``: the role check (:func:`.role.for_card`) and its line; the card records what it
    is, or that it was not run and why.
    """
    check, why = checked
    episodes = [r for r in done.values() if not r["key"].startswith("people/")]
    user = header["user"]
    card: dict[str, Any] = {"user": f"{user['kind']}" + (f" {user['model']}" if user["model"] else ""),
                            "header": header, "summary": summarise(episodes),
                            "per_env": {e: summarise([r for r in episodes if r["env_id"] == e]) for e in plan.envs},
                            "people": people_table(plan, done, check),
                            "role_check": check.describe() if check else {"ran": False, "why": why},
                            "lost_people_turns": sum(r["lost"] for r in done.values() if r["key"].startswith("people/")),
                            "complete": len(episodes) == len(plan.episode_keys())}  # fmt: skip
    card["verdict"] = verdict(card)
    (out / "card.json").write_text(json.dumps(clean(card), indent=2))
    return card


def _resume(out: Path, header: dict[str, Any], say: Callable[[str], None]) -> dict[str, Any]:
    """The items of an earlier run in ``out`` (its header must be ``header``)."""
    run = out / "run.json"
    if not run.exists():
        say(f"--resume: nothing to resume in {out}; starting")
        return {}
    if json.loads(run.read_text()) != json.loads(json.dumps(header)):
        raise ConfigError(f"--resume: {out} holds a run of another user or plan ({run}); use another --out")
    done = {}
    for line in (out / "items.jsonl").read_text().splitlines():
        record = json.loads(line)
        if not record.get("lost"):  # a lost item is played again
            done[record["key"]] = record
    say(f"--resume: {len(done)} items kept from {out}")
    return done


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(clean(record)) + "\n")


def _episode_line(r: dict[str, Any]) -> str:
    if r.get("lost"):
        return f"LOST ({r['error']})"
    drift = sum(bool(c["drift"]) for c in r["checked"])
    false = sum(len(c["false"]) for c in r["checked"])
    return (f"{r['turns']} turns, ending {r['ending']}{' (affirms a wrong answer)' if r['affirms_wrong'] else ''}, "
            f"{drift} drift, {false} false statements")  # fmt: skip


def _turn_line(turn: fidelity.Turn) -> str:
    if turn.text is None:
        return "LOST"
    return repr(turn.text[:80]) + (" (ends)" if turn.terminated else "")


__all__ = ["PEOPLE_DATA", "Plan", "people_table", "run_card", "write_card"]
