"""Mining: rigs, their sessions and per-interval statistics, pool statistics and
crypto prices.

A rig is one user in mining_sessions and mines one algorithm. Its hashrate,
power and temperature follow a daily cycle (hot afternoons throttle it a
little); a quarter of the rigs wear over the year (less hashrate, more heat)
and some fail more often than others. Planted: rigs that overheat (median
session temperature above 85 °C), rigs far below their algorithm's hashrate,
and sessions whose earnings no hashrate could produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
import pyarrow as pa
from scipy.stats import norm

from azora_nb.demo import values as v
from azora_nb.demo.generate import TableSpec
from azora_nb.demo.generate.people import users
from azora_nb.demo.manifest import Anomaly
from azora_nb.demo.plan import CHUNK_ROWS, US_PER_DAY, US_PER_HOUR, Plan

# name, typical rig MH/s, watts, USD earned per MH/s per hour at the year's mean price, coin
ALGORITHMS = (
    ("kawpow", 30.0, 250, 0.00140, "RVN"),
    ("etchash", 100.0, 240, 0.00038, "ETC"),
    ("autolykos2", 180.0, 200, 0.00028, "ERG"),
    ("kheavyhash", 1500.0, 300, 0.000042, "KAS"),
)
EARNINGS_USD_PER_MHS_HOUR = {name: rate for name, _, _, rate, _ in ALGORITHMS}
"""What one MH/s earns in an hour, per algorithm; clean sessions stay within ±50% of
it (price moves and luck), planted impossible ones are 40-120x."""
POOLS = (
    ("2miners-rvn", "kawpow", "stratum+tcp://rvn.2miners.com:6060", 1.0, "PPLNS"),
    ("flypool-rvn", "kawpow", "stratum+tcp://stratum-ravencoin.flypool.org:3333", 1.0, "PPLNS"),
    ("ethermine-etc", "etchash", "stratum+tcp://etc.ethermine.org:4444", 1.0, "PPLNS"),
    ("f2pool-etc", "etchash", "stratum+tcp://etc.f2pool.com:8118", 1.5, "PPS+"),
    ("herominers-erg", "autolykos2", "stratum+tcp://ergo.herominers.com:1180", 0.9, "PROP"),
    ("woolypooly-erg", "autolykos2", "stratum+tcp://pool.woolypooly.com:3100", 0.9, "PPLNS"),
    ("kaspa-pool", "kheavyhash", "stratum+tcp://pool.kaspa.org:5555", 1.0, "PPLNS"),
    ("acc-pool-kas", "kheavyhash", "stratum+tcp://acc-pool.pw:16061", 0.8, "SOLO"),
)
SYMBOLS = (
    ("BTC", 67_000.0, 19.7e6, 0.030),
    ("ETH", 3_200.0, 120e6, 0.038),
    ("RVN", 0.021, 14e9, 0.055),
    ("ETC", 24.0, 148e6, 0.045),
    ("ERG", 1.3, 74e6, 0.055),
    ("KAS", 0.13, 24e9, 0.060),
    ("XMR", 160.0, 18.4e6, 0.035),
    ("AZR", 1.0, 1e9, 0.0),
)
PRICE_STEP_US = 6 * US_PER_HOUR
STATS_SESSIONS = 6_000
"""Sessions per statistics chunk (about 50,000 hourly rows)."""
SESSION_STATUSES = ("active", "completed", "failed", "interrupted")


@dataclass(frozen=True)
class Rigs:
    user: np.ndarray  # core user index
    algorithm: np.ndarray  # index into ALGORITHMS
    pool: np.ndarray  # index into POOLS
    hashrate: np.ndarray  # MH/s when new
    temperature: np.ndarray
    wear: np.ndarray  # fraction of hashrate lost by the end of the year
    fail_rate: np.ndarray
    overheating: np.ndarray
    underperforming: np.ndarray


@lru_cache(maxsize=4)
def rigs(plan: Plan) -> Rigs:
    rng = plan.rng("rigs")
    n = plan.rigs
    owners = 4 + rng.permutation(plan.core_users - 4)[:n]
    algorithm = np.arange(n) % len(ALGORITHMS)
    rng.shuffle(algorithm)
    spread = np.zeros(n)
    for a in range(len(ALGORITHMS)):
        # Evenly spaced normal quantiles, not random draws: the robust z-score of a
        # clean rig then stays below 2.5 even among a handful of rigs.
        members = np.flatnonzero(algorithm == a)
        z = np.clip(norm.ppf((np.arange(len(members)) + 0.5) / len(members)), -2, 2)
        spread[members] = rng.permutation(z)
    base = np.array([alg[1] for alg in ALGORITHMS])[algorithm] * np.exp(0.12 * spread)
    pools_of = [np.flatnonzero([p[1] == alg[0] for p in POOLS]) for alg in ALGORITHMS]
    pool = np.array([rng.choice(pools_of[a]) for a in algorithm])
    wear = np.where(rng.random(n) < 0.25, rng.uniform(0.03, 0.10, n), 0.0)
    fail = np.where(rng.random(n) < 0.12, rng.uniform(0.08, 0.2, n), 0.02)
    planted = rng.permutation(n)
    k = plan.count(plan.rates.rig, n)
    hot = np.zeros(n, dtype=bool)
    hot[planted[:k]] = True
    slow = np.zeros(n, dtype=bool)
    # At most one slow rig per algorithm, so the slow ones never shift the median.
    for a in range(len(ALGORITHMS)):
        pick = [r for r in planted[k:] if algorithm[r] == a][:1]
        if a < k:
            slow[pick] = True
    base = np.where(slow, base * rng.uniform(0.08, 0.15, n), base)
    temperature = np.where(hot, rng.uniform(88, 94, n), rng.uniform(56, 71, n))
    return Rigs(owners, algorithm, pool, base, temperature, wear, fail, hot, slow)


def rig_anomalies(plan: Plan) -> list[Anomaly]:
    r = rigs(plan)
    ids = users(plan).core_ids
    return [
        Anomaly("rig_overheating", "core", "mining_sessions", {"user_id": ids[r.user[i]].decode()})
        for i in np.flatnonzero(r.overheating)
    ] + [
        Anomaly(
            "rig_underperforming", "core", "mining_sessions", {"user_id": ids[r.user[i]].decode()}
        )
        for i in np.flatnonzero(r.underperforming)
    ]


@lru_cache(maxsize=4)
def _impossible(plan: Plan) -> frozenset[int]:
    """Indexes of the sessions given impossible earnings: on clean rigs, never in a
    rig's last slot (so they are completed)."""
    rng = plan.rng("impossible")
    r = rigs(plan)
    slots = -(-plan.sessions // plan.rigs)
    clean = ~(r.overheating | r.underperforming)
    chosen: set[int] = set()
    want = plan.count(plan.rates.session, plan.sessions)
    while len(chosen) < want:
        j = int(rng.integers(0, plan.sessions))
        if clean[j % plan.rigs] and j // plan.rigs < slots - 1:
            chosen.add(j)
    return frozenset(chosen)


def _price_factor(plan: Plan, coin: str, at: np.ndarray) -> np.ndarray:
    series = price_series(plan)[coin]
    step = np.clip((at - plan.start_us) // PRICE_STEP_US, 0, len(series) - 1)
    return series[step] / series.mean()


@dataclass(frozen=True)
class Sessions:
    ids: np.ndarray
    rig: np.ndarray
    start: np.ndarray
    end: np.ndarray  # -1 while active
    hours: np.ndarray
    status: np.ndarray
    hashrate: np.ndarray
    earnings: np.ndarray
    power: np.ndarray
    temperature: np.ndarray
    session_key: np.ndarray


def session_chunk(plan: Plan, index: int) -> Sessions:
    lo, hi = index * CHUNK_ROWS, min((index + 1) * CHUNK_ROWS, plan.sessions)
    rng = plan.rng("sessions", index)
    r = rigs(plan)
    j = np.arange(lo, hi)
    n = len(j)
    rig = j % plan.rigs
    slots = -(-plan.sessions // plan.rigs)
    slot = (plan.end_us - plan.start_us) / slots
    start = (plan.start_us + (j // plan.rigs) * slot + rng.random(n) * 0.3 * slot).astype(np.int64)
    hours = np.clip(rng.lognormal(np.log(8), 0.6, n), 0.5, 0.6 * slot / US_PER_HOUR)
    # One rig in five is still mining at as_of: its last session started hours ago.
    running = (j // plan.rigs == slots - 1) & (rig % 5 == 0)
    start = np.where(
        running, plan.end_us - (rng.uniform(1, 6, n) * US_PER_HOUR).astype(np.int64), start
    )
    hours = np.where(running, 24.0, hours)
    roll = rng.random(n)
    status = np.where(
        roll < r.fail_rate[rig],
        "failed",
        np.where(roll < r.fail_rate[rig] + 0.04, "interrupted", "completed"),
    )
    hours = np.where((status == "completed") | running, hours, hours * rng.uniform(0.1, 0.7, n))
    end = start + (hours * US_PER_HOUR).astype(np.int64)
    active = end >= plan.end_us
    status = np.where(active, "active", status)
    hours = np.where(active, (plan.end_us - start) / US_PER_HOUR, hours)
    age = (start - plan.start_us) / (plan.end_us - plan.start_us)
    hashrate = r.hashrate[rig] * (1 - r.wear[rig] * age) * rng.normal(1, 0.01, n)
    algorithm = r.algorithm[rig]
    rate = np.array([a[3] for a in ALGORITHMS])[algorithm]
    earnings = hashrate * hours * rate * rng.uniform(0.85, 1.15, n)
    for a, alg in enumerate(ALGORITHMS):
        mask = algorithm == a
        earnings[mask] *= _price_factor(plan, alg[4], start[mask])
    boost = np.array(
        [40 + 80 * ((jj * 7919) % 97) / 97 if jj in _impossible(plan) else 1.0 for jj in j.tolist()]
    )
    earnings *= boost
    status = np.where(boost > 1, "completed", status)
    watts = np.array([a[2] for a in ALGORITHMS])[algorithm] * (hashrate / r.hashrate[rig]) ** 0.8
    power = np.round(watts * rng.normal(1, 0.03, n)).astype(np.int64)
    temperature = np.where(
        r.overheating[rig],
        r.temperature[rig] + rng.uniform(-1.5, 3, n),
        np.minimum(r.temperature[rig] + 6 * r.wear[rig] / 0.1 * age + rng.normal(0, 1.5, n), 84.0),
    )
    ids = v.uuids(plan.rng("session-ids", index), n)
    keys = v.hexes(rng, n, 10, b"sess_")
    return Sessions(
        ids,
        rig,
        start,
        np.where(active, -1, end),
        hours,
        status,
        np.round(hashrate, 2),
        np.round(earnings, 8),
        power,
        np.round(temperature, 2),
        keys,
    )


def _session_chunks(plan: Plan) -> Iterator[Sessions]:
    for index in range(len(plan.chunks(plan.sessions))):
        yield session_chunk(plan, index)


GHOST_POOL = ("ghost-pool", "stratum+tcp://pool.invalid:3333")
"""The pool of the planted session_unknown_pool: mining_pool_stats has never heard of it."""


@lru_cache(maxsize=4)
def _ghost_session(plan: Plan) -> int:
    """The index of the session planted on an unknown pool: not an impossible-earnings one."""
    rng = plan.rng("unknown-pool")
    while True:
        j = int(rng.integers(0, plan.sessions))
        if j not in _impossible(plan):
            return j


def sessions_tables(plan: Plan) -> Iterator[pa.Table]:
    r = rigs(plan)
    owners = users(plan).core_ids
    names = [p[0] for p in POOLS] + [GHOST_POOL[0]]
    urls = [p[2] for p in POOLS] + [GHOST_POOL[1]]
    ghost = _ghost_session(plan)
    for index, s in enumerate(_session_chunks(plan)):
        algorithm = r.algorithm[s.rig]
        pool = r.pool[s.rig].copy()
        if ghost // CHUNK_ROWS == index:
            pool[ghost % CHUNK_ROWS] = len(POOLS)
        yield pa.table(
            {
                "id": v.text(s.ids),
                "session_id": v.text(s.session_key),
                "user_id": v.text(owners[r.user[s.rig]]),
                "start_time": v.ts(s.start),
                "end_time": v.ts(s.end, mask=s.end < 0),
                "algorithm": v.pick([a[0] for a in ALGORITHMS], algorithm),
                "total_hashrate_mhs": v.num(s.hashrate, 2),
                "total_earnings_usd": v.num(s.earnings, 8),
                "azr_minted": v.num(s.earnings, 8),
                "power_consumption_watts": v.ints(s.power),
                "temperature_celsius": v.num(s.temperature, 2),
                "pool_name": v.pick(names, pool),
                "pool_url": v.pick(urls, pool),
                "status": v.text(s.status.astype(object)),
                "created_at": v.ts(s.start),
            }
        )


def _session_id(plan: Plan, j: int) -> str:
    chunk = plan.rng("session-ids", j // CHUNK_ROWS)
    ids = v.uuids(chunk, min(CHUNK_ROWS, plan.sessions - j // CHUNK_ROWS * CHUNK_ROWS))
    return str(ids[j % CHUNK_ROWS].decode())


def session_anomalies(plan: Plan) -> list[Anomaly]:
    out = [
        Anomaly(
            "session_unknown_pool",
            "core",
            "mining_sessions",
            {"session_id": _session_id(plan, _ghost_session(plan))},
        )
    ]
    for j in sorted(_impossible(plan)):
        chunk = plan.rng("session-ids", j // CHUNK_ROWS)
        ids = v.uuids(chunk, min(CHUNK_ROWS, plan.sessions - j // CHUNK_ROWS * CHUNK_ROWS))
        out.append(
            Anomaly(
                "session_impossible_earnings",
                "core",
                "mining_sessions",
                {"session_id": ids[j % CHUNK_ROWS].decode()},
            )
        )
    return out


def statistics_tables(plan: Plan) -> Iterator[pa.Table]:
    """One row per hour of each session: the daily cycle shows here."""
    r = rigs(plan)
    for index, whole in enumerate(_session_chunks(plan)):
        for part, lo in enumerate(range(0, len(whole.ids), STATS_SESSIONS)):
            yield _statistics(
                plan, r, _slice(whole, lo, lo + STATS_SESSIONS), plan.rng("statistics", index, part)
            )


def _slice(s: Sessions, lo: int, hi: int) -> Sessions:
    return Sessions(*(getattr(s, f.name)[lo:hi] for f in fields(Sessions)))


def _statistics(plan: Plan, r: Rigs, s: Sessions, rng: np.random.Generator) -> pa.Table:
    per = np.clip(np.floor(s.hours), 1, 72).astype(np.int64)
    row = np.repeat(np.arange(len(s.ids)), per)
    step = np.arange(len(row)) - np.repeat(np.cumsum(per) - per, per)
    at = s.start[row] + (
        (step + 0.5) * np.minimum(s.hours[row] / per[row], 1.0) * US_PER_HOUR
    ).astype(np.int64)
    hour = (at // US_PER_HOUR) % 24
    heat = np.sin(2 * np.pi * (hour - 9) / 24)
    n = len(row)
    hashrate = s.hashrate[row] * (1 - 0.02 * np.maximum(heat, 0)) * rng.normal(1, 0.015, n)
    algorithm = r.algorithm[s.rig[row]]
    accepted = rng.poisson(np.maximum(hashrate, 0.1) ** 0.5 * 20)
    network = np.array([a[1] for a in ALGORITHMS])[algorithm] * 2.5e5
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "session_id": v.text(s.ids[row]),
            "timestamp": v.ts(at),
            "algorithm": v.pick([a[0] for a in ALGORITHMS], algorithm),
            "hashrate_mhs": v.num(hashrate, 2),
            "pool": v.pick([p[0] for p in POOLS], r.pool[s.rig[row]]),
            "earnings_usd": v.num(s.earnings[row] / per[row] * rng.normal(1, 0.05, n), 8),
            "power_consumption_watts": v.ints(np.round(s.power[row] * (1 + 0.03 * heat))),
            "temperature_celsius": v.num(s.temperature[row] + 3 * heat + rng.normal(0, 0.8, n), 2),
            "shares_accepted": v.ints(accepted),
            "shares_rejected": v.ints(rng.binomial(accepted, 0.012)),
            "difficulty": v.num(network * rng.uniform(0.9, 1.1, n) / 1e3, 8),
            "network_hashrate": v.num(network * rng.uniform(0.95, 1.05, n), 2),
        }
    )


def statistics_count(plan: Plan) -> int:
    return sum(int(np.clip(np.floor(s.hours), 1, 72).sum()) for s in _session_chunks(plan))


@lru_cache(maxsize=4)
def price_series(plan: Plan) -> dict[str, np.ndarray]:
    """Geometric random walks, every six hours; AZR holds its 1 USD peg."""
    steps = (plan.end_us - plan.start_us) // PRICE_STEP_US
    out = {}
    for symbol, price, _, vol in SYMBOLS:
        rng = plan.rng("prices", symbol)
        # A calm year: within about 2x of the mean, so the price alone never makes
        # a session look impossible.
        walk = np.cumsum(rng.normal(0, vol / 8, steps))
        out[symbol] = price * np.exp(walk - walk.mean())
    return out


def prices_table(plan: Plan) -> pa.Table:
    series = price_series(plan)
    steps = (plan.end_us - plan.start_us) // PRICE_STEP_US
    at = plan.start_us + np.arange(steps, dtype=np.int64) * PRICE_STEP_US
    frames = []
    for symbol, _, supply, _ in SYMBOLS:
        rng = plan.rng("price-extras", symbol)
        p = series[symbol]
        before = np.concatenate([np.full(4, p[0]), p[:-4]])
        frames.append(
            pa.table(
                {
                    "id": v.text(v.uuids(rng, steps)),
                    "symbol": pa.array([symbol] * steps),
                    "price_usd": v.num(p, 8),
                    "market_cap_usd": v.num(p * supply, 2),
                    "volume_24h_usd": v.num(
                        p * supply * rng.lognormal(np.log(0.04), 0.3, steps), 2
                    ),
                    "price_change_24h": v.num((p / before - 1) * 100, 4),
                    "source": v.pick(
                        ("coingecko", "coinmarketcap"), (rng.random(steps) < 0.1).astype(int)
                    ),
                    "timestamp": v.ts(at + rng.integers(0, 60_000_000, steps)),
                }
            )
        )
    return pa.concat_tables(frames)


def pool_stats_table(plan: Plan) -> pa.Table:
    rng = plan.rng("pool-stats")
    days = (plan.end_us - plan.start_us) // US_PER_DAY
    frames = []
    for name, algorithm, _, fee, scheme in POOLS:
        walk = np.exp(np.cumsum(rng.normal(0.001, 0.03, days)))
        status = np.where(rng.random(days) < 0.01, "maintenance", "active")
        frames.append(
            pa.table(
                {
                    "id": v.text(v.uuids(rng, days)),
                    "pool_name": pa.array([name] * days),
                    "algorithm": pa.array([algorithm] * days),
                    "hashrate_th": v.num(rng.uniform(5, 400) * walk, 2),
                    "miners_count": v.ints(np.round(rng.uniform(800, 30_000) * walk)),
                    "fee_percentage": v.num(np.full(days, fee), 2),
                    "payout_scheme": pa.array([scheme] * days),
                    "status": v.text(status.astype(object)),
                    "last_updated": v.ts(
                        plan.start_us
                        + np.arange(1, days + 1) * US_PER_DAY
                        - rng.integers(60_000_000, 3_600_000_000, days)
                    ),
                }
            )
        )
    return pa.concat_tables(frames)


def specs(plan: Plan) -> list[TableSpec]:
    return [
        TableSpec(
            "core",
            "mining_sessions",
            plan.sessions,
            lambda: sessions_tables(plan),
            anomalies=lambda: rig_anomalies(plan) + session_anomalies(plan),
        ),
        TableSpec(
            "core", "mining_statistics", statistics_count(plan), lambda: statistics_tables(plan)
        ),
        TableSpec(
            "core",
            "crypto_prices",
            len(SYMBOLS) * ((plan.end_us - plan.start_us) // PRICE_STEP_US),
            lambda: iter([prices_table(plan)]),
        ),
        TableSpec(
            "core", "mining_pool_stats", len(POOLS) * 365, lambda: iter([pool_stats_table(plan)])
        ),
    ]
