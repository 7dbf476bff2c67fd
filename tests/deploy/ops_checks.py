"""Shared helpers of the deploy and documentation tests: what the citecheck-server binary says
about itself (--help, /metrics) and the metric names a PromQL expression uses."""

import re
import subprocess
import threading
import urllib.request


def server_flags(server):
    """{flag name: default as --help prints it (strings without their quotes)}."""
    return {name: default for name, (default, _) in server_flag_help(server).items()}


def server_flag_help(server):
    """{flag name: (default, meaning)} from `citecheck-server --help`, in its order."""
    text = subprocess.run([server, "--help"], capture_output=True, text=True).stdout
    entries, current = [], None
    for line in text.splitlines():
        if line.startswith("    --"):
            current = [line.strip()]
            entries.append(current)
        elif current is not None and line.startswith("      "):
            current.append(line.strip())
        else:
            current = None
    flags = {}
    for entry in entries:
        joined = " ".join(entry)
        match = re.match(r"--(\w+) \((.*)\); default: (.*);$", joined)
        assert match, f"unexpected --help entry: {joined}"
        name, meaning, value = match.groups()
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        flags[name] = (value, meaning)
    assert len(flags) > 20, f"--help listed only {sorted(flags)}"
    return flags


def server_metric_names(server):
    """Every sample name /metrics exposes (families plus _bucket/_sum/_count of histograms),
    from a server started with --store=memory and --metrics_listen on a free port."""
    proc = subprocess.Popen([server, "--store=memory", "--listen=127.0.0.1:0",
                             "--metrics_listen=127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    timer = threading.Timer(20, proc.kill)
    timer.start()
    try:
        proc.stdout.readline()  # listening on ...
        line = proc.stdout.readline()
        match = re.match(r"metrics on (\S+)", line)
        assert match, f"no metrics address announced: {line!r}"
        with urllib.request.urlopen(f"http://{match.group(1)}/metrics", timeout=10) as res:
            text = res.read().decode()
    finally:
        timer.cancel()
        proc.terminate()
        proc.wait(timeout=30)
    names = set()
    for line in text.splitlines():
        match = re.match(r"# TYPE (\S+) (\S+)", line)
        if match:
            names.add(match.group(1))
            if match.group(2) == "histogram":
                names.update(match.group(1) + s for s in ("_bucket", "_sum", "_count"))
    return names


PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                   "or", "unless", "offset", "inf", "nan"}


def promql_metrics(expr):
    """The metric names an expression selects (not functions, labels, keywords or recording
    rules, whose names hold a colon)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)           # strings
    text = re.sub(r"\{[^}]*\}", "", text)                     # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)                    # ranges
    text = re.sub(r"(?<![A-Za-z0-9_:])\d+(ms|[smhdwy])\b", "", text)  # durations (offset)
    text = re.sub(r"(?<![A-Za-z0-9_:])\d+(\.\d+)?([eE][-+]?\d+)?", "", text)  # numbers
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        name = match.group(0)
        following = text[match.end():].lstrip()
        if following.startswith("(") or name.lower() in PROMQL_KEYWORDS or ":" in name:
            continue
        names.add(name)
    return names
