"""``jxc ledger verify``: rebuild stock from the ledger and compare it with what is stored.

Checks, each reported with the rows involved:
- the ledger is gap-free: seqs 1..head, head as recorded;
- every move's recorded balances (``from_balance``/``to_balance``) equal the running sum of
  the moves before it, so no move was edited, inserted or deleted after the fact;
- every quant (the projection readers use) equals the sum of its moves, and every non-zero
  sum has a quant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from server.ledger.repository import LedgerRepository

Key = tuple[int, int, int | None]  # product, location, lot
MAX_FINDINGS = 1000  # a broken database reports the first thousand, not a million lines


@dataclass(frozen=True, slots=True)
class Finding:
    check: str  # "seq_gap" | "head" | "balance" | "quant" | "missing_quant"
    message: str
    rows: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Report:
    moves: int = 0
    quants: int = 0
    head: int = 0
    findings: list[Finding] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, finding: Finding) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)
        else:
            self.truncated = True


async def verify_ledger(repo: LedgerRepository) -> Report:
    report = Report(head=await repo.head())
    names = await repo.names()
    running: dict[Key, Decimal] = {}
    expected_seq = 1
    async for move in repo.all_moves():
        report.moves += 1
        if move.seq != expected_seq:
            report.add(
                Finding(
                    "seq_gap",
                    f"seq {expected_seq}..{move.seq - 1} missing before move {move.seq}",
                    {"move": move.seq},
                )
            )
        expected_seq = move.seq + 1
        for loc, sign, recorded, side in (
            (move.from_location_id, -1, move.from_balance, "from"),
            (move.to_location_id, 1, move.to_balance, "to"),
        ):
            key = (move.product_id, loc, move.lot_id)
            running[key] = running.get(key, Decimal(0)) + sign * move.qty
            if running[key] != recorded:
                report.add(
                    Finding(
                        "balance",
                        f"move {move.seq} records {side} balance {recorded:f} at "
                        f"{_where(names, key)}; the moves before it sum to {running[key]:f}",
                        {"move": move.seq, **_ids(key)},
                    )
                )
                running[key] = recorded  # report each break once, not every later move
    if report.moves and expected_seq - 1 != report.head:
        report.add(
            Finding("head", f"ledger head is {report.head} but the last move is {expected_seq - 1}")
        )

    rebuilt = await repo.ledger_balances()
    quants = await repo.quant_rows()
    report.quants = len(quants)
    for key, (quant_id, qty) in sorted(quants.items(), key=lambda kv: kv[1][0]):
        want = rebuilt.get(key, Decimal(0))
        if qty != want:
            report.add(
                Finding(
                    "quant",
                    f"quant {quant_id} holds {qty:f} at {_where(names, key)}; "
                    f"the ledger says {want:f}",
                    {"quant": quant_id, **_ids(key)},
                )
            )
    for key, want in sorted(rebuilt.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        if want != 0 and key not in quants:
            report.add(
                Finding(
                    "missing_quant",
                    f"no quant at {_where(names, key)}; the ledger says {want:f}",
                    _ids(key),
                )
            )
    return report


def _ids(key: Key) -> dict[str, Any]:
    return {"product_id": key[0], "location_id": key[1], "lot_id": key[2]}


def _where(names: dict[str, dict[int, str]], key: Key) -> str:
    product, location, lot = key
    sku = names["products"].get(product, f"product #{product}")
    where = names["locations"].get(location, f"location #{location}")
    lot_text = f" lot {names['lots'].get(lot, f'#{lot}')}" if lot is not None else ""
    return f"{where}: {sku}{lot_text}"
