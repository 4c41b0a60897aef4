"""The Celery baseline of the no-op task benchmark: one no-op task, Redis as broker and result backend.

Worker: REDIS_URL=redis://127.0.0.1:6379 celery -A noop_app worker --pool=prefork --concurrency=2
"""

import os

from celery import Celery

app = Celery("bench", broker=os.environ["REDIS_URL"], backend=os.environ["REDIS_URL"])
app.conf.update(
    broker_connection_retry_on_startup=True,
    result_expires=3600,
    worker_hijack_root_logger=False,
)


@app.task(name="bench.noop")
def noop():
    return {"ok": True}
