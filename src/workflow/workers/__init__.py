"""Workers: the broker, the middleware every message shares, the outbox relay and the actors."""
