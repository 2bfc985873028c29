"""Example reviews for the demo, written for this project (none is taken from the IMDB data).

Each shows something a class can discuss: a clear verdict, a twist at the end, or a long
review whose opening only the variants with a large ``maxlen`` still read.
"""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    "Clearly positive": (
        "A warm, funny and beautifully acted film. The cast clearly loved making it, the music is "
        "wonderful and I left the cinema smiling. One of the best films I have seen this year."
    ),
    "Clearly negative": (
        "Two hours I will never get back. The plot makes no sense, the acting is wooden and the "
        "jokes fall flat. A boring, badly written mess that I would not recommend to anyone."
    ),
    "Bad start, great ending": (
        "The first half is slow and the dialogue is clumsy, and I almost walked out. But then the "
        "story comes together, the last act is brilliant and the ending moved me to tears. "
        "I am so glad I stayed."
    ),
    "Great start, bad ending": (
        "It opens beautifully: gorgeous photography, a lovely score and a charming lead who lights up "
        "every scene. Then it falls apart. The second half is dull, predictable and far too long, and "
        "the ending is a lazy, stupid cheat."
    ),
    "Long review that turns": (
        "I went in expecting very little and for a long time I was delighted to be proven wrong. "
        "The opening hour is a joy. The two leads have real chemistry, the dialogue is sharp and "
        "witty, and the director has a wonderful eye for small details: a glance across a crowded "
        "room, a song half heard through a wall, the light on a kitchen table early in the morning. "
        "The supporting cast is excellent too, especially the grandmother, who steals every scene "
        "she is in with perfect timing. I laughed out loud several times, and the audience around me "
        "did as well. The music is gentle and never tells you what to feel. For a while I honestly "
        "thought I was watching one of the best comedies of the decade, the kind of film you "
        "recommend to everyone you know. "
        "Then the story takes a turn that nothing has prepared you for, and it never recovers. "
        "Characters we have come to love behave like strangers for no reason at all. A subplot about "
        "a stolen painting appears from nowhere, goes nowhere and eats up forty minutes. The jokes "
        "dry up, the pacing collapses and the final scenes are loud, confused and painfully long. "
        "By the end I was checking my watch and wondering who thought this script was finished. "
        "What a waste of a great cast. I left angry and disappointed, and I cannot recommend it."
    ),
}

#: The example the page opens with.
DEFAULT_EXAMPLE = next(iter(EXAMPLES))

#: What each example shows, as the page says it under the examples; ``tests/test_examples.py``
#: checks each claim against the bundled zoo's answers.
EXAMPLE_CAPTIONS: dict[str, str] = {
    "Clearly positive": "Every variant should say positive.",
    "Clearly negative": "Every variant should say negative.",
    "Bad start, great ending": "A review that turns positive: the variants follow its last words.",
    "Great start, bad ending": "A review that turns negative: the variants follow its last words.",
    "Long review that turns": "A long review that turns from praise to anger: the answer follows the ending.",
}
