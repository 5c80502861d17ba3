# %% [markdown]
# # Treasury analysis
#
# Where AZR came from and where it went: monthly flows by transaction type, the
# supply they add up to, how mints are split between treasury, founder, burn and
# circulation, and whether the ledger keeps the constitution's two rules
# (allocations sum to 1; 1 AZR is valued at 1 USD). Every figure is aggregated in
# the database; only monthly totals reach this notebook.

# %% tags=["parameters"]
as_of = "2026-10-31"  # the report date; windows end here
months = 12  # months of history, including as_of's month
horizon_months = 3  # how far the supply forecast looks ahead
forecast_level = 0.95  # coverage of the forecast's prediction interval
statuses = ["confirmed"]  # ledger rows counted in flows and supply
core_url = ""  # empty: use the configured core database
mint_url = ""  # empty: use the configured mint database

# %% tags=["nbval-ignore-output"]
# Connect to the sources (the configured ones, or the URLs given as parameters), apply
# the figure style and show the report header: what ran, on which data, when.
import matplotlib.pyplot as plt

import azora_nb as az
from azora_nb.analytics import forecast, treasury

ws = az.notebook(
    core_url=core_url,
    mint_url=mint_url,
    as_of=as_of,
    parameters=dict(months=months, horizon_months=horizon_months, statuses=statuses),
)

# %% [markdown]
# ## Flows by month and transaction type

# %%
flows = treasury.flows(ws, as_of=as_of, months=months, statuses=statuses)
flows.pivot_table(
    index="month", columns="transaction_type", values="amount_azr", aggfunc="sum", fill_value=0.0
)

# %%
usd = flows.pivot_table(
    index="month", columns="transaction_type", values="amount_usd", aggfunc="sum", fill_value=0.0
)
usd.index = usd.index.strftime("%Y-%m")
ax = usd.plot.bar(stacked=True, rot=45)
ax.set(title="Ledger flows per month (USD)", xlabel="", ylabel="USD")
plt.show()

# %% [markdown]
# ## Net supply and its forecast
#
# Net supply is AZR minted minus AZR burned. The forecast fits an ordinary least-squares trend to the monthly change and gives a Student-t *prediction* interval at `forecast_level`; it assumes independent, normal residuals around a straight line, so read it as a range of plausible outcomes, not a promise.

# %%
outlook = forecast.net_supply(
    ws, as_of=as_of, months=months, horizon=horizon_months, level=forecast_level
)
print(forecast.METHOD)
outlook

# %%
actual = outlook[outlook["kind"] == "actual"]
ahead = outlook[outlook["kind"] == "forecast"]
fig, ax = plt.subplots()
ax.plot(actual["month"], actual["supply_azr"], marker="o", label="net supply")
ax.plot(ahead["month"], ahead["supply_azr"], marker="o", linestyle="--", label="forecast")
ax.fill_between(
    ahead["month"],
    ahead["supply_lower"],
    ahead["supply_upper"],
    alpha=0.25,
    label=f"{forecast_level:.0%} prediction interval",
)
ax.set(title="AZR net supply", ylabel="AZR")
ax.legend()
plt.show()

# %% [markdown]
# ## Allocation split and the founder's 11%

# %%
split = treasury.allocation_split(ws, as_of=as_of, months=months)
split

# %%
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

# %% [markdown]
# ## Confirmations, gas and the mint caps

# %%
treasury.confirmation_ageing(ws, as_of=as_of)

# %%
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

# %% [markdown]
# ## Findings
#
# Constitutional checks per ledger table, then the offending rows by ledger id and transaction hash, ready to raise.

# %%
treasury.compliance(ws)

# %%
violations = treasury.compliance_violations(ws)
print(f"{len(violations)} ledger rows break a constitutional rule")
violations.head(20)

# %% [markdown]
# ### Where these numbers came from

# %% tags=["nbval-ignore-output"]
# Computed now or served from the query cache: this differs from run to run.
print("flows:", az.provenance(flows) or "not cached")
print("split:", az.provenance(split) or "not cached")
print("gas:", az.provenance(gas) or "not cached")
