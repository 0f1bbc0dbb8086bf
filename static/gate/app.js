/* The gate app: checks cars in at a meet, with or without signal.
 *
 * Pairing: the organiser's link opens /meets/gate/#<slug>:<token>; the token (the device's
 * credential for the check-in API) is kept in IndexedDB and the fragment is wiped.
 * The list: GET <api>/meet, kept in IndexedDB with the time the server made it; search and
 * scans work on that copy. A check-in is applied to the copy at once and queued in the
 * outbox (IndexedDB) under a random client_id; the queue is sent when the device is online
 * (on the `online` event, every 20 seconds, and by "Sync now"). Sending again is safe: the
 * server answers a client_id it has seen with the result it gave the first time.
 *
 * Several devices, one car (the rule, as pretixSCAN's offline mode has it): the server keeps
 * the earliest scan. Each device's check-in carries the time it was scanned on that device;
 * whichever device syncs, the check-in with the earliest scanned_at stands, and every other
 * device is told "Already checked in at 09:14 by Gate A" when it syncs. A device therefore
 * shows a car as checked in the moment it scans it, and learns within one sync if another
 * device was first.
 *
 * Check-in questions (docs/checkin.md, "Questions"): a car's card asks the meet's check-in
 * questions, filled in from the downloaded answers. The answers go with the queued check-in
 * (or, for a car checked in already, on their own); required ones are marked, never
 * blocking: the server never refuses a scan for a question, and says which answers it
 * dropped as not valid.
 *
 * No inline script or style anywhere (the site's Content-Security-Policy forbids them):
 * this module is loaded by app.html, which also carries its words in data attributes.
 */

const config = document.getElementById("gate-config").dataset;
const LANG = config.lang || "en";
const SYNC_EVERY_MS = 20000;
const REFRESH_EVERY_MS = 60000;
const FETCH_TIMEOUT_MS = 10000;
const MAX_RESULTS = 20;

// --- Words ------------------------------------------------------------------------------

