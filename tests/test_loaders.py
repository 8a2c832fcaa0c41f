"""``loaders.loader`` builds what aiodataloader's constructor builds, without its checks."""

from __future__ import annotations

from aiodataloader import DataLoader

from otesaintjo.loaders import loader


async def test_a_loader_is_what_the_constructor_makes_and_batches() -> None:
    batches: list[list[int]] = []

    async def load(keys: list[int]) -> list[int]:
        batches.append(list(keys))
        return [key * 10 for key in keys]

    ours, theirs = loader(load), DataLoader(load)
    assert vars(ours).keys() == vars(theirs).keys()
    for name, value in vars(theirs).items():
        if name != "get_cache_key":
            assert vars(ours)[name] == value, name
    assert ours.get_cache_key(7) == theirs.get_cache_key(7) == 7
    assert await ours.load_many([1, 2, 1]) == [10, 20, 10]
    assert batches == [[1, 2]]
    assert await ours.load(2) == 20 and batches == [[1, 2]]  # kept


async def test_fill_loads_what_is_missing_in_one_batch() -> None:
    from otesaintjo.loaders import Loaders

    batches: list[list[int]] = []

    async def load(keys: list[int]) -> list[int]:
        batches.append(list(keys))
        return [key * 10 for key in keys]

    kept = loader(load)
    assert await kept.load(2) == 20
    await Loaders.fill(kept, [1, 2, 3, 1])
    assert batches == [[2], [1, 3]]
    assert await kept.load_many([1, 2, 3]) == [10, 20, 30] and len(batches) == 2
