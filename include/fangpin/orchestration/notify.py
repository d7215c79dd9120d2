"""Tell someone when a month fails or is refused: e-mail through SMTP, or a callable of yours.

Configured in the ``[fangpin]`` section of the generated ``airflow.cfg`` (or the matching
``AIRFLOW__FANGPIN__…`` / ``FANGPIN_…`` variables):

    notify_email_to   = ops@example.org, data@example.org   (empty: no e-mail)
    smtp_host         = localhost
    smtp_port         = 25
    smtp_from         = fangpin@localhost
    smtp_user / smtp_password / smtp_starttls               (optional)
    notify_callable   = package.module:function              (optional; gets subject, body)

The DAG's ``on_failure_callback`` calls :func:`on_task_failure` once a task has failed for
good (after its retries), in the worker that ran it. A notifier that cannot deliver logs the
reason and never hides the task's own failure.
"""

from __future__ import annotations

import importlib
import logging
import os
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

log = logging.getLogger("fangpin.notify")

Lookup = Callable[[str, str], str]


def setting(key: str, default: str = "") -> str:
    """A ``[fangpin]`` setting: ``AIRFLOW__FANGPIN__KEY``/airflow.cfg, else ``FANGPIN_KEY``."""
    fallback = os.environ.get(f"FANGPIN_{key.upper()}", default)
    try:
        from airflow.configuration import conf

        return conf.get("fangpin", key, fallback=fallback)
    except ImportError:  # outside Airflow (a unit test, a script)
        return fallback


@dataclass(frozen=True)
class EmailNotifier:
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    user: str = ""
    password: str = ""
    starttls: bool = False

    def __call__(self, subject: str, body: str) -> None:
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, self.sender, ", ".join(
            self.to)
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def notifiers(lookup: Lookup = setting) -> list[Callable[[str, str], None]]:
    """The notifiers the configuration asks for (none when nothing is configured)."""
    found: list[Callable[[str, str], None]] = []
    to = tuple(a.strip() for a in lookup("notify_email_to", "").split(",") if a.strip())
    if to:
        found.append(EmailNotifier(
            host=lookup("smtp_host", "localhost"),
            port=int(lookup("smtp_port", "25")),
            sender=lookup("smtp_from", "fangpin@localhost"),
            to=to,
            user=lookup("smtp_user", ""),
            password=lookup("smtp_password", ""),
            starttls=lookup("smtp_starttls", "false").lower() in ("1", "true", "yes"),
        ))
    target = lookup("notify_callable", "").strip()
    if target:
        module, _, name = target.partition(":")
        found.append(getattr(importlib.import_module(module), name))
    return found


def notify(subject: str, body: str, lookup: Lookup = setting) -> int:
    """Send to every configured notifier; return how many delivered."""
    delivered = 0
    for send in notifiers(lookup):
        try:
            send(subject, body)
            delivered += 1
        except Exception as exc:  # noqa: BLE001 - a notifier must not mask the failure itself
            log.error("notifier %r could not deliver %r: %s", send, subject, exc)
    return delivered


def describe_failure(context: dict) -> tuple[str, str]:
    """Subject and body for a failed task of a monthly run, from Airflow's task context."""
    ti = context.get("ti") or context.get("task_instance")
    params = context.get("params") or {}
    run_id = context.get("run_id") or getattr(ti, "run_id", "?")
    task_id = getattr(ti, "task_id", "?")
    month = params.get("month") or "the run's month"
    exception = context.get("exception")
    refused = "refused" in str(exception).lower()
    verdict = "REFUSED" if refused else "FAILED"
    subject = f"[fangpin] {month}: {verdict} at {task_id} (run {run_id})"
    body = "\n".join([
        f"fangpin_monthly run {run_id}, month {month}: task {task_id} {verdict.lower()}.",
        f"cause: {type(exception).__name__ if exception else '?'}: {exception}",
        f"landing: {params.get('landing', '?')}",
        "marts are unchanged by this run; `fangpin status` and ops.run_log say more.",
    ])
    return subject, body


def on_task_failure(context: dict) -> None:
    """Airflow ``on_failure_callback``: tell the configured notifiers."""
    subject, body = describe_failure(context)
    log.info("notifying: %s (%d delivered)", subject, notify(subject, body))
