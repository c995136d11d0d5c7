"""Partition benchmark: our engine (partition.engine) side by side with k-means-constrained, in one run.

    make bench-partition      (or: .venv/bin/python bench/partition_kmeans.py [--sizes 5000 20000]
                               [--big 200000] [--n-init 10] [--out bench/partition_kmeans.md])

Synthetic map-point households (rural village groups), seeded: hamlets (屋场) of 40–160 m Gaussian
scatter around random centres, plus one household in ten standing alone, at a constant density (5,000
households over 8 km × 8 km). For each size both methods cut the same households into ceil(n/10) cells of
5–15 households: `KMeansConstrained(n_clusters=ceil(n/10), size_min=5, size_max=15)` with its defaults
(n_init=10, max_iter=300; random_state fixed) on projected metres, and `partition.engine.partition` with
the target cell size n / ceil(n/10), so that both make the same number of cells. Reported: wall time (one
process), and the distance of each household to its cell's centre (the mean latitude and longitude of
the cell; haversine, metres): mean, root mean square, worst. Then ours alone on 200,000 map points and on
200,000 households with addresses (the speed target: under 60 s).

Needs requirements-bench.txt (k-means-constrained pulls in OR-Tools and SciPy); the engine needs neither.
Writes the Markdown table to --out and prints it.
"""

import argparse
import datetime
import math
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from partition.engine import Home, Settings, centre_distances_m, partition  # noqa: E402

SEED = 2026
ORIGIN = (28.2, 112.9)  # a county near Changsha
METRES_PER_DEGREE = 111_320.0


