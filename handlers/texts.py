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
    "· 签到 / 请假 原因 / 本月安排\n"
    "· 报到 社区名称 / 心愿 / 认领 编号 / 我的积分\n"
    "发送“帮助”随时看这份说明；书记请发“书记帮助”。"
)

WELCOME = "欢迎使用支部助手！" + HELP[len("我是支部助手，") - 1 :]

NOT_BOUND = "还不知道您是哪位党员。请向支部书记要一个绑定码，发送“绑定 绑定码”即可。"

POLITICAL_BIRTHDAY = "{name}同志，您的入党日期是{joined}，{next_line}"
BIRTHDAY_TODAY = "今天就是您的第{years}个政治生日，祝您政治生日快乐！"
BIRTHDAY_NEXT = "下一个政治生日是{next}（入党{years}周年），还有{days}天。"

PARTY_STANDING = "{name}同志，您{full}转正，党龄{years}年（党龄从转正之日算起）。"
PARTY_STANDING_PROBATION = (
    "{name}同志，您目前是预备党员，预备期到{end}满。党龄从转为正式党员之日算起，预备期不计入党龄。"
)

MY_JOINED = "{name}同志，您{joined}入党（支部大会通过为预备党员之日），到今天满{years}年。"
MY_JOINED_FULL = "您{full}转正，党龄{years}年（党龄从转正之日算起，预备期不计入党龄）。"
MY_JOINED_PROBATION = "您目前是预备党员，预备期到{end}满；党龄从转正之日算起。"
MY_PROBATION = (
    "{name}同志，您{joined}入党，预备期1年，到{end}满（还有{days}天）。\n"
    "转正：一般在期满前约1个月（{apply}前后）交书面转正申请，经党小组提意见、支委会审查，"
    "支部大会在期满当天或之后讨论表决（不能提前），再报上级党委在3个月内审批。"
)
MY_PROBATION_OVER = (
    "{name}同志，您的预备期已于{end}期满。支部应及时召开支部大会讨论能否转正，有问题请联系支部书记。"
)
MY_CONVERTED = "{name}同志，您{joined}入党，{full}转为正式党员，党龄从这一天算起。"
ROSTER_ROLE = "{org}{role}：{names}。"
ROSTER_NONE = "名单上还没有{org}的{role}，请问支部书记或党小组长。"
ROSTER_COMMITTEE = "支部委员：{people}。"
WEEK_HEAD = "{org}{label}（{start}—{end}）的安排："
WEEK_LINE = "· {when} {kind}{place}"
WEEK_NONE = "{org}{label}（{start}—{end}）还没有安排{kind}。"
WEEK_RULE = "按规定：支委会、党小组会一般每月1次，支部党员大会一般每季度1次，主题党日每月相对固定1天。"
MY_ATTENDANCE = "{name}同志，{year}年您的会议记录：出席{present}次，请假{leave}次，缺席{absent}次。"
MY_ATTENDANCE_RULE = (
    "党员应按期参加组织生活；无正当理由连续6个月不参加组织生活，被认为自行脱党（党章第九条）。"
)

UNKNOWN = (
    "这个问题我暂时答不上来。可以试试问：三会一课是什么、党费怎么算、我的政治生日。发送“帮助”查看全部用法。"
)

ERROR = "抱歉，处理时出了点问题，请稍后再试。"


# --- Schedules: meeting reminders, 改期/取消 notices (handlers/reminders.py) ---

WEEKDAYS = "一二三四五六日"


def cn_datetime(moment_local_date: date, hhmm: str) -> str:
    """2026年12月4日（周五）14:30."""
    return f"{cn_date(moment_local_date)}（周{WEEKDAYS[moment_local_date.weekday()]}）{hhmm}"


MEETING_REMINDER = "【会议提醒】{when}召开{kind}\n时间：{time}\n地点：{place}\n议题：{topic}\n{closing}"
MEETING_REMINDER_MD = (
    "**【会议提醒】{when}召开{kind}**\n> 时间：{time}\n> 地点：{place}\n> 议题：{topic}\n\n{closing}"
)
MEETING_WHEN_TODAY = "今天{hhmm}"
MEETING_WHEN_TOMORROW = "明天{hhmm}"
MEETING_WHEN_LATER = "{day}"
MEETING_CLOSING = "请准时参加；确有事不能参加的，请提前向支部书记请假。"
MEETING_PLACE_TBD = "另行通知"
MEETING_TOPIC_TBD = "见会议通知"

MEETING_MOVED = (
    "【会议改期】原定{old_time}召开的{kind}改至{new_time}，地点：{place}。请相互转告，按新时间参加。"
)
MEETING_CANCELLED = "【会议取消】原定{old_time}召开的{kind}取消，具体安排另行通知。请相互转告。"


# ---------------------------------------------------------------------------
# Secretary and member workflows: binding, permissions, broadcasts,
# meetings, attendance. Owned by the workflows helper.
# ---------------------------------------------------------------------------

NOT_ALLOWED = "这项操作只有本支部书记、副书记或组织委员可以办理。"
MEMBERS_ONLY = "这项功能只对已绑定的党员开放。" + NOT_BOUND

