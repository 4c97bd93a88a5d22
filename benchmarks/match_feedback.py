"""Does feedback help? Re-ranking after a mentee marks leads of their first page.

    .venv/bin/python benchmarks/match_feedback.py          # report
    .venv/bin/python benchmarks/match_feedback.py --tune   # choose the weights, then report
    .venv/bin/python benchmarks/match_feedback.py --tune-titles  # the title move's weights

For every profile and posting set of benchmarks/match_quality.py: rank all postings, then
from the first page (the top 10) mark up to 3 relevant postings Interested (those of the
mentee's own category first) and up to 3 irrelevant ones Not for me (relevance: the graded
judgements), turn the verdicts into
feedback exactly as `leads match` and `leads rank --feedback` do
(matchers.feedback_from_verdicts), and rank again. Both rankings are scored on what remains
(the marked postings removed): NDCG@10, the ideal taken over the remaining postings.
Target per (set, style): the mean rises by at least 0.05 and it falls for at most 10 % of
the profiles. (The issue asks it of each set: the last rows pool a set's two styles, as it
names them; the exit status judges the stricter rows by style.) Reported for the tuning and
held-out halves of match_quality.py and both; the feedback settings
(Settings.feedback_trust, feedback_push, feedback_pull, feedback_agreement; earlier
liked, feedback_share, feedback_reach and feedback_near) are chosen with --tune on the
tuning half only. --tune fits, ranks and marks each group once and re-ranks it per trial
(feedback settings change no vector), and cross-validates its choice over the tuning
profiles of all sets together (FOLDS parts by a hash of the profile id): chosen on the
other parts, how each part fares, beside the present settings. With 25 WWR short tuning
profiles a choice can still fit noise; the cross-validation says when it does.

The agreement test (Settings.feedback_agreement, TfidfMatcher._agreement): likes and
dislikes move the profile only if, for at least that share of the marks, the move made
from the other marks ranks the mark better than the profile alone does (a like higher, a
dislike lower; ranks in the model's reference sample). Found on the enlarged tuning half
(below): of its 137 profiles with both kinds of marks, 53 had such a leave-one-out share
under 0.5, and 12 of them fell (mean rise +0.033), against 8 of the 84 others (+0.18).
--tune chose 0.6 from 0, 0.4, 0.5 and 0.6 (pull 0.3, push 0.6, trust 0.2 kept). Tuning
half rise/fell, WWR short, WWR long, Google short, Google long: without the test (0)
+0.088/12 %, +0.115/10 %, +0.049/10 %, +0.103/11 %; 0.4 +0.076/4 %, +0.109/4 %,
+0.040/10 %, +0.087/10 %; 0.5 +0.072/4 %, +0.107/4 %, +0.040/10 %, +0.094/7 %; 0.6
+0.069/4 %, +0.056/0 %, +0.035/5 %, +0.055/6 %. Cross-validated (chosen on four fifths,
scored on the fifth): 4 % fell pooled (+0.069/4 %, +0.055/0 %, +0.033/5 %, +0.053/6 %)
against 12 % (+0.098/12 %, +0.107/10 %, +0.039/10 %, +0.095/13 %) for the grid without it;
a chooser putting the number of sets that miss a target first chose the same. Kept by a
rule set before the held-out half was read: at least as many held-out sets meeting both
targets as before (Google long only). Held-out half, before -> after: WWR short
+0.038/14 % -> +0.011/0 %, WWR long +0.060/20 % -> +0.014/8 %, Google short +0.042/9 % ->
+0.019/12 %, Google long +0.135/8 % -> +0.097/2 %: far fewer rankings fall, but on WWR
feedback now raises little, as most of its profiles' marks fail the test and only the
nudges move them. It costs some 15 ms CPU per profile with both kinds of marks (Google
long, 1,250 postings: 1.0 -> 2.7 s for 157 profiles, 111 with both).

Until 30 short WWR profiles and 12 short Google ones were added to match_judgements.yaml
(written before any figure of theirs was seen; by the hash, 15 and 8 of them landed in
the tuning half), the WWR short tuning half had ten profiles, five ranking perfectly before
feedback (NDCG 1.0: they can only fall) and one with nothing relevant on its first page, so
no variant moved that row's falls (0 %) and the tuning half could not say what would help
the held-out short profiles (5 of 20 fell). With them, the code before the agreement
test, rise/fell on the tuning half: WWR short +0.088/12 % (25 profiles), long
+0.115/10 % (48), Google short +0.049/10 % (39), long +0.103/11 % (70); held-out
+0.038/14 % (35), +0.060/20 % (64), +0.042/9 % (34), +0.135/8 % (87). The figures of the
next two paragraphs were measured on the tuning half before that (10 WWR short, 31 Google
short profiles).

Why WWR falls (tuning half only; 5 of 48 résumés fall, by 0.065, 0.063, 0.018, 0.009 and
0.006): the Rocchio blend brings nearly all of the rise and all of WWR's falls (blend
alone, rise/fell: WWR short +0.098/0 %, long +0.108/10 %, Google short +0.055/6 %, long
+0.099/13 %; the nudges alone +0.000/0 %, +0.010/0 %, +0.010/6 %, +0.014/4 %), and the
large falls are judgements that split postings asking the same: liked project managers
judged "Management and Finance" beside disliked ones judged "All Other Remote", a liked
cyber-security mentor bringing a "Technical Writer - Cyber Security" judged "Back-End
Programming". WWR's category is the label itself (load_wwr removes it), so feedback may
not read it. Structural variants tried on the tuning half and not kept (present settings,
rise/fell for WWR short, WWR long, Google short, Google long; the present code +0.098/0 %,
+0.115/10 %, +0.068/6 %, +0.103/11 %; no variant's cross-validated choice did better on
WWR without doing worse on Google):
dislikes moving only by what the disliked ask beyond the liked (liked terms left out of
their asks) +0.087/0 %, +0.107/10 %, +0.055/10 %, +0.100/11 % (in the push only +0.098/0 %,
+0.111/10 %, +0.068/6 %, +0.104/11 %); the liked titles' role words added as a role (weight
1) +0.092/0 %, +0.100/17 %, +0.068/10 %, +0.101/16 % (weight 3: WWR long falls 15 %); the
profile's own terms as an anchor dislikes cannot subtract +0.098/0 %, +0.105/12 %,
+0.056/10 %, +0.099/11 %; a move per liked posting, the best of them +0.099/10 %,
+0.097/15 %, +0.064/10 %, +0.106/13 % (their mean: Google short +0.062/10 %); the liked
asks cut to skills and role words +0.092/0 %, +0.100/19 %, +0.047/6 %, +0.106/11 %, or to
their 40 strongest terms (WWR long +0.066/27 %); liked postings weighted by their cosine
with the profile +0.097/0 %, +0.111/8 %, +0.056/13 %, +0.098/13 %; the disliked postings
left out of the moved profile's expansion +0.098/0 %, +0.115/10 %, +0.071/6 %, +0.099/11 %;
the moved profile built from the expanded one (re-expanded or not: WWR long falls 17 %).
A narrower pull toward what the liked share makes more profiles fall, not fewer. Closest:
each dislike weighed by how unlike every like it asks (1 - its highest cosine of asks with
a liked posting), so a dislike of what a like asks moves little: the grid rows with a
trust margin fall for a point fewer pooled (present settings +0.098/0 %, +0.113/8 %,
+0.063/6 %, +0.103/10 %), but its cross-validated choice rises less on WWR long (+0.100/10 %
against +0.111/10 %) and falls more on Google short (10 % against 6 %); the weight squared
or its root, or such dislikes dropped above a cosine of 0.5 or 0.7, do no better (at 0.7
WWR is unchanged).

Tried on the enlarged tuning half (25 WWR short, 39 Google short) before the agreement test
and not kept; rise/fell for WWR short, WWR long, Google short, Google long at the settings
of the time, then --tune's cross-validated choice (the code then: +0.088/12 %, +0.115/10 %,
+0.049/10 %, +0.103/11 %, 11 % pooled; cross-validated 12 % pooled: +0.098/12 %,
+0.107/10 %, +0.039/10 %, +0.095/13 %). That code's tuning falls are mostly judgements splitting
postings that ask the same (the liked "Machine Learning Product Specialist, Google Cloud"
is Technical Solutions, the risen "Product Specialist, Google Cloud (English)" Sales
Operations; a liked "Partner Onboarding Manager (Americas)" is Partnerships, its disliked
JAPAC twin Program Management; liked Executive Assistants are All Other Remote, a disliked
"Senior Executive Assistant to the CEO" Management and Finance; data engineers are spread
over Back-End, Full-Stack, Design and All Other Remote), and the largest (-0.604) a liked
"Technical Program Manager, ..., Verily Life Sciences - South San Francisco": the dataset
gives Google as the employer of Verily's postings, so Verily's name stays in what the
posting asks and brings Verily's engineers up (in a feed naming Verily it would not).
What did not help:
- The move shrunk as likes and dislikes ask alike: the Rocchio move times (1 - cosine of
  their mean asks) / m, at most 1 (m in the grid as 0 = off, 0.5, 0.9). At m = 0.9 and
  the settings then +0.091/12 %, +0.111/10 %, +0.046/8 %, +0.103/11 % (10 % pooled);
  --tune then chose pull 0.3, push 0.3, trust 0.4, m 0.9, cross-validated 9 % pooled
  (+0.094/12 %, +0.107/6 %, +0.038/5 %, +0.095/11 %), better than the present code's 12 %.
  Its held-out half, reported once, was worse on every set's rise: +0.026/9 %, +0.047/20 %,
  +0.022/15 %, +0.121/11 % against +0.038/14 %, +0.060/20 %, +0.042/9 %, +0.135/8 % (Google
  long would no longer meet the 10 %), so it was not kept (a decision the held-out half
  made, which is why the agreement test's was fixed in advance): a choice the
  cross-validation favoured by a few profiles did not carry over. The move times that
  factor and likes counted once per near-copy (below, root weight) together: +0.091/12 %,
  +0.111/10 %, +0.047/3 %, +0.101/14 %, cross-validated 9 % pooled with Google long at
  14 %.
- Likes that are near-copies of each other (asks cosine >= 0.8) counted once in the liked
  weight (liked x distinct/likes): +0.088/12 %, +0.115/10 %, +0.053/5 %, +0.102/13 %,
  cross-validated 11 % pooled; with the ratio's square root the same at the present
  settings, cross-validated 10 % (+0.088/12 %, +0.115/10 %, +0.050/5 %, +0.102/13 %); for
  dislikes too +0.088/12 %, +0.113/10 %, +0.051/3 %, +0.103/13 %; the liked mean taken over
  distinct likes only +0.088/12 %, +0.115/10 %, +0.046/10 %, +0.107/13 %, with the root
  weight +0.049/8 % and +0.107/11 % on Google but cross-validated 12 %. None moves WWR
  short's three falls; at best Google short falls less while Google long falls more.
- Trust judged against the profile's typical change (blended scores divided by the median
  ratio of blended to first over its postings before the 0.2 test): +0.089/16 %,
  +0.114/15 %, +0.052/8 %, +0.103/13 %. An absolute floor as well (a change must also exceed
  p of the profile's best score): p 0.02 as now, p 0.05 +0.096/12 %, +0.113/12 %,
  +0.045/10 %, +0.103/11 %, p 0.1 +0.088/4 %, +0.097/12 %, +0.037/5 %, +0.093/14 %
  (cross-validated 11 % pooled).
How alike the marks are does not foretell which profiles fall (tuning profiles with both
kinds, 137): by the cosine of the liked and disliked mean asks, 7 of 35 fall below 0.1, 8
of 68 at 0.1-0.2, 2 of 25 at 0.2-0.4, 3 of 9 above; by the likes' mean cosine with each
other minus theirs with the dislikes (131 with two likes or more), 11-12 % fall below 0.1
and 18-31 % above 0.1, the most apart (above 0.4: 4 of 13) rising least (+0.010): the
opposite of a margin's promise, as likes that copy one posting agree most (likes' mutual
cosine 0.8 or more: 5 of 14 fall), which the near-copy variants above address. What
foretells a fall is whether the marks foretell each other: the agreement test above.

The vocabulary's synonyms that named another skill were made skills of their own after
that (match_explain.py says which); no feedback setting changed. Held-out half, before ->
after: WWR short +0.011/0 % -> +0.015/0 %, WWR long +0.014/8 % -> +0.017/6 %, Google short
+0.019/12 % -> +0.015/15 % (one profile more of 34 falls), Google long +0.097/2 % ->
+0.108/2 %. Then "Less" (from "less experienced"), "the workday" (as HRIS) and the verb
"excel" stopped naming skills, and "What we can do for you:" became an offer's heading
(match_explain.py says more): held-out WWR short +0.015/0 % -> +0.013/0 %, WWR long
+0.017/6 % -> +0.017/5 %, Google short unchanged, Google long +0.108/2 % -> +0.096/2 %;
tuning half WWR long +0.057/2 % -> +0.055/2 %, Google long +0.069/4 % -> +0.062/4 %, the
rest unchanged. Then the eighth round of match_explain.py's rules (a sentence's last words
join as variants, the functions a job works with as stakeholders and how to apply are not
the job, Amazon advertising no SEM): held-out WWR short +0.013/0 % unchanged, WWR long
+0.017/5 % -> +0.016/5 %, Google short +0.015/15 % -> +0.021/15 %, Google long +0.096/2 %
-> +0.095/2 %; tuning half WWR long +0.055/2 % -> +0.071/2 %, the rest within 0.001.
Then the ninth round's (HR tech a market, the employer's own bullets and labelled blurbs
not the job): held-out WWR long +0.016/5 % -> +0.015/6 %, the rest unchanged; tuning half
WWR short +0.076/4 % -> +0.089/4 %. Then the tenth round's (a team's members and consumer
electronics not asked): held-out Google short +0.021/15 % -> +0.018/15 %, Google long
+0.095/2 % -> +0.096/3 %, WWR unchanged; tuning half Google long +0.063/4 % -> +0.068/3 %.
After the eleventh round's rules and the label fix: held-out WWR long +0.015/6 % ->
+0.016/6 %, the rest unchanged.

Where the rise has to come from (held-out, by the marks a profile gets): profiles whose
first page held only relevant postings get likes alone and start at NDCG 0.84-0.96 (13 of 35
WWR short, 10 of 34 Google short), so they can barely rise; those with both kinds rise,
without the agreement test, +0.073 (WWR short), +0.076 (WWR long), +0.050 (Google short),
+0.209 (Google long), but 23 %, 18 %, 12 % and 10 % of them fall, mostly by 0.02-0.08.
Tried on the tuning half and not kept: the agreement share scaling the blend instead of
gating it (share x ((a - lo) / (1 - lo)) ** p). At lo 0, p 1: +0.084/4 %, +0.071/6 %,
+0.037/3 %, +0.083/10 % against the present +0.077/4 %, +0.057/2 %, +0.034/5 %,
+0.069/4 %: more rise bought with more falls (lo 0.2-0.4, p 2 fall less and rise less than
the present code); no setting lifts Google short to +0.05 even on the tuning half.
Tried on the tuning half after that and not kept: feedback in the space of skill areas
(skills.yaml's headings) as well as of terms, as the judgements grade a posting by its
category and a like says "more of this field": each posting's areas (the weight of what it
asks, per area), the liked postings' mean minus the disliked ones', and every score times
exp(b x the posting's areas . that difference), on top of the present feedback. Rise/fell,
WWR short, WWR long, Google short, Google long; present +0.089/4 %, +0.073/2 %, +0.035/5 %,
+0.068/3 %: b 0.5 +0.103/8 %, +0.085/21 %, +0.044/13 %, +0.081/10 %; b 2 +0.115/20 %,
+0.106/23 %, +0.057/21 %, +0.080/19 % (the same trade of rise for falls as the term-space
blend); applied only where every mark's side is foretold by the other marks' areas (the
agreement test in area space), b 0.5 +0.096/4 %, +0.077/2 %, +0.036/5 %, +0.064/4 %: within
0.01 of the present code, so not worth a second model of the profile.
Tried after that and not kept (analysed outside this script, on its Trial data): the move
learned instead of set by hand. A logistic regression, fitted on the first 60 remaining
postings of each tuning profile with both kinds of marks (relevant or not by the
judgements), over the posting's log score and four
cosines of what it asks with what the marks ask (the likes' mean and highest, the
dislikes' mean and highest; never the whole posting, whose employer and blurb the move
must ignore); the score then becomes score x exp(the cosines weighed by their coefficients
over the log score's), where a like left out ranks better and a dislike worse under the
other marks for at least 0.6 of the marks among those 60 (else the nudges alone). Fitted
on four fifths of the tuning profiles and scored on the fifth (FOLDS by the hash), rise/fell
for WWR short, WWR long, Google short, Google long: +0.055/0 %, +0.059/0 %, +0.053/3 %,
+0.095/4 % against the present +0.089/4 %, +0.073/2 %, +0.035/5 %, +0.068/3 %: both
targets met on every set of the tuning half, cross-validated (without the test:
+0.115/8 %, +0.081/10 %, +0.029/5 %, +0.105/6 %; the weights per unit of log score, fitted
on the whole half: likes' mean 12.1, highest 10.3, dislikes' mean -0.05, highest -7.5, so
the likes decide). It was fixed, with the rule to keep it only if more held-out sets met
both targets than now (one), before the held-out half was measured once: +0.010/3 %,
+0.014/3 %, +0.021/15 %, +0.105/1 % against +0.013/0 %, +0.016/6 %, +0.018/15 %,
+0.096/3 %: the same one set, so not kept (it would also have needed what the reference
sample asks, stored in the model, to test the marks without the postings being ranked).
Applied to the 31 tuning profiles with likes alone, the same learned move (cross-validated)
lowered 22-67 % of their rankings per set (mean -0.03 to -0.07): one-sided marks still move
only near-copies, as above.
On the held-out WWR profiles no move measured, set or learned, has risen by more than +0.04 (short)
and +0.06 (long) on average, and those without the agreement test, with 14-20 % falling.

Tried after that (analysed outside this script, on its Trial data, tuning half): a second
move in the space of titles, as a like says what role fits and WWR's and Google's categories
are roles. Each posting's title in the model's own terms (sublinear tf x idf, the employer's
name, rank words and bare job nouns left out, as in what a posting asks), and every score
of a profile with both kinds of marks times exp(b x its highest title cosine with a like -
c x its highest with a dislike), where the marks agree in that space too: for at least
a share g of them, the move the other marks make ranks the mark (among the set's postings,
by the profile's own scores) better than those scores do, a like higher and a dislike
lower. Chosen by this script's rule (``choose``) from b and c in 0.5, 1, 2, 3, g in 0.5,
0.6, 0.8 and titles with or without the rank words and job nouns: those without, b 1, c
0.5, g 0.5; tuning half rise/fell, WWR short, WWR long, Google short, Google long:
+0.105/4 %, +0.104/4 %, +0.065/5 %, +0.096/1 % against the present +0.089/4 %, +0.073/2 %,
+0.035/5 %, +0.068/3 %; cross-validated (chosen on four fifths, scored on the fifth)
+0.120/0 %, +0.118/6 %, +0.041/8 %, +0.115/1 %. The keep-rule, fixed here before the held-out
half is measured with it: measured once there, it is built into the matcher only if more
held-out sets meet both targets than now (one, Google long); else it is not kept.
Measured once on the held-out half (the same script): WWR short +0.013/0 % -> +0.026/0 %,
WWR long +0.016/6 % -> +0.052/5 %, Google short +0.018/15 % unchanged, Google long
+0.096/3 % -> +0.134/7 %: two sets meet both targets (WWR long too), so by the rule it was
kept. Built into the matcher (TfidfMatcher._title_factors; the model keeps its reference
postings' titles, so the agreement test ranks the marks among the reference sample, as the
other move's does), with the titles without rank words and job nouns, as in what a posting
asks; ``--tune-titles`` runs the same grid on it (TITLE_GRID, the rest as they are) and
chose the same (b 1, c 0.5, g 0.5; cross-validated +0.106/0 %, +0.112/6 %, +0.040/8 %,
+0.093/1 %). This script with it, tuning half: +0.105/4 %, +0.104/4 %, +0.062/5 %,
+0.097/1 %; held-out as above (Google short +0.016/15 %, within a profile of the
experiment's). Its cost is within the noise: rank_many with feedback for Google's 157
résumés (114 with both kinds of marks), median of 5, 3.74-4.06 s against 3.74-3.90 s
before, in the same window.
Tried after it on the tuning half and not kept: the title move for likes alone too. Its
agreement test never passes there (0.0 for all 14 Google short tuning profiles with likes
alone: likes from the top of the first page cannot rank higher among the reference sample,
as what ranks above them shares their title), so nothing moves; without the test (the
experiment above) 2 of the 5 WWR short profiles with likes alone fell (mean -0.031).
With the title move in place, ``--tune`` re-chooses the other feedback settings (GRID) by
its rule; the keep-rule, fixed here before that run ends: the new choice replaces the
present settings only if, measured once, more held-out sets meet both targets than now
(two: WWR long and Google long). It chose feedback_pull 0 (from 0.3), the rest as they are;
tuning half +0.104/4 %, +0.103/4 %, +0.062/5 %, +0.096/1 % (cross-validated the same within
0.001); held-out +0.022/0 %, +0.052/5 %, +0.008/15 %, +0.129/7 %: the same two sets, so it
was not kept.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from match_quality import HALVES, K, Labelled, Query, load_sets, ndcg

from aggregator.core.models import Match, Verdict
from matchers import Feedback, Settings, TfidfMatcher, feedback_from_verdicts

MARKS = 3
TARGET_RISE = 0.05
MAX_FALLING = 0.10
FOLDS = 5  # cross-validation parts of the tuning profiles (--tune)
# The settings --tune tries: every combination.
# (feedback_near was chosen as 0.3 from 0.2, 0.3 and 0.5 in the same way.)
# What remains of the first page after the marks is within the first K + 2 * MARKS.
DEPTH = K + 2 * MARKS
GRID = {"feedback_trust": (0.0, 0.2, 0.4), "feedback_push": (0.3, 0.6),
        "feedback_pull": (0.0, 0.3), "feedback_agreement": (0.0, 0.4, 0.5, 0.6)}
# The title move's settings, which --tune-titles tries (every combination, the rest as they are).
TITLE_GRID = {"feedback_title_pull": (0.5, 1.0, 2.0, 3.0),
              "feedback_title_push": (0.5, 1.0, 2.0, 3.0),
              "feedback_title_agreement": (0.5, 0.6, 0.8)}


def marks(ranked: Sequence[str], labels: dict[str, str], relevant: dict[str, int]
          ) -> dict[str, Verdict]:
    """The verdicts a mentee gives on the first page: up to MARKS of each kind."""
    page = ranked[:K]
    grade = {key: relevant.get(labels[key], 0) for key in page}
    # The mentee marks what fits best first: the postings of their own category, then
    # neighbouring ones.
    good = sorted((key for key in page if grade[key] > 0), key=lambda k: -grade[k])[:MARKS]
    bad = [key for key in page if grade[key] == 0][:MARKS]
    return {**dict.fromkeys(good, Verdict.INTERESTED), **dict.fromkeys(bad, Verdict.NOT_FOR_ME)}


class Trial:
    """One (set, style) group fitted, ranked and marked once; ``after`` re-ranks it under
    any feedback settings without refitting (matchers.tfidf.FEEDBACK_SETTINGS change no
    vector)."""

    def __init__(self, items: Sequence[Labelled], qs: Sequence[Query]) -> None:
        self.matcher = TfidfMatcher().fit([i.posting for i in items])
        keyed = [(i.key, i.posting) for i in items]
        self.index = self.matcher.index(keyed)
        self.labels = {i.key: i.label for i in items}
        self.qs = list(qs)
        self.profiles = [q.profile for q in qs]
        first = self.matcher.rank_many(self.profiles, self.index, top=DEPTH)
        self.said = {q.profile.id: marks([m.posting for m in first[q.profile.id]],
                                         self.labels, q.relevant) for q in qs}
        postings = dict(keyed)
        self.feedback: dict[str, Feedback] = {
            mentee: feedback_from_verdicts(verdicts, postings)
            for mentee, verdicts in self.said.items()
        }
        self.before = self._ndcg(first)

    def after(self, settings: Settings) -> np.ndarray:
        """Per-profile NDCG@10 of what remains after the feedback, under ``settings``."""
        matcher = self.matcher.with_feedback_settings(settings)
        return self._ndcg(matcher.rank_many(self.profiles, self.index, top=DEPTH,
                                            feedback=self.feedback))

    def _ndcg(self, run: dict[str, list[Match]]) -> np.ndarray:
        scores = []
        for q in self.qs:
            marked = self.said[q.profile.id]
            remaining = {key: label for key, label in self.labels.items() if key not in marked}
            kept = [m.posting for m in run[q.profile.id] if m.posting not in marked]
            scores.append(ndcg(kept, remaining, q.relevant))
        return np.array(scores)


Rises = dict[tuple[str, str], np.ndarray]  # per (set, style): each profile's change


def tune(trials: dict[tuple[str, str], Trial], grid: dict[str, tuple[Any, ...]]) -> Settings:
    """The settings of ``grid`` that ``choose`` takes on all tuning profiles (prints each
    trial; the other settings as they are), after a cross-validation of that choice: chosen
    on FOLDS - 1 parts of the tuning profiles, how does it do on the part it did not see,
    beside the present settings?"""
    settings = [replace(Settings(), **dict(zip(grid, values, strict=True)))
                for values in itertools.product(*grid.values())]
    rises: list[Rises] = []
    for trial in settings:
        rises.append({key: group.after(trial) - group.before for key, group in trials.items()})
        print(f"  {shown(trial)}: {summary(rises[-1])}", flush=True)
    parts = {key: np.array([_part(q.profile.id) for q in group.qs])
             for key, group in trials.items()}
    unseen: Rises = {key: np.zeros(len(part)) for key, part in parts.items()}
    for part in range(FOLDS):
        seen = {key: p != part for key, p in parts.items()}
        chosen = rises[choose([_only(r, seen) for r in rises])]
        for key, mask in seen.items():
            unseen[key][~mask] = chosen[key][~mask]
    present = {key: group.after(Settings()) - group.before for key, group in trials.items()}
    print(f"cross-validated ({FOLDS} parts of the tuning profiles): the choice "
          f"{summary(unseen)}; present settings {summary(present)}")
    best = settings[choose(rises)]
    print(f"chosen: {shown(best)}")
    return best


def choose(rises: Sequence[Rises]) -> int:
    """Which trial to take: the one whose worst set has the fewest profiles falling, then
    the largest smallest rise."""
    def key(at: int) -> tuple[float, float]:
        falling = max(float(np.mean(r < -1e-9)) for r in rises[at].values())
        return -falling, min(float(r.mean()) for r in rises[at].values())
    return max(range(len(rises)), key=key)


def summary(rises: Rises) -> str:
    """Falling share pooled, and each set's mean rise and falling share."""
    pooled = np.concatenate(list(rises.values()))
    sets = ", ".join(f"{' '.join(key)} {r.mean():+.3f}/{np.mean(r < -1e-9):.0%}"
                     for key, r in rises.items())
    return f"{np.mean(pooled < -1e-9):.0%} fell pooled ({sets})"


