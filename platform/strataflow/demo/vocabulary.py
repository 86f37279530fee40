"""Small built-in word lists for the demo data (no Faker: deterministic and dependency-free).

Some entries are deliberately non-ASCII (accents, CJK, an emoji) so utf8mb4 handling is exercised
end to end, and some product names carry stray spaces so trimming in the SRC layer has work to do.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Ben", "Chloé", "David", "Elif", "Felix", "Grace", "Hugo", "Ines", "Jonas",
    "Katarzyna", "Liam", "María", "Noah", "Olivia", "Paul", "Søren", "Rosa", "Sofia", "Tomás",
    "Uma", "Victor", "Wei", "Yuki", "Zoë", "José", "Björn", "Ana", "Łukasz", "Amélie",
    "陈", "美咲", "Emma", "Lucas", "Mia", "Oliver", "Léa", "Mateo", "Aisha", "Ivan",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Müller", "García", "Rossi", "Dubois", "Jansen", "Kowalski", "Nielsen", "Silva",
    "Novák", "O'Brien", "Öztürk", "Johansson", "Fernández", "Schmidt", "Brown", "Martin",
    "Nguyễn", "王", "佐藤", "Kim", "Ødegaard", "Lefèvre", "Wójcik", "Andersson", "Jones",
    "Taylor", "Weber", "Moreau", "de Vries",
)  # fmt: skip

# country -> cities; None entries make some cities NULL.
CITIES: dict[str, tuple[str | None, ...]] = {
    "DE": ("Berlin", "München", "Köln", "Düsseldorf", None),
    "FR": ("Paris", "Lyon", "Orléans", "Besançon"),
    "ES": ("Madrid", "Málaga", "A Coruña", "Cádiz"),
    "PL": ("Kraków", "Łódź", "Gdańsk", "Warszawa"),
    "NL": ("Amsterdam", "Utrecht", "Den Haag"),
    "SE": ("Göteborg", "Malmö", "Stockholm"),
    "GB": ("London", "Manchester", "Edinburgh", None),
    "US": ("New York", "Austin", "Coconut Grove 🌴", "San José", None),
    "JP": ("東京", "大阪", "京都"),
    "CN": ("北京", "上海"),
    "BR": ("São Paulo", "Brasília", "Belém"),
    "TR": ("İstanbul", "İzmir"),
    "IS": ("Reykjavík",),
}
CUSTOMER_COUNTRIES: tuple[str, ...] = tuple(CITIES)
CUSTOMER_COUNTRY_WEIGHTS: tuple[int, ...] = (20, 12, 8, 6, 6, 4, 12, 18, 4, 3, 3, 2, 2)
LANGUAGES: dict[str, str] = {
    "DE": "de", "FR": "fr", "ES": "es", "PL": "pl", "NL": "nl", "SE": "sv", "GB": "en", "US": "en",
    "JP": "ja", "CN": "zh", "BR": "pt", "TR": "tr", "IS": "is",
}  # fmt: skip
PHONE_PREFIX: dict[str, str] = {
    "DE": "+49", "FR": "+33", "ES": "+34", "PL": "+48", "NL": "+31", "SE": "+46", "GB": "+44",
    "US": "+1", "JP": "+81", "CN": "+86", "BR": "+55", "TR": "+90", "IS": "+354",
}  # fmt: skip
NICKNAMES: tuple[str, ...] = ("night owl 🦉", "bargain hunter", "早起き", "café lover ☕", "collector")

# Vendor countries and the currency their catalogue is priced in.
VENDOR_CURRENCY: dict[str, str] = {
    "DE": "EUR", "US": "USD", "GB": "GBP", "FR": "EUR", "NL": "EUR", "ES": "EUR", "IT": "EUR", "PL": "EUR",
}  # fmt: skip
VENDOR_COUNTRY_WEIGHTS: tuple[int, ...] = (25, 20, 12, 12, 8, 8, 8, 7)
VENDOR_WORDS: tuple[str, ...] = (
    "Nordic", "Urban", "Blue", "Golden", "Alpine", "Coastal", "Bright", "Humble", "Maple", "Iron",
    "Velvet", "Atlas", "Copper", "Willow", "Summit", "Harbor",
)  # fmt: skip
VENDOR_NOUNS: tuple[str, ...] = (
    "Goods", "Supply", "Trading", "Works", "House", "Collective", "Outfitters", "Studio", "Market",
)  # fmt: skip
VENDOR_SUFFIXES: dict[str, str] = {
    "DE": "GmbH", "US": "Inc.", "GB": "Ltd", "FR": "SARL", "NL": "B.V.", "ES": "S.L.", "IT": "S.r.l.",
    "PL": "sp. z o.o.",
}  # fmt: skip
CURRENCY_WEIGHTS: dict[str, int] = {"EUR": 70, "USD": 20, "GBP": 10}

# (top-level category, children): ids are assigned in this order, parents first.
CATEGORY_TREE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Electronics", ("Phones", "Laptops")),
    ("Home & Kitchen", ("Cookware", "Furniture")),
    ("Fashion", ("Shoes", "Accessories")),
    ("Books & Media", ("Books", "Music")),
)

PRODUCT_ADJECTIVES: tuple[str, ...] = (
    "Compact", "Classic", "Deluxe", "Eco", "Smart", "Vintage", "Ultra", "Soft", "Rugged", "Mini",
    "Pro", "Everyday", "Travel", "Crème",
)  # fmt: skip
PRODUCT_MATERIALS: tuple[str, ...] = (
    "Bamboo", "Steel", "Linen", "Leather", "Ceramic", "Cotton", "Walnut", "Glass", "Wool", "Carbon",
)  # fmt: skip
PRODUCT_NOUNS: tuple[str, ...] = (
    "Lamp", "Mug", "Backpack", "Chair", "Headphones", "Notebook", "Sneakers", "Wallet", "Skillet",
    "Speaker", "Scarf", "Phone Case", "Desk", "Vinyl Record", "Watch",
)  # fmt: skip

SHIPPING_NOTES: tuple[str, ...] = (
    "Leave at the door",
    "  Ring twice  ",
    "Bitte beim Nachbarn abgeben",
    "Gift wrap, please 🎁",
    "Call before delivery",
    "配達前に電話してください",
    "Back entrance ",
)
PAYMENT_METHODS: tuple[str, ...] = ("card", "paypal", "bank_transfer", "gift_card", "klarna")
PAYMENT_METHOD_WEIGHTS: tuple[int, ...] = (55, 25, 10, 4, 6)
