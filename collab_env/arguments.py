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
>>> args = parser.parse_args(expand_paths(["--env", "CollabMath-v0", "--user", "llm", "--user.model", "m"]))
>>> config_kwargs(args, EnvConfig)
{'env_id': 'CollabMath-v0', 'user': {'kind': 'llm', 'model': 'm', 'options': {}}}
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import re
import sys
import textwrap
import types
import typing
from collections.abc import Collection, Sequence
from typing import Any

from collab_env import pyast

#: Field name -> option name, where the field's own name would read badly on a command line.
FLAG_NAMES = {
    "env_id": "env",
    "model_options": "model-option",
    "datasets": "dataset",
    "agent_options": "agent-option",
}


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
    prefix: str = "",
    required: Collection[str] = (),
) -> list[str]:
    """Add one option per field of the dataclass ``cls`` to ``parser``.

    A field that holds a config of its own (``BenchConfig.env``, an
    :class:`~collab_env.config.EnvConfig`) is flattened: each of its fields is an option of its
    own name (``--max-turns``, ``--user-model``...), in a group titled by the field's
    ``metadata["group"]``, but those of ``metadata["omit"]`` (the outer config sets them) and
    with those of ``metadata["required"]`` required; its defaults are those of the field's
    default instance.

    Args:
        parser: The parser (or argument group) to add to.
        cls: A dataclass whose fields become options.
        skip: Fields to leave out (set by the command).
        defaults: Field defaults that this command overrides (shown in the help); a nested
            field's as ``"env.split"``.
        prefix: The ``dest`` prefix of a nested config's options (``"env."``).
        required: Fields whose options are required although they have defaults.

    Returns:
        The ``dest`` of each option added (``"env.max_turns"`` for a nested field).
    """
    hints = typing.get_type_hints(cls)
    docs = attribute_docs(cls)
    defaults = defaults or {}
    added = []
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        if f.metadata.get("part"):
            added += _add_part_options(parser, f, docs, prefix)
            continue
        inner = nested_config(hints[f.name])
        if inner is not None:
            group = parser
            if isinstance(parser, argparse.ArgumentParser) and f.metadata.get("group"):
                group = parser.add_argument_group(f.metadata["group"])
            own = {k.partition(".")[2]: v for k, v in defaults.items() if k.startswith(f"{f.name}.")}
            added += add_config_options(
                group, inner, skip=f.metadata.get("omit", ()), prefix=f"{prefix}{f.name}.",
                defaults={**config_values(_default(f)), **own}, required=f.metadata.get("required", ()),
            )  # fmt: skip
            continue
        added.append(_add_option(parser, f, hints[f.name], docs, defaults, prefix, f.name in required))
    for name, help_text in getattr(cls, "CLI_ALIASES", {}).items():
        if name not in skip:
            many = name == "model_options"
            parser.add_argument(flag(name), dest=prefix + name, default=None, help=help_text,
                                metavar="ROLE.KEY=VALUE" if many else flag(name)[2:].upper().replace("-", "_"),
                                **({"action": "extend", "type": _comma_list} if many else {}))  # fmt: skip
    return added


def _add_part_options(parser: Any, f: dataclasses.Field, docs: dict[str, str], prefix: str) -> list[str]:
    """``--user KIND`` and ``--user.KEY VALUE`` (read as ``--user-option KEY=VALUE``) of a part field."""
    dest = prefix + f.name
    parser.add_argument(
        f"--{f.name}", dest=dest, default=None, metavar="KIND", help=_plain(docs.get(f.name, ""))
    )
    parser.add_argument(
        f"--{f.name}-option", dest=dest + "_options", action="append", default=None,
        metavar="KEY=VALUE", help=f"an option of the {f.name} or its model: --{f.name}.model M, --{f.name}.KEY VALUE",
    )  # fmt: skip
    return [dest]


#: The parts whose options the command line writes by path (``--user.model M``).
PATH_PARTS = ("user", "judge", "agent")


def expand_paths(argv: Sequence[str]) -> list[str]:
    """``--user.KEY VALUE`` / ``--user.KEY=VALUE`` as ``--user-option KEY=VALUE`` (also ``judge``,
    ``agent``), and an agent's ``--model-option agent.KEY=VALUE`` as ``--agent-option KEY=VALUE``.

    >>> expand_paths(["--user", "llm", "--user.model", "m", "--judge.max-tokens=9"])
    ['--user', 'llm', '--user-option', 'model=m', '--judge-option', 'max_tokens=9']
    >>> expand_paths(["--model-option", "agent.max_tokens=9", "--model-option=user.max_tokens=3"])
    ['--agent-option', 'max_tokens=9', '--model-option=user.max_tokens=3']
    """
    out, items = [], list(argv)
    while items:
        token = items.pop(0)
        part, dot, key = token[2:].partition(".") if token.startswith("--") else ("", "", "")
        if dot and part in PATH_PARTS and key:
            key, eq, value = key.partition("=")
            if not eq:
                value = items.pop(0) if items else ""
            out += [f"--{part}-option", f"{key.replace('-', '_')}={value}"]
        elif token == "--model-option" and items and items[0].startswith("agent."):
            out += ["--agent-option", items.pop(0)[len("agent.") :]]
        elif token.startswith("--model-option=agent."):
            out += ["--agent-option", token[len("--model-option=agent.") :]]
        else:
            out.append(token)
    return out


