"""Precision of "Why it fits" and "Brush up on", judged by hand on real postings and profiles.

    .venv/bin/python benchmarks/match_explain.py            # precision of this checkout
    .venv/bin/python benchmarks/match_explain.py --pairs    # add pairs of profiles lacking some

The pairs (benchmarks/data/explain_pairs.tsv) are (posting set, profile, posting) triples:
profiles of many fields from benchmarks/match_quality.py, each with the postings its
ranking put first when the pairs were chosen. The sample grew in rounds: PROFILES,
chosen by hand for the first, with their first two postings; then FRESH_FIELDS' profiles,
chosen by rule (per set, field and half, the first profile of match_judgements.yaml not in
the first round), each with its first two postings not yet in the set's pairs; then, once
the tuning half had no wrong terms left to learn from, every other tuning-half profile of
FRESH_FIELDS (the third round, again with two postings each; the held-out half gets none,
so it stays a sample the rules were not written from); then, once the third round's gaps
were nearly all right too, every tuning-half profile no earlier round took (the fourth
round: the fields FRESH_FIELDS leaves out, design, product, support and legal; four
postings each, PER_PROFILE_BY_ROUND, as they are few; again none from the held-out half);
then, as rules written from the tuning half had carried over poorly to fresh data, every
tuning-half profile of the first four rounds got two postings more, its next ones not yet
in the set's pairs, in each of LATER_ROUNDS (the fifth round, then the sixth: a profile's
pairs beyond its own round's number, in file order, two to a round; none for the held-out
half); then, as the held-out half's 53 gaps measured gap precision only to about +-0.05,
every held-out-half profile with pairs (31, of rounds 1 and 2) got three postings more, its
next ones not yet in the set's pairs, by the same code (the seventh round, LATER_ROUNDS'
last; three, fixed before the pairs were drawn, because 93 pairs at the held-out half's
0.85 gaps per pair, or the tuning half's 0.66, give some 60-80 gaps). No rule or setting
was changed for or after it. ``--pairs`` appends pairs for the sample's profiles that have
fewer than they want and keeps the rest, so the file grows reproducibly and judgements stay
valid. The fresh round was judged after the rules of matchers/explain.py were written, the
third after the rules of the second, the fourth after those of the third, the fifth after
those of the fourth (at 33a9cb0: why 181/184, gaps 78/97 right) and the sixth after those
of the fifth (at 06f5519: why 154/162, gaps 61/77 right: the fifth round's rules lifted
fresh gaps no more than earlier rules had), so their figures are reported apart too.

For each pair the matcher's why-terms and gaps are looked up in
benchmarks/data/explain_judgements.tsv, one judged term a line:

    set <TAB> profile id <TAB> posting key <TAB> why|gap <TAB> term <TAB> 1|0

A why-term is right (1) when it is a skill or a role word the mentee has and the posting
asks for, and says something on its own (a bare "manager", "media" or "planning" does
not), and no near-duplicate of another shown term; a gap when it is a real skill the
posting's requirements (not its blurb, offer or EEO text) ask for, the mentee lacks, shown
under a name the posting would recognise, and no near-duplicate. Judged once per term, by
reading the posting and the profile; terms judged for an earlier version of the matcher
stay in the file, so the precision of any version can be measured. Terms not
judged yet are listed, and the run fails, so a changed matcher gets its new terms judged.
Targets: precision >= 0.95 for why, >= 0.90 for gaps. Reported for the tuning and held-out
halves of match_quality.py (by profile) and both; rules are chosen looking at the tuning
half's wrong terms only (``--wrong`` lists those), the held-out half is the honest figure.
Tried on the tuning half after the fourth round and not kept, as each cost more right gaps
than wrong ones: a cap on gaps per lead (the first gap of a lead is the least often right:
53/58, against 50/52 for the rest), GAP_WEIGHT 0.09 (-14 right, -4 wrong), no gaps from
nice-to-have lines (-14 right, -1 wrong), a family's first area deciding the mentee's
families (-4 right, -4 wrong; its held-out figure was seen too: -11 right, -3 wrong).
Kept after the fifth round (tuning half, each removing more wrong terms than right): no
gap from a list of soft skills (-5 wrong, -2 right), a skill's examples as its alternatives
("CRM systems (e.g. Salesforce)": -1 wrong), a word an "or" joins to a longer item sharing
its last words ("project and/or program management": -1 wrong), accounting tools apart
from QuickBooks in skills.yaml (-1 wrong why, +1 right gap), "notion of" no Notion (-1
wrong), firmly asked skills read longest phrase first ("video editing": -1 wrong), "expert"
a requirement only as "expert in" (-1 wrong), no gap from a list ending "or similar
environment" (-2 wrong). Tried and not kept: slashed words read with their neighbours
("Contact Center/Customer Service": -1 wrong, -1 right), the or-rule above for "and" too
("distributed and parallel systems": -1 wrong, -6 right), the longest-phrase reading for
the mentee's own terms too ("contract negotiation" then has no negotiation: 10 right
why-terms went), lists ending "or equivalent" or "or other" as open too (-2 wrong, -2
right). Kept after the sixth round: no gap from the field of an employer or a market ("at
a MarTech/AdTech or SaaS company", "the ad-tech space": -4 wrong), and CFA and CMA apart
from CPA in skills.yaml (-1 wrong gap, +1 right). Tried and not kept, as each lowered a
held-out row of match_quality.py (by 0.001-0.003 NDCG@10): "gathered requirements" as
requirements gathering (-1 wrong gap, +5 right why), Virtualization apart from VMware (-2
wrong gaps, +2 right), and the verb in "if you excel" (-1 wrong why) together with the CFA
change (each alone lowers no row).

Built after the sixth round, as rules written from wrong terms kept carrying over poorly
(each fresh round had scored about 0.80 on gaps): one general gap policy, chosen by
cross-validation on the tuning half. Features of each shown tuning-half gap were compared
(where the posting asks it: requirement lines, statements, duty lines, nice-to-have lines
and how often; its weight; its rank and the lead's number of gaps; the share of the
mentee's skills in its family or area; the lead's score; how many postings like the
mentee's name it). By far the strongest was the last: of the 50 postings of the model's
reference sample nearest the mentee's profile (copies of the posting itself left out), a
gap none or one of them names was right 46 times in 61, against 196 in 206 for the rest.
So a gap is shown only when GAP_PEERS_ASKING (2) of GAP_PEERS (50) nearest postings name
it (matchers/explain.py); ``--choose-peers`` tries PEER_SETTINGS on the tuning half and
chooses the one keeping most right gaps at precision >= PEER_PRECISION (0.94, a margin
over the 0.90 target because the choice is tuned). Choosing so, cross-validated by profile
(10 folds), gives gap precision 0.953 (204/214); leaving one round out, 0.925 (211/228):
the estimate of fresh data's gap precision. Tuning half gaps 242/267 (0.906) -> 204/214
(0.953), 0.83 -> 0.66 gaps per pair; held-out (measured only) 58/71 (0.817) -> 45/53
(0.849), 1.15 -> 0.85 per pair: still below the target. On the leads that had gaps, tuning
half 1.84 -> 1.48 gaps each (24 of 145 left with none), held-out 2.03 -> 1.51 (4 of 35).
The 11 gaps the rule let in (each below a removed one; 5 of the held-out half) were judged
by reading posting and profile before any figure counting them was read (all right). Tried
and not kept (analysed outside this script, folds by profile): a logistic regression over
the other features (without the peer count: 0.925 at best, 209/226, and 0.915 leaving a
round out), one over all of them (0.93-0.96, but keeping 160-200 right gaps where the one
rule keeps 196 at 0.951: no better), and the count among the nearest postings with copies
of the posting counted (the posting then counts itself: 0.928 at two of 30, 205/221;
choosing (N, k) so, cross-validated: 0.90). match_quality.py is unchanged: gaps play no
part in the ranking.

Why-terms were looked at the same way and left as they are: of the tuning half's 11 wrong
ones, 7 are a skill the posting names in one line only, neither stated as a requirement
nor in its title ("Accounting" in a software engineer's posting), but such skills are
right 84 times in 91; no feature told those 7 apart without costing more right terms than
wrong: leaving them out on leads scoring below 0.15 (-6 wrong, -8 right), when the lead
has no other reason (-4 wrong, -13 right), or when under 2 of the 50 reference postings
nearest the posting name them (-3 wrong, -4 right; for every skill: -4 wrong, -16 right).

The seventh round (held-out half only, to measure it more precisely: its 53 gaps gave a
standard error of about 0.05) added 93 pairs, three for each of the 31 held-out-half
profiles with pairs, by the rule above, fixed before they were drawn; their 253 newly shown
terms (185 why, 68 gaps) were judged by reading posting and profile, against earlier
judgements of the same terms, before any figure counting them was computed, and none was
changed after. That round alone: why 168/185 (0.908), gaps 55/68 (0.809). Held-out half,
rounds 1-2 -> with the seventh: why 144/152 (0.947) -> 312/337 (0.926, +-0.014), gaps
45/53 (0.849) -> 100/121 (0.826, +-0.035): both below target, the gaps clearly (the
tuning half's cross-validated 0.925-0.953 overstated fresh data; the rules fit the tuning
sample better than the problem). Tuning half unchanged (why 577/588, gaps 204/214); both
halves why 889/925 (0.961), gaps 304/335 (0.907). Its wrong terms, described and not
used for any rule: gaps from a list of alternatives the mentee already meets (5 of 13:
one posting's "Javascript, Node.JS, ..., Python, Ruby, PHP, Java, Golang and C#" for a
Python developer), a part shown with its whole (Elasticsearch with ELK), an employer's
market (Ecommerce), soft asks (customer service for salespeople, customer experience),
vocabulary stretched (site monitoring as Observability) and a product's field (Video
marketing at YouTube); why-terms from a truncated role ("hr business", 3, near-identical
postings), a team or address the posting names without asking its skill (SRE teams,
FP&A's requests, recruitment@), a neighbouring skill the mentee lacks (Marketing
communications for internal communications, 3), a different variant of what the mentee has
(French for a Spanish bilingual, CIMA/ACA/ACCA for a CPA, Month-end close for reconciliations)
and synonyms stretched ("high-fidelity designs" as Prototyping, 2; "recruitment marketing"
as Employer branding; a revenue accountant's posting as Salesforce; a developer's project
manager as Project management).

After the seventh round, the vocabulary was read against its own rule (a synonym is another
name of the same skill, never a related, broader or narrower one), without looking at any
judged term: synonyms naming another thing became skills of their own or were dropped
(applicant tracking systems apart from HRIS; contract negotiation from contract law, where
a salesperson's or buyer's was shown as Contract law; event planning from event marketing;
product strategy from product roadmap; user flows and journey mapping from information
architecture; influencer from affiliate marketing; Google Workspace from Microsoft Office;
IFRS from GAAP; invoicing to receivable, not payable; Subversion from Git; Vite and Babel
from Webpack; infrastructure as code, Pulumi and containers from Terraform and Docker; …,
"gcp certification" no clinical research). Its 24 newly shown terms were judged by
reading posting and profile before any figure counting them was read. Two of the changes
were then undone, as the tuning half showed them wrong for these postings: a bare
"retention" kept as customer retention (-3 right why, -2 right gaps without it) and
"account executive" as account management (-1 right why); and "product vision" is no
synonym of product strategy either (-1 wrong gap). Tuning half: why 577/588 -> 575/585,
gaps 204/214 -> 205/215; held-out (measured only) why 312/337 (0.926) -> 312/335 (0.931),
gaps 100/121 (0.826) -> 99/121 (0.818). match_quality.py held-out rows all still pass (WWR
short +0.064 -> +0.062, long +0.082 -> +0.085, Google long +0.094 -> +0.092, non-engineering
+0.078 -> +0.079).

Then, from the tuning half's wrong gaps (``--wrong``): four of its ten were an industry or
line of business (Management consulting twice, Investment banking, Ecommerce), which says
where someone has worked, not what anyone can brush up on. Such skills are now listed
under skills.yaml `backgrounds` (with Private equity, Banking, Real estate and
Telecommunications) and are never gaps; they stay why-terms. Tuning half gaps 205/215 ->
204/210 (0.971). ``--choose-peers``, re-run by its rule, then took (100, 2) for (50, 2),
keeping more right gaps above 0.94. Its new tuning-half gaps named two ordinary words as
skills: "Less" from "mentor less experienced engineers" (the skill is now "Less CSS", its
bare name only as a whole skills-list item) and, found by reading every "workday" of the
sets' postings (all seven the time of day), HRIS from "the workday" (now a variant, as
"notion of" is). Two more tuning-half wrong terms led to two more rules: the verb "excel"
after a subject or "will"/"can" ("If you excel, you'll have the opportunity…", a why-term)
is a variant, as "excel at" is (tried before with the CFA change and not kept), and a
section headed "What we can do for you:" is the offer, not the job ("no invoicing
required" was a gap of Accounts receivable). Re-run after them, ``--choose-peers`` took
(50, 1): 223 right of 236 (0.945; 0.73 gaps a pair), one setting ahead of (100, 2) with
219 of 231 once its 4 unjudged gaps were judged (choosing so, cross-validated by profile
0.937, leaving one round out 0.933). Each time, the gaps the new setting showed and no
judgement covered (2 + 13, then 4 + 10, tuning + held-out) were judged by reading posting
and profile, against earlier judgements of the same kind of term, before any figure
counting them was computed: 12 of 15, then 10 of 14 right. Tuning half why 575/585 ->
575/584, gaps 205/215 -> 223/236; held-out (measured only) why 312/335 unchanged, gaps
99/121 (0.818) -> 119/147 (0.810): more right gaps at about the same precision, still
below the target. match_quality.py's held-out rows all still pass (WWR short +0.062, WWR
long +0.085 -> +0.087, Google long +0.092 -> +0.099, non-engineering +0.079).

The eighth round (tuning half only, as the fifth and sixth): two more postings for every
tuning-half profile with pairs (102 pairs, 84 of them showing terms), their 183 newly shown
terms judged by reading posting and profile before any figure counting them was computed
and before any rule was written from them. That round alone, as judged: why 136/141
(0.965), gaps 33/42 (0.786), the fresh-data gap precision earlier rounds had shown. From
its wrong terms (``--wrong``), each rule below kept only as it removed more wrong terms than
right ones on the tuning half:
- A variant (and any ordinary phrase of the table) did not join at a sentence's or a line's
  end: "familiarity with text editing." read as Editing, "…the east coast workday." as
  HRIS. A full stop before a space and a line break are now spaces to the tokenizer, and
  "text editing" / "text editor" a variant (-2 wrong why, no right term lost; one prep
  sheet of 1,749, The Epoch Times', no longer asks "How have you used editing…").
- The teams a hire "partners with and supports" (Employee relations, -1 wrong why), the
  functions it works "with … stakeholders" ("Strategy & GTM stakeholders": Go-to-market,
  -1 wrong gap; "Sales Operations, … and other stakeholders": -1 wrong why; "manage
  stakeholders" stays the job) and how to apply ("Please upload a
  video introducing yourself": Video marketing, -1 wrong gap) are not the job.
- "Amazon PPC" is no SEM (-1 wrong gap): Amazon advertising is a skill of its own.
- A role word that is part of a target role the posting's title holds whole is shown as
  that role: "Technical account" of a "Technical Account Manager" (wrong) is now
  "Technical account manager", and "Solutions consultant" of a "Technical Solutions
  Consultant" the mentee's "Technical solutions consultant" (8 new terms, judged right).
Tried and not kept: one gap per list of alternatives ("Postgres/MySQL" is one thing to
learn: -1 wrong, -9 right gaps, as the sample's judges count each listed skill a mentee
lacks as a right gap), "client presentations" as Public speaking (-1 wrong gap, but the
mentee's families moved and 4 right C++ gaps went).
``--choose-peers``, re-run by its rule after the round was judged, took (50, 2) (231/243),
then after the rules (30, 1): 244 right of 259 (0.942, 0.61 gaps a pair; cross-validated by
profile 0.939, leaving one round out 0.927); its two gaps no judgement covered (one per
half) were judged before any figure counting them was computed (both right). Tuning half
why 711/725 -> 712/722, gaps 256/278 -> 244/259; held-out (measured only) why 312/335
(0.931) unchanged, gaps 119/147 (0.810) -> 113/134 (0.843): still below both targets.
match_quality.py's held-out rows all still pass, each within 0.002 (WWR short +0.062 ->
+0.061, WWR long +0.087 -> +0.086, Google short +0.073 -> +0.071, Google long +0.099 ->
+0.100, non-engineering +0.079 -> +0.078); prep.py: 0 ungrounded of 9,954, fallback 168
-> 169 (9.7 %: The Epoch Times' sheet above). The tokenizer's full stop costs 1.04x its
time (7,012 postings, median of 7, old and new in one run).

The ninth round (tuning half only): three more postings for every tuning-half profile (153
pairs; deeper in each ranking, so many are engineering postings matched to non-engineers),
its 276 newly shown terms judged as the eighth's were. That round alone, as judged: why
182/204 (0.892), gaps 54/72 (0.750). Most wrong why-terms named the employer, not the job.
Rules from its wrong terms, each removing more wrong terms than right on the tuning half:
- "HR tech" (like fintech) is a market, a variant, not human resources (-3 wrong why: a
  frontend engineer at "a fast-growing HR tech startup" was no HR lead for an HR mentee).
- A bullet saying what the employer is ("• noxx is a payroll and compliance tool") and a
  blurb after a short label ("tldr: Dragonfruit Media is an agency…") are the employer's
  (-2 wrong why). Other bullets in the employer's voice ("• We're a team of five…") stay the
  job, as they may describe it.
- The field of an agency is no skill either ("a creative or brand marketing agency": -1
  wrong gap), as that of a company, firm or market was not.
- A bracketed list after "one <thing>" holds alternatives ("scripting skills in one common
  language (Perl, Python, Shell)": -1 wrong gap for a Python developer).
- skills.yaml `broader`: a financial model is financial analysis, and SQL is the language
  of relational databases (-4 wrong gaps: corporate-development mentees who build models
  were sent to learn "Financial analysis", a SQL user "Relational databases").
Tried and not kept: YouTube no synonym of Video marketing (-1 wrong, -1 right gap).
A pair the matcher no longer scores at all (three TestGorilla engineering postings for
the HR mentee, once "HR tech" named no HR) shows no term; it was a crash of this script.
``--choose-peers``, re-run by its rule, took (30, 2): 253 right of 268 (0.944, 0.46 gaps a
pair; cross-validated by profile 0.932, leaving one round out 0.897); (30, 1), the earlier
choice, is at 0.917 on the grown tuning half. Its two gaps no judgement covered were both
held-out (Torc's list of several openings' stacks, Ruby for a Python developer: 0, as that
lead's other languages; Publitas' "managed Elastic(Search)": 1, as the same line's message
queues) and were judged before any figure counting them was computed. Tuning half why
894/926 -> 894/921, gaps 298/331 -> 253/268; held-out (measured only) why 312/335 (0.931)
unchanged, gaps 113/134 (0.843) -> 81/100 (0.810): the setting the rule chose on the grown
tuning half shows fewer held-out gaps at a lower precision, within the held-out sample's
noise (+-0.04) but no gain; the protocol's choice is kept rather than one picked by the
held-out half. match_quality.py's held-out rows all pass (WWR long +0.086 -> +0.089,
non-engineering +0.078 -> +0.080, the rest unchanged); prep.py unchanged but 7,096
brush-up items, all citing the posting.

The tenth round (tuning half only): three more postings for every tuning-half profile (153
pairs), its 238 newly shown terms judged as the ninth's were. That round alone, as judged:
why 151/169 (0.893), gaps 57/69 (0.826). Rules from its wrong terms, each removing more
wrong terms than right on the tuning half: the members a team "consists of" ("a 2-4 person
team, consisting of a Product Manager, 1-2 Developers, and a Designer") are no more asked
than the team is (-1 wrong why), and "consumer electronics" is a market (-2 wrong gaps).
With the round, no peer setting reaches 0.94 on the tuning half ((30, 2) 310/335, 0.925;
the most precise, (20, 3), 0.936 at 0.30 gaps a pair), so by the rule the present (30, 2)
stays (``--choose-peers`` now says so). Tuning half why 1,045/1,089 (0.960), gaps 310/335
(0.925); held-out (measured only) unchanged, why 312/335 (0.931), gaps 81/100 (0.810).
match_quality.py's held-out rows all pass (Google short +0.071 -> +0.080, non-engineering
+0.080 -> +0.082, Google non-engineering +0.089 -> +0.094, the rest unchanged).

The eleventh round (tuning half only; ELEVENTH_ROUND): the 23 tuning-half profiles written
for match_judgements.yaml that no earlier round took (added later for the feedback
benchmark), with their first three postings (69 pairs): fresh profiles at the top of their
rankings, as a digest shows them. Its 101 newly shown terms were judged as the tenth's were.
That round alone, as judged: why 67/78 (0.859), gaps 16/23 (0.696), the lowest of any
round: several of these profiles (an admin assistant, an online teacher) have few postings
of their field in the sets, so their first postings are engineering ones. Rules from its
wrong terms, each removing more wrong terms than right on the tuning half: "static typing"
and "typing tools" are a language's types, not the typing of Data entry (-2 wrong why), and
a colleague is named as a team is ("working with a DevOps colleague": -1 wrong gap); the
agency rule above is now looked for in lines naming no other market word too. Tried and
not kept: YouTube no synonym of Video marketing again (-2 wrong, -3 right gaps), and the
field of an employer or a market left out of the job for why-terms and scores too, not only
for gaps (-2 wrong, -14 right: "the online advertising industry" is what an ad seller is
asked for). Seen and left alone: two of the round's wrong why-terms are Month-end close
read from a revenue accountant's "reconciliations"; the same kind was described from the
held-out half (seventh round, above) and the judging criteria cited it as an example, so a
rule now would be written knowing held-out errors. No peer setting reaches 0.94 on the
tuning half ((30, 2) 326/357, 0.913): (30, 2) stays. Tuning half why 1,112/1,165 (0.955),
gaps 326/357 (0.913); held-out (measured only) unchanged, why 312/335, gaps 81/100.
match_quality.py unchanged.

The twelfth round (tuning half only): the next three postings of the eleventh round's
profiles (69 pairs, 91 newly shown terms), judged as before. That round alone, as judged:
why 50/63 (0.794), gaps 22/28 (0.786). Its wrong terms are each of a kind of their own (a
partner "recruited", "audit support" read as auditing, "analytics" of a product area read
as data analysis, a title's "SAP" label, a field's tool asked of an account manager) and
gave no rule that removes more wrong terms than right: "analytics" no synonym of Data
analysis, the one tried, removes 4 wrong why-terms and 13 right ones. No peer setting
reaches 0.94: (30, 2) stays. Tuning half why 1,162/1,228 (0.946), gaps 348/385 (0.904),
now near the held-out half's 312/335 (0.931) and 81/100 (0.810): with the sample grown
from 477 to 1,023 pairs, the tuning half measures what fresh data gets. Tried then on the
grown tuning half and not kept, as a structural alternative to more rules: a skill is a
why-term only where the posting firmly asks it, as a gap must be (role words as before):
tuning why 833 right and 25 wrong (11 unjudged) against 1,162 and 66: 41 wrong terms go
with 329 right ones, over a quarter of the reasons a mentor reads. (The experiment printed
the held-out half too; the decision is the tuning half's.)

Then a feature, not a rule from wrong terms: where the tuning half's why-terms go wrong, by
their place in the list. A lead's only why-term was right 291 times in 331 (0.879), the rest
871 in 897; most of its 40 wrong ones are a mentee's skill read from a posting of another
field (19 of WWR's 22: an HR coordinator's Employee onboarding in a full-stack engineer's
posting, a bookkeeper's Accounting in a software engineer's). What tells them: the share of
the weight of the skills a posting asks that the skill's role family holds (its strongest
family). Why-terms under 0.2 were right 66 times in 88, the rest 1,096 in 1,140; gaps under
0.5, 23 in 36. So a skill is a why-term only when its field holds at least WHY_FIELD_SHARE
of what the posting asks (matchers/explain.py), chosen by ``--choose-field`` as the share
keeping most right tuning-half why-terms at precision >= 0.96 (WHY_PRECISION: a margin over
the 0.95 target, as the choice is tuned): 0.2, why 1,162/1,228 (0.946) -> 1,096/1,140
(0.961), 46 of the 821 leads with reasons (both halves) left with none; choosing so,
cross-validated by profile 0.961, leaving one round out 0.958. The rule was fixed before the
held-out half was measured with it: why 312/335 (0.931) -> 295/316 (0.934), 17 right terms
and 2 wrong ones fewer.

Reading what the rule took from the first ten leads of each tuning-half profile (197 of
3,196 why-terms) showed a cost the judged terms had only hinted at: skills of a neighbouring
field asked by a posting of the mentee's own ("Data analysis" of a growth marketer's
"Digital Marketing Manager", "Troubleshooting" of a technical solutions consultant's
posting). So a skill is also a why-term when the mentee's own families hold at least
WHY_OWN_FIELD of what the posting asks; ``--choose-field`` now chooses the pair (shares 0 to
0.5, own fields 0.4 to 0.8 or never) by the same rule: (0.2, 0.6), tuning why 1,114/1,160
(0.960; 18 right terms and 2 wrong back); cross-validated by profile 0.959, leaving one
round out 0.956; the first ten leads lose 108 why-terms of 3,196, not 197. Held-out
(measured after the choice): 295/316 (0.934) -> 307/328 (0.936);
against the half before the field rule, 5 right terms and 2 wrong ones fewer. Its wrong
why-terms, as the seventh round's account above describes them, are mostly of other kinds
(a truncated role, a team's name, a neighbouring skill of the same field), so the held-out
half gains little; the reasons left on both halves are of the posting's field or the
mentee's.

The same share for gaps was tried and not kept. ``--choose-peers``, given it as a third
setting (0 to 0.5), chose peers (20, 2) with a share of 0.5: tuning gaps 348/385 (0.904)
-> 269/284 (0.947, its 3 new gaps judged first: all right), 0.44 -> 0.33 a pair;
cross-validated by profile 0.940, leaving one round out 0.924. But it takes every gap of a
field holding less than half of what a posting asks, and the peers it came with are
fewer: five tests of right gaps seen in earlier rounds failed, three by the share
(Financial analysis, the first requirement of a strategy analyst's posting that also asks
SQL and Tableau) and two by the peers (PostgreSQL for a Python developer), and on the
tuning half 79 right gaps went with 22 wrong. The held-out half, measured before the
decision (so it had a say, unlike in the choices above), kept its precision with a third
fewer gaps: 81/100 (0.810) -> 56/69 (0.812). Nor does anything else read so far tell the
tuning half's wrong gaps apart better than the peers do: gaps of postings whose skills are
under 0.6 of the mentee's own families were right 60 times in 79 (the rest 288 in 306),
gaps of leads with no why-term 52 in 64, gaps of postings whose title shares no word with
the mentee's roles (beyond "senior", "manager" and the like) 144 in 163; leaving any of
them out costs 3 to 7 right gaps for each wrong one.

The halves do not sample the same leads. The later tuning rounds took each profile's next
postings, some past the hundredth of its ranking, and 254 of the tuning half's 865 pairs
score below matching.min_score (STORED, 0.1): leads a default installation never stores,
so no digest or page shows them. Only 9 of the held-out half's 155 do. The report's
second block counts the leads scoring at least that: there the tuning half has why
1,023/1,048 (0.976) and gaps 300/323 (0.929), against 91/112 (0.812) and 48/62 (0.774)
below it. The held-out half is unchanged: 305/326 and 79/98. On the leads people read,
the tuning half is thus 0.04 ahead on why-terms and 0.12 ahead on gaps: the rules fit
the profiles they were written from, and the weakest leads' wrong terms, which no user
sees, drove some of them. A later round should take only leads scoring at least STORED.
Among the stored tuning leads, the weakest are where why-terms go wrong: scoring under
0.15, 154 right of 170 (0.906; a lead's only term 65 of 73), at 0.15 or more 869 of 878
(0.990). No floor was set for reasons: the tuning half is at the 0.96 the choosers ask,
and one at 0.15 would take 154 right terms with its 16 wrong ones. Nor would it carry over
to new profiles: on the eleventh and twelfth rounds' (the tuning half's freshest) stored
leads, why-terms of leads scoring 0.15 or more were right 77 times in 84 (0.917), under
0.15 16 in 19; on the first six rounds' 540 in 541 and 19 in 21.

The peer grid widened (2026-12-04), tried and not kept. ``--choose-peers`` tries at most 3
peers asking, and on the grown tuning half no setting reached 0.94; precision kept rising
with the number asking (of 30: 2 0.904, 4 0.937, 6 0.959, 8 0.963; of 100: 4 0.903, 8
0.937, 10 0.948), so PEER_SETTINGS was run to 10 (fewer than a third of the peers). The gaps the
new settings at 0.94 or more show that no judgement covered (14 for the tuning half) were
judged by reading posting and profile before any figure counting them was computed (all
right), and (100, 8)'s, which could reach 0.94 only were all 13 of its right, until two
were wrong. The chooser, by its rule unchanged, then takes (100, 10): tuning gaps 348/385
(0.904) -> 215/226 (0.951), 0.44 -> 0.26 gaps a pair; choosing so, cross-validated by
profile 0.929, leaving one round out 0.903. Fixed before the held-out half was measured
with it: it is kept if the held-out gap precision, measured once after the gaps it shows
there that no judgement covers are judged, is at least the present 0.810; fewer gaps are
the price, and a mentor who reads a wrong one stops trusting the rest. It showed no
held-out gap unjudged, and held-out gaps went 81/100 (0.810) -> 40/52 (0.769); of stored
leads 79/98 -> 38/50. Not kept, and PEER_SETTINGS is back to 3 asking. The held-out
half's wrong gaps are skills typical of the mentee's kind of job, which no count of peers
asking tells apart (the seventh round's account above: alternatives the mentee already
meets, a part beside its whole, soft asks); a stricter count takes their right gaps
first. Why-terms do not depend on the peers.

Looked at after feedback's title move (match_feedback.py), on the tuning half only: whether
a posting's title names the mentee's roles (the cosine of its title's role terms, as the
title move reads them, with the mentee's target roles). Why-terms of postings whose title
shares nothing with the roles were right 447 times in 483 (0.925), the rest 1,028 in 1,045
(0.984); gaps showed no such split (0.896 at 0, 0.90-1.00 above). Of the 483, the skills
the posting does not firmly ask were right 125 times in 146: dropping them there removes
21 wrong terms with 125 right ones, and the tuning half already meets WHY_PRECISION, so by
``--choose-field``'s rule (most right terms at that precision) it is not a candidate. Not
built, and the held-out half not measured with it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from match_quality import DATA, HALVES, Labelled, Query, load_sets

import matchers.explain
import matchers.tfidf
from aggregator.core.config import MatchingConfig
from aggregator.core.models import Match
from matchers import TfidfMatcher

PAIRS = DATA / "explain_pairs.tsv"
JUDGEMENTS = DATA / "explain_judgements.tsv"
TARGETS = {"why": 0.95, "gap": 0.90}
# The lowest score a match is stored with by default (matching.min_score): a lead scoring
# less reaches no digest or page unless the config or the mentee asks for weaker matches.
STORED = MatchingConfig().min_score
# Profiles of many fields (short and résumé style) and postings per profile.
PROFILES = {
    "wwr": ("frontend-react", "backend-python", "devops-k8s", "designer-product",
            "support-agent", "sales-b2b", "marketing-digital", "finance-analyst",
            "content-writer", "people-ops", "project-coordinator", "cv-customer-support"),
    "google": ("software-engineer", "sre", "ux-designer", "sales-account", "marketing-comms",
               "finance-fpa", "recruiter", "program-manager", "partner-manager", "lawyer",
               "press-officer", "events", "revops", "cv-communications-graduate",
               "cv-hr-coordinator", "cv-financial-analyst"),
}
PER_PROFILE = 2
# The fourth round's profiles are few, so each has more postings; the eleventh's have three.
PER_PROFILE_BY_ROUND = {4: 4, 11: 3}
# The eleventh round: every tuning-half profile written for match_judgements.yaml (the
# dataset's résumés left out) that no earlier round took, as the file held them when the
# round was drawn (those added later for the other benchmarks), each with its first postings.
ELEVENTH_ROUND = {
    "wwr": ("frontend-angular", "data-engineer", "designer-web", "account-manager",
            "seo-specialist", "growth-marketer", "technical-writer", "payroll-specialist",
            "delivery-manager", "recruiting-coordinator", "hr-manager", "admin-assistant",
            "online-teacher", "community-manager", "scrum-master"),
    "google": ("account-strategist", "tpm-infrastructure", "support-operations",
               "university-recruiter", "campaign-manager", "media-partnerships",
               "data-center-technician", "revenue-accountant"),
}
# The later rounds: round -> the half whose profiles get postings more in it, how many
# each, and the rounds those profiles come from (1 to 4, or the eleventh's, which the
# twelfth gives their next three postings: still the first of their rankings).
_FIRST_FOUR = (1, 2, 3, 4)
LATER_ROUNDS = {5: ("tuning", 2, _FIRST_FOUR), 6: ("tuning", 2, _FIRST_FOUR),
                7: ("held-out", 3, _FIRST_FOUR), 8: ("tuning", 2, _FIRST_FOUR),
                9: ("tuning", 3, _FIRST_FOUR), 10: ("tuning", 3, _FIRST_FOUR),
                12: ("tuning", 3, (11,))}
# The rounds reported alone, and what each was judged after.
ROUND_TITLES = {
    2: "second round alone (judged after the first round's rules were written)",
    3: "third round alone (tuning half; judged after the second round's rules)",
    4: "fourth round alone (tuning half; judged after the third round's rules)",
    5: "fifth round alone (tuning half; judged after the fourth round's rules)",
    6: "sixth round alone (tuning half; judged after the fifth round's rules)",
    7: "seventh round alone (held-out half; judged after the peer rule)",
    8: "eighth round alone (tuning half; judged after the backgrounds and offer rules)",
    9: "ninth round alone (tuning half; judged after the eighth round's rules)",
    10: "tenth round alone (tuning half; judged after the ninth round's rules)",
    11: "eleventh round alone (new tuning-half profiles; judged after the tenth round's rules)",
    12: "twelfth round alone (the eleventh's profiles; judged after the eleventh round's rules)",
}
# The second round's fields: one profile per set, field and half (where there is one).
FRESH_FIELDS = ("business", "communications", "marketing", "sales", "finance", "operations",
                "people", "engineering")

# --choose-peers: the (GAP_PEERS, GAP_PEERS_ASKING) settings tried, the gap precision a
# setting must reach on the tuning profiles it is chosen on, and the folds (by profile) of
# its cross-validated estimate.
PEER_SETTINGS = tuple((peers, asking) for peers in (20, 30, 50, 100) for asking in (1, 2, 3))
PEER_PRECISION = 0.94
PEER_FOLDS = 10
# --choose-field: the why precision a WHY_FIELD_SHARE must reach on the tuning half (a
# margin over the 0.95 target, as the choice is tuned).
WHY_PRECISION = 0.96

Key = tuple[str, str, str]  # set, profile id, posting key


def explained(items: Sequence[Labelled], qs: Sequence[Query]) -> dict[str, list[Match]]:
    """Every posting's match (with why and gaps) for each profile, best first."""
    matcher = TfidfMatcher().fit([i.posting for i in items])
    index = matcher.index([(i.key, i.posting) for i in items])
    return matcher.rank_many([q.profile for q in qs], index, top=None)


