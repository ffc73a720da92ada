from django.apps import AppConfig


class HiringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hiring"

    def ready(self) -> None:
        from hiring import receivers  # noqa: F401  (connects the signal receivers)
