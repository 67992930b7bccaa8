#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# report.py
#	  The report of every benchmark: reads the CSV files and meta.txt of
#	  one run, writes report.txt (also printed) and summary.csv where the
#	  benchmark has one, and draws recall/QPS plots when gnuplot is
#	  installed.  The scripts call it at the end of a run; it can be rerun
#	  on old results:
#
#	  python3 bench/report.py ann    bench/results/<timestamp>
#	  python3 bench/report.py filter bench/results/<timestamp>-filter
#	  python3 bench/report.py write  bench/results/<timestamp>-write
#	  python3 bench/report.py bq     bench/results/<timestamp>-bq
#	  python3 bench/report.py sparse bench/results/<timestamp>-sparse
#	  python3 bench/report.py space  bench/results/<timestamp>-space
#
# Values are medians over the repeated runs.  "QPS at recall R" is
# computed in one place, qps_at_recall: it follows a curve in ef_search
# order and interpolates linearly in (recall, log QPS) between the first
# two points that bracket R.  When even the smallest ef_search reaches R,
# the QPS there is a lower bound (">N"); when no ef_search reaches R, there
# is no value ("-").  Ratios are the first system (or mode) over the
# second, measured in the same run, and only between interpolated values.
# The ann report has a ratio column for every system after the first (a
# variant of the extension, the peer, hnswlib): the first system over that
# one.  Where the run wrote scanstats.csv, it adds per metric the counters
# of hnsw_scan_stats() at recall 0.90 and 0.95 (scan_counters).
#
# A new benchmark adds a function NAME_report(d) and a row in REPORTS.
#
# IDENTIFICATION
#	  bench/report.py
#
# -------------------------------------------------------------------------
import csv
import math
import os
import re
import shutil
import statistics
import subprocess
import sys

# ------------------------------------------------------------------ input


def read_csv(path, header=None):
    """rows of a CSV file as dicts; [] if there is no such file"""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, fieldnames=header))


def read_meta(d):
    """meta.txt as {key: first value} and its lines"""
    out = {}
    lines = []
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            lines.append(line.rstrip("\n"))
            if ": " in line and not line.startswith(" "):
                key, val = line.rstrip("\n").split(": ", 1)
                out.setdefault(key, val)
    return out, lines


def med(values):
    values = [float(v) for v in values]
    return statistics.median(values) if values else None


# ------------------------------------------------------ QPS at recall R


def qps_at_recall(points, target):
    """points: [(ef, recall, qps)] -> (qps, interpolated?) or None"""
    points = sorted(points)
    if not points:
        return None
    if points[0][1] >= target:
        return (points[0][2], False)
    for (e0, r0, q0), (e1, r1, q1) in zip(points, points[1:]):
        if r0 < target <= r1:
            t = (target - r0) / (r1 - r0)
            return (math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0))), True)
    return None


def show_at(v, digits):
    """a qps_at_recall value as "N", ">N" or "-" """
    if v is None:
        return "-"
    return ("%.*f" if v[1] else ">%.*f") % (digits, v[0])


def ratio_at(a, b, none):
    """a / b of two qps_at_recall values, if both are interpolated"""
    if a is None or b is None or not a[1] or not b[1] or b[0] == 0:
        return none
    return "%.2f" % (a[0] / b[0])


# ------------------------------------------------------------------ plots


def plot(png, title, xlabel, ylabel, curves, key):
    """
    One recall/QPS plot, log scale on y, points labelled with ef_search:
    curves is [(title, [(recall, qps, ef)])].  Nothing without gnuplot.
    """
    if not shutil.which("gnuplot"):
        return False
    dat = png[:-4] + ".dat"
    with open(dat, "w") as f:
        for name, pts in curves:
            f.write('"%s"\n' % name)
            for r, q, e in pts:
                f.write("%.5f %.2f %d\n" % (r, q, e))
            f.write("\n\n")
    script = (
        'set terminal pngcairo size 900,600 font ",10" noenhanced\n'
        'set output "%s"\nset title "%s"\nset xlabel "%s"\nset ylabel "%s"\n'
        'set logscale y\nset grid\nset key %s\n'
        'plot for [i=0:*] "%s" index i using 1:2 with linespoints pt 7 title columnheader(1), '
        'for [i=0:*] "%s" index i using 1:2:3 with labels offset 0.8,0.5 font ",7" notitle\n'
    ) % (png, title.replace('"', ""), xlabel, ylabel, key, dat, dat)
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True,
                       stderr=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, OSError):
        pass
    return True


def header_lines(meta):
    """the machine and the run, as comment lines"""
    out = ["# " + meta.get("command", "")]
    out.append("# %s; %s; %s" % (meta.get("cpu", ""), meta.get("cpus", ""), meta.get("os kernel", "")))
    out.append("# load average: start %s, end %s" %
               (meta.get("load average at start", "?"), meta.get("load average at end", "?")))
    for key, val in meta.items():
        if key.startswith("extension "):
            out.append("# %s: %s" % (key, val))
    return out


def md_table(out, head, rows):
    """Append to out a markdown table of columns head and rows (lists of cells), and a blank line"""
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    out.extend("| " + " | ".join(str(c) for c in r) + " |" for r in rows)
    out.append("")


