"""Mail backends that fail like an unreachable SMTP server, for retry tests."""

import threading

from django.core.mail.backends.locmem import EmailBackend


class AlwaysFailingBackend(EmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server refused the connection")


class FailsOnceBackend(EmailBackend):
    """Refuses the first message it is given, then delivers to mail.outbox."""

    lock = threading.Lock()
    failures = 0

    def send_messages(self, messages):
        with FailsOnceBackend.lock:
            if FailsOnceBackend.failures == 0:
                FailsOnceBackend.failures += 1
                raise ConnectionRefusedError("mail server refused the connection")
        return super().send_messages(messages)
