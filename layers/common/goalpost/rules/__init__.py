"""Pure rules: no AWS, no HTTP. They answer in values and codes (``web.status`` maps codes to HTTP)."""
