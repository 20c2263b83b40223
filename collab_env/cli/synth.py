"""``collab-env synth``: SFT and DPO data ranked by MR (TRL formats), with an audit trail.

Options: every field of :class:`~collab_env.agents.synth.SynthConfig` (``rank`` shares them), its
``env`` flattened into the environment's options (:class:`~collab_env.config.EnvConfig`'s).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape

from collab_env.cli.options import add_config_options, build_config, config_kwargs, examples, merge_configs


@dataclass
class SynthRun:
    """Where the data goes.

    Attributes:
        out: Output directory; an existing run of the same options there resumes.
    """

    out: str


def _synth_config_class() -> type:
    from collab_env.agents.synth import SynthConfig

    return SynthConfig


def add_ranking_options(
    p: argparse.ArgumentParser, skip: tuple[str, ...] = (), defaults: dict[str, Any] | None = None
) -> None:
    """SynthConfig's options: the env's, the agent, how candidates are sampled and scored."""
    add_config_options(p, _synth_config_class(), skip=skip, defaults=defaults)


def ranking_config(args: argparse.Namespace, defaults: dict[str, Any] | None = None) -> Any:
    """The :class:`~collab_env.agents.synth.SynthConfig` of the options.

    Args:
        args: The parsed options.
        defaults: The command's own defaults, as given to :func:`add_ranking_options`
            (``"env.split"`` for the env's).

    Raises:
        ConfigError: for a bad value.
    """
    given: dict[str, Any] = {}
    for name, value in (defaults or {}).items():
        outer, _, inner = name.partition(".")
        given = merge_configs(given, {outer: {inner: value}} if inner else {outer: value})
    return build_config(
        _synth_config_class(), merge_configs(given, config_kwargs(args, _synth_config_class()))
    )


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``synth`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "synth",
        help="write SFT and DPO data ranked by MR (TRL formats), with an audit trail",
        **examples(
            (
                "collab-env synth --env CollabMath-v0 --agent hf:models/qwen2.5-0.5b --episodes 100 --out data/math",
                "100 train episodes of a local checkpoint, its replies ranked by MR into data/math/",
            )
        ),
    )
    add_ranking_options(p)
    add_config_options(p, SynthRun)
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Play the episodes, write the data, and warn about data that cannot train anything."""
    from collab_env.agents.synth import diagnose, synthesize
    from collab_env.cli.preflight import preflight

    config = ranking_config(args)
    preflight([config.env], [config.agent])
    args.resume_hint = "the same command again: the run in --out resumes"
    counts = synthesize(config, args.out)
    written = ", ".join(f"{name} +{n}" for name, n in counts.items())
    console.print(f"wrote {escape(args.out)}: {written}")
    for warning in diagnose(args.out):
        console.print(f"[bold yellow]warning:[/] {escape(warning)}")
    return 0
