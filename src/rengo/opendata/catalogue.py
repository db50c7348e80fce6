"""Vocabularies of the catalogue: categories (CKAN groups), licences, update frequencies."""

from __future__ import annotations

from rengo.core.vocabulary import Term, vocabulary

CATEGORIES = vocabulary(
    Term("disaster", "防災・安全", "Disaster prevention and safety"),
    Term("childcare", "子育て・教育", "Child care and education"),
    Term("health", "健康・福祉", "Health and welfare"),
    Term("facilities", "公共施設", "Public facilities"),
    Term("tourism", "観光・文化", "Tourism and culture"),
    Term("population", "人口・統計", "Population and statistics"),
    Term("environment", "環境・まちづくり", "Environment and town planning"),
    Term("administration", "行財政", "Administration and finance"),
)

LICENSES = vocabulary(
    Term("CC-BY-4.0", "クリエイティブ・コモンズ 表示 4.0 国際", "Creative Commons Attribution 4.0"),
    Term("CC0-1.0", "CC0 1.0 パブリック・ドメイン", "CC0 1.0 Public Domain Dedication"),
    Term("PDL-1.0", "公共データ利用規約 第1.0版", "Public Data License (Japan) 1.0"),
)
LICENSE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "PDL-1.0": "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
}
OPEN_LICENSES = frozenset(LICENSES)

FREQUENCIES = vocabulary(
    Term("daily", "毎日", "Daily"),
    Term("weekly", "毎週", "Weekly"),
    Term("monthly", "毎月", "Monthly"),
    Term("quarterly", "四半期", "Quarterly"),
    Term("annual", "毎年", "Annual"),
    Term("irregular", "不定期", "Irregular"),
)
FREQUENCY_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92, "annual": 366}
"""The age at which a dataset with this frequency is overdue (irregular: never)."""

CATEGORY_OF_TYPE = {
    "aed": "disaster",
    "shelter": "disaster",
    "childcare": "childcare",
    "public_facility": "facilities",
    "cultural_property": "tourism",
    "tourist_facility": "tourism",
}
