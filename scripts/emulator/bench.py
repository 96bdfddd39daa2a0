#!/usr/bin/env python3
"""Cost of validating a state machine definition: one long-lived node process (what the
emulator does) against one node process per request.

Usage: .venv/bin/python scripts/emulator/bench.py [--requests N]   (default 50)

The definition is E-Com67's checkout (three Task states with retries), as the AWS provider
sends it. Prints the mean time per request for each way and the start-up of the long-lived one.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from asl_validator import AslValidator  # noqa: E402

LAMBDA_RETRY = [
    {
        "ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"],
        "IntervalSeconds": 2,
        "MaxAttempts": 3,
        "BackoffRate": 2,
    }
]


def lambda_task(function: str, next_state: str) -> dict:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {
            "FunctionName": f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
            "Payload.$": "$",
        },
        "OutputPath": "$.Payload",
        "Retry": LAMBDA_RETRY,
        "Next": next_state,
    }


CHECKOUT = {
    "Comment": "E-Com67 checkout",
    "StartAt": "ValidateCart",
    "States": {
        "ValidateCart": lambda_task("cart", "ProcessPayment"),
        "ProcessPayment": lambda_task("payment", "SendToOrderQueue"),
        "SendToOrderQueue": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {
                "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
                "MessageBody.$": "$",
            },
            "End": True,
        },
    },
}

ONE_SHOT = (
    'const v = require("asl-validator");'
    "const r = v(JSON.parse(process.argv[1]));"
    "process.stdout.write(JSON.stringify(r.errors));"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    n = parser.parse_args().requests

    t0 = time.perf_counter()
    validator = AslValidator()
    assert validator.validate(CHECKOUT) == []  # the first answer includes loading the module
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(n):
        assert validator.validate(CHECKOUT) == []
    long_lived = (time.perf_counter() - t0) / n
    validator.close()

    text = json.dumps(CHECKOUT)
    t0 = time.perf_counter()
    for _ in range(n):
        out = subprocess.run(
            ["node", "-e", ONE_SHOT, text], cwd=HERE, check=True, capture_output=True, text=True
        )
        assert out.stdout == "[]", out.stdout
    per_call = (time.perf_counter() - t0) / n

    print(f"requests: {n}")
    print(f"long-lived process: start-up and first answer {startup * 1000:.1f} ms, then {long_lived * 1000:.2f} ms per request")
    print(f"one node process per request: {per_call * 1000:.1f} ms per request")
    print(f"ratio: {per_call / long_lived:.0f}x")


if __name__ == "__main__":
    main()