BIND_USAGE = "绑定方法：发送“绑定 绑定码”，或“绑定 姓名 手机后四位”（手机号以名册登记的为准）。"
BIND_OK = "绑定成功！{name}同志，欢迎使用支部助手。发送“帮助”查看用法。"
BIND_ALREADY = "您已绑定为{name}，无需重复绑定。"
BIND_UNKNOWN = "绑定码不对，请核对后重发（不区分大小写）。"
BIND_EXPIRED = "这个绑定码已过期，请向支部书记重新要一个。"
BIND_USED = "这个绑定码已经用过了，每个码只能用一次。请向支部书记重新要一个。"
BIND_WRONG_PURPOSE_MEMBER = "这是群绑定码，请在要绑定的群里发送“绑定本群 绑定码”。"
BIND_WRONG_PURPOSE_CHAT = "这是个人绑定码，请私聊发送“绑定 绑定码”。"
BIND_NO_MATCH = "名册里没有找到姓名和手机后四位都对得上的党员，请核对，或向支部书记要一个绑定码。"
BIND_SEVERAL = "名册里有不止一位对得上的党员，请向支部书记要一个绑定码来绑定。"
BIND_PHONE_IN_GROUP = "为保护个人信息，“姓名+手机后四位”请私聊我发送，不要在群里发。"
BIND_THROTTLED = "尝试次数过多，请 15 分钟后再试，或直接联系支部书记。"
BIND_NAME_LOCKED = "这个姓名今天核对失败次数过多，用手机后四位绑定已暂停 24 小时。请向支部书记要一个绑定码。"
BIND_PHONE_PAUSED = "用手机后四位绑定暂时关闭了（近一小时核对失败太多）。请向支部书记要一个绑定码。"
BIND_COMMITTEE_NEEDS_CODE = (
    "支委和上级党组织的委员要用绑定码绑定，不能用手机后四位。"
    "请向支部书记或上级党组织要一个绑定码，然后私聊我发送“绑定 绑定码”。"
)
TRANSFERRED_OWN_DATA_ONLY = (
    "名册显示您的组织关系已转出，只能查询本人的政治生日、党龄和党务知识。如有疑问请联系原支部书记。"
)
BIND_TRANSFERRED = "名册显示您的组织关系已转出，不能再绑定本支部助手。如有疑问请联系原支部书记。"
BIND_LOCK_NOTICE_MEMBER = (
    "提醒：今天有人多次用您的姓名和手机后四位尝试绑定支部助手，都没有对上，这种绑定方式已为您暂停 24 小时。"
    "如果不是您本人，请告诉支部书记。"
)
BIND_LOCK_NOTICE_SECRETARY = (
    "提醒：今天有人多次用{name}同志的姓名和手机后四位尝试绑定，都没有对上，已暂停 24 小时。"
    "如果不是本人，请留意；本人要绑定，可以私聊我发“邀请 {name}”给他一个绑定码。"
)

INVITE_USAGE = "用法：邀请 姓名，例如“邀请 张三”。"
PRIVATE_ONLY = "“{word}”涉及个人身份，请私聊我发送，不要在群里发。"
GROUP_ONLY = "“{word}”要在群聊里发送。"
INVITE_NOT_FOUND = "本支部名册里没有“{name}”。"
INVITE_SEVERAL = "本支部有{count}位“{name}”：{who}。请先在名册里区分后再邀请。"
INVITE_OK = "{name}同志的绑定码：{code}\n请转告本人私聊我发送“绑定 {code}”，{hours}小时内有效，只能用一次。"

CHAT_CODE_OK = (
    "{org}的群绑定码：{code}\n请在要绑定的群里发送“绑定本群 {code}”，{minutes}分钟内有效，只能用一次。"
)
BIND_CHAT_OK = "本群已绑定到{org}，今后支部通知会发到这里。"
BIND_CHAT_OWNED = (
    "本群已绑定到{owner}，不能直接改绑。请{owner}的书记、副书记或组织委员先在群里发送“解绑本群”。"
)
CHAT_MOVED_NOTICE = "提醒：{owner}的一个群已改绑到{org}，今后{owner}的通知不再发到那个群。"
UNBIND_CHAT_NOT_BOUND = "本群还没有绑定任何支部。"
UNBIND_CHAT_NOT_ALLOWED = "只有{owner}的书记、副书记、组织委员或上级党组织才能解绑本群。"
UNBIND_CHAT_OK = "本群已与{owner}解除绑定，今后{owner}的通知不再发到这里。"
BIND_CHAT_NEEDS_CODE = "请发送“绑定本群 绑定码”。绑定码由支部书记私聊我发送“群绑定码”获得。"

# Dates and times understood from chat (handlers/when.py): questions instead of guesses.
WHEN_AMPM = "{hour}点是上午还是下午？请写明，例如“下午{hour}点”或“{hour24}:00”。"
WHEN_TODAY_OR_NEXT_WEEK = (
    "今天就是周{weekday}，是指今天还是下周{weekday}？请写“今天”或“下周{weekday}”，或直接写日期。"
)
WHEN_PAST = "{day}已经过去了，请换一个还没到的时间。"
WHEN_PAST_MONTH_DAY = "{day}已经过去了，是指下个月{dom}日吗？请写完整日期，例如“{next_month}月{dom}日”。"
WHEN_INVALID = "没看懂这个日期或时间，请写成“12月5日 15:00”或“明天下午3点”这样的形式。"
WHEN_REPLY_HINT = "直接回复补上即可（10分钟内有效），不用重发整条。"
WHEN_MISSING = "请写上时间，例如“12月5日 15:00”或“下周五下午3点”。"
WHEN_NEEDS_CLOCK = "几点开始？请写上具体时间，例如“{day} 下午3点”。"

# Meetings from chat (handlers/meetings.py).
MEETING_USAGE = (
    "用法：安排 会议类型 时间 地点 主题：内容\n"
    "例如：安排 支委会 12月5日 15:00 三楼会议室 主题：学习全会精神\n"
    "会议类型：支部党员大会、支委会、党小组会、党课、主题党日、组织生活会、民主评议党员"
)
MEETING_CREATED = "已安排{kind}：{when}\n地点：{place}\n主题：{topic}\n会前会自动提醒参会人员。"
MEETING_NATURAL_NOT_ALLOWED = (
    "安排会议要由本支部书记、副书记或组织委员来办。想看会议安排，可以发送“本月安排”。"
)
MEETING_DUPLICATE = "{when}已经安排了{kind}，不用重复安排。"
MEETING_NONE_UPCOMING = "没有找到即将召开的{kind}。发送“本月安排”查看会议。"
MEETING_WHICH_ONE = "要{verb}{option}吗？是的话请回复“{verb} {example}”。"
MEETING_WHICH = (
    "要{verb}哪一个？即将召开的会议有{count}个：{options}。请写明会议和日期，例如“{verb} {example}”。"
)
MEETING_GENERIC = "会议"
MEETING_EXAMPLE = "{kind} {month}月{day}日"
MOVE_USAGE = "用法：改期 会议类型 [原日期] 改到 新时间，例如“改期 支委会 改到 12月8日 15:00”。"
MEETING_MOVED_OK = "已把{kind}从{old}改到{new}。{notified}"
MEETING_CANCELLED_OK = "已取消{when}的{kind}。{notified}"
NOTIFIED_SOME = "已收到提醒的{count}处会收到改期/取消通知。"
NOTIFIED_NONE = "还没发出过提醒，不需要另行通知。"
MEETING_CLOSED = "这个会议已经取消或已召开，不能再改。"
MONTH_PLAN_EMPTY = "{org}{month}月还没有安排会议。"
MONTH_PLAN_HEAD = "{org}{month}月会议安排："
MONTH_PLAN_LINE = "· {when} {kind}{place}{status}"
MEETING_STATUS_CANCELLED = "（已取消）"
UNNAMED_BRANCH = "本支部"

