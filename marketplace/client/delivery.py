"""``bourse.delivery``: your organisation's licences, signed download URLs, downloading (with
resume, the proof-of-delivery check and, for key-wrapped delivery, unwrapping and decrypting
with your X25519 private key), the organisation's delivery key, and receipts."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import x25519

from marketplace import limits
from marketplace.blobs.envelope import DecryptionError, decrypt_stream
from marketplace.client.session import DatabourseClientError, Session, error_of
from marketplace.delivery import wrapping
from marketplace.delivery.schemas import (
    DeliveryKeyView,
    DownloadUrl,
    LicencePage,
    LicenceView,
    ReceiptView,
)
from marketplace.orders.schemas import OrderPublic
from marketplace.transparency.schemas import EntryPage

#: Called as bytes arrive: (bytes so far, total bytes).
Progress = Callable[[int, int], None]
RESUME_ATTEMPTS = 5  # an interrupted transfer is resumed with Range this many times


@dataclass(frozen=True)
class Downloaded:
    """What ``download`` wrote: the file, the SHA-256 of the bytes served (checked against the
    ``delivery.served`` entry), and the entry's seq (for the receipt). Key-wrapped: the bytes
    served are the ciphertext, and ``plain_sha256`` is the file's, checked against the
    revision's ``asset.revision_added`` entry."""

    path: Path
    size_bytes: int
    sha256: str
    served_seq: int
    licence_id: int
    mode: str
    plain_sha256: str | None = None


