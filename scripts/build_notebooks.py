"""Build the four curated notebooks from code, execute them on the demo data, save them.

    .venv/bin/python scripts/build_notebooks.py            # build, seed a temp home, execute
    .venv/bin/python scripts/build_notebooks.py --no-run   # write the cells only
    .venv/bin/python scripts/build_notebooks.py --home DIR # execute against an existing home

The notebooks are committed with the outputs this produces at the fixed
``as_of`` 2026-10-31 (default demo scale and seed); nbval compares later runs
with them. Edit the cells here, never in JupyterLab, so that the notebooks stay
reproducible. Volatile metadata (timings, kernel versions) is stripped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

Cell = nbformat.NotebookNode


def md(text: str) -> Cell:
    return new_markdown_cell(text.strip("\n"))


def code(source: str, *tags: str) -> Cell:
    cell = new_code_cell(source.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def parameters(source: str) -> Cell:
    return code(source, "parameters")


def provenance(*frames: str) -> list[Cell]:
    """A closing note: which results were computed now and which came from the cache."""
    lines = "\n".join(f'print("{f}:", az.provenance({f}) or "not cached")' for f in frames)
    return [
        md("### Where these numbers came from"),
        code(
            "# NBVAL_IGNORE_OUTPUT\n# Computed now or served from the query cache: "
            "this differs from run to run.\n" + lines
        ),
    ]


def setup(modules: str, urls: tuple[str, ...]) -> Cell:
    overrides = ", ".join(f'"AZORA_{u.upper()}_URL": {u}_url' for u in urls)
    return code(f"""
# NBVAL_IGNORE_OUTPUT
# Where the data comes from: the configured stores, or a URL given as a parameter.
import matplotlib.pyplot as plt
import pandas as pd

import azora_nb as az
from azora_nb.analytics import {modules}
from azora_nb.reports import notebook_style

%matplotlib inline
notebook_style()
ws = az.connect(**{{k: v for k, v in {{{overrides}}}.items() if v}})
ws
""")


# -- 01 treasury ---------------------------------------------------------------------------


def treasury_cells() -> list[Cell]:
    return [
        md("""
# Treasury analysis

Where AZR came from and where it went: monthly flows by transaction type, the
supply they add up to, how mints are split between treasury, founder, burn and
circulation, and whether the ledger keeps the constitution's two rules
(allocations sum to 1; 1 AZR is valued at 1 USD). Every figure is aggregated in
the database; only monthly totals reach this notebook.
"""),
        parameters("""
as_of = "2026-10-31"        # the report date; windows end here
months = 12                 # months of history, including as_of's month
horizon_months = 3          # how far the supply forecast looks ahead
forecast_level = 0.95       # coverage of the forecast's prediction interval
statuses = ["confirmed"]    # ledger rows counted in flows and supply
core_url = ""               # empty: use the configured core database
mint_url = ""               # empty: use the configured mint database
"""),
        setup("forecast, treasury", ("core", "mint")),
        md("## Flows by month and transaction type"),
        code("""
flows = treasury.flows(ws, as_of=as_of, months=months, statuses=statuses)
flows.pivot_table(index="month", columns="transaction_type", values="amount_azr",
                  aggfunc="sum", fill_value=0.0)
"""),
        code("""
usd = flows.pivot_table(index="month", columns="transaction_type", values="amount_usd",
                        aggfunc="sum", fill_value=0.0)
usd.index = usd.index.strftime("%Y-%m")
ax = usd.plot.bar(stacked=True, rot=45)
ax.set(title="Ledger flows per month (USD)", xlabel="", ylabel="USD")
plt.show()
"""),
        md(
            "## Net supply and its forecast\n\n"
            "Net supply is AZR minted minus AZR burned. The forecast fits an ordinary "
            "least-squares trend to the monthly change and gives a Student-t *prediction* "
            "interval at `forecast_level`; it assumes independent, normal residuals around "
            "a straight line, so read it as a range of plausible outcomes, not a promise."
        ),
        code("""
outlook = forecast.net_supply(ws, as_of=as_of, months=months, horizon=horizon_months,
                              level=forecast_level)
print(forecast.METHOD)
outlook
"""),
        code("""
actual = outlook[outlook["kind"] == "actual"]
ahead = outlook[outlook["kind"] == "forecast"]
fig, ax = plt.subplots()
ax.plot(actual["month"], actual["supply_azr"], marker="o", label="net supply")
ax.plot(ahead["month"], ahead["supply_azr"], marker="o", linestyle="--", label="forecast")
ax.fill_between(ahead["month"], ahead["supply_lower"], ahead["supply_upper"], alpha=0.25,
                label=f"{forecast_level:.0%} prediction interval")
ax.set(title="AZR net supply", ylabel="AZR")
ax.legend()
plt.show()
"""),
        md("## Allocation split and the founder's 11%"),
        code("""
