from django.apps import AppConfig


class PublicConfig(AppConfig):
    """Pages for visitors: the public status page, incident pages, feeds and short links, and sign-up.

    The top of the house: it may use campaigns, notifications and clients; nothing below imports it. Its URL names
    are ``public:…`` and its templates ``templates/public/``; the package is not called ``public`` because the
    ``atpublic`` distribution (a dependency of aiosmtpd, the benchmarks' SMTP sink) installs a module of that name.
    """

    name = "public_site"
    verbose_name = "Public pages"
