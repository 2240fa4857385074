"""The dispute rules, one module per concern (docs/disputes.md)."""
