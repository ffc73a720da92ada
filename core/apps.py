from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site-wide wiring that needs the app registry (signal receivers)."""

    name = "core"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from core.auth import forget_user

        user_model = get_user_model()
        post_save.connect(forget_user, sender=user_model, dispatch_uid="viva-forget-user-save")
        post_delete.connect(forget_user, sender=user_model, dispatch_uid="viva-forget-user-delete")
