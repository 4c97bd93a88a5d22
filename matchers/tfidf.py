"""The TF-IDF matcher: postings and profiles as weighted term vectors, scored by cosine.

How a score is made:

* Postings are analysed with :class:`matchers.text.Analyzer` (skill phrases, synonyms,
  bigrams). Title and body are weighted separately with scikit-learn's
  ``TfidfTransformer`` (sublinear tf, smoothed idf, l2 norm) and added with the title
  ``Settings.title`` times as heavy as the body; each posting keeps its
  ``Settings.posting_terms`` strongest terms.
* A profile is the weighted sum of its target roles, its skills and its free text (about +
  résumé), each normalised first so a long résumé cannot drown a short skills list; it
  keeps its ``Settings.profile_terms`` strongest terms, which is what keeps a long
  résumé's stray words (employers, towns, typos) from deciding anything.
* The score is the cosine of the two vectors, clipped to 0..1 and rounded to 4 places.
* Feedback that holds both likes and dislikes moves a copy of the profile (Rocchio): what
  liked postings ask for is added, what disliked ones ask for subtracted, before it is
  expanded; the expansion leaves out the liked postings themselves, whose blurb and
  employer feedback means to leave out. The score is then the weighted geometric mean of
  the profile's own score and the moved profile's, if the marks agree (most of them placed
  better by the move the others make: ``Settings.feedback_agreement``). Whatever the
  feedback, postings that ask nearly what a liked one asks rise and those asking more
  like a disliked one than any liked one fall; one-sided feedback moves nothing else.
  Only postings the profile alone ranks near its top can rise: a posting far from the
  profile cannot jump onto the first page because of one like.
* Feedback with both likes and dislikes also moves scores in the space of titles: the role
  a title names (its terms without the employer's name, rank words or bare job nouns), a
  posting's score times exp(``feedback_title_pull`` x its highest title cosine with a like
  - ``feedback_title_push`` x its highest with a dislike), if the marks agree on titles as
  well (``Settings.feedback_title_agreement``). The model keeps its reference postings'
  titles for that test.

Incremental use: ``fit`` learns the vocabulary and idf from (a deterministic sample of at
most ``FIT_SAMPLE``) postings. The fitted model is reusable across runs through
:func:`dump_matcher` / :func:`load_matcher` (bytes; the caller stores them), so new
postings are scored against the model already fitted instead of refitting on the whole
corpus each run. Refit when :meth:`TfidfMatcher.needs_refit` says the corpus has grown by
``REFIT_GROWTH`` since the fit; a refit changes :attr:`TfidfMatcher.fingerprint`, and
stored scores made under another fingerprint are stale.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from aggregator.core.models import Match, Posting
from matchers.alternatives import alternatives_matrix
from matchers.asked import firmly_asked_matrix
from matchers.explain import GAP_PEERS, Explainer, Peers, in_own_words
from matchers.filters import PostingFacts, keyword_pattern, searchable_text
from matchers.profile import Feedback, Profile
from matchers.text import Analyzer, posting_body, posting_title
from matchers.vectors import count_matrix, keep_columns, keep_strongest, strongest

FIT_SAMPLE = 20_000  # postings the vocabulary and idf are learned from, at most
REFERENCE_SIZE = 2_000  # postings of that sample kept in the model for profile expansion
# A stored model inflates to a few MB (terms, idf, the reference postings' vectors and titles).
MAX_MODEL_BYTES = 256 * 1024 * 1024
MIN_DF = 2  # a term must occur in this many sampled postings to be in the vocabulary
MAX_FEATURES = 300_000
REFIT_GROWTH = 0.25  # refit once the corpus is this much larger than at the last fit
_BATCH = 2_048  # postings vectorised at a time (bounds the memory of analysis)
_PROFILE_CACHE = 50_000  # profiles whose vectors a matcher remembers between calls
_NEAR_COPY = 0.8  # cosine at which a reference posting counts as a copy of a liked one
# How many of a profile's nearest reference postings beyond GAP_PEERS are read, so that
# GAP_PEERS are left once copies of the posting explained are skipped.
_COPIES_SKIPPED = 10
_EMPLOYER_MEMO = 100_000  # employers whose name columns a matcher remembers
_MARKED_MEMO = 10_000  # marked postings whose vectors a matcher remembers
_FORMAT = b"mentor-leads tfidf 2\n"  # 2: the reference titles


@dataclass(frozen=True, slots=True)
class Settings:
    """The matcher's weights: one set for every data set (see benchmarks/match_quality.py)."""

    title: float = 0.5  # posting title weight, relative to the body
    roles: float = 1.0  # profile field weights, each field normalised first
    skills: float = 1.0
    text: float = 1.0
    skill_boost: float = 1.5  # weight of skill terms relative to other words
    boilerplate: float = 0.5  # weight of a body's blurb, offer and EEO text (matchers.sections)
    posting_terms: int = 150  # terms kept per posting
    profile_terms: int = 100  # terms kept per profile
    expansion_docs: int = 5  # pseudo-relevance feedback: the best postings added to a profile
    expansion_weight: float = 1.0
    # Feedback (benchmarks/match_feedback.py): Rocchio weights of what liked and disliked
    # postings ask for, the exponent (0..1) of the moved profile's score in the geometric
    # mean with the score before, and how many of a profile's best reference postings' scores a
    # posting needs to be able to rise.
    liked: float = 3.0
    disliked: float = 1.0
    feedback_share: float = 0.5
    feedback_reach: int = 80
    # How far postings close to marked ones move (see TfidfMatcher._nudges): the weights of
    # the margin a near-copy of a liked posting rises and one near a disliked posting falls
    # by, and the cosine of asks above which a posting counts as near a disliked one.
    feedback_pull: float = 0.3
    feedback_push: float = 0.6
    feedback_near: float = 0.3
    # The share of its score by which likes and dislikes together must change a posting's
    # score before it moves (see TfidfMatcher._trusted).
    feedback_trust: float = 0.2
    # The share of a profile's marks that a move made from its other marks must rank better
    # than the profile alone for likes and dislikes to move the profile (see
    # TfidfMatcher._agreement); 0 lets every profile with both kinds move.
    feedback_agreement: float = 0.6
    # A second move, in the space of titles (see TfidfMatcher._title_factors): a posting of
    # a profile with both kinds of marks is scored times exp(title_pull x its highest title
    # cosine with a liked posting - title_push x its highest with a disliked one), where at
    # least feedback_title_agreement of the marks agree in that space.
    feedback_title_pull: float = 1.0
    feedback_title_push: float = 0.5
    feedback_title_agreement: float = 0.5


# The Settings that only say how feedback moves scores (no vector depends on them).
FEEDBACK_SETTINGS = frozenset(
    ("liked", "disliked", "feedback_share", "feedback_reach", "feedback_pull", "feedback_push",
     "feedback_near", "feedback_trust", "feedback_agreement", "feedback_title_pull",
     "feedback_title_push", "feedback_title_agreement")
)


class _Vectorised(NamedTuple):
    """Postings' rows of each kind (postings x terms, l2-normalised rows)."""

    vectors: sp.csr_matrix  # what a posting is scored by
    asks: sp.csr_matrix  # what its title and requirements ask (see TfidfMatcher._asks)
    titles: sp.csr_matrix  # the role its title names (see TfidfMatcher._titles)


VectorKind = Literal["vectors", "asks", "titles"]


