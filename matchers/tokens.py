"""Tokenisation of job text: lowercase words that keep C#, C++, .NET, Node.js and CI/CD whole.

The analyzer in :mod:`matchers.text` builds features on top of these tokens; the skills
table in :mod:`matchers.skills` is tokenised the same way, so the two always agree.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from itertools import chain

# A word, optionally joined to more words by - . / & # + (node.js, ci/cd, r&d, t-sql) and
# followed by # or + (c#, c++); or .net standing alone.
TOKEN_PATTERN = re.compile(r"(?<![\w.])\.net\b|\w+(?:[-./&#+]\w+)*[#+]*")
JOINERS = re.compile(r"[-./&]+")
# A pay rate ("190/hr", "60k/yr") says how a job pays, not what it is: no word of it is a
# token ("hr" would read as human resources).
_RATE = re.compile(r"\d+(?:[.,]\d+)?k?/(?:hr|h|hour|yr|year|mo|month|wk|week|day|annum)")
_LETTER = re.compile(r"[^\W\d_]")
# ASCII punctuation other than the joiners -./&#+, and every ASCII space (a line break
# too), becomes a space; ASCII capitals lowercase.
_BYTE_TABLE = bytes(
    32 if chr(b) in "!\"$%'()*,:;<=>?@[\\]^_`{|}~\t\n\r\x0b\x0c" else b + 32 if 65 <= b <= 90 else b
    for b in range(256)
)
# Distinct raw chunks remembered per tokenizer; past this the memo starts afresh.
_MEMO_LIMIT = 400_000

# Function words only. General-purpose lists (scikit-learn's among them) also drop words
# such as "front", "full", "back" and "system" that job titles are made of.
STOP_WORDS: frozenset[str] = frozenset(
    (  # noqa: SIM905 - a word list reads better as text
        "a about above after again against all also am an and any are as at be because been "
        "before being below between both but by can could did do does doing down during each "
        "either etc ever every few for from further had has have having he her here hers "
        "herself him himself his how however i if in into is it its itself just let may me "
        "might more most must my myself no nor not now of off on once only or other others our "
        "ours ourselves out over own per same shall she should so some such than that the their "
        "theirs them themselves then there these they this those through thus to too under "
        "until up upon us very via was we were what when where whether which while who whom "
        "whose why will with within without would yet you your yours yourself yourselves s t re "
        "ve ll d m don doesn didn isn aren wasn weren won couldn shouldn wouldn hasn haven www "
        "http https com amp nbsp b e f g h j k l n o p q u v w x y z"
    ).split()
)


def words(text: str) -> list[str]:
    """The raw lowercase tokens of ``text``, before stop words or joined words are handled."""
    return TOKEN_PATTERN.findall(text.lower())


class Tokenizer:
    """Lowercase tokens without stop words or bare numbers, with spellings normalised.

    Joined words are split at - . / & unless they are in ``keep`` (the skills table's own
    spellings such as ``node.js`` and ``ci/cd``); a token in ``expand`` is replaced by its
    words (``k8s`` -> ``kubernetes``), and the word pairs in ``joins`` become one word
    (``front end`` -> ``frontend``). What a raw token becomes is remembered, so job
    text, which repeats its words, is mostly dictionary look-ups.
    """

    def __init__(
        self,
        keep: Collection[str] = (),
        expand: Mapping[str, tuple[str, ...]] | None = None,
        joins: Mapping[str, str] | None = None,
    ) -> None:
        self.keep = frozenset(keep)
        self.expand = dict(expand or {})
        self.joins = [(f" {a} ".encode(), f" {b} ".encode()) for a, b in (joins or {}).items()]
        self._memo: dict[bytes, tuple[str, ...]] = {}

    def __call__(self, text: str) -> list[str]:
        """The tokens of ``text``."""
        # Splitting bytes at ASCII punctuation is several times faster than a regex over
        # str; each distinct chunk then goes through the regex once, in _chunk.
        data = b" " + text.encode("utf-8", "replace").translate(_BYTE_TABLE) + b" "
        if b". " in data:
            # A full stop ends no token ("node.js" has no space after its dot); as a space
            # it lets a sentence's last words join ("…the east coast workday.").
            data = data.replace(b". ", b"  ")
        for spaced, joined in self.joins:
            if spaced in data:
                data = data.replace(spaced, joined)
        chunks = data.split()
        memo = self._memo
        unseen = set(chunks).difference(memo)
        if unseen:
            if len(memo) > _MEMO_LIMIT:
                memo.clear()
                unseen = set(chunks)
            for chunk in unseen:
                memo[chunk] = self._chunk(chunk)
        return list(chain.from_iterable(map(memo.__getitem__, chunks)))

    def _chunk(self, chunk: bytes) -> tuple[str, ...]:
        raw = TOKEN_PATTERN.findall(chunk.decode("utf-8", "replace").lower())
        return tuple(chain.from_iterable(map(self._normalise, raw)))

    def _normalise(self, token: str) -> tuple[str, ...]:
        if token in self.expand:
            return self.expand[token]
        if token in STOP_WORDS or not _LETTER.search(token):
            return ()
        if token.isalnum() or token in self.keep or not JOINERS.search(token):
            return (token,)
        if _RATE.fullmatch(token):
            return ()
        parts = (self._normalise(part) for part in JOINERS.split(token) if part)
        return tuple(chain.from_iterable(parts))


def tokenize(
    text: str,
    keep: Collection[str] = (),
    expand: Mapping[str, tuple[str, ...]] | None = None,
    joins: Mapping[str, str] | None = None,
) -> list[str]:
    """One-off tokenisation with :class:`Tokenizer` (used to read the skills table)."""
    return Tokenizer(keep, expand, joins)(text)
