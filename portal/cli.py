"""Flask commands: seed-demo, create-org, create-user, create-api-token, import-customers."""
import re

import click
import sqlalchemy as sa

from portal.extensions import db

SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")


def _organization(slug):
    from portal.models import Organization

    # A slug that cannot exist is not looked up: a NUL byte would not even reach PostgreSQL.
    organization = (db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
                    if SLUG_PATTERN.fullmatch(slug) else None)
    if organization is None:
        raise click.UsageError(f"No organization with slug '{slug}'.")
    return organization


def _checked(option, rule, *args):
    """An argument through the same rule the forms and the API use; a usage error names the option."""
    try:
        return rule(*args)
    except ValueError as error:
        raise click.UsageError(f"{option}: {error}") from None


def init_app(app):
    """Register the commands."""

    @app.cli.command("seed-demo")
    @click.option("--customers", default=200, show_default=True, type=click.IntRange(0, 1_000_000),
                  help="Customers per organization.")
    @click.option("--org", "slug", default=None, help="Seed into this existing organization (no users).")
    def seed_demo_command(customers, slug):
        """Load the demo organizations, users and customers (idempotent)."""
        from portal.auth import hash_password
        from portal.services.demo import seed_demo

        if slug is not None:
            slug = _organization(slug).slug
        try:
            logins, added = seed_demo(customers, slug, hash_password)
        except LookupError as error:
            raise click.UsageError(str(error)) from None
        db.session.commit()
        for org_slug, count in added.items():
            click.echo(f"{org_slug}: {count} customers added")
        if logins:
            click.echo("Demo logins (password for all: %s):" % logins[0][1])
            for email, _password, role, org_name in logins:
                click.echo(f"  {email:<26} {role:<8} {org_name}")

    @app.cli.command("create-org")
    @click.option("--name", required=True)
    @click.option("--slug", required=True)
    def create_org_command(name, slug):
        """Create an organization."""
        from portal.domain import validation as rules
        from portal.services.demo import ensure_organization

        if not SLUG_PATTERN.fullmatch(slug):
            raise click.UsageError("The slug takes lower-case letters, digits and dashes (2-63).")
        if db.session.scalar(sa.select(sa.text("1")).select_from(sa.table("organization"))
                             .where(sa.column("slug") == slug)):
            raise click.UsageError(f"Organization '{slug}' exists already.")
        organization = ensure_organization(slug, _checked("--name", rules.required_text, name, 200, "The name"))
        db.session.commit()
        click.echo(f"Created organization {organization.name} ({organization.slug}).")

    @app.cli.command("create-user")
    @click.option("--org", "slug", required=True)
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--role", type=click.Choice(["viewer", "manager", "admin"]), required=True)
    @click.option("--name", default="")
    def create_user_command(slug, email, password, role, name):
        """Create a user in an organization."""
        from portal.auth import hash_password
        from portal.domain import validation as rules
        from portal.models import User

        organization = _organization(slug)
        email = _checked("--email", rules.email, email)
        name = _checked("--name", rules.text, name, 200) or ""
        if len(password) < 10:
            raise click.UsageError("The password needs at least 10 characters.")
        if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email.lower())):
            raise click.UsageError(f"A user with email {email} exists already.")
        from portal.services.demo import ensure_user

        ensure_user(organization, email, role, name, hash_password(password))
        db.session.commit()
        click.echo(f"Created {role} {email} in {organization.name}.")

    @app.cli.command("create-api-token")
    @click.option("--org", "slug", required=True)
    @click.option("--name", required=True)
    @click.option("--read-only", is_flag=True, default=False)
    def create_api_token_command(slug, name, read_only):
        """Create an API token and print it once (only its hash is stored)."""
        from portal.domain.validation import ValidationFailed
        from portal.services.tokens import create_token

        try:
            token, secret = create_token(_organization(slug).id, name, read_only=read_only)
        except ValidationFailed as failed:
            raise click.UsageError(f"--name: {failed.errors['name']}") from None
        db.session.commit()
        click.echo(secret)

    @app.cli.command("import-customers")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--org", "slug", required=True)
    @click.option("--dry-run", is_flag=True, default=False, help="Preview only: print what would change.")
    def import_customers_command(file, slug, dry_run):
        """Import customers from a CSV file (the export's columns): print the preview and every row error; without
        --dry-run apply all valid rows in one transaction, or nothing."""
        import os

        from portal.domain.validation import ValidationFailed
        from portal.models import CustomerImport, CustomerImportRow
        from portal.services import imports
        from portal.services.audit import CLI_ACTOR

        organization = _organization(slug)
        with open(file, "rb") as handle:
            data = handle.read(imports.csvfile.MAX_BYTES + 1)
        try:
            job = imports.start(organization.id, CLI_ACTOR, os.path.basename(file), data)
            imports.set_mapping(job, job.mapping)
        except (imports.FileProblem, ValidationFailed) as problem:
            db.session.rollback()
            message = problem.errors["mapping"] if isinstance(problem, ValidationFailed) else str(problem)
            raise click.ClickException(f"{file}: {message}") from None
        left_out = [h for h, field in zip(job.headers, job.mapping) if h and not field]
        imports.begin_preview(job)
        db.session.commit()
        job_id = job.id
        imports.run_preview(job_id)
        job = db.session.get(CustomerImport, job_id)
        click.echo(f"Import #{job.id} of {file}: {job.total_rows:,} rows, read as {job.encoding}, columns separated "
                   f"by {imports.csvfile.DELIMITERS[job.delimiter]}.")
        if left_out:
            click.echo("Columns left out: " + ", ".join(left_out) + ".")
        click.echo(f"{job.creates:,} new, {job.updates:,} updated, {job.unchanged:,} unchanged, "
                   f"{job.errors:,} with errors.")
        for row in db.session.scalars(sa.select(CustomerImportRow).where(
                CustomerImportRow.import_id == job.id, CustomerImportRow.action == "error")
                .order_by(CustomerImportRow.row_number)):
            for problem in row.problems:
                click.echo(f"  line {row.row_number}, {problem['column'] or 'row'}: {problem['message']}")
        if dry_run or not job.valid_rows:
            imports.discard(job)
            db.session.commit()
            click.echo("Dry run: nothing was applied." if dry_run else "Nothing to apply.")
            return
        imports.begin_apply(job)
        db.session.commit()
        imports.run(job_id)
        job = db.session.get(CustomerImport, job_id)
        if job.status != "applied":
            raise click.ClickException(job.message)
        click.echo(f"Applied: {job.creates:,} added, {job.updates:,} updated"
                   + (f"; {job.errors:,} rows with errors left out." if job.errors else ".")
                   + f" The audit events carry import #{job.id}.")
