"""What the bank's admin asks of the grader, which sits above the bank.

The grading app registers both callbacks in its ``AppConfig.ready()``, so the bank never
imports it: ``samples_check(question)`` grades a question's sample answers as production
would and returns (calibration status, one check per sample); ``suggest_criteria(prompt,
model_answer)`` returns criteria records proposed from a model answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_hooks: dict[str, Callable[..., Any]] = {}


def register(*, samples_check: Callable[..., Any], suggest_criteria: Callable[..., Any]) -> None:
    _hooks.update(samples_check=samples_check, suggest_criteria=suggest_criteria)


def _hook(name: str) -> Callable[..., Any]:
    try:
        return _hooks[name]
    except KeyError:
        raise ImproperlyConfigured("the grading app must be installed to grade questions") from None


def samples_check(question) -> tuple[Any, list[Any]]:
    return _hook("samples_check")(question)


def suggest_criteria(prompt: str, model_answer: str) -> list[dict]:
    return _hook("suggest_criteria")(prompt, model_answer)
