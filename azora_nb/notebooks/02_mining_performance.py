# %% [markdown]
# # Mining performance
#
# How the rigs did over the window: hashrate, earnings and AZR minted per
# algorithm and pool, energy efficiency, share rejection, failed or interrupted
# sessions, and the rigs that stand out for the wrong reasons: running hot,
# under-performing their algorithm's peers (by a robust modified z-score), or
# reporting earnings their hashrate cannot explain.

# %% tags=["parameters"]
as_of = ""  # the report date (YYYY-MM-DD); empty: the end of the latest complete day of sessions
days = 30  # window for the per-day and per-pool tables
price_days = 90  # window for earnings against crypto prices
overheat_celsius = 85.0  # a rig is overheating above this median temperature
underperform_z = -3.5  # a rig under-performs below this modified z-score
core_url = ""  # empty: use the configured core database

# %% tags=["nbval-ignore-output"]
# Connect to the sources (the configured ones, or the URLs given as parameters), apply
# the figure style and show the report header: what ran, on which data, who read it, when.
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from azora_nb import present, summaries
from azora_nb.analytics import mining
from azora_nb.reports.opening import open_report
from azora_nb.sections import quiet, reuse, section

ws, as_of = open_report(
    "mining",
    as_of=as_of,
    urls={"core": core_url},
    parameters=dict(days=days, overheat_celsius=overheat_celsius, underperform_z=underperform_z),
)
end = pd.Timestamp(as_of, tz="UTC")
start = end - pd.Timedelta(days=days)
period = f"{present.day(start)} to {present.day(end)}"

# %%
# What the summary reads is shown again below, not read twice: the minting check among
# the findings reads two databases in full.
daily = quiet(mining.daily, ws, as_of=as_of, days=days, by=["algorithm"])
findings = quiet(mining.anomalies, ws, as_of=as_of)
summaries.mining(
    daily=daily,
    findings=findings,
    impossible=quiet(mining.impossible_earnings, ws, as_of=as_of),
    start=present.day(start),
    end=present.day(end),
)

# %% [markdown]
# ## Hashrate, earnings and AZR minted

# %%
with section("daily"):
    daily = reuse(daily, mining.daily, ws, as_of=as_of, days=days, by=["algorithm"])
    if daily.empty:
        present.say(f"No mining sessions started from {period}.")
    else:
        totals = daily.groupby("algorithm")[["sessions", "earnings_usd", "azr_minted"]].sum()
        display(
            present.table(
                totals,
                counts=["sessions"],
                money={"earnings_usd": "USD", "azr_minted": "AZR"},
                index="Algorithm",
            )
        )
        if present.nothing_to_draw(daily[["avg_hashrate_mhs", "earnings_usd"]]):
            present.say("Every session reports zero hashrate and zero earnings: nothing to draw.")
        else:
            fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
            for algorithm, part in daily.groupby("algorithm"):
                top.plot(part["day"], part["avg_hashrate_mhs"], label=algorithm)
                bottom.plot(part["day"], part["earnings_usd"], label=algorithm)
            positive = pd.to_numeric(daily["avg_hashrate_mhs"], errors="coerce").gt(0).any()
            top.set(title="Average hashrate per day (MH/s)", yscale="log" if positive else "linear")
            bottom.set(title="Earnings per day (USD)")
            present.thousands(bottom)
            top.legend(ncol=3)
            plt.show()

# %% [markdown]
# ## Efficiency, shares and session outcomes
#
# Earnings per kWh leave out the sessions flagged as impossible below (their earnings
# cannot come from their hashrate); the table says how many each algorithm left out.

# %%
with section("efficiency"):
    efficiency = mining.efficiency(ws, as_of=as_of, days=days)
    present.listing(
        efficiency,
        f"No sessions with power readings from {period}.",
        counts=[c for c in ("sessions", "impossible_excluded") if c in efficiency],
        money={"earnings_usd": "USD", "usd_per_kwh": "USD"},
        numbers={"energy_kwh": 1, "mhs_per_watt": 3},
        headers={
            "usd_per_kwh": "Earnings per kWh",
            "mhs_per_watt": "MH/s per watt",
            "impossible_excluded": "Impossible sessions left out",
        },
    )
    if not efficiency.empty:
        values = efficiency.set_index("algorithm")["usd_per_kwh"]
        present.bars(
            values,
            title="Earnings per kWh (USD), impossible sessions left out",
            unit="USD",
            nothing="No algorithm earned anything per kWh in the window.",
            same=f"Every algorithm earned {present.money(values.iloc[0], 'USD')} per kWh.",
        )

