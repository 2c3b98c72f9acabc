"""The load part's figures (a round's turns, failures and latencies) and its report: the table
of ours against the minimal endpoint, and the confirm against a programme turn."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from common import CONFIRM_KEY, PROGRAMME_KEY, Recorder, pct, ratio


@dataclass
class Figures:
    turns: int = 0
    errors: int = 0
    calls: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)
    # CPU seconds of the round (``cpu.py``): the server's processes, the database server's
    # (PostgreSQL on this machine), the client's; None where they could not be read.
    cpu: float | None = None
    db_cpu: float | None = None
    client_cpu: float | None = None
    ended: list[float] = field(default_factory=list)  # each turn's end, until ``settle``
    mid_turns: int = 0  # turns that ended in the middle 60 % of the round (``settle``)
    mid_seconds: float = 0.0

    def merge(self, other: Figures | Recorder) -> None:
        self.turns += other.turns
        self.errors += other.errors
        self.reasons.update(other.reasons)
        self.ended.extend(other.ended)
        if isinstance(other, Figures):
            self.calls += other.calls
            self.seconds = max(self.seconds, other.seconds)
        for label, values in other.latencies.items():
            self.latencies.setdefault(label, []).extend(values)

    def then(self, other: Figures) -> None:
        """``other`` measured after this (a repeat of the round): its seconds add up."""
        seconds = self.seconds + other.seconds
        self.merge(other)
        self.seconds = seconds
        self.mid_turns += other.mid_turns
        self.mid_seconds += other.mid_seconds
        self.cpu, self.db_cpu, self.client_cpu = (
            None if a is None and b is None else (a or 0.0) + (b or 0.0)
            for a, b in ((self.cpu, other.cpu), (self.db_cpu, other.db_cpu),
                         (self.client_cpu, other.client_cpu)))

    def settle(self) -> None:
        """The round is over: count the turns of its middle 60 %, from the first turn's end
        to the last's (callers start spread over a pause and finish the call they are in, so
        the ends ramp up and down), and let the times go."""
        if len(self.ended) > 1:
            first, last = min(self.ended), max(self.ended)
            lo, hi = first + 0.2 * (last - first), last - 0.2 * (last - first)
            self.mid_turns = sum(1 for t in self.ended if lo <= t <= hi)
            self.mid_seconds = hi - lo
        self.ended = []

    @property
    def mid_rate(self) -> float:
        return self.mid_turns / self.mid_seconds if self.mid_seconds else 0.0

    def all(self) -> list[float]:
        return [v for values in self.latencies.values() for v in values]

    @property
    def rate(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    @property
    def ok_rate(self) -> float:
        """Turns a second that did not fail (a failed turn is cheap and ends the walk early)."""
        return (self.turns - self.errors) / self.seconds if self.seconds else 0.0



KEY_TURN = {"programme": PROGRAMME_KEY, "registration": CONFIRM_KEY, "known": PROGRAMME_KEY}
Row = tuple[int, float, str, Figures, Figures]  # callers, pause, walk, ours, minimal


def table(rows: list[Row]) -> str:
    head = (f"{'callers':>7} {'pause':>5} {'walk':<12} {'server':<8} {'calls':>6} {'turns':>7} "
            f"{'failed':>6} {'turns/s':>8} {'ok/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
            f"{'key':<7} {'key p50':>8} {'key p99':>8}")
    lines = [head, "-" * len(head)]
    for n, pause, name, ours, base in rows:
        key = KEY_TURN[name]
        lead = f"{n:>7} {pause:>5.1f} {name:<12}"
        for server, f in (("lampio", ours), ("minimal", base)):
            lat, k = f.all(), f.latencies.get(key, [])
            lines.append(f"{lead} {server:<8} {f.calls:>6} {f.turns:>7} {f.errors:>6} "
                         f"{f.rate:>8.1f} {f.ok_rate:>8.1f} {pct(lat, 50):>8.1f} "
                         f"{pct(lat, 99):>8.1f} {pct(lat, 100):>8.1f} {key:<7} "
                         f"{pct(k, 50):>8.1f} {pct(k, 99):>8.1f}")
        a, b, ka, kb = ours.all(), base.all(), ours.latencies.get(key, []), base.latencies.get(key, [])
        lines.append(f"{lead} {'ratio':<8} {'':>6} {'':>7} {'':>6} "
                     f"{ratio(ours.rate, base.rate):>8.2f} {ratio(ours.ok_rate, base.ok_rate):>8.2f} "
                     f"{ratio(pct(a, 50), pct(b, 50)):>8.2f} {ratio(pct(a, 99), pct(b, 99)):>8.2f} "
                     f"{ratio(pct(a, 100), pct(b, 100)):>8.2f} {key:<7} "
                     f"{ratio(pct(ka, 50), pct(kb, 50)):>8.2f} {ratio(pct(ka, 99), pct(kb, 99)):>8.2f}")
    return "\n".join(lines)


def _per_turn(seconds: float | None, f: Figures) -> float | None:
    return seconds * 1000 / f.turns if seconds is not None and f.turns else None


def _ms(value: float | None) -> str:
    return f"{value:>8.3f}" if value is not None else f"{'n/a':>8}"


def cpu_table(rows: list[Row]) -> str:
    """CPU ms per turn of each server's own processes (ours: the app's, plus the database
    server's on PostgreSQL), and of the client: the cost ratio without the client's share."""
    head = (f"{'callers':>7} {'pause':>5} {'walk':<12} {'lampio':>8} {'app':>8} {'db':>8} "
            f"{'minimal':>8} {'ratio':>8} {'client':>8} {'client':>8} {'mid t/s':>8} {'mid t/s':>8}")
    sub = (f"{'':>7} {'':>5} {'':<12} {'ms/turn':>8} {'':>8} {'':>8} {'ms/turn':>8} "
           f"{'lam/min':>8} {'lampio':>8} {'minimal':>8} {'lampio':>8} {'minimal':>8}")
    lines = [head, sub, "-" * len(head)]
    for n, pause, name, ours, base in rows:
        app, db = _per_turn(ours.cpu, ours), _per_turn(ours.db_cpu, ours)
        total = None if app is None else app + (db or 0.0)
        minimal = _per_turn(base.cpu, base)
        cost = ratio(total, minimal) if total is not None and minimal else float("nan")
        lines.append(f"{n:>7} {pause:>5.1f} {name:<12} {_ms(total)} {_ms(app)} {_ms(db)} "
                     f"{_ms(minimal)} {cost:>8.2f} {_ms(_per_turn(ours.client_cpu, ours))} "
                     f"{_ms(_per_turn(base.client_cpu, base))} {ours.mid_rate:>8.1f} "
                     f"{base.mid_rate:>8.1f}")
    return "\n".join(lines)


def confirm_vs_programme(rows: list[Row]) -> list[str]:
    """Registration confirm against a programme turn, on our server, per load."""
    by = {(n, p, name): ours for n, p, name, ours, _ in rows}
    out = []
    for (n, p, name), ours in by.items():
        prog = by.get((n, p, "programme"))
        if name != "registration" or prog is None:
            continue
        c, t = ours.latencies.get(CONFIRM_KEY, []), prog.latencies.get(PROGRAMME_KEY, [])
        out.append(f"{n:>4} callers, pause {p:.0f} s: confirm / programme turn  "
                   f"p50 {pct(c, 50):.1f} / {pct(t, 50):.1f} = {ratio(pct(c, 50), pct(t, 50)):.2f}x   "
                   f"p99 {pct(c, 99):.1f} / {pct(t, 99):.1f} = {ratio(pct(c, 99), pct(t, 99)):.2f}x")
    return out
