"""The local runtime: template.yaml's tables on an embedded DynamoDB and its routes on HTTP.

Developer tooling, not deployed: ``make run`` serves every function on
http://127.0.0.1:3000 with the event shape of ``sam local start-api``, without Docker.
"""

import os as _os

if _os.environ.get("GOALPOST_LOCAL_SHIFT_DAYS"):
    # The whole local stack (functions, streams, embedded DynamoDB) as if on another date:
    # the test suite's time-shifted run, or a demo of a date that is not today.
    import time as _time

    import time_machine as _time_machine

    _days = float(_os.environ["GOALPOST_LOCAL_SHIFT_DAYS"])
    _time_machine.travel(_time.time() + _days * 86400, tick=True).start()
