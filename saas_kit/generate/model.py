"""The sample company's model: plans, segments, prices, events, industries, names and the
month calendar of the simulation (data/README.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from saas_kit.calendar import EPOCH_MONTH_NUMBER
from saas_kit.errors import ParameterError


FRAME_NAMES = ("subscriptions", "customers", "charges", "events", "company")

PLANS = ("Starter", "Business", "Enterprise")
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
PERIODS = ("month", "quarter", "year")
PERIOD_MONTHS = np.array([1, 3, 12])
EVENT_NAMES = (
    "login",
    "import_data",
    "create_project",
    "invite_teammate",
    "connect_integration",
    "create_report",
)
INDUSTRIES = (
    "Manufacturing",
    "Retail",
    "IT services",
    "Professional services",
    "Healthcare",
    "Logistics",
    "Construction",
    "Finance",
    "Education",
    "Real estate",
)
#: The planted rule: (event, minimum count, window in days after signup).
ACTIVATION_RULE = ("invite_teammate", 3, 14)

# Yen per seat per month, by plan (rows) and billing period (columns: month, quarter, year).
# Quarterly is 5% off and annual 10% off; every entry is whole yen, so MRR = seats * price
# is whole yen and amount = MRR * months (annual divisible by 12, quarterly by 3).
SEAT_PRICE = np.array(
    [
        [3_000, 2_850, 2_700],  # Starter    (~10 seats  ->  ~30,000 / month)
        [6_000, 5_700, 5_400],  # Business   (~20 seats  -> ~120,000 / month)
        [12_000, 11_400, 10_800],  # Enterprise (~50 seats -> ~600,000 / month)
    ],
    dtype=np.int64,
)
MIN_SEATS = np.array([3, 8, 25], dtype=np.int64)  # smallest contract per plan
# Starter after the price change (3,000 -> 3,600 per seat, +20%).
STARTER_PRICE_AFTER = np.array([3_600, 3_420, 3_240], dtype=np.int64)

NAME_PART_A = (
    "Aozora", "Hoshino", "Sakura", "Midori", "Kaede", "Tsubasa", "Hikari", "Kawakami", "Yamabuki",
    "Asahi", "Minato", "Shirakawa", "Hinode", "Kitaura", "Fujimi", "Takane", "Umibe", "Kazane",
    "Shinonome", "Akatsuki", "Harukaze", "Mizuho", "Tokiwa", "Wakaba", "Yuzuriha", "Kohaku",
    "Suzukaze", "Hanabusa", "Nagisa", "Iroha", "Komorebi", "Sazanami", "Tachibana", "Amane",
    "Kirameki", "Morinoki", "Oborozuki", "Sorairo", "Hidamari", "Yukimi", "Ginga", "Hotaru",
    "Ishizue", "Kasumi", "Mitsuba", "Natsume", "Rindou", "Seiran", "Tomoe", "Yamato",
)
NAME_PART_B = (
    "Logistics", "Systems", "Foods", "Trading", "Works", "Medical", "Design", "Partners",
    "Engineering", "Labs", "Construction", "Retail", "Consulting", "Holdings", "Networks",
    "Manufacturing", "Solutions", "Estate", "Education", "Planning", "Industries", "Creative",
    "Services", "Energy", "Pharma", "Textiles", "Robotics", "Agri", "Marine", "Software",
    "Analytics", "Mobility", "Printing", "Kogyo", "Shoji", "Seisakusho", "Denki", "Unyu",
    "Kensetsu", "Shokuhin",
)
NAME_PART_C = ("Co., Ltd.", "K.K.", "Inc.", "Corp.", "G.K.", "Ltd.")

DEFAULT_EVENT_CUSTOMER_CAP = 50_000
PRE_WINDOW_MONTHS = 48


@dataclass(frozen=True)
class SimulationCalendar:
    window_start: int  # absolute month index (year * 12 + month - 1) of the first window month
    window_end: int  # absolute month index of the last window month (inclusive)
    price_change: int  # month of the Starter price rise (and first month of the bad SMB quarter)


def parse_generate_month(text: str) -> int:
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ParameterError(f"end month must look like YYYY-MM, got {text!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_day_to_date(month_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Absolute month index + day of month -> datetime64[D] (vectorised)."""
    months = (np.asarray(month_idx, dtype=np.int64) - EPOCH_MONTH_NUMBER).astype("datetime64[M]")
    return months.astype("datetime64[D]") + (np.asarray(day, dtype=np.int64) - 1)


def numbered_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    digits = np.strings.zfill(np.asarray(numbers, dtype=np.int64).astype(str), width)
    return np.strings.add(prefix, digits)