function t(key, params = {}) {
  const attr = "t" + key.charAt(0).toUpperCase() + key.slice(1);
  let text = config[attr] ?? key;
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

const plurals = new Intl.PluralRules(LANG);

function tCount(key, count) {
  const form = plurals.select(count) === "one" ? "One" : "Other";
  return t(key + form, { count });
}

// --- Time -------------------------------------------------------------------------------

function timeZone() {
  return state.list?.data?.meet?.time_zone || undefined;
}

function hhmm(iso) {
  if (!iso) return "";
  const options = { hour: "2-digit", minute: "2-digit", hour12: false };
  try {
    return new Intl.DateTimeFormat(LANG, { ...options, timeZone: timeZone() }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(LANG, options).format(new Date(iso));
  }
}

function longDate(isoDay) {
  // A calendar day ("2026-12-31"), shown as that day wherever the device is.
  const day = new Date(`${isoDay}T12:00:00Z`);
  return new Intl.DateTimeFormat(LANG, {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(day);
}

// --- IndexedDB --------------------------------------------------------------------------

const DB_NAME = "paddock-gate";
const STORES = ["pairings", "lists", "outbox", "settings"];
const KEYS = { pairings: "slug", lists: "slug", outbox: "client_id", settings: "key" };

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      for (const store of STORES) {
        if (!request.result.objectStoreNames.contains(store)) {
          request.result.createObjectStore(store, { keyPath: KEYS[store] });
        }
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

let db;

function run(store, mode, action) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = action(tx.objectStore(store));
    tx.oncomplete = () => resolve(request?.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

const idb = {
  get: (store, key) => run(store, "readonly", (s) => s.get(key)),
  all: (store) => run(store, "readonly", (s) => s.getAll()),
  put: (store, value) => run(store, "readwrite", (s) => s.put(value)),
  delete: (store, key) => run(store, "readwrite", (s) => s.delete(key)),
};

// --- State ------------------------------------------------------------------------------

const state = {
  pairings: [],
  active: null, // the active pairing: {slug, token, title, revoked}
  list: null, // {slug, data (the API's answer), generated_at}
  outbox: [], // every queued check-in, of every paired meet
  query: "",
  shown: null, // an RSVP id chosen by a scan: shown alone
  card: null, // the last membership card scanned: {number, token}
  drafts: {}, // answers and odometer typed on a car's card, by RSVP id, until sent
  opened: new Set(), // RSVP ids whose questions were opened in a list of several cars
};

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Not a secure context (plain http on a phone): the same thing from random bytes.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// One thing at a time touches the list and the outbox: a download never lands in the
// middle of a sync.
let chain = Promise.resolve();
function serial(task) {
  const next = chain.then(task, task);
  chain = next.catch(() => {});
  return next;
}

// --- The API ----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(pairing, path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const response = await fetch(config.apiRoot + path, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        Authorization: `Device ${pairing.token}`,
        Accept: "application/json",
        "Accept-Language": LANG,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      signal: controller.signal,
    });
    if (!response.ok) throw new ApiError(response.status, response.statusText);
    return await response.json();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, String(error)); // no network, or no answer in time
  } finally {
    clearTimeout(timer);
  }
}

async function revoke(pairing) {
  // The server refuses this token (revoked, or the meet is over): nothing it gave may stay
  // on the phone. The meet's list (names, membership numbers, plates, VINs) and the token
  // go; unsent check-ins stay, for a new link of the same meet to send.
  pairing.revoked = true;
  pairing.token = "";
  await idb.put("pairings", pairing);
  await idb.delete("lists", pairing.slug);
  if (state.list?.slug === pairing.slug) state.list = null;
  state.shown = null;
  state.card = null;
  notice(t("revoked"), "danger");
}

// --- Pairing and the list ---------------------------------------------------------------

async function pairFromFragment() {
  const match = /^#([A-Za-z0-9_-]+):(.+)$/.exec(location.hash);
  if (!match) return false;
  // The token must not stay in the address bar, the history or a bookmark.
  history.replaceState(null, "", location.pathname + location.search);
  const pairing = {
    slug: match[1],
    token: decodeURIComponent(match[2]),
    title: match[1],
    revoked: false,
    paired_at: new Date().toISOString(),
  };
  await idb.put("pairings", pairing);
  await idb.put("settings", { key: "active", value: pairing.slug });
  say(t("paired"), "good");
  return true;
}

async function load() {
  state.pairings = await idb.all("pairings");
  const active = await idb.get("settings", "active");
  state.active =
    state.pairings.find((p) => p.slug === active?.value) || state.pairings[0] || null;
  state.list = state.active ? (await idb.get("lists", state.active.slug)) || null : null;
  state.outbox = await idb.all("outbox");
}

function applyPending(list) {
  // A fresh list from the server does not know this device's unsent check-ins yet.
  for (const item of state.outbox) {
    if (item.slug !== list.slug || item.kind !== "checkin") continue;
    const rsvp = list.data.rsvps.find((r) => r.id === item.body.rsvp);
    if (rsvp && item.body.answers) rsvp.answers = { ...rsvp.answers, ...item.body.answers };
    if (rsvp && !rsvp.checked_in_at && !item.answers_only) {
      rsvp.checked_in_at = item.body.scanned_at;
      rsvp.checked_in_by = null;
      rsvp.pending = item.client_id;
    }
  }
}

function download({ quiet = false } = {}) {
  return serial(async () => {
    const pairing = state.active;
    if (!pairing || pairing.revoked) return;
    try {
      const data = await api(pairing, "meet");
      // fetched_at: by this device's clock, which may differ from the server's.
      const list = { slug: pairing.slug, data, generated_at: data.generated_at, fetched_at: Date.now() };
      applyPending(list);
      await idb.put("lists", list);
      pairing.title = data.meet?.title || pairing.title;
      await idb.put("pairings", pairing);
      state.list = list;
      if (!quiet) say(t("downloaded"), "good");
    } catch (error) {
      if (error.status === 401) await revoke(pairing);
      else if (!quiet) say(t("downloadFailed"), "bad");
    }
    render();
  });
}

// --- Check-ins and the outbox -----------------------------------------------------------

function findRsvp(id) {
  return state.list?.data?.rsvps?.find((r) => r.id === id) || null;
}

function carLabel(rsvp) {
  const car = rsvp.car || {};
  const parts = [];
  if (car.plaque) parts.push(t("plaque", { number: car.plaque }));
  if (car.plate) parts.push(car.plate);
  const model = [colourName(car.colour), car.model_line].filter(Boolean).join(" ");
  if (model) parts.push(model);
  if (rsvp.person?.name) parts.push(rsvp.person.name);
  return parts.join(" · ");
}

function colourName(colour) {
  if (!colour) return "";
  return typeof colour === "string" ? colour : colour.name || "";
}

async function checkIn(rsvpId, odometer, answers = {}) {
  return serial(async () => {
    const rsvp = findRsvp(rsvpId);
    if (!rsvp) return;
    if (rsvp.checked_in_at) {
      say(alreadyText(rsvp), "bad");
      return;
    }
    delete state.drafts[rsvp.id];
    const item = {
      client_id: uuid(),
      slug: state.list.slug,
      kind: "checkin",
      label: carLabel(rsvp),
      body: {
        client_id: null,
        rsvp: rsvp.id,
        scanned_at: new Date().toISOString(),
        odometer_km: odometer,
        ...(Object.keys(answers).length ? { answers } : {}),
      },
    };
    item.body.client_id = item.client_id;
    await idb.put("outbox", item);
    state.outbox.push(item);
    rsvp.answers = { ...rsvp.answers, ...answers };
    rsvp.checked_in_at = item.body.scanned_at;
    rsvp.checked_in_by = null;
    rsvp.pending = item.client_id;
    await idb.put("lists", state.list);
    say(t("waitingCar", { car: item.label }), "good");
    render();
  }).then(() => {
    if (navigator.onLine) sync({ quiet: true });
  });
}

async function saveAnswers(rsvpId, answers) {
  // Answers for a car checked in already go on their own: a scan the server answers
  // "already", keeping them. Never added to a queued item: one that was sent and whose
  // answer was lost would be answered as the first time, dropping them.
  return serial(async () => {
    const rsvp = findRsvp(rsvpId);
    if (!rsvp || !Object.keys(answers).length) return;
    delete state.drafts[rsvp.id];
    const item = {
      client_id: uuid(),
      slug: state.list.slug,
      kind: "checkin",
      answers_only: true,
      label: t("answersLabel", { car: carLabel(rsvp) }),
      body: {
        client_id: null,
        rsvp: rsvp.id,
        scanned_at: new Date().toISOString(),
        odometer_km: null,
        answers,
      },
    };
    item.body.client_id = item.client_id;
    await idb.put("outbox", item);
    state.outbox.push(item);
    rsvp.answers = { ...rsvp.answers, ...answers };
    await idb.put("lists", state.list);
    say(t("answersQueued", { car: carLabel(rsvp) }), "good");
    render();
  }).then(() => {
    if (navigator.onLine) sync({ quiet: true });
  });
}

function answersQueued(rsvp) {
  return state.outbox.some(
    (i) => i.answers_only && i.slug === state.list?.slug && i.body.rsvp === rsvp.id,
  );
}

function alreadyText(rsvp) {
  if (rsvp.pending) return t("alreadyHere", { time: hhmm(rsvp.checked_in_at) });
  return rsvp.checked_in_by
    ? t("alreadyBy", { time: hhmm(rsvp.checked_in_at), by: rsvp.checked_in_by })
    : t("alreadyHere", { time: hhmm(rsvp.checked_in_at) });
}

async function queueWalkin({ number, car, odometer }) {
  // The card scanned for this member goes along: the server checks its signature.
  const card = state.card?.number === number ? state.card.token : null;
  const item = {
    client_id: uuid(),
    slug: state.list.slug,
    kind: "walkin",
    label: t("walkinLabel", { number, car }),
    body: {
      client_id: null,
      membership_number: number,
      ...(card ? { card } : {}),
      car,
      scanned_at: new Date().toISOString(),
      odometer_km: odometer,
    },
  };
  item.body.client_id = item.client_id;
  await serial(async () => {
    await idb.put("outbox", item);
    state.outbox.push(item);
  });
  say(t("walkinQueued", { number, car }), "good");
  render();
  if (navigator.onLine) sync({ quiet: true });
}

function applyResult(list, item, result) {
  const rsvp = list?.data?.rsvps?.find((r) => r.id === (result.rsvp ?? item.body.rsvp));
  const label = rsvp ? carLabel(rsvp) : item.label;
  if (result.result === "checked_in" || result.result === "already") {
    if (rsvp) {
      rsvp.checked_in_at = result.checked_in_at || rsvp.checked_in_at;
      rsvp.checked_in_by = result.checked_in_by || null;
      delete rsvp.pending;
    }
    // Told when another device was first, and when answers were not kept (the message
    // says which); answers sent on their own expect "already".
    const dropped = (result.not_kept || []).length > 0;
    if ((result.result === "already" && !item.answers_only) || dropped) {
      const text =
        result.message ||
        t("alreadyBy", { time: hhmm(result.checked_in_at), by: result.checked_in_by || "?" });
      notice(text, "warning", label);
    }
  } else {
    if (rsvp && rsvp.pending === item.client_id) {
      rsvp.checked_in_at = null;
      rsvp.checked_in_by = null;
      delete rsvp.pending;
    }
    notice(`${t("refused", { car: label })} ${result.message || ""}`.trim(), "danger");
  }
}

function sync({ quiet = false } = {}) {
  return serial(async () => {
    let failed = false;
    let walkins = false;
    for (const pairing of state.pairings) {
      if (pairing.revoked) continue;
      const items = state.outbox.filter((i) => i.slug === pairing.slug);
      if (!items.length) continue;
      const list =
        state.list?.slug === pairing.slug ? state.list : await idb.get("lists", pairing.slug);
      try {
        const checkins = items
          .filter((i) => i.kind === "checkin")
          .sort((a, b) => a.body.scanned_at.localeCompare(b.body.scanned_at));
        if (checkins.length) {
          const answer = await api(pairing, "checkins", { checkins: checkins.map((i) => i.body) });
          for (const result of answer.results || []) {
            const item = checkins.find((i) => i.client_id === result.client_id);
            if (!item) continue;
            applyResult(list, item, result);
            await done(item);
          }
        }
        for (const item of items.filter((i) => i.kind === "walkin")) {
          const result = await api(pairing, "walkins", item.body);
          applyResult(list, item, result);
          await done(item);
          walkins = true;
        }
      } catch (error) {
        if (error.status === 401) await revoke(pairing);
        else failed = true;
      }
      if (list && !pairing.revoked) await idb.put("lists", list);
    }
    if (failed && !quiet) say(t("syncFailed"), "bad");
    else if (!failed && !quiet) say(t("synced"), "good");
    render();
    return { failed, walkins };
  }).then((outcome) => {
    // Fresh from the server: other devices' check-ins, and walk-ins as RSVPs.
    if (outcome && !outcome.failed && navigator.onLine) return download({ quiet: true });
  });
}

async function done(item) {
  await idb.delete("outbox", item.client_id);
  state.outbox = state.outbox.filter((i) => i.client_id !== item.client_id);
}

// --- Search -----------------------------------------------------------------------------

const PLAQUE_QUERY = /^(?:no\.?|nr\.?|#)\s*(\d{1,6})$/i;
const MEMBER_QUERY = /^(?:m|member|mitglied)\s*(?:no\.?|nr\.?|#)?\s*(\d{1,9})$/i;

function squash(text) {
  // A plate or a VIN as typed at the gate: "B-PD 911", "bpd911" and "B PD-911" are one.
  return String(text ?? "")
    .toUpperCase()
    .replace(/[\s\-–.·]/g, "");
}

function digits(value) {
  const match = /\d+/.exec(String(value ?? ""));
  return match ? Number(match[0]) : null;
}

export function matches(rsvp, query) {
  const raw = query.trim();
  if (!raw) return false;
  const car = rsvp.car || {};
  const plaque = PLAQUE_QUERY.exec(raw) || (/^\d{1,6}$/.test(raw) ? [raw, raw] : null);
  if (plaque && digits(car.plaque) === Number(plaque[1])) return true;
  const member = MEMBER_QUERY.exec(raw);
  if (member) return digits(rsvp.person?.number) === Number(member[1]);
  if (PLAQUE_QUERY.test(raw)) return false;
  const key = squash(raw);
  if (key.length >= 2 && !/^\d+$/.test(key) && squash(car.plate).includes(key)) return true;
  if (/^\d+$/.test(key) && key.length >= 3 && squash(car.plate).includes(key)) return true;
  if (key.length >= 4) {
    if (car.vin && squash(car.vin).endsWith(key)) return true;
    if (car.vin_tail && (squash(car.vin_tail).endsWith(key) || key.endsWith(squash(car.vin_tail)))) {
      if (key.length <= 17) return true;
    }
  }
  const name = String(rsvp.person?.name ?? "").toLowerCase();
  return !/^\d+$/.test(raw) && raw.length >= 2 && name.includes(raw.toLowerCase());
}

// --- Scanning ---------------------------------------------------------------------------

function pattern(template, placeholder) {
  // "/meets/checkin/CODE/" → /\/meets\/checkin\/([^/]+)\/?$/ (the server's own URL).
  const [before, after] = template.split(placeholder);
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(`${escape(before)}([^/]+)${escape(after.replace(/\/$/, ""))}/?$`);
}

const RSVP_URL = pattern(config.checkinUrl, "CODE");
const CARD_URL = pattern(config.cardUrl, "TOKEN");

async function handleCode(text) {
  let path;
  try {
    path = new URL(text.trim(), location.origin).pathname;
  } catch {
    path = "";
  }
  const rsvpCode = RSVP_URL.exec(path);
  const cardToken = CARD_URL.exec(path);
  if (rsvpCode) {
    const code = decodeURIComponent(rsvpCode[1]);
    const rsvp = state.list?.data?.rsvps?.find((r) => r.code === code);
    if (!rsvp) {
      say(t("unknownCode"), "bad");
      return;
    }
    state.shown = rsvp.id;
    $("#gate-search").value = "";
    state.query = "";
    renderResults();
    if (rsvp.checked_in_at) say(alreadyText(rsvp), "bad");
    else say(t("scanned", { car: carLabel(rsvp) }));
    // The first question when there are any, else the button.
    document.querySelector("#gate-results .gate-question :is(input, select), #gate-results button.gate-check-in")?.focus();
  } else if (cardToken) {
    await checkCard(decodeURIComponent(cardToken[1]));
  } else {
    say(t("notACode"), "bad");
  }
}

function readCardPayload(token) {
  // A Django signed object: base64 (URL-safe, no padding) JSON, ":", the signature.
  // Offline the signature cannot be checked; the number and card version are read.
  try {
    const payload = token.split(":")[0];
    if (payload.startsWith(".")) return null; // compressed: never the case for a card
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const value = JSON.parse(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)));
    if (Array.isArray(value) && value.length === 2 && value.every(Number.isInteger)) return value;
  } catch {
    /* not a card's token */
  }
  return null;
}

async function checkCard(token) {
  let verdict = null;
  let offline = false;
  if (navigator.onLine && state.active && !state.active.revoked) {
    try {
      verdict = await api(state.active, "cards", { token });
    } catch (error) {
      if (error.status === 401) await revoke(state.active);
      offline = true;
    }
  } else {
    offline = true;
  }
  if (offline) {
    const payload = readCardPayload(token);
    const card = payload && state.list?.data?.cards?.find((c) => c.number === payload[0]);
    if (card && card.version === payload[1]) {
      verdict = { ...card, number: card.number };
    } else if (card || !payload) {
      verdict = { state: "not valid", number: payload ? payload[0] : null };
    } else {
      // Not one of this meet's people: the device holds their cards only.
      verdict = { state: "unknown", number: payload[0] };
    }
  }
  if (verdict.number) state.card = { number: verdict.number, token };
  showCard(verdict, offline);
}

function showCard(verdict, offline) {
  const box = $("#gate-card");
  box.replaceChildren();
  let text;
  let tone;
  if (verdict.state === "valid") {
    if (verdict.for_life) text = t("cardValidForLife");
    else if (verdict.last_day) text = t("cardValidUntil", { date: longDate(verdict.last_day) });
    else text = t("cardValid");
    tone = "success";
  } else if (verdict.state === "lapsed") {
    text = t("cardLapsed");
    tone = "warning";
  } else if (verdict.state === "unknown") {
    text = t("cardUnknownOffline");
    tone = "secondary";
  } else {
    text = t("cardNotValid");
    tone = "danger";
  }
  const alert = el("div", { class: `alert alert-${tone} mb-0`, role: "alert" });
  alert.append(el("p", { class: "gate-card-banner mb-1" }, text));
  if (verdict.number) alert.append(el("p", { class: "mb-1" }, t("memberNumber", { number: verdict.number })));
  if (offline && state.list) {
    alert.append(el("p", { class: "small mb-0" }, t("cardOffline", { time: hhmm(state.list.generated_at) })));
  }
  box.append(alert);
  box.hidden = false;
  say(text, verdict.state === "valid" ? "good" : "bad");
  if (verdict.number) {
    // Their RSVP if they have one; else ready for a walk-in.
    $("#gate-walkin-number").value = `M${verdict.number}`;
    $("#gate-search").value = `M${verdict.number}`;
    state.query = `M${verdict.number}`;
    state.shown = null;
    renderResults();
  }
}

function decodeCanvas(canvas, inversion) {
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  return window.jsQR(image.data, image.width, image.height, { inversionAttempts: inversion });
}

async function scanPhoto(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    say(t("noQr"), "bad");
    return;
  }
  // Big photos are scaled down (speed); tiny codes scaled up, pixels kept sharp.
  const longest = Math.max(bitmap.width, bitmap.height);
  const scale = longest > 1600 ? 1600 / longest : longest < 400 ? 400 / longest : 1;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.imageSmoothingEnabled = scale < 1;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close?.();
  const code = decodeCanvas(canvas, "attemptBoth");
  if (code?.data) await handleCode(code.data);
  else say(t("noQr"), "bad");
}

