"""Free-text questions: the knowledge base's answer, "你是不是想问", or a friendly "I don't know".

A wrong confident answer about Party rules is worse than none, so an answer is
given only when the best entry matches a party-building term, covers most of
what the question says (its share of the question's IDF), and is clearly ahead
of any other on-topic entry (or is clearly the one the question says, in a near
tie); otherwise the close entries are offered as numbered choices ("你是不是想问"),
and a reply with the number picks one. A question that gets no answer as typed is
read again with pinyin typos of terms corrected, then (a long one) by its asking clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.scope import home_org, lineage
from storage import conversation
from storage.knowledge.base import Found, KnowledgeBase, SearchResult, default_base
from storage.knowledge.entries import Entry
from storage.knowledge.normalize import normalize
from storage.models import Organization

CHOICES_KIND = "kb-choices"
GREETINGS = frozenset(
    {"你好", "您好", "在吗", "在不在", "hi", "hello", "哈喽", "嗨", "早上好", "晚上好", "下午好"}
)
THANKS = frozenset({"谢谢", "多谢", "谢谢你", "谢了", "好的谢谢", "感谢", "thanks", "thank you"})


@dataclass(frozen=True, slots=True)
class AskPolicy:
    """Thresholds, tuned on tests/data/questions.tsv and tests/data/offtopic.txt."""

    answer_coverage: float = 0.5  # the best entry matches at least this share of the question's IDF
    answer_score: float = 2.5  # and scores at least this much
    min_fit: float = 0.6  # the question says most of one of the entry's phrasings...
    lead: float = 1.25  # ...or the entry leads the next one by this factor
    tie_ratio: float = 0.85  # a runner-up this close in score...
    tie_fit_gap: float = 0.3  # ...that fits nearly as well...
    tie_coverage_gap: float = 0.05  # ...and covers as much of the question makes it ambiguous
    # a one-word question ("支委会") is answered only by an entry about just that word
    single_term_fit: float = 0.8
    # a near tie is not a tie when the best entry is clearly closer to what the question asks:
    focus_fit: float = 0.8  # the question says (nearly) all of one of its phrasings...
    focus_gap: float = 0.3  # ...and every other on-topic entry fits at least this much less...
    focus_coverage: float = 0.4  # ...even if a word the base does not know lowers the coverage a little
    focus_score_ratio: float = 0.9  # (such an entry may be second by score, but this close to the first)
    coverage_gap: float = 0.3  # or it covers this much more of the question than the runner-up
    suggest_coverage: float = 0.3  # below this nothing is close enough even to suggest
    suggest_score: float = 0.5
    suggest_ratio: float = 0.65  # a choice scores at least this share of the best one
    choices: int = 3
    choices_ttl: timedelta = timedelta(minutes=30)


DEFAULT_POLICY = AskPolicy()
_CLAUSES = re.compile(r"[，。！？,.!?；;、\s]+")
# the clause that asks: a question word, or a sentence-final particle of a question
_ASKING = re.compile(
    r"吗|呢|什么|啥|多久|多长|多少|几|怎么|咋|如何|谁|哪|是否|能否|能不能|要不要|有没有|还是|可以|可不可以"
)
_PREAMBLE = re.compile(r"^(?:我)?(?:想|要)?(?:请)?问(?:一下|下|问)?")  # "想问下…": the question follows
_RANK = {"answer": 2, "suggestions": 1, "fallback": 0}


@dataclass(frozen=True, slots=True)
class Reading:
    """One way of reading the question: as typed, with typos of terms corrected, or its asking clause."""

    why: str  # "as typed" | "corrected" | "focus"
    text: str
    note: str = ""  # said before the answer, e.g. 按“三会一课”理解：


@dataclass(frozen=True, slots=True)
class Explained:
    """One reading of a question, ranked and judged: what `zhibu kb search --explain` and the console show."""

    reading: Reading
    result: SearchResult
    decision: str  # "answer" | "suggestions" | "fallback"
    chosen: Found | None
    why: str  # the reason as ``why_chosen`` words it; texts.KB_WHY says it in Chinese
    matched: tuple[tuple[str, ...], ...] = ()  # per hit, the question's words the entry contains

    @property
    def why_cn(self) -> str:
        return texts.KB_WHY.get(self.why, self.why)


def explain(
    kb: KnowledgeBase, question: str, *, session: Session, org_ids: Sequence[int], k: int = 5
) -> list[Explained]:
    """Every reading of ``question`` with its ranked entries, the decision and the reason for it."""
    out = []
    for reading in readings(kb, question):
        result = kb.search(reading.text, session=session, org_ids=org_ids, k=k)
        hits, terms = list(result.hits), len(set(result.tokens))
        chosen, why = why_chosen(hits, DEFAULT_POLICY, terms=terms)
        decision = decide(hits, DEFAULT_POLICY, terms=terms)
        matched = tuple(_matched(kb, h, result.tokens) for h in hits)
        out.append(Explained(reading, result, decision, chosen, why, matched))
    return out


def _matched(kb: KnowledgeBase, hit: Found, tokens: Sequence[str]) -> tuple[str, ...]:
    """The question's words the entry has (a phrasing, a keyword or the answer), in the question's order."""
    words = {t for field in kb.fields_of(hit.entry).values() for t in field}
    return tuple(dict.fromkeys(t for t in tokens if t in words))


def readings(kb: KnowledgeBase, question: str) -> Iterator[Reading]:
    """The question as typed first; then (lazily, only if needed) corrected, then its asking clause."""
    yield Reading("as typed", question)
    corrected, fixes = kb.correct(question)
    note = texts.KB_UNDERSTOOD.format(terms="”“".join(f.meant for f in fixes)) if fixes else ""
    if fixes:
        yield Reading("corrected", corrected, note)
    clauses = [c for c in _CLAUSES.split(corrected) if c]
    if len(clauses) > 2:  # a long message: the last clause that asks is what it wants to know
        asking = [c for c in clauses if _ASKING.search(c)] or clauses[-1:]
        focus = asking[-1]
        if len(focus) < 6 and clauses.index(focus) > 0:  # "多久开一次来着": keep what it is about
            focus = clauses[clauses.index(focus) - 1] + focus
        yield Reading("focus", _PREAMBLE.sub("", focus), note)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the answerer decided; ``zhibu ask --batch`` prints these fields."""

    kind: str  # "answer" | "live" | "suggestions" | "fallback"
    text: str
    score: float | None = None
    entry: str | None = None


