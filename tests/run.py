#!/usr/bin/env python3
"""Runs the black-box suites (tests/api/test_*.py, or those named) and ends with one line
'N passed, N failed'."""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "api"))


class Result(unittest.TextTestResult):
    def startTest(self, test):
        self._t0 = time.time()
        super().startTest(test)


def main():
    names = sys.argv[1:]
    loader = unittest.TestLoader()
    if names:
        suite = unittest.TestSuite(loader.loadTestsFromName(n) for n in names)
    else:
        suite = loader.discover(os.path.join(HERE, "api"), pattern="test_*.py", top_level_dir=os.path.join(HERE, "api"))
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Result, stream=sys.stdout)
    t0 = time.time()
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    passed = max(0, res.testsRun - len(res.failures) - len(res.errors) - len(res.unexpectedSuccesses)
                 - len(res.skipped))
    print("api: %.0fs" % (time.time() - t0))
    line = "%d passed, %d failed" % (passed, failed)
    if res.skipped:
        line += ", %d skipped" % len(res.skipped)
    print(line)
    sys.exit(1 if failed or res.testsRun == 0 else 0)


if __name__ == "__main__":
    main()
