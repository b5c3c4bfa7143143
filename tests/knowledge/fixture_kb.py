"""A small knowledge base written into a temporary directory, independent of the shipped data."""

from __future__ import annotations

from pathlib import Path

ENTRIES = """
- key: sanhui-yike
  question: 三会一课是什么？
  alternatives: [什么是三会一课, 三会一课包括哪些]
  keywords: [三会一课]
  answer: 三会指支部党员大会、支委会、党小组会，一课指党课。
  source: 支部工作条例 第十六条
- key: committee-frequency
  question: 支委会多久开一次？
  alternatives: [支委会一个月开几次, 支委会开会频次]
  keywords: [支委会, 多久]
  answer: 支委会一般每月召开1次，需要时随时召开。
  source: 支部工作条例 第十二条
- key: general-meeting-frequency
  question: 支部党员大会多久开一次？
  alternatives: [党员大会一年开几次]
  keywords: [支部党员大会, 多久]
  answer: 支部党员大会一般每季度召开1次。
  source: 支部工作条例 第十一条
- key: theme-day
  question: 主题党日是什么？
  alternatives: [主题党日干什么]
  keywords: [主题党日]
  answer: 主题党日是支部每月相对固定1天开展的组织生活。
  source: 支部工作条例 第十六条
- key: theme-day-date
  question: 本支部主题党日定在哪天？
  alternatives: [主题党日哪天]
  keywords: [主题党日, 哪天]
  answer: 主题党日的日子由各支部自定，常见的是每月第一个周五。
  source: 通行做法
- key: probation
  question: 预备党员的预备期多长？
  alternatives: [预备期几年]
  keywords: [预备党员, 预备期]
  answer: 预备期为一年，从支部大会通过之日算起。
  source: 党章 第七条
"""

SYNONYMS = """
三会一课: [3会1课, 三会1课]
支委会: [支部委员会, 支委会议]
支部党员大会: [党员大会, 支部大会]
主题党日: [党日活动]
怎么: [咋, 怎么样, 咋样]
"""

USERDICT = """三会一课 20000 n
3会1课 20000 n
主题党日 20000 n
支部党员大会 20000 n
支委会 20000 n
政治生日 20000 n
预备党员 20000 n
预备期 20000 n
组织生活会 20000 n
光荣在党50年 20000 n
"""

STOPWORDS = "\n".join(["的", "了", "吗", "呢", "是", "什么", "是什么", "啊", "我", "怎么", "一下"]) + "\n"


def write_kb(root: Path) -> Path:
    """The fixture data directory (kb/*.yaml, userdict.txt, synonyms.yaml, stopwords.txt)."""
    (root / "kb").mkdir(parents=True, exist_ok=True)
    (root / "kb" / "sample.yaml").write_text(ENTRIES, encoding="utf-8")
    (root / "synonyms.yaml").write_text(SYNONYMS, encoding="utf-8")
    (root / "userdict.txt").write_text(USERDICT, encoding="utf-8")
    (root / "stopwords.txt").write_text(STOPWORDS, encoding="utf-8")
    return root
