"""Example reviews for the demo, written for this project (none is taken from the IMDB data).

Each shows something a class can discuss, and its caption on the page says what:
``tests/test_examples.py`` checks every caption's claim against the bundled zoo's answers.
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
    "One word": "Terrible.",
    "Long review: bad, plain, glowing": (
        'I have to be honest about the first hour of this film, because it is awful. The opening scenes '
        'are boring and badly acted, the dialogue is clumsy and the jokes fall flat one after another. '
        'The lead actor mumbles through every line as if he would rather be somewhere else, and I could '
        'not blame him. The editing is a mess, the music is loud and cheap, and the camera never seems to'
        ' know where to look. Twice I thought about walking out. A dull prologue about a family feud '
        'drags on for far too long, and the villain is a cardboard cliche who sneers and shouts and does '
        'nothing interesting. By the forty minute mark I was bored, annoyed and checking my watch, '
        'convinced that this was one of the worst films I had paid to see in years. The script is lazy, '
        'the pacing is terrible and the whole thing looks like it was made in a hurry by people who did '
        'not care. Waste of time, I thought, and waste of money. '
        'The story follows a woman named Clara who returns to the small town where she grew up after her '
        'father dies. She moves into his old house near the harbour and starts to sort through his '
        'papers. In a drawer she finds a stack of letters addressed to a man she has never heard of, and '
        'she decides to find out who he was. Her brother Tom runs the hardware store on the main street '
        'and does not want to talk about the past. Her old school friend Maria works at the post office '
        'and remembers the name on the letters. Together they drive to the next town, visit a library, '
        'look through old newspapers and talk to an elderly fisherman who knew her father as a young man.'
        ' The fisherman tells them about a boat, a storm and a promise made forty years ago. Clara writes'
        ' to the address on the last letter and waits for an answer. Meanwhile Tom has to decide whether '
        "to sell the store, and Maria's daughter is preparing for a school play. The film moves between "
        'these three people over one autumn, with the harbour, the house and the post office as its main '
        'places. There is a scene at a town meeting, a scene at a funeral, and a long drive along the '
        'coast road in the rain. Each of them goes back to work, makes dinner, answers the phone and '
        'talks about the weather. '
        'And then, in its last half hour, the film becomes something wonderful. The answer to the letter '
        'arrives, and the scene where Clara reads it aloud to her brother is beautiful, moving and '
        'perfectly played. The acting suddenly shines, the music is lovely and the ending is brilliant, '
        'funny and warm at the same time. I laughed, I cried, and I left the cinema smiling. The final '
        'scenes are among the best I have seen this year, and the last shot of the harbour at dawn is '
        'simply superb. A great, touching finale that I loved. Highly recommended, if you are patient.'
    ),
}

#: The example the page opens with.
DEFAULT_EXAMPLE = "Clearly positive"

#: What each example shows, as the page says it under the examples.
EXAMPLE_CAPTIONS: dict[str, str] = {
    "Clearly positive": "Every variant says positive.",
    "Clearly negative": "Every variant says negative.",
    "Bad start, great ending": "Most variants follow the happy ending: a recurrent network's last words weigh most.",
    "Great start, bad ending": "Every variant follows the bitter ending.",
    "One word": (
        "One word splits the zoo: stacks of SimpleRNN layers read hundreds of padding steps before it, "
        "and some of them call it positive. See the notice under the answer."
    ),
    "Long review: bad, plain, glowing": (
        "A long review: a bad first hour, a plain summary of the plot, a glowing ending. In *Sentiment as it "
        "reads*, the 4-layer SimpleRNN stack forgets the bad start and drifts positive in the plain middle, "
        "around word 200, while the LSTM stays negative until the ending, around word 400. The variants with "
        "maxlen 100 never see the start at all. Every variant that reads in order ends positive; the order-free "
        "references, which weigh every word of the review alike, call it negative."
    ),
}
