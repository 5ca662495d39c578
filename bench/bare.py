"""The ceiling: a bare Flask + Jinja page that renders 50 rows from a Python list."""
from flask import Flask, render_template_string

app = Flask(__name__)
ROWS = [{"name": f"Customer {n}", "ident": f"CUST-{n:06d}", "country": "DE", "currency": "EUR"} for n in range(50)]
PAGE = """<!doctype html><title>bare</title><table>{% for r in rows %}<tr><td>{{ r.name }}</td><td>{{ r.ident }}</td>
<td>{{ r.country }}</td><td>{{ r.currency }}</td></tr>{% endfor %}</table>"""


@app.get("/")
def rows():
    return render_template_string(PAGE, rows=ROWS)
