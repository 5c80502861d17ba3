# %% [markdown]
# # Platform health
#
# The state of every store and of each database's schema, how fresh each table
# is, which components breach their health thresholds, open alerts and how long
# alerts take to resolve, API error rates and latency percentiles, circuit
# breakers, and the toolkit's own cache and sync.

# %% tags=["parameters"]
as_of = "2026-10-31"  # the report date; windows end here
days = 7  # window for health checks and API latency
alert_days = 30  # window for the time-to-resolve of alerts
storm_alerts = 20  # this many alerts for one component ...
stuck_hours = 24  # critical in every check of this many hours: stuck
slow_route_factor = 3.0  # recent p99 above this × the 30-day baseline: degraded
core_url = ""  # empty: use the configured core database
gateway_url = ""  # empty: use the configured gateway database

# %% tags=["nbval-ignore-output"]
# Connect to the sources (the configured ones, or the URLs given as parameters), apply
# the figure style and show the report header: what ran, on which data, when.
import matplotlib.pyplot as plt
import pandas as pd

import azora_nb as az
from azora_nb.analytics import health

ws = az.notebook(
    core_url=core_url,
    gateway_url=gateway_url,
    as_of=as_of,
    parameters=dict(days=days, alert_days=alert_days),
)

# %% [markdown]
# ## Stores and schemas

# %% tags=["nbval-ignore-output"]
# Latency and server versions differ on every run.
health.stores(ws)

# %%
health.migrations(ws)

# %%
freshness = health.freshness(ws, as_of=as_of)
freshness

# %% [markdown]
# ## Components and alerts

# %%
breaches = health.breaches(ws, as_of=as_of, days=days)
breaches

# %%
alerts = health.open_alerts(ws, as_of=as_of, days=alert_days)
alerts

# %%
fig, (left, right) = plt.subplots(1, 2)
shown = breaches.set_index("component")[["warning", "critical", "offline"]]
shown.sort_values("critical").plot.barh(
    stacked=True, ax=left, color=["#f2c14e", "#d1495b", "#555555"]
)
left.set(title=f"Health checks out of bounds, last {days} days", ylabel="")
right.bar(alerts["severity"], alerts["open"], color="#d1495b")
right.set_title("Open alerts by severity")
plt.show()

# %% [markdown]
# ## API errors and latency

# %%
api = health.api_latency(ws, as_of=as_of, days=days)
api.sort_values(["p99_ms", "route_id"], ascending=[False, True]).head(15)

# %%
fig, ax = plt.subplots(figsize=(9, 5))
top = api.sort_values(["p99_ms", "route_id"], ascending=[False, True]).head(12)[::-1]
labels = top["service"] + " " + top["route"]
ax.barh(labels, top["p99_ms"], label="p99")
ax.barh(labels, top["p95_ms"], label="p95")
ax.barh(labels, top["p50_ms"], label="p50")
ax.set(title=f"Slowest routes, last {days} days (ms)", xlabel="ms")
ax.legend()
plt.show()

# %%
health.circuit_breakers(ws)

# %% [markdown]
# ## Cache and sync
#
# The toolkit's own state: query-cache hit rate and how far each sync lags. Both depend on what ran before this notebook, so they are not compared between runs.

# %% tags=["nbval-ignore-output"]
health.cache_stats(ws)

# %% tags=["nbval-ignore-output"]
health.sync_lag(ws, as_of=as_of)

# %% [markdown]
# ## Findings
#
# Alert storms, components stuck in critical, and routes whose recent p99 latency degraded, keyed as the demo manifest keys them.

# %%
findings = pd.concat(
    [
        health.alert_storms(ws, as_of=as_of, threshold=storm_alerts),
        health.stuck_critical(ws, as_of=as_of, hours=stuck_hours),
        health.route_degradation(ws, as_of=as_of, factor=slow_route_factor),
    ],
    ignore_index=True,
)
print(findings["kind"].value_counts().sort_index().to_string())
findings

# %% [markdown]
# ### Where these numbers came from

# %% tags=["nbval-ignore-output"]
# Computed now or served from the query cache: this differs from run to run.
print("freshness:", az.provenance(freshness) or "not cached")
print("breaches:", az.provenance(breaches) or "not cached")
print("api:", az.provenance(api) or "not cached")
