"""Telling people what happened: ``notify``, called by the services that record an event, in
the transaction that records it.

The contract between the parts of issue 16:

- ``notify(kind, target, actor=..., recipients=...)`` creates one ``Notification`` per
  recipient, never for the actor, and only for people who may see the target (an account
  whose organisation is party to the target's agreement, or an administrator). The recipients
  are the target's followers (``partnership.discussion.follows``) plus any given (the person
  mentioned, the task's new owner...).
- Each person's preference for the kind (``partnership.discussion.delivery``) decides whether
  the notification is made at all, and whether it is e-mailed at once (a task enqueued on the
  transaction's commit, so nothing is sent for a change rolled back) or kept for the daily
  digest.
"""
