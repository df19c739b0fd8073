"""A printable pick list: its number as a Code 128 barcode (scanning it opens the list on a
handheld), then the lines in walking order, each location's barcode beside it."""

from __future__ import annotations

from html import escape

from server.kit.code128 import code128_svg
from server.picking.service import PickingService
from server.sales.documents import page, qty_text


async def pick_list_html(service: PickingService, number: str) -> str:
    public = await service.get(number)
    rows = []
    for ln in public.lines:
        if ln.status == "cancelled":
            continue
        lot = escape(ln.lot) if ln.lot else "—"
        expiry = ln.expiry.isoformat() if ln.expiry else ""
        done = "✓" if ln.status == "picked" else ("short" if ln.status == "short" else "")
        rows.append(
            f"<tr><td class=num>{ln.seq}</td>"
            f"<td class=loc><b>{escape(ln.location)}</b>"
            f"{code128_svg(ln.location, height_mm=7, human_readable=False)}</td>"
            f"<td><b>{escape(ln.sku)}</b><br>{escape(ln.name)}</td>"
            f"<td>{lot}<br><small>{expiry}</small></td>"
            f"<td class=num><b>{qty_text(ln.qty)}</b></td>"
            f"<td>{escape(ln.order)}</td><td class=box><span></span> {done}</td></tr>"
        )
    body = f"""
<header>
  <div>
    <h1>Pick list 拣货单</h1>
    <div class=sub>{escape(public.warehouse)} · to {escape(public.staging)} ·
    {public.created_at.date().isoformat()}{
        " · " + escape(public.assigned_to) if public.assigned_to else ""
    }</div>
    <div class=sub>Orders: {escape(", ".join(public.orders))}</div>
  </div>
  <div class=code>{code128_svg(public.number)}</div>
</header>
<table>
  <thead><tr><th class=num>#</th><th>Location</th><th>Item</th><th>Lot / expiry</th>
  <th class=num>Qty</th><th>Order</th><th>Done</th></tr></thead>
  <tbody>{"".join(rows)}</tbody>
</table>
<p class=foot>Scan the list, then at each location the item (and lot). A location that does
not have it: report the line short on the handheld.</p>
"""
    return page(f"Pick list {number}", body)
