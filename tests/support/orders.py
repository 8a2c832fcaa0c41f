"""An order after checkout through the API: the merchant's steps, a shop's orders, orderPlaced."""

READY = """mutation($o: ID!) { markOrderReady(input: {orderId: $o}) {
  order { status pickupCode } userErrors { field code } } }"""
COLLECTED = """mutation($o: ID!, $c: String!) { markOrderCollected(input: {orderId: $o,
  pickupCode: $c}) { order { status } userErrors { field code } } }"""
SHIPPED = """mutation($o: ID!) { markOrderShipped(input: {orderId: $o, carrier: "Colissimo",
  trackingNumber: "6A123456789"}) { order { status fulfilment { trackingNumber } }
  userErrors { field code } } }"""
DELIVERED = """mutation($o: ID!) { markOrderDelivered(input: {orderId: $o}) {
  order { status } userErrors { field code } } }"""
SHOP_ORDERS = """query($s: ID!) { node(id: $s) { ... on Shop { payouts { status }
  orders { edges { node { id status pickupCode
    customer { firstName lastName phone address { street } } } } } } } }"""
PLACED = """subscription($s: ID!, $after: ID) { orderPlaced(shopId: $s, after: $after) {
  id status total { cents } shop { id } event { id sequence kind } } }"""
