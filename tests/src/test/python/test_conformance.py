"""Jupyter protocol conformance of the dlcourse-java kernel, on the standard jupyter_kernel_test suite.

Run with the kernelspec installed (./dlcourse install-kernel, or JUPYTER_DATA_DIR pointing at one):
    /usr/bin/python3 -m unittest -v test_conformance
Every sample field is filled; only test_pager skips (the kernel has no pager payloads).
"""
import os
import unittest

import jupyter_kernel_test


class DlcourseKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("DLCOURSE_KERNEL_NAME", "dlcourse-java")
    language_name = "java"

    code_hello_world = 'System.out.println("hello, world");'
    code_stderr = 'System.err.println("oops");'

    completion_samples = [
        {"text": "Math.absE", "matches": {"absExact("}},
        {"text": "int n = 1; \"abc\".isEm", "matches": {"isEmpty()"}},
    ]

    complete_code_samples = ["1 + 1", "int x = 3;", "for (int i = 0; i < 3; i++) { }", "%time 1 + 1"]
    incomplete_code_samples = ["for (int i = 0; i < 3; i++) {", "int f(int a) {", "String s = \"a\" +"]
    invalid_code_samples = ["}", "int x = 1;)", "1 +* 2", "1 2", "int x = ;", "x ==> 3"]

    code_generate_error = 'throw new IllegalStateException("boom");'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"abc".length()', "result": "3"},
        {"code": 'tech.tablesaw.api.Table.create("t", tech.tablesaw.api.IntColumn.create("a", new int[]{1, 2}))',
         "mime": "text/html"},
        {"code": "new java.awt.image.BufferedImage(4, 3, java.awt.image.BufferedImage.TYPE_INT_RGB)",
         "mime": "image/png"},
    ]

    code_display_data = [
        # IJava's top-level display(obj), as IJava notebooks call it
        {"code": 'display(tech.tablesaw.api.Table.create("t", tech.tablesaw.api.IntColumn.create("a", new int[]{2})));',
         "mime": "text/html"},
        {"code": 'dlcourse.display.Display.display(tech.tablesaw.api.Table.create("t", '
                 'tech.tablesaw.api.IntColumn.create("a", new int[]{1})));', "mime": "text/html"},
        {"code": "dlcourse.display.Display.display(new java.awt.image.BufferedImage(2, 2, "
                 "java.awt.image.BufferedImage.TYPE_INT_RGB));", "mime": "image/png"},
    ]

    code_history_pattern = "6 * *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.abs"

    code_clear_output = "dlcourse.display.Display.clearOutput();"


if __name__ == "__main__":
    unittest.main()