let camera = null;

async function startCamera() {
  if (camera) return;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment" },
      audio: false,
    });
  } catch {
    say(t("cameraRefused"), "bad");
    return;
  }
  const video = $("#gate-video");
  video.srcObject = stream;
  $("#gate-camera-view").hidden = false;
  await video.play().catch(() => {});
  const canvas = document.createElement("canvas");
  camera = { stream, timer: null };
  const tick = async () => {
    if (!camera) return;
    if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth) {
      const scale = Math.min(1, 960 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext("2d", { willReadFrequently: true }).drawImage(video, 0, 0, canvas.width, canvas.height);
      const code = decodeCanvas(canvas, "dontInvert");
      if (code?.data) {
        stopCamera();
        navigator.vibrate?.(80);
        await handleCode(code.data);
        return;
      }
    }
    camera.timer = setTimeout(tick, 150);
  };
  tick();
}

function stopCamera() {
  if (!camera) return;
  clearTimeout(camera.timer);
  for (const track of camera.stream.getTracks()) track.stop();
  camera = null;
  $("#gate-video").srcObject = null;
  $("#gate-camera-view").hidden = true;
}

// --- Drawing ----------------------------------------------------------------------------

function $(selector) {
  return document.querySelector(selector);
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== ""));
  return node;
}

