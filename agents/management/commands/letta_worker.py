"""`manage.py letta_worker`: a queue worker as a process of its own (agents/runtime/worker.py)."""

import asyncio
import signal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agents.runtime import leases
from agents.runtime.worker import Worker, default_queues


class Command(BaseCommand):
    help = (
        "Run a queue worker: take background runs (and their callbacks) from the database queue and run them, "
        "up to --concurrency at once, until stopped (SIGTERM or Ctrl-C: runs still going get --grace seconds)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            default=",".join(default_queues()),
            help="queues to serve, comma-separated (default: %(default)s; background runs: LETTA_RUN_QUEUE)",
        )
        parser.add_argument("--concurrency", type=int, default=None, help="tasks at once (LETTA_WORKER_CONCURRENCY)")
        parser.add_argument("--worker-id", default=None, help="a name unique among the workers (default: generated)")
        parser.add_argument("--grace", type=float, default=10.0, help="seconds runs get to finish when stopped")

    def handle(self, *, queue, concurrency, worker_id, grace, **options):
        queues = tuple(name.strip() for name in queue.split(",") if name.strip())
        if not queues:
            raise CommandError("--queue needs at least one queue name.")
        if concurrency is not None and concurrency < 1:
            raise CommandError("--concurrency must be at least 1.")
        # It renews the leases of the runs it holds and, like a web process, ends those of processes that died.
        leases.start(sweep=settings.RUN_SWEEP)
        worker = Worker(queues=queues, concurrency=concurrency, worker_id=worker_id)
        self.stdout.write(f"Worker {worker.worker_id} serving {', '.join(queues)}; SIGTERM or Ctrl-C stops it.")
        asyncio.run(self._serve(worker, grace))

    async def _serve(self, worker: Worker, grace: float) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.stop)
        await worker.serve()
        await worker.drain(grace)
        await sync_to_async(leases.release_worker)(worker.worker_id)
