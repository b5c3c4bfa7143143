"""The demo world behind `zhibu demo`: a fictional street 党工委, its branches and forty-odd members.

Everything here is made up, phones included (139 0000 xxxx). Dates that must be
interesting on the day the demo runs (a political birthday today and one tomorrow,
a meeting tomorrow, this month's guide, a 预备党员 near the end of 预备期) are
computed from ``today``, so a fast-forward to tomorrow morning shows the bot's own
messages arriving. The world is built by the steps in ``STEPS``, in order; a
capability that wants demo data adds its own step there.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from bot.core.clock import SHANGHAI
from storage import community, wishes
from storage.attendance import expected
from storage.credits import credit_attendance, credit_report, credit_wish
from storage.guides import GuideDraft, ItemDraft, store_guide
from storage.meetings import create_meeting
from storage.models import (
    Attendance,
    AttendanceStatus,
    ChatBinding,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Member,
    MemberStatus,
    Organization,
    OrgKind,
    Role,
)
from storage.point_rules import PointsRules
from storage.rules import add_months, anniversary_in, probation_end

TOP = "幸福街道党工委"
OFFICE = "街道机关党支部"
COMMUNITY = "和平社区党委"
GRID = "和平社区第一网格党支部"
RETIRED = "离退休干部党支部"
COMMUNITY_SECRETARY = "何秀云"  # 和平社区党委书记: posts the community's 微心愿
ACTING_AS = "林晓红"  # 街道机关党支部书记: the demo chat speaks as her by default
DISTRICT_ORGANIZER = "苏文"  # 幸福街道党工委组织委员: follows up every branch in the web console
BIRTHDAY_TOMORROW = "梁宇"  # 街道机关党支部: his political birthday is the day after the demo starts


@dataclass(slots=True)
class Demo:
    """What the steps have built so far, by name, for the next steps to use."""

    today: date
    orgs: dict[str, Organization] = field(default_factory=dict)
    groups: dict[str, list[Organization]] = field(default_factory=dict)  # branch name -> its 党小组
    members: dict[str, Member] = field(default_factory=dict)
    acting_as: str = ACTING_AS
    chats: tuple[str, str] | None = None  # (channel, account) where each branch gets a bound group chat

    @property
    def top(self) -> Organization:
        return self.orgs[TOP]

    @property
    def branches(self) -> list[Organization]:
        return [o for o in self.orgs.values() if OrgKind(o.kind).is_branch]

    def home(self, member: Member) -> Organization:
        return next(o for o in self.orgs.values() if o.id == member.org_id)


def build_demo(session: Session, *, today: date, chats: tuple[str, str] | None = None) -> Demo:
    """Fill an empty, migrated database with the demo world; ``chats`` binds a group chat to every branch."""
    demo = Demo(today=today, chats=chats)
    for step in STEPS:
        step(session, demo)
    session.flush()
    return demo


def add_orgs(session: Session, demo: Demo) -> None:
    top = _org(session, demo, TOP, OrgKind.WORKING_COMMITTEE, None)
    office = _org(session, demo, OFFICE, OrgKind.BRANCH, top)
    community = _org(session, demo, COMMUNITY, OrgKind.COMMUNITY_COMMITTEE, top)
    grid = _org(session, demo, GRID, OrgKind.GRID_BRANCH, community)
    retired = _org(session, demo, RETIRED, OrgKind.BRANCH, top)
    for branch, names, kind in (
        (office, ("第一党小组", "第二党小组"), OrgKind.GROUP),
        (grid, ("1号楼微网格党小组", "2号楼微网格党小组"), OrgKind.MICRO_GRID_GROUP),
        (retired, ("第一党小组", "第二党小组"), OrgKind.GROUP),
    ):
        demo.groups[branch.name] = [
            _org(session, demo, name, kind, branch, key=f"{branch.name}/{name}") for name in names
        ]


def _org(
    session: Session,
    demo: Demo,
    name: str,
    kind: OrgKind,
    parent: Organization | None,
    *,
    key: str | None = None,
) -> Organization:
    org = Organization(name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(org)
    session.flush()
    demo.orgs[key or name] = org
    return org


# name, gender, birth date, 入党日期, days after 预备期满 that 转正 was approved, role, branch, group number
Person = tuple[str, str, date, date, int | None, Role, str, int]

_D = date
PEOPLE: tuple[Person, ...] = (
    ("方志远", "男", _D(1971, 4, 9), _D(1994, 6, 28), 10, Role.SECRETARY, TOP, 0),
    ("苏文", "女", _D(1983, 10, 2), _D(2006, 5, 16), 0, Role.ORGANIZATION, TOP, 0),
    ("陈志强", "男", _D(1979, 2, 14), _D(2003, 7, 1), 0, Role.ORGANIZATION, OFFICE, 1),
    ("周敏", "女", _D(1988, 9, 23), _D(2011, 11, 8), 14, Role.PUBLICITY, OFFICE, 2),
    ("吴海涛", "男", _D(1976, 12, 5), _D(2000, 6, 30), 0, Role.DISCIPLINE, OFFICE, 2),
    ("郑丽娟", "女", _D(1985, 3, 17), _D(2009, 4, 21), 7, Role.GROUP_LEADER, OFFICE, 1),
    ("孙浩", "男", _D(1990, 7, 11), _D(2014, 6, 18), 0, Role.GROUP_LEADER, OFFICE, 2),
    ("高雪", "女", _D(1994, 1, 30), _D(2017, 12, 12), 21, Role.MEMBER, OFFICE, 2),
    ("马骏", "男", _D(1992, 5, 8), _D(2016, 10, 25), 0, Role.MEMBER, OFFICE, 2),
    ("宋雨晴", "女", _D(1998, 4, 4), _D(2021, 6, 29), 0, Role.MEMBER, OFFICE, 1),
    ("唐磊", "男", _D(1987, 8, 27), _D(2012, 3, 6), 30, Role.MEMBER, OFFICE, 1),
    ("黄建国", "男", _D(1969, 10, 1), _D(1992, 9, 15), 0, Role.SECRETARY, GRID, 1),
    ("刘芳", "女", _D(1982, 6, 6), _D(2005, 12, 20), 0, Role.ORGANIZATION, GRID, 1),
    ("赵伟", "男", _D(1986, 2, 28), _D(2010, 7, 1), 5, Role.PUBLICITY, GRID, 2),
    ("杨秀兰", "女", _D(1967, 5, 20), _D(1990, 11, 7), 0, Role.DISCIPLINE, GRID, 2),
    ("许志明", "男", _D(1975, 8, 8), _D(1999, 3, 25), 0, Role.GROUP_LEADER, GRID, 1),
    ("韩梅", "女", _D(1980, 12, 24), _D(2004, 8, 13), 0, Role.GROUP_LEADER, GRID, 2),
    ("冯建军", "男", _D(1972, 3, 3), _D(1996, 5, 4), 0, Role.MEMBER, GRID, 1),
    ("邓丽", "女", _D(1991, 9, 9), _D(2015, 1, 22), 12, Role.MEMBER, GRID, 1),
    ("曹阳", "男", _D(1993, 6, 15), _D(2018, 9, 28), 0, Role.MEMBER, GRID, 2),
    ("彭静", "女", _D(1989, 4, 26), _D(2013, 10, 10), 0, Role.MEMBER, GRID, 2),
    ("谢红梅", "女", _D(1984, 7, 7), _D(2016, 4, 12), 240, Role.MEMBER, GRID, 1),  # 延长预备期 8个月
    ("萧晨", "男", _D(1997, 2, 2), _D(2020, 11, 3), 0, Role.MEMBER, GRID, 1),
    ("王德福", "男", _D(1950, 8, 1), _D(1975, 7, 1), 0, Role.SECRETARY, RETIRED, 1),
    ("李桂英", "女", _D(1953, 3, 8), _D(1978, 12, 18), 0, Role.ORGANIZATION, RETIRED, 1),
    ("张振华", "男", _D(1955, 11, 11), _D(1981, 6, 12), 0, Role.PUBLICITY, RETIRED, 2),
    ("刘淑珍", "女", _D(1957, 1, 21), _D(1983, 9, 9), 0, Role.DISCIPLINE, RETIRED, 2),
    ("杨玉兰", "女", _D(1952, 6, 1), _D(1980, 4, 22), 0, Role.GROUP_LEADER, RETIRED, 2),
    ("孙秀珍", "女", _D(1954, 10, 30), _D(1982, 2, 26), 0, Role.MEMBER, RETIRED, 1),
    ("周德明", "男", _D(1949, 12, 26), _D(1976, 10, 19), 0, Role.MEMBER, RETIRED, 2),
    ("吴美华", "女", _D(1958, 5, 5), _D(1985, 7, 1), 0, Role.MEMBER, RETIRED, 2),
    ("胡兰英", "女", _D(1956, 9, 14), _D(1984, 3, 30), 0, Role.MEMBER, RETIRED, 2),
    ("何秀云", "女", _D(1978, 4, 15), _D(2002, 6, 20), 0, Role.SECRETARY, COMMUNITY, 0),  # 社区党委书记
)


def special_people(today: date) -> tuple[Person, ...]:
    """The members the demo is about, placed relative to ``today``."""
    y, probation_ends_soon = today.year, add_months(today, -12) + timedelta(days=20)
    tomorrow = today + timedelta(days=1)
    # fmt: off
    return (
        # political birthday today (8 years back keeps 29 February valid)
        (ACTING_AS, "女", _D(1984, 5, 12), anniversary_in(y - 8, today), 0, Role.SECRETARY, OFFICE, 1),
        ("何军", "男", _D(1982, 1, 9), _D(2008, 2, 29), 0, Role.MEMBER, OFFICE, 1),  # joined on 29 February
        ("朱婷", "女", _D(1999, 8, 18), add_months(today, -5), None, Role.MEMBER, OFFICE, 1),  # 预备党员
        ("罗佳", "女", _D(2000, 3, 27), probation_ends_soon, None, Role.MEMBER, OFFICE, 2),  # 20天后期满
        ("田野", "男", _D(2001, 12, 3), add_months(today, -8), None, Role.MEMBER, GRID, 2),  # 预备党员
        ("陈国栋", "男", _D(1948, 2, 16), _D(y - 53, 3, 12), 0, Role.GROUP_LEADER, RETIRED, 1),  # 党龄50多年
        ("徐福生", "男", _D(1946, 7, 19), _D(y - 58, 10, 8), 0, Role.MEMBER, RETIRED, 1),  # 党龄五十多年
        ("赵永庆", "男", _D(1951, 4, 2), _D(y - 50, 6, 20), 0, Role.MEMBER, RETIRED, 1),  # 50年 next 6月
        # political birthday tomorrow (12 years back keeps 29 February valid, like the 8 above)
        (BIRTHDAY_TOMORROW, "男", _D(1993, 11, 19), anniversary_in(tomorrow.year - 12, tomorrow), 0,
         Role.MEMBER, OFFICE, 2),
    )
    # fmt: on


def add_members(session: Session, demo: Demo) -> None:
    people = special_people(demo.today) + PEOPLE
    for number, (name, gender, birth, joined, delay, role, home, group) in enumerate(people, start=1):
        member = Member(
            name=name,
            gender=gender,
            birth_date=birth,
            org_id=demo.orgs[home].id,  # type: ignore[arg-type]
            group_id=demo.groups[home][group - 1].id if group else None,
            role=role,
            joined_on=joined,
            full_on=None if delay is None else probation_end(joined) + timedelta(days=delay),
            status=MemberStatus.PROBATIONARY if delay is None else MemberStatus.FULL,
            phone=f"1390000{number:04d}",
        )
        member.sync_join_md()
        session.add(member)
        demo.members[name] = member
    session.flush()


def add_meetings(session: Session, demo: Demo) -> None:
    """A few meetings of the first branch around today, so 本月安排 and reminders have something to show."""
    office, secretary = demo.orgs[OFFICE], demo.members[ACTING_AS]
    plans = (
        (-6, time(14, 30), MeetingKind.LECTURE, "党员活动室", "学习党章：党员的权利和义务"),
        (1, time(15, 0), MeetingKind.GENERAL_ASSEMBLY, "党员活动室", "学习贯彻党的二十届四中全会精神"),
        (2, time(15, 0), MeetingKind.COMMITTEE, "街道办3楼会议室", "研究预备党员罗佳转正事宜"),
        (7, time(9, 0), MeetingKind.THEME_DAY, "和平社区党群服务中心", "“我为群众办实事”志愿服务"),
    )
    for days, at, kind, place, topic in plans:
        starts = datetime.combine(demo.today + timedelta(days=days), at, tzinfo=SHANGHAI)
        meeting = create_meeting(
            session,
            org_id=office.id,  # type: ignore[arg-type]
            kind=kind,
            starts_at=starts,
            place=place,
            topic=topic,
            created_by=secretary.id,
        )
        if days < 0:
            _held(session, meeting, random.Random(days))


# kind, the months it is held in (None: every month), day of the month, time, topic
_PAST: tuple[tuple[MeetingKind, tuple[int, ...] | None, int, time, str], ...] = (
    (MeetingKind.COMMITTEE, None, 6, time(15, 0), "研究本月组织生活安排"),
    (MeetingKind.THEME_DAY, None, 10, time(9, 0), "重温入党誓词，开展志愿服务"),
    (MeetingKind.GROUP, None, 16, time(15, 0), "交流学习体会"),
    (MeetingKind.LECTURE, (1, 4, 7, 10), 22, time(14, 30), "书记讲党课"),
    (MeetingKind.GENERAL_ASSEMBLY, (2, 5, 8, 11), 20, time(15, 0), "通报季度工作"),
    (MeetingKind.LIFE_MEETING, (1,), 24, time(9, 0), "上一年度组织生活会"),
    (MeetingKind.APPRAISAL, (1,), 25, time(9, 0), "上一年度民主评议党员"),
)
_LEAVE_REASONS = ("出差", "外出学习", "身体不适", "照顾家人", "单位值班")


def add_past_year(session: Session, demo: Demo) -> None:
    """Every branch's 三会一课 and 主题党日 from January to last month, held, with who came and who asked for
    leave, so the 台账 and attendance figures of the demo look like a branch that keeps its rules
    (docs/domain-rules.md §A1, §A9); the year's 组织生活会 and 民主评议党员 in January."""
    chance = random.Random(demo.today.year)  # the same world on every run of the same year
    for month in range(1, demo.today.month):
        for branch in demo.branches:
            for kind, months, day, at, topic in _PAST:
                if months is not None and month not in months:
                    continue
                units = demo.groups.get(branch.name, [branch]) if kind == MeetingKind.GROUP else [branch]
                starts = datetime.combine(date(demo.today.year, month, day), at, tzinfo=SHANGHAI)
                for unit in units:
                    assert unit.id is not None
                    meeting = create_meeting(
                        session, org_id=unit.id, kind=kind, starts_at=starts, place="党员活动室", topic=topic
                    )
                    _held(session, meeting, chance)