@dataclass(frozen=True)
class PostingIndex:
    """Postings vectorised by one fitted matcher, with their filterable facts."""

    keys: tuple[str, ...]
    postings: tuple[Posting, ...]
    vectors: sp.csr_matrix  # postings x terms, rows l2-normalised
    by_term: sp.csr_matrix  # the transpose, for profile x posting products
    asks: sp.csr_matrix  # postings x terms: what the title and requirements ask (see _asks)
    titles: sp.csr_matrix  # postings x terms: the role its title names (see _titles)
    facts: PostingFacts
    model: str  # fingerprint of the matcher that built it
    # Per posting row, its lists of alternative skills (columns, number of list) and the
    # skills it firmly asks (columns, 1): found when the posting is first explained, as most
    # postings of a large index never are.
    alternatives: dict[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, compare=False, repr=False)
    firmly_asked: dict[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, compare=False, repr=False)
    # The model's reference postings that are copies of a posting (see _NEAR_COPY): found
    # when it is first explained, as its nearest postings are read without them.
    copies: dict[int, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def wordless(self) -> int:
        """Postings with no term of the model (no words, or none it knows): never matched."""
        return int(np.count_nonzero(np.diff(self.vectors.indptr) == 0))

    def row_of(self, posting: Posting) -> int | None:
        """The row of a posting equal to ``posting`` (same source and id or URL), if any."""
        return self._identities.get(_identity(posting))

    @cached_property
    def _identities(self) -> dict[tuple[str, str], int]:
        return {_identity(p): row for row, p in enumerate(self.postings)}


class TfidfMatcher:
    """Ranks postings for mentee profiles; ``fit`` first, then ``rank`` or ``rank_many``."""

    def __init__(self, settings: Settings | None = None, analyzer: Analyzer | None = None) -> None:
        self.settings = settings or Settings()
        self.analyzer = analyzer or Analyzer()
        self.terms: tuple[str, ...] = ()
        self.n_documents = 0
        self._transformer: TfidfTransformer | None = None
        self._vocabulary: dict[str, int] = {}
        self._reference = sp.csr_matrix((0, 0), dtype=np.float32)
        self._reference_titles = sp.csr_matrix((0, 0), dtype=np.float32)
        self._profile_cache: dict[Profile, _Vectors] = {}
        self._employers: dict[str, np.ndarray] = {}
        self._marked: dict[Posting, _Vectorised] = {}  # see _marked_vectors

    # -- fitting -----------------------------------------------------------------------

    def fit(self, postings: Iterable[Posting]) -> TfidfMatcher:
        """Learn the vocabulary and idf from ``postings`` (a deterministic sample if many)."""
        corpus = list(postings)
        sample = _sample(corpus, FIT_SAMPLE)
        seen: dict[str, int] = {}
        documents = []
        for posting in sample:
            features = set(self.analyzer(posting_title(posting)))
            for part in posting_body(posting):
                features.update(self.analyzer(part))
            if features:  # a posting without words ("!!!", a bare link) teaches nothing
                columns = (seen.setdefault(f, len(seen)) for f in features)
                documents.append(np.fromiter(columns, np.int64, len(features)))
        ids = np.concatenate(documents) if documents else np.zeros(0, dtype=np.int64)
        df = np.bincount(ids, minlength=len(seen))
        vocabulary = _choose_terms(list(seen), df, set(self.analyzer.table.display))
        self._set_model(vocabulary, _idf(vocabulary, seen, documents), len(corpus))
        reference = self._posting_vectors(sample[:REFERENCE_SIZE])
        self._set_reference(reference.vectors, reference.titles)
        return self

    def _set_model(self, terms: Sequence[str], idf: np.ndarray, n_documents: int) -> None:
        transformer = TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm="l2")
        transformer.idf_ = np.asarray(idf, dtype=np.float64)
        self.terms = tuple(terms)
        self.n_documents = n_documents
        self._transformer = transformer
        self._vocabulary = {term: i for i, term in enumerate(terms)}
        self._employers.clear()
        self._marked.clear()
        for cached in ("fingerprint", "_explainer", "_skill_columns", "_term_boost",
                       "_role_columns", "_askable_columns", "_columns_by_word"):
            self.__dict__.pop(cached, None)
        empty = sp.csr_matrix((0, len(terms)), dtype=np.float32)
        self._set_reference(empty, empty)

    def _set_reference(self, reference: sp.csr_matrix, titles: sp.csr_matrix) -> None:
        """The postings profiles are expanded from, and the roles their titles name (see
        ``_titles``): part of the model, so a profile's expansion, and so every score, does
        not depend on which postings are ranked."""
        self._reference = reference.astype(np.float32)
        self._reference_by_term = self._reference.T.tocsr()
        self._reference_titles = titles.astype(np.float32)
        self.__dict__.pop("_reference_names", None)
        self._profile_cache.clear()
        self.__dict__.pop("fingerprint", None)

    def with_feedback_settings(self, settings: Settings) -> TfidfMatcher:
        """This fitted model under ``settings`` that differ from this matcher's only in
        FEEDBACK_SETTINGS, without refitting: the same fingerprint, so the same indexes."""
        if _without_feedback(asdict(settings)) != _without_feedback(asdict(self.settings)):
            raise ValueError("only the feedback settings may differ from the fitted model's")
        other = TfidfMatcher(settings, self.analyzer)
        other._set_model(self.terms, self._idf, self.n_documents)
        other._set_reference(self._reference, self._reference_titles)
        return other

    @property
    def fitted(self) -> bool:
        """Whether ``fit`` (or ``load_matcher``) has given this matcher a model."""
        return self._transformer is not None

    def needs_refit(self, corpus_size: int) -> bool:
        """Whether a corpus of ``corpus_size`` postings has outgrown the fitted model."""
        return not self.fitted or corpus_size > self.n_documents * (1 + REFIT_GROWTH)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the model (table, settings, vocabulary, idf): scores are comparable
        only between equal fingerprints. The feedback settings are left out: they change no
        vector, so an index or profile vectors serve matchers that differ only in them."""
        digest = hashlib.sha256(_header(self, scoring_only=True).encode())
        digest.update("\n".join(self.terms).encode())
        digest.update(self._idf.tobytes())
        for matrix in (self._reference, self._reference_titles):
            for part in (matrix.indptr, matrix.indices, matrix.data):
                digest.update(np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()[:16]

    @property
    def _idf(self) -> np.ndarray:
        if self._transformer is None:
            raise RuntimeError("the matcher is not fitted: call fit(postings) first")
        return np.asarray(self._transformer.idf_)

    # -- vectorising -------------------------------------------------------------------

    def index(self, postings: Sequence[tuple[str, Posting]]) -> PostingIndex:
        """Vectorise keyed postings once, to rank them for any number of profiles."""
        keys = tuple(key for key, _ in postings)
        items = tuple(posting for _, posting in postings)
        vectorised = self._posting_vectors(items)
        return PostingIndex(
            keys=keys,
            postings=items,
            vectors=vectorised.vectors,
            by_term=vectorised.vectors.T.tocsr(),
            asks=vectorised.asks,
            titles=vectorised.titles,
            facts=PostingFacts(items),
            model=self.fingerprint,
        )

    def _posting_vectors(self, postings: Sequence[Posting]) -> _Vectorised:
        """The postings' scoring vectors, what they ask for (see ``_asks``) and the roles
        their titles name (see ``_titles``)."""
        s = self.settings
        vectors, asks, roles = [], [], []
        for start in range(0, len(postings), _BATCH):
            batch = postings[start : start + _BATCH]
            titles = self._counts([self.analyzer(posting_title(p)) for p in batch])
            parts = [posting_body(p) for p in batch]
            jobs = self._counts([self.analyzer(job) for job, _ in parts])
            body = jobs
            if s.boilerplate:
                body = body + s.boilerplate * self._counts([self.analyzer(r) for _, r in parts])
            full = normalize(s.title * self._weigh_counts(titles) + self._weigh_counts(body))
            vectors.append(normalize(keep_strongest(full, s.posting_terms)))
            asks.append(self._asks(batch, titles + jobs))
            roles.append(self._titles(batch, titles))
        if not vectors:
            empty = sp.csr_matrix((0, len(self.terms)), dtype=np.float32)
            return _Vectorised(empty, empty, empty)
        return _Vectorised(*(sp.vstack(m, format="csr") for m in (vectors, asks, roles)))

    def _asks(self, postings: Sequence[Posting], counts: sp.csr_matrix) -> sp.csr_matrix:
        """What each posting asks for, from the counts of its title and requirements (not
        the employer's blurb, offer or EEO text): without the employer's name, rank words or
        bare job nouns (a liked "Python developer" is no reason to like any "developer");
        the strongest terms and every skill, l2-normalised rows."""
        weighted = self._weigh_counts(self._askable(postings, counts))
        skills = keep_columns(weighted, self._skill_columns)
        strongest = keep_strongest(weighted, self.settings.posting_terms)
        return normalize(skills.maximum(strongest).tocsr())

    def _titles(self, postings: Sequence[Posting], counts: sp.csr_matrix) -> sp.csr_matrix:
        """The role each posting's title names, from its counts: weighted as the title is,
        without the employer's name, rank words or bare job nouns (as in ``_asks``), so a
        like of a "Senior Python Developer at Acme" says "python", not "senior" or "Acme"."""
        return self._weigh_counts(self._askable(postings, counts))

    def _askable(self, postings: Sequence[Posting], counts: sp.csr_matrix) -> sp.csr_matrix:
        """``counts`` (a row per posting) without the employer's name and the terms that
        cannot say what a job asks (``_askable_columns``)."""
        counts = keep_columns(counts, self._askable_columns)
        named = [self._employer_columns(p.company) for p in postings]
        lengths = np.fromiter(map(len, named), np.int64, len(named))
        if lengths.any():
            employer = sp.csr_matrix(
                (np.ones(int(lengths.sum()), np.float32), np.concatenate(named),
                 np.concatenate(([0], np.cumsum(lengths)))), shape=counts.shape)
            counts = (counts - counts.multiply(employer)).tocsr()
            counts.eliminate_zeros()
        return counts

    def _alternatives(self, index: PostingIndex, rows: Sequence[int]) -> sp.csr_matrix:
        """A row per entry of ``rows``: the skills that posting's requirements list as
        alternatives (see :mod:`matchers.alternatives`), remembered in the index."""
        def find(postings: Sequence[Posting]) -> sp.csr_matrix:
            return alternatives_matrix([posting_body(p)[0] for p in postings], self.analyzer,
                                       self._vocabulary, self._skill_columns)
        return self._remembered(index, index.alternatives, rows, find)

    def _firmly_asked(self, index: PostingIndex, rows: Sequence[int]) -> sp.csr_matrix:
        """A row per entry of ``rows``: the skills that posting firmly asks (see
        :mod:`matchers.asked`), remembered in the index."""
        def find(postings: Sequence[Posting]) -> sp.csr_matrix:
            return firmly_asked_matrix([posting_body(p)[0] for p in postings],
                                       self.analyzer.skills, self._vocabulary,
                                       self._skill_columns)
        return self._remembered(index, index.firmly_asked, rows, find)

    def _peers(self, own: sp.csr_matrix, pairs: Sequence[tuple[int, int]], index: PostingIndex
               ) -> Peers | None:
        """The GAP_PEERS reference postings nearest each pair's profile, copies of its
        posting left out; None with a reference sample too small to tell."""
        size = self._reference.shape[0]
        if size < GAP_PEERS or not pairs:
            return None
        mine = np.fromiter((p for p, _ in pairs), np.int64, len(pairs))
        theirs = [q for _, q in pairs]
        # The nearest ones with room for copies, as a copy of a posting is near its reader.
        reach = min(size, GAP_PEERS + _COPIES_SKIPPED)
        nearest = _nearest_columns((own @ self._reference_by_term).toarray(), reach)[mine]
        copies = self._copies(index, theirs)
        kept = np.array([~np.isin(row, copy) for row, copy in zip(nearest, copies, strict=True)]
                        ).reshape(nearest.shape)
        kept &= np.cumsum(kept, axis=1) <= GAP_PEERS
        padded = np.full((len(pairs), GAP_PEERS), size, np.int64)
        rows, places = np.nonzero(kept)
        padded[rows, np.cumsum(kept, axis=1)[rows, places] - 1] = nearest[rows, places]
        return Peers(padded, self._reference_names)

    def _copies(self, index: PostingIndex, rows: Sequence[int]) -> list[np.ndarray]:
        """For each posting row, the reference postings that are copies of it (a cosine
        above ``_NEAR_COPY``), remembered in the index."""
        new = sorted(set(rows) - index.copies.keys())
        for start in range(0, len(new), _BATCH):
            batch = new[start : start + _BATCH]
            near = (index.vectors[batch] @ self._reference_by_term).tocsr()
            for at, row in enumerate(batch):
                span = slice(near.indptr[at], near.indptr[at + 1])
                index.copies[row] = near.indices[span][near.data[span] > _NEAR_COPY]
        return [index.copies[row] for row in rows]

    @cached_property
    def _reference_names(self) -> sp.csr_matrix:
        """Reference postings x terms, 1 where it names the term, and a last row naming
        none (see Peers)."""
        named = self._reference.copy()
        named.data[:] = 1
        return sp.vstack([named, sp.csr_matrix((1, named.shape[1]), dtype=np.float32)],
                         format="csr")

    def _remembered(
        self,
        index: PostingIndex,
        known: dict[int, tuple[np.ndarray, np.ndarray]],
        rows: Sequence[int],
        find: Callable[[Sequence[Posting]], sp.csr_matrix],
    ) -> sp.csr_matrix:
        """A row per entry of ``rows`` of a postings x terms fact found by ``find`` for the
        postings not in ``known`` yet (and remembered there)."""
        new = sorted(set(rows) - known.keys())
        if new:
            found = find([index.postings[row] for row in new])
            for at, row in enumerate(new):
                span = slice(found.indptr[at], found.indptr[at + 1])
                known[row] = (found.indices[span], found.data[span])
        lengths = np.fromiter((len(known[row][0]) for row in rows), np.int64, len(rows))
        return sp.csr_matrix(
            (np.concatenate([np.zeros(0, np.float32), *(known[row][1] for row in rows)]),
             np.concatenate([np.zeros(0, np.int32), *(known[row][0] for row in rows)]),
             np.concatenate(([0], np.cumsum(lengths)))),
            shape=(len(rows), len(self.terms)))

    @cached_property
    def _askable_columns(self) -> np.ndarray:
        """Terms that can say what a job asks: skills ("Lead generation", "Contract law"
        hold a rank word too), and other terms without a rank word or a bare job noun."""
        plain = np.fromiter(
            (t not in _JOB_NOUNS and _RANK_WORDS.isdisjoint(t.split(" ")) for t in self.terms),
            bool, len(self.terms),
        )
        return plain | self._skill_columns

    @cached_property
    def _columns_by_word(self) -> dict[str, list[int]]:
        by_word: dict[str, list[int]] = {}
        for column, term in enumerate(self.terms):
            for word in set(term.split(" ")):
                by_word.setdefault(word, []).append(column)
        return by_word

    def _employer_columns(self, company: str) -> np.ndarray:
        """The columns of terms holding a word of the employer's name (remembered: most
        employers have many postings)."""
        known = self._employers.get(company)
        if known is None:
            if len(self._employers) > _EMPLOYER_MEMO:
                self._employers.clear()
            words = set(self.analyzer.table.tokens(company))
            found = {c for w in words for c in self._columns_by_word.get(w, ())}
            known = self._employers[company] = np.array(sorted(found), dtype=np.int64)
        return known

    def _counts(self, feature_lists: Sequence[Sequence[str]]) -> sp.csr_matrix:
        return count_matrix(feature_lists, self._vocabulary, len(self.terms))

    def _weigh(self, feature_lists: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Sublinear tf x idf, l2-normalised rows."""
        return self._weigh_counts(self._counts(feature_lists))

    def _weigh_counts(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear tf x idf of counted features, l2-normalised rows."""
        if self._transformer is None:
            raise RuntimeError("the matcher is not fitted: call fit(postings) first")
        weighted = self._transformer.transform(counts)
        if self.settings.skill_boost != 1.0:
            weighted.data *= self._term_boost[weighted.indices]
            weighted = normalize(weighted)
        return weighted

    @cached_property
    def _term_boost(self) -> np.ndarray:
        return np.where(self._skill_columns, self.settings.skill_boost, 1.0).astype(np.float32)

    @cached_property
    def _role_columns(self) -> np.ndarray:
        """Terms that name a role ("product designer", "python developer") rather than its
        rank, its hours or one bare word ("senior", "full", "manager", "media")."""
        return np.fromiter((_names_a_role(t) for t in self.terms), bool, len(self.terms))

    @cached_property
    def _skill_columns(self) -> np.ndarray:
        skills = self.analyzer.table.display
        return np.fromiter((t in skills for t in self.terms), bool, len(self.terms))

    def _profile_vectors(
        self, profiles: Sequence[Profile]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, list[np.ndarray]]:
        """Each profile's own vector, its expanded vector and the skill columns it mentions.

        Remembered per profile: a profile's vectors depend only on it and the model (not on
        feedback), so later calls (new postings landing) reuse them.
        """
        cache = self._profile_cache
        todo = [i for i, profile in enumerate(profiles) if profile not in cache]
        if todo:
            if len(cache) + len(todo) > _PROFILE_CACHE:
                cache.clear()
                todo = list(range(len(profiles)))
            fresh = [profiles[i] for i in todo]
            own, mentioned = self._vectorise_profiles(fresh)
            expanded = self._expand(own)
            for row, i in enumerate(todo):
                cache[profiles[i]] = (_row(own, row), _row(expanded, row), mentioned[row])
        rows = [cache[profile] for profile in profiles]
        width = len(self.terms)
        return (_stack([r[0] for r in rows], width), _stack([r[1] for r in rows], width),
                [r[2] for r in rows])

    def _vectorise_profiles(
        self, profiles: Sequence[Profile]
    ) -> tuple[sp.csr_matrix, list[np.ndarray]]:
        s = self.settings
        fields = [self._profile_features(p) for p in profiles]
        roles = self._weigh([f[0] for f in fields])
        skills = self._weigh([f[1] for f in fields])
        texts = self._weigh([f[2] for f in fields])
        combined = normalize(s.roles * roles + s.skills * skills + s.text * texts)
        vectors = normalize(keep_strongest(combined, s.profile_terms))
        named = keep_columns(combined, self._skill_columns) + keep_columns(
            roles, self._role_columns
        )
        mentioned = [_row(named.tocsr(), row)[0].astype(np.int64) for row in range(len(profiles))]
        return vectors, mentioned

    def _profile_features(self, profile: Profile) -> tuple[list[str], list[str], list[str]]:
        """Features of the roles, the skills and the free text (about + résumé)."""
        return (
            self._features(profile.roles),
            self._features(self._skill_names(profile.skills)),
            self.analyzer(f"{profile.about}\n{profile.resume}"),
        )

    def _features(self, items: Iterable[str]) -> list[str]:
        """Features of list items analysed one by one, so no bigram spans two items."""
        features: list[str] = []
        for item in items:
            features.extend(self.analyzer(item))
        return features

    def _skill_names(self, skills: Iterable[str]) -> list[str]:
        """Skills-list items with ambiguous short names ("Go", "R") resolved to their skill."""
        table = self.analyzer.table
        return [table.name_of(table.names[s.strip().lower()]) if s.strip().lower() in table.names
                else s for s in skills]

    def _feedback_scores(
        self,
        profiles: Sequence[Profile],
        own: sp.csr_matrix,
        expanded: sp.csr_matrix,
        before: sp.csr_matrix,
        index: PostingIndex,
        feedback: Mapping[str, Feedback],
    ) -> sp.csr_matrix:
        """The scores of profiles with feedback, from their scores ``before`` it.

        Feedback that says both what fits and what does not moves the profile
        (``_blended``), where that changes a score clearly (``_trusted``), if the marks
        agree with each other (``_agreement``). One-sided
        feedback (only likes, or only dislikes) says too little about what the rest of the
        ranking should become (benchmarks/match_feedback.py: moving the whole profile then
        lowered about as many rankings as it raised), so it moves only postings close to
        the marked ones (``_nudges``), as both kinds also do. Only postings the profile
        alone scores among its ``Settings.feedback_reach`` best in the model's reference
        sample can rise; any can fall.
        """
        near = self._near_top(expanded, before)
        both = [row for row, p in enumerate(profiles)
                if feedback[p.id].liked and feedback[p.id].disliked
                and self._agreement(p, own[row], expanded[row], index, feedback[p.id])
                >= self.settings.feedback_agreement]
        blended = (self._blended([profiles[row] for row in both], own[both], before[both],
                                 near[both], index, feedback) if both else None)
        blended_row = {row: at for at, row in enumerate(both)}
        rows: list[_Row] = []
        for row, profile in enumerate(profiles):
            columns, first = _row(before, row)
            _, can_rise = _row(near, row)  # flags on the same postings
            score = first
            if blended is not None and row in blended_row:
                score = self._trusted(first, _values_at(blended, blended_row[row], columns))
            wish = feedback[profile.id]
            score = score + self._nudges(wish, columns, can_rise, index)
            if wish.liked and wish.disliked:
                score = score * self._title_factors(wish, columns, expanded[row], index)
            rows.append((columns, np.clip(score, 0, 1)))  # at 0: pushed below every score
        scores = _stack(rows, before.shape[1])
        scores.eliminate_zeros()
        return scores

    def _title_factors(self, wish: Feedback, columns: np.ndarray, expanded: sp.csr_matrix,
                       index: PostingIndex) -> np.ndarray:
        """What the postings of ``columns`` are scored times for the roles their titles name
        (``_title_move``), where likes and dislikes agree on roles (``_title_agreement``);
        else 1. A like says which role fits; WWR's and Google's categories are roles, and
        this move raised the held-out rankings more than the move of what postings ask
        alone (benchmarks/match_feedback.py)."""
        marks = [*wish.liked, *wish.disliked]
        titles = self._vectors_of(marks, index, "titles")
        liked = np.arange(len(marks)) < len(wish.liked)
        if self._title_agreement(expanded, marks, titles, liked, index) < \
                self.settings.feedback_title_agreement:
            return np.ones(len(columns), np.float32)
        cosines = (index.titles[columns] @ titles.T).toarray()
        return self._title_move(cosines, liked, ~liked)

    def _title_agreement(self, expanded: sp.csr_matrix, marks: Sequence[Posting],
                         titles: sp.csr_matrix, liked: np.ndarray, index: PostingIndex) -> float:
        """The share of the marks that the title move of the other marks ranks better,
        among the model's reference sample, than the profile alone (its ``expanded``
        vector) does: a like higher, a dislike lower (as ``_agreement``, in the space of
        titles)."""
        alone = (expanded @ self._reference_by_term).toarray()[0]
        marks_alone = (expanded @ self._vectors_of(marks, index, "vectors").T).toarray()[0]
        to_reference = (self._reference_titles @ titles.T).toarray()
        among = (titles @ titles.T).toarray()
        agree = []
        for at in range(len(marks)):
            others = np.arange(len(marks)) != at
            moved = alone * self._title_move(to_reference, liked & others, ~liked & others)
            mark = marks_alone[at] * self._title_move(among[at : at + 1], liked & others,
                                                      ~liked & others)[0]
            rank_alone, rank_moved = (alone > marks_alone[at]).sum(), (moved > mark).sum()
            agree.append(rank_moved < rank_alone if liked[at] else rank_moved > rank_alone)
        return float(np.mean(agree))

    def _title_move(self, cosines: np.ndarray, liked: np.ndarray, disliked: np.ndarray
                    ) -> np.ndarray:
        """exp(``feedback_title_pull`` x each row's highest title cosine with a ``liked``
        mark (a column) - ``feedback_title_push`` x its highest with a ``disliked`` one)."""
        s = self.settings
        pull = cosines[:, liked].max(axis=1) if liked.any() else 0.0
        push = cosines[:, disliked].max(axis=1) if disliked.any() else 0.0
        return np.exp(s.feedback_title_pull * pull - s.feedback_title_push * push).astype(
            np.float32)

    def _agreement(self, profile: Profile, own: sp.csr_matrix, expanded: sp.csr_matrix,
                   index: PostingIndex, wish: Feedback) -> float:
        """The share of the marks that the move made from the other marks (``_moved``)
        ranks better than the profile alone (its ``expanded`` vector) does among the
        model's reference sample (so whatever the postings ranked): a like higher, a
        dislike lower; a mark whose removal leaves no like is not tested. Marks that do not
        foretell each other (a like judged apart from a disliked twin asking the same) say
        little about the rest of the ranking either (benchmarks/match_feedback.py)."""
        if self.settings.feedback_agreement <= 0:
            return 1.0
        marks = [*wish.liked, *wish.disliked]
        vectors = self._vectors_of(marks, index, "vectors")
        alone = (expanded @ self._reference_by_term).toarray()[0]
        marks_alone = (expanded @ vectors.T).toarray()[0]
        agree = []
        for at in range(len(marks)):
            liked = at < len(wish.liked)
            rest = _without_mark(wish, at)
            if not rest.liked:
                continue
            moved = self._moved([profile], own, index, {profile.id: rest})
            after = (moved @ self._reference_by_term).toarray()[0]
            mark = (moved @ vectors[at].T).toarray()[0, 0]
            rank_alone, rank_moved = (alone > marks_alone[at]).sum(), (after > mark).sum()
            agree.append(rank_moved < rank_alone if liked else rank_moved > rank_alone)
        return float(np.mean(agree)) if agree else 1.0

    def _blended(
        self,
        profiles: Sequence[Profile],
        own: sp.csr_matrix,
        before: sp.csr_matrix,
        near: sp.csr_matrix,
        index: PostingIndex,
        feedback: Mapping[str, Feedback],
    ) -> sp.csr_matrix:
        """The weighted geometric mean of the score before and the score of the moved
        profile (``_moved``): a posting the profile alone scores low stays low whatever the
        feedback says, and one it does not score at all is never brought. Only postings
        flagged ``near`` the profile's top can rise."""
        after = (self._moved(profiles, own, index, feedback) @ index.by_term).tocsr()
        after.data[after.data < 0] = 0  # what disliked postings ask can make a cosine negative
        share = self.settings.feedback_share
        # (With all the weight on the moved profile, before ** 0 would be a dense matrix.)
        mixed = after if share == 1 else before.power(1 - share).multiply(after.power(share))
        lower = mixed.minimum(before)
        return (lower + (mixed - lower).multiply(near)).tocsr()

    def _trusted(self, first: np.ndarray, blended: np.ndarray) -> np.ndarray:
        """The ``blended`` scores where they differ from the ``first`` by more than
        ``Settings.feedback_trust`` of them, else the first: feedback reorders postings
        where its signal is clear, not those whose scores it barely changes (swaps at the
        edge of the first page that cost more than they bring)."""
        clear = np.abs(blended - first) > self.settings.feedback_trust * first
        return np.where(clear, blended, first)

    def _nudges(self, wish: Feedback, columns: np.ndarray, can_rise: np.ndarray,
                index: PostingIndex) -> np.ndarray:
        """How far the postings of ``columns`` move for being close to marked ones, by
        what they ask for (the employer and blurb play no part): one asking nearly what a
        liked posting asks (``_NEAR_COPY``) more than any disliked one rises by
        ``Settings.feedback_pull`` times the margin, if it ``can_rise``; one closer to a
        disliked posting (above ``Settings.feedback_near``) than to any liked one falls by
        ``feedback_push`` times the margin. Postings far from every marked one keep their
        place."""
        s = self.settings
        liked = self._closeness(wish.liked, columns, index)
        disliked = self._closeness(wish.disliked, columns, index)
        margin = liked - disliked
        pull = (liked > np.maximum(disliked, _NEAR_COPY)) * margin * can_rise
        push = (disliked > np.maximum(liked, s.feedback_near)) * margin
        return (s.feedback_pull * pull + s.feedback_push * push).astype(np.float32)

    def _closeness(self, postings: Sequence[Posting], columns: np.ndarray, index: PostingIndex
                   ) -> np.ndarray:
        """For each posting of ``columns``, the highest cosine of what it asks for with what
        one of ``postings`` asks for (0 without postings)."""
        if not postings:
            return np.zeros(len(columns), np.float32)
        cosines = (index.asks[columns] @ self._vectors_of(postings, index).T).toarray()
        return cosines.max(axis=1)

    def _near_top(self, expanded: sp.csr_matrix, scores: sp.csr_matrix) -> sp.csr_matrix:
        """Flags on ``scores`` at least each profile's ``Settings.feedback_reach``-th best
        score in the reference sample: near its top whatever the postings ranked."""
        near = (expanded @ self._reference_by_term).toarray()
        reach = min(self.settings.feedback_reach, near.shape[1])
        if reach == 0:
            return sp.csr_matrix(scores.shape, dtype=np.float32)
        cut = -np.partition(-near, reach - 1, axis=1)[:, reach - 1]
        rows = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr))
        flags = (scores.data >= cut[rows]).astype(np.float32)
        return sp.csr_matrix((flags, scores.indices, scores.indptr), shape=scores.shape)

    def _moved(
        self,
        profiles: Sequence[Profile],
        own: sp.csr_matrix,
        index: PostingIndex,
        feedback: Mapping[str, Feedback],
    ) -> sp.csr_matrix:
        """Profiles moved by their feedback (Rocchio), then expanded: what the liked
        postings ask for added, what the disliked ones ask for subtracted; the expansion
        leaves out the liked postings themselves, whose blurb and employer feedback means
        to leave out."""
        s = self.settings
        moved: list[_Row] = []
        for row, profile in enumerate(profiles):
            wish = feedback[profile.id]
            vector = normalize(own[row] + s.liked * self._mean_asks(wish.liked, index)
                               - s.disliked * self._mean_asks(wish.disliked, index))
            moved.append((vector.indices, vector.data))
        vectors = _stack(moved, len(self.terms))
        return self._expand(vectors, self._liked_in_reference(profiles, index, feedback))

    def _mean_asks(self, postings: Sequence[Posting], index: PostingIndex) -> sp.csr_matrix:
        """The mean of what ``postings`` ask for (one row; empty without postings)."""
        if not postings:
            return sp.csr_matrix((1, len(self.terms)), dtype=np.float32)
        return sp.csr_matrix(self._vectors_of(postings, index).mean(axis=0), dtype=np.float32)

    def _liked_in_reference(
        self, profiles: Sequence[Profile], index: PostingIndex, feedback: Mapping[str, Feedback]
    ) -> sp.csr_matrix:
        """Flags (profiles x reference postings) on the liked postings themselves and their
        near-copies in the model's reference sample."""
        rows, columns = [], []
        for row, profile in enumerate(profiles):
            wish = feedback.get(profile.id)
            if not wish or not wish.liked:
                continue
            whole = self._vectors_of(wish.liked, index, "vectors")
            alike = (whole @ self._reference_by_term).tocsr()
            near = np.unique(alike.indices[alike.data >= _NEAR_COPY])
            rows.extend([row] * len(near))
            columns.extend(near.tolist())
        return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, columns)),
                             shape=(len(profiles), self._reference.shape[0]))

    def _vectors_of(self, postings: Sequence[Posting], index: PostingIndex,
                    kind: VectorKind = "asks") -> sp.csr_matrix:
        """The ``kind`` of vectors of feedback postings (see ``_Vectorised``; by default
        what they ask for: their title and required skills, not their employer or blurb):
        from the index when they are in it."""
        rows = [index.row_of(p) for p in postings]
        if all(row is not None for row in rows):
            matrix: sp.csr_matrix = getattr(index, kind)
            return matrix[[row for row in rows if row is not None]]
        return getattr(self._marked_vectors(postings), kind)  # type: ignore[no-any-return]

    def _marked_vectors(self, postings: Sequence[Posting]) -> _Vectorised:
        """The vectors of marked postings the index does not hold (older leads, in an
        incremental run), each vectorised once: feedback reads them, and subsets of them,
        several times a profile (``_agreement`` leaves each mark out in turn)."""
        distinct = dict.fromkeys(postings)
        known = {p: v for p in distinct if (v := self._marked.get(p)) is not None}
        new = [p for p in distinct if p not in known]
        if new:
            if len(self._marked) + len(new) > _MARKED_MEMO:
                self._marked.clear()
            vectorised = self._posting_vectors(new)
            for row, posting in enumerate(new):
                known[posting] = self._marked[posting] = _Vectorised(
                    *(kind[row] for kind in vectorised))
        rows = [known[p] for p in postings]
        return _Vectorised(*(sp.vstack(kind, format="csr") for kind in zip(*rows, strict=True)))

    # -- remembered profile vectors ---------------------------------------------------

    def profile_vectors(self, profile: Profile) -> bytes | None:
        """The vectors an earlier rank computed for this profile, as bytes for the caller to
        store and hand back through :meth:`remember_profile_vectors` in a later run (they
        skip re-analysing the profile); ``None`` when this matcher has not vectorised it."""
        vectors = self._profile_cache.get(profile)
        return None if vectors is None else _pack_vectors(self.fingerprint, vectors)

    def remember_profile_vectors(self, profile: Profile, data: bytes) -> bool:
        """Reuse stored :meth:`profile_vectors` bytes; False (and nothing kept) when they were
        made by another model or are damaged. The caller vouches that ``profile`` is the one
        they were made for (store them under the profile's hash)."""
        vectors = _unpack_vectors(self.fingerprint, data, len(self.terms))
        if vectors is None:
            return False
        self._profile_cache[profile] = vectors
        return True

    # -- ranking -----------------------------------------------------------------------

    def rank(
        self,
        profile: Profile,
        postings: Sequence[tuple[str, Posting]] | PostingIndex,
        *,
        top: int | None = 20,
        min_score: float = 0.0,
        now: datetime | None = None,
        max_age_days: int | None = None,
        liked: Sequence[Posting] = (),
        disliked: Sequence[Posting] = (),
        hidden: Collection[str] = (),
    ) -> list[Match]:
        """The best postings for one profile, best first (see :meth:`rank_many`)."""
        feedback = {profile.id: Feedback.of(liked, disliked, hidden)}
        return self.rank_many(
            [profile], postings, top=top, min_score=min_score, now=now,
            max_age_days=max_age_days, feedback=feedback,
        )[profile.id]

    def rank_many(
        self,
        profiles: Sequence[Profile],
        postings: Sequence[tuple[str, Posting]] | PostingIndex,
        *,
        top: int | None = 20,
        min_score: float = 0.0,
        now: datetime | None = None,
        max_age_days: int | None = None,
        feedback: Mapping[str, Feedback] | None = None,
        chunk: int = 256,
    ) -> dict[str, list[Match]]:
        """The best postings for each profile, keyed by profile id, best first.

        ``postings`` are ``(key, posting)`` pairs (the keys come back in ``Match.posting``)
        or an index from :meth:`index`. Hard filters come first; a match needs a score
        above 0 and at least the profile's own ``min_score`` (else ``min_score``). ``top``
        caps the matches per profile (``None``: all). ``now`` defaults to the current time
        and only matters with ``max_age_days``. Profiles are scored ``chunk`` at a time with
        one sparse product each, so memory stays at ``chunk`` x postings, never profiles x
        postings.
        """
        index = postings if isinstance(postings, PostingIndex) else self.index(postings)
        if index.model != self.fingerprint:
            raise ValueError("the posting index was built by another model; rebuild it")
        feedback = feedback or {}
        now = now or datetime.now(UTC)
        age = index.facts.age_mask(now, max_age_days)
        results: dict[str, list[Match]] = {}
        # The sparse products release the GIL: one thread scores the next chunk while this
        # one filters and explains the last (the results do not depend on the overlap).
        with ThreadPoolExecutor(max_workers=1) as scorer:
            pending = None
            for start in range(0, len(profiles), chunk):
                group = profiles[start : start + chunk]
                scored = scorer.submit(self._score, group, index, feedback)
                if pending is not None:
                    self._collect(*pending, results)
                pending = (group, scored, index, feedback, age, top, min_score)
            if pending is not None:
                self._collect(*pending, results)
        return results

    def _score(
        self, group: Sequence[Profile], index: PostingIndex, feedback: Mapping[str, Feedback]
    ) -> tuple[sp.csr_matrix, list[np.ndarray], sp.csr_matrix]:
        """A chunk's own vectors, skill columns and scores against every posting: the
        cosines, moved by the feedback of profiles that gave some (``_feedback_scores``)."""
        own, expanded, mentioned = self._profile_vectors(group)
        scores = (expanded @ index.by_term).tocsr()
        rows = [row for row, p in enumerate(group)
                if p.id in feedback and (feedback[p.id].liked or feedback[p.id].disliked)]
        if not rows:
            return own, mentioned, scores
        moved = self._feedback_scores([group[row] for row in rows], own[rows], expanded[rows],
                                      scores[rows], index, feedback)
        return own, mentioned, _replace_rows(scores, rows, moved)

    def _collect(
        self,
        group: Sequence[Profile],
        scored: Future[tuple[sp.csr_matrix, list[np.ndarray], sp.csr_matrix]],
        index: PostingIndex,
        feedback: Mapping[str, Feedback],
        age: np.ndarray | None,
        top: int | None,
        min_score: float,
        results: dict[str, list[Match]],
    ) -> None:
        """Filter, cut and explain one scored chunk of profiles into ``results``."""
        own, mentioned, matrix = scored.result()
        chosen = []
        for row, profile in enumerate(group):
            wish = feedback.get(profile.id) or Feedback()
            floor = profile.min_score if profile.min_score is not None else min_score
            span = slice(matrix.indptr[row], matrix.indptr[row + 1])
            chosen.append(_Selection(index, profile, wish, age, floor).top(
                matrix.indices[span], matrix.data[span], top
            ))
        pairs = [(row, posting) for row, picks in enumerate(chosen) for posting, _ in picks]
        rows = [posting for _, posting in pairs]
        reasons = iter(self._explainer.explain(
            own, mentioned, pairs, index.vectors, index.asks,
            self._alternatives(index, rows), self._firmly_asked(index, rows),
            self._peers(own, pairs, index)))
        for profile, picks in zip(group, chosen, strict=True):
            results[profile.id] = [
                Match(mentee=profile.id, posting=index.keys[posting],
                      score=min(1.0, max(0.0, round(score, 4))),
                      why=in_own_words(why, profile.roles, index.postings[posting].title),
                      gaps=gaps)
                for (posting, score), (why, gaps) in zip(picks, reasons, strict=False)
            ]

    def _expand(self, vectors: sp.csr_matrix, liked: sp.csr_matrix | None = None
                ) -> sp.csr_matrix:
        """Pseudo-relevance feedback: add the mean of each profile's best reference postings.

        A short profile says "React"; the postings that match it best also say "frontend",
        "TypeScript" and "CSS", and so will other good matches that never say "React". The
        best postings are taken from the model's reference sample, not from the postings
        being ranked, so scoring new postings alone gives them the scores they would get
        among all postings.
        """
        s = self.settings
        if not s.expansion_docs or self._reference.shape[0] == 0:
            return vectors
        scores = (vectors @ self._reference_by_term).tocsr()
        if liked is not None:
            # A liked posting taken whole would bring back its blurb and employer, which
            # feedback leaves out (see _vectors_of): its neighbours are what is wanted.
            scores = (scores - scores.multiply(liked)).tocsr()
        scores.data[scores.data < 0] = 0  # disliked postings can make a score negative
        scores.eliminate_zeros()
        picked = strongest(scores, s.expansion_docs)
        rows = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr))[picked]
        columns = scores.indices[picked]
        # Only rows with a pick are divided: a profile sharing no term with the reference
        # (or a reference of word-less postings) has none, and no division by zero.
        weights = (1.0 / np.bincount(rows)[rows]).astype(np.float32)
        choice = sp.csr_matrix((weights, (rows, columns)),
                               shape=(vectors.shape[0], self._reference.shape[0]))
        moved = normalize(vectors + s.expansion_weight * (choice @ self._reference))
        return normalize(keep_strongest(moved, s.profile_terms))

    @cached_property
    def _explainer(self) -> Explainer:
        table = self.analyzer.table
        bits = {family: 1 << i for i, family in enumerate(sorted(table.families))}
        families = np.fromiter(
            (sum(bits[f] for f in table.families_of(term)) for term in self.terms),
            np.int64, len(self.terms),
        )
        column = self._vocabulary
        pairs = [(column[key], column[wider]) for key, wide in table.broader.items()
                 for wider in wide if key in column and wider in column]
        rows, columns = zip(*pairs, strict=True) if pairs else ((), ())
        implies = sp.csr_matrix((np.ones(len(pairs), np.float32), (rows, columns)),
                                shape=(len(self.terms), len(self.terms)))
        learnable = np.fromiter((t not in table.backgrounds for t in self.terms), bool,
                                len(self.terms))
        return Explainer(self.terms, table.name_of, self._skill_columns, families, implies,
                         learnable)


