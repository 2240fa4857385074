"""The tamper-evident journal, its Merkle batches, chain anchoring, receipts and verifiers.

This package never imports ``marketplace``.
"""
