"""The traffic mix of the storefront benchmark: documents, inputs, request files, self-check.

Four kinds of page, each one GraphQL document with variables (as a storefront built with
Apollo or urql sends them), drawn with fixed shares:

| kind | share | document | inputs |
| --- | ---: | --- | --- |
| storefront | 30 % | ``products(first: 20, after: $after)`` | pages 1–10 (real cursors) |
| search | 25 % | ``products(first: 20, search: $q)`` | ~40 terms from product names |
| shop | 20 % | ``shop(slug: $slug)`` with its first 20 products | every shop |
| product | 25 % | ``node(id: $id) { ... on Product { … } }`` | a sample of product ids |

The inputs are collected from the running server before anything is measured (the cursors by
walking the pages, the shops from ``shops``), the product ids from the database; the search
words come from the demo catalogue's product names (``otesaintjo.demo``), whole words, two
words, and prefixes, kept only if they find something. A fixed seed makes the same mix every
run on the same catalogue.

``write_requests`` writes the list wrk replays (``mix.lua``): one request per line,
``path<TAB>token<TAB>JSON body``; our server gets every body at ``/graphql``, the floor the same
body at the kind's own path.
"""

from __future__ import annotations

import asyncio
import base64
import difflib
import itertools
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PAGE_INFO = "pageInfo { hasNextPage endCursor }"
CARD = "id name price { formatted } stock shop { id name } images { url }"
DOCUMENTS = {
    "storefront": (
        "query Storefront($after: String) { products(first: 20, after: $after) {"
        f" edges {{ node {{ {CARD} }} }} {PAGE_INFO} }} }}"
    ),
    "search": (
        "query Search($q: String!) { products(first: 20, search: $q) {"
        f" edges {{ node {{ {CARD} }} }} {PAGE_INFO} }} }}"
    ),
    "shop": (
        "query Shop($slug: String!) { shop(slug: $slug) { id slug name"
        " address { street postcode town } categories about { description website }"
        " products(first: 20) { edges { node { id name price { formatted } stock images { url } } }"
        f" {PAGE_INFO} }} }} }}"
    ),
    "product": (
        "query Product($id: ID!) { node(id: $id) { ... on Product { id name description"
        " category deliverable stock available price { formatted } compareAtPrice { formatted }"
        " promotionEndsAt regularPrice { formatted } vatRate shop { id slug name }"
        " images { url } } } }"
    ),
}
OPERATIONS = {
    "storefront": "Storefront",
    "search": "Search",
    "shop": "Shop",
    "product": "Product",
}
SHARES = {"storefront": 30, "search": 25, "shop": 20, "product": 25}
FLOOR_PATHS = {kind: f"/{kind}" for kind in DOCUMENTS}
PAGES = 10
SEARCH_TERMS = 40
# Searches that hold products on promotion (percent on listed products, an amount off, two
# promotions in one shop, a whole-shop promotion): always in the mix, so prices are checked.
PROMOTION_SEARCHES = ("macatia", "expresso", "casque", "contes")
SEED = 20261129
MIX_LENGTH = 4000  # requests in the list wrk cycles through (each thread from its own offset)
CHECK_AT_ONCE = 4


@dataclass
class Inputs:
    cursors: list[str | None] = field(default_factory=list)  # None: page 1
    words: list[str] = field(default_factory=list)
    slugs: list[str] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)
    on_sale: list[str] = field(default_factory=list)  # product ids on promotion now

    def variables(self, kind: str) -> list[dict[str, Any]]:
        if kind == "storefront":
            return [{"after": cursor} for cursor in self.cursors]
        if kind == "search":
            return [{"q": word} for word in self.words]
        if kind == "shop":
            return [{"slug": slug} for slug in self.slugs]
        return [{"id": product_id} for product_id in self.product_ids]

    def summary(self) -> dict[str, int]:
        return {
            "storefront pages": len(self.cursors),
            "search terms": len(self.words),
            "shops": len(self.slugs),
            "product ids": len(self.product_ids),
            "of which on promotion": len(set(self.on_sale) & set(self.product_ids)),
        }


