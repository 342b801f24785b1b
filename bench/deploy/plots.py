"""Data files and gnuplot PNGs: per-node download rate and aggregate bandwidth over time (the
HOWTO's two plots), one pair per transport run, and total time against N."""
import os
import subprocess

COLORS = ("#1f77b4", "#d62728", "#2ca02c")


def write_samples(path, samples, nodes, t0):
    """Columns: t (s since the first node started), node 1..N rx (Mbit/s), their sum, the
    server's tx (Mbit/s), machine CPU busy (%)."""
    with open(path, "w") as f:
        f.write("# t " + " ".join("node%d" % k for k in range(1, nodes + 1)) +
                " sum server_tx cpu_busy\n")
        for a, b in zip(samples, samples[1:]):
            dt = b[0] - a[0]
            if dt <= 0:
                continue
            rates = [(b[3][k] - a[3][k]) * 8 / dt / 1e6 for k in range(1, nodes + 1)]
            srv = (b[4] - a[4]) * 8 / dt / 1e6
            cpu = 100.0 * (b[1] - a[1]) / max(1, b[2] - a[2])
            f.write("%.2f %s %.2f %.2f %.1f\n" % (b[0] - t0, " ".join("%.2f" % r for r in rates),
                                                   sum(rates), srv, cpu))


def gnuplot(script, cwd):
    r = subprocess.run(["gnuplot"], input=script, text=True, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise RuntimeError("gnuplot: " + r.stdout)


def run_plots(out_dir, dat, transport, nodes, rate_mbit, title):
    """Writes rate-<name>.png and aggregate-<name>.png from `dat`; returns their names."""
    stem = os.path.splitext(os.path.basename(dat))[0].replace("samples-", "")
    rate_png, agg_png = "rate-%s.png" % stem, "aggregate-%s.png" % stem
    common = ('set terminal pngcairo size 800,420 font "sans,10"\n'
              'set grid\nset xlabel "time since the nodes started (s)"\nset key top right\n')
    gnuplot(common + """
set output '%s'
set title "%s: per-node download rate (%d nodes)"
set ylabel "Mbit/s"
set yrange [0:%f]
plot for [i=2:%d] '%s' using 1:i with lines lw 1 notitle, \\
     %f with lines dt 2 lc rgb "black" title "link rate R"
""" % (rate_png, title, nodes, rate_mbit * 1.25, nodes + 1, os.path.basename(dat), rate_mbit),
        out_dir)
    gnuplot(common + """
set output '%s'
set title "%s: aggregate bandwidth (%d nodes)"
set ylabel "Mbit/s"
set yrange [0:%f]
plot '%s' using 1:%d with lines lw 2 lc rgb "#1f77b4" title "received by all nodes", \\
     '%s' using 1:%d with lines lw 2 lc rgb "#d62728" title "sent by the server", \\
     %f with lines dt 2 lc rgb "black" title "N x R", \\
     %f with lines dt 3 lc rgb "#d62728" title "R (server link)"
""" % (agg_png, title, nodes, rate_mbit * nodes * 1.2, os.path.basename(dat), nodes + 2,
       os.path.basename(dat), nodes + 3, rate_mbit * nodes, rate_mbit), out_dir)
    return rate_png, agg_png


def scaling_plot(out_dir, results, transports):
    """total time against N, each transport a line (filled points: results; open points: runs
    flagged CPU-BOUND, shown but not results), with the floor S/R and N x S/R."""
    ns = sorted({r["nodes"] for r in results})
    if len(ns) < 2:
        return None
    dat = os.path.join(out_dir, "scaling.dat")
    with open(dat, "w") as f:
        f.write("# N floor_s N*floor_s, then per transport: total s if a result, total s if "
                "flagged CPU-BOUND (NaN otherwise): %s\n" % " ".join(transports))
        for n in ns:
            row = [r for r in results if r["nodes"] == n]
            floor = row[0]["floor_s"]
            vals = []
            for t in transports:
                m = [r for r in row if r["transport"] == t]
                ok = m and m[0]["flag"] == "ok"
                cpu = m and m[0]["flag"] == "CPU-BOUND"
                vals.append("%.2f" % m[0]["total_s"] if ok else "NaN")
                vals.append("%.2f" % m[0]["total_s"] if cpu else "NaN")
            f.write("%d %.2f %.2f %s\n" % (n, floor, n * floor, " ".join(vals)))
    lines = []
    for i, t in enumerate(transports):
        c = COLORS[i % len(COLORS)]
        lines.append("'scaling.dat' using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' title '%s'"
                     % (4 + 2 * i, c, t))
        if any(r["transport"] == t and r["flag"] == "CPU-BOUND" for r in results):
            lines.append("'scaling.dat' using 1:%d with points pt 6 ps 1.5 lc rgb '%s' title "
                         "'%s, CPU-BOUND'" % (5 + 2 * i, c, t))
    lines.append("'scaling.dat' using 1:2 with lines dt 2 lc rgb 'black' title 'floor S/R'")
    lines.append("'scaling.dat' using 1:3 with lines dt 3 lc rgb 'gray40' title 'N x S/R'")
    gnuplot("""set terminal pngcairo size 800,460 font "sans,10"
set output 'scaling.png'
set title "Time until the last node has the image, against the number of nodes"
set grid
set logscale x 2
set logscale y 2
set xlabel "nodes N"
set ylabel "seconds"
set key top left
set xtics (%s)
set xrange [%f:%f]
plot %s
""" % (", ".join(str(n) for n in ns), ns[0] / 1.2, ns[-1] * 1.2, ", \\\n     ".join(lines)), out_dir)
    return "scaling.png"
