"""Exploring the matrix: combinations nobody wrote down that the rows allow.

The rows are pairwise: a row of ``core 3.2.1`` says what it needs of ``platform``, and a
combination is valid when every row that applies to one of its pins is satisfied by
every other pin it names, in both directions (:func:`.validity.check_pins`). So the
search space is a constraint problem with binary constraints only, over one variable per
pin key (``core``, ``extensions@mongodb``) whose domain is that key's candidate versions:

- :meth:`Space.floor` / :meth:`Space.latest`: the lexicographically lowest (highest)
  legal combination, components in matrix order: each component gets the lowest
  (highest) candidate the rows allow together with the choices before it, backtracking
  with forward checking when a later component has nothing left.
- :meth:`Space.covering`: a t-wise covering set: every t-tuple of candidate versions
  that some legal combination contains appears in at least one proposed combination
  (greedy, like AETG: seed each uncovered tuple, then fill every other component with
  the candidate that covers most uncovered tuples, backtracking to stay legal).
  Deterministic for the same inputs; small, not minimal (minimal is NP-hard).
- :meth:`Space.count`: how many legal combinations the full product has (stops at a
  limit, and says so).
- :func:`derived_upgrades`: upgrade paths from the bundles' ``release-date``.

Domains and the compatibility of two choices are bit masks, so forward checking is one
``&`` per remaining component. Every combination proposed is checked again with
:func:`.validity.check_pins`, the judge ``check`` uses.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import datetime
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from packaging.version import Version

from .matrix import Bundle, Endpoint, Matrix, Pin, UpgradePath

__all__ = [
    "Explored",
    "NoLegalCombination",
    "Space",
    "derived_upgrades",
    "released",
    "variables",
]


class NoLegalCombination(Exception):
    """No combination of the candidates satisfies the rows; ``conflicts`` are the rows
    (with the choices they refused) that emptied the last component's candidates."""

    def __init__(self, message: str, conflicts: Sequence[str]) -> None:
        super().__init__(message)
        self.conflicts = tuple(conflicts)


@dataclass(frozen=True)
class Explored:
    """One proposed combination: its pins, as a ``--combination`` spec too."""

    pins: tuple[Pin, ...]

    @property
    def spec(self) -> str:
        """``core=3.0.0,platform=2.4.0,extensions=mongodb@1.2.0``."""
        return ",".join(
            f"{pin.component}={pin.member}@{pin.version}"
            if pin.member
            else f"{pin.key}={pin.version}"
            for pin in self.pins
        )

    def versions(self) -> dict[str, str]:
        return {pin.key: str(pin.version) for pin in self.pins}


def variables(matrix: Matrix) -> list[tuple[str, str, str | None]]:
    """Every pin key the matrix knows, in the order it names them: ``(key, component,
    member)`` for each key a bundle pins, then each other component with rows or a
    ``[components]`` entry (a family's members are known from bundles only)."""
    found: dict[str, tuple[str, str, str | None]] = {}
    for bundle in matrix.bundles.values():
        for pin in bundle.pins:
            found.setdefault(pin.key, (pin.key, pin.component, pin.member))
    for name in [*matrix.components, *matrix.rules]:
        if not matrix.component(name).family:
            found.setdefault(name, (name, name, None))
    return list(found.values())


def matrix_candidates(matrix: Matrix) -> dict[str, list[Version]]:
    """The versions the matrix itself names for each pin key: the bundles' pins and,
    for a component, the versions its rows are written for."""
    candidates: dict[str, set[Version]] = {key: set() for key, _, _ in variables(matrix)}
    for bundle in matrix.bundles.values():
        for pin in bundle.pins:
            candidates[pin.key].add(pin.version)
    for name, rules in matrix.rules.items():
        if name in candidates:
            candidates[name].update(rule.version for rule in rules)
    return {key: sorted(versions) for key, versions in candidates.items() if versions}


