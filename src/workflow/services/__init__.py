"""The service layer: one function per command, each one unit of work (one transaction)."""