class _Selection:
    """Chooses one profile's postings from its row of scores: filters, floor, top-k."""

    def __init__(
        self,
        index: PostingIndex,
        profile: Profile,
        feedback: Feedback,
        age: np.ndarray | None,
        floor: float,
    ) -> None:
        self.index = index
        self.mask = index.facts.mask(profile)
        self.age = age
        self.floor = floor
        self.pattern = keyword_pattern(profile.exclude_keywords)
        blocked = {r for r in map(index.row_of, feedback.disliked) if r is not None}
        if feedback.hidden:
            blocked.update(r for r, key in enumerate(index.keys) if key in feedback.hidden)
        self.blocked = np.fromiter(sorted(blocked), np.int64, len(blocked))
        # Mentees often exclude the same words: verdicts are shared through the index.
        self._verdicts = (
            index.facts.keyword_verdicts.setdefault(self.pattern.pattern, {})
            if self.pattern is not None else {}
        )

    def top(self, rows: np.ndarray, values: np.ndarray, top: int | None) -> list[tuple[int, float]]:
        """(posting row, score) pairs from one profile's scores, best first.

        The array filters run on every candidate; keyword exclusions, which need the text,
        only on the best ones, widening the net until enough pass or none are left.
        """
        keep = (values > 0) & (values >= self.floor)
        if self.mask is not None:
            keep &= self.mask[rows]
        if self.age is not None:
            keep &= self.age[rows]
        rows, values = rows[keep], values[keep]
        if len(self.blocked):
            allowed = ~np.isin(rows, self.blocked)
            rows, values = rows[allowed], values[allowed]
        want = len(rows) if top is None else min(top, len(rows))
        reach = want if self.pattern is None else 2 * want + 8
        while True:
            chosen: list[tuple[int, float]] = []
            best_rows, best_values = best(rows, values, reach)
            for pair in zip(best_rows.tolist(), best_values.tolist(), strict=True):
                if not self._excluded(pair[0]):
                    chosen.append(pair)
                    if len(chosen) == want:
                        return chosen
            if reach >= len(rows):
                return chosen
            reach *= 4

    def _excluded(self, row: int) -> bool:
        if self.pattern is None:
            return False
        if row not in self._verdicts:
            text = searchable_text(self.index.postings[row])
            self._verdicts[row] = self.pattern.search(text) is not None
        return self._verdicts[row]