function say(text, tone) {
  const status = $("#gate-status");
  status.className = `gate-status${tone ? ` is-${tone}` : ""}`;
  status.textContent = text;
}

function notice(text, tone, detail = "") {
  const close = el("button", { type: "button", class: "btn-close", "aria-label": t("dismiss") });
  const box = el("div", { class: `alert alert-${tone} d-flex gap-2 align-items-start`, role: "alert" });
  const body = el("div", { class: "flex-grow-1" }, el("p", { class: "mb-0" }, text));
  if (detail) body.append(el("p", { class: "mb-0 small fw-normal" }, detail));
  box.append(body, close);
  close.addEventListener("click", () => box.remove());
  $("#gate-notices").prepend(box);
}

function render() {
  const paired = Boolean(state.active);
  $("#gate-unpaired").hidden = paired;
  $("#gate-paired").hidden = !paired;
  const online = navigator.onLine;
  const badge = $("#gate-network");
  badge.textContent = online ? t("online") : t("offline");
  badge.className = `badge rounded-pill ${online ? "text-bg-light" : "text-bg-warning"}`;
  if (!paired) return;
  $("#gate-meet-title").textContent = state.list?.data?.meet?.title || state.active.title;

  const switcher = $("#gate-meet-select");
  $("#gate-meet-switch").hidden = state.pairings.length < 2;
  switcher.replaceChildren(
    ...state.pairings.map((p) =>
      el("option", { value: p.slug, selected: p.slug === state.active.slug }, p.title || p.slug),
    ),
  );

  const data = state.list?.data;
  if (data) {
    const going = data.rsvps.filter((r) => !r.status || r.status === "going");
    const checked = going.filter((r) => r.checked_in_at).length;
    $("#gate-list-summary").textContent = [
      t("listFrom", { time: hhmm(state.list.generated_at) }),
      tCount("cars", going.length),
      t("checkedInCount", { count: checked }),
    ].join(", ");
  } else {
    $("#gate-list-summary").textContent = t("noList");
  }
  const pending = state.outbox.filter((i) => i.slug === state.active.slug);
  $("#gate-pending-summary").textContent = pending.length
    ? tCount("pending", pending.length)
    : t("allSynced");
  $("#gate-pending-list-wrap").hidden = !pending.length;
  $("#gate-pending-list").replaceChildren(
    ...pending.map((item) =>
      el("li", {}, t("pendingItem", { car: item.label, time: hhmm(item.body.scanned_at) })),
    ),
  );
  const places = data?.meet?.places_left;
  $("#gate-walkin-places").textContent =
    places === null || places === undefined ? "" : t("placesLeft", { count: places });
  renderResults();
}