split = treasury.allocation_split(ws, as_of=as_of, months=months)
split
"""),
        code("""
founder = treasury.founder_compensation(ws, as_of=as_of, months=months)
fig, (left, right) = plt.subplots(1, 2)
left.pie(split["amount_azr"], labels=split["allocation"], autopct="%1.1f%%", startangle=90)
left.set_title("Confirmed mints by allocation")
right.plot(founder["month"], founder["founder_share_azr"], marker="o", label="11% allocation")
right.plot(founder["month"], founder["paid_azr"], marker="s", label="paid to founder")
right.set_title("Founder compensation (AZR)")
right.tick_params(axis="x", rotation=45)
right.legend()
plt.show()
"""),
        md("## Confirmations, gas and the mint caps"),
        code("""
treasury.confirmation_ageing(ws, as_of=as_of)
"""),
        code("""
gas = treasury.gas_spend(ws, as_of=as_of, months=months)
caps = treasury.allocation_caps(ws)
fig, (left, right) = plt.subplots(1, 2)
left.bar([m.strftime("%Y-%m") for m in gas["month"]], gas["gas_cost_eth"])
left.set_title("Gas cost per month (ETH)")
left.tick_params(axis="x", rotation=60)
right.barh(caps["category"], caps["percent_used"])
right.set(title="Allocation caps used (%)", xlim=(0, 100))
plt.show()
caps
"""),
        md(
            "## Findings\n\nConstitutional checks per ledger table, then the offending rows "
            "by ledger id and transaction hash, ready to raise."
        ),
        code("""
treasury.compliance(ws)
"""),
        code("""
violations = treasury.compliance_violations(ws)
print(f"{len(violations)} ledger rows break a constitutional rule")
violations.head(20)
"""),
        *provenance("flows", "split", "gas"),
    ]


# -- 02 mining -----------------------------------------------------------------------------


def mining_cells() -> list[Cell]:
    return [
        md("""
# Mining performance

How the rigs did over the window: hashrate, earnings and AZR minted per
algorithm and pool, energy efficiency, share rejection, failed or interrupted
sessions, and the rigs that stand out for the wrong reasons: running hot,
under-performing their algorithm's peers (by a robust modified z-score), or
reporting earnings their hashrate cannot explain.
"""),
        parameters("""
as_of = "2026-10-31"        # the report date; windows end here
days = 30                   # window for the per-day and per-pool tables
price_days = 90             # window for earnings against crypto prices
overheat_celsius = 85.0     # a rig is overheating above this median temperature
underperform_z = -3.5       # a rig under-performs below this modified z-score
core_url = ""               # empty: use the configured core database
"""),
        setup("mining", ("core",)),
        md("## Hashrate, earnings and AZR minted"),
        code("""
daily = mining.daily(ws, as_of=as_of, days=days, by=["algorithm"])
daily.groupby("algorithm")[["sessions", "earnings_usd", "azr_minted"]].sum()
"""),
        code("""
fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
for algorithm, part in daily.groupby("algorithm"):
    top.plot(part["day"], part["avg_hashrate_mhs"], label=algorithm)
    bottom.plot(part["day"], part["earnings_usd"], label=algorithm)
top.set(title="Average hashrate per day (MH/s, log scale)", yscale="log")
bottom.set(title="Earnings per day (USD)")
top.legend(ncol=3)
plt.show()
"""),
        md("## Efficiency, shares and session outcomes"),
        code("""
efficiency = mining.efficiency(ws, as_of=as_of, days=days)
efficiency
"""),
        code("""
rejection = mining.share_rejection(ws, as_of=as_of, days=days)
outcomes = mining.session_outcomes(ws, as_of=as_of, days=days)
rejection
"""),
        code("""
outcomes
"""),
        code("""
fig, (left, right) = plt.subplots(1, 2)
left.bar(efficiency["algorithm"], efficiency["usd_per_kwh"])
left.set_title("Earnings per kWh (USD)")
by_pool = rejection.assign(label=rejection["algorithm"] + " / " + rejection["pool"])
right.barh(by_pool["label"], by_pool["rejection_rate"])
right.set_title("Share rejection rate by pool")
plt.show()
"""),
        md("## Earnings against crypto prices"),
        code("""
prices = mining.earnings_vs_prices(ws, as_of=as_of, days=price_days)
correlation = prices.groupby("symbol")[["price_usd", "earnings_usd"]].corr()
correlation.xs("earnings_usd", level=1)[["price_usd"]].rename(
    columns={"price_usd": "correlation of daily price with earnings"})
"""),
        code("""
fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
for symbol, part in prices.groupby("symbol"):
    top.plot(part["day"], part["price_usd"] / part["price_usd"].iloc[0], label=symbol)
