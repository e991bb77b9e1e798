"""Benchmarks. `make bench` runs them all with their default sizes; each prints its figures.

`python -m bench concurrency --sends 200 500` runs only the concurrency bench, at the sizes given;
`python -m bench postgres` one send's cost on PostgreSQL with and without the connection pool;
`python -m bench scaleout --sends 1000` only the two-process bench on PostgreSQL + Redis;
`python -m bench memory --agents 10000` only the idle-memory one; `python -m bench followers [--followers N]
[--poll-interval S]` only the stream followers' one. `python -m bench --smoke` runs every bench at a
tiny size (concurrency on SQLite only), for CI: it checks that they run, not how fast.
"""

import argparse
import sys

from bench import (
    chat_latency,
    concurrency,
    context,
    followers,
    memory,
    pages,
    postgres_send,
    scaleout,
    step_overhead,
    tool_sandbox,
    traces,
)

# Benches run alone, with their own flags: `python -m bench NAME ...`.
COMMANDS = {
    "concurrency": concurrency.cli,
    "followers": followers.cli,
    "memory": memory.cli,
    "postgres": postgres_send.cli,
    "scaleout": scaleout.cli,
}


def main() -> None:
    if sys.argv[1:2] and sys.argv[1] in COMMANDS:
        COMMANDS[sys.argv[1]](sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", "--small", dest="small", action="store_true", help="tiny sizes, for a smoke run")
    args = parser.parse_args()
    step_overhead.main(small=args.small)
    context.main(small=args.small)
    pages.main(small=args.small)
    traces.main(small=args.small)
    chat_latency.main(small=args.small)
    tool_sandbox.main(small=args.small)
    followers.main(small=args.small)
    memory.main(small=args.small)
    # Last: it points this process at PostgreSQL for a while.
    concurrency.main(small=args.small, databases=("sqlite",) if args.small else ("sqlite", "postgres"))
    scaleout.main(small=args.small)
    print("bench: done")


if __name__ == "__main__":
    main()
