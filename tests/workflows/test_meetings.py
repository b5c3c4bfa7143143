"""安排 / 改期 / 取消 / 本月安排 through the router."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from storage.models import AuditLog, Meeting, MeetingStatus
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat


def _meetings(engine: Engine) -> list[Meeting]:
    with Session(engine) as session:
        return list(session.exec(select(Meeting).order_by(Meeting.starts_at)))


def test_secretary_schedules_a_meeting_in_one_line(
    chat_as: Callable[..., Chat], engine: Engine, district: dict[str, int]
) -> None:
    answer = chat_as("王书记").say("安排 支委会 12月5日 15:00 三楼会议室 主题：学习全会精神")
    assert "已安排支委会" in answer and "2026年12月5日（周六）15:00" in answer
    (meeting,) = _meetings(engine)
    assert meeting.org_id == district["第一党支部"]
    assert meeting.kind == "支委会"
    assert meeting.starts_at == datetime(2026, 12, 5, 15, tzinfo=SHANGHAI)
    assert meeting.place == "三楼会议室"
    assert meeting.topic == "学习全会精神"
    assert "已经安排了" in chat_as("王书记").say("安排 支委会 12月5日 15:00 三楼会议室")
    with Session(engine) as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "meeting_create")).first() is not None


def test_colloquial_time_with_an_end(chat_as: Callable[..., Chat], engine: Engine) -> None:
    assert "已安排主题党日" in chat_as("刘组织").say("安排 主题党日 下周五下午2点半到4点半 社区党群服务中心")
    (meeting,) = _meetings(engine)
    assert meeting.starts_at == datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI)
    assert meeting.ends_at == datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
    assert meeting.place == "社区党群服务中心" and meeting.topic == ""


def test_ambiguous_or_missing_times_get_questions(chat_as: Callable[..., Chat], engine: Engine) -> None:
    secretary = chat_as("王书记")
    assert "上午还是下午" in secretary.say("安排 支委会 12月5日 3点 三楼")
    assert "今天还是下周一" in secretary.say("安排 党课 周一下午3点")
    assert "已经过去" in secretary.say("安排 党课 11月20日 15:00")
    assert "几点开始" in secretary.say("安排 党课 下周五")
    assert "请写上时间" in secretary.say("安排 党课 三楼会议室")
    assert "会议类型" in secretary.say("安排 年会 12月5日 15:00")
    assert _meetings(engine) == []


def test_members_and_strangers_cannot_schedule(chat_as: Callable[..., Chat], engine: Engine) -> None:
    assert "只有本支部书记" in chat_as("张三").say("安排 支委会 12月5日 15:00")
    assert "只对已绑定的党员开放" in chat_as(None).say("安排 支委会 12月5日 15:00")
    assert "只有本支部书记" in chat_as("张三").say("取消 支委会")
    assert "只有本支部书记" in chat_as("张三").say("改期 支委会 改到 12月8日 15:00")
    assert _meetings(engine) == []


def test_move_keeps_the_time_when_only_a_day_is_given(chat_as: Callable[..., Chat], engine: Engine) -> None:
    secretary = chat_as("王书记")
    secretary.say("安排 支委会 12月5日 15:00 三楼会议室")
    answer = secretary.say("改期 支委会 改到 12月8日")
    assert "改到2026年12月8日（周二）15:00" in answer
    assert _meetings(engine)[0].starts_at == datetime(2026, 12, 8, 15, tzinfo=SHANGHAI)
    secretary.say("改期 支委会 12月9日 下午4点 二楼会议室")
    (meeting,) = _meetings(engine)
    assert meeting.starts_at == datetime(2026, 12, 9, 16, tzinfo=SHANGHAI)
    assert meeting.place == "二楼会议室"
    assert "上午还是下午" in secretary.say("改期 支委会 改到 12月10日 4点")
    assert "用法" in secretary.say("改期")
    with Session(engine) as session:  # the audit trail reads in Shanghai time, like its time column
        details = [row.detail for row in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert details[0].endswith("支委会 2026-12-05 15:00")
    assert details[1].endswith("2026-12-05 15:00 -> 2026-12-08 15:00")
    asked = secretary.say("取消")  # a bare word never cancels, even the only meeting coming
    assert asked == "要取消2026年12月9日支委会吗？是的话请回复“取消 支委会 12月9日”。"
    assert _meetings(engine)[0].status == MeetingStatus.PLANNED


def test_several_upcoming_meetings_need_a_date(chat_as: Callable[..., Chat], engine: Engine) -> None:
    secretary = chat_as("王书记")
    assert "没有找到即将召开的会议" in secretary.say("取消")
    secretary.say("安排 支委会 12月5日 15:00")
    secretary.say("安排 党课 12月12日 15:00")
    asked = secretary.say("取消 会议")
    assert "即将召开的会议有2个" in asked and "例如“取消 支委会 12月5日”" in asked
    assert "已取消" in secretary.say("取消 党课 12月12日")
    statuses = {m.kind: m.status for m in _meetings(engine)}
    assert statuses == {"支委会": MeetingStatus.PLANNED, "党课": MeetingStatus.CANCELLED}
    assert "没有找到即将召开的党课" in secretary.say("取消 党课")


def test_month_plan_lists_this_months_meetings(chat_as: Callable[..., Chat]) -> None:
    secretary = chat_as("王书记")
    assert "还没有安排会议" in chat_as("张三").say("本月安排")
    secretary.say("安排 支委会 11月26日 15:00 三楼")
    secretary.say("安排 党课 11月27日 下午3点")
    secretary.say("安排 主题党日 12月4日 下午3点")
    secretary.say("取消 党课")
    answer = chat_as("张三").say("本月安排")
    assert "第一党支部11月会议安排" in answer
    assert "支委会（三楼）" in answer and "党课（已取消）" in answer
    assert "主题党日" not in answer
    assert "只对已绑定的党员开放" in chat_as(None).say("本月安排")


def test_other_branches_meetings_are_out_of_reach(chat_as: Callable[..., Chat]) -> None:
    chat_as("陈书记").say("安排 支委会 12月5日 15:00")
    assert "没有找到" in chat_as("王书记").say("取消 支委会")
    assert "还没有安排会议" in chat_as("张三").say("本月安排")


def test_questions_starting_with_a_command_word_still_reach_the_answerer(
    chat_as: Callable[..., Chat],
) -> None:
    assert "只有本支部书记" not in chat_as("张三").say("取消预备党员资格要走什么程序")


def test_a_short_reply_completes_the_question(
    chat_as: Callable[..., Chat], engine: Engine, clock: FakeClock
) -> None:
    secretary = chat_as("王书记")
    question = secretary.say("安排 支委会 12月5日 3点 三楼会议室 主题：学习全会精神")
    assert "上午还是下午" in question and "直接回复" in question
    assert "已安排支委会" in secretary.say("下午")
    (meeting,) = _meetings(engine)
    assert meeting.starts_at == datetime(2026, 12, 5, 15, tzinfo=SHANGHAI)
    assert (meeting.place, meeting.topic) == ("三楼会议室", "学习全会精神")
    # the draft is used once; a later "下午" is just a question for the answerer
    assert "已安排" not in secretary.say("下午")


def test_short_replies_for_weekday_and_missing_clock(chat_as: Callable[..., Chat], engine: Engine) -> None:
    secretary = chat_as("王书记")
    assert "今天还是下周一" in secretary.say("安排 党课 周一下午3点 活动室")
    assert "2026年11月30日（周一）15:00" in secretary.say("下周一")
    assert "几点开始" in secretary.say("安排 主题党日 下周五 社区")
    assert "2026年12月4日（周五）14:30" in secretary.say("下午两点半")
    secretary.say("改期 党课 改到 12月8日 4点")
    assert "改到2026年12月8日（周二）16:00" in secretary.say("下午")
    assert len(_meetings(engine)) == 2


def test_drafts_expire_and_belong_to_their_sender(
    chat_as: Callable[..., Chat], engine: Engine, clock: FakeClock
) -> None:
    secretary = chat_as("王书记", group="grp")
    secretary.say("安排 支委会 12月5日 3点")
    assert "已安排" not in chat_as("刘组织", group="grp").say("下午")
    clock.advance(timedelta(minutes=11))
    assert "已安排" not in secretary.say("下午")
    assert _meetings(engine) == []


def test_a_secretary_schedules_in_a_plain_sentence(chat_as: Callable[..., Chat], engine: Engine) -> None:
    secretary = chat_as("王书记")
    answer = secretary.say("下周三下午三点在党员活动室开支委会")
    assert "已安排支委会：2026年12月2日（周三）15:00" in answer and "地点：党员活动室" in answer
    answer = secretary.say("党课定在12月9日15:00在三楼会议室召开，主题：学习全会精神")
    assert "已安排党课" in answer and "主题：学习全会精神" in answer
    assert "上午还是下午" in secretary.say("下周五3点开主题党日")  # the same questions back as 安排
    assert "已安排主题党日：2026年12月4日（周五）15:00" in secretary.say("下午")
    assert [(m.kind, m.place) for m in _meetings(engine)] == [
        ("支委会", "党员活动室"),
        ("主题党日", ""),
        ("党课", "三楼会议室"),
    ]


def test_plain_sentences_that_ask_or_come_from_others_schedule_nothing(
    chat_as: Callable[..., Chat], engine: Engine
) -> None:
    assert "书记、副书记或组织委员" in chat_as("张三").say("下周三下午三点在党员活动室开支委会")
    assert "已安排" not in chat_as(None).say("下周三下午三点在党员活动室开支委会")
    secretary = chat_as("王书记")
    for question in (
        "下次支委会什么时候",
        "下周三下午三点开支委会吗",
        "支委会一般几点开",
        "明天下午3点的党课取消了",
        "明天下午3点的党课我请假",
    ):
        assert "已安排" not in secretary.say(question), question
    assert _meetings(engine) == []
