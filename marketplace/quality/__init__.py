"""Quality evaluation after GB/T 36344-2018: six dimensions, per-column profile, report hash."""

from marketplace.quality.compare import Comparison, compare
from marketplace.quality.declared import Declared
from marketplace.quality.errors import DeclarationError
from marketplace.quality.evaluation import evaluate
from marketplace.quality.report import DIMENSIONS, QualityReport

__all__ = [
    "DIMENSIONS",
    "Comparison",
    "DeclarationError",
    "Declared",
    "QualityReport",
    "compare",
    "evaluate",
]
