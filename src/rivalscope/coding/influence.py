"""Influence activities in a note: which of :data:`rivalscope.schema.INFLUENCE_TYPES` it reports.

:func:`influence_type` classifies one note (an ACLED ``Strategic developments`` note, a line of a
report) by phrase rules, without spaCy, the registry or the gazetteer: it imports only ``re``
and codes a note in a few microseconds, so an ingest can call it on every row.

The rules (docs/coding.md, "Influence activities"):

- ``extortion`` wins whenever the note says money or goods were taken by force or threat
  (``extorted``, ``ransom``, ``protection money``, ``forced ... to pay``, ``threatening ... if
  they refused``): a tax collected under threat is extortion, not governance.
- Otherwise the type whose phrase comes first in the note wins (``released a propaganda video
  calling on Muslims to join`` is ``propaganda``; ``recruited young men using videos`` is
  ``recruitment``):

  - ``propaganda``: videos, statements, magazines, night letters, leaflets, posters, flags,
    online channels, media foundations;
  - ``proselytization``: preaching, sermons, da'wa, religious lessons, schools and circles;
  - ``governance``: courts, judges and qadis, sentences, taxes and zakat collected, decrees
    and bans, governors and administrations, the hisbah, checkpoints set up;
  - ``recruitment``: recruiting, enlisting, conscripting, training camps, calls to join.

- A note with none of these phrases is ``None``.

Negated or unreal phrasing (``denied recruiting``, ``plans to open a court``) is not filtered:
the function is meant for notes already known to report a development, as ACLED's are.
"""

from __future__ import annotations

import re
from typing import Final

_EXTORTION: Final = re.compile(
    r"\b(?:extort(?:ed|ing|ion|s)?|ransoms?|protection money|forc(?:ed|ing)\b[^.;]{0,60}?\bto pay"
    r"|demand(?:ed|ing)\b[^.;]{0,40}?\b(?:money|payments?|cash|zakat|taxes|ushr)"
    r"|threaten(?:ed|ing)\b[^.;]{0,80}?\b(?:if they (?:did not|didn't|refused)|unless)"
    r"|illegal(?:ly)? (?:taxes|levies|tolls)|levied (?:on|from)|looted money)\b",
    re.IGNORECASE,
)

_TYPES: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (
        "propaganda",
        re.compile(
            r"\b(?:propaganda|(?:released|published|posted|issued|disseminated|circulated|shared)"
            r"\b[^.;]{0,30}?\b(?:videos?|statements?|magazines?|messages?|images|photos|"
            r"audio|recordings?|posters?|nasheeds?|infographics?|reports?)"
            r"|night letters?|shabnama|leaflets?|pamphlets?|posters?|graffiti|banners?|"
            r"flags?\b[^.;]{0,20}?\b(?:raised|hoisted|planted)|(?:raised|hoisted|planted)"
            r"\b[^.;]{0,20}?\bflags?|telegram|media (?:foundation|office|outlet|wing)|"
            r"amaq|al-naba|magazine|video message|audio message|online (?:channels?|campaign))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "proselytization",
        re.compile(
            r"\b(?:preach(?:ed|es|ing|ers?)?|sermons?|da'?wa[h]?|proselyti[sz](?:ed|ing|ation)|"
            r"religious (?:lessons?|classes|circles?|schools?|courses?|seminars?)|"
            r"study circles?|indoctrinat(?:ed|ing|ion)|madrasas? (?:opened|run by))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "governance",
        re.compile(
            r"\b(?:courts?|judges?|qadis?|sentenced|verdicts?|flogg(?:ed|ing)|"
            r"(?:collected|collecting|imposed|imposing|levied|levying)\b[^.;]{0,30}?\b"
            r"(?:tax(?:es)?|zakat|ushr|tolls?|fees?)|taxation|zakat|ushr|decrees?|"
            r"(?:imposed|announced|issued) (?:a )?(?:ban|curfew|rules?)|banned|"
            r"(?:shadow )?governors?|administrat(?:ion|ors?)|hisbah|religious police|"
            r"set up (?:a )?checkpoints?|checkpoints? (?:set up|established)|"
            r"appointed|distributed aid|aid distribution|mediat(?:ed|ion))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "recruitment",
        re.compile(
            r"\b(?:recruit(?:ed|ing|ment|ers?|s)?|enlist(?:ed|ing)|conscript(?:ed|ing|ion)|"
            r"training camps?|trained (?:new )?(?:fighters|recruits)|"
            r"(?:urged|called on|calling on|invited)\b[^.;]{0,60}?\bto join|to join the group|"
            r"foreign fighters (?:arrived|joined))\b",
            re.IGNORECASE,
        ),
    ),
)


def _keys(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EXTORTION_KEYS: Final = _keys(
    "extort extorted extorting extortion extorts ransom ransoms protection forced forcing "
    "demanded demanding threatened threatening illegal illegally levied looted"
)
_KEYS: Final[dict[str, frozenset[str]]] = {
    "propaganda": _keys(
        "propaganda released published posted issued disseminated circulated shared night "
        "shabnama leaflet leaflets pamphlet pamphlets poster posters graffiti banner banners "
        "flag flags raised hoisted planted telegram media amaq al-naba naba magazine magazines "
        "video audio online"
    ),
    "proselytization": _keys(
        "preach preached preaches preaching preacher preachers sermon sermons dawa dawah da'wa "
        "da'wah proselytized proselytizing proselytization proselytised proselytising "
        "proselytisation religious study indoctrinated indoctrinating indoctrination madrasa "
        "madrasas"
    ),
    "governance": _keys(
        "court courts judge judges qadi qadis sentenced verdict verdicts flogged flogging "
        "collected collecting imposed imposing levied levying taxation zakat ushr decree decrees "
        "announced issued banned governor governors administration administrator administrators "
        "hisbah religious set checkpoint checkpoints appointed distributed aid mediated mediation"
    ),
    "recruitment": _keys(
        "recruit recruited recruiting recruitment recruiter recruiters recruits enlisted "
        "enlisting conscripted conscripting conscription training trained urged called calling "
        "invited join foreign"
    ),
}
"""The words one of which each type's rule needs: a cheap test before its expression runs."""
_WORDS: Final = re.compile(r"[a-z][a-z'-]*")


def influence_type(note: str) -> str | None:
    """The influence type a note reports, or None.

    Args:
        note: the text of one note (an ACLED ``notes`` cell, a sentence of a report).

    Returns:
        ``"propaganda"``, ``"proselytization"``, ``"extortion"``, ``"governance"`` or
        ``"recruitment"`` (:data:`rivalscope.schema.INFLUENCE_TYPES`), or None when no rule
        applies. Extortion wins whenever force or threat is stated; otherwise the type whose
        phrase comes first in the note.

    >>> influence_type("On 1 June 2022, Al Shabaab forced herders in Jamaame to pay zakat.")
    'extortion'
    >>> influence_type("ISKP released a propaganda video calling on Muslims to join the group.")
    'propaganda'
    >>> influence_type("Taliban militants attacked a checkpoint.") is None
    True
    """
    if not note:
        return None
    words = set(_WORDS.findall(note.lower()))
    if not words.isdisjoint(_EXTORTION_KEYS) and _EXTORTION.search(note):
        return "extortion"
    best: tuple[int, str] | None = None
    for name, pattern in _TYPES:
        if words.isdisjoint(_KEYS[name]):
            continue
        match = pattern.search(note)
        if match is not None and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None
