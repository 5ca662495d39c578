"""Customers → Import: a CSV file (the export's columns) previewed row by row by the customer rules, then applied all
valid rows or nothing; malformed files get a clear message; the mapping of unknown columns is remembered; the CLI."""
import codecs
import io
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Customer, CustomerImport, CustomerImportRow
from tests.html_tree import tree

HEADER = ["Debtor ID", "Name", "Customer type", "Country", "Billing currency", "Legal entity",
          "Primary contact email", "VAT ID", "Tax rate", "Language"]


@pytest.fixture
def manager_auth(auth, manager):
    auth.login(manager)
    return auth


def csv_bytes(rows, header=HEADER, delimiter=",", encoding="utf-8", line_end="\r\n"):
    text = line_end.join(delimiter.join(cells) for cells in [header, *rows]) + line_end
    return text.encode(encoding)


def upload(auth, data, filename="customers.csv"):
    return auth.client.post("/customers/import", data={"file": (io.BytesIO(data), filename),
                                                       "csrf_token": auth.token},
                            content_type="multipart/form-data")


def job_page(auth, response):
    assert response.status_code == 302, response.get_data(as_text=True)
    return auth.get(response.headers["Location"]).get_data(as_text=True)


def latest_job():
    db.session.rollback()
    return db.session.scalar(sa.select(CustomerImport).order_by(CustomerImport.id.desc()))


def _matches(element, simple):
    """`tag.class#id` (each part optional) against one element."""
    tag, _, rest = re.match(r"([a-z0-9]*)(([.#][\w-]+)*)", simple).group(1, 0, 2)
    return (not tag or element.tag == tag) and all(
        (part[1:] in element.classes) if part[0] == "." else element.attrs.get("id") == part[1:]
        for part in re.findall(r"[.#][\w-]+", rest or ""))


def text_of(html, selector):
    """The texts of the elements a descendant selector of simple parts (`tr.unknown th label`) finds."""
    found = [tree(html)]
    for simple in selector.split():
        found = [e for parent in found for e in parent.all(lambda e, s=simple: _matches(e, s))]
    return list(dict.fromkeys(e.text() for e in found)) if False else [e.text() for e in found]


def row(ident="", name="", country="DE", currency="EUR", email="", tax="", language="German", kind="Business (B2B)",
        entity="", vat=""):
    return [ident, name, kind, country, currency, entity, email, vat, tax, language]


def test_an_export_imported_back_changes_nothing(manager_auth, make, org):
    for i in range(3):
        make.customer(org, name=f"Kunde {i} Müller", legalEntityId=None)
    export = manager_auth.get("/customers/export.csv").get_data()
    page = job_page(manager_auth, upload(manager_auth, export, "customers.csv"))
    job = latest_job()
    assert (job.status, job.creates, job.updates, job.unchanged, job.errors) == ("ready", 0, 0, 3, 0)
    assert "No row can be applied" in page