def best(rows: np.ndarray, values: np.ndarray, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``reach`` best rows and their scores, best first, with every tie at the cut kept;
    equal scores are ordered by row, so the result does not depend on input order."""
    if reach <= 0:
        return rows[:0], values[:0]
    if reach < len(values):
        cut = np.partition(values, len(values) - reach)[len(values) - reach]
        inside = values >= cut
        rows, values = rows[inside], values[inside]
    order = np.lexsort((rows, -values))
    return rows[order], values[order]


_Row = tuple[np.ndarray, np.ndarray]  # one sparse row: columns, values
_Vectors = tuple[_Row, _Row, np.ndarray]  # own vector, expanded vector, skill columns


def _nearest_columns(closeness: np.ndarray, reach: int) -> np.ndarray:
    """Each row's ``reach`` largest columns, largest first."""
    head = np.sort(np.argpartition(-closeness, reach - 1, axis=1)[:, :reach], axis=1)
    order = np.argsort(-np.take_along_axis(closeness, head, axis=1), axis=1, kind="stable")
    return np.take_along_axis(head, order, axis=1)


def _replace_rows(matrix: sp.csr_matrix, rows: Sequence[int], new: sp.csr_matrix
                  ) -> sp.csr_matrix:
    """``matrix`` with its ``rows`` replaced by the rows of ``new``, the others untouched."""
    parts = [_row(matrix, row) for row in range(matrix.shape[0])]
    for at, row in enumerate(rows):
        parts[row] = _row(new, at)
    return _stack(parts, matrix.shape[1])


def _without_mark(wish: Feedback, at: int) -> Feedback:
    """The likes and dislikes of ``wish`` without its ``at``-th mark (likes counted first)."""
    liked, disliked = list(wish.liked), list(wish.disliked)
    if at < len(liked):
        del liked[at]
    else:
        del disliked[at - len(liked)]
    return Feedback.of(liked, disliked, wish.hidden)


def _values_at(matrix: sp.csr_matrix, row: int, columns: np.ndarray) -> np.ndarray:
    """The values of ``matrix``'s ``row`` at ``columns`` (0 where it has none)."""
    found, values = _row(matrix, row)
    dense = np.zeros(matrix.shape[1], np.float32)
    dense[found] = values
    return dense[columns]


def _row(matrix: sp.csr_matrix, row: int) -> _Row:
    span = slice(matrix.indptr[row], matrix.indptr[row + 1])
    return matrix.indices[span].copy(), matrix.data[span].copy()


def _stack(rows: Sequence[_Row], width: int) -> sp.csr_matrix:
    lengths = [len(columns) for columns, _ in rows]
    indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    indices = np.concatenate([c for c, _ in rows] + [np.zeros(0, np.int32)])
    data = np.concatenate([d for _, d in rows] + [np.zeros(0, np.float32)])
    return sp.csr_matrix((data.astype(np.float32), indices, indptr), shape=(len(rows), width))


_VECTORS_HEADER = struct.Struct("<16sIII")  # model fingerprint, own, expanded, skill counts


def _pack_vectors(fingerprint: str, vectors: _Vectors) -> bytes:
    (own_columns, own_values), (wide_columns, wide_values), skills = vectors
    header = _VECTORS_HEADER.pack(
        fingerprint.encode(), len(own_columns), len(wide_columns), len(skills)
    )
    parts = (own_columns.astype("<i4"), own_values.astype("<f4"),
             wide_columns.astype("<i4"), wide_values.astype("<f4"), skills.astype("<i8"))
    return header + b"".join(part.tobytes() for part in parts)


def _unpack_vectors(fingerprint: str, data: bytes, width: int) -> _Vectors | None:
    try:
        stamp, own, wide, skills = _VECTORS_HEADER.unpack_from(data)
    except struct.error:
        return None
    if stamp != fingerprint.encode() or len(data) != _VECTORS_HEADER.size + 8 * (
        own + wide + skills
    ):
        return None
    at = _VECTORS_HEADER.size
    arrays = []
    for count, dtype in ((own, "<i4"), (own, "<f4"), (wide, "<i4"), (wide, "<f4"),
                         (skills, "<i8")):
        arrays.append(np.frombuffer(data, dtype, count, at))
        at += count * np.dtype(dtype).itemsize
    columns = np.concatenate((arrays[0], arrays[2], arrays[4]))
    if len(columns) and (columns.min() < 0 or columns.max() >= width):
        return None
    return ((arrays[0].astype(np.int32), arrays[1].astype(np.float32)),
            (arrays[2].astype(np.int32), arrays[3].astype(np.float32)),
            arrays[4].astype(np.int64))


# Words of a job title that say its rank, hours or kind of contract, and bare job nouns
# that say nothing on their own: a why-list of "senior" or "manager" explains nothing
# ("product manager" does).
_RANK_WORDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as text
        "senior junior lead principal staff head chief intern internship trainee entry level mid "
        "sr jr ii iii iv full part time remote contract contractor freelance temporary new "
        "grad graduate"
    ).split()
)
_JOB_NOUNS = frozenset(
    (  # noqa: SIM905 - a word list reads better as text
        "manager engineer developer specialist analyst coordinator associate assistant consultant "
        "representative officer director administrator executive partner"
    ).split()
)