class Delivery:
    def __init__(self, session: Session) -> None:
        self._session = session

    def licences(self, *, before_id: int | None = None, limit: int = 50) -> LicencePage:
        """Your organisation's licences, newest first; pass the page's ``next_before_id`` as
        ``before_id`` for the next page."""
        params: dict[str, Any] = {"limit": limit}
        if before_id is not None:
            params["before_id"] = before_id
        return self._session.call(LicencePage, "GET", "/licences", params=params)

    def licence(self, licence_id: int) -> LicenceView:
        return self._session.call(LicenceView, "GET", f"/licences/{licence_id}")

    def licence_for_order(self, order_id: int) -> LicenceView:
        """The licence order ``order_id`` granted your organisation, from every page of your
        licences. An important-data order an operator has not approved yet has none: 409
        ``awaiting_approval``; else 404 ``licence_not_found``."""
        before_id: int | None = None
        while True:
            page = self.licences(before_id=before_id, limit=limits.page_size_max)
            for licence in page.items:
                if licence.order_id == order_id:
                    return licence
            if page.next_before_id is None:
                break
            before_id = page.next_before_id
        order = self._session.call(OrderPublic, "GET", f"/orders/{order_id}")
        if order.needs_approval and order.status == "paid":
            raise DatabourseClientError(
                409, "awaiting_approval",
                f"order {order_id} is of important data and waits for an operator's approval: "
                "it has no licence until then",
            )  # fmt: skip
        raise DatabourseClientError(
            404, "licence_not_found", f"order {order_id} has no licence your organisation holds"
        )

    def register_key(self, public_key_hex: str) -> DeliveryKeyView:
        body = {"public_key": public_key_hex}
        return self._session.call(
            DeliveryKeyView, "PUT", "/organizations/me/delivery-key", json=body
        )

    def key(self) -> DeliveryKeyView:
        return self._session.call(DeliveryKeyView, "GET", "/organizations/me/delivery-key")

    def download_url(self, licence_id: int) -> DownloadUrl:
        """A signed URL (counts one download; writes ``delivery.served``)."""
        path = f"/licences/{licence_id}/download-url"
        return self._session.call(DownloadUrl, "POST", path)

    def download(
        self,
        licence_id: int,
        destination: Path,
        *,
        private_key: x25519.X25519PrivateKey | None = None,
        progress: Progress | None = None,
    ) -> Downloaded:
        """Download the licensed revision to ``destination``. The bytes are written under a
        temporary name, resumed with ``Range`` if the transfer breaks, and checked against the
        SHA-256 the ``delivery.served`` entry recorded before anything is renamed. Key-wrapped
        deliveries need ``private_key`` (the organisation's X25519 key): the data key is
        unwrapped (HPKE) and the ciphertext decrypted into ``destination``."""
        if private_key is None and self.licence(licence_id).delivery_mode == "key_wrapped":
            # Asked before the URL: every URL counts one of the licence's downloads.
            raise DatabourseClientError(
                0,
                "key_required",
                "this licence is delivered key-wrapped: pass your organisation's X25519 private "
                "key (private_key= in the Python client; --key FILE with bourse download; "
                "none yet: bourse delivery-key create FILE registers one); no download was "
                "counted",
            )
        url = self.download_url(licence_id)
        proof = self._served(url)
        served = str(proof["sha256"])
        if served != url.sha256:
            raise DatabourseClientError(
                0, "proof_mismatch", f"entry {url.served_seq} records {served}, not {url.sha256}"
            )
        partial = destination.with_name(destination.name + ".part")
        plain_sha256: str | None = None
        try:
            digest = self._fetch(url, partial, progress)
            if digest != served:
                raise DatabourseClientError(
                    0,
                    "content_mismatch",
                    f"the bytes received hash to {digest}, but delivery.served (entry "
                    f"{url.served_seq}) records {served}; nothing was written to {destination}",
                )
            if url.mode == "key_wrapped":
                assert private_key is not None
                expected = self._revision_hash(int(proof["asset_id"]), int(proof["revision"]))
                plain_sha256 = _decrypt_to(url, private_key, partial, destination, expected)
            else:
                partial.replace(destination)
        finally:
            partial.unlink(missing_ok=True)
        return Downloaded(
            path=destination,
            size_bytes=url.size_bytes,
            sha256=digest,
            served_seq=url.served_seq,
            licence_id=licence_id,
            mode=url.mode,
            plain_sha256=plain_sha256,
        )

    def _served(self, url: DownloadUrl) -> dict[str, Any]:
        """The payload of the URL's ``delivery.served`` entry, which must name its download."""
        seq = url.served_seq
        page = self._session.call(
            EntryPage, "GET", "/ledger/entries", params={"after_seq": seq - 1, "limit": 1}
        )
        entry = page.items[0] if page.items else None
        if entry is None or entry.seq != seq or entry.kind != "delivery.served":
            raise DatabourseClientError(0, "proof_missing", f"no delivery.served entry {seq}")
        payload = dict(entry.payload)
        if (payload.get("licence_id"), payload.get("download_id")) != (
            url.licence_id,
            url.download_id,
        ):
            raise DatabourseClientError(
                0, "proof_mismatch", f"entry {seq} records another download than this URL's"
            )
        return payload

    def _revision_hash(self, asset_id: int, revision: int) -> str:
        """The content hash the revision's ``asset.revision_added`` entry recorded: what the
        plaintext of a key-wrapped delivery must hash to."""
        after = 0
        while True:
            params = {
                "subject": f"asset:{asset_id}",
                "kind": "asset.revision_added",
                "after_seq": after,
                "limit": limits.page_size_max,
            }
            page = self._session.call(EntryPage, "GET", "/ledger/entries", params=params)
            for entry in page.items:
                if entry.payload.get("revision") == revision:
                    return str(entry.payload["content_hash"])
            if page.next_after_seq is None:
                raise DatabourseClientError(
                    0,
                    "proof_missing",
                    f"no asset.revision_added entry for revision {revision} of asset {asset_id}",
                )
            after = page.next_after_seq

    def _fetch(self, url: DownloadUrl, partial: Path, progress: Progress | None) -> str:
        """Stream the URL into ``partial``, resuming from the bytes already written when the
        connection breaks (``Range``, under ``If-Range`` naming the bytes the URL serves: a
        whole answer instead of a part starts the file again); returns the SHA-256 of the
        whole file."""
        digest = hashlib.sha256()
        written = 0
        resume = {"If-Range": f'"{url.sha256}"'}
        with partial.open("wb") as out:
            for attempt in range(RESUME_ATTEMPTS + 1):
                headers = {"Range": f"bytes={written}-", **resume} if written else {}
                try:
                    with self._session.http.stream("GET", url.path, headers=headers) as response:
                        if response.is_error:
                            response.read()
                            raise error_of(response)
                        if written and response.status_code != 206:  # the whole file again
                            out.seek(0)
                            out.truncate()
                            digest, written = hashlib.sha256(), 0
                        for block in response.iter_bytes():
                            out.write(block)
                            digest.update(block)
                            written += len(block)
                            if progress is not None:
                                progress(written, url.size_bytes)
                    if written >= url.size_bytes:
                        break
                except httpx.TransportError as exc:
                    if attempt == RESUME_ATTEMPTS:
                        raise DatabourseClientError(
                            0,
                            "unreachable",
                            f"the download broke off after {written} of {url.size_bytes} bytes "
                            f"{RESUME_ATTEMPTS + 1} times: {exc}; run the command again",
                        ) from exc
        return digest.hexdigest()

    def receipt(
        self, licence_id: int, *, served_seq: int, sha256: str, private_key: bytes | None = None
    ) -> ReceiptView:
        """Sign the receipt for the download ``served_seq`` recorded: the exchange signs with a
        custodial account's key; self-custody accounts pass ``private_key`` and sign here."""
        body: dict[str, Any] = {"served_seq": served_seq, "sha256": sha256}
        path = f"/licences/{licence_id}/receipt"
        if private_key is not None:
            from marketplace.identity import signing

            typed = self._session.json("GET", path + "/draft", params=body)
            body["signature"] = signing.sign(private_key, typed)
        return self._session.call(ReceiptView, "POST", path, json=body)


