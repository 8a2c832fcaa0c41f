/*
 * Stripe.js, OFFLINE — a test double served by Otesaintjo's Connect double, NOT Stripe.js.
 * No real money. Part of Otesaintjo (AGPL-3.0-or-later).
 *
 * The subset of https://js.stripe.com/v3/ a storefront needs to pay a PaymentIntent:
 *   const stripe = Stripe(publishableKey);
 *   const card = stripe.elements().create("card"); card.mount("#card");
 *   const {paymentIntent, error} = await stripe.confirmCardPayment(clientSecret,
 *     {payment_method: {card}});          // or {payment_method: "pm_card_visa"}
 *   await stripe.retrievePaymentIntent(clientSecret);
 * Requests carry what Stripe.js sends (publishable key, client secret, card), form-encoded,
 * to the server this script came from. Test cards: 4242 4242 4242 4242 (paid),
 * 4000 0000 0000 0341 (declined), 4000 0025 0000 3155 (3-D Secure: a dialog asks).
 */
(function () {
  "use strict";
  const BASE = new URL(document.currentScript.src).origin;

  function encode(data, prefix, out) {
    Object.keys(data).forEach(function (key) {
      const value = data[key];
      const name = prefix ? prefix + "[" + key + "]" : key;
      if (value !== null && typeof value === "object") {
        encode(value, name, out);
      } else if (value !== undefined && value !== null) {
        out.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(value)));
      }
    });
    return out;
  }

  async function call(method, path, data) {
    const body = encode(data, "", []).join("&");
    const url = BASE + path + (method === "GET" ? "?" + body : "");
    try {
      const response = await fetch(url, {
        method: method,
        headers: method === "GET" ? {} : {"Content-Type": "application/x-www-form-urlencoded"},
        body: method === "GET" ? undefined : body,
      });
      const json = await response.json();
      return response.ok ? {object: json} : {error: json.error || {message: "Erreur"}};
    } catch (failure) {
      return {error: {type: "api_connection_error", message: String(failure)}};
    }
  }

  function intentId(clientSecret) {
    const match = /^(pi_[A-Za-z0-9]+)_secret_/.exec(clientSecret || "");
    if (!match) throw new Error("Stripe (hors ligne) : clientSecret invalide");
    return match[1];
  }

  let fieldCount = 0;

  function CardElement() {
    this.listeners = {};
    this.inputs = null;
    this.node = null;
  }
  CardElement.prototype.mount = function (target) {
    const parent = typeof target === "string" ? document.querySelector(target) : target;
    if (!parent) throw new Error("Stripe (hors ligne) : élément introuvable pour mount()");
    const box = document.createElement("fieldset");
    box.className = "stripe-offline-card";
    const legend = document.createElement("legend");
    legend.textContent = "Carte bancaire (paiement hors ligne, aucun argent réel)";
    box.appendChild(legend);
    const fields = [
      ["number", "Numéro de carte", "cc-number", "4242 4242 4242 4242"],
      ["expiry", "Date d'expiration (MM/AA)", "cc-exp", "12/34"],
      ["cvc", "Cryptogramme (CVC)", "cc-csc", "123"],
    ];
    const self = this;
    this.inputs = {};
    fields.forEach(function (field) {
      fieldCount += 1;
      const id = "stripe-offline-" + field[0] + "-" + fieldCount;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = field[1];
      const input = document.createElement("input");
      input.id = id;
      input.name = field[0];
      input.autocomplete = field[2];
      input.inputMode = "numeric";
      input.placeholder = field[3];
      input.addEventListener("input", function () {
        (self.listeners.change || []).forEach(function (handler) {
          handler({complete: self.complete()});
        });
      });
      self.inputs[field[0]] = input;
      box.appendChild(label);
      box.appendChild(input);
    });
    parent.appendChild(box);
    this.node = box;
  };
  CardElement.prototype.card = function () {
    const digits = function (text) { return (text || "").replace(/\D/g, ""); };
    const expiry = digits(this.inputs.expiry.value);
    return {
      number: digits(this.inputs.number.value),
      exp_month: expiry.slice(0, 2),
      exp_year: expiry.slice(2),
      cvc: digits(this.inputs.cvc.value),
    };
  };
  CardElement.prototype.complete = function () {
    const card = this.card();
    return card.number.length === 16 && card.exp_month.length === 2 && card.cvc.length === 3;
  };
  CardElement.prototype.on = function (event, handler) {
    (this.listeners[event] = this.listeners[event] || []).push(handler);
  };
  CardElement.prototype.unmount = function () {
    if (this.node) this.node.remove();
    this.node = null;
  };
  CardElement.prototype.destroy = CardElement.prototype.unmount;
  CardElement.prototype.focus = function () {
    if (this.inputs) this.inputs.number.focus();
  };

  function askForAuthentication() {
    return new Promise(function (resolve) {
      const dialog = document.createElement("dialog");
      dialog.setAttribute("aria-label", "Authentification 3-D Secure");
      const text = document.createElement("p");
      text.textContent = "3-D Secure (hors ligne) : valider ce paiement ?";
      dialog.appendChild(text);
      [["Valider", true], ["Refuser", false]].forEach(function (choice) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = choice[0];
        button.addEventListener("click", function () {
          dialog.close();
          dialog.remove();
          resolve(choice[1]);
        });
        dialog.appendChild(button);
      });
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }

  window.Stripe = function (publishableKey) {
    if (!/^pk_/.test(publishableKey || "")) {
      throw new Error("Stripe (hors ligne) : une clé publique pk_… est attendue");
    }
    const credentials = function (clientSecret) {
      return {key: publishableKey, client_secret: clientSecret};
    };
    return {
      elements: function () {
        let created = null;
        return {
          create: function (type) {
            if (type !== "card") throw new Error("Stripe (hors ligne) : seul « card » existe");
            created = new CardElement();
            return created;
          },
          getElement: function () { return created; },
        };
      },
      confirmCardPayment: async function (clientSecret, data) {
        const id = intentId(clientSecret);
        const request = credentials(clientSecret);
        const method = (data || {}).payment_method;
        if (typeof method === "string") {
          request.payment_method = method;
        } else if (method && method.card instanceof CardElement) {
          request.payment_method_data = {type: "card", card: method.card.card()};
        } else {
          return {error: {type: "validation_error", message: "Aucun moyen de paiement."}};
        }
        let result = await call("POST", "/v1/payment_intents/" + id + "/confirm", request);
        if (result.error) return {error: result.error};
        if (result.object.status === "requires_action") {
          const accepted = await askForAuthentication();
          const step = credentials(clientSecret);
          step.success = accepted ? "true" : "false";
          result = await call("POST", "/v1/payment_intents/" + id + "/authenticate", step);
          if (result.error) return {error: result.error};
          if (result.object.status !== "succeeded" && result.object.status !== "processing") {
            return {error: {
              type: "card_error",
              code: "payment_intent_authentication_failure",
              message: "L'authentification 3-D Secure a échoué.",
              payment_intent: result.object,
            }};
          }
        }
        return {paymentIntent: result.object};
      },
      retrievePaymentIntent: async function (clientSecret) {
        const id = intentId(clientSecret);
        const result = await call("GET", "/v1/payment_intents/" + id, credentials(clientSecret));
        return result.error ? {error: result.error} : {paymentIntent: result.object};
      },
    };
  };
  window.Stripe.offline = true;
})();
