"""The tracking use cases: a click starts a session, a postback or pixel records a conversion."""
