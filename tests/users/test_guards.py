"""Each guard of the LLM user, on what a real small model wrote as the user (issue 18, case 4),
and on legitimate user content that must pass (a pasted snippet, a quoted draft)."""

from __future__ import annotations

import gymnasium as gym
import pytest

from collab_env.users.llm import guards

KETTLE = "math-test-00170"


def _episode(env_id: str, assistant: str):
    env = gym.make(env_id, split="test")
    obs, _ = env.reset(seed=0, options={"task_id": KETTLE} if env_id == "CollabMath-v0" else None)
    unwrapped = env.unwrapped
    messages = [*obs, {"role": "assistant", "content": assistant}]
    return messages, unwrapped.instance, unwrapped.task.facet_kinds


def _check(env_id: str, assistant: str, reply: str, max_words: int = 120):
    messages, instance, kinds = _episode(env_id, assistant)
    return guards.check(reply, messages, instance, kinds, max_words)


# A Math instance: a $40 kettle, 10% off, 8% sales tax.
@pytest.mark.parametrize(
    ("reply", "rule"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("I'm glad I could help you with your purchase!", "assistant_voice"),
        ("Once you have the price, you can proceed to calculate the tax.", "assistant_voice"),
        ("Let me know if you need anything else.", "assistant_voice"),
        # From the real-model benchmark (docs/models.md), on CollabCode-v0:
        ("Sure, I can help you with that.", "assistant_voice"),
        ("Here is an example of how you can use the `slugify` function:", "assistant_voice"),
        ("I'm sorry, but I can't assist with that. Please ask me for more information.", "assistant_voice"),
        ("The kettle is $40 and 10% off, so 40 * 0.9 = 36, and with 8% tax 38.88 dollars.", "solving"),
        (
            "I'm buying a kettle that is on sale. The kettle costs $40 before the sale. "
            "The discount is 10%. Sales tax is 8%.",
            "goal_dump",
        ),
    ],
)
def test_what_the_small_model_wrote_as_the_user_is_rejected(reply, rule):
    assert _check("CollabMath-v0", "Sure! What do you need to know?", reply) == rule


@pytest.mark.parametrize(
    ("assistant", "reply"),
    [
        ("How much does the kettle cost before the sale?", "it's $40"),
        ("What are the price, the discount and the tax rate?", "$40, 10% off and 8% tax"),
        ("Could you tell me more?", "it's on sale, 10% off i think"),
        ("The total is $43.20.", "hmm that seems off, the discount is 10%"),
    ],
)
def test_answers_a_user_would_give_pass(assistant, reply):
    assert _check("CollabMath-v0", assistant, reply) is None


def test_a_quoted_draft_in_a_code_fence_is_user_content_not_drift():
    draft = "def union_intervals(intervals):\n    out = []\n    for a, b in sorted(intervals):\n"
    draft += "        out.append((a, b))\n    return out"
    assistant = f"Here is a first version:\n```python\n{draft}\n```"
    reply = f"this one:\n```python\n{draft}\n```\nit merges touching ones, keep those apart"
    assert _check("CollabCode-v0", assistant, reply) is None


def test_a_pasted_snippet_is_user_content_not_drift():
    reply = "i ran it and got\n```\nTypeError: 'NoneType' object is not iterable\n```"
    assert _check("CollabCode-v0", "Try this version.", reply) is None


def test_code_that_solves_the_task_is_drift_even_in_a_fence():
    reply = "```python\ndef union_intervals(xs):\n    return sorted(xs)\n```"
    assert _check("CollabCode-v0", "What should it return?", reply) == "solving"


def test_a_long_message_is_rejected_but_a_long_quote_is_not():
    words = " ".join(f"word{i}" for i in range(40))
    assistant = f"Here is the draft: {words}."
    assert _check("CollabDoc-v0", assistant, f"> {words}\nmake it friendlier", max_words=20) is None
    assert _check("CollabDoc-v0", "Anything else?", words, max_words=20) == "long"


# Issue 23: each message a guard rejected on a real task instance, though a user writes it.
CANDLES = "math-test-00129"  # candles $2 x 3 and cards $2 x 1, paid with a $50 bill


