"""The categories as services the public can request (layanan), with the extra
questions some of them ask (pertanyaan tambahan).

Every category is a service: Open311 lists them (``services.json``) and a
category with questions has a service definition (``services/{code}.json``).
The questions are about the problem, never about the reporter: nothing here
may ask for a name, a phone number or an ID card number.

Answers are checked here (``check_answers``) so that any channel taking them
(Open311 today, the report form later) applies the same rules; they are stored
on the case for officers and are not part of the public view.

Attributes a service does not ask for (FixMyStreet cobrands add their own,
e.g. ``attribute[uprn]``, ``attribute[easting]``) are kept as given, within
bounds, beside the answers, when the caller says so (``keep_unknown``), unless
the service is ``strict``; a strict service refuses them (400).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from . import categories
from .errors import InvalidReport

# When the catalogue (services, questions, choices) last changed: Open311's
# discovery ``changeset`` tells clients to refresh their cached copy. Bump it
# with every change (tests/unit/test_service_catalogue.py holds a fingerprint).
CHANGESET = "2026-12-05T00:00:00+07:00"

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
MAX_STRING = 200
MAX_TEXT = 2000
# Attributes a service does not ask for, kept as given (see check_answers).
MAX_EXTRA_ATTRIBUTES = 20
MAX_EXTRA_VALUE = 2000  # characters of one value
MAX_EXTRA_TOTAL = 4000  # characters of all of them: the case item stays small
# Contact details are the reporter's (sealed with the case), never kept as an attribute.
CONTACT_CODES = frozenset({"name", "first_name", "last_name", "email", "phone"})

Pair = tuple[str, str]  # (Bahasa Indonesia, English)


def _pick(pair: Pair, language: str) -> str:
    return pair[1] if language == "en" else pair[0]


@dataclass(frozen=True)
class Choice:
    key: str
    name: Pair


@dataclass(frozen=True)
class Question:
    code: str
    datatype: str
    description: Pair
    required: bool = False
    variable: bool = True  # False: information shown to the reporter, not a question
    choices: tuple[Choice, ...] = ()
    datatype_description: Pair | None = None

    def __post_init__(self) -> None:
        if self.datatype not in DATATYPES:
            raise ValueError(f"unknown datatype {self.datatype}")
        if (self.datatype in ("singlevaluelist", "multivaluelist")) != bool(self.choices):
            raise ValueError(f"{self.code}: list questions need choices, others none")


@dataclass(frozen=True)
class Service:
    category: str
    group: Pair
    description: Pair
    keywords: tuple[str, ...]
    questions: tuple[Question, ...] = field(default=())
    # True: attributes other than the questions are refused instead of kept.
    strict: bool = False

    @property
    def has_questions(self) -> bool:
        return bool(self.questions)


_YES_NO = (Choice("yes", ("Ya", "Yes")), Choice("no", ("Tidak", "No")))

_SERVICES: tuple[Service, ...] = (
    Service(
        "garbage",
        ("Kebersihan", "Sanitation"),
        (
            "Sampah menumpuk atau tidak diangkut di jalan, trotoar, sungai atau tempat umum.",
            "Garbage piling up or not collected on streets, sidewalks, rivers or public places.",
        ),
        ("sampah", "garbage", "trash", "rubbish", "kebersihan"),
        (
            Question(
                "garbage_type",
                "multivaluelist",
                ("Jenis sampah", "Kind of garbage"),
                choices=(
                    Choice("household", ("Sampah rumah tangga", "Household waste")),
                    Choice("construction", ("Puing bangunan", "Construction debris")),
                    Choice("bulky", ("Barang besar (kasur, perabot)", "Bulky items (mattresses, furniture)")),
                    Choice("hazardous", ("Limbah B3 (baterai, oli, medis)", "Hazardous (batteries, oil, medical)")),
                ),
            ),
            Question(
                "amount",
                "singlevaluelist",
                ("Perkiraan jumlah", "Rough amount"),
                choices=(
                    Choice("small", ("Sedikit (beberapa kantong)", "Small (a few bags)")),
                    Choice("cart", ("Satu gerobak", "About a handcart")),
                    Choice("truck", ("Satu truk atau lebih", "A truckload or more")),
                ),
            ),
        ),
    ),
    Service(
        "damaged_road",
        ("Jalan dan trotoar", "Streets and sidewalks"),
        ("Jalan berlubang, amblas atau rusak.", "Potholes, sunken or broken road surface."),
        ("jalan rusak", "jalan berlubang", "pothole", "road"),
        (
            Question(
                "size",
                "singlevaluelist",
                ("Ukuran kerusakan", "Size of the damage"),
                required=True,
                choices=(
                    Choice("small", ("Kecil (kurang dari 30 cm)", "Small (under 30 cm)")),
                    Choice("medium", ("Sedang (30 cm - 1 m)", "Medium (30 cm - 1 m)")),
                    Choice("large", ("Besar (lebih dari 1 m)", "Large (over 1 m)")),
                ),
            ),
            Question(
                "lane_blocked", "singlevaluelist", ("Apakah lajur tertutup?", "Is a lane blocked?"), choices=_YES_NO
            ),
        ),
    ),
    Service(
        "illegal_parking",
        ("Jalan dan trotoar", "Streets and sidewalks"),
        (
            "Kendaraan parkir di tempat terlarang, trotoar atau bahu jalan.",
            "Vehicles parked where it is not allowed, on sidewalks or road shoulders.",
        ),
        ("parkir liar", "parking", "parkir"),
        (
            Question(
                "vehicle_type",
                "singlevaluelist",
                ("Jenis kendaraan", "Kind of vehicle"),
                choices=(
                    Choice("car", ("Mobil", "Car")),
                    Choice("motorcycle", ("Sepeda motor", "Motorcycle")),
                    Choice("truck", ("Truk", "Truck")),
                    Choice("bus", ("Bus", "Bus")),
                    Choice("other", ("Lainnya", "Other")),
                ),
            ),
            Question(
                "plate_number",
                "string",
                ("Nomor polisi kendaraan (jika terlihat)", "Vehicle plate number (if visible)"),
                datatype_description=("Contoh: B 1234 XYZ", "For example: B 1234 XYZ"),
            ),
        ),
    ),
    Service(
        "sidewalk_obstruction",
        ("Jalan dan trotoar", "Streets and sidewalks"),
        (
            "Trotoar terhalang pedagang, material atau puing proyek.",
            "Sidewalks blocked by stalls, materials or project debris.",
        ),
        ("trotoar", "sidewalk", "puing", "debris"),
    ),
    Service(
        "water",
        ("Utilitas", "Utilities"),
        (
            "Air PDAM tidak mengalir, keruh, bertekanan rendah atau pipa bocor.",
            "Piped water (PDAM) not flowing, dirty, at low pressure, or a leaking pipe.",
        ),
        ("air", "pdam", "water", "pipa", "leak"),
        (
            Question(
                "problem",
                "singlevaluelist",
                ("Masalahnya", "The problem"),
                required=True,
                choices=(
                    Choice("no_water", ("Air tidak mengalir", "No water")),
                    Choice("low_pressure", ("Tekanan rendah", "Low pressure")),
                    Choice("dirty", ("Air keruh atau berbau", "Dirty or smelly water")),
                    Choice("leak", ("Pipa bocor", "Leaking pipe")),
                ),
            ),
            Question(
                "since",
                "datetime",
                ("Sejak kapan?", "Since when?"),
                datatype_description=(
                    "Tanggal dan jam, mis. 2026-11-23T07:00:00+07:00",
                    "Date and time, e.g. 2026-11-23T07:00:00+07:00",
                ),
            ),
        ),
    ),
    Service(
        "low_cable",
        ("Utilitas", "Utilities"),
        ("Kabel listrik atau fiber menjuntai rendah atau putus.", "Low-hanging or broken power or fibre cables."),
        ("kabel", "cable", "fiber", "listrik"),
        (
            Question(
                "cable_type",
                "singlevaluelist",
                ("Jenis kabel", "Kind of cable"),
                choices=(
                    Choice("power", ("Listrik", "Power")),
                    Choice("telecom", ("Telepon / internet", "Telephone / internet")),
                    Choice("unknown", ("Tidak tahu", "Not sure")),
                ),
            ),
            Question(
                "height_m", "number", ("Perkiraan tinggi dari tanah (meter)", "Rough height above the ground (metres)")
            ),
        ),
    ),
    Service(
        "flooding",
        ("Air dan saluran", "Water and drains"),
        ("Banjir atau genangan air di jalan dan permukiman.", "Flooding or standing water on streets and homes."),
        ("banjir", "genangan", "flood"),
        (Question("depth_cm", "number", ("Perkiraan kedalaman air (cm)", "Rough water depth (cm)")),),
    ),
    Service(
        "drainage",
        ("Air dan saluran", "Water and drains"),
        ("Saluran air atau gorong-gorong tersumbat.", "Blocked drains or culverts."),
        ("saluran", "got", "drain", "gorong-gorong"),
    ),
    Service(
        "street_light",
        ("Jalan dan trotoar", "Streets and sidewalks"),
        (
            "Lampu penerangan jalan umum mati, berkedip atau tiangnya rusak.",
            "Street lights that are off, flickering, or on a damaged pole.",
        ),
        ("lampu jalan", "pju", "street light"),
        (
            Question(
                "light_problem",
                "singlevaluelist",
                ("Masalahnya", "The problem"),
                choices=(
                    Choice("off", ("Mati", "Off")),
                    Choice("flickering", ("Berkedip", "Flickering")),
                    Choice("damaged_pole", ("Tiang rusak atau miring", "Damaged or leaning pole")),
                ),
            ),
            Question("pole_number", "string", ("Nomor tiang (jika ada)", "Pole number (if there is one)")),
        ),
    ),
    Service(
        "fallen_tree",
        ("Lingkungan", "Environment"),
        ("Pohon tumbang atau rawan tumbang.", "Fallen trees, or trees about to fall."),
        ("pohon", "tree", "tumbang"),
        (
            Question(
                "safety_notice",
                "string",
                (
                    "Jika pohon menimpa orang atau kabel listrik, hubungi 112 sekarang.",
                    "If the tree has fallen on people or power lines, call 112 now.",
                ),
                variable=False,
            ),
            Question(
                "blocking_road",
                "singlevaluelist",
                ("Apakah menghalangi jalan?", "Is it blocking the road?"),
                choices=_YES_NO,
            ),
        ),
    ),
    Service(
        "public_facility",
        ("Fasilitas umum", "Public facilities"),
        (
            "Fasilitas umum rusak: halte, taman, toilet umum, rambu.",
            "Damaged public facilities: bus shelters, parks, public toilets, signs.",
        ),
        ("fasilitas umum", "halte", "taman", "facility"),
    ),
    Service(
        "regulation_violation",
        ("Ketertiban", "Public order"),
        (
            "Pelanggaran Perda atau Pergub (bangunan, reklame, ketertiban umum).",
            "Violations of regional regulations (buildings, billboards, public order).",
        ),
        ("perda", "pergub", "pelanggaran", "violation"),
    ),
    Service(
        "ppkm_violation",
        ("Ketertiban", "Public order"),
        ("Pelanggaran pembatasan kesehatan masyarakat (PPKM).", "Violations of public-health restrictions (PPKM)."),
        ("ppkm", "prokes", "covid"),
    ),
    Service(
        "other",
        ("Lainnya", "Other"),
        ("Masalah lain yang bukan keadaan darurat.", "Any other non-emergency problem."),
        ("lainnya", "other"),
    ),
)

_BY_CATEGORY = {service.category: service for service in _SERVICES}
assert set(_BY_CATEGORY) == set(categories.ids()), "every category is a service, and only those"


def services() -> tuple[Service, ...]:
    """Every service, in the catalogue's order."""
    return _SERVICES


