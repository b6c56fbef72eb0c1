"""Kernel latency: start to first kernel_info reply, a trivial cell, a cell returning a PNG chart.

Starts the installed dlcourse-java kernelspec (JUPYTER_DATA_DIR honoured) several times and reports medians.
Goals (issue 19): start <= 1.5 s, trivial cell <= 50 ms, PNG cell <= 150 ms. The PNG cell names a variable
(`chart`), which the kernel reads without compiling; the same chart as an expression (`(chart)`) is compiled like any
other cell and is reported on its own line.

Besides wall times it reports the kernel process's CPU time (all its threads, from /proc/PID/task/*/stat), which
the machine's load does not inflate: at the kernel_info reply, and per cell, split into the JIT compiler threads
and the rest (the cell, JShell's javac, the protocol, the GC).
"""
import os
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

KERNEL = os.environ.get("DLCOURSE_KERNEL_NAME", "dlcourse-java")
STARTS = int(os.environ.get("BENCH_STARTS", "3"))
CELLS = int(os.environ.get("BENCH_CELLS", "20"))
# seconds the last kernel stays idle before its first cell, as when a user reads the notebook first (default 0: the
# cells follow the start at once)
IDLE = float(os.environ.get("BENCH_IDLE", "0"))
TICK = os.sysconf("SC_CLK_TCK")

PNG_SETUP = ('var chart = new org.knowm.xchart.XYChartBuilder().width(600).height(400).title("loss").build();\n'
             'chart.addSeries("train", new double[]{1, 2, 3, 4, 5}, new double[]{0.9, 0.6, 0.4, 0.3, 0.25});')


def run(kc, code):
    t0 = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: None)
    dt = time.perf_counter() - t0
    if reply["content"]["status"] != "ok":
        sys.exit(f"cell failed: {code!r}: {reply['content']}")
    return dt


def cpu(pid):
    """CPU seconds of process pid so far: (JIT compiler threads, all other threads); (0, 0) if unreadable."""
    jit = other = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0, 0.0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        if "CompilerThre" in name:
            jit += ticks
        else:
            other += ticks
    return jit / TICK, other / TICK


def cells(kc, pid, code, n):
    """Runs code n times; returns the wall times and the kernel's CPU per cell (jit, other)."""
    before = cpu(pid)
    times = [run(kc, code) for _ in range(n)]
    after = cpu(pid)
    return times, ((after[0] - before[0]) / n, (after[1] - before[1]) / n)


def main():
    starts, start_cpu = [], []
    results = {}
    for i in range(STARTS):
        km = KernelManager(kernel_name=KERNEL)
        t0 = time.perf_counter()
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)  # sends kernel_info_request until a reply arrives
        starts.append(time.perf_counter() - t0)
        pid = km.provisioner.process.pid
        start_cpu.append(sum(cpu(pid)))
        try:
            if i == STARTS - 1:
                time.sleep(IDLE)
                run(kc, "1 + 1")  # first cell compiles JShell's pipeline; measured cells come after
                results["trivial"] = cells(kc, pid, "1 + 1", CELLS)
                run(kc, PNG_SETUP)
                run(kc, "chart")
                results["png"] = cells(kc, pid, "chart", CELLS)
                results["png_expr"] = cells(kc, pid, "(chart)", CELLS)  # an expression, compiled like any cell
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    def ms(xs):
        return f"median {statistics.median(xs) * 1000:.0f} ms (min {min(xs) * 1000:.0f}, max {max(xs) * 1000:.0f})"

    def line(label, key, goal):
        times, (jit, other) = results[key]
        print(f"{label}{ms(times)} over {len(times)} cells{goal}; kernel CPU per cell {(jit + other) * 1000:.0f} ms"
              f" (JIT {jit * 1000:.0f})")

    if IDLE:
        print(f"cells after {IDLE:g} s idle")
    print(f"kernel start -> kernel_info reply: {ms(starts)} over {len(starts)} starts   goal <= 1500 ms;"
          f" kernel CPU by then {statistics.median(start_cpu) * 1000:.0f} ms")
    line("trivial cell (1 + 1):              ", "trivial", "   goal <= 50 ms")
    line("PNG cell (600x400 XChart):         ", "png", "   goal <= 150 ms")
    line("PNG cell as an expression (chart): ", "png_expr", "")


if __name__ == "__main__":
    main()
