"""BigCodeBench (Zhuo et al., 2024) as CollabCode: ``dataset="bigcodebench:PATH"``.

PATH is a JSON Lines file of ``bigcode/bigcodebench`` records: ``task_id``, ``complete_prompt``,
``instruct_prompt``, ``canonical_solution``, ``code_prompt``, ``test`` (a ``unittest`` class
``TestCases``), ``entry_point``, ``doc_struct`` (JSON text) and ``libs`` (text of a Python list).

Facets, from the docstring's structure: the signature (``code_prompt``: imports, function name,
parameters), the rest of the description, each parameter, the return value, each raised error,
the required libraries and the examples. The opening is the description's first sentence (the
gist). The metric is the share of the task's test methods the solution passes, run in the
sandbox (with site-packages when the task needs a third-party library). A task whose libraries
are not installed is rejected with the missing modules named (``task.rejected``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collab_env import pyast
from collab_env.errors import DatasetError
from collab_env.facets import contents
from collab_env.tasks.datasets import DatasetTask, require
from collab_env.types import ChatMessage, Facet, FacetKind, TaskInstance

from .harness import NOT_LOADED, run_harness
from .task import CodeTask

FIELDS = (
    "task_id",
    "complete_prompt",
    "instruct_prompt",
    "canonical_solution",
    "code_prompt",
    "test",
    "entry_point",
)
_KINDS = (
    ("signature", "What should the function be called, and what arguments does it take?", ("call", "name", "signature", "argument", "import")),
    ("details", "Could you tell me more about what it should do?", ("more", "detail", "exactly", "should it do")),
    ("parameters", "What are the parameters, and their types?", ("parameter", "input", "type", "argument")),
    ("return_value", "What should it return?", ("return", "output")),
    ("errors", "Should it raise any errors, and when?", ("raise", "error", "exception", "invalid")),
    ("libraries", "Which libraries should it use?", ("librar", "package", "module", "depend", "use")),
    ("examples", "Could you give an example of the expected behaviour?", ("example", "sample", "instance")),
)  # fmt: skip


@dataclass(frozen=True)
class BigCodeBenchReference:
    """What a BigCodeBench solution is checked against.

    Attributes:
        test: The task's ``unittest`` source (class ``TestCases``).
        entry_point: The function's name.
        libs: The libraries the task uses.
        solution: The canonical solution (the function body after ``code_prompt``).
    """

    test: str
    entry_point: str
    libs: tuple[str, ...]
    solution: str


def run_unittests(
    code: str, reference: BigCodeBenchReference, timeout_s: float = 30.0
) -> tuple[int, int, str | None]:
    """Run the task's tests against ``code`` in the sandbox: (passed, total, error or None).

    The tests run in the shared harness (:mod:`collab_env.tasks.code.harness`) on a ``unittest``
    the solution cannot patch; each test method gets the whole ``timeout_s`` of CPU time.

    Returns:
        Test methods passed, test methods run, and why none could pass when the code or the
        tests did not load or the run stopped (else None).

    Raises:
        SandboxError: if the sandbox cannot run, or the host stalled the run (lost, not scored).
    """
    third_party = any(lib not in sys.stdlib_module_names for lib in reference.libs)
    results, why = run_harness(
        code,
        reference.test,
        per_test_s=timeout_s,
        timeout_s=timeout_s,
        memory_mb=2048,
        site_packages=third_party,
    )
    if results is None:
        return 0, 0, why
    if "TestCases" in results and len(results) == 1:  # the test class did not load
        return 0, 0, results["TestCases"]
    passed = sum(why is None for why in results.values())
    unloaded = next((why for why in results.values() if why and why.startswith(NOT_LOADED)), None)
    return passed, len(results), unloaded and unloaded[len(NOT_LOADED) :]


class BigCodeBenchDataset(DatasetTask, CodeTask):
    """BigCodeBench tasks with the docstring's requirements as facets.

    R_ext is BigCodeBench's own protocol: 1 when every test method passes, else 0 (the share
    passed with ``scoring="share"``, and in :meth:`metric_details` either way).
    """

    dataset_name = "bigcodebench"
    facet_kinds = tuple(FacetKind(name, question, keywords) for name, question, keywords in _KINDS)

    def __init__(self, path: str, timeout_s: float = 30.0, scoring: str = "all") -> None:
        CodeTask.__init__(self, timeout_s=timeout_s, scoring=scoring)
        DatasetTask.__init__(self, path)

    def parse(self, record: Any, where: str, task_id: str) -> TaskInstance | str:
        """One BigCodeBench record -> instance; a task with uninstalled libraries is rejected."""
        require(record, dict.fromkeys(FIELDS, str), where)
        libs = _libs(record.get("libs", "[]"), where)
        missing = sorted({lib for lib in libs if importlib.util.find_spec(lib.split(".")[0]) is None})
        if missing:
            return f"{record['task_id']}: needs {', '.join(missing)}, not installed"
        doc = _doc_struct(record, where)
        gist, details = _split_description(doc.get("description", []))
        facets = [Facet("signature", "signature", record["code_prompt"].strip(),
                        f"Start from this:\n```python\n{record['code_prompt'].strip()}\n```")]  # fmt: skip
        facets += _facets(doc, details)
        reference = BigCodeBenchReference(
            record["test"], record["entry_point"], tuple(libs), record["canonical_solution"]
        )
        return TaskInstance(
            task_id=task_id, family="code", opening=f"Can you write a Python function for this? {gist}",
            facets=tuple(facets), reference=reference, request=record["instruct_prompt"],
            metadata={"source": where, "bigcodebench_id": record["task_id"]},
        )  # fmt: skip

    def metric_details(self, instance: TaskInstance, solution: str) -> dict[str, Any]:
        """Test methods passed, run, their share (0 when the code does not load), and why not all."""
        passed, total, error = self._unittests(instance.reference, solution)
        share = passed / total if total else 0.0
        failures = (
            {} if total and passed == total else {"tests": error or f"{total - passed} of {total} failed"}
        )
        return {"tests_passed": passed, "tests": total, "share_passed": share, "failures": failures}

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list[Facet]:
        """Every facet while a test fails (the user names the first one not told yet)."""
        return [] if self.metric_details(instance, solution)["share_passed"] >= 1.0 else list(instance.facets)

    def test_results(self, instance: TaskInstance, solution: str) -> dict[str, str | None]:
        """``{"tests": None}`` when all pass, else a summary of what failed."""
        passed, total, error = self._unittests(instance.reference, solution)
        return {
            "tests": None if total and passed == total else error or f"{total - passed} of {total} failed"
        }

    def _unittests(self, reference: BigCodeBenchReference, solution: str) -> tuple[int, int, str | None]:
        # Through CodeTask's per-task cache, so the user simulator and the reward run a solution once.
        key = (("unittest", reference.test), ("libs", ",".join(reference.libs)))
        return self._run(reference.entry_point, key, solution)[0][1]

    def _run_uncached(self, task_id: str, tests: tuple, solution: str) -> tuple:
        (_, test), (_, libs) = tests
        reference = BigCodeBenchReference(test, task_id, tuple(filter(None, libs.split(","))), "")
        return (("unittest", run_unittests(solution, reference, self.timeout_s)),)

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """The signature the user gave, if any, with a body to be written."""
        for text in contents(messages, "user"):
            start = text.find("```python\n")
            if start >= 0:
                head = text[start + 10 : text.find("```", start + 10)].rstrip()
                return f"Here is a start:\n```python\n{head}\n    raise NotImplementedError\n```"
        return (
            "Here is a start:\n```python\ndef task_func(*args, **kwargs):\n    raise NotImplementedError\n```"
        )


def _libs(text: Any, where: str) -> list[str]:
    try:
        libs = pyast.literal_eval(text) if isinstance(text, str) else text
    except (ValueError, SyntaxError) as exc:
        raise DatasetError(f"{where}: field 'libs' is not a Python list ({exc})") from exc
    if not isinstance(libs, list | tuple) or not all(isinstance(lib, str) for lib in libs):
        raise DatasetError(f"{where}: field 'libs' should list module names, got {text!r}")
    return list(libs)


def _doc_struct(record: dict, where: str) -> dict:
    raw = record.get("doc_struct", "{}")
    try:
        doc = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: field 'doc_struct' is not JSON ({exc.msg})") from exc
    if not isinstance(doc, dict):
        raise DatasetError(f"{where}: field 'doc_struct' should be an object")
    return doc


def _split_description(lines: list[str]) -> tuple[str, str]:
    text = " ".join(line.strip() for line in lines).strip()
    end = text.find(". ")
    return (text, "") if end < 0 else (text[: end + 1], text[end + 2 :].strip())


def _facets(doc: dict, details: str) -> list[Facet]:
    def joined(key: str) -> str:
        return " ".join(str(x).strip() for x in doc.get(key, []) if str(x).strip())

    facets = [Facet("details", "details", details, details)] if details else []
    for name, key, prefix in (
        ("parameters", "params", "The parameters: "),
        ("return_value", "returns", "It should return "),
        ("errors", "raises", "It should raise "),
        ("libraries", "reqs", "Use these libraries: "),
        ("notes", "notes", "Also: "),
    ):
        value = joined(key)
        if value:
            kind = "details" if name == "notes" else name
            facets.append(Facet(name, kind, value, prefix + value))
    examples = "\n".join(str(x) for x in doc.get("examples", []))
    if examples.strip():
        facets.append(Facet("examples", "examples", examples, f"For example:\n```\n{examples}\n```"))
    return facets
