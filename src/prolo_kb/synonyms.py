"""Glossary synonyms: a query's words grouped into concepts, each with its other wordings.

Made from each glossary term's wordings as stems (the manifest holds them, analysed when
the index was built). A group is used both ways: lay words <-> clinical terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MAX_ALTERNATIVES = 12  # wordings per concept

Unit = tuple[tuple[str, ...], ...]  # a concept: its wordings (stems), the typed one first


class Synonyms:
    """Glossary groups matched on stemmed word sequences."""

    def __init__(self, wordings: Iterable[Sequence[Sequence[str]]]) -> None:
        self.groups: list[tuple[tuple[str, ...], ...]] = []
        self._lookup: dict[tuple[str, ...], int] = {}
        self.longest = 1
        for term in wordings:
            phrases: list[tuple[str, ...]] = []
            for wording in term:
                stems = tuple(wording)
                if stems and stems not in phrases:
                    phrases.append(stems)
            if len(phrases) < 2:
                continue
            group = len(self.groups)
            self.groups.append(tuple(phrases[:MAX_ALTERNATIVES]))
            for stems in phrases:
                self._lookup.setdefault(stems, group)
                self.longest = max(self.longest, len(stems))

    def units(self, stems: Sequence[str]) -> list[Unit]:
        """Split stems into concepts, each once; the longest glossary phrase wins
        ("rotator cuff tear" before "tear")."""
        out: list[Unit] = []
        seen: set[tuple[str, ...]] = set()
        i = 0
        while i < len(stems):
            for size in range(min(self.longest, len(stems) - i), 0, -1):
                typed = tuple(stems[i:i + size])
                group = self._lookup.get(typed)
                if group is not None:
                    unit: Unit = (typed, *(p for p in self.groups[group] if p != typed))
                    i += size
                    break
            else:
                unit = ((stems[i],),)
                i += 1
            if unit[0] not in seen:
                seen.add(unit[0])
                out.append(unit)
        return out
