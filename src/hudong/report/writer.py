"""Write the report: one self-contained offline HTML file (inline CSS and SVG) and a PDF of it (weasyprint)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from hudong import fmt as F
from hudong.decide.rules import load_rules
from hudong.errors import HudongError
from hudong.i18n import check_lang, labels, platform_name, t
from hudong.progress import callback

from .content import ReportContent, gather

FORMATS = ("html", "pdf")
log = logging.getLogger("hudong.report")


def _template_text(name: str) -> str:
    return resources.files("hudong.report").joinpath("templates", name).read_text(encoding="utf-8")


def _env() -> Environment:
    # Autoescape everything: post texts, brand names and reasons are user data.
    # finalize: a None or NaN a template prints directly reads "—", never "None"/"nan".
    return Environment(
        autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True, lstrip_blocks=True,
        finalize=F.blank,
    )


def _period(start: Any, end: Any, lang: str) -> str:
    if start is None and end is None:
        return t("all_data", lang)
    return f"{start or '…'} — {end or '…'}"


def render_html(content: ReportContent, *, workspace: str, brand: str, start: Any = None, end: Any = None) -> str:
    lang = content.lang
    card = content.scorecard

    def chart(key: str) -> Markup:
        c = content.charts.get(key)
        if c is None:
            return Markup("")
        if c.svg:
            return Markup('<figure class="chart" id="chart-{}">{}</figure>').format(key, Markup(c.svg))
        title = t(
            {
                "engagement_trend": "er_trend",
                "ugc_weekly": "ugc_weekly",
                "first_response": "first_response",
                "best_hours": "best_hours_heat",
            }.get(key, key),
            lang,
        )
        return Markup('<h3>{}</h3><p class="note">{}</p>').format(title, c.note or t("no_data", lang))

    def cite_value(c: Any) -> str:
        return F.evidence_value(c.value, _unit(c.evidence), lang)

    def cite_threshold(c: Any) -> str:
        return F.evidence_value(c.threshold, _unit(c.evidence), lang)

    nps_missing = next(
        ((m.reason_zh if lang == "zh" else m.reason_en) for m in card.missing if m.key == "nps"), t("no_data", lang)
    )

    tpl = _env().from_string(_template_text("report.html.j2"))
    return tpl.render(
        lang=lang,
        L=labels(lang),
        css=Markup(_template_text("report.css")),
        card=card,
        recs=content.recommendations,
        kpis=content.kpis,
        top_posts=content.top_posts,
        nps=content.nps,
        groups=content.groups,
        learning=content.learning,
        audience=content.audience,
        campaigns=content.campaigns,
        ideas=content.ideas,
        faq=content.faq,
        statements=content.statements,
        profile=content.profile,
        propagation=content.propagation,
        text=content.text,
        nps_missing=nps_missing,
        brand=brand,
        workspace=workspace,
        period=_period(start, end, lang),
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        method_intro=t("method_intro", lang, min_cov=F.percent(load_rules().min_coverage, 0),
                       min_overall=F.percent(load_rules().min_overall_coverage, 0)),
        insufficient_note=t("insufficient_note", lang, cov=F.percent(card.coverage, 0),
                            min=F.percent(card.min_overall_coverage, 0)),
        engine_note=engine_note(content.engine, content.file_sections, lang),
        fmt=F,
        pname=lambda p: platform_name(p, lang),
        chart=chart,
        cite_value=cite_value,
        cite_threshold=cite_threshold,
        escape=escape,
    )


def engine_note(engine: str, file_sections: tuple[str, ...], lang: str) -> str:
    """What the report was computed on, when not the DuckDB file alone: "" on DuckDB."""
    if engine == "duckdb":
        return ""
    names = t("list_sep", lang).join(t(f"section_{s}", lang) for s in file_sections)
    return t("engine_note", lang, engine=engine, sections=names) if names else t("engine_all", lang, engine=engine)


def _unit(evidence_key: str) -> str:
    try:
        return load_rules().evidence_rule(evidence_key).unit
    except KeyError:
        return "count"


def write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML

    # base_url=None and no url_fetcher targets: the HTML has no external resources to load.
    HTML(string=html, base_url=None).write_pdf(str(path))


REPORT_STEPS = 6  # progress stages: scorecard evidence, charts, top posts, propagation, text, HTML (+ PDF)


def write_report(
    ws: Any,
    out_dir: str | Path,
    lang: str = "zh",
    formats: tuple[str, ...] | list[str] = FORMATS,
    *,
    start: Any = None,
    end: Any = None,
    self_assessment: Path | None = None,
    progress: Any = None,
) -> dict[str, Path]:
    """Write ``report-<lang>.html`` and/or ``report-<lang>.pdf`` into ``out_dir``; returns the paths by format.

    Seconds per step (each metric, charts, PDF) are logged at DEBUG level on the ``hudong.report`` logger;
    ``progress`` (a ``hudong.progress.Step``) hears of each section (``REPORT_STEPS`` stages, + 1 with the PDF).
    """
    step = callback(progress)
    check_lang(lang)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise HudongError(f"unknown report format {', '.join(bad) or '(none)'}: use html and/or pdf")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    content = gather(ws, lang, start=start, end=end, self_assessment=self_assessment, progress=step)
    step("writing the HTML")
    brand = str(ws.setting("brand.name", "") or "")
    html = render_html(
        content, workspace=str(ws.setting("name", "") or Path(ws.path).name), brand=brand, start=start, end=end
    )
    timings = dict(content.timings)
    timings["gather"] = time.perf_counter() - t0
    paths: dict[str, Path] = {}
    if "html" in formats:
        paths["html"] = out / f"report-{lang}.html"
        paths["html"].write_text(html, encoding="utf-8")
    if "pdf" in formats:
        step("writing the PDF")
        t1 = time.perf_counter()
        paths["pdf"] = out / f"report-{lang}.pdf"
        write_pdf(html, paths["pdf"])
        timings["pdf"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    log.debug("report timings (s): %s", {k: round(v, 3) for k, v in timings.items()})
    return paths
