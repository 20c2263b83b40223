"""The words by which a message shows whose it is: the lexicon of :mod:`collab_env.users.llm.guards`.

Each pattern is one register that a user's message never has (the assistant's service phrases,
narration of the conversation, the deliverable's own frame) or a form the guards look for (a
worked equation, a code fence, a function definition). The comment above each says what real
model output it was written from, and what human turns it must leave alone.
"""

from __future__ import annotations

import re

# The service register of an assistant, addressed to the person being helped: a user asks for
# help, so these are never the user's words. ("Let me know if you need more details." and "you
# can proceed to the next part" are a user's: issue 23.)
VOICE = re.compile(
    r"how (can|may) i (help|assist)|i'?d be (happy|glad) to (help|answer|assist|explain|clarify)"
    r"|(glad|happy) (that )?i could help"
    r"|is there anything else (i can|you need)|let me know if you (need|have) (anything|any (other|further) "
    r"(questions|help|assistance))|let me know if (you have|there are) any (other |further |more )?questions"
    r"|feel free to (ask|reach)|\b(meets?|fits?|suits?) your (requirements|needs|specifications)\b"
    r"|i hope (this|that)( \w+){0,3} helps|\bas an ai\b|once you have (the|your) .{1,60}, you can (proceed|calculate)"
    r"|here (is|are) your\b|\bi (can|could|will|'ll) help you\b|here(?:'s| is) (an example of )?how you can"
    r"|\bi (can(no|')t|am unable to) assist\b|so (that )?i can (better )?(assist|help) you"
    r"|\bi (don'?t|do not) have enough information to (answer|help|assist|complete|fulfil)"
    r"|^[^\S\n]*+\**(assistant|ai)\**\s*:"
    r"|\bi(?:'ll| will| am going to|'m going to) (now )?(write|draft|implement|code|calculate|compute|solve|create)"
    r" (the|this|that|your|it|a|an) (function|code|solution|program|script|calculation|answer|for you"
    r"|product description|description|document|draft)\b"
    r"|\bi(?:'ll| will) (write|draft|implement|code|calculate|compute|solve) (it|this|that|the \w+)( for you)? now\b"
    r"|\blet me (write|implement|calculate|compute|solve) (the|this|that|it) (function|code|solution|for you)\b"
    r"|here(?:'s| is) the (updated |revised |corrected |final )?(code|function|draft|document|solution)\b"
    r"|here(?:'s| is) an? (\w+ )?(function|program|script|solution|draft)\b"
    r"|\b(i'?m sorry|i apologi[sz]e),? but (i|as an ai)\b[^.!?\n]{0,20}\b(don'?t|do not|can'?t|cannot|am not|'m not)"
    r" (know|have|able|assist|help|understand)"
    r"|\bi(?:'ll| will) (keep|add|ensure|make sure|include)\b"
    r"|\b(can|could) you (please )?provide (me with )?(some )?(more )?(details|information)\b"
    r"|^[^\S\n]*+please provide the\b"
    # Stop 34, from the drift of stop 33 (tuned_on rows): thanks for the other side's interest, a
    # deliverable "prepared for you", waiting on the other side to be ready, asking it for input,
    # and the assistant's restatement of the brief ("I see, you want to keep the capitalisation").
    r"|\bthank you for your interest in\b|\bi(?:'ve| have) (prepared|written|drafted|created|put together)"
    r" (it|this|that|the|a|an)\b[^.!?\n]{0,40}\bfor you\b|\blet me know when you(?:'re| are) ready\b"
    r"|\bprovide (a |an |some )?(valid |correct )?input\b"
    r"|(^|[.!?]\s+)(i see|got it|understood|ok(?:ay)?|alright|i understand|i notice)( now)?\b[,.!]?\s*(so |that )?"
    r"you(?:'re| are)? (want|need|would like|'d like|asking|looking)\b"
    # Stop 34, from its first fresh set (batch c, tuned_on): the service register in general, an
    # offer to help the other side ("I'm excited to help you find the perfect chair"), what the
    # other side is looking for, an apology for "my last response", explaining to the other side.
    r"|\b(help|assist) you (find|with|choose|get|make|write|create|understand|figure|pick|decide)\b"
    r"|\b(excited|happy|glad|delighted|eager) to (help|assist|get started)\b|\byou(?:'re| are) looking for\b"
    r"|\bi understand your (request|question|concern|needs)\b|\bi'?m sorry if my\b"
    r"|\bmy (last|previous) (response|answer|reply)\b|\blet me explain (it|this|that) to you\b",
    re.I | re.M,
)
# Narration: the model describes the conversation or its own role instead of talking in it
# ("The assistant asked about the cost of each notebook, which I didn't provide.").
NARRATION = re.compile(
    r"\bthe assistant (has |had |just |is |was )?(asked|asks|asking|said|says|mentioned|provided|wrote|written"
    r"|suggested|responded|replied|explained|gave|given|offered|wants|needs|requested|did not|didn't)\b"
    r"|\bI should (now )?(respond|reply)\b|\bI should have (asked|said|mentioned|provided|told|given|answered)\b"
    r"|\b(as|being|playing) the user\b|\bthe user (wants|asked|needs|should|is|would)\b"
    r"|\bmy (next )?(response|reply|message) (is|will|should)\b|^[^\S\n]*+\**user\**\s*:"
    r"|\b(in|from) the (conversation|chat history|transcript)\b",
    re.I | re.M,
)
# A correction of the assistant's arithmetic ("3 x 2 = 6, not 8") is a user's; a bare worked
# calculation is solving.
CORRECTION = re.compile(r"\b(no|not|wrong|mistake|should be|instead|actually|isn't|incorrect)\b", re.I)
# Sentences that ask for something, with or without "?" ("Please list every detail: audience, tone").
REQUEST = re.compile(
    r"\?|\b(please|tell me|let me know|list|share|specify|provide|give me|describe|confirm|clarify)\b", re.I
)
# A boxed answer ("\\boxed{45 km/h}", its backslash sometimes lost to a JSON escape) is the
# solver's, never the asker's (stop 34).
BOXED = re.compile("(?:boxed|\x08oxed)\\{")
# A worked calculation: "40 * 0.9 = 36". Users state numbers; they do not compute the answer.
# A number is read from its first character on, whole (possessive), so that a long run of digits
# is scanned once.
EQUATION = re.compile(r"(?<![\d.,])[.,]*+\d[\d.,]*+\s*+[-+*/×x÷]\s*+\$?\d[\d.,]*+%?\s*+=\s*+\$?-?\d", re.I)
FENCE = re.compile(r"```(?:[\w+-]*\n)?(.*?)(?:```|$)", re.S)
# Code that defines what was asked for: a function with a body.
DEFINITION = re.compile(r"^[^\S\n]*+def \w++\s*+\(.*\)\s*(->[^:\n]*+)?:|^[^\S\n]*+function \w++\s*+\(", re.M)
# A template's placeholder ("Dear [Recipient]", "[Your Name]"): what a writer of the document leaves.
PLACEHOLDER = re.compile(
    r"\[(your |recipient|name|date|company|insert|first name|organi[sz]ation)[^\]\n]{0,30}\]", re.I
)
# The document's own frame or sales copy, written by the user (Qwen2.5-Coder-0.5B wrote the
# product description as its messages: "Welcome to our ergonomic desk chair! I'm thrilled that
# you're interested..."): a salutation or sign-off line, or copy addressed to the document's
# readers. None of SimulatorArena's 203 human turns has one.
DELIVERABLE = re.compile(
    r"^\s*(dear\b[^\n]{0,40},?\s*$|(kind|best|warm) regards\b|sincerely,?\s*$|yours (truly|sincerely))"
    r"|(^|[.!?]\s+)welcome to (our|the)\b|\bgreat addition to your\b"
    r"|\b(i'?m|we'?re|we are|i am) (thrilled|excited|delighted|pleased) (that you|to (introduce|present|share|announce|offer))"
    # Stop 34: the product's own copy ("It is designed with an attractive design, featuring LED
    # lights") and a greeting to the document's readers ("Hi our volunteers!", "Hello everyone,"):
    # people greet the assistant ("Hello", "Hey there!"), never a group.
    r"|\b(it(?:'s| is)|they(?:'re| are)) designed (to be|to make|with|for)\b"
    r"|^\s*(hi|hello|hey|greetings),?\s+(all|everyone|everybody|folks"
    r"|(our |my |dear )?(?!this\b|thanks\b|yes\b|guys\b)[a-z]{3,}s)\s*([!,.:]|$)",
    re.I | re.M,
)
# A greeting on its own ("Hi our volunteers!"): what is left of a draft pasted back with its
# salutation retyped.
GREETING = re.compile(r"^\W*(hi|hello|hey|dear|greetings)\b(\W+\w+){0,3}\W*$", re.I)
# The reply format's own placeholder written as the message ("<YOUR MESSAGE>").
FORMAT_PLACEHOLDER = re.compile(r"\s*+<[^<>\n]{1,30}>\s*")
# An output of the function stated by the user (issue 44: the 1.5 B coder model wrote an expected
# output "(1, 3, 5, 8, 11)" for running totals of [1, None, 2, 3, None, 4]): after "should
# return", "expected output", "->" or "==", a literal (a tuple, list, dict, quoted string or a
# decimal). Whole numbers are left out: "return 0 for an empty list" is a goal's detail. "should
# be" is left out too: "the separator should be '-'" names a detail, not an output.
OUTPUT = re.compile(
    r"(?:\bexpected (?:output|result|value|return(?: value)?)s?|\b(?:should|would|will|must) (?:return|give|output"
    r"|produce)|\breturns?|\boutputs?|\bgives?|\bproduces?|->|→|=>|==)"
    r"\s*+(?:is |are |would be |should be |of |:\s*)?"
    r"(?P<value>\([^()\n]*\)|\[[^\[\]\n]*\]|\{[^{}\n]*\}|'[^'\n]*'|\"[^\"\n]*\"|-?\d+\.\d+)",
    re.I,
)
# The kinds of document people ask for (SimulatorArena's document types, the Doc templates'), but
# for words that name other things in Math, Code and QA ("the letter" of a slug, "your review").
_KINDS = (
    r"blog post|blog|cover letter|e-?mail|newsletter|essay|article|speech|product description"
    r"|press release|announcement|invitation|flyer|poem|short story|resume"
)
# A document named as the one being written ("the blog post", "my letter"): an invented one is a
# profile of the document study leaking into another task (issue 44: "the blog post" in Math).
DOCUMENT_NAMED = re.compile(rf"\b(?:the|my|our|this|your) (?P<kind>{_KINDS})\b", re.I)
# A claim that the assistant's answer is right or complete, as an ending says it ("That's
# correct!", "Perfect, that's what I needed", "Exactly"): checked only against the task's verdict
# on that answer. A polite close that claims nothing ("Thanks, that works", "Looks good") is left
# to the person: it accepts what is good enough, and the loopback fixtures end with it.
AFFIRM = re.compile(
    r"\b(?:that|this|it)(?:'s| is) (?:(?:exactly|absolutely|totally|all|perfectly|just) )?(?:correct|right|perfect"
    r"|spot on|what i (?:needed|wanted|was looking for|asked for))\b|^\W*(?:correct|exactly|perfect|spot on)\b"
    r"|\byou got it\b|\b(?:looks|sounds) (?:right|correct|perfect)\b|\bthe answer is (?:correct|right)\b",
    re.I | re.M,
)
# A sentence that takes something back ("That's right, but..."): an acceptance with a correction.
CONTRAST = re.compile(r"\b(but|however|though|except|although|only)\b", re.I)
