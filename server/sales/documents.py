"""Printable delivery note (送货单): HTML ready for the browser's print dialog (A4), with the
order number as a Code 128 barcode (inline SVG) so the signed copy scans back to its order."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from html import escape

from server import errors
from server.kit.code128 import code128_svg
from server.kit.quantity import ZERO
from server.models import SalesOrderStatus
from server.sales.service import SalesService

PRINTABLE = (
    SalesOrderStatus.packed,
    SalesOrderStatus.backordered,
    SalesOrderStatus.shipped,
    SalesOrderStatus.delivered,
)

# One stylesheet for every printed document: A4, black on white, readable at arm's length.
PRINT_CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font: 11pt/1.35 "Noto Sans", "Helvetica Neue", Arial, "Noto Sans CJK SC", "PingFang SC",
       "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
       color: #000; margin: 0 auto; max-width: 186mm; padding: 6mm 0; }
header { display: flex; justify-content: space-between; align-items: flex-start;
         border-bottom: 2px solid #000; padding-bottom: 3mm; margin-bottom: 4mm; }
h1 { font-size: 18pt; margin: 0 0 1mm; }
.sub { color: #333; font-size: 10pt; }
.code svg { display: block; }
.meta { display: grid; grid-template-columns: 1fr 1fr; gap: 2mm 8mm; margin-bottom: 5mm; }
.meta div { border: 1px solid #999; padding: 2mm 3mm; min-height: 14mm; }
.meta b { display: block; font-size: 8.5pt; text-transform: uppercase; color: #444;
          letter-spacing: .03em; margin-bottom: .5mm; }
.addr { white-space: pre-line; }
table { width: 100%; border-collapse: collapse; font-size: 10pt; }
th, td { border-bottom: 1px solid #bbb; padding: 1.6mm 1.5mm; text-align: left;
         vertical-align: top; }
th { border-bottom: 1.5px solid #000; font-size: 8.5pt; text-transform: uppercase; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.box { width: 9mm; }
td.box span { display: inline-block; width: 5mm; height: 5mm; border: 1.2px solid #000; }
.loc svg { height: 9mm; width: auto; display: block; }
tfoot td { border: 0; font-weight: bold; }
.sign { display: grid; grid-template-columns: 2fr 1fr 2fr; gap: 6mm; margin-top: 14mm; }
.sign div { border-top: 1px solid #000; padding-top: 1mm; font-size: 9pt; color: #333; }
.foot { margin-top: 8mm; font-size: 8.5pt; color: #444; }
@media print { body { padding: 0; } }
"""


def page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{PRINT_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def qty_text(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


async def delivery_note_html(service: SalesService, number: str) -> str:
    order = await service.order(number)
    if order.status not in PRINTABLE:
        raise errors.InvalidState(
            f"{number} is {order.status}; a delivery note is printed once it is packed."
        )
    public = await service.public(order)
    wh = await service.warehouse(order.warehouse_id)
    shipped = order.status != SalesOrderStatus.packed
    lots: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    by_lot = await (service.shipped_by_lot if shipped else service.picked_by_lot)(order)
    for (_loc, pid, lot), qty in by_lot.items():
        lots[pid][lot or ""] += qty
    products = await service.repo.products_by_sku([ln.sku for ln in public.lines])
    rows = []
    total = ZERO
    for ln in public.lines:
        pid = products[ln.sku].id or 0
        out = sum(lots[pid].values(), ZERO)
        total += out
        lot_text = ", ".join(
            f"{escape(lot)} × {qty_text(q)}" for lot, q in sorted(lots[pid].items()) if lot
        )
        rows.append(
            f"<tr><td class=num>{ln.line_no}</td><td><b>{escape(ln.sku)}</b></td>"
            f"<td>{escape(ln.name)}</td><td>{lot_text or '—'}</td>"
            f"<td class=num>{qty_text(ln.qty)}</td><td class=num><b>{qty_text(out)}</b> "
            f"{escape(products[ln.sku].unit)}</td><td class=box><span></span></td></tr>"
        )
    when = order.shipped_at or datetime.now(UTC)
    packages = (
        "<br>".join(
            f"{p.no}. "
            + " · ".join(
                x
                for x in (
                    f"SSCC {escape(p.sscc)}" if p.sscc else "",
                    f"{qty_text(p.weight_kg)} kg" if p.weight_kg else "",
                )
                if x
            )
            for p in public.packages
        )
        or "—"
    )
    carrier = " · ".join(p for p in (order.carrier, order.tracking_number) if p) or "—"
    body = f"""
<header>
  <div>
    <h1>Delivery note 送货单</h1>
    <div class=sub>{escape(wh.name)} ({escape(wh.code)}) · {when.date().isoformat()}</div>
  </div>
  <div class=code>{code128_svg(number)}</div>
</header>
<section class=meta>
  <div><b>Customer</b>{escape(public.customer_name)} ({escape(public.customer)})</div>
  <div><b>Ship to</b><span class=addr>{escape(public.ship_to or "—")}</span></div>
  <div><b>Your reference</b>{escape(public.customer_reference or "—")}</div>
  <div><b>Promised</b>{public.promised_date.isoformat() if public.promised_date else "—"}</div>
  <div><b>Carrier / tracking</b>{escape(carrier)}</div>
  <div><b>Packages</b>{packages}</div>
</section>
<table>
  <thead><tr><th class=num>#</th><th>SKU</th><th>Description</th><th>Lot / serial</th>
  <th class=num>Ordered</th><th class=num>{"Shipped" if shipped else "Packed"}</th>
  <th>Recv.</th></tr></thead>
  <tbody>{"".join(rows)}</tbody>
  <tfoot><tr><td colspan=5 class=num>Total units</td><td class=num>{qty_text(total)}</td>
  <td></td></tr></tfoot>
</table>
<section class=sign>
  <div>Received in good condition by (name)</div><div>Date</div><div>Signature</div>
</section>
<p class=foot>{escape(public.note or "")}</p>
"""
    return page(f"Delivery note {number}", body)