function renderResults() {
  const rsvps = state.list?.data?.rsvps || [];
  const list = $("#gate-results");
  let found;
  if (state.shown !== null) {
    found = rsvps.filter((r) => r.id === state.shown);
  } else if (state.query.trim()) {
    found = rsvps.filter((r) => matches(r, state.query));
  } else {
    list.replaceChildren();
    return;
  }
  if (!found.length) {
    list.replaceChildren(el("li", { class: "text-body-secondary" }, t("noMatch")));
    return;
  }
  const single = found.length === 1;
  const rows = found.slice(0, MAX_RESULTS).map((rsvp) => row(rsvp, single));
  if (found.length > MAX_RESULTS) rows.push(el("li", { class: "small" }, t("moreResults")));
  // A redraw (a sync, the list downloaded) keeps what was being typed, and where.
  const focused = list.contains(document.activeElement) ? document.activeElement.id : "";
  list.replaceChildren(...rows);
  if (focused) document.getElementById(focused)?.focus();
}

function row(rsvp, single = true) {
  const car = rsvp.car || {};
  const going = !rsvp.status || rsvp.status === "going";
  const state_ = rsvp.pending ? "is-pending" : rsvp.checked_in_at ? "is-in" : "";
  const item = el("li", { class: `gate-row ${state_}`, "data-rsvp": rsvp.id });
  const head = el("div", { class: "d-flex flex-wrap gap-2 align-items-center mb-1" });
  if (car.plaque) head.append(el("span", { class: "gate-plaque" }, t("plaque", { number: car.plaque })));
  if (car.plate) head.append(el("span", { class: "gate-plate" }, car.plate));
  item.append(head);
  const model = [colourName(car.colour), car.model_line].filter(Boolean).join(" ");
  const tail = car.vin_tail ? ` · …${car.vin_tail}` : "";
  item.append(el("div", { class: "fw-semibold" }, `${model}${tail}`));
  const person = [rsvp.person?.name, rsvp.person?.number ? `M${digits(rsvp.person.number)}` : ""]
    .filter(Boolean)
    .join(" · ");
  if (person) item.append(el("div", {}, person));
  const asked = questions();
  if (!going) {
    item.append(el("div", { class: "text-danger fw-semibold" }, t("notGoing", { status: rsvp.status })));
    return item;
  }
  if (rsvp.pending) {
    item.append(el("div", { class: "fw-semibold text-warning-emphasis" }, t("waiting")));
  } else if (rsvp.checked_in_at) {
    const text = rsvp.checked_in_by
      ? t("checkedInAt", { time: hhmm(rsvp.checked_in_at), by: rsvp.checked_in_by })
      : t("checkedInAtHere", { time: hhmm(rsvp.checked_in_at) });
    item.append(el("div", { class: "fw-semibold text-success-emphasis" }, text));
  }
  if (rsvp.checked_in_at && answersQueued(rsvp)) {
    item.append(el("div", { class: "small text-warning-emphasis" }, t("answersWaiting")));
  }
  if (rsvp.checked_in_at && !asked.length) return item;

  const form = el("form", { class: "mt-2", novalidate: true });
  const draft = state.drafts[rsvp.id];
  if (asked.length) form.append(questionsBox(rsvp, asked, draft ? draft.answers : rsvp.answers || {}, single));
  const odometerId = `gate-odometer-${rsvp.id}`;
  if (!rsvp.checked_in_at) {
    form.append(
      el("label", { class: "form-label small mb-1", for: odometerId }, t("odometer")),
      el("input", {
        class: "form-control form-control-lg mb-2",
        id: odometerId,
        type: "number",
        inputmode: "numeric",
        min: "0",
        max: "9999999",
        step: "1",
        value: draft?.odometer || null,
      }),
      el(
        "button",
        { type: "submit", class: "btn btn-success btn-lg w-100 gate-touch gate-check-in" },
        t("checkIn"),
      ),
    );
  } else {
    form.append(
      el("button", { type: "submit", class: "btn btn-outline-success w-100 gate-touch" }, t("saveAnswers")),
    );
  }
  const odometer = () => form.querySelector(`#${odometerId}`)?.value.trim() || "";
  const onChange = () => {
    const answers = readAnswers(form, asked);
    state.drafts[rsvp.id] = { answers, odometer: odometer() };
    showUnanswered(form, asked, answers);
  };
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const answers = readAnswers(form, asked);
    if (rsvp.checked_in_at) {
      saveAnswers(rsvp.id, answers);
      return;
    }
    const km = /^\d{1,7}$/.test(odometer()) ? Number(odometer()) : null;
    checkIn(rsvp.id, km, answers);
  });
  item.append(form);
  return item;
}