def _held(session: Session, meeting: Meeting, chance: random.Random) -> None:
    """Held, with up to a fifth of those expected away (mostly on leave) and the rest signed in."""
    meeting.status = MeetingStatus.HELD
    session.flush()
    members = expected(session, meeting)
    at_most = max(1, len(members) // 5) if members else 0
    away = set(chance.sample(range(len(members)), min(chance.choice((0, 1, 1, 2, 3)), at_most)))
    for n, member in enumerate(members):
        status, reason = AttendanceStatus.PRESENT, ""
        if n in away and chance.random() < 0.8:
            status, reason = AttendanceStatus.LEAVE, chance.choice(_LEAVE_REASONS)
        elif n in away:
            status = AttendanceStatus.ABSENT
        assert meeting.id is not None and member.id is not None
        session.add(
            Attendance(
                meeting_id=meeting.id,
                member_id=member.id,
                status=status,
                reason=reason,
                recorded_at=meeting.starts_at,
            )
        )


def guide_for(month: date) -> GuideDraft:
    """The street committee's 组织生活清单 for ``month``: generic items that fit any month of the year."""
    m = month.month
    return GuideDraft(
        title=f"{m}月组织生活安排",
        requirements="坚持“三会一课”，做到定时间、定地点、定内容，会后及时记录。",
        items=(
            ItemDraft(
                "学习党的创新理论", "集中学习党的二十届四中全会精神，交流研讨", "支部党员大会", f"{m}月20日前"
            ),
            ItemDraft("开展主题党日", "围绕社区服务开展“我为群众办实事”志愿服务", "主题党日", f"{m}月底前"),
            ItemDraft("党小组学习", "各党小组学习讨论，每人谈一点体会", "党小组会", f"{m}月25日前"),
            ItemDraft("按月交纳党费", "按规定标准交纳党费，支部做好登记", "", f"{m}月底前"),
        ),
    )


def add_guides(session: Session, demo: Demo) -> None:
    """This month's and next month's guide of the street committee, for the job to send to every branch."""
    next_month = add_months(demo.today.replace(day=1), 1)
    published = datetime.combine(demo.today, time(8, 0), tzinfo=SHANGHAI)
    for month in (demo.today, next_month):
        top = demo.top.id
        assert top is not None
        store_guide(session, org_id=top, month=f"{month:%Y-%m}", draft=guide_for(month), now=published)


def add_group_chats(session: Session, demo: Demo) -> None:
    """One bound group chat per branch, so guides, greetings and reminders have somewhere to go."""
    if demo.chats is None:
        return
    channel, account = demo.chats
    for branch in demo.branches:
        chat = ChatBinding(channel=channel, account=account, chat_id=f"group-{branch.id}", org_id=branch.id)  # type: ignore[arg-type]
        session.add(chat)
    session.flush()


# 街道机关党支部 members who live in 和平社区 and reported there (双报到), with their 特长, days ago
_REPORTS: tuple[tuple[str, str, str, int], ...] = (
    (ACTING_AS, COMMUNITY, "法律咨询", 300),
    ("周敏", COMMUNITY, "宣传写作、摄影", 280),
    ("高雪", COMMUNITY, "护理、测血压", 260),
    ("马骏", COMMUNITY, "电脑和手机维修", 240),
    ("唐磊", GRID, "水电维修", 200),
    ("郑丽娟", GRID, "", 150),
)
# title, resident, place, days to the deadline (negative: done already), places, claimants who finished
_WISHES: tuple[tuple[str, str, str, int, int, tuple[str, ...]], ...] = (
    ("帮独居老人买米买油送上楼", "王秀英", "和平社区3号楼", -40, 1, ("马骏",)),
    ("给老年活动室讲防电信诈骗", "", "社区党群服务中心", -25, 2, ("周敏", "高雪")),
    ("帮孤寡老人修好漏水的水龙头", "刘德胜", "和平社区5号楼", -12, 1, ("唐磊",)),
    ("教老人用手机挂号、视频通话", "", "社区党群服务中心", 6, 3, ()),
    ("陪行动不便的老人去医院复查", "李建华", "和平社区2号楼", 2, 1, ()),
    ("周末辅导两名小学生功课", "", "社区四点半课堂", 10, 2, ("唐磊",)),
)


def add_community_service(session: Session, demo: Demo) -> None:
    """双报到 and 微心愿 in 和平社区: office members reported there, wishes done and open, and the
    points they earned (报到, a year of meetings, confirmed wishes) under the default rules."""
    rules = PointsRules()
    noon = datetime.combine(demo.today, time(12, 0), tzinfo=SHANGHAI)
    for name, place, skills, days in _REPORTS:
        member, org = demo.members[name], demo.orgs[place]
        assert member.id is not None and org.id is not None
        since = noon - timedelta(days=days)
        report = community.start(session, member_id=member.id, org_id=org.id, now=since, skills=skills)
        credit_report(session, rules, report, org)
    poster, committee = demo.members[COMMUNITY_SECRETARY], demo.orgs[COMMUNITY]
    assert poster.id is not None and committee.id is not None
    for title, resident, place, days, places, finished in _WISHES:
        posted = noon + timedelta(days=days - 7)
        wish = wishes.post(
            session,
            org_id=committee.id,
            title=title,
            due_at=noon + timedelta(days=days),
            now=posted,
            places=places,
            resident=resident,
            place=place,
            posted_by=poster.id,
        )
        assert wish.id is not None
        claimants = [m.id for m in (demo.members[name] for name in finished) if m.id is not None]
        for member_id in claimants:
            wishes.claim(session, wish_id=wish.id, member_id=member_id, now=posted + timedelta(hours=2))
        if days < 0:
            for member_id in claimants:
                done_at = posted + timedelta(days=3)
                wishes.finish(session, wish_id=wish.id, member_id=member_id, note="已办好", now=done_at)
            wishes.confirm(session, wish_id=wish.id, now=posted + timedelta(days=4))
            credit_wish(session, rules, wish, at=posted + timedelta(days=4), by=poster.id)
    credit_attendance(session, rules, now=datetime.combine(demo.today, time(0, 0), tzinfo=SHANGHAI))
    if demo.chats is not None:
        channel, account = demo.chats
        chat_id = f"group-{committee.id}"
        session.add(ChatBinding(channel=channel, account=account, chat_id=chat_id, org_id=committee.id))
    session.flush()


Step = Callable[[Session, Demo], None]
STEPS: tuple[Step, ...] = (
    add_orgs,
    add_members,
    add_meetings,
    add_past_year,
    add_guides,
    add_group_chats,
    add_community_service,
)