def test_a_semicolon_latin1_file_previews_exactly_its_changes_and_applies_them(manager_auth, make, org):
    kept = make.customer(org, name="Bleibt GmbH", debtorIdent="K-1")
    renamed = make.customer(org, name="Alt GmbH", debtorIdent="K-2", taxRate="7.00")
    data = csv_bytes([row("K-1", "Bleibt GmbH", email="ada1@example.com", tax="0,00", language="German"),
                      row("K-2", "Neu & Söhne GmbH", email="ada2@example.com", tax="19,00", language="German"),
                      row("K-9", "Größe AG", email="info@groesse.example", tax="19,00"),
                      row("", "Ohne Nummer KG", email="kg@example.com", country="Austria")],
                     delimiter=";", encoding="cp1252")
    page = job_page(manager_auth, upload(manager_auth, data, "kunden.csv"))
    assert "read as Windows-1252 (Latin-1), columns separated by semicolons" in page
    job = latest_job()
    assert (job.creates, job.updates, job.unchanged, job.errors) == (2, 1, 1, 0)
    changes = text_of(page, ".row-changes li")
    assert changes == ["Name: Alt GmbH → Neu & Söhne GmbH", "Tax rate: 7.00 → 19.00"]
    assert "Größe AG · K-9" in page and "Austria · EUR · kg@example.com" in page
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 2  # a preview writes nothing

    before = db.session.get(Customer, kept.id).version
    response = manager_auth.post(f"/customers/import/{job.id}/apply")
    assert response.status_code == 302
    job = latest_job()
    assert job.status == "applied"
    customers = {c.debtor_ident: c for c in db.session.scalars(sa.select(Customer))}
    assert set(customers) == {"K-1", "K-2", "K-9", next(i for i in customers if i.startswith("CUST-"))}
    assert customers["K-2"].name == "Neu & Söhne GmbH" and str(customers["K-2"].tax_rate) == "19.00"
    assert customers["K-9"].name == "Größe AG" and customers["K-9"].primary_contact.email == "info@groesse.example"
    assert customers["K-1"].version == before  # unchanged rows are not written
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.import_id == job.id)).all()
    assert sorted((e.action, e.customer_id) for e in events) == sorted(
        [("update", renamed.id), ("create", customers["K-9"].id),
         ("create", next(c.id for i, c in customers.items() if i.startswith("CUST-")))])
    assert all(e.actor_type == "user" and e.actor_name == "manager@acme.test" for e in events)
    activity = manager_auth.get(f"/customers/{renamed.id}/activity").get_data(as_text=True)
    assert f"CSV import #{job.id}" in activity


def test_every_error_names_its_line_column_and_the_rule(manager_auth, make, org):
    make.customer(org, debtorIdent="TAKEN")
    data = csv_bytes([
        row("A-1", "Good AG", email="good@example.com"),
        row("A-2", "", email="x@example.com"),
        row("A-3", "Bad Country AG", country="Atlantis", email="y@example.com"),
        row("A-4", "Bad Mail AG", email="not-an-email"),
        row("A-1", "Twice AG", email="twice@example.com"),
        row("A-5", "Formula AG", email="=HYPERLINK(\"x\")"),
        row("A-6", "Entity AG", entity="Nowhere Ltd", email="e@example.com"),
        row("A-7", "Tab\tAG", email="t@example.com"),
        row("A-8", "Rate AG", tax="lots", email="r@example.com"),
        row("A-9", "+cmd|' /C calc'!A0", email="dde@example.com"),
    ], delimiter=";")
    page = job_page(manager_auth, upload(manager_auth, data))
    job = latest_job()
    assert (job.creates, job.errors) == (1, 9)
    problems = re.findall(r"<li><strong>([^<]+):</strong> ([^<]+)</li>", page)
    assert ("Name", "Name is required.") in problems
    assert {"Country", "Primary contact email", "Tax rate"} <= {column for column, _message in problems}
    assert "Debtor ID A-1 is on line 2 already." in page
    assert page.count("This cell is a formula") == 2 and "No legal entity is named “Nowhere Ltd”" in page
    assert ("Country", "No country is called “Atlantis”: use its English name or its code (e.g. Germany or DE).") \
        in problems and [column for column, _message in problems].count("Country") == 1
    assert "Use one line of text" in page
    lines = [int(n) for n in text_of(page, ".import-error td.num")]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    manager_auth.post(f"/customers/import/{job.id}/apply")
    assert latest_job().status == "applied"
    assert set(db.session.scalars(sa.select(Customer.debtor_ident))) == {"TAKEN", "A-1"}