# Broadcasts (handlers/broadcast.py).
BROADCAST_USAGE = "用法：发布 通知内容，例如“发布 本周五下午3点在三楼会议室开党员大会，请准时参加。”"
BROADCAST_NO_CHATS = "{org}还没有绑定任何群，发不出去。请先在群里发送“绑定本群”。"
BROADCAST_PREVIEW = (
    "将发送到{chats}个群（{orgs}个组织），覆盖{people}名党员：\n"
    "————\n{text}\n————\n"
    "{repeat}{minutes}分钟内回复“确认发送”发出，回复“取消发送”作废。"
)
BROADCAST_REPEAT = "⚠ 24小时内已向同一范围发过相同内容，确认仍要再发吗？\n"
BROADCAST_QUEUED = "已排队发送到{chats}个群。稍后发送“发送情况”查看送达情况。"
BROADCAST_NOTHING_PENDING = "没有待确认的通知。先发送“发布 通知内容”。"
BROADCAST_EXPIRED = "确认已过期（{minutes}分钟内有效），通知没有发出。请重新“发布”。"
BROADCAST_ABORTED = "已作废，通知没有发出。"
BROADCAST_NO_BATCH = "最近没有发过通知。"
BROADCAST_STATUS_HEAD = "最近一次通知：已送达{sent}，失败{failed}，待发送{pending}。"
BROADCAST_STATUS_LINE = "· {org} {chat}：{status}"
BROADCAST_STATUS_NAMES = {"sent": "已送达", "failed": "失败", "pending": "待发送", "cancelled": "已撤回"}
BROADCAST_STATUS_FAILED = "失败（{error}）"

# Attendance (handlers/attendance.py).
CHECKIN_NONE = "现在没有可以签到的会议（会前30分钟到会议结束之间可以签到）。"
CHECKIN_OK = "签到成功：{when} {kind}。"
CHECKIN_AGAIN = "您已经签过到了：{when} {kind}。"
CHECKIN_NOT_INVITED = "您不在{kind}的参会范围内，不用签到。"
LEAVE_USAGE = "请写明请假原因，例如“请假 出差在外”。"
LEAVE_NONE = "近期没有需要请假的会议。"
LEAVE_OK = "已为您请假：{when} {kind}，原因：{reason}。"
LEAVE_TOO_LATE = "{kind}已经开始了，请直接联系支部书记说明情况。"
LEAVE_SIGNED_IN = "您已签到{when}的{kind}，不能再请假；如需更正，请联系支部书记。"
ABSENCE_NONE = "最近没有会议。"
ABSENCE_HEAD = "{when} {kind}：应到{expected}人，签到{present}人，请假{leave}人，缺席{absent}人。"
ABSENCE_LEAVE = "请假：{names}"
ABSENCE_MISSING = "未到：{names}"
ABSENCE_MARKED = "标记缺席：{names}"
ABSENCE_HEAD_NOT_STARTED = (
    "{when} {kind}还没开始：应到{expected}人，已签到{present}人，请假{leave}人，未签到{missing}人。"
)
ABSENCE_NOT_SIGNED = "未签到：{names}"
ABSENCE_ALL_HERE = "应到人员都已签到或请假。"
QUORUM_GENERAL_ASSEMBLY = (
    "⚠ 有表决权的正式党员{voters}人，到会{present}人，未超过半数，不能进行表决和选举（预备党员没有表决权）。"
)
QUORUM_COMMITTEE = "⚠ 支委{voters}人，到会{present}人，未超过半数，支委会不能进行。"
MARK_USAGE = "用法：标记缺席 姓名 [原因]，例如“标记缺席 张三 无故未到”。"
MARK_NOT_EXPECTED = "{name}不在{kind}的应到名单里。"
MARK_OK = "已将{name}标记为缺席：{when} {kind}。"
MARK_TOO_EARLY = "{when} {kind}还没开始，开始后才能标记缺席。"
CORRECT_PRESENT_TOO_EARLY = "{when} {kind}的签到还没开始（会前30分钟开始），到时再记签到。"
CORRECT_LEAVE_REASON = "记请假要写明原因。"
CORRECT_LEAVE_SIGNED_IN = "{name}已签到{kind}，不能改成请假；确实没来的请记缺席并写明原因。"
NAME_REASON = "{name}（{reason}）"

# --- zhibu demo (roster) ---
DEMO_CONSOLE_LINKS = (
    "网页后台：运行上面那行和 zhibu serve 后，10分钟内打开 / web console, once zhibu serve runs:"
)
DEMO_SERVING = (
    "网页后台已在本机启动（Ctrl-C 停止），10分钟内打开 / the web console is being served, open within 10 min:"
)
DEMO_INTRO = (
    "演示数据：{top}，人物均为虚构。你现在是{branch}{role}{name}。\n"
    "可以试试：{tries}（输入“帮助”看全部用法）\n"
    "支部助手自己发的消息（清单、政治生日祝福、会议提醒）也会显示在这里："
    "输入 /快进 明天09:00 看看明早会收到什么；"
    "/群 进入本支部的群，/私聊 回到私聊。"
)

DEMO_TRY_MANAGER = "我的政治生日 · 本月安排 · 心愿 · 积分排名 · 书记帮助（邀请党员、安排会议、发布通知）"
DEMO_TRY_MEMBER = "我的政治生日 · 我的党龄 · 下次党课什么时候 · 三会一课是什么 · 我的积分 · 心愿"

