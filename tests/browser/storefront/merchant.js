// A merchant's live screen on another origin: login over fetch, then orderPlaced over
// WebSocket with the npm graphql-ws client (the copy the API serves, /assets/vendor/...).
"use strict";
const params = new URLSearchParams(location.search);
const API = params.get("api");
const $ = (id) => document.getElementById(id);

async function gql(query, variables, token) {
  const headers = {"Content-Type": "application/json"};
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(API + "/graphql", {
    method: "POST", headers, body: JSON.stringify({query, variables}),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

function loadClient() {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = API + params.get("graphqlWs");
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
}

async function start() {
  const {login} = await gql(`mutation($e: String!, $p: String!) {
    login(input: {email: $e, password: $p}) { accessToken user { shops { id name } } } }`,
    {e: $("email").value, p: $("password").value});
  await loadClient();
  const shop = login.user.shops[0];
  const client = graphqlWs.createClient({
    url: API.replace(/^http/, "ws") + "/graphql",
    connectionParams: {authorization: "Bearer " + login.accessToken},
  });
  client.subscribe(
    {query: `subscription($s: ID!) { orderPlaced(shopId: $s) { number total { formatted }
       customer { firstName } event { id } } }`, variables: {s: shop.id}},
    {
      next: ({data, errors}) => {
        if (errors) { $("status").textContent = "Erreur : " + errors[0].message; return; }
        const order = data.orderPlaced;
        const item = document.createElement("li");
        item.textContent = `${order.number} — ${order.customer.firstName} — ${order.total.formatted}`;
        $("orders").append(item);
      },
      error: (error) => { $("status").textContent = "Erreur WebSocket : " + error; },
      complete: () => {},
    });
  client.on("connected", () => { $("status").textContent = `En direct : ${shop.name}`; });
}

$("login").addEventListener("click", () => start().catch((e) => {
  $("status").textContent = "Erreur : " + e.message;
}));
