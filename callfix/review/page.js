"use strict";
// Review page behaviour. Transcript data is written to the page only through textContent and .value.
(function () {
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const edits = data.edits;
  const $ = (id) => document.getElementById(id);
  const doc = $("doc");
  const els = Array.from(document.querySelectorAll(".edit[data-i]"));
  const elByIndex = new Map(els.map((el) => [Number(el.dataset.i), el]));
  const docPos = new Map(els.map((el, n) => [Number(el.dataset.i), n]));
  const paraEls = Array.from(document.querySelectorAll(".para"));
  const paraByIndex = new Map(paraEls.map((p) => [Number(p.dataset.index), p]));
  const paraData = new Map(data.paragraphs.map((p) => [p.index, p]));
  const storeKey = "callfix-review:" + data.id;
  const player = $("player");
  const clipPlayer = $("clip-player");
  const narrow = window.matchMedia("(max-width: 1000px)");
  const baseLabels = new Map(data.speakers.map((s) => [s.id, s.label]));

  // --- state: decisions, speaker fixes, what was last exported -------------------------------------
  let decisions = {};     // edit id -> "accept" | "reject" | {decision: "accept", text}
  let names = {};         // speaker id -> the editor's name for it (renamed or added)
  let paraSpeakers = {};  // paragraph index -> speaker id
  let exported = "";      // signature of the last export/import: unsaved work warns before unload
  let current = null;     // index into edits: the one edit the panel shows and the keys act on
  let armed = null;       // a resource edit waiting for the editor to confirm its accept
  let lastPlayed = null;  // the edit the player last started from (Space resumes instead of restarting)

  function choiceOf(id) {
    const d = decisions[id];
    return d && typeof d === "object" ? d.decision : d;
  }
  function ownText(id) {
    const d = decisions[id];
    return d && typeof d === "object" && typeof d.text === "string" ? d.text : null;
  }
  function validDecision(v) {
    return v === "accept" || v === "reject" ||
      (v && typeof v === "object" && (v.decision === "accept" || v.decision === "reject") &&
       (v.text === undefined || (typeof v.text === "string" && v.decision === "accept")));
  }
  function cleanDecision(v) {
    return typeof v === "string" ? v : (typeof v.text === "string" ? { decision: "accept", text: v.text } : v.decision);
  }
  const knownEdits = new Set(edits.map((e) => e.id));
  const speakerId = /^[A-Za-z0-9_.-]{1,64}$/;

  function merge(saved) {
    let n = 0;
    for (const [k, v] of Object.entries(saved.decisions || {})) {
      if (knownEdits.has(k) && validDecision(v)) { decisions[k] = cleanDecision(v); n++; }
    }
    for (const [k, v] of Object.entries(saved.speakers || {})) {
      if (speakerId.test(k) && typeof v === "string" && v.trim()) names[k] = v.trim().slice(0, 200);
    }
    const ps = saved.paragraph_speakers || saved.paragraphSpeakers || {};
    for (const [k, v] of Object.entries(ps)) {
      if (paraData.has(Number(k)) && typeof v === "string" && (baseLabels.has(v) || names[v])) paraSpeakers[k] = v;
    }
    return n;
  }

  function body() {
    const out = { transcript: data.id, decisions: decisions };
    if (Object.keys(names).length) out.speakers = names;
    if (Object.keys(paraSpeakers).length) out.paragraph_speakers = paraSpeakers;
    return out;
  }
  const signature = () => JSON.stringify(body());

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(storeKey) || "{}");
      merge(saved);
      exported = typeof saved.exported === "string" ? saved.exported : signature();
    } catch (err) {
      exported = signature();
    }
  }

  function save() {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ ...body(), exported: exported, saved: new Date().toISOString() }));
    } catch (err) {
      status("this browser does not keep the decisions: export them before closing the page", true);
    }
  }

  // --- what is in effect, who speaks, what is in view -----------------------------------------------
  function inEffect(e) {
    const d = choiceOf(e.id);
    if (d === "accept") return true;
    if (d === "reject") return false;
    return e.kind === "resource" || e.decision === "applied";
  }

  function speakersOf(index) {
    if (paraSpeakers[index]) return [paraSpeakers[index]];
    return paraData.get(index).speakers;
  }
  function labelOf(sid) { return names[sid] || baseLabels.get(sid) || sid; }
  function whoOf(index) {
    const ids = speakersOf(index);
    if (ids.length) return ids.map(labelOf).join(" / ");
    return paraData.get(index).vendorSpeaker || "unknown speaker";
  }
  function allSpeakers() {
    const ids = data.speakers.map((s) => s.id);
    for (const k of Object.keys(names)) if (!ids.includes(k)) ids.push(k);
    return ids;
  }

  function filters() {
    const classes = new Set(Array.from(document.querySelectorAll(".f-class:checked")).map((c) => c.value));
    return { classes: classes, undecided: $("f-undecided").checked, speaker: $("f-speaker").value,
             query: $("search").value.trim().toLowerCase() };
  }

  const paraText = new Map(paraEls.map((p) => [Number(p.dataset.index),
    Array.from(p.querySelectorAll(".text")).map((t) => t.textContent).join(" ").toLowerCase()]));
  function editMatches(e, q) {
    return [e.vendor, e.replacement, e.reason, ownText(e.id) || "", e.kindLabel]
      .some((s) => String(s || "").toLowerCase().includes(q));
  }
  function paraMatches(index, q) {
    return paraText.get(index).includes(q) || whoOf(index).toLowerCase().includes(q);
  }
  function speaks(index, sid) { return speakersOf(index).includes(sid); }

  function visible(i, f) {
    const e = edits[i];
    if (!f.classes.has(e.decision)) return false;
    if (f.undecided && choiceOf(e.id)) return false;
    if (f.speaker && !speaks(e.paragraph, f.speaker)) return false;
    if (f.query && !editMatches(e, f.query) && !paraMatches(e.paragraph, f.query)) return false;
    return true;
  }

  function refresh() {
    const f = filters();
    for (const [i, el] of elByIndex) {
      const e = edits[i];
      const on = inEffect(e);
      el.classList.toggle("on", on);
      el.classList.toggle("off", !on);
      el.classList.toggle("accepted", choiceOf(e.id) === "accept");
      el.classList.toggle("rejected", choiceOf(e.id) === "reject");
      const own = ownText(e.id);
      const ins = el.querySelector(":scope > ins");
      if (ins) {
        const want = own !== null ? own : e.replacement;
        if (ins.textContent !== want) ins.textContent = want;
        ins.classList.toggle("own", own !== null);
      }
      el.classList.toggle("deletion", Boolean(e.vendor) && !(own !== null ? own.trim() : e.replacement));
      const shown = visible(i, f);
      el.classList.toggle("filtered", !shown);
      el.tabIndex = shown ? 0 : -1;
    }
    let paras = 0;
    for (const para of paraEls) {
      const index = Number(para.dataset.index);
      const hasEdit = Array.from(para.querySelectorAll(".edit")).some((el) => !el.classList.contains("filtered"));
      let hide = Boolean(f.speaker) && !speaks(index, f.speaker) && !hasEdit;
      if (f.query && !hasEdit && !paraMatches(index, f.query)) hide = true;
      para.hidden = hide;
      if (!hide) paras++;
      const who = para.querySelector("button.who");
      if (who) {
        who.textContent = whoOf(index);
        who.classList.toggle("changed-speaker", Boolean(paraSpeakers[index]));
      }
    }
    $("search-count").textContent = f.query ? paras + " paragraphs match" : "";
    // progress counts the edits in view: what the editor can act on under the filters
    // ("undecided only" is left out, so the bar fills as the editor works through the view)
    const inView = edits.filter((e, i) => visible(i, { ...f, undecided: false }));
    const decided = inView.filter((e) => choiceOf(e.id)).length;
    const acc = inView.filter((e) => choiceOf(e.id) === "accept").length;
    $("progress").textContent = "Decided " + decided + " / " + inView.length + " in view (" + acc + " accepted, " +
      (decided - acc) + " rejected)";
    $("progress-bar").max = Math.max(1, inView.length);
    $("progress-bar").value = decided;
    if (current !== null && !visible(current, f)) unselect("the selected edit is hidden by the filters");
    else if (current !== null) showPanel(current);
    speakerControls();
    saveFit();
  }

  // --- the panel: always the selected edit --------------------------------------------------------
  function fmt(t) {
    if (t === null || t === undefined) return "–";
    const s = Math.round(t), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }
  function fmtFine(t) {
    if (t === null || t === undefined) return "–";
    return fmt(Math.floor(t)) + "." + String(Math.floor((t % 1) * 10));
  }
  function confidence(c) {
    const word = c >= 0.8 ? "high" : c >= 0.5 ? "medium" : "low";
    return Math.round(100 * c) + "% confident (" + word + ")";
  }
  const STATE = { accept: "accepted", reject: "rejected" };

  function showPanel(i) {
    const e = edits[i];
    const resource = e.kind === "resource";
    $("panel-empty").hidden = true;
    $("panel-body").hidden = false;
    const badge = $("pe-class");
    badge.className = "badge " + e.decision;
    badge.textContent = e.decision;
    $("pe-kind").textContent = e.kindLabel + " ·";
    const d = choiceOf(e.id);
    const own = ownText(e.id);
    $("pe-state").textContent = (STATE[d] || "undecided") + (own !== null ? " with your text" : "");
    $("pe-where").textContent = fmtFine(e.start) + " · " + (labelOf(speakersOf(e.paragraph)[0] || e.speaker || "") || "–");
    $("pe-vendor").textContent = resource ? "the vendor's English, kept" : (e.vendor || "(nothing)");
    $("pe-vendor").classList.toggle("keep", resource);
    document.querySelector("#panel .change .arrow").textContent = resource ? "+ beside it:" : "→";
    const repl = own !== null ? own : e.replacement;
    $("pe-repl").textContent = resource ? repl : (repl || "(delete)");
    const note = $("pe-note");
    note.hidden = !resource;
    if (resource) {
      note.textContent = "Accepting keeps the vendor's English and adds this Mandarin transcript beside it in the " +
        "final transcript; rejecting leaves the Mandarin out. Type a corrected Mandarin text to use it instead.";
    }
    $("btn-next").firstChild.textContent = resource ? "Add Mandarin & next " : "Accept & next ";
    $("btn-accept").firstChild.textContent = resource ? "Add beside English " : "Accept ";
    const input = $("pe-text");
    if (document.activeElement !== input || input.dataset.for !== e.id) {
      input.value = repl;
      input.dataset.for = e.id;
    }
    input.setAttribute("aria-label", resource ? "your Mandarin text" : "your replacement text");
    $("pe-confirm").hidden = armed !== i;
    $("pe-confidence").textContent = confidence(Number(e.confidence));
    $("pe-reason").textContent = e.reason || "";
    const ev = $("pe-evidence");
    ev.replaceChildren();
    if (!e.evidence.length) e.evidence.push(["–", "no evidence recorded"]);
    for (const [k, v] of e.evidence) {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = k;
      dd.textContent = v;
      ev.append(dt, dd);
    }
  }

  function unselect(why) {
    if (current !== null) elByIndex.get(current).classList.remove("current");
    current = null;
    armed = null;
    $("panel-body").hidden = true;
    $("panel-empty").hidden = false;
    if (why) status(why, false);
  }

  // keep an element in the part of the window that the sticky player and the decision bar leave free
  // (a click only scrolls when the decision bar would cover the edit)
  function reveal(el, always) {
    const top = $("transport").getBoundingClientRect().bottom + 8;
    const panel = $("panel");
    const bottom = (narrow.matches ? panel.getBoundingClientRect().top : window.innerHeight) - 8;
    const r = el.getBoundingClientRect();
    if (r.top >= top && r.bottom <= bottom) return;
    if (!always && !narrow.matches) return;
    const room = bottom - top;
    const y = window.scrollY + r.top - top - Math.max(0, (room - r.height) / 3);
    window.scrollTo({ top: Math.max(0, y), behavior: "instant" });
  }

  function select(i, scroll) {
    if (current !== null && elByIndex.get(current)) elByIndex.get(current).classList.remove("current");
    if (armed !== i) armed = null;
    current = i;
    const el = elByIndex.get(i);
    el.classList.add("current");
    if (document.activeElement !== el) el.focus({ preventScroll: true });
    showPanel(i);
    fit();
    reveal(el, scroll);
  }

  function decide(i, value, text) {
    if (i === null) {
      status("select an edit first: click it, or press j", true);
      return false;
    }
    if (!visible(i, { ...filters(), undecided: false })) {
      status("that edit is hidden by the filters", true);
      return false;
    }
    const e = edits[i];
    if (value === "accept" && e.kind === "resource" && text === undefined && choiceOf(e.id) !== "accept" && armed !== i) {
      armed = i;  // adding Mandarin to the final text is asked twice
      $("pe-confirm-text").textContent = "Add this Mandarin transcript beside the English? The English stays.";
      showPanel(i);
      fit();
      return false;
    }
    armed = null;
    if ($("status").className === "bad") status("", false);
    if (text === undefined && value === "accept") text = ownText(e.id);  // accepting again keeps the editor's text
    if (!value) delete decisions[e.id];
    else if (value === "accept" && text !== undefined && text !== null && text !== e.replacement) {
      decisions[e.id] = { decision: "accept", text: text };
    } else decisions[e.id] = value;
    save();
    refresh();
    if (current === null && filters().undecided) {  // the decided edit left the view: go on
      status("", false);
      step(1, i);
    }
    return true;
  }

  function order() {
    const f = filters();
    return els.map((el) => Number(el.dataset.i)).filter((i) => visible(i, f));
  }

  function step(dir, from) {
    const list = order();
    if (!list.length) { status("no edit in view", true); return; }
    const at = from !== undefined ? from : current;
    let next;
    if (at === null) {
      next = dir > 0 ? list[0] : list[list.length - 1];
    } else {
      const pos = docPos.get(at);
      next = dir > 0 ? list.find((i) => docPos.get(i) > pos) : list.filter((i) => docPos.get(i) < pos).pop();
      if (next === undefined) { status(dir > 0 ? "last edit in view" : "first edit in view", false); next = at; }
    }
    if (elByIndex.get(next).classList.contains("filtered")) return;
    select(next, true);
  }

  function acceptAndNext(text) {
    const i = current;
    if (decide(i, "accept", text)) step(1, i);
  }

  // --- audio ---------------------------------------------------------------------------------------
  const audioUrls = data.audio || [];
  let urlAt = 0;
  if (player) {
    player.addEventListener("error", () => {
      if (urlAt + 1 < audioUrls.length) {
        urlAt++;
        player.src = audioUrls[urlAt];  // the folder moved: try beside the page, one up, the absolute place
        return;
      }
      $("audio-status").textContent = "the call audio could not be loaded (tried " + audioUrls.join(", ") + ")";
    });
  }

  function playFrom(t, lead) {
    if (!player || t === null || t === undefined) return false;
    player.currentTime = Math.max(0, t - (lead === undefined ? 0.5 : lead));
    player.play().catch(() => { $("audio-status").textContent = "press play to start the audio"; });
    tick();
    return true;
  }

  function clipAt(t) {
    for (const [cid, span] of Object.entries(data.clipSpans || {})) if (t >= span[0] && t < span[1]) return [cid, t - span[0]];
    return null;
  }

  let clipStart = 0;  // where the loaded clip starts in the call, to follow its words
  function playClip(cid, offset) {
    if (!clipPlayer) return false;
    const src = data.clips[cid];
    clipStart = (data.clipSpans[cid] || [0])[0];
    const start = () => { clipPlayer.currentTime = offset; clipPlayer.play().catch(() => {}); };
    if (clipPlayer.getAttribute("src") !== src) {
      clipPlayer.src = src;
      clipPlayer.addEventListener("loadedmetadata", start, { once: true });
    } else {
      start();
    }
    return true;
  }

  function playEdit(i) {
    const e = edits[i];
    lastPlayed = i;
    const where = data.clipOf[e.id];
    if (where) return playClip(where[0], where[1]);
    return playFrom(e.start);
  }

  function playWord(t) {
    if (player) return playFrom(t, 0.15);
    const at = clipAt(t);
    return at ? playClip(at[0], Math.max(0, at[1] - 0.15)) : false;
  }

  function activePlayer() { return player || (clipPlayer && clipPlayer.getAttribute("src") ? clipPlayer : null); }

  function togglePlay() {
    const a = activePlayer();
    if (a && !a.paused) { a.pause(); return; }
    if (current !== null && lastPlayed !== current) { playEdit(current); return; }
    if (a) a.play().catch(() => {});
    else if (current !== null) playEdit(current);
  }

  function seek(delta) {
    const a = activePlayer();
    if (a) { a.currentTime = Math.max(0, a.currentTime + delta); tick(); }
  }

  function rate(delta) {
    const a = activePlayer();
    if (!a) return;
    const r = delta === 0 ? 1 : Math.min(3, Math.max(0.5, Math.round((a.playbackRate + delta) * 100) / 100));
    a.playbackRate = r;
    if ($("rate")) $("rate").textContent = r + "×";
    status("speed " + r + "×", false);
  }

  // the word being spoken: words sorted by start time, found by binary search
  const words = Array.from(doc.querySelectorAll("[data-t]")).map((el) => [Number(el.dataset.t), el])
    .sort((a, b) => a[0] - b[0]);
  let nowWord = null, nowPara = null;
  function markWord(t) {
    let lo = 0, hi = words.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (words[mid][0] <= t) lo = mid + 1; else hi = mid; }
    const w = lo > 0 && t - words[lo - 1][0] < 2.5 ? words[lo - 1][1] : null;
    if (w !== nowWord) {
      if (nowWord) nowWord.classList.remove("now");
      if (w) w.classList.add("now");
      nowWord = w;
    }
    const para = w ? w.closest(".para") : paraEls.find((p) => {
      const d = paraData.get(Number(p.dataset.index));
      return d.start !== null && d.end !== null && t >= d.start && t < d.end;
    }) || null;
    if (para !== nowPara) {
      if (nowPara) nowPara.classList.remove("playing");
      if (para) para.classList.add("playing");
      nowPara = para;
    }
  }
  function tick() {
    if (player) markWord(player.currentTime);
  }
  let raf = 0;
  function loop() {
    tick();
    raf = player && !player.paused ? requestAnimationFrame(loop) : 0;
  }
  if (clipPlayer) clipPlayer.addEventListener("timeupdate", () => markWord(clipStart + clipPlayer.currentTime));
  if (player) {
    player.addEventListener("play", () => { if (!raf) raf = requestAnimationFrame(loop); });
    player.addEventListener("seeked", tick);
    player.addEventListener("timeupdate", () => { if (!raf) tick(); });
  }

  // --- speakers ------------------------------------------------------------------------------------
  function speakerControls() {
    const ids = allSpeakers();
    const sel = $("f-speaker");
    const keep = sel.value;
    if (sel.options.length - 1 !== ids.length || ids.some((sid, n) => sel.options[n + 1].textContent !== labelOf(sid))) {
      sel.replaceChildren(new Option("all speakers", ""), ...ids.map((sid) => new Option(labelOf(sid), sid)));
      sel.value = keep;
    }
    $("speaker-summary").textContent = "(" + ids.length + "): " + ids.map(labelOf).join(", ");
    const list = $("speaker-list");
    if (list.childElementCount !== ids.length * 3) {
      list.replaceChildren();
      for (const sid of ids) {
        const id = document.createElement("code");
        id.textContent = sid;
        const input = document.createElement("input");
        input.type = "text";
        input.dataset.speaker = sid;
        input.setAttribute("aria-label", "name of " + sid);
        input.value = labelOf(sid);
        input.addEventListener("change", () => rename(sid, input.value));
        const count = document.createElement("span");
        count.className = "note";
        count.dataset.count = sid;
        list.append(id, input, count);
      }
    }
    for (const sid of ids) {
      const n = data.paragraphs.filter((p) => speaks(p.index, sid)).length;
      const c = list.querySelector('[data-count="' + CSS.escape(sid) + '"]');
      if (c) c.textContent = n + (n === 1 ? " paragraph" : " paragraphs");
      const input = list.querySelector('input[data-speaker="' + CSS.escape(sid) + '"]');
      if (input && document.activeElement !== input) input.value = labelOf(sid);
    }
  }

  function rename(sid, value) {
    const name = value.trim().slice(0, 200);
    if (!name || (name === baseLabels.get(sid) && baseLabels.has(sid))) delete names[sid];
    else names[sid] = name;
    if (!baseLabels.has(sid) && !names[sid]) names[sid] = sid;  // an added speaker keeps a name
    save();
    refresh();
    status("speaker " + sid + " is now " + labelOf(sid), false);
  }

  function addSpeaker() {
    let n = 1;
    while (baseLabels.has("NEW_" + n) || names["NEW_" + n]) n++;
    const sid = "NEW_" + n;
    names[sid] = "New speaker " + n;
    save();
    refresh();
    $("speakers").open = true;
    const input = $("speaker-list").querySelector('input[data-speaker="' + sid + '"]');
    if (input) { input.focus(); input.select(); }
    return sid;
  }

  function pickSpeaker(para, button) {
    const index = Number(para.dataset.index);
    const sel = document.createElement("select");
    sel.className = "who-pick";
    sel.setAttribute("aria-label", "speaker of this paragraph");
    const ids = allSpeakers();
    sel.append(...ids.map((sid) => new Option(labelOf(sid), sid)), new Option("+ a new speaker…", "+"));
    sel.value = speakersOf(index)[0] || "";
    button.hidden = true;
    button.after(sel);
    sel.focus();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      sel.remove();
      button.hidden = false;
    };
    sel.addEventListener("change", () => {
      let sid = sel.value;
      if (sid === "+") sid = addSpeaker();
      const orig = paraData.get(index).speakers;
      if (orig.length === 1 && orig[0] === sid) delete paraSpeakers[index];
      else paraSpeakers[index] = sid;
      finish();
      save();
      refresh();
      if (sel.value !== "+") button.focus({ preventScroll: true });
      status("paragraph " + (index + 1) + " is now spoken by " + labelOf(sid), false);
    });
    sel.addEventListener("blur", finish);
    sel.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { finish(); button.focus(); } });
  }

  // --- mouse ---------------------------------------------------------------------------------------
  doc.addEventListener("click", (ev) => {
    if (String(window.getSelection() || "")) return;  // selecting text is not a request to listen
    if (ev.target.closest("#speakers, select, input, summary")) return;
    const who = ev.target.closest("button.who");
    if (who) { pickSpeaker(who.closest(".para"), who); return; }
    const word = ev.target.closest("[data-t]");
    const el = ev.target.closest(".edit[data-i]");
    if (el && !el.classList.contains("filtered")) {
      const i = Number(el.dataset.i);
      select(i, false);
      if (word) { lastPlayed = i; playWord(Number(word.dataset.t)); } else playEdit(i);
      return;
    }
    if (word) { playWord(Number(word.dataset.t)); return; }
    const para = ev.target.closest(".para");
    if (para && para.dataset.start !== undefined) playFrom(Number(para.dataset.start));
  });
  doc.addEventListener("focusin", (ev) => {
    const el = ev.target.closest(".edit[data-i]");
    if (el && Number(el.dataset.i) !== current && !el.classList.contains("filtered")) select(Number(el.dataset.i), false);
  });

  $("btn-accept").addEventListener("click", () => decide(current, "accept"));
  $("btn-next").addEventListener("click", () => acceptAndNext());
  $("btn-reject").addEventListener("click", () => decide(current, "reject"));
  $("btn-undo").addEventListener("click", () => decide(current, null));
  $("btn-play").addEventListener("click", () => { if (current !== null) playEdit(current); });
  $("btn-prev-edit").addEventListener("click", () => step(-1));
  $("btn-next-edit").addEventListener("click", () => step(1));
  $("btn-confirm").addEventListener("click", () => decide(current, "accept"));
  $("btn-cancel").addEventListener("click", () => { armed = null; if (current !== null) showPanel(current); fit(); });
  function useOwnText() {
    const text = $("pe-text").value;
    $("pe-text").blur();
    acceptAndNext(text);
  }
  $("btn-own").addEventListener("click", useOwnText);
  $("pe-text").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); useOwnText(); }
    else if (ev.key === "Escape") {
      ev.preventDefault();
      $("pe-text").blur();
      if (current !== null) { showPanel(current); elByIndex.get(current).focus({ preventScroll: true }); }
    }
  });
  $("add-speaker").addEventListener("click", addSpeaker);

  // a filter used with the mouse hands the keys back to the page
  let pointerAt = 0;
  document.addEventListener("pointerdown", () => { pointerAt = Date.now(); }, true);
  for (const box of document.querySelectorAll(".f-class, #f-undecided, #f-speaker")) {
    box.addEventListener("change", () => {
      refresh();
      if (box.tagName === "SELECT" || Date.now() - pointerAt < 1500) {
        box.blur();
        if (current !== null) elByIndex.get(current).focus({ preventScroll: true });
      }
    });
  }
  let searchTimer = 0;
  $("search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(refresh, 120); });
  $("search").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      clearTimeout(searchTimer);
      refresh();
      $("search").blur();
      step(1);
    } else if (ev.key === "Escape") {
      $("search").value = "";
      refresh();
      $("search").blur();
    }
  });

  $("accept-applied").addEventListener("click", () => {
    const f = filters();
    let n = 0;
    edits.forEach((e, i) => {
      if (e.decision === "applied" && e.kind !== "resource" && !choiceOf(e.id) && visible(i, f)) { decisions[e.id] = "accept"; n++; }
    });
    save();
    refresh();
    status("accepted " + n + " applied edits in view", false);
  });

  $("clear").addEventListener("click", () => {
    const n = Object.keys(decisions).length + Object.keys(names).length + Object.keys(paraSpeakers).length;
    if (!n || !window.confirm("Forget all " + n + " decisions and speaker changes?")) return;
    decisions = {};
    names = {};
    paraSpeakers = {};
    exported = signature();
    save();
    refresh();
  });

  $("export").addEventListener("click", () => {
    const text = JSON.stringify(body(), null, 1);
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "decisions.json";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    exported = signature();
    save();
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
    let got;
    try {
      got = JSON.parse(await file.text());
    } catch (err) {
      status(file.name + ": not valid JSON", true);
      return;
    }
    if (!got || typeof got.decisions !== "object" || got.decisions === null) {
      status(file.name + ": not a decisions file", true);
      return;
    }
    if (got.transcript !== data.id) {
      status(file.name + ": decisions are for transcript " + got.transcript + ", this page is " + data.id, true);
      return;
    }
    const n = merge(got);
    exported = signature();
    save();
    refresh();
    status("imported " + n + " decisions from " + file.name, false);
  });

  window.addEventListener("beforeunload", (ev) => {
    if (signature() !== exported) { ev.preventDefault(); ev.returnValue = ""; }
  });

  // --- keys ----------------------------------------------------------------------------------------
  function typing(t) {
    if (!t || !t.closest) return false;
    if (t.closest("textarea, select, [contenteditable]")) return true;
    const input = t.closest("input");
    return Boolean(input) && !["checkbox", "radio", "button", "file"].includes(input.type);
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    const onControl = ev.target.closest && ev.target.closest("button, summary, a, input, audio");
    const key = ev.key;
    if ((key === " " || key === "Enter") && onControl) return;  // a focused button or box does its own thing
    const keys = {
      j: () => step(1), k: () => step(-1),
      a: () => decide(current, "accept"), r: () => decide(current, "reject"), u: () => decide(current, null),
      Enter: () => acceptAndNext(),
      e: () => { if (current !== null) { $("pe-text").focus(); $("pe-text").select(); } },
      p: () => { if (current !== null) playEdit(current); },
      " ": togglePlay,
      "[": () => seek(-3), "]": () => seek(3), ArrowLeft: () => seek(-3), ArrowRight: () => seek(3),
      "-": () => rate(-0.25), "=": () => rate(0.25), "+": () => rate(0.25), "0": () => rate(0),
      "/": () => { $("search").focus(); $("search").select(); },
      Escape: () => { if (armed !== null) { armed = null; if (current !== null) showPanel(current); fit(); } },
      "?": () => { $("help").open = !$("help").open; },
    };
    const fn = keys[key];
    if (fn) { ev.preventDefault(); fn(); }
  });

  // --- layout: the decision bar never covers the text it decides -----------------------------------
  function fit() {
    const bar = narrow.matches ? $("panel").offsetHeight : 0;
    document.body.style.setProperty("--bar", bar + "px");
    if (!narrow.matches) $("panel").style.top = ($("transport").offsetHeight + 8) + "px";
    else $("panel").style.top = "";
  }
  let fitTimer = 0;
  function saveFit() { clearTimeout(fitTimer); fitTimer = setTimeout(fit, 0); }
  window.addEventListener("resize", fit);
  narrow.addEventListener("change", () => { $("pe-why").open = !narrow.matches; fit(); });
  $("pe-why").addEventListener("toggle", fit);

  load();
  if (narrow.matches) $("pe-why").open = false;
  refresh();
  fit();
})();