def _only(rises: Rises, keep: dict[tuple[str, str], np.ndarray]) -> Rises:
    return {key: r[keep[key]] for key, r in rises.items()}


def _part(profile_id: str) -> int:
    """A profile's cross-validation part: from a hash of its id, the same on every run."""
    return int(hashlib.sha256(profile_id.encode()).hexdigest(), 16) % FOLDS


def shown(settings: Settings) -> str:
    """The tuned settings' values."""
    return ", ".join(f"{f.name}={getattr(settings, f.name)}" for f in fields(Settings)
                     if f.name in GRID or f.name in TITLE_GRID)


def print_rows(label: str, before: np.ndarray, after: np.ndarray, halves: np.ndarray) -> bool:
    """Print a group's rows, one per half and both; whether its held-out half meets the
    targets."""
    ok = True
    for half in (*HALVES, "both"):
        keep = np.ones(len(halves), bool) if half == "both" else halves == half
        rise = float((after[keep] - before[keep]).mean())
        fell = float(np.mean(after[keep] < before[keep] - 1e-9))
        verdict = ""
        if half == "held-out":  # the honest figure: the tuning half chose the settings
            ok = rise >= TARGET_RISE and fell <= MAX_FALLING
            verdict = (f"{'PASS' if ok else 'FAIL'} (rise >= {TARGET_RISE:.2f}, "
                       f"fell <= {MAX_FALLING:.0%})")
        print(f"{label:<14}{half:<10}{int(keep.sum()):>4}{before[keep].mean():>9.3f}"
              f"{after[keep].mean():>9.3f}{rise:>+8.3f}{fell:>7.0%}  {verdict}")
    return ok


