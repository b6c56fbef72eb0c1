"""Kernel latency: start to first kernel_info reply, a trivial cell, a cell returning a PNG chart.

Starts the installed dlcourse-java kernelspec (JUPYTER_DATA_DIR honoured) several times and reports medians.
Goals (issue 2): start <= 1.5 s, trivial cell <= 50 ms, PNG cell <= 150 ms. The PNG cell names a variable
(`chart`), which the kernel reads without compiling; the same chart as an expression (`(chart)`) is compiled like any
other cell and is reported on its own line.
"""
import os
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

KERNEL = os.environ.get("DLCOURSE_KERNEL_NAME", "dlcourse-java")
STARTS = int(os.environ.get("BENCH_STARTS", "3"))
CELLS = int(os.environ.get("BENCH_CELLS", "20"))

PNG_SETUP = ('var chart = new org.knowm.xchart.XYChartBuilder().width(600).height(400).title("loss").build();\n'
             'chart.addSeries("train", new double[]{1, 2, 3, 4, 5}, new double[]{0.9, 0.6, 0.4, 0.3, 0.25});')


def run(kc, code):
    t0 = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: None)
    dt = time.perf_counter() - t0
    if reply["content"]["status"] != "ok":
        sys.exit(f"cell failed: {code!r}: {reply['content']}")
    return dt


def main():
    starts, trivial, png, png_expr = [], [], [], []
    for i in range(STARTS):
        km = KernelManager(kernel_name=KERNEL)
        t0 = time.perf_counter()
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)  # sends kernel_info_request until a reply arrives
        starts.append(time.perf_counter() - t0)
        try:
            if i == STARTS - 1:
                run(kc, "1 + 1")  # first cell compiles JShell's pipeline; measured cells come after
                for _ in range(CELLS):
                    trivial.append(run(kc, "1 + 1"))
                run(kc, PNG_SETUP)
                run(kc, "chart")
                for _ in range(CELLS):
                    png.append(run(kc, "chart"))
                for _ in range(CELLS):
                    png_expr.append(run(kc, "(chart)"))  # an expression, compiled like any cell
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    def ms(xs):
        return f"median {statistics.median(xs) * 1000:.0f} ms (min {min(xs) * 1000:.0f}, max {max(xs) * 1000:.0f})"

    print(f"kernel start -> kernel_info reply: {ms(starts)} over {len(starts)} starts   goal <= 1500 ms")
    print(f"trivial cell (1 + 1):              {ms(trivial)} over {len(trivial)} cells   goal <= 50 ms")
    print(f"PNG cell (600x400 XChart):         {ms(png)} over {len(png)} cells   goal <= 150 ms")
    print(f"PNG cell as an expression (chart): {ms(png_expr)} over {len(png_expr)} cells")


if __name__ == "__main__":
    main()