def chosen_profiles() -> dict[str, tuple[list[Labelled], list[Query], dict[str, int]]]:
    """Per posting set: its postings, the sample's profiles (all rounds) and each one's
    round (1 to 4)."""
    sets, qs = load_sets()
    pairs = read_pairs()
    out = {}
    for name, first in PROFILES.items():
        # The rounds are closed: their profiles are those the pairs file holds (and the
        # first round's). Profiles added to match_judgements.yaml since, for the other
        # benchmarks, join no round and move no round's profiles.
        eleventh = ELEVENTH_ROUND.get(name, ())
        sampled = {*first, *(p[1] for p in pairs if p[0] == name), *eleventh}
        every = [q for style in ("short", "long") for q in qs[(name, style)]
                 if q.profile.id in sampled]
        by_id = {q.profile.id: q for q in every}
        earlier = [q for q in every if q.profile.id not in eleventh]
        second = fresh_profiles(earlier, first)
        third = third_round(earlier, [*first, *(q.profile.id for q in second)])
        fourth = fourth_round(earlier, [*first, *(q.profile.id for q in (*second, *third))])
        new = [by_id[p] for p in eleventh]
        rounds = {q.profile.id: r for r, group in ((2, second), (3, third), (4, fourth),
                                                   (11, new)) for q in group}
        out[name] = (sets[name], [by_id[p] for p in first] + second + third + fourth + new,
                     {p: 1 for p in first} | rounds)
    return out


