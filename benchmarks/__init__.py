"""Side-by-side benchmarks of this UI server and the reference cylc-uiserver.

Run on demand (``python -m benchmarks.run``); never part of the test suite.
"""