def visible_orgs(ctx: HandlerContext) -> list[int]:
    """The asker's branch, then its ancestors: whose local entries apply, nearest first."""
    org = home_org(ctx) or ctx.chat_org
    return lineage(ctx.session, org) if org is not None else []


def format_entry(entry: Entry, orgs: list[int], ctx: HandlerContext) -> str:
    if entry.org_id is not None:
        owner = ctx.session.get(Organization, entry.org_id)
        source = texts.KB_LOCAL_SOURCE if not orgs or entry.org_id == orgs[0] or owner is None else owner.name
        source = f"{source}（{entry.source}）" if entry.source else source
    else:
        source = entry.source
    template = texts.KB_ANSWER if source else texts.KB_ANSWER_NO_SOURCE
    return template.format(answer=entry.answer, source=source)


def _chat_key(ctx: HandlerContext) -> conversation.ChatKey:
    i = ctx.inbound
    return conversation.ChatKey(i.channel, i.account, i.chat_id, i.sender_id)


def _suggest(ctx: HandlerContext, hits: list[Found], policy: AskPolicy, note: str = "") -> Outcome:
    shown = hits[: policy.choices]
    lines = [note + texts.KB_SUGGEST_HEAD]
    lines += [texts.KB_SUGGEST_LINE.format(n=n, question=f.entry.question) for n, f in enumerate(shown, 1)]
    lines.append(texts.KB_SUGGEST_TAIL)
    conversation.put(
        ctx.session,
        key=_chat_key(ctx),
        kind=CHOICES_KIND,
        data={"keys": [f.entry.key for f in shown]},
        expires_at=ctx.now + policy.choices_ttl,
    )
    return Outcome("suggestions", "\n".join(lines), round(shown[0].score, 3), shown[0].entry.key)


def _small_talk(question: str) -> str | None:
    said = normalize(question).replace(" ", "")
    if said in GREETINGS:
        return texts.KB_GREETING
    if said in THANKS:
        return texts.KB_THANKS
    return None


def resolve(
    ctx: HandlerContext, *, policy: AskPolicy = DEFAULT_POLICY, base: KnowledgeBase | None = None
) -> Outcome:
    """Decide between an answer, suggestions and the fallback for the message in ``ctx``."""
    talk = _small_talk(ctx.text)
    if talk is not None:
        return Outcome("fallback", talk)
    kb = base or default_base()
    orgs = visible_orgs(ctx)
    reading, result, decision = understand(kb, ctx, policy, orgs)
    hits = list(result.hits)
    best = chosen(hits, policy, terms=len(set(result.tokens)))
    if best is not None:
        text = reading.note + format_entry(best.entry, orgs, ctx)
        return Outcome("answer", text, round(best.score, 3), best.entry.key)
    if decision == "suggestions":
        return _suggest(ctx, choices(hits, policy), policy, reading.note)
    return Outcome("fallback", texts.KB_FALLBACK, round(hits[0].score, 3) if hits else None, None)


def understand(
    kb: KnowledgeBase, ctx: HandlerContext, policy: AskPolicy, orgs: list[int]
) -> tuple[Reading, SearchResult, str]:
    """The first reading that gets an answer, else the first that gets suggestions, else the typed one."""
    best: tuple[Reading, SearchResult, str] | None = None
    for reading in readings(kb, ctx.text):
        result = kb.search(reading.text, session=ctx.session, org_ids=orgs, k=policy.choices)
        decision = decide(list(result.hits), policy, terms=len(set(result.tokens)))
        if best is None or _RANK[decision] > _RANK[best[2]]:
            best = (reading, result, decision)
        if decision == "answer":
            break
    assert best is not None
    return best


