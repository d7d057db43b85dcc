"""Scenarios: TOML files that set the model's levers, validated with errors naming file and key.

A scenario file (every key optional; see scenarios/ and docs/simulator.md)::

    name = "cooperation-high"          # default: the file's stem
    description = "The Taliban share intelligence with the US."
    months = 60                        # default run length
    start = "2022-01-01"               # first month simulated
    posterior = "../posterior.json"    # calibration to run over (relative to this file)

    [population]                       # people at the start; scale people make one agent
    scale = 10
    taliban = 60000
    iskp = 2500
    civilians = 95000
    prisoners = 3000
    foreign = 2000

    [taliban]
    cooperation = 0.8                  # with the US, 0..1
    concession = 0.2                   # ideological, 0..1
    crackdown = 0.5                    # every province, 0..1
    [taliban.crackdown_by_province]    # province name or ISO code = 0..1
    Nangarhar = 0.9

    [iskp]
    recruitment = 1.0                  # effort, a multiplier
    attack_tempo = 1.0                 # a multiplier
    [[iskp.prison_break]]
    province = "Parwan"
    month = 3                          # 0-based month of the run
    fighters = 1000

    [us]
    strike_tempo = 1.0                 # strikes per month
    error_rate = 0.1                   # share of strikes that harm civilians

    [parameters]                       # model parameters (rarely changed; see Params)
    clash_rate = 0.5
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from rivalscope.errors import InputError
from rivalscope.places import AFGHAN_PROVINCES, place_key
from rivalscope.simulate.model import (
    N_PROVINCES,
    PROVINCES,
    Params,
    Policy,
    Population,
    PrisonBreak,
)

_TOP: Final = (
    "name",
    "description",
    "months",
    "start",
    "posterior",
    "population",
    "taliban",
    "iskp",
    "us",
    "parameters",
)
_POPULATION: Final = ("scale", "taliban", "iskp", "civilians", "prisoners", "foreign")
_TALIBAN: Final = ("cooperation", "concession", "crackdown", "crackdown_by_province")
_ISKP: Final = ("recruitment", "attack_tempo", "prison_break")
_US: Final = ("strike_tempo", "error_rate")
_BREAK: Final = ("province", "month", "fighters")
MAX_MONTHS: Final = 1200

_PROVINCE_KEYS: Final[dict[str, str]] = {
    place_key(spelling): p.code
    for p in AFGHAN_PROVINCES
    for spelling in (p.code, p.name, *p.aliases)
}


@dataclass(frozen=True)
class Scenario:
    """A scenario: who there is, what each side does, and the model's parameters.

    Attributes:
        name: short name (the file's stem unless given).
        description: one line for people.
        population: people at the start.
        policy: the levers.
        params: model parameters (defaults unless the file overrides some).
        months: the run length the file asks for (None: the caller's default).
        start: the first day of month 0.
        posterior: a posterior file to run over (None: run at ``params``).
        path: the file it came from, if any.
    """

    name: str = "baseline"
    description: str = ""
    population: Population = dataclasses.field(default_factory=Population)
    policy: Policy = dataclasses.field(default_factory=Policy)
    params: Params = dataclasses.field(default_factory=Params)
    months: int | None = None
    start: dt.date = dt.date(2022, 1, 1)
    posterior: Path | None = None
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain data (crackdown per province code)."""
        policy = dataclasses.asdict(self.policy)
        policy["crackdown"] = dict(zip(PROVINCES, self.policy.crackdown, strict=True))
        overridden = {
            f.name: getattr(self.params, f.name)
            for f in dataclasses.fields(Params)
            if getattr(self.params, f.name) != f.default
        }
        return {
            "name": self.name,
            "description": self.description,
            "path": str(self.path) if self.path else None,
            "months": self.months,
            "start": self.start.isoformat(),
            "posterior": str(self.posterior) if self.posterior else None,
            "population": dataclasses.asdict(self.population),
            "policy": policy,
            "parameters": overridden,
        }


def province_code(name: str) -> str | None:
    """The ISO code of an Afghan province given by code or any known spelling, else None."""
    return _PROVINCE_KEYS.get(place_key(name))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Raises:
        InputError: the file is unreadable or a key is unknown, mistyped or out of range; the
            message names the file and the key.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such scenario file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the scenario: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from exc
    return parse_scenario(data, origin=str(path), name=path.stem, base=path.parent, path=path)


def parse_scenario(
    data: dict[str, Any],
    *,
    origin: str = "scenario",
    name: str = "scenario",
    base: Path | None = None,
    path: Path | None = None,
) -> Scenario:
    """Validate a scenario given as a dict (a parsed TOML document).

    Args:
        data: the document.
        origin: how to name the document in errors (its path).
        name: the default name.
        base: the folder a relative ``posterior`` path is relative to.
        path: the file it came from.
    """
    check = _Checker(origin)
    check.keys(data, _TOP, "")
    population = _population(check, check.table(data, "population", ""))
    policy = _policy(check, data)
    params = _params(check, check.table(data, "parameters", ""))
    months = None
    if "months" in data:
        months = int(check.number(data["months"], "months", 1, MAX_MONTHS, whole=True))
    start = dt.date(2022, 1, 1)
    if "start" in data:
        start = check.date(data["start"], "start")
    posterior = None
    if "posterior" in data:
        text = check.text(data["posterior"], "posterior")
        posterior = (
            (base / text) if base is not None and not Path(text).is_absolute() else Path(text)
        )
    return Scenario(
        name=check.text(data.get("name", name), "name"),
        description=check.text(data.get("description", ""), "description"),
        population=population,
        policy=policy,
        params=params,
        months=months,
        start=start,
        posterior=posterior,
        path=path,
    )


class _Checker:
    """Validation helpers that name the document and the key in every error."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, key: str, problem: str) -> InputError:
        return InputError(f"{self.origin}: {key}: {problem}")

    def keys(self, table: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.fail(
                    f"{prefix}{key}", f"unknown key{hint}; allowed: {', '.join(allowed)}"
                )

    def table(self, data: dict[str, Any], key: str, prefix: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{prefix}{key}", "must be a table ([...] section)")
        return value

    def number(
        self,
        value: Any,
        key: str,
        low: float | None = None,
        high: float | None = None,
        *,
        whole: bool = False,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "a whole number" if whole else "a number"
            raise self.fail(key, f"{value!r} is not {kind}")
        if whole and not float(value).is_integer():
            raise self.fail(key, f"{value!r} is not a whole number")
        if high is not None and low is not None and not low <= value <= high:
            raise self.fail(key, f"{value} is not in [{low}, {high}]")
        if low is not None and value < low:
            raise self.fail(key, f"{value} is below {low}")
        return float(value)

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"{value!r} is not a string")
        return value

    def date(self, value: Any, key: str) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = self.text(value, key)
        try:
            return dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01")
        except ValueError as exc:
            raise self.fail(key, f"{text!r} is not a YYYY-MM-DD date") from exc

    def province(self, value: Any, key: str) -> str:
        code = province_code(self.text(value, key))
        if code is None:
            raise self.fail(key, f"{value!r} is not one of Afghanistan's 34 provinces")
        return code


def _population(check: _Checker, table: dict[str, Any]) -> Population:
    check.keys(table, _POPULATION, "population.")
    values = {
        key: int(check.number(table[key], f"population.{key}", 1 if key == "scale" else 0,
                              None, whole=True))
        for key in _POPULATION
        if key in table
    }  # fmt: skip
    population = Population(**values)
    if population.agents() == 0:
        raise check.fail("population", "no agents: every group rounds to 0 at this scale")
    return population


def _policy(check: _Checker, data: dict[str, Any]) -> Policy:
    default = Policy()
    taliban = check.table(data, "taliban", "")
    check.keys(taliban, _TALIBAN, "taliban.")
    iskp = check.table(data, "iskp", "")
    check.keys(iskp, _ISKP, "iskp.")
    us = check.table(data, "us", "")
    check.keys(us, _US, "us.")
    unit = {}
    for key in ("cooperation", "concession"):
        if key in taliban:
            unit[key] = check.number(taliban[key], f"taliban.{key}", 0.0, 1.0)
    crackdown = list(default.crackdown)
    if "crackdown" in taliban:
        crackdown = [check.number(taliban["crackdown"], "taliban.crackdown", 0.0, 1.0)] * (
            N_PROVINCES
        )
    by_province = check.table(taliban, "crackdown_by_province", "taliban.")
    for spelling, value in by_province.items():
        key = f"taliban.crackdown_by_province.{spelling}"
        code = check.province(spelling, key)
        crackdown[PROVINCES.index(code)] = check.number(value, key, 0.0, 1.0)
    multipliers = {}
    for key in ("recruitment", "attack_tempo"):
        if key in iskp:
            multipliers[key] = check.number(iskp[key], f"iskp.{key}", 0.0, None)
    breaks = []
    listed = iskp.get("prison_break", [])
    if not isinstance(listed, list) or not all(isinstance(b, dict) for b in listed):
        raise check.fail("iskp.prison_break", "must be an array of tables ([[iskp.prison_break]])")
    for number, entry in enumerate(listed, start=1):
        prefix = f"iskp.prison_break[{number}]."
        check.keys(entry, _BREAK, prefix)
        for key in _BREAK:
            if key not in entry:
                raise check.fail(f"{prefix}{key}", "is required")
        breaks.append(
            PrisonBreak(
                province=check.province(entry["province"], f"{prefix}province"),
                month=int(check.number(entry["month"], f"{prefix}month", 0, None, whole=True)),
                fighters=int(
                    check.number(entry["fighters"], f"{prefix}fighters", 0, None, whole=True)
                ),
            )
        )
    strikes = {}
    if "strike_tempo" in us:
        strikes["strike_tempo"] = check.number(us["strike_tempo"], "us.strike_tempo", 0.0, None)
    if "error_rate" in us:
        strikes["error_rate"] = check.number(us["error_rate"], "us.error_rate", 0.0, 1.0)
    return Policy(
        crackdown=tuple(crackdown),
        prison_breaks=tuple(breaks),
        **unit,
        **multipliers,
        **strikes,
    )


_PARAM_BOUNDS: Final[dict[str, tuple[float, float | None]]] = {
    "isk_spread": (0.0, 1.0),
    "isk_loss_share": (0.0, 1.0),
    "attack_on_taliban_share": (0.0, 1.0),
    "religious_site_share": (0.0, 1.0),
    "strike_hit_base": (0.0, 1.0),
    "strike_hit_cooperation": (0.0, 1.0),
    "intel_share": (0.0, 1.0),
    "leak_probability": (0.0, 1.0),
    "ci_decay": (0.0, 1.0),
    "grievance_decay": (0.0, 1.0),
    "grievance_baseline": (0.0, 1.0),
    "grievance_harm": (0.0, 1.0),
    "loyalty_gain": (0.0, 1.0),
}
_POSITIVE: Final = (
    "defect_base",
    "reverse_base",
    "desert_base",
    "recruit_taliban",
    "civilian_harm_half",
)


def _params(check: _Checker, table: dict[str, Any]) -> Params:
    names = tuple(f.name for f in dataclasses.fields(Params))
    check.keys(table, names, "parameters.")
    values = {}
    for key, value in table.items():
        low, high = _PARAM_BOUNDS.get(key, (0.0, None))
        number = check.number(value, f"parameters.{key}", low, high)
        if key in _POSITIVE and number <= 0:
            raise check.fail(f"parameters.{key}", f"{number} must be above 0")
        values[key] = number
    return Params(**values)
