"""Student and family progress reports: one page per student, in plain language, in the family's language.

Each page is about one student only: the skills learned, the skills still being
worked on with the next step on each, the latest evidence (dates and scores)
and the support the student is getting.  Text is translated with gettext
catalogs kept as ``.po`` files in ``plc_analysis/locale/<lang>/LC_MESSAGES/letters.po``
(read with Babel at run time: a district adds a language by adding a catalog,
without touching code).  Skill and assessment names come from the data as typed.
"""

from __future__ import annotations

import gettext
import html
from datetime import date
from io import BytesIO
from pathlib import Path

import pandas as pd

from .dataset import Dataset
from .equity import student_names
from .proficiency import student_skill_mastery
from .rules import TOLERANCE

__all__ = ["LOCALE_DIR", "letter_languages", "letter_translations", "student_progress", "letters_html"]

#: Where the catalogs live: ``<LOCALE_DIR>/<lang>/LC_MESSAGES/letters.po``.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_DOMAIN = "letters"
#: A score this far below the cut or more gets reteaching in a small group; closer, more practice.
_FAR_BELOW = 0.2


def letter_languages() -> list[str]:
    """Languages with a catalog, English (the source text) first."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{_DOMAIN}.po"))
    return ["en", *[lang for lang in found if lang != "en"]]


def letter_translations(lang: str = "en") -> gettext.NullTranslations:
    """The translations of ``lang`` (``"en"``: the source text).

    Raises
    ------
    ValueError
        No catalog for ``lang``.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    if lang == "en":
        return gettext.NullTranslations()
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{_DOMAIN}.po"
    if not path.is_file():
        raise ValueError(f"no letters in {lang!r}: languages are {', '.join(letter_languages())} (add {path})")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=_DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=_DOMAIN)


def student_progress(dataset: Dataset, team_id: str) -> pd.DataFrame:
    """Every piece of evidence of the team's students, one row per student × skill × assessment.

    Parameters
    ----------
    dataset : Dataset
    team_id : str

    Returns
    -------
    DataFrame
        Columns ``student_id, skill_id, description, assessment_id, title,
        date, score`` (0–1), ``cut`` (the skill's proficiency cut),
        ``latest`` (bool: the student's latest evidence on the skill) and
        ``proficient`` (the latest evidence at or above the cut).
    """
    team = dataset.filter(team_id=team_id)
    rows = student_skill_mastery(team, "all")
    skills = team.skills.set_index("skill_id")
    titles = team.assessments.drop_duplicates("assessment_id").set_index("assessment_id")["title"]
    out = rows[["student_id", "skill_id", "assessment_id", "date", "score"]].copy()
    out["description"] = out["skill_id"].map(skills["description"]).astype("str")
    out["title"] = out["assessment_id"].map(titles).astype("str")
    out["cut"] = out["skill_id"].map(skills["proficiency_cut"]).astype(float)
    out = out.dropna(subset=["score"]).sort_values(["student_id", "skill_id", "date"], kind="stable")
    out["latest"] = ~out.duplicated(["student_id", "skill_id"], keep="last")
    out["proficient"] = out["score"] >= out["cut"] - TOLERANCE
    columns = ["student_id", "skill_id", "description", "assessment_id", "title", "date", "score", "cut"]
    return out[[*columns, "latest", "proficient"]].reset_index(drop=True)


_CSS = """
body { font-family: system-ui, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2328; max-width: 46rem;
       margin: 0 auto; padding: 1rem; line-height: 1.5; font-size: 15px; }
section.letter { break-after: page; padding-bottom: 2rem; border-bottom: 1px dashed #bbb; margin-bottom: 2rem; }
section.letter:last-child { break-after: auto; border: 0; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 .3rem; }
.meta { color: #555; margin-top: 0; } table { border-collapse: collapse; } td, th { padding: .2rem .8rem .2rem 0;
text-align: left; border-bottom: 1px solid #e5e5e5; } thead { display: table-header-group; } tr { break-inside: avoid; }
"""


