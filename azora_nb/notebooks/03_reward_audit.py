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
as_of = ""  # the audit date (YYYY-MM-DD); empty: the end of the latest complete day of rewards
stuck_after_days = 7  # PENDING for longer than this is stuck
amount_tolerance = 0.005  # amounts closer than this agree
duplicate_hours = 24  # two rewards this close are near-duplicates
core_url = ""  # empty: use the configured core database (the ledger)
mint_url = ""  # empty: use the configured mint database (the rewards)

# %% tags=["nbval-ignore-output"]
# Connect to the sources (the configured ones, or the URLs given as parameters), apply
# the figure style and show the report header: what ran, on which data, who read it, when.
import matplotlib.pyplot as plt

from azora_nb import present, summaries, visibility
from azora_nb.analytics import payouts, rewards
from azora_nb.reports.opening import open_report
from azora_nb.sections import quiet, reuse, section

ws, as_of = open_report(
    "rewards",
    as_of=as_of,
    urls={"core": core_url, "mint": mint_url},
    parameters=dict(stuck_after_days=stuck_after_days, amount_tolerance=amount_tolerance),
)
limits = visibility.check(ws, payouts.TABLES).limits()

# %%
# What the summary reads is shown again below, not read twice: the reconciliation reads
# both databases in full.
reconciled = None if limits else quiet(rewards.reconcile, ws, tolerance=amount_tolerance)
findings = quiet(rewards.audit, ws, as_of=as_of, tolerance=amount_tolerance, reconciled=reconciled)
roll_forward = quiet(rewards.balance_roll_forward, ws, tolerance=amount_tolerance)
summaries.rewards(findings=findings, roll_forward=roll_forward, limits=limits)

# %%
if limits:
    present.say(
        "**Not every row is visible to this role**, so rewards are not reconciled against the "
        "ledger (a hidden row would look missing): " + "; ".join(limits) + "."
    )
else:
    present.say(
        "This role sees every row of the reconciled tables (no row-level security or "
        "missing grant limits them), so the reconciliation below is complete."
    )

# %% [markdown]
# ## Reconciliation against the ledger

# %%
with section("reconcile"):
    reconciled = reuse(reconciled, rewards.reconcile, ws, tolerance=amount_tolerance)
    present.listing(
        reconciled,
        "Every paid reward has its ledger payout with the same amount, and every payout its reward.",
        name="reward-reconciliation",
    )

# %% [markdown]
# ## Reward state

# %%
with section("stuck"):
    stuck = rewards.stuck_pending(ws, as_of=as_of, days=stuck_after_days)
    present.listing(
        stuck,
        f"No reward has been PENDING for more than {stuck_after_days} days at {present.day(as_of)}.",
        name="stuck-rewards",
    )

# %%
with section("order"):
    early = rewards.processed_before_created(ws)
    present.listing(
        early, "No reward was processed before it was created.", name="rewards-processed-early"
    )

# %%
with section("kyc"):
    kyc = rewards.unverified_kyc(ws)
    present.listing(kyc, "Every paid user has verified KYC.", name="payments-without-kyc")

# %%
with section("duplicates"):
    duplicates = rewards.near_duplicates(ws, hours=duplicate_hours)
    present.listing(
        duplicates,
        f"No two rewards to one user for one achievement came within {duplicate_hours} hours.",
        name="near-duplicate-rewards",
    )

# %% [markdown]
# ## Balance roll-forward

# %%
with section("roll forward"):
    roll_forward = reuse(roll_forward, rewards.balance_roll_forward, ws, tolerance=amount_tolerance)
    present.listing(
        roll_forward,
        "No balances and no paid rewards to roll forward.",
        money={c: "AZR" for c in roll_forward.columns if c.endswith("_azr")},
        counts=[c for c in roll_forward.columns if c in ("users", "mismatched_users")],
    )
    if not roll_forward.empty:
        totals = roll_forward.iloc[0][["balance_azr", "paid_rewards_azr"]].astype(float)
        if present.nothing_to_draw(totals):
            present.say("Users hold no AZR and were paid no AZR rewards.")
        else:
            difference = float(roll_forward.iloc[0]["difference_azr"])
            fig, ax = plt.subplots()
            ax.bar(["AZR balances", "paid AZR rewards"], totals, color=["#2e86ab", "#76b041"])
            ax.set(
                title=f"What users hold against what they were paid (difference {present.money(difference)})",
                ylabel="AZR",
            )
            present.thousands(ax)
            plt.show()

# %%
with section("mismatches"):
    mismatched = rewards.balance_mismatches(ws, tolerance=amount_tolerance)
    present.listing(
        mismatched,
        "Every user's AZR balance matches their paid AZR rewards.",
        name="balance-mismatches",
    )

# %% [markdown]
# ## Findings

# %%
with section("findings"):
    present.findings(
        reuse(
            findings,
            rewards.audit,
            ws,
            as_of=as_of,
            tolerance=amount_tolerance,
            reconciled=reconciled,
        ),
        none="The audit found nothing to follow up.",
        name="reward-findings",
        chart="Audit findings by kind",
    )

# %% [markdown]
# ### Where these numbers came from

# %% tags=["nbval-ignore-output"]
# Computed now or served from the query cache: this differs from run to run.
present.origins(globals(), "stuck", "roll_forward")
