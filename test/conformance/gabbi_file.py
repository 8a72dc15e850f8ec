#!/usr/bin/python3
"""Runs one of Gnocchi's gabbi YAML files against a running server.

Called by run.ts with Debian's /usr/bin/python3 (python3-gabbi). Prints one
JSON object per test case on stdout:
    {"name": ..., "outcome": "pass|fail|error|skip|xfail|xpass", "detail": ...}

Why not `gabbi-run`: it cannot load the files that use Gnocchi's custom
`!AssertNAN` YAML tag, and on Python 3.11 it reports an xfail case twice
(expected failure and success). This builds the suite with gabbi's own
`suitemaker` (as gabbi-run does), registers the tag, and keeps one outcome
per case. The files' `fixtures: [ConfigFixture]` are ignored: run.ts gives
each file a freshly started server, which is what that fixture provides.
"""

import argparse
import json
import math
import re
import sys
import unittest

import yaml
from gabbi import handlers, suitemaker, utils


class AssertNAN:
    """Gnocchi's `!AssertNAN`: equal to any NaN (gnocchi/tests/functional/fixtures.py)."""

    def __eq__(self, other):
        return isinstance(other, float) and math.isnan(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "NaN"


yaml.add_constructor("!AssertNAN", lambda loader, node: AssertNAN(), Loader=yaml.Loader)

# Outcomes by precedence: an xfail case is also reported as a success on
# Python 3.11 (gabbi's potentialFailure decorator records the expected
# failure itself, then returns normally), so the stronger outcome wins.
RANK = {"pass": 0, "skip": 1, "fail": 2, "error": 3, "xpass": 4, "xfail": 5}
MAX_DETAIL = 600


def squeeze(text, limit=MAX_DETAIL):
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(test, err):
    """One line: the request, the expected vs observed status, the assertion."""
    data = test.test_data
    # The URL as sent (templates such as $RESPONSE replaced), without scheme,
    # host and prefix; the YAML's template when the request was never built.
    url = getattr(test, "url", None) or data.get("url", "")
    url = re.sub(r"^https?://[^/]+", "", url)
    if test.prefix and url.startswith(test.prefix):
        url = url[len(test.prefix):]
    parts = ["%s %s" % (data.get("method", "GET"), squeeze(url, 160))]
    response = getattr(test, "response", None)
    observed = response.get("status") if response else None
    if observed is not None and str(observed) not in [
        s.strip() for s in str(data.get("status", "200")).split("||")
    ]:
        parts.append("expected status %s, got %s" % (data.get("status"), observed))
        body = getattr(test, "output", "") or ""
        if body:
            parts.append("body: " + squeeze(body, 300))
        return " — ".join(parts)
    if err is not None:
        exc = err[1]
        message = str(exc)
        if not isinstance(exc, AssertionError):
            message = "%s: %s" % (type(exc).__name__, message)
        # unittest puts its own truncated diff before gabbi's message
        # ("A != B : Unable to match $.x as 1, got 2"): keep gabbi's.
        tail = re.search(r" : (?=Unable to match|Expect jsonpath|Expect header)", message)
        if tail:
            message = message[tail.end():]
        # gabbi appends the whole response to some assertions; keep the head.
        parts.append(squeeze(message))
    return " — ".join(parts)


class RecordingResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.cases = {}
        self.order = []

    def _record(self, test, outcome, detail=""):
        key = test.id()
        if key not in self.cases:
            self.order.append(key)
            self.cases[key] = {"name": test.test_data["name"], "outcome": outcome, "detail": detail}
        elif RANK[outcome] > RANK[self.cases[key]["outcome"]]:
            self.cases[key].update(outcome=outcome, detail=detail)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "fail", describe(test, err))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", describe(test, err))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skip", squeeze(reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "xpass")

    # Each case is reported once, in file order, as soon as it is known.
    def stopTest(self, test):
        super().stopTest(test)
        case = self.cases.get(test.id())
        if case is not None and not case.get("printed"):
            case["printed"] = True
            print(json.dumps({k: case[k] for k in ("name", "outcome", "detail")}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", default="/gnocchi")
    parser.add_argument("file")
    args = parser.parse_args()

    data = utils.load_yaml(yaml_file=args.file, safe=False)
    test_dir = args.file.rsplit("/", 1)[0] if "/" in args.file else "."
    name = args.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    handler_objects = [handler() for handler in handlers.RESPONSE_HANDLERS]
    suite = suitemaker.test_suite_from_dict(
        unittest.defaultTestLoader,
        name,
        data,
        test_dir,
        args.host,
        args.port,
        None,
        None,
        prefix=args.prefix,
        handlers=handler_objects,
        test_loader_name="gnocchi-ts-conformance",
    )
    result = RecordingResult()
    suite.run(result)
    # A case that raised before stopTest (fixture failure) is still printed.
    for key in result.order:
        case = result.cases[key]
        if not case.get("printed"):
            print(json.dumps({k: case[k] for k in ("name", "outcome", "detail")}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
