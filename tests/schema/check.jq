# The JSON report schema, as a jq predicate: true or false.  Two shapes:
# a run's report (every check it ran, with the summary of their statuses)
# and the report of a run that could not start (the error, no checks).
def status: . == "pass" or . == "fail" or . == "warn" or . == "skip" or . == "inconclusive";
def level: . == "MUST" or . == "SHOULD" or . == "INFO";
def count(s): [.checks[] | select(.status == s)] | length;
.tool == "udpecho"
and (.version | type == "string" and test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))
and (.started | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
and (.duration_s | type == "number" and . >= 0)
and (.target | keys == ["family", "host", "port"])
and (.target.family == "ipv4" or .target.family == "ipv6")
and (.target.port | type == "number" and . >= 0 and . <= 65535)
and (.target.host | type == "string")
and (.checks | type == "array")
and all(.checks[];
        (keys - ["known"]) == ["detail", "evidence", "id", "level", "status"]
        and ((has("known") | not)
             or (.known == true and (.status == "fail" or .status == "inconclusive" or .status == "warn")))
        and (.id | type == "string" and test("^[a-z]+(\\.[a-z]+)?$"))
        and (.level | level) and (.status | status)
        and (.detail | type == "string" and length > 0)
        and (.evidence | type == "object"))
and (.summary | keys == ["failed", "inconclusive", "known", "passed", "skipped", "warned"])
and .summary.passed == count("pass")
and .summary.failed == count("fail")
and .summary.warned == count("warn")
and .summary.skipped == count("skip")
and .summary.inconclusive == count("inconclusive")
and .summary.known == ([.checks[] | select(.known == true)] | length)
and if has("error") then
      (keys == ["checks", "duration_s", "error", "started", "summary", "target", "tool", "version"])
      and (.error | type == "string" and length > 0)
      and (.checks | length == 0)
    else
      (keys == ["checks", "duration_s", "started", "summary", "target", "tool", "version"])
      and (.checks | length >= 1)
      # A MUST's verdict says what it rests on: what it sent and what it judged.
      and all(.checks[] | select(.level == "MUST" and (.status == "pass" or .status == "fail"));
              (.evidence.requests | type == "number") and (.evidence.judged | type == "number"))
      and all(.checks[] | select(.level == "MUST" and .status == "pass");
              .evidence.judged >= 1)
      and all(.checks[] | select(.id == "echo.sizes" and .status != "inconclusive");
              .evidence.max_exact | type == "number")
    end
