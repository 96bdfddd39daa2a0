#!/usr/bin/env python3
"""Benchmark of the orchestrator's overhead and of `plan --all` concurrency.

Usage: benches/orchestrator.py [--runs N] [--resources N]   (builds the release binary first)

1. Overhead: on one root of N `terraform_data` resources (default 20; built in, no provider
   download), raw `terraform init && terraform plan -out && terraform show -json` against
   `stackform plan --dir ROOT` (which runs the same three commands, then saves and summarises).
   Goal: stackform at most 5% slower.
2. Concurrency: three such roots, `stackform plan --all --dir PARENT` against
   `stackform plan --dir` on each root one after another. Goal: at most 0.6x the sequential
   time on two cores.

Runs alternate between the contenders so that drift in machine load hits both alike; the
median and the minimum of --runs runs are reported (the minimum is the least disturbed by
other work on the machine), with the CPU time of the child processes. The first stackform run (not timed) caches the
`terraform version` answer in .stackform/terraform.json, as on any machine after its first run.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "stackform")
ENV = dict(
    os.environ,
    TF_CLI_CONFIG_FILE="/dev/null",
    CHECKPOINT_DISABLE="1",
    TF_IN_AUTOMATION="1",
    NO_COLOR="1",
)


def write_root(path, resources):
    os.makedirs(path, exist_ok=True)
    blocks = []
    for i in range(resources):
        blocks.append(
            f'resource "terraform_data" "r{i}" {{\n'
            f'  input = {{ index = {i}, name = "resource-{i}" }}\n'
            f"}}\n"
        )
    with open(os.path.join(path, "main.tf"), "w") as f:
        f.write("\n".join(blocks))


def cpu():
    """CPU seconds (user + system) used by finished child processes so far."""
    t = os.times()
    return t.children_user + t.children_system


def run(cmd, cwd, ok=(0, 2)):
    p = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr.decode()}")


def timed(fn):
    """Wall and CPU seconds of fn()."""
    wall, used = time.perf_counter(), cpu()
    fn()
    return time.perf_counter() - wall, cpu() - used


def raw_terraform(root):
    run(["terraform", "init", "-input=false", "-no-color"], root, ok=(0,))
    run(["terraform", "plan", "-input=false", "-no-color", "-out=raw.tfplan"], root, ok=(0,))
    run(["terraform", "show", "-json", "-no-color", "raw.tfplan"], root, ok=(0,))


def report(name, samples, base=None, what="overhead"):
    wall = statistics.median(s[0] for s in samples)
    best = min(s[0] for s in samples)
    used = statistics.median(s[1] for s in samples)
    line = f"{name:<40} wall median {wall * 1000:6.1f} ms  min {best * 1000:6.1f} ms  CPU {used * 1000:6.1f} ms"
    if base is not None:
        b_wall = statistics.median(s[0] for s in base)
        b_best = min(s[0] for s in base)
        b_used = statistics.median(s[1] for s in base)
        if what == "overhead":
            line += (f"  {what}: median {100 * (wall / b_wall - 1):+5.1f}%  min {100 * (best / b_best - 1):+5.1f}%"
                     f"  CPU {100 * (used / b_used - 1):+5.1f}%")
        else:
            line += f"  {what}: median {wall / b_wall:4.2f}x  min {best / b_best:4.2f}x"
    print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--resources", type=int, default=20)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    tf = subprocess.run(["terraform", "version"], env=ENV, capture_output=True, text=True).stdout.split("\n")[0]
    print(f"{tf}, {os.cpu_count()} CPUs, {args.resources} terraform_data resources per root, "
          f"median of {args.runs} runs")

    work = tempfile.mkdtemp(prefix="stackform-bench-")
    try:
        root = os.path.join(work, "root")
        write_root(root, args.resources)
        for r in "abc":
            write_root(os.path.join(work, "roots", r), args.resources)
        # Warm-up: caches, page cache, the version answer.
        raw_terraform(root)
        run([BIN, "plan", "--dir", "root"], work)
        run([BIN, "plan", "--all", "--dir", "roots"], work)

        raw, ours = [], []
        for _ in range(args.runs):
            raw.append(timed(lambda: raw_terraform(root)))
            ours.append(timed(lambda: run([BIN, "plan", "--dir", "root"], work)))
        report("terraform init+plan -out+show -json", raw)
        report("stackform plan --dir", ours, raw)

        def sequential():
            for x in "abc":
                run([BIN, "plan", "--dir", os.path.join("roots", x)], work)

        seq, par = [], []
        for _ in range(args.runs):
            seq.append(timed(sequential))
            par.append(timed(lambda: run([BIN, "plan", "--all", "--dir", "roots"], work)))
        report("3 roots one after another", seq)
        report("stackform plan --all (3 at once)", par, seq, what="ratio")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