def service(category: str) -> Service | None:
    return _BY_CATEGORY.get(category)


def name(category: str, language: str) -> str:
    found = categories.get(category)
    return found.name(language) if found else category


def text(pair: Pair | None, language: str) -> str | None:
    return _pick(pair, language) if pair else None


# --- answers ---------------------------------------------------------------------------

Answer = str | list[str]


def check_answers(category: str, answers: dict[str, list[str]], keep_unknown: bool = False) -> dict[str, Answer]:
    """Validate the answers given to a service's questions; return them normalised.

    ``answers`` maps a question code to the values sent for it (one, or several
    for a multivaluelist). Raises InvalidReport with one problem per field
    (``attribute[code]``) otherwise. Empty values count as not answered.

    ``keep_unknown``: an attribute that is no question of the service is kept
    as given (stripped; one value as text, several as a list) instead of
    refused -- unless the service is ``strict``. At most MAX_EXTRA_ATTRIBUTES
    of them, MAX_EXTRA_VALUE characters each and MAX_EXTRA_TOTAL in all;
    contact details (CONTACT_CODES) are never kept as attributes.
    """
    found = service(category)
    questions = {q.code: q for q in (found.questions if found else ())}
    keeps = keep_unknown and not (found is not None and found.strict)
    problems: list[tuple[str, str]] = []
    clean: dict[str, Answer] = {}
    answered: set[str] = set()
    extra_characters, extras = 0, 0
    for code, raw_values in answers.items():
        field_name = f"attribute[{code}]"
        values = [value.strip() for value in raw_values if value is not None and value.strip()]
        if not values:
            continue  # an empty argument is one not given (the spec's rule for optional arguments)
        question = questions.get(code)
        if question is None:
            if not keeps:
                strict = " (a strict service: it takes its own questions only)" if keep_unknown else ""
                problems.append((field_name, f"is not a question of service {category}{strict}"))
            elif code.lower() not in CONTACT_CODES:
                extra_characters += sum(len(value) for value in values)
                problem = _extra_problem(values, extras, extra_characters)
                if problem:
                    problems.append((field_name, problem))
                else:
                    clean[code] = values[0] if len(values) == 1 else values
                    extras += 1
            continue
        answered.add(code)
        if not question.variable:
            problems.append((field_name, "is information for the reporter, not a question"))
            continue
        problem, value = _check_value(question, values)
        if problem:
            problems.append((field_name, problem))
        else:
            clean[code] = value
    for question in questions.values():
        if question.variable and question.required and question.code not in answered:
            problems.append((f"attribute[{question.code}]", "is required for this service"))
    if problems:
        raise InvalidReport(problems)
    return clean


