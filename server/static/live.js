// Live stock: a snapshot, then every committed move; reconnects with since=<last seq>.
"use strict";
const $ = (id) => document.getElementById(id);
const stock = new Map(); // "location|sku|lot" -> {location, sku, lot, qty}
const names = new Map(); // sku -> product name
let token = sessionStorage.getItem("jxc-token");
let lastSeq = null;
let socket = null;
let retryMs = 1000;

const key = (location, sku, lot) => `${location}|${sku}|${lot || ""}`;
const auth = () => ({ headers: { Authorization: `Bearer ${token}` } });

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function setStatus(text, cls) { const s = $("status"); s.textContent = text; s.className = `status ${cls}`; }

let pending = null; // keys changed since the last paint: one repaint per frame, however busy
function schedule(changed = []) {
  if (pending === null) { pending = new Set(); requestAnimationFrame(() => { const keys = pending; pending = null; render(keys); }); }
  for (const k of changed) pending.add(k);
}

function render(flashKeys = new Set()) {
  const filter = $("filter").value.trim().toLowerCase();
  const all = [...stock.values()].filter((r) => r.qty !== 0);
  const rows = all
    .filter((r) => !filter || `${r.location} ${r.sku} ${names.get(r.sku) || ""} ${r.lot || ""}`.toLowerCase().includes(filter))
    .sort((a, b) => a.location.localeCompare(b.location) || a.sku.localeCompare(b.sku) || (a.lot || "").localeCompare(b.lot || ""));
  const trs = rows.map((r) => {
    const tr = el("tr", flashKeys.has(key(r.location, r.sku, r.lot)) ? "flash" : "");
    tr.append(el("td", "loc", r.location), el("td", "sku", r.sku), el("td", "name", names.get(r.sku) || ""),
      el("td", "", r.lot || "—"), el("td", "num", String(r.qty)));
    return tr;
  });
  if (!trs.length) {
    const td = el("td", "empty", all.length ? "Nothing matches the filter." : "No stock on hand yet.");
    td.colSpan = 5; const tr = el("tr", "empty"); tr.append(td); trs.push(tr);
  }
  $("stock").replaceChildren(...trs);
  const shown = rows.length === all.length ? `${all.length} lines` : `${rows.length} of ${all.length} lines`;
  $("summary").textContent = `${shown} · seq ${lastSeq ?? "—"}`;
}

function place(loc) { // virtual locations ("WH1:CUSTOMER") are not shelves: show them muted
  const i = loc.indexOf(":");
  return i < 0 ? el("span", "loc", loc) : el("span", "virtual", loc.slice(i + 1).toLowerCase());
}

function applyMove(m) {
  const changed = new Set();
  for (const [loc, qty] of [[m.from_location, m.from_qty], [m.to_location, m.to_qty]]) {
    if (loc.includes(":")) continue;
    stock.set(key(loc, m.sku, m.lot), { location: loc, sku: m.sku, lot: m.lot, qty });
    changed.add(key(loc, m.sku, m.lot));
  }
  if (!names.has(m.sku)) lookUp(m.sku);
  const when = m.applied_at ? new Date(m.applied_at) : new Date();
  const li = el("li");
  const what = el("div", "what");
  what.append(el("span", `kind ${m.kind}`, m.kind), el("b", "", `${m.qty} × ${m.sku}`));
  if (m.lot) what.append(el("span", "lot", m.lot));
  const where = el("div", "where");
  where.append(place(m.from_location), " → ", place(m.to_location));
  li.append(el("time", "", when.toLocaleTimeString([], { hour12: false })), what, where);
  $("feed").prepend(li);
  while ($("feed").children.length > 100) $("feed").lastChild.remove();
  return changed;
}

async function loadNames() { // the product catalogue, a page at a time; rows show names as they come
  for (let offset = 0; token; offset += 1000) {
    const res = await fetch(`/api/products?limit=1000&offset=${offset}`, auth());
    if (!res.ok) return;
    const page = await res.json();
    for (const p of page) names.set(p.sku, p.name);
    schedule();
    if (page.length < 1000) return;
  }
}

async function lookUp(sku) { // a product created after sign-in
  names.set(sku, "");
  const res = await fetch(`/api/products/${encodeURIComponent(sku)}`, auth());
  if (res.ok) { names.set(sku, (await res.json()).name); schedule(); }
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const since = lastSeq === null ? "" : `&since=${lastSeq}`;
  const ws = new WebSocket(`${proto}://${location.host}/ws/stock?token=${encodeURIComponent(token)}${since}`);
  let opened = false;
  socket = ws;
  ws.onopen = () => { opened = true; retryMs = 1000; setStatus("live", "on"); };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "snapshot") {
      if (m.part === 0) stock.clear();
      for (const r of m.stock) stock.set(key(r.location, r.sku, r.lot), r);
      lastSeq = m.seq; schedule();
    } else if (m.type === "move") {
      if (lastSeq !== null && m.seq <= lastSeq) return;
      lastSeq = m.seq; schedule(applyMove(m));
    } else if (m.type === "resync") {
      setStatus("catching up", "warn"); retryMs = 0; // the server closes; come back at once
    }
  };
  ws.onclose = async () => {
    if (socket !== ws) return; // signed out, or replaced
    setStatus("reconnecting", "warn");
    // A refused handshake (bad or expired token) looks like any other failure: ask the API.
    if (!opened) {
      const res = await fetch("/api/users/me", auth()).catch(() => null);
      if (socket !== ws) return;
      if (res && res.status === 401) { signOut("Your session has expired; sign in again."); return; }
    }
    setTimeout(() => { if (socket === ws) connect(); }, retryMs);
    retryMs = Math.min(Math.max(retryMs * 2, 1000), 15000);
  };
}

function signOut(message = "") {
  sessionStorage.removeItem("jxc-token"); sessionStorage.removeItem("jxc-user");
  token = null; lastSeq = null; stock.clear(); $("feed").replaceChildren(); $("filter").value = "";
  const ws = socket; socket = null; if (ws) ws.close();
  $("login").hidden = false; $("live").hidden = true; $("signout").hidden = true; $("user").textContent = "";
  $("login-error").textContent = message; $("login-error").hidden = !message;
  setStatus("signed out", "off");
}

function start() {
  $("login").hidden = true; $("live").hidden = false; $("signout").hidden = false;
  $("user").textContent = sessionStorage.getItem("jxc-user") || "";
  setStatus("connecting", "warn"); render(); connect(); loadNames();
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const res = await fetch("/api/auth/token", { method: "POST", body: new URLSearchParams(form) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) { $("login-error").textContent = body.error?.message || "Sign-in failed."; $("login-error").hidden = false; return; }
  token = body.access_token; sessionStorage.setItem("jxc-token", token); sessionStorage.setItem("jxc-user", form.get("username"));
  ev.target.password.value = ""; $("login-error").hidden = true; start();
});
$("signout").addEventListener("click", () => signOut());
$("filter").addEventListener("input", () => render());
if (token) start();
