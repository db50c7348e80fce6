"""The severity matrix: impact (what the incident has hurt) × urgency (how fast it spreads).

Impact is judged from recorded facts, never typed in:

====  ==========================================================================
 4    a major incident (people affected or core-system outage at the policy's thresholds)
 3    personal data of anyone affected, a core system down, an asset of 機密性 3, or
      more than one ward involved
 2    an asset of 機密性 2 or 可用性 2 affected
 1    anything else
====  ==========================================================================

Urgency starts from the category (ransomware and exploitation spread by themselves: 3;
a lost device waits: 1) and a responder may raise or lower it with a reason.

=============  ==========  ==========  ==========
impact\\urgency  1           2           3
=============  ==========  ==========  ==========
4              high        critical    critical
3              medium      high        critical
2              low         medium      high
1              low         low         medium
=============  ==========  ==========  ==========
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORY_URGENCY = {
    "ransomware": 3,
    "exploitation": 3,
    "unauthorised_access": 2,
    "information_leak": 2,
    "dos": 2,
    "phishing": 2,
    "misconfiguration": 1,
    "lost_device": 1,
    "other": 1,
}

MATRIX: dict[int, dict[int, str]] = {
    4: {1: "high", 2: "critical", 3: "critical"},
    3: {1: "medium", 2: "high", 3: "critical"},
    2: {1: "low", 2: "medium", 3: "high"},
    1: {1: "low", 2: "low", 3: "medium"},
}


@dataclass(frozen=True, slots=True)
class ImpactFacts:
    major: bool
    people_affected: int
    core_system_down: bool
    wards: int
    max_confidentiality: int
    max_availability: int


def impact_of(facts: ImpactFacts) -> int:
    if facts.major:
        return 4
    if (
        facts.people_affected > 0
        or facts.core_system_down
        or facts.max_confidentiality >= 3
        or facts.wards > 1
    ):
        return 3
    if facts.max_confidentiality >= 2 or facts.max_availability >= 2:
        return 2
    return 1


def severity_of(impact: int, urgency: int) -> str:
    return MATRIX[max(1, min(4, impact))][max(1, min(3, urgency))]