def unused_written(every: Sequence[Query], used: Sequence[str]) -> list[Query]:
    """The profiles written for the benchmark (the dataset's résumés left out), in
    match_judgements.yaml order, short before résumé-style, not in ``used``."""
    return [q for q in every
            if not q.profile.id.startswith("resume-") and q.profile.id not in used]


def fresh_profiles(every: Sequence[Query], first: Sequence[str]) -> list[Query]:
    """The second round: per field of FRESH_FIELDS and half, the first profile (in
    match_judgements.yaml order, short before résumé-style; the dataset's résumés left
    out) not in the first round."""
    written = [q for q in every
               if not q.profile.id.startswith("resume-") and q.profile.id not in first]
    out = []
    for field in FRESH_FIELDS:
        for half in HALVES:
            out.extend([q for q in written if q.field == field and q.half == half][:1])
    return out


def third_round(every: Sequence[Query], used: Sequence[str]) -> list[Query]:
    """The third round: every tuning-half profile of FRESH_FIELDS not in the first two."""
    return [q for q in unused_written(every, used)
            if q.half == "tuning" and q.field in FRESH_FIELDS]


def fourth_round(every: Sequence[Query], used: Sequence[str]) -> list[Query]:
    """The fourth round: every tuning-half profile not in the first three (the fields
    FRESH_FIELDS leaves out: design, product, support, legal)."""
    return [q for q in unused_written(every, used) if q.half == "tuning"]