@dataclass(frozen=True)
class Request:
    kind: str
    body: str  # JSON

    @property
    def variables(self) -> dict[str, Any]:
        return dict(json.loads(self.body)["variables"])


def body(kind: str, variables: dict[str, Any]) -> str:
    payload = {"query": DOCUMENTS[kind], "variables": variables, "operationName": OPERATIONS[kind]}
    return json.dumps(payload, ensure_ascii=False)


def distinct_requests(inputs: Inputs) -> list[Request]:
    return [
        Request(kind, body(kind, variables))
        for kind in DOCUMENTS
        for variables in inputs.variables(kind)
    ]


def build_mix(inputs: Inputs, length: int = MIX_LENGTH, seed: int = SEED) -> list[Request]:
    """``length`` requests drawn with the shares of ``SHARES`` (exact counts, shuffled),
    uniformly among each kind's inputs."""
    chooser = random.Random(seed)  # noqa: S311 (not cryptography)
    kinds: list[str] = []
    for kind, share in SHARES.items():
        kinds += [kind] * round(length * share / sum(SHARES.values()))
    chooser.shuffle(kinds)
    choices = {kind: inputs.variables(kind) for kind in DOCUMENTS}
    return [Request(kind, body(kind, chooser.choice(choices[kind]))) for kind in kinds]