// --- Check-in questions -----------------------------------------------------------------

function questions() {
  return state.list?.data?.questions || [];
}

function blank(value) {
  return (
    value === null ||
    value === undefined ||
    (typeof value === "string" && !value.trim()) ||
    (Array.isArray(value) && !value.length)
  );
}

function unanswered(asked, answers) {
  return asked.filter((q) => q.required && blank(answers?.[String(q.id)])).length;
}

function unansweredText(asked, answers) {
  const count = unanswered(asked, answers);
  return count ? tCount("unanswered", count) : "";
}

function showUnanswered(form, asked, answers) {
  for (const node of form.querySelectorAll(".gate-unanswered")) {
    node.textContent = unansweredText(asked, answers);
  }
}

function questionsBox(rsvp, asked, answers, open) {
  // One car found: its questions open. Several: each behind its own disclosure. Required
  // ones are marked and counted, never blocking: the check-in button always works.
  const fields = asked.map((q) => questionField(rsvp, q, answers[String(q.id)]));
  if (open) {
    return el(
      "fieldset",
      { class: "gate-questions mb-2" },
      el("legend", { class: "h6 fw-bold mb-1" }, t("questions")),
      el("p", { class: "gate-unanswered small mb-2" }, unansweredText(asked, answers)),
      ...fields,
    );
  }
  const details = el("details", { class: "gate-questions mb-2", open: state.opened.has(rsvp.id) });
  details.append(
    el(
      "summary",
      { class: "gate-touch" },
      el("span", {}, t("questions")),
      el("span", { class: "gate-unanswered small" }, unansweredText(asked, answers)),
    ),
    el("div", { class: "pt-2" }, ...fields),
  );
  details.addEventListener("toggle", () => {
    if (details.open) state.opened.add(rsvp.id);
    else state.opened.delete(rsvp.id);
  });
  return details;
}

