"""``manage.py db_worker``: django-tasks-db's worker, whose stop never abandons a task it claimed.

django-tasks-db 0.13 exits from its signal handler (``sys.exit(0)``) whenever no task is under
way, to cut short its wait between two polls. But "no task under way" also covers the claim of
the next task: a SIGTERM that arrives while the claim commits, or just after, ends the process
with the task recorded RUNNING, and no worker ever runs it again (its notification then waits for
the next day's digest). Upstream issue: RealOrangeOne/django-tasks-db#61.

Here the first signal only asks the loop to stop: the worker ends at its next turn, after running
the task it has claimed, if any; when it was waiting, within ``--interval`` seconds. A second
signal still stops the task under way at once (the library's own handler).

This command takes the place of django-tasks-db's because ``partnership`` comes before
``django_tasks_db`` in ``INSTALLED_APPS``.
"""

import signal

from django_tasks_db.management.commands import db_worker


class Worker(db_worker.Worker):
    def shutdown(self, signum, frame):
        if not self.running:
            super().shutdown(signum, frame)  # a second signal: stop now
            return
        db_worker.logger.warning(
            "Received %s - shutting down gracefully... (press Ctrl+C again to force)",
            signal.strsignal(signum),
        )
        self.running = False


class Command(db_worker.Command):
    def handle(self, *args, **options):
        # The library's own command, building the Worker above: its handle() builds the Worker
        # its module names, so that name points here while it runs (this process only).
        library_worker = db_worker.Worker
        db_worker.Worker = Worker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = library_worker
