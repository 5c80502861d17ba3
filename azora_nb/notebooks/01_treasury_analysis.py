# %% [markdown]
# # Treasury analysis
#
# Where AZR came from and where it went: monthly flows by transaction type, the
# supply they add up to, how mints are split between treasury, founder, burn and
# circulation, and whether the ledger keeps the constitution's two rules
# (allocations sum to 1; 1 AZR is valued at 1 USD). Every figure is aggregated in
# the database; only monthly totals reach this notebook.

# %% tags=["parameters"]
as_of = ""  # the report date (YYYY-MM-DD); empty: the end of the latest complete day in the ledger
months = 12  # months of history, including as_of's month
horizon_months = 3  # how far the supply forecast looks ahead
forecast_level = 0.95  # coverage of the forecast's prediction interval
statuses = ["confirmed"]  # ledger rows counted in flows and supply
core_url = ""  # empty: use the configured core database
mint_url = ""  # empty: use the configured mint database

# %% tags=["nbval-ignore-output"]
# Connect to the sources (the configured ones, or the URLs given as parameters), apply
# the figure style and show the report header: what ran, on which data, who read it, when.
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import azora_nb as az
from azora_nb import present, summaries
from azora_nb.analytics import forecast, treasury
from azora_nb.reports.opening import open_report
from azora_nb.sections import reuse, section

ws, as_of = open_report(
    "treasury",
    as_of=as_of,
    urls={"core": core_url, "mint": mint_url},
    parameters=dict(months=months, horizon_months=horizon_months, statuses=statuses),
)
end = pd.Timestamp(as_of, tz="UTC")
start = treasury.month_start(end, months)
period = f"{present.day(start)} to {present.day(end)}"

# %%
flows = ageing = violations = None
with section("summary", quiet=True):
    flows = treasury.flows(ws, as_of=as_of, months=months, statuses=statuses)
with section("summary", quiet=True):
    ageing = treasury.confirmation_ageing(ws, as_of=as_of)
with section("summary", quiet=True):
    violations = treasury.compliance_violations(ws)
summaries.treasury(
    flows=flows,
    ageing=ageing,
    violations=violations,
    start=present.day(start),
    end=present.day(end),
)

# %% [markdown]
# ## Flows by month and transaction type

# %%
with section("flows"):
    flows = treasury.flows(ws, as_of=as_of, months=months, statuses=statuses)
    if flows.empty:
        present.say(f"No {' or '.join(statuses)} ledger rows from {period}.")
    else:
        azr, usd = (
            flows.pivot_table(
                index="month", columns="transaction_type", values=v, aggfunc="sum", fill_value=0.0
            )
            for v in ("amount_azr", "amount_usd")
        )
        labels = [present.month(m) for m in azr.index]
        display(
            present.table(
                azr.set_axis(labels), money={c: "AZR" for c in azr.columns}, index="Month"
            )
        )
        if present.nothing_to_draw(usd):
            present.say(f"Every counted ledger row from {period} is worth 0 USD: nothing to draw.")
        else:
            ax = usd.set_axis(labels).plot.bar(stacked=True, rot=45)
            ax.set(title="Ledger flows per month (USD)", xlabel="", ylabel="USD")
            present.thousands(ax)
            plt.show()

# %% [markdown]
# ## Net supply and its forecast
#
# Net supply is AZR minted minus AZR burned. The month that holds `as_of` is only partly
# observed: it is marked *partial* and shows what was observed up to `as_of`. The
# forecast fits an ordinary least-squares trend to the monthly change of the complete
# months and gives a Student-t *prediction* interval at `forecast_level`; it assumes
# independent, normal residuals around a straight line, so read it as a range of
# plausible outcomes, not a promise.

# %%
with section("supply"):
    outlook = forecast.net_supply(
        ws, as_of=as_of, months=months, horizon=horizon_months, level=forecast_level
    )
    observed = outlook[outlook["kind"] != "forecast"]
    ahead = outlook[outlook["kind"] == "forecast"]
    if observed.empty or present.nothing_to_draw(observed["supply_azr"]):
        present.say(f"No AZR was minted or burned before {present.day(end)}: no supply to show.")
    else:
        print(forecast.METHOD)
        display(
            present.table(
                outlook,
                months=["month"],
                money={
                    c: "AZR"
                    for c in outlook.columns
                    if c.endswith("_azr") or c.startswith("supply_")
                },
                headers={"kind": "Observed or forecast"},
            )
        )
        fig, ax = plt.subplots()
        ax.plot(observed["month"], observed["supply_azr"], marker="o", label="net supply")
        if not ahead.empty:
            ax.plot(
                ahead["month"], ahead["supply_azr"], marker="o", linestyle="--", label="forecast"
            )
            ax.fill_between(
                ahead["month"],
                ahead["supply_lower"],
                ahead["supply_upper"],
                alpha=0.25,
                label=f"{forecast_level:.0%} prediction interval",
            )
        ax.set(title="AZR net supply", ylabel="AZR")
        present.thousands(ax)
        ax.legend()
        plt.show()

