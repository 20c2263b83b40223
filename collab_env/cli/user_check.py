"""``collab-env user-check``: a user model's card, rated against people and the scripted user."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from collab_env.cli.options import add_config_options, add_env_options, config_kwargs, env_config, examples
from collab_env.registration import ENV_IDS

#: Environment options a card sets itself (every env, the test split, the default rewards).
_SKIP = ("env_id", "split", "dataset", "w_ext", "w_eng", "token_penalty", "reward_mode")
#: Assistant turns per episode, unless given: a question, the informed answer, and the 2 to 5
#: checks a person (and the scripted user) makes before ending on a draft that has everything.
MAX_TURNS = 7
#: Assistant turns per episode of ``--quick`` with a model as the user (the scripted user costs
#: nothing and plays the full episodes).
QUICK_TURNS = 3


@dataclass
class UserCheckOptions:
    """A user-model card: fixed seeded episodes on the envs and people's conversations replayed.

    Attributes:
        quick: One episode per env (the agents take turns), 3 turns with a model as the user,
            one person's conversation up to 3 places: about 20 user-model calls, for a small model on a laptop.
        envs: Environments to play (default: all four).
        agents: Scripted agents that play against the user: informed (asks one question, then
            answers with every detail of the goal, so every episode offers a correct answer),
            passive (answers at once, wrongly) and clarify (asks first).
        episodes: Episodes per env and agent; episode k plays test instance k with seed k.
        seed: The first episode's k.
        people: People's conversations (SimulatorArena) to replay; 0: none.
        people_turns: Places replayed per conversation (0: every place the person spoke).
        people_data: SimulatorArena's document conversations; skipped with a line when absent.
        out: Folder of card.json, card.png and the items played (items.jsonl).
        resume: Keep the items an interrupted run of the same command wrote to --out; play the rest.
    """

    quick: bool = False
    envs: tuple[str, ...] = tuple(ENV_IDS)
    agents: tuple[str, ...] = ("informed", "passive")
    episodes: int = 2
    seed: int = 0
    people: int = 5
    people_turns: int = 0
    people_data: str = "../shared/data/simarena/doc_conversations.jsonl"
    out: str = "runs/user-check"
    resume: bool = field(default=False)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``user-check`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "user-check",
        help="rate a user model: drift, false statements, endings and people-likeness, with a verdict",
        description=(
            "Plays fixed seeded episodes with the user under test and reads every message it wrote: "
            "drift by kind (by the guards and by an independent check), statements against its goal, "
            "details asked for and never given, how episodes ended, the judge's spread of scores, and "
            "how its turns compare with people's. Writes a JSON card, a plot and one line of verdict."
        ),
        **examples(
            ("collab-env user-check --user scripted --quick", "the scripted user's card, in seconds"),
            (
                "collab-env user-check --quick --user-model openai:qwen@http://127.0.0.1:8089/v1",
                "a small local model's card: about 20 calls; the verdict's last line says if it is usable",
            ),
        ),
    )
    add_env_options(p, skip=_SKIP, defaults={"max_turns": MAX_TURNS})
    add_config_options(p, UserCheckOptions, defaults={})
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Play the card, print its tables and verdict, write card.json and card.png.

    Exit 1 when an episode or a person's turn was lost (the endpoint failed).
    """
    from collab_env.cli.preflight import preflight
    from collab_env.harness.usercheck.card import run_card
    from collab_env.harness.usercheck.plot import plot

    options = UserCheckOptions(**config_kwargs(args, UserCheckOptions))
    plan = _plan(options)
    model_user = env_config(args, {}, env_id=plan.envs[0], split="test").user.kind != "scripted"
    turns = {"max_turns": QUICK_TURNS if options.quick and model_user else MAX_TURNS}
    configs = {e: env_config(args, turns, env_id=e, split="test") for e in plan.envs}
    first = configs[plan.envs[0]]
    plan.max_turns = first.max_turns
    preflight([first], [])
    out = Path(options.out)
    args.resume_hint = f"the same command with --resume (the card so far: {out / 'card.json'})"
    user = first.user
    console.print(f"user-check: {escape(_name(user))}, judge {first.judge.kind}; "
                  f"{len(plan.episode_keys())} episodes of up to {plan.max_turns} turns, "
                  f"{plan.people} people's conversations" + (f" (up to {plan.people_turns} places)" if plan.people_turns else ""),
                  soft_wrap=True)  # fmt: skip
    card = run_card(
        plan,
        configs.__getitem__,
        user,
        out,
        options.resume,
        lambda line: console.print(escape(line), soft_wrap=True),
    )
    if card["people"]:
        console.print(card["people"]["table"], soft_wrap=True)
    figure = plot(card, out / "card.png")
    console.print(f"wrote {out / 'card.json'} and {figure}")
    lost = card["summary"]["lost"] + card["lost_people_turns"]
    console.print(escape(card["verdict"]), soft_wrap=True)
    if lost:
        console.print(f"[bold red]{lost} episodes or people's replays lost (the endpoint failed): the card is "
                      "incomplete[/]; rerun the same command with --resume to play them again", soft_wrap=True)  # fmt: skip
        return 1
    return 0


def _plan(options: UserCheckOptions):
    from collab_env.errors import ConfigError
    from collab_env.harness.usercheck.card import Plan
    from collab_env.harness.usercheck.episodes import AGENTS

    bad = [a for a in options.agents if a not in AGENTS]
    if bad:
        raise ConfigError(f"--agents: unknown agent {bad[0]!r}; the card's agents are {', '.join(AGENTS)}")
    if options.episodes < 1 or options.people < 0 or options.people_turns < 0:
        raise ConfigError("--episodes must be >= 1, --people and --people-turns >= 0")
    quick = options.quick
    return Plan(
        envs=tuple(options.envs), agents=tuple(options.agents), episodes=1 if quick else options.episodes,
        max_turns=MAX_TURNS, people=1 if quick else options.people, people_turns=3 if quick else options.people_turns,
        people_data=options.people_data, seed=options.seed, cycle_agents=quick,
    )  # fmt: skip


def _name(user) -> str:
    return user.kind + (f" {user.model}" if user.model else "")