def _check_on(task_id, assistant, reply):
    family = task_id.split("-")[0]
    env = gym.make(f"Collab{family.upper() if family == 'qa' else family.capitalize()}-v0", split="test")
    obs, _ = env.reset(seed=0, options={"task_id": task_id})
    messages = [*obs, {"role": "assistant", "content": assistant}]
    return guards.check(reply, messages, env.unwrapped.instance, env.unwrapped.task.facet_kinds, 120)


@pytest.mark.parametrize(
    ("task_id", "assistant", "reply"),
    [
        ("doc-test-00000", "Here is a first draft: ...", "Let me know if you need more details."),
        (
            "code-test-00000",
            "Here is the first part: ...",
            "Looks fine so far, you can proceed to the next part.",
        ),
        (
            CANDLES,
            "So the candles cost 8 dollars.",
            "No, I bought 3 of them at $2 each, so 3 x 2 = 6, not 8.",
        ),
        (
            "doc-test-00000",
            "Please list every detail: audience, tone, length.",
            "It's for our volunteers, formal, and short.",
        ),
        (
            "code-test-00000",
            "Here is my function: ...",
            "The assistant's function does not handle invalid input correctly. It should raise an error.",
        ),
        ("qa-test-00000", "Clara or Hana?", "Hana went to the hardware store on Thursday"),
        ("qa-test-00000", "Clara or Hana?", "Hana. She did not go on Monday, that was Clara."),
    ],
)
def test_what_users_write_is_not_rejected(task_id, assistant, reply):
    assert _check_on(task_id, assistant, reply) is None


@pytest.mark.parametrize(
    ("task_id", "reply", "rule"),
    [
        (
            "code-test-00000",
            "ASSISTANT: I agree, 'title_to_slug' sounds good. What about the rest?",
            "assistant_voice",
        ),
        ("code-test-00000", "I will write the function now.", "assistant_voice"),
        (
            "math-test-00000",
            "The assistant asked about the cost of each notebook, which I didn't provide. I should have asked.",
            "narration",
        ),
        ("math-test-00000", "Each notebook costs $5.", "contradiction"),
        ("code-test-00000", "Call it `make_slug`.", "contradiction"),
        ("qa-test-00000", "I mean Clara.", "contradiction"),
        ("qa-test-00000", "Hana went on Monday, and both of them plan carefully.", "contradiction"),
        ("doc-test-00000", "Dear [Recipient]", "solving"),
        (
            "doc-test-00000",
            "Sure! I will create a product description that meets your requirements.",
            "assistant_voice",
        ),
        (
            "doc-test-00000",
            "The date is Friday. I'd be happy to answer them before stock runs out.",
            "assistant_voice",
        ),
        ("doc-test-00000", "Thanks! Please let me know if there are any other questions.", "assistant_voice"),
        (
            "doc-test-00001",
            "I'm sorry, but I don't have enough information to answer this request.",
            "assistant_voice",
        ),
    ],
)
def test_the_drift_real_models_wrote_is_caught(task_id, reply, rule):
    assert _check_on(task_id, "What should I know?", reply) == rule


def test_repair_keeps_the_users_sentences_and_drops_the_drift():
    env = gym.make("CollabMath-v0", split="test")
    obs, _ = env.reset(seed=0)
    messages = [*obs, {"role": "assistant", "content": "How much is a notebook?"}]
    text = "The assistant asked about the notebooks. Each notebook costs $3."
    kept = guards.repair(text, messages, env.unwrapped.instance, env.unwrapped.task.facet_kinds, 120)
    assert kept == "Each notebook costs $3."


def test_asking_the_assistants_own_question_back_is_its_voice_but_answering_it_is_not():
    asked = "Before I start, a quick question: Who is the audience? What tone should it have?"
    assert _check_on("doc-test-00000", asked, "Sure! Who is the audience? What tone should it have?") == (
        "assistant_voice"
    )
    assert _check_on("doc-test-00000", asked, "The audience? Our volunteers. Formal.") is None


@pytest.mark.parametrize(
    "text",
    [
        "Welcome to our ergonomic desk chair! I'm thrilled that you're interested in our product.",
        "Dear volunteers,\nOur solar lamp lights your garden all night.",
        "Order online before stock runs out.\nKind regards,\nthe Marketing Team",
        "We believe it will be a great addition to your new home.",
    ],
)
def test_the_documents_own_prose_written_by_the_user_is_solving(text):
    assert guards.solves(text)


