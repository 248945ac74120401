# Report helpers for the benchmark drivers (bench/slowpath.sh,
# fastpath.sh, l7.sh, ctsync.sh, ctevents.sh); imported, never run.
#
# A driver records each run's results with rec (bench/lib.sh) as
# KEY=VALUE lines in $T/RUN.kv; a figure read before and after the load
# is KEY0 and KEY1. The Python each driver embeds for its report puts
# bench/ on sys.path and imports what it needs from here; it runs as
# python3 -B, so nothing is written next to this file. Output formats
# stay with the drivers.

import glob
import os
import statistics


def load(path):
    """The KEY=VALUE lines of PATH as a dict; a later line wins."""
    kv = {}
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("=")
        kv[k] = v
    return kv


def num(kv, k):
    """kv[k] as a float; 0.0 when missing, empty or not a number."""
    try:
        return float(kv.get(k, "") or 0)
    except ValueError:
        return 0.0


def delta(kv, k):
    """What k grew by over the load: k1 - k0."""
    return num(kv, k + "1") - num(kv, k + "0")


def load_runs(T, row):
    """{RUN: row(RUN, kv)} for every T/RUN.kv, in the order of the names."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(T, "*.kv"))):
        run = os.path.basename(path)[:-3]
        runs[run] = row(run, load(path))
    return runs


def stage_medians(runs, stages, cols):
    """One row per stage of STAGES that ran, in that order: its first
    usable run (no error, not skipped) with each of COLS the median over
    the usable runs (None where none has it) and "runs" their number; a
    stage with no usable run keeps its first run as it is, error and
    all."""
    med = {}
    for s in stages:
        rs = [r for r in runs.values() if r["stage"] == s]
        if not rs:
            continue
        ok = [r for r in rs if not r["error"] and not r.get("skipped")]
        if not ok:
            med[s] = dict(rs[0])
            continue
        m = dict(ok[0])
        for k in cols:
            vals = [r[k] for r in ok if r.get(k) is not None]
            m[k] = statistics.median(vals) if vals else None
        m["runs"] = len(ok)
        med[s] = m
    return med


def print_table_head(secs_req, repeat, runs, hdr, fmt, per="stage"):
    """The start of a driver's table: a note on 1-second (smoke) runs;
    with more than one run per stage, every run, FMT(name, run) each,
    then "median per PER:"; last HDR and a rule under it. The driver
    prints its median rows after it."""
    if secs_req == "1":
        print("(1-second runs, as with --smoke: a check that every stage "
              "works, not a measurement)")
    if int(repeat) > 1:
        print()
        print("every run:")
        print(hdr)
        for run, r in runs.items():
            print(fmt("%s %s" % (run, r["label"]), r))
        print()
        print("median per %s:" % per)
    print(hdr)
    print("-" * len(hdr))