function questionLabel(q) {
  const parts = [q.label];
  if (q.required) parts.push(" ", el("span", { class: "gate-required" }, `(${t("required")})`));
  return parts;
}

function questionField(rsvp, q, value) {
  const id = `gate-q-${rsvp.id}-${q.id}`;
  const help = q.help_text ? el("div", { class: "form-text mt-0 mb-1", id: `${id}-help` }, q.help_text) : null;
  const describedBy = help ? `${id}-help` : null;
  const box = el("div", { class: "gate-question mb-2", "data-question": q.id, "data-kind": q.kind });
  if (q.kind === "yes_no" || q.kind === "multiple") {
    // A group: a fieldset named by its legend.
    const group = el("fieldset", { "aria-describedby": describedBy });
    group.append(el("legend", { class: "form-label small fw-semibold mb-1" }, ...questionLabel(q)));
    if (help) group.append(help);
    const options =
      q.kind === "yes_no"
        ? [
            ["yes", t("yes"), value === true],
            ["no", t("no"), value === false],
          ]
        : q.choices.map((choice) => [choice, choice, Array.isArray(value) && value.includes(choice)]);
    options.forEach(([optionValue, text, checked], index) => {
      const optionId = `${id}-${index}`;
      group.append(
        el(
          "div",
          { class: "form-check form-check-inline gate-check" },
          el("input", {
            class: "form-check-input",
            type: q.kind === "yes_no" ? "radio" : "checkbox",
            name: id,
            id: optionId,
            value: optionValue,
            checked,
          }),
          el("label", { class: "form-check-label", for: optionId }, text),
        ),
      );
    });
    box.append(group);
    return box;
  }
  box.append(el("label", { class: "form-label small fw-semibold mb-1", for: id }, ...questionLabel(q)));
  if (help) box.append(help);
  const common = { id, "aria-describedby": describedBy, "aria-required": q.required ? "true" : null };
  let control;
  if (q.kind === "single" || q.kind === "country") {
    control = el("select", { class: "form-select form-select-lg", ...common });
    control.append(el("option", { value: "" }, t("noAnswer")));
    if (q.kind === "single") {
      control.append(...q.choices.map((choice) => el("option", { value: choice }, choice)));
    } else {
      control.append(document.getElementById("gate-countries").content.cloneNode(true));
    }
    control.value = blank(value) ? "" : String(value);
  } else if (q.kind === "number") {
    control = el("input", {
      class: "form-control form-control-lg",
      type: "number",
      inputmode: "numeric",
      step: "1",
      min: q.min ?? null,
      max: q.max ?? null,
      ...common,
    });
    control.value = blank(value) ? "" : String(value);
  } else {
    control = el("input", {
      class: "form-control form-control-lg",
      type: q.kind === "date" ? "date" : "text",
      maxlength: q.kind === "date" ? null : "500",
      autocomplete: "off",
      ...common,
    });
    control.value = blank(value) ? "" : String(value);
  }
  box.append(control);
  return box;
}