@pytest.mark.parametrize("encoding, bom, delimiter, read_as, separated", [
    ("utf-8", codecs.BOM_UTF8, ",", "UTF-8", "commas"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "\t", "UTF-16", "tabs"),
    ("utf-16-be", b"", ";", "UTF-16", "semicolons"),
    ("latin-1", b"", "\t", "Windows-1252 (Latin-1)", "tabs"),
])
def test_encodings_and_delimiters_are_read(manager_auth, org, encoding, bom, delimiter, read_as, separated):
    data = bom + csv_bytes([row("E-1", "Çédille Sàrl", country="FR", email="c@example.fr", language="French")],
                           delimiter=delimiter, encoding=encoding)
    page = job_page(manager_auth, upload(manager_auth, data))
    assert f"read as {read_as}, columns separated by {separated}" in page
    assert "Çédille Sàrl · E-1" in page and latest_job().creates == 1


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"Name,Country\r\n", "The file has a header row but no customers below it."),
    (b'Name,Country\r\n"Open quote AG,DE\r\nNext AG,DE\r\n', "Line 2: a quoted cell is not closed"),
    (b'Name,Country\r\n"Closed" AG,DE\r\n', "Line 2: a quoted cell is not closed or has a stray quote"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file."),
    (b"Name,Name\r\nA,B\r\n", "The column “Name” appears twice"),
])
def test_malformed_files_get_a_clear_message_and_store_nothing(manager_auth, org, data, message):
    response = upload(manager_auth, data)
    assert response.status_code == 422
    error = text_of(response.get_data(as_text=True), "#import-file-error")
    assert error and error[0].startswith(message)
    assert db.session.scalar(sa.select(sa.func.count(CustomerImport.id))) == 0


def test_a_file_over_10_mb_is_refused(manager_auth, org):
    data = csv_bytes([row(f"B-{i}", "x" * 180, email=f"b{i}@example.com") for i in range(52_000)])
    assert len(data) > 10 * 1024 * 1024
    response = upload(manager_auth, data)
    assert response.status_code == 413
    assert "larger than 10 MB" in text_of(response.get_data(as_text=True), "#import-file-error")[0]


def test_unknown_columns_are_mapped_and_the_mapping_is_remembered(manager_auth, org):
    header = ["Kundennummer", "Firma", "Land", "Währung", "E-Mail", "Notiz"]
    data = csv_bytes([["M-1", "Mapped GmbH", "DE", "EUR", "m@example.com", "egal"]], header=header, delimiter=";")
    page = job_page(manager_auth, upload(manager_auth, data))
    job = latest_job()
    assert job.status == "mapping" and "Which field is in each column?" in page
    assert text_of(page, ".mapping tr.unknown th label") == header
    choose = {"column-0": "debtorIdent", "column-1": "name", "column-2": "country", "column-3": "currency",
              "column-4": "primaryEmail", "column-5": ""}
    twice = manager_auth.post(f"/customers/import/{job.id}/mapping", {**choose, "column-1": "debtorIdent"})
    assert twice.status_code == 422 and "Debtor ID is chosen for two columns." in twice.get_data(as_text=True)
    manager_auth.post(f"/customers/import/{job.id}/mapping", choose)
    job = latest_job()
    assert (job.status, job.creates) == ("ready", 1)
    # the next file with these headers goes straight to its preview
    again = job_page(manager_auth, upload(manager_auth, data))
    assert latest_job().status == "ready" and "Mapped GmbH · M-1" in again


def test_a_customer_changed_after_the_preview_stops_the_apply(manager_auth, make, org):
    from portal.services.customers import update_customer

    customer = make.customer(org, debtorIdent="C-1", name="Before AG")
    data = csv_bytes([row("C-1", "From File AG", email="ada1@example.com", tax="0.00"),
                      row("C-2", "New AG", email="n@example.com")])
    job_page(manager_auth, upload(manager_auth, data))
    job = latest_job()
    update_customer(db.session.get(Customer, customer.id), {"name": "Someone Else AG"})
    db.session.commit()
    manager_auth.post(f"/customers/import/{job.id}/apply")
    job = latest_job()
    assert job.status == "failed" and "1 customer changed since the preview (lines 2)" in job.message
    assert db.session.get(Customer, customer.id).name == "Someone Else AG"
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 1  # nor was the new one added
    page = manager_auth.get(f"/customers/import/{job.id}").get_data(as_text=True)
    assert "Preview again" in page
    manager_auth.post(f"/customers/import/{job.id}/mapping", {f"column-{i}": f for i, f in enumerate(job.mapping)})
    assert latest_job().updates == 1
    changes = text_of(manager_auth.get(f"/customers/import/{job.id}").get_data(as_text=True), ".row-changes li")
    assert changes == ["Name: Someone Else AG → From File AG"]


