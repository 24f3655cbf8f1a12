"""Facts the privacy notice states, kept next to the code that makes them true."""

RETENTION_DAYS = 180
"""Personal data of registrations is anonymised this many days after the meeting."""
