"""Vocabularies of the register: kinds, locations, network segments, business systems.

Each value has a stable key (stored and used in the API and CSV) and names in Japanese
and English. Sources: 総務省「地方公共団体における情報セキュリティポリシーに関する
ガイドライン」(令和4年版) for classification and the three-layer model; デジタル庁
「地方公共団体情報システム標準化基本方針」 for the 20 standardised business systems.
"""

from __future__ import annotations

from rengo.core.vocabulary import Term, vocabulary

KINDS = vocabulary(
    Term("system", "情報システム", "Information system"),
    Term("dataset", "データセット", "Dataset"),
    Term("device", "端末・機器", "Device"),
    Term("network", "ネットワーク", "Network"),
    Term("cloud_service", "クラウドサービス・SaaS", "Cloud service / SaaS"),
)

LOCATIONS = vocabulary(
    Term("on_premises", "庁舎内(オンプレミス)", "On premises"),
    Term("gov_cloud", "ガバメントクラウド", "Government Cloud"),
    Term("saas", "SaaS", "SaaS"),
    Term("data_centre", "データセンター", "Data centre"),
)

CLOUD_PROVIDERS = vocabulary(
    Term("aws", "Amazon Web Services", "Amazon Web Services"),
    Term("azure", "Microsoft Azure", "Microsoft Azure"),
    Term("gcp", "Google Cloud", "Google Cloud"),
    Term("oci", "Oracle Cloud Infrastructure", "Oracle Cloud Infrastructure"),
    Term("sakura", "さくらのクラウド", "Sakura Cloud"),
)

SEGMENTS = vocabulary(
    Term("mynumber", "マイナンバー利用事務系", "My Number business segment"),
    Term("lgwan", "LGWAN接続系", "LGWAN-connected segment"),
    Term("internet", "インターネット接続系", "Internet-connected segment"),
)
"""自治体情報システム強靱性向上モデル: traffic between the layers is restricted."""

BUSINESS_SYSTEMS = vocabulary(
    Term("jumin_kihon_daicho", "住民基本台帳", "Basic resident register"),
    Term("senkyonin_meibo", "選挙人名簿管理", "Electoral roll"),
    Term("kotei_shisanzei", "固定資産税", "Fixed asset tax"),
    Term("kojin_juminzei", "個人住民税", "Individual inhabitant tax"),
    Term("hojin_juminzei", "法人住民税", "Corporate inhabitant tax"),
    Term("kei_jidoshazei", "軽自動車税", "Light vehicle tax"),
    Term("koseki", "戸籍", "Family register"),
    Term("koseki_fuhyo", "戸籍附票", "Family register supplement"),
    Term("inkan_toroku", "印鑑登録", "Seal registration"),
    Term("shugaku", "就学", "School enrolment"),
    Term("kokumin_kenko_hoken", "国民健康保険", "National health insurance"),
    Term("kokumin_nenkin", "国民年金", "National pension"),
    Term("shogaisha_fukushi", "障害者福祉", "Disability welfare"),
    Term("koki_koreisha_iryo", "後期高齢者医療", "Late-stage elderly medical care"),
    Term("kaigo_hoken", "介護保険", "Long-term care insurance"),
    Term("jido_teate", "児童手当", "Child allowance"),
    Term("seikatsu_hogo", "生活保護", "Public assistance"),
    Term("kenko_kanri", "健康管理", "Health management"),
    Term("jido_fuyo_teate", "児童扶養手当", "Child-rearing allowance"),
    Term("kodomo_kosodate", "子ども・子育て支援", "Child and child-rearing support"),
)
"""The 20 standardised core business systems (基幹業務システム標準化の対象20業務)."""

CLASSIFICATION_AXES = vocabulary(
    Term("confidentiality", "機密性", "Confidentiality"),
    Term("integrity", "完全性", "Integrity"),
    Term("availability", "可用性", "Availability"),
)
