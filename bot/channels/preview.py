"""How each platform would cut a reply into messages, for previews (the console's 清单 page).

Each entry mirrors what that channel's ``send`` does: the form it picks (markdown when the reply has
one and the platform renders it, else text) and its size limit, both taken from the channel's module.
"""

from __future__ import annotations

from bot.channels import dingtalk, feishu, robot, telegram, wechat, wecom
from bot.channels._split import split_message
from bot.core.messages import Reply

# (name shown, unit, limit of text, limit of markdown or None when the platform gets plain text)
PLATFORMS = (
    ("企业微信群机器人", "utf8", robot.TEXT_LIMIT, robot.MARKDOWN_LIMIT),
    ("企业微信应用", wecom.LIMITS.unit, wecom.LIMITS.max_length, None),
    ("微信公众号", wechat.LIMITS.unit, wechat.LIMITS.max_length, None),
    ("钉钉群机器人", "utf8", dingtalk.CONTENT_LIMIT, dingtalk.CONTENT_LIMIT),
    ("飞书群机器人", "utf8", feishu.CONTENT_LIMIT, feishu.CONTENT_LIMIT),
    ("Telegram", telegram.LIMITS.unit, telegram.LIMITS.max_length, telegram.LIMITS.max_length),
)


def parts(reply: Reply) -> list[tuple[str, list[str]]]:
    """(platform, the messages it would send) for every platform zhibu speaks to."""
    out = []
    for name, unit, text_limit, markdown_limit in PLATFORMS:
        if reply.markdown and markdown_limit is not None:
            cut = split_message(reply.markdown, unit, markdown_limit, markup="markdown")  # type: ignore[arg-type]
        else:
            cut = split_message(reply.text, unit, text_limit)  # type: ignore[arg-type]
        out.append((name, cut))
    return out
