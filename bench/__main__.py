"""Benchmarks. `make bench` runs them all with their default sizes; each prints its figures."""

import argparse

from bench import chat_latency, context, pages, step_overhead, tool_sandbox, traces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="tiny sizes, for a smoke run")
    args = parser.parse_args()
    step_overhead.main(small=args.small)
    context.main(small=args.small)
    pages.main(small=args.small)
    traces.main(small=args.small)
    chat_latency.main(small=args.small)
    tool_sandbox.main(small=args.small)


if __name__ == "__main__":
    main()
