"""``rengo demo``: 14 days of security logs of the 23 wards, marked ``origin=demo``.

Everyday traffic (firewall, proxy, VPN, Windows logons, M365 sign-ins, mail) in each
product's own log format goes through the real parsers, plus three attack stories the
SOC should find: an SSL-VPN password spray across six wards from one address, a
phishing mail to three wards followed by an encoded PowerShell on one PC, and a
malware download blocked at a proxy with beaconing afterwards.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import orjson

import rengo.soc.detect.demo  # noqa: F401  (the alert queue's step, found with this domain's)
from rengo.core.demo import DemoContext, step
from rengo.core.wards import wards
from rengo.soc.service import SocStore
from rengo.soc.settings import SocSettings
from rengo.soc.spool import Batch

DAYS = 14
SPRAY_IP = "185.220.101.47"
PHISH_SUBJECT = "【至急】住民税の還付手続きについて"
MALWARE_HOST = "cdn-update.example.net"


def forti_record(when: datetime, ward_slug: str, rng: random.Random, **fields: str) -> bytes:
    base = {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H:%M:%S"),
        "devname": f'"FGT-{ward_slug.upper()}"',
        "devid": '"FGT60FTK2209"',
        "vd": '"root"',
        "eventtime": str(int(when.timestamp() * 1e9)),
        "tz": '"+0000"',
    }
    base.update(fields)
    return " ".join(f"{k}={v}" for k, v in base.items()).encode()


def traffic_record(when: datetime, slug: str, rng: random.Random, prefix: str) -> bytes:
    action = rng.choices(["accept", "deny"], [19, 1])[0]
    return forti_record(
        when,
        slug,
        rng,
        logid='"0000000013"',
        type='"traffic"',
        subtype='"forward"',
        level='"notice"',
        srcip=f"{prefix}.{rng.randint(1, 250)}",
        srcport=str(rng.randint(1024, 65535)),
        dstip=(
            f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
            f".{rng.randint(1, 254)}"
        ),
        dstport=rng.choice(["443", "443", "80", "53"]),
        proto="6",
        action=f'"{action}"',
        sentbyte=str(rng.randint(200, 90000)),
        rcvdbyte=str(rng.randint(200, 900000)),
    )


def squid_record(when: datetime, client: str, url: str, status: str = "TCP_MISS/200") -> bytes:
    return (
        f"{when.timestamp():.3f}    87 {client} {status} 5120 GET {url} - "
        "HIER_DIRECT/93.184.216.34 text/html"
    ).encode()


def windows_record(when: datetime, host: str, event_id: int, data: dict[str, str]) -> bytes:
    return orjson.dumps(
        {
            "@timestamp": when.isoformat().replace("+00:00", "Z"),
            "winlog": {
                "event_id": event_id,
                "channel": "Security",
                "computer_name": host,
                "provider_name": "Microsoft-Windows-Security-Auditing",
                "event_data": data,
            },
        }
    )


def m365_record(when: datetime, user: str, ip: str, ok: bool) -> bytes:
    return orjson.dumps(
        {
            "CreationTime": when.strftime("%Y-%m-%dT%H:%M:%S"),
            "Id": f"{user}-{when.timestamp()}",
            "Operation": "UserLoggedIn" if ok else "UserLoginFailed",
            "RecordType": 15,
            "ResultStatus": "Success" if ok else "Failed",
            "Workload": "AzureActiveDirectory",
            "UserId": user,
            "ClientIP": ip,
        }
    )


def mail_record(when: datetime, sender: str, to: str, subject: str) -> bytes:
    return orjson.dumps(
        {
            "time": when.isoformat(),
            "class_uid": 4009,
            "activity_id": 2,
            "activity_name": "Receive",
            "email": {"from": sender, "to": to, "subject": subject},
            "metadata": {"product": {"name": "Mail gateway", "vendor_name": "demo"}},
        }
    )


def demo_batches(now: datetime, rng: random.Random, per_day: int = 120) -> list[Batch]:
    """Everyday logs of every ward and the attack stories, as batches to spool."""
    batches: list[Batch] = []
    start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    for index, ward in enumerate(wards()):
        slug, prefix = ward.slug, f"10.{16 + index}.{rng.randint(0, 9)}"
        by_format: dict[str, list[bytes]] = {
            "fortigate": [],
            "squid": [],
            "windows-json": [],
            "m365": [],
            "json": [],
        }
        for day in range(DAYS):
            for _ in range(per_day):
                when = start + timedelta(days=day, seconds=rng.randint(0, 86399))
                if when > now:
                    continue
                kind = rng.choices(["fw", "proxy", "logon", "m365", "mail"], [5, 3, 2, 1, 1])[0]
                user = f"user{rng.randint(1, 400):03d}"
                if kind == "fw":
                    by_format["fortigate"].append(traffic_record(when, slug, rng, prefix))
                elif kind == "proxy":
                    site = rng.choice(["www.city.example.jp", "www.e-gov.go.jp", "news.example.jp"])
                    by_format["squid"].append(
                        squid_record(when, f"{prefix}.{rng.randint(1, 250)}", f"https://{site}/")
                    )
                elif kind == "logon":
                    data = {
                        "TargetUserName": user,
                        "TargetDomainName": slug.upper(),
                        "LogonType": "3",
                        "IpAddress": f"{prefix}.{rng.randint(1, 250)}",
                        "AuthenticationPackageName": "Kerberos",
                    }
                    by_format["windows-json"].append(
                        windows_record(when, f"dc01.{slug}.local", 4624, data)
                    )
                elif kind == "m365":
                    by_format["m365"].append(
                        m365_record(
                            when, f"{user}@{slug}.example.jp", f"{prefix}.1", rng.random() > 0.03
                        )
                    )
                else:
                    by_format["json"].append(
                        mail_record(
                            when,
                            "info@example.co.jp",
                            f"{user}@{slug}.example.jp",
                            "会議資料の送付",
                        )
                    )
        for fmt, records in by_format.items():
            batches.append(
                Batch(ward.code, f"demo:{fmt}", fmt, records, origin="demo", received=now)
            )
    batches.extend(_stories(now, rng))
    return batches


def _stories(now: datetime, rng: random.Random) -> list[Batch]:
    all_wards = wards()
    out: list[Batch] = []
    # 1. SSL-VPN password spray across six wards from one address, one success at the end.
    spray_start = now - timedelta(days=2, hours=5)
    for n, ward in enumerate(all_wards[2:8]):
        records = []
        for attempt in range(40):
            when = spray_start + timedelta(minutes=n * 7, seconds=attempt * 9)
            ok = n == 5 and attempt == 39
            records.append(
                forti_record(
                    when,
                    ward.slug,
                    rng,
                    logid='"0101039426"' if not ok else '"0101039947"',
                    type='"event"',
                    subtype='"vpn"',
                    level='"alert"',
                    action='"ssl-login-fail"' if not ok else '"tunnel-up"',
                    tunneltype='"ssl-web"',
                    remip=SPRAY_IP,
                    user=f'"admin{attempt % 8}"',
                    msg='"SSL user failed to logged in"' if not ok else '"SSL tunnel established"',
                )
            )
        out.append(
            Batch(ward.code, "demo:fortigate", "fortigate", records, origin="demo", received=now)
        )
    # 2. Phishing to three wards; one recipient runs an encoded PowerShell.
    phish_time = now - timedelta(days=1, hours=3)
    for n, ward in enumerate(all_wards[10:13]):
        records = [
            mail_record(
                phish_time + timedelta(minutes=n),
                "noreply@tax-refund.example.com",
                f"user{k:03d}@{ward.slug}.example.jp",
                PHISH_SUBJECT,
            )
            for k in range(1, 6)
        ]
        out.append(Batch(ward.code, "demo:json", "json", records, origin="demo", received=now))
    victim = all_wards[11]
    launch = {
        "NewProcessName": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "CommandLine": (
            "powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA="
        ),
        "ParentProcessName": "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "SubjectUserName": "user003",
        "SubjectDomainName": victim.slug.upper(),
    }
    out.append(
        Batch(
            victim.code,
            "demo:windows-json",
            "windows-json",
            [
                windows_record(
                    phish_time + timedelta(minutes=9), f"pc-0042.{victim.slug}.local", 4688, launch
                )
            ],
            origin="demo",
            received=now,
        )
    )
    # 3. Malware download blocked at a proxy, then beaconing every ten minutes.
    ward = all_wards[20]
    client, base = "10.36.4.77", now - timedelta(hours=20)
    records = [squid_record(base, client, f"http://{MALWARE_HOST}/update.exe", "TCP_DENIED/403")]
    records += [
        squid_record(
            base + timedelta(minutes=10 * k), client, f"http://{MALWARE_HOST}/beacon?id=77"
        )
        for k in range(1, 60)
    ]
    out.append(Batch(ward.code, "demo:squid", "squid", records, origin="demo", received=now))
    return out


@step("soc", 40, "Security logs of the 23 wards for the last 14 days, with three attack stories")
def load_demo_logs(ctx: DemoContext) -> None:
    store = SocStore.open(ctx.data_dir, ctx.settings.section(SocSettings))
    batches = demo_batches(ctx.now, ctx.rng("soc"))
    store.spool.append(batches, wait_seconds=600.0)
    if store.writer.acquire(blocking=False):
        try:
            store.writer.drain()
            store.writer.upkeep(ctx.now)
        finally:
            store.writer.release()
    else:
        store.wait_stored(store.spool.end(), timeout=600)
    ctx.report(f"soc: {sum(len(b.records) for b in batches)} demo log records for 23 wards")
