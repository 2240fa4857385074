"""Quality evaluation after GB/T 36344-2018: six dimensions, per-column profile, report hash."""

from marketplace.quality.compare import Comparison, compare
from marketplace.quality.metrics import evaluate
from marketplace.quality.report import DIMENSIONS, QualityReport
from marketplace.quality.schema import DeclarationError, Declared

__all__ = [
    "DIMENSIONS",
    "Comparison",
    "DeclarationError",
    "Declared",
    "QualityReport",
    "compare",
    "evaluate",
]
