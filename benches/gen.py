#!/usr/bin/env python3
"""Benchmark of `stackform gen --all` against `terraform fmt -recursive` on the same output.

Usage: benches/gen.py [--runs N]   (builds the release binary first)

For E-Com67 (the built-in model) and for generated stacks of N functions and N tables
(N = 1000 and 2000), it renders every environment into a fresh directory, then times
`terraform fmt -recursive` over that output as the reference, in the same run. Reports the
median of --runs runs and the ratios the performance goals are stated in.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "stackform")
TF_ENV = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", CHECKPOINT_DISABLE="1")


def synthetic_stack(n):
    """A valid stack with n functions, each granted its own table, and n tables."""
    out = [
        '[stack]\nname = "bench"\nregion = "us-east-1"\nartifact_bucket = "bench-artifacts"\n',
        '[state]\nbucket = "bench-terraform-state"\n',
        '[environments.dev]\nlambda_tracing = "PassThrough"\napi_tracing = false\n',
        "[environments.staging]\nsampling_rate = 0.5\n",
        "[environments.prod]\n",
    ]
    for i in range(n):
        out.append(f'[tables.t{i}]\nhash_key = "id"\n')
        out.append(
            f'[functions.f{i}]\nhandler = "f{i}.handler"\npackage = "f{i}.zip"\n'
            f'memory = 256\ntables = {{ t{i} = "read-write" }}\n'
        )
    out.append('[api]\nname = "api"\n')
    for i in range(min(n, 200)):
        out.append(f'[[api.routes]]\nmethod = "GET"\npath = "/r{i}"\nfunction = "f{i}"\n')
    return "\n".join(out)


def timed(cmd, cwd, env=None):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def measure(name, stack_text, runs):
    gen, fmt = [], []
    for _ in range(runs):
        work = tempfile.mkdtemp(prefix="stackform-bench-")
        try:
            if stack_text is not None:
                with open(os.path.join(work, "stack.toml"), "w") as f:
                    f.write(stack_text)
            gen.append(timed([BIN, "gen", "--all"], work))
            fmt.append(timed(["terraform", "fmt", "-recursive", "."], work, TF_ENV))
            files = sum(len(fs) for _, _, fs in os.walk(work))
            size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(work) for f in fs)
        finally:
            shutil.rmtree(work)
    g, t = statistics.median(gen), statistics.median(fmt)
    print(f"{name:<28} files {files:>6}  {size / 1e6:6.1f} MB  gen {g * 1000:8.1f} ms  "
          f"terraform fmt {t * 1000:8.1f} ms  gen/fmt {g / t:5.2f}")
    return g


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print(f"median of {args.runs} runs; terraform fmt -recursive over the same output is the reference")
    measure("E-Com67 (3 environments)", None, args.runs)
    one = measure("1000 functions + 1000 tables", synthetic_stack(1000), args.runs)
    two = measure("2000 functions + 2000 tables", synthetic_stack(2000), args.runs)
    print(f"scaling: 2x the stack took {two / one:.2f}x the time (goal: at most 2.2x)")
    print(f"1000+1000 gen: {one * 1000:.0f} ms (goal: under 1000 ms)")


if __name__ == "__main__":
    sys.exit(main())
