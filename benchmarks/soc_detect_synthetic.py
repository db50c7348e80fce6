"""Synthetic normalised events of 23 wards in EVENT_SCHEMA, for the detection throughput benchmark.

The mix follows what a ward ships: Sysmon process creation (25 %), Windows logons and
SSL-VPN logins (20 %), firewall traffic (20 %), DNS (15 %), proxy HTTP (15 %) and mail
(5 %), with realistic field values and one event in a thousand that a rule should catch
(shadow-copy deletion, encoded PowerShell, VPN failures from one address, …). Columns
are built with Arrow kernels (``take`` from value pools), so generating millions of
events takes seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from rengo.core.wards import wards
from rengo.soc.schema import EVENT_SCHEMA

SYSMON = "Microsoft-Windows-Sysmon/Operational"
MIX = {
    "process": 0.25,
    "logon": 0.10,
    "vpn": 0.10,
    "network": 0.20,
    "dns": 0.15,
    "http": 0.15,
    "mail": 0.05,
}
T0 = datetime(2026, 4, 1, tzinfo=UTC)

PROCESSES = [  # (image, parent, command line) as seen on ward PCs
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\userinit.exe",
        "C:\\Windows\\Explorer.EXE",
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
        "C:\\Windows\\explorer.exe",
        '"C:\\Program Files\\Microsoft Office\\Root\\Office16\\EXCEL.EXE" '
        '"\\\\fs01\\share\\予算\\令和8年度予算.xlsx"',
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "C:\\Windows\\explorer.exe",
        '"C:\\Program Files\\Microsoft Office\\Root\\Office16\\WINWORD.EXE" /n '
        '"C:\\Users\\Public\\Documents\\様式第1号.docx"',
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "C:\\Windows\\explorer.exe",
        '"C:\\Program Files\\Microsoft Office\\Root\\Office16\\OUTLOOK.EXE"',
    ),
    (
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "C:\\Windows\\explorer.exe",
        '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --single-argument https://www.city.example.lg.jp/',
    ),
    (
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=renderer '
        "--lang=ja --field-trial-handle=1234",
    ),
    (
        "C:\\Windows\\System32\\RuntimeBroker.exe",
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding",
    ),
    (
        "C:\\Windows\\System32\\taskhostw.exe",
        "C:\\Windows\\System32\\svchost.exe",
        "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
    ),
    (
        "C:\\Windows\\System32\\SearchProtocolHost.exe",
        "C:\\Windows\\System32\\SearchIndexer.exe",
        '"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe1',
    ),
    (
        "C:\\Windows\\System32\\dllhost.exe",
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
    ),
    (
        "C:\\Program Files\\JUSTSYSTEMS\\JSLIB32\\JSTBRD.EXE",
        "C:\\Windows\\explorer.exe",
        '"C:\\Program Files\\JUSTSYSTEMS\\JSLIB32\\JSTBRD.EXE" "\\\\fs01\\share\\議事録.jtd"',
    ),
    (
        "C:\\Windows\\System32\\backgroundTaskHost.exe",
        "C:\\Windows\\System32\\svchost.exe",
        '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:App.AppXmtcan0h2tfbfy7k9kmpsq',
    ),
    (
        "C:\\Program Files\\Windows Defender\\MpCmdRun.exe",
        "C:\\Program Files\\Windows Defender\\MsMpEng.exe",
        '"C:\\Program Files\\Windows Defender\\MpCmdRun.exe" '
        "-IdleTask -TaskName WdCacheMaintenance",
    ),
    (
        "C:\\Windows\\System32\\conhost.exe",
        "C:\\Windows\\System32\\cmd.exe",
        "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\explorer.exe",
        '"C:\\Windows\\system32\\cmd.exe" /c "\\\\fs01\\netlogon\\logon.bat"',
    ),
]
IMAGES = [
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\System32\\conhost.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
    "C:\\Windows\\System32\\taskhostw.exe",
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
    "C:\\Windows\\System32\\RuntimeBroker.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Windows\\System32\\SearchProtocolHost.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
    "C:\\Windows\\System32\\dllhost.exe",
    "C:\\Program Files\\JUSTSYSTEMS\\JSLIB32\\JSTBRD.EXE",
    "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
    "C:\\Program Files\\Windows Defender\\MsMpEng.exe",
    "C:\\Windows\\System32\\backgroundTaskHost.exe",
]
ARGS = [
    "",
    " -k netsvcs -p",
    " /c dir",
    " -Embedding",
    " /n /e:C:\\Users\\Public\\Documents\\予算.xlsx",
    " --type=renderer --lang=ja",
    " -ExecutionPolicy RemoteSigned -File C:\\Scripts\\logon.ps1",
    " /c copy \\\\fs01\\share\\様式.docx .",
    " -ServerName:App.AppXwm",
    " 0x1f4 0x4",
]
ATTACKS = [
    "C:\\Windows\\System32\\vssadmin.exe delete shadows /all /quiet",
    "powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=",
    "C:\\Windows\\System32\\whoami.exe /all",
    "net user backdoor P@ssw0rd! /add",
    "rundll32.exe C:\\Users\\Public\\a.dll,DllRegisterServer",
    "reg add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /d "
    "C:\\ProgramData\\u.exe",
]
USERS = [f"user{n:04d}" for n in range(400)] + ["SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE"]
DOMAINS = [
    "www.city.example.lg.jp",
    "login.microsoftonline.com",
    "www.google.com",
    "update.microsoft.com",
    "www.e-gov.go.jp",
    "cdn.jsdelivr.net",
    "outlook.office365.com",
    "www.nta.go.jp",
    "example.com",
]
COUNTRIES = ["Japan"] * 400 + ["United States"]


def _strings(values: list[str]) -> pa.Array:
    return pa.array(values, pa.string())


def _pick(rng: np.random.Generator, pool: pa.Array, n: int) -> pa.Array:
    return pool.take(pa.array(rng.integers(0, len(pool), n)))


def _map(keys: list[str], columns: list[pa.Array], n: int) -> pa.Array:
    """A MAP<string,string> column with the same keys on every row (row-major entries)."""
    k = len(keys)
    order = np.arange(n * k).reshape(k, n).T.ravel()
    items = pa.concat_arrays([c.cast(pa.string()) for c in columns]).take(pa.array(order))
    key_array = pa.array(np.tile(np.array(keys, dtype=object), n), pa.string())
    offsets = pa.array(np.arange(0, n * k + 1, k, dtype=np.int32))
    return pa.MapArray.from_arrays(offsets, key_array, items)


class Generator:
    def __init__(self, seed: int = 2026) -> None:
        self.rng = np.random.default_rng(seed)
        self.ward_codes = _strings([w.code for w in wards()])
        self.pools = {
            "image": _strings(IMAGES),
            "cmd": _strings([f'"{i}"{a}' for i in IMAGES for a in ARGS]),
            "user": _strings(USERS),
            "domain": _strings(DOMAINS),
            "country": _strings(COUNTRIES),
            "host": _strings([f"pc-{n:04d}" for n in range(2000)]),
            "ip_int": _strings(
                [f"10.{a}.{b}.{c}" for a in (10, 20, 30) for b in range(8) for c in range(1, 40)]
            ),
            "ip_ext": _strings(
                [
                    f"{a}.{b}.{c}.{d}"
                    for a, b, c, d in np.random.default_rng(7).integers(1, 223, (500, 4)).tolist()
                ]
            ),
            "attack": _strings(ATTACKS),
            "proc_image": _strings([p[0] for p in PROCESSES]),
            "proc_parent": _strings([p[1] for p in PROCESSES]),
            "proc_cmd": _strings([p[2] for p in PROCESSES]),
            "ip_internet_segment": _strings(
                [f"10.30.{b}.{c}" for b in range(8) for c in range(1, 250)]
            ),
        }
        self.serial = 0

    def batch(self, n: int) -> pa.Table:
        kinds = list(MIX)
        counts = self.rng.multinomial(n, [MIX[k] for k in kinds])
        tables = [
            getattr(self, f"_{kind}")(count)
            for kind, count in zip(kinds, counts, strict=True)
            if count
        ]
        table = pa.concat_tables(tables)
        return table.take(pa.array(self.rng.permutation(table.num_rows)))

    def _base(self, n: int, class_uid: int, source: str) -> dict[str, pa.Array]:
        start = self.serial
        self.serial += n
        seconds = np.sort(self.rng.integers(0, 86_400 * 7, n)).astype("int64") * 1_000_000
        times = pa.array(seconds + int(T0.timestamp() * 1_000_000), pa.timestamp("us", tz="UTC"))
        return {
            "event_id": pa.array([f"syn-{i}" for i in range(start, start + n)], pa.string()),
            "time": times,
            "ward": _pick(self.rng, self.ward_codes, n),
            "origin": pa.array(["demo"] * n, pa.string()),
            "source": pa.array([source] * n, pa.string()),
            "class_uid": pa.array(np.full(n, class_uid, dtype=np.int32)),
        }

    def _table(self, columns: dict[str, pa.Array], n: int) -> pa.Table:
        arrays = [columns.get(f.name, pa.nulls(n, f.type)).cast(f.type) for f in EVENT_SCHEMA]
        return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)

    def _process(self, n: int) -> pa.Table:
        base = self._base(n, 1007, "sysmon")
        which = pa.array(self.rng.integers(0, len(PROCESSES), n))
        cmd = self.pools["proc_cmd"].take(which)
        evil = self.rng.random(n) < 0.001
        if evil.any():
            cmd = pa.array(
                np.where(
                    evil,
                    np.asarray(_pick(self.rng, self.pools["attack"], n), dtype=object),
                    np.asarray(cmd, dtype=object),
                ),
                pa.string(),
            )
        image, parent = self.pools["proc_image"].take(which), self.pools["proc_parent"].take(which)
        host, user = _pick(self.rng, self.pools["host"], n), _pick(self.rng, self.pools["user"], n)
        keys = [
            "EventID",
            "Channel",
            "Provider_Name",
            "Computer",
            "Image",
            "CommandLine",
            "ParentImage",
            "ParentCommandLine",
            "User",
            "CurrentDirectory",
            "IntegrityLevel",
            "Hashes",
            "ProcessId",
            "ParentProcessId",
            "LogonId",
        ]
        const = lambda v: pa.array([v] * n, pa.string())  # noqa: E731
        values = [
            const("1"),
            const(SYSMON),
            const("Microsoft-Windows-Sysmon"),
            host,
            image,
            cmd,
            parent,
            parent,
            user,
            const("C:\\Windows\\system32\\"),
            const("Medium"),
            const("SHA256=0A8B1E6E3A0F6A0B1C2D3E4F50617283940A1B2C3D4E5F60718293A4B5C6D7E8"),
            const("4242"),
            const("1337"),
            const("0x3e7"),
        ]
        base.update(
            unmapped=_map(keys, values, n),
            device_hostname=host,
            user_name=user,
            process_path=image,
            process_cmd_line=cmd,
            parent_process_path=parent,
            product=const("Sysmon"),
        )
        return self._table(base, n)

    def _logon(self, n: int) -> pa.Table:
        base = self._base(n, 3002, "windows")
        failed = self.rng.random(n) < 0.05
        event = pa.array(np.where(failed, "4625", "4624").astype(object), pa.string())
        host, user = _pick(self.rng, self.pools["host"], n), _pick(self.rng, self.pools["user"], n)
        ip = _pick(self.rng, self.pools["ip_int"], n)
        const = lambda v: pa.array([v] * n, pa.string())  # noqa: E731
        keys = [
            "EventID",
            "Channel",
            "Provider_Name",
            "Computer",
            "TargetUserName",
            "TargetDomainName",
            "LogonType",
            "IpAddress",
            "IpPort",
            "WorkstationName",
            "AuthenticationPackageName",
            "LogonProcessName",
        ]
        values = [
            event,
            const("Security"),
            const("Microsoft-Windows-Security-Auditing"),
            host,
            user,
            const("CITY"),
            const("3"),
            ip,
            const("51234"),
            host,
            const("Kerberos"),
            const("Kerberos"),
        ]
        base.update(
            unmapped=_map(keys, values, n),
            device_hostname=host,
            user_name=user,
            src_ip=ip,
            status_id=pa.array(np.where(failed, 2, 1).astype(np.int32)),
        )
        return self._table(base, n)

    def _vpn(self, n: int) -> pa.Table:
        base = self._base(n, 3002, "fortigate")
        failed = self.rng.random(n) < 0.1
        ip, user = _pick(self.rng, self.pools["ip_ext"], n), _pick(self.rng, self.pools["user"], n)
        country = _pick(self.rng, self.pools["country"], n)
        action = pa.array(
            np.where(failed, "ssl-login-fail", "tunnel-up").astype(object), pa.string()
        )
        const = lambda v: pa.array([v] * n, pa.string())  # noqa: E731
        keys = ["logid", "type", "subtype", "action", "remip", "user", "tunneltype", "srccountry"]
        values = [
            const("0101039426"),
            const("event"),
            const("vpn"),
            action,
            ip,
            user,
            const("ssl-web"),
            country,
        ]
        base.update(
            unmapped=_map(keys, values, n),
            src_ip=ip,
            user_name=user,
            src_country=country,
            auth_protocol=const("ssl-web"),
            product=const("FortiGate"),
            action=action,
            status_id=pa.array(np.where(failed, 2, 1).astype(np.int32)),
        )
        return self._table(base, n)

    def _network(self, n: int) -> pa.Table:
        base = self._base(n, 4001, "fortigate")
        # Only the internet-connected segment (10.30/16 here) talks to the internet.
        src, dst = (
            _pick(self.rng, self.pools["ip_internet_segment"], n),
            _pick(self.rng, self.pools["ip_ext"], n),
        )
        const = lambda v: pa.array([v] * n, pa.string())  # noqa: E731
        keys = ["logid", "type", "srcip", "dstip", "dstport", "action", "service"]
        values = [
            const("0000000013"),
            const("traffic"),
            src,
            dst,
            const("443"),
            const("accept"),
            const("HTTPS"),
        ]
        base.update(
            unmapped=_map(keys, values, n),
            src_ip=src,
            dst_ip=dst,
            action=const("accept"),
            dst_port=pa.array(np.full(n, 443, dtype=np.int32)),
            protocol=const("tcp"),
        )
        return self._table(base, n)

    def _dns(self, n: int) -> pa.Table:
        base = self._base(n, 4003, "dns")
        src, query = (
            _pick(self.rng, self.pools["ip_int"], n),
            _pick(self.rng, self.pools["domain"], n),
        )
        keys = ["qname", "qtype", "srcip"]
        values = [query, pa.array(["A"] * n, pa.string()), src]
        base.update(unmapped=_map(keys, values, n), src_ip=src, dns_query=query)
        return self._table(base, n)

    def _http(self, n: int) -> pa.Table:
        base = self._base(n, 4002, "squid")
        src, host = (
            _pick(self.rng, self.pools["ip_int"], n),
            _pick(self.rng, self.pools["domain"], n),
        )
        url = pa.compute.binary_join_element_wise("http://", host, "/index.html", "")
        keys = ["client", "method", "url", "status"]
        const = lambda v: pa.array([v] * n, pa.string())  # noqa: E731
        values = [src, const("GET"), url, const("TCP_MISS/200")]
        base.update(
            unmapped=_map(keys, values, n),
            src_ip=src,
            url=url,
            http_method=const("GET"),
            http_status=pa.array(np.full(n, 200, dtype=np.int32)),
            user_agent=const("Mozilla/5.0"),
        )
        return self._table(base, n)

    def _mail(self, n: int) -> pa.Table:
        base = self._base(n, 4009, "mail")
        user = _pick(self.rng, self.pools["user"], n)
        to = pa.compute.binary_join_element_wise(user, "@city.example.lg.jp", "")
        const = lambda v: pa.array([v] * n, pa.string())  # noqa: E731
        keys = ["from", "to", "subject"]
        values = [const("info@shop.example.com"), to, const("ご注文の確認")]
        base.update(
            unmapped=_map(keys, values, n),
            email_from=const("info@shop.example.com"),
            email_to=to,
            email_subject=const("ご注文の確認"),
        )
        return self._table(base, n)


def batches(total: int, batch_rows: int, seed: int = 2026) -> Iterator[pa.Table]:
    generator = Generator(seed)
    done = 0
    while done < total:
        n = min(batch_rows, total - done)
        yield generator.batch(n)
        done += n
