"""The partition engine: households → neighbour cells (邻, 5–15 households) → groups (组, about 100
households) → N areas (片区) balanced by population. Pure Python (standard library only), no Django, so
that it can be tested with hypothesis and benchmarked on its own.

"就近、就便、就熟" — nearest, most convenient, best known — is read as locality along one line:

- households with an address are laid out estate by estate, building by building (buildings in the
  order of their names — 2栋 before 10栋 — or, when they carry coordinates, in a nearest-neighbour walk),
  entrance by entrance, floor by floor, room by room;
- map-point households (rural village groups) are laid out along a Hilbert curve over their coordinates.

Cells are cut out of that line by dynamic programming: a cell pays for every pair of consecutive
households it joins across a floor, an entrance, a building, an estate or a distance on the map, for its
size's distance from the target, and for every household it takes away from the cell it is in now. So it
cuts at building and entrance boundaries, keeps sizes balanced, and leaves the current cells alone.

Map cells are then polished in the plane. When a village group is cut afresh the cells start from a
balanced recursive bisection (as many cells as the target size asks), else from the cut along the curve;
a local search then lowers the sum of squared distances to the cell centres — single moves, swaps, short
chains and negative cycles of moves through cells at a size bound (the reassignment k-means with size
bounds does by min-cost flow), re-cuts of pairs of cells — and a last polish lowers the plain distances.
bench/partition_kmeans.py compares the result with k-means-constrained.

Stability: every current cell that is still valid (5–15 households, not broken: not spread over two
estates or village groups that could each make cells of their own) is kept as it is, and so are pinned
cells and pinned households. Only the households of cells that became invalid, and households in no cell
yet, are placed: joined to a neighbouring cell with room, or cut into new cells; when a handful can go
nowhere else, one neighbouring cell is re-cut together with them. New cells continue the old cell they
overlap most, so "households moved" counts only real moves. Groups and areas follow the same rule one
level up: whole adjacent cells into groups, whole adjacent groups into areas.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

EARTH_RADIUS_M = 6_371_008.8
_INF = float("inf")
# Rounds of negative-cycle search per pass of the map-cell polish, and its budget of relaxations (in
# units of the number of cells): enough for the compactness of k-means, bounded for 200,000 points.
CYCLE_ROUNDS = 4
CYCLE_BUDGET = 3
# The distance polish tries a point in a neighbouring cell when it is at most this many times farther
# from that cell's centre than from its own.
POLISH_REACH = 2.0
# Up to this many map points in an estate, the local search starts from two layouts and keeps the better.
MAP_STARTS = 50_000
_BIG = 1000.0  # the price of one household of a cell out of bounds: paid only when nothing else fits


class PartitionError(ValueError):
    """Bad input to the engine (the message is English; the service translates its own)."""


class TooManyAreas(PartitionError):
    """More areas asked for than the plan has groups to make them of."""

    def __init__(self, areas: int, groups: int):
        super().__init__(f"{areas} areas need at least {areas} groups; the plan has {groups}")
        self.areas, self.groups = areas, groups


@dataclass(frozen=True, slots=True)
class Home:
    """One resident household as the engine sees it.

    `cell` is the key of its current cell (any hashable, e.g. a TerritoryUnit id), `pinned` marks a
    household placed by hand. `on_map` households are placed by their coordinates (`lat`, `lon`); other
    households by their address, their coordinates (if any) only ordering the buildings of an estate.
    """

    id: int
    estate: str = ""
    building: str = ""
    entrance: str = ""
    floor: int | None = None
    room: str = ""
    lat: float | None = None
    lon: float | None = None
    on_map: bool = False
    cell: Hashable | None = None
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class CurrentCell:
    """A cell as it stands: its group and area keys, and whether staff fixed it by hand."""

    group: Hashable | None = None
    area: Hashable | None = None
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    cell_min: int = 5
    cell_max: int = 15
    cell_target: float = 12.0
    group_min: int = 60
    group_max: int = 150
    group_target: float = 100.0
    # Current areas are kept while each stays within this share of the mean population.
    area_tolerance: float = 0.3
    # Prices, in "one household across an entrance" units.
    size_weight: float = 3.0  # × ((size − target) / target)²
    move_weight: float = 2.0  # per household taken from its current cell (group: per household too)
    join_floor: float = 0.25  # per floor between two consecutive households of a cell (up to 4)
    join_entrance: float = 1.5
    join_building: float = 5.0
    join_estate: float = 20.0
    join_map_kind: float = 8.0  # a map point next to an address household
    join_map_step: float = 0.3  # per typical spacing between two map points
    refine_passes: int = 12


# ---- The plan ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CellPlan:
    key: Hashable | None  # the current cell it continues, or None for a new cell
    households: list[int]
    status: str = "new"  # "kept" (same households), "changed" or "new"
    pinned: bool = False
    buildings: int = 0  # buildings its address households span
    estates: int = 0
    radius_m: float | None = None  # farthest map point from the cell's centre
    mean_m: float | None = None  # mean distance of its map points to the centre

    @property
    def size(self) -> int:
        return len(self.households)


@dataclass(slots=True)
class GroupPlan:
    key: Hashable | None
    cells: list[CellPlan]
    status: str = "new"

    @property
    def households(self) -> int:
        return sum(c.size for c in self.cells)


@dataclass(slots=True)
class AreaPlan:
    key: Hashable | None
    groups: list[GroupPlan]
    status: str = "new"

    @property
    def households(self) -> int:
        return sum(g.households for g in self.groups)


@dataclass(slots=True)
class Figures:
    households: int = 0
    cells: int = 0
    cells_in_range: int = 0
    share_in_range: float = 1.0
    buildings_mean: float = 0.0  # buildings spanned by a cell of address households
    buildings_max: int = 0
    metres_mean: float | None = None  # mean distance of a map point to its cell's centre
    metres_max: float | None = None  # the farthest map point from its cell's centre
    cell_size_min: int = 0
    cell_size_max: int = 0
    moved: int = 0  # households taken from one cell into another
    placed: int = 0  # households in no cell before
    cells_kept: int = 0
    cells_changed: int = 0
    cells_new: int = 0
    cells_removed: int = 0
    groups: int = 0
    group_size_min: int = 0
    group_size_max: int = 0
    groups_changed: int = 0  # new, changed or removed
    areas: int = 0
    area_sizes: list[int] = field(default_factory=list)
    area_spread: float = 0.0  # (largest − smallest) / mean area population
    areas_changed: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class Plan:
    areas: list[AreaPlan]
    # household id → (its current cell key or None, the cell it goes to), for those whose cell changes.
    moves: dict[int, tuple[Hashable | None, CellPlan]]
    removed_cells: list[Hashable]
    removed_groups: list[Hashable]
    removed_areas: list[Hashable]
    figures: Figures

    def groups(self) -> list[GroupPlan]:
        return [g for a in self.areas for g in a.groups]

    def cells(self) -> list[CellPlan]:
        return [c for a in self.areas for g in a.groups for c in g.cells]

    def cell_of(self) -> dict[int, CellPlan]:
        return {h: c for c in self.cells() for h in c.households}


# ---- Geometry ------------------------------------------------------------------------------------


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def centre_distances_m(points: Sequence[tuple[float, float]]) -> list[float]:
    """Haversine distance of each (lat, lon) to their centre (the mean latitude and longitude)."""
    if not points:
        return []
    clat = sum(p[0] for p in points) / len(points)
    clon = sum(p[1] for p in points) / len(points)
    return [haversine_m(lat, lon, clat, clon) for lat, lon in points]


def _hilbert(x: int, y: int, order: int) -> int:
    """Index of (x, y) along a Hilbert curve filling a 2^order square."""
    d = 0
    s = 1 << (order - 1)
    while s:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = s - 1 - x, s - 1 - y
            x, y = y, x
        s >>= 1
    return d


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """'2栋' < '10栋'; a mixed text compares piece by piece (text, number, text, …)."""
    parts = _DIGITS.split(text or "")
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


# ---- The line: every household at a position, with what its neighbours on the line share -----------


class _Line:
    """Households in locality order, with the per-position facts the costs read (parallel lists)."""

    def __init__(self, homes: Sequence[Home], settings: Settings):
        self.settings = settings
        estates = sorted({h.estate for h in homes}, key=natural_key)
        estate_rank = {name: i for i, name in enumerate(estates)}
        building_rank = self._building_ranks(homes)
        lat0 = _mean([h.lat for h in homes if h.lat is not None and h.lon is not None]) or 0.0
        self.kx = EARTH_RADIUS_M * math.cos(math.radians(lat0)) * math.pi / 180
        self.ky = EARTH_RADIUS_M * math.pi / 180
        hilbert = self._hilbert_ranks(homes)

        def key(h: Home):
            e = estate_rank[h.estate]
            if h.on_map and h.lat is not None and h.lon is not None:
                return (e, 1, hilbert[h.id], (), -1, (), h.id)
            return (
                e,
                0,
                building_rank[(h.estate, h.building)],
                natural_key(h.entrance),
                -1 if h.floor is None else h.floor,
                natural_key(h.room),
                h.id,
            )

        self.homes = sorted(homes, key=key)
        n = len(self.homes)
        self.ids = [h.id for h in self.homes]
        self.estate = [estate_rank[h.estate] for h in self.homes]
        self.estate_size = Counter(self.estate)
        self.on_map = [bool(h.on_map and h.lat is not None and h.lon is not None) for h in self.homes]
        self.building = [building_rank[(h.estate, h.building)] for h in self.homes]
        entrances: dict[tuple, int] = {}
        self.entrance = [
            entrances.setdefault((h.estate, h.building, h.entrance), len(entrances)) for h in self.homes
        ]
        self.floor = [h.floor for h in self.homes]
        self.x = [0.0] * n
        self.y = [0.0] * n
        for i, h in enumerate(self.homes):
            if h.lat is not None and h.lon is not None:
                self.x[i] = h.lon * self.kx
                self.y[i] = h.lat * self.ky
        self.spacing = self._map_spacing()

    @staticmethod
    def _building_ranks(homes: Sequence[Home]) -> dict[tuple[str, str], int]:
        """Buildings of an estate by name, or, when they carry coordinates, by a nearest-neighbour walk
        from the first by name (so that consecutive buildings stand next to each other)."""
        by_estate: dict[str, dict[str, list]] = {}
        for h in homes:
            points = by_estate.setdefault(h.estate, {}).setdefault(h.building, [])
            if not h.on_map and h.lat is not None and h.lon is not None:
                points.append((h.lat, h.lon))
        ranks: dict[tuple[str, str], int] = {}
        for estate in sorted(by_estate, key=natural_key):
            buildings = sorted(by_estate[estate], key=natural_key)
            placed = [b for b in buildings if by_estate[estate][b]]
            rest = [b for b in buildings if not by_estate[estate][b]]
            order = []
            if placed:
                centre = {
                    b: (
                        _mean([p[0] for p in by_estate[estate][b]]),
                        _mean([p[1] for p in by_estate[estate][b]]),
                    )
                    for b in placed
                }
                current, left = placed[0], placed[1:]
                order.append(current)
                while left:
                    lat, lon = centre[current]
                    current = min(left, key=lambda b: haversine_m(lat, lon, *centre[b]))
                    left.remove(current)
                    order.append(current)
            for b in order + rest:
                ranks[(estate, b)] = len(ranks)
        return ranks

    @staticmethod
    def _hilbert_ranks(homes: Sequence[Home]) -> dict[int, int]:
        points = [h for h in homes if h.on_map and h.lat is not None and h.lon is not None]
        if not points:
            return {}
        lat_lo = min(h.lat for h in points)
        lon_lo = min(h.lon for h in points)
        span = max(max(h.lat for h in points) - lat_lo, max(h.lon for h in points) - lon_lo) or 1.0
        order = 16
        scale = ((1 << order) - 1) / span
        return {
            h.id: _hilbert(int((h.lon - lon_lo) * scale), int((h.lat - lat_lo) * scale), order)
            for h in points
        }

    def _map_spacing(self) -> float:
        steps = [
            math.hypot(self.x[i + 1] - self.x[i], self.y[i + 1] - self.y[i])
            for i in range(len(self.ids) - 1)
            if self.on_map[i] and self.on_map[i + 1] and self.estate[i] == self.estate[i + 1]
        ]
        if not steps:
            return 1.0
        steps.sort()
        return max(steps[len(steps) // 2], 1.0)

    def join(self, i: int, j: int) -> float:
        """The price of putting households i and j (consecutive in a cell) together."""
        s = self.settings
        if self.estate[i] != self.estate[j]:
            return s.join_estate
        if self.on_map[i] != self.on_map[j]:
            return s.join_map_kind
        if self.on_map[i]:
            return s.join_map_step * math.hypot(self.x[i] - self.x[j], self.y[i] - self.y[j]) / self.spacing
        if self.building[i] != self.building[j]:
            return s.join_building + min(abs(self.building[i] - self.building[j]) - 1, 5)
        if self.entrance[i] != self.entrance[j]:
            return s.join_entrance
        fi, fj = self.floor[i], self.floor[j]
        if fi is None or fj is None or fi == fj:
            return 0.0
        return s.join_floor * min(abs(fi - fj), 4)


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


# ---- Stable segmentation of a line (used for cells, then groups, then areas) ----------------------


class _Seg:
    __slots__ = ("alive", "anchored", "label", "members", "pinned", "weight")

    def __init__(self, label, members, weight, pinned=False, anchored=False):
        self.label = label
        self.members = members  # positions, sorted
        self.weight = weight
        self.pinned = pinned  # takes nobody in and is never re-cut
        self.anchored = anchored  # takes households in but is never re-cut (holds pinned households)
        self.alive = True


@dataclass
class _Level:
    """One level of the cut: items on a line, each with a weight (households) and a current label."""

    weight: list[int]
    label: list  # current label of each item, or None
    join: Callable[[int, int], float]  # the price of two items next to each other in one segment
    lo: float
    hi: float
    target: float
    size_weight: float
    move_weight: float


def _size_cost(level: _Level, w: float) -> float:
    c = level.size_weight * ((w - level.target) / level.target) ** 2
    if w < level.lo:
        c += _BIG * (level.lo - w)
    elif w > level.hi:
        c += _BIG * (w - level.hi)
    return c


def _stable_cut(level: _Level, kept: list[_Seg]) -> list[_Seg]:
    """Place every item not in a kept segment: into a neighbouring segment with room, or into new
    segments. Returns the segments alive at the end (kept ones, possibly grown, and new ones with label
    None; a kept segment re-cut with its neighbours is dead and its label free for matching)."""
    n = len(level.weight)
    owner: list[_Seg | None] = [None] * n
    segs = list(kept)
    for seg in kept:
        for i in seg.members:
            owner[i] = seg
    runs, start = [], None
    for i in range(n + 1):
        free = i < n and owner[i] is None
        if free and start is None:
            start = i
        elif not free and start is not None:
            runs.append(list(range(start, i)))
            start = None
    for run in runs:
        segs += _place(level, run, owner)
    return [s for s in segs if s.alive]


def _neighbour(owner, i):
    if 0 <= i < len(owner):
        seg = owner[i]
        if seg is not None and seg.alive:
            return seg
    return None


def _place(level: _Level, items: list[int], owner: list) -> list[_Seg]:
    """Place a stretch of free items; re-cut a neighbour with them when they fit nowhere."""
    while True:
        left = _neighbour(owner, items[0] - 1)
        right = _neighbour(owner, items[-1] + 1)
        solution, cost_violates = _dp(level, items, left, right)
        mergeable = [s for s in (left, right) if s is not None and not s.pinned and not s.anchored]
        if not cost_violates or not mergeable:
            break

        # These items cannot make a segment of their own nor fit next door: re-cut the nearer neighbour
        # with them.
        gaps = []
        if left in mergeable:
            gaps.append((level.join(items[0] - 1, items[0]), 0, left))
        if right in mergeable:
            gaps.append((level.join(items[-1], items[-1] + 1), 1, right))
        victim = min(gaps, key=lambda g: (g[0], g[1]))[2]
        victim.alive = False
        for i in victim.members:
            owner[i] = None
        items = sorted(items + victim.members)
    new = []
    for kind, seg, chunk in solution:
        weight = sum(level.weight[i] for i in chunk)
        if kind == "new":
            seg = _Seg(None, chunk, weight)
            new.append(seg)
        else:
            seg.members = sorted(seg.members + chunk)
            seg.weight += weight
        for i in chunk:
            owner[i] = seg
    return new


def _dp(level: _Level, items: list[int], left: _Seg | None, right: _Seg | None):
    """Cut `items` (free, in line order) into: a prefix joining `left`, new segments, a suffix joining
    `right`; at the least cost. Returns ([(kind, seg, chunk)], whether a size bound is broken)."""
    m = len(items)
    w = level.weight
    join = level.join
    labels = [level.label[i] for i in items]
    has_labels = any(lab is not None for lab in labels)
    J = [0.0] * m  # J[k]: joins between items 0..k
    for k in range(1, m):
        J[k] = J[k - 1] + join(items[k - 1], items[k])
    W = [0] * (m + 1)
    for k in range(m):
        W[k + 1] = W[k] + w[items[k]]
    L = [0] * (m + 1)  # labelled items' weight (all of it moves when joined to a neighbour)
    for k in range(m):
        L[k + 1] = L[k] + (w[items[k]] if labels[k] is not None else 0)
    mu = level.move_weight
    # Each label stays with the new segment that holds its anchor (the middle one of its items here):
    # a segment pays for every labelled item whose label's anchor lies outside it.
    anchor: dict = {}
    if has_labels:
        spots: dict = {}
        for k, lab in enumerate(labels):
            if lab is not None:
                spots.setdefault(lab, []).append(k)
        anchor = {lab: ks[len(ks) // 2] for lab, ks in spots.items()}
    f = [_INF] * (m + 1)
    back: list = [None] * (m + 1)
    f[0] = 0.0
    back[0] = ("start", 0)
    if left is not None and not left.pinned:
        cap = level.hi - left.weight
        base = _size_cost(level, left.weight)
        link = join(items[0] - 1, items[0])
        for b in range(1, m + 1):
            if W[b] > cap:
                break
            f[b] = link + J[b - 1] + _size_cost(level, left.weight + W[b]) - base + mu * L[b]
            back[b] = ("left", 0)
    hi = level.hi
    for e in range(1, m + 1):
        best, arg = f[e], back[e]
        counts: dict = {}
        stays = 0  # weight of labelled items whose label's anchor is in the segment
        s = e - 1
        while s >= 0:
            seg_w = W[e] - W[s]
            if seg_w > hi:
                break
            lab = labels[s]
            if lab is not None:
                counts[lab] = counts.get(lab, 0) + w[items[s]]
                a = anchor[lab]
                if a == s:
                    stays += counts[lab]
                elif s < a < e:
                    stays += w[items[s]]
            if f[s] < _INF:
                c = f[s] + (J[e - 1] - J[s]) + _size_cost(level, seg_w)
                if has_labels:
                    c += mu * ((L[e] - L[s]) - stays)
                if c < best:
                    best, arg = c, ("new", s)
            s -= 1
        f[e], back[e] = best, arg
    # The suffix joining `right` (not when right is left: that one already had its chance).
    best, end = f[m], m
    if right is not None and not right.pinned and right is not left:
        cap = level.hi - right.weight
        base = _size_cost(level, right.weight)
        link = join(items[-1], items[-1] + 1)
        for b in range(m - 1, -1, -1):
            if W[m] - W[b] > cap:
                break
            if f[b] == _INF:
                continue
            c = f[b] + (J[m - 1] - J[b]) + link + _size_cost(level, right.weight + W[m] - W[b]) - base
            c += mu * (L[m] - L[b])
            if c < best:
                best, end = c, b
    solution = []
    if end < m:
        solution.append(("right", right, items[end:]))
    e = end
    while e > 0:
        kind, s = back[e]
        if kind == "left":
            solution.append(("left", left, items[:e]))
            break
        solution.append(("new", None, items[s:e]))
        e = s
    violates = any(
        kind == "new" and not (level.lo <= sum(w[i] for i in chunk) <= level.hi)
        for kind, _s, chunk in solution
    )
    return solution, violates


def _match(segs: list[_Seg], level: _Level, taken: set) -> None:
    """Give each new segment the free label it overlaps most (by weight), each label once."""
    pairs = []
    for index, seg in enumerate(segs):
        if seg.label is not None:
            continue
        overlap: Counter = Counter()
        first: dict = {}
        for i in seg.members:
            lab = level.label[i]
            if lab is not None and lab not in taken:
                overlap[lab] += level.weight[i]
                first.setdefault(lab, i)
        pairs += [(-amount, first[lab], index, lab) for lab, amount in overlap.items()]
    pairs.sort(key=lambda p: (p[0], p[1], p[2]))
    for _amount, _first, index, lab in pairs:
        seg = segs[index]
        if seg.label is None and lab not in taken:
            seg.label = lab
            taken.add(lab)


# ---- Map cells: local search in the plane ---------------------------------------------------------


class _Cells:
    """Map cells under local search: members and running sums, so that a cell's sum of squared
    distances to its centre, Σ|x|² − |S|²/n, changes in O(1) when a point moves."""

    def __init__(self, groups: list[list[int]], xs: list[float], ys: list[float]):
        self.xs, self.ys = xs, ys
        self.members = [list(g) for g in groups]
        self.n = [len(g) for g in groups]
        self.sx = [sum(xs[i] for i in g) for g in groups]
        self.sy = [sum(ys[i] for i in g) for g in groups]
        self.version = [0] * len(groups)
        self.squares = sum(xs[i] ** 2 + ys[i] ** 2 for g in groups for i in g)

    def move(self, i: int, a: int, b: int) -> None:
        x, y = self.xs[i], self.ys[i]
        self.members[a].remove(i)
        self.members[b].append(i)
        self.n[a] -= 1
        self.n[b] += 1
        self.sx[a] -= x
        self.sy[a] -= y
        self.sx[b] += x
        self.sy[b] += y
        self.version[a] += 1
        self.version[b] += 1

    def part(self, c: int) -> float:
        """The part of cell c's sum of squares that depends on which points it holds: −|S|²/n."""
        return -(self.sx[c] ** 2 + self.sy[c] ** 2) / self.n[c]

    def sse(self) -> float:
        """The sum of squared distances to the centres: Σ|x|² over all points (fixed) plus the parts."""
        return self.squares + sum(self.part(c) for c in range(len(self.n)))

    def neighbours(self, estate: list[int], count: int = 8) -> list[list[int]]:
        """For each cell, the `count` cells of its estate with the nearest centres (a grid lookup)."""
        k = len(self.members)
        cx = [self.sx[c] / self.n[c] for c in range(k)]
        cy = [self.sy[c] / self.n[c] for c in range(k)]
        span = (max(cx) - min(cx) + 1) * (max(cy) - min(cy) + 1)
        size = max(math.sqrt(span / k) * 2.0, 1.0)
        grid: dict = {}
        for c in range(k):
            grid.setdefault((int(cx[c] // size), int(cy[c] // size)), []).append(c)
        out = []
        for c in range(k):
            gx, gy = int(cx[c] // size), int(cy[c] // size)
            near = [
                d
                for dx in (-1, 0, 1)
                for dy in (-1, 0, 1)
                for d in grid.get((gx + dx, gy + dy), ())
                if d != c and estate[d] == estate[c]
            ]
            near.sort(key=lambda d: ((cx[d] - cx[c]) ** 2 + (cy[d] - cy[c]) ** 2, d))
            out.append(near[:count])
        return out


def _bisect(points: list[int], k: int, xs, ys, out: list[list[int]], flip: bool = False) -> None:
    """Balanced recursive bisection: k cells of near-equal size, each cut across the longer side (the
    first cut across the shorter one when `flip`)."""
    if k <= 1:
        out.append(points)
        return
    x_lo, x_hi = min(xs[i] for i in points), max(xs[i] for i in points)
    y_lo, y_hi = min(ys[i] for i in points), max(ys[i] for i in points)
    coord = xs if (x_hi - x_lo >= y_hi - y_lo) != flip else ys
    order = sorted(points, key=lambda i: (coord[i], i))
    k1 = k // 2
    t = round(len(points) * k1 / k)
    _bisect(order[:t], k1, xs, ys, out)
    _bisect(order[t:], k - k1, xs, ys, out)


def _refine(line: _Line, groups: list[list[int]], lo: int, hi: int, passes: int) -> list[list[int]]:
    """Polish map cells (of one estate): single moves, swaps, chains of moves between neighbouring
    cells (as the min-cost-flow step of k-means with size bounds does), and re-cuts of pairs of cells;
    each step lowers the sum of squared distances to the cell centres and keeps every cell within
    [lo, hi]. Last, moves and swaps that lower the plain distances. Returns the cells' members."""
    if len(groups) < 2:
        return groups
    cells = _Cells(groups, line.x, line.y)
    estate = [0] * len(groups)
    tried: dict = {}
    swapped: dict = {}
    for _ in range(passes):
        near = cells.neighbours(estate)
        total = cells.sse()
        gained = (
            _moves(cells, near, lo, hi)
            + _swaps(cells, near, swapped)
            + _chains(cells, near, lo, hi)
            + _cycles(cells, near, lo, hi)
        )
        # Stuck with moves: cut pairs of neighbouring cells afresh.
        if gained <= 1e-4 * total and _resplits(cells, near, lo, hi, tried) <= 1e-4 * total:
            break
    _distance_polish(cells, cells.neighbours(estate), lo, hi)
    return [sorted(ms) for ms in cells.members]


def _distance_total(line: _Line, groups: list[list[int]]) -> float:
    """The sum of the (projected) distances of map points to their cells' centres."""
    total = 0.0
    for g in groups:
        cx = sum(line.x[i] for i in g) / len(g)
        cy = sum(line.y[i] for i in g) / len(g)
        total += sum(math.hypot(line.x[i] - cx, line.y[i] - cy) for i in g)
    return total


def _map_cell_count(points: int, s: Settings) -> int:
    """As many cells as the target size asks, within what the size bounds allow."""
    count = max(1, round(points / s.cell_target))
    low, high = math.ceil(points / s.cell_max), max(1, points // s.cell_min)
    return min(max(count, low), high) if low <= high else count


def _distance_polish(cells: _Cells, near, lo, hi, passes: int = 10) -> None:
    """Last, for the figure people read — how far a household is from its cell's centre — moves and
    swaps between neighbouring cells that lower the two cells' sum of plain (not squared) distances to
    their centres, exact with the centres moving. Only points about as near the other centre as their
    own are tried."""
    xs, ys, n, sx, sy, members = cells.xs, cells.ys, cells.n, cells.sx, cells.sy, cells.members
    hypot = math.hypot

    def spread(ms, sum_x, sum_y) -> float:
        cx, cy = sum_x / len(ms), sum_y / len(ms)
        return sum(hypot(xs[i] - cx, ys[i] - cy) for i in ms)

    k = len(n)
    total = [spread(members[c], sx[c], sy[c]) for c in range(k)]
    version = cells.version
    seen = [-1] * k  # the sum of the versions of a cell and its neighbours when last looked at
    for _ in range(passes):
        gained = 0.0
        for a in range(k):
            stamp = version[a] + sum(version[b] for b in near[a])
            if stamp == seen[a]:
                continue  # nothing changed here since the last look
            seen[a] = stamp
            for i in list(members[a]):
                if i not in members[a]:
                    continue
                px, py = xs[i], ys[i]
                da = hypot(px - sx[a] / n[a], py - sy[a] / n[a])
                for b in near[a]:
                    if hypot(px - sx[b] / n[b], py - sy[b] / n[b]) > POLISH_REACH * da:
                        continue
                    rest_a = [j for j in members[a] if j != i]
                    if n[a] > lo and n[b] < hi:
                        new_a = spread(rest_a, sx[a] - px, sy[a] - py)
                        new_b = spread([*members[b], i], sx[b] + px, sy[b] + py)
                        delta = new_a + new_b - total[a] - total[b]
                        if delta < -1e-6:
                            cells.move(i, a, b)
                            total[a], total[b] = new_a, new_b
                            gained -= delta
                            break
                        continue
                    best = None
                    for j in members[b]:
                        qx, qy = xs[j], ys[j]
                        if hypot(qx - sx[a] / n[a], qy - sy[a] / n[a]) > POLISH_REACH * hypot(
                            qx - sx[b] / n[b], qy - sy[b] / n[b]
                        ):
                            continue
                        dx, dy = qx - px, qy - py
                        new_a = spread([*rest_a, j], sx[a] + dx, sy[a] + dy)
                        new_b = spread([*(m for m in members[b] if m != j), i], sx[b] - dx, sy[b] - dy)
                        delta = new_a + new_b - total[a] - total[b]
                        if delta < -1e-6 and (best is None or delta < best[0]):
                            best = (delta, j, new_a, new_b)
                    if best is not None:
                        delta, j, new_a, new_b = best
                        cells.move(i, a, b)
                        cells.move(j, b, a)
                        total[a], total[b] = new_a, new_b
                        gained -= delta
                        break
        if gained <= 1e-5 * sum(total):
            break


def _moves(cells: _Cells, near, lo, hi) -> float:
    """Single moves to a neighbouring cell, exact with the centres moving (Hartigan's rule)."""
    xs, ys, n, sx, sy = cells.xs, cells.ys, cells.n, cells.sx, cells.sy
    gained = 0.0
    for a in range(len(n)):
        for i in list(cells.members[a]):
            na = n[a]
            if na <= lo:
                break
            px, py = xs[i], ys[i]
            out = na / (na - 1) * ((px - sx[a] / na) ** 2 + (py - sy[a] / na) ** 2)
            best, to = 0.0, -1
            for b in near[a]:
                nb = n[b]
                if nb >= hi:
                    continue
                delta = nb / (nb + 1) * ((px - sx[b] / nb) ** 2 + (py - sy[b] / nb) ** 2) - out
                if delta < best:
                    best, to = delta, b
            if to >= 0:
                cells.move(i, a, to)
                gained -= best
    return gained


def _swaps(cells: _Cells, near, tried: dict) -> float:
    """Swap points between neighbouring cells, pairing those that most want to change sides. Pairs
    already tried as they stand are skipped."""
    xs, ys, n, sx, sy = cells.xs, cells.ys, cells.n, cells.sx, cells.sy
    version = cells.version
    gained = 0.0
    for a in range(len(n)):
        for b in near[a]:
            if b < a or tried.get((a, b)) == (version[a], version[b]):
                continue
            tried[(a, b)] = (version[a], version[b])
            ax, ay, bx, by = sx[a] / n[a], sy[a] / n[a], sx[b] / n[b], sy[b] / n[b]
            pa = sorted(
                ((xs[i] - bx) ** 2 + (ys[i] - by) ** 2 - (xs[i] - ax) ** 2 - (ys[i] - ay) ** 2, i)
                for i in cells.members[a]
            )
            pb = sorted(
                ((xs[j] - ax) ** 2 + (ys[j] - ay) ** 2 - (xs[j] - bx) ** 2 - (ys[j] - by) ** 2, j)
                for j in cells.members[b]
            )
            for (ga, i), (gb, j) in zip(pa, pb, strict=False):
                if ga + gb >= 0:
                    break
                before = cells.part(a) + cells.part(b)
                cells.move(i, a, b)
                cells.move(j, b, a)
                delta = cells.part(a) + cells.part(b) - before  # the Σ|x|² parts cancel in a swap
                if delta >= -1e-9:
                    cells.move(i, b, a)
                    cells.move(j, a, b)
                    break
                gained -= delta
    return gained


def _chains(cells: _Cells, near, lo, hi) -> float:
    """Short chains a single move cannot make because a cell is at a size bound, many at once: a point
    goes to a full cell, which passes one on to a cell with room or back to the first; or a cell at
    the minimum first takes one from a neighbour. Found with the centres held; each is kept only if
    the exact sum of squares goes down."""
    xs, ys, n, sx, sy = cells.xs, cells.ys, cells.n, cells.sx, cells.sy
    k = len(n)
    cx = [sx[c] / n[c] for c in range(k)]
    cy = [sy[c] / n[c] for c in range(k)]
    best: list[dict] = []  # best[a][b] = (change in cost, point): a's point that most wants b
    for a in range(k):
        table: dict = {}
        centres = [(b, cx[b], cy[b]) for b in near[a]]
        for i in cells.members[a]:
            px, py = xs[i], ys[i]
            here = (px - cx[a]) ** 2 + (py - cy[a]) ** 2
            for b, bx, by in centres:
                d = (px - bx) ** 2 + (py - by) ** 2 - here
                if b not in table or d < table[b][0]:
                    table[b] = (d, i)
        best.append(table)
    feeders: list[list[int]] = [[] for _ in range(k)]
    for a in range(k):
        for b in near[a]:
            feeders[b].append(a)
    touched = [False] * k
    gained = 0.0

    def apply(steps) -> float:
        changed = {c for a, b, _i in steps for c in (a, b)}
        before = sum(cells.part(c) for c in changed)
        for a, b, i in steps:
            cells.move(i, a, b)
        after = sum(cells.part(c) for c in changed)
        if after < before - 1e-9:
            for c in changed:
                touched[c] = True
            return before - after
        for a, b, i in reversed(steps):
            cells.move(i, b, a)
        return 0.0

    for a in range(k):
        for b, (dab, p) in sorted(best[a].items(), key=lambda item: (item[1][0], item[0])):
            if dab >= 0 or touched[a]:
                break
            if touched[b]:
                continue
            options = []
            if n[b] >= hi or n[a] <= lo:
                for c, (dbc, q) in best[b].items():
                    if c == a or touched[c]:
                        continue
                    if n[c] < hi and n[a] > lo and dab + dbc < 0:
                        options.append((dab + dbc, c, [(a, b, p), (b, c, q)]))
                    back = best[c].get(a)
                    if back is not None and dab + dbc + back[0] < 0:
                        options.append((dab + dbc + back[0], c, [(a, b, p), (b, c, q), (c, a, back[1])]))
            if n[a] <= lo and n[b] < hi:
                for d in feeders[a]:
                    if d == b or touched[d] or n[d] <= lo:
                        continue
                    dda, r = best[d][a]
                    if dda + dab < 0:
                        options.append((dda + dab, d, [(d, a, r), (a, b, p)]))
            options.sort(key=lambda o: (o[0], o[1], len(o[2])))
            for _cost, _c, steps in options[:3]:
                got = apply(steps)
                if got:
                    gained += got
                    break
    return gained


def _cycles(cells: _Cells, near, lo, hi, rounds: int = CYCLE_ROUNDS) -> float:
    """Reassign points to the current centres within the size bounds by cancelling negative cycles
    between neighbouring cells (a point goes to a full cell, which passes one on, … back to the
    start; a virtual node lets a cell with some to spare give one to a cell with room). This is the
    step k-means with size bounds does by min-cost flow; here it looks at each cell's neighbours only.
    With the centres held, each cycle lowers the cost; moving the centres after lowers it further."""
    xs, ys, n, sx, sy = cells.xs, cells.ys, cells.n, cells.sx, cells.sy
    k = len(n)
    gained = 0.0
    feeders: list[list[int]] = [[] for _ in range(k)]
    for a in range(k):
        for b in near[a]:
            feeders[b].append(a)
    edges: list[list[tuple[int, float, int]]] = [[] for _ in range(k)]
    negative = [False] * k
    stale = set(range(k))
    for _ in range(rounds):
        for a in stale:
            # One edge a → b per neighbour: a's point that would gain most by going over to b.
            ax, ay = sx[a] / n[a], sy[a] / n[a]
            centres = [(b, sx[b] / n[b], sy[b] / n[b]) for b in near[a]]
            table: dict = {}
            for i in cells.members[a]:
                px, py = xs[i], ys[i]
                here = (px - ax) ** 2 + (py - ay) ** 2
                for b, bx, by in centres:
                    d = (px - bx) ** 2 + (py - by) ** 2 - here
                    if b not in table or d < table[b][0]:
                        table[b] = (d, i)
            edges[a] = [(b, d, i) for b, (d, i) in table.items()]
            negative[a] = any(d < 0 for d, _i in table.values())
        starts = [a for a in range(k) if negative[a]]
        if not starts:
            break
        cycles = _negative_cycles(edges, starts, n, lo, hi)
        if not cycles:
            break
        changed = {c for cycle in cycles for a, b, i in cycle if i >= 0 for c in (a, b)}
        before = sum(cells.part(c) for c in changed)
        for cycle in cycles:
            for a, b, i in cycle:
                if i >= 0:
                    cells.move(i, a, b)
        gained += before - sum(cells.part(c) for c in changed)
        stale = changed | {f for c in changed for f in feeders[c]}
    return gained


def _negative_cycles(
    edges, starts: list[int], n: list[int], lo: int, hi: int
) -> list[list[tuple[int, int, int]]]:
    """Disjoint negative cycles among the cells (Bellman–Ford with a queue, every node at distance 0, so
    only nodes with a negative edge start). Node k is the virtual node: a cell with room leads to it,
    and it leads to every cell that may give one away. Any cycle of the predecessor graph is negative;
    it is looked for every few relaxations, and the cells of each cycle found are taken out of the
    search, which goes on for more (within a budget of relaxations). Each cycle as its edges (from, to,
    point)."""
    k = len(edges)
    nodes = k + 1
    dist = [0.0] * nodes
    pred: list[tuple[int, int, int] | None] = [None] * nodes
    dead = [False] * nodes
    queue = deque(starts)
    queued = [False] * nodes
    for a in starts:
        queued[a] = True
    relaxed = 0
    every = nodes
    budget = CYCLE_BUDGET * nodes
    givers = [(a, 0.0, -1) for a in range(k) if n[a] > lo]
    found: list = []

    def harvest() -> None:
        for cycle in _pred_cycles(pred, nodes):
            cells = [a for a, _b, _i in cycle if a != k]
            if any(dead[a] for a in cells):
                continue
            for a in cells:
                dead[a] = True
            found.append(cycle)

    while queue and relaxed < budget:
        u = queue.popleft()
        queued[u] = False
        if dead[u]:
            continue
        du = dist[u]
        out = givers if u == k else edges[u] if n[u] >= hi else [*edges[u], (k, 0.0, -1)]
        for v, w, i in out:
            nd = du + w
            if nd < dist[v] - 1e-7 and not dead[v]:
                dist[v] = nd
                pred[v] = (u, v, i)
                relaxed += 1
                if relaxed % every == 0:
                    harvest()
                if not queued[v]:
                    queued[v] = True
                    queue.append(v)
    harvest()
    return found


def _pred_cycles(pred, nodes: int) -> list[list[tuple[int, int, int]]]:
    stamp = [-1] * nodes
    cycles = []
    for start in range(nodes):
        v = start
        while v >= 0 and stamp[v] == -1:
            stamp[v] = start
            edge = pred[v]
            v = edge[0] if edge is not None else -1
        if v >= 0 and stamp[v] == start:
            cycle, u = [], v
            while True:
                edge = pred[u]
                cycle.append(edge)
                u = edge[0]
                if u == v:
                    break
            cycles.append(cycle)
    return cycles


_DIRECTIONS = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, -1.0)]


def _resplits(cells: _Cells, near, lo, hi, tried: dict) -> float:
    """Cut the union of two neighbouring cells in two again along the best straight line (across the
    line between their centres, along it, and four fixed directions). Pairs already tried as they
    stand are skipped."""
    xs, ys, n, sx, sy = cells.xs, cells.ys, cells.n, cells.sx, cells.sy
    gained = 0.0
    for a in range(len(n)):
        for b in near[a]:
            if b < a:
                continue
            stamp = (cells.version[a], cells.version[b])
            if tried.get((a, b)) == stamp:
                continue
            pts = cells.members[a] + cells.members[b]
            m = len(pts)
            t_lo, t_hi = max(lo, m - hi), min(hi, m - lo)
            before = cells.part(a) + cells.part(b)
            best, cut = before - 1e-9 * abs(before) - 1e-9, None
            tx, ty = sx[a] + sx[b], sy[a] + sy[b]
            ax, ay, bx, by = sx[a] / n[a], sy[a] / n[a], sx[b] / n[b], sy[b] / n[b]
            for dx, dy in [(bx - ax, by - ay), (ay - by, bx - ax), *_DIRECTIONS]:
                if t_lo > t_hi or (dx == 0 and dy == 0):
                    continue
                order = sorted(pts, key=lambda i, dx=dx, dy=dy: xs[i] * dx + ys[i] * dy)
                px = py = 0.0
                for t, i in enumerate(order, 1):
                    px += xs[i]
                    py += ys[i]
                    if t < t_lo:
                        continue
                    if t > t_hi:
                        break
                    cost = -(px * px + py * py) / t - ((tx - px) ** 2 + (ty - py) ** 2) / (m - t)
                    if cost < best:
                        best, cut = cost, (order, t)
            if cut is not None:
                order, t = cut
                for i in order[:t]:
                    if i in cells.members[b]:
                        cells.move(i, b, a)
                for i in order[t:]:
                    if i in cells.members[a]:
                        cells.move(i, a, b)
                gained += before - best
            tried[(a, b)] = (cells.version[a], cells.version[b])
    return gained


# ---- Areas: N contiguous runs of groups, balanced by population -----------------------------------


def balanced_split(weights: Sequence[float], parts: int) -> list[int]:
    """Cut a line of weights into `parts` non-empty runs as equal as possible; returns the start index
    of each run. Cuts where the running total passes k/parts of the whole, then shifts cuts by one while
    that lowers the sum of squared deviations from the mean."""
    n = len(weights)
    if not 1 <= parts <= n:
        raise PartitionError(f"cannot cut {n} groups into {parts} areas")
    cum = [0.0]
    for w in weights:
        cum.append(cum[-1] + w)
    total = cum[-1]
    starts = [0]
    for k in range(1, parts):
        goal = total * k / parts
        lo_b, hi_b = starts[-1] + 1, n - (parts - k)
        b = min(range(lo_b, hi_b + 1), key=lambda b: (abs(cum[b] - goal), b))
        starts.append(b)

    def cost(st):
        bounds = [*st, n]
        mean = total / parts
        return sum((cum[bounds[k + 1]] - cum[bounds[k]] - mean) ** 2 for k in range(parts))

    best = cost(starts)
    improved = True
    while improved:
        improved = False
        for k in range(1, parts):
            for step in (-1, 1):
                b = starts[k] + step
                if starts[k - 1] < b and (k + 1 == parts and b < n or k + 1 < parts and b < starts[k + 1]):
                    trial = starts[:k] + [b] + starts[k + 1 :]
                    c = cost(trial)
                    if c < best - 1e-9:
                        starts, best, improved = trial, c, True
    return starts


# ---- The whole partition --------------------------------------------------------------------------


def partition(
    homes: Sequence[Home],
    *,
    areas: int = 1,
    current: Mapping[Hashable, CurrentCell] | None = None,
    settings: Settings | None = None,
) -> Plan:
    """Cells, groups and `areas` areas for `homes` (resident households), continuing `current` (the
    cells as they stand, by key) as far as they are still valid. Deterministic."""
    started = time.perf_counter()
    s = settings or Settings()
    current = dict(current or {})
    if areas < 1:
        raise PartitionError("at least one area")
    if len({h.id for h in homes}) != len(homes):
        raise PartitionError("a household is listed twice")
    if not homes:
        return Plan([], {}, [], [], [], Figures(seconds=time.perf_counter() - started))
    line = _Line(homes, s)
    n = len(line.ids)

    # Cells.
    label = [h.cell if h.cell in current else None for h in line.homes]
    original: dict = {}
    for i, lab in enumerate(label):
        if lab is not None:
            original.setdefault(lab, []).append(i)
    kept = [seg for lab, ms in original.items() if (seg := _keep_cell(line, lab, ms, current[lab], s))]
    level = _Level(
        [1] * n, label, line.join, s.cell_min, s.cell_max, s.cell_target, s.size_weight, s.move_weight
    )
    cells = _stable_cut(level, kept)
    fresh = [c for c in cells if c.label is None]
    by_estate: dict = {}
    for c in fresh:
        if all(line.on_map[i] for i in c.members) and len({line.estate[i] for i in c.members}) == 1:
            by_estate.setdefault(line.estate[c.members[0]], []).append(c)
    map_points = Counter(line.estate[i] for i in range(n) if line.on_map[i])
    for estate, group in by_estate.items():
        if sum(c.weight for c in group) == map_points[estate]:
            # All the map points of the estate are placed afresh: start from a balanced bisection,
            # squarer than the cut along the Hilbert curve, with as many cells as the target size asks.
            points = sorted(i for c in group for i in c.members)
            count = _map_cell_count(len(points), s)
            # Local search ends in a local optimum: up to MAP_STARTS points, start it from both ways
            # of bisecting and keep the more compact result.
            starts = []
            for flip in (False, True)[: 2 if len(points) <= MAP_STARTS else 1]:
                start: list[list[int]] = []
                _bisect(points, count, line.x, line.y, start, flip=flip)
                starts.append(start)
        else:
            starts = [[c.members for c in group]]
        tries = [_refine(line, start, s.cell_min, s.cell_max, s.refine_passes) for start in starts]
        polished = min(tries, key=lambda t: _distance_total(line, t))
        gone = {id(c) for c in group}
        cells = [c for c in cells if id(c) not in gone] + [_Seg(None, ms, len(ms)) for ms in polished]
    _match(cells, level, {c.label for c in cells if c.label is not None})
    cells.sort(key=lambda c: (c.members[len(c.members) // 2], c.members[0]))

    # Groups: whole cells, adjacent along the line.
    cell_group = [current[c.label].group if c.label is not None else None for c in cells]
    rep = [c.members[len(c.members) // 2] for c in cells]
    group_level = _Level(
        [c.weight for c in cells],
        cell_group,
        lambda a, b: line.join(rep[a], rep[b]),
        s.group_min,
        s.group_max,
        s.group_target,
        s.size_weight,
        s.move_weight,
    )
    group_members: dict = {}
    for k, lab in enumerate(cell_group):
        if lab is not None:
            group_members.setdefault(lab, []).append(k)
    kept_groups = []
    for lab, ks in group_members.items():
        weight = sum(cells[k].weight for k in ks)
        if s.group_min <= weight <= s.group_max:
            kept_groups.append(_Seg(lab, ks, weight))
    groups = _stable_cut(group_level, kept_groups)
    _match(groups, group_level, {g.label for g in groups if g.label is not None})
    groups.sort(key=lambda g: (g.members[len(g.members) // 2], g.members[0]))

    # Areas: whole groups, balanced by population.
    if len(groups) < areas:
        raise TooManyAreas(areas, len(groups))
    group_area = [_group_area(g, cells, current) for g in groups]
    area_segs = _areas(
        groups,
        group_area,
        areas,
        lambda a, b: line.join(rep[groups[a].members[0]], rep[groups[b].members[0]]),
        s,
    )

    plan = _plan(line, homes, current, original, cells, groups, area_segs, s)
    plan.figures.seconds = time.perf_counter() - started
    return plan


def _keep_cell(line: _Line, lab, members: list[int], info: CurrentCell, s: Settings) -> _Seg | None:
    """The part of a current cell that stays as it is, or None when the cell is re-cut."""
    if info.pinned:
        return _Seg(lab, members, len(members), pinned=True)
    pins = [i for i in members if line.homes[i].pinned]
    if pins:
        keep = members
        if len(members) > s.cell_max:
            # Pinned households stay; the others nearest them on the line stay with them, up to 15.
            def nearness(i):
                return min(abs(i - p) for p in pins)

            rest = sorted((i for i in members if not line.homes[i].pinned), key=lambda i: (nearness(i), i))
            keep = sorted(pins + rest[: max(0, s.cell_max - len(pins))])
        return _Seg(lab, keep, len(keep), anchored=True)
    if not s.cell_min <= len(members) <= s.cell_max or _broken(line, members, s):
        return None
    return _Seg(lab, members, len(members))


def _broken(line: _Line, members: list[int], s: Settings) -> bool:
    """A cell across two estates (village groups) that could each make cells of their own. (A cell
    that takes in the few households of a tiny estate next door is not broken: they have nowhere else.)"""
    estates = {line.estate[i] for i in members}
    return len(estates) > 1 and sum(1 for e in estates if line.estate_size[e] >= s.cell_min) > 1


def _group_area(group: _Seg, cells: list[_Seg], current: Mapping) -> Hashable | None:
    """The area a group stands in now: that of most of its households' current cells."""
    if group.label is None:
        return None
    votes: Counter = Counter()
    for k in group.members:
        lab = cells[k].label
        if lab is not None and current[lab].group == group.label and current[lab].area is not None:
            votes[current[lab].area] += cells[k].weight
    return votes.most_common(1)[0][0] if votes else None


def _areas(groups: list[_Seg], group_area: list, parts: int, join, s: Settings) -> list[_Seg]:
    """Keep the current areas when there are `parts` of them and each stays within the tolerance
    (new groups joining the area next to them); otherwise cut afresh and continue the old areas."""
    weights = [g.weight for g in groups]
    total = sum(weights)
    mean = total / parts
    lo, hi = (1 - s.area_tolerance) * mean, (1 + s.area_tolerance) * mean
    level = _Level(weights, group_area, join, lo, hi, mean, s.size_weight, s.move_weight)
    current_labels = {lab for lab in group_area if lab is not None}
    if len(current_labels) == parts:
        members: dict = {}
        for k, lab in enumerate(group_area):
            if lab is not None:
                members.setdefault(lab, []).append(k)
        kept = []
        for lab, ks in members.items():
            w = sum(weights[k] for k in ks)
            if lo <= w <= hi:
                kept.append(_Seg(lab, ks, w))
        segs = _stable_cut(level, kept)
        if len(segs) == parts and all(lo <= seg.weight <= hi for seg in segs):
            _match(segs, level, {seg.label for seg in segs if seg.label is not None})
            return sorted(segs, key=lambda seg: seg.members[0])
    starts = balanced_split(weights, parts)
    bounds = [*starts, len(groups)]
    segs = [
        _Seg(None, list(range(bounds[k], bounds[k + 1])), sum(weights[bounds[k] : bounds[k + 1]]))
        for k in range(parts)
    ]
    _match(segs, level, set())
    return segs


def _plan(line, homes, current, original, cells, groups, area_segs, s: Settings) -> Plan:
    ids = line.ids
    home_by_id = {h.id: h for h in homes}
    cell_plans = []
    for seg in cells:
        hh = [ids[i] for i in seg.members]
        plan = CellPlan(key=seg.label, households=hh, pinned=seg.pinned)
        if seg.label is None:
            plan.status = "new"
        else:
            plan.status = "kept" if seg.members == original.get(seg.label) else "changed"
        address = [i for i in seg.members if not line.on_map[i]]
        plan.buildings = len({line.building[i] for i in address})
        plan.estates = len({line.estate[i] for i in seg.members})
        points = [(line.homes[i].lat, line.homes[i].lon) for i in seg.members if line.on_map[i]]
        if points:
            distances = centre_distances_m(points)
            plan.radius_m = max(distances)
            plan.mean_m = sum(distances) / len(distances)
        cell_plans.append(plan)
    # The cells each current group and area holds now (by key), to tell kept from changed.
    old_group_cells: dict = {}
    old_area_groups: dict = {}
    for lab in original:
        info = current[lab]
        if info.group is not None:
            old_group_cells.setdefault(info.group, set()).add(lab)
            if info.area is not None:
                old_area_groups.setdefault(info.area, set()).add(info.group)
    group_plans = []
    for g in groups:
        gp = GroupPlan(key=g.label, cells=[cell_plans[k] for k in g.members])
        keys = {c.key for c in gp.cells}
        gp.status = (
            "new" if g.label is None else ("kept" if keys == old_group_cells.get(g.label) else "changed")
        )
        group_plans.append(gp)
    area_plans = []
    for a in area_segs:
        ap = AreaPlan(key=a.label, groups=[group_plans[k] for k in a.members])
        keys = {g.key for g in ap.groups}
        ap.status = (
            "new" if a.label is None else ("kept" if keys == old_area_groups.get(a.label) else "changed")
        )
        area_plans.append(ap)

    moves = {}
    fig = Figures(households=len(ids))
    for cp in cell_plans:
        for h in cp.households:
            old = home_by_id[h].cell
            if cp.key is None or old != cp.key:
                moves[h] = (old, cp)
                if old is None:
                    fig.placed += 1
                else:
                    fig.moved += 1
    final_cells = {c.key for c in cell_plans if c.key is not None}
    final_groups = {g.key for g in group_plans if g.key is not None}
    final_areas = {a.key for a in area_plans if a.key is not None}
    removed_cells = [lab for lab in original if lab not in final_cells]
    removed_groups = [lab for lab in old_group_cells if lab not in final_groups]
    removed_areas = [lab for lab in old_area_groups if lab not in final_areas]

    sizes = [c.size for c in cell_plans]
    fig.cells = len(cell_plans)
    fig.cells_in_range = sum(1 for x in sizes if s.cell_min <= x <= s.cell_max)
    fig.share_in_range = fig.cells_in_range / fig.cells if fig.cells else 1.0
    address_cells = [c for c in cell_plans if c.buildings]
    if address_cells:
        fig.buildings_mean = sum(c.buildings for c in address_cells) / len(address_cells)
        fig.buildings_max = max(c.buildings for c in address_cells)
    map_cells = [c for c in cell_plans if c.mean_m is not None]
    if map_cells:
        weighted = 0.0
        count = 0
        for c in map_cells:
            k = sum(1 for h in c.households if home_by_id[h].on_map)
            weighted += c.mean_m * k
            count += k
        fig.metres_mean = weighted / count if count else None
        fig.metres_max = max(c.radius_m for c in map_cells)
    fig.cell_size_min, fig.cell_size_max = (min(sizes), max(sizes)) if sizes else (0, 0)
    fig.cells_kept = sum(1 for c in cell_plans if c.status == "kept")
    fig.cells_changed = sum(1 for c in cell_plans if c.status == "changed")
    fig.cells_new = sum(1 for c in cell_plans if c.status == "new")
    fig.cells_removed = len(removed_cells)
    group_sizes = [g.households for g in group_plans]
    fig.groups = len(group_plans)
    fig.group_size_min, fig.group_size_max = (min(group_sizes), max(group_sizes)) if group_sizes else (0, 0)
    fig.groups_changed = sum(1 for g in group_plans if g.status != "kept") + len(removed_groups)
    fig.areas = len(area_plans)
    fig.area_sizes = [a.households for a in area_plans]
    if fig.area_sizes and sum(fig.area_sizes):
        mean = sum(fig.area_sizes) / len(fig.area_sizes)
        fig.area_spread = (max(fig.area_sizes) - min(fig.area_sizes)) / mean
    fig.areas_changed = sum(1 for a in area_plans if a.status != "kept") + len(removed_areas)
    return Plan(area_plans, moves, removed_cells, removed_groups, removed_areas, fig)