def test_discarding_applies_nothing(manager_auth, org):
    job_page(manager_auth, upload(manager_auth, csv_bytes([row("D-1", "Discard AG", email="d@example.com")])))
    job = latest_job()
    assert manager_auth.post(f"/customers/import/{job.id}/discard").status_code == 302
    assert latest_job().status == "discarded"
    assert manager_auth.post(f"/customers/import/{job.id}/apply").status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0


def test_viewers_cannot_import(auth, make, org):
    auth.login(make.user(org, "viewer"))
    assert auth.get("/customers/import").status_code == 403
    assert "Import CSV" not in auth.get("/customers").get_data(as_text=True)


def test_the_sample_file_imports_as_a_preview(manager_auth, make, org):
    make.customer(org, debtorIdent="CUST-000001", name="Example GmbH")
    sample = manager_auth.get("/customers/import/sample.csv")
    assert sample.headers["Content-Disposition"].endswith("customers-import-sample.csv")
    job_page(manager_auth, upload(manager_auth, sample.get_data()))
    job = latest_job()
    assert (job.creates, job.updates, job.errors) == (1, 1, 0)


def test_the_cli_previews_and_applies(runner, make, org, tmp_path):
    make.customer(org, debtorIdent="L-1", name="Old Name AG")
    path = tmp_path / "import.csv"
    path.write_bytes(csv_bytes([row("L-1", "New Name AG", email="ada1@example.com", tax="0.00"),
                                row("L-2", "Cli AG", email="cli@example.com"),
                                row("L-3", "Broken AG", country="ZZ", email="z@example.com")], delimiter=";"))
    dry = runner.invoke(args=["import-customers", str(path), "--org", "acme", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 new, 1 updated, 0 unchanged, 1 with errors." in dry.output
    assert re.search(r"line 4, Country: .+", dry.output) and "Dry run: nothing was applied." in dry.output
    assert db.session.scalar(sa.select(Customer.name).where(Customer.debtor_ident == "L-1")) == "Old Name AG"
    applied = runner.invoke(args=["import-customers", str(path), "--org", "acme"])
    assert applied.exit_code == 0, applied.output
    assert "Applied: 1 added, 1 updated; 1 rows with errors left out." in applied.output
    db.session.rollback()
    assert db.session.scalar(sa.select(Customer.name).where(Customer.debtor_ident == "L-1")) == "New Name AG"
    job = latest_job()
    assert {e.actor_type for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.import_id == job.id))} \
        == {"cli"}
    bad = runner.invoke(args=["import-customers", str(tmp_path), "--org", "acme"])
    assert bad.exit_code != 0
    path.write_bytes(b'Name\r\n"open\r\n')
    broken = runner.invoke(args=["import-customers", str(path), "--org", "acme"])
    assert broken.exit_code == 1 and "a quoted cell is not closed" in broken.output


def test_a_file_that_names_no_customer_asks_for_a_mapping_and_a_preview_can_be_remapped(manager_auth, org):
    data = csv_bytes([["DE", "EUR"]], header=["Country", "Billing currency"])
    page = job_page(manager_auth, upload(manager_auth, data))
    assert latest_job().status == "mapping"
    assert text_of(page, "#mapping-error") == ["Map a column to Debtor ID (to update customers) or to Name (to add "
                                               "them)."]
    named = csv_bytes([["R-1", "Remap AG", "DE", "EUR", "r@example.com"]],
                      header=["Debtor ID", "Name", "Country", "Billing currency", "Primary contact email"])
    job_page(manager_auth, upload(manager_auth, named))
    job = latest_job()
    form = manager_auth.get(f"/customers/import/{job.id}?mapping=1").get_data(as_text=True)
    assert "Which field is in each column?" in form
    manager_auth.post(f"/customers/import/{job.id}/mapping", {"column-0": "", "column-1": "name", "column-2": "country",
                                                             "column-3": "currency", "column-4": "primaryEmail"})
    job = latest_job()
    assert (job.status, job.creates) == ("ready", 1)
    assert db.session.scalar(sa.select(CustomerImportRow.values).where(
        CustomerImportRow.import_id == job.id))["debtorIdent"] is None
