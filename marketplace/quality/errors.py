"""Quality errors. The service's carry their HTTP status and a stable code under the one root;
``DeclarationError`` is a ``ValueError`` so that a request body's validator turns it into a 422
naming the field, and the service turns it into ``NotEvaluable``."""

from __future__ import annotations

from marketplace.errors import NotFound, Unprocessable


class DeclarationError(ValueError):
    """A declaration (schema, rule, frequency) is malformed. The message names the part."""


class NotEvaluable(Unprocessable):
    code = "not_evaluable"


class QualityReportNotFound(NotFound):
    code = "quality_report_not_found"