class Space:
    """The candidate versions of each pin key, and which choices the rows allow
    together (see the module docstring)."""

    def __init__(self, matrix: Matrix, candidates: Mapping[str, Sequence[Version]]) -> None:
        self.matrix = matrix
        known = {key: (component, member) for key, component, member in variables(matrix)}
        self.keys = [key for key in known if candidates.get(key)]
        self.keys += [key for key in candidates if key not in known and candidates[key]]
        self.pins: list[list[Pin]] = []
        for key in self.keys:
            component, member = known.get(
                key, (key.partition("@")[0], key.partition("@")[2] or None)
            )
            declared = matrix.component(component)
            self.pins.append(
                [
                    Pin(
                        component,
                        version,
                        declared.distribution(member) if member else declared.distribution(),
                        member,
                        declared.extras,
                    )
                    for version in sorted(set(candidates[key]))
                ]
            )
        self.full = [(1 << len(domain)) - 1 for domain in self.pins]
        self._masks = self._compatibility()

    # -- compatibility ---------------------------------------------------------------

    def _forward(self, i: int, a: int, j: int) -> int:
        """The choices of ``j`` that the row of choice ``a`` of ``i`` allows."""
        pin = self.pins[i][a]
        rule, _ = self.matrix.rule_for(pin.component, pin.version)
        other = self.pins[j]
        if rule is None or other[0].component not in rule.components:
            return self.full[j]
        mask = 0
        clauses = [c for c in rule.requires if c.component == other[0].component]
        for b, candidate in enumerate(other):
            if all(self.matrix.allows(clause, candidate.version) for clause in clauses):
                mask |= 1 << b
        return mask

    def _compatibility(self) -> list[list[list[int]]]:
        """``masks[i][a][j]``: the choices of ``j`` compatible with choice ``a`` of ``i``,
        both directions (the row of each allows the other)."""
        size = len(self.keys)
        forward = [
            [[self._forward(i, a, j) if j != i else 0 for j in range(size)] for a in range(len(d))]
            for i, d in enumerate(self.pins)
        ]
        masks = [[[0] * size for _ in domain] for domain in self.pins]
        for i, j in itertools.permutations(range(size), 2):
            for a in range(len(self.pins[i])):
                allowed = forward[i][a][j]
                both = 0
                for b in _bits(allowed):
                    if forward[j][b][i] >> a & 1:
                        both |= 1 << b
                masks[i][a][j] = both
        return masks

    def compatible(self, i: int, a: int, j: int, b: int) -> bool:
        return bool(self._masks[i][a][j] >> b & 1)

    # -- search ------------------------------------------------------------------------

    def _search(
        self,
        order: Sequence[int],
        fixed: Mapping[int, int],
        prefer: Callable[[int, int, Mapping[int, int]], Iterable[int]],
    ) -> list[int] | None:
        """A legal choice per variable, ``fixed`` ones kept; ``prefer(i, domain,
        chosen)`` orders the candidates of variable ``i``. Backtracking with forward
        checking over the masks."""
        domains: list[int] | None = list(self.full)
        chosen: dict[int, int] = {}
        for i, a in fixed.items():
            if domains is None or not domains[i] >> a & 1:
                return None
            domains = self._assigned(domains, i, a)
            chosen[i] = a
        if domains is None:
            return None
        remaining = [i for i in order if i not in fixed]

        def solve(position: int, domains: list[int]) -> bool:
            if position == len(remaining):
                return True
            i = remaining[position]
            for a in prefer(i, domains[i], chosen):
                trial = self._assigned(domains, i, a)
                if trial is not None:
                    chosen[i] = a
                    if solve(position + 1, trial):
                        return True
                    del chosen[i]
            return False

        if not solve(0, domains):
            return None
        return [chosen[i] for i in range(len(self.keys))]

    def _assigned(self, domains: list[int], i: int, a: int) -> list[int] | None:
        """The domains after choosing ``a`` for ``i`` (forward checking), or None when
        that leaves some variable nothing."""
        narrowed = list(map(operator.and_, domains, self._masks[i][a]))
        narrowed[i] = 1 << a  # the mask of i with itself is 0
        return None if 0 in narrowed else narrowed

    def _explored(self, choice: Sequence[int]) -> Explored:
        pins = tuple(self.pins[i][a] for i, a in enumerate(choice))
        from .validity import check_pins

        errors = [n for n in check_pins(self.matrix, pins, "explore") if n.level == "error"]
        assert not errors, errors  # the masks are the rows; check must agree
        return Explored(pins)

    def _extreme(self, lowest: bool) -> Explored:
        def prefer(i: int, domain: int, chosen: object) -> Iterator[int]:
            bits = list(_bits(domain))
            return iter(bits if lowest else reversed(bits))

        choice = self._search(range(len(self.keys)), {}, prefer)
        if choice is None:
            raise NoLegalCombination(
                "no combination of the candidates satisfies the rows", self.conflicts()
            )
        return self._explored(choice)

    def floor(self) -> Explored:
        """Each component at the lowest candidate the rows allow together with the
        choices before it (components in matrix order)."""
        return self._extreme(lowest=True)

    def latest(self) -> Explored:
        """The same with the highest candidates."""
        return self._extreme(lowest=False)

    def conflicts(self) -> list[str]:
        """Why no combination is legal: each two components none of whose candidates go
        together, with the rows that say so (a start for the reader, not a minimal
        explanation)."""
        found = []
        for i, j in itertools.combinations(range(len(self.keys)), 2):
            if any(self._masks[i][a][j] for a in range(len(self.pins[i]))):
                continue
            rows = dict.fromkeys(
                f"{rule.key} requires {clause.text}"
                for x, y in ((i, j), (j, i))
                for pin in self.pins[x]
                for rule in [self.matrix.rule_for(pin.component, pin.version)[0]]
                if rule is not None
                for clause in rule.requires
                if clause.component == self.pins[y][0].component
            )
            found.append(
                f"{self._shown(i)} and {self._shown(j)} never go together: " + "; ".join(rows)
            )
        return found or ["the rows exclude every combination of the candidates together"]

    def _shown(self, i: int) -> str:
        return f"{self.keys[i]} ({', '.join(str(pin.version) for pin in self.pins[i])})"

    def covering(self, strength: int = 2) -> list[Explored]:
        """A deterministic t-wise covering set of legal combinations (see the module
        docstring); tuples no legal combination contains are left out."""
        size = len(self.keys)
        strength = max(1, min(strength, size))
        uncovered: set[tuple[tuple[int, int], ...]] = set()
        for group in itertools.combinations(range(size), strength):
            for values in itertools.product(*(range(len(self.pins[i])) for i in group)):
                items = tuple(zip(group, values))
                if all(
                    self.compatible(i, a, j, b)
                    for (i, a), (j, b) in itertools.combinations(items, 2)
                ):
                    uncovered.add(items)
        proposals: list[Explored] = []
        order = list(range(size))
        # For pairs, which partners each choice still needs, as masks: the gain of a
        # candidate is then a few shifts instead of set lookups.
        need = [[[0] * size for _ in domain] for domain in self.pins]
        if strength == 2:
            for (i, a), (j, b) in uncovered:
                need[i][a][j] |= 1 << b
                need[j][b][i] |= 1 << a

        def prefer(i: int, domain: int, chosen: Mapping[int, int]) -> Iterator[int]:
            # The candidate that covers most uncovered tuples with those chosen so far.
            others = sorted(g for g in chosen if g != i)
            if strength == 2:
                wants = need[i]

                def gain(a: int) -> int:
                    row = wants[a]
                    return sum(row[g] >> chosen[g] & 1 for g in others)

            else:

                def gain(a: int) -> int:
                    return sum(
                        tuple(sorted([*((g, chosen[g]) for g in group), (i, a)])) in uncovered
                        for group in itertools.combinations(others, strength - 1)
                    )

            return iter(sorted(_bits(domain), key=lambda a: (-gain(a), a)))

        for seed in sorted(uncovered):  # deterministic: the lowest uncovered tuple first
            if seed not in uncovered:
                continue
            choice = self._search(order, dict(seed), prefer)
            if choice is None:
                uncovered.discard(seed)  # no legal combination contains it
                continue
            for group in itertools.combinations(range(size), strength):
                items = tuple((i, choice[i]) for i in group)
                if items in uncovered:
                    uncovered.discard(items)
                    if strength == 2:
                        (i, a), (j, b) = items
                        need[i][a][j] &= ~(1 << b)
                        need[j][b][i] &= ~(1 << a)
            proposals.append(self._explored(choice))
        return proposals

    def product(self) -> int:
        """How many combinations the candidates make, legal or not."""
        total = 1
        for domain in self.pins:
            total *= len(domain)
        return total

    def count(self, limit: int = 100_000) -> tuple[int, bool]:
        """How many legal combinations there are, and whether that is exact (the count
        stops at ``limit``)."""
        size = len(self.keys)
        found = 0

        def walk(i: int, domains: list[int]) -> bool:
            nonlocal found
            if i == size:
                found += 1
                return found < limit
            for a in _bits(domains[i]):
                trial = self._assigned(domains, i, a)
                if trial is not None and not walk(i + 1, trial):
                    return False
            return True

        exact = walk(0, list(self.full)) if size else True
        return found, exact