# --- the console chat's own commands (zhibu chat / zhibu demo), not messages to the bot ---
CONSOLE_GROUP = "/群"
CONSOLE_PRIVATE = "/私聊"
CONSOLE_FAST_FORWARD = "/快进"
CONSOLE_IN_GROUP = "已进入“{org}”群，在群里说的话群里的人都看得到。发 /私聊 回到和支部助手的私聊。"
CONSOLE_IN_PRIVATE = "已回到和支部助手的私聊。"
CONSOLE_GROUP_UNKNOWN = "没有“{name}”的群。可以进入：{names}"
CONSOLE_GROUP_NONE = "这里还没有绑定任何群。"
CONSOLE_GROUP_WHICH = "请写上支部名称，例如：/群 {example}"
CONSOLE_FAST_FORWARD_USAGE = "请写上要快进到的时间，例如：/快进 明天09:00"
CONSOLE_FAST_FORWARD_DEMO_ONLY = "只有演示（zhibu demo）里可以快进。"
CONSOLE_FAST_FORWARD_PAST = "只能往后快进，现在是{now}。"
CONSOLE_FAST_FORWARD_TOO_FAR = "一次最多快进{days}天，请分几次快进。"
CONSOLE_FAST_FORWARDING = "快进中：{now}"
CONSOLE_FAST_FORWARD_DONE = "已快进到{now}。"
CONSOLE_FAST_FORWARD_QUIET = "已快进到{now}，这段时间没有新消息。"
CONSOLE_OTHER_CHATS = "另有{count}条消息发到了其他群或党员，这里不显示。"
CONSOLE_GROUP_TITLE = "群消息 · {kind}"
CONSOLE_PRIVATE_TITLE = "私聊 · {kind}"
CONSOLE_ARRIVAL_WHERE = "{chat} · {at}"
CONSOLE_MULTILINE_END = "/发送"
CONSOLE_MULTILINE = "接着逐行输入清单内容（可以直接粘贴），单独一行输入 /发送 结束。"
# What the console calls each kind of message the bot sends by itself (the outbox row's kind).
DELIVERY_KINDS = {
    "guide": "组织生活清单",
    "birthday": "政治生日祝福",
    "birthday_digest": "本月政治生日",
    "glory50": "光荣在党50年",
    "meeting_reminder": "会议提醒",
    "meeting_change": "会议变更",
    "nudge": "工作提醒",
    "probation_member": "转正提醒",
    "broadcast": "通知",
    "reply": "回复",
    "bind_lock": "绑定提醒",
    "chat_moved": "群绑定变更",
}
DELIVERY_KIND_OTHER = "消息"

# Ledger (三会一课台账) and calendar feed headings (handlers/ledger.py, handlers/calendar_feed.py).
LEDGER_COLUMNS = (
    "日期",
    "时间",
    "主题",
    "地点",
    "状态",
    "应到",
    "实到",
    "出席人员",
    "请假人员（原因）",
    "缺席人员（原因）",
    "备注",
)
LEDGER_STATUS = {"planned": "计划", "held": "已召开", "cancelled": "已取消"}
LEDGER_NOT_SIGNED = "未签到"
LEDGER_KIND_COLUMN = "会议类型"
LEDGER_SUMMARY_SHEET = "完成情况"
LEDGER_SUMMARY_TITLE = "{org}{year}年三会一课完成情况（统计至{today}）"
LEDGER_MONTHLY_HEAD = ("月份", "支委会", "党小组会", "主题党日", "情况")
LEDGER_QUARTERLY_HEAD = ("季度", "支部党员大会", "党课", "情况")
LEDGER_REQUIREMENT = (
    "要求：支委会、党小组会、主题党日每月至少1次；支部党员大会、党课每季度至少1次"
    "（《中国共产党支部工作条例（试行）》及常见规定）。"
)
LEDGER_MONTH = "{month}月"
LEDGER_QUARTER = "第{quarter}季度"
QUARTER_NAMES = "一二三四"
LEDGER_OK = "达标"
LEDGER_SHORT = "未达标：{missing}"
LEDGER_NOT_DUE = "进行中"
LEDGER_FUTURE = "—"
LEDGER_NO_GROUPS = "无党小组"
CALENDAR_NAME = "{org}会议"

SECRETARY_HELP = (
    "支部书记、副书记、组织委员可以这样用：\n"
    "· 邀请 姓名（私聊）｜群绑定码 → 在群里：绑定本群 绑定码｜解绑本群\n"
    "· 安排 支委会 12月5日 15:00 三楼会议室 主题：学习全会精神"
    "（也可以直接说“下周三下午三点在党员活动室开支委会”）\n"
    "· 改期 支委会 改到 12月8日 15:00｜取消 党课 12月12日｜本月安排\n"
    "· 发布 通知内容 → 确认发送｜发送情况\n"
    "· 发布清单 [2026-12]，下一行起写清单内容 → 发到本支部的群（上级党委发布的会发到下属各支部）\n"
    "· 缺席名单｜标记缺席 姓名 原因\n"
    "· 后台（私聊）：网页后台的登录链接，在手机或电脑上看全月情况和发送记录\n"
    "· 积分排名 [本月]｜社区：报到名单｜发布心愿 内容 截止：12月10日 人数：2｜确认完成 编号｜取消心愿 编号"
    "｜心愿 逾期 / 未认领\n"
    "党员可以：签到｜请假 原因｜本月安排｜后台｜报到 社区名称｜心愿｜认领 编号｜完成 编号 说明｜我的积分。"
)

# --- Knowledge answers, 党费 and live answers (handlers/ask.py, dues.py, live.py) ---
KB_ANSWER = "{answer}\n（依据：{source}）"
KB_UNDERSTOOD = "按“{terms}”理解："
KB_ANSWER_NO_SOURCE = "{answer}"
KB_LOCAL_SOURCE = "本支部"
KB_SUGGEST_HEAD = "你是不是想问："
KB_SUGGEST_LINE = "{n}. {question}"
KB_SUGGEST_TAIL = "回复数字即可查看答案。"
KB_PICK_NONE = "没有找到对应的选项，请直接把问题发给我。"
KB_FALLBACK = (
    "这个问题我还答不上来，拿不准的可以问支部书记。我能解答党支部工作的常见问题，比如：\n"
    "· 三会一课是什么\n"
    "· 月收入8000交多少党费\n"
    "· 预备党员怎么转正\n"
    "· 我的政治生日 / 我的党龄\n"
    "· 下次支委会什么时候"
)
KB_GREETING = "您好！我是支部助手，可以这样问我：" + KB_FALLBACK[KB_FALLBACK.index("\n") :]
KB_THANKS = "不客气！还有党务方面的问题随时问我。"

