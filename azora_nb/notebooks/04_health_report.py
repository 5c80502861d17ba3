# %% [markdown]
# # Platform health
#
# The state of every store and of each database's schema, how fresh each table
# is, which components breach their health thresholds, open alerts and how long
# alerts take to resolve, API error rates and latency percentiles, circuit
# breakers, and the toolkit's own cache and sync.

# %% tags=["parameters"]
as_of = ""  # the report date (YYYY-MM-DD); empty: the end of the latest complete day of checks
days = 7  # window for health checks and API latency
alert_days = 30  # window for the time-to-resolve of alerts
storm_alerts = 20  # this many alerts for one component ...
stuck_hours = 24  # critical in every check of this many hours: stuck
slow_route_factor = 3.0  # recent p99 above this × the 30-day baseline: degraded
core_url = ""  # empty: use the configured core database
gateway_url = ""  # empty: use the configured gateway database

# %% tags=["nbval-ignore-output"]
# Connect to the sources (the configured ones, or the URLs given as parameters), apply
# the figure style and show the report header: what ran, on which data, who read it, when.
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from azora_nb import present, summaries
from azora_nb.analytics import health
from azora_nb.reports.opening import open_report
from azora_nb.sections import quiet, section

ws, as_of = open_report(
    "health",
    as_of=as_of,
    urls={"core": core_url, "gateway": gateway_url},
    parameters=dict(days=days, alert_days=alert_days),
)
end = pd.Timestamp(as_of, tz="UTC")
start = end - pd.Timedelta(days=days)
period = f"{present.day(start)} to {present.day(end)}"


def health_findings():
    parts = []
    for check in (
        lambda: health.alert_storms(ws, as_of=as_of, threshold=storm_alerts),
        lambda: health.stuck_critical(ws, as_of=as_of, hours=stuck_hours),
        lambda: health.route_degradation(ws, as_of=as_of, factor=slow_route_factor),
    ):
        with section("findings"):
            parts.append(check())
    return pd.concat(parts, ignore_index=True) if parts else None


# %%
breaches = quiet(health.breaches, ws, as_of=as_of, days=days)
alerts = quiet(health.open_alerts, ws, as_of=as_of, days=alert_days)
summaries.health(
    breaches=None
    if breaches is None
    else breaches[pd.to_numeric(breaches["breach_rate"]).fillna(0) > 0],
    alerts=None if alerts is None else alerts[alerts["open"] > 0],
    api=quiet(health.api_latency, ws, as_of=as_of, days=days),
    findings=None,
    start=present.day(start),
    end=present.day(end),
)

# %% [markdown]
# ## Stores and schemas

# %% tags=["nbval-ignore-output"]
# Latency and server versions differ on every run.
present.table(health.stores(ws).drop(columns=["url"], errors="ignore"))  # no local paths

# %%
with section("migrations"):
    display(present.table(health.migrations(ws)))

# %%
with section("freshness"):
    freshness = health.freshness(ws, as_of=as_of)
    display(
        present.table(freshness, numbers={c: 1 for c in freshness.columns if c.endswith("_hours")})
    )

# %% [markdown]
# ## Components and alerts

# %%
with section("breaches"):
    breaches = health.breaches(ws, as_of=as_of, days=days)
    present.listing(
        breaches,
        f"No health checks from {period}.",
        counts=[
            c for c in ("checks", "healthy", "warning", "critical", "offline") if c in breaches
        ],
        percent=["breach_rate"],
        days=["last_check"],
    )
    if not breaches.empty:
        shown = breaches.set_index("component")[["warning", "critical", "offline"]]
        if present.nothing_to_draw(shown):
            present.say(f"Every health check from {period} was within its thresholds.")
        else:
            ax = shown.sort_values("critical").plot.barh(
                stacked=True, color=["#f2c14e", "#d1495b", "#555555"]
            )
            ax.set(title=f"Health checks out of bounds, {period}", ylabel="")
            plt.show()

# %%
with section("alerts"):
    alerts = health.open_alerts(ws, as_of=as_of, days=alert_days)
    present.listing(
        alerts,
        f"No alerts were raised in the {alert_days} days to {present.day(end)}.",
        counts=["open", "resolved_in_window"],
        numbers={c: 1 for c in alerts.columns if c.endswith("_hours") or "hours" in c},
    )
    if not alerts.empty:
        present.bars(
            alerts.set_index("severity")["open"],
            title="Open alerts by severity",
            color="#d1495b",
            nothing=f"No alert was open at {present.day(end)}.",
            same=f"Every severity has {present.count(alerts['open'].iloc[0])} open alerts.",
        )

# %% [markdown]
# ## API errors and latency

# %%
with section("api"):
    api = health.api_latency(ws, as_of=as_of, days=days)
    if api.empty:
        present.say(f"No API calls from {period}.")
    else:
        slowest = api.sort_values(["p99_ms", "route_id"], ascending=[False, True])
        display(
            present.table(
                slowest.head(15),
                counts=[c for c in ("calls", "errors") if c in api],
                percent=[c for c in api.columns if c.endswith("_rate")],
                numbers={c: 0 for c in api.columns if c.endswith("_ms")},
            )
        )
        top = slowest.head(12)[::-1]
        if present.nothing_to_draw(top[["p50_ms", "p95_ms", "p99_ms"]]):
            present.say("Every API call took 0 ms: no latency to draw.")
        else:
            fig, ax = plt.subplots(figsize=(9, 5))
            labels = top["service"].astype(str) + " " + top["route"].astype(str)
            ax.barh(labels, top["p99_ms"], label="p99")
            ax.barh(labels, top["p95_ms"], label="p95")
            ax.barh(labels, top["p50_ms"], label="p50")
            ax.set(title=f"Slowest routes, {period} (ms)", xlabel="ms")
            present.thousands(ax, "x")
            ax.legend()
            plt.show()

# %%
with section("breakers"):
    breakers = health.circuit_breakers(ws)
    present.listing(breakers, "The gateway has no circuit breakers.")

# %% [markdown]
# ## Cache and sync
#
# The toolkit's own state: query-cache hit rate and how far each sync lags behind its source's data. Both depend on what ran before this notebook, so they are not compared between runs.

# %% tags=["nbval-ignore-output"]
with section("cache"):
    display(present.table(health.cache_stats(ws)))

# %% tags=["nbval-ignore-output"]
with section("sync"):
    lag = health.sync_lag(ws, as_of=as_of)
    present.listing(lag, "No sync has run into this workspace.", numbers={"lag_hours": 1})

# %% [markdown]
# ## Findings
#
# Alert storms, components stuck in critical, and routes whose recent p99 latency degraded, keyed as the demo manifest keys them.

# %%
findings = health_findings()
if findings is not None:
    present.findings(
        findings,
        none="No alert storm, no component stuck in critical and no degraded route.",
        name="health-findings",
    )

# %% [markdown]
# ### Where these numbers came from

# %% tags=["nbval-ignore-output"]
# Computed now or served from the query cache: this differs from run to run.
present.origins(globals(), "freshness", "breaches", "api")