def part_value(kind: str | None, options: Sequence[str] | None) -> dict[str, Any] | None:
    """A part's description from ``--user KIND`` and its ``KEY=VALUE`` options (``None``: not given).

    A model given without a kind is the ``llm`` kind's.

    >>> part_value(None, ["model=m", "protocol=roleplay"])
    {'kind': 'llm', 'model': 'm', 'options': {'protocol': 'roleplay'}}
    >>> part_value("heuristic", None)
    {'kind': 'heuristic', 'options': {}}
    """
    if kind is None and not options:
        return None
    pairs = dict(_key_value(item) for item in options or ())
    model = pairs.pop("model", None)
    value = {"kind": kind or ("llm" if model else None), "model": model, "options": pairs}
    return {k: v for k, v in value.items() if v is not None}


def _key_value(item: str) -> tuple[str, str]:
    from collab_env.errors import ConfigError

    key, eq, value = item.partition("=")
    if not eq or not key.strip():
        raise ConfigError(
            f"option {item!r} must read KEY=VALUE (written --PART.KEY VALUE), e.g. protocol=roleplay"
        )
    return key.strip().replace("-", "_"), value.strip()


def _add_option(
    parser: Any, f: dataclasses.Field, hint: Any, docs: dict[str, str], defaults: dict[str, Any],
    prefix: str, required: bool,
) -> str:  # fmt: skip
    """Add the option of one field; return its ``dest``."""
    default = defaults.get(f.name, _default(f))
    help_text = _plain(f.metadata.get("help") or docs.get(f.name, ""))
    dest = prefix + f.name
    options: dict[str, Any] = {"dest": dest, "default": None, "help": _with_default(help_text, default)}
    if f.metadata.get("choices"):
        options["choices"] = f.metadata["choices"]
    if required or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING):
        options.update(required=True, help=help_text)
    kind = _kind(hint)
    if "choices" not in options and ("action" not in kind or kind["action"] == "extend"):
        name = f.metadata.get("metavar") or flag(f.name)[2:].upper().replace("-", "_")
        kind["metavar"] = f"{name}[,...]" if kind.get("action") == "extend" else name
    parser.add_argument(flag(f.name), **options, **kind)
    return dest


def config_kwargs(
    args: argparse.Namespace, cls: type, *, skip: Collection[str] = (), prefix: str = ""
) -> dict[str, Any]:
    """The fields of ``cls`` that ``args`` gave a value (options left out stay at the default).

    Lists become tuples where the field is a tuple; a nested config's fields given are a dict
    under its name (``{"env": {"max_turns": 4}}``), which :func:`build_config` completes.
    """
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        if f.metadata.get("part"):
            value = part_value(
                getattr(args, prefix + f.name, None), getattr(args, f"{prefix}{f.name}_options", None)
            )
            if value is not None:
                out[f.name] = value
            continue
        inner = nested_config(hints[f.name])
        if inner is not None:
            given = config_kwargs(args, inner, prefix=f"{prefix}{f.name}.")
            if given:
                out[f.name] = given
            continue
        value = getattr(args, prefix + f.name, None)
        if value is not None:
            out[f.name] = tuple(value) if _origin(hints[f.name]) is tuple else value
    for name in getattr(cls, "CLI_ALIASES", {}):
        if name not in skip and getattr(args, prefix + name, None) is not None:
            out[name] = getattr(args, prefix + name)
    return out


def build_config(cls: type, given: dict[str, Any]) -> Any:
    """An instance of ``cls`` from :func:`config_kwargs`: a nested config's fields given (a dict)
    complete its default instance (``BenchConfig``'s ``EnvConfig(split="test")``...).

    Raises:
        ConfigError: as ``cls`` raises for a bad value.
    """
    hints = typing.get_type_hints(cls)
    kwargs = dict(given)
    for f in dataclasses.fields(cls):
        inner = nested_config(hints[f.name]) if f.init else None
        if inner is not None and isinstance(kwargs.get(f.name), dict) and not f.metadata.get("part"):
            kwargs[f.name] = getattr(inner, "from_kwargs", inner)(
                **{**config_values(_default(f)), **kwargs[f.name]}
            )
    return getattr(cls, "from_kwargs", cls)(**kwargs)


def merge_configs(saved: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``saved`` (a config's recorded fields) with ``given`` over it, nested configs field by field.

    >>> merge_configs({"episodes": 5, "env": {"max_turns": 4, "split": "test"}}, {"env": {"max_turns": 2}})
    {'episodes': 5, 'env': {'max_turns': 2, 'split': 'test'}}
    """
    out = {**saved, **given}
    for name, value in given.items():
        if isinstance(value, dict) and isinstance(saved.get(name), dict):
            out[name] = {**saved[name], **value}
    return out


def nested_config(hint: Any) -> type | None:
    """The config dataclass a field holds (``EnvConfig`` for ``EnvConfig | str``), else ``None``."""
    for arg in (hint, *typing.get_args(hint)):
        if isinstance(arg, type) and dataclasses.is_dataclass(arg):
            return arg
    return None


def config_values(config: Any) -> dict[str, Any]:
    """The init fields of a config instance as keyword arguments (``{}`` for anything else)."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        return {}
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.init}


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
        tree = pyast.parse(textwrap.dedent(inspect.getsource(cls)))
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
    if isinstance(default, bool):  # a user reads on/off, not Python's True/False
        shown = "on" if default else "off"
    else:
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
    args = parser.parse_args(expand_paths(sys.argv[1:] if argv is None else argv))
    return build_config(cls, config_kwargs(args, cls))


__all__ = [
    "FLAG_NAMES",
    "add_config_options",
    "attribute_docs",
    "build_config",
    "config_kwargs",
    "config_values",
    "expand_paths",
    "flag",
    "merge_configs",
    "nested_config",
    "parse_config",
    "part_value",
]
