// A storefront on its own origin: every call is a cross-origin fetch to the API (CORS).
"use strict";
const API = new URLSearchParams(location.search).get("api");
const state = {token: null, cartToken: null, purchase: null, stripe: null, card: null};
const $ = (id) => document.getElementById(id);

async function gql(query, variables) {
  const headers = {"Content-Type": "application/json"};
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (state.cartToken) headers["X-Cart-Token"] = state.cartToken;
  const response = await fetch(API + "/graphql", {
    method: "POST", headers, body: JSON.stringify({query, variables}),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

function say(text) { $("status").textContent = text; }

function userErrors(payload) {
  if (payload.userErrors.length) throw new Error(payload.userErrors.map((e) => e.code).join(","));
  return payload;
}

const CART = `cart { itemsCount total { formatted } shops { shop { id name }
  fulfilment { mode carrier }
  deliveryOptions { carrier label fee { formatted } free estimatedDelivery { earliest latest } }
  lines { product { name } quantity } } }`;

function showCart(cart) {
  $("cart-count").textContent = `${cart ? cart.itemsCount : 0} article(s)`;
  const box = $("cart-shops");
  box.replaceChildren();
  for (const part of (cart ? cart.shops : [])) {
    const group = document.createElement("fieldset");
    group.dataset.shop = part.shop.name;
    const legend = document.createElement("legend");
    legend.textContent = part.shop.name;
    group.append(legend);
    const choices = [{value: "PICKUP", text: "Retrait en boutique"}].concat(
      part.deliveryOptions.map((o) => ({
        value: o.carrier,
        text: `${o.label} — ${o.free ? "offerte" : o.fee.formatted}` +
          ` (entre le ${o.estimatedDelivery.earliest} et le ${o.estimatedDelivery.latest})`,
      })));
    for (const choice of choices) {
      const id = `ship-${part.shop.id}-${choice.value}`.replace(/[^A-Za-z0-9_-]/g, "_");
      const input = document.createElement("input");
      Object.assign(input, {type: "radio", name: "ship-" + part.shop.id, id, value: choice.value});
      const chosen = part.fulfilment &&
        (part.fulfilment.mode === "PICKUP" ? "PICKUP" : part.fulfilment.carrier);
      input.checked = chosen === choice.value;
      input.addEventListener("change", () => choose(part.shop.id, choice.value));
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = choice.text;
      group.append(input, label);
    }
    box.append(group);
  }
}

async function choose(shopId, value) {
  const input = value === "PICKUP"
    ? {shopId, mode: "PICKUP"}
    : {shopId, mode: "DELIVERY", carrier: value};
  const data = await gql(`mutation($input: CartSetFulfilmentInput!) {
    cartSetFulfilment(input: $input) { userErrors { code } ${CART} } }`, {input});
  showCart(userErrors(data.cartSetFulfilment).cart);
  say("Livraison choisie");
}

async function addToCart(productId) {
  const data = await gql(`mutation($id: ID!) {
    cartAddItem(input: {productId: $id, quantity: 1}) { cartToken userErrors { code } ${CART} } }`,
    {id: productId});
  const payload = userErrors(data.cartAddItem);
  if (payload.cartToken) state.cartToken = payload.cartToken;
  showCart(payload.cart);
  say("Ajouté au panier");
}

async function showDelivery() {
  const data = await gql(`mutation($p: String!) {
    cartSetDeliveryPostcode(input: {postcode: $p}) { userErrors { code } ${CART} } }`,
    {p: $("postcode").value});
  showCart(userErrors(data.cartSetDeliveryPostcode).cart);
  say("Livraisons affichées");
}

async function register() {
  const data = await gql(`mutation($input: RegisterInput!) {
    register(input: $input) { accessToken user { firstName } userErrors { code } } }`,
    {input: {email: $("email").value, password: $("password").value,
             firstName: $("first-name").value, lastName: $("last-name").value}});
  const payload = userErrors(data.register);
  state.token = payload.accessToken;
  state.cartToken = null;  // the cart is now the customer's
  $("hello").textContent = `Bonjour ${payload.user.firstName}`;
  showCart((await gql(`{ ${CART} }`)).cart);
  say("Compte créé");
}

async function checkout() {
  const data = await gql(`mutation($input: CheckoutInput!) { checkout(input: $input) {
      purchase { id total { formatted } payment { clientSecret } orders { number } }
      userErrors { code message } } }`,
    {input: {idempotencyKey: crypto.randomUUID(), contactPhone: $("phone").value,
             address: {street: $("street").value, postcode: $("postcode").value,
                       town: $("town").value}}});
  state.purchase = userErrors(data.checkout).purchase;
  const {platformInfo} = await gql(
    "{ platformInfo { payments { publishableKey stripeJsUrl offline } } }");
  await new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = platformInfo.payments.stripeJsUrl;
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
  state.stripe = Stripe(platformInfo.payments.publishableKey);
  state.card = state.stripe.elements().create("card");
  state.card.mount("#card");
  $("pay").disabled = false;
  say(`À payer : ${state.purchase.total.formatted}`);
}

async function pay() {
  const {paymentIntent, error} = await state.stripe.confirmCardPayment(
    state.purchase.payment.clientSecret, {payment_method: {card: state.card}});
  if (error) {
    $("payment-result").textContent = "Paiement refusé : " + error.message;
    return;
  }
  const data = await gql(`mutation($id: ID!) { confirmPayment(input: {purchaseId: $id}) {
      purchase { status orders { number status } } userErrors { code } } }`,
    {id: state.purchase.id});
  const purchase = userErrors(data.confirmPayment).purchase;
  $("payment-result").textContent = `Paiement ${paymentIntent.status} : achat ${purchase.status}`;
  $("orders").replaceChildren(...purchase.orders.map((order) => {
    const item = document.createElement("li");
    item.textContent = `${order.number} ${order.status}`;
    return item;
  }));
}

async function browse() {
  const data = await gql(`{ products(first: 20) { edges { node {
    id name price { formatted } shop { name } } } } }`);
  for (const {node} of data.products.edges) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Ajouter ${node.name} (${node.shop.name}, ${node.price.formatted})`;
    button.addEventListener("click", () => addToCart(node.id).catch((e) => say(e.message)));
    item.append(button);
    $("products").append(item);
  }
  say("Catalogue chargé");
}

const guard = (action) => () => action().catch((error) => say("Erreur : " + error.message));
$("show-delivery").addEventListener("click", guard(showDelivery));
$("register").addEventListener("click", guard(register));
$("checkout").addEventListener("click", guard(checkout));
$("pay").addEventListener("click", guard(pay));
guard(browse)();
