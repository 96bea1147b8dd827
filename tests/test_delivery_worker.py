"""The e-mail path against real parts: the worker (``manage.py db_worker``) as a real process on
the test database, a real SMTP server on loopback (aiosmtpd, in this process), the digest
command as a real process. Every e-mail is delivered exactly once, whatever stops meanwhile.

Each wait is bounded (``WAIT`` seconds); nothing leaves 127.0.0.1.
"""

import asyncio
import contextlib
import datetime
import email
import email.policy
import signal
import socket
import subprocess
import threading
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from partnership.discussion import delivery
from partnership.discussion.models import Event
from partnership.models import ActionContact, AgreementParty, Notification, ReminderSent
from tests.factories import ActionFactory, DeliverableFactory, ProgrammeFactory
from tests.test_production import MANAGE, database_url, production_env

WAIT = 20  # seconds, at most, for any one thing to happen


class Inbox:
    """An SMTP server's handler: keeps what it accepts; can refuse, can be slow."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.refusals_left = 0
        self.refused = 0
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.refusals_left:
                self.refusals_left -= 1
                self.refused += 1
                return "451 4.3.0 Mail server busy, try again later"
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 OK"

    def subjects(self):
        with self.lock:
            return Counter(str(message["Subject"]) for message in self.messages)

    def count(self):
        with self.lock:
            return len(self.messages)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def worker_env(transactional_db, smtp):
    _inbox, port = smtp
    return production_env(
        DATABASE_URL=database_url(connection.settings_dict),
        EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="5",
        NOTIFICATION_RETRY_DELAYS="1,1,1,1",
        TASKS_BACKEND="database",
    )


@contextlib.contextmanager
def running_worker(env, log_path, *options):
    """``manage.py db_worker``, stopped as systemd stops it (SIGTERM: the task under way ends
    first); its log may hold the retries' warnings, never a crash of the worker itself."""
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [*MANAGE, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
            + list(options),
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"the worker did not stop:\n{log_path.read_text()}")


def wait_until(predicate, what, log_path=None):
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            log = log_path.read_text() if log_path and log_path.exists() else ""
            pytest.fail(f"{what}: not within {WAIT} s\n{log}")
        time.sleep(0.05)


@pytest.fixture
def actions(agreement, anact):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    return [
        ActionFactory(programme=programme, title=f"Chantier {n}", lead_organisation=anact)
        for n in range(1, 7)
    ]


def mention(recipient, action):
    """A mention (wanted at once by default), recorded in its own committed transaction."""
    with transaction.atomic():
        notification = Notification.objects.create(
            recipient=recipient, kind=Event.MENTION, action=action
        )
        delivery.deliver([notification])
    return notification


def subject_of(action):
    return (
        "Suivi du partenariat\u00a0: Quelqu’un vous a mentionné dans un commentaire sur "
        f"«\u00a0{action.title}\u00a0»"
    )


def tasks(status):
    return DBTaskResult.objects.filter(status=status).count()


def test_a_mention_is_emailed_by_the_worker_exactly_once(
    smtp, worker_env, actions, inrs_coordinator, tmp_path
):
    inbox, _port = smtp
    log = tmp_path / "worker.log"
    with running_worker(worker_env, log) as worker:
        mention(inrs_coordinator, actions[0])
        wait_until(lambda: tasks("SUCCESSFUL") == 1, "the task is run", log)
    assert worker.returncode == 0, log.read_text()
    assert inbox.subjects() == {subject_of(actions[0]): 1}
    assert inbox.messages[0]["To"] == inrs_coordinator.email
    assert Notification.objects.get().emailed_at is not None


