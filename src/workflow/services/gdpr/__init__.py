"""Personal data under UK GDPR: erasure, subject access export, retention, redacted copies.

Where personal data lives is declared once, in ``workflow.db.personal``.
"""
