"""Non-HTTP entry points (stream records, queue messages, schedules). app.py
declares the Chalice event handlers; their bodies call into here."""
