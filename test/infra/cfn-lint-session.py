"""
cfn-lint for many templates in one Python process (test/infra/cfn-lint.ts starts it).

Each line on stdin is a JSON request {"file": PATH, "region": REGION}; each answer is one JSON line
on stdout: {"matches": [...]} -- exactly what `cfn-lint --format json --regions REGION -- PATH`
prints (the same configuration, rules and formatter as the command line, through cfn-lint's own
Runner) -- or {"error": MESSAGE}. It ends at the end of stdin.

The command line costs about a second of CPU to start (Python, cfn-lint's rules and schemas) for
every template; here that is paid once per test file.
"""

import contextlib
import io
import json
import sys

from cfnlint.config import ConfigMixIn
from cfnlint.formatters import JsonFormatter
from cfnlint.runner import Runner


def lint(file: str, region: str) -> list:
    config = ConfigMixIn(["--format", "json", "--regions", region, "--", file])
    runner = Runner(config)
    matches = list(runner.run())
    # The order and the document the command line prints (cfnlint.runner.cli.Runner._cli_output).
    matches.sort(key=lambda m: (m.filename, m.linenumber, m.rule.id))
    return json.loads(JsonFormatter().print_matches(matches, runner.rules, config=config) or "[]")


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        # cfn-lint prints some failures (a file it cannot read) and exits: that text is the error.
        printed = io.StringIO()
        try:
            request = json.loads(line)
            with contextlib.redirect_stdout(printed):
                answer = {"matches": lint(request["file"], request["region"])}
        except (Exception, SystemExit) as e:  # any failure is the answer; the session goes on
            answer = {"error": f"{type(e).__name__}: {e} {printed.getvalue()}".strip()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
