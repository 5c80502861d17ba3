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

from collections.abc import Sequence
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
    sentences = []
    if flows is None:
        sentences.append(_unavailable("ledger"))
    elif flows.empty:
        sentences.append(f"The ledger has no counted transactions between {start} and {end}.")
    else:
        kinds = flows.groupby("transaction_type")["amount_azr"].sum()
        minted, burned = float(kinds.get("mint", 0.0)), float(kinds.get("burn", 0.0))
        sentences.append(
            f"Between {start} and {end} the ledger counted {count(_total(flows, 'transactions'))} "
            f"transactions: {money(minted)} minted and {money(burned)} burned, "
            f"so supply changed by {money(minted - burned)}."
        )
    if violations is not None and not violations.empty:
        sentences.append(
            f"{count(len(violations))} ledger rows break the constitution's rules: "
            f"{_kinds(violations)}."
        )
    elif violations is not None:
        sentences.append("Every ledger row keeps the constitution's allocation and value rules.")
    pending = 0.0
    if ageing is not None and not ageing.empty:
        pending = _total(ageing, "amount_azr")
        rows = _total(ageing, "transactions")
        oldest = pd.to_numeric(ageing["oldest_days"], errors="coerce").max()
        sentences.append(
            f"{count(rows)} transactions are pending or failed, the oldest "
            f"{count(oldest)} days old."
        )
    return _finish(sentences, f"Amount at risk (pending or failed): {money(pending)}.")


def mining(
    *,
    daily: pd.DataFrame | None,
    findings: pd.DataFrame | None,
    impossible: pd.DataFrame | None,
    start: str,
    end: str,
) -> Summary:
    """From ``mining.daily``, ``mining.anomalies`` and ``mining.impossible_earnings``."""
    sentences = []
    if daily is None:
        sentences.append(_unavailable("mining sessions"))
    elif daily.empty:
        sentences.append(f"No mining sessions started between {start} and {end}.")
    else:
        sentences.append(
            f"Between {start} and {end} rigs ran {count(_total(daily, 'sessions'))} sessions, "
            f"earned {money(_total(daily, 'earnings_usd'), 'USD')} and minted "
            f"{money(_total(daily, 'azr_minted'))}."
        )
    if findings is not None and not findings.empty:
        sentences.append(f"{count(len(findings))} findings need a look: {_kinds(findings)}.")
    elif findings is not None:
        sentences.append("No rig is overheating, underperforming or earning impossibly.")
    at_risk = _total(impossible, "earnings_usd")
    return _finish(
        sentences, f"Amount at risk (earnings of impossible sessions): {money(at_risk, 'USD')}."
    )


def rewards(
    *,
    findings: pd.DataFrame | None,
    roll_forward: pd.DataFrame | None,
    limits: Sequence[str] = (),
    at_risk_azr: float | None = None,
) -> Summary:
    """From ``rewards.audit`` and ``rewards.balance_roll_forward``; ``limits`` are the
    visibility limits of the role (:mod:`azora_nb.visibility`)."""
    sentences = []
    if limits:
        sentences.append(
            f"The database role cannot see every row of {len(limits)} table(s), so the "
            "cross-database checks were not run (see the top of this report)."
        )
    if roll_forward is not None and not roll_forward.empty:
        row = roll_forward.iloc[0]
        sentences.append(
            f"Paid rewards total {money(row.get('paid_rewards_azr'))} against balances of "
            f"{money(row.get('balance_azr'))}, a difference of {money(row.get('difference_azr'))}."
        )
    elif roll_forward is None:
        sentences.append(_unavailable("balances"))
    if findings is None:
        sentences.append(_unavailable("rewards"))
    elif findings.empty:
        sentences.append("The audit found nothing to follow up.")
    else:
        sentences.append(
            f"The audit found {count(len(findings))} findings in "
            f"{count(findings['kind'].nunique())} kinds: {_kinds(findings)}."
        )
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
    sentences = []
    if breaches is None:
        sentences.append(_unavailable("health checks"))
    elif breaches.empty:
        sentences.append(f"No health check breached its threshold between {start} and {end}.")
    else:
        sentences.append(
            f"Between {start} and {end}, {count(len(breaches))} components breached a "
            "health threshold."
        )
    if alerts is not None and not alerts.empty:
        sentences.append(f"{count(len(alerts))} alerts are open.")
    elif alerts is not None:
        sentences.append("No alert is open.")
    if api is not None and not api.empty and "error_rate" in api:
        worst = api.sort_values("error_rate", ascending=False).iloc[0]
        sentences.append(
            f"The highest API error rate is {percent(worst['error_rate'])} "
            f"({worst.get('service', worst.get('route', 'a route'))})."
        )
    if findings is not None and not findings.empty:
        sentences.append(f"{count(len(findings))} findings: {_kinds(findings)}.")
    return _finish(sentences, "Amount at risk: none measured in money by this report.")
