"""发布清单 in chat: the upper committee or a branch secretary publishes; members cannot."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.models import AuditLog, Guide, GuideItem
from tests.workflows.conftest import Chat

GUIDE = "发布清单 2026-12\n## 总体要求\n定时间、定地点、定内容\n## 学习全会精神\n- 内容：集中学习\n- 时间要求：12月20日前"  # noqa: E501


def test_the_district_committee_publishes_next_months_guide(
    chat_as: Callable[..., Chat], engine: Engine
) -> None:
    answer = chat_as("孙委员").say(GUIDE)
    assert "已发布某街道党工委12月组织生活清单（1项）" in answer and "将于2026年12月1日发送" in answer
    with Session(engine) as session:
        guide = session.exec(select(Guide)).one()
        assert guide.title == "2026年12月组织生活清单" and guide.requirements == "定时间、定地点、定内容"
        assert session.exec(select(GuideItem.due)).one() == "12月20日前"
        assert session.exec(select(AuditLog.action)).one() == "guide_publish"
    assert "替换了原清单" in chat_as("孙委员").say(GUIDE)


def test_members_cannot_publish_and_a_bad_guide_is_explained(
    chat_as: Callable[..., Chat], engine: Engine
) -> None:
    assert "只有" in chat_as("张三").say(GUIDE)
    assert "没能读懂" in chat_as("王书记").say("发布清单\n## 总体要求\n只有要求没有事项")
    assert "格式" in chat_as("王书记").say("发布清单")
    with Session(engine) as session:
        assert not session.exec(select(Guide)).all()