def _extra_problem(values: list[str], kept: int, characters: int) -> str | None:
    if kept >= MAX_EXTRA_ATTRIBUTES:
        return f"is one attribute too many: at most {MAX_EXTRA_ATTRIBUTES} beyond the service's questions"
    if any(len(value) > MAX_EXTRA_VALUE for value in values):
        return f"is longer than {MAX_EXTRA_VALUE} characters"
    if characters > MAX_EXTRA_TOTAL:
        return f"takes the attributes beyond the service's questions past {MAX_EXTRA_TOTAL} characters in all"
    return None


def _check_value(question: Question, values: list[str]) -> tuple[str | None, Answer]:
    if question.datatype == "multivaluelist":
        keys = {choice.key for choice in question.choices}
        unknown = [value for value in values if value not in keys]
        if unknown:
            return f"unknown choice {unknown[0][:40]!r}; use one of {', '.join(sorted(keys))}", ""
        return None, sorted(set(values))
    if len(values) > 1:
        return "takes one value", ""
    value = values[0]
    if question.datatype == "singlevaluelist":
        listed = [choice.key for choice in question.choices]
        if value not in listed:
            return f"unknown choice {value[:40]!r}; use one of {', '.join(listed)}", ""
        return None, value
    if question.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number", ""
        if not math.isfinite(number) or abs(number) > 1e9:
            return "must be a finite number", ""
        return None, repr(int(number)) if number.is_integer() else repr(number)
    if question.datatype == "datetime":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "must be an ISO 8601 date and time, e.g. 2026-11-23T07:00:00+07:00", ""
        if moment.tzinfo is None:
            return "must include a time zone offset, e.g. +07:00", ""
        return None, moment.isoformat()
    limit = MAX_TEXT if question.datatype == "text" else MAX_STRING
    if len(value) > limit:
        return f"is longer than {limit} characters", ""
    if question.datatype == "string" and ("\n" in value or "\r" in value):
        return "must be one line", ""
    return None, value
