// Pick by scan on a handheld (or a keyboard-wedge scanner: it types the code and Enter).
// Scan the pick list's barcode, then at each location the location, then the item; every
// pick is answered by the server at once (wrong location, item or lot, over-pick).
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("jxc-token");
let list = null; // the pick list as the server last answered it
let here = null; // the location the picker is at (scanned)

const headers = () => ({ Authorization: `Bearer ${token}`, "content-type": "application/json" });

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function say(text, kind = "") { const m = $("message"); m.textContent = text; m.className = `message ${kind}`; }

function render() {
  $("head").hidden = !list;
  if (!list) { $("lines").replaceChildren(); return; }
  $("number").textContent = list.number;
  $("state").textContent = list.status;
  $("here").textContent = here || "—";
  $("next").textContent = list.next_location || "—";
  $("progress").textContent = `${list.lines_done} of ${list.lines_total} lines`;
  const nextLine = list.lines.find((l) => l.status === "open");
  $("lines").replaceChildren(...list.lines.filter((l) => l.status !== "cancelled").map((l) => {
    const tr = el("tr", l.status === "picked" ? "done" : l.status === "short" ? "short" : l === nextLine ? "next" : "");
    tr.dataset.line = l.id;
    const act = el("td");
    if (l.status === "open") {
      const b = el("button", "", "Short"); b.type = "button";
      b.addEventListener("click", () => short(l));
      act.append(b);
    }
    tr.append(el("td", "num", String(l.seq)), el("td", "loc", l.location), el("td", "sku", l.sku),
      el("td", "", l.lot || "—"), el("td", "num", String(l.qty)), el("td", "num", String(l.picked)), act);
    return tr;
  }));
}

async function call(method, path, body) {
  const res = await fetch(path, { method, headers: headers(), body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) { signOut("Your session has expired; sign in again."); throw new Error("signed out"); }
  return { ok: res.ok, data };
}

async function open(number) {
  const { ok, data } = await call("GET", `/api/pick-lists/${encodeURIComponent(number)}`);
  if (!ok) { say(data.error?.message || `No pick list ${number}.`, "error"); return; }
  list = data; here = null; render();
  say(list.status === "open" ? `Go to ${list.next_location}.` : `${list.number} is ${list.status}.`, "ok");
}

async function onScan(code) {
  const { data: what } = await call("GET", `/api/codes/resolve?code=${encodeURIComponent(code)}`);
  if (what.kind === "document" && what.document?.type === "pick_list") return open(what.document.number);
  if (!list) { say("Scan a pick list first (PK-…).", "error"); return; }
  if (what.kind === "location") {
    here = what.location.code; render();
    say(`At ${here}: scan the item.`); return;
  }
  if (!here) { say(`Scan the location first: go to ${list.next_location || "—"}.`, "error"); return; }
  const qty = $("qty").value ? Number($("qty").value) : undefined;
  const body = { event_id: crypto.randomUUID(), location: here, code, qty };
  const { ok, data } = await call("POST", `/api/pick-lists/${encodeURIComponent(list.number)}/scans`, body);
  if (!ok) { say(data.error?.message || "Refused.", "error"); return; }
  list = data.pick_list; $("qty").value = ""; render();
  const r = data.result;
  const done = list.status !== "open" ? " The list is picked." : list.next_location !== here ? ` Next: ${list.next_location}.` : "";
  say(`Picked ${r.qty} × ${r.product}${r.lot ? " lot " + r.lot : ""}.${done}`, "ok");
}

async function short(line) {
  const { ok, data } = await call("POST", `/api/pick-lists/${encodeURIComponent(list.number)}/lines/${line.id}/short`, { reason: "location empty" });
  if (!ok) { say(data.error?.message || "Refused.", "error"); return; }
  list = data; render();
  say(`Line ${line.seq} reported short; the rest was allocated again where possible.`, "ok");
}

function signOut(message = "") {
  sessionStorage.removeItem("jxc-token"); sessionStorage.removeItem("jxc-user");
  token = null; list = null; here = null; render();
  $("login").hidden = false; $("pick").hidden = true; $("signout").hidden = true; $("user").textContent = "";
  $("login-error").textContent = message; $("login-error").hidden = !message;
}

function start() {
  $("login").hidden = true; $("pick").hidden = false; $("signout").hidden = false;
  $("user").textContent = sessionStorage.getItem("jxc-user") || "";
  $("scan").focus();
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
$("scanner").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const code = $("scan").value.trim(); $("scan").value = "";
  if (code) await onScan(code).catch((e) => { if (e.message !== "signed out") say(String(e), "error"); });
  $("scan").focus();
});
$("signout").addEventListener("click", () => signOut());
if (token) start();
