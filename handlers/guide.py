"""Render the monthly 组织生活清单 a branch receives: upper organizations' guides first, its own items last.

One ``Reply`` with plain text and markdown; the channels pick a form and split it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.scope import audit
from storage.guide_import import GuideFormatError, check_draft_month, parse_markdown
from storage.guides import BadMonth, GuideDraft, IssuedGuide, check_month, store_guide
from storage.models import Organization, OrgKind


def _bare(title: str) -> str:
    return re.sub(r"[【】\[\]\s份]", "", title)


def _lines(issued: IssuedGuide, branch: Organization, md: bool, header: str) -> list[str]:
    issuer = issued.issuer.name
    if issued.issuer.id == branch.id:
        heading = texts.GUIDE_OWN_HEADER.format(issuer=issuer)
    elif _bare(issued.guide.title) == _bare(header):  # "2026年12月组织生活清单" under the same header
        heading = texts.GUIDE_ISSUED_BY.format(issuer=issuer)
    else:
        heading = texts.GUIDE_ISSUER.format(title=issued.guide.title, issuer=issuer)
    out = [f"### {heading}" if md else heading]
    if issued.guide.requirements:
        out.append(texts.GUIDE_REQUIREMENTS.format(text=issued.guide.requirements))
    for n, item in enumerate(issued.items, 1):
        topic = f"**{item.topic}**" if md else item.topic
        out.append(texts.GUIDE_ITEM.format(n=n, topic=topic))
        for attr, label in texts.GUIDE_LABELS:
            value = getattr(item, attr)
            if value:
                out.append(texts.GUIDE_FIELD.format(label=label, value=value))
    return out


def render(
    month: str, branch: Organization, guides: Sequence[IssuedGuide], *, supplement: bool = False
) -> Reply:
    """The whole month's guide, or (``supplement``) only guides published after the branch received it."""
    year, mon = (int(p) for p in month.split("-"))
    header = (texts.GUIDE_SUPPLEMENT_HEADER if supplement else texts.GUIDE_HEADER).format(
        year=year, month=mon
    )
    plain, markdown = [header], [f"## {header}"]
    for issued in guides:
        plain += ["", *_lines(issued, branch, md=False, header=header)]
        markdown += ["", *_lines(issued, branch, md=True, header=header)]
    plain += ["", texts.GUIDE_FOOTER]
    markdown += ["", texts.GUIDE_FOOTER]
    return Reply("\n".join(plain), markdown="\n".join(markdown))


def nothing_for(month: str, branch: Organization) -> str:
    return texts.GUIDE_NONE.format(month=month, branch=branch.name)


_PUBLISH = re.compile(r"^(?:发布清单)?[ \t]*(\d{4}[-/年]\d{1,2}月?)?[ \t]*\n?(.*)$", re.DOTALL)


def awaits_body(text: str) -> bool:
    """``发布清单`` (and a month) alone: the guide itself is still to come, on the following lines."""
    match = _PUBLISH.match(text)
    return text.startswith("发布清单") and match is not None and not match.group(2).strip()


def written(body: str, month: str) -> GuideDraft:
    """A guide typed as Markdown for ``month`` (the title may be left out); GuideFormatError says why not."""
    if not any(line.startswith("# ") for line in body.splitlines()):
        body = f"# {month[:4]}年{int(month[5:])}月组织生活清单\n{body}"
    draft = parse_markdown(body)
    check_draft_month(draft, month)
    return draft


def when_sent(month: str, today: date) -> str:
    """When a guide published today for ``month`` goes out: soon, or on the month's first day."""
    starts = date(int(month[:4]), int(month[5:]), 1)
    return texts.GUIDE_SEND_SOON if starts <= today else texts.GUIDE_SEND_AT.format(day=texts.cn_date(starts))


def publish(ctx: HandlerContext) -> list[Reply]:
    """发布清单 [月份] + Markdown: a secretary or upper committee publishes the month's guide from chat."""
    org = ctx.org
    assert org is not None and org.id is not None  # a managers' command (handlers/commands.py)
    match = _PUBLISH.match(ctx.args)
    body = match.group(2).strip() if match else ""
    if not body:
        return [Reply(texts.GUIDE_PUBLISH_USAGE)]
    try:
        month = check_month(match.group(1)) if match and match.group(1) else ctx.today.strftime("%Y-%m")
        draft = written(body, month)
    except (GuideFormatError, BadMonth) as exc:
        return [Reply(texts.GUIDE_BAD_FILE.format(reason=exc))]
    _, replaced = store_guide(ctx.session, org_id=org.id, month=month, draft=draft, now=ctx.now)
    audit(ctx, "guide_publish", org, f"{month} {draft.title}")
    when = when_sent(month, ctx.today)
    chats = texts.GUIDE_TO_OWN_CHATS if OrgKind(org.kind).is_branch else texts.GUIDE_TO_BRANCH_CHATS
    return [
        Reply(
            texts.GUIDE_PUBLISHED.format(
                org=org.name,
                month=f"{int(month[5:])}月",
                items=len(draft.items),
                replaced=texts.GUIDE_REPLACED if replaced else "",
                when=when,
                chats=chats,
            )
        )
    ]
