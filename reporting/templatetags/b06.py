"""The rows and cells of the Biểu 06 tables, written in Python: a province's report page holds
some 370 rows and 2,300 cells, and rendering each through the template language took most of
the page's time (bench/bench_scale.py, issue 19). Same HTML as the template loops they replace."""
from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

#: the figures whose non-zero value is bad news (shown in red)
BAD = frozenset({"resolved_late", "in_progress_overdue"})


@register.simple_tag
def b06_cells(row: dict, extra: bool = False) -> str:
    """``<td>`` of each cell of a table row (``reporting.presenters._cells``): the number, a link
    to its dossiers when it has one. `extra`: the rates table (zero only when 0, no title)."""
    # the standard library's escape, as Django's does, without its lazy-string wrapper per call
    name = escape(str(row.get("name", "")))
    out = []
    for c in row["cells"]:
        value = c["value"]
        if extra:
            classes = "n zero" if value == 0 else "n"
        else:
            classes = "n" if value else "n zero"
            if value and c["key"] in BAD:
                classes += " bad"
        text = escape(str(c["text"]))
        if c["url"]:
            title = "" if extra else f' title="{name} – ({escape(str(c["col"]))})"'
            text = f'<a href="{escape(c["url"])}"{title}>{text}</a>'
        out.append(f'<td class="{classes}" data-figure="{escape(str(c["key"]))}">{text}</td>')
    return mark_safe("".join(out))  # every piece escaped above


@register.simple_tag
def b06_row(row: dict) -> str:
    """A row of the official table (``reporting.presenters._table_rows``): STT, the level's or
    unit's name (and code), then its cells."""
    code = f' <span class="code">{escape(str(row["code"]))}</span>' if row.get("code") else ""
    return mark_safe(  # every piece escaped
        f'\n    <tr class="r-{escape(str(row["kind"]))}" data-row="{escape(str(row["row"]))}">\n'
        f'      <td class="stt">{escape(str(row["stt"]))}</td>\n'
        f'      <td class="name">{escape(str(row["name"]))}{code}</td>\n'
        f'      {b06_cells(row)}\n    </tr>\n  ')