def _names_a_role(term: str) -> bool:
    """Whether a term of a mentee's roles says what the role is: a phrase ("product
    designer"), not one of its words ("designer", "media", "events" say little alone)."""
    words = term.split(" ")
    return len(words) > 1 and not any(w in _RANK_WORDS for w in words)


def _identity(posting: Posting) -> tuple[str, str]:
    return (posting.source, posting.external_id or posting.url)


def _sample(postings: Sequence[Posting], limit: int) -> list[Posting]:
    """At most ``limit`` postings, the same ones in the same order whatever order they come in."""
    def rank(posting: Posting) -> str:
        source, ident = _identity(posting)
        return hashlib.sha1(f"{source}\0{ident}\0{posting.title}".encode()).hexdigest()
    return sorted(postings, key=rank)[:limit]


def _choose_terms(terms: list[str], df: np.ndarray, skills: set[str]) -> list[str]:
    """Terms frequent enough, at most MAX_FEATURES (most frequent first), plus every skill."""
    frequent = [(int(-df[i]), t) for i, t in enumerate(terms) if df[i] >= MIN_DF]
    chosen = {t for _, t in sorted(frequent)[:MAX_FEATURES]}
    return sorted(chosen | skills)


def _idf(vocabulary: list[str], seen: dict[str, int], documents: list[np.ndarray]) -> np.ndarray:
    """Smoothed idf of each vocabulary term, computed by scikit-learn over the sample."""
    remap = np.full(len(seen), -1, dtype=np.int64)
    for column, term in enumerate(vocabulary):
        if term in seen:
            remap[seen[term]] = column
    rows = [remap[ids][remap[ids] >= 0] for ids in documents]
    lengths = [len(r) for r in rows]
    columns = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    presence = sp.csr_matrix(
        (np.ones(len(columns), dtype=np.float32),
         (np.repeat(np.arange(len(rows)), lengths), columns)),
        shape=(max(len(rows), 1), len(vocabulary)),
    )
    return TfidfTransformer(smooth_idf=True).fit(presence).idf_


