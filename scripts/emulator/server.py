"""The test AWS emulator: moto's server app on 127.0.0.1 plus the Step Functions actions of
sfn_actions.py. Run through scripts/aws-emulator, which checks the installs first.

The first line of standard output is the URL, printed once the server answers; SIGTERM and
SIGINT stop the server and the validator process and exit 0. Request logs go to stderr.
"""

import argparse
import os
import signal
import sys
import threading
import urllib.error
import urllib.request

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from asl_validator import AslValidator
import sfn_actions

HOST = "127.0.0.1"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="aws-emulator",
        description="Start the test AWS emulator (moto + Step Functions validation) on 127.0.0.1.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="port to listen on (default: a free port chosen by the system)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"`--port` must be between 0 and 65535, got {args.port}")
    return args


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/moto-api/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    validator = AslValidator()
    try:
        sfn_actions.install(validator)
        app = DomainDispatcherApplication(create_backend_app)
        try:
            server = make_server(
                HOST, args.port, app, threaded=True, request_handler=MotoRequestHandler
            )
        except SystemExit:
            # werkzeug has printed its own lines about the port already.
            print(
                f"aws-emulator: error: port {args.port} is in use: pick another `--port`, "
                "or leave it out for a free one",
                file=sys.stderr,
            )
            return 1
        url = f"http://{HOST}:{server.port}"
        # moto builds some URLs (Lambda environments, Batch) from MOTO_PORT.
        os.environ["MOTO_PORT"] = str(server.port)
        thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
        thread.start()
        while not answers(url):
            if stop.wait(0.05) or not thread.is_alive():
                server.shutdown()
                return 1 if not stop.is_set() else 0
        print(url, flush=True)
        print(f"aws-emulator: listening on {url} (validator pid {validator.pid})", file=sys.stderr)
        while not stop.wait(1):
            if not thread.is_alive():
                print("aws-emulator: the server thread stopped", file=sys.stderr)
                return 1
        server.shutdown()
        print("aws-emulator: stopped", file=sys.stderr)
        return 0
    finally:
        validator.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
