"""Logic-model templates for common policy types to start from (after the Cabinet Office's
EBPM guidance and the Kellogg Foundation's guide): elements per stage and the indicators
that usually measure them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TemplateIndicator:
    name: str
    unit: str
    direction: str
    source: str
    definition: str = ""
    survey_question: str | None = None
    key_outcome: bool = False


@dataclass(frozen=True, slots=True)
class TemplateElement:
    stage: str
    text: str
    indicators: tuple[TemplateIndicator, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicyTemplate:
    key: str
    name_ja: str
    name_en: str
    purpose: str
    elements: tuple[TemplateElement, ...]

    def name(self, language: str) -> str:
        return self.name_ja if language == "ja" else self.name_en


def _i(
    name: str,
    unit: str,
    source: str = "file",
    *,
    direction: str = "increase",
    survey_question: str | None = None,
    key_outcome: bool = False,
) -> TemplateIndicator:
    return TemplateIndicator(
        name, unit, direction, source, "", survey_question=survey_question, key_outcome=key_outcome
    )


E = TemplateElement
TEMPLATES: dict[str, PolicyTemplate] = {
    t.key: t
    for t in (
        PolicyTemplate(
            "childcare",
            "子育て支援",
            "Child-rearing support",
            "安心して子どもを産み育てられる環境をつくる",
            (
                E("inputs", "保育所整備費・保育士確保の予算と職員"),
                E("activities", "認可保育所の新設と保育士の処遇改善"),
                E("outputs", "保育定員の拡大", (_i("保育定員数", "人"),)),
                E(
                    "short_term",
                    "待機児童の解消",
                    (_i("待機児童率", "%", direction="decrease", key_outcome=True),),
                ),
                E(
                    "mid_term",
                    "子育て世帯の満足度の向上",
                    (
                        _i(
                            "子育て環境に満足している区民の割合",
                            "%",
                            "survey",
                            survey_question="子育て環境の満足度",
                            key_outcome=True,
                        ),
                    ),
                ),
                E("impact", "子育てしやすいまちの実現"),
            ),
        ),
        PolicyTemplate(
            "elderly",
            "高齢者福祉",
            "Welfare of the elderly",
            "高齢者が住み慣れた地域で健康に暮らし続けられるようにする",
            (
                E("inputs", "介護予防事業の予算と地域包括支援センター職員"),
                E("activities", "介護予防教室・通いの場の運営"),
                E("outputs", "通いの場への参加者", (_i("通いの場の参加者数", "人"),)),
                E("short_term", "高齢者の運動習慣の定着"),
                E(
                    "mid_term",
                    "要介護認定率の上昇抑制",
                    (_i("要介護認定率", "%", direction="decrease", key_outcome=True),),
                ),
                E(
                    "impact",
                    "健康寿命の延伸",
                    (_i("健康寿命", "歳", key_outcome=True),),
                ),
            ),
        ),
        PolicyTemplate(
            "disaster",
            "防災",
            "Disaster preparedness",
            "災害に強く、区民が自ら備えるまちをつくる",
            (
                E("inputs", "防災訓練・備蓄の予算と防災課職員"),
                E("activities", "地域防災訓練と家庭備蓄の啓発"),
                E("outputs", "訓練の参加者", (_i("防災訓練の参加者数", "人"),)),
                E(
                    "short_term",
                    "家庭での備えの向上",
                    (
                        _i(
                            "3日分以上の備蓄をしている世帯の割合",
                            "%",
                            "survey",
                            survey_question="家庭の備蓄",
                            key_outcome=True,
                        ),
                    ),
                ),
                E("mid_term", "地域の共助体制の強化"),
                E("impact", "災害による被害の軽減"),
            ),
        ),
    )
}
