"""The Python client for a Databourse exchange.

    from marketplace.client import Databourse

    with Databourse("http://127.0.0.1:8000") as bourse:
        bourse.identity.login("ada@example.org", "correct horse battery staple")
        print(bourse.identity.me().organization.verified)
        print(bourse.assets.get(7).status)
        receipt = bourse.ledger.receipt(bourse.assets.certificate(7)["seq"])

The root ``Databourse`` holds the session (the exchange's URL, the bearer token, one HTTP
connection pool) and one sub-client per domain: ``identity``, ``assets``, ``objections``,
``quality``, ``valuation``, ``listings``, ``demands``, ``ledger`` and ``inbox`` (notifications
and the webhook). Logging in and signing up live on ``identity`` with the other account calls
rather than on the root: there is one way to call each endpoint, and the token they obtain is
the session's, so every sub-client sends it.

Every method returns a pydantic model (or, for documents that ``bourse verify`` reads byte for
byte, the JSON as it came) and raises ``DatabourseClientError``, carrying the exchange's error
code and message, when the exchange refuses.
"""

from marketplace.client.bourse import Databourse
from marketplace.client.session import DatabourseClientError

__all__ = ["Databourse", "DatabourseClientError"]
