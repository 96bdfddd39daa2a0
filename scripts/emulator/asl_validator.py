"""A client for the long-lived Amazon States Language validator (validate-asl.js).

One node process answers every ValidateStateMachineDefinition call of the emulator: requests
and answers are JSON lines over its standard input and output, one at a time under a lock
(moto's server handles requests on several threads). A node process per call would add node's
start-up and module loading to every call: about three times slower (docs/emulator.md).
"""

import json
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "validate-asl.js"


class ValidatorError(RuntimeError):
    """The validator process failed; the request gets a server error, never an OK."""


class AslValidator:
    def __init__(self, node: str = "node") -> None:
        self._node = node
        self._lock = threading.Lock()
        self._next_id = 0
        self._proc: subprocess.Popen[str] | None = None
        self._start()

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            [self._node, str(SCRIPT)],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
            # Its own session: a Ctrl-C in the terminal reaches only the emulator, which then
            # closes the validator's input and waits for it.
            start_new_session=True,
        )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def validate(self, definition: object) -> list[dict]:
        """The validator's errors for a parsed definition: `code`, `message`, maybe `location`."""
        with self._lock:
            try:
                return self._ask(definition)
            except (BrokenPipeError, ValidatorError) as first:
                # A validator that died is started again once; a second failure is reported.
                print(f"aws-emulator: restarting the ASL validator: {first}", file=sys.stderr)
                self._stop()
                self._start()
                return self._ask(definition)

    def _ask(self, definition: object) -> list[dict]:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise ValidatorError("the ASL validator is not running")
        self._next_id += 1
        request_id = self._next_id
        proc.stdin.write(json.dumps({"id": request_id, "definition": definition}) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise ValidatorError(f"the ASL validator exited (status {proc.poll()})")
        answer = json.loads(line)
        if answer.get("id") != request_id:
            raise ValidatorError(f"the ASL validator answered request {answer.get('id')}, not {request_id}")
        if "crash" in answer:
            raise ValidatorError(f"the ASL validator failed: {answer['crash']}")
        return answer["errors"]

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # Closing its input is the stop signal (validate-asl.js exits when it closes).
        try:
            if proc.stdin:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def close(self) -> None:
        with self._lock:
            self._stop()
