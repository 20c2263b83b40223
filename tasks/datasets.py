"""Public data sets as task families: ``gym.make("CollabMath-v0", dataset="math:/path/to/MATH/test")``.

collab-env ships none of the paper's data; it reads the files you downloaded, in their published
formats. A *dataset spec* ``NAME:PATH`` picks a loader and a file or directory:

======================  ===========  ===========================================================
name                    env          format
======================  ===========  ===========================================================
``math``                CollabMath   MATH: a directory of one JSON per problem, or JSON Lines
``bigcodebench``        CollabCode   BigCodeBench: JSON Lines (``bigcode/bigcodebench`` records)
``abgcoqa``             CollabQA     Abg-CoQA: the JSON release (``{"data": [...]}``) or JSON Lines
``medium``              CollabDoc    Medium articles: CSV or JSON Lines with ``title`` and ``text``
``simarena``            CollabDoc    SimulatorArena's human conversations: JSON Lines with ``intent``
======================  ===========  ===========================================================

Each loader turns a record into a :class:`~collab_env.types.TaskInstance` whose facets the
scripted user can reveal (see docs/datasets.md), whose ``request`` is the complete original
request (the LLM user's hidden goal), and whose ``metadata`` names the file and record. A record
that cannot be used is rejected with its reason (``task.rejected``); a file that is not in the
format raises :class:`~collab_env.errors.DatasetError` naming the file, the record and the
problem. Both splits are the file itself: a data set is for evaluation, or for training on data
you chose.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, TextIO

import numpy as np

from collab_env.errors import ConfigError, DatasetError
from collab_env.facets import contents
from collab_env.task import Task, resolve
from collab_env.types import ChatMessage, FacetKind, TaskInstance

log = logging.getLogger(__name__)

#: Dataset name -> (task family, loader class).
DATASETS: dict[str, tuple[str, str]] = {
    "math": ("math", "collab_env.tasks.math.loader:MathDataset"),
    "bigcodebench": ("code", "collab_env.tasks.code.loader:BigCodeBenchDataset"),
    "abgcoqa": ("qa", "collab_env.tasks.qa.loader:AbgCoQADataset"),
    "medium": ("doc", "collab_env.tasks.doc.loader:MediumDataset"),
    "simarena": ("doc", "collab_env.tasks.doc.simarena:SimulatorArenaDataset"),
}


def parse_spec(spec: str) -> tuple[str, Path]:
    """``"NAME:PATH"`` -> (name, path), checked.

    Raises:
        ConfigError: for an unknown name, a malformed spec, or a path that does not exist.
    """
    name, sep, path = spec.partition(":")
    if not sep or not path:
        raise ConfigError(f"dataset spec {spec!r}: expected NAME:PATH, e.g. 'math:/data/MATH/test'")
    if name not in DATASETS:
        raise ConfigError(f"dataset spec {spec!r}: unknown data set {name!r}; known: {', '.join(DATASETS)}")
    if not Path(path).exists():
        raise ConfigError(f"dataset spec {spec!r}: {path} does not exist")
    return name, Path(path)


def load_dataset(spec: str, family: str | None = None) -> DatasetTask:
    """The task family of a dataset spec (loaded once per path and version of the path).

    Args:
        spec: ``NAME:PATH``.
        family: The env's family; a data set of another family is refused.

    Raises:
        ConfigError: for a bad spec or a data set of another family.
        DatasetError: for a file that is not in the data set's format.
    """
    name, path = parse_spec(spec)
    own = DATASETS[name][0]
    if family is not None and family != own:
        raise ConfigError(f"dataset {name!r} is for the {own} family, not {family}")
    # The path's own stat, not every file's: a MATH folder holds thousands of files and envs are
    # made per episode. A file's edits are seen; in a folder, added or removed files are.
    info = path.stat()
    return _load(name, str(path.resolve()), (info.st_mtime_ns, info.st_size))


@functools.lru_cache(maxsize=16)
def _load(name: str, path: str, stamp: tuple) -> DatasetTask:
    return resolve(DATASETS[name][1])(path)


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def read_records(path: Path, suffixes: Sequence[str] = (".json", ".jsonl")) -> Iterator[tuple[str, Any]]:
    """(where, record) for each JSON record under ``path``: a JSON Lines file, a JSON file, or a
    directory of either (recursively, in name order). ``where`` is ``file, line N`` or ``file``.

    Files may be gzip-compressed (``.jsonl.gz``, ``.json.gz``) and may start with a byte-order mark.

    Raises:
        DatasetError: naming the file and line of text that is not JSON.
    """
    files = [p for p in _files(path) if data_suffix(p) in suffixes] if path.is_dir() else [path]
    if not files:
        raise DatasetError(f"{path}: no {' or '.join(suffixes)} files (plain or .gz)")
    for file in files:
        text = _text(file)
        if data_suffix(file) == ".jsonl":
            for number, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    yield f"{file}, line {number}", _json(line, f"{file}, line {number}")
        else:
            yield str(file), _json(text, str(file))


def data_suffix(file: Path) -> str:
    """The suffix of a data file's content, through a ``.gz`` suffix.

    >>> data_suffix(Path("BigCodeBench.jsonl.gz")), data_suffix(Path("articles.CSV"))
    ('.jsonl', '.csv')
    """
    suffixes = [s.lower() for s in file.suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def open_text(file: Path) -> TextIO:
    """``file`` opened as UTF-8 text for reading: gzip-compressed or not, a byte-order mark dropped.

    Raises:
        DatasetError: if the file cannot be opened.
    """
    try:
        with open(file, "rb") as handle:
            compressed = handle.read(2) == b"\x1f\x8b"  # gzip's magic, whatever the name says
        if compressed:
            return gzip.open(file, "rt", encoding="utf-8-sig", newline="")
        return open(file, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DatasetError(f"{file}: cannot be read ({exc})") from exc


def _text(file: Path) -> str:
    try:
        with open_text(file) as handle:
            return handle.read()
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise DatasetError(f"{file}: not UTF-8 text, plain or gzip-compressed ({exc})") from exc


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from exc


def require(record: Any, fields: dict[str, type], where: str) -> None:
    """Check that ``record`` is an object with ``fields`` of the given types.

    Raises:
        DatasetError: naming the record and the first missing or mistyped field.
    """
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for field, kind in fields.items():
        if field not in record:
            raise DatasetError(f"{where}: missing field {field!r}")
        if not isinstance(record[field], kind):
            raise DatasetError(
                f"{where}: field {field!r} should be {kind.__name__}, got {type(record[field]).__name__}"
            )


class DatasetTask(Task):
    """A task family over the records of a data set file (subclassed per format).

    Subclasses set ``name``, ``metric_name``, ``facet_kinds``, ``accept_threshold`` and
    ``questions`` (the public questions for each facet kind, in order), and implement
    :meth:`parse` (one record -> instance, or a reason to reject it) and :meth:`draft`.

    Attributes:
        path: The file or directory read.
        instances: The usable records, in file order.
        rejected: ``(where, reason)`` for each record left out.
    """

    version: ClassVar[str] = "data"
    questions: ClassVar[dict[str, tuple[str, ...]]] = {}
    dataset_name: ClassVar[str] = ""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.instances: list[TaskInstance] = []
        self.rejected: list[tuple[str, str]] = []
        for where, record in self.records():
            outcome = self.parse(record, where, self.task_id("test", len(self.instances)))
            if isinstance(outcome, str):
                self.rejected.append((where, outcome))
            else:
                self.instances.append(outcome)
        for where, reason in self.rejected:
            log.info("%s: %s rejected: %s", self.dataset_name, where, reason)
        if not self.instances:
            raise DatasetError(
                f"{self.path}: no usable {self.dataset_name} record ({len(self.rejected)} rejected)"
            )
        digest = hashlib.sha256("".join(i.request for i in self.instances).encode()).hexdigest()[:12]
        self.version = f"{self.dataset_name}-{digest}"
        self._drafter = QuestionDrafter(self.facet_kinds, self.questions, self.draft)

    def records(self) -> Iterator[tuple[str, Any]]:
        """(where, raw record) for each record of the file (JSON by default)."""
        return read_records(self.path)

    def parse(self, record: Any, where: str, task_id: str) -> TaskInstance | str:
        """The instance of one record, or the reason it is rejected (raise for a corrupt file)."""
        raise NotImplementedError

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """A solution message from what the conversation revealed (public knowledge only)."""
        raise NotImplementedError

    def size(self, split: str) -> int | None:
        """Number of records (both splits are the file)."""
        super().size(split)
        return len(self.instances)

    def _cached_instance(self, split: str, index: int) -> TaskInstance:
        instance = self.instances[index]
        if split == "test":
            return instance
        return replace(instance, task_id=self.task_id(split, index))

    def make_instance(self, rng: np.random.Generator, task_id: str) -> TaskInstance:
        """Data sets are read, not generated: a record drawn with ``rng``."""
        return self.instances[int(rng.integers(len(self.instances)))]

    @property
    def drafter(self) -> QuestionDrafter:
        """Asks each facet kind's questions in turn; drafts with :meth:`draft`."""
        return self._drafter