DUES_EMPLOYED = (
    "按月工资收入{base}元计算（基数按税后、相对固定的经常性工资收入）：{bracket}，按{rate}%交纳，"
    "每月党费{fee}元。\n"
    "整月收入按同一比例计算，不分段累进；基数不含个人所得税、社保和住房公积金、改革性补贴、年终奖励性绩效等。"
    "\n（依据：中组部《关于中国共产党党费收缴、使用和管理的规定》，2008年）"
)
DUES_RETIRED = (
    "按每月离退休费{base}元计算（基数为基本离退休费，不含各类津补贴）：{bracket}，按{rate}%交纳，"
    "每月党费{fee}元。\n"
    "离退休党员5000元（含）以下交0.5%，5000元以上交1%。"
    "\n（依据：中组部《关于中国共产党党费收缴、使用和管理的规定》，2008年）"
)
DUES_BRACKET_UPTO = "属于{upper}元（含）以下一档"
DUES_BRACKET_BETWEEN = "属于{lower}元以上至{upper}元（含）一档"
DUES_BRACKET_ABOVE = "属于{lower}元以上一档"

STANDING_NEXT = "到{next}满{years}年。"
LIVE_NO_BRANCH = "还不知道您在哪个支部。请先绑定身份（发送“绑定 绑定码”），或在已绑定支部的群里问我。"
LIVE_NEXT_MEETING = "{org}下次{kind}：{when}{place}{topic}"
LIVE_NEXT_PLACE = "，地点：{place}"
LIVE_NEXT_TOPIC = "，主题：{topic}"
LIVE_NO_MEETING = "{org}还没有安排下次{kind}。{rule}请留意书记的通知。"
LIVE_MEETING_RULES = {
    "支委会": "按支部工作条例，支委会一般每月召开1次。",
    "党小组会": "按支部工作条例，党小组会一般每月召开1次。",
    "支部党员大会": "按支部工作条例，支部党员大会一般每季度召开1次。",
    "党课": "党课要定期上，很多地方要求每季度至少1次。",
    "主题党日": "主题党日每月相对固定1天开展。",
    "组织生活会": "组织生活会每年至少召开1次，一般安排在第四季度。",
}
LIVE_GUIDE_NONE = (
    "{month}月的组织生活清单还没有发布。发布后我会推送到支部群，也可以再问我“本月组织生活清单”。"
)
LIVE_BIRTHDAYS_HEAD = "{org}{month}月过政治生日的党员（{count}人）："
LIVE_BIRTHDAYS_LINE = "· {name}：{month}月{day}日，入党{years}周年"
LIVE_BIRTHDAYS_NONE = "{org}{month}月没有党员过政治生日。"
# --- Schedules: political birthdays, digests, 光荣在党50年 (handlers/birthdays.py) ---

BIRTHDAY_GROUP = (
    "【政治生日】{day_word}是{names}的政治生日！\n{lines}\n祝同志们政治生日快乐，不忘入党初心，牢记党员身份。"
)
BIRTHDAY_GROUP_MD = (
    "**【政治生日】{day_word}是{names}的政治生日！**\n{lines}\n\n"
    "祝同志们政治生日快乐，不忘入党初心，牢记党员身份。"
)
BIRTHDAY_LINE = "· {name}同志，入党{years}周年{mark}"
BIRTHDAY_MILESTONE = "（逢十纪念🎉）"
BIRTHDAY_PRIVATE = (
    "{name}同志：{day_word}是您入党{years}周年的政治生日{mark}。"
    "感谢您{years}年来的坚守与奉献，愿您不忘初心、牢记使命。祝政治生日快乐！"
)
BIRTHDAY_TODAY_WORD = "今天"
BIRTHDAY_DAY_WORD = "{month}月{day}日"

BIRTHDAY_DIGEST = (
    "【本月政治生日】{branch}{month}月共有{count}名党员过政治生日：\n{lines}\n"
    "建议在本月主题党日安排集体过政治生日，重温入党誓词。"
)
BIRTHDAY_DIGEST_LINE = "· {name}　{month}月{day}日　入党{years}周年{mark}"

GLORY_50 = (
    "【光荣在党50年】{branch}以下党员到{year}年7月1日党龄满50年（从转正之日算起）：\n{lines}\n"
    "“光荣在党50年”纪念章一般于每年“七一”前后集中颁发，请核实党龄和一贯表现后按上级要求申报。"
)
GLORY_50_LINE = "· {name}　{full}转正"


# --- Schedules: compliance nudges to secretaries (handlers/nudges.py; docs/domain-rules.md §A1, §A4) ---

NUDGE_MONTHLY = (
    "【工作提醒】{branch}本月还没有召开{kind}。按《支部工作条例》，{kind}一般每月召开1次，请及时安排。"
)
NUDGE_QUARTERLY = (
    "【工作提醒】{branch}本季度（{quarter}）还没有{kind}安排，季度将于{end}结束。"
    "{kind}一般每季度1次，请及时安排。"
)
NUDGE_ANNUAL = "【工作提醒】{branch}还没有安排{kind}，上级要求{deadline}前完成，请及早准备。"
NUDGE_ANNUAL_OVERDUE = (
    "【工作提醒】{branch}的{kind}应在{deadline}前完成，系统中还没有记录。已开过的请补录，未开的请尽快安排。"
)
NUDGE_PROBATION_DUE = (
    "【转正提醒】预备党员{name}的预备期将于{end}期满。请提醒本人提交书面转正申请，"
    "并在期满后及时召开支部党员大会讨论其转正（不得提前讨论）。"
)
PROBATION_MEMBER_NOTE = (
    "{name}同志：您的预备期将于{end}期满。请在期满前向党支部提交书面转正申请，"
    "支部将在期满后及时召开支部党员大会讨论您的转正。"
)
NUDGE_PROBATION_OVER = (
    "【转正提醒】预备党员{name}的预备期已于{end}期满，系统中还没有转正结论。"
    "请及时召开支部党员大会讨论（按期转正、延长预备期或取消预备党员资格），并报上级党委审批。"
)


# --- Schedules: the monthly 组织生活清单 (handlers/guide.py) ---

