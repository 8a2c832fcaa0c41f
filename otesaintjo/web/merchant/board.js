// Otesaintjo — the merchants' order board, served by the API itself under /commercant.
//
// Vanilla JavaScript, no build step. Every request goes to this page's own origin:
// fetch("/graphql") and the WebSocket ws(s)://<this host>/graphql. The GraphQL documents
// come from documents.json, sent verbatim and by name (the server can trust them by hash).
"use strict";

(() => {
  const TZ = "Indian/Reunion";
  const STORE = "otesaintjo.commercant.";
  const ORDER_PATH = /^\/commercant\/commandes\/([^/]+)\/?$/;
  const BOARD_PAGE = 50; // orders per group: 3 groups of 50 stay within the API's cost limit
  const EVENTS_PAGE = 100;
  const REFRESH_BEFORE_MS = 60_000; // refresh the access token a minute before it expires
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 10_000;
  const KEEP_ALIVE_MS = 15_000; // ping the server; no pong within PONG_TIMEOUT_MS: reconnect
  const PONG_TIMEOUT_MS = 5_000;
  const CATCH_UP_DELAY_MS = 400; // after a reconnection, re-read the board once subscribed
  const SESSION_LOOP_MS = 10_000;
  const STABLE_MS = 10_000; // a connection up this long resets the backoff

  const GROUPS = [
    { status: "PAID", alias: "toPrepare" },
    { status: "READY_FOR_PICKUP", alias: "ready" },
    { status: "SHIPPED", alias: "shipped" },
  ];
  const BOARD_STATUSES = new Set(GROUPS.map((g) => g.status));

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------------------------------
  // Storage. The tokens live in sessionStorage: they survive a reload of this tab, die with
  // the tab, and are never shared with another tab or another site (unlike localStorage or a
  // cookie). Any script running in the page could read them: the strict
  // Content-Security-Policy of /commercant (our own scripts only, nothing inline, no eval)
  // is what keeps injected script out, and the page only ever writes text with textContent.
  const storage = {
    get(key) {
      try {
        return JSON.parse(sessionStorage.getItem(STORE + key));
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        sessionStorage.setItem(STORE + key, JSON.stringify(value));
      } catch {
        /* storage full or disabled: the page still works until the tab is reloaded */
      }
    },
    clear() {
      try {
        for (const key of Object.keys(sessionStorage)) {
          if (key.startsWith(STORE)) sessionStorage.removeItem(key);
        }
      } catch {
        /* nothing stored */
      }
    },
  };

  const state = {
    docs: null,
    auth: null, // { accessToken, refreshToken, accessTokenExpiresAt }
    user: null, // { id, firstName, shops: [{ id, name }] }
    shop: null, // the shop whose board is shown
    route: { kind: "board" },
    refreshTimer: null,
    unseen: 0,
    baseTitle: "Commandes",
  };

  // ---------------------------------------------------------------------------------------
  // Formatting (French, Réunion time).
  const dateTimeFormat = new Intl.DateTimeFormat("fr-FR", {
    timeZone: TZ,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  const timeFormat = new Intl.DateTimeFormat("fr-FR", {
    timeZone: TZ,
    hour: "2-digit",
    minute: "2-digit",
  });
  const dayFormat = new Intl.DateTimeFormat("fr-FR", {
    timeZone: TZ,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });

  function when(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    if (dayFormat.format(date) === dayFormat.format(new Date())) {
      return `aujourd’hui à ${timeFormat.format(date)}`;
    }
    return dateTimeFormat.format(date);
  }

  function formatPhone(phone) {
    const digits = phone.replace(/[^\d+]/g, "");
    let match = /^\+262(\d{3})(\d{2})(\d{2})(\d{2})$/.exec(digits);
    if (match) return `+262 ${match.slice(1).join(" ")}`;
    match = /^\+33(\d)(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(digits);
    if (match) return `+33 ${match.slice(1).join(" ")}`;
    return phone;
  }

  // ---------------------------------------------------------------------------------------
  // DOM helpers: text only (textContent), never HTML from the API.
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "className") element.className = value;
      else if (name === "text") element.textContent = value;
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  let uidCounter = 0;
  const uid = (prefix) => `${prefix}-${++uidCounter}`;

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function announce(text) {
    const region = $("announce");
    region.textContent = "";
    window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  function setLiveStatus(text, kind) {
    const status = $("live-status");
    if (status.textContent !== text) status.textContent = text;
    status.dataset.state = kind || "idle";
  }

  function updateTitle() {
    document.title = state.unseen > 0 ? `(${state.unseen}) ${state.baseTitle}` : state.baseTitle;
  }

  function setBaseTitle(title, heading) {
    state.baseTitle = title;
    $("page-title").textContent = heading || title;
    updateTitle();
  }

  function acknowledge() {
    // The merchant is looking at the page: the new orders are seen.
    if (document.visibilityState !== "visible") return;
    if (state.unseen > 0) {
      state.unseen = 0;
      updateTitle();
    }
  }

  // ---------------------------------------------------------------------------------------
  // New-order alert: a short beep (Web Audio; the AudioContext needs a user gesture, so it is
  // created on the sign-in click, or on the first touch/key after a reload) and a vibration.
  let audio = null;

  function unlockAudio() {
    try {
      const AudioContextClass = window.AudioContext || window.webkitAudioContext;
      if (!AudioContextClass) return;
      if (!audio) {
        audio = new AudioContextClass();
        audio.addEventListener("statechange", updateSoundButton);
      }
      if (audio.state === "suspended") audio.resume().catch(() => {});
    } catch {
      audio = null;
    }
    updateSoundButton();
  }

  function updateSoundButton() {
    // Only the board rings; after a reload the browser needs a touch before it may.
    const ready = audio !== null && audio.state === "running";
    $("sound").hidden = ready || !state.auth || state.route.kind !== "board";
  }

  function beep() {
    if (!audio) return;
    try {
      const start = audio.currentTime + 0.01;
      for (const [offset, frequency] of [
        [0, 880],
        [0.18, 1320],
      ]) {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        oscillator.type = "sine";
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.4, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.15);
        oscillator.connect(gain);
        gain.connect(audio.destination);
        oscillator.start(start + offset);
        oscillator.stop(start + offset + 0.16);
      }
    } catch {
      /* no sound on this device */
    }
  }

  function vibrate() {
    // Browsers refuse (and complain) before the user has touched the page.
    const activated = !navigator.userActivation || navigator.userActivation.hasBeenActive;
    if (typeof navigator.vibrate === "function" && activated) {
      try {
        navigator.vibrate([200, 100, 200]);
      } catch {
        /* not supported */
      }
    }
  }

  function alertNewOrder() {
    state.unseen += 1;
    updateTitle();
    beep();
    vibrate();
  }

  // ---------------------------------------------------------------------------------------
  // GraphQL over HTTP, same origin.
  class ApiError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  const NETWORK_MESSAGE = "Le serveur est injoignable. Vérifiez la connexion et réessayez.";

  async function post(name, variables, token) {
    const query = state.docs[name];
    if (!query) throw new ApiError(`Document inconnu : ${name}`, "CLIENT");
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch("/graphql", {
        method: "POST",
        headers,
        body: JSON.stringify({ query, variables: variables || {}, operationName: name }),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(NETWORK_MESSAGE, "NETWORK");
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(NETWORK_MESSAGE, "NETWORK");
    }
    if (body.errors && body.errors.length) {
      const unauthenticated = body.errors.find(
        (e) => e.extensions && e.extensions.code === "UNAUTHENTICATED",
      );
      const first = unauthenticated || body.errors[0];
      throw new ApiError(first.message, (first.extensions && first.extensions.code) || "ERROR");
    }
    if (!body.data) throw new ApiError(NETWORK_MESSAGE, "NETWORK");
    // A query that selects « viewer » gets null without a valid session (no error): the
    // same as UNAUTHENTICATED for this page.
    if ("viewer" in body.data && body.data.viewer === null) {
      throw new ApiError("Vous devez être connecté.", "UNAUTHENTICATED");
    }
    return body.data;
  }

  /** An authenticated request: refresh the token once on UNAUTHENTICATED, then give up. */
  async function gql(name, variables) {
    if (!state.auth) throw new ApiError("Vous devez être connecté.", "SIGNED_OUT");
    await ensureFresh();
    try {
      return await post(name, variables, state.auth && state.auth.accessToken);
    } catch (error) {
      if (error.code !== "UNAUTHENTICATED") throw error;
    }
    if (!(await refreshOrSignOut())) {
      throw new ApiError("Votre session a pris fin.", "SIGNED_OUT");
    }
    try {
      return await post(name, variables, state.auth.accessToken);
    } catch (error) {
      if (error.code === "UNAUTHENTICATED") {
        signedOut("Votre session a pris fin : reconnectez-vous.");
        throw new ApiError("Votre session a pris fin.", "SIGNED_OUT");
      }
      throw error;
    }
  }

  function messageOf(error) {
    if (error && error.code === "NETWORK") return NETWORK_MESSAGE;
    return (error && error.message) || "Une erreur est survenue.";
  }

  // ---------------------------------------------------------------------------------------
  // Tokens: rotation a minute before expiry; one refresh at a time (a refresh token is
  // single-use: sending it twice would close the session).
  function saveAuth(payload) {
    state.auth = {
      accessToken: payload.accessToken,
      refreshToken: payload.refreshToken,
      accessTokenExpiresAt: payload.accessTokenExpiresAt,
    };
    storage.set("auth", state.auth);
    scheduleRefresh();
    updateSoundButton();
  }

  function msUntilExpiry() {
    if (!state.auth) return 0;
    const expires = Date.parse(state.auth.accessTokenExpiresAt);
    return Number.isNaN(expires) ? 0 : expires - Date.now();
  }

  function scheduleRefresh() {
    window.clearTimeout(state.refreshTimer);
    if (!state.auth) return;
    const left = msUntilExpiry();
    const wait =
      left > 2 * REFRESH_BEFORE_MS ? left - REFRESH_BEFORE_MS : Math.max(left / 2, 1000);
    state.refreshTimer = window.setTimeout(() => {
      refreshOrSignOut().catch(() => {
        // The server is unreachable: the token may still be valid; try again soon.
        state.refreshTimer = window.setTimeout(scheduleRefresh, BACKOFF_MAX_MS);
      });
    }, wait);
  }

  let refreshing = null;

  /** New tokens: true; refused (expired or closed session): false; unreachable or any
   * other failure (the server in trouble, not the session): throws. */
  function refresh() {
    if (!refreshing) {
      refreshing = doRefresh().finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  async function doRefresh() {
    const auth = state.auth;
    if (!auth || !auth.refreshToken) return false;
    const data = await post("RefreshToken", { refreshToken: auth.refreshToken });
    if (state.auth !== auth) return Boolean(state.auth); // signed out (or in) meanwhile
    const payload = data.refreshToken;
    if (!payload || payload.userErrors.length || !payload.accessToken) return false;
    saveAuth(payload);
    // The live connection carries the token: open a new one with the fresh token.
    if (live.wanted) reconnectNow();
    return true;
  }

  async function refreshOrSignOut() {
    const ok = await refresh();
    if (!ok && state.auth) signedOut("Votre session a pris fin : reconnectez-vous.");
    return ok;
  }

  async function ensureFresh() {
    if (state.auth && msUntilExpiry() < REFRESH_BEFORE_MS / 2) {
      try {
        await refresh();
      } catch {
        /* unreachable: the request will tell */
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Views.
  function hideViews() {
    for (const id of ["loading", "signin", "message", "board", "order-view"]) show(id, false);
  }

  function showSignIn(notice) {
    hideViews();
    $("account").hidden = true;
    setLiveStatus("", "idle");
    setBaseTitle("Connexion — Commandes", "Commandes");
    $("signin-notice").textContent = notice || "";
    $("signin-error").textContent = "";
    show("signin", true);
    // After a sign-out, straight to the form; on arrival, the page starts at the top.
    if (notice) $("email").focus();
  }

  function showMessage(title, text, withLink) {
    hideViews();
    $("message-title").textContent = title;
    $("message-text").textContent = text || "";
    $("message-link").hidden = !withLink;
    show("message", true);
  }

  function showAccount() {
    $("account").hidden = false;
    updateSoundButton();
    const shops = (state.user && state.user.shops) || [];
    const picker = $("shop-picker");
    picker.hidden = !(state.route.kind === "board" && shops.length > 1);
    const select = $("shop");
    select.replaceChildren(
      ...(state.shop ? [] : [h("option", { value: "", text: "Choisir une boutique…" })]),
      ...shops.map((shop) =>
        h(
          "option",
          { value: shop.id, selected: Boolean(state.shop && state.shop.id === shop.id) },
          shop.name,
        ),
      ),
    );
    if (state.shop) select.value = state.shop.id;
  }

  function signedOut(notice) {
    live.stop();
    window.clearTimeout(state.refreshTimer);
    state.auth = null;
    state.user = null;
    state.shop = null;
    state.unseen = 0;
    live.sessionRefreshAt = 0;
    storage.clear();
    board.clear();
    showSignIn(notice);
  }

  async function route() {
    const match = ORDER_PATH.exec(location.pathname);
    if (match) {
      let number;
      try {
        number = decodeURIComponent(match[1]);
      } catch {
        number = match[1];
      }
      state.route = { kind: "order", number };
      showAccount();
      await showOrder(number);
      return;
    }
    state.route = { kind: "board" };
    const shops = state.user.shops || [];
    if (!shops.length) {
      showAccount();
      setBaseTitle("Commandes");
      showMessage(
        "Aucune boutique",
        "Ce compte ne gère aucune boutique. Connectez-vous avec le compte de votre boutique.",
      );
      return;
    }
    const stored = storage.get("shop");
    state.shop =
      shops.find((s) => s.id === stored) || (shops.length === 1 ? shops[0] : null) || null;
    showAccount();
    if (!state.shop) {
      setBaseTitle("Commandes");
      showMessage("Choisissez une boutique", "Choisissez la boutique dont afficher les commandes.");
      $("shop").focus();
      return;
    }
    await openBoard(state.shop);
  }

  // ---------------------------------------------------------------------------------------
  // Order card and its actions.
  const ACTIONS = {
    ready: {
      document: "MarkOrderReady",
      field: "markOrderReady",
      button: "Prête",
      hint: "Le client reçoit son code de retrait par e-mail.",
      fields: [],
    },
    collected: {
      document: "MarkOrderCollected",
      field: "markOrderCollected",
      button: "Retirée",
      fields: [
        {
          name: "pickupCode",
          label: "Code de retrait du client (6 chiffres)",
          attributes: {
            inputmode: "numeric",
            autocomplete: "off",
            maxlength: "6",
            className: "code-input",
            required: true,
          },
        },
      ],
    },
    shipped: {
      document: "MarkOrderShipped",
      field: "markOrderShipped",
      button: "Expédiée",
      fields: [
        {
          name: "carrier",
          label: "Transporteur",
          value: (order) => order.fulfilment.carrierLabel || "",
          attributes: { autocomplete: "off", maxlength: "50", required: true },
        },
        {
          name: "trackingNumber",
          label: "Numéro de suivi",
          attributes: { autocomplete: "off", maxlength: "100", required: true },
        },
      ],
    },
    delivered: {
      document: "MarkOrderDelivered",
      field: "markOrderDelivered",
      button: "Livrée",
      fields: [],
    },
  };

  function actionsFor(order) {
    const names = [];
    const pickup = order.fulfilment.mode === "PICKUP";
    if (order.status === "PAID") names.push(pickup ? "ready" : "shipped");
    if (order.status === "READY_FOR_PICKUP") names.push("collected");
    if (order.status === "SHIPPED") names.push("delivered");
    return names;
  }

  function renderCard(order, options) {
    const { headingLevel, link, isNew, onChange } = options;
    const headingId = uid("order");
    const card = h("article", {
      className: `card${isNew ? " is-new" : ""}`,
      "data-number": order.number,
      "data-status": order.status,
      "aria-labelledby": headingId,
      tabindex: "-1",
    });

    const numberText = link
      ? h("a", { href: `/commercant/commandes/${encodeURIComponent(order.number)}` }, order.number)
      : order.number;
    card.append(
      h(
        "div",
        { className: "card-head" },
        h(`h${headingLevel}`, { className: "card-number", id: headingId }, numberText),
        h("span", { className: "badge" }, order.statusLabel),
        isNew ? h("span", { className: "badge badge-new" }, "Nouvelle") : null,
      ),
    );

    const paid = order.paidAt || order.createdAt;
    card.append(
      h(
        "p",
        { className: "meta" },
        order.paidAt ? "Payée " : "Passée ",
        h("time", { datetime: paid }, when(paid)),
      ),
    );

    const customer = order.customer;
    card.append(
      h(
        "p",
        { className: "customer" },
        h("span", { className: "customer-name" }, `${customer.firstName} ${customer.lastName}`),
        // Null once the withdrawal period is over (the shop no longer needs it).
        ...(customer.phone
          ? [" · ", h("a", { href: `tel:${customer.phone}` }, formatPhone(customer.phone))]
          : []),
      ),
    );

    card.append(
      h(
        "ul",
        { className: "lines", "aria-label": "Articles" },
        order.lines.map((line) =>
          h(
            "li",
            {},
            h("span", { className: "line-name" }, `${line.quantity} × ${line.productName}`),
            h("span", { className: "amount" }, line.total.formatted),
          ),
        ),
      ),
    );

    card.append(renderFulfilment(order));

    if (order.problem) {
      card.append(h("p", { className: "problem" }, `Problème signalé : ${order.problem}`));
    }

    card.append(
      h(
        "dl",
        { className: "totals" },
        total("Sous-total", order.subtotal),
        total("Livraison", order.deliveryFee),
        total("Total", order.total, "grand"),
      ),
    );

    if (BOARD_STATUSES.has(order.status)) {
      const actions = h("div", { className: "actions" });
      for (const name of actionsFor(order)) {
        actions.append(renderAction(order, ACTIONS[name], headingId, onChange));
      }
      actions.append(renderProblemAction(order, headingId, onChange));
      card.append(actions);
    }
    return card;
  }

  function total(label, money, className) {
    return h(
      "div",
      { className },
      h("dt", {}, label),
      h("dd", { className: "amount" }, money.formatted),
    );
  }

  function renderFulfilment(order) {
    const f = order.fulfilment;
    const box = h("div", { className: "fulfilment" });
    if (f.mode === "PICKUP") {
      box.append(h("p", {}, h("strong", {}, f.modeLabel)));
      if (f.readyBy) {
        const promise = order.status === "PAID" ? "À préparer pour " : "Promise pour ";
        box.append(h("p", {}, promise, h("time", { datetime: f.readyBy }, when(f.readyBy))));
      }
    } else {
      const carrier = f.carrierLabel ? `, par ${f.carrierLabel}` : "";
      box.append(h("p", {}, h("strong", {}, f.modeLabel), carrier));
      // « Livraison le mardi 8 décembre entre 14 h et 16 h » or « Livraison estimée le … ».
      if (f.deliveryPromise) box.append(h("p", { className: "promise" }, f.deliveryPromise));
      const address = f.address || order.customer.address;
      if (address) {
        box.append(
          h("address", {}, address.street, h("br"), `${address.postcode} ${address.town}`),
        );
      }
      if (f.trackingNumber) {
        const by = f.trackingCarrier ? `${f.trackingCarrier} ` : "";
        box.append(h("p", {}, `Suivi : ${by}${f.trackingNumber}`));
      }
    }
    return box;
  }

  function renderAction(order, spec, headingId, onChange) {
    const error = h("p", { className: "error", role: "alert" });
    const button = h(
      "button",
      { className: "button", type: "submit", "aria-describedby": headingId },
      spec.button,
    );
    const form = h("form", { className: "action", "data-action": spec.field, novalidate: true });
    const inputs = {};
    if (spec.fields.length) {
      const fields = h("div", { className: "action-fields" });
      for (const field of spec.fields) {
        const id = uid(field.name);
        const { className, ...attributes } = field.attributes;
        const input = h("input", { id, name: field.name, type: "text", className, ...attributes });
        if (field.value) input.value = field.value(order);
        inputs[field.name] = input;
        const label = h("label", { for: id }, field.label);
        fields.append(h("div", { className: "field" }, label, input));
      }
      form.append(fields);
    }
    form.append(h("div", { className: "form-actions" }, button));
    if (spec.hint) form.append(h("p", { className: "meta" }, spec.hint));
    form.append(error);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const variables = { orderId: order.id };
      for (const [name, input] of Object.entries(inputs)) {
        const value = input.value.trim();
        if (!value) {
          error.textContent = "Ce champ est obligatoire.";
          input.setAttribute("aria-invalid", "true");
          input.focus();
          return;
        }
        input.removeAttribute("aria-invalid");
        variables[name] = value;
      }
      runAction(spec, variables, { form, button, error, inputs }, onChange);
    });
    return form;
  }

  const PROBLEM_LABEL = "Le problème (le client et le service client sont prévenus)";

  function renderProblemAction(order, headingId, onChange) {
    const wrapper = h("div", { className: "action" });
    const panelId = uid("problem");
    const toggle = h(
      "button",
      {
        className: "button button-quiet",
        type: "button",
        "aria-expanded": "false",
        "aria-controls": panelId,
        "aria-describedby": headingId,
      },
      "Signaler un problème",
    );
    const textareaId = uid("problem-text");
    const textarea = h("textarea", {
      id: textareaId,
      name: "message",
      rows: "3",
      maxlength: "1000",
    });
    const error = h("p", { className: "error", role: "alert" });
    const submit = h("button", { className: "button", type: "submit" }, "Envoyer le signalement");
    const form = h(
      "form",
      { className: "action", id: panelId, "data-action": "reportOrderProblem", hidden: true },
      h(
        "div",
        { className: "field" },
        h("label", { for: textareaId }, PROBLEM_LABEL),
        textarea,
      ),
      h("div", { className: "form-actions" }, submit),
      error,
    );
    toggle.addEventListener("click", () => {
      const open = form.hidden;
      form.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) textarea.focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const message = textarea.value.trim();
      if (!message) {
        error.textContent = "Décrivez le problème.";
        textarea.setAttribute("aria-invalid", "true");
        textarea.focus();
        return;
      }
      textarea.removeAttribute("aria-invalid");
      runAction(
        { document: "ReportOrderProblem", field: "reportOrderProblem" },
        { orderId: order.id, message },
        { form, button: submit, error, inputs: { message: textarea } },
        onChange,
      );
    });
    wrapper.append(toggle, form);
    return wrapper;
  }

  async function runAction(spec, variables, parts, onChange) {
    const { form, button, error, inputs } = parts;
    error.textContent = "";
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const data = await gql(spec.document, variables);
      const payload = data[spec.field];
      if (payload.userErrors.length) {
        error.textContent = payload.userErrors.map((e) => e.message).join(" ");
        const field = payload.userErrors[0].field;
        const input = field && inputs[field[field.length - 1]];
        if (input) {
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
        return;
      }
      if (payload.order) onChange(payload.order);
    } catch (failure) {
      if (failure.code !== "SIGNED_OUT") error.textContent = messageOf(failure);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  // ---------------------------------------------------------------------------------------
  // The board: the shop's orders to handle, one group per step, newest first.
  const board = {
    cards: new Map(), // order number → { order, element, touched }
    shown: new Set(), // every order number shown since the board opened
    tick: 0,
    loaded: false,

    clear() {
      this.cards.clear();
      this.shown.clear();
      this.loaded = false;
      for (const group of document.querySelectorAll(".group [data-cards]")) {
        group.replaceChildren();
      }
      this.updateCounts({});
      $("board-error").textContent = "";
    },

    groupOf(status) {
      return document.querySelector(`.group[data-status="${status}"]`);
    },

    /** Add, update or move a card; false if the order is not one to handle on the board. */
    put(order, { isNew = false, focus = false } = {}) {
      const existing = this.cards.get(order.number);
      if (!BOARD_STATUSES.has(order.status)) {
        if (existing) {
          existing.element.remove();
          this.cards.delete(order.number);
          this.count(existing.order.status, -1);
          this.tick += 1;
          this.updateCounts();
        }
        return false;
      }
      if (existing && JSON.stringify(existing.order) === JSON.stringify(order)) return true;
      if (!existing || existing.order.status !== order.status) {
        // Keep the "N shown of M" counts right between two reads of the board.
        this.count(order.status, 1);
        if (existing) this.count(existing.order.status, -1);
      }
      const keepNew = Boolean(existing && existing.element.classList.contains("is-new"));
      const element = renderCard(order, {
        headingLevel: 4,
        link: true,
        isNew: isNew || (keepNew && order.status === "PAID"),
        onChange: (changed) => this.changed(changed),
      });
      if (existing) existing.element.remove();
      this.tick += 1;
      this.cards.set(order.number, { order, element, touched: this.tick });
      this.shown.add(order.number);
      this.insert(element, order);
      this.updateCounts();
      if (focus) element.focus();
      return true;
    },

    insert(element, order) {
      const list = this.groupOf(order.status).querySelector("[data-cards]");
      const time = (o) => Date.parse(o.paidAt || o.createdAt) || 0;
      const key = time(order);
      const after = [...list.children].find((other) => {
        const entry = this.cards.get(other.dataset.number);
        return entry && time(entry.order) < key;
      });
      list.insertBefore(element, after || null);
    },

    changed(order) {
      const onBoard = this.put(order, { focus: true });
      if (!onBoard) {
        // Done (collected, delivered…): the card leaves the board.
        $("main").focus();
      }
      announce(`Commande ${order.number} : ${order.statusLabel}.`);
    },

    count(status, change) {
      this.totals = this.totals || {};
      this.totals[status] = Math.max((this.totals[status] || 0) + change, 0);
    },

    updateCounts(totals) {
      if (totals) this.totals = totals;
      for (const { status } of GROUPS) {
        const group = this.groupOf(status);
        const shown = group.querySelector("[data-cards]").children.length;
        const total = Math.max((this.totals && this.totals[status]) || 0, shown);
        group.querySelector("[data-count]").textContent = String(shown);
        group.querySelector("[data-empty]").hidden = shown > 0;
        const more = group.querySelector("[data-more]");
        more.hidden = total <= shown;
        more.textContent =
          total > shown ? `${shown} affichées sur ${total} : les plus récentes d’abord.` : "";
      }
    },

    /** Read the three groups. A card changed since the request started is left alone. */
    async load({ initial }) {
      const shop = state.shop;
      const startedAt = this.tick;
      const before = new Set(this.cards.keys());
      const data = await gql("Board", { shopId: shop.id, first: BOARD_PAGE });
      if (state.shop !== shop) return;
      const node = data.node;
      if (!node || GROUPS.some((g) => !node[g.alias])) {
        const message = "Cette boutique n’est pas la vôtre, ou elle est introuvable.";
        throw new ApiError(message, "FORBIDDEN");
      }
      const totals = {};
      const complete = {};
      const seen = new Set();
      for (const { status, alias } of GROUPS) {
        const connection = node[alias];
        totals[status] = connection.totalCount;
        complete[status] = connection.totalCount <= connection.edges.length;
        for (const { node: order } of connection.edges) {
          seen.add(order.number);
          const entry = this.cards.get(order.number);
          if (entry && entry.touched > startedAt) continue;
          const fresh = !initial && !this.shown.has(order.number) && order.status === "PAID";
          this.put(order, { isNew: fresh });
          if (fresh) alertNewOrder();
        }
      }
      for (const number of before) {
        const entry = this.cards.get(number);
        if (!entry || seen.has(number) || entry.touched > startedAt) continue;
        if (complete[entry.order.status]) {
          entry.element.remove();
          this.cards.delete(number);
        }
      }
      this.loaded = true;
      this.updateCounts(totals);
    },

    /** An order pushed by the subscription. */
    pushed(order) {
      if (this.shown.has(order.number)) {
        // Already on the board (or handled since): refresh it silently, never twice.
        const entry = this.cards.get(order.number);
        if (entry && entry.order.status === order.status) this.put(order);
        return;
      }
      if (this.put(order, { isNew: order.status === "PAID" })) {
        alertNewOrder();
        announce(`Nouvelle commande ${order.number}.`);
      }
    },
  };

  async function openBoard(shop) {
    hideViews();
    board.clear();
    setBaseTitle(`Commandes — ${shop.name}`);
    show("board", true);
    setLiveStatus("Connexion…", "reconnecting");
    try {
      await live.catchUp(shop);
      if (state.shop !== shop) return;
      await board.load({ initial: true });
      if (state.shop !== shop) return;
      live.start(shop);
    } catch (error) {
      if (error.code === "SIGNED_OUT" || state.shop !== shop) return;
      if (error.code === "FORBIDDEN") {
        $("board-error").textContent = error.message;
        setLiveStatus("Hors ligne", "error");
        return;
      }
      $("board-error").textContent = messageOf(error);
      setLiveStatus("Reconnexion…", "reconnecting");
      window.setTimeout(() => {
        if (state.shop === shop && state.auth) openBoard(shop);
      }, BACKOFF_MAX_MS / 2);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Live orders over the WebSocket (graphql-ws, protocol graphql-transport-ws).
  //
  // Reconnection is ours, not the library's (retryAttempts: 0): its retry would re-send the
  // subscription with the ORIGINAL « after ». On any close — network cut, server restart
  // (1006, 1001, 1012…), missed pong after a sleep, token refresh — a NEW client subscribes
  // with « after » = the last event received, after a backoff of 0.5 s, 1 s, 2 s… up to 10 s.
  // The server replays what was missed; the sets of event ids and order numbers already
  // shown make sure that an order is never shown twice. 4403 (session expired or logged
  // out): refresh the token once, then reconnect; if refreshing fails, sign in again.
  const live = {
    wanted: false,
    shop: null,
    client: null,
    generation: 0,
    attempt: 0,
    timer: null,
    stableTimer: null,
    connected: false,
    lastEventId: null,
    lastSequence: 0,
    fromFirst: false, // the shop had no event when the board was read: replay from its first
    seenEvents: new Set(),
    lastPongAt: 0,
    sessionRefreshAt: 0,
    firstConnection: true,

    cursorKey(shop) {
      return `cursor.${shop.id}`;
    },

    remember(event) {
      if (event.sequence > this.lastSequence) {
        this.lastSequence = event.sequence;
        this.lastEventId = event.id;
        this.fromFirst = false;
        storage.set(this.cursorKey(this.shop), { id: event.id, sequence: event.sequence });
      }
    },

    /** Find the shop's latest order event, so that the very first subscription already
     * has an « after » (the API has no « latest event » field: read the events forward,
     * from the cursor kept for this tab). */
    async catchUp(shop) {
      this.shop = shop;
      this.seenEvents.clear();
      let cursor = storage.get(this.cursorKey(shop));
      for (let page = 0; page < 10_000; page += 1) {
        let events;
        try {
          const data = await gql("OrderEvents", {
            shopId: shop.id,
            after: cursor ? cursor.id : null,
            first: EVENTS_PAGE,
          });
          events = data.orderEvents;
        } catch (error) {
          if (cursor && error.code === "BAD_USER_INPUT") {
            cursor = null; // an event this server does not know: start over
            continue;
          }
          throw error;
        }
        if (events.length) {
          const last = events[events.length - 1];
          cursor = { id: last.id, sequence: last.sequence };
        }
        if (events.length < EVENTS_PAGE) break;
      }
      this.lastEventId = cursor ? cursor.id : null;
      this.lastSequence = cursor ? cursor.sequence : 0;
      // No event yet: ask for every event from the first, so that an order paid while the
      // subscription is on its way is sent too (« null » alone means: from the server's now).
      this.fromFirst = !cursor;
      if (cursor) storage.set(this.cursorKey(shop), cursor);
    },

    start(shop) {
      this.stop();
      this.wanted = true;
      this.shop = shop;
      this.attempt = 0;
      this.firstConnection = true;
      this.connect();
    },

    stop() {
      this.wanted = false;
      this.generation += 1;
      window.clearTimeout(this.timer);
      this.dispose();
      this.connected = false;
    },

    dispose() {
      const client = this.client;
      this.client = null;
      if (client) {
        // dispose() rejects when the socket never opened: nothing to report.
        Promise.resolve()
          .then(() => client.dispose())
          .catch(() => {});
      }
    },

    connect() {
      if (!this.wanted || !state.auth) return;
      window.clearTimeout(this.timer);
      this.dispose();
      const generation = ++this.generation;
      const shop = this.shop;
      const after = this.lastEventId;
      const fromFirst = !after && this.fromFirst;
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      if (!this.connected) {
        setLiveStatus(this.firstConnection ? "Connexion…" : "Reconnexion…", "reconnecting");
      }
      let client;
      try {
        client = graphqlWs.createClient({
          url: `${scheme}://${location.host}/graphql`,
          connectionParams: () => ({
            authorization: `Bearer ${state.auth ? state.auth.accessToken : ""}`,
          }),
          retryAttempts: 0,
          keepAlive: KEEP_ALIVE_MS,
          on: {
            connected: () => this.onConnected(generation, after || fromFirst),
            ping: (received) => {
              if (!received) this.watchPong(generation);
            },
            pong: (received) => {
              if (received) this.lastPongAt = Date.now();
            },
            message: () => {
              this.lastPongAt = Date.now();
            },
            closed: (event) => this.dropped(generation, event),
          },
        });
      } catch {
        this.scheduleReconnect();
        return;
      }
      this.client = client;
      client.subscribe(
        {
          query: state.docs.OrderPlaced,
          operationName: "OrderPlaced",
          variables: { shopId: shop.id, after, fromFirst },
        },
        {
          next: (result) => {
            if (generation === this.generation) this.received(result);
          },
          error: (error) => {
            if (generation !== this.generation) return;
            if (error && typeof error.code === "number") this.dropped(generation, error);
            else this.refused(generation, error);
          },
          complete: () => this.dropped(generation, { code: 1000 }),
        },
      );
    },

    onConnected(generation, replays) {
      if (generation !== this.generation) return;
      this.connected = true;
      this.lastPongAt = Date.now();
      window.clearTimeout(this.stableTimer);
      this.stableTimer = window.setTimeout(() => {
        if (generation === this.generation) this.attempt = 0;
      }, STABLE_MS);
      setLiveStatus("En direct", "live");
      const first = this.firstConnection;
      this.firstConnection = false;
      if (first && replays) return; // the board was just read, and the replay covers the rest
      // Once subscribed, re-read the board: what changed elsewhere while we were away, and
      // (for a shop without any event yet) an order the replay cannot name.
      window.setTimeout(() => {
        if (generation !== this.generation || !state.shop) return;
        board.load({ initial: false }).catch(() => {});
      }, CATCH_UP_DELAY_MS);
    },

    watchPong(generation) {
      const sentAt = Date.now();
      window.setTimeout(() => {
        if (generation === this.generation && this.client && this.lastPongAt < sentAt) {
          this.client.terminate(); // a dead connection (sleep, network cut): reconnect
        }
      }, PONG_TIMEOUT_MS);
    },

    received(result) {
      if (result.errors && result.errors.length) {
        $("board-error").textContent = result.errors[0].message;
        return;
      }
      const order = result.data && result.data.orderPlaced;
      if (!order) return;
      const event = order.event;
      if (event) {
        if (this.seenEvents.has(event.id)) return;
        this.seenEvents.add(event.id);
        this.remember(event);
      }
      board.pushed(order);
    },

    refused(generation, errors) {
      // The subscription was refused before it started (a list of GraphQL errors).
      this.generation += 1;
      this.dispose();
      this.connected = false;
      const list = Array.isArray(errors) ? errors : [errors];
      const codes = list.map((e) => e && e.extensions && e.extensions.code);
      if (codes.includes("UNAUTHENTICATED")) {
        this.sessionClosed();
        return;
      }
      if (codes.includes("BAD_USER_INPUT") && this.lastEventId) {
        // An « after » the server does not know: start again from the latest event.
        storage.set(this.cursorKey(this.shop), null);
        this.lastEventId = null;
        this.lastSequence = 0;
        this.fromFirst = false; // the shop has events: replaying them all would alert again
        this.firstConnection = false;
        this.scheduleReconnect(0);
        return;
      }
      if (codes.includes("FORBIDDEN")) {
        this.wanted = false;
        setLiveStatus("Hors ligne", "error");
        $("board-error").textContent = (list[0] && list[0].message) || "Accès refusé.";
        return;
      }
      this.scheduleReconnect();
    },

    dropped(generation, event) {
      if (generation !== this.generation) return; // already handled, or replaced on purpose
      this.generation += 1;
      this.connected = false;
      this.dispose();
      if (!this.wanted || !state.auth) return;
      const code = event && event.code;
      if (code === 4403 || code === 4401) {
        this.sessionClosed();
        return;
      }
      this.scheduleReconnect();
    },

    async sessionClosed() {
      setLiveStatus("Reconnexion…", "reconnecting");
      if (Date.now() - this.sessionRefreshAt < SESSION_LOOP_MS) {
        signedOut("Votre session a pris fin : reconnectez-vous.");
        return;
      }
      this.sessionRefreshAt = Date.now();
      try {
        await refreshOrSignOut(); // on success, the refresh reconnects with the new token
      } catch {
        this.scheduleReconnect(); // the server is unreachable: try again later
      }
    },

    scheduleReconnect(delay) {
      if (!this.wanted) return;
      const backoff = Math.min(BACKOFF_FIRST_MS * 2 ** this.attempt, BACKOFF_MAX_MS);
      const wait = delay !== undefined ? delay : backoff;
      this.attempt += 1;
      this.firstConnection = false;
      setLiveStatus("Reconnexion…", "reconnecting");
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.connect(), wait);
    },

    /** Back from sleep, or the network is back: check the connection now. */
    wake() {
      if (!this.wanted) return;
      if (!this.connected) {
        this.attempt = 0;
        this.scheduleReconnect(0);
      } else if (Date.now() - this.lastPongAt > KEEP_ALIVE_MS + PONG_TIMEOUT_MS && this.client) {
        this.client.terminate();
      }
    },
  };

  function reconnectNow() {
    live.firstConnection = false;
    live.attempt = 0;
    live.connect();
  }

  // ---------------------------------------------------------------------------------------
  // One order alone: /commercant/commandes/<number> (the SMS link).
  async function showOrder(number) {
    hideViews();
    setBaseTitle(`${number} — Commandes`, `Commande ${number}`);
    setLiveStatus("", "idle");
    show("loading", true);
    let order;
    try {
      order = (await gql("Order", { number })).order;
    } catch (error) {
      if (error.code === "SIGNED_OUT") return;
      showMessage("Commande indisponible", messageOf(error), true);
      return;
    }
    if (!order) {
      showMessage(
        "Commande introuvable",
        `La commande ${number} n’existe pas, ou elle n’est pas celle d’une de vos boutiques.`,
        true,
      );
      return;
    }
    hideViews();
    const slot = $("order-slot");
    const place = (current) => {
      const card = renderCard(current, {
        headingLevel: 2,
        link: false,
        isNew: false,
        onChange: (changed) => {
          const next = place(changed);
          next.focus();
          announce(`Commande ${changed.number} : ${changed.statusLabel}.`);
        },
      });
      slot.replaceChildren(card);
      return card;
    };
    place(order);
    show("order-view", true);
  }

  // ---------------------------------------------------------------------------------------
  // Sign-in, logout, shop choice.
  async function signIn(event) {
    event.preventDefault();
    unlockAudio(); // the click is the user gesture browsers require for sound
    const form = event.currentTarget;
    const button = form.querySelector("button[type=submit]");
    const error = $("signin-error");
    const email = $("email").value.trim();
    const password = $("password").value;
    error.textContent = "";
    if (!email || !password) {
      error.textContent = "Saisissez votre e-mail et votre mot de passe.";
      (email ? $("password") : $("email")).focus();
      return;
    }
    button.disabled = true;
    try {
      const data = await post("Login", { email, password });
      const payload = data.login;
      if (payload.userErrors.length || !payload.accessToken) {
        const messages = payload.userErrors.map((e) => e.message).join(" ");
        error.textContent = messages || "Connexion refusée.";
        $("password").focus();
        return;
      }
      $("password").value = "";
      saveAuth(payload);
      state.user = payload.user;
      await route();
    } catch (failure) {
      error.textContent = messageOf(failure);
    } finally {
      button.disabled = false;
    }
  }

  async function logout() {
    const auth = state.auth;
    live.stop();
    if (auth) {
      try {
        await post("Logout", {}, auth.accessToken);
      } catch {
        /* the session ends with its tokens anyway */
      }
    }
    signedOut("Vous êtes déconnecté.");
  }

  function chooseShop() {
    const id = $("shop").value;
    const shop = ((state.user && state.user.shops) || []).find((s) => s.id === id);
    if (!shop || (state.shop && state.shop.id === shop.id)) return;
    live.stop();
    state.shop = shop;
    state.unseen = 0;
    storage.set("shop", shop.id);
    showAccount();
    openBoard(shop);
  }

  // ---------------------------------------------------------------------------------------
  // Start.
  async function loadDocuments() {
    const response = await fetch("/commercant/static/documents.json", {
      cache: "no-cache",
      credentials: "omit",
    });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  async function start() {
    $("signin-form").addEventListener("submit", signIn);
    $("logout").addEventListener("click", logout);
    $("shop").addEventListener("change", chooseShop);
    $("sound").addEventListener("click", unlockAudio);
    for (const type of ["pointerdown", "keydown"]) {
      document.addEventListener(
        type,
        () => {
          if (state.auth) unlockAudio();
          acknowledge();
        },
        { passive: true },
      );
    }
    window.addEventListener("focus", acknowledge);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      acknowledge();
      if (state.auth && msUntilExpiry() < REFRESH_BEFORE_MS) {
        refresh().catch(() => {});
      }
      live.wake();
    });
    window.addEventListener("online", () => live.wake());

    try {
      state.docs = await loadDocuments();
    } catch {
      showMessage("Page indisponible", NETWORK_MESSAGE);
      return;
    }
    state.auth = storage.get("auth");
    if (!state.auth || !state.auth.refreshToken) {
      state.auth = null;
      showSignIn();
      return;
    }
    scheduleRefresh();
    try {
      state.user = (await gql("MerchantViewer", {})).viewer;
    } catch (error) {
      if (error.code !== "SIGNED_OUT") showMessage("Page indisponible", messageOf(error));
      return;
    }
    await route();
  }

  function boot() {
    start().catch(() => showMessage("Page indisponible", "Rechargez la page pour réessayer."));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
