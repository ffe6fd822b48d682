"""Sign-up confirmations kept instead of sent (as Django's locmem mail backend): ``conftest`` puts ``deliver`` in
place of ``notifications.signup_delivery.deliver``, which the public sign-up page calls."""

from notifications.signup_delivery import deliver as real_deliver

sent: list[dict] = []


def deliver(**message) -> None:
    sent.append(message)


__all__ = ["deliver", "real_deliver", "sent"]
