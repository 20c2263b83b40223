"""Doc family: BLEU, document extraction and unmet facets."""

from __future__ import annotations

from collab_env.tasks.doc import DocTask
from collab_env.tasks.doc.metric import bleu

from .conftest import fully_informed


def test_bleu_is_one_for_the_target_and_low_for_unrelated_text():
    instance = DocTask().instance("test", 0)
    assert DocTask().score(instance, instance.reference.target) == 1.0
    assert bleu("Totally unrelated words about cooking pasta.", instance.reference.target) < 0.1


def test_document_is_extracted_from_common_shapes():
    task = DocTask()
    doc = "Dear all,\n\nWe are pleased to share news."
    assert task.extract_solution(f"Here is the draft:\n\n{doc}") == doc
    assert task.extract_solution(f"Sure.\n```\n{doc}\n```") == doc
    long_text = "Dear team, " + "we will meet on Friday at the lake house for a picnic. " * 6
    assert task.extract_solution(long_text) == long_text.strip()
    assert task.extract_solution("Who is the audience? What tone?") is None


def test_unmet_facets_name_what_the_draft_got_wrong():
    task = DocTask()
    instance = task.instance("test", 4)
    draft = task.extract_solution(task.drafter.draft(fully_informed(instance)))
    assert task.unmet_facets(instance, draft) == []
    sender = instance.facet("sender")
    assert [f.name for f in task.unmet_facets(instance, draft.replace(sender.value, "Nobody"))] == ["sender"]