def _decrypt_to(
    url: DownloadUrl,
    private_key: x25519.X25519PrivateKey,
    ciphertext: Path,
    destination: Path,
    expected_sha256: str,
) -> str:
    """Unwrap the data key and decrypt ``ciphertext`` into ``destination``, only if the
    plaintext hashes to ``expected_sha256`` (the revision's recorded content hash); its hash."""
    assert url.wrapped_key is not None
    context = wrapping.info(url.licence_id, url.download_id, url.sha256)
    try:
        data_key = wrapping.unwrap(base64.b64decode(url.wrapped_key), private_key, context)
    except wrapping.UnwrapError as exc:
        raise DatabourseClientError(0, "unwrap_failed", str(exc)) from exc
    plain = destination.with_name(destination.name + ".plain.part")
    digest = hashlib.sha256()
    try:
        with ciphertext.open("rb") as source, plain.open("wb") as out:
            for chunk in decrypt_stream(data_key, source):
                out.write(chunk)
                digest.update(chunk)
        if digest.hexdigest() != expected_sha256:
            raise DatabourseClientError(
                0,
                "content_mismatch",
                f"the data decrypted hash to {digest.hexdigest()}, but the revision's "
                f"asset.revision_added entry records {expected_sha256}; nothing was written to "
                f"{destination}",
            )
        plain.replace(destination)
    except DecryptionError as exc:
        raise DatabourseClientError(0, "decryption_failed", str(exc)) from exc
    finally:
        plain.unlink(missing_ok=True)
    return digest.hexdigest()


def load_private_key(path: Path) -> x25519.X25519PrivateKey:
    """An X25519 private key from a PEM file (PKCS#8, as ``bourse delivery-key create`` writes)
    or 64 hex digits."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        key = load_pem_private_key(data, password=None)
        if not isinstance(key, x25519.X25519PrivateKey):
            raise ValueError(f"{path} holds a private key, but not an X25519 one")
        return key
    return x25519.X25519PrivateKey.from_private_bytes(bytes.fromhex(data.decode().strip()))