def write_requests(
    path: Path, mix: list[Request], floor: bool, tokens: list[str] | None = None
) -> Path:
    """The file ``mix.lua`` replays: ``path<TAB>token<TAB>body`` per line (token: the i-th
    request uses ``tokens[i % len(tokens)]``; empty: anonymous)."""
    lines = []
    for index, request in enumerate(mix):
        target = FLOOR_PATHS[request.kind] if floor else "/graphql"
        token = tokens[index % len(tokens)] if tokens else ""
        if "\t" in request.body or "\n" in request.body:
            raise ValueError("a request body holds a tab or a newline")
        lines.append(f"{target}\t{token}\t{request.body}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- collecting the inputs -------------------------------------------------------------------


def candidate_terms(names: list[str], seed: int = SEED) -> list[str]:
    """Search terms from product names: single words, two consecutive words, and prefixes
    (3–5 letters) of words, in a fixed pseudo-random order, the promotion words first."""
    chooser = random.Random(seed)  # noqa: S311
    words: set[str] = set()
    pairs: set[str] = set()
    for name in names:
        parts = [w.lower() for w in re.findall(r"[^\W\d_]+", name) if len(w) >= 3]
        words.update(parts)
        pairs.update(f"{a} {b}" for a, b in itertools.pairwise(parts))
    singles = sorted(words)
    prefixes = sorted({w[: chooser.randint(3, 5)] for w in singles if len(w) >= 6})
    chooser.shuffle(singles)
    pair_list = sorted(pairs)
    chooser.shuffle(pair_list)
    chooser.shuffle(prefixes)
    mixed: list[str] = list(PROMOTION_SEARCHES)
    for group in zip(singles, pair_list, prefixes, singles[len(singles) // 2 :], strict=False):
        mixed += group
    return list(dict.fromkeys(mixed))


async def graphql(
    http: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await http.post(url, json={"query": query, "variables": variables or {}})
    answer = response.json()
    if response.status_code != 200 or answer.get("errors") or answer.get("data") is None:
        raise ValueError(f"{query[:60]}…: HTTP {response.status_code} {response.text[:300]}")
    return dict(answer["data"])


async def collect(
    url: str, names: list[str], product_pks: list[int], samples: int, seed: int = SEED
) -> Inputs:
    """Walk the storefront's pages, list the shops, keep the terms that find something, pick
    ``samples`` product ids among ``product_pks`` plus those on promotion."""
    inputs = Inputs()
    async with httpx.AsyncClient(timeout=60) as http:
        after = None
        for _ in range(PAGES):
            inputs.cursors.append(after)
            page = await graphql(http, url, DOCUMENTS["storefront"], {"after": after})
            info = page["products"]["pageInfo"]
            if not info["hasNextPage"]:
                raise ValueError(f"the storefront has fewer than {PAGES} pages")
            after = info["endCursor"]
        shops = await graphql(http, url, "{ shops(first: 100) { edges { node { slug } } } }")
        inputs.slugs = [edge["node"]["slug"] for edge in shops["shops"]["edges"]]
        count = "query($q: String!) { products(first: 1, search: $q) { totalCount } }"
        for term in candidate_terms(names, seed):
            found = await graphql(http, url, count, {"q": term})
            if found["products"]["totalCount"] > 0:
                inputs.words.append(term)
            if len(inputs.words) == SEARCH_TERMS:
                break
        sale = await graphql(
            http, url, "{ products(first: 100, onSale: true) { edges { node { id } } } }"
        )
        inputs.on_sale = [edge["node"]["id"] for edge in sale["products"]["edges"]]
    chooser = random.Random(seed)  # noqa: S311
    picked = chooser.sample(product_pks, min(samples, len(product_pks)))
    ids = [base64.b64encode(f"Product:{pk}".encode()).decode() for pk in picked]
    inputs.product_ids = list(dict.fromkeys(ids + inputs.on_sale[:10]))
    return inputs


# --- self-check ------------------------------------------------------------------------------


class Mismatch(Exception):
    pass


async def post(
    http: httpx.AsyncClient, url: str, request_body: str, token: str | None
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await http.post(url, content=request_body.encode(), headers=headers)
    return response.status_code, response.content


async def compare(
    ours: str, floor: str, requests: list[Request], tokens: list[str] | None = None
) -> Counter[str]:
    """Post every request to both (signed in with ``tokens`` in turn if given); raise unless
    ours answers without errors and both answer the same bytes. Returns per kind the count of
    requests checked, of those whose answer was null, and of product pages on promotion."""
    seen: Counter[str] = Counter()
    gate = asyncio.Semaphore(CHECK_AT_ONCE)

    async def one(index: int, request: Request, http: httpx.AsyncClient) -> None:
        token = tokens[index % len(tokens)] if tokens else None
        async with gate:
            our_status, our_body = await post(http, ours, request.body, token)
            floor_status, floor_body = await post(
                http, floor + FLOOR_PATHS[request.kind], request.body, token
            )
        label = f"{request.kind} {request.variables}{' signed in' if token else ''}"
        our_json = json.loads(our_body) if our_status == 200 else {}
        if our_status != 200 or "errors" in our_json or not our_json.get("data"):
            raise Mismatch(f"ours answered {label} with {our_status}: {our_body[:400]!r}")
        if floor_status != 200:
            raise Mismatch(f"the floor answered {label} with {floor_status}: {floor_body[:300]!r}")
        floor_json = json.loads(floor_body)
        if our_json != floor_json:
            diff = difflib.unified_diff(
                json.dumps(our_json, indent=1, ensure_ascii=False).splitlines(),
                json.dumps(floor_json, indent=1, ensure_ascii=False).splitlines(),
                "ours",
                "floor",
                lineterm="",
            )
            print("\n".join(list(diff)[:120]))
            raise Mismatch(f"ours and the floor disagree on {label}")
        if our_body != floor_body:
            raise Mismatch(f"same data but different bytes on {label}")
        seen[request.kind] += 1
        root = next(iter(our_json["data"].values()))
        if root is None:
            seen[f"{request.kind} null"] += 1
        elif request.kind == "product" and root.get("compareAtPrice"):
            seen["product on promotion"] += 1

    async with httpx.AsyncClient(timeout=60) as http:
        await asyncio.gather(*(one(i, r, http) for i, r in enumerate(requests)))
    return seen
