"""Student and family letters: one page per student of one team, in the family's language, nothing of a classmate."""

from __future__ import annotations

import re
from functools import cache

import pytest
from bs4 import BeautifulSoup

from plc_analysis.letters import LOCALE_DIR, letter_languages, letter_translations, letters_html, student_progress
from plc_analysis.loading import load_sample


@cache
def pages(lang: str) -> list:
    return BeautifulSoup(letters_html(load_sample(), "T-G3", lang), "html.parser").find_all("section", class_="letter")


def test_one_page_per_student_of_the_team_and_no_one_else():
    data = load_sample()
    team = set(data.filter(team_id="T-G3").students["student_id"])
    shown = [p["data-student"] for p in pages("en")]
    assert sorted(shown) == sorted(team) and len(shown) == len(set(shown)) > 50


def test_a_page_never_shows_a_classmates_name_or_id():
    data = load_sample()
    students = data.filter(team_id="T-G3").students.set_index("student_id")
    names = (students["first_name"] + " " + students["last_name"]).to_dict()
    for page in pages("en"):
        me = page["data-student"]
        text = page.get_text(" ")
        assert names[me] in text
        others = [n for s, n in names.items() if s != me and n != names[me] and re.search(rf"\b{re.escape(n)}\b", text)]
        assert not others, (me, others)
        assert not re.findall(r"\bst\d{5}\b", text.replace(me, ""))


def test_evidence_and_skills_on_a_page_are_the_students_own():
    progress = student_progress(load_sample(), "T-G3")
    page = pages("en")[0]
    mine = progress[progress["student_id"] == page["data-student"]]
    rows = page.find("table").tbody.find_all("tr")
    latest = mine.sort_values("date", ascending=False).head(len(rows))
    assert [r.find_all("td")[3].get_text() for r in rows] == [f"{round(100 * s)}%" for s in latest["score"]]
    learned = set(mine.loc[mine["latest"] & mine["proficient"], "description"])
    listed = {li.get_text() for li in page.find_all("ul")[0].find_all("li")} if learned else set()
    assert listed == learned


def test_a_spanish_letter_reads_in_spanish():
    page = pages("es")[0]
    text = page.get_text(" ")
    for phrase in ("Informe de progreso de", "Habilidades aprendidas", "Resultados recientes", "Apoyo", "de 2026"):
        assert phrase in text
    for english in ("Progress report for", "Skills learned", "Latest results", "Next step"):
        assert english not in text


def test_every_sentence_of_the_letters_has_a_translation_in_every_catalog():
    source = (LOCALE_DIR.parent / "letters.py").read_text(encoding="utf-8")
    messages = set(re.findall(r"""\b_\(\s*["']([^"']+)["']\s*\)""", source))  # inside f-strings too
    assert len(messages) >= 18
    for lang in letter_languages()[1:]:
        tr = letter_translations(lang)
        untranslated = [m for m in messages if tr.gettext(m) == m]
        assert not untranslated, (lang, untranslated)
    with pytest.raises(ValueError, match="no letters in 'xx': languages are en, es"):
        letter_translations("xx")
