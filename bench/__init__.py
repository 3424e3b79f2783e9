"""`make bench`: cold start, round trips, capacity, warm CPU, cost and a bounded load run."""
