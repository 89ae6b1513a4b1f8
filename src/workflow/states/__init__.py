"""The specialist lifecycle and the cohort rules: pure domain code, no database, broker or clock."""