def read_pairs() -> list[Key]:
    """The pairs chosen so far."""
    if not PAIRS.exists():
        return []
    with PAIRS.open(encoding="utf-8", newline="") as f:
        return [(row[0], row[1], row[2]) for row in csv.reader(f, delimiter="\t") if row]


def first_pairs(q: Query, rounds: dict[str, int]) -> int:
    """How many pairs a profile has from its own round (PER_PROFILE unless
    PER_PROFILE_BY_ROUND says otherwise)."""
    return PER_PROFILE_BY_ROUND.get(rounds[q.profile.id], PER_PROFILE)


def later_rounds(q: Query, rounds: dict[str, int]) -> list[tuple[int, int]]:
    """(round, postings more) for each of LATER_ROUNDS that gives the profile's half and
    round some."""
    own = rounds[q.profile.id]
    return [(r, more) for r, (half, more, of) in LATER_ROUNDS.items()
            if half == q.half and own in of]


def wanted_pairs(q: Query, rounds: dict[str, int]) -> int:
    """How many pairs a profile has in all: its own round's, and those of LATER_ROUNDS
    for its half."""
    return first_pairs(q, rounds) + sum(more for _, more in later_rounds(q, rounds))


def pair_round(q: Query, rounds: dict[str, int], number: int) -> int:
    """The round of a profile's ``number``-th pair (from 1, in file order): its own round's
    first, then those of each of LATER_ROUNDS for its half, in turn."""
    later = number - first_pairs(q, rounds)
    if later <= 0:
        return rounds[q.profile.id]
    for its_round, more in later_rounds(q, rounds):
        if later <= more:
            return its_round
        later -= more
    raise ValueError(f"{q.profile.id} has more pairs than its rounds want ({number})")


