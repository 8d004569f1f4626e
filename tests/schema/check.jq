# The JSON report schema of DESIGN.md, as a jq predicate: true or false.
def status: . == "pass" or . == "fail" or . == "warn" or . == "skip";
def level: . == "MUST" or . == "SHOULD" or . == "INFO";
(keys == ["checks", "summary", "target", "tool", "version"])
and .tool == "udpecho"
and (.version | type == "string" and test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))
and (.target | keys == ["family", "host", "port"])
and (.target.family == "ipv4" or .target.family == "ipv6")
and (.target.port | type == "number" and . >= 1 and . <= 65535)
and (.target.host | type == "string")
and (.checks | type == "array" and length >= 1)
and all(.checks[];
        keys == ["detail", "evidence", "id", "level", "status"]
        and (.id | type == "string" and test("^[a-z]+(\\.[a-z]+)?$"))
        and (.level | level) and (.status | status)
        and (.detail | type == "string" and length > 0)
        and (.evidence | type == "object"))
and (.summary | keys == ["failed", "passed", "skipped", "warned"])
and .summary.passed == ([.checks[] | select(.status == "pass")] | length)
and .summary.failed == ([.checks[] | select(.status == "fail")] | length)
and .summary.warned == ([.checks[] | select(.status == "warn")] | length)
and .summary.skipped == ([.checks[] | select(.status == "skip")] | length)
and all(.checks[] | select(.id == "echo.sizes"); .evidence.max_exact | type == "number")
