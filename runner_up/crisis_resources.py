"""Crisis resources by country: read data/crisis_resources.yml, find a country in a message,
and write the `utter_crisis_resources` response of domain.yml from the file.

The response lives in the domain (as every bot text does) so that Rasa can send it with no action
server; the data file is its single source. `runner-up resources` rewrites the generated block of
domain.yml, and `runner-up resources --check` (run by the tests) fails when they differ.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import yaml

from runner_up.settings import ROOT

RESOURCES_FILE = ROOT / "data" / "crisis_resources.yml"
DOMAIN_FILE = ROOT / "domain.yml"
BEGIN = "  # >>> generated from data/crisis_resources.yml by `runner-up resources`: edit that file"
END = "  # <<< end of generated crisis resources"
REQUIRED = ("name", "how", "hours", "source")


class ResourcesError(ValueError):
    """The resources file is missing something a person in crisis would need."""


@dataclass(frozen=True)
class Resources:
    countries: Dict[Text, Dict[Text, Any]]
    aliases: Dict[Text, Text]
    default: Text

    @property
    def country_codes(self) -> List[Text]:
        """The countries a person can be in (not the default directory)."""
        return [code for code in self.countries if code != self.default]


def load(path: Path = RESOURCES_FILE) -> Resources:
    """Reads and checks the file: every service complete, every alias pointing at a country."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    countries = data.get("countries") or {}
    default = data.get("default")
    if default not in countries:
        raise ResourcesError(f"{path}: default '{default}' is not one of the countries")
    for code, country in countries.items():
        services = country.get("services") or []
        if not services:
            raise ResourcesError(f"{path}: {code} has no services")
        for service in services:
            missing = [key for key in REQUIRED if not service.get(key)]
            if missing:
                raise ResourcesError(f"{path}: a service of {code} has no {', '.join(missing)}")
            if not str(service["source"]).startswith("https://"):
                raise ResourcesError(f"{path}: {code} {service['name']}: source is not an https URL")
    aliases = {str(k).lower(): v for k, v in (data.get("aliases") or {}).items()}
    for code, country in countries.items():
        for alias in country.get("aliases") or []:
            aliases[str(alias).lower()] = code
    bad = {alias: code for alias, code in aliases.items() if code not in countries}
    if bad:
        raise ResourcesError(f"{path}: aliases pointing at no country: {bad}")
    return Resources(countries, aliases, default)


@functools.lru_cache(maxsize=8)
def country_pattern(aliases: Tuple[Text, ...]) -> "re.Pattern[Text]":
    """One regex for every alias, longest first ("northern ireland" before "ireland")."""
    ordered = sorted(aliases, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in ordered) + r")(?!\w)", re.IGNORECASE)


def find_countries(text: Text, aliases: Dict[Text, Text]) -> List[Dict[Text, Any]]:
    """Every country named in `text`, as Rasa entities with start and end."""
    return [
        {"value": aliases[m.group(1).lower()], "start": m.start(1), "end": m.end(1), "text": m.group(1)}
        for m in country_pattern(tuple(aliases)).finditer(text)
    ]


def render_text(country: Dict[Text, Any]) -> Text:
    """The message a person in that country gets."""
    lines = [f"You can talk to someone right now{'' if country.get('emergency') is None else ' in ' + country['name']}:"]
    for service in country["services"]:
        lines.append(f"- {service['name']}: {service['how']} ({service['hours']})")
    if country.get("emergency"):
        lines.append(f"If you are in immediate danger, call {country['emergency']}.")
    if country.get("note"):
        lines.append(" ".join(str(country["note"]).split()))
    return "\n".join(lines)


def response_variants(resources: Resources) -> List[Dict[Text, Any]]:
    """Conditional variants on the `country` slot, then the default (which asks for the country)."""
    variants: List[Dict[Text, Any]] = [
        {"condition": [{"type": "slot", "name": "country", "value": code}],
         "text": render_text(resources.countries[code])}
        for code in resources.country_codes
    ]
    default = render_text(resources.countries[resources.default])
    variants.append({"text": default + "\nIf you tell me which country you're in, I can give you a number there."})
    return variants


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line texts as literal blocks, as a person would in domain.yml."""


_BlockDumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    ),
)


def render_block(resources: Resources) -> Text:
    body = yaml.dump({"utter_crisis_resources": response_variants(resources)},
                          Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=1000)
    indented = "\n".join("  " + line if line else line for line in body.rstrip("\n").split("\n"))
    return f"{BEGIN}\n{indented}\n{END}\n"


def sync_domain(domain: Path = DOMAIN_FILE, resources_file: Path = RESOURCES_FILE,
                check: bool = False) -> bool:
    """Writes the generated block into domain.yml; with `check`, only says whether it is current."""
    text = domain.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n", re.DOTALL)
    if not pattern.search(text):
        raise ResourcesError(f"{domain} has no generated crisis resources block ({BEGIN.strip()})")
    updated = pattern.sub(lambda _: render_block(load(resources_file)), text)
    if check:
        return updated == text
    domain.write_text(updated, encoding="utf-8")
    return True


def main(argv: Optional[Sequence[Text]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="runner-up resources", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if domain.yml is out of date")
    args = parser.parse_args(argv)
    if args.check:
        current = sync_domain(check=True)
        print("domain.yml is up to date" if current else
              "domain.yml is out of date: run `runner-up resources`")
        return 0 if current else 1
    sync_domain()
    print(f"wrote utter_crisis_resources into {DOMAIN_FILE.name}")
    return 0
