"""The command line's environment options: :class:`~collab_env.config.EnvConfig`'s fields, in every
command, by the generator of :mod:`collab_env.arguments`.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection
from typing import Any

from collab_env.arguments import (
    FLAG_NAMES,
    add_config_options,
    attribute_docs,
    build_config,
    config_kwargs,
    flag,
    merge_configs,
)


def add_env_options(
    parser: argparse.ArgumentParser, *, skip: Collection[str] = (), defaults: dict[str, Any] | None = None
) -> list[str]:
    """Add :class:`~collab_env.config.EnvConfig`'s options, in a group of their own.

    Args:
        parser: The command's parser.
        skip: Fields the command sets itself (``bench`` runs several envs: no ``--env``).
        defaults: Defaults that differ for this command (``split="test"`` to evaluate).

    Returns:
        The fields added.
    """
    from collab_env.config import EnvConfig

    group = parser.add_argument_group("environment (the same options in every command)")
    return add_config_options(group, EnvConfig, skip=skip, defaults=defaults)


def examples(*pairs: tuple[str, str]) -> dict[str, Any]:
    """Keyword arguments of ``add_parser`` that end a command's help with worked examples.

    Args:
        *pairs: ``(command line, what it does)``, each shown as typed, its effect below it.

    Returns:
        ``epilog`` and a formatter that keeps the examples' lines as written.
    """
    lines = ["example:" if len(pairs) == 1 else "examples:"]
    for command, what in pairs:
        lines += [f"  {command}", f"      {what}"]
    return {"epilog": "\n".join(lines), "formatter_class": argparse.RawDescriptionHelpFormatter}


def env_config(args: argparse.Namespace, defaults: dict[str, Any] | None = None, **fixed: Any) -> Any:
    """The :class:`~collab_env.config.EnvConfig` of a command's options.

    Args:
        args: The parsed options.
        defaults: The command's own defaults (as given to :func:`add_env_options`).
        **fixed: Fields the command sets, whatever the options say.

    Raises:
        ConfigError: for a bad value (an unknown env id, a bad model option...).
    """
    from collab_env.config import EnvConfig

    return EnvConfig.from_kwargs(**{**(defaults or {}), **config_kwargs(args, EnvConfig), **fixed})


__all__ = [
    "FLAG_NAMES",
    "add_config_options",
    "add_env_options",
    "attribute_docs",
    "build_config",
    "config_kwargs",
    "env_config",
    "examples",
    "flag",
    "merge_configs",
]
