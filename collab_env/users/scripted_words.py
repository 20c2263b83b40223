"""What the scripted user says in its own words: the phrases around what it says of the goal.

None of them holds a goal detail; the persona's typos touch only these (:data:`FILLER`).
"""

from __future__ import annotations

#: What a chatty or plain persona says first, by what the assistant's message did: praise of a
#: question only after a question it answers, a word about the draft only after a draft.
_OPENERS = {
    "answer": ("Hmm, good question.", "Oh right, I forgot to say.", "Sure thing.", "Let me think... okay."),
    "dodge": ("Oh, that one.", "Let me think..."),
    "asked": ("Hmm, let me think.", "Let me think..."),
    "draft": ("Thanks, I had a look.", "Okay, I see.", "Hmm, let me see."),
    "accept": ("Oh nice.", "Ah, lovely."),
    "other": ("Hmm, okay.",),
}
#: What a chatty persona adds last while the chat goes on: a person's words, never an assistant's
#: sign-off ("Hope that helps.", "Let me know if..."); an ending (accepting, giving up) is last itself.
_CLOSERS = {
    "answer": ("Does that make sense?", "That's all I can think of.", "Thanks for asking."),
    "dodge": ("Sorry.", "Ask me again later maybe."),
    "asked": ("Sorry, I haven't thought about it much.",),
    "draft": ("Can you try again?", "Could you try that again?", "Does that make sense?"),
    "other": ("Thanks anyway.",),
}
_VAGUE = (
    "Hmm, I'm not sure. Whatever you think is best.",
    "I don't really know, just make it work.",
    "Not sure what you mean there.",
)
_ACCEPT = (
    "This is exactly what I needed, thank you!",
    "Perfect, that works. Thanks!",
    "Great, that's it. Thanks!",
)
#: What a person says when a draft first meets what they want and they are not done yet: they look
#: it over and check before they end, as people in SimulatorArena's conversations went on after a
#: draft that had everything ("Is there anything else that I should include?", "This is 500 words
#: or less right?"). It holds nothing new (no goal detail, no new request): the draft stands.
_FOLLOW_UP = (
    "Looks good. Is that everything?",
    "Okay, that works. Can you check it once more?",
    "Nice, that seems right. Let me go over it once more.",
    "Great, let me look it over once more.",
    "Okay, I think that's it. Let me check.",
    "Okay, that looks right to me.",
    "Good, I think that's all.",
)
_GIVE_UP = ("I don't think this is going anywhere. I'll stop here.", "Never mind, I'll figure it out myself.")
_EVASIVE = (
    "Hmm, I haven't decided that yet.",
    "Not sure, let me think about that one.",
    "Good question, I don't know yet.",
)
_NO_PREFERENCE = "I don't mind, you choose."
_SETTLED = "No need, it's fine as it is."
_CONFUSED = "I'm not sure how that helps. Can you help with what I asked?"
_TOO_MANY = "That's a lot of questions at once; I'll answer a couple."

#: Every phrase of the user's own that holds nothing of the goal (the only text typos touch).
FILLER = frozenset(
    (
        *(p for ps in (*_OPENERS.values(), *_CLOSERS.values()) for p in ps),
        *_VAGUE,
        *_EVASIVE,
        _NO_PREFERENCE,
        _CONFUSED,
        _TOO_MANY,
        _SETTLED,
        *_FOLLOW_UP,
    )
)
