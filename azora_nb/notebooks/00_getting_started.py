# %% [markdown]
# # Getting started with azora-nb
#
# A five-minute tour: connect, run SQL with bound parameters, use the query cache,
# call an analytics function and plot the result. Run it top to
# bottom (Run > Restart Kernel and Run All Cells). With nothing configured, it reads
# the embedded SQLite demo databases; `azora-nb demo` fills them.

# %% tags=["parameters"]
as_of = "2026-10-31"  # the date the examples look back from
core_url = ""  # empty: use the configured core database

# %% [markdown]
# ## One call sets up a notebook
#
# `az.notebook()` connects to the sources (a URL given here wins over the settings),
# applies the figure and table style, loads the `%sql` magic when it is available,
# and shows a header: the parameters, each source with its schema revision, when this
# ran and with which azora-nb. The curated reports start the same way.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

import azora_nb as az
from azora_nb.analytics import treasury

ws = az.notebook(core_url=core_url, as_of=as_of)

# %% [markdown]
# ## SQL with bound parameters
#
# `ws.sql(query, params, source=...)` returns a DataFrame. Values are bound (`:name`),
# never pasted into the text, and amounts keep their precision.

# %%
ledger = ws.sql(
    """
    select transaction_type, count(*) as entries, sum(amount_azr) as amount_azr
    from treasury_ledger
    where blockchain_status = :status
    group by transaction_type
    order by transaction_type
    """,
    {"status": "confirmed"},
)
ledger

# %% [markdown]
# ## The query cache
#
# `cache=True` keeps a result (in Redis when configured, else on disk) until its
# tables change or its time runs out. `az.provenance` says where a result came from;
# it differs from run to run, so nbval does not compare it.

# %% tags=["nbval-ignore-output"]
users = ws.sql("select count(*) as users from users", cache=True)
print(az.provenance(users) or "not cached")
users

# %% [markdown]
# ## Analytics functions and a figure
#
# `azora_nb.analytics` holds the functions the reports use, one module per subject.
# Each aggregates in the database and returns a small DataFrame.

# %%
split = treasury.allocation_split(ws, as_of=as_of, months=12)
split

# %%
fig, ax = plt.subplots()
ax.bar(split["allocation"], split["amount_azr"])
ax.set(title="Confirmed mints by allocation (AZR)", ylabel="AZR")
plt.show()

# %% [markdown]
# ## Next
#
# - `azora-nb notebooks copy my-notebooks` gives you editable copies of the curated
#   notebooks; `azora-nb report treasury` runs one as an HTML report.
# - `ws.status()` shows every store; `ws.close()` (or `with az.connect() as ws:`)
#   releases the connections.