@pytest.mark.parametrize(
    "text",
    [
        "I want it to start with 'Welcome to the festival' and end with kind regards from me.",
        "Can you write a letter to my landlord? Start with Dear Mr Smith.",
        "It's for new customers, say we are pleased they joined",
    ],
)
def test_a_user_saying_what_the_document_should_say_is_not_solving(text):
    assert not guards.solves(text)


DRAFT = (
    "Here is the draft:\n\nHi our volunteers!\n\nHere is a product description about a solar garden lamp that "
    "we think you'll like.\nIt takes place on Friday, March 14, and please note that children are welcome.\n"
    "We kindly ask you to order online before stock runs out.\n\nCheers,\nthe team"
)


@pytest.mark.parametrize(
    ("assistant", "reply", "rule"),
    [  # stop 33's drift (Qwen2.5-Coder 0.5B and 1.5B), rows now marked tuned_on in user_drift.jsonl
        (DRAFT, "Hi our volunteers! It takes place on Friday, March 14 and please note that children are welcome.",
         "solving"),  # the draft pasted back, a comma dropped and its salutation retyped
        ("Who is it for?", "Hi volunteers!", "solving"),
        ("Who is it for?", "It is designed with an attractive design, featuring LED lights.", "solving"),
        ("Here is the draft: ...", "Thank you for your interest in the solar garden lamp!", "assistant_voice"),
        ("Here is the draft: ...", "Sure! Let me know when you're ready to finalize it.", "assistant_voice"),
        ("Before I start, a quick question: How long should it be?",
         "Before I start, a quick question: What is the length?", "assistant_voice"),
        ("Here is the function: ...", "I see, you want to keep the original capitalisation.", "assistant_voice"),
    ],
)  # fmt: skip
def test_the_drift_of_stop_33_is_caught(assistant, reply, rule):
    assert _check_on("doc-test-00000", assistant, reply) == rule


@pytest.mark.parametrize(
    ("task_id", "reply", "rule"),
    [  # stop 34's first fresh set (tuned_on in user_drift.jsonl)
        ("doc-test-00001", "Thank you for asking! I'm excited to help you find the perfect desk chair.", "assistant_voice"),
        ("doc-test-00001", "Tell me what kind of chair you're looking for.", "assistant_voice"),
        ("math-test-00000", "Hello! I'm sorry if my last response was not what you were looking for.", "assistant_voice"),
        ("math-test-00000", "The answer is \\boxed{45}", "solving"),
        ("doc-test-00000", "The audience for this launch is a group of young people.", "contradiction"),
    ],
)  # fmt: skip
def test_the_drift_of_stop_34s_first_fresh_set_is_caught(task_id, reply, rule):
    assert _check_on(task_id, "What should I know?", reply) == rule


def test_a_goal_detail_named_with_its_own_value_or_corrected_passes():
    assert _check_on("doc-test-00000", "Who is it for?", "The audience is our new customers.") is None
    assert (
        _check_on("doc-test-00000", "Who is it for?", "The audience is not students, it's new customers.")
        is None
    )


def test_naming_both_readings_is_no_answer_but_denying_one_is():
    asked = "Which one do you mean, Clara or Hana?"
    assert _check_on("qa-test-00000", asked, "I mean Clara, Hana.") == "contradiction"
    assert _check_on("qa-test-00000", asked, "Hana, not Clara.") is None


def test_asked_which_one_the_other_cousins_story_or_her_errand_is_the_wrong_reading():
    # The goal means Hana (hardware store, Thursday); Clara went to the market on Monday.
    asked = "Which one do you mean, Clara or Hana?"
    copied = "On Monday, Clara went to the market and bought fresh bread."
    assert _check_on("qa-test-00000", asked, copied) == "contradiction"
    assert _check_on("qa-test-00000", asked, "Hana went to the market and bought bread.") == "contradiction"
    assert _check_on("qa-test-00000", asked, "Hana, she went to the hardware store.") is None
    # Pointing at the story the assistant's wrong answer came from is a user's correction.
    assert _check_on("qa-test-00000", "Answer: Monday", copied) is None


