"""Run ``localstripe`` bound to loopback, without its pickle file.

Its own CLI listens on every interface and re-pickles the whole store to a fixed path
in /tmp on every write; this entry point does neither.
``python -m tools.devstack.stripe --port 8420``
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()

    from aiohttp import web
    from localstripe import resources, server

    resources.Store.dump_to_disk = lambda self: None
    print(f"localstripe listening on {args.host}:{args.port}", flush=True)
    web.run_app(server.app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