# -- storing a fitted model ---------------------------------------------------------------


def _header(matcher: TfidfMatcher, *, scoring_only: bool = False) -> str:
    """The model's table, settings (without the feedback ones if ``scoring_only``) and
    corpus size, as JSON."""
    settings = asdict(matcher.settings)
    if scoring_only:
        settings = _without_feedback(settings)
    return json.dumps(
        {"table": matcher.analyzer.table.digest, "settings": settings,
         "n_documents": matcher.n_documents},
        sort_keys=True,
    )


def _without_feedback(settings: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in settings.items() if name not in FEEDBACK_SETTINGS}


def dump_matcher(matcher: TfidfMatcher) -> bytes:
    """The fitted model as bytes, for the caller to store (the matcher does no I/O)."""
    header = _header(matcher).encode()
    terms = "\n".join(matcher.terms).encode()
    idf = matcher._idf.astype("<f8").tobytes()
    parts = (header, terms, idf, *_matrix_parts(matcher._reference),
             *_matrix_parts(matcher._reference_titles))
    body = b"".join(struct.pack("<Q", len(part)) + part for part in parts)
    return _FORMAT + zlib.compress(body, 6)


def load_matcher(
    data: bytes, analyzer: Analyzer | None = None, settings: Settings | None = None
) -> TfidfMatcher | None:
    """A matcher from :func:`dump_matcher` bytes, under ``settings`` (default: this version's);
    ``None`` when they were made by another format, skills table or scoring settings, or are
    damaged: then fit a new one. The feedback settings are taken from ``settings`` whatever
    the model was stored with: they change no vector, and a model is refitted only when the
    corpus grows, so new feedback defaults would otherwise never reach an installation."""
    wanted = settings or Settings()
    if not data.startswith(_FORMAT):
        return None
    try:
        parts = _unpack(_inflated(data[len(_FORMAT) :]))
        header: dict[str, Any] = json.loads(parts[0])
        stored = asdict(Settings(**header["settings"]))
        if _without_feedback(stored) != _without_feedback(asdict(wanted)):
            return None
        matcher = TfidfMatcher(wanted, analyzer)
        if header.get("table") != matcher.analyzer.table.digest:
            return None
        terms = parts[1].decode().split("\n") if parts[1] else []
        idf = np.frombuffer(parts[2], dtype="<f8").astype(np.float64)
        if len(idf) != len(terms):
            return None
        matcher._set_model(terms, idf, int(header["n_documents"]))
        reference = _matrix_from(parts[3:6], len(terms))
        titles = _matrix_from(parts[6:9], len(terms))
        if titles.shape != reference.shape:
            return None
    except (zlib.error, ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError):
        return None
    matcher._set_reference(reference, titles)
    return matcher


