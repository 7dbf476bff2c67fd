#!/usr/bin/python3
"""docs/OPERATIONS.md against the binary:

    operations_doc_test.py SERVER_BINARY REPO_ROOT            check
    operations_doc_test.py SERVER_BINARY REPO_ROOT --write    regenerate the flag table

- the flag table (between <!-- flags:begin --> and <!-- flags:end -->) is exactly the one
  generated from `citecheck-server --help`: every flag, its environment variable and its default;
- every metric named in a ```promql block is exposed by /metrics, and every family the server
  exposes is described in the guide.
Prints one line per check and "N passed, 0 failed"; exits non-zero on the first failure.
"""

import os
import re
import sys

from ops_checks import promql_metrics, server_flag_help, server_metric_names

SERVER, ROOT = sys.argv[1], sys.argv[2]
DOC = os.path.join(ROOT, "docs", "OPERATIONS.md")
BEGIN, END = "<!-- flags:begin -->", "<!-- flags:end -->"


def flag_table():
    rows = ["| flag | environment variable | default | meaning |", "|---|---|---|---|"]
    for name, (default, meaning) in sorted(server_flag_help(SERVER).items()):
        shown = f"`{default}`" if default else "(empty)"
        meaning = meaning.replace("|", "\\|")
        rows.append(f"| `--{name}` | `CITECHECK_{name.upper()}` | {shown} | {meaning} |")
    return "\n".join(rows)


def main():
    text = open(DOC).read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    table = flag_table()
    if "--write" in sys.argv:
        open(DOC, "w").write(text[:start] + "\n" + table + "\n" + text[end:])
        print(f"wrote the flag table of {DOC}")
        return
    passed = 0
    documented = text[start:end].strip()
    if documented != table:
        wanted, have = table.splitlines(), documented.splitlines()
        diff = [f"- {line}" for line in have if line not in wanted] + \
               [f"+ {line}" for line in wanted if line not in have]
        sys.exit("docs/OPERATIONS.md: the flag table differs from citecheck-server --help; run\n"
                 f"  {sys.argv[0]} {SERVER} {ROOT} --write\n" + "\n".join(diff))
    passed += 1
    print(f"ok {passed} - the flag table matches --help ({len(table.splitlines()) - 2} flags)")

    metrics = server_metric_names(SERVER)
    blocks = re.findall(r"```promql\n(.*?)```", text, re.S)
    used = set()
    for block in blocks:
        used |= promql_metrics(block)
    missing = used - metrics
    assert blocks and not missing, f"PromQL in the guide names metrics /metrics lacks: {missing}"
    passed += 1
    print(f"ok {passed} - {len(blocks)} PromQL blocks use only exposed metrics ({len(used)})")

    families = {m for m in metrics if not re.search(r"_(bucket|sum|count)$", m)} | {
        m[:-len("_bucket")] for m in metrics if m.endswith("_bucket")}
    undocumented = {f for f in families if f"`{f}`" not in text}
    assert not undocumented, f"families the guide does not describe: {sorted(undocumented)}"
    passed += 1
    print(f"ok {passed} - every exposed family ({len(families)}) is described")
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
