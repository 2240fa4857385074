"""``bourse.valuation``: valuations of an asset: issue one (indicative, or certified by a
valuer whose key signs here or on the exchange), read them and their reports. Its schemas are
imported where used, like quality's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marketplace.client.session import Session

if TYPE_CHECKING:
    from marketplace.valuation.schemas import ValuationPublic


class Valuation:
    def __init__(self, session: Session) -> None:
        self._session = session

    def issue(
        self,
        asset_id: int,
        inputs: Mapping[str, Any],
        *,
        certified: bool = False,
        private_key: bytes | str | None = None,
    ) -> ValuationPublic:
        """Issue a valuation from ``inputs`` (``cost``, ``income``, ``market``, ``weights``).
        ``certified`` needs the valuer role: a custodial valuer's key signs on the exchange; a
        self-custody valuer passes ``private_key`` and the draft is signed here, locally."""
        from marketplace.valuation.schemas import ValuationPublic

        body: dict[str, Any] = {"inputs": dict(inputs)}
        if certified:
            body["kind"] = "certified"
        if certified and private_key is not None:
            body |= self._signed(asset_id, inputs, private_key)
        path = f"/assets/{asset_id}/valuations"
        return self._session.call(ValuationPublic, "POST", path, json=body)

    def _signed(
        self, asset_id: int, inputs: Mapping[str, Any], private_key: bytes | str
    ) -> dict[str, Any]:
        """The draft's fields and the valuer's signature over it, made here."""
        from marketplace.identity import signing

        draft = self.draft(asset_id, inputs)
        document = dict(draft["typed_data"])
        message = dict(document["message"])
        message["reportHash"] = bytes.fromhex(str(message["reportHash"]).removeprefix("0x"))
        key = (
            bytes.fromhex(private_key.removeprefix("0x"))
            if isinstance(private_key, str)
            else private_key
        )
        return {
            "issued_at": draft["issued_at"],
            "nonce": int(draft["nonce"]),
            "deadline": int(draft["deadline"]),
            "signature": signing.sign(key, {**document, "message": message}),
        }

    def draft(self, asset_id: int, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """A certified report to sign (valuers); writes nothing."""
        return self._session.json(
            "POST",
            f"/assets/{asset_id}/valuations/draft",
            json={"kind": "certified", "inputs": dict(inputs)},
        )

    def for_asset(self, asset_id: int) -> list[ValuationPublic]:
        """The asset's valuations that you may see, newest first."""
        from marketplace.valuation.schemas import ValuationPublic

        return self._session.call_list(ValuationPublic, f"/assets/{asset_id}/valuations")

    def get(self, asset_id: int, valuation_id: int) -> ValuationPublic:
        from marketplace.valuation.schemas import ValuationPublic

        path = f"/assets/{asset_id}/valuations/{valuation_id}"
        return self._session.call(ValuationPublic, "GET", path)

    def by_id(self, valuation_id: int) -> ValuationPublic:
        """A valuation by its own id, without knowing its asset."""
        from marketplace.valuation.schemas import ValuationPublic

        return self._session.call(ValuationPublic, "GET", f"/valuations/{valuation_id}")

    def report_html(self, asset_id: int, valuation_id: int) -> str:
        """The valuation report as an HTML page."""
        path = f"/assets/{asset_id}/valuations/{valuation_id}/report.html"
        return self._session.request("GET", path).text
