"""The dispute routes (docs/api.md#disputes)."""
