"""The web application for hub staff and the national team (Flask, GOV.UK Design System).

``create_app`` in ``app.py`` builds it; nothing is built at import time. The contract
(routes, labels, sign-in rules) is ``../shared/web.md``.
"""
