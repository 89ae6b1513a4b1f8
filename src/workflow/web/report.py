"""The national report (``/report``) and its CSV (``/report.csv``): per cohort, per hub and
nationally, places, retention, accreditation and schools reached against the 65% goal.

National staff see every hub and the national total; hub staff their own hub only (the
service decides). The charts are inline SVG drawn here from the service's numbers
(``charts.py``), each with a table of the same numbers beside it.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request

from workflow.services.national_report import ALL, MEASURES, Measures, NationalReport
from workflow.services.national_report import national_report as build_report
from workflow.web.access import signed_in, the_actor, uow
from workflow.web.charts import Bar, bar_chart, percent
from workflow.web.specialists import safe_cell

blueprint = Blueprint("report", __name__)
LABELS = {key: label for key, label, _ in MEASURES}
SHARE = "Share of secondary schools reached (%)"
RETENTION = [("selected", "Selected"), ("year2", "Retained into Year 2"),
             ("year3", "Retained into Year 3"), ("accredited", "Accredited"),
             ("work_group_leads", "Work Group Leads"), ("withdrawn", "Withdrawn")]  # fmt: skip


def _cohort() -> int | str | None:
    value = request.args.get("cohort", "").strip()
    if not value:
        return None
    if value == ALL:
        return ALL
    if not value.isdigit() or len(value) > 6:
        abort(400)
    return int(value)


def _report() -> NationalReport:
    return build_report(uow(), the_actor(), _cohort())


@blueprint.route("/report")
@signed_in
def show():
    report = _report()
    total = report.national or (report.hubs[0].measures if len(report.hubs) == 1 else None)
    return render_template(
        "report.html",
        report=report,
        total=total,
        charts=_charts(report, total) if report.hubs else {},
        retention=RETENTION,
        percent=percent,
        all_cohorts=ALL,
    )


def _charts(report: NationalReport, total: Measures | None) -> dict:
    hubs = report.hubs
    goal = round(report.goal * 100)
    places = bar_chart(
        "places",
        "Places filled and allocated, by hub",
        "For each hub, a blue bar of the places filled now inside an outlined bar of the "
        "places allocated. The numbers are in the table after the chart.",
        [
            Bar(
                _short(h.name),
                h.measures.filled,
                f"{h.measures.filled} of {h.measures.allocated}",
                behind=h.measures.allocated,
            )
            for h in hubs
        ],
        legend=[("value", "Places filled"), ("behind", "Places allocated")],
    )
    shares = [h.measures.share for h in hubs]
    reach = bar_chart(
        "reach",
        f"Share of state-funded secondary schools reached, by hub, against the {goal}% goal",
        f"For each hub, a bar of the schools reached as a percentage of the state-funded "
        f"secondary schools in its area, with a dashed line at the goal of {goal}%; green "
        f"bars have reached the goal. The numbers are in the table after the chart.",
        [
            Bar(
                _short(h.name),
                None if s is None else 100 * s,
                percent(s),
                reached=s is not None and s >= report.goal,
            )
            for h, s in zip(hubs, shares, strict=True)
        ],
        maximum=100,
        goal=100 * report.goal,
        goal_text=f"Goal {goal}%",
    )
    found = {"places": places, "reach": reach}
    if total is not None:
        where = "nationally" if report.national is not None else "in your hub"
        found["retention"] = bar_chart(
            "retention",
            f"Specialists selected, retained and accredited {where}",
            "One bar for each measure, from the specialists selected to those withdrawn. "
            "The numbers are in the table beside the chart.",
            [Bar(label, getattr(total, key), str(getattr(total, key))) for key, label in RETENTION],
            maximum=max(total.selected, 1),
            width=460,
            label_width=180,
            figure_width=60,
        )
    return found


def _short(name: str) -> str:
    """A hub's name in a chart: every hub is a Maths Hub (the table beside has the name)."""
    return name.removesuffix(" Maths Hub")


@blueprint.route("/report.csv")
@signed_in
def download():
    report = _report()
    out = io.StringIO()
    writer = csv.writer(out)
    keys = [key for key, _, _ in MEASURES]
    writer.writerow(["Hub code", "Hub", *(LABELS[k] for k in keys), SHARE])
    rows = [(h.code, h.name, h.measures) for h in report.hubs]
    if report.national is not None:
        rows.append(("national", "All hubs", report.national))
    for code, name, m in rows:
        share = "" if m.share is None else percent(m.share).rstrip("%")
        values = ["" if getattr(m, k) is None else getattr(m, k) for k in keys]
        writer.writerow([safe_cell(code), safe_cell(name), *values, share])
    which = "all-cohorts" if report.cohort is None else f"cohort-{report.cohort}"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=national-report-{which}.csv"},
    )