def choose_pairs() -> None:
    """Append pairs for the sample's profiles that have fewer than they want (see
    :func:`wanted_pairs`): each one's first postings not yet in a pair of the same set."""
    pairs = read_pairs()
    with PAIRS.open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        for name, (items, qs, rounds) in chosen_profiles().items():
            paired = Counter(p[1] for p in pairs if p[0] == name)
            taken = {p[2] for p in pairs if p[0] == name}
            wanted = {q.profile.id: wanted_pairs(q, rounds) - paired[q.profile.id] for q in qs}
            short = [q for q in qs if wanted[q.profile.id] > 0]
            ranked = explained(items, short) if short else {}
            for q in short:
                fresh = [m.posting for m in ranked[q.profile.id] if m.posting not in taken]
                for posting in fresh[: wanted[q.profile.id]]:
                    writer.writerow((name, q.profile.id, posting))
                    taken.add(posting)


def read_judgements() -> dict[tuple[str, str, str, str, str], bool]:
    """(set, profile, posting, list, term) -> whether the term is right."""
    out = {}
    with JUDGEMENTS.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if row and not row[0].startswith("#"):
                # A term is judged whatever its case: role words show as the mentee writes them
                out[(row[0], row[1], row[2], row[3], row[4].lower())] = row[5] == "1"
    return out


