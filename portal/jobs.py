"""The runner of a large CSV import, as a process of its own: `python -m portal.jobs IMPORT_ID`.

It starts the app as the worker that launched it did (configuration and database from PORTAL_JOB_CONFIG and
PORTAL_JOB_DATABASE_URL), lowers its CPU priority so that requests are served first, says which process has the
job, and runs it (see portal.services.imports)."""
import os
import sys


def main(argv):
    """Run the import named by argv[1]."""
    from portal import create_app
    from portal.services import imports

    os.nice(10)
    url = os.environ.get("PORTAL_JOB_DATABASE_URL")
    app = create_app(os.environ.get("PORTAL_JOB_CONFIG") or None, **({"SQLALCHEMY_DATABASE_URI": url} if url else {}))
    with app.app_context():
        job_id = int(argv[1])
        imports.claim_for_runner(job_id)
        imports.run(job_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
