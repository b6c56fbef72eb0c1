"""Executes a notebook with nbclient and the dlcourse-java kernelspec; writes the executed notebook.

usage: python3 nbclient_compare.py IN.ipynb OUT.ipynb [name=value ...]
Parameters are injected after the `parameters` cell the way `dlcourse run -p` does it.
"""
import sys

import nbformat
from nbclient import NotebookClient

src, dst = sys.argv[1], sys.argv[2]
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, kernel_name="dlcourse-java", timeout=300, allow_errors=False)
client.execute()
nbformat.write(nb, dst)