def test_a_worker_stopped_midway_and_restarted_delivers_each_email_once(
    smtp, worker_env, actions, inrs_coordinator, tmp_path
):
    inbox, _port = smtp
    inbox.delay = 0.3  # a slow mail server: the worker is stopped with tasks left
    for action in actions:
        mention(inrs_coordinator, action)
    log = tmp_path / "worker.log"
    with running_worker(worker_env, log) as worker:
        wait_until(lambda: inbox.count() >= 1, "a first e-mail", log)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=WAIT)
    assert worker.returncode == 0, log.read_text()
    assert inbox.count() < len(actions), "stopped before the end"
    # The task under way, or just claimed, was run, not abandoned (django-tasks-db#61: a
    # SIGTERM as the claim commits; partnership's db_worker, tests/test_delivery.py).
    assert tasks("RUNNING") == 0
    assert tasks("READY") == len(actions) - inbox.count()

    with running_worker(worker_env, log):
        wait_until(lambda: tasks("SUCCESSFUL") == len(actions), "every task run", log)
    assert inbox.subjects() == {subject_of(action): 1 for action in actions}
    assert not Notification.objects.filter(emailed_at=None).exists()


def test_a_mail_server_that_refuses_then_accepts_gets_each_email_once(
    smtp, worker_env, actions, inrs_coordinator, inrs_reader, tmp_path
):
    inbox, _port = smtp
    inbox.refusals_left = 3
    mention(inrs_coordinator, actions[0])
    mention(inrs_reader, actions[1])
    log = tmp_path / "worker.log"
    with running_worker(worker_env, log):
        wait_until(lambda: inbox.count() == 2, "both e-mails, after retries", log)
        wait_until(lambda: tasks("READY") + tasks("RUNNING") == 0, "no task left", log)
        time.sleep(0.5)  # nothing more comes
    assert inbox.refused == 3
    assert inbox.subjects() == {subject_of(actions[0]): 1, subject_of(actions[1]): 1}
    # Each refusal is a failed task the administrators see, with the server's answer.
    failed = DBTaskResult.objects.filter(status="FAILED")
    assert failed.count() == 3
    assert all("451" in result.traceback for result in failed)


def test_nothing_is_sent_for_a_change_rolled_back_nor_to_someone_who_lost_access(
    smtp, worker_env, actions, inrs, anact_coordinator, inrs_coordinator, tmp_path
):
    inbox, _port = smtp
    with pytest.raises(RuntimeError), transaction.atomic():
        mention(anact_coordinator, actions[0])
        raise RuntimeError("the change is rolled back")
    mention(inrs_coordinator, actions[1])
    mention(anact_coordinator, actions[2])
    AgreementParty.objects.filter(organisation=inrs).delete()  # INRS is no longer a party

    log = tmp_path / "worker.log"
    with running_worker(worker_env, log, "--batch") as worker:
        worker.wait(timeout=WAIT)
    assert worker.returncode == 0, log.read_text()
    assert inbox.subjects() == {subject_of(actions[2]): 1}
    assert [message["To"] for message in inbox.messages] == [anact_coordinator.email]


def test_the_digest_holds_a_notification_once_and_the_days_reminders(
    smtp, worker_env, actions, anact, anact_contributor, inrs_coordinator, tmp_path
):
    inbox, _port = smtp
    day = timezone.localdate()
    action = actions[0]
    ActionContact.objects.create(action=action, organisation=anact, user=anact_contributor)
    DeliverableFactory(action=action, title="Rapport d’étape", due_on=day + datetime.timedelta(3))
    Notification.objects.create(
        recipient=anact_contributor, kind=Event.COMMENT, action=action, actor=inrs_coordinator
    )

    def send_digest():
        return subprocess.run(
            [*MANAGE, "send_digest", "--date", day.isoformat()],
            env=worker_env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=WAIT * 3,
        )

    first = send_digest()
    assert first.returncode == 0, first.stderr
    assert inbox.count() == 1
    body = inbox.messages[0].get_body(("plain",)).get_content()
    assert body.count("a commenté «\u00a0Chantier 1\u00a0»") == 1
    assert "Rapport d’étape" in body
    assert ReminderSent.objects.filter(key=f"digest:{day.isoformat()}").count() == 1

    second = send_digest()  # the same day: nothing
    assert second.returncode == 0, second.stderr
    assert inbox.count() == 1
