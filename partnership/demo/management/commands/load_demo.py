"""``manage.py load_demo``: the demonstration data, loaded once, and the demo accounts."""

from django.core.management.base import BaseCommand

from partnership.demo import data as demo


class Command(BaseCommand):
    help = (
        "Load the demonstration data drawn from the Anact–INRS partnership (once: a second run "
        "changes nothing) and print the demo accounts. Every demo account has the password "
        f"{demo.DEMO_PASSWORD!r}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")
        parser.add_argument(
            "--address",
            default=demo.address(),
            help="Where the server answers, printed for the people logging in "
            "(default: http://$HOST:$PORT/, 127.0.0.1 and 8000 when unset).",
        )

    def handle(self, *args, quiet=False, address, verbosity=1, **options):
        result = demo.load()
        if quiet or verbosity < 1:
            return
        if result.loaded:
            self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        else:
            self.stdout.write("Données de démonstration déjà présentes : rien n’a été modifié.")
        self.stdout.write("")
        self.stdout.write(f"  Adresse : {address}")
        self.stdout.write(f"  Mot de passe des comptes de démonstration : {demo.DEMO_PASSWORD}")
        self.stdout.write("")
        header = ("Identifiant", "Mot de passe", "Organisation", "Rôle")
        rows = [(a.username, a.password, a.organisation, a.role) for a in result.accounts]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, tuple("-" * width for width in widths), *rows]:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(f"  {line.rstrip()}")
        self.stdout.write("")
