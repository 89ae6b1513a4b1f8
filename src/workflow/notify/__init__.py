"""Emails: Jinja2 templates (text and HTML, with .ics invitations) and the senders (SMTP, files)."""
