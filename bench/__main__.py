"""Benchmarks. `make bench` runs them all with their default sizes; each prints its figures.

`python -m bench concurrency --sends 200 500` runs only the concurrency bench, at the sizes given;
`python -m bench postgres` one send's cost on PostgreSQL with and without the connection pool;
`python -m bench scaleout --sends 1000` only the two-process bench on PostgreSQL + Redis."""

import argparse
import sys

from bench import (
    chat_latency,
    concurrency,
    context,
    pages,
    postgres_send,
    scaleout,
    step_overhead,
    tool_sandbox,
    traces,
)

# Benches run alone, with their own flags: `python -m bench NAME ...`.
ALONE = {"concurrency": concurrency.cli, "postgres": postgres_send.cli, "scaleout": scaleout.cli}


def main() -> None:
    if sys.argv[1:2] and sys.argv[1] in ALONE:
        ALONE[sys.argv[1]](sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="tiny sizes, for a smoke run")
    args = parser.parse_args()
    step_overhead.main(small=args.small)
    context.main(small=args.small)
    pages.main(small=args.small)
    traces.main(small=args.small)
    chat_latency.main(small=args.small)
    tool_sandbox.main(small=args.small)
    # Last: it points this process at PostgreSQL for a while.
    concurrency.main(small=args.small)
    scaleout.main(small=args.small)


if __name__ == "__main__":
    main()