Counts = Counter[tuple[str, str, bool]]  # (half, list, right)


def report(title: str, counts: Counts, gate: bool) -> bool:
    """Print precision per half and list; whether the held-out half meets the targets (the
    tuning half's figures, and both halves' together, flatter the rules written from it)."""
    ok = True
    print(title)
    for half in (*HALVES, "both"):
        for kind, target in TARGETS.items():
            halves = HALVES if half == "both" else (half,)
            right = sum(counts[(h, kind, True)] for h in halves)
            total = right + sum(counts[(h, kind, False)] for h in halves)
            share = right / total if total else 0.0
            verdict = ""
            if half == "held-out" and gate:
                ok &= share >= target
                verdict = f"{'PASS' if share >= target else 'FAIL'} (target {target:.2f})"
            print(f"  {half:<9} {kind:<4} {right:>4} / {total:<4} precision {share:.3f}  {verdict}")
    return ok


@dataclass(frozen=True)
class Term:
    """A term the matcher shows for a pair: its judgement file row (without the verdict),
    the pair's half and round, and its verdict (None while unjudged)."""

    row: str
    half: str
    round: int
    kind: str  # "why" or "gap"
    verdict: bool | None
    score: float  # the lead's: below STORED, a default installation never shows it

    @property
    def profile(self) -> str:
        """The set and the profile id, the unit the halves and the folds split by."""
        return "\t".join(self.row.split("\t")[:2])


