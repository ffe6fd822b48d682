"""A SIGNUP_SENDER for tests: keeps the confirmations instead of sending them (as Django's locmem mail backend)."""

sent: list[dict] = []


def deliver(**message) -> None:
    sent.append(message)