def map_households(n: int, seed: int = SEED) -> list[Home]:
    rng = random.Random(seed)
    side = 8000 * math.sqrt(n / 5000)
    lat0, lon0 = ORIGIN
    per_lon = METRES_PER_DEGREE * math.cos(math.radians(lat0))
    hamlets = [
        (rng.uniform(0, side), rng.uniform(0, side), rng.uniform(40, 160)) for _ in range(max(1, n // 25))
    ]
    homes = []
    for i in range(n):
        if rng.random() < 0.1:
            x, y = rng.uniform(0, side), rng.uniform(0, side)
        else:
            cx, cy, spread = rng.choice(hamlets)
            x, y = rng.gauss(cx, spread), rng.gauss(cy, spread)
        homes.append(
            Home(id=i + 1, estate="村", lat=lat0 + y / METRES_PER_DEGREE, lon=lon0 + x / per_lon, on_map=True)
        )
    return homes


def address_households(n: int, seed: int = SEED) -> list[Home]:
    """Estates of 3–19 buildings, 1–3 entrances, 6–26 floors, 2 or 4 rooms a floor, 85 % occupied."""
    rng = random.Random(seed)
    homes: list[Home] = []
    estate = 0
    while len(homes) < n:
        estate += 1
        floors, entrances, rooms = (
            rng.choice([6, 7, 11, 18, 26]),
            rng.choice([1, 2, 3]),
            rng.choice([2, 2, 4]),
        )
        for b in range(1, rng.randint(4, 20)):
            for e in range(1, entrances + 1):
                for f in range(1, floors + 1):
                    for r in range(rooms):
                        if rng.random() < 0.85 and len(homes) < n:
                            homes.append(
                                Home(
                                    len(homes) + 1,
                                    f"小区{estate}",
                                    f"{b}栋",
                                    f"{e}单元",
                                    f,
                                    f"{f}{r + 1:02d}",
                                )
                            )
    return homes


def distances(cells: list[list[Home]]) -> dict:
    d = [x for cell in cells for x in centre_distances_m([(h.lat, h.lon) for h in cell])]
    sizes = [len(c) for c in cells]
    return {
        "cells": len(cells),
        "sizes": f"{min(sizes)}–{max(sizes)}",
        "mean": sum(d) / len(d),
        "rms": math.sqrt(sum(x * x for x in d) / len(d)),
        "worst": max(d),
    }


def run_ours(homes: list[Home], k: int) -> dict:
    started = time.perf_counter()
    plan = partition(homes, settings=Settings(cell_target=len(homes) / k))
    seconds = time.perf_counter() - started
    by_id = {h.id: h for h in homes}
    return {"seconds": seconds, **distances([[by_id[i] for i in c.households] for c in plan.cells()])}


def run_kmeans(homes: list[Home], k: int, n_init: int) -> dict:
    import numpy as np
    from k_means_constrained import KMeansConstrained

    lat0 = sum(h.lat for h in homes) / len(homes)
    per_lon = METRES_PER_DEGREE * math.cos(math.radians(lat0))
    points = np.array([[h.lon * per_lon, h.lat * METRES_PER_DEGREE] for h in homes])
    points -= points.mean(axis=0)
    started = time.perf_counter()
    model = KMeansConstrained(n_clusters=k, size_min=5, size_max=15, n_init=n_init, random_state=0)
    labels = model.fit_predict(points)
    seconds = time.perf_counter() - started
    cells: dict[int, list[Home]] = {}
    for home, label in zip(homes, labels, strict=True):
        cells.setdefault(int(label), []).append(home)
    return {"seconds": seconds, **distances(list(cells.values()))}


def row(n, method, r) -> str:
    return (
        f"| {n:,} | {method} | {r['cells']:,} | {r['sizes']} | {r['seconds']:.1f} | "
        f"{r['mean']:.1f} | {r['rms']:.1f} | {r['worst']:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[5000, 20000])
    parser.add_argument("--big", type=int, default=200_000, help="households for our timing alone (0: skip)")
    parser.add_argument("--n-init", type=int, default=10, help="k-means restarts (the package's default: 10)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "partition_kmeans.md"))
    args = parser.parse_args()

    import k_means_constrained

    lines = [
        "# Cell partition: our engine beside k-means-constrained",
        "",
        f"Run {datetime.date.today():%Y-%m-%d} on {platform.machine()} with Python {platform.python_version()}, "
        f"one process; k-means-constrained {k_means_constrained.__version__} "
        f"(n_init={args.n_init}, max_iter=300, random_state=0), seed {SEED}. "
        "Command: `make bench-partition` (bench/partition_kmeans.py).",
        "",
        "Synthetic map-point households: hamlets of 40–160 m scatter plus one household in ten alone, 5,000 "
        "households per 64 km². Both methods make ceil(n/10) cells of 5–15 households. Distance: from each "
        "household to its cell's centre (mean latitude and longitude), haversine, in metres.",
        "",
        "| households | method | cells | sizes | time (s) | mean distance (m) | RMS distance (m) | worst (m) |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    verdicts = []
    for n in args.sizes:
        homes = map_households(n)
        k = math.ceil(n / 10)
        ours = run_ours(homes, k)
        print(row(n, "ours", ours), flush=True)
        theirs = run_kmeans(homes, k, args.n_init)
        print(row(n, "k-means-constrained", theirs), flush=True)
        lines += [row(n, "**ours** (partition.engine)", ours), row(n, "k-means-constrained", theirs)]
        verdicts.append(
            f"- {n:,} households: ours {theirs['seconds'] / ours['seconds']:.0f}× faster, mean distance "
            f"{ours['mean']:.1f} m against {theirs['mean']:.1f} m "
            f"({(ours['mean'] / theirs['mean'] - 1) * 100:+.1f} %)."
        )
    if args.big:
        homes = map_households(args.big)
        ours = run_ours(homes, math.ceil(args.big / 10))
        lines.append(row(args.big, "**ours** alone, map points", ours))
        print(lines[-1], flush=True)
        homes = address_households(args.big)
        started = time.perf_counter()
        plan = partition(homes, areas=10)
        seconds = time.perf_counter() - started
        f = plan.figures
        lines.append(
            f"| {args.big:,} | **ours** alone, addresses | {f.cells:,} | {f.cell_size_min}–{f.cell_size_max} | "
            f"{seconds:.1f} | {f.buildings_mean:.2f} buildings | | {f.buildings_max} buildings |"
        )
        print(lines[-1], flush=True)
    lines += ["", *verdicts, ""]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
