"""The categories of non-emergency city problems a case can be about (kategori).

The catalogue is seeded here; emergencies (fire, crime, medical) belong to 112
and are not categories.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    id: str
    name_id: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_id


CATALOGUE: tuple[Category, ...] = (
    Category("garbage", "Sampah", "Garbage"),
    Category("damaged_road", "Jalan rusak", "Damaged road"),
    Category("illegal_parking", "Parkir liar", "Illegal parking"),
    Category("sidewalk_obstruction", "Trotoar terhalang / puing proyek", "Blocked sidewalk / project debris"),
    Category("water", "Air bersih (PDAM)", "Water supply (PDAM)"),
    Category("low_cable", "Kabel menjuntai", "Low-hanging cable"),
    Category("flooding", "Banjir / genangan", "Flooding / standing water"),
    Category("drainage", "Saluran air tersumbat", "Blocked drain"),
    Category("street_light", "Penerangan jalan umum", "Street light"),
    Category("fallen_tree", "Pohon tumbang / rawan tumbang", "Fallen or unsafe tree"),
    Category("public_facility", "Fasilitas umum rusak", "Damaged public facility"),
    Category("regulation_violation", "Pelanggaran Perda/Pergub", "Violation of regional regulations"),
    Category("ppkm_violation", "Pelanggaran PPKM", "Violation of public-health restrictions (PPKM)"),
    Category("other", "Lainnya", "Other"),
)

_BY_ID = {category.id: category for category in CATALOGUE}


def get(category_id: str) -> Category | None:
    return _BY_ID.get(category_id)


def ids() -> tuple[str, ...]:
    return tuple(_BY_ID)
