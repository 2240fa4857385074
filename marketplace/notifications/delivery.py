"""The webhook delivery worker: POSTs each queued notification to its organisation's webhook,
signed, retrying with backoff, until it is delivered or its attempts are spent.

Protocol (each step is its own short transaction; no transaction is open during the POST):

1. Due: read a few deliveries that are pending with ``next_attempt_at`` passed, or claimed by a
   worker whose claim expired (it died mid-delivery).
2. Claim: one conditional UPDATE per row sets ``delivering``, the holder, ``claimed_until`` and
   counts the attempt. Two workers never both claim a row: the second's UPDATE matches nothing.
   In the same transaction read the notification, the webhook's URL and its sealed secret.
3. Send: check the URL against the SSRF rules again (DNS may have changed since it was set),
   connect to the address just checked (not to a second look-up: no DNS rebinding), POST the
   JSON body with the signature headers, never follow a redirect; a 2xx answer is success.
4. Record: delivered; or, on failure, pending again after an exponential, jittered backoff, or
   failed once ``webhook_attempts_max`` attempts are spent. Only the claim's holder may record
   (a worker whose claim expired changes nothing).

Delivery is at least once: a worker that dies after the POST and before step 4 leaves the row
to be sent again when its claim expires. Receivers deduplicate on ``Databourse-Webhook-Id``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy.engine import Engine

from ledger.models import as_utc, utc_now
from marketplace import limits
from marketplace.db import unit_of_work
from marketplace.notifications import repository, signing
from marketplace.notifications.backoff import Jitter, delay_s
from marketplace.notifications.models import DeliveryStatus, Notification, WebhookEndpoint
from marketplace.notifications.sealing import SealedSecret, SecretDecryptionError, open_sealed
from marketplace.notifications.urls import (
    CheckedUrl,
    Resolver,
    UnsafeUrl,
    check_webhook_url,
    system_resolver,
)
from marketplace.runtime import Runtime
from marketplace.settings import Settings
from marketplace.workers import PollingWorker, attach_worker, holder_name

log = logging.getLogger(__name__)

USER_AGENT = "Databourse-Webhooks/1"
_BACKOFF_S_MAX = 60.0  # the loop's own wait after an unexpected error, at most


class _Unsendable(Exception):
    """A claimed delivery that cannot be sent at all; the message says why."""


@dataclass(frozen=True)
class Attempt:
    """One claimed delivery, ready to send."""

    notification_id: int
    number: int
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None


def body_of(notification: Notification) -> bytes:
    """The JSON the receiver gets: the same bytes on every attempt."""
    assert notification.id is not None
    document = {
        "id": notification.id,
        "organization_id": notification.organization_id,
        "kind": notification.kind,
        "subject": notification.subject,
        "created_at": as_utc(notification.created_at).isoformat(),
        "payload": notification.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _secret(settings: Settings, endpoint: WebhookEndpoint) -> str:
    sealed = SealedSecret(endpoint.master_key_id, endpoint.secret_nonce, endpoint.secret_ciphertext)
    return open_sealed(settings.master_key_bytes, endpoint.organization_id, sealed)


class DeliveryWorker(PollingWorker):
    """One delivery worker. ``step()`` sends what is due now; the loop (``marketplace/workers.py``)
    calls it every ``webhook_poll_s``, at once again while it sent something."""

    name = "webhook-delivery"

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        holder: str | None = None,
        resolver: Resolver = system_resolver,
        jitter: Jitter = random.random,
    ) -> None:
        super().__init__(settings.webhook_poll_s, backoff_s_max=_BACKOFF_S_MAX)
        self.engine = engine
        self.settings = settings
        self.holder = holder or holder_name(self)
        self._resolver = resolver
        self._jitter = jitter
        self._http = httpx.Client(
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: we connect where we checked
            timeout=settings.webhook_timeout_s,
            headers={"User-Agent": USER_AGENT},
        )

    # ------------------------------------------------------------------ loop

    def poll_once(self) -> bool:
        return self.step() > 0

    def stop(self, timeout_s: float = 15.0) -> None:
        super().stop(timeout_s)
        self._http.close()

    def step(self) -> int:
        """Steps 1 to 4 for the deliveries due now; how many were attempted."""
        with unit_of_work(self.engine) as session:
            due = repository.due_ids(session, utc_now(), limits.webhook_deliveries_per_step_max)
        attempted = 0
        for notification_id in due:
            attempt = self.claim(notification_id)
            if attempt is None:
                continue
            attempted += 1
            self.record(attempt, self.send(attempt))
        return attempted

    # ------------------------------------------------------------------ steps

    def claim(self, notification_id: int) -> Attempt | None:
        """Step 2: the delivery claimed for this worker, or None when another worker has it, or
        it cannot be sent at all (then it is recorded failed here)."""
        now = utc_now()
        until = now + timedelta(seconds=limits.webhook_claim_s + self.settings.webhook_timeout_s)
        with unit_of_work(self.engine) as session:
            if not repository.claim(session, notification_id, self.holder, now, until):
                return None
            delivery = repository.delivery(session, notification_id)
            notification = repository.notification(session, notification_id)
            assert delivery is not None
            assert notification is not None
            endpoint = repository.webhook(session, delivery.organization_id)
            try:
                secret = self._sendable(delivery.attempts, endpoint)
            except _Unsendable as exc:
                repository.finish(
                    session,
                    notification_id,
                    self.holder,
                    status=DeliveryStatus.failed.value,
                    last_error=str(exc),
                )
                return None
            assert endpoint is not None
            return Attempt(
                notification_id, delivery.attempts, endpoint.url, secret, body_of(notification)
            )

    def _sendable(self, attempts: int, endpoint: WebhookEndpoint | None) -> str:
        """The secret to sign with, or _Unsendable saying why this delivery cannot be sent."""
        if endpoint is None:
            raise _Unsendable("the organisation removed its webhook")
        if attempts > self.settings.webhook_attempts_max:
            raise _Unsendable("attempts spent (a worker stopped before recording its last)")
        try:
            return _secret(self.settings, endpoint)
        except SecretDecryptionError as exc:
            raise _Unsendable(str(exc)) from exc

    def send(self, attempt: Attempt) -> Outcome:
        """Step 3: one signed POST; never raises."""
        try:
            checked = check_webhook_url(
                attempt.url,
                allow_loopback=self.settings.webhook_allow_loopback,
                resolver=self._resolver,
            )
        except UnsafeUrl as exc:
            return Outcome(ok=False, error=f"URL refused: {exc}")
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            signing.ID_HEADER: str(attempt.notification_id),
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.signature(attempt.secret, timestamp, attempt.body),
            signing.ATTEMPT_HEADER: str(attempt.number),
        }
        try:
            status = self._post(checked, attempt.body, headers)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
        if 200 <= status < 300:
            return Outcome(ok=True, status_code=status)
        what = "a redirect, not followed" if 300 <= status < 400 else "not a 2xx answer"
        return Outcome(ok=False, status_code=status, error=f"HTTP {status}: {what}")

    def _post(self, checked: CheckedUrl, body: bytes, headers: dict[str, str]) -> int:
        """POSTs to the checked addresses in turn (the next only when one refuses the
        connection); the answer's status. The answer's body is never read."""
        for i, address in enumerate(checked.addresses):
            target, host, sni = _pinned(checked, address)
            try:
                with self._http.stream(
                    "POST",
                    target,
                    content=body,
                    headers={**headers, "Host": host},
                    extensions={"sni_hostname": sni} if sni else {},
                ) as response:
                    return response.status_code
            except httpx.ConnectError:
                if i == len(checked.addresses) - 1:
                    raise
        raise AssertionError("a checked URL has at least one address")

    def record(self, attempt: Attempt, outcome: Outcome) -> None:
        """Step 4: delivered, pending again after the backoff, or failed."""
        now = utc_now()
        error = None if outcome.error is None else outcome.error[: limits.webhook_error_length_max]
        if outcome.ok:
            values: dict[str, object] = {
                "status": DeliveryStatus.delivered.value,
                "delivered_at": now,
                "last_status_code": outcome.status_code,
                "last_error": None,
            }
        elif attempt.number >= self.settings.webhook_attempts_max:
            values = {"status": DeliveryStatus.failed.value}
        else:
            wait_s = delay_s(
                attempt.number,
                self.settings.webhook_backoff_s_min,
                self.settings.webhook_backoff_s_max,
                self._jitter,
            )
            values = {
                "status": DeliveryStatus.pending.value,
                "next_attempt_at": now + timedelta(seconds=wait_s),
            }
        if not outcome.ok:
            values |= {"last_status_code": outcome.status_code, "last_error": error}
        with unit_of_work(self.engine) as session:
            if not repository.finish(session, attempt.notification_id, self.holder, **values):
                log.warning(
                    "webhook delivery %d: claim lost before recording", attempt.notification_id
                )
                return
        log.info(
            "webhook delivery %d attempt %d: %s",
            attempt.notification_id,
            attempt.number,
            values["status"],
            extra={"fields": {"notification_id": attempt.notification_id, "error": error}},
        )


def _pinned(checked: CheckedUrl, address: str) -> tuple[str, str, str | None]:
    """The URL to connect to ``address`` (one the check returned), the Host header, and the
    TLS server name."""
    parts = urlsplit(checked.url)
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    target = urlunsplit(
        (parts.scheme, f"{literal}:{checked.port}", parts.path or "/", parts.query, "")
    )
    host = parts.netloc.rsplit("@", 1)[-1]
    return target, host, checked.host if parts.scheme == "https" else None


def attach_delivery(runtime: Runtime, *, start_worker: bool | None = None) -> None:
    """Start the delivery worker in this process when ``worker_in_process`` (or
    ``start_worker``) says so, and stop it at shutdown."""
    attach_worker(runtime, lambda: DeliveryWorker(runtime.engine, runtime.settings), start_worker)
