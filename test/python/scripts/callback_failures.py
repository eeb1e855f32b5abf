"""The callback never raises into Airflow: a dead server, a server that never answers, a bad key
and an unknown agent each end in a logged warning and None."""

import logging
import os
import socket

from agentry_client import agentry_callback
from fake_airflow import RuntimeTaskInstance3, context_3, emit, install_airflow

install_airflow("3.1.0")


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append((record.levelname, record.getMessage()))


collected = Collect()
logger = logging.getLogger("test.callback")
logger.addHandler(collected)
logger.setLevel(logging.INFO)

ti = RuntimeTaskInstance3("etl", "extract", "manual__1", try_number=1, max_tries=0)
context = context_3(ti)

# Nothing listens on a port that was just closed.
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
dead_port = probe.getsockname()[1]
probe.close()
# Accepts connections and never answers.
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(8)
silent_port = silent.getsockname()[1]

results = {
    "dead": agentry_callback("incident-commander", url="http://127.0.0.1:{}".format(dead_port), logger=logger)(context),
    "silent": agentry_callback("incident-commander", url="http://127.0.0.1:{}".format(silent_port), timeout=1, logger=logger)(context),
    "bad_key": agentry_callback("incident-commander", api_key="agentry_wrong", logger=logger)(context),
    "unknown_agent": agentry_callback("no-such-agent", logger=logger)(context),
    "none_context": agentry_callback("incident-commander", url="http://127.0.0.1:{}".format(dead_port), logger=logger)(None),
}
silent.close()
emit({"results": results, "log": collected.lines, "url": os.environ["AGENTRY_URL"]})