def test_the_passages_own_sentence_naming_both_cousins_is_the_story_not_two_readings():
    env = gym.make("CollabQA-v0", split="test")
    obs, _ = env.reset(seed=0, options={"task_id": "qa-test-00000"})
    opening, instance = obs[0]["content"], env.unwrapped.instance
    assert "Clara and Hana are two cousins" in opening
    assert guards.contradicted(opening, [], instance) == []
    assert guards.contradicted("I mean Clara and Hana.", [], instance) == ["Clara"]


def test_a_drifted_message_said_again_drifts_again():
    env = gym.make("CollabDoc-v0", split="test")
    obs, _ = env.reset(seed=0)
    drift = "I have prepared it for you and am ready to send it."
    messages = [*obs, {"role": "assistant", "content": "Who is it for?"}, {"role": "user", "content": drift},
                {"role": "assistant", "content": "Thanks, who reads it?"}]  # fmt: skip
    instance, kinds = env.unwrapped.instance, env.unwrapped.task.facet_kinds
    assert guards.check(drift, messages, instance, kinds, 120) == "assistant_voice"


@pytest.mark.parametrize(
    ("assistant", "reply"),
    [
        ("Do you mean the one that starts with 's' or the one with 't'?", 'The one that starts with "s".'),
        ("Hi! Who is it for?", "Hello! It is for our volunteers."),
        (DRAFT, "Change 'We kindly ask you to order online before stock runs out' to something friendlier."),
    ],
)
def test_picking_an_option_greeting_the_assistant_or_quoting_a_line_to_change_pass(assistant, reply):
    assert _check_on("doc-test-00000", assistant, reply) is None


def _brief(tmp_path, intent: str, queries: list[str]):
    """A SimulatorArena-style conversation as the library's doc instance (title and description facets)."""
    import json

    from collab_env.tasks.doc.simarena import SimulatorArenaDataset

    path = tmp_path / "conversation.jsonl"
    record = {"id": "c0", "intent": intent, "document_type": "letter", "user_queries": queries,
              "ai_responses": ["What is the letter for?"] * len(queries)}  # fmt: skip
    path.write_text(json.dumps(record) + "\n")
    task = SimulatorArenaDataset(path)
    return task.instances[0], task.facet_kinds


FUNDRAISING = "Fundraising Appeal: Write a letter asking local businesses to sponsor a charity run."


@pytest.mark.parametrize(
    ("reply", "rule"),
    [  # the purpose facet is the title ("Fundraising Appeal"); the goal's sentence describes it
        ("The purpose of my letter is to get a few sponsors for our 5k run", None),
        ("The purpose of the letter is to invite businesses to our charity race.", None),
        # a value foreign to the whole goal is still a contradiction
        ("The purpose of my letter is to announce that our bakery opens on Monday.", "contradiction"),
        ("The purpose is a complaint about a late delivery.", "contradiction"),
    ],
)
def test_a_purpose_in_the_words_the_goal_describes_it_with_is_no_contradiction(tmp_path, reply, rule):
    instance, kinds = _brief(tmp_path, FUNDRAISING, ["Hello"])
    messages = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "What is the letter for?"},
    ]
    assert guards.check(reply, messages, instance, kinds, 120) == rule


def test_the_shared_simarena_turn_once_rejected_as_a_contradiction_passes():
    from collab_env.tasks.doc.simarena import SimulatorArenaDataset

    from ..conftest import SHARED_DATA

    path = SHARED_DATA / "simarena" / "doc_conversations.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared SimulatorArena sample)")
    task = SimulatorArenaDataset(path)
    instance = next(i for i in task.instances if i.metadata["id"] == "simarena-doc-044")
    chat = instance.metadata["conversation"]
    messages = [{"role": r, "content": c} for q, a in zip(chat["user_queries"][:2], chat["ai_responses"][:2], strict=True)
                for r, c in (("user", q), ("assistant", a))]  # fmt: skip
    person = chat["user_queries"][2]  # "The purpose of my letter is to propose a collaboration ..."
    assert guards.check(person, messages, instance, task.facet_kinds, 300) is None
    drifted = "The purpose of my letter is to sell my used car to a neighbour."
    assert guards.check(drifted, messages, instance, task.facet_kinds, 300) == "contradiction"