function readAnswers(form, asked) {
  // The answers on a car's card, as the API takes them; an empty field is no answer.
  const answers = {};
  for (const q of asked) {
    const box = form.querySelector(`.gate-question[data-question="${q.id}"]`);
    if (!box) continue;
    let value;
    if (q.kind === "yes_no") {
      const checked = box.querySelector("input:checked");
      value = checked ? checked.value === "yes" : null;
    } else if (q.kind === "multiple") {
      value = [...box.querySelectorAll("input:checked")].map((input) => input.value);
    } else {
      value = box.querySelector("input, select").value.trim();
      if (q.kind === "number" && /^-?\d+$/.test(value)) value = Number(value);
    }
    if (!blank(value)) answers[String(q.id)] = value;
  }
  return answers;
}

// --- Wiring -----------------------------------------------------------------------------

function wire() {
  $("#gate-search").addEventListener("input", (event) => {
    state.query = event.target.value;
    state.shown = null;
    renderResults();
  });
  $("#gate-sync").addEventListener("click", () => sync());
  $("#gate-download").addEventListener("click", () => download());
  $("#gate-photo").addEventListener("change", async (event) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (file) await scanPhoto(file);
  });
  $("#gate-camera").addEventListener("click", startCamera);
  $("#gate-camera-stop").addEventListener("click", stopCamera);
  $("#gate-meet-select").addEventListener("change", async (event) => {
    await idb.put("settings", { key: "active", value: event.target.value });
    await load();
    render();
    if (navigator.onLine) download({ quiet: true });
  });
  $("#gate-unpair").addEventListener("click", async () => {
    if (!state.active || !window.confirm(t("unpairConfirm"))) return;
    const slug = state.active.slug;
    await serial(async () => {
      for (const item of state.outbox.filter((i) => i.slug === slug)) await done(item);
      await idb.delete("pairings", slug);
      await idb.delete("lists", slug);
    });
    await load();
    render();
  });
  $("#gate-walkin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = digits(/^\s*(?:m|member|mitglied)?\s*(?:no\.?|nr\.?|#)?\s*(\d{1,9})\s*$/i.exec($("#gate-walkin-number").value)?.[1]);
    const car = $("#gate-walkin-car").value.trim();
    const km = $("#gate-walkin-odometer").value.trim();
    if (!number || !car || !state.list) {
      say(t("walkinInvalid"), "bad");
      return;
    }
    if (state.list.data.meet?.places_left === 0) notice(t("walkinFull"), "warning");
    await queueWalkin({ number, car, odometer: /^\d{1,7}$/.test(km) ? Number(km) : null });
    event.target.reset();
  });
  window.addEventListener("online", () => {
    render();
    sync({ quiet: true });
  });
  window.addEventListener("offline", render);
  // Queued check-ins go out within SYNC_EVERY_MS; other devices' check-ins come in with a
  // fresh list at least every REFRESH_EVERY_MS (a sync downloads the list after it).
  setInterval(() => {
    if (!navigator.onLine || !state.active) return;
    const age = Date.now() - (state.list?.fetched_at || 0);
    if (state.outbox.length || !(age >= 0 && age < REFRESH_EVERY_MS)) sync({ quiet: true });
  }, SYNC_EVERY_MS);
}

async function main() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.serviceWorker, { scope: config.scope }).catch(() => {});
  }
  db = await openDb();
  const paired = await pairFromFragment();
  await load();
  wire();
  render();
  document.documentElement.dataset.gateReady = "1";
  if (state.active && navigator.onLine) {
    if (state.outbox.length) await sync({ quiet: true });
    else await download({ quiet: !paired && Boolean(state.list) });
  }
}

main();