def shown_terms(pairs: Sequence[Key], judged: dict[tuple[str, str, str, str, str], bool]
                ) -> Iterator[Term]:
    """Every why-term and gap the matcher shows for the pairs, in file order."""
    for name, (items, qs, rounds) in chosen_profiles().items():
        ranked = explained(items, qs)
        by_id = {q.profile.id: q for q in qs}
        seen: Counter[str] = Counter()
        for _, profile, posting in (p for p in pairs if p[0] == name):
            match = next((m for m in ranked[profile] if m.posting == posting), None)
            seen[profile] += 1
            its_round = pair_round(by_id[profile], rounds, seen[profile])
            if match is None:
                continue  # the matcher no longer scores the posting at all: nothing shown
            for kind, terms in (("why", match.why), ("gap", match.gaps)):
                for term in terms:
                    yield Term("\t".join((name, profile, posting, kind, term)),
                               by_id[profile].half, its_round, kind,
                               judged.get((name, profile, posting, kind, term.lower())),
                               match.score)


Setting = tuple[float, ...]


@dataclass(frozen=True)
class Choice:
    """What ``--choose-peers`` or ``--choose-field`` chooses: the module constants of
    matchers.explain it sets, the values tried, the list it is judged on and the precision
    a setting must reach on the tuning half."""

    constants: tuple[str, ...]
    grid: tuple[Setting, ...]
    kind: str  # "why" or "gap"
    precision: float


CHOICES = {
    "peers": Choice(("GAP_PEERS", "GAP_PEERS_ASKING"), PEER_SETTINGS, "gap", PEER_PRECISION),
    "field": Choice(("WHY_FIELD_SHARE", "WHY_OWN_FIELD"),
                    tuple((share, own) for share in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35,
                                                     0.4, 0.5)
                          for own in (0.4, 0.5, 0.6, 0.7, 0.8, float("inf"))
                          if share or own == float("inf")), "why", WHY_PRECISION),
}


