"""Command-line options generated from configuration dataclasses.

Every field of a config dataclass becomes one option, named after the field (``max_turns`` is
``--max-turns``; ``env_id`` is ``--env``, the one rename), with the help text of
``field(metadata={"help": ...})`` or, failing that, of the class docstring's ``Attributes:``
section, and the choices of ``metadata["choices"]``; a field without a default is a required
option. Booleans are ``--flag`` / ``--no-flag``;
lists and tuples take comma-separated values and may be repeated (``--agents a,b --agents c``).

Every generated option defaults to ``None`` on the parsed namespace, and the help shows the
field's real default: :func:`config_kwargs` then keeps only what was given, so a command knows
which options a user typed (``bench --resume`` takes the rest from the run's log header).

>>> import argparse
>>> from collab_env.config import EnvConfig
>>> parser = argparse.ArgumentParser()
>>> _ = add_config_options(parser, EnvConfig, skip={"dataset"})
>>> args = parser.parse_args(["--env", "CollabMath-v0", "--model-option", "user.max_tokens=9"])
>>> config_kwargs(args, EnvConfig)
{'env_id': 'CollabMath-v0', 'model_options': ('user.max_tokens=9',)}
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Collection, Sequence
from typing import Any

#: Field name -> option name, where the field's own name would read badly on a command line.
FLAG_NAMES = {"env_id": "env", "model_options": "model-option", "datasets": "dataset"}


def flag(name: str) -> str:
    """The option of a field: ``--`` and the field name with dashes (``env_id``: ``--env``).

    >>> flag("max_turns"), flag("env_id")
    ('--max-turns', '--env')
    """
    return "--" + FLAG_NAMES.get(name, name.replace("_", "-"))


def add_config_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type,
    *,
    skip: Collection[str] = (),
    defaults: dict[str, Any] | None = None,
) -> list[str]:
    """Add one option per field of the dataclass ``cls`` to ``parser``.

    Args:
        parser: The parser (or argument group) to add to.
        cls: A dataclass whose fields become options.
        skip: Fields to leave out (already added from another config, or set by the command).
        defaults: Field defaults that this command overrides (shown in the help).

    Returns:
        The names of the fields added (the ``dest`` of each option).
    """
    hints = typing.get_type_hints(cls)
    docs = attribute_docs(cls)
    added = []
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        default = (defaults or {}).get(f.name, _default(f))
        help_text = _plain(f.metadata.get("help") or docs.get(f.name, ""))
        options: dict[str, Any] = {"dest": f.name, "default": None, "help": _with_default(help_text, default)}
        if f.metadata.get("choices"):
            options["choices"] = f.metadata["choices"]
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            options.update(required=True, help=help_text)
        kind = _kind(hints[f.name])
        if "choices" not in options and ("action" not in kind or kind["action"] == "extend"):
            name = f.metadata.get("metavar") or flag(f.name)[2:].upper().replace("-", "_")
            kind["metavar"] = f"{name}[,...]" if kind.get("action") == "extend" else name
        parser.add_argument(flag(f.name), **options, **kind)
        added.append(f.name)
    return added


def config_kwargs(args: argparse.Namespace, cls: type, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """The fields of ``cls`` that ``args`` gave a value (options left out stay at the default).

    Lists become tuples where the field is a tuple.
    """
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        value = getattr(args, f.name, None)
        if f.name in skip or value is None:
            continue
        out[f.name] = tuple(value) if _origin(hints[f.name]) is tuple else value
    return out


def attribute_docs(cls: type) -> dict[str, str]:
    """The first sentence of each entry of a Google-style ``Attributes:`` section.

    >>> from collab_env.config import EnvConfig
    >>> attribute_docs(EnvConfig)["max_turns"]
    'Assistant turns before truncation.'
    """
    doc = inspect.getdoc(cls) or ""
    section = doc.partition("Attributes:\n")[2]
    entries = re.findall(r"^    (\w+): (.+(?:\n        .+)*)", section, re.M)
    return {name: " ".join(text.split()) for name, text in entries}


def _plain(text: str) -> str:
    """Docstring markup as plain text: ``:mod:`x` `` and double backquotes dropped."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)
    return text.replace("``", "").rstrip(".")


def _with_default(help_text: str, default: Any) -> str:
    """The help with its default, unless the help already says it or there is nothing to say."""
    if "default" in help_text or default in (None, (), [], ""):
        return help_text
    shown = ",".join(map(str, default)) if isinstance(default, list | tuple) else default
    return f"{help_text} (default: {shown})"


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _origin(hint: Any) -> Any:
    """``list``/``tuple`` for list and tuple hints (optional or not), else the hint's base type."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return _origin(args[0]) if len(args) == 1 else str
    return typing.get_origin(hint) or hint


def _kind(hint: Any) -> dict[str, Any]:
    """argparse's ``type``/``action``/``metavar`` for a field's type hint."""
    base = _origin(hint)
    if base is bool:
        return {"action": argparse.BooleanOptionalAction}
    if base in (list, tuple, Sequence):
        return {"action": "extend", "type": _comma_list}  # comma-separated, and repeatable
    if base in (int, float):
        return {"type": base}
    return {"type": str}


def _comma_list(text: str) -> list[str]:
    """``"a, b,,c"`` as ``["a", "b", "c"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


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

    return EnvConfig(**{**(defaults or {}), **config_kwargs(args, EnvConfig), **fixed})


__all__ = [
    "FLAG_NAMES",
    "add_config_options",
    "add_env_options",
    "attribute_docs",
    "config_kwargs",
    "env_config",
    "flag",
]
