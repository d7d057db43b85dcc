"""Benchmark: the text coder's throughput on 200-word reports, on one core.

Writes a seeded corpus of SYNTHETIC wire-style reports (about 200 words each: a lead sentence
reporting an event, quotes, background and context, sometimes a second event) and codes it with
:class:`rivalscope.coding.Coder` in this one process. The baseline, measured in the same run on
a sample of the same passages, is the naive approach the issue names: ``dateparser``'s
``search_dates`` over each passage plus a fuzzy match (rapidfuzz ``partial_ratio``) of every
gazetteer name (provinces, districts, towns) against it.

Throughput is passages per CPU-second of this process (``time.process_time``), which is what one
core delivers even when other work shares the machine; wall-clock figures are printed too. The
coder runs ``--repeat`` times over the corpus and the fastest run counts (as ``timeit`` does).
Goal (issue 4): at least 2,000 passages per second.

    .venv/bin/python benchmarks/code.py [--passages 4000] [--baseline-sample 40] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

from rivalscope.coding import Coder, Passage
from rivalscope.coding.places import LEVEL_COUNTRY

GOAL = 2000.0
NOTES_GOAL = 5000.0
STARTUP_GOAL = 2.0

GROUPS = [
    "Taliban fighters",
    "Islamic State militants",
    "ISKP fighters",
    "Daesh militants",
    "gunmen",
    "the Taliban",
    "IS-K militants",
    "insurgents",
]
FORCES = [
    "Afghan forces",
    "security forces",
    "police",
    "Afghan soldiers",
    "Taliban forces",
    "government troops",
    "Afghan commandos",
]
PLACES = [
    ("Achin", "Nangarhar"),
    ("Khogyani", "Nangarhar"),
    ("Kot", "Nangarhar"),
    ("Deh Bala", "Nangarhar"),
    ("Chapa Dara", "Kunar"),
    ("Dangam", "Kunar"),
    ("Chahar Dara", "Kunduz"),
    ("Imam Sahib", "Kunduz"),
    ("Nad Ali", "Helmand"),
    ("Sangin", "Helmand"),
    ("Spin Boldak", "Kandahar"),
    ("Zhari", "Kandahar"),
    ("Andar", "Ghazni"),
    ("Giro", "Ghazni"),
    ("Chahar Bolak", "Balkh"),
    ("Qaisar", "Faryab"),
    ("Darzab", "Jowzjan"),
    ("Shindand", "Herat"),
    ("Zurmat", "Paktia"),
    ("Shah Joy", "Zabul"),
    ("Dehrawud", "Uruzgan"),
    ("Khwaja Ghar", "Takhar"),
    ("Dahana-i-Ghori", "Baghlan"),
    ("Baraki Barak", "Logar"),
]
DAYS = [
    "on Monday",
    "on Tuesday",
    "late on Wednesday",
    "on Thursday night",
    "on Friday",
    "overnight",
    "on Saturday",
    "early on Sunday",
    "last week",
    "yesterday",
]
NUMBERS = [
    "three",
    "five",
    "at least 12",
    "two",
    "seven",
    "nine",
    "at least 20",
    "four",
    "11",
    "dozens of",
]
VICTIMS = ["civilians", "policemen", "soldiers", "worshippers", "fighters", "people", "students"]

LEADS = [
    "{group} attacked a {force_adj} checkpoint in the {district} district of {province} province "
    "{day}, killing {n} {victims} and wounding {m} others, officials said.",
    "A roadside bomb struck a vehicle carrying {victims} in {province}'s {district} district "
    "{day}, killing {n} and wounding {m}, a provincial spokesman said.",
    "{force} killed {n} {group_bare} in an air strike in {district} district of {province} {day}, "
    "the defence ministry said in a statement.",
    "Clashes between {group_bare} and {force} in {province}'s {district} district left {n} "
    "people dead {day}, local officials told reporters.",
    "A {role} of the {side} and {n} of his fighters defected to the {other} in {district} "
    "district of {province} {day}, elders said.",
    "Gunmen shot dead a local cleric in {province}'s {district} district {day}; no group claimed "
    "responsibility.",
]
CONTEXT = [
    "The district has seen heavy fighting between the Taliban and the Islamic State's local "
    "branch since 2015, and thousands of families have fled to the provincial capital.",
    '"We heard gunfire for hours and then a huge explosion," said a resident who asked not to '
    "be named because he feared reprisals.",
    "Humanitarian groups say access to the area remains difficult, and clinics are short of "
    "medicine and staff after years of conflict.",
    "Analysts say the group has recruited disaffected fighters from rival factions and draws on "
    "networks that cross the border with Pakistan.",
    "The United Nations mission in Afghanistan has repeatedly called on all parties to protect "
    "civilians and to respect international humanitarian law.",
    "Provincial officials said reinforcements had been sent to the area and that an "
    "investigation was under way.",
    "Local elders appealed to both sides to stay away from villages and farmland during the "
    "harvest season.",
    "The road linking the district to the provincial centre was closed for several hours, "
    "traders said.",
    "Residents said schools and markets remained shut, and that many families had moved to "
    "relatives in the city.",
    "A spokesman for the provincial governor declined to comment on the number of casualties.",
]


def corpus(count: int, seed: int = 4) -> list[Passage]:
    """SYNTHETIC wire-style reports of about 200 words."""
    rng = random.Random(seed)
    base = dt.date(2019, 1, 1)
    passages: list[Passage] = []
    for number in range(count):
        sentences = [_lead(rng)]
        if rng.random() < 0.3:
            sentences.append("Separately, " + _lead(rng)[0].lower() + _lead(rng)[1:])
        while len(" ".join(sentences).split()) < 195:
            sentences.append(rng.choice(CONTEXT))
        report = base + dt.timedelta(days=rng.randrange(0, 1500))
        passages.append(Passage(" ".join(sentences), report, input_id=f"bench-{number}"))
    return passages


def _lead(rng: random.Random) -> str:
    group = rng.choice(GROUPS)
    side, other = rng.sample(["Taliban", "Islamic State", "Hezb-e Islami"], 2)
    district, province = rng.choice(PLACES)
    return rng.choice(LEADS).format(
        group=group[0].upper() + group[1:],
        group_bare=group.removeprefix("the "),
        force=rng.choice(FORCES),
        force_adj=rng.choice(["police", "army", "Taliban", "border"]),
        district=district,
        province=province,
        day=rng.choice(DAYS),
        n=rng.choice(NUMBERS),
        m=rng.choice(NUMBERS[:-1]),
        victims=rng.choice(VICTIMS),
        role=rng.choice(["commander", "sub-commander", "shadow governor"]),
        side=side,
        other=other,
    )


# ACLED-style notes across countries: (group, state forces, town, district, province).
NOTE_SETTINGS = [
    ("Taliban militants", "ANA soldiers", "Andar", "Andar", "Ghazni"),
    ("ISKP militants", "Taliban forces", "Jalalabad", "Jalalabad", "Nangarhar"),
    ("Boko Haram militants", "Nigerian troops", "Gwoza", "Gwoza", "Borno"),
    ("ISWAP militants", "Nigerian soldiers", "Monguno", "Monguno", "Borno"),
    ("Al Shabaab militants", "SNA soldiers", "Afgooye", "Afgooye", "Lower Shabelle"),
    ("JNIM militants", "FAMa soldiers", "Boni", "Douentza", "Mopti"),
    ("ISIS militants", "Iraqi security forces", "Tuz Khurmatu", "Tuz", "Salah al-Din"),
    ("ISIS cells", "SDF fighters", "Al-Busayrah", "Deir ez-Zor", "Deir ez-Zor"),
    ("CJNG gunmen", "National Guard members", "Celaya", "Celaya", "Guanajuato"),
    ("TTP militants", "Pakistani soldiers", "Mir Ali", "North Waziristan", "Khyber Pakhtunkhwa"),
    ("PDF fighters", "Myanmar military troops", "Monywa", "Monywa", "Sagaing"),
    ("Fulani militia", "police officers", "Bassa", "Bassa", "Plateau"),
]
NOTE_TEMPLATES = [
    "On {date}, {group} attacked {forces} in {town} ({district}, {province}). {n} soldiers "
    "were killed.",
    "On {date}, {group} killed {n} civilians in the village of {town} ({district}, {province}).",
    "On {date}, an IED planted by {group} struck a vehicle of {forces} near {town} "
    "({province}). {n} were killed.",
    "On {date}, {forces} clashed with {group} in {town} ({district}, {province}). "
    "Fatalities unknown.",
    "On {date}, {group} abducted {n} women near {town} ({province}).",
    "On {date}, {forces} conducted an airstrike on {group} positions near {town} ({province}), "
    "killing {n}.",
    "On {date}, around {n}0 people protested in {town} ({province}) against rising fuel prices.",
    "On {date}, {group} collected taxes from traders in {town} ({province}).",
]


NOTE_TAILS = [
    " The victims were returning from a market.",
    " Local sources reported that the attackers fled towards the border area.",
    " No group claimed responsibility for the attack.",
    " The group claimed the attack in a statement.",
    " Several houses were damaged during the incident.",
    "",
]


def notes(count: int, seed: int = 23) -> list[Passage]:
    """SYNTHETIC ACLED-style notes (one to three sentences, about 30 words) in many
    countries."""
    rng = random.Random(seed)
    base = dt.date(2019, 1, 1)
    passages: list[Passage] = []
    for number in range(count):
        group, forces, town, district, province = rng.choice(NOTE_SETTINGS)
        day = base + dt.timedelta(days=rng.randrange(0, 1500))
        text = rng.choice(NOTE_TEMPLATES).format(
            date=f"{day.day} {day:%B %Y}",
            group=group,
            forces=forces,
            town=town,
            district=district,
            province=province,
            n=rng.randrange(1, 12),
        ) + rng.choice(NOTE_TAILS)
        passages.append(Passage(text, day, input_id=f"note-{number}"))
    return passages


def startup_seconds() -> tuple[float, float]:
    """Wall and CPU seconds for a fresh Python process to import the coder, build it (from the
    place cache a first run writes) and code a note."""
    import subprocess

    script = (
        "import time; t = time.perf_counter(); c = time.process_time(); import datetime as dt; "
        "from rivalscope.coding import Coder; "
        "Coder().code('On 3 May 2022, Taliban militants attacked a checkpoint in Achin "
        "district (Nangarhar).', dt.date(2022, 5, 3)); "
        "print(time.perf_counter() - t, time.process_time() - c)"
    )
    here = Path(__file__).resolve().parent
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=here.parent,
    )
    wall, cpu = result.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def baseline(coder: Coder, passages: list[Passage]) -> float:
    """Seconds per passage of the naive approach (CPU time)."""
    import dateparser.search
    from rapidfuzz import fuzz

    names = sorted({p.name for p in coder.places.places if p.level != LEVEL_COUNTRY})
    start = time.process_time()
    for passage in passages:
        base = dt.datetime.combine(passage.report_date or dt.date(2020, 1, 1), dt.time())
        dateparser.search.search_dates(
            passage.text, languages=["en"], settings={"RELATIVE_BASE": base}
        )
        [name for name in names if fuzz.partial_ratio(name, passage.text) >= 90]
    return (time.process_time() - start) / len(passages)


def main() -> None:
    # benchmarks/profile.py would shadow the standard library's profile module, which spaCy
    # imports: drop this folder from the import path before spaCy loads.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=4000)
    parser.add_argument("--baseline-sample", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the fastest counts")
    parser.add_argument(
        "--style",
        choices=["notes", "reports"],
        default="notes",
        help="ACLED-style notes (issue 23, goal 5,000/s) or 200-word reports (issue 4, 2,000/s)",
    )
    args = parser.parse_args()
    goal = NOTES_GOAL if args.style == "notes" else GOAL
    startup_seconds()  # the first run on a machine writes the place cache
    startup = [startup_seconds() for _ in range(3)]

    setup = time.perf_counter()
    coder = Coder()
    setup = time.perf_counter() - setup
    passages = notes(args.passages) if args.style == "notes" else corpus(args.passages)
    words = sum(len(p.text.split()) for p in passages) / len(passages)
    list(coder.code_passages(passages[:200]))  # warm caches (dateparser, spaCy)

    runs = []
    for _ in range(args.repeat):
        wall = time.perf_counter()
        cpu = time.process_time()
        records = sum(len(r) for _, r in coder.code_passages(passages))
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu, wall = min(runs)
    rate = len(passages) / cpu

    naive = baseline(coder, passages[: args.baseline_sample])
    naive_rate = 1.0 / naive

    kind = "ACLED-style notes" if args.style == "notes" else "reports"
    print(f"corpus: {len(passages):,} SYNTHETIC {kind}, {words:.0f} words each on average")
    print(f"coder set-up in this process (matchers from registry and gazetteer): {setup:.2f} s")
    wall_start = min(w for w, _ in startup)
    cpu_start = min(c for _, c in startup)
    print(
        "start-up in a fresh process (imports, set-up, one note), best of 3: "
        f"{wall_start:.2f} s wall, {cpu_start:.2f} s CPU (runs: "
        f"{', '.join(f'{w:.2f}/{c:.2f}' for w, c in startup)}); goal < {STARTUP_GOAL:.0f} s: "
        f"{'PASS' if wall_start < STARTUP_GOAL else 'MISS'} on wall time, "
        f"{'PASS' if cpu_start < STARTUP_GOAL else 'MISS'} on CPU time"
    )
    print(
        f"coder: {records:,} records; best of {args.repeat} runs: {cpu:.2f} s CPU "
        f"({wall:.2f} s wall)"
    )
    print(
        f"coder: {rate:,.0f} passages/s per core (CPU time); "
        f"{len(passages) / wall:,.0f} passages/s wall"
    )
    print(
        f"baseline (dateparser.search_dates + fuzzy match of {len(coder.places.places):,} "
        f"gazetteer entries), {args.baseline_sample} passages: {naive_rate:,.1f} passages/s"
    )
    print(f"ratio coder / baseline: {rate / naive_rate:,.0f}x")
    verdict = "PASS" if rate >= goal else "MISS"
    print(f"{verdict}: {rate:,.0f} passages/s against the goal of {goal:,.0f}")


if __name__ == "__main__":
    main()
