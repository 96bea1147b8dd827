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

import os
import signal

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
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
    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        # django-tasks-db's handle(), building this module's Worker.
        self.configure_logging(verbosity)
        if reload and batch:
            db_worker.logger.warning(
                "Warning: --reload and --batch cannot be specified together. Disabling autoreload."
            )
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # in the child process only
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