GUIDE_HEADER = "【{year}年{month}月组织生活清单】"
GUIDE_SUPPLEMENT_HEADER = "【{year}年{month}月组织生活清单·补充】"
GUIDE_ISSUER = "{title}（{issuer}）"
GUIDE_ISSUED_BY = "{issuer}发布"
GUIDE_OWN_HEADER = "本支部补充事项（{issuer}）"
GUIDE_REQUIREMENTS = "总体要求：{text}"
GUIDE_ITEM = "{n}. {topic}"
GUIDE_FIELD = "   {label}：{value}"
GUIDE_LABELS = (("content", "内容"), ("form", "形式"), ("due", "时间要求"))
GUIDE_FOOTER = "请结合本支部实际抓好落实。"
GUIDE_NONE = "{month}没有发给{branch}的组织生活清单。"
GUIDE_PUBLISH_USAGE = (
    "发布清单的格式：\n发布清单 2026-12\n# 标题\n## 总体要求\n……\n"
    "## 第一项主题\n- 内容：……\n- 形式：……\n- 时间要求：……\n"
    "（月份可省略，默认本月）"
)
GUIDE_PUBLISHED = "已发布{org}{month}组织生活清单（{items}项）{replaced}，{when}发送到{chats}。"
GUIDE_TO_OWN_CHATS = "本支部已绑定的群"
GUIDE_TO_BRANCH_CHATS = "下属各支部已绑定的群"
GUIDE_REPLACED = "，替换了原清单"
GUIDE_SEND_SOON = "将在几分钟内"
GUIDE_SEND_AT = "将于{day}"
GUIDE_BAD_FILE = "清单没能读懂：{reason}"

# --- Gateway delivery: WeCom group robots (bot/cli/robots.py) ---
ROBOT_HELLO = "支部助手已接入本群。之后支部的通知、会议提醒和政治生日祝福会发到这里。"

# --- Web console (handlers/console_login.py, bot/web/) ---
CONSOLE_LINK = "网页后台登录链接（{minutes}分钟内有效，只能用一次，请勿转发）：\n{url}"
CONSOLE_NO_URL = "网页后台还没有配置网址，请管理员在 zhibu.toml 的 [web] 中设置 base_url。"
CONSOLE_HOW_TO_LOGIN = "请在私聊中给支部助手发送“后台”（或“登录后台”），点收到的链接即可登录。"
CONSOLE_LINK_PROBLEM = {
    "used": "这个登录链接已经用过了。",
    "expired": "这个登录链接已过期（有效期10分钟）。",
    "unknown": "这个登录链接无效，可能复制不完整。",
    "wrong_purpose": "这个登录链接无效，可能复制不完整。",
}
CONSOLE_OAUTH_BUTTON = "用{label}登录"
CONSOLE_OAUTH_BUTTON_OF = "用{label}登录（{account}）"  # when several apps offer it
CONSOLE_OAUTH_WHERE = "在{labels}里打开本页，可以直接登录。"
CONSOLE_OAUTH_PROBLEM = {
    "state": "登录请求已过期或不是从本页发起的，请回到登录页重新登录。",
    "bad_code": "{label}没能确认您的身份（授权已过期或已用过），请回到登录页再试一次。",
    "outsider": "您不是本单位{label}的成员，不能用{label}登录。",
    "unavailable": "暂时连不上{label}，请稍后再试，或用登录链接登录。",
    "unbound": (
        "您的{label}账号还没有绑定党员身份。请在{label}里私聊支部助手，发送“绑定 绑定码”"
        "（绑定码向支部书记要），绑定后再回来登录；也可以请管理员给您一个后台登录链接。"
    ),
}
CONSOLE_FORBIDDEN = "您没有查看这个页面的权限。"
CONSOLE_CSRF = "页面已过期或来源不明，请刷新后再试。"
CONSOLE_RETRIED = "已放回队列，马上重发：{count} 条。"
CONSOLE_NOT_RETRIED = "这条消息{why}，不能重发。"
CONSOLE_CANCELLED = "已取消，不会再发送。"
CONSOLE_NOT_CANCELLED = "这条消息{why}，不能取消。"
CONSOLE_DELIVERY_STATE = {
    "pending": "还在队列里",
    "sending": "正在发送",
    "sent": "已经送达",
    "failed": "已经失败",
    "cancelled": "已经取消",
}
CONSOLE_BAD_DATE = "日期“{date}”看不懂，请写成 2026-12-01。"
CONSOLE_BAD_WHEN = "请填写会议的日期和开始时间，例如 2026-12-05 和 15:00。"
CONSOLE_END_BEFORE_START = "结束时间要晚于开始时间。"
CONSOLE_MEETING_CREATED = "已安排。会前会自动提醒参会人员。"
CONSOLE_MEETING_MOVED = "已改期。"
CONSOLE_MEETING_CANCELLED = "已取消会议。"
CONSOLE_ATTENDANCE_SAVED = "已更正。"
CONSOLE_GUIDE_PUBLISHED = "已发布，清单会发到所选支部已绑定的群，下面可以看到发送情况。"
CONSOLE_BROADCAST_EMPTY = "请填写通知内容。"
CONSOLE_BROADCAST_LONG = "通知太长了，请控制在{n}字以内。"
CONSOLE_BROADCAST_QUEUED = "已排队发送到{count}个群，下面可以看到送达情况。"
CONSOLE_KB_MISSING = "请填写条目键、标准问法和答案。"
CONSOLE_KB_SAVED = "已保存，党员提问时马上生效。"
CONSOLE_KB_DELETED = "已删除；如有同名的内置条目，重新按内置条目回答。"
CONSOLE_KB_DECISIONS = {
    "answer": "直接回答",
    "suggestions": "列出几个相近的问题让党员选",
    "fallback": "答不上，请党员换个问法",
}
KB_WHY = {  # handlers/ask.why_chosen's reasons, for a secretary fixing an answer
    "no entry matches a party-building term with a high enough score": (
        "问题里的党务用语没有哪个条目对得上，或者对上了但得分太低。"
    ),
    "a single term, and one entry is about just that term": (
        "问题只说了一个党务用语，正好有一个条目专门讲它。"
    ),
    "a single term that several entries (or none) are about": (
        "问题只说了一个党务用语，专门讲它的条目不止一个（或者一个也没有），判断不了问的是哪个。"
    ),
    "the question says one of its phrasings, no other entry's nearly as fully": (
        "问题几乎就是这个条目的一种问法，别的条目都没有这么贴近。"
    ),
    "the best entry covers too little of the question": "得分最高的条目只对上了问题里很少的词，没有把握。",
    "the only entry on topic": "只有这一个条目和问题里的党务用语对得上。",
    "it covers much more of the question than the runner-up": "它对上的问题里的词比第二名多得多。",
    "neither fits the question well nor leads the runner-up clearly": (
        "前两个条目都不太贴近问题，得分也拉不开差距。"
    ),
    "a near tie: the runner-up scores, fits and covers nearly as much": (
        "前两个条目的得分、覆盖和贴合都差不多，分不出该答哪一个。"
    ),
    "it fits the question and is clearly ahead": "它和问题贴近，得分明显领先第二名。",
}
CONSOLE_ROSTER_INVALID = "名册有 {count} 处错误，没有导入任何数据。请改正下面列出的行和列后重新导入。"
CONSOLE_ROSTER_FILE = "请选择名册文件（.xlsx 或 .csv）。"
TRANSFER_PHONE_TAKEN = "这个手机号码已属于名册里的{name}（入党日期{joined}），请核对后再办理转入。"
TRANSFER_STILL_THERE = "名册显示{name}仍在{org}，请原支部先办理转出，再办理转入。"
CONSOLE_TRANSFER_SELF = "不能给自己办理转出，请由支部其他支委或上级党组织办理。"
CONSOLE_TRANSFER_MISSING = "请填写姓名和入党日期。"
CONSOLE_TRANSFERRED_OUT = "已办理转出：不再给这位党员发提醒和通知，以往的会议、积分等记录都保留。"
CONSOLE_TRANSFER_WITHDRAWN = "还没发出的{count}条私聊消息已撤回。"
CONSOLE_TRANSFERRED_IN = "已办理转入。还没绑定的，可以在名册里生成绑定码，绑定后就能收到本支部的提醒。"
CONSOLE_GUIDE_REPLACED = "本月原来的清单已替换（已收到的支部不再重发）。"
CONSOLE_GUIDE_SCHEDULED = "已定时。到时清单自动发到所选支部已绑定的群，之前不会发送，党员也看不到。"
CONSOLE_GUIDE_WITHDRAWN = "已取消定时发布，这份清单不会发出。"
CONSOLE_GUIDE_GONE = "这份清单已经到了发布时间，不能再改时间或取消。"
CONSOLE_GUIDE_AT_AHEAD = "定时发布的时间要晚于现在，请重新选择日期和时间。"
CONSOLE_GUIDE_AT_EARLY = "{month}月的清单要到{month}月1日才开始发送，定时请选{month}月里的时间。"
CONSOLE_GUIDE_AT_PUBLISHED = "本月清单已经发布过，不能再定时；直接发布会替换内容（已收到的支部不再重发）。"
CONSOLE_GUIDE_EVERY = "下属全部支部"
CONSOLE_EVERY_BRANCH = "{org}全部支部"
CONSOLE_LEDGER_FILE = "{org}三会一课台账-{year}.xlsx"
CONSOLE_KIND_NAMES = {
    "guide": "组织生活清单",
    "birthday": "政治生日",
    "birthday_digest": "政治生日汇总",
    "glory50": "光荣在党50年",
    "meeting_reminder": "会议提醒",
    "meeting_change": "会议变更",
    "nudge": "催办",
    "probation_member": "转正提醒",
    "broadcast": "通知",
    "reply": "回复",
    "bind_lock": "绑定提醒",
    "chat_moved": "群迁移",
    "heartbeat": "连通检查",
}
CONSOLE_STATUS_NAMES = {
    "pending": "排队中",
    "sending": "发送中",
    "sent": "已送达",
    "failed": "失败",
    "cancelled": "已取消",
}
CONSOLE_ATTENDANCE_NAMES = {"present": "签到", "leave": "请假", "absent": "缺席"}
CONSOLE_ACTION_NAMES = {
    "bind_member": "绑定身份",
    "bind_failed": "绑定失败",
    "bind_refused": "拒绝绑定",
    "bind_chat": "绑定群",
    "bind_chat_failed": "绑定群失败",
    "bind_chat_refused": "拒绝绑定群",
    "unbind_chat": "解绑群",
    "invite": "生成绑定码",
    "roster_import": "导入名册",
    "transfer_out": "转出党员",
    "transfer_in": "转入党员",
    "kb_save": "保存知识库条目",
    "kb_delete": "删除知识库条目",
    "chat_code": "生成群绑定码",
    "broadcast": "发布通知",
    "guide_publish": "发布清单",
    "guide_schedule": "修改清单发布时间",
    "guide_withdraw": "取消定时清单",
    "meeting_create": "安排会议",
    "meeting_move": "会议改期",
    "meeting_cancel": "取消会议",
    "mark_absent": "标记缺席",
    "attendance_correct": "更正出勤",
    "export_ledger": "导出台账",
    "rotate_feed": "更换日历链接",
    "outbox_retry": "重发消息",
    "outbox_cancel": "取消消息",
    "console_link": "获取后台登录链接",
    "console_login": "登录后台",
    "console_logout_all": "在所有设备上退出",
}

