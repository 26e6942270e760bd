"""RFC 6962 (Certificate Transparency) Merkle tree over the log: leaves are event hashes in log order."""

from __future__ import annotations

import hashlib

_sha256 = hashlib.sha256
_LEAF, _NODE = _sha256(b"\x00"), _sha256(b"\x01")  # copied: cheaper than a new hash object per node


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


class Frontier:
    """Append-only tree: the root after each append in O(log n) memory (the right edge of the tree)."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (subtree size, hash), sizes strictly decreasing

    def append(self, leaf: bytes) -> None:
        node = (1, leaf_hash(leaf))
        self.size += 1
        while self.stack and self.stack[-1][0] == node[0]:
            size, left = self.stack.pop()
            node = (size * 2, node_hash(left, node[1]))
        self.stack.append(node)

    def extend(self, leaves: list[bytes]) -> None:
        """``append`` each of ``leaves`` in turn, level by level: one list of hashes per tree level instead of a
        Python loop per leaf (same stack, same roots)."""
        level = [_sha256(b"\x00" + leaf).digest() for leaf in leaves]
        start, size, carried = self.size, 1, []
        self.size += len(level)
        while level:
            if start & 1:  # the left sibling of level[0] is the smallest subtree of the stack
                level.insert(0, self.stack.pop()[1])
                start -= 1
            if len(level) & 1:
                carried.append((size, level.pop()))
            level = [_sha256(b"\x01" + left + right).digest() for left, right in zip(level[::2], level[1::2])]
            start, size = start >> 1, size * 2
        self.stack.extend(reversed(carried))

    def copy(self) -> Frontier:
        other = Frontier()
        other.size, other.stack = self.size, list(self.stack)
        return other

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        acc = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            acc = node_hash(left, acc)
        return acc


def root_of(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1 (recursive definition; for proofs and tests)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = _split(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def inclusion_proof(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root_of(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root_of(leaves[:k])]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2 verification of an inclusion proof."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Pyramid:
    """Every node of the RFC 6962 tree over the log that lies wholly inside the leaves ``start <= i < end``
    (absolute leaf indices): ``levels[k]`` packs, 32 bytes each, the roots of the aligned subtrees of 2**k
    leaves from index ``firsts[k]`` (in units of 2**k) on. Two processes build the pyramids of their halves
    of the log at once; ``roots`` then needs only the few nodes across the halves."""

    def __init__(self, start: int, leaves: bytes, odd: dict[int, bytes] | None = None) -> None:
        odd = odd or {}
        copy = _LEAF.copy
        level: list[bytes] = []
        for i in range(len(leaves) // 32):
            h = copy()
            h.update(odd[i] if i in odd else leaves[i * 32:i * 32 + 32])
            level.append(h.digest())
        self.start, self.end = start, start + len(level)
        self.levels, self.firsts = [b"".join(level)], [start]
        first, node = start, _NODE.copy
        while len(level) > 1:
            skip = first & 1  # a node whose left sibling lies before ``start`` has no parent here
            parents = []
            for left, right in zip(level[skip::2], level[skip + 1::2]):
                h = node()
                h.update(left)
                h.update(right)
                parents.append(h.digest())
            level, first = parents, (first + skip) >> 1
            if not level:
                break
            self.levels.append(b"".join(level))
            self.firsts.append(first)

    def node(self, level: int, index: int) -> bytes | None:
        if level < len(self.levels):
            i = index - self.firsts[level]
            if 0 <= i and (i + 1) * 32 <= len(self.levels[level]):
                return self.levels[level][i * 32:i * 32 + 32]
        return None


def roots(pyramids: list[Pyramid], sizes: set[int]) -> dict[int, bytes]:
    """MTH(D[n]) for each n of ``sizes`` covered by ``pyramids`` (together: the leaves 0 <= i < end, in
    order, without gaps)."""
    end = max((p.end for p in pyramids), default=0)
    memo: dict[tuple[int, int], bytes] = {}

    def node(level: int, index: int) -> bytes:
        for p in pyramids:
            found = p.node(level, index)
            if found is not None:
                return found
        if level == 0 or (level, index) in memo:
            return memo[(level, index)]  # KeyError for a leaf outside every pyramid: a caller's error
        memo[(level, index)] = value = node_hash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1))
        return value

    out = {}
    for size in sizes:
        if not 0 < size <= end:
            continue
        subtrees, offset = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                subtrees.append(node(level, offset >> level))
                offset += 1 << level
        acc = subtrees[-1]
        for left in reversed(subtrees[:-1]):
            acc = node_hash(left, acc)
        out[size] = acc
    return out
