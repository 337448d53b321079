"""The city's complaint process as plain Python: cases, their lifecycle, the
reports they come from, tracking codes and domain events. No I/O here."""
