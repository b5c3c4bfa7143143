"""THE command table: which words reach which handler, in order; first match wins.

Every handler has one signature, ``(ctx) -> list[Reply]``. Text that matches no
command goes to the question answerer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from bot.core.messages import SUBSCRIBE_COMMAND, Reply
from handlers import (
    ask,
    attendance,
    binding,
    broadcast,
    community,
    console_login,
    dues,
    guide,
    live,
    meetings,
    party_age,
    personal,
    points,
    texts,
    wishes,
)
from handlers import help as help_handler
from handlers.ask import answer
from handlers.context import HandlerContext
from handlers.permissions import may_query_members
from handlers.scope import actor_of, managed_org
from storage.knowledge.base import default_base
from storage.knowledge.normalize import simplify

Handler = Callable[[HandlerContext], list[Reply]]


class Who(StrEnum):
    """Who may use a command; dispatch refuses everyone else before the handler runs, one text per reason."""

    ANYONE = "anyone"  # strangers and members who transferred out too
    SELF = "self"  # a bound member, also one transferred out: their own records
    BRANCH = (
        "branch"  # anyone but a member transferred out: the branch's own information, as its group sees it
    )
    MEMBER = "member"  # a bound member still in the branch
    MANAGER = "manager"  # 书记/副书记/组织委员 of this group's branch or their own, or an upper committee


class Where(StrEnum):
    ANY = "any"
    PRIVATE = "private"  # names, codes or phones: never in a group
    GROUP = "group"  # acts on the group it is sent in


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    pattern: re.Pattern[str]
    handler: Handler
    summary: str
    who: Who = Who.ANYONE
    where: Where = Where.ANY
    head: re.Pattern[str] | None = None  # the command word, cut from ``ctx.args``; None: args is the message
    verbatim: bool = False  # ``ctx.args`` as typed (a notice or guide to pass on), not simplified

    def args(self, raw: str, simple: str) -> str:
        """The message after the command word, simplified unless the command keeps it verbatim.

        Simplifying keeps a message's length in characters, so the word's end in the simplified
        text is its end in the raw text too."""
        found = self.head.match(simple) if self.head else None
        cut = found.end() if found else 0
        return (raw[cut:] if self.verbatim else simple[cut:]).strip()


def _words(*words: str) -> re.Pattern[str]:
    """Match a message that is one of ``words``, alone or followed by arguments."""
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"^(?:{alternatives})(?:\s+.*)?$", re.IGNORECASE | re.DOTALL)


def _command(name: str, words: tuple[str, ...], handler: Handler, summary: str, **needs: Any) -> Command:
    """A command introduced by one of ``words`` (``needs``: who, where, verbatim)."""
    head = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    return Command(name, _words(*words), handler, summary, head=head, **needs)


_TIME_ONLY = re.compile(
    r"^[\s\d:：年月日号点时分半刻整上下午中晚早凌晨傍今明后大天周星期礼拜一二三四五六七八九十两零〇个本这到至~～-]{1,24}$"
)


def _numbered_reply(ctx: HandlerContext) -> list[Reply]:
    """A bare number picks a community to report to, or from "你是不是想问", or finishes a 安排/改期."""
    if community.has_choices(ctx):
        return community.pick(ctx)
    return ask.pick(ctx) if ask.has_choices(ctx) else meetings.clarify(ctx)


_THIS_MONTH = r"(?:本月|这个月|这月|当月|本期|这期)"
_DUES_WORDS = "党费|交多少|缴多少|工资|收入|月薪|薪水|薪资|退休金|养老金|退休费|离休费"
_MEETINGS = (
    "支部党员大会|党员大会|支部大会|支委会|支部委员会|党小组会|小组会|党课|主题党日|组织生活会|开会|会议|会"
)

_NOT_SCHEDULING = (
    "[?？吗呢嘛]|什么|几点|几号|哪天|哪里|在哪|怎么|如何|是否|有没有|要不要|能不能|多久|多长|谁"
    "|下次|下一次|下回|最近一次|取消|改期|改到|推迟|延期|提前|不开|暂停|请假|签到|缺席"
)
_CLOCK = r"(?:\d{1,2}[:：]\d{2}|[\d零〇一二两三四五六七八九十]{1,3}[点时])"
_SCHEDULING = re.compile(
    rf"^(?!.*(?:{_NOT_SCHEDULING}))(?=.*(?:{meetings.KIND_PATTERN})).*{_CLOCK}", re.DOTALL
)

M, P, G = Who.MANAGER, Where.PRIVATE, Where.GROUP
COMMANDS: tuple[Command, ...] = (
    _command("welcome", (SUBSCRIBE_COMMAND,), help_handler.welcome, "关注时的欢迎语"),
    _command("help", ("/help", "/start", "帮助", "help", "菜单", "?", "？"), help_handler.show, "用法说明"),
    # --- secretary and member workflows: explicit command words, so they go before the
    # free-form live answers below (a notice "发布 本月党费…" must not reach the 党费 calculator) ---
    _command(
        "secretary-help", ("书记帮助", "管理帮助", "/admin"), help_handler.secretary, "书记帮助：管理命令"
    ),
    _command(
        "console-login",
        ("后台", "登录后台", "/console"),
        console_login.login,
        "后台：网页后台登录链接（私聊）",
        who=Who.MEMBER,
        where=P,
    ),
    _command(
        "bind-chat",
        ("绑定本群",),
        binding.bind_chat,
        "绑定本群 绑定码：把群绑定到支部",
        who=Who.BRANCH,
        where=G,
    ),
    _command(
        "unbind-chat",
        ("解绑本群",),
        binding.unbind_chat,
        "解绑本群：群不再属于本支部（书记）",
        who=Who.MEMBER,
        where=G,
    ),
    _command("bind", ("绑定", "/bind"), binding.bind, "绑定 绑定码 / 绑定 姓名 手机后四位"),
    _command(
        "invite", ("邀请", "/invite"), binding.invite, "邀请 姓名：生成个人绑定码（书记）", who=M, where=P
    ),
    _command("chat-code", ("群绑定码",), binding.chat_code, "群绑定码：生成群绑定码（书记）", who=M),
    Command(
        "guide-publish",
        re.compile(r"^发布清单"),
        guide.publish,
        "发布清单 2026-12 + 清单内容（书记/上级党委）",
        who=M,
        head=re.compile("发布清单"),
        verbatim=True,
    ),
    _command(
        "broadcast",
        ("发布", "/broadcast"),
        broadcast.preview,
        "发布 通知内容：发到本支部的群（书记）",
        who=M,
        verbatim=True,
    ),
    _command("broadcast-confirm", ("确认发送",), broadcast.confirm, "确认发送", who=M),
    _command("broadcast-abort", ("取消发送",), broadcast.abort, "取消发送", who=Who.MEMBER),
    _command("broadcast-status", ("发送情况",), broadcast.status, "发送情况：最近一次通知的送达情况", who=M),
    _command(
        "check-in", ("签到", "/checkin"), attendance.check_in, "签到：会前30分钟至会议结束", who=Who.MEMBER
    ),
    _command("leave", ("请假", "/leave"), attendance.leave, "请假 原因：向下一次会议请假", who=Who.MEMBER),
    _command(
        "absence-list",
        ("缺席名单", "/absent"),
        attendance.missing_list,
        "缺席名单：最近一次会议谁没到（书记）",
        who=M,
    ),
    _command("mark-absent", ("标记缺席",), attendance.mark_absent, "标记缺席 姓名 [原因]（书记）", who=M),
    _command(
        "month-plan",
        ("本月安排", "本月会议", "/month"),
        meetings.month_plan,
        "本月安排：本支部本月会议",
        who=Who.MEMBER,
    ),
    _command(
        "schedule", ("安排", "/meeting"), meetings.schedule, "安排 支委会 12月5日 15:00 地点 主题：…", who=M
    ),
    _command("move", ("改期", "/move"), meetings.move, "改期 支委会 改到 12月8日 15:00", who=M),
    _command("cancel", ("取消", "/cancel"), meetings.cancel, "取消 支委会 [日期]", who=M),
    # --- 双报到, 微心愿 and points ---
    _command("report", ("报到",), community.report, "报到 和平社区 [特长：…]：向社区报到", who=Who.MEMBER),
    _command("my-report", ("我的报到",), community.my_report, "我的报到", who=Who.MEMBER),
    _command("end-report", ("结束报到",), community.end_report, "结束报到 [姓名]（搬家等）", who=Who.MEMBER),
    _command(
        "assign-report", ("登记报到",), community.assign, "登记报到 姓名 [特长：…]（社区）", who=Who.MEMBER
    ),
    _command(
        "report-list", ("报到名单", "报到统计"), community.roster, "报到名单 / 报到统计", who=Who.MEMBER
    ),
    _command(
        "wish-post",
        ("发布心愿", "发布微心愿"),
        wishes.post,
        "发布心愿 内容 截止：12月10日",
        who=Who.MEMBER,
        verbatim=True,
    ),
    _command(
        "wishes", ("心愿", "微心愿", "心愿单"), wishes.board, "心愿 [逾期|未认领]：微心愿", who=Who.MEMBER
    ),
    _command("wish-claim", ("认领",), wishes.claim, "认领 编号", who=Who.MEMBER),
    _command("wish-release", ("放弃认领",), wishes.release, "放弃认领 编号 原因", who=Who.MEMBER),
    _command("wish-done", ("完成",), wishes.finish, "完成 编号 简要说明", who=Who.MEMBER),
    _command("wish-confirm", ("确认完成",), wishes.confirm, "确认完成 编号（发布人）", who=Who.MEMBER),
    _command("wish-cancel", ("取消心愿",), wishes.cancel, "取消心愿 编号（发布人）", who=Who.MEMBER),
    _command("points", ("我的积分", "积分"), points.mine, "我的积分", who=Who.SELF),
    _command(
        "ranking", ("积分排名", "排名"), points.ranking, "积分排名 [本月]（书记、社区）", who=Who.MEMBER
    ),
    # --- live answers and the knowledge base; patterns see simplified, half-width text ---
    Command(
        "kb-pick",
        re.compile(r"^\s*[1-9一二三四五六七八九]\s*[.。、]?\s*$"),
        _numbered_reply,
        "回复数字：选“你是不是想问”里的问题",
    ),
    Command(
        "birthdays-month",
        re.compile(rf"^.*{_THIS_MONTH}.*政治生日"),
        live.month_birthdays,
        "本月政治生日（书记）",
        who=M,
    ),
    Command(
        "birthday",
        re.compile(
            r"^(?:我的)?政治生日(?:是哪天|是什么时候|是几号)?[?？]?$|^.*我的?(?:政治生日|入党日期|入党时间)"
        ),
        party_age.political_birthday,
        "我的政治生日",
        who=Who.SELF,
    ),
    Command(
        "standing",
        re.compile(r"^(?:我的)?党龄(?:多少年?|几年)?[?？]?$|^.*我的?党龄"),
        party_age.standing,
        "我的党龄",
        who=Who.SELF,
    ),
    Command("joined", personal.JOINED, personal.joined, "我入党几年了", who=Who.SELF),
    Command(
        "probation",
        personal.PROBATION,
        personal.probation,
        "我预备期什么时候满 / 我什么时候能转正",
        who=Who.SELF,
    ),
    Command("who", personal.WHO, personal.who, "支部书记是谁 / 组织委员是谁", who=Who.BRANCH),
    Command("my-attendance", personal.ATTENDANCE, personal.attendance, "我今年缺席了几次", who=Who.SELF),
    Command(
        "dues",
        re.compile(rf"^(?=.*(?:{_DUES_WORDS})).*(?:\d|[一二两三四五六七八九十]+[万千百])"),
        dues.calculate,
        "月收入8000交多少党费 / 退休金4000",
    ),
    Command(
        "guide",
        re.compile(rf"^.*{_THIS_MONTH}的?(?:组织生活|清单|学习内容|学什么|学习安排|主题党日安排)"),
        live.month_guide,
        "本月组织生活清单",
        who=Who.BRANCH,
    ),
    Command(
        "next-meeting",
        re.compile(rf"^.*(?:下次|下一次|下回|下一个|最近一次)的?(?:{_MEETINGS})"),
        live.next_meeting,
        "下次支委会 / 党课 / 主题党日",
        who=Who.BRANCH,
    ),
    # A sentence naming a meeting and a clock time, and asking or changing nothing, is a 安排.
    Command(
        "schedule-sentence",
        _SCHEDULING,
        meetings.natural,
        "下周三下午三点在党员活动室开支委会（书记）",
        who=Who.BRANCH,
    ),
    Command("week", personal.WEEK, personal.week, "这周有什么会 / 下周主题党日几号", who=Who.BRANCH),
    # A reply that is only a date or time finishes a pending 安排/改期; else it is answered as a question.
    Command("clarify", _TIME_ONLY, meetings.clarify, "（补充时间：下午 / 下周一 / 15:00）"),
)


_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.DOTALL, "s"), (re.MULTILINE, "m"), (re.VERBOSE, "x"))


def _inline(pattern: re.Pattern[str]) -> str:
    """The pattern with its flags written inside it, so that it can be joined with others."""
    letters = "".join(letter for flag, letter in _FLAG_LETTERS if pattern.flags & flag)
    if pattern.flags & ~(re.UNICODE | sum(flag for flag, _ in _FLAG_LETTERS)):
        raise ValueError(f"a command pattern with flags that cannot be inlined: {pattern.pattern}")
    return f"(?{letters}:{pattern.pattern})" if letters else f"(?:{pattern.pattern})"


# Whether any command takes the message, in one match: most messages are questions that none takes, and
# one match in C costs a fifth of fifty calls from Python. Which command takes it is still decided in order.
_ANY_COMMAND = re.compile("|".join(_inline(command.pattern) for command in COMMANDS))


def dispatch(ctx: HandlerContext) -> list[Reply]:
    command, ctx = _routed(ctx)
    if command is None:
        return answer(ctx)
    simple = simplify(ctx.text)
    ctx.args = command.args(ctx.text, simple)
    if command.who is Who.MANAGER:
        ctx.org = managed_org(ctx)
    refusal = _refusal(command, ctx, simple)
    return [Reply(refusal)] if refusal else command.handler(ctx)


def _refusal(command: Command, ctx: HandlerContext, simple: str) -> str | None:
    """Why this sender may not use this command here, or None; checked before the handler runs."""
    who = command.who
    if ctx.asker is None and who is not Who.ANYONE and who is not Who.BRANCH:
        return texts.NOT_BOUND if who is Who.SELF else texts.MEMBERS_ONLY
    if who in (Who.BRANCH, Who.MEMBER, Who.MANAGER) and _left_the_branch(ctx):
        return texts.TRANSFERRED_OWN_DATA_ONLY
    if who is Who.MANAGER and ctx.org is None:
        return texts.NOT_ALLOWED
    found = command.head.match(simple) if command.head else None
    word = found.group(0) if found else ""
    if command.where is Where.PRIVATE and ctx.inbound.is_group:
        return texts.PRIVATE_ONLY.format(word=word)
    if command.where is Where.GROUP and not ctx.inbound.is_group:
        return texts.GROUP_ONLY.format(word=word)
    return None


def _routed(ctx: HandlerContext) -> tuple[Command | None, HandlerContext]:
    """The command for the message; a message no command takes is read again with its English in Chinese
    ("how much party fee if my salary is 10000 after tax" reaches the 党费 calculator)."""
    command = route(ctx)
    if command is not None:
        return command, ctx
    said = default_base().translate(ctx.text)
    if said == ctx.text:
        return None, ctx
    ctx = replace(ctx, inbound=replace(ctx.inbound, text=said))
    return route(ctx), ctx


def _left_the_branch(ctx: HandlerContext) -> bool:
    return ctx.asker is not None and not may_query_members(actor_of(ctx.session, ctx.asker))


def route(ctx: HandlerContext) -> Command | None:
    """The first command whose pattern matches; patterns see half-width, simplified text (三會→三会, ８→8)."""
    text = simplify(ctx.text)
    if not _ANY_COMMAND.match(text):
        return None
    for command in COMMANDS:
        if command.pattern.match(text):
            return command
    return None


def explain(ctx: HandlerContext) -> ask.Outcome:
    """Like ``dispatch``, but says what kind of answer it was (for ``zhibu ask --batch`` and tuning)."""
    command, ctx = _routed(ctx)
    if command is not None and command.name == "kb-pick":
        return ask.resolve_pick(ctx)
    if command is None or (command.name == "dues" and dues.income_question(ctx.text) is None):
        return ask.resolve(ctx)
    replies = dispatch(ctx)
    return ask.Outcome("live", "\n".join(r.text for r in replies), None, f"live:{command.name}")
