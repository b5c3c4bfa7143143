"""Every sentence zhibu says to people, in one place to proofread.

Keep them short: many members read on a phone, in a group chat.
"""

from __future__ import annotations

from datetime import date


def cn_date(day: date) -> str:
    """2026年7月1日: the form people write, without zero padding."""
    return f"{day.year}年{day.month}月{day.day}日"

HELP = (
    "我是支部助手，可以这样问我：\n"
    "· 我的政治生日 / 我的党龄\n"
    "· 三会一课是什么\n"
    "· 党费怎么算\n"
    "· 下次支委会什么时候\n"
    "发送“帮助”随时看这份说明。"
)

WELCOME = "欢迎使用支部助手！" + HELP[len("我是支部助手，") - 1 :]

NOT_BOUND = "还不知道您是哪位党员。请向支部书记要一个绑定码，发送“绑定 绑定码”即可。"

POLITICAL_BIRTHDAY = (
    "{name}同志，您的入党日期是{joined}，"
    "{next_line}"
)
BIRTHDAY_TODAY = "今天就是您的第{years}个政治生日，祝您政治生日快乐！"
BIRTHDAY_NEXT = "下一个政治生日是{next}（入党{years}周年），还有{days}天。"

PARTY_STANDING = "{name}同志，您{full}转正，党龄{years}年（党龄从转正之日算起）。"
PARTY_STANDING_PROBATION = (
    "{name}同志，您目前是预备党员，预备期到{end}满。"
    "党龄从转为正式党员之日算起，预备期不计入党龄。"
)

UNKNOWN = (
    "这个问题我暂时答不上来。可以试试问：三会一课是什么、党费怎么算、我的政治生日。"
    "发送“帮助”查看全部用法。"
)

ERROR = "抱歉，处理时出了点问题，请稍后再试。"


# --- Schedules: meeting reminders, 改期/取消 notices (handlers/reminders.py) ---

WEEKDAYS = "一二三四五六日"


def cn_datetime(moment_local_date: date, hhmm: str) -> str:
    """2026年12月4日（周五）14:30."""
    return f"{cn_date(moment_local_date)}（周{WEEKDAYS[moment_local_date.weekday()]}）{hhmm}"


MEETING_REMINDER = "【会议提醒】{when}召开{kind}\n时间：{time}\n地点：{place}\n议题：{topic}\n{closing}"
MEETING_REMINDER_MD = "**【会议提醒】{when}召开{kind}**\n> 时间：{time}\n> 地点：{place}\n> 议题：{topic}\n\n{closing}"
MEETING_WHEN_TODAY = "今天{hhmm}"
MEETING_WHEN_TOMORROW = "明天{hhmm}"
MEETING_WHEN_LATER = "{day}"
MEETING_CLOSING = "请准时参加；确有事不能参加的，请提前向支部书记请假。"
MEETING_PLACE_TBD = "另行通知"
MEETING_TOPIC_TBD = "见会议通知"

MEETING_MOVED = "【会议改期】原定{old_time}召开的{kind}改至{new_time}，地点：{place}。请相互转告，按新时间参加。"
MEETING_CANCELLED = "【会议取消】原定{old_time}召开的{kind}取消，具体安排另行通知。请相互转告。"
