"use strict";
// Review page behaviour. Transcript data is written to the page only through textContent.
(function () {
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const edits = data.edits;
  const els = Array.from(document.querySelectorAll(".edit[data-i]"));
  const elByIndex = new Map(els.map((el) => [Number(el.dataset.i), el]));
  const storeKey = "callfix-review:" + data.id;
  const player = document.getElementById("player");
  const clipPlayer = document.getElementById("clip-player");
  const $ = (id) => document.getElementById(id);
  let decisions = load();
  let current = null;  // index into edits

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(storeKey) || "{}");
      const known = new Set(edits.map((e) => e.id));
      const out = {};
      for (const [k, v] of Object.entries(saved.decisions || {})) {
        if (known.has(k) && (v === "accept" || v === "reject")) out[k] = v;
      }
      return out;
    } catch (err) {
      return {};
    }
  }

  function save() {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ decisions: decisions, saved: new Date().toISOString() }));
    } catch (err) {
      status("this browser does not keep the decisions: export them before closing the page", true);
    }
  }

  function inEffect(e) {
    const d = decisions[e.id];
    return d === "accept" || (d !== "reject" && e.decision === "applied");
  }

  function filters() {
    const classes = new Set(Array.from(document.querySelectorAll(".f-class:checked")).map((c) => c.value));
    return { classes: classes, undecided: $("f-undecided").checked, speaker: $("f-speaker").value };
  }

  function visible(i, f) {
    const e = edits[i];
    if (!f.classes.has(e.decision)) return false;
    if (f.undecided && decisions[e.id]) return false;
    if (f.speaker) {
      if (e.speaker) return e.speaker === f.speaker;
      const para = elByIndex.get(i).closest(".para");
      return para.dataset.speakers.split(" ").includes(f.speaker);
    }
    return true;
  }

  function refresh() {
    const f = filters();
    for (const [i, el] of elByIndex) {
      const e = edits[i];
      const on = inEffect(e);
      el.classList.toggle("on", on);
      el.classList.toggle("off", !on);
      el.classList.toggle("accepted", decisions[e.id] === "accept");
      el.classList.toggle("rejected", decisions[e.id] === "reject");
      const shown = visible(i, f);
      el.classList.toggle("filtered", !shown);
      el.tabIndex = shown ? 0 : -1;
    }
    for (const para of document.querySelectorAll(".para")) {
      para.hidden = Boolean(f.speaker) && !para.dataset.speakers.split(" ").includes(f.speaker) &&
        !Array.from(para.querySelectorAll(".edit")).some((el) => !el.classList.contains("filtered"));
    }
    const decided = edits.filter((e) => decisions[e.id]).length;
    const acc = edits.filter((e) => decisions[e.id] === "accept").length;
    const inView = els.filter((el) => !el.classList.contains("filtered")).length;
    $("progress").textContent = "Decided " + decided + " / " + edits.length + " (" + acc + " accepted, " +
      (decided - acc) + " rejected) · " + inView + " in view";
    $("progress-bar").max = Math.max(1, edits.length);
    $("progress-bar").value = decided;
    if (current !== null) showPanel(current);
  }

  function fmt(t) {
    if (t === null || t === undefined) return "–";
    const s = Math.round(t), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }

  function pretty(v) {
    if (Array.isArray(v)) return v.map(pretty).join(", ");
    if (v !== null && typeof v === "object") {
      return Object.entries(v).map(([k, x]) => k + ": " + pretty(x)).join("\n");
    }
    return String(v);
  }

  function fmtFine(t) {
    if (t === null || t === undefined) return "–";
    const whole = fmt(Math.floor(t));
    return whole + "." + String(Math.floor((t % 1) * 10));
  }

  function row(dl, key, value) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = key;
    dd.textContent = pretty(value);
    dl.append(dt, dd);
  }

  function showPanel(i) {
    const e = edits[i];
    $("panel-empty").hidden = true;
    $("panel-body").hidden = false;
    const badge = $("pe-class");
    badge.className = "badge " + e.decision;
    badge.textContent = e.decision;
    $("pe-kind").textContent = e.kind + " ·";
    const d = decisions[e.id];
    $("pe-state").textContent = d === "accept" ? "accepted" : d === "reject" ? "rejected" : "undecided";
    $("pe-vendor").textContent = e.vendor || "(nothing)";
    $("pe-repl").textContent = e.replacement || "(delete)";
    const facts = $("pe-facts");
    facts.replaceChildren();
    row(facts, "edit", e.id);
    row(facts, "time", fmtFine(e.start) + " – " + fmtFine(e.end));
    row(facts, "speaker", e.speakerLabel || e.speaker || "–");
    row(facts, "language", e.language);
    row(facts, "confidence", Number(e.confidence).toFixed(2));
    if (e.reason) row(facts, "reason", e.reason);
    const ev = $("pe-evidence");
    ev.replaceChildren();
    const entries = Object.entries(e.evidence || {});
    if (!entries.length) row(ev, "–", "no evidence recorded");
    for (const [k, v] of entries) row(ev, k, v);
  }

  function select(i, scroll) {
    if (current !== null) elByIndex.get(current).classList.remove("current");
    current = i;
    const el = elByIndex.get(i);
    el.classList.add("current");
    if (scroll) {
      el.scrollIntoView({ block: "center" });
      el.focus({ preventScroll: true });
    }
    showPanel(i);
  }

  function decide(i, value) {
    if (i === null) {
      status("select an edit first: click it, or press j", true);
      return;
    }
    const id = edits[i].id;
    if ($("status").className === "bad") status("", false);
    if (value) decisions[id] = value; else delete decisions[id];
    save();
    refresh();
  }

  function step(dir) {
    const f = filters();
    const order = els.map((el) => Number(el.dataset.i)).filter((i) => visible(i, f));
    if (!order.length) return;
    const pos = current === null ? -1 : order.indexOf(current);
    let next;
    if (pos === -1) {
      // after a filter change the current edit may be hidden: continue from its place in the document
      const docPos = current === null ? -1 : els.indexOf(elByIndex.get(current));
      const after = order.filter((i) => els.indexOf(elByIndex.get(i)) > docPos);
      next = dir > 0 ? (after[0] ?? order[order.length - 1]) : (order.filter((i) => !after.includes(i)).pop() ?? order[0]);
    } else {
      next = order[Math.min(order.length - 1, Math.max(0, pos + dir))];
    }
    select(next, true);
  }

  function playFrom(t) {
    if (!player || t === null || t === undefined) return false;
    player.currentTime = Math.max(0, t - 0.5);
    player.play().catch(() => { $("audio-status").textContent = "press play to start the audio"; });
    return true;
  }

  function playEdit(i) {
    const e = edits[i];
    const where = data.clipOf[e.id];
    if (where && clipPlayer) {
      if (player) player.pause();
      const src = data.clips[where[0]];
      const start = () => { clipPlayer.currentTime = where[1]; clipPlayer.play().catch(() => {}); };
      if (clipPlayer.getAttribute("src") !== src) {
        clipPlayer.src = src;
        clipPlayer.addEventListener("loadedmetadata", start, { once: true });
      } else {
        start();
      }
      return;
    }
    playFrom(e.start);
  }

  function markPlaying(para) {
    for (const p of document.querySelectorAll(".para.playing")) p.classList.remove("playing");
    if (para) para.classList.add("playing");
  }

  document.getElementById("doc").addEventListener("click", (ev) => {
    if (String(window.getSelection() || "")) return;  // selecting text is not a request to listen
    const el = ev.target.closest(".edit[data-i]");
    if (el && !el.classList.contains("filtered")) {
      const i = Number(el.dataset.i);
      select(i, false);
      playEdit(i);
      markPlaying(el.closest(".para"));
      return;
    }
    const para = ev.target.closest(".para");
    if (para && para.dataset.start !== undefined && playFrom(Number(para.dataset.start))) markPlaying(para);
  });

  document.getElementById("doc").addEventListener("mouseover", (ev) => {
    const el = ev.target.closest(".edit[data-i]");
    if (el && !el.classList.contains("filtered")) showPanel(Number(el.dataset.i));
  });
  document.getElementById("doc").addEventListener("mouseleave", () => { if (current !== null) showPanel(current); });
  document.getElementById("doc").addEventListener("focusin", (ev) => {
    const el = ev.target.closest(".edit[data-i]");
    if (el && Number(el.dataset.i) !== current) select(Number(el.dataset.i), false);
  });

  $("btn-accept").addEventListener("click", () => decide(current, "accept"));
  $("btn-reject").addEventListener("click", () => decide(current, "reject"));
  $("btn-undo").addEventListener("click", () => decide(current, null));
  $("btn-play").addEventListener("click", () => { if (current !== null) playEdit(current); });
  for (const box of document.querySelectorAll(".f-class, #f-undecided, #f-speaker")) box.addEventListener("change", refresh);

  $("accept-applied").addEventListener("click", () => {
    for (const e of edits) if (e.decision === "applied" && !decisions[e.id]) decisions[e.id] = "accept";
    save();
    refresh();
  });

  $("clear").addEventListener("click", () => {
    if (!Object.keys(decisions).length || !window.confirm("Forget all " + Object.keys(decisions).length + " decisions?")) return;
    decisions = {};
    save();
    refresh();
  });

  $("export").addEventListener("click", () => {
    const body = JSON.stringify({ transcript: data.id, decisions: decisions }, null, 1);
    const url = URL.createObjectURL(new Blob([body], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "decisions.json";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    status("exported " + Object.keys(decisions).length + " decisions to decisions.json", false);
  });

  function status(msg, bad) {
    $("status").textContent = msg;
    $("status").className = bad ? "bad" : "";
  }

  $("import").addEventListener("click", () => $("import-file").click());
  $("import-file").addEventListener("change", async () => {
    const file = $("import-file").files[0];
    $("import-file").value = "";
    if (!file) return;
    let body;
    try {
      body = JSON.parse(await file.text());
    } catch (err) {
      status(file.name + ": not valid JSON", true);
      return;
    }
    if (!body || typeof body.decisions !== "object" || body.decisions === null) {
      status(file.name + ": not a decisions file", true);
      return;
    }
    if (body.transcript !== data.id) {
      status(file.name + ": decisions are for transcript " + body.transcript + ", this page is " + data.id, true);
      return;
    }
    const known = new Set(edits.map((e) => e.id));
    let n = 0;
    for (const [k, v] of Object.entries(body.decisions)) {
      if (known.has(k) && (v === "accept" || v === "reject")) { decisions[k] = v; n++; }
    }
    save();
    refresh();
    status("imported " + n + " decisions from " + file.name, false);
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target.closest && ev.target.closest("input, select, textarea")) return;
    const keys = {
      j: () => step(1), k: () => step(-1),
      a: () => decide(current, "accept"), r: () => decide(current, "reject"), u: () => decide(current, null),
      p: () => { if (current !== null) playEdit(current); },
    };
    const fn = keys[ev.key];
    if (fn) { ev.preventDefault(); fn(); }
  });

  if (player) {
    player.addEventListener("error", () => {
      $("audio-status").textContent = "the call audio could not be loaded from " + player.getAttribute("src");
    });
  }

  // keep the evidence panel just below the sticky header
  const fit = () => { $("panel").style.top = (document.getElementById("bar").offsetHeight + 12) + "px"; };
  window.addEventListener("resize", fit);
  fit();
  refresh();
})();
