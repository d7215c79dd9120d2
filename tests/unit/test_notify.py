"""The failure notifier, against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, list[str]]]:
    from aiosmtpd.controller import Controller

    from fangpin.orchestration.airflow_env import free_port

    received: list[str] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
            received.append(envelope.content.decode("utf8", errors="replace"))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


class _TI:
    task_id = "audit"
    run_id = "manual__x"


def test_a_refused_month_is_mailed_to_the_configured_address(smtp_sink) -> None:
    from fangpin.orchestration.notify import describe_failure, notify

    port, received = smtp_sink
    settings = {"notify_email_to": "ops@fangpin.test, bi@fangpin.test",
                "smtp_host": "127.0.0.1", "smtp_port": str(port)}
    subject, body = describe_failure({
        "ti": _TI(), "run_id": "manual__x", "params": {"month": "2021-03", "landing": "/l"},
        "exception": RuntimeError("2021-03: audit refused the publish; blocking checks failed"),
    })
    assert notify(subject, body, lambda key, default: settings.get(key, default)) == 1
    assert len(received) == 1
    mail = received[0]
    assert "2021-03: REFUSED at audit (run manual__x)" in mail
    assert "ops@fangpin.test" in mail and "bi@fangpin.test" in mail


def test_nothing_configured_sends_nothing_and_a_dead_server_does_not_raise() -> None:
    from fangpin.orchestration.notify import notify

    assert notify("s", "b", lambda key, default: default) == 0
    dead = {"notify_email_to": "ops@x", "smtp_host": "127.0.0.1", "smtp_port": "1"}
    assert notify("s", "b", lambda key, default: dead.get(key, default)) == 0
