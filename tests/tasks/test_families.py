"""Properties every task family must have for the scripted user and the built-in agents.

Measured over the fixed test split: a draft from a conversation that revealed every hidden
facet passes the user's accept threshold, a draft from the opening alone does not, and the
drafter's questions reach the facets they are about.
"""

from __future__ import annotations

import pytest

from collab_env.facets import match_facets
from collab_env.registration import FAMILIES
from collab_env.task import resolve

from .conftest import fully_informed, opening_only

N = {"code": 40}  # the code family runs a sandbox per score; 40 instances cover every template
#: Share of opening-only drafts that must be rejected: a QA question has two readings, so a
#: guess is right about half of the time.
REJECTED = {"qa": 0.4}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def task(request):
    return resolve(FAMILIES[request.param])()


def _instances(task):
    return [task.instance("test", i) for i in range(N.get(task.name, task.test_size))]


def test_instances_are_deterministic_and_addressable(task):
    a = task.instance("test", 3)
    assert a == type(task)().instance("test", 3)
    assert task.get(a.task_id) == a and a.task_id == f"{task.name}-test-00003"


def test_train_and_test_splits_never_overlap(task):
    test_keys = {task.content_key(task.instance("test", i)) for i in range(task.test_size)}
    train_keys = {task.content_key(task.instance("train", i)) for i in range(300)}
    assert len(test_keys) == task.test_size and not test_keys & train_keys


def test_opening_hides_the_hidden_facets(task):
    for instance in _instances(task):
        assert instance.hidden_facets
        assert not any(f.statement in instance.opening for f in instance.hidden_facets)


def test_fully_informed_draft_is_accepted(task):
    instances = _instances(task)
    scores = [task.score(i, task.extract_solution(task.drafter.draft(fully_informed(i)))) for i in instances]
    assert sum(s >= task.accept_threshold for s in scores) >= 0.95 * len(instances)


def test_opening_only_draft_is_rejected(task):
    instances = _instances(task)
    scores = [task.score(i, task.extract_solution(task.drafter.draft(opening_only(i)))) for i in instances]
    assert sum(s < task.accept_threshold for s in scores) >= REJECTED.get(task.name, 0.8) * len(instances)


def test_drafter_knows_what_is_missing_and_learns_it(task):
    for instance in _instances(task)[:50]:
        missing = task.drafter.missing(opening_only(instance))
        assert len(missing) >= len(instance.hidden_facets)
        assert task.drafter.missing(fully_informed(instance)) == []


def test_drafter_questions_reveal_the_facets_they_ask_about(task):
    for instance in _instances(task)[:50]:
        conversation = opening_only(instance)
        revealed = set()
        for slot in task.drafter.missing(conversation):
            matched = match_facets(
                task.drafter.question(slot, conversation), instance.facets, task.facet_kinds
            )
            assert matched, f"{instance.task_id}: question about {slot} matches no facet"
            revealed.add(matched[0].name)
        assert revealed == {f.name for f in instance.hidden_facets}


def test_questions_are_not_solutions(task):
    instance = task.instance("test", 0)
    for slot in task.drafter.missing(opening_only(instance)):
        assert task.extract_solution(task.drafter.question(slot, opening_only(instance))) is None


def test_scores_stay_in_unit_interval_on_junk(task):
    instance = task.instance("test", 0)
    for junk in ("", "42", "```python\nimport os\n```", "Answer: nothing at all", "x" * 500):
        assert 0.0 <= task.score(instance, junk) <= 1.0
