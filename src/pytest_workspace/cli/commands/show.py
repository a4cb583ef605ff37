"""``pytest-workspace show BUNDLE``: a bundle's pins, requirements and the rows that
apply to it.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import FINDINGS, OK, matrix

if TYPE_CHECKING:
    import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", metavar="BUNDLE")


def run(args: argparse.Namespace) -> int:
    from ...model.validity import check_pins

    found = matrix(args)
    bundle = found.bundle(args.bundle)
    print(f"{bundle.name}" + (f"  ({bundle.title})" if bundle.title else ""))
    for label, value in (
        ("released", bundle.release_date),
        ("lts until", bundle.lts_until),
        ("python", bundle.python),
    ):
        if value is not None:
            print(f"  {label}: {value}")
    print("pins:")
    width = max(len(pin.key) for pin in bundle.pins)
    for pin in bundle.pins:
        print(f"  {pin.key:<{width}}  {pin.version!s:<10} {pin.requirement}")
    print("rows:")
    for pin in bundle.pins:
        rule, inherited = found.rule_for(pin.component, pin.version)
        if rule is None:
            print(f"  {pin}: no row")
            continue
        how = " (inherited)" if inherited else ""
        clauses = "; ".join(requirement.text for requirement in rule.requires) or "(empty)"
        print(f"  {pin}: {rule.key}{how}: {clauses}")
    findings = [n for n in check_pins(found, bundle.pins, bundle.key) if n.level != "info"]
    for notice in findings:
        print(f"{notice.level}: {notice}")
    return FINDINGS if any(n.level == "error" for n in findings) else OK
