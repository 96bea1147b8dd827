import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection

from partnership.demo import scale


class Command(BaseCommand):
    help = (
        "Generate a large, realistic data set on top of the demo data (benchmarks, load tests). "
        "Deterministic for a given seed; does nothing if it was generated already."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--small", action="store_true", help="A tenth of the data (for quick checks)."
        )

    def handle(self, *args, seed, small, verbosity, **options):
        if scale.already_loaded():
            self.stdout.write("The scale data is already there: nothing to do.")
            return
        author = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        started = time.perf_counter()
        scale.generate(
            seed=seed,
            scale=scale.Scale.small() if small else scale.Scale(),
            author=author,
            stdout=self.stdout if verbosity else None,
        )
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would gather a little later: without them the
            # planner believes the bulk-loaded tables are empty and chooses nested loops.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"Scale data generated in {time.perf_counter() - started:.1f} s.")
