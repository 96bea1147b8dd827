"""How notifications reach people (issue 16): preferences, the e-mail at once (a task), the
daily digest, in the person's language, each once, and only about what they may still see.

The tasks are kept by django-tasks-db as in production; ``run_tasks`` runs those due with the
worker's own code, in this process. tests/test_delivery_worker.py runs the worker as a real
process against a real SMTP server.
"""

import contextlib
import datetime
import re
import signal
from collections import Counter
from unittest import mock

import pytest
from django.core.management import get_commands
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from partnership.discussion import delivery
from partnership.discussion.models import Event
from partnership.discussion.preferences import Channel, DeliveryPreference
from partnership.management.commands.db_worker import Worker
from partnership.models import ActionContact, AgreementParty, Notification, StaffProfile
from partnership.overview import reminders
from tests.clock import freeze
from tests.factories import (
    ActionFactory,
    DeliverableFactory,
    ProgrammeFactory,
    StaffProfileFactory,
    UserFactory,
)


def run_tasks(worker=None):
    """Run every task due (the worker's loop in batch mode), in this process (on the test's
    own connection, which the worker would otherwise close between tasks)."""
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        (worker or _worker()).run()


def _worker():
    return Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=50,
        worker_id="test",
        excluded_queue_names=[],
    )


@pytest.fixture
def action(agreement, anact):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    return ActionFactory(programme=programme, title="Guide TMS commun", lead_organisation=anact)


