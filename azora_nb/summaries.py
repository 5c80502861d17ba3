"""The few sentences that open each curated report, written from its data.

Each function takes the frames the report itself shows (``None`` when the
section could not run) and returns a :class:`Summary` of three to six
sentences: what changed in the window, what needs attention, and the total
amount at risk. The numbers are formatted by :mod:`azora_nb.present`, so the
summary shows every amount exactly as the tables below it do.

>>> s = treasury(flows=None, ageing=None, violations=None, start="1 Nov 2025", end="31 Oct 2026")
>>> len(s.sentences) >= 3
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from azora_nb.present import count, money, percent


@dataclass(frozen=True)
class Summary:
    """Sentences shown as one paragraph (Markdown in a notebook, text elsewhere)."""

    sentences: tuple[str, ...]

    def _repr_markdown_(self) -> str:
        return "**Summary.** " + " ".join(self.sentences)

    def __repr__(self) -> str:
        return " ".join(self.sentences)

    def __str__(self) -> str:
        return " ".join(self.sentences)


def _finish(sentences: Sequence[str], at_risk: str) -> Summary:
    out = [s for s in sentences if s][:5]
    out.append(at_risk)
    while len(out) < 3:
        out.insert(-1, "Nothing else stands out.")
    return Summary(tuple(out))


def _kinds(findings: pd.DataFrame, limit: int = 3) -> str:
    counts = findings["kind"].value_counts()
    top = [f"{str(kind).replace('_', ' ')} ({count(n)})" for kind, n in counts.head(limit).items()]
    more = len(counts) - len(top)
    return ", ".join(top) + (f" and {more} more kinds" if more > 0 else "")


def _total(frame: pd.DataFrame | None, column: str) -> float:
    if frame is None or frame.empty or column not in frame:
        return 0.0
    return float(pd.to_numeric(frame[column], errors="coerce").fillna(0).sum())


def _unavailable(what: str) -> str:
    return f"The {what} could not be read, so this summary leaves it out (see its section)."


def _sentence(
    frame: pd.DataFrame | None,
    rows: Callable[[pd.DataFrame], str],
    *,
    empty: str = "",
    unreadable: str = "",
) -> str:
    """What ``frame`` says: that the ``unreadable`` (a noun, e.g. "ledger") could not be
    read when it is ``None``, ``empty`` when it has no rows, otherwise ``rows(frame)``.
    An empty string says nothing."""
    if frame is None:
        return _unavailable(unreadable) if unreadable else ""
    return empty if frame.empty else rows(frame)


def treasury(
    *,
    flows: pd.DataFrame | None,
    ageing: pd.DataFrame | None,
    violations: pd.DataFrame | None,
    start: str,
    end: str,
) -> Summary:
    """From ``treasury.flows``, ``treasury.confirmation_ageing`` and
    ``treasury.compliance_violations``."""

    def moved(flows: pd.DataFrame) -> str:
        kinds = flows.groupby("transaction_type")["amount_azr"].sum()
        minted, burned = float(kinds.get("mint", 0.0)), float(kinds.get("burn", 0.0))
        return (
            f"Between {start} and {end} the ledger counted {count(_total(flows, 'transactions'))} "
            f"transactions: {money(minted)} minted and {money(burned)} burned, "
            f"so supply changed by {money(minted - burned)}."
        )

    def pending(ageing: pd.DataFrame) -> str:
        oldest = pd.to_numeric(ageing["oldest_days"], errors="coerce").max()
        return (
            f"{count(_total(ageing, 'transactions'))} transactions are pending or failed, the "
            f"oldest {count(oldest)} days old."
        )

    sentences = [
        _sentence(
            flows,
            moved,
            empty=f"The ledger has no counted transactions between {start} and {end}.",
            unreadable="ledger",
        ),
        _sentence(
            violations,
            lambda v: f"{count(len(v))} ledger rows break the constitution's rules: {_kinds(v)}.",
            empty="Every ledger row keeps the constitution's allocation and value rules.",
        ),
        _sentence(ageing, pending),
    ]
    at_risk = _total(ageing, "amount_azr")
    return _finish(sentences, f"Amount at risk (pending or failed): {money(at_risk)}.")


def mining(
    *,
    daily: pd.DataFrame | None,
    findings: pd.DataFrame | None,
    impossible: pd.DataFrame | None,
    start: str,
    end: str,
) -> Summary:
    """From ``mining.daily``, ``mining.anomalies`` and ``mining.impossible_earnings``."""
    sentences = [
        _sentence(
            daily,
            lambda d: (
                f"Between {start} and {end} rigs ran {count(_total(d, 'sessions'))} sessions, "
                f"earned {money(_total(d, 'earnings_usd'), 'USD')} and minted "
                f"{money(_total(d, 'azr_minted'))}."
            ),
            empty=f"No mining sessions started between {start} and {end}.",
            unreadable="mining sessions",
        ),
        _sentence(
            findings,
            lambda f: f"{count(len(f))} findings need a look: {_kinds(f)}.",
            empty="No rig is overheating, underperforming or earning impossibly.",
        ),
    ]
    at_risk = money(_total(impossible, "earnings_usd"), "USD")
    return _finish(sentences, f"Amount at risk (earnings of impossible sessions): {at_risk}.")


def rewards(
    *,
    findings: pd.DataFrame | None,
    roll_forward: pd.DataFrame | None,
    limits: Sequence[str] = (),
    at_risk_azr: float | None = None,
) -> Summary:
    """From ``rewards.audit`` and ``rewards.balance_roll_forward``; ``limits`` are the
    visibility limits of the role (:mod:`azora_nb.visibility`)."""

    def balances(roll_forward: pd.DataFrame) -> str:
        row = roll_forward.iloc[0]
        return (
            f"Paid rewards total {money(row.get('paid_rewards_azr'))} against balances of "
            f"{money(row.get('balance_azr'))}, a difference of {money(row.get('difference_azr'))}."
        )

    sentences = [
        f"The database role cannot see every row of {len(limits)} table(s), so the "
        "cross-database checks were not run (see the top of this report)."
        if limits
        else "",
        _sentence(roll_forward, balances, unreadable="balances"),
        _sentence(
            findings,
            lambda f: (
                f"The audit found {count(len(f))} findings in "
                f"{count(f['kind'].nunique())} kinds: {_kinds(f)}."
            ),
            empty="The audit found nothing to follow up.",
            unreadable="rewards",
        ),
    ]
    if at_risk_azr is not None:
        return _finish(sentences, f"Amount at risk: {money(at_risk_azr)}.")
    gap = abs(_total(roll_forward, "difference_azr"))
    return _finish(
        sentences, f"Amount at risk (balances the paid rewards do not explain): {money(gap)}."
    )


def health(
    *,
    breaches: pd.DataFrame | None,
    alerts: pd.DataFrame | None,
    api: pd.DataFrame | None,
    findings: pd.DataFrame | None,
    start: str,
    end: str,
) -> Summary:
    """From ``health.breaches``, ``health.open_alerts``, ``health.api_latency`` and the
    health findings."""

    def worst_api(api: pd.DataFrame) -> str:
        if "error_rate" not in api:
            return ""
        worst = api.sort_values("error_rate", ascending=False).iloc[0]
        return (
            f"The highest API error rate is {percent(worst['error_rate'])} "
            f"({worst.get('service', worst.get('route', 'a route'))})."
        )

    sentences = [
        _sentence(
            breaches,
            lambda b: (
                f"Between {start} and {end}, {count(len(b))} components breached a "
                "health threshold."
            ),
            empty=f"No health check breached its threshold between {start} and {end}.",
            unreadable="health checks",
        ),
        _sentence(alerts, lambda a: f"{count(len(a))} alerts are open.", empty="No alert is open."),
        _sentence(api, worst_api),
        _sentence(findings, lambda f: f"{count(len(f))} findings: {_kinds(f)}."),
    ]
    return _finish(sentences, "Amount at risk: none measured in money by this report.")