def finish(d, lines):
    text = "\n".join(lines) + "\n"
    with open(os.path.join(d, "report.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


# -------------------------------------------------------------------- ann


def pareto(points):
    """
    The upper envelope of [(recall, qps, label)]: the points that no other
    point beats in both recall and QPS, by increasing recall (so by
    decreasing QPS), as [(rank, recall, qps, label)] for qps_at_recall.
    """
    best = []
    for r, q, lab in sorted(points, key=lambda p: (-p[0], -p[1])):
        if not best or q > best[-1][1]:
            best.append((r, q, lab))
    best.reverse()
    return [(i, r, q, lab) for i, (r, q, lab) in enumerate(best)]


UNITS = {"kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}


def setting_bytes(v):
    """a memory setting as PostgreSQL shows it ("64MB", "4GB") in bytes, or None"""
    m = re.match(r"^(\d+)\s*(kB|MB|GB|TB)?$", v or "")
    return int(m.group(1)) * UNITS.get(m.group(2) or "kB", 1024) if m else None


def outgrown(d):
    """
    {(label, metric): tuples} from messages.txt: the builds whose graph
    outgrew maintenance_work_mem, and after how many tuples (the NOTICE
    both hnsw and pgvector give)
    """
    out = {}
    path = os.path.join(d, "messages.txt")
    if os.path.exists(path):
        for line in open(path):
            m = re.match(r"^(\S+) (\S+) build:.*no longer fits into maintenance_work_mem after (\d+) tuples", line)
            if m:
                out[(m.group(1), m.group(2))] = int(m.group(3))
    return out


def build_rows(build, systems, m, suffix, full):
    """
    The rows of one build of each system (label system + suffix): time,
    size, memory, and whether the graph outgrew maintenance_work_mem; a
    ratio column per system after the first
    """
    def ratio(a, b):
        return "n/a" if a is None or b is None or b == 0 else "%.2f" % (a / b)

    def val(s, field, scale=1):
        b = build.get((s + suffix, m))
        v = b.get(field) if b else None
        if v in (None, "") or float(v) < 0:
            return None
        return float(v) / scale

    def row(name, vals, spec, with_ratio=True):
        return ("%-22s" % name + "".join(" %12s" % ("-" if v is None else spec % v) for v in vals) +
                ("".join(" %12s" % ratio(vals[0], v) for v in vals[1:]) if with_ratio else ""))

    mwm = next((build[(s + suffix, m)].get("maintenance_work_mem") for s in systems
                if (s + suffix, m) in build), None) or "?"
    tag = "" if not suffix else ", %s" % suffix[1:]
    out = [row("build time (s)" + tag, [val(s, "build_s") for s in systems], "%.1f"),
           row("index size (MiB)" + tag, [val(s, "index_bytes", 1048576) for s in systems], "%.1f")]
    if any(val(s, "peak_private_bytes") is not None for s in systems):
        out.append(row("build private MiB" + tag, [val(s, "peak_private_bytes", 1048576) for s in systems], "%.0f"))
        out.append(row("build peak RSS MiB" + tag, [val(s, "peak_rss_bytes", 1048576) for s in systems], "%.0f"))
    tuples = [full.get((s + suffix, m)) for s in systems]
    if any(t is not None for t in tuples):
        rows = [float(build[(s + suffix, m)]["rows"]) if (s + suffix, m) in build else None for s in systems]
        out.append(row("mwm %s full after" % mwm, tuples, "%d", False))
        need = [setting_bytes(mwm) * r / t / 1048576 if t and r and setting_bytes(mwm) else None
                for t, r in zip(tuples, rows)]
        out.append(row("mwm needed (MiB, est.)", need, "%.0f", False))
    return out


SCAN_COUNTERS = (("expanded", "lists read"), ("estimated", "estimated"), ("skipped", "skipped"),
                 ("distances", "distances"), ("buffers", "buffers"))


def scan_counters(scans, summary, systems, m, efs):
    """
    The tables "Per-scan counters at recall R" of metric m, R = 0.90 and
    0.95: for each system with counters (scans: {(system, metric, ef):
    [rows of scanstats.csv]}), at the smallest ef_search whose median
    recall reaches R, the mean counters per query (the median over the
    rounds); none without counters
    """
    counted = [s for s in systems if any((s, m, ef) in scans for ef in efs)]
    if not counted:
        return []
    out = []
    for target in (0.90, 0.95):
        out.append("")
        out.append("Per-scan counters at recall %.2f (hnsw_scan_stats(), mean per query, at the smallest"
                   " ef_search whose recall reaches %.2f)" % (target, target))
        out.append("%-14s %9s %7s" % ("system", "ef_search", "recall") +
                   "".join(" %10s" % name for _, name in SCAN_COUNTERS))
        for s in counted:
            ef = next((e for e in sorted(efs) if (s, m, e) in summary and summary[(s, m, e)]["recall"] >= target),
                      None)
            if ef is None:
                out.append("%-14s %9s %7s" % (s, "-", "-") + (" %10s" % "-") * len(SCAN_COUNTERS) +
                           "   (no ef_search reaches %.2f)" % target)
                continue
            rows = scans.get((s, m, ef), [])
            line = "%-14s %9d %7.4f" % (s, ef, summary[(s, m, ef)]["recall"])
            for col, _ in SCAN_COUNTERS:
                v = med(r[col] for r in rows)
                line += " %10s" % ("-" if v is None else "%.1f" % v)
            out.append(line)
    out.append("(lists read: neighbour lists expanded; estimated: distances estimated from codes; skipped:"
               " estimated and never read; distances: computed from vectors; buffers: pins of lists and"
               " elements)")
    return out


def ann_report(d, title="ANN benchmark"):
    meta, _ = read_meta(d)
    systems = meta["systems"].split()
    kernels = ["%s %s (kernel: %s)" % m.groups()
               for m in (re.match(r"extension ([^:]*): version ([^;]*); hnsw.distance_kernel: ([^;]*);", x)
                         for x in open(os.path.join(d, "meta.txt")))
               if m]
    if "hnswlib" in meta:
        kernels.append("hnswlib %s (%s; %s)" % (meta["hnswlib"].split(";")[0].replace("version ", ""),
                                                meta.get("hnswlib kernel", "?"), meta.get("hnswlib flags", "?")))
    kernels = ", ".join(kernels)
    build = {(b["label"], b["metric"]): b for b in read_csv(os.path.join(d, "build.csv"))}
    rows = read_csv(os.path.join(d, "search.csv"))
    if not rows:
        sys.exit("no %s" % os.path.join(d, "search.csv"))

    metrics, efs, groups = [], {}, {}
    for r in rows:
        m, ef = r["metric"], int(r["ef_search"])
        if m not in metrics:
            metrics.append(m)
        efs.setdefault(m, [])
        if ef not in efs[m]:
            efs[m].append(ef)
        groups.setdefault((r["label"], m, ef), []).append(r)
    nq, k = rows[-1]["queries"], rows[-1]["k"]
    summary = {}
    for key, g in groups.items():
        summary[key] = {
            "runs": len(g),
            "recall": med(x["recall"] for x in g),
            "qps": med(x["qps"] for x in g),
            "p50": med(x["p50_ms"] for x in g),
            "p99": med(x["p99_ms"] for x in g),
            "seqscan": any(x["planner"] == "seqscan" for x in g),
        }

    def ratio(a, b):
        return "n/a" if a is None or b is None or b == 0 else "%.2f" % (a / b)

    others = systems[1:]
    # the QPS ratio at each ef_search: one column per system after the first
    qheads = ["QPS ratio"] if len(others) == 1 else ["QPS %s/%s" % (systems[0], s) for s in others]
    full = outgrown(d)
    out = ["%s: %s" % (title, meta.get("data files", "")), meta.get("parameters", ""), kernels]
    out.extend("%s: %s" % (key, meta[key]) for key in ("peer index", "peer query") if key in meta)
    out.extend("%s: %s" % (key, val) for key, val in meta.items() if key.startswith("variant "))
    scans = {}
    for r in read_csv(os.path.join(d, "scanstats.csv")):
        scans.setdefault((r["system"], r["metric"], int(r["ef_search"])), []).append(r)
    with open(os.path.join(d, "summary.csv"), "w") as f:
        f.write("label,metric,ef_search,runs,recall,qps,p50_ms,p99_ms\n")
        for m in metrics:
            for s in systems:
                for ef in efs[m]:
                    x = summary.get((s, m, ef))
                    if x:
                        f.write("%s,%s,%d,%d,%.4f,%.1f,%.3f,%.3f\n" % (
                            s, m, ef, x["runs"], x["recall"], x["qps"], x["p50"], x["p99"]))
    for m in metrics:
        first = summary.get((systems[0], m, efs[m][0]))
        out.append("")
        out.append("== %s: %s queries, k=%s, medians of %d run(s) ==" % (
            m, nq, k, first["runs"] if first else 0))
        if "shared_buffers for the %s sweeps" % m in meta:
            out.append("shared_buffers during the sweeps: %s" % meta["shared_buffers for the %s sweeps" % m])
        out.append("%-22s" % "" + "".join(" %12s" % s for s in systems) +
                   "".join(" %12s" % ("%s/%s" % (systems[0], s)) for s in others))
        out.extend(build_rows(build, systems, m, "", full))
        for suffix in sorted({lab[len(s):] for (lab, m2) in build for s in systems
                              if m2 == m and lab.startswith(s + "@")}):
            out.extend(build_rows(build, systems, m, suffix, full))
        # with --type halfvec: the vector index on the same values
        if any((s + ":vector", m) in build for s in systems):
            vsize = [float(build[(s + ":vector", m)]["index_bytes"]) / 1048576
                     if (s + ":vector", m) in build else None for s in systems]
            out.append("%-22s" % "vector index (MiB)" +
                       "".join(" %12s" % ("-" if v is None else "%.1f" % v) for v in vsize))
            hsize = [float(build[(s, m)]["index_bytes"]) / 1048576 if (s, m) in build else None
                     for s in systems]
            out.append("%-22s" % "index / vector index" +
                       "".join(" %12s" % ratio(h, v) for h, v in zip(hsize, vsize)))
        for target in (0.90, 0.95):
            vals = [qps_at_recall([(ef, x["recall"], x["qps"]) for (s2, m2, ef), x in summary.items()
                                   if s2 == s and m2 == m], target) for s in systems]
            out.append("%-22s" % ("QPS at recall %.2f" % target) + "".join(" %12s" % show_at(v, 0) for v in vals) +
                       "".join(" %12s" % ratio_at(vals[0], v, "n/a") for v in vals[1:]))
        for s in systems:
            seq = "".join(" %d" % ef for ef in efs[m] if summary.get((s, m, ef), {}).get("seqscan"))
            if seq:
                out.append("note: %s's planner would choose a sequential scan at ef_search%s" % (s, seq))
                out.append("      (the index was measured, with enable_seqscan = off)")
        out.append("")
        out.append("%9s" % "ef_search" +
                   "".join(" | %-8s %7s %9s %8s %8s" % (s, "recall", "QPS", "p50 ms", "p99 ms") for s in systems) +
                   "".join(" | %9s" % h for h in qheads))
        for ef in efs[m]:
            line = "%9d" % ef
            for s in systems:
                x = summary.get((s, m, ef))
                if x:
                    line += " | %-8s %7.4f %9.1f %8.3f %8.3f" % ("", x["recall"], x["qps"], x["p50"], x["p99"])
                else:
                    line += " | %-8s %7s %9s %8s %8s" % ("", "-", "-", "-", "-")
            a = summary.get((systems[0], m, ef))
            for s, h in zip(others, qheads):
                b = summary.get((s, m, ef))
                line += " | %*s" % (max(9, len(h)), ratio(a and a["qps"], b and b["qps"]))
            out.append(line)
        out.extend(scan_counters(scans, summary, systems, m, efs[m]))
    if any(s + "@" in lab for (lab, m2) in build for s in systems) or any(
            b.get("peak_private_bytes") for b in build.values()):
        out.append("")
        out.append("build private MiB: peak RssAnon of the backend during CREATE INDEX; build peak RSS:"
                   " its VmHWM, shared buffers touched included")
        if full:
            out.append("mwm ... full after: the graph outgrew maintenance_work_mem after that many tuples;"
                       " mwm needed: maintenance_work_mem x rows / tuples")
        if "hnswlib" in systems:
            out.append("hnswlib: build private MiB is how much the driver's RssAnon grew during the build"
                       " (the index), build peak RSS its VmHWM (the base vectors it holds included)")
    plans = os.path.join(d, "plans.txt")
    if os.path.exists(plans) and os.path.getsize(plans) > 0:
        out.append("")
        out.append("plans at default settings (EXPLAIN, first query, first round):")
        with open(plans) as f:
            out.extend("  " + x.rstrip("\n") for x in f if x.strip())
    finish(d, out)

    names = {s: s for s in systems}
    if "peer-expr" in meta and len(systems) > 1:
        names[systems[1]] = "%s (%s expression index)" % (systems[1], meta["peer-expr"])
    for m in metrics:
        curves = [(names[s], [(x["recall"], x["qps"], ef) for ef in efs[m] for x in [summary.get((s, m, ef))] if x])
                  for s in systems]
        if not plot(os.path.join(d, m + ".png"), "%s: recall@k vs QPS (%s)" % (m, meta.get("data files", "")),
                    "recall", "queries per second (one client)", curves, "top right"):
            print("gnuplot not found: no plots (apt-get install -y gnuplot-nox)", file=sys.stderr)
            break


# ----------------------------------------------------------------- filter

SELECTIVITY = {"c10": "10%", "c100": "1%"}


def plan_word(shape):
    """the scan that answers, in one word"""
    for key, word in (("Index Scan", "index"), ("Bitmap", "bitmap"), ("Seq Scan", "seqscan")):
        if key in shape:
            return word
    return shape[:22]


def filter_report(d):
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
            "recall": med(x["recall"] for x in g),
            "qps": med(x["qps"] for x in g),
            "p50": med(x["p50_ms"] for x in g),
            "p99": med(x["p99_ms"] for x in g),
            "rows": med(x["rows_per_query"] for x in g),
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

    out = header_lines(meta)
    out.append("# " + meta.get("dataset", ""))
    out.append("# " + meta.get("parameters", ""))
    out.append("")
    out.append("%-34s%s" % ("", "".join("%16s" % s for s in systems)))
    out.append("%-34s%s" % ("build time (s)", "".join(
        "%16.1f" % med(b["build_s"] for b in build if b["label"] == s) for s in systems)))
    out.append("%-34s%s" % ("index size (MiB)", "".join(
        "%16.1f" % med(float(b["index_bytes"]) / 1048576 for b in build if b["label"] == s)
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
            curves[m] = sorted((e, s["recall"], s["qps"]) for (sm, f, e), s in summary.items()
                               if sm == m and f == flt and e > 0)
        head = "%-34s" % "" + "".join("%*s" % (w, m) for m in modes)
        if len(modes) >= 2:
            head += "%*s" % (w, "ratio 1st/2nd")
        out.append(head)
        for t in (0.90, 0.95, 0.99):
            vals = [qps_at_recall(curves[m], t) for m in modes]
            line = "%-34s" % ("QPS at recall %.2f" % t) + "".join("%*s" % (w, show_at(v, 1)) for v in vals)
            if len(modes) >= 2:
                line += "%*s" % (w, ratio_at(vals[0], vals[1], "-"))
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
    finish(d, out)

    for flt in filters:
        k = next(s["k"] for (sm, f, e), s in summary.items() if f == flt)
        curves = [(m, [(s["recall"], s["qps"], e) for (sm, fl, e), s in sorted(summary.items(), key=lambda x: x[0][2])
                       if sm == m and fl == flt and e > 0]) for m in modes]
        for s in systems:
            ex = summary.get((s + "/exact", flt, 0))
            if ex:
                curves.append(("%s exact (seq scan)" % s, [(ex["recall"], ex["qps"], 0)]))
        plot(os.path.join(d, "filter-%s.png" % flt),
             "WHERE %s = $2 (%s match), k=%s: recall against QPS" % (flt, SELECTIVITY.get(flt, "?"), k),
             "recall@%s" % k, "QPS (one client)", curves, "left bottom")


# ------------------------------------------------------------------ write


def write_report(d):
    m, metalines = read_meta(d)
    systems = m["systems"].split()
    two = len(systems) == 2
    lines = []

    def fmt(v, spec):
        return "-" if v is None else format(v, spec)

    def ratio(a, b):
        return "-" if a is None or b is None or b == 0 else "%.2f" % (a / b)

    def row(name, vals, spec, better=""):
        cells = "".join("%14s" % fmt(v, spec) for v in vals)
        r = ("%14s" % ratio(vals[0], vals[1])) if two else ""
        lines.append("%-40s%s%s%s" % (name, cells, r, better))

    head = "%-40s%s" % ("", "".join("%14s" % s for s in systems))
    if two:
        head += "%14s" % ("%s/%s" % tuple(systems))

    lines.extend(header_lines(m))
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
            for name, src in (("fresh build", before), ("after VACUUM", rec), ("rebuilt after delete", rebuilt)):
                row("recall@%s ef_search=%d, %s" % (k, ef, name),
                    [med(r["recall"] for r in src if r["label"] == s and int(r["ef_search"]) == ef)
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
    lines.extend(x for x in metalines if x.startswith(("server log: ", "WARNING")))
    finish(d, lines)


# -------------------------------------------------------------------- bq


def bq_report(d):
    """
    Binary quantization with re-rank: one curve per system and inner LIMIT
    N over ef_search; QPS at recall R on each system's upper envelope of
    all its (N, ef_search) points.
    """
    meta, metalines = read_meta(d)
    systems = meta["systems"].split()
    two = len(systems) == 2
    build = {b["label"]: b for b in read_csv(os.path.join(d, "build.csv"))}
    rows = read_csv(os.path.join(d, "search.csv"))
    if not rows:
        sys.exit("no %s" % os.path.join(d, "search.csv"))
    groups, curves = {}, []
    for r in rows:
        c = r["curve"]
        if c not in curves:
            curves.append(c)
        groups.setdefault((r["label"], c, int(r["ef_search"])), []).append(r)
    summary = {}
    for key, g in groups.items():
        summary[key] = {
            "runs": len(g),
            "recall": med(x["recall"] for x in g),
            "qps": med(x["qps"] for x in g),
            "p50": med(x["p50_ms"] for x in g),
            "p99": med(x["p99_ms"] for x in g),
            "rows": med(x["rows_per_query"] for x in g),
            "planner": "index" if all(x["planner"] == "index" for x in g) else "seqscan",
        }
    with open(os.path.join(d, "summary.csv"), "w") as f:
        f.write("label,curve,ef_search,runs,recall,qps,p50_ms,p99_ms,rows_per_query,planner\n")
        for (s, c, ef), x in sorted(summary.items(), key=lambda i: (i[0][0], curves.index(i[0][1]), i[0][2])):
            f.write("%s,%s,%d,%d,%.4f,%.1f,%.3f,%.3f,%.2f,%s\n" % (
                s, c, ef, x["runs"], x["recall"], x["qps"], x["p50"], x["p99"], x["rows"], x["planner"]))

    def ratio(a, b):
        return "n/a" if a is None or b is None or b == 0 else "%.2f" % (a / b)

    out = header_lines(meta)
    out.append("# " + meta.get("dataset", ""))
    out.append("# " + meta.get("parameters", ""))
    out.append("# query: " + meta.get("query", ""))
    out.append("")
    nq, k = rows[-1]["queries"], rows[-1]["k"]
    runs = max(x["runs"] for x in summary.values())
    out.append("== binary quantization + re-rank: %s queries, recall@%s against exact cosine, medians of %d run(s) ==" % (
        nq, k, runs))
    out.append("%-34s" % "" + "".join(" %12s" % s for s in systems) + (" %12s" % "/".join(systems) if two else ""))
    vals = [float(build[s]["build_s"]) if s in build else None for s in systems]
    out.append("%-34s" % "build time (s)" + "".join(" %12s" % ("-" if v is None else "%.1f" % v) for v in vals) +
               (" %12s" % ratio(vals[0], vals[1]) if two else ""))
    vals = [float(build[s]["index_bytes"]) / 1048576 if s in build else None for s in systems]
    out.append("%-34s" % "index size (MiB)" + "".join(" %12s" % ("-" if v is None else "%.1f" % v) for v in vals) +
               (" %12s" % ratio(vals[0], vals[1]) if two else ""))
    scans = [c for c in curves if c.startswith("scan-")]
    curves = [c for c in curves if not c.startswith("scan-")]
    fronts = {}
    for s in systems:
        pts = [(x["recall"], x["qps"], "%s/ef%d" % (c, ef)) for (s2, c, ef), x in summary.items()
               if s2 == s and c in curves]
        fronts[s] = pareto(pts)
    for target in (0.80, 0.90, 0.95, 0.99):
        vals = [qps_at_recall([(i, r, q) for i, r, q, lab in fronts[s]], target) for s in systems]
        out.append("%-34s" % ("QPS at recall %.2f (envelope)" % target) +
                   "".join(" %12s" % show_at(v, 0) for v in vals) +
                   (" %12s" % ratio_at(vals[0], vals[1], "n/a") if two else ""))
    for s in systems:
        out.append("envelope of %s: %s" % (s, ", ".join("%s %.3f/%.0f" % (lab, r, q) for i, r, q, lab in fronts[s])))
    for c in curves:
        for target in (0.90, 0.95):
            vals = [qps_at_recall([(ef, x["recall"], x["qps"]) for (s2, c2, ef), x in summary.items()
                                   if s2 == s and c2 == c], target) for s in systems]
            out.append("%-34s" % ("QPS at recall %.2f, %s" % (target, c)) +
                       "".join(" %12s" % show_at(v, 0) for v in vals) +
                       (" %12s" % ratio_at(vals[0], vals[1], "n/a") if two else ""))
    for s in systems:
        seq = sorted("%s/ef%d" % (c, ef) for (s2, c, ef), x in summary.items() if s2 == s and x["planner"] != "index")
        if seq:
            out.append("note: %s's planner would not use the index at %s" % (s, " ".join(seq)))
            out.append("      (the index was measured, with enable_seqscan = off)")

    for c in curves:
        out.append("")
        out.append("-- inner LIMIT %s --" % c.lstrip("n"))
        out.append("%9s" % "ef_search" +
                   "".join(" | %-8s %7s %9s %8s %8s %5s" % (s, "recall", "QPS", "p50 ms", "p99 ms", "rows")
                           for s in systems) + (" | %9s" % "QPS ratio" if two else ""))
        efs = sorted({ef for (s2, c2, ef) in summary if c2 == c})
        for ef in efs:
            line = "%9d" % ef
            for s in systems:
                x = summary.get((s, c, ef))
                if x:
                    line += " | %-8s %7.4f %9.1f %8.3f %8.3f %5.2f" % (
                        "", x["recall"], x["qps"], x["p50"], x["p99"], x["rows"])
                else:
                    line += " | %-8s %7s %9s %8s %8s %5s" % ("", "-", "-", "-", "-", "-")
            if two:
                a, b = (summary.get((s, c, ef)) for s in systems)
                line += " | %9s" % ratio(a and a["qps"], b and b["qps"])
            out.append(line)

    if scans:
        out.append("")
        out.append("-- the inner index scan alone (no re-rank): QPS, and its share of the time of the whole query --")
        out.append("%-10s %9s" % ("inner N", "ef_search") +
                   "".join(" | %-8s %9s %8s %6s" % (s, "QPS", "p50 ms", "share") for s in systems) +
                   (" | %9s" % "QPS ratio" if two else ""))
        for c in scans:
            for ef in sorted({ef for (s2, c2, ef) in summary if c2 == c}):
                line = "%-10s %9d" % (c[len("scan-n"):], ef)
                for s in systems:
                    x = summary.get((s, c, ef))
                    whole = summary.get((s, c[len("scan-"):], ef))
                    if x:
                        share = "%.2f" % (whole["qps"] / x["qps"]) if whole else "-"
                        line += " | %-8s %9.1f %8.3f %6s" % ("", x["qps"], x["p50"], share)
                    else:
                        line += " | %-8s %9s %8s %6s" % ("", "-", "-", "-")
                if two:
                    a, b = (summary.get((s, c, ef)) for s in systems)
                    line += " | %9s" % ratio(a and a["qps"], b and b["qps"])
                out.append(line)
        out.append("(share: time of the scan / time of the whole query = QPS of the query / QPS of the scan)")

    plans = os.path.join(d, "plans.txt")
    if os.path.exists(plans):
        out.append("")
        out.append("plans at default settings (EXPLAIN, first query):")
        with open(plans) as f:
            out.extend("  " + x.rstrip("\n") for x in f if x.strip())
    out.extend(x for x in metalines if x.startswith(("server log: ", "WARNING")))
    finish(d, out)

    pc = []
    for s in systems:
        for c in curves:
            pts = [(x["recall"], x["qps"], ef) for (s2, c2, ef), x in sorted(summary.items(), key=lambda i: i[0][2])
                   if s2 == s and c2 == c]
            if pts:
                pc.append(("%s LIMIT %s" % (s, c.lstrip("n")), pts))
    if not plot(os.path.join(d, "bq.png"),
                "binary quantization + re-rank: recall@%s vs QPS (%s)" % (k, meta.get("data files", "").split(",")[0]),
                "recall (against exact cosine)", "queries per second (one client)", pc, "left bottom"):
        print("gnuplot not found: no plots (apt-get install -y gnuplot-nox)", file=sys.stderr)


def sparse_report(d):
    ann_report(d, "sparsevec benchmark")


# ------------------------------------------------------------------ space


def space_report(d):
    """
    Bytes per vector: a markdown table, a row per dimension, per type the
    values' own bytes and, per system, pg_relation_size(index) / rows and
    its multiple of the values' bytes; "n/a" where the system refused
    """
    meta, metalines = read_meta(d)
    systems = meta["systems"].split()
    rows = read_csv(os.path.join(d, "space.csv"))
    if not rows:
        sys.exit("no %s" % os.path.join(d, "space.csv"))
    types, dims, cell, errors = [], [], {}, {}
    for r in rows:
        if r["type"] not in types:
            types.append(r["type"])
        if int(r["dim"]) not in dims:
            dims.append(int(r["dim"]))
        cell[(r["label"], r["type"], int(r["dim"]))] = r
        if r["error"]:
            errors.setdefault((r["label"], r["type"], r["error"]), []).append(r["dim"])

    def name(s):
        return "pgvector" if s == "vector" else s

    head = ["dim"]
    for t in types:
        head.append("%s values (%s)" % (t, "4d" if t == "vector" else "2d"))
        head.extend("%s, %s: bytes/row (x)" % (t, name(s)) for s in systems)
    out = header_lines(meta)
    out.append("# " + meta.get("dataset", ""))
    out.append("# " + meta.get("parameters", ""))
    out.append("# " + meta.get("measure", ""))
    out.append("")
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for dim in dims:
        line = [str(dim)]
        for t in types:
            line.append(str((4 if t == "vector" else 2) * dim))
            for s in systems:
                r = cell.get((s, t, dim))
                if r is None:
                    line.append("-")
                elif r["error"] or not r["bytes_per_row"]:
                    line.append("n/a")
                else:
                    line.append("%.0f (%.2f)" % (float(r["bytes_per_row"]), float(r["ratio"])))
        out.append("| " + " | ".join(line) + " |")
    out.append("")
    out.append("(x): bytes per row / bytes of the values; n/a: the index was refused:")
    for (s, t, e), ds in sorted(errors.items()):
        out.append("  %s, %s, d = %s: %s" % (t, name(s), ",".join(ds), e))
    # the refusals are in the server log too: leave them out
    out.extend(x for x in metalines if x.startswith(("server log: ", "WARNING"))
               and not any(e in x for (s, t, e) in errors))
    finish(d, out)


def build_report(d):
    """
    Builds at scale: a table per maintenance_work_mem setting, a row per
    table size and workers, per system the build time, index size and peak
    memory; the extension's time against the peer's; recall and QPS where
    searched; and a plot of build time against rows
    """
    meta, metalines = read_meta(d)
    systems = meta["systems"].split()
    rows = read_csv(os.path.join(d, "build.csv"))
    if not rows:
        sys.exit("no %s" % os.path.join(d, "build.csv"))
    ext, peer = systems[0], (systems[1] if len(systems) > 1 else None)

    def name(s):
        return "pgvector" if s == "vector" else s

    def mib(v):
        return "%.0f" % (float(v) / 1048576) if v not in ("", "-1") else "-"

    cell = {}
    keys = []
    for r in rows:
        k = (int(r["rows"]), int(r["workers"]), r["mwm"])
        if k not in keys:
            keys.append(k)
        cell[(r["system"],) + k] = r
    out = header_lines(meta)
    for x in ("dataset", "parameters", "build", "memory"):
        out.append("# " + meta.get(x, ""))
    out.append("")
    head = ["rows", "workers", "maintenance_work_mem"]
    for s in systems:
        head += ["%s: s" % name(s), "%s: MiB" % name(s), "%s: peak private MiB" % name(s)]
    if peer:
        head.append("%s / %s time" % (ext, name(peer)))
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for k in keys:
        line = [str(k[0]), str(k[1]), k[2]]
        t = {}
        for s in systems:
            r = cell.get((s,) + k)
            if r is None:
                line += ["-", "-", "-"]
            elif r["status"] != "done":
                line += ["> %s (%s)" % (r["seconds"], r["status"]), "-", "-"]
            else:
                t[s] = float(r["seconds"])
                line += [r["seconds"], mib(r["index_bytes"]), mib(r["peak_private"])]
        if peer:
            line.append("%.2f" % (t[ext] / t[peer]) if ext in t and peer in t else "-")
        out.append("| " + " | ".join(line) + " |")
    out.append("")
    # the extension against itself: workers, and the fractions of memory
    for k in keys:
        base = cell.get((ext, k[0], 0, k[2]))
        r = cell.get((ext,) + k)
        if k[1] > 0 and base and r and base["status"] == r["status"] == "done":
            out.append("%s, %d rows, maintenance_work_mem %s: %d workers take %.2f of the serial time"
                       % (ext, k[0], k[2], k[1], float(r["seconds"]) / float(base["seconds"])))
    mwms = []
    for k in keys:
        if k[2] not in mwms:
            mwms.append(k[2])
    for k in keys:
        if k[2] == mwms[0]:
            continue
        full = cell.get((ext, k[0], k[1], mwms[0]))
        r = cell.get((ext,) + k)
        if full and r and full["status"] == r["status"] == "done":
            out.append("%s, %d rows, %d workers: maintenance_work_mem %s takes %.2f of the time with %s"
                       % (ext, k[0], k[1], k[2], float(r["seconds"]) / float(full["seconds"]), mwms[0]))
    srows = read_csv(os.path.join(d, "search.csv"))
    if srows:
        out.append("")
        out.append("| system | rows | workers | ef_search | recall@10 | QPS | p50 ms | p99 ms |")
        out.append("|---|---|---|---|---|---|---|---|")
        for r in srows:
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name(r["system"]), r["rows"], r["workers"], r["ef"], r["recall"], r["qps"],
                r["p50_ms"], r["p99_ms"]))
    # build time against rows, a curve per system and workers, at the
    # first maintenance_work_mem
    if shutil.which("gnuplot"):
        png = os.path.join(d, "build-rows.png")
        dat = png[:-4] + ".dat"
        with open(dat, "w") as f:
            for s in systems:
                for w in sorted({k[1] for k in keys}):
                    pts = [(k[0], float(cell[(s,) + k]["seconds"])) for k in keys
                           if k[1] == w and k[2] == mwms[0] and (s,) + k in cell
                           and cell[(s,) + k]["status"] == "done"]
                    if not pts:
                        continue
                    f.write('"%s, %d workers"\n' % (name(s), w))
                    for n, t in sorted(pts):
                        f.write("%d %.2f\n" % (n, t))
                    f.write("\n\n")
        script = (
            'set terminal pngcairo size 900,600 font ",10" noenhanced\n'
            'set output "%s"\nset title "CREATE INDEX time against rows (maintenance_work_mem %s)"\n'
            'set xlabel "rows"\nset ylabel "seconds"\nset logscale xy\nset grid\nset key top left\n'
            'plot for [i=0:*] "%s" index i using 1:2 with linespoints pt 7 title columnheader(1)\n'
        ) % (png, mwms[0], dat)
        try:
            subprocess.run(["gnuplot"], input=script.encode(), check=True,
                           stderr=subprocess.DEVNULL)
            out.append("")
            out.append("plot: build-rows.png")
        except (subprocess.CalledProcessError, OSError):
            pass
    out.extend(x for x in metalines if x.startswith(("server log: ", "WARNING")))
    finish(d, out)


def scale_report(d):
    """
    Scaling out: build times of one node and of two shards built at the
    same time; per system (the single node, the coordinator's hop to it,
    the coordinator over two shards) the sweep, QPS and p99 at recall 0.90
    and 0.95, and the hop's cost; the replica runs
    """
    meta, metalines = read_meta(d)
    out = header_lines(meta)
    for x in ("dataset", "parameters", "nodes", "search"):
        if x in meta:
            out.append("# " + meta[x])
    out.append("")
    build = read_csv(os.path.join(d, "build.csv"))
    if build:
        md_table(out, ["build", "workers", "seconds", "index MiB"],
                 [[{"shards": "both shards, at the same time (wall clock)"}.get(r["system"], r["system"]),
                   r["workers"], r["seconds"],
                   "%.0f" % (float(r["index_bytes"]) / 1048576) if r["index_bytes"] else "-"]
                  for r in build])
    rows = read_csv(os.path.join(d, "search.csv"))
    systems = []
    by = {}
    for r in rows:
        if r["label"] not in systems:
            systems.append(r["label"])
        by.setdefault((r["label"], int(r["ef_search"])), []).append(r)
    pts = {}
    if rows:
        efs = sorted({k[1] for k in by})
        table = []
        for ef in efs:
            line = [str(ef)]
            for s in systems:
                g = by.get((s, ef))
                if not g:
                    line += ["-"] * 4
                    continue
                x = (med(r["recall"] for r in g), med(r["qps"] for r in g),
                     med(r["p50_ms"] for r in g), med(r["p99_ms"] for r in g))
                pts.setdefault(s, []).append((ef,) + x)
                line += ["%.4f" % x[0], "%.0f" % x[1], "%.3f" % x[2], "%.3f" % x[3]]
            table.append(line)
        md_table(out, ["ef_search"] + ["%s %s" % (s, c) for s in systems
                                       for c in ("recall", "QPS", "p50 ms", "p99 ms")], table)

        table = []
        for s in systems:
            line = [s]
            for target in (0.90, 0.95):
                line.append(show_at(qps_at_recall([p[:3] for p in pts[s]], target), 0))
                # p99 along the same curve, where the recall is interpolated
                p99 = qps_at_recall([(p[0], p[1], p[4]) for p in pts[s]], target)
                line.append("%.3f" % p99[0] if p99 and p99[1] else "-")
            table.append(line)
        md_table(out, ["system", "QPS at recall 0.90", "p99 ms at 0.90", "QPS at recall 0.95", "p99 ms at 0.95"],
                 table)
        if "single" in pts and "hop" in pts:
            single = {p[0]: p for p in pts["single"]}
            for ef, recall, _, p50, _ in pts["hop"]:
                if ef in single:
                    out.append("the coordinator's hop at ef_search %d: +%.3f ms p50 latency (recall %+.4f)"
                               % (ef, p50 - single[ef][3], recall - single[ef][1]))
            out.append("")
    rep = read_csv(os.path.join(d, "replicas.csv"))
    if rep:
        md_table(out, ["reads on", "servers", "clients", "queries/s", "p50 ms", "p99 ms"],
                 [[r[k] for k in ("setup", "servers", "clients", "tps", "p50_ms", "p99_ms")] for r in rep])
    out.extend(x for x in metalines if x.startswith(("server log", "WARNING", "shard", "plans", "    ")))
    finish(d, out)


REPORTS = {"ann": ann_report, "build": build_report, "filter": filter_report, "write": write_report,
           "bq": bq_report, "sparse": sparse_report, "space": space_report,
           "scale": scale_report}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in REPORTS:
        sys.exit("usage: report.py %s RESULTS_DIR" % "|".join(REPORTS))
    REPORTS[sys.argv[1]](sys.argv[2])


if __name__ == "__main__":
    main()