def notify(recipient, action, kind=Event.MENTION, actor=None):
    """What ``partnership.discussion.events.notify`` does: rows made, then ``deliver``."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, action=action, actor=actor
    )
    delivery.deliver([notification])
    return notification


def prefer(user, kind, channel):
    DeliveryPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})


# Preferences --------------------------------------------------------------------------------


def test_defaults_mentions_and_tasks_at_once_the_rest_in_the_digest(inrs_coordinator):
    channels = DeliveryPreference.objects.of(inrs_coordinator)
    assert channels[Event.MENTION] == Channel.EMAIL
    assert channels[Event.TASK_ASSIGNED] == Channel.EMAIL
    assert channels[Event.COMMENT] == Channel.DIGEST
    assert channels[Event.DELIVERABLE_DUE] == Channel.DIGEST


def test_wanted_leaves_out_who_turned_the_kind_off_in_one_query(
    inrs_coordinator, inrs_reader, anact_reader, django_assert_num_queries
):
    prefer(inrs_reader, Event.COMMENT, Channel.OFF)
    prefer(anact_reader, Event.COMMENT, Channel.APP)
    with django_assert_num_queries(1):
        who = delivery.wanted(Event.COMMENT, [inrs_coordinator.pk, inrs_reader.pk, anact_reader.pk])
    assert who == {inrs_coordinator.pk: Channel.DIGEST, anact_reader.pk: Channel.APP}


def test_a_person_sets_their_own_preferences_on_one_page(client, inrs_coordinator):
    client.force_login(inrs_coordinator)
    home = client.get(reverse("home"))
    assert reverse("notification_preferences") in home.text

    page = client.get(reverse("notification_preferences"))
    assert page.status_code == 200
    assert "Préférences de notification" in page.text
    # One radio group per kind, each button named by its row and its column.
    assert page.text.count('type="radio"') == len(Event.values) * len(Channel.values)
    assert 'aria-labelledby="kind-mention channel-email"' in page.text
    assert re.search(r'value="email" id="id_mention_email" checked', page.text)

    data = dict.fromkeys(Event.values, "digest")
    data[Event.MENTION] = "off"
    data[Event.COMMENT] = "email"
    saved = client.post(reverse("notification_preferences"), data)
    assert saved.status_code == 302
    # Only what differs from the defaults is kept.
    assert dict(
        DeliveryPreference.objects.filter(user=inrs_coordinator).values_list("kind", "channel")
    ) == {
        Event.MENTION: "off",
        Event.COMMENT: "email",
        Event.TASK_ASSIGNED: "digest",
        Event.PARTY_INVITATION: "digest",
        Event.ACCESS_REQUEST: "digest",
    }


def test_a_bad_choice_is_refused_and_nothing_changes(client, inrs_coordinator):
    client.force_login(inrs_coordinator)
    data = dict.fromkeys(Event.values, "digest")
    data[Event.MENTION] = "sms"
    page = client.post(reverse("notification_preferences"), data)
    assert page.status_code == 200
    assert "Choisissez une option sur chaque ligne" in page.text
    assert not DeliveryPreference.objects.exists()


def test_the_page_changes_only_the_persons_own_preferences(client, inrs_coordinator, anact_reader):
    prefer(anact_reader, Event.COMMENT, Channel.OFF)
    client.force_login(inrs_coordinator)
    data = dict.fromkeys(Event.values, "app")
    # A forged field naming someone else changes nothing of theirs.
    data["user"] = anact_reader.pk
    client.post(reverse("notification_preferences"), data)
    assert DeliveryPreference.objects.get(user=anact_reader).channel == "off"
    assert set(
        DeliveryPreference.objects.filter(user=inrs_coordinator).values_list("channel", flat=True)
    ) == {"app"}


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    page = client.get(reverse("notification_preferences"))
    assert page.status_code == 302
    assert "login" in page.url


# E-mail at once ----------------------------------------------------------------------------


def test_a_mention_is_emailed_at_once_once(
    action, anact_contributor, inrs_coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    anact_contributor.first_name, anact_contributor.last_name = "Anne", "Contributrice"
    anact_contributor.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(inrs_coordinator, action, actor=anact_contributor)
    assert DBTaskResult.objects.count() == 1

    run_tasks()
    run_tasks()
    delivery.send_notification.call(notification.pk)  # a duplicate task changes nothing

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [inrs_coordinator.email]
    assert (
        "Anne Contributrice vous a mentionné dans un commentaire sur «\u00a0Guide TMS commun\u00a0»"
        in message.body
    )
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_worker_stopped_as_it_claims_a_task_runs_it_and_leaves_the_next_ready(
    action,
    inrs_coordinator,
    inrs_reader,
    mailoutbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """SIGTERM just as the claim of a task commits (django-tasks-db#61): that task is run, not
    left RUNNING by a worker gone; the next waits for the next start. Under load, the real
    worker's stop in tests/test_delivery_worker.py met this moment."""
    with django_capture_on_commit_callbacks(execute=True):
        notify(inrs_coordinator, action)
        notify(inrs_reader, action)
    worker = _worker()
    claim = db_worker.exclusive_transaction

    @contextlib.contextmanager
    def claim_then_stop(using):
        with claim(using):
            yield
        worker.shutdown(signal.SIGTERM, None)  # what the signal runs, at this very point

    monkeypatch.setattr(db_worker, "exclusive_transaction", claim_then_stop)
    with contextlib.suppress(SystemExit):  # django-tasks-db's own worker exits here
        run_tasks(worker)

    assert Counter(DBTaskResult.objects.values_list("status", flat=True)) == {
        "SUCCESSFUL": 1,
        "READY": 1,
    }
    assert len(mailoutbox) == 1
    assert get_commands()["db_worker"] == "partnership"  # manage.py db_worker is this one


def test_the_email_is_in_the_recipients_language(
    action, inrs_coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    StaffProfile.objects.filter(user=inrs_coordinator).update(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        notify(inrs_coordinator, action)
    run_tasks()
    assert "mentioned you in a comment on “Guide TMS commun”" in mailoutbox[0].body
    assert mailoutbox[0].subject.startswith("Partnership tracker:")


def test_nothing_is_enqueued_for_a_kind_wanted_in_the_digest_or_the_application(
    action, inrs_coordinator, inrs_reader, django_capture_on_commit_callbacks
):
    prefer(inrs_reader, Event.MENTION, Channel.APP)
    with django_capture_on_commit_callbacks(execute=True):
        notify(inrs_coordinator, action, kind=Event.COMMENT)
        notify(inrs_reader, action, kind=Event.MENTION)
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_enqueues_and_sends_nothing(action, inrs_coordinator, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(inrs_coordinator, action)
        raise RuntimeError("the service failed after notifying")
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()
    run_tasks()
    assert mailoutbox == []


def test_someone_who_lost_access_is_not_emailed(
    action, inrs, inrs_coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(inrs_coordinator, action)
    # INRS stops being a party before the worker runs the task.
    AgreementParty.objects.filter(organisation=inrs).delete()
    run_tasks()
    assert mailoutbox == []
    assert DBTaskResult.objects.get().return_value == "not visible"


def test_a_refused_email_is_tried_again_later_and_the_failure_is_kept(
    action,
    inrs_coordinator,
    mailoutbox,
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,
):
    from django.core.mail.backends.locmem import EmailBackend

    settings.NOTIFICATION_RETRY_DELAYS = [60, 300]
    send_messages = EmailBackend.send_messages

    def refuse(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(inrs_coordinator, action)
    run_tasks()

    failed = DBTaskResult.objects.get(status="FAILED")
    assert "ConnectionRefusedError" in failed.traceback
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"] == [notification.pk, 1]
    assert retry.run_after > timezone.now() + datetime.timedelta(seconds=50)
    notification.refresh_from_db()
    assert notification.emailed_at is None

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_tasks()
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_after_the_last_attempt_the_notification_goes_in_the_digest(
    action, inrs_coordinator, mailoutbox, monkeypatch, settings, time_machine
):
    from django.core.mail.backends.locmem import EmailBackend

    settings.NOTIFICATION_RETRY_DELAYS = []
    send_messages = EmailBackend.send_messages
    monkeypatch.setattr(
        EmailBackend, "send_messages", lambda self, messages: (_ for _ in ()).throw(OSError())
    )
    notification = Notification.objects.create(
        recipient=inrs_coordinator, kind=Event.MENTION, action=action
    )
    delivery.send_notification.enqueue(notification.pk)
    run_tasks()
    assert DBTaskResult.objects.get().status == "FAILED"
    assert not DBTaskResult.objects.filter(status="READY").exists()

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=2))
    reminders.send_digest()
    assert len(mailoutbox) == 1
    assert (
        "vous a mentionné dans un commentaire sur «\u00a0Guide TMS commun\u00a0»"
        in mailoutbox[0].body
    )
    # The task, run again by hand, finds it sent.
    assert delivery.send_notification.call(notification.pk) == "already sent"
    assert len(mailoutbox) == 1


def test_a_notification_wanted_at_once_made_just_before_the_digest_stays_with_its_task(
    action, inrs_coordinator, mailoutbox, time_machine
):
    # The digest runs at 7:00; a mention made at 6:50 is still in its task's hands (it may be
    # waiting for a retry), whatever the hour of the day (the digest took it before 23:00).
    freeze(time_machine, datetime.date(2027, 3, 10), hour=7)
    notification = Notification.objects.create(
        recipient=inrs_coordinator,
        kind=Event.MENTION,
        action=action,
        created_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    reminders.send_digest()
    assert mailoutbox == []
    notification.refresh_from_db()
    assert notification.digested_at is None


def test_failed_tasks_are_listed_for_administrators_only(
    client, administrator, inrs_coordinator, action, anact
):
    delivery.send_notification.enqueue(0)
    run_tasks()  # notification 0 does not exist: nothing to send, the task succeeds
    url = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    client.force_login(inrs_coordinator)
    assert client.get(url).status_code == 302  # to the back office's login
    client.force_login(administrator)
    page = client.get(url)
    assert page.status_code == 200
    assert "send_notification" in page.text
    # An administrator by role (not a superuser) sees them too; a staff coordinator does not.
    role_administrator = UserFactory(username="admin.role", is_staff=True)
    StaffProfileFactory(user=role_administrator, organisation=anact, role="administrator")
    client.force_login(role_administrator)
    assert client.get(url).status_code == 200
    inrs_coordinator.is_staff = True
    inrs_coordinator.save(update_fields=["is_staff"])
    client.force_login(inrs_coordinator)
    assert client.get(url).status_code in (302, 403)


# The daily digest --------------------------------------------------------------------------


def test_the_digest_holds_a_notification_once_with_the_reminders_of_the_day(
    action, anact_contributor, inrs_coordinator, mailoutbox
):
    ActionContact.objects.create(
        action=action, organisation=action.lead_organisation, user=anact_contributor
    )
    DeliverableFactory(
        action=action, title="Rapport d’étape", due_on=timezone.localdate() + datetime.timedelta(3)
    )
    notify(anact_contributor, action, kind=Event.COMMENT, actor=inrs_coordinator)
    notify(inrs_coordinator, action, kind=Event.COMMENT)

    run = reminders.send_digest()

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [anact_contributor.email, inrs_coordinator.email]
    )
    contributor = next(m for m in mailoutbox if m.to == [anact_contributor.email])
    assert contributor.subject == "Suivi du partenariat\u00a0: votre récapitulatif du jour"
    assert contributor.body.count("a commenté «\u00a0Guide TMS commun\u00a0»") == 1
    assert "Rapport d’étape" in contributor.body
    assert run.notification_count == 2
    assert not Notification.objects.filter(digested_at=None).exists()

    mailoutbox.clear()
    again = reminders.send_digest()
    assert mailoutbox == [] and again.batches == []


def test_the_digest_leaves_out_what_the_person_may_no_longer_see(
    action, inrs, inrs_coordinator, mailoutbox
):
    notify(inrs_coordinator, action, kind=Event.COMMENT)
    AgreementParty.objects.filter(organisation=inrs).delete()
    reminders.send_digest()
    assert mailoutbox == []


def test_the_digest_leaves_out_kinds_wanted_elsewhere(
    action, inrs_coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    prefer(inrs_coordinator, Event.COMMENT, Channel.APP)
    notify(inrs_coordinator, action, kind=Event.COMMENT)
    reminders.send_digest()
    assert mailoutbox == []


def test_a_deliverable_due_follows_the_contacts_preference(
    action,
    anact_contributor,
    anact_reader,
    mailoutbox,
    django_capture_on_commit_callbacks,
    time_machine,
):
    freeze(time_machine, datetime.date(2027, 3, 10))
    for person in (anact_contributor, anact_reader):
        ActionContact.objects.create(
            action=action, organisation=action.lead_organisation, user=person
        )
    deliverable = DeliverableFactory(
        action=action, title="Rapport d’étape", due_on=timezone.localdate() + datetime.timedelta(3)
    )
    prefer(anact_contributor, Event.DELIVERABLE_DUE, Channel.EMAIL)
    prefer(anact_reader, Event.DELIVERABLE_DUE, Channel.OFF)

    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_digest()
        reminders.send_digest()  # the same day again: nothing new

    assert mailoutbox == []  # no digest: the contributor wants it at once, the reader not at all
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.deliverable) == (
        anact_contributor,
        Event.DELIVERABLE_DUE,
        deliverable,
    )
    run_tasks()
    assert [message.to for message in mailoutbox] == [[anact_contributor.email]]
    assert "Le livrable «\u00a0Rapport d’étape\u00a0» est attendu bientôt" in mailoutbox[0].body
