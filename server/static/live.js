// Live stock: a snapshot, then every committed move; reconnects with since=<last seq>.
"use strict";
const $ = (id) => document.getElementById(id);
const stock = new Map(); // "location|sku|lot" -> {location, sku, lot, qty}
let token = sessionStorage.getItem("jxc-token");
let lastSeq = null;
let socket = null;

function key(location, sku, lot) { return `${location}|${sku}|${lot || ""}`; }

function setStatus(text, cls) { const s = $("status"); s.textContent = text; s.className = `status ${cls}`; }

function render(flashKeys = new Set()) {
  const filter = $("filter").value.trim().toLowerCase();
  const rows = [...stock.values()]
    .filter((r) => r.qty !== 0)
    .filter((r) => !filter || `${r.location} ${r.sku} ${r.lot || ""}`.toLowerCase().includes(filter))
    .sort((a, b) => a.location.localeCompare(b.location) || a.sku.localeCompare(b.sku));
  const body = $("stock");
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    if (flashKeys.has(key(r.location, r.sku, r.lot))) tr.className = "flash";
    for (const [text, cls] of [[r.location], [r.sku], [r.lot || "—"], [String(r.qty), "num"]]) {
      const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.append(td);
    }
    return tr;
  }));
  $("summary").textContent = `${rows.length} lines · seq ${lastSeq ?? "—"}`;
}

function applyMove(m) {
  const changed = new Set();
  for (const [loc, qty] of [[m.from_location, m.from_qty], [m.to_location, m.to_qty]]) {
    if (loc.includes(":")) continue; // virtual locations (supplier, customer, loss) are not shelves
    stock.set(key(loc, m.sku, m.lot), { location: loc, sku: m.sku, lot: m.lot, qty });
    changed.add(key(loc, m.sku, m.lot));
  }
  const li = document.createElement("li");
  const kind = document.createElement("span"); kind.className = "kind"; kind.textContent = m.kind;
  li.append(kind, ` ${m.qty} × ${m.sku}${m.lot ? " (" + m.lot + ")" : ""}  ${m.from_location} → ${m.to_location}`);
  $("feed").prepend(li);
  while ($("feed").children.length > 100) $("feed").lastChild.remove();
  return changed;
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const since = lastSeq === null ? "" : `&since=${lastSeq}`;
  socket = new WebSocket(`${proto}://${location.host}/ws/stock?token=${encodeURIComponent(token)}${since}`);
  socket.onopen = () => setStatus("live", "on");
  socket.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "snapshot") {
      if (m.part === 0) stock.clear();
      for (const r of m.stock) stock.set(key(r.location, r.sku, r.lot), r);
      lastSeq = m.seq; render();
    } else if (m.type === "move") {
      if (lastSeq !== null && m.seq <= lastSeq) return;
      lastSeq = m.seq; render(applyMove(m));
    } else if (m.type === "resync") {
      setStatus("catching up", "warn");
    }
  };
  socket.onclose = (ev) => {
    if (ev.code === 1008 || ev.code === 4401) { signOut(); return; }
    setStatus("reconnecting", "warn");
    setTimeout(connect, 1000);
  };
}

function signOut() { sessionStorage.removeItem("jxc-token"); token = null; $("login").hidden = false; $("live").hidden = true; setStatus("signed out", "off"); }

function start() { $("login").hidden = true; $("live").hidden = false; connect(); }

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await fetch("/api/auth/token", { method: "POST", body: new URLSearchParams(new FormData(ev.target)) });
  const body = await res.json();
  if (!res.ok) { $("login-error").textContent = body.error?.message || "Sign-in failed."; $("login-error").hidden = false; return; }
  token = body.access_token; sessionStorage.setItem("jxc-token", token); start();
});
$("filter").addEventListener("input", () => render());
if (token) start();
