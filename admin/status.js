"use strict";
// Refreshes the status page from GET /mgmt/status every 2 s, rendering
// what the server's template renders, with the same formats (status.go).
// One request at a time: the next is scheduled when the last one ends.
(() => {
  const period = 2000, timeout = 5000;
  const $ = (id) => document.getElementById(id);
  const set = (id, v) => { $(id).textContent = String(v); };
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const row = (...cells) => {
    const tr = document.createElement("tr");
    for (const c of cells) tr.appendChild(c);
    return tr;
  };
  const td = (v, cls) => el("td", v, cls);
  const tdCode = (v) => { const c = td(); c.appendChild(el("code", v)); return c; };
  const tdNone = (text) => { const c = td(text, "muted"); c.colSpan = 3; return c; };
  const when = (at) => at.replace("T", " ").replace("Z", " UTC");
  const yesno = (b) => (b ? "yes" : "no");
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  const bytes = (n) => {
    let i = 0, v = n;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return i === 0 ? n + " B" : v.toFixed(1) + " " + units[i];
  };
  const role = (r) => el("span", r, "role role-" + r);

  function render(v) {
    document.title = "raftcache " + v.node + " · " + v.role;
    set("node", v.node);
    const r = $("role");
    r.textContent = v.role;
    r.className = "role role-" + v.role;
    set("time", when(v.time));
    set("leader", v.leader || "none");
    set("term", v.term);
    set("commit", v.commit);
    set("applied", v.applied);
    set("backlog", v.backlog);
    set("progress", v.progress ? "match and lag as the leader knows them"
      : "match and lag unknown: the leader cannot be asked");

    $("members").tBodies[0].replaceChildren(...v.members.map((m) => {
      const id = tdCode(m.id);
      if (m.self) id.append(" ", el("span", "this node", "muted"));
      const reach = td();
      reach.append(el("span", undefined, "dot " + (m.reachable ? "up" : "down")), yesno(m.reachable));
      const rc = td();
      rc.appendChild(role(m.role));
      const tr = row(id, rc, td(yesno(m.voter)), reach, td(m.raft), td(m.api), td(m.resp),
        td(v.progress ? m.match : "—", "num"), td(m.lag === null ? "—" : m.lag, "num lag"));
      tr.dataset.id = m.id;
      if (m.self) tr.className = "self";
      return tr;
    }));

    set("keys", v.keys);
    $("dbs").tBodies[0].replaceChildren(...(v.dbs.length === 0 ? [row(tdNone("no keys"))]
      : v.dbs.map((d) => row(td("db" + d.db), td(d.keys, "num"), td(d.expires, "num")))));

    set("mem-used", bytes(v.memory.used));
    set("mem-max", v.memory.maxmemory ? bytes(v.memory.maxmemory) : "no limit");
    set("mem-policy", v.memory.policy);
    const bar = $("mem-bar");
    bar.hidden = !v.memory.maxmemory;
    bar.max = v.memory.maxmemory;
    bar.high = v.memory.maxmemory * 0.9;
    bar.value = v.memory.used;

    set("changes-total", v.leader_changes_total);
    $("changes").tBodies[0].replaceChildren(...(v.leader_changes.length === 0 ? [row(tdNone("none yet"))]
      : v.leader_changes.map((c) => {
        const t = td();
        t.appendChild(el("time", when(c.at)));
        return row(t, td(c.term, "num"), tdCode(c.leader));
      })));
  }

  async function refresh() {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeout);
    try {
      const resp = await fetch(location.origin + "/mgmt/status", {
        headers: { Accept: "application/json" }, cache: "no-store", signal: ctl.signal,
      });
      const body = await resp.json().catch(() => ({}));
      if (!resp.ok) throw new Error(resp.status + " " + (body.error || resp.statusText));
      render(body);
      set("error", "");
      document.body.classList.remove("stale");
      const p = $("refresh");
      p.dataset.refreshes = Number(p.dataset.refreshes) + 1;
    } catch (e) {
      // Keep the last figures, greyed out, and say why they are old.
      set("error", "· refresh failed at " + new Date().toISOString().slice(11, 19) + " UTC: "
        + (e.name === "AbortError" ? "no answer in " + timeout / 1000 + " s" : e.message));
      document.body.classList.add("stale");
    } finally {
      clearTimeout(timer);
      setTimeout(refresh, period);
    }
  }
  setTimeout(refresh, period);
})();
