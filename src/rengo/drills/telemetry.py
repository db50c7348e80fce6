"""Telemetry templates: realistic log records of an attack step, in the formats the SOC parses.

A template makes the records of one inject for one ward: the attack records and benign
noise around them, each at its own offset within ``spread_seconds``. Hosts, users and
addresses come from the ward's asset register (``WardFacts.from_register``), so alerts
name the ward's real systems; a ward with an empty register gets plausible names. The
record formats are those of ``rengo.soc.demo`` (FortiGate, squid, Windows JSON, M365
audit, OCSF mail), produced by the same helpers, and go through the real parsers.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.core.wards import ward_by_code
from rengo.soc.demo import forti_record as _forti
from rengo.soc.demo import m365_record as _m365
from rengo.soc.demo import mail_record as _mail
from rengo.soc.demo import squid_record as _squid
from rengo.soc.demo import traffic_record as _traffic
from rengo.soc.demo import windows_record as _windows

ATTACKER_ADDRESSES = ("185.220.101.47", "45.141.84.120", "91.240.118.172", "194.26.29.14")
PHISH_SENDERS = ("noreply@tax-refund.example.com", "support@mynumber-card.example.net")


@dataclass(frozen=True)
class Record:
    """One log record to send: its ingest format, body and offset from the inject."""

    format: str
    body: bytes
    offset: float


@dataclass(frozen=True)
class WardFacts:
    """What a template needs of a ward: its slug, hosts, users and address ranges."""

    code: str
    slug: str
    hosts: tuple[str, ...]
    servers: tuple[str, ...]
    users: tuple[str, ...]
    prefix: str
    """``10.x.y`` of office PCs."""
    mynumber_net: str
    """A CIDR of the My Number segment (from the register when it names one)."""
    web_host: str

    @classmethod
    def from_register(cls, session: Session, code: str) -> WardFacts:
        ward = ward_by_code(code)
        slug = ward.slug
        rows = session.scalars(
            select(Asset).where(Asset.tenant == code, Asset.retired_on.is_(None)).order_by(Asset.id)
        ).all()
        hosts = tuple(h for a in rows for h in a.hostnames)
        servers = tuple(h for a in rows if a.kind == "system" for h in a.hostnames)
        mynumber = next(
            (r for a in rows if a.segment == "mynumber" for r in a.ip_ranges if "/" in r),
            None,
        )
        index = int(code[2:5]) % 200
        return cls(
            code=code,
            slug=slug,
            hosts=hosts or tuple(f"pc-{n:04d}.{slug}.local" for n in range(1, 41)),
            servers=servers or (f"fs01.{slug}.local", f"fs02.{slug}.local"),
            users=tuple(f"user{n:03d}" for n in range(1, 121)),
            prefix=f"10.{16 + index % 200}.4",
            mynumber_net=mynumber or f"10.{index}.200.0/24",
            web_host=f"www.city.{slug}.example.jp",
        )

    def staff(self, params: dict[str, Any]) -> str:
        """The account an attack step uses (a template input, else one of the ward's)."""
        return str(params.get("user") or self.users[min(7, len(self.users) - 1)])

    def mynumber_address(self, rng: random.Random) -> str:
        net = ipaddress.ip_network(self.mynumber_net, strict=False)
        hosts = min(net.num_addresses - 2, 250)
        return str(net.network_address + 1 + rng.randrange(max(hosts, 1)))


@dataclass
class Context:
    ward: WardFacts
    start: datetime
    rng: random.Random
    spread: float
    params: dict[str, Any] = field(default_factory=dict)

    def at(self, offset: float) -> datetime:
        return self.start + timedelta(seconds=offset)

    def offsets(self, count: int) -> list[float]:
        """``count`` offsets over the spread, in order, jittered like real traffic."""
        if count <= 1:
            return [0.0] * count
        step = self.spread / count
        return sorted(min(self.spread, i * step + self.rng.uniform(0, step)) for i in range(count))


Template = Callable[[Context, int], list[Record]]
_templates: dict[str, tuple[Template, str]] = {}


def template(name: str, description: str) -> Callable[[Template], Template]:
    def register(fn: Template) -> Template:
        _templates[name] = (fn, description)
        return fn

    return register


def templates() -> dict[str, str]:
    """Template names and what they emit."""
    return {name: description for name, (_, description) in sorted(_templates.items())}


def generate(name: str, ctx: Context, count: int, noise: int) -> list[Record]:
    """The records of a template plus ``noise`` benign ones, ordered by offset."""
    fn, _ = _templates[name]
    records = fn(ctx, count) + _noise(ctx, noise)
    return sorted(records, key=lambda r: r.offset)


def _noise(ctx: Context, count: int) -> list[Record]:
    out = []
    for offset in ctx.offsets(count):
        when, kind = ctx.at(offset), ctx.rng.choices(["fw", "proxy", "logon"], [5, 3, 2])[0]
        if kind == "fw":
            out.append(
                Record("fortigate", _traffic(when, ctx.ward.slug, ctx.rng, ctx.ward.prefix), offset)
            )
        elif kind == "proxy":
            client = f"{ctx.ward.prefix}.{ctx.rng.randint(1, 250)}"
            site = ctx.rng.choice(["www.e-gov.go.jp", "www.city.example.jp", "news.example.jp"])
            out.append(Record("squid", _squid(when, client, f"https://{site}/"), offset))
        else:
            data = {
                "TargetUserName": ctx.rng.choice(ctx.ward.users),
                "TargetDomainName": ctx.ward.slug.upper(),
                "LogonType": "3",
                "IpAddress": f"{ctx.ward.prefix}.{ctx.rng.randint(1, 250)}",
                "AuthenticationPackageName": "Kerberos",
            }
            out.append(
                Record(
                    "windows-json",
                    _windows(when, f"dc01.{ctx.ward.slug}.local", 4624, data),
                    offset,
                )
            )
    return out


def _attacker(ctx: Context) -> str:
    return str(ctx.params.get("source_ip") or ATTACKER_ADDRESSES[0])


def _fortigate(ctx: Context, offset: float, **fields: str) -> Record:
    """A FortiGate record of the ward's firewall at ``offset`` (``fields`` as logged)."""
    return Record("fortigate", _forti(ctx.at(offset), ctx.ward.slug, ctx.rng, **fields), offset)


def _ssl_vpn(
    ctx: Context, offset: float, *, logid: str, level: str, action: str, **fields: str
) -> Record:
    """A FortiGate SSL-VPN event from the exercise's attacker address; ``fields`` (quoted
    here) follow its tunnel type in the order given."""
    return _fortigate(
        ctx,
        offset,
        logid=f'"{logid}"',
        type='"event"',
        subtype='"vpn"',
        level=f'"{level}"',
        action=f'"{action}"',
        tunneltype='"ssl-web"',
        remip=_attacker(ctx),
        **{name: f'"{value}"' for name, value in fields.items()},
    )


@template(
    "vpn_password_spray", "FortiGate SSL-VPN login failures for many accounts from one address"
)
def vpn_password_spray(ctx: Context, count: int) -> list[Record]:
    users = ctx.rng.sample(ctx.ward.users, min(len(ctx.ward.users), max(5, count // 3)))
    return [
        _ssl_vpn(
            ctx,
            offset,
            logid="0101039426",
            level="alert",
            action="ssl-login-fail",
            user=users[n % len(users)],
            msg="SSL user failed to logged in",
        )
        for n, offset in enumerate(ctx.offsets(count))
    ]


@template("vpn_login_abroad", "A successful SSL-VPN login of a ward account from abroad")
def vpn_login_abroad(ctx: Context, count: int) -> list[Record]:
    user = ctx.ward.staff(ctx.params)
    return [
        _ssl_vpn(
            ctx,
            offset,
            logid="0101039947",
            level="information",
            action="tunnel-up",
            srccountry=str(ctx.params.get("country", "Netherlands")),
            user=user,
            msg="SSL tunnel established",
        )
        for offset in ctx.offsets(count)
    ]


def _process(ctx: Context, host: str, offset: float, command: str, image: str) -> Record:
    data = {
        "NewProcessName": image,
        "CommandLine": command,
        "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
        "SubjectUserName": ctx.ward.staff(ctx.params),
        "SubjectDomainName": ctx.ward.slug.upper(),
    }
    return Record("windows-json", _windows(ctx.at(offset), host, 4688, data), offset)


@template("shadow_copy_delete", "vssadmin/wbadmin deleting backups on a file server (4688)")
def shadow_copy_delete(ctx: Context, count: int) -> list[Record]:
    host = ctx.ward.servers[0]
    commands = [
        ("vssadmin.exe delete shadows /all /quiet", "C:\\Windows\\System32\\vssadmin.exe"),
        ("wbadmin delete catalog -quiet", "C:\\Windows\\System32\\wbadmin.exe"),
        ("bcdedit /set {default} recoveryenabled no", "C:\\Windows\\System32\\bcdedit.exe"),
    ]
    return [
        _process(ctx, host, offset, *commands[n % len(commands)])
        for n, offset in enumerate(ctx.offsets(count))
    ]


@template("file_encryption", "Sysmon file events renaming documents to a ransomware extension")
def file_encryption(ctx: Context, count: int) -> list[Record]:
    host = ctx.ward.servers[0]
    extension = str(ctx.params.get("extension") or ".lockbit")
    folders = ("住民税", "福祉", "子育て", "総務", "契約")
    out = []
    for n, offset in enumerate(ctx.offsets(count)):
        data = {
            "Image": "C:\\Users\\Public\\svchost.exe",
            "TargetFilename": f"D:\\share\\{folders[n % len(folders)]}\\doc{n:05d}.xlsx{extension}",
            "User": f"{ctx.ward.slug.upper()}\\svc_backup",
        }
        body = _windows(ctx.at(offset), host, 11, data).replace(
            b'"channel":"Security"', b'"channel":"Microsoft-Windows-Sysmon/Operational"'
        )
        out.append(Record("windows-json", body, offset))
    return out


@template("encoded_powershell", "An Office program starting PowerShell with an encoded command")
def encoded_powershell(ctx: Context, count: int) -> list[Record]:
    command = "powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA="
    image = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    hosts = ctx.ward.hosts
    return [
        _process(ctx, hosts[ctx.rng.randrange(len(hosts))], offset, command, image)
        for offset in ctx.offsets(count)
    ]


@template("phishing_mail", "One external sender mailing many staff of the ward (mail gateway)")
def phishing_mail(ctx: Context, count: int) -> list[Record]:
    sender = str(ctx.params.get("sender") or PHISH_SENDERS[0])
    subject = str(ctx.params.get("subject") or "【至急】住民税の還付手続きについて")
    users = ctx.rng.sample(ctx.ward.users, min(count, len(ctx.ward.users)))
    return [
        Record(
            "json",
            _mail(
                ctx.at(offset),
                sender,
                f"{users[n % len(users)]}@{ctx.ward.slug}.example.jp",
                subject,
            ),
            offset,
        )
        for n, offset in enumerate(ctx.offsets(count))
    ]


@template("proxy_exe_download", "The proxy refusing an executable download (squid 403)")
def proxy_exe_download(ctx: Context, count: int) -> list[Record]:
    url = str(ctx.params.get("url") or "http://cdn-update.example.net/update.exe")
    return [
        Record(
            "squid",
            _squid(
                ctx.at(offset),
                f"{ctx.ward.prefix}.{ctx.rng.randint(1, 250)}",
                url,
                "TCP_DENIED/403",
            ),
            offset,
        )
        for offset in ctx.offsets(count)
    ]


def _https_forward(
    ctx: Context,
    offset: float,
    *,
    level: str,
    source: str,
    destination: str,
    action: str,
    after: Callable[[random.Random], dict[str, str]],
) -> Record:
    """A FortiGate forward-traffic record from ``source`` to port 443 of ``destination``;
    ``after(rng)`` gives the fields that follow the action (drawn after the source port)."""
    return _fortigate(
        ctx,
        offset,
        logid='"0000000013"',
        type='"traffic"',
        subtype='"forward"',
        level=f'"{level}"',
        srcip=source,
        srcport=str(ctx.rng.randint(1024, 65535)),
        dstip=destination,
        dstport="443",
        proto="6",
        action=f'"{action}"',
        **after(ctx.rng),
    )


def _bytes_out(rng: random.Random) -> dict[str, str]:
    return {
        "sentbyte": str(rng.randint(5_000_000, 80_000_000)),
        "rcvdbyte": str(rng.randint(2000, 9000)),
    }


@template("segment_exfiltration", "Large uploads from the My Number segment to an internet address")
def segment_exfiltration(ctx: Context, count: int) -> list[Record]:
    source = ctx.ward.mynumber_address(ctx.rng)
    destination = str(ctx.params.get("destination") or "203.0.113.50")
    return [
        _https_forward(
            ctx,
            offset,
            level="notice",
            source=source,
            destination=destination,
            action="accept",
            after=_bytes_out,
        )
        for offset in ctx.offsets(count)
    ]


@template("web_flood", "A flood of connections to the ward's website from many addresses")
def web_flood(ctx: Context, count: int) -> list[Record]:
    host = {"hostname": f'"{ctx.ward.web_host}"'}
    out = []
    for offset in ctx.offsets(count):
        source = (
            f"{ctx.rng.randint(1, 223)}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(0, 255)}"
            f".{ctx.rng.randint(1, 254)}"
        )
        out.append(
            _https_forward(
                ctx,
                offset,
                level="warning",
                source=source,
                destination="192.0.2.80",
                action="deny",
                after=lambda _: host,
            )
        )
    return out


@template("m365_signin_spray", "M365 sign-in failures for many accounts, then one success")
def m365_signin_spray(ctx: Context, count: int) -> list[Record]:
    source = _attacker(ctx)
    offsets = ctx.offsets(count)
    users = ctx.ward.users
    return [
        Record(
            "m365",
            _m365(
                ctx.at(offset),
                f"{users[n % len(users)]}@{ctx.ward.slug}.example.jp",
                source,
                n == len(offsets) - 1,
            ),
            offset,
        )
        for n, offset in enumerate(offsets)
    ]
