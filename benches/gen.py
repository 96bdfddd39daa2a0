#!/usr/bin/env python3
"""Benchmark of `stackform gen --all` against `terraform fmt -recursive` on the same output.

Usage: benches/gen.py [--runs N] [--scale N] [--factor F] [--scale-runs N] [--scale-only]
(builds the release binary first)

For E-Com67 (the built-in model) and for generated stacks of N functions and N tables
(N = 1000 and 2000), it renders every environment into a fresh directory, then times
`terraform fmt -recursive` over that output as the reference, in the same run. Reports the
median of --runs runs and the ratios the performance goals are stated in.

Then the scaling run: stacks of --scale and --factor times --scale functions (and as many
tables; default 4000 and 40000), each timed for `validate`, `gen --all` into an empty folder,
`gen --all --check` and `gen --all` over current output (nothing to write), then, with every
function's memory changed, `gen --all --check` (a diff of every root) and `gen --all`
(rewriting them). It reports wall
time and CPU time (user + system of the child, which other load on a shared machine disturbs
less) and the ratio large/small of each (goal: at most 1.2x the size factor).
"""
import resource
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


def cpu_timed(cmd, cwd, expect=0):
    """Wall and CPU seconds of one run; stops the bench if it exits other than `expect`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != expect:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}: {done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


# (name, arguments, start from an empty folder, change every function's memory first, exit status)
SCALE_STEPS = [
    ("validate", ["validate"], False, False, 0),
    ("gen (empty folder)", ["gen", "--all"], True, False, 0),
    ("gen --check", ["gen", "--all", "--check"], False, False, 0),
    ("gen (up to date)", ["gen", "--all"], False, False, 0),
    ("gen --check (stale)", ["gen", "--all", "--check"], False, True, 1),
    ("gen (rewrite)", ["gen", "--all"], False, False, 0),
]


def scale_one(n, runs):
    """Median wall and CPU seconds of each step for a stack of n functions and n tables."""
    figures = {step[0]: ([], []) for step in SCALE_STEPS}
    for _ in range(runs):
        work = tempfile.mkdtemp(prefix="stackform-bench-")
        try:
            with open(os.path.join(work, "stack.toml"), "w") as f:
                f.write(synthetic_stack(n))
            for name, args, fresh, edit, status in SCALE_STEPS:
                if fresh:
                    for sub in ("modules", "environments"):
                        shutil.rmtree(os.path.join(work, sub), ignore_errors=True)
                if edit:
                    with open(os.path.join(work, "stack.toml"), "w") as f:
                        f.write(synthetic_stack(n).replace("memory = 256", "memory = 512"))
                wall, cpu = cpu_timed([BIN] + args, work, status)
                figures[name][0].append(wall)
                figures[name][1].append(cpu)
        finally:
            shutil.rmtree(work)
    return {k: (statistics.median(w), statistics.median(c)) for k, (w, c) in figures.items()}


def scaling(small, factor, runs):
    large = small * factor
    print(f"\nscaling: {small} vs {large} functions (+ as many tables), median of {runs} runs")
    a, b = scale_one(small, runs), scale_one(large, runs)
    print(f"{'step':<20} {'wall ' + str(small):>12} {'wall ' + str(large):>12} {'ratio':>6}"
          f"   {'cpu ' + str(small):>11} {'cpu ' + str(large):>11} {'ratio':>6}")
    worst = 0.0
    for name, *_ in SCALE_STEPS:
        (wa, ca), (wb, cb) = a[name], b[name]
        worst = max(worst, cb / ca)
        print(f"{name:<20} {wa:11.2f}s {wb:11.2f}s {wb / wa:5.1f}x   {ca:10.2f}s {cb:10.2f}s {cb / ca:5.1f}x")
    print(f"worst CPU-time ratio: {worst:.1f}x for {factor}x the model (goal: at most {factor * 1.2:g}x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=4000, help="functions of the small scaling stack (0: no scaling run)")
    parser.add_argument("--factor", type=int, default=10, help="the large scaling stack is this many times larger")
    parser.add_argument("--scale-runs", type=int, default=3)
    parser.add_argument("--scale-only", action="store_true", help="skip the comparison with terraform fmt")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if args.scale_only:
        scaling(args.scale, args.factor, args.scale_runs)
        return
    print(f"median of {args.runs} runs; terraform fmt -recursive over the same output is the reference")
    measure("E-Com67 (3 environments)", None, args.runs)
    one = measure("1000 functions + 1000 tables", synthetic_stack(1000), args.runs)
    two = measure("2000 functions + 2000 tables", synthetic_stack(2000), args.runs)
    print(f"scaling: 2x the stack took {two / one:.2f}x the time (goal: at most 2.2x)")
    print(f"1000+1000 gen: {one * 1000:.0f} ms (goal: under 1000 ms)")
    if args.scale > 0:
        scaling(args.scale, args.factor, args.scale_runs)


if __name__ == "__main__":
    sys.exit(main())
