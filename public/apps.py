from django.apps import AppConfig


class PublicConfig(AppConfig):
    """Pages for visitors who are not clients yet: sign-up (and, later, the public status page and short links).

    The top of the house: it may use campaigns, notifications and clients; nothing below imports it.
    """

    name = "public"
    verbose_name = "Public pages"
