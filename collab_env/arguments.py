"""Command-line options generated from configuration dataclasses: one generator for every command
and every benchmark script.

Every field of a config dataclass becomes one option, named after the field (``max_turns`` is
``--max-turns``; ``env_id`` is ``--env``, the one rename), with the help text of
``field(metadata={"help": ...})`` or, failing that, of the field's docstring (a string right
after the field, as benchmark scripts write them) or of the class docstring's ``Attributes:``
section, and the choices of ``metadata["choices"]``; a field without a default is a required
option. Booleans are ``--flag`` / ``--no-flag``; lists and tuples take comma-separated values
and may be repeated (``--agents a,b --agents c``).

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
import ast
import dataclasses
import inspect
import itertools
import re
import textwrap
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
    """Each field's docstring (a string right after it), else its entry of a Google-style
    ``Attributes:`` section.

    >>> from collab_env.config import EnvConfig
    >>> attribute_docs(EnvConfig)["max_turns"]
    'Assistant turns before truncation.'
    """
    doc = inspect.getdoc(cls) or ""
    section = doc.partition("Attributes:\n")[2]
    entries = re.findall(r"^    (\w+): (.+(?:\n        .+)*)", section, re.M)
    return {**{name: " ".join(text.split()) for name, text in entries}, **_field_docstrings(cls)}


def _field_docstrings(cls: type) -> dict[str, str]:
    """``{field: docstring}`` of the fields followed by a string literal in the class body."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):  # no source (a class built at run time)
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    out = {}
    for field_node, after in itertools.pairwise(body):
        if (
            isinstance(field_node, ast.AnnAssign)
            and isinstance(field_node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            out[field_node.target.id] = " ".join(after.value.value.split())
    return out


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


def parse_config(
    cls: type, description: str, argv: Sequence[str] | None = None, *, skip: Collection[str] = ()
) -> Any:
    """An instance of the dataclass ``cls`` from a command line: one option per field (see above).

    Args:
        cls: The config dataclass (a benchmark script's ``Args``...).
        description: The program's description (its first line is shown).
        argv: The arguments (default: ``sys.argv[1:]``).
        skip: Fields that are not options (they keep their defaults).

    Raises:
        ConfigError: as ``cls`` raises for a bad value.
    """
    parser = argparse.ArgumentParser(description=description.split("\n")[0])
    add_config_options(parser, cls, skip=skip)
    return cls(**config_kwargs(parser.parse_args(argv), cls))


__all__ = ["FLAG_NAMES", "add_config_options", "attribute_docs", "config_kwargs", "flag", "parse_config"]