class QuestionDrafter:
    """A drafter for real data: it knows the facet kinds' questions, not the answers.

    A kind is *missing* while one of its questions has not been asked; :meth:`question` gives the
    next unasked one, so a kind with several facets (a problem's conditions) is asked again.

    Args:
        kinds: The family's public facet kinds.
        questions: For each kind, its questions in order (the kind's own question when absent).
        draft: Writes a solution message from the conversation.
    """

    def __init__(
        self,
        kinds: Sequence[FacetKind],
        questions: dict[str, tuple[str, ...]],
        draft: Callable[[Sequence[ChatMessage]], str],
    ) -> None:
        self._questions = {k.name: questions.get(k.name, (k.question,)) for k in kinds}
        self._draft = draft

    def known(self, messages: Sequence[ChatMessage]) -> dict[str, str]:
        """Nothing is parsed from real data's replies: the answers stay in the conversation."""
        return {}

    def missing(self, messages: Sequence[ChatMessage]) -> list[str]:
        """Kinds with a question not asked yet, in the kinds' order."""
        said = " ".join(contents(messages, "assistant"))
        return [kind for kind, qs in self._questions.items() if any(q not in said for q in qs)]

    def question(self, kind: str, messages: Sequence[ChatMessage] = ()) -> str:
        """The next question about ``kind`` not asked yet (the last one when all were)."""
        said, qs = " ".join(contents(messages, "assistant")), self._questions[kind]
        return next((q for q in qs if q not in said), qs[-1])

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """A solution message (see the data set's ``draft``)."""
        return self._draft(messages)
