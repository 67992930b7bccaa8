#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# filter_report.py
#	  Summarise one run of bench/filter.sh: per filter, a side-by-side
#	  table of recall@k, QPS and rows returned over the ef_search sweep for
#	  every system and iterative-scan mode, QPS at equal recall, the exact
#	  plan and the planner's own choice (report.txt, summary.csv, and
#	  filter-<column>.png when gnuplot is installed).
#
#	  python3 bench/filter_report.py bench/results/<timestamp>-filter
#
# Values are medians over the repeated sweeps.  "QPS at recall R" follows a
# curve in ef_search order and interpolates linearly in (recall, log QPS)
# between the first two points that bracket R; ">N" when the smallest
# ef_search already reaches R, "-" when no ef_search does.  The ratio is the
# first mode over the second (by default: the extension under test at its
# defaults over the peer with strict_order iterative scans).
#
# IDENTIFICATION
#	  bench/filter_report.py
#
# -------------------------------------------------------------------------
import csv
import math
import os
import shutil
import statistics
import subprocess
import sys

TARGETS = (0.90, 0.95, 0.99)
SELECTIVITY = {"c10": "10%", "c100": "1%"}


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def read_meta(d):
    out = {}
    lines = []
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            lines.append(line.rstrip("\n"))
            if ": " in line and not line.startswith(" "):
                key, val = line.rstrip("\n").split(": ", 1)
                out.setdefault(key, val)
    return out, lines


def at_recall(points, target):
    """points: [(ef, recall, qps)] in ef order -> (qps, exact?) or None"""
    if not points:
        return None
    if points[0][1] >= target:
        return (points[0][2], False)
    for (e0, r0, q0), (e1, r1, q1) in zip(points, points[1:]):
        if r0 < target <= r1:
            t = (target - r0) / (r1 - r0)
            return (math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0))), True)
    return None


def plan_word(shape):
    """the scan that answers, in one word"""
    for key, word in (("Index Scan", "index"), ("Bitmap", "bitmap"), ("Seq Scan", "seqscan")):
        if key in shape:
            return word
    return shape[:22]