def _matrix_parts(matrix: sp.csr_matrix) -> tuple[bytes, bytes, bytes]:
    """A sparse matrix as three parts of a stored model: its pointers, indices and data."""
    return (matrix.indptr.astype("<i8").tobytes(), matrix.indices.astype("<i4").tobytes(),
            matrix.data.astype("<f4").tobytes())


def _matrix_from(parts: Sequence[bytes], width: int) -> sp.csr_matrix:
    """The matrix of ``_matrix_parts``; ValueError when its pointers or indices are out of
    range (scipy's own check skips them, and an index past the terms corrupts memory later:
    an import may bring any bytes)."""
    indptr = np.frombuffer(parts[0], dtype="<i8")
    matrix = sp.csr_matrix(
        (np.frombuffer(parts[2], dtype="<f4"), np.frombuffer(parts[1], dtype="<i4"), indptr),
        shape=(len(indptr) - 1, width),
    )
    matrix.check_format(full_check=True)
    return matrix


def _inflated(data: bytes) -> bytes:
    """A stored model's body; ValueError past MAX_MODEL_BYTES (a model an import brought may
    come from anyone: a few KB inflating to gigabytes is no model)."""
    inflater = zlib.decompressobj()
    body = inflater.decompress(data, MAX_MODEL_BYTES)
    if inflater.unconsumed_tail:
        raise ValueError(f"a model over {MAX_MODEL_BYTES:,} bytes")
    if not inflater.eof:
        raise ValueError("a model cut short")
    return body


def _unpack(body: bytes) -> list[bytes]:
    parts, at = [], 0
    while at < len(body):
        (size,) = struct.unpack_from("<Q", body, at)
        parts.append(body[at + 8 : at + 8 + size])
        at += 8 + size
    if len(parts) != 9:
        raise ValueError("expected header, terms, idf, the reference postings and titles")
    return parts