def terms_under(choice: Choice, pairs: Sequence[Key],
                judged: dict[tuple[str, str, str, str, str], bool]) -> dict[Setting, list[Term]]:
    """The tuning half's terms of ``choice.kind`` under each setting of ``choice.grid``."""
    present = tuple(getattr(matchers.explain, name) for name in choice.constants)
    out = {}
    try:
        for setting in choice.grid:
            _set(choice.constants, setting)
            out[setting] = [t for t in shown_terms(pairs, judged)
                            if t.kind == choice.kind and t.half == "tuning"]
    finally:
        _set(choice.constants, present)
    return out


def _set(constants: Sequence[str], setting: Setting) -> None:
    for name, value in zip(constants, setting, strict=True):
        setattr(matchers.explain, name, value)
        if hasattr(matchers.tfidf, name):  # the matcher reads GAP_PEERS too
            setattr(matchers.tfidf, name, value)


def best_setting(terms: dict[Setting, list[Term]], among: Callable[[Term], bool],
                 precision: float) -> Setting | None:
    """The setting keeping most right terms ``among`` at ``precision`` or more."""
    best, most = None, -1
    for setting, shown in terms.items():
        verdicts = [t.verdict for t in shown if among(t) and t.verdict is not None]
        right = sum(verdicts)
        if verdicts and right >= precision * len(verdicts) and right > most:
            best, most = setting, right
    return best


def cross_validated(terms: dict[Setting, list[Term]], fold_of: Callable[[Term], int],
                    precision: float, present: Setting) -> tuple[int, int]:
    """(right, judged) terms of each fold under the setting ``best_setting`` chooses on the
    other folds (the ``present`` one where none reaches ``precision``)."""
    folds = {fold_of(t) for shown in terms.values() for t in shown}
    right = total = 0
    for fold in folds:
        setting = best_setting(terms, lambda t, fold=fold: fold_of(t) != fold, precision)
        verdicts = [t.verdict for t in terms[setting if setting is not None else present]
                    if fold_of(t) == fold and t.verdict is not None]
        right, total = right + sum(verdicts), total + len(verdicts)
    return right, total


def choose(choice: Choice, pairs: Sequence[Key],
           judged: dict[tuple[str, str, str, str, str], bool]) -> None:
    """Print each setting's precision on the tuning half (judged terms only),
    cross-validated estimates (by profile, by round) of choosing with ``best_setting``, and
    the choice."""
    terms = terms_under(choice, pairs, judged)
    present = tuple(getattr(matchers.explain, name) for name in choice.constants)
    halves = {(name, q.profile.id): q.half
              for name, (_, qs, _) in chosen_profiles().items() for q in qs}
    leads = sum(1 for p in pairs if halves[(p[0], p[1])] == "tuning")
    names = " ".join(choice.constants)
    print(f"tuning half, {choice.kind}: {names}; right / judged, precision, unjudged, per pair")
    for setting, shown in terms.items():
        verdicts = [t.verdict for t in shown if t.verdict is not None]
        print(f"  {setting}: {sum(verdicts):>5} / {len(verdicts):<6}"
              f"  {sum(verdicts) / max(len(verdicts), 1):.3f}  {len(shown) - len(verdicts):>4}"
              f"  {len(shown) / leads:.2f}")
    everyone = {t.profile for shown in terms.values() for t in shown}
    by_profile = {p: int(hashlib.sha256(p.encode()).hexdigest(), 16) % PEER_FOLDS
                  for p in everyone}
    for title, fold_of in ((f"by profile ({PEER_FOLDS} folds)", lambda t: by_profile[t.profile]),
                           ("leaving one round out", lambda t: t.round)):
        right, total = cross_validated(terms, fold_of, choice.precision, present)
        print(f"cross-validated {title}: {right} / {total} precision {right / max(total, 1):.3f}")
    chosen = best_setting(terms, lambda t: True, choice.precision)
    if chosen is None:
        print(f"no setting reaches {choice.precision} on the whole tuning half: the present "
              f"{present} stays")
    else:
        print(f"chosen on the whole tuning half ({names}): {chosen}; present {present}")


def main() -> int:
    """Print precision per list and half, for all pairs and for each later round alone;
    exit 1 if a term is unjudged or a target is missed (all pairs, held-out half)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", action="store_true",
                        help="add pairs for the sample's profiles that lack some, and stop")
    parser.add_argument("--wrong", action="store_true",
                        help="list the terms of the tuning half judged wrong")
    parser.add_argument("--choose-peers", action="store_true",
                        help="choose GAP_PEERS and GAP_PEERS_ASKING on the tuning half, and stop")
    parser.add_argument("--choose-field", action="store_true",
                        help="choose WHY_FIELD_SHARE and WHY_OWN_FIELD on the tuning half, "
                             "and stop")
    args = parser.parse_args()
    if args.pairs:
        choose_pairs()
        return 0
    pairs = read_pairs()
    judged = read_judgements()
    if args.choose_peers or args.choose_field:
        choose(CHOICES["peers" if args.choose_peers else "field"], pairs, judged)
        return 0
    counts: Counts = Counter()
    stored: Counts = Counter()  # terms of leads scoring at least STORED
    round_counts: dict[int, Counts] = {r: Counter() for r in ROUND_TITLES}
    unjudged = []
    wrong = []
    for term in shown_terms(pairs, judged):
        if term.verdict is None:
            unjudged.append(term.row)
            continue
        counts[(term.half, term.kind, term.verdict)] += 1
        if term.score >= STORED:
            stored[(term.half, term.kind, term.verdict)] += 1
        if term.round in round_counts:
            round_counts[term.round][(term.half, term.kind, term.verdict)] += 1
        if not term.verdict and term.half == "tuning":
            wrong.append(term.row)
    print(f"pairs: {len(pairs)}; judged terms in the file: {len(judged)}")
    ok = report("all pairs", counts, gate=True) and not unjudged
    report(f"leads a default installation stores (score >= matching.min_score, {STORED})",
           stored, gate=False)
    for its_round, title in ROUND_TITLES.items():
        report(title, round_counts[its_round], gate=False)
    if args.wrong:
        print("judged wrong (tuning half):", *wrong, sep="\n")
    if unjudged:
        print(f"{len(unjudged)} terms not judged yet:", file=sys.stderr)
        print("\n".join(unjudged), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
