"""Disputes and arbitration: a party opens a dispute on an order, both sides and the exchange
submit signed evidence, drawn arbitrators rule, an appeal goes to a panel of three, and the final
ruling settles the escrow through the books, exactly once (docs/disputes.md)."""
