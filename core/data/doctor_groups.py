"""Groups of the same picture: exact duplicates (equal decoded pixels), near duplicates
(re-encoded, resized, slightly cropped) and the groups that leak across splits.

Near duplicates are pairs whose perceptual hashes are close AND whose ImageNet features
agree: either test alone flags many merely similar pictures (on Fashion-MNIST, 2 % of the
images have another with an identical 64-bit hash). A pair with less close hashes still
counts when its features agree almost exactly (crops move the hash more than the features).
Thresholds measured with benchmarks/doctor_planted.py. Pairs become groups by union-find,
so a chain of copies is one group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

PHASH_CLOSE = 4  # of 64 bits: re-encoding and resizing move a perceptual hash 0-4 bits
FEATURE_AGREE = 0.9  # cosine similarity of the ImageNet features, with close hashes
PHASH_LOOSE = 12  # crops and small shifts ...
FEATURE_SAME = 0.97  # ... when the features are almost the same
_ROWS_PER_BLOCK = 512  # pairwise comparison in blocks: O(block x N) memory


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self, members: Sequence[int]) -> list[list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        for i in members:
            found[self.find(i)].append(i)
        return [sorted(g) for g in found.values() if len(g) > 1]


def exact_groups(pixel_hashes: Sequence[str]) -> list[list[int]]:
    by_hash: dict[str, list[int]] = defaultdict(list)
    for i, h in enumerate(pixel_hashes):
        if h:
            by_hash[h].append(i)
    return sorted((g for g in by_hash.values() if len(g) > 1), key=lambda g: g[0])


def _popcount(x: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(x)
    bytes_view = x.view(np.uint8).reshape(*x.shape, 8)
    return np.unpackbits(bytes_view, axis=-1).sum(axis=-1)


def near_pairs(
    perceptual: np.ndarray, features: np.ndarray | None, rows: np.ndarray
) -> list[tuple[int, int]]:
    """Index pairs (i < j, both in rows) that look like the same picture."""
    rows = np.asarray(rows)
    hashes = perceptual[rows]
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(rows), _ROWS_PER_BLOCK):
        block = slice(start, start + _ROWS_PER_BLOCK)
        distance = _popcount(hashes[block, None] ^ hashes[None, :])
        a, b = np.nonzero(distance <= (PHASH_CLOSE // 2 if features is None else PHASH_LOOSE))
        a = a + start
        keep = a < b
        a, b = a[keep], b[keep]
        if features is not None:
            # Features only for the candidate pairs: a dense block product would cost
            # N x N x 1280 multiplications.
            near = distance[a - start, b]
            similarity = np.einsum("ij,ij->i", features[rows[a]], features[rows[b]])
            same = ((near <= PHASH_CLOSE) & (similarity >= FEATURE_AGREE)) | (
                similarity >= FEATURE_SAME
            )
            a, b = a[same], b[same]
        pairs.extend(zip(rows[a].tolist(), rows[b].tolist()))
    return pairs


def near_groups(
    n: int, pairs: Sequence[tuple[int, int]], exact: Sequence[Sequence[int]]
) -> list[list[int]]:
    """Groups joined by near pairs; a group that is only one exact-duplicate set is left to
    exact_duplicates."""
    uf = _UnionFind(n)
    for a, b in pairs:
        uf.union(a, b)
    exact_set = {frozenset(g) for g in exact}
    members = sorted({i for pair in pairs for i in pair})
    return [g for g in uf.groups(members) if frozenset(g) not in exact_set]


def leak_groups(groups: Sequence[Sequence[int]], splits: Sequence[str]) -> list[list[int]]:
    """The groups with members in train and in val or test: an evaluation that has seen its
    images in training reports too high an accuracy."""
    leaks = []
    for g in groups:
        seen = {splits[i] for i in g}
        if "train" in seen and seen & {"val", "test"}:
            leaks.append(list(g))
    return leaks


def merged(groups_a: Sequence[Sequence[int]], groups_b: Sequence[Sequence[int]], n: int):
    """Union of two groupings (an exact group and a near group sharing an image are one)."""
    uf = _UnionFind(n)
    members: set[int] = set()
    for g in [*groups_a, *groups_b]:
        members.update(g)
        for i in g[1:]:
            uf.union(g[0], i)
    return sorted(uf.groups(sorted(members)), key=lambda g: g[0])
