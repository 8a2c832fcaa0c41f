"""Large generated data sets: the whole island (``otesaintjo seed --scale N --towns``).

:mod:`.plan` decides the island (shops, names, counts), :mod:`.rows` turns the plan into rows,
:mod:`.pictures` draws the shared photos, :mod:`.writers` writes rows (``COPY`` or
``executemany``), :mod:`.island` runs it all on a database, :mod:`.console` shows progress.
"""

from otesaintjo.seeding.island import IslandAlreadySeeded, IslandSummary, seed_island

__all__ = ["IslandAlreadySeeded", "IslandSummary", "seed_island"]
