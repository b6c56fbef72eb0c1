"""Executes a notebook with nbclient and the dlcourse-java kernelspec; writes the executed notebook.

usage: python3 nbclient_compare.py IN.ipynb OUT.ipynb [--quick] [--timeout S] [name=value ...]
--quick becomes the cell `Quick.set(true);` before the `parameters` cell and the parameters a cell after it, declared
as `dlcourse run -p` declares them (int, long, double, boolean, else String), so both executions see the same program. The executed notebook
is written even when a cell fails, so the caller can see every output up to the failure.
"""
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def declaration(name, value):
    v = value.strip()
    if re.fullmatch(r"[-+]?\d{1,9}", v):
        return f"int {name} = {int(v)};"
    if re.fullmatch(r"[-+]?\d+", v):
        return f"long {name} = {v}L;"
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", v):
        return f"double {name} = {v};"
    if v in ("true", "false"):
        return f"boolean {name} = {v};"
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f'String {name} = "{escaped}";'


QUICK_CELL = "Quick.set(true);   // injected by --quick: each Quick.pick(full, quick) below takes its quick value"


def inject(nb, quick, params):
    if not quick and not params:
        return
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    declares_quick = bool(tagged) and re.search(r"^\s*boolean\s+QUICK\s*=", nb.cells[tagged[0]].source, re.M)
    if quick:  # before the parameters cell, so its Quick.pick sizes are the quick ones (NotebookRunner.QUICK_CELL)
        cell = nbformat.v4.new_code_cell(QUICK_CELL)
        cell.metadata["tags"] = ["injected-quick"]
        nb.cells.insert(tagged[0] if tagged else 0, cell)
        if not params and not declares_quick:
            return
    lines = ["// Parameters injected by dlcourse run"]
    if quick and declares_quick:
        lines.append("boolean QUICK = true;")
    lines += [declaration(k, v) for k, v in params]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    at = next((i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    nb.cells.insert(at, cell)


def main(argv):
    src, dst, rest = argv[0], argv[1], argv[2:]
    quick, timeout, params = False, 600, []
    i = 0
    while i < len(rest):
        if rest[i] == "--quick":
            quick = True
        elif rest[i] == "--timeout":
            i += 1
            timeout = int(rest[i])
        else:
            name, _, value = rest[i].partition("=")
            params.append((name, value))
        i += 1
    nb = nbformat.read(src, as_version=4)
    inject(nb, quick, params)
    client = NotebookClient(nb, kernel_name="dlcourse-java", timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": str(Path(src).parent)}})
    try:
        client.execute()
    except CellExecutionError as e:
        nbformat.write(nb, dst)
        print(f"{src}: {e}", file=sys.stderr)
        return 1
    nbformat.write(nb, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