# %% [markdown]
# ## Allocation split and the founder's 11%

# %%
with section("split"):
    split = treasury.allocation_split(ws, as_of=as_of, months=months)
    founder = treasury.founder_compensation(ws, as_of=as_of, months=months)
    if present.nothing_to_draw(split["amount_azr"]):
        present.say(f"No confirmed mints from {period}: nothing to split.")
    else:
        display(
            present.table(
                split,
                money={"amount_azr": "AZR"},
                percent=[c for c in split.columns if c in ("share", "fraction")],
            )
        )
        fig, ax = plt.subplots()
        ax.pie(split["amount_azr"], labels=split["allocation"], autopct="%1.1f%%", startangle=90)
        ax.set_title("Confirmed mints by allocation")
        plt.show()
    if founder.empty or present.nothing_to_draw(founder[["founder_share_azr", "paid_azr"]]):
        present.say(f"No founder allocation or payment from {period}.")
    else:
        fig, ax = plt.subplots()
        ax.plot(founder["month"], founder["founder_share_azr"], marker="o", label="11% allocation")
        ax.plot(founder["month"], founder["paid_azr"], marker="s", label="paid to founder")
        ax.set(title="Founder compensation (AZR)", ylabel="AZR")
        present.thousands(ax)
        ax.tick_params(axis="x", rotation=45)
        ax.legend()
        plt.show()

# %% [markdown]
# ## Confirmations, gas and the mint caps

# %%
with section("ageing"):
    ageing = treasury.confirmation_ageing(ws, as_of=as_of)
    if ageing.empty:
        present.say(f"No ledger row was pending or failed at {present.day(end)}.")
    else:
        display(
            present.table(
                ageing,
                money={"amount_azr": "AZR"},
                counts=["transactions"],
                numbers={"oldest_days": 1},
                headers={"blockchain_status": "Status", "oldest_days": "Oldest (days)"},
            )
        )

# %%
with section("gas"):
    gas = treasury.gas_spend(ws, as_of=as_of, months=months)
    if gas.empty or present.nothing_to_draw(gas["gas_cost_eth"]):
        present.say(f"No gas was spent from {period}.")
    else:
        fig, ax = plt.subplots()
        ax.bar([present.month(m) for m in gas["month"]], gas["gas_cost_eth"])
        ax.set(title="Gas cost per month (ETH)", ylabel="ETH")
        ax.tick_params(axis="x", rotation=60)
        plt.show()

# %%
with section("caps"):
    caps = treasury.allocation_caps(ws)
    if caps.empty:
        present.say("The mint has no allocation caps to compare against.")
    else:
        if present.nothing_to_draw(caps["percent_used"]):
            present.say("No allocation cap has been used yet.")
        else:
            fig, ax = plt.subplots()
            ax.barh(caps["category"], caps["percent_used"] / 100.0)
            ax.set(title="Allocation caps used", xlim=(0, 1))
            present.percent_axis(ax, "x")
            plt.show()
        display(
            present.table(
                caps.assign(percent_used=caps["percent_used"] / 100.0),
                percent=["percent_used"],
                money={c: "AZR" for c in caps.columns if c in ("minted", "cap", "remaining")},
                headers={"percent_used": "Used"},
            )
        )

# %% [markdown]
# ## Findings
#
# Constitutional checks per ledger table, then the offending rows by ledger id, ready to raise.

# %%
checks = None
with section("compliance"):
    checks = treasury.compliance(ws)
    display(present.table(checks))

# %%
with section("violations"):
    per_check = 10_000  # offending rows read per table and check
    violations = treasury.compliance_violations(ws, limit=per_check)
    if violations.empty:
        present.say("No ledger row breaks a constitutional rule.")
    else:
        counted = int(reuse(checks, treasury.compliance, ws)["violations"].sum())
        present.say(
            f"{present.count(counted)} ledger rows break a constitutional rule"
            + (
                "."
                if len(violations) >= counted
                else f"; the first {present.count(per_check)} of each check are read here."
            )
        )
        present.listing(violations, "", limit=20, name="ledger-violations")

# %% [markdown]
# ### Where these numbers came from

# %% tags=["nbval-ignore-output"]
# Computed now or served from the query cache: this differs from run to run.
for name in ("flows", "split", "gas"):
    if name in globals():
        print(f"{name}:", az.provenance(globals()[name]) or "not cached")
