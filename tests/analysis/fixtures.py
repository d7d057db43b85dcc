"""Hand-made UCDP rows shared by the section tests."""

from __future__ import annotations

UCDP_HEADER = (
    "id,type_of_violence,side_a,side_b,country,date_start,date_end,best,low,high,"
    "latitude,longitude,adm_1,deaths_civilians"
)
"""The GED columns the fixtures fill (every other GED column is optional to the ingest)."""


def ucdp_row(
    id_: int,
    violence: int,
    side_a: str,
    side_b: str,
    day: str,
    best: int,
    province: str,
    country: str = "Afghanistan",
) -> str:
    """One GED row at (34.0, 69.0): one-sided violence (3) kills ``best`` civilians."""
    adm_1 = f"{province} province" if province else ""
    civilians = best if violence == 3 else ""
    return (
        f"{id_},{violence},{side_a},{side_b},{country},{day},{day},{best},{best},{best},"
        f"34.0,69.0,{adm_1},{civilians}"
    )
