"""HTTP for the tracking routes: API Gateway payload 2.0 in and out, codes to statuses."""
