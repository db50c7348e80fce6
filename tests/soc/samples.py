"""Real-shaped log records of every supported format (field names and layouts as the
products write them), good and malformed."""

SYSLOG_5424 = (
    b"<34>1 2026-05-01T10:00:00.123+09:00 fw01.example.jp sshd 1234 ID47 "
    b'[exampleSDID@32473 iut="3" eventSource="Application"] '
    b"Failed password for invalid user admin from 203.0.113.5 port 51515 ssh2"
)
SYSLOG_3164 = (
    b"<38>Nov 26 19:00:01 web01 sshd[999]: Accepted publickey for alice from 10.1.2.3 port 2222 "
    b"ssh2"
)
CEF = (
    b"<134>1 2026-05-01T00:00:00Z ips01 CEF - - - CEF:0|Trend Micro|Deep Security "
    b"Agent|10.0|4000000|"
    b"Eicar_test_file|6|cn1=1 cn1Label=Host ID dvchost=ws-12 src=10.0.0.5 dst=10.0.0.9 spt=1234 "
    b"dpt=80 "
    b"request=http://x.example/a?b\\=c msg=test message with spaces act=blocked rt=1777593600000"
)
FORTI_TRAFFIC = (
    b'date=2026-05-01 time=10:00:00 devname="FGT60F-CHIYODA" devid="FGT60FTK2209" '
    b'logid="0000000013" '
    b'type="traffic" subtype="forward" level="notice" vd="root" eventtime=1777597200000000000 '
    b'tz="+0900" '
    b'srcip=10.16.1.20 srcport=51234 srcintf="port1" dstip=93.184.216.34 dstport=443 '
    b'dstintf="wan1" '
    b'proto=6 action="deny" policyid=12 service="HTTPS" sentbyte=0 rcvdbyte=0 '
    b'srccountry="Reserved" '
    b'dstcountry="United States"'
)
FORTI_WEB = (
    b'date=2026-05-01 time=10:01:00 devname="FGT60F-CHIYODA" devid="FGT60FTK2209" '
    b'logid="0316013056" '
    b'type="utm" subtype="webfilter" eventtype="ftgd_blk" level="warning" vd="root" '
    b"srcip=10.16.1.21 "
    b'srcport=50000 dstip=198.51.100.80 dstport=80 hostname="malware.example" url="/payload.exe" '
    b'action="blocked" reqtype="direct" method="domain" catdesc="Malicious Websites" msg="URL '
    b'belongs to a denied category"'
)
FORTI_VPN = (
    b'date=2026-05-01 time=10:02:00 devname="FGT60F-CHIYODA" devid="FGT60FTK2209" '
    b'logid="0101039426" '
    b'type="event" subtype="vpn" level="alert" vd="root" logdesc="SSL VPN login fail" '
    b'action="ssl-login-fail" tunneltype="ssl-web" remip=198.51.100.7 user="bob" group="N/A" '
    b'reason="sslvpn_login_permission_denied" msg="SSL user failed to logged in"'
)
SQUID = (
    b"1777597200.123    250 10.1.1.5 TCP_DENIED/403 3900 GET http://evil.example/x.exe - "
    b"HIER_NONE/- text/html"
)
M365_LOGIN = (
    b'{"CreationTime":"2026-05-01T01:00:00","Id":"0c7b9f3e-1f52-4c51-9c1a-2b6f7f0e5a11",'
    b'"Operation":"UserLoginFailed","OrganizationId":"3e1d...","RecordType":15,"ResultStatus":"Failed",'
    b'"UserKey":"10032001A0B1C2D3","UserType":0,"Version":1,"Workload":"AzureActiveDirectory",'
    b'"ClientIP":"203.0.113.9","ObjectId":"Unknown","UserId":"tanaka@chiyoda.example.jp",'
    b'"ExtendedProperties":[{"Name":"UserAgent","Value":"Mozilla/5.0"}]}'
)
M365_SEND = (
    b'{"CreationTime":"2026-05-01T02:00:00","Id":"1","Operation":"Send","RecordType":2,'
    b'"ResultStatus":"Succeeded","Workload":"Exchange","UserId":"sato@minato.example.jp",'
    b'"ClientIP":"10.3.0.4","Item":{"Subject":"\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8"}}'
)
WINLOGBEAT = (
    b'{"@timestamp":"2026-05-01T01:00:00.000Z","winlog":{"event_id":4625,"channel":"Security",'
    b'"provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"dc01.chiyoda.local",'
    b'"record_id":123,"event_data":{"TargetUserName":"admin","TargetDomainName":"CHIYODA",'
    b'"IpAddress":"10.0.0.4","IpPort":"50123","LogonType":"3","Status":"0xc000006d"}},'
    b'"host":{"name":"dc01"},"message":"An account failed to log on."}'
)
NXLOG = (
    b'{"EventTime":"2026-05-01 '
    b'10:00:00","Hostname":"pc1.chiyoda.local","Keywords":-9214364837600034816,'
    b'"EventType":"AUDIT_SUCCESS","SeverityValue":2,"Severity":"INFO","EventID":4688,'
    b'"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","RecordNumber":42,'
    b'"NewProcessName":"C:\\\\Windows\\\\System32\\\\cmd.exe","CommandLine":"cmd /c whoami",'
    b'"ParentProcessName":"C:\\\\Windows\\\\explorer.exe","SubjectUserName":"tanaka"}'
)
# Digests of b"rengo-sample", as Sysmon writes them (upper case).
MD5, SHA1 = "3C99B2E97F120EEACDF353ED2EC8DC74", "CB11BD0766CF29A342E0084F960BCEE50CAEE31C"
SHA256 = "5998FECC082534314928E4D49C1D366259A73422FE429A0FF6EAA3D6F5577A8D"
IMPHASH = "F34D5F2D4577ED6D9CEEC516C1F5A744"
SYSMON_HASHES = f"SHA1={SHA1},MD5={MD5},SHA256={SHA256},IMPHASH={IMPHASH}"
SYSMON_PROCESS = (
    '{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},'
    '"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon",'
    '"Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},"EventID":1,"Version":5,"Level":4,"Task":1,'
    '"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":'
    '{"SystemTime":"2026-05-01T01:00:00.123456Z"}},"EventRecordID":4711,"Execution":{"#attributes":'
    '{"ProcessID":3216,"ThreadID":4116}},"Channel":"Microsoft-Windows-Sysmon/Operational",'
    '"Computer":"pc7.chiyoda.local","Security":{"#attributes":{"UserID":"S-1-5-18"}}},'
    '"EventData":{"RuleName":"-","UtcTime":"2026-05-01 01:00:00.123",'
    '"ProcessGuid":"{a1b2c3d4-0000-0000-0000-000000000001}","ProcessId":6540,'
    '"Image":"C:\\\\Users\\\\tanaka\\\\AppData\\\\Local\\\\Temp\\\\invoice.exe",'
    '"CommandLine":"invoice.exe /q","User":"CHIYODA\\\\tanaka",'
    f'"Hashes":"{SYSMON_HASHES}","ParentImage":"C:\\\\Windows\\\\explorer.exe"}}}}}}'
).encode()
WINLOGBEAT_SYSMON = (
    '{"@timestamp":"2026-05-01T01:00:00.123Z","winlog":{"event_id":1,'
    '"channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon",'
    '"computer_name":"pc7.chiyoda.local","record_id":4711,"event_data":{"ProcessId":"6540",'
    '"Image":"C:\\\\Temp\\\\invoice.exe","CommandLine":"invoice.exe /q"}},'
    f'"hash":{{"sha1":"{SHA1.lower()}","md5":"{MD5.lower()}","sha256":"{SHA256.lower()}",'
    f'"imphash":"{IMPHASH.lower()}"}},"host":{{"name":"pc7"}}}}'
).encode()
OCSF_EMAIL = (
    b'{"time":"2026-05-01T00:00:00Z","class_uid":4009,"activity_id":1,"activity_name":"Send",'
    b'"email":{"from":"a@x.example","to":"b@y.example","subject":"hi"},"src_endpoint":{"ip":"1.2.3.4"}}'
)

MALFORMED = {
    "syslog": b"<999>1 2026-05-01T00:00:00Z h a - - - pri too large",
    "cef": b"CEF:0|only|three",
    "fortigate": b'date=2026-13-45 time=99:00:00 devname="x" devid="y" logid="1" type="traffic"',
    "squid": b"1777597200.123 250 10.1.1.5",
    "m365": b'{"CreationTime":"2026-05-01T01:00:00","Operation":"x"}',
    "windows-json": b'{"winlog":{"channel":"Security"}}',
    "json": b'{"truncated": ',
    "auto": b"\x00\x01 binary noise",
}
