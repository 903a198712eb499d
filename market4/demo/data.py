"""The demo district: 15 markets modelled on Châu Đức (formerly Bà Rịa - Vũng Tàu, in
Thành phố Hồ Chí Minh since 01/07/2025), 1,420 stalls of which 1,066 accept cashless
payment, as reported in the news. Names, stall codes and goods are illustrative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DemoMarket:
    code: str
    name: str
    kind: str
    market_class: int | None
    # The 2025 commune the market lies in (its pre-2025 commune merged into it).
    commune: str
    stalls: int
    accepting: int
    joined_on: date | None
    stall_style: str  # how this market names its stalls
    zones: tuple[str, ...]


MARKETS: tuple[DemoMarket, ...] = (
    DemoMarket(
        "CD-NGAIGIAO",
        "Chợ Ngãi Giao",
        "traditional",
        2,
        "Ngãi Giao",
        260,
        231,
        date(2026, 6, 1),
        "Sạp",
        ("Nhà lồng A", "Nhà lồng B", "Khu rau củ", "Khu thủy sản"),
    ),
    DemoMarket(
        "CD-DEM-NGAIGIAO",
        "Chợ đêm Ngãi Giao",
        "night",
        3,
        "Ngãi Giao",
        120,
        120,
        date(2026, 6, 1),
        "Lô",
        ("Dãy A", "Dãy B", "Dãy C"),
    ),
    DemoMarket(
        "CD-KIMLONG",
        "Chợ Kim Long",
        "traditional",
        2,
        "Kim Long",
        210,
        168,
        date(2026, 6, 15),
        "Sạp",
        ("Nhà lồng chính", "Khu tươi sống", "Khu khô"),
    ),
    DemoMarket(
        "CD-BINHGIA",
        "Chợ Bình Giã",
        "traditional",
        3,
        "Bình Giã",
        150,
        117,
        date(2026, 7, 1),
        "Sạp",
        ("Khu A", "Khu B"),
    ),
    DemoMarket(
        "CD-SUOINGHE",
        "Chợ Suối Nghệ",
        "traditional",
        3,
        "Ngãi Giao",
        95,
        78,
        date(2026, 7, 1),
        "Ki-ốt",
        ("Khu trong", "Khu ngoài"),
    ),
    DemoMarket(
        "CD-XUANSON",
        "Chợ Xuân Sơn",
        "traditional",
        3,
        "Xuân Sơn",
        88,
        70,
        date(2026, 7, 15),
        "Sạp",
        ("Khu A", "Khu B"),
    ),
    DemoMarket(
        "CD-LANGLON",
        "Chợ Láng Lớn",
        "traditional",
        3,
        "Kim Long",
        72,
        55,
        date(2026, 8, 1),
        "Sạp",
        ("Khu chính",),
    ),
    DemoMarket(
        "CD-NGHIATHANH",
        "Chợ Nghĩa Thành",
        "traditional",
        3,
        "Nghĩa Thành",
        80,
        61,
        date(2026, 8, 1),
        "Lô",
        ("Dãy 1", "Dãy 2", "Dãy 3"),
    ),
    DemoMarket(
        "CD-DABAC",
        "Chợ Đá Bạc",
        "traditional",
        3,
        "Nghĩa Thành",
        64,
        49,
        date(2026, 8, 15),
        "Sạp",
        ("Khu chính",),
    ),
    DemoMarket(
        "CD-PHO-HUNGVUONG",
        "Tuyến phố ẩm thực Hùng Vương",
        "street",
        None,
        "Ngãi Giao",
        55,
        45,
        date(2026, 9, 1),
        "Điểm",
        ("Đoạn 1", "Đoạn 2"),
    ),
    DemoMarket(
        "CD-BAUCHINH",
        "Chợ Bàu Chinh",
        "traditional",
        3,
        "Kim Long",
        48,
        20,
        None,
        "Sạp",
        ("Khu chính",),
    ),
    DemoMarket(
        "CD-QUANGTHANH",
        "Chợ Quảng Thành",
        "traditional",
        3,
        "Bình Giã",
        40,
        15,
        None,
        "Sạp",
        ("Khu chính",),
    ),
    DemoMarket(
        "CD-SONBINH",
        "Chợ Sơn Bình",
        "traditional",
        3,
        "Xuân Sơn",
        38,
        12,
        None,
        "Sạp",
        ("Khu chính",),
    ),
    DemoMarket(
        "CD-XABANG",
        "Chợ Xà Bang",
        "traditional",
        3,
        "Châu Đức",
        60,
        22,
        None,
        "Sạp",
        ("Khu A", "Khu B"),
    ),
    DemoMarket(
        "CD-TTTM-NGAIGIAO",
        "Trung tâm thương mại Ngãi Giao",
        "supermarket",
        None,
        "Ngãi Giao",
        40,
        3,
        None,
        "Ki-ốt",
        ("Tầng trệt", "Tầng 1"),
    ),
)

# Receiving banks and wallets seen at rural markets, by BIN, with a relative weight and
# the account-number lengths they issue (wallets are paid to the phone number).
PAYMENT_PROVIDERS: tuple[tuple[str, int, tuple[int, ...]], ...] = (
    ("970405", 34, (13,)),  # Agribank
    ("970436", 14, (10, 13)),  # Vietcombank
    ("970418", 12, (12, 14)),  # BIDV
    ("970415", 10, (12,)),  # VietinBank
    ("970422", 9, (10, 12, 13)),  # MBBank
    ("970403", 6, (12,)),  # Sacombank
    ("970449", 5, (12,)),  # LPBank
    ("971025", 6, ()),  # MoMo
    ("971005", 4, ()),  # Viettel Money
)
WALLET_BINS = {"971025", "971005"}

SURNAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Mai",
    "Trương",
)
SURNAME_WEIGHTS = (38, 11, 9, 7, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1)
MIDDLE_NAMES_F = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ", "Hồng")
MIDDLE_NAMES_M = ("Văn", "Văn", "Văn", "Minh", "Hữu", "Đức", "Quốc", "Thanh", "Công")
GIVEN_NAMES_F = (
    "Đào",
    "Lan",
    "Hoa",
    "Hương",
    "Thủy",
    "Hạnh",
    "Nga",
    "Mai",
    "Tuyết",
    "Phượng",
    "Loan",
    "Hằng",
    "Dung",
    "Liên",
    "Cúc",
    "Yến",
    "Trang",
    "Bích",
    "Ngọc",
    "Thảo",
    "Hiền",
    "Nhung",
    "Xuân",
    "Diệp",
)
GIVEN_NAMES_M = (
    "Hùng",
    "Dũng",
    "Tuấn",
    "Thành",
    "Phúc",
    "Tài",
    "Lộc",
    "Sơn",
    "Hải",
    "Long",
    "Bình",
    "Đạt",
    "Khoa",
    "Nam",
    "Quang",
    "Trung",
    "Vĩnh",
)

GOODS = {
    "traditional": (
        "Rau củ",
        "Trái cây",
        "Thịt",
        "Cá, thủy hải sản",
        "Gia cầm",
        "Đồ khô",
        "Tạp hóa",
        "Gạo",
        "Quần áo, vải",
        "Giày dép",
        "Ăn uống",
        "Hoa",
        "Gia dụng",
    ),
    "night": ("Ăn uống", "Quần áo, vải", "Đồ chơi", "Phụ kiện", "Trái cây"),
    "street": ("Ăn uống", "Giải khát"),
    "supermarket": ("Thời trang", "Mỹ phẩm", "Điện thoại", "Ăn uống", "Gia dụng"),
}

# Mobile prefixes in use (libphonenumber validates every generated number anyway).
PHONE_PREFIXES = (
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "086",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "088",
)

DEMO_PASSWORD = "market4-demo"
DEMO_EMAIL_DOMAIN = "demo.market4.vn"
TODAY_IN_STORY = date(2026, 11, 20)  # the last status change in the demo history
