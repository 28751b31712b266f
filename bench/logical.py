#!/usr/bin/env python3
"""Side-by-side benchmark: twinpath vs MaBoSS (cmaboss) and vs AEON (biodivine_aeon).

Usage: bench_logical.py TWINPATH_BINARY [DATA_ROOT] [simulate|attractors]
       (DATA_ROOT default /work/shared/logical; the third argument runs one part only)

a. Stochastic simulation: twinpath `logical simulate` vs the in-process MaBoSS engine
   (maboss.load(..., cmaboss=True) -> cmaboss.MaBoSSSim.run). Same bnd/cfg, same number of
   trajectories, same seed, 1 and 2 threads. MaBoSS time = the run() call only (model is
   loaded and parameters set before the clock starts). twinpath time = the whole process
   (start-up, parsing, simulation, JSON output).
b. Attractors: twinpath `logical attractors` vs biodivine_aeon
   (AsynchronousGraph(bn) + Attractors.attractors(graph)). AEON time = graph construction +
   attractor search (the .bnet parsing / bnd->bnet conversion is not timed). twinpath time =
   whole process.
c. Steady states of Sizek 2024 (133 nodes, whose complete search is past either tool):
   twinpath `logical attractors --steady-states` vs clingo through trappist in biobalm
   (network_to_petrinet + trappist(problem="fix")), the ASP route pyboolnet and mpbn also take.
   clingo time = translation + solving; twinpath time = whole process.
Each measurement is run REPS times (interleaved, alternating which tool goes first); the
median is reported.
"""
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata

REPS = int(os.environ.get("BENCH_REPS", "3"))
TRAJ = int(os.environ.get("BENCH_TRAJ", "100000"))


def log(*a):
    print(*a, flush=True)


