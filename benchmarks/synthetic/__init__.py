"""A synthetic scheduler: many fake workflows in one process, speaking the real protocol.

``model.py`` is a deterministic (seeded) workflow whose batches carry correct
checksums; ``server.py`` serves models over CurveZMQ REP/PUB sockets with
contact files and key files laid out as cylc-flow does (protocol §1-§4).
"""
