from django.apps import AppConfig


class GradingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "grading"

    def ready(self) -> None:
        from grading.answer_check import question_samples_check
        from grading.ideas import suggest_ideas
        from grading.services import criteria_records
        from questionbank import grader

        grader.register(
            samples_check=question_samples_check,
            suggest_criteria=lambda prompt, model_answer: criteria_records(
                suggest_ideas(prompt, model_answer)
            ),
        )
