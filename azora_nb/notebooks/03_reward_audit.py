# %% [markdown]
# # Knowledge reward audit
#
# Rewards live in the mint database, their payouts in the core treasury ledger.
# This audit reduces each side in its own database, then reconciles them by
# transaction hash: rewards paid without a ledger entry, ledger payouts without a
# reward, and amounts that differ. It also lists rewards stuck in PENDING,
# timestamps out of order, payments to users whose KYC is not verified,
# near-duplicate rewards, and balances that the paid rewards do not explain.
# Every finding carries the keys of the rows involved.

# %% tags=["parameters"]
as_of = "2026-10-31"  # the audit date
stuck_after_days = 7  # PENDING for longer than this is stuck
amount_tolerance = 0.005  # amounts closer than this agree
duplicate_hours = 24  # two rewards this close are near-duplicates
core_url = ""  # empty: use the configured core database (the ledger)
mint_url = ""  # empty: use the configured mint database (the rewards)

# %% tags=["nbval-ignore-output"]
# Connect to the sources (the configured ones, or the URLs given as parameters), apply
# the figure style and show the report header: what ran, on which data, when.
import matplotlib.pyplot as plt

import azora_nb as az
from azora_nb.analytics import rewards

ws = az.notebook(
    core_url=core_url,
    mint_url=mint_url,
    as_of=as_of,
    parameters=dict(stuck_after_days=stuck_after_days, amount_tolerance=amount_tolerance),
)

# %% [markdown]
# ## Reconciliation against the ledger

# %%
reconciled = rewards.reconcile(ws, tolerance=amount_tolerance)
reconciled

# %% [markdown]
# ## Reward state

# %%
stuck = rewards.stuck_pending(ws, as_of=as_of, days=stuck_after_days)
stuck

# %%
rewards.processed_before_created(ws)

# %%
rewards.unverified_kyc(ws)

# %%
rewards.near_duplicates(ws, hours=duplicate_hours)

# %% [markdown]
# ## Balance roll-forward

# %%
roll_forward = rewards.balance_roll_forward(ws, tolerance=amount_tolerance)
roll_forward

# %%
mismatched = rewards.balance_mismatches(ws, tolerance=amount_tolerance)
mismatched

# %% [markdown]
# ## Findings

# %%
findings = rewards.audit(ws, as_of=as_of, tolerance=amount_tolerance)
counts = findings["kind"].value_counts().sort_index()
print(f"{len(findings)} findings in {len(counts)} kinds")
counts.to_frame("findings")

# %%
fig, ax = plt.subplots()
counts.sort_values().plot.barh(ax=ax)
ax.set(title="Audit findings by kind", xlabel="findings")
plt.show()

# %%
fig, ax = plt.subplots()
totals = roll_forward.iloc[0][["balance_azr", "paid_rewards_azr", "difference_azr"]]
ax.bar(
    ["AZR balances", "paid AZR rewards", "difference"],
    totals.astype(float),
    color=["#2e86ab", "#76b041", "#d1495b"],
)
ax.set(title="Balance roll-forward: what users hold against what they were paid", ylabel="AZR")
plt.show()

# %%
findings

# %% [markdown]
# ### Where these numbers came from

# %% tags=["nbval-ignore-output"]
# Computed now or served from the query cache: this differs from run to run.
print("stuck:", az.provenance(stuck) or "not cached")
print("roll_forward:", az.provenance(roll_forward) or "not cached")
