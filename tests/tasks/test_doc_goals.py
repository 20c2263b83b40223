"""Doc goals hang together: every facet value of a test instance is one the compatibility table allows."""

from __future__ import annotations

from collab_env.tasks.doc import DocTask
from collab_env.tasks.doc import templates as T
from collab_env.tasks.doc.generator import choices

from .conftest import opening_only


def test_every_test_instance_draws_its_facets_from_the_compatibility_table():
    task = DocTask()
    for index in range(task.size("test")):
        instance = task.instance("test", index)
        doc_type, topic = instance.metadata["doc_type"], instance.metadata["topic"]
        allowed = choices(doc_type, topic)
        assert [f.kind for f in instance.facets] == list(allowed) == list(T.kinds(doc_type))
        for facet in instance.facets:
            assert facet.value in allowed[facet.kind], (instance.task_id, facet)
        assert instance.facet("audience").value in T.COMPATIBLE[doc_type]["topics"][topic]


def test_no_event_date_for_a_product_or_a_job_and_a_person_signs_a_cover_letter():
    task = DocTask()
    instances = [task.instance("test", i) for i in range(task.size("test"))]
    seen = {i.metadata["doc_type"] for i in instances}
    assert seen == set(T.COMPATIBLE)  # the split holds every document type
    for instance in instances:
        doc_type, kinds = instance.metadata["doc_type"], {f.kind for f in instance.facets}
        undated = doc_type in ("product description", "cover letter")
        assert ("date" in kinds) != undated
        assert ("takes place" in instance.reference.target) != undated
        if doc_type == "cover letter":
            assert instance.facet("audience").value in ("the hiring manager", "the recruitment team")
            assert not instance.facet("sender").value.startswith("the ")
        if doc_type == "product description":
            assert "customers" in instance.facet("audience").value


def test_the_drafter_asks_only_about_kinds_that_apply_to_the_document():
    task = DocTask()
    product = next(
        i
        for i in (task.instance("test", n) for n in range(50))
        if i.metadata["doc_type"] == "product description"
    )
    assert "date" not in task.drafter.missing(opening_only(product))
    assert "takes place" not in task.drafter.draft(opening_only(product))
    invitation = [{"role": "user", "content": "Can you write an invitation about a charity dinner?"}]
    assert "date" in task.drafter.missing(invitation)
