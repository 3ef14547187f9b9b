"""CSV downloads that are safe to open in a spreadsheet.

Every CSV Vigil serves goes through `csv_response`, so each text cell is neutralised
against formula injection the way OWASP recommends: a cell starting with `=`, `+`, `-`,
`@`, a tab or a carriage return is prefixed with a single quote, which spreadsheets show
as text instead of evaluating. Numbers Vigil computes (counts, seconds) are written as
numbers and left alone; only text, which may come from what people typed (monitor
names), is touched.
"""

import csv

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as a spreadsheet shows it: text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename, header, rows):
    """An attachment `filename` with `header` and `rows`, every text cell neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return response
