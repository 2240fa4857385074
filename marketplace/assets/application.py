"""A registration application and the submission that carries it to review, as typed values.

The application is what the supplier signs (EIP-712, ``certificate.application_typed_data``);
its JSON form (``document``) is exactly ``certificate.application``'s, key for key and in the
same order, so that the typed data built from it, the signatures over it and the API's answers
do not depend on whether the application went through this model. A
submission is the signed application waiting for review; the asset stores it as JSON
(``Asset.submission``) until the review decides it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from marketplace.assets import certificate as cert
from marketplace.assets.models import RegistrationType


class RegistrationApplication(BaseModel):
    """The fields of an ``AssetRegistration`` in their JSON form: hashes as 0x-hex (zero when
    absent), the nonce as a decimal string (canonical JSON holds integers only up to 2**53)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    asset_id: int
    revision: int
    registration_type: RegistrationType
    content_hash: str
    chunk_root: str
    schema_hash: str
    owner: str
    rights: list[str]
    classification: str
    nonce: str
    deadline: int

    def document(self) -> dict[str, Any]:
        """The JSON form the supplier signs and the journal stores."""
        return self.model_dump(mode="json")

    def typed_data(self, domain: dict[str, Any]) -> dict[str, Any]:
        return cert.application_typed_data(self.document(), domain)


class Submission(BaseModel):
    """A signed application waiting for review, with the EIP-712 domain it was signed under."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application: RegistrationApplication
    signature: str
    signer: str
    domain: dict[str, Any]

    def document(self) -> dict[str, Any]:
        """The JSON form ``Asset.submission`` stores."""
        return {
            "application": self.application.document(),
            "signature": self.signature,
            "signer": self.signer,
            "domain": dict(self.domain),
        }


class ApplicationToSign(BaseModel):
    """What ``GET /assets/{id}/application`` answers: the application and its EIP-712 typed data
    as a wallet takes it."""

    model_config = ConfigDict(frozen=True)

    application: RegistrationApplication
    typed_data: dict[str, Any]

    def document(self) -> dict[str, Any]:
        return {"application": self.application.document(), "typed_data": self.typed_data}


__all__ = ["ApplicationToSign", "RegistrationApplication", "Submission"]