top.set(title="Crypto prices, indexed to the window's first day", ylabel="index")
top.legend(ncol=4)
earned = prices.drop_duplicates("day")
bottom.bar(earned["day"], earned["earnings_usd"].fillna(0.0), color="black")
bottom.set(title="Mining earnings per day (USD)", ylabel="USD")
plt.show()
"""),
        md("## Rigs that stand out"),
        code("""
scores = mining.rig_scores(ws, as_of=as_of)
fig, ax = plt.subplots()
scores.boxplot(column="modified_z", by="algorithm", ax=ax)
ax.axhline(underperform_z, color="red", linestyle="--", label=f"threshold {underperform_z}")
ax.set(title="Rig hashrate, modified z-score within its algorithm", xlabel="")
fig.suptitle("")
ax.legend()
plt.show()
"""),
        code("""
mining.overheating(ws, as_of=as_of, threshold=overheat_celsius)
"""),
        code("""
mining.underperforming(ws, as_of=as_of, threshold=underperform_z)
"""),
        md("## Findings\n\nEvery rig or session flagged, keyed as the demo manifest keys them."),
        code("""
findings = mining.anomalies(ws, as_of=as_of)
print(findings["kind"].value_counts().sort_index().to_string())
findings
"""),
        *provenance("daily", "efficiency", "scores"),
    ]


# -- 03 reward audit -----------------------------------------------------------------------


def rewards_cells() -> list[Cell]:
    return [
        md("""
# Knowledge reward audit

Rewards live in the mint database, their payouts in the core treasury ledger.
This audit reduces each side in its own database, then reconciles them by
transaction hash: rewards paid without a ledger entry, ledger payouts without a
reward, and amounts that differ. It also lists rewards stuck in PENDING,
timestamps out of order, payments to users whose KYC is not verified,
near-duplicate rewards, and balances that the paid rewards do not explain.
Every finding carries the keys of the rows involved.
"""),
        parameters("""
as_of = "2026-10-31"        # the audit date
stuck_after_days = 7        # PENDING for longer than this is stuck
amount_tolerance = 0.005    # amounts closer than this agree
duplicate_hours = 24        # two rewards this close are near-duplicates
core_url = ""               # empty: use the configured core database (the ledger)
mint_url = ""               # empty: use the configured mint database (the rewards)
"""),
        setup("rewards", ("core", "mint")),
        md("## Reconciliation against the ledger"),
        code("""
reconciled = rewards.reconcile(ws, tolerance=amount_tolerance)
reconciled
"""),
        md("## Reward state"),
        code("""
stuck = rewards.stuck_pending(ws, as_of=as_of, days=stuck_after_days)
stuck
"""),
        code("""
rewards.processed_before_created(ws)
"""),
        code("""
rewards.unverified_kyc(ws)
"""),
        code("""
rewards.near_duplicates(ws, hours=duplicate_hours)
"""),
        md("## Balance roll-forward"),
        code("""
roll_forward = rewards.balance_roll_forward(ws, tolerance=amount_tolerance)
roll_forward
"""),
        code("""
mismatched = rewards.balance_mismatches(ws, tolerance=amount_tolerance)
mismatched
"""),
        md("## Findings"),
        code("""
findings = rewards.audit(ws, as_of=as_of, tolerance=amount_tolerance)
counts = findings["kind"].value_counts().sort_index()
print(f"{len(findings)} findings in {len(counts)} kinds")
counts.to_frame("findings")
"""),
        code("""
fig, ax = plt.subplots()
counts.sort_values().plot.barh(ax=ax)
ax.set(title="Audit findings by kind", xlabel="findings")
plt.show()
"""),
        code("""
fig, ax = plt.subplots()
totals = roll_forward.iloc[0][["balance_azr", "paid_rewards_azr", "difference_azr"]]
ax.bar(["AZR balances", "paid AZR rewards", "difference"], totals.astype(float),
       color=["#2e86ab", "#76b041", "#d1495b"])
ax.set(title="Balance roll-forward: what users hold against what they were paid",
       ylabel="AZR")
plt.show()
"""),
        code("""
findings
"""),
        *provenance("stuck", "roll_forward"),
    ]


# -- 04 health -----------------------------------------------------------------------------


def health_cells() -> list[Cell]:
    return [
        md("""
# Platform health

The state of every store and of each database's schema, how fresh each table
is, which components breach their health thresholds, open alerts and how long
alerts take to resolve, API error rates and latency percentiles, circuit
breakers, and the toolkit's own cache and sync.
"""),
        parameters("""
as_of = "2026-10-31"        # the report date; windows end here
days = 7                    # window for health checks and API latency
alert_days = 30             # window for the time-to-resolve of alerts
storm_alerts = 20           # this many alerts for one component ...
stuck_hours = 24            # critical in every check of this many hours: stuck
slow_route_factor = 3.0     # recent p99 above this × the 30-day baseline: degraded
core_url = ""               # empty: use the configured core database
gateway_url = ""            # empty: use the configured gateway database
"""),
        setup("health", ("core", "gateway")),
        md("## Stores and schemas"),
        code("""
