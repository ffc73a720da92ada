"""What the interviews app tells the apps above it, without importing them."""

from django.dispatch import Signal

# Sent inside the transaction that closes a session (submitted or timed out), once per
# session, with ``session``. Receivers run in that transaction.
session_finished = Signal()
