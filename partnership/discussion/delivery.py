"""How each notification reaches its recipient: the person's preference per kind of event.

Interface used by ``partnership.discussion.events.notify`` (the delivery's own work, issue
16, replaces the bodies: preferences, e-mail at once through a task enqueued on commit, the
daily digest):

- ``wanted(kind, user_ids)``: of these people, those who want this kind of event at all
  (a preference "off" removes them);
- ``deliver(notifications)``: called with the notifications just created, inside the
  transaction that recorded the event.
"""


def wanted(kind, user_ids):
    return set(user_ids)


def deliver(notifications):
    return None
