"""The job-text analyzer: tokens, skill phrases and n-grams as the features TF-IDF counts.

Features are the tokens of :mod:`matchers.tokens` with synonyms already normalised
(``k8s`` -> ``kubernetes``), every pair of neighbouring tokens, and the three-word skill
phrases of the skills table. A two- or three-word synonym is counted as its skill's key
(``amazon web services`` -> ``aws``), so a skill reads the same however it is spelled.
Words are not stemmed: the terms shown to mentors must be words they recognise.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from aggregator.core.models import Posting
from matchers.sections import split_description
from matchers.skills import SkillTable, default_table

# Short texts (titles, skills, roles) repeat across postings and mentees: their features
# are remembered, up to this many of them.
_SHORT = 160
_MEMO_LIMIT = 200_000
# Descriptions longer than this are cut: past it comes boilerplate (benefits, EEO text),
# and one very long posting should not cost as much as twenty ordinary ones.
BODY_CHARS = 12_000


class Analyzer:
    """Turns text into features with one skills table; callable like a scikit-learn analyzer."""

    def __init__(self, table: SkillTable | None = None) -> None:
        self.table = table or default_table()
        phrases = self.table.phrases
        self._pairs = {" ".join(p): key for p, key in phrases.items() if len(p) == 2}
        self._triples = {" ".join(p): key for p, key in phrases.items() if len(p) == 3}
        self._triple_heads = {t.rsplit(" ", 1)[0] for t in self._triples}
        self._memo: dict[str, tuple[str, ...]] = {}

    def __call__(self, text: str) -> list[str]:
        """The features of ``text``: unigrams, bigrams, skill phrases and implied skills."""
        if len(text) > _SHORT:
            return self._features(text)
        if text not in self._memo:
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            self._memo[text] = tuple(self._features(text))
        return list(self._memo[text])

    def _features(self, text: str) -> list[str]:
        tokens = self.table.tokens(text)
        features = list(tokens)
        if len(tokens) > 1:
            bigrams = list(map(" ".join, pairwise(tokens)))
            features.extend(map(self._pairs.get, bigrams, bigrams))
            self._add_triples(tokens, bigrams, features)
        implied = self.table.implied
        for token in sorted(implied.keys() & set(tokens)):
            key = implied[token]
            extra = tokens.count(token)
            if token in key.split(" "):  # "Ruby on Rails" already paired up as the key
                extra -= features.count(key)
            features.extend([key] * extra)
        return features

    def skills(self, text: str) -> list[str]:
        """The keys of the skills ``text`` names, longest phrase first: a skill whose words
        end a longer one's phrase is not named there ("video editing" names video
        production, not editing; "investment banking" names no banking), but one whose
        words open it is ("HubSpot Marketing" names HubSpot and marketing automation)."""
        return self._longest(self.table.tokens(text))

    def _longest(self, tokens: Sequence[str]) -> list[str]:
        display, implied = self.table.display, self.table.implied
        named: list[str] = []
        at = 0
        while at < len(tokens):
            for width, phrases in ((3, self._triples), (2, self._pairs)):
                key = (
                    phrases.get(" ".join(tokens[at : at + width]))
                    if at + width <= len(tokens)
                    else None
                )
                if key is not None:
                    named.append(key)
                    named.extend(self._longest(tokens[at : at + width - 1]))
                    at += width
                    break
            else:
                token = tokens[at]
                if token in display:
                    named.append(token)
                if token in implied:
                    named.append(implied[token])
                at += 1
        return named

    def _add_triples(self, tokens: list[str], bigrams: list[str], features: list[str]) -> None:
        triples = self._triples
        for head in sorted(self._triple_heads.intersection(bigrams)):
            at = bigrams.index(head)
            while True:
                if at + 2 < len(tokens):
                    key = triples.get(f"{head} {tokens[at + 2]}")
                    if key is not None:
                        features.append(key)
                try:
                    at = bigrams.index(head, at + 1)
                except ValueError:
                    break


def posting_title(posting: Posting) -> str:
    """The text of a posting that is weighted as its title."""
    return posting.title


def posting_body(posting: Posting) -> tuple[str, str]:
    """The rest of a posting's text (description, capped, and tags) as (what the job is
    and asks for, the employer's blurb, offer and process: see :mod:`matchers.sections`)."""
    job, rest = split_description(posting.description_text[:BODY_CHARS], posting.company)
    if posting.tags:
        job = f"{job}\n" + "\n".join(posting.tags)
    return job, rest