def show(v):
    if v is None:
        return "-"
    return ("%.1f" if v[1] else ">%.1f") % v[0]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: filter_report.py RESULTS_DIR")
    d = sys.argv[1]
    meta, metalines = read_meta(d)
    rows = read_csv(os.path.join(d, "search.csv"))
    plans = read_csv(os.path.join(d, "plans.csv"))
    build = read_csv(os.path.join(d, "build.csv"))
    modes = [m.replace(":", "/") for m in meta["modes"].split(",")]
    systems = meta["systems"].split()
    filters = []
    for r in rows:
        if r["filter"] not in filters:
            filters.append(r["filter"])

    # medians per (label/mode, filter, ef)
    groups = {}
    for r in rows:
        key = (r["label"] + "/" + r["mode"], r["filter"], int(r["ef_search"]))
        groups.setdefault(key, []).append(r)
    summary = {}
    for key, g in groups.items():
        summary[key] = {
            "recall": statistics.median(float(x["recall"]) for x in g),
            "qps": statistics.median(float(x["qps"]) for x in g),
            "p50": statistics.median(float(x["p50_ms"]) for x in g),
            "p99": statistics.median(float(x["p99_ms"]) for x in g),
            "rows": statistics.median(float(x["rows_per_query"]) for x in g),
            "min_rows": min(int(x["min_rows"]) for x in g),
            "planner": g[0]["planner"],
            "runs": len(g),
            "queries": g[0]["queries"],
            "k": g[0]["k"],
        }
    with open(os.path.join(d, "summary.csv"), "w") as f:
        f.write("system,mode,filter,ef_search,runs,queries,recall,qps,p50_ms,p99_ms,"
                "rows_per_query,min_rows,planner\n")
        for (sm, flt, ef), s in sorted(summary.items()):
            f.write("%s,%s,%d,%d,%s,%.5f,%.2f,%.4f,%.4f,%.3f,%d,%s\n" % (
                sm.replace("/", ","), flt, ef, s["runs"], s["queries"], s["recall"], s["qps"],
                s["p50"], s["p99"], s["rows"], s["min_rows"], s["planner"]))

    out = []
    out.append("# " + meta.get("command", ""))
    out.append("# %s; %s; %s" % (meta.get("cpu", ""), meta.get("cpus", ""), meta.get("os kernel", "")))
    out.append("# load average: start %s, end %s" %
               (meta.get("load average at start", "?"), meta.get("load average at end", "?")))
    for key, val in meta.items():
        if key.startswith("extension "):
            out.append("# %s: %s" % (key, val))
    out.append("# " + meta.get("dataset", ""))
    out.append("# " + meta.get("parameters", ""))
    out.append("")
    out.append("%-34s%s" % ("", "".join("%16s" % s for s in systems)))
    out.append("%-34s%s" % ("build time (s)", "".join(
        "%16.1f" % statistics.median(float(b["build_s"]) for b in build if b["label"] == s) for s in systems)))
    out.append("%-34s%s" % ("index size (MiB)", "".join(
        "%16.1f" % statistics.median(float(b["index_bytes"]) / 1048576 for b in build if b["label"] == s)
        for s in systems)))

    w = 21
    for flt in filters:
        k = next(s["k"] for (sm, f, e), s in summary.items() if f == flt)
        runs = max(s["runs"] for (sm, f, e), s in summary.items() if f == flt)
        nq = next(s["queries"] for (sm, f, e), s in summary.items() if f == flt and e > 0)
        out.append("")
        out.append("== WHERE %s = $2 (%s of rows match): %s queries, k=%s, medians of %d run(s) ==" % (
            flt, SELECTIVITY.get(flt, "?"), nq, k, runs))
        curves = {}
        for m in modes:
            pts = sorted((e, s["recall"], s["qps"]) for (sm, f, e), s in summary.items()
                         if sm == m and f == flt and e > 0)
            curves[m] = pts
        head = "%-34s" % "" + "".join("%*s" % (w, m) for m in modes)
        if len(modes) >= 2:
            head += "%*s" % (w, "ratio 1st/2nd")
        out.append(head)
        for t in TARGETS:
            vals = [at_recall(curves[m], t) for m in modes]
            line = "%-34s" % ("QPS at recall %.2f" % t) + "".join("%*s" % (w, show(v)) for v in vals)
            if len(modes) >= 2:
                ok = vals[0] is not None and vals[1] is not None and vals[0][1] and vals[1][1]
                line += "%*s" % (w, "%.2f" % (vals[0][0] / vals[1][0]) if ok else "-")
            out.append(line)
        line = "%-34s" % "max recall (at largest ef_search)"
        for m in modes:
            line += "%*s" % (w, "%.4f" % curves[m][-1][1] if curves[m] else "-")
        out.append(line)
        line = "%-34s" % "min rows per query, whole sweep"
        for m in modes:
            mins = [s["min_rows"] for (sm, f, e), s in summary.items() if sm == m and f == flt and e > 0]
            line += "%*s" % (w, min(mins) if mins else "-")
        out.append(line)
        out.append("planner at default settings (first query, EXPLAIN ANALYZE):")
        for p in plans:
            if p["filter"] == flt:
                out.append("    %-26s %s, %.2f ms" % (p["label"] + "/" + p["mode"], p["plan"],
                                                      float(p["execution_ms"])))
        out.append("exact plan (Seq Scan, Filter, top-%s Sort):" % k)
        for s in systems:
            ex = summary.get((s + "/exact", flt, 0))
            if ex:
                out.append("    %-26s QPS %.1f, p50 %.2f ms, recall %.4f, rows %.2f (%s queries)" % (
                    s, ex["qps"], ex["p50"], ex["recall"], ex["rows"], ex["queries"]))
        out.append("")
        out.append("%9s |" % "ef_search" + "|".join(
            " %-22s" % m[:22] + "%7s %8s %5s %7s " % ("recall", "QPS", "rows", "p50ms") for m in modes))
        efs = sorted({e for (sm, f, e) in summary if f == flt and e > 0})
        for ef in efs:
            cells = []
            for m in modes:
                s = summary.get((m, flt, ef))
                if s is None:
                    cells.append(" " * 55)
                else:
                    cells.append(" %-22s%7.4f %8.1f %5.2f %7.3f " % (
                        plan_word(s["planner"]), s["recall"], s["qps"], s["rows"], s["p50"]))
            out.append("%9d |" % ef + "|".join(cells))
        out.append("(index/seqscan: what the planner would choose itself at that ef_search,"
                   " with enable_seqscan = on; the timed queries ran with it off)")

    out.extend(x for x in metalines if x.startswith(("server log: ", "WARNING")))
    text = "\n".join(out) + "\n"
    with open(os.path.join(d, "report.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)

    if shutil.which("gnuplot"):
        for flt in filters:
            dat = os.path.join(d, "filter-%s.dat" % flt)
            with open(dat, "w") as f:
                for m in modes:
                    f.write('"%s"\n' % m)
                    for (sm, fl, e), s in sorted(summary.items(), key=lambda x: x[0][2]):
                        if sm == m and fl == flt and e > 0:
                            f.write("%.5f %.2f %d\n" % (s["recall"], s["qps"], e))
                    f.write("\n\n")
                for s in systems:
                    ex = summary.get((s + "/exact", flt, 0))
                    if ex:
                        f.write('"%s exact (seq scan)"\n%.5f %.2f 0\n\n\n' % (s, ex["recall"], ex["qps"]))
            script = (
                'set terminal pngcairo size 900,600 noenhanced\n'
                'set output "%s"\n'
                'set title "WHERE %s = $2 (%s match), k=%s: recall against QPS"\n'
                'set xlabel "recall@%s"\nset ylabel "QPS (one client)"\nset logscale y\n'
                'set key left bottom\nset grid\n'
                'plot for [i=0:*] "%s" index i using 1:2 with linespoints title columnheader(1), '
                'for [i=0:*] "%s" index i using 1:2:3 with labels offset 0.8,0.5 font ",7" notitle\n'
            ) % (os.path.join(d, "filter-%s.png" % flt), flt, SELECTIVITY.get(flt, "?"), k, k, dat, dat)
            try:
                subprocess.run(["gnuplot"], input=script.encode(), check=True,
                               stderr=subprocess.DEVNULL)
            except (subprocess.CalledProcessError, OSError):
                pass


if __name__ == "__main__":
    main()