def choices(hits: list[Found], policy: AskPolicy) -> list[Found]:
    """The entries close enough to offer as "你是不是想问"."""
    floor = max(policy.suggest_score, policy.suggest_ratio * hits[0].score) if hits else 0.0
    return [h for h in hits if h.on_topic and h.coverage >= policy.suggest_coverage and h.score >= floor]


def decide(hits: list[Found], policy: AskPolicy, *, terms: int = 2) -> str:
    """ "answer" when the best entry is clearly it, "suggestions" when some are close, else "fallback".

    Only a match on a party-building term counts: "你是谁" shares 谁 with "会议由谁主持", nothing more.
    ``terms`` is the number of distinct words in the question.
    """
    if not hits:
        return "fallback"
    if chosen(hits, policy, terms=terms) is not None:
        return "answer"
    return "suggestions" if choices(hits, policy) else "fallback"


def chosen(hits: list[Found], policy: AskPolicy, *, terms: int = 2) -> Found | None:
    """The entry to answer with, or None when no entry is clearly the one asked about."""
    return why_chosen(hits, policy, terms=terms)[0]


def why_chosen(hits: list[Found], policy: AskPolicy, *, terms: int = 2) -> tuple[Found | None, str]:
    """``chosen`` and the reason, in words (``zhibu kb search --explain`` prints it)."""
    # an entry that matched only everyday words (不, 参加, 多久) is no competitor, ahead or behind
    ranked = [h for h in hits if h.on_topic]
    if not ranked or ranked[0].score < policy.answer_score:
        return None, "no entry matches a party-building term with a high enough score"
    best, second = ranked[0], (ranked[1] if len(ranked) > 1 else None)
    if terms <= 1:  # a bare term ("政治生日是啥意思") asks what it is: the one entry about just that term
        whole = [h for h in ranked if h.fit >= policy.single_term_fit]
        if len(whole) == 1 and whole[0].score >= policy.focus_score_ratio * best.score:
            return whole[0], "a single term, and one entry is about just that term"
        return None, "a single term that several entries (or none) are about"
    meant = _clearly_meant(ranked, policy)
    if meant is not None:
        return meant, "the question says one of its phrasings, no other entry's nearly as fully"
    if best.coverage < policy.answer_coverage:
        return None, "the best entry covers too little of the question"
    if second is None:
        return best, "the only entry on topic"
    if best.fit < policy.min_fit and best.score < policy.lead * second.score:
        if best.coverage - second.coverage >= policy.coverage_gap:
            return best, "it covers much more of the question than the runner-up"
        return None, "neither fits the question well nor leads the runner-up clearly"
    ambiguous = (
        second.score >= policy.tie_ratio * best.score
        and second.fit > best.fit - policy.tie_fit_gap
        and second.coverage >= best.coverage - policy.tie_coverage_gap
    )
    if ambiguous:
        return None, "a near tie: the runner-up scores, fits and covers nearly as much"
    return best, "it fits the question and is clearly ahead"


def _clearly_meant(ranked: list[Found], policy: AskPolicy) -> Found | None:
    """In a near tie, the entry one of whose phrasings the question says, when no other's nearly as fully."""
    for n, hit in enumerate(ranked):
        if hit.score < policy.focus_score_ratio * ranked[0].score:
            break
        others = ranked[:n] + ranked[n + 1 :]
        if (
            hit.fit >= policy.focus_fit
            and hit.coverage >= max(policy.focus_coverage, ranked[0].coverage - policy.tie_coverage_gap)
            and all(h.fit <= hit.fit - policy.focus_gap for h in others)
        ):
            return hit
    return None


def answer(ctx: HandlerContext) -> list[Reply]:
    return [Reply(resolve(ctx).text)]


def pick(ctx: HandlerContext) -> list[Reply]:
    """A bare number after "你是不是想问": answer the chosen question."""
    return [Reply(resolve_pick(ctx).text)]


def has_choices(ctx: HandlerContext) -> bool:
    return conversation.get(ctx.session, key=_chat_key(ctx), kind=CHOICES_KIND, now=ctx.now) is not None


def resolve_pick(ctx: HandlerContext, *, base: KnowledgeBase | None = None) -> Outcome:
    key = _chat_key(ctx)
    offered = conversation.get(ctx.session, key=key, kind=CHOICES_KIND, now=ctx.now)
    number = int(normalize(ctx.text).translate(str.maketrans("一二三四五六七八九", "123456789")) or 0)
    keys = list(offered.get("keys", [])) if offered else []
    if not 1 <= number <= len(keys):
        return resolve(ctx, base=base) if not offered else Outcome("fallback", texts.KB_PICK_NONE)
    orgs = visible_orgs(ctx)
    entry = (base or default_base()).entry(keys[number - 1], session=ctx.session, org_ids=orgs)
    if entry is None:
        return Outcome("fallback", texts.KB_PICK_NONE)
    conversation.drop(ctx.session, key=key, kind=CHOICES_KIND)
    return Outcome("answer", format_entry(entry, orgs, ctx), None, entry.key)
