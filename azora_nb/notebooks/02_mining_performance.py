# %% [markdown]
# # Mining performance
#
# How the rigs did over the window: hashrate, earnings and AZR minted per
# algorithm and pool, energy efficiency, share rejection, failed or interrupted
# sessions, and the rigs that stand out for the wrong reasons: running hot,
# under-performing their algorithm's peers (by a robust modified z-score), or
# reporting earnings their hashrate cannot explain.

# %% tags=["parameters"]
as_of = "2026-10-31"  # the report date; windows end here
days = 30  # window for the per-day and per-pool tables
price_days = 90  # window for earnings against crypto prices
overheat_celsius = 85.0  # a rig is overheating above this median temperature
underperform_z = -3.5  # a rig under-performs below this modified z-score
core_url = ""  # empty: use the configured core database

# %% tags=["nbval-ignore-output"]
# Connect to the sources (the configured ones, or the URLs given as parameters), apply
# the figure style and show the report header: what ran, on which data, when.
import matplotlib.pyplot as plt

import azora_nb as az
from azora_nb.analytics import mining

ws = az.notebook(
    core_url=core_url,
    as_of=as_of,
    parameters=dict(days=days, overheat_celsius=overheat_celsius, underperform_z=underperform_z),
)

# %% [markdown]
# ## Hashrate, earnings and AZR minted

# %%
daily = mining.daily(ws, as_of=as_of, days=days, by=["algorithm"])
daily.groupby("algorithm")[["sessions", "earnings_usd", "azr_minted"]].sum()

# %%
fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
for algorithm, part in daily.groupby("algorithm"):
    top.plot(part["day"], part["avg_hashrate_mhs"], label=algorithm)
    bottom.plot(part["day"], part["earnings_usd"], label=algorithm)
top.set(title="Average hashrate per day (MH/s, log scale)", yscale="log")
bottom.set(title="Earnings per day (USD)")
top.legend(ncol=3)
plt.show()

# %% [markdown]
# ## Efficiency, shares and session outcomes

# %%
efficiency = mining.efficiency(ws, as_of=as_of, days=days)
efficiency

# %%
rejection = mining.share_rejection(ws, as_of=as_of, days=days)
outcomes = mining.session_outcomes(ws, as_of=as_of, days=days)
rejection

# %%
outcomes

# %%
fig, (left, right) = plt.subplots(1, 2)
left.bar(efficiency["algorithm"], efficiency["usd_per_kwh"])
left.set_title("Earnings per kWh (USD)")
by_pool = rejection.assign(label=rejection["algorithm"] + " / " + rejection["pool"])
right.barh(by_pool["label"], by_pool["rejection_rate"])
right.set_title("Share rejection rate by pool")
plt.show()

# %% [markdown]
# ## Earnings against crypto prices

# %%
prices = mining.earnings_vs_prices(ws, as_of=as_of, days=price_days)
correlation = prices.groupby("symbol")[["price_usd", "earnings_usd"]].corr()
correlation.xs("earnings_usd", level=1)[["price_usd"]].rename(
    columns={"price_usd": "correlation of daily price with earnings"}
)

# %%
fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
for symbol, part in prices.groupby("symbol"):
    top.plot(part["day"], part["price_usd"] / part["price_usd"].iloc[0], label=symbol)
top.set(title="Crypto prices, indexed to the window's first day", ylabel="index")
top.legend(ncol=4)
earned = prices.drop_duplicates("day")
bottom.bar(earned["day"], earned["earnings_usd"].fillna(0.0), color="black")
bottom.set(title="Mining earnings per day (USD)", ylabel="USD")
plt.show()

# %% [markdown]
# ## Rigs that stand out

# %%
scores = mining.rig_scores(ws, as_of=as_of)
fig, ax = plt.subplots()
scores.boxplot(column="modified_z", by="algorithm", ax=ax)
ax.axhline(underperform_z, color="red", linestyle="--", label=f"threshold {underperform_z}")
ax.set(title="Rig hashrate, modified z-score within its algorithm", xlabel="")
fig.suptitle("")
ax.legend()
plt.show()

# %%
mining.overheating(ws, as_of=as_of, threshold=overheat_celsius)

# %%
mining.underperforming(ws, as_of=as_of, threshold=underperform_z)

# %% [markdown]
# ## Findings
#
# Every rig or session flagged, keyed as the demo manifest keys them.

# %%
findings = mining.anomalies(ws, as_of=as_of)
print(findings["kind"].value_counts().sort_index().to_string())
findings

# %% [markdown]
# ### Where these numbers came from

# %% tags=["nbval-ignore-output"]
# Computed now or served from the query cache: this differs from run to run.
print("daily:", az.provenance(daily) or "not cached")
print("efficiency:", az.provenance(efficiency) or "not cached")
print("scores:", az.provenance(scores) or "not cached")