def _bits(mask: int) -> Iterator[int]:
    index = 0
    while mask:
        if mask & 1:
            yield index
        mask >>= 1
        index += 1


def released(matrix: Matrix) -> list[Bundle]:
    """The bundles in the order they were released: by ``release-date``, then those
    without one in file order."""
    bundles = list(matrix.bundles.values())
    order = {bundle.name: number for number, bundle in enumerate(bundles)}
    return sorted(
        bundles,
        key=lambda b: (b.release_date is None, b.release_date or datetime.date.min, order[b.name]),
    )


def derived_upgrades(matrix: Matrix, *, downgrades: bool = False) -> list[UpgradePath]:
    """Upgrade paths users take, from the bundles' ``release-date`` (file order for
    bundles without one, after the dated ones): each bundle from its predecessor, and
    skip-level ones (N-2 to N); with ``downgrades``, each of those reversed too."""
    order = released(matrix)
    pairs: list[tuple[Bundle, Bundle]] = []
    for step in (1, 2):
        pairs += [(order[n - step], order[n]) for n in range(step, len(order))]
    if downgrades:
        pairs += [(target, source) for source, target in pairs]

    def end(bundle: Bundle) -> Endpoint:
        return Endpoint(bundle.name, bundle.pins, bundle=bundle.name)

    declared = {path.id: path for path in matrix.upgrades}
    paths = []
    for source, target in pairs:
        path = UpgradePath(end(source), end(target))
        paths.append(declared.get(path.id, path))  # a declared one keeps its xfail
    return paths
