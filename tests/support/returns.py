"""The customer's withdrawal through the API: asking for a return, the merchant confirming it."""

REQUEST = """mutation($input: RequestReturnInput!) { requestReturn(input: $input) {
  return { id status refund { cents } deliveryFeeRefunded { cents } } userErrors { field code } } }"""
CONFIRM = """mutation($input: ConfirmReturnReceivedInput!) { confirmReturnReceived(input: $input) {
  return { id status condition merchantNote refund { cents } } userErrors { field code } } }"""