# --- 双报到, 微心愿 and points (handlers/community.py, wishes.py, points.py) ---
REPORT_USAGE = "请发送“报到 社区名称”，如“报到 和平社区”；可以写上特长：报到 和平社区 特长：理发、电脑维修。"
REPORT_NONE_FOUND = "没有找到名称含“{words}”的社区或网格，请核对名称后再发。"
REPORT_CHOOSE_HEAD = "找到这些社区和网格，请回复序号选择报到的地方："
REPORT_CHOOSE_LINE = "{n}. {name}"
REPORT_DONE = "已向{place}报到。社区发布微心愿时会通知您，回复“心愿”可以查看。"
REPORT_DONE_POINTS = "（报到积分 {points:+d}）"
REPORT_ALREADY = "您已在{place}报到（{since}起）。搬家了请先发“结束报到”，再向新社区报到。"
REPORT_MINE = "您在{place}报到，{since}起。{skills}发送“结束报到”可以结束。"
REPORT_MINE_SKILLS = "特长：{skills}。"
REPORT_NOT_YET = "您还没有向居住地社区报到。发送“报到 社区名称”即可，如“报到 和平社区”。"
REPORT_ENDED = "已结束在{place}的报到，积分记录保留不变。"
REPORT_LIST_HEAD = "{place}报到党员 {count} 人："
REPORT_LIST_LINE = "· {name}（{home}）{skills}{phone}"
REPORT_LIST_NONE = "{place}还没有党员报到。"
REPORT_COUNTS_HEAD = "报到情况（{count} 人）\n按社区：{communities}\n按所在支部：{homes}"
REPORT_STAFF_ONLY = "报到名单只对社区党组织和上级党委的委员开放。"
REPORT_ASSIGN_USAGE = "请写上党员姓名，如“登记报到 张三 特长：水电维修”（社区书记、副书记、组织委员）。"
REPORT_ASSIGN_NOT_ALLOWED = "登记报到、结束他人报到要由社区党委或网格党支部的书记、副书记、组织委员来办。"
REPORT_MEMBER_NOT_FOUND = "名册里没有找到“{name}”。"
REPORT_MEMBER_AMBIGUOUS = "名册里有{count}位“{name}”，请联系上级党委在管理端登记。"
REPORT_ASSIGNED = "已登记{name}向{place}报到。"
REPORT_ASSIGN_ALREADY = "{name}已在{place}报到，请先结束原来的报到。"
REPORT_ENDED_BY_STAFF = "已结束{name}在{place}的报到。"
REPORT_NOT_HERE = "{name}没有在您负责的社区报到。"