def main() -> int:
    """Print the table; exit 1 if a target is missed (judged on the held-out profiles of a set)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--tune", action="store_true",
                        help="choose the feedback weights on the tuning half, then report")
    parser.add_argument("--tune-titles", action="store_true",
                        help="choose the title move's weights on the tuning half, then report")
    args = parser.parse_args()
    started = time.perf_counter()
    sets, qs = load_sets()
    settings = Settings()
    if args.tune or args.tune_titles:
        settings = tune({key: Trial(sets[key[0]], [q for q in group if q.half == "tuning"])
                         for key, group in qs.items()}, TITLE_GRID if args.tune_titles else GRID)
    print(f"Feedback: NDCG@{K} of the remaining postings, before and after marking up to "
          f"{MARKS} relevant Interested and {MARKS} irrelevant Not for me on the first page")
    print(f"{'set':<14}{'half':<10}{'n':>4}{'before':>9}{'after':>9}{'rise':>8}{'fell':>7}  result")
    ok = True
    pooled: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for (name, style), group in qs.items():
        trial = Trial(sets[name], group)
        scored = (trial.before, trial.after(settings), np.array([q.half for q in group]))
        pooled.setdefault(name, []).append(scored)
        ok &= print_rows(f"{name} {style}", *scored)
    # The issue asks it of each set; the rows above ask it of each style of profile too.
    for name, parts in pooled.items():
        joined = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
        print_rows(f"{name} (set)", *joined)
    print(f"{shown(settings)}; {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