# %%
with section("rejection"):
    rejection = mining.share_rejection(ws, as_of=as_of, days=days)
    present.listing(
        rejection,
        f"No pool statistics from {period}.",
        counts=["shares_accepted", "shares_rejected"],
        percent=["rejection_rate"],
    )
    if not rejection.empty:
        rates = rejection.assign(
            label=rejection["algorithm"] + " / " + rejection["pool"]
        ).set_index("label")["rejection_rate"]
        present.bars(
            rates,
            title="Share rejection rate by pool",
            horizontal=True,
            percents=True,
            nothing="No pool rejected a share.",
            same=f"Every pool rejected {present.percent(rates.iloc[0])} of its shares.",
        )

# %%
with section("outcomes"):
    outcomes = mining.session_outcomes(ws, as_of=as_of, days=days)
    present.listing(
        outcomes,
        f"No sessions ended from {period}.",
        counts=["sessions", "completed", "failed", "interrupted"],
        percent=[c for c in outcomes.columns if c.endswith("_rate")],
    )

# %% [markdown]
# ## Earnings against crypto prices

# %%
with section("prices"):
    prices = mining.earnings_vs_prices(ws, as_of=as_of, days=price_days)
    usable = prices.dropna(subset=["price_usd", "earnings_usd"]) if not prices.empty else prices
    if usable.empty or usable.groupby("symbol").size().max() < 3:
        present.say(
            f"Fewer than three days with both a price and mining earnings in the {price_days} days "
            f"to {present.day(end)}: no correlation to show."
        )
    else:
        correlation = {
            symbol: part["price_usd"].corr(part["earnings_usd"])
            for symbol, part in usable.groupby("symbol")
        }
        frame = pd.DataFrame(
            {"symbol": list(correlation), "correlation": list(correlation.values())}
        )
        display(
            present.table(
                frame,
                numbers={"correlation": 2},
                headers={"correlation": "Correlation of daily price with earnings"},
            )
        )
        fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
        for symbol, part in usable.groupby("symbol"):
            first = part["price_usd"].iloc[0]
            if first:
                top.plot(part["day"], part["price_usd"] / first, label=symbol)
        top.set(title="Crypto prices, indexed to the window's first day", ylabel="index")
        top.legend(ncol=4)
        earned = usable.drop_duplicates("day")
        bottom.bar(earned["day"], earned["earnings_usd"].fillna(0.0), color="black")
        bottom.set(title="Mining earnings per day (USD)", ylabel="USD")
        present.thousands(bottom)
        plt.show()

# %% [markdown]
# ## Rigs that stand out

# %%
with section("scores"):
    scores = mining.rig_scores(ws, as_of=as_of)
    z = (
        pd.to_numeric(scores["modified_z"], errors="coerce").dropna()
        if not scores.empty
        else pd.Series(dtype=float)
    )
    if z.empty:
        present.say("Too few rigs per algorithm to score any of them against its peers.")
    elif present.all_equal(z) or len(z) == 1:
        present.say("Every scored rig has the same hashrate as its peers (modified z-score 0).")
    else:
        fig, ax = plt.subplots()
        scores.dropna(subset=["modified_z"]).boxplot(column="modified_z", by="algorithm", ax=ax)
        ax.axhline(underperform_z, color="red", linestyle="--", label=f"threshold {underperform_z}")
        ax.set(title="Rig hashrate, modified z-score within its algorithm", xlabel="")
        fig.suptitle("")
        ax.legend()
        plt.show()

# %%
with section("overheating"):
    hot = mining.overheating(ws, as_of=as_of, threshold=overheat_celsius)
    present.listing(
        hot,
        f"No rig ran hotter than {overheat_celsius:.0f} °C (median) in the window.",
        numbers={"median_temperature": 1},
        counts=["sessions"],
        headers={"median_temperature": "Median temperature (°C)"},
        name="overheating-rigs",
    )

# %%
with section("underperforming"):
    slow = mining.underperforming(ws, as_of=as_of, threshold=underperform_z)
    present.listing(
        slow,
        f"No rig under-performs its algorithm's peers (modified z below {underperform_z}).",
        numbers={"median_hashrate_mhs": 2, "modified_z": 1},
        headers={"modified_z": "Modified z-score"},
        name="underperforming-rigs",
    )

# %% [markdown]
# ## Findings
#
# Every rig or session flagged, keyed as the demo manifest keys them.

# %%
with section("findings"):
    present.findings(
        reuse(findings, mining.anomalies, ws, as_of=as_of),
        none="No findings: no rig is overheating, under-performing or earning impossibly.",
        name="mining-findings",
    )

# %% [markdown]
# ### Where these numbers came from

# %% tags=["nbval-ignore-output"]
# Computed now or served from the query cache: this differs from run to run.
present.origins(globals(), "daily", "efficiency", "scores")
