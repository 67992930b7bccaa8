#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# write_report.py
#	  Summarise one run of bench/write.sh: a side-by-side table of insert
#	  throughput, VACUUM time and recall after VACUUM (report.txt, also
#	  printed).  Values are medians over the runs; ratios are the first
#	  system over the second, measured in the same run.
#
#	  python3 bench/write_report.py write bench/results/<timestamp>-write
#
# IDENTIFICATION
#	  bench/write_report.py
#
# -------------------------------------------------------------------------
import csv
import os
import statistics
import sys


def read_csv(path, header=None):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        if header:
            return list(csv.DictReader(f, fieldnames=header))
        return list(csv.DictReader(f))


def meta(dirname):
    out = {}
    with open(os.path.join(dirname, "meta.txt")) as f:
        for line in f:
            if ": " in line and not line.startswith(" "):
                key, val = line.rstrip("\n").split(": ", 1)
                out.setdefault(key, val)
    return out


def med(values):
    values = [float(v) for v in values]
    return statistics.median(values) if values else None


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else "%.2f" % (a / b)


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "write":
        sys.exit("usage: write_report.py write RESULTS_DIR")
    d = sys.argv[2]
    m = meta(d)
    systems = m["systems"].split()
    two = len(systems) == 2
    lines = []

    def row(name, vals, spec, better=""):
        cells = "".join("%14s" % fmt(v, spec) for v in vals)
        r = ("%14s" % ratio(vals[0], vals[1])) if two else ""
        lines.append("%-40s%s%s%s" % (name, cells, r, better))

    head = "%-40s%s" % ("", "".join("%14s" % s for s in systems))
    if two:
        head += "%14s" % ("%s/%s" % tuple(systems))

    lines.append("# " + m.get("command", ""))
    lines.append("# %s; %s; %s" % (m.get("cpu", ""), m.get("cpus", ""), m.get("os kernel", "")))
    lines.append("# load average: start %s, end %s" %
                 (m.get("load average at start", "?"), m.get("load average at end", "?")))
    for key, val in m.items():
        if key.startswith("extension "):
            lines.append("# %s: %s" % (key, val))
    lines.append("# " + m.get("parameters", ""))
    lines.append("# " + m.get("base", ""))

    build = read_csv(os.path.join(d, "build.csv"))
    ins = read_csv(os.path.join(d, "insert.csv"))
    after = read_csv(os.path.join(d, "insert_after.csv"),
                     ["label", "round", "clients", "sync", "selfhit", "index_bytes", "wal_per_row"])
    if ins:
        runs = max(int(r["tag"]) for r in ins)
        lines.append("")
        lines.append("== inserts: %s rows per run, single-row INSERT in autocommit; medians of %d run(s) =="
                     % (ins[0]["rows"], runs))
        lines.append(head)
        row("build time over the base (s)",
            [med(r["build_s"] for r in build if r["label"] == s) for s in systems], ".1f", "   (lower is better)")
        row("index size after build (MiB)",
            [med(float(r["index_bytes"]) / 1048576 for r in build if r["label"] == s) for s in systems], ".1f")
        configs = []
        for r in ins:
            c = (int(r["clients"]), r["synchronous_commit"])
            if c not in configs:
                configs.append(c)
        for c, sync in configs:
            sel = [[r for r in ins if r["label"] == s and int(r["clients"]) == c and r["synchronous_commit"] == sync]
                   for s in systems]
            row("rows/s, %d client%s, sync_commit=%s" % (c, "s" if c > 1 else "", sync),
                [med(r["rows_per_s"] for r in x) for x in sel], ".1f", "   (higher is better)")
            row("  latency p50 (ms)", [med(r["p50_ms"] for r in x) for x in sel], ".3f")
            row("  latency p99 (ms)", [med(r["p99_ms"] for r in x) for x in sel], ".3f")
        row("inserted rows found again (top-1)",
            [med(r["selfhit"] for r in after if r["label"] == s) for s in systems], ".4f")
        for c, sync in configs:
            row("WAL bytes per row, %d client%s, sync=%s" % (c, "s" if c > 1 else "", sync),
                [med(r["wal_per_row"] for r in after if r["label"] == s and int(r["clients"]) == c
                     and r["sync"] == sync and r["wal_per_row"]) for s in systems], ".0f")
        row("index size after inserts (MiB)",
            [med(float(r["index_bytes"]) / 1048576 for r in after if r["label"] == s) for s in systems], ".1f")

    vac = read_csv(os.path.join(d, "vacuum.csv"))
    if vac:
        before = read_csv(os.path.join(d, "recall_before.csv"))
        rec = read_csv(os.path.join(d, "recall_after.csv"))
        rebuilt = read_csv(os.path.join(d, "recall_rebuilt.csv"))
        runs = max(int(r["round"]) for r in vac)
        lines.append("")
        lines.append("== VACUUM after deleting %s random rows; medians of %d run(s) ==" % (vac[0]["deleted"], runs))
        lines.append(head)
        row("VACUUM time (s)", [med(r["vacuum_s"] for r in vac if r["label"] == s) for s in systems],
            ".2f", "   (lower is better)")
        row("index size before VACUUM (MiB)",
            [med(float(r["index_bytes_before"]) / 1048576 for r in vac if r["label"] == s) for s in systems], ".1f")
        row("index size after VACUUM (MiB)",
            [med(float(r["index_bytes_after"]) / 1048576 for r in vac if r["label"] == s) for s in systems], ".1f")
        efs = []
        for r in rec:
            if int(r["ef_search"]) not in efs:
                efs.append(int(r["ef_search"]))
        k = rec[0]["k"] if rec else "k"
        for ef in efs:
            row("recall@%s ef_search=%d, fresh build" % (k, ef),
                [med(r["recall"] for r in before if r["label"] == s and int(r["ef_search"]) == ef)
                 for s in systems], ".4f")
            row("recall@%s ef_search=%d, after VACUUM" % (k, ef),
                [med(r["recall"] for r in rec if r["label"] == s and int(r["ef_search"]) == ef)
                 for s in systems], ".4f")
            row("recall@%s ef_search=%d, rebuilt after delete" % (k, ef),
                [med(r["recall"] for r in rebuilt if r["label"] == s and int(r["ef_search"]) == ef)
                 for s in systems], ".4f")
            row("  rows per query", [med(r["rows_per_query"] for r in rec
                                         if r["label"] == s and int(r["ef_search"]) == ef) for s in systems], ".2f")
            row("  QPS after VACUUM", [med(r["qps"] for r in rec
                                           if r["label"] == s and int(r["ef_search"]) == ef) for s in systems],
                ".1f", "   (higher is better)")

    checks = os.path.join(d, "checks.txt")
    if os.path.exists(checks):
        lines.append("")
        lines.append("index checks (elements, heap TIDs, reachable):")
        with open(checks) as f:
            lines.extend("  " + x.rstrip("\n") for x in f)
    with open(os.path.join(d, "meta.txt")) as f:
        lines.extend(x.rstrip("\n") for x in f if x.startswith(("server log: ", "WARNING")))

    text = "\n".join(lines) + "\n"
    with open(os.path.join(d, "report.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
