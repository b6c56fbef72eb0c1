"""Interrupting the dlcourse-java kernel over the Jupyter protocol keeps its state.

A training-style loop that calls Display.checkInterrupted() stops within 2 s of interrupt_request;
a busy loop that never checks is stopped by JShell's stop; variables defined before survive. Printed output is
sent whole, in few messages.
"""
import time
import unittest

from kernel_case import KernelTestCase


class InterruptTests(KernelTestCase):
    cell_timeout = 60

    def interrupt_after(self, code, delay):
        msg_id = self.kc.execute(code)
        time.sleep(delay)
        t0 = time.monotonic()
        self.km.interrupt_kernel()
        while True:
            reply = self.kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply, time.monotonic() - t0

    def test_training_loop_stops_within_two_seconds_and_state_survives(self):
        self.assertEqual(self.run_cell("int kept = 41;")[0]["status"], "ok")
        reply, elapsed = self.interrupt_after(
            "for (long step = 0; ; step++) { Display.checkInterrupted(); Thread.sleep(1); }", 2.0)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertLess(elapsed, 2.0)
        self.assertEqual(self.value("kept + 1"), "42")

    def test_large_output_printed_line_by_line_arrives_whole_in_few_messages(self):
        # 200,000 println calls (~2.3 MB): one message per line overflowed ZeroMQ's queue and lost output silently
        lines = 200_000
        streams = []
        reply = self.kc.execute_interactive(
            'for (int i = 0; i < %d; i++) System.out.println("line " + i);' % lines, timeout=300,
            output_hook=lambda m: streams.append(m["content"]["text"]) if m["msg_type"] == "stream" else None)
        self.assertEqual(reply["content"]["status"], "ok")
        text = "".join(streams)
        self.assertEqual(text, "".join("line %d\n" % i for i in range(lines)))
        self.assertLess(len(streams), 1000, "messages: %d" % len(streams))

    def test_busy_loop_without_checks_is_stopped(self):
        reply, elapsed = self.interrupt_after("long spin = 0; while (true) { spin++; }", 2.0)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertLess(elapsed, 5.0)
        self.assertEqual(self.run_cell("int after = 1;")[0]["status"], "ok")

    def test_x_loop_that_catches_every_throwable_is_left_behind_and_the_kernel_goes_on(self):
        # Thread.stop lands inside the try and is swallowed: before, the cell never ended and the kernel stayed busy.
        self.assertEqual(self.run_cell("int kept3 = 9;")[0]["status"], "ok")
        reply, elapsed = self.interrupt_after(
            "for (;;) { try { Thread.sleep(5); Display.checkInterrupted(); } catch (Throwable t) { } }", 2.0)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertIn("catches Throwable", reply["content"]["evalue"])
        self.assertLess(elapsed, 15.0)
        self.assertEqual(self.value("kept3 + 1"), "10")


if __name__ == "__main__":
    unittest.main()