def bench_steady_states(binary, root, workdir, rows, disagreements):
    import biodivine_aeon as ba
    from biobalm.petri_net_translation import network_to_petrinet
    import biobalm.trappist_core as tc
    path = os.path.join(root, "sizek2024_midas_senescence/bbm_model.bnet")
    name = "steady states Sizek 2024 (.bnet)"
    log(f"\n### {name}")
    bn = ba.BooleanNetwork.from_file(path)
    tp_w, cl_w = [], []
    tp_n = cl_n = None
    for rep in range(REPS):
        order = ("tp", "cl") if rep % 2 == 0 else ("cl", "tp")
        for who in order:
            if who == "tp":
                w, c, js = run_twinpath(binary, ["logical", "attractors", "--steady-states", "--model", path,
                                                 "--format", "json"], workdir)
                tp_n = len(js["attractors"])
                tp_w.append(w)
                log(f"  rep {rep + 1} twinpath: {w:7.3f} s wall (whole process): {tp_n} steady states")
            else:
                t0 = time.perf_counter()
                fixed = tc.trappist(network_to_petrinet(bn), problem="fix", reverse_time=False)
                w = time.perf_counter() - t0
                cl_n = len(fixed)
                cl_w.append(w)
                log(f"  rep {rep + 1} clingo  : {w:7.3f} s wall (translation + ASP): {cl_n} steady states")
    tw, cw = median(tp_w), median(cl_w)
    log(f"  median: twinpath {tw:.3f} s, clingo {cw:.3f} s, ratio twinpath/clingo = {tw / cw:.3f}")
    if tp_n != cl_n:
        disagreements.append(f"{name}: twinpath {tp_n}, clingo {cl_n}")
    rows.append((f"{name}: tp {tp_n}, clingo {cl_n}", tw, "clingo (trappist, biobalm)", cw))


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def run_twinpath(binary, args, workdir):
    """Run twinpath; return (wall seconds, cpu seconds of the child, parsed JSON)."""
    while not os.path.exists(binary):  # the binary may be rebuilt under us
        log(f"  [twinpath binary {binary} missing; waiting 10 s]")
        time.sleep(10)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([binary] + args, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        raise RuntimeError(f"twinpath {' '.join(args)} failed ({p.returncode}): {p.stderr[-2000:]}")
    return wall, cpu, json.loads(p.stdout)


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cfg_value(cfg_path, key):
    with open(cfg_path) as f:
        for line in f:
            m = re.match(r'\s*' + re.escape(key) + r'\s*=\s*([^;]+);', line)
            if m:
                return m.group(1).strip()
    return None


def norm_state(s):
    """MaBoSS and twinpath may list the active nodes of a state in different orders."""
    s = s.strip()
    if s == "<nil>":
        return s
    return " -- ".join(sorted(x.strip() for x in s.split("--")))


def median(xs):
    return statistics.median(xs)


# ---------------------------------------------------------------------------------------
# a. stochastic simulation
# ---------------------------------------------------------------------------------------
def maboss_run(bnd, cfg, n, seed, threads):
    """Load with maboss (cmaboss engine), set the parameters, time only the run call."""
    import maboss
    model = maboss.load(bnd, cfg, cmaboss=True)  # -> maboss.CMaBoSSSimulation
    model.param["sample_count"] = n
    model.param["thread_count"] = threads
    model.param["seed_pseudorandom"] = seed
    # sanity: the values really are in the cfg the engine uses
    cfg_txt = model.str_cfg()
    for k, v in (("sample_count", n), ("thread_count", threads), ("seed_pseudorandom", seed)):
        assert re.search(rf"^{k}\s*=\s*{v}\s*;", cfg_txt, re.M), (k, v)
    sim = model.cmaboss_sim  # cmaboss.MaBoSSSim
    c0 = cpu_self()
    t0 = time.perf_counter()
    res = sim.run(only_last_state=False)  # same as model.run(); full probtraj like MaBoSS CLI
    wall = time.perf_counter() - t0
    cpu = cpu_self() - c0
    probs, times, states, errs = res.get_last_probtraj()
    out = {norm_state(s): (float(probs[0][i]), float(errs[0][i])) for i, s in enumerate(states)}
    del res, sim, model
    return wall, cpu, float(times[0]), out


def twinpath_sim(binary, bnd, cfg, n, seed, threads, workdir):
    wall, cpu, js = run_twinpath(binary, [
        "logical", "simulate", "--bnd", bnd, "--cfg", cfg, "--trajectories", str(n),
        "--seed", str(seed), "--threads", str(threads), "--format", "json"], workdir)
    out = {norm_state(s["state"]): (float(s["probability"]), float(s["error"])) for s in js["states"]}
    return wall, cpu, float(js["time"]), out


def bench_sim(binary, root, workdir, rows, disagreements):
    models = [
        ("Cohen 2015 metastasis", "cohen2015_invasion/metastasis.bnd", "cohen2015_invasion/metastasis.cfg", 1),
        ("Calzone 2010 cell fate", "calzone2010_cellfate/cellfate.bnd", "calzone2010_cellfate/cellfate.cfg", None),
    ]
    for label, bnd_rel, cfg_rel, seed in models:
        bnd, cfg = os.path.join(root, bnd_rel), os.path.join(root, cfg_rel)
        if seed is None:
            seed = int(float(cfg_value(cfg, "seed_pseudorandom")))
        for threads in (1, 2):
            name = f"simulate {label}, {TRAJ:,} traj, seed {seed}, {threads} thread{'s' if threads > 1 else ''}"
            log(f"\n### {name}")
            tp_w, mb_w, tp_c, mb_c = [], [], [], []
            tp_res = mb_res = None
            for rep in range(REPS):
                order = ("tp", "mb") if rep % 2 == 0 else ("mb", "tp")
                for who in order:
                    if who == "tp":
                        w, c, t_end, r = twinpath_sim(binary, bnd, cfg, TRAJ, seed, threads, workdir)
                        tp_w.append(w); tp_c.append(c); tp_res = (t_end, r)
                        log(f"  rep {rep + 1} twinpath: {w:7.3f} s wall, {c:7.3f} s cpu (whole process)")
                    else:
                        w, c, t_end, r = maboss_run(bnd, cfg, TRAJ, seed, threads)
                        mb_w.append(w); mb_c.append(c); mb_res = (t_end, r)
                        log(f"  rep {rep + 1} MaBoSS  : {w:7.3f} s wall, {c:7.3f} s cpu (run() call)")
            tw, mw = median(tp_w), median(mb_w)
            log(f"  median: twinpath {tw:.3f} s = {TRAJ / tw:,.0f} traj/s (cpu/wall {median(tp_c) / tw:.2f}); "
                f"MaBoSS {mw:.3f} s = {TRAJ / mw:,.0f} traj/s (cpu/wall {median(mb_c) / mw:.2f}); "
                f"time ratio twinpath/MaBoSS = {tw / mw:.3f}; throughput ratio = {mw / tw:.3f}")
            # probabilities at the final time (last window), both sides
            (tt, tr), (mt, mr) = tp_res, mb_res
            log(f"  final-window time: twinpath t={tt}, MaBoSS t={mt}")
            keys = sorted(set(tr) | set(mr), key=lambda k: -max(tr.get(k, (0, 0))[0], mr.get(k, (0, 0))[0]))
            log(f"  {'state':60s} {'twinpath p (se)':>22s} {'MaBoSS p (se)':>22s} {'|diff|/se':>9s}")
            for k in keys[:8]:
                tp_p, tp_e = tr.get(k, (0.0, 0.0))
                mb_p, mb_e = mr.get(k, (0.0, 0.0))
                se = math.hypot(tp_e, mb_e)
                z = abs(tp_p - mb_p) / se if se > 0 else (0.0 if tp_p == mb_p else float("inf"))
                flag = "  <-- >3 se" if z > 3 else ""
                log(f"  {k[:60]:60s} {tp_p:10.5f} ({tp_e:.5f}) {mb_p:10.5f} ({mb_e:.5f}) {z:9.2f}{flag}")
                if z > 3:
                    disagreements.append(f"{name}: state {k}: twinpath {tp_p:.5f}±{tp_e:.5f} vs MaBoSS {mb_p:.5f}±{mb_e:.5f} (z={z:.1f})")
            if tt != mt:
                disagreements.append(f"{name}: final window time differs: twinpath {tt} vs MaBoSS {mt}")
            rows.append((name + " [traj/s: tp %s, MaBoSS %s]" % (f"{TRAJ / tw:,.0f}", f"{TRAJ / mw:,.0f}"),
                         tw, "MaBoSS (cmaboss)", mw))


# ---------------------------------------------------------------------------------------
# b. attractors
# ---------------------------------------------------------------------------------------
def bnd_to_bnet(path):
    """Convert a MaBoSS .bnd (its `logic = ...;` lines) to .bnet text.

    &, |, ! pass through; AND/OR/NOT and &&/|| are mapped; constants 0/1 become
    false/true (AEON's bnet extension); a node without a logic line is an input (x, x).
    """
    text = open(path).read()
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = ["targets, factors"]
    for m in re.finditer(r"\bnode\s+(\w+)\s*\{(.*?)\}", text, flags=re.S | re.I):
        name, body = m.group(1), m.group(2)
        lm = re.search(r"\blogic\s*=\s*(.*?);", body, flags=re.S)
        if lm is None:
            expr = name
        else:
            e = " ".join(lm.group(1).split())
            if "?" in e or "@" in e or "$" in e:
                raise ValueError(f"{name}: unsupported logic {e!r}")
            e = re.sub(r"\bAND\b|&&", "&", e)
            e = re.sub(r"\bOR\b|\|\|", "|", e)
            e = re.sub(r"\bNOT\b", "!", e)
            e = re.sub(r"\b0\b", "false", e)
            e = re.sub(r"\b1\b", "true", e)
            expr = e
        lines.append(f"{name}, {expr}")
    return "\n".join(lines) + "\n"


def aeon_attractors(bn):
    import biodivine_aeon as ba
    c0 = cpu_self()
    t0 = time.perf_counter()
    graph = ba.AsynchronousGraph(bn)
    atts = ba.Attractors.attractors(graph)
    wall = time.perf_counter() - t0
    cpu = cpu_self() - c0
    n_fixed = sum(1 for a in atts if a.vertices().cardinality() == 1)
    return wall, cpu, len(atts), n_fixed


def bench_attractors(binary, root, workdir, rows, disagreements):
    import biodivine_aeon as ba
    models = [
        ("Grieco 2013 MAPK (.bnet)", "grieco2013_mapk/grieco_mapk.bnet", 18, 12),
        ("Fumia 2013 (.bnd -> bnet)", "fumia2013/Fumia2013.bnd", 84, 81),
    ]
    for label, rel, exp_n, exp_fixed in models:
        path = os.path.join(root, rel)
        name = f"attractors {label}"
        log(f"\n### {name}")
        if path.endswith(".bnd"):
            bnet_txt = bnd_to_bnet(path)
            # repair_graph=True: the bnd has e.g. FOXO = (!AKT)|(AKT), whose syntactic regulator
            # is not functional; without the repair AEON refuses to build the graph.
            bn = ba.BooleanNetwork.from_bnet(bnet_txt, repair_graph=True)
        else:
            bn = ba.BooleanNetwork.from_file(path)
        log(f"  AEON network: {bn}")
        tp_w, ae_w, tp_c, ae_c = [], [], [], []
        tp_counts = ae_counts = None
        for rep in range(REPS):
            order = ("tp", "ae") if rep % 2 == 0 else ("ae", "tp")
            for who in order:
                if who == "tp":
                    w, c, js = run_twinpath(binary, ["logical", "attractors", "--model", path, "--format", "json"], workdir)
                    atts = js["attractors"]
                    tp_counts = (len(atts), sum(1 for a in atts if a["kind"] == "fixed"))
                    tp_w.append(w); tp_c.append(c)
                    log(f"  rep {rep + 1} twinpath: {w:7.3f} s wall, {c:7.3f} s cpu (whole process): "
                        f"{tp_counts[0]} attractors, {tp_counts[1]} fixed")
                else:
                    w, c, n, nf = aeon_attractors(bn)
                    ae_counts = (n, nf)
                    ae_w.append(w); ae_c.append(c)
                    log(f"  rep {rep + 1} AEON    : {w:7.3f} s wall, {c:7.3f} s cpu (graph + attractors): "
                        f"{n} attractors, {nf} fixed")
        tw, aw = median(tp_w), median(ae_w)
        log(f"  median: twinpath {tw:.3f} s, AEON {aw:.3f} s, ratio twinpath/AEON = {tw / aw:.3f}")
        log(f"  counts: twinpath {tp_counts[0]} ({tp_counts[1]} fixed), AEON {ae_counts[0]} ({ae_counts[1]} fixed), "
            f"expected {exp_n} ({exp_fixed} fixed)")
        for who, cnt in (("twinpath", tp_counts), ("AEON", ae_counts)):
            if cnt != (exp_n, exp_fixed):
                disagreements.append(f"{name}: {who} found {cnt[0]} ({cnt[1]} fixed), expected {exp_n} ({exp_fixed} fixed)")
        rows.append((f"{name}: tp {tp_counts[0]}/{tp_counts[1]} fixed, AEON {ae_counts[0]}/{ae_counts[1]} fixed",
                     tw, "AEON", aw))


# ---------------------------------------------------------------------------------------
def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    root = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "/work/shared/logical")
    versions = {}
    for pkg in ("maboss", "cmaboss", "biodivine-aeon", "biobalm", "clingo"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "NOT INSTALLED"
    tp_ver = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    log(f"# twinpath logical benchmark  {time.strftime('%Y-%m-%d %H:%M:%S')}")
    log(f"twinpath binary: {binary} ({tp_ver}, mtime {time.ctime(os.path.getmtime(binary))})")
    log(f"data root: {root}")
    log(f"python {sys.version.split()[0]}; " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    log(f"cpus: {os.cpu_count()}; load average at start: {os.getloadavg()}")
    log(f"repetitions per measurement: {REPS} (median reported)")

    rows, disagreements = [], []
    with tempfile.TemporaryDirectory(prefix="bench_logical_") as workdir:
        # twinpath runs in a throw-away cwd so that no store directory lands anywhere else
        os.environ["TWINPATH_DATA"] = os.path.join(workdir, "twinpath-data")
        only = sys.argv[3] if len(sys.argv) > 3 else None
        if only in (None, "simulate"):
            bench_sim(binary, root, workdir, rows, disagreements)
        if only in (None, "attractors"):
            bench_attractors(binary, root, workdir, rows, disagreements)
            bench_steady_states(binary, root, workdir, rows, disagreements)

    log(f"\nload average at end: {os.getloadavg()}")
    log("\n## Summary (median of %d; twinpath = whole process; MaBoSS = run() call; AEON = graph + attractor search)\n" % REPS)
    log("| measurement | twinpath (s) | other tool | other (s) | ratio twinpath/other |")
    log("|---|---:|---|---:|---:|")
    for what, tw, other, ow in rows:
        log(f"| {what} | {tw:.3f} | {other} | {ow:.3f} | {tw / ow:.3f} |")
    log("\nratio < 1 means twinpath is faster.")
    log("\nPython packages: " + ", ".join(f"{k}=={v}" for k, v in versions.items()))
    log("\n## Disagreements")
    if disagreements:
        for d in disagreements:
            log("- " + d)
    else:
        log("- none (all shown state probabilities within 3 combined standard errors; attractor counts as expected)")


if __name__ == "__main__":
    main()
