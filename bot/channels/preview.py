"""How each platform would cut a reply into messages, for previews (the console's 清单 page).

Each platform's entry in bot/channels/registry.py carries the limits its ``send`` cuts by: the form it
picks (markdown when the reply has one and the platform renders it, else text) and the size caps.
"""

from __future__ import annotations

from bot.channels import registry
from bot.channels._split import split_message
from bot.core.messages import Reply


def parts(reply: Reply) -> list[tuple[str, list[str]]]:
    """(platform, the messages it would send) for every platform zhibu speaks to."""
    out = []
    for platform in registry.PLATFORMS.values():
        limits = platform.limits
        if reply.markdown and limits.markdown:
            cut = split_message(reply.markdown, limits.unit, limits.markdown_max, markup="markdown")
        else:
            cut = split_message(reply.text, limits.unit, limits.max_length)
        out.append((platform.label, cut))
    return out
