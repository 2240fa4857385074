"""Delivery: the licence a paid order grants, signed download URLs that stream a revision
(decrypted, or key-wrapped for the buyer's X25519 key with HPKE), and proof of delivery
(``delivery.served`` with the SHA-256 of the bytes served, and the buyer's signed receipt)."""
