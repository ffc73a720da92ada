"""What the grading app tells the apps above it, without importing them."""

from django.dispatch import Signal

# Sent after grade_answers has committed new keyword grades, with ``answer_ids``: the
# answers that got one. (LLM second opinions are queued then and arrive later.)
answers_graded = Signal()