def letters_html(dataset: Dataset, team_id: str, lang: str = "en", *, recent: int = 5) -> str:
    """One page per student of ``team_id``, in ``lang``: a standalone HTML document (print: a page each).

    Only the team's students, and on each page only that student's results.

    Parameters
    ----------
    dataset : Dataset
    team_id : str
    lang : str
        A language of :func:`letter_languages`.
    recent : int
        How many of the latest pieces of evidence to list.

    Returns
    -------
    str
    """
    from babel.dates import format_date

    from .tiers import support_tiers

    tr = letter_translations(lang)
    _ = tr.gettext
    teams = dataset.teams.set_index("team_id")
    if team_id not in teams.index:
        raise ValueError(f"team_id {team_id!r} is not in this data")
    team = dataset.filter(team_id=team_id)
    progress = student_progress(dataset, team_id)
    names = student_names(team)
    tiers = support_tiers(team, names=False).set_index("student_id")["tier"]
    school = str(dataset.schools.set_index("school_id")["name"].get(teams.loc[team_id, "school_id"], ""))
    esc = html.escape
    today = format_date(date.today(), format="long", locale=lang)
    intro = _("This report shows what your child has learned and what we are still working on together.")
    pages = []
    for student_id in sorted(team.students["student_id"].unique()):
        mine = progress[progress["student_id"] == student_id]
        latest = mine[mine["latest"]]
        last, _comma, first = str(names.get(student_id, "")).partition(", ")
        name = f"{first} {last}".strip() or student_id  # "Nadia Phillips": how a family writes it
        parts = [
            f'<section class="letter" data-student="{esc(student_id, quote=True)}">',
            f"<h1>{esc(_('Progress report for {name}').format(name=name))}</h1>",
            f'<p class="meta">{esc(str(teams.loc[team_id, "name"]))} · {esc(school)} · {esc(today)}</p>',
            f"<p>{esc(intro)}</p>",
            f"<h2>{esc(_('Skills learned'))}</h2>",
        ]
        learned = latest[latest["proficient"]]["description"].tolist()
        parts.append(
            "<ul>" + "".join(f"<li>{esc(s)}</li>" for s in learned) + "</ul>"
            if learned
            else f"<p>{esc(_('None yet. We are working on every skill together.'))}</p>"
        )
        parts.append(f"<h2>{esc(_('Skills we are still working on'))}</h2>")
        working = latest[~latest["proficient"]]
        if len(working):
            items = []
            for row in working.itertuples(index=False):
                step = (
                    _("We will teach this skill again in a small group.")
                    if row.score < row.cut - _FAR_BELOW
                    else _("A little more practice, then we check again.")
                )
                items.append(f"<li><strong>{esc(row.description)}</strong>. {esc(_('Next step:'))} {esc(step)}</li>")
            parts.append("<ul>" + "".join(items) + "</ul>")
        else:
            parts.append(f"<p>{esc(_('Nothing right now. Great work!'))}</p>")
        parts.append(f"<h2>{esc(_('Latest results'))}</h2>")
        evidence = mine.sort_values("date", ascending=False).head(recent)
        if len(evidence):
            head = "".join(f"<th>{esc(h)}</th>" for h in (_("Date"), _("Assessment"), _("Skill"), _("Score")))
            body = "".join(
                f"<tr><td>{row.date:%Y-%m-%d}</td><td>{esc(row.title)}</td><td>{esc(row.description)}</td>"
                f"<td>{round(100 * row.score)}%</td></tr>"
                for row in evidence.itertuples(index=False)
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            parts.append(f"<p>{esc(_('No results yet this year.'))}</p>")
        parts.append(f"<h2>{esc(_('Support'))}</h2>")
        tier = int(tiers.get(student_id, 0))
        support = (
            _("Extra help during the school day (support level {tier}).").format(tier=tier)
            if tier > 0
            else _("Your child is learning in class with everyone, with no extra support right now.")
        )
        parts.append(f"<p>{esc(support)}</p>")
        parts.append(f"<p>{esc(_('Questions? Please contact your child’s teacher.'))}</p></section>")
        pages.append("".join(parts))
    title = _("Progress reports")
    return (
        f'<!DOCTYPE html><html lang="{esc(lang, quote=True)}"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{_CSS}</style></head><body>{''.join(pages)}</body></html>\n"
    )