WISH_POST_USAGE = (
    "发布心愿 内容 对象：张大爷 地点：3号楼 截止：12月10日 人数：2\n"
    "对象、地点、人数可以不写（人数默认1人）；截止时间必须写。"
)
WISH_POST_NOT_ALLOWED = "发布微心愿要由社区党委或网格党支部的书记、副书记、组织委员来办。"
WISH_POST_NO_DUE = "请写上截止时间，如“截止：12月10日”。"
WISH_POSTED = "已发布心愿 {id}：{title}，截止{due}，需要{places}人。已通知{targets}个会话。"
WISH_NOTICE = "【微心愿 {id}】{title}\n{whom}{place}截止：{due}，需要{places}人\n发送“认领 {id}”认领。"
WISH_NOTICE_WHOM = "对象：{resident}\n"
WISH_NOTICE_PLACE = "地点：{place}\n"
WISH_LIST_HEAD = "{place}的微心愿："
WISH_LIST_LINE = "{id}. {title}（{state}，{taken}/{places}人，截止{due}）"
WISH_LIST_NONE = "现在没有待认领的微心愿。"
WISH_LIST_NO_COMMUNITY = "您还没有向社区报到，先发送“报到 社区名称”，就能看到社区的微心愿。"
WISH_LIST_TAIL = "发送“认领 编号”认领；“心愿 逾期”“心愿 未认领”给社区查看。"
WISH_STATES = {
    "open": "待认领",
    "claimed": "已认满",
    "done": "待确认",
    "confirmed": "已完成",
    "cancelled": "已取消",
    "expired": "已过期",
}
WISH_NUMBER_USAGE = "请写上心愿编号，如“{command} 3”。"
WISH_RELEASE_USAGE = "请写上编号和原因，如“放弃认领 3 临时出差”。"
WISH_CLAIMED = "已认领心愿 {id}：{title}。{whom}截止{due}，完成后请发送“完成 {id} 简要说明”。"
WISH_CLAIMED_WHOM = "服务对象：{resident}{place}（仅供办理，请勿外传）。"
WISH_RELEASED = "已放弃认领心愿 {id}，名额已放回。"
WISH_FINISHED = "已记下心愿 {id} 完成情况，等发布人确认后计入积分。"
WISH_FINISHED_NOTICE = "心愿 {id}（{title}）：{name}已完成，说明：{note}\n{tail}"
WISH_FINISHED_ALL = "认领人都已完成，请发送“确认完成 {id}”。"
WISH_FINISHED_SOME = "还有人在办理中。"
WISH_CONFIRMED = "已确认心愿 {id} 完成，{count}位党员各记 {points:+d} 分。"
WISH_CONFIRMED_NOTICE = "您办理的心愿 {id}（{title}）已确认完成，积分 {points:+d}。谢谢您！"
WISH_CANCELLED = "已取消心愿 {id}。"
WISH_CANCELLED_NOTICE = "您认领的心愿 {id}（{title}）已取消，不用再办理了。"
WISH_MANAGE_NOT_ALLOWED = "只有发布人或社区党组织的书记、副书记、组织委员可以确认或取消心愿。"
WISH_REMIND_CLAIMANT = "提醒：您认领的心愿 {id}（{title}）{due}截止，完成后请发送“完成 {id} 简要说明”。"
WISH_REMIND_POSTER = "提醒：心愿 {id}（{title}）{due}截止，还没有人认领，可以在群里再动员一下。"
WISH_EXPIRED_NOTICE = "心愿 {id}（{title}）已过截止时间，状态改为已过期。"
WISH_REFUSED = {
    "not_found": "没有编号为 {id} 的心愿。",
    "full": "心愿 {id} 的名额已经认满了，看看别的心愿吧。",
    "already_claimed": "您已经认领过心愿 {id} 了。",
    "no_claim": "您没有认领心愿 {id}。",
    "claim_done": "您已经完成心愿 {id} 了，等发布人确认即可。",
    "open": "心愿 {id} 还有人没完成，暂时不能确认。",
    "not_done": "心愿 {id} 还有人没完成，暂时不能确认。",
    "done": "心愿 {id} 已经办完，等待确认，不能再改了。",
    "confirmed": "心愿 {id} 已经确认完成了。",
    "cancelled": "心愿 {id} 已经取消了。",
    "expired": "心愿 {id} 已经过期了。",
    "places": "人数至少是1。",
    "past": "截止时间已经过了，请写一个以后的时间。",
}

POINTS_MINE_HEAD = "{name}同志，{year}年积分 {total} 分："
POINTS_MINE_LINE = "· {label}：{count}次，{points:+d}分"
POINTS_MINE_RECENT = "最近记录："
POINTS_MINE_ENTRY = "· {day} {label} {points:+d}"
POINTS_MINE_NONE = "{name}同志，{year}年还没有积分记录。报到、参加组织生活、完成微心愿都会记分。"
POINTS_SOURCES = {"report": "报到", "attendance": "组织生活", "wish": "微心愿", "reversal": "冲正"}
POINTS_RANKING_HEAD = "{org}{period}积分排名："
POINTS_RANKING_LINE = "{n}. {name} {points}分"
POINTS_RANKING_NOT_ALLOWED = "积分排名由支部书记和社区党组织查看。"
POINTS_RANKING_NONE = "{org}还没有党员。"
POINTS_RANKING_ZERO = "另有{count}人{period}没有积分。"
