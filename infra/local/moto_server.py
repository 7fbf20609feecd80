"""moto's AWS endpoint in server mode, as the embedded stack runs it (``python -m infra.local.moto_server
-H HOST -p PORT``), with two fixes for throughput under a backlog:

- werkzeug's log line per request is off;
- moto checks each received message's retention period by computing *every* queue attribute,
  which counts all messages in the queue: receiving from a backlog of n messages cost O(n) per
  message. The check here reads the retention period alone (same rule, moto 5.2.5).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from moto.core.utils import unix_time
from moto.server import main
from moto.sqs.models import SQSBackend


def _still_retained(self: SQSBackend, queue_name: str, message: Any) -> bool:
    retention_s = int(self.get_queue(queue_name).message_retention_period)
    return retention_s + message.sent_timestamp / 1000 > unix_time()


if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    SQSBackend.is_message_valid_based_on_retention_period = _still_retained  # type: ignore[method-assign]
    main(sys.argv[1:])
