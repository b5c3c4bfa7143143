"""Render the monthly 组织生活清单 a branch receives: upper organizations' guides first, its own items last.

One ``Reply`` with plain text and markdown; the channels pick a form and split it.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messages import Reply
from handlers import texts
from storage.guides import IssuedGuide
from storage.models import Organization


def _lines(issued: IssuedGuide, branch: Organization, md: bool) -> list[str]:
    own = issued.issuer.id == branch.id
    heading = (texts.GUIDE_OWN_HEADER.format(issuer=issued.issuer.name) if own
               else texts.GUIDE_ISSUER.format(title=issued.guide.title, issuer=issued.issuer.name))
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


def render(month: str, branch: Organization, guides: Sequence[IssuedGuide], *, supplement: bool = False) -> Reply:
    """The whole month's guide, or (``supplement``) only guides published after the branch received it."""
    year, mon = (int(p) for p in month.split("-"))
    header = (texts.GUIDE_SUPPLEMENT_HEADER if supplement else texts.GUIDE_HEADER).format(year=year, month=mon)
    plain, markdown = [header], [f"## {header}"]
    for issued in guides:
        plain += ["", *_lines(issued, branch, md=False)]
        markdown += ["", *_lines(issued, branch, md=True)]
    plain += ["", texts.GUIDE_FOOTER]
    markdown += ["", texts.GUIDE_FOOTER]
    return Reply("\n".join(plain), markdown="\n".join(markdown))


def nothing_for(month: str, branch: Organization) -> str:
    return texts.GUIDE_NONE.format(month=month, branch=branch.name)
