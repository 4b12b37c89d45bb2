"""How is a batch run shown: the text summary, the notebook table and ``index.html``?

One row per job (status, counts, fitness, top deviation in words), then why
jobs failed or are under their fitness threshold; ``index.html`` links every
job's reports and ``summary.json``.  The functions read a `BatchRun`'s public
attributes (``date``, ``out_dir``, ``records``, ``exit_code``,
``fail_under_fitness``); text from the logs and configs is escaped in HTML.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from .report.text import plural

_STYLE = """<style>
.csm {font-family: system-ui, sans-serif; font-size: 14px}
.csm table {border-collapse: collapse; margin: 4px 0 12px}
.csm td, .csm th {border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left}
.csm td.n {text-align: right; font-variant-numeric: tabular-nums}
.csm .failed {color: #b00020} .csm .below_threshold {color: #a15c00}
</style>"""

_HEADER = ["job", "status", "events", "cases", "rejected", "fitness", "conforming",
           "deviations", "top deviation"]


def _deviation_text(top: dict | None) -> str | None:
    if not top:
        return None
    return f"{top['kind']}: {top['where']} ({plural(top['cases'], 'case')})"


def _count(records, status: str) -> int:
    return sum(r["status"] == status for r in records)


def _headline(records) -> str:
    n = len(records)
    return (f"{n} job{'s' * (n != 1)}, {_count(records, 'ok')} ok, "
            f"{_count(records, 'below_threshold')} below threshold, "
            f"{_count(records, 'failed')} failed")


def _rows(records) -> list[list[str]]:
    def num(value, fmt):
        return "-" if value is None else format(value, fmt)

    return [[r["name"], r["status"], num(r.get("events"), ","), num(r.get("cases"), ","),
             num(r.get("rejected_rows"), ","), num(r.get("fitness"), ".3f"),
             num(r.get("conforming_case_share"), ".1%"), num(r.get("deviations"), ","),
             _deviation_text(r.get("top_deviation")) or "-"] for r in records]


def _summary_text(run) -> str:
    """`BatchRun.__str__`: headline, folder, a table of the jobs, then why jobs failed."""
    from .report.text import table

    lines = [f"Batch run {run.date}: {_headline(run.records)} (exit {run.exit_code})",
             f"Reports in {run.out_dir}"]
    lines += table(_HEADER, _rows(run.records), right=(2, 3, 4, 5, 6, 7))
    for title, status in (("Below threshold", "below_threshold"), ("Failed", "failed")):
        notes = [f"  {r['name']}: {r['message']}" for r in run.records
                 if r["status"] == status]
        if notes:
            lines += [f"{title}:"] + notes
    return "\n".join(lines)


def _table_html(records, links: bool) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in _HEADER + ["reports"])
    body = []
    for r, cells in zip(records, _rows(records)):
        reports = r.get("reports", {})
        first = next(iter(reports.values()), None)
        name = (f"<a href='{e(quote(first))}'>{e(cells[0])}</a>" if links and first
                else e(cells[0]))
        files = " ".join(f"<a href='{e(quote(f))}'>{e(k)}</a>" if links else e(f)
                         for k, f in reports.items())
        tds = [name, f"<span class='{e(r['status'])}'>{e(cells[1])}</span>"]
        tds += [e(c) for c in cells[2:8]]
        top = e(cells[8]) if r["status"] != "failed" else \
            f"<span class='failed'>{e(r.get('message') or '')}</span>"
        tds += [top, files]
        body.append("<tr>" + "".join(
            f"<td class='n'>{c}</td>" if 2 <= i <= 7 else f"<td>{c}</td>"
            for i, c in enumerate(tds)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _notebook_html(run) -> str:
    """`BatchRun._repr_html_`: headline and the table of jobs, without links."""
    e = html.escape
    return (f"{_STYLE}<div class='csm'><strong>Batch run {e(run.date)}</strong>: "
            f"{e(_headline(run.records))} (exit {run.exit_code}); reports in "
            f"<code>{e(str(run.out_dir))}</code>{_table_html(run.records, links=False)}</div>")


def _index_page(run) -> str:
    """``index.html``: a whole page with a table of every job, linking its reports."""
    e = html.escape
    notes = "".join(
        f"<li>{e(r['name'])}: {e(r['message'])}</li>" for r in run.records
        if r["status"] == "below_threshold")
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>cs_mining batch {e(run.date)}</title></head><body>\n{_STYLE}"
            f"<div class='csm'><h2>cs_mining reports, {e(run.date)}</h2>"
            f"<p>{e(_headline(run.records))} (exit {run.exit_code})"
            + (f"; fitness threshold {run.fail_under_fitness:g}"
               if run.fail_under_fitness is not None else "")
            + f"</p>{_table_html(run.records, links=True)}"
            + (f"<h4>Below threshold</h4><ul>{notes}</ul>" if notes else "")
            + "<p>Summary as JSON: <a href='summary.json'>summary.json</a></p>"
            "</div>\n</body></html>\n")