# NBVAL_IGNORE_OUTPUT
# Latency and server versions differ on every run.
health.stores(ws)
"""),
        code("""
health.migrations(ws)
"""),
        code("""
freshness = health.freshness(ws, as_of=as_of)
freshness
"""),
        md("## Components and alerts"),
        code("""
breaches = health.breaches(ws, as_of=as_of, days=days)
breaches
"""),
        code("""
alerts = health.open_alerts(ws, as_of=as_of, days=alert_days)
alerts
"""),
        code("""
fig, (left, right) = plt.subplots(1, 2)
shown = breaches.set_index("component")[["warning", "critical", "offline"]]
shown.sort_values("critical").plot.barh(stacked=True, ax=left,
                                        color=["#f2c14e", "#d1495b", "#555555"])
left.set(title=f"Health checks out of bounds, last {days} days", ylabel="")
right.bar(alerts["severity"], alerts["open"], color="#d1495b")
right.set_title("Open alerts by severity")
plt.show()
"""),
        md("## API errors and latency"),
        code("""
api = health.api_latency(ws, as_of=as_of, days=days)
api.sort_values(["p99_ms", "route_id"], ascending=[False, True]).head(15)
"""),
        code("""
fig, ax = plt.subplots(figsize=(9, 5))
top = api.sort_values(["p99_ms", "route_id"], ascending=[False, True]).head(12)[::-1]
labels = top["service"] + " " + top["route"]
ax.barh(labels, top["p99_ms"], label="p99")
ax.barh(labels, top["p95_ms"], label="p95")
ax.barh(labels, top["p50_ms"], label="p50")
ax.set(title=f"Slowest routes, last {days} days (ms)", xlabel="ms")
ax.legend()
plt.show()
"""),
        code("""
health.circuit_breakers(ws)
"""),
        md(
            "## Cache and sync\n\nThe toolkit's own state: query-cache hit rate and how far "
            "each sync lags. Both depend on what ran before this notebook, so they are not "
            "compared between runs."
        ),
        code("""
# NBVAL_IGNORE_OUTPUT
health.cache_stats(ws)
"""),
        code("""
# NBVAL_IGNORE_OUTPUT
health.sync_lag(ws, as_of=as_of)
"""),
        md(
            "## Findings\n\nAlert storms, components stuck in critical, and routes whose "
            "recent p99 latency degraded, keyed as the demo manifest keys them."
        ),
        code("""
findings = pd.concat([
    health.alert_storms(ws, as_of=as_of, threshold=storm_alerts),
    health.stuck_critical(ws, as_of=as_of, hours=stuck_hours),
    health.route_degradation(ws, as_of=as_of, factor=slow_route_factor),
], ignore_index=True)
print(findings["kind"].value_counts().sort_index().to_string())
findings
"""),
        *provenance("freshness", "breaches", "api"),
    ]


NOTEBOOK_CELLS = {
    "01_treasury_analysis.ipynb": treasury_cells,
    "02_mining_performance.ipynb": mining_cells,
    "03_reward_audit.ipynb": rewards_cells,
    "04_health_report.ipynb": health_cells,
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOK_CELLS[name]())
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(name).stem[:2]}-{index:02d}"
    return nb


def execute(nb: nbformat.NotebookNode, home: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    from azora_nb.reports import kernel_env, kernel_manager_for
    from azora_nb.settings import Settings

    settings = Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        kernel_manager_class=kernel_manager_for(kernel_env(settings)),
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return nb


def strip_volatile(nb: nbformat.NotebookNode, home: Path) -> None:
    """Drop timings and kernel details; write the demo home as ``<AZORA_HOME>``."""
    from azora_nb.reports import scrub

    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    scrub(nb, (), replace={str(home.resolve()): "<AZORA_HOME>"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="an AZORA_HOME to use (seeded if needed)")
    parser.add_argument("--no-run", action="store_true", help="write the cells, no outputs")
    parser.add_argument("names", nargs="*", help="notebooks to build (default: all four)")
    args = parser.parse_args(argv)
    names = args.names or list(NOTEBOOK_CELLS)
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "demo-home"
        if not args.no_run:
            from azora_nb.mainjob import prepare
            from azora_nb.settings import Settings
            from azora_nb.workspace import Workspace

            home.mkdir(parents=True, exist_ok=True)
            settings = Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)
            with Workspace(settings) as ws:
                prepare(ws, echo=print)
        for name in names:
            nb = build(name)
            if not args.no_run:
                print(f"executing {name}")
                execute(nb, home)
                strip_volatile(nb, home)
            nbformat.write(nb, NOTEBOOKS / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
